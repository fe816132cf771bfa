#!/usr/bin/env bash
# bench/commit-latency.sh [--cistern PATH] [--blob-mib N] [--fill-rate-kib N (0 = unthrottled)] [--no-build]
# Small-request latency on the loop that commits a big blob (issue 12 item 3).
#
# One Cistern with --workers 1 (so that the loop committing the fill is the measured one),
# in front of the counting origin. Phase "idle": GET manifest by digest (cached) at a fixed
# 1000 req/s, open loop, 16 connections, 10 s. Phase "commit": the same load while one client
# pulls an uncached N MiB blob (default 512) that the origin sends at 64 MiB/s, so that the
# load covers the fill and its commit (fsync of the whole file, size record, rename, directory
# fsync). Prints p50/p99/p99.9/max of both phases and the ratio of the p99.9s; the target is
# commit p99.9 <= 2 x idle p99.9. Cistern on CPU 0, origin, load and client on CPU 1, all on
# 127.0.0.1; every process is stopped and the cache removed at the end. Bounded: each load
# run is 10 s / (fill time + 8 s) with a hard cap, 1000 req/s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CISTERN_BIN=""
BLOB_MIB=512
FILL_RATE_KIB=65536
BUILD=1
while (($# > 0)); do
    case "$1" in
        --cistern) CISTERN_BIN="$2"; shift ;;
        --blob-mib) BLOB_MIB="$2"; shift ;;
        --fill-rate-kib) FILL_RATE_KIB="$2"; shift ;;
        --no-build) BUILD=0 ;;
        *) echo "usage: bench/commit-latency.sh [--cistern PATH] [--blob-mib N] [--fill-rate-kib N] [--no-build]" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
if ((BUILD)); then
    swift build -c release --scratch-path .build-bench --product cistern-bench 2>&1 | tail -n 1
    [[ -n "$CISTERN_BIN" ]] || swift build -c release --scratch-path .build-bench --product cistern 2>&1 | tail -n 1
fi
BIN="$ROOT/.build-bench/release"
CISTERN_BIN=${CISTERN_BIN:-$BIN/cistern}

BASE=${BENCH_PORT_BASE:-18600}
ORIGIN=$((BASE + 50)); CISTERN=$((BASE + 51))
SERVER_CPU=0; CLIENT_CPU=1
if (($(nproc) < 2)); then CLIENT_CPU=0; fi
. "$ROOT/bench/lib.sh"
bench_workdir commit-latency


taskset -c "$CLIENT_CPU" "$BIN/cistern-bench" origin --port "$ORIGIN" --blob-sizes $((BLOB_MIB * 1048576)) >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
wait_for_port "$ORIGIN" origin
LAYER=$(awk '/^layer /{print $2; exit}' "$WORK/origin.log")
MANIFEST=$(awk '/^manifest /{print $2; exit}' "$WORK/origin.log")

taskset -c "$SERVER_CPU" "$CISTERN_BIN" serve --listen "127.0.0.1:$CISTERN" --upstream "http://127.0.0.1:$ORIGIN" \
    --cache-dir "$WORK/cache" --workers 1 --no-access-log --log-level warning >"$WORK/cistern.log" 2>&1 &
PIDS+=($!)
wait_for_port "$CISTERN" cistern

URL="http://127.0.0.1:$CISTERN"
SMALL="/v2/bench/r0k/manifests/$MANIFEST"
curl -sf -o /dev/null "$URL$SMALL"   # a hit from now on (from memory in both phases)

load() {  # seconds
    taskset -c "$CLIENT_CPU" "$BIN/cistern-bench" load --url "$URL" --path "$SMALL" \
        --connections 16 --rate 1000 --duration "$1" --cap $(($1 + 30))
}
p999() { awk '/^ttlb ms/{print $8}'; }

echo "== idle: GET manifest by digest, 1000 req/s, 10 s"
load 10 | tee "$WORK/idle.txt"

if ((FILL_RATE_KIB > 0)); then FILL_SECONDS=$(((BLOB_MIB * 1024 + FILL_RATE_KIB - 1) / FILL_RATE_KIB)); else FILL_SECONDS=2; fi
echo "== commit: the same load while a ${BLOB_MIB} MiB blob fills at ${FILL_RATE_KIB} KiB/s (~${FILL_SECONDS} s) and commits"
START=$(date +%s.%N)
taskset -c "$CLIENT_CPU" curl -sf -o /dev/null --max-time $((FILL_SECONDS + 120)) \
    -w '%{http_code} %{size_download}\n' "$URL/v2/bench/r${FILL_RATE_KIB}k/blobs/$LAYER" >"$WORK/pull.txt" &
PULL=$!
load $((FILL_SECONDS + 8)) | tee "$WORK/commit.txt"
wait "$PULL"
END=$(date +%s.%N)
read -r STATUS SIZE <"$WORK/pull.txt"
[[ "$STATUS" == 200 && "$SIZE" == $((BLOB_MIB * 1048576)) ]] || { echo "commit-latency: the pull got $STATUS, $SIZE bytes" >&2; exit 1; }
[[ -f "$WORK/cache/blobs/sha256/${LAYER:7:2}/${LAYER:7}" ]] || { echo "commit-latency: the blob was not committed" >&2; exit 1; }

IDLE=$(p999 <"$WORK/idle.txt"); COMMIT=$(p999 <"$WORK/commit.txt")
echo "== pull: 200, $SIZE bytes, committed, $(awk -v s="$START" -v e="$END" 'BEGIN{printf "%.1f", e - s}') s from start to end of the load"
echo "== p99.9 idle $IDLE ms, during commit $COMMIT ms: $(awk -v a="$COMMIT" -v b="$IDLE" 'BEGIN{printf "%.2f", a / b}') x (target <= 2)"
