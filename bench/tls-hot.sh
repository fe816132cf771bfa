#!/usr/bin/env bash
# bench/tls-hot.sh [--blob-mib N] [--seconds S] [--no-build]
# The hot blob path over TLS (issue 14, part 2): Cistern with a TLS listen address against
# nginx (proxy_cache, `listen ... ssl`), both with 2 workers pinned to CPU 0, both holding the
# blob already; wrk (HTTPS/1.1 keep-alive, one thread pinned to CPU 1) downloads it back to
# back with c = 1 and 16 connections for S seconds each (default 10). The same runs over plain HTTP give
# the cost of TLS for each. Prints a Markdown table: GiB/s, the server's CPU time per GiB
# served (user + system of the process and its children; robust on a shared CPU where
# throughput is not), latency p50/p99 per request (one whole blob), wrk's CPU share, and
# Cistern ÷ nginx for throughput and CPU per GiB. Same P-256 certificate for
# both; TLS 1.3 (wrk's OpenSSL default). Everything on 127.0.0.1; every process is stopped
# and every cache removed at the end. The kernel's kTLS availability is printed: without it
# both servers read the file and encrypt with SSL_write.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BLOB_MIB=64
SECONDS_PER_RUN=10
BUILD=1
while (($# > 0)); do
    case "$1" in
        --blob-mib) BLOB_MIB="$2"; shift ;;
        --seconds) SECONDS_PER_RUN="$2"; shift ;;
        --no-build) BUILD=0 ;;
        *) echo "usage: bench/tls-hot.sh [--blob-mib N] [--seconds S] [--no-build]" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
missing=()
for package in nginx wrk openssl curl python3; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    service nginx stop >/dev/null 2>&1 || true
fi
if ((BUILD)); then
    swift build -c release --scratch-path .build-bench --product cistern-bench 2>&1 | tail -n 1
    swift build -c release --scratch-path .build-bench --product cistern 2>&1 | tail -n 1
fi
BIN="$ROOT/.build-bench/release"

BASE=${BENCH_PORT_BASE:-18600}
ORIGIN=$((BASE + 60)); CISTERN_TLS=$((BASE + 61)); CISTERN_PLAIN=$((BASE + 62))
NGINX_PLAIN=$((BASE + 63)); NGINX_TLS=$((BASE + 64))
SERVER_CPU=0; CLIENT_CPU=1
if (($(nproc) < 2)); then CLIENT_CPU=0; fi
PIN=(taskset -c "$SERVER_CPU")
. "$ROOT/bench/lib.sh"
bench_workdir tls-hot
LOG_DIR=$WORK


BYTES=$((BLOB_MIB * 1024 * 1024))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/server.key" -out "$WORK/server.crt" 2>/dev/null

"${PIN[@]}" "$BIN/cistern-bench" origin --port "$ORIGIN" --blob-sizes "$BYTES" >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
start_cistern() {  # port name [tls flags...]
    local port=$1 name=$2
    shift 2
    "${PIN[@]}" "$BIN/cistern" serve --listen "127.0.0.1:$port" --upstream "http://127.0.0.1:$ORIGIN" \
        --cache-dir "$WORK/$name" --workers 2 --no-access-log --idle-timeout 600s "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
}
start_cistern "$CISTERN_TLS" cistern-tls --tls-certificate "$WORK/server.crt" --tls-key "$WORK/server.key"
CISTERN_TLS_PID=${PIDS[-1]}
start_cistern "$CISTERN_PLAIN" cistern-plain
CISTERN_PLAIN_PID=${PIDS[-1]}
mkdir -p "$WORK/nginx"
cp "$WORK/server.crt" "$WORK/server.key" "$WORK/nginx/"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PLAIN|g" -e "s|@TLS_PORT@|$NGINX_TLS|g" \
    -e "s|@ORIGIN_PORT@|$ORIGIN|g" -e "s|@WORKERS@|2|g" "$ROOT/bench/peers/nginx-tls.conf.in" >"$WORK/nginx/nginx.conf"
"${PIN[@]}" nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=($NGINX_PID)
for entry in "$ORIGIN origin" "$CISTERN_TLS cistern-tls" "$CISTERN_PLAIN cistern-plain" "$NGINX_PLAIN nginx" "$NGINX_TLS nginx"; do
    wait_for_port $entry
done

