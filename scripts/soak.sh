#!/usr/bin/env bash
# soak.sh — the http-server example under sustained load, watched for growth.
#
#   scripts/soak.sh [--quick] [--duration SECS] [--threads N | --current-thread]
#                   [--connections N] [--churn N] [--hold N] [--out DIR]
#
# Runs the release http-server (tourbillon) on a free port of 127.0.0.1 and, for DURATION
# seconds (default 600; --quick: 60):
#   - wrk keep-alive load: GET /plaintext on --connections connections (default 100);
#   - connection churn: a second wrk whose requests say `Connection: close`, so every request
#     opens and closes a connection, on --churn connections (default 20).
# Every second it samples the server's RSS (VmRSS), open descriptors (/proc/PID/fd) and threads
# (/proc/PID/status) into DIR/soak-STAMP.csv. After the load it checks that the descriptors
# fall back to their idle count, then runs examples/keepalive-client with --hold connections
# (default 10000) open at once, 5 requests each, every response checked, and checks the
# descriptors fall back again.
#
# It fails (exit 1) if:
#   - either wrk reports a socket error (connect, read, write, timeout) or a non-2xx answer;
#   - after the warm-up (the first sixth of the run, at least 5 s), the last third of the
#     samples peaks higher than the first third after the warm-up: RSS by more than 10% + 2 MiB,
#     descriptors by more than 10% + 16, threads at all;
#   - the descriptors are not back to the idle count within 10 s of the load ending;
#   - the keepalive-client reports a failed connection or a wrong response;
#   - the server dies.
# The verdict and a summary (requests, errors, RSS/fd/thread ranges) are printed at the end and
# written to DIR/soak-STAMP.md. Installs wrk with apt-get if it is missing.
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=600
CONNECTIONS=100
CHURN=20
HOLD=10000
FLAVOR=(--threads 2)
OUT="results"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) DURATION=60 ;;
        --duration) DURATION="$2"; shift ;;
        --threads) FLAVOR=(--threads "$2"); shift ;;
        --current-thread) FLAVOR=(--current-thread) ;;
        --connections) CONNECTIONS="$2"; shift ;;
        --churn) CHURN="$2"; shift ;;
        --hold) HOLD="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
    shift
done
for value in "$DURATION" "$CONNECTIONS" "$CHURN" "$HOLD"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "not a positive number: $value" >&2; exit 2; }
done

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v wrk >/dev/null; then
    log "wrk not found: installing it with apt-get"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk
fi
for tool in python3 cargo; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
# The server and the client each need a descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
CSV="$OUT/soak-$STAMP.csv"
REPORT="$OUT/soak-$STAMP.md"
RAW="$OUT/soak-$STAMP"
mkdir -p "$RAW"

log "building http-server and keepalive-client (release)"
cargo build --release --example http-server --example keepalive-client >"$RAW/build.log" 2>&1 ||
    { tail -n 20 "$RAW/build.log" >&2; exit 1; }
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR="127.0.0.1:$PORT"
"$TARGET_DIR/release/examples/http-server" "$ADDR" "${FLAVOR[@]}" >"$RAW/server.log" 2>&1 &
SERVER=$!
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}" "$SERVER"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
kill -0 "$SERVER" 2>/dev/null || { log "the server did not start: $(cat "$RAW/server.log")"; exit 1; }

fds() { ls "/proc/$SERVER/fd" 2>/dev/null | wc -l; }
status_field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER/status"; }
IDLE_FDS=$(fds)
log "server pid $SERVER on $ADDR (${FLAVOR[*]}), $IDLE_FDS descriptors idle"

# Waits up to 10 s for the descriptor count to return to the idle count; prints the last count.
settle_fds() {
    local now
    for _ in $(seq 100); do
        now=$(fds)
        [ "$now" -le "$IDLE_FDS" ] && break
        sleep 0.1
    done
    echo "$now"
}

log "load for ${DURATION}s: wrk -c$CONNECTIONS keep-alive, wrk -c$CHURN Connection: close"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://$ADDR/plaintext" >"$RAW/wrk-keepalive.txt" 2>&1 &
PIDS+=($!)
wrk -t1 -c"$CHURN" -d"${DURATION}s" -H "Connection: close" "http://$ADDR/json" \
    >"$RAW/wrk-churn.txt" 2>&1 &
PIDS+=($!)

