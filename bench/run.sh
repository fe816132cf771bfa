#!/usr/bin/env bash
# bench/run.sh [--quick] [--only S1,S2,...]   (S8: Cistern 2 loops and nginx 2 workers on both CPUs)
# One command: builds cistern and cistern-bench (release), installs the peers from Debian,
# starts the counting origin, Cistern, nginx, Varnish, docker-registry (proxy mode) and the
# sendfile ceiling, each with its own empty cache, pinned to CPU 0; runs the suite pinned to
# CPU 1; writes bench/results/<timestamp>/; for a full run also bench/RESULTS.md and the
# plots in bench/. Everything listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=""
ONLY=()
while (($# > 0)); do
    case "$1" in
        --quick) QUICK="--quick" ;;
        --only) ONLY=(--only "$2"); shift ;;
        *) echo "usage: bench/run.sh [--quick] [--only S1,S2,...]" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

# Peers and tools, installed only when missing.
packages=(nginx varnish docker-registry gnuplot-nox util-linux)
missing=()
for package in "${packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != 'install ok installed' ]]; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench/run.sh: missing packages: ${missing[*]} (install them as root)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian packages start system-wide services; the bench starts its own instances.
    service nginx stop >/dev/null 2>&1 || true
    service varnish stop >/dev/null 2>&1 || true
    service docker-registry stop >/dev/null 2>&1 || true
fi

echo "== build (release, scratch path .build-bench)"
swift build -c release --scratch-path .build-bench --product cistern-bench 2>&1 | tail -n 1
swift build -c release --scratch-path .build-bench --product cistern 2>&1 | tail -n 1
BIN="$ROOT/.build-bench/release"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/$STAMP${QUICK:+-quick}"
mkdir -p "$RESULTS/logs"
. "$ROOT/bench/lib.sh"
bench_workdir bench
LOG_DIR=$RESULTS/logs

# Below the ephemeral range (32768+), so that no client socket of an earlier run holds one.
BASE=${BENCH_PORT_BASE:-18600}
ORIGIN=$BASE; CEILING=$((BASE + 1)); CEILING1=$((BASE + 2))
CISTERN=$((BASE + 10)); CISTERN1=$((BASE + 11)); CISTERN2=$((BASE + 12))
NGINX=$((BASE + 20)); NGINX1=$((BASE + 21)); NGINX2=$((BASE + 22))
VARNISH=$((BASE + 30)); REGISTRY=$((BASE + 40))

ulimit -n "$(ulimit -Hn)"  # 10 000 idle connections need more than the default 1024
SERVER_CPU=0
CLIENT_CPU=1
if (($(nproc) < 2)); then CLIENT_CPU=0; fi
# An array, not a function: `function &` would fork a subshell and $! would not be the server.
PIN=(taskset -c "$SERVER_CPU")


SIZES=$("$BIN/cistern-bench" suite $QUICK --print-blob-sizes)
mkdir -p "$WORK/ceiling"

echo "== start origin, ceiling and mirrors (CPU $SERVER_CPU); suite on CPU $CLIENT_CPU"
"${PIN[@]}" "$BIN/cistern-bench" origin --port "$ORIGIN" --blob-sizes "$SIZES" >"$RESULTS/logs/origin.log" 2>&1 &
PIDS+=($!)
wait_for_port "$ORIGIN" origin
"${PIN[@]}" "$BIN/cistern-bench" static --port "$CEILING" --directory "$WORK/ceiling" --workers 2 >"$RESULTS/logs/ceiling.log" 2>&1 &
CEILING_PID=$!; PIDS+=($CEILING_PID)
"${PIN[@]}" "$BIN/cistern-bench" static --port "$CEILING1" --directory "$WORK/ceiling" --workers 1 >"$RESULTS/logs/ceiling1.log" 2>&1 &
PIDS+=($!)

start_cistern() {  # port workers name [unpinned]
    local pin=("${PIN[@]}")
    if [[ -n "${4:-}" ]]; then pin=(); fi
    "${pin[@]}" "$BIN/cistern" serve --listen "127.0.0.1:$1" --upstream "http://127.0.0.1:$ORIGIN" \
        --cache-dir "$WORK/$3" --workers "$2" --no-access-log --log-level warning --idle-timeout 600s \
        >"$RESULTS/logs/$3.log" 2>&1 &
}
start_cistern "$CISTERN" 2 cistern; CISTERN_PID=$!; PIDS+=($CISTERN_PID)
start_cistern "$CISTERN1" 1 cistern1; PIDS+=($!)
# S8: two loops allowed on both CPUs (scaling across loops).
start_cistern "$CISTERN2" 2 cistern2 unpinned; PIDS+=($!)

