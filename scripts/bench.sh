#!/usr/bin/env bash
# Runs the criterion benches (tourbillon vs tokio) and prints PERF.md's markdown table.
#
# Usage: scripts/bench.sh [--quick] [--bench NAME]... [FILTER]
#   --quick       short warm-up and measurement (0.2 s + 0.5 s, 10 samples): a smoke run, not a
#                 number for PERF.md
#   --bench NAME  only this bench target (repeatable); default: every [[bench]] in Cargo.toml
#   FILTER        criterion's filter, a regex on "group/function", e.g. 'ping_pong|chained'
#
# The table covers only the results this run wrote. It goes to stdout and to
# target/bench-table.md, headed by the date, the commit, nproc and the load average (on the
# shared 2-core machine a load above ~1.5 before the run means the numbers are noise).
set -euo pipefail
cd "$(dirname "$0")/.."

args="$*"
quick=()
benches=()
filter=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--warm-up-time 0.2 --measurement-time 0.5 --sample-size 10) ;;
        --bench) benches+=("$2"); shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) filter=("$1") ;;
    esac
    shift
done
if [ ${#benches[@]} -eq 0 ]; then
    # Every [[bench]] target: the line after each `[[bench]]` header is its name.
    mapfile -t benches < <(awk '/^\[\[bench\]\]/ { getline; gsub(/name *= *|"/, ""); print }' Cargo.toml)
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
bench_args=()
for bench in "${benches[@]}"; do
    bench_args+=(--bench "$bench")
done
cargo bench "${bench_args[@]}" -- "${quick[@]}" "${filter[@]}"

{
    echo "Command: \`scripts/bench.sh $args\` (\`cargo bench ${bench_args[*]} -- ${quick[*]} ${filter[*]}\`)"
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git describe --always --dirty);" \
        "nproc $(nproc); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    python3 scripts/bench-table.py --since "$started"
} | tee target/bench-table.md
