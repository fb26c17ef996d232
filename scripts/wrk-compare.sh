#!/usr/bin/env bash
# wrk-compare.sh — the HTTP servers of examples/ side by side under wrk, in one run.
#
#   scripts/wrk-compare.sh [--quick] [--servers tourbillon,tokio,mio,threads] [--reps N]
#                          [--duration SECS] [--connections 100,500]
#                          [--loads json,plaintext,pipeline,h2] [--modes pinned,capped,unpinned]
#                          [--cap PCT] [--out DIR] [--publish DIR]
#
# Modes (each server runs as a separate process on 127.0.0.1, on a fresh free port):
#   pinned    one core each: server on cpu 1 (taskset -c 1), wrk -t1 on cpu 0.
#             tourbillon --current-thread, tokio --current-thread, and the raw mio loop (the
#             ceiling for one core).
#   capped    pinned, and the server's cgroup gets PCT% of a core (default 50; a CFS quota of
#             PCT/10 ms every 10 ms). Pinned, wrk saturates cpu 0 before any server saturates
#             cpu 1, so req/s is wrk's rate; capped, the server is the bottleneck and req/s is
#             its own. Needs a writable cgroup cpu controller (v1 or v2, as root); without one
#             the mode is dropped with a note.
#   unpinned  both cores shared by server and wrk -t2: tourbillon --threads 2, tokio --threads 2,
#             and the thread-per-connection std server.
# Optional servers (not in the default list; name them in --servers): hyper (hyper 1.x on
# tourbillon, tourbillon-hyper's examples/hyper-server) and hyper-tokio (the same service on
# hyper-util's tokio adapters, examples/hyper-server-tokio); they run in every mode, with the
# same flags as tourbillon and tokio, and their "× tokio" is over hyper-tokio.
# A server written NAME@N (tourbillon@1024, tokio@64) runs with `--events-per-tick N`: its
# reactor takes at most N events per turn (`Builder::max_io_events_per_tick`); it is measured as
# a server of its own, beside NAME at its default.
# Loads: GET /json, GET /plaintext, and /plaintext pipelined 16 deep (scripts/pipeline.lua).
# Optional load h2 (not in the default list): GET /plaintext over HTTP/2 with prior knowledge
# (h2c), driven by h2load (Debian's nghttp2-client, installed if missing) with 10 concurrent
# streams per connection; only the hyper servers speak HTTP/2, so only they run it. h2load
# gives no latency percentiles: those cells stay empty.
# Each scenario (mode × connections × load) runs its servers alternately, A B C A B C ..., so
# slow drift of a shared machine spreads over all of them. Each run: start the server, wait until
# it accepts, warm up 1 s, run wrk --latency, read the server's peak RSS (VmHWM) and CPU time
# and wrk's own CPU time (which says who was the bottleneck), stop it.
#
# Output: DIR/wrk-YYYYMMDD-HHMMSS.{md,csv,svg} (default DIR: results/) — the markdown table of
# medians (req/s, ratio to tokio and to raw mio, p50/p99 latency, peak RSS), the raw per-run CSV,
# and a bar chart. Raw wrk outputs stay in DIR/wrk-YYYYMMDD-HHMMSS/. The table's paths are printed
# at the end. A server whose example fails to build is skipped, with a note.
# --publish DIR (PERF.md's runs use `--publish perf`): also copy the table and the chart to
# DIR/wrk.md and DIR/wrk.svg, the committed files PERF.md embeds.
#
# --quick: -c100 only, 1 rep of 2 s after a 0.5 s warm-up: about a minute of measuring (plus the
# release build). The full run: 3 reps of 5 s, -c100 and -c500, about 18 minutes.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

