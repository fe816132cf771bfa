#!/usr/bin/env bash
# bench/wrk-check.sh [--no-build] [--bin DIR] [--rounds N] [--seconds S]
# The independent-client cross-check of issue 19: every server at its defaults (Cistern
# `--workers 0`, nginx `worker_processes auto`, Varnish with the packaged `-s malloc,256m`
# and default thread pools), nothing pinned, all on 127.0.0.1; each serves the same cached
# blob and manifest from the counting origin. Per round and server, in an order that
# alternates from round to round:
#   - wrk -t2 -c8:  GET of the 64 MiB blob (bodies read into user space by wrk);
#   - wrk -t2 -c32: GET of the manifest by digest with four manifest types in Accept;
#   - hey -c32:     HEAD of the blob.
# Prints the median of the rounds per server and Cistern ÷ best peer (higher is better for
# every figure here), and writes bench/results/wrk-<UTC timestamp>/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BUILD=1; BIN="$ROOT/.build-bench/release"; ROUNDS=3; SECONDS_PER_RUN=10
while (($# > 0)); do
    case "$1" in
        --no-build) BUILD=0 ;;
        --bin) BIN=$(cd "$2" && pwd); BUILD=0; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        *) echo "usage: bench/wrk-check.sh [--no-build] [--bin DIR] [--rounds N] [--seconds S]" >&2; exit 2 ;;
    esac
    shift
done
for tool in wrk hey nginx varnishd curl jq; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/wrk-check.sh: $tool is missing (apt-get install wrk hey nginx-light varnish curl jq)" >&2; exit 1; }
done
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
if ((BUILD)); then
    echo "== build (release, scratch path .build-bench)"
    swift build -c release --scratch-path .build-bench --product cistern-bench 2>&1 | tail -n 1
    swift build -c release --scratch-path .build-bench --product cistern 2>&1 | tail -n 1
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/wrk-$STAMP"
mkdir -p "$RESULTS/logs"
. "$ROOT/bench/lib.sh"
bench_workdir wrk
LOG_DIR=$RESULTS/logs
ulimit -n "$(ulimit -Hn)"

BASE=${BENCH_PORT_BASE:-18700}
ORIGIN=$BASE; CISTERN=$((BASE + 10)); NGINX=$((BASE + 20)); VARNISH=$((BASE + 30))

BLOB_BYTES=$((64 << 20))
"$BIN/cistern-bench" origin --port "$ORIGIN" --blob-sizes "$BLOB_BYTES" >"$RESULTS/logs/origin.log" 2>&1 &
PIDS+=($!)
wait_for_port "$ORIGIN" origin
ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'
REPO=bench/r0k
curl -fsS --max-time 10 -D "$WORK/manifest.head" -H "Accept: $ACCEPT" "http://127.0.0.1:$ORIGIN/v2/$REPO/manifests/latest" >"$WORK/manifest.json"
BLOB=$(jq -r '.layers[0].digest' "$WORK/manifest.json")
MANIFEST="sha256:$(sha256sum "$WORK/manifest.json" | cut -d' ' -f1)"

"$BIN/cistern" serve --listen "127.0.0.1:$CISTERN" --upstream "http://127.0.0.1:$ORIGIN" --cache-dir "$WORK/cistern" \
    --workers 0 --no-access-log --log-level warning >"$RESULTS/logs/cistern.log" 2>&1 &
PIDS+=($!)
mkdir -p "$WORK/nginx"
configure "$ROOT/bench/peers/nginx.conf.in" "$WORK/nginx/nginx.conf" "$WORK/nginx" "$NGINX" auto
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$RESULTS/logs/nginx.log" 2>&1 &
PIDS+=($!)
mkdir -p "$WORK/varnish"
configure "$ROOT/bench/peers/varnish.vcl.in" "$WORK/varnish/default.vcl" "$WORK/varnish" "$VARNISH" 1
varnishd -F -n "$WORK/varnish/instance" -a "127.0.0.1:$VARNISH" -f "$WORK/varnish/default.vcl" -s malloc,256m \
    >"$RESULTS/logs/varnish.log" 2>&1 &
PIDS+=($!)
SERVERS=(cistern nginx varnish)
declare -A PORT=([cistern]=$CISTERN [nginx]=$NGINX [varnish]=$VARNISH)
for name in "${SERVERS[@]}"; do wait_for_port "${PORT[$name]}" "$name"; done

