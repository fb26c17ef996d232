#!/usr/bin/env bash
# per-request.sh — what one HTTP request costs each server: syscalls, epoll waits, futex calls,
# context switches and user/system CPU, divided by the requests wrk completed.
#
#   scripts/per-request.sh [--quick] [--duration SECS] [--connections N] [--path /json]
#                          [--servers LIST] [--mode pinned|unpinned]
#
# pinned (default): server on cpu 1 in its current-thread flavour, wrk -t1 on cpu 0.
# unpinned: server with 2 workers, wrk -t2, no pinning (the raw mio loop is single-threaded).
# Uses `perf stat` with tracepoints (hardware counters are not available on these machines).
# CPU per request: the server's task-clock (perf) over the requests wrk completed, and its split
# into user and system time from the utime/stime deltas of /proc/PID/stat (clock ticks, usually
# 10 ms: a 5 s run at full load has ~500, so the split is good to about 1%).
# Prints a markdown table, also written to target/per-request-MODE.md.
# --quick: 2 s per server instead of 5 (a smoke run, ~15 s). A full run takes ~30 s per mode.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
CONNECTIONS=100
URL_PATH=/json
SERVERS="tourbillon,tokio,mio"
MODE=pinned
args="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) DURATION=2 ;;
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
{
echo "Command: \`scripts/per-request.sh $args\`; $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "commit $(git describe --always --dirty); ${DURATION} s of wrk -c$CONNECTIONS $URL_PATH per server"
echo
echo "| server | mode | req/s | syscalls/req | epoll_wait/req | futex/req | ctx-switches/req | CPU µs/req | user µs/req | sys µs/req | user share |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for server in ${SERVERS//,/ }; do
    port=$(free_port)
    if [ "$MODE" = pinned ]; then
        flavour=--current-thread; server_cpu=(taskset -c 1); wrk_cpu=(taskset -c 0); threads=1
    else
        flavour="--threads 2"; server_cpu=(); wrk_cpu=(); threads=2
    fi
    # shellcheck disable=SC2086
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
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    python3 - "$server" "$MODE" "$requests" "$rps" "$((utime1 - utime0))" "$((stime1 - stime0))" \
        "$CLK_TCK" /tmp/per-request-perf.$$ <<'PY'
import sys
server, mode, requests, rps, utime, stime, hz, perf = sys.argv[1:]
requests = int(requests); utime = int(utime); stime = int(stime); hz = int(hz)
counts = {}
for line in open(perf):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[0] and parts[0][0].isdigit():
        counts[parts[2]] = float(parts[0])
per = lambda name: counts.get(name, 0) / requests
# task-clock is in milliseconds (msec) of CPU time.
cpu_us = counts.get("task-clock", 0) * 1e3 / requests
user_us = utime / hz * 1e6 / requests
sys_us = stime / hz * 1e6 / requests
user = utime / max(utime + stime, 1)
print(f"| {server} | {mode} | {float(rps):,.0f} | {per('raw_syscalls:sys_enter'):.2f} | "
      f"{per('syscalls:sys_enter_epoll_wait'):.3f} | {per('syscalls:sys_enter_futex'):.3f} | "
      f"{per('context-switches'):.3f} | {cpu_us:.2f} | {user_us:.2f} | {sys_us:.2f} | {user:.0%} |")
PY
    rm -f /tmp/per-request-perf.$$
done
} | tee "$TABLE"