SERVERS="tourbillon,tokio,mio,threads"
REPS=3
DURATION=5
WARMUP=1
CONNECTIONS="100,500"
LOADS="json,plaintext,pipeline"
MODES="pinned,capped,unpinned"
CAP=50
OUT="results"
PUBLISH=""
PIPELINE_DEPTH=16
H2_STREAMS=10

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) REPS=1; DURATION=2; WARMUP=0.5; CONNECTIONS="100" ;;
        --servers) SERVERS="$2"; shift ;;
        --reps) REPS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --connections) CONNECTIONS="$2"; shift ;;
        --loads) LOADS="$2"; shift ;;
        --modes) MODES="$2"; shift ;;
        --cap) CAP="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --publish) PUBLISH="$2"; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
    shift
done

log() { printf '[wrk-compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "wrk not found: installing it with apt-get"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk
fi
if [[ ",$LOADS," == *",h2,"* ]] && ! command -v h2load >/dev/null; then
    log "h2load not found: installing it (nghttp2-client) with apt-get"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nghttp2-client
fi
for tool in taskset python3 cargo; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
drop_mode() {
    log "dropping the $1 mode: $2"
    MODES=$(echo ",$MODES," | sed "s/,$1,/,/; s/^,//; s/,\$//")
}
[[ "$CAP" =~ ^[0-9]+$ ]] && [ "$CAP" -ge 1 ] && [ "$CAP" -le 100 ] ||
    { echo "--cap takes a percentage of one core, 1 to 100" >&2; exit 2; }
if [ "$(nproc)" -lt 2 ]; then
    for mode in pinned capped; do
        [[ ",$MODES," != *",$mode,"* ]] || drop_mode "$mode" "fewer than 2 CPUs"
    done
fi
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STAMP=$(date -u +%Y%m%d-%H%M%S)
RAW="$OUT/wrk-$STAMP"
mkdir -p "$RAW"

# --- build once --------------------------------------------------------------------------------
# The example a server runs: tourbillon -> http-server, tokio@64 -> http-server-tokio,
# hyper -> hyper-server, hyper-tokio -> hyper-server-tokio.
example_of() {
    local base=${1%@*}
    case "$base" in
        tourbillon) echo http-server ;;
        hyper) echo hyper-server ;;
        hyper-tokio) echo hyper-server-tokio ;;
        *) echo "http-server-$base" ;;
    esac
}

# The workspace member whose examples/ holds a server's example: the hyper servers live in
# tourbillon-hyper (hyper stays out of the core crate), the others in the root crate.
package_of() {
    case "${1%@*}" in
        hyper|hyper-tokio) echo tourbillon-hyper ;;
        *) echo tourbillon ;;
    esac
}

declare -A BUILT=()
for server in ${SERVERS//,/ }; do
    case "$server" in
        tourbillon|tokio|mio|threads|hyper|hyper-tokio) ;;
        tourbillon@[1-9]*|tokio@[1-9]*|hyper@[1-9]*|hyper-tokio@[1-9]*)
            [[ "${server#*@}" =~ ^[0-9]+$ ]] || { echo "bad events per tick in '$server'" >&2; exit 2; } ;;
        *) echo "unknown server '$server' (known: tourbillon, tokio, mio, threads, hyper," \
                "hyper-tokio; NAME@N for N events per tick, NAME one of tourbillon, tokio," \
                "hyper, hyper-tokio)" >&2; exit 2 ;;
    esac
    [ -z "${BUILT[${server%@*}]:-}" ] || { BUILT[$server]=1; continue; }
    example=$(example_of "$server")
    package=$(package_of "$server")
    source_dir=examples
    [ "$package" = tourbillon ] || source_dir="$package/examples"
    if [ ! -f "$source_dir/$example.rs" ]; then
        log "SKIPPING $server: there is no $source_dir/$example.rs"
        continue
    fi
    log "building $example (release)"
    if cargo build --release -p "$package" --example "$example" >"$RAW/build-$example.log" 2>&1; then
        BUILT[$server]=1; BUILT[${server%@*}]=1
    else
        tail -n 20 "$RAW/build-$example.log" >&2
        log "SKIPPING $server: $source_dir/$example.rs failed to build (log: $RAW/build-$example.log)"
    fi
