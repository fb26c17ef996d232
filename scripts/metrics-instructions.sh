#!/usr/bin/env bash
# Instructions the metrics and the trace add per iteration of every scheduler benchmark, counted
# by callgrind: unlike wall time on the shared 2-core machine, an instruction count does not
# depend on the neighbours (PERF.md, "What they cost").
#
# Usage: scripts/metrics-instructions.sh [ITERATIONS (5)] [SCENARIO...]
#
# Builds examples/scheduler three ways, as scripts/metrics-overhead.sh does (`off`:
# TOURBILLON_METRICS_OFF=1; `metrics`: the default; `trace`: --features trace), runs each
# scenario (default: all six of benches/scheduler.rs) under `valgrind --tool=callgrind` with
# ITERATIONS and with twice as many iterations, on current-thread and on 2 workers, and prints
# the instructions of one iteration (the difference of the two runs over ITERATIONS, so
# start-up and shutdown cancel out) and the change against `off`. Current-thread is
# deterministic except where a scenario reads the clock (spawn_many_remote_busy's busy tasks
# spin for 10 µs); with 2 workers valgrind runs one thread at a time, and spins, steals and
# parks vary from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts="$PWD/scripts"

iterations="${1:-5}"
shift || true
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    scenarios=(spawn_many_local spawn_many_remote_idle spawn_many_remote_busy yield_many
        ping_pong chained_spawn)
fi
work="target/metrics-instructions"
mkdir -p "$work"

build() { # variant, cargo args...
    local variant="$1"
    shift
    local exe
    exe=$(cargo build --release --example scheduler --message-format=json "$@" 2>/dev/null | "$scripts/cargo-executable" scheduler)
    cp "$exe" "$work/scheduler-$variant"
}

echo "building the three variants" >&2
TOURBILLON_METRICS_OFF=1 build off
build metrics
build trace --features trace

instructions() { # variant, scenario, iterations, runtime flags...
    local variant="$1" scenario="$2" k="$3"
    shift 3
    local out="$work/callgrind.$variant.$scenario.$k.$*"
    out="${out// /_}"
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$work/scheduler-$variant" --scenario "$scenario" --iterations "$k" "$@" \
        >/dev/null 2>"$out.log"
    grep -E '^summary:|^totals:' "$out" | head -1 | awk '{print $2}'
}

echo "Command: \`scripts/metrics-instructions.sh $iterations${*:+ $*}\`;" \
    "date $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git describe --always --dirty);" \
    "valgrind $(valgrind --version)"
echo
echo "| scenario | off: instructions per iteration | metrics | trace | metrics vs off | trace vs off |"
echo "|---|---|---|---|---|---|"
for flavor in "--current-thread" "--threads 2"; do
    for scenario in "${scenarios[@]}"; do
        echo "$scenario $flavor" >&2
        declare -A per
        for variant in off metrics trace; do
            # shellcheck disable=SC2086
            once=$(instructions "$variant" "$scenario" "$iterations" $flavor)
            # shellcheck disable=SC2086
            twice=$(instructions "$variant" "$scenario" $((2 * iterations)) $flavor)
            per[$variant]=$(((twice - once) / iterations))
        done
        name="$scenario/$([ "$flavor" = --current-thread ] && echo current_thread || echo multi_thread)"
        python3 -c "
off, m, t = ${per[off]}, ${per[metrics]}, ${per[trace]}
print(f'| $name | {off:,} | {m:,} | {t:,} | {(m / off - 1) * 100:+.2f}% | {(t / off - 1) * 100:+.2f}% |')"
    done
done