# Warm every cache and check what it serves: the blob and the manifest by digest.
for name in "${SERVERS[@]}"; do
    url="http://127.0.0.1:${PORT[$name]}/v2/$REPO"
    for _ in 1 2; do
        got="sha256:$(curl -fsS --max-time 120 "$url/blobs/$BLOB" | sha256sum | cut -d' ' -f1)"
        [[ "$got" == "$BLOB" ]] || { echo "bench/wrk-check.sh: $name served a wrong blob ($got)" >&2; exit 1; }
        got="sha256:$(curl -fsS --max-time 10 -H "Accept: $ACCEPT" "$url/manifests/$MANIFEST" | sha256sum | cut -d' ' -f1)"
        [[ "$got" == "$MANIFEST" ]] || { echo "bench/wrk-check.sh: $name served a wrong manifest ($got)" >&2; exit 1; }
    done
done

# wrk's summary as "requests bytes microseconds non-2xx", from its done() hook.
cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
    local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT %d %d %d %d\n", summary.requests, summary.bytes, summary.duration, bad))
end
EOF
cat >"$WORK/accept.lua" <<EOF
wrk.headers["Accept"] = "$ACCEPT"
$(cat "$WORK/report.lua")
EOF

# One run: prints the figure (GiB/s or req/s) and appends the raw line to runs.csv.
echo "round,server,workload,value,unit,detail" >"$RESULTS/runs.csv"
run_one() {  # round server workload
    local url="http://127.0.0.1:${PORT[$2]}/v2/$REPO" line value detail
    case "$3" in
        blob)
            line=$(wrk -t2 -c8 -d"${SECONDS_PER_RUN}s" -s "$WORK/report.lua" "$url/blobs/$BLOB" | grep '^RESULT')
            read -r _ requests bytes micros bad <<<"$line"
            value=$(awk -v b="$bytes" -v u="$micros" 'BEGIN { printf "%.3f", b / (u / 1e6) / 1073741824 }')
            detail="requests=$requests bytes=$bytes errors=$bad"; unit=GiB/s ;;
        manifest)
            line=$(wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s "$WORK/accept.lua" "$url/manifests/$MANIFEST" | grep '^RESULT')
            read -r _ requests bytes micros bad <<<"$line"
            value=$(awk -v r="$requests" -v u="$micros" 'BEGIN { printf "%.0f", r / (u / 1e6) }')
            detail="requests=$requests errors=$bad"; unit=req/s ;;
        head)
            line=$(hey -z "${SECONDS_PER_RUN}s" -c 32 -m HEAD "$url/blobs/$BLOB" | tee "$RESULTS/logs/hey-$1-$2.txt" | awk '/Requests\/sec/ { print $2 }')
            value=$(printf '%.0f' "$line")
            detail="non-200: $(awk '/Status code distribution/ { f = 1; next } f && /\[/ && $1 != "[200]" { n += $2 } END { print n + 0 }' "$RESULTS/logs/hey-$1-$2.txt")"; unit=req/s ;;
    esac
    echo "$1,$2,$3,$value,$unit,$detail" >>"$RESULTS/runs.csv"
    echo "  round $1 $2 $3: $value $unit ($detail)" >&2
}

echo "== $ROUNDS rounds of ${SECONDS_PER_RUN} s per run; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
    order=("${SERVERS[@]}")
    if ((round % 2 == 0)); then order=(varnish nginx cistern); fi
    for workload in blob manifest head; do
        for name in "${order[@]}"; do run_one "$round" "$name" "$workload"; done
    done
done

median() {  # server workload
    awk -F, -v s="$1" -v w="$2" '$2 == s && $3 == w { print $4 }' "$RESULTS/runs.csv" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
{
    echo "# wrk/hey cross-check ($STAMP)"
    echo
    echo "- machine: $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg); servers at their defaults, unpinned"
    echo "- $(nginx -v 2>&1), $(varnishd -V 2>&1 | head -n 1), $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2), hey"
    echo "- median of $ROUNDS rounds, ${SECONDS_PER_RUN} s each; higher is better everywhere"
    echo
    echo "| workload | cistern | nginx | varnish | Cistern ÷ best peer |"
    echo "|---|---|---|---|---|"
    for workload in blob manifest head; do
        c=$(median cistern "$workload"); n=$(median nginx "$workload"); v=$(median varnish "$workload")
        label=$(case $workload in blob) echo "GET 64 MiB blob, wrk -t2 -c8 [GiB/s]" ;; manifest) echo "GET manifest by digest, 4 types in Accept, wrk -t2 -c32 [req/s]" ;; head) echo "HEAD blob, hey -c32 [req/s]" ;; esac)
        ratio=$(awk -v c="$c" -v n="$n" -v v="$v" 'BEGIN { b = (n > v) ? n : v; who = (n > v) ? "nginx" : "varnish"; if (b > 0) printf "%.2f× (%s)", c / b, who; else print "n/a" }')
        echo "| $label | $c | $n | $v | $ratio |"
    done
} >"$RESULTS/report.md"
cat "$RESULTS/report.md"
echo "== results in $RESULTS"
