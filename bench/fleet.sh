#!/usr/bin/env bash
# bench/fleet.sh [--clients N] [--runs K] [--layers-mib A,B,...] [--rate-kib R] [--bin DIR] [--no-build]
# The fleet bench (issue 18 item 5): 3 Cistern nodes behind HAProxy against 3 distribution
# proxies (docker-registry 2.8, `proxy: remoteurl:`) behind the same HAProxy config, on the
# same cold image and the same clients.
#
# Per run and side: a fresh counting origin (cistern-bench origin: one image whose layers are
# --layers-mib, sent at --rate-kib KiB/s per connection, which stands for the WAN link), 3 fresh
# nodes with empty caches, HAProxy running deploy/haproxy.cfg with only its bind and server
# lines rewritten (and, for distribution, the health-check URI: it has no /readyz, so /v2/).
# Then N clients start at once; each pulls every blob of the image (config + layers) through
# HAProxy, the blobs in parallel as docker and skopeo do. Figures: upstream bytes / image bytes
# (the origin's body bytes for the image's blobs / the sum of their sizes: 1.0 = each blob
# fetched once fleet-wide), upstream blob GETs, and each client's time to its last byte
# (p50/p99/max, seconds). Runs alternate sides (run 1: Cistern first; run 2: distribution
# first; ...), cold every time. Every response's status and size are checked, and after each
# run the same clients pull again (hot: every blob cached, so this is what the servers' CPU
# allows), and every blob is fetched once more through HAProxy and its SHA-256 compared.
#
# Servers (origin, nodes, HAProxy) are pinned to CPU 0, the clients (curl) to CPU 1. Every
# process started here is stopped by PID at the end; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CLIENTS=30
RUNS=2
LAYERS_MIB="64,48,32,16"
RATE_KIB=32768
BIN=""
BUILD=1
usage="usage: bench/fleet.sh [--clients N] [--runs K] [--layers-mib A,B,...] [--rate-kib R] [--bin DIR] [--no-build]"
while (($# > 0)); do
    case "$1" in
        --clients) CLIENTS="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --layers-mib) LAYERS_MIB="$2"; shift ;;
        --rate-kib) RATE_KIB="$2"; shift ;;
        --bin) BIN="$2"; BUILD=0; shift ;;
        --no-build) BUILD=0 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
for tool in haproxy docker-registry curl jq taskset sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] \
        || { echo "bench/fleet.sh: $tool missing (apt-get install haproxy docker-registry curl jq)" >&2; exit 1; }
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
if ((BUILD)); then
    swift build -c release --scratch-path .build-bench --product cistern-bench 2>&1 | tail -n 1
    swift build -c release --scratch-path .build-bench --product cistern 2>&1 | tail -n 1
fi
BIN=${BIN:-$ROOT/.build-bench/release}

BASE=${BENCH_PORT_BASE:-18600}
ORIGIN=$((BASE + 70)); FRONT=$((BASE + 71)); NODE1=$((BASE + 72))   # nodes: NODE1, +1, +2
NODES=3
SERVER_CPU=0; CLIENT_CPU=1
if (($(nproc) < 2)); then CLIENT_CPU=0; fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/fleet-$STAMP"
mkdir -p "$RESULTS/logs"
WORK=$(mktemp -d /tmp/cistern-fleet-bench.XXXXXX)
PIDS=()   # everything running now, stopped by stop_all (and on exit)
stop_all() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do   # bounded: 10 s each, then SIGKILL
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
PIN=(taskset -c "$SERVER_CPU")

wait_for_url() {  # url name: at most 20 s for a 200
    for _ in $(seq 1 200); do
        if curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench/fleet.sh: $2 did not answer $1; see $RESULTS/logs" >&2
    exit 1
}

