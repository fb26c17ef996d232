#!/usr/bin/env bash
# memory.sh — RSS per idle task and per pending timer, tourbillon vs tokio (examples/memory.rs).
#
#   scripts/memory.sh [--quick] [--count N] [--reps N]
#
# Runs examples/memory.rs once per combination of runtime (tourbillon, tokio) and item (tasks:
# 1,000,000 idle spawned tasks; timers: 1,000,000 pending 1-hour sleeps in one boxed slice),
# each in a fresh process, alternating runtimes, --reps times (default 3), and prints a markdown
# table of the median bytes per item and tourbillon's ratio to tokio (target: ≤ 0.5). Then the
# type sizes the example reports. The table also goes to target/memory-table.md.
#
# --quick: 100,000 items, 1 rep (a smoke run, ~5 s). A full run takes about 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."

args="$*"
COUNT=1000000
REPS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) COUNT=100000; REPS=1 ;;
        --count) COUNT="$2"; shift ;;
        --reps) REPS="$2"; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

cargo build --release -q --example memory
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN="$TARGET_DIR/release/examples/memory"

OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for rep in $(seq 1 "$REPS"); do
    for what in tasks timers; do
        for runtime in tourbillon tokio; do
            echo "[memory] rep $rep: $runtime $what" >&2
            "$BIN" --runtime "$runtime" --what "$what" --count "$COUNT" >>"$OUT"
        done
    done
done

{
    echo "Command: \`scripts/memory.sh $args\`; $(date -u '+%Y-%m-%d %H:%M UTC');" \
        "commit $(git describe --always --dirty); $REPS rep(s), medians"
    echo
    python3 - "$OUT" <<'PY'
import statistics, sys
runs = {}
sizes = []
for line in open(sys.argv[1]):
    if line.startswith("runtime="):
        fields = dict(kv.split("=", 1) for kv in line.split())
        runs.setdefault((fields["what"], fields["runtime"]), []).append(fields)
    elif line.strip() not in sizes:
        sizes.append(line.strip())

def med(rows, key):
    return statistics.median(float(r[key]) for r in rows)

print("| items | runtime | count | RSS growth MiB | peak RSS MiB | bytes/item | × tokio | target |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for what in ("tasks", "timers"):
    tokio = runs.get((what, "tokio"))
    for runtime in ("tourbillon", "tokio"):
        rows = runs.get((what, runtime))
        if not rows:
            continue
        growth = med(rows, "rss_after_kib") - med(rows, "rss_before_kib")
        per_item = med(rows, "bytes_per_item")
        ratio = f"{per_item / med(tokio, 'bytes_per_item'):.2f}" if tokio else "—"
        target = "≤ 0.50" if runtime == "tourbillon" else "—"
        print(f"| {what} | {runtime} | {int(rows[0]['count']):,} | {growth / 1024:.1f} "
              f"| {med(rows, 'peak_kib') / 1024:.1f} | {per_item:.0f} | {ratio} | {target} |")
print()
for line in sizes:
    print(f"- {line}")
PY
} | tee target/memory-table.md