echo "second,rss_kib,fds,threads" >"$CSV"
for second in $(seq "$DURATION"); do
    sleep 1
    kill -0 "$SERVER" 2>/dev/null || { log "the server died"; exit 1; }
    # Samples are of the server under load: stop once both wrk runs have ended.
    kill -0 "${PIDS[0]}" 2>/dev/null || kill -0 "${PIDS[1]}" 2>/dev/null || break
    echo "$second,$(status_field VmRSS),$(fds),$(status_field Threads)" >>"$CSV"
done
wait "${PIDS[@]}" || true
PIDS=()
AFTER_LOAD_FDS=$(settle_fds)

log "holding $HOLD keep-alive connections with keepalive-client"
HOLD_OK=1
"$TARGET_DIR/release/examples/keepalive-client" "$ADDR" --connections "$HOLD" --requests 5 \
    >"$RAW/keepalive-client.txt" 2>&1 || HOLD_OK=0
cat "$RAW/keepalive-client.txt" >&2
PEAK_RSS_AFTER_HOLD=$(status_field VmHWM)
AFTER_HOLD_FDS=$(settle_fds)
kill -0 "$SERVER" 2>/dev/null || { log "the server died"; exit 1; }

python3 - "$CSV" "$RAW" "$REPORT" "$DURATION" "$IDLE_FDS" "$AFTER_LOAD_FDS" "$AFTER_HOLD_FDS" \
    "$HOLD_OK" "$HOLD" "$PEAK_RSS_AFTER_HOLD" "${FLAVOR[*]}" "$CONNECTIONS" "$CHURN" <<'PY'
import csv, re, sys
(csv_path, raw, report, duration, idle_fds, after_load, after_hold, hold_ok, hold, hwm, flavor,
 conns, churn) = sys.argv[1:]
rows = [{k: int(v) for k, v in row.items()} for row in csv.DictReader(open(csv_path))]
failures = []

def wrk_summary(name):
    text = open(f"{raw}/wrk-{name}.txt").read()
    requests = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    n_errors = sum(map(int, errors.groups())) if errors else 0
    n_non2xx = int(non2xx.group(1)) if non2xx else 0
    if not requests:
        failures.append(f"wrk {name} printed no result")
    if n_errors or n_non2xx:
        failures.append(f"wrk {name}: {errors.group(0) if errors else ''} non-2xx {n_non2xx}")
    return int(requests.group(1)) if requests else 0, n_errors, n_non2xx

keepalive = wrk_summary("keepalive")
churn_sum = wrk_summary("churn")

warmup = max(5, len(rows) // 6)
steady = rows[warmup:]
third = max(1, len(steady) // 3)
first, last = steady[:third], steady[-third:]
def peak(rows, key): return max(r[key] for r in rows)
limits = {"rss_kib": lambda b: b * 1.10 + 2048, "fds": lambda b: b * 1.10 + 16, "threads": lambda b: b}
growth = []
for key, limit in limits.items():
    before, after = peak(first, key), peak(last, key)
    growth.append((key, before, after))
    if after > limit(before):
        failures.append(f"{key} grew after the warm-up: peak {before} in the first third, {after} in the last")
if int(after_load) > int(idle_fds):
    failures.append(f"descriptors {after_load} 10 s after the load, {idle_fds} idle")
if int(after_hold) > int(idle_fds):
    failures.append(f"descriptors {after_hold} 10 s after the keepalive-client, {idle_fds} idle")
if hold_ok != "1":
    failures.append("keepalive-client failed (see its output)")
client = open(f"{raw}/keepalive-client.txt").read().strip()

verdict = "PASS" if not failures else "FAIL"
lines = [
    f"# soak: {verdict}",
    "",
    f"http-server {flavor}, {duration} s of wrk -t1 -c{conns} keep-alive GET /plaintext plus "
    f"wrk -t1 -c{churn} `Connection: close` GET /json; samples every second, warm-up {warmup} s.",
    "",
    "| load | requests | socket errors | non-2xx |",
    "|---|---|---|---|",
    f"| keep-alive | {keepalive[0]} | {keepalive[1]} | {keepalive[2]} |",
    f"| churn | {churn_sum[0]} | {churn_sum[1]} | {churn_sum[2]} |",
    "",
    "| sample | min | peak, first third after warm-up | peak, last third |",
    "|---|---|---|---|",
]
for key, before, after in growth:
    lines.append(f"| {key} | {min(r[key] for r in steady)} | {before} | {after} |")
lines += [
    "",
    f"Descriptors: {idle_fds} idle, {after_load} after the load, {after_hold} after holding "
    f"{hold} connections. Peak RSS (VmHWM) over the whole run: {hwm} KiB.",
    "",
    client,
]
if failures:
    lines += ["", "Failures:"] + [f"- {f}" for f in failures]
open(report, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if not failures else 1)
PY