done
[ ${#BUILT[@]} -gt 0 ] || { echo "no server built" >&2; exit 1; }
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

# --- one run -----------------------------------------------------------------------------------
CSV="$OUT/wrk-$STAMP.csv"
echo "mode,connections,load,server,rep,wrk_output,peak_rss_kb,utime_ticks,stime_ticks,alive,\
wrk_wall_s,wrk_user_s,wrk_sys_s" >"$CSV"
CLK_TCK=$(getconf CLK_TCK)
TIMEFORMAT='%R,%U,%S' # what `time` prints of the measured wrk: wall, user, system seconds

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime of a process, in clock ticks: "utime stime".
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat" 2>/dev/null || echo "0 0"; }

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
cleanup() {
    stop_server
    if [ -n "$CGROUP" ]; then rmdir "$CGROUP" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

# --- the capped mode's cgroup ------------------------------------------------------------------
# A cgroup of our own whose CFS quota is CAP% of one core; a capped server starts inside it.
CGROUP=""
make_cgroup() {
    local dir quota=$((CAP * 100)) period=10000
    if grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then # cgroup v2
        dir=/sys/fs/cgroup/wrk-compare-$$
        mkdir "$dir" 2>/dev/null || return 1
        CGROUP=$dir
        echo "$quota $period" >"$dir/cpu.max" 2>/dev/null || return 1
    elif [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then # cgroup v1
        dir=/sys/fs/cgroup/cpu/wrk-compare-$$
        mkdir "$dir" 2>/dev/null || return 1
        CGROUP=$dir
        echo "$period" >"$dir/cpu.cfs_period_us" 2>/dev/null || return 1
        echo "$quota" >"$dir/cpu.cfs_quota_us" 2>/dev/null || return 1
    else
        return 1
    fi
}
if [[ ",$MODES," == *",capped,"* ]]; then
    if ! make_cgroup; then
        [ -z "$CGROUP" ] || rmdir "$CGROUP" 2>/dev/null || true
        CGROUP=""
        drop_mode capped "no writable cgroup cpu controller (it needs root)"
    fi
    [ -z "$CGROUP" ] || log "capped servers run in $CGROUP at $CAP% of one core"
fi

# client SECONDS [WRK_FLAGS...]: the load generator of run_one's run (it reads run_one's locals),
# on the load generator's CPU: h2load for the h2 load, wrk for the others.
client() {
    local seconds=$1
    shift
    if [ "$load" = h2 ]; then
        # shellcheck disable=SC2086
        $wrk_cpu h2load -t"$wrk_threads" -c"$conns" -m"$H2_STREAMS" \
            -D "$(awk -v s="$seconds" 'BEGIN { print int(s * 1000) }')ms" "$url"
    else
        # shellcheck disable=SC2086
        $wrk_cpu wrk -t"$wrk_threads" -c"$conns" -d"${seconds}s" "$@" "${script[@]}" "$url" \
            "${extra[@]}"
    fi
}

# run_one MODE CONNECTIONS LOAD SERVER REP
run_one() {
    local mode=$1 conns=$2 load=$3 server=$4 rep=$5
    local bin args server_cpu wrk_cpu wrk_threads port url script=() cgroup=()
    bin="$TARGET_DIR/release/examples/$(example_of "$server")"
    if [ "$mode" = unpinned ]; then
        server_cpu=""; wrk_cpu=""; wrk_threads=2
        args="--threads 2"
    else
        server_cpu="taskset -c 1"; wrk_cpu="taskset -c 0"; wrk_threads=1
        args="--current-thread"
    fi
    # The shell joins the cgroup and then becomes the server, so every server thread is born in it.
    if [ "$mode" = capped ]; then
        cgroup=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROUP")
    fi
    port=$(free_port)
    case "$load" in
        json) url="http://127.0.0.1:$port/json" ;;
        plaintext) url="http://127.0.0.1:$port/plaintext" ;;
        pipeline) url="http://127.0.0.1:$port/plaintext"
                  script=(-s "$ROOT/scripts/pipeline.lua") ;;
        h2) url="http://127.0.0.1:$port/plaintext" ;;
    esac
    local extra=()
    [ "$load" = pipeline ] && extra=(-- "$PIPELINE_DEPTH")

    [[ "$server" == *@* ]] && args="$args --events-per-tick ${server#*@}"

    # shellcheck disable=SC2086 # $server_cpu and $args are word lists on purpose
    "${cgroup[@]}" $server_cpu "$bin" "127.0.0.1:$port" $args >"$RAW/server-$server.log" 2>&1 &
    SERVER_PID=$!
    local waited=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        sleep 0.05
        waited=$((waited + 1))
        if [ $waited -gt 200 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "$server did not start on port $port; see $RAW/server-$server.log"
            stop_server
            return 1
        fi
    done

    client "$WARMUP" >/dev/null 2>&1 || true
    local before after output="$mode-c$conns-$load-$server-$rep.txt"
    before=$(cpu_ticks "$SERVER_PID")
    { time client "$DURATION" --latency >"$RAW/$output" 2>&1 || true; } 2>"$RAW/$output.time"
    after=$(cpu_ticks "$SERVER_PID")
    local alive=1 rss
    kill -0 "$SERVER_PID" 2>/dev/null || alive=0
    rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    stop_server
    read -r u0 s0 <<<"$before"
    read -r u1 s1 <<<"$after"
    local wrk_time
    wrk_time=$(tail -n 1 "$RAW/$output.time")
    echo "$mode,$conns,$load,$server,$rep,$output,${rss:-0},$((u1 - u0)),$((s1 - s0)),$alive,\
$wrk_time" >>"$CSV"
    log "$(printf '%-9s c%-4s %-9s %-10s rep %s: %s req/s' "$mode" "$conns" "$load" "$server" \
        "$rep" "$(awk '/^Requests\/sec:/ { print $2 } /^finished in/ { print $4 }' "$RAW/$output")")"
}

# The built servers that run in MODE, in the order --servers gave them (no mio loop unpinned, no
# thread-per-connection server pinned or capped).
servers_for() {
    local mode=$1 skip list=""
    if [ "$mode" = unpinned ]; then skip=mio; else skip=threads; fi
    for server in ${SERVERS//,/ }; do
        [ "$server" != "$skip" ] && [ -n "${BUILT[$server]:-}" ] && list="$list $server"
    done
    echo "$list"
}

# --- all runs ----------------------------------------------------------------------------------
START=$(date +%s)
for mode in ${MODES//,/ }; do
    servers=$(servers_for "$mode")
    [ -n "$servers" ] || { log "no built server for $mode mode"; continue; }
    for conns in ${CONNECTIONS//,/ }; do
        for load in ${LOADS//,/ }; do
            for rep in $(seq 1 "$REPS"); do
                for server in $servers; do
                    # Only the hyper servers speak HTTP/2.
                    [ "$load" != h2 ] || [[ "${server%@*}" == hyper* ]] || continue
                    run_one "$mode" "$conns" "$load" "$server" "$rep" || true
                done
            done
        done
    done
done
log "measured for $(( $(date +%s) - START )) s"

python3 "$ROOT/scripts/wrk_report.py" "$CSV" \
    --raw "$RAW" --clk-tck "$CLK_TCK" --duration "$DURATION" \
    --pipeline-depth "$PIPELINE_DEPTH" --h2-streams "$H2_STREAMS" --reps "$REPS" --cap "$CAP"

if [ -n "$PUBLISH" ]; then
    mkdir -p "$PUBLISH"
    cp "$OUT/wrk-$STAMP.svg" "$PUBLISH/wrk.svg"
    sed "s|(wrk-$STAMP.svg)|(wrk.svg)|" "$OUT/wrk-$STAMP.md" >"$PUBLISH/wrk.md"
    log "published $PUBLISH/wrk.md and $PUBLISH/wrk.svg"
fi