start_nginx() {  # port workers name [unpinned]
    local pin=("${PIN[@]}")
    if [[ -n "${4:-}" ]]; then pin=(); fi
    mkdir -p "$WORK/$3"
    configure "$ROOT/bench/peers/nginx.conf.in" "$WORK/$3/nginx.conf" "$WORK/$3" "$1" "$2"
    "${pin[@]}" nginx -c "$WORK/$3/nginx.conf" -e "$WORK/$3/error.log" >"$RESULTS/logs/$3.log" 2>&1 &
}
start_nginx "$NGINX" 2 nginx; NGINX_PID=$!; PIDS+=($NGINX_PID)
start_nginx "$NGINX1" 1 nginx1; PIDS+=($!)
start_nginx "$NGINX2" 2 nginx2 unpinned; PIDS+=($!)

mkdir -p "$WORK/varnish"
configure "$ROOT/bench/peers/varnish.vcl.in" "$WORK/varnish/default.vcl" "$WORK/varnish" "$VARNISH"
"${PIN[@]}" varnishd -F -n "$WORK/varnish/instance" -a "127.0.0.1:$VARNISH" -f "$WORK/varnish/default.vcl" \
    -s malloc,2G -p timeout_idle=600 -p thread_pool_max=20000 -p listen_depth=4096 \
    >"$RESULTS/logs/varnish.log" 2>&1 &
VARNISH_PID=$!; PIDS+=($VARNISH_PID)

mkdir -p "$WORK/registry/storage"
configure "$ROOT/bench/peers/registry.yml.in" "$WORK/registry/config.yml" "$WORK/registry" "$REGISTRY"
GOMAXPROCS=2 "${PIN[@]}" docker-registry serve "$WORK/registry/config.yml" >"$RESULTS/logs/registry.log" 2>&1 &
REGISTRY_PID=$!; PIDS+=($REGISTRY_PID)

for entry in "$CEILING ceiling" "$CEILING1 ceiling1" "$CISTERN cistern" "$CISTERN1 cistern1" "$CISTERN2 cistern2" "$NGINX nginx" \
             "$NGINX1 nginx1" "$NGINX2 nginx2" "$VARNISH varnish" "$REGISTRY registry"; do
    wait_for_port $entry
done

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ]]; then COMMIT="$COMMIT (+ uncommitted changes in Sources/)"; fi
NOTES=(
    --note "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    --note "commit: $COMMIT"
    --note "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/{print $2}') GiB RAM, Linux $(uname -r)"
    --note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    --note "servers pinned to CPU $SERVER_CPU, load generator to CPU $CLIENT_CPU (taskset)"
    --note "peers: $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(varnishd -V 2>&1 | head -n 1 | sed 's/ revision.*//;s/[()]//g'), docker-registry $(docker-registry --version | awk '{print $3}'); Cistern $COMMIT, 2 loops (S3: 1)"
)

echo "== suite ${QUICK:-full}"
taskset -c "$CLIENT_CPU" "$BIN/cistern-bench" suite $QUICK "${ONLY[@]}" \
    --origin "http://127.0.0.1:$ORIGIN" \
    --mirror "cistern=http://127.0.0.1:$CISTERN@$CISTERN_PID" \
    --mirror "nginx=http://127.0.0.1:$NGINX@$NGINX_PID" \
    --mirror "varnish=http://127.0.0.1:$VARNISH@$VARNISH_PID" \
    --mirror "registry=http://127.0.0.1:$REGISTRY@$REGISTRY_PID" \
    --single-worker-mirror "cistern=http://127.0.0.1:$CISTERN1" \
    --single-worker-mirror "nginx=http://127.0.0.1:$NGINX1" \
    --single-worker-mirror "varnish=http://127.0.0.1:$VARNISH" \
    --single-worker-mirror "registry=http://127.0.0.1:$REGISTRY" \
    --two-core-mirror "cistern=http://127.0.0.1:$CISTERN2" \
    --two-core-mirror "nginx=http://127.0.0.1:$NGINX2" \
    --ceiling "http://127.0.0.1:$CEILING@$CEILING_PID" \
    --single-worker-ceiling "http://127.0.0.1:$CEILING1" \
    --ceiling-directory "$WORK/ceiling" \
    --results "$RESULTS" "${NOTES[@]}" 2> >(tee "$RESULTS/logs/suite.log" >&2)

if [[ -z "$QUICK" && ${#ONLY[@]} -eq 0 ]]; then
    cp "$RESULTS/report.md" "$ROOT/bench/RESULTS.md"
    cp "$RESULTS"/*.png "$ROOT/bench/" 2>/dev/null || true
    echo "== wrote bench/RESULTS.md and bench/*.png"
fi
echo "== results in $RESULTS"