DIGEST=$(curl -sf "http://127.0.0.1:$ORIGIN/v2/bench/r0k/manifests/latest" | python3 -c "
import json, sys
print(next(l['digest'] for l in json.load(sys.stdin)['layers'] if l['size'] == $BYTES))")
BLOB_PATH="/v2/bench/r0k/blobs/$DIGEST"
# Warm every cache (the first GET fills it, the second must be a hit) and check the bytes.
for url in "https://127.0.0.1:$CISTERN_TLS" "http://127.0.0.1:$CISTERN_PLAIN" "http://127.0.0.1:$NGINX_PLAIN" "https://127.0.0.1:$NGINX_TLS"; do
    for _ in 1 2; do
        got=$(curl -sfk --cacert "$WORK/server.crt" "$url$BLOB_PATH" | sha256sum | cut -d' ' -f1)
        [[ "sha256:$got" == "$DIGEST" ]] || { echo "bench/tls-hot.sh: $url served wrong bytes ($got)" >&2; exit 1; }
    done
    sleep 0.5  # nginx moves its temp file into the cache after the response ends
done

echo "kTLS: $(grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || [[ -d /sys/module/tls ]] && echo offered || echo 'not offered (no tls module)'); $(grep -m1 'TLS: ' "$WORK/cistern-tls.log" | sed 's/.*TLS: //;s/ certificate=.*//')" >&2

# CPU ticks (user + system, 1/100 s) used so far by a process and its children's threads
# (nginx's workers): the server's cost per byte, which other work on a shared CPU does not
# change the way it changes throughput.
cpu_ticks() {  # pid
    local total=0 pid
    for pid in "$1" $(ps -o pid= --ppid "$1"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

run_wrk() {  # url connections server-pid -> "gib_per_s req_per_s p50_ms p99_ms wrk_cpu server_ms_per_gib errors"
    local out before after
    before=$(cpu_ticks "$3")
    out=$( { TIMEFORMAT='%P'; time taskset -c "$CLIENT_CPU" wrk -t1 -c"$2" -d"${SECONDS_PER_RUN}s" --timeout 60s --latency "$1$BLOB_PATH"; } 2>&1 )
    after=$(cpu_ticks "$3")
    python3 - "$BYTES" "$out" "$((after - before))" <<'PY'
import re, sys
text = sys.argv[2]
size = int(sys.argv[1])
server_ms = int(sys.argv[3]) * 10
def ms(v):
    m = re.match(r"([0-9.]+)(us|ms|s|m)", v)
    if not m:
        sys.stderr.write(text + "\n")
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
done = int(re.search(r"(\d+) requests in", text).group(1))
ms_per_gib = server_ms / (done * size / 2**30) if done else float("nan")
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", text)
errors = errors.group(0).replace(" ", "") if errors else ""
cpu = float(text.strip().splitlines()[-1]) / 100
print(f"{rps * size / 2**30:.2f} {rps:.1f} {p50:.1f} {p99:.1f} {cpu:.2f} {ms_per_gib:.0f} {errors}")
PY
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2); $(openssl version)" >&2
echo "| transport | c | Cistern GiB/s | nginx GiB/s | Cistern ÷ nginx | Cistern CPU ms/GiB | nginx CPU ms/GiB | CPU ratio | Cistern p50 / p99 ms | nginx p50 / p99 ms | wrk CPU (Cistern / nginx) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for transport in tls plain; do
    if [[ $transport == tls ]]; then c_url="https://127.0.0.1:$CISTERN_TLS"; n_url="https://127.0.0.1:$NGINX_TLS"; c_pid=$CISTERN_TLS_PID
    else c_url="http://127.0.0.1:$CISTERN_PLAIN"; n_url="http://127.0.0.1:$NGINX_PLAIN"; c_pid=$CISTERN_PLAIN_PID; fi
    for connections in 1 16; do
        read -r cg cr c50 c99 ccpu cms cerr < <(run_wrk "$c_url" "$connections" "$c_pid")
        read -r ng nr n50 n99 ncpu nms nerr < <(run_wrk "$n_url" "$connections" "$NGINX_PID")
        ratio=$(python3 -c "print(f'{$cg / $ng:.2f}' if $ng > 0 else 'n/a')")
        cpu_ratio=$(python3 -c "print(f'{$cms / $nms:.2f}' if $nms > 0 else 'n/a')")
        echo "| $transport | $connections | $cg | $ng | $ratio | $cms | $nms | $cpu_ratio | $c50 / $c99 | $n50 / $n99 | $ccpu / $ncpu |${cerr:+ Cistern $cerr}${nerr:+ nginx $nerr}"
    done
done
