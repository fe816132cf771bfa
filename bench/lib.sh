# bench/lib.sh: what the bench scripts share. Sourced (`. "$ROOT/bench/lib.sh"`), not run.

# bench_workdir NAME: WORK becomes a new /tmp/cistern-NAME.XXXXXX (mode 755, so servers that
# drop privileges can read it), PIDS an empty list; on exit every PID in PIDS is killed and
# waited for, then WORK is removed. A script may set its own EXIT trap afterwards that calls
# bench_cleanup.
bench_workdir() {
    WORK=$(mktemp -d "/tmp/cistern-$1.XXXXXX")
    chmod 755 "$WORK"
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# wait_for_port PORT NAME: waits up to 20 s for a listener on 127.0.0.1:PORT; otherwise says
# which server did not start (with the end of LOG_DIR/NAME.log when LOG_DIR is set) and
# exits 1.
wait_for_port() {
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "$(basename "$0"): $2 did not listen on $1${LOG_DIR:+; see $LOG_DIR/$2.log}" >&2
    if [[ -n "${LOG_DIR:-}" && -f "$LOG_DIR/$2.log" ]]; then tail -n 20 "$LOG_DIR/$2.log" >&2; fi
    exit 1
}

# configure TEMPLATE OUTPUT DIR PORT [WORKERS]: a peer's configuration from its template in
# bench/peers (@DIR@, @PORT@, @ORIGIN_PORT@ from $ORIGIN, @WORKERS@, default 1).
configure() {
    sed -e "s|@DIR@|$3|g" -e "s|@PORT@|$4|g" -e "s|@ORIGIN_PORT@|$ORIGIN|g" -e "s|@WORKERS@|${5:-1}|g" "$1" >"$2"
}
