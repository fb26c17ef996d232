#!/usr/bin/env bash
# What the runtime metrics and the timeline trace cost on the scheduler benchmarks
# (PERF.md, "Metrics and trace overhead").
#
# Usage: [BEFORE=REV] scripts/metrics-overhead.sh [ROUNDS (3)] [FILTER]
#
# Builds benches/scheduler.rs three ways: `off` (TOURBILLON_METRICS_OFF=1: every counter
# compiled to nothing, src/metrics/mod.rs), `metrics` (the default build) and `trace`
# (--features trace), keeps each executable, then runs the three alternately ROUNDS times, so a
# slow spell of the shared machine hits them alike. Each run measures tourbillon and tokio in
# the same criterion group; the figure kept is tourbillon's median divided by tokio's, which
# cancels most of the machine's drift. Prints, per scenario, the median ratio of each variant
# over the rounds and the change of `metrics` and `trace` against `off`. On a loaded machine the
# rounds differ by far more than the metrics cost; scripts/metrics-instructions.sh counts
# instructions instead, which the neighbours do not move.
#
# BEFORE=REV adds a fourth variant, `before`: the default build of commit REV (checked out in a
# temporary worktree, built into the same target directory), run in the same rotation. Its
# column and "metrics vs before" compare a change of the runtime with what it replaced, with
# the same drift cancelled (PERF.md's restructuring check).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts="$PWD/scripts"

rounds="${1:-3}"
filter="${2:-}"
work="$PWD/target/metrics-overhead"
mkdir -p "$work"
: >"$work"/ratios.jsonl

build() { # variant, cargo args...
    local variant="$1"
    shift
    local exe
    exe=$(cargo bench --bench scheduler --no-run --message-format=json "$@" | "$scripts/cargo-executable" scheduler)
    cp "$exe" "$work/scheduler-$variant"
}

echo "building the three variants" >&2
TOURBILLON_METRICS_OFF=1 build off
build metrics
build trace --features trace
variants="off metrics trace"
if [ -n "${BEFORE:-}" ]; then
    before_src="$work/before-src"
    git worktree remove --force "$before_src" 2>/dev/null || true
    git worktree add --detach "$before_src" "$BEFORE" >&2
    (cd "$before_src" && CARGO_TARGET_DIR="$OLDPWD/target" build before)
    git worktree remove --force "$before_src"
    variants="$variants before"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
    for variant in $variants; do
        echo "round $round: $variant" >&2
        started=$(date +%s)
        "$work/scheduler-$variant" --bench --warm-up-time 1 --measurement-time 2 \
            ${filter:+"$filter"} >/dev/null
        python3 - "$variant" "$round" "$started" >>"$work/ratios.jsonl" <<'PY'
import json, os, sys
variant, round_, since = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
medians = {}
for root, _, files in os.walk("target/criterion"):
    if root.endswith("/new") and "estimates.json" in files:
        path = os.path.join(root, "estimates.json")
        if os.path.getmtime(path) < since:
            continue
        bench = json.load(open(os.path.join(root, "benchmark.json")))
        median = json.load(open(path))["median"]["point_estimate"]
        medians.setdefault(bench["group_id"], {})[bench["function_id"]] = median
for group, m in sorted(medians.items()):
    if "tourbillon" in m and "tokio" in m:
        print(json.dumps({"variant": variant, "round": round_, "group": group,
                          "ratio": m["tourbillon"] / m["tokio"]}))
PY
    done
done

echo
echo "Command: \`${BEFORE:+BEFORE=$BEFORE }scripts/metrics-overhead.sh $rounds $filter\`; date $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "commit $(git describe --always --dirty); nproc $(nproc);" \
    "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$work/ratios.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = sorted({r["group"] for r in rows})
variants = ["off", "metrics", "trace"]
before = any(r["variant"] == "before" for r in rows)
if before:
    variants.append("before")
print("| scenario | off: tourbillon/tokio | metrics | trace | metrics vs off | trace vs off |"
      + (" before | metrics vs before |" if before else "") + " rounds |")
print("|---|---|---|---|---|---|" + ("---|---|" if before else "") + "---|")
for g in groups:
    med = {}
    for v in variants:
        xs = [r["ratio"] for r in rows if r["group"] == g and r["variant"] == v]
        med[v] = statistics.median(xs) if xs else float("nan")
    n = len([r for r in rows if r["group"] == g and r["variant"] == "off"])
    def change(v, base="off"):
        return f"{(med[v] / med[base] - 1) * 100:+.1f}%"
    extra = f" {med['before']:.3f} | {change('metrics', 'before')} |" if before else ""
    print(f"| {g} | {med['off']:.3f} | {med['metrics']:.3f} | {med['trace']:.3f} | "
          f"{change('metrics')} | {change('trace')} |{extra} {n} |")
PY
