#!/usr/bin/env bash
# per-request.sh — what one HTTP request costs each server: syscalls (all, and the epoll waits,
# futex calls, socket writes and socket reads among them), context switches and user/system CPU,
# divided by the requests the load generator completed.
#
#   scripts/per-request.sh [--quick] [--duration SECS] [--connections N] [--path PATH]
#                          [--servers LIST] [--mode pinned|unpinned] [--reps N] [--h2]
#
# Servers: tourbillon, tokio and mio (the root crate's http-server examples), hyper and
# hyper-tokio (tourbillon-hyper's hyper-server and hyper-server-tokio).
# --h2: HTTP/2 with prior knowledge (h2c) driven by h2load with 10 concurrent streams per
# connection, as `scripts/wrk-compare.sh --loads h2` runs it, instead of HTTP/1.1 under wrk;
# only the hyper servers speak it (`--h2 --servers hyper,hyper-tokio`). Its default path is
# /plaintext (wrk-compare.sh's h2 load), HTTP/1.1's /json.
# Writes are write+writev+sendto, reads read+recvfrom (tokio receives with recvfrom, tourbillon
# and mio with read), so the columns compare across runtimes; both include the reactor's eventfd
# (a wake writes it, the woken poll reads it), the futex column the parker's wakes and waits.
#
# pinned (default): server on cpu 1 in its current-thread flavour, wrk -t1 on cpu 0.
# unpinned: server with 2 workers, wrk -t2, no pinning (the raw mio loop is single-threaded).
# Uses `perf stat` with tracepoints (hardware counters are not available on these machines).
# CPU per request: the server's task-clock (perf) over the requests wrk completed, and its split
# into user and system time from the utime/stime deltas of /proc/PID/stat (clock ticks, usually
# 10 ms: a 5 s run at full load has ~500, so the split is good to about 1%).
# Each server runs REPS times (default 3), servers alternating A B C A B C; every column is the
# median over the reps (single runs of the pinned epoll_wait count swing by ~20%).
# Prints a markdown table, also written to target/per-request-MODE.md (-MODE-h2.md with --h2).
# --quick: one rep of 2 s per server instead of 3 of 5 (a smoke run, ~15 s). A full run takes
# ~1.5 min per mode.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
CONNECTIONS=100
URL_PATH=""
SERVERS="tourbillon,tokio,mio"
MODE=pinned
REPS=3
H2=0
H2_STREAMS=10
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
        --h2) H2=1 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
# wrk-compare.sh's h2 load asks for /plaintext; the HTTP/1.1 tables are of /json.
[ -n "$URL_PATH" ] || { [ "$H2" = 1 ] && URL_PATH=/plaintext || URL_PATH=/json; }

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf; }
[ "$H2" = 0 ] || command -v h2load >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq nghttp2-client; }

# The example a server runs and the workspace member it belongs to.
example() {
    case "$1" in
        tourbillon) echo http-server ;;
        tokio|mio) echo "http-server-$1" ;;
        hyper) echo hyper-server ;;
        hyper-tokio) echo hyper-server-tokio ;;
        *) echo "unknown server '$1' (known: tourbillon, tokio, mio, hyper, hyper-tokio)" >&2
           exit 2 ;;
    esac
}
package() {
    case "$1" in
        hyper|hyper-tokio) echo tourbillon-hyper ;;
        *) echo tourbillon ;;
    esac
}
for server in ${SERVERS//,/ }; do
    [ "$H2" = 0 ] || [[ "$server" == hyper* ]] ||
        { echo "--h2: only the hyper servers speak HTTP/2, not '$server'" >&2; exit 2; }
    cargo build --release -q -p "$(package "$server")" --example "$(example "$server")"
done
binary() { echo "target/release/examples/$(example "$1")"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

CLK_TCK=$(getconf CLK_TCK)
SOCKET_WRITES="syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto"
SOCKET_READS="syscalls:sys_enter_read,syscalls:sys_enter_recvfrom"
EVENTS="raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,\
$SOCKET_WRITES,$SOCKET_READS,context-switches,task-clock"
mkdir -p target
TABLE=target/per-request-$MODE.md
[ "$H2" = 0 ] || TABLE=target/per-request-$MODE-h2.md
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$(mktemp)
trap 'rm -f "$RAW" /tmp/per-request-perf.$$' EXIT

# client THREADS SECONDS PORT: the load, on measure's load CPU; prints wrk's report, or h2load's
# with --h2.
client() {
    if [ "$H2" = 1 ]; then
        "${wrk_cpu[@]}" h2load -t"$1" -c"$CONNECTIONS" -m"$H2_STREAMS" -D "$2" "http://127.0.0.1:$3$URL_PATH"
    else
        "${wrk_cpu[@]}" wrk -t"$1" -c"$CONNECTIONS" -d"$2s" "http://127.0.0.1:$3$URL_PATH"
    fi
}

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
    client "$threads" 1 "$port" >/dev/null
    read -r utime0 stime0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    perf stat -x, -e "$EVENTS" -p "$pid" -o /tmp/per-request-perf.$$ &
    perf_pid=$!
    sleep 0.2
    out=$(client "$threads" "$DURATION" "$port")
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    read -r utime1 stime1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$server" "$out" "$((utime1 - utime0))" "$((stime1 - stime0))" \
        /tmp/per-request-perf.$$ >>"$RAW" <<'PY'
import json, sys
server, out, utime, stime, perf = sys.argv[1:]
requests = rps = 0
for line in out.splitlines():
    if "requests in" in line:  # wrk
        requests = int(line.split()[0])
    if line.startswith("Requests/sec"):
        rps = float(line.split()[1])
    if line.startswith("requests:"):  # h2load: "requests: N total, ..., S succeeded, ..."
        requests = int(line.split()[7])
    if line.startswith("finished in"):  # h2load: "finished in 5.00s, R req/s, ..."
        rps = float(line.split()[3])
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
if [ "$H2" = 1 ]; then load="h2load -c$CONNECTIONS -m$H2_STREAMS"; else load="wrk -c$CONNECTIONS"; fi
echo "Command: \`scripts/per-request.sh $args\`; $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "commit $(git describe --always --dirty); ${DURATION} s of $load $URL_PATH per run;" \
    "$REPS rep(s) per server, servers alternating; medians over reps; load average before:" \
    "$LOADAVG"
echo
echo "| server | mode | req/s | syscalls/req | epoll_wait/req | futex/req | writes/req | reads/req | ctx-switches/req | CPU µs/req | user µs/req | sys µs/req | user share |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$MODE" "$CLK_TCK" "$RAW" "$SERVERS" "$SOCKET_WRITES" "$SOCKET_READS" <<'PY'
import json, statistics, sys
mode, hz, raw, servers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
socket_writes, socket_reads = sys.argv[5].split(","), sys.argv[6].split(",")
runs = [json.loads(line) for line in open(raw)]
def per_run(run):
    n = max(run["requests"], 1)
    per = lambda name: run["counts"].get(name, 0) / n
    return {
        "rps": run["rps"],
        "syscalls": per("raw_syscalls:sys_enter"),
        "epoll": per("syscalls:sys_enter_epoll_wait"),
        "futex": per("syscalls:sys_enter_futex"),
        "writes": sum(per(name) for name in socket_writes),
        "reads": sum(per(name) for name in socket_reads),
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
          f"{m['futex']:.3f} | {m['writes']:.3f} | {m['reads']:.3f} | {m['ctx']:.3f} | "
          f"{m['cpu']:.2f} | {m['user']:.2f} | "
          f"{m['sys']:.2f} | {m['share']:.0%} |")
PY
} | tee "$TABLE"
