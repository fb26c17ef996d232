#!/usr/bin/env bash
# Instructions the metrics and the trace add per unit of work, counted by callgrind: unlike wall
# time on the shared 2-core machine, an instruction count does not depend on the neighbours
# (PERF.md, "Metrics and trace overhead").
#
# Usage: scripts/metrics-instructions.sh [ITERATIONS (5)]
#
# Builds examples/ping-pong three ways, as scripts/metrics-overhead.sh does (`off`:
# TOURBILLON_METRICS_OFF=1; `metrics`: the default; `trace`: --features trace), runs each under
# `valgrind --tool=callgrind` with ITERATIONS and with twice as many iterations of the
# ping_pong shape (1,000 pairs), on current-thread and on 2 workers, and prints the
# instructions of one iteration (the difference of the two runs over ITERATIONS, so start-up
# and shutdown cancel out) and the change against `off`. Current-thread is deterministic;
# with 2 workers valgrind runs one thread at a time, and spins and steals vary from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations="${1:-5}"
work="target/metrics-instructions"
mkdir -p "$work"

build() { # variant, cargo args...
    local variant="$1"
    shift
    local exe
    exe=$(cargo build --release --example ping-pong --message-format=json "$@" 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "ping-pong":
        print(m["executable"])')
    cp "$exe" "$work/ping-pong-$variant"
}

echo "building the three variants" >&2
TOURBILLON_METRICS_OFF=1 build off
build metrics
build trace --features trace

instructions() { # variant, iterations, runtime flags...
    local variant="$1" k="$2"
    shift 2
    local out="$work/callgrind.$variant.$k.$*"
    out="${out// /_}"
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$work/ping-pong-$variant" --iterations "$k" "$@" >/dev/null 2>"$out.log"
    grep -E '^summary:|^totals:' "$out" | head -1 | awk '{print $2}'
}

echo "Command: \`scripts/metrics-instructions.sh $iterations\`; date $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "commit $(git describe --always --dirty); valgrind $(valgrind --version)"
echo
echo "| runtime | off: instructions per iteration | metrics | trace | metrics vs off | trace vs off |"
echo "|---|---|---|---|---|---|"
for flavor in "--current-thread" "--threads 2"; do
    declare -A per
    for variant in off metrics trace; do
        # shellcheck disable=SC2086
        once=$(instructions "$variant" "$iterations" $flavor)
        # shellcheck disable=SC2086
        twice=$(instructions "$variant" $((2 * iterations)) $flavor)
        per[$variant]=$(( (twice - once) / iterations ))
    done
    python3 -c "
off, m, t = ${per[off]}, ${per[metrics]}, ${per[trace]}
print(f'| ping_pong {\"$flavor\".lstrip(\"-\")} | {off:,} | {m:,} | {t:,} | {(m / off - 1) * 100:+.2f}% | {(t / off - 1) * 100:+.2f}% |')"
done
