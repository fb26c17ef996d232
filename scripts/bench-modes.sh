#!/usr/bin/env bash
# Repeats the multi-thread benches that swing between runs (`ping_pong`, `yield_many`,
# `remote_spawn_4threads`, both runtimes) together with the cross-core floor, one process per
# rep, and prints one row per rep: whether a slow run is tourbillon's, tokio's or the machine's
# shows in the same row.
#
# Usage: scripts/bench-modes.sh [--quick] [--reps N]
#   --reps N   how many processes (default 8, ~35 s each)
#   --quick    2 reps of 0.1 s warm-up and 0.3 s measurement: a smoke run, not a number
#
# The table goes to stdout and target/bench-modes.md. Times are criterion's medians; a ratio is
# tourbillon's time over tokio's in the same rep (issue 5's targets: at most 0.7 for
# `ping_pong` and `yield_many`, at most 1.0 for `remote_spawn`).
set -euo pipefail
cd "$(dirname "$0")/.."

args="$*"
reps=8
times=(--warm-up-time 0.3 --measurement-time 1)
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps="$2"; shift ;;
        --quick) reps=2; times=(--warm-up-time 0.1 --measurement-time 0.3) ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

filter='^floor/cross_core|^(ping_pong|yield_many|remote_spawn_4threads)/multi_thread/'
benches=(--bench baselines --bench scheduler --bench remote_spawn)
cargo bench "${benches[@]}" --no-run
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for rep in $(seq 1 "$reps"); do
    cargo bench -q "${benches[@]}" -- \
        "${times[@]}" --sample-size 10 "$filter" >/dev/null 2>&1
    python3 - "$rep" >>"$rows" <<'PY'
import json, sys
def median_us(path):
    with open(f"target/criterion/{path}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e3
floor = median_us("floor/cross_core_10k") * 1e3 / 10_000  # ns per round trip, of 10k
cells = [sys.argv[1], f"{floor:.0f}"]
for bench in ("ping_pong_multi_thread", "yield_many_multi_thread",
              "remote_spawn_4threads_multi_thread"):
    ours, theirs = median_us(f"{bench}/tourbillon"), median_us(f"{bench}/tokio")
    cells += [f"{ours:.0f}", f"{theirs:.0f}", f"{ours / theirs:.2f}"]
print("| " + " | ".join(cells) + " |")
PY
    tail -n 1 "$rows" >&2
done

{
    echo "Command: \`scripts/bench-modes.sh $args\` ($reps reps); $(date -u '+%Y-%m-%d %H:%M UTC');" \
        "commit $(git describe --always --dirty); nproc $(nproc)"
    echo
    echo "| rep | cross-core round trip (ns) | ping_pong tourbillon (µs) | tokio (µs) | ratio |" \
        "yield_many tourbillon (µs) | tokio (µs) | ratio |" \
        "remote_spawn_4threads tourbillon (µs) | tokio (µs) | ratio |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    cat "$rows"
    python3 - "$rows" <<'PY'
import statistics, sys
rows = [line.strip("| \n").split(" | ") for line in open(sys.argv[1])]
for name, col, target in (("ping_pong", 4, 0.7), ("yield_many", 7, 0.7),
                          ("remote_spawn_4threads", 10, 1.0)):
    ratios = [float(r[col]) for r in rows]
    met = sum(r <= target for r in ratios)
    print(f"\n{name}: median ratio {statistics.median(ratios):.2f}, range "
          f"{min(ratios):.2f}–{max(ratios):.2f}, at or below {target} in {met} of {len(ratios)} reps")
PY
} | tee target/bench-modes.md
