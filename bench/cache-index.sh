#!/bin/sh
# Restart time of the cache index with a million entries (issue 13): the test
# CacheIndexFileTests writes a 1,000,000-entry index (CISTERN_INDEX_BENCH_DIR keeps it), then a
# release `cistern cache stats` opens it the way a restarting server does (CacheIndex.open),
# and prints the wall time; then a release `cistern serve` starts on it (below).
set -eu
cd "$(dirname "$0")/.."
PATH=/opt/swift/usr/bin:$PATH
dir=$(mktemp -d /tmp/cistern-index-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
swift build --build-tests >/dev/null
CISTERN_INDEX_BENCH_DIR=$dir swift test --skip-build --no-parallel --filter aMillionEntriesAreReadyWithinSeconds | grep 'cache index:'
swift build -c release --product cistern >/dev/null
/usr/bin/time -f 'release cistern cache stats on 1,000,000 entries: %e s wall, %M KiB max RSS' \
    .build/release/cistern cache stats --cache-dir "$dir" --top 3
# What a restart waits for: a release `cistern serve` on that index, timed from exec to
# `/readyz` 200 (polled every 20 ms, at most 60 s); its peak RSS is the table's memory.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
started=$(date +%s%N)
.build/release/cistern serve --cache-dir "$dir" --listen "127.0.0.1:$port" --upstream http://127.0.0.1:9 \
    >"$dir/serve.log" 2>&1 &
server=$!
polls=0
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do
    polls=$((polls + 1))
    if [ "$polls" -ge 3000 ] || ! kill -0 "$server" 2>/dev/null; then
        echo "cistern serve did not become ready:" >&2; cat "$dir/serve.log" >&2; kill "$server" 2>/dev/null; exit 1
    fi
    sleep 0.02
done
ready=$(date +%s%N)
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill -TERM "$server"; wait "$server" || true
grep -o 'cache index ready.*' "$dir/serve.log" || true
echo "release cistern serve on 1,000,000 entries: /readyz 200 after $(( (ready - started) / 1000000 )) ms, ${peak} KiB peak RSS"
