#!/usr/bin/env bash
# per-request.sh — what one HTTP request costs each server: syscalls, epoll waits, futex calls,
# context switches and user/system CPU, divided by the requests wrk completed.
#
#   scripts/per-request.sh [--quick] [--duration SECS] [--connections N] [--path /json]
#                          [--servers LIST] [--mode pinned|unpinned] [--reps N]
#
# pinned (default): server on cpu 1 in its current-thread flavour, wrk -t1 on cpu 0.
# unpinned: server with 2 workers, wrk -t2, no pinning (the raw mio loop is single-threaded).
# Uses `perf stat` with tracepoints (hardware counters are not available on these machines).
# CPU per request: the server's task-clock (perf) over the requests wrk completed, and its split
# into user and system time from the utime/stime deltas of /proc/PID/stat (clock ticks, usually
# 10 ms: a 5 s run at full load has ~500, so the split is good to about 1%).
# Each server runs REPS times (default 3), servers alternating A B C A B C; every column is the
# median over the reps (single runs of the pinned epoll_wait count swing by ~20%).
# Prints a markdown table, also written to target/per-request-MODE.md.
# --quick: one rep of 2 s per server instead of 3 of 5 (a smoke run, ~15 s). A full run takes
# ~1.5 min per mode.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
CONNECTIONS=100
URL_PATH=/json
SERVERS="tourbillon,tokio,mio"
MODE=pinned
REPS=3
args="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) DURATION=2; REPS=1 ;;
        --reps) REPS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --connections) CONNECTIONS="$2"; shift ;;
        --path) URL_PATH="$2"; shift ;;
        --servers) SERVERS="$2"; shift ;;
        --mode) MODE="$2"; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf; }
cargo build --release -q --example http-server --example http-server-tokio --example http-server-mio

binary() {
    case "$1" in
        tourbillon) echo target/release/examples/http-server ;;
        tokio) echo target/release/examples/http-server-tokio ;;
        mio) echo target/release/examples/http-server-mio ;;
    esac
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

CLK_TCK=$(getconf CLK_TCK)
EVENTS="raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,context-switches,task-clock"
mkdir -p target
TABLE=target/per-request-$MODE.md
RAW=$(mktemp)
trap 'rm -f "$RAW" /tmp/per-request-perf.$$' EXIT

# One measured run of server $1: appends "server requests rps utime stime <perf counts>" to $RAW.
measure() {
    local server=$1 port pid perf_pid out utime0 stime0 utime1 stime1
    port=$(free_port)
    if [ "$MODE" = pinned ]; then
        flavour=--current-thread; server_cpu=(taskset -c 1); wrk_cpu=(taskset -c 0); threads=1
    else
        flavour="--threads 2"; server_cpu=(); wrk_cpu=(); threads=2
    fi
    "${server_cpu[@]}" "$(binary "$server")" "127.0.0.1:$port" $flavour >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    wrk -t"$threads" -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port$URL_PATH" >/dev/null
    read -r utime0 stime0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    perf stat -x, -e "$EVENTS" -p "$pid" -o /tmp/per-request-perf.$$ &
    perf_pid=$!
    sleep 0.2
    out=$("${wrk_cpu[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$port$URL_PATH")
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    read -r utime1 stime1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$server" "$out" "$((utime1 - utime0))" "$((stime1 - stime0))" \
        /tmp/per-request-perf.$$ >>"$RAW" <<'PY'
import json, sys
server, out, utime, stime, perf = sys.argv[1:]
requests = rps = 0
for line in out.splitlines():
    if "requests in" in line:
        requests = int(line.split()[0])
    if line.startswith("Requests/sec"):
        rps = float(line.split()[1])
counts = {}
for line in open(perf):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[0] and parts[0][0].isdigit():
        counts[parts[2]] = float(parts[0])
print(json.dumps({"server": server, "requests": requests, "rps": rps, "utime": int(utime),
                  "stime": int(stime), "counts": counts}))
PY
}

# Servers alternate within each rep (A B C A B C ...), so drift hits them alike.
for _ in $(seq "$REPS"); do
    for server in ${SERVERS//,/ }; do
        measure "$server"
    done
done

{
echo "Command: \`scripts/per-request.sh $args\`; $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "commit $(git describe --always --dirty); ${DURATION} s of wrk -c$CONNECTIONS $URL_PATH per run;" \
    "$REPS rep(s) per server, servers alternating; medians over reps"
echo
echo "| server | mode | req/s | syscalls/req | epoll_wait/req | futex/req | ctx-switches/req | CPU µs/req | user µs/req | sys µs/req | user share |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$MODE" "$CLK_TCK" "$RAW" "$SERVERS" <<'PY'
import json, statistics, sys
mode, hz, raw, servers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
runs = [json.loads(line) for line in open(raw)]
def per_run(run):
    n = max(run["requests"], 1)
    per = lambda name: run["counts"].get(name, 0) / n
    return {
        "rps": run["rps"],
        "syscalls": per("raw_syscalls:sys_enter"),
        "epoll": per("syscalls:sys_enter_epoll_wait"),
        "futex": per("syscalls:sys_enter_futex"),
        "ctx": per("context-switches"),
        "cpu": run["counts"].get("task-clock", 0) * 1e3 / n,
        "user": run["utime"] / hz * 1e6 / n,
        "sys": run["stime"] / hz * 1e6 / n,
        "share": run["utime"] / max(run["utime"] + run["stime"], 1),
    }
for server in servers:
    rows = [per_run(r) for r in runs if r["server"] == server]
    m = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    print(f"| {server} | {mode} | {m['rps']:,.0f} | {m['syscalls']:.2f} | {m['epoll']:.3f} | "
          f"{m['futex']:.3f} | {m['ctx']:.3f} | {m['cpu']:.2f} | {m['user']:.2f} | "
          f"{m['sys']:.2f} | {m['share']:.0%} |")
PY
} | tee "$TABLE"