# The image: layers of the given sizes (seeds 1, 2, ...) and the origin's config blob.
SIZES=""
for mib in ${LAYERS_MIB//,/ }; do SIZES+="${SIZES:+,}$((mib * 1048576))"; done
REPO="bench/r${RATE_KIB}k"

start_origin() {  # log name
    "${PIN[@]}" "$BIN/cistern-bench" origin --port "$ORIGIN" --blob-sizes "$SIZES" >"$RESULTS/logs/$1.log" 2>&1 &
    PIDS+=($!)
    wait_for_url "http://127.0.0.1:$ORIGIN/v2/" origin
}

# The blob list (digest size) from the origin's manifest: config first, then the layers.
start_origin origin-probe
curl -fsS --max-time 10 -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$ORIGIN/v2/$REPO/manifests/latest" >"$WORK/manifest.json"
jq -r '.config, .layers[] | "\(.digest) \(.size)"' "$WORK/manifest.json" >"$WORK/blobs.txt"
stop_all
IMAGE_BYTES=$(awk '{ s += $2 } END { print s }' "$WORK/blobs.txt")
BLOB_COUNT=$(wc -l <"$WORK/blobs.txt")
# Each client's transfers are capped (curl --max-time), so every run is bounded.
MAX_TIME=600

haproxy_config() {  # output check-uri
    local servers="" i
    for i in $(seq 1 "$NODES"); do servers+="    server node$i 127.0.0.1:$((NODE1 + i - 1))"$'\n'; done
    awk -v bind="    bind 127.0.0.1:$FRONT" -v servers="$servers" -v uri="$2" '
        /^[[:space:]]*bind / { print bind; next }
        /^[[:space:]]*server / { if (!done) { printf "%s", servers; done = 1 }; next }
        /^[[:space:]]*http-check send / { sub(/uri [^ ]+/, "uri " uri) }
        { print }' "$ROOT/deploy/haproxy.cfg" >"$1"
    "$HAPROXY" -c -q -f "$1"
}

start_fleet() {  # side run
    local side=$1 run=$2 i port dir
    for i in $(seq 1 "$NODES"); do
        port=$((NODE1 + i - 1)); dir="$WORK/$side-$run-node$i"; mkdir -p "$dir"
        if [[ $side == cistern ]]; then
            printf 'trusted_proxies: [127.0.0.1]\n' >"$dir/node.yml"
            "${PIN[@]}" "$BIN/cistern" serve --listen "127.0.0.1:$port" --upstream "http://127.0.0.1:$ORIGIN" \
                --cache-dir "$dir/cache" --node-id "node$i" --config "$dir/node.yml" --workers 1 \
                --no-access-log --log-level warning --idle-timeout 600s \
                >"$RESULTS/logs/$side-$run-node$i.log" 2>&1 &
            PIDS+=($!)
            wait_for_url "http://127.0.0.1:$port/readyz" "$side node$i"
        else
            mkdir -p "$dir/storage"
            sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@ORIGIN_PORT@|$ORIGIN|g" \
                "$ROOT/bench/peers/registry.yml.in" >"$dir/config.yml"
            GOMAXPROCS=1 "${PIN[@]}" docker-registry serve "$dir/config.yml" >"$RESULTS/logs/$side-$run-node$i.log" 2>&1 &
            PIDS+=($!)
            wait_for_url "http://127.0.0.1:$port/v2/" "$side node$i"
        fi
    done
    if [[ $side == cistern ]]; then haproxy_config "$WORK/haproxy-$side.cfg" /readyz
    else haproxy_config "$WORK/haproxy-$side.cfg" /v2/; fi
    "${PIN[@]}" "$HAPROXY" -db -f "$WORK/haproxy-$side.cfg" >"$RESULTS/logs/$side-$run-haproxy.log" 2>&1 &
    PIDS+=($!)
    wait_for_url "http://127.0.0.1:$FRONT/v2/" "$side haproxy"
}

# One client: every blob in parallel (one connection each); prints its time to last byte in
# seconds, then one line per blob: status size digest-url.
client() {  # base-url out
    local args=() digest size start
    while read -r digest size; do args+=(-o /dev/null "$1/v2/$REPO/blobs/$digest"); done <"$WORK/blobs.txt"
    start=$EPOCHREALTIME
    curl -sS --parallel --parallel-max "$BLOB_COUNT" --max-time "$MAX_TIME" \
        -w '%{http_code} %{size_download} %{url}\n' "${args[@]}" >"$2.transfers" 2>"$2.err" || true
    awk -v end="$EPOCHREALTIME" -v start="$start" 'BEGIN { printf "%.3f\n", end - start }' >"$2.ttlb"
}

# N clients at once against base-url; checks every transfer; writes ttlbs (one per client).
run_clients() {  # base-url dir count
    mkdir -p "$2"
    local pids=() i
    for i in $(seq 1 "$3"); do
        taskset -c "$CLIENT_CPU" bash -c "$(declare -f client); WORK=$WORK REPO=$REPO BLOB_COUNT=$BLOB_COUNT MAX_TIME=$MAX_TIME client $1 $2/client$i" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done   # bounded by curl --max-time
    cat "$2"/client*.ttlb >"$2/ttlbs"
    # A transfer is good when its status is 200 and its size the blob's.
    local bad
    bad=$(cat "$2"/client*.transfers | awk 'NR == FNR { size[$1] = $2; next }
        { n = split($3, p, "/"); if ($1 != 200 || size[p[n]] != $2) bad++ } END { print bad + 0 }' "$WORK/blobs.txt" -)
    local got=$(cat "$2"/client*.transfers | wc -l)
    echo $((bad + $3 * BLOB_COUNT - got))
}

verify_digests() {  # base-url: every blob once more (now cached), hashed
    local digest size
    while read -r digest size; do
        [[ "sha256:$(curl -fsS --max-time 120 "$1/v2/$REPO/blobs/$digest" | sha256sum | cut -d' ' -f1)" == "$digest" ]] \
            || { echo "bench/fleet.sh: $digest did not verify through $1" >&2; return 1; }
    done <"$WORK/blobs.txt"
}

upstream_figures() {  # stats-copy -> prints: upstream-bytes upstream-blob-gets (the image's blobs only)
    curl -fsS --max-time 10 "http://127.0.0.1:$ORIGIN/stats" | tee "$1" \
        | awk 'NR == FNR { want[$1] = 1; next } ($1 in want) { bytes += $5; gets += $2 } END { print bytes + 0, gets + 0 }' \
            "$WORK/blobs.txt" -
}

percentiles() {  # file of numbers -> "p50 p99 max" (nearest rank)
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        p50 = int(NR * 0.50 + 0.999999); p99 = int(NR * 0.99 + 0.999999)
        printf "%.2f %.2f %.2f\n", v[p50], v[p99], v[NR] }'
}

{
    echo "# Fleet bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/^Mem:/{print $2}') GiB RAM, Linux $(uname -r)"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- versions: $("$HAPROXY" -v | head -n 1 | awk '{print "HAProxy", $3}'), docker-registry $(docker-registry --version | awk '{print $3}'), $(curl --version | head -n 1 | awk '{print "curl", $2}')"
    echo "- image: $BLOB_COUNT blobs (config + layers of $LAYERS_MIB MiB), $IMAGE_BYTES bytes; origin rate $RATE_KIB KiB/s per connection"
    echo "- clients: $CLIENTS at once, each pulling every blob in parallel through HAProxy; servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU"
    echo
} >"$RESULTS/report.md"

# Reference: one client straight from the origin (the fastest the link allows).
start_origin origin-direct
bad=$(run_clients "http://127.0.0.1:$ORIGIN" "$WORK/direct" 1)
DIRECT=$(cat "$WORK/direct/ttlbs")
stop_all
printf '%s\n' "- one client straight from the origin: $(printf '%.2f' "$DIRECT") s to its last byte (failed transfers: $bad)" "" >>"$RESULTS/report.md"

{
    echo "| run | fleet | upstream bytes ÷ image bytes | upstream blob GETs | cold TTLB p50 (s) | p99 (s) | max (s) | hot TTLB p50 / max (s) (upstream GETs while hot) | failed transfers |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >>"$RESULTS/report.md"
for run in $(seq 1 "$RUNS"); do
    if ((run % 2)); then sides=(cistern registry); else sides=(registry cistern); fi
    for side in "${sides[@]}"; do
        echo "== run $run: $side" >&2
        start_origin "origin-$side-$run"
        start_fleet "$side" "$run"
        bad=$(run_clients "http://127.0.0.1:$FRONT" "$WORK/$side-$run" "$CLIENTS")
        read -r up_bytes up_gets < <(upstream_figures "$RESULTS/$side-$run-origin-stats.txt")
        # The same clients again, every blob now cached: what the servers' CPU allows.
        hot_bad=$(run_clients "http://127.0.0.1:$FRONT" "$WORK/$side-$run-hot" "$CLIENTS")
        bad=$((bad + hot_bad))
        # Upstream GETs during the hot pass: 0 unless a fill was still running (then not hot).
        read -r _ after_gets < <(upstream_figures "$RESULTS/$side-$run-origin-stats-after-hot.txt")
        verify_digests "http://127.0.0.1:$FRONT" || bad="$bad + digest mismatch"
        read -r p50 p99 max < <(percentiles "$WORK/$side-$run/ttlbs")
        read -r hot_p50 _ hot_max < <(percentiles "$WORK/$side-$run-hot/ttlbs")
        cp "$WORK/$side-$run/ttlbs" "$RESULTS/$side-$run-ttlbs.txt"
        cp "$WORK/$side-$run-hot/ttlbs" "$RESULTS/$side-$run-hot-ttlbs.txt"
        name=$([[ $side == cistern ]] && echo "Cistern ×3" || echo "distribution ×3")
        ratio=$(awk -v up="$up_bytes" -v image="$IMAGE_BYTES" 'BEGIN { printf "%.2f", up / image }')
        line="| $run | $name | $ratio | $up_gets | $p50 | $p99 | $max | $hot_p50 / $hot_max ($((after_gets - up_gets))) | $bad |"
        echo "$line" >>"$RESULTS/report.md"
        echo "$line" >&2
        stop_all
        rm -rf "$WORK/$side-$run-node"* "$WORK/$side-$run" "$WORK/$side-$run-hot"
    done
done
cat "$RESULTS/report.md"
echo "== results in $RESULTS" >&2
