#!/bin/sh
# Restart time of the cache index with a million entries (issue 13): the test
# CacheIndexFileTests writes a 1,000,000-entry index (CISTERN_INDEX_BENCH_DIR keeps it), then a
# release `cistern cache stats` opens it the way a restarting server does (CacheIndex.open),
# and prints the wall time.
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
