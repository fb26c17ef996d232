#!/usr/bin/env python3
"""Turn criterion's results into PERF.md's markdown tables.

Reads every target/criterion/**/new/{benchmark,estimates}.json. A group named
"<scenario>/<flavor>" with functions "tourbillon" and "tokio" (the convention of
tourbillon-support/src/bench/mod.rs) becomes one row of the ratio table: median times, each with the
half-width of its 95% confidence interval, and tourbillon's time divided by tokio's (below 1.0:
tourbillon is faster), checked against issue 5's target where one exists. Every other result
(floors, alternatives) is listed with its absolute median in a second table, with the time of
the group's "tourbillon" entry divided by its own where the group has one (below 1.0:
tourbillon is faster than that alternative).

Usage: scripts/bench-table.py [--criterion-dir DIR] [--since EPOCH_SECONDS]
  --since keeps only results written at or after that time (scripts/bench.sh passes the
  start of its run, so stale results of benches it did not run are left out).
"""

import argparse
import json
import os
import sys

OURS, THEIRS = "tourbillon", "tokio"

# Issue 5's targets: tourbillon's time at most this fraction of tokio's.
TARGETS = {
    "spawn_many_local": 0.7,
    "spawn_many_remote_idle": 0.7,
    "yield_many": 0.7,
    "ping_pong": 0.7,
    "chained_spawn": 0.7,
    "remote_spawn": 1.0,
}

# Rows in the order a reader meets them; unknown scenarios follow alphabetically.
ORDER = [
    "spawn_many_local",
    "spawn_many_remote_idle",
    "spawn_many_remote_busy",
    "yield_many",
    "ping_pong",
    "chained_spawn",
    "remote_spawn",
    "sleep_drop_unpolled",
    "sleep_drop_polled",
    "timer_fire",
    "timeout",
    "tcp_ping_pong_1conn",
    "tcp_ping_pong_64conn",
]


def load(criterion_dir, since):
    """Yields (group_id, function_id, median_ns, ci_half_width_ns) for each fresh result."""
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "estimates.json" not in files:
            continue
        estimates_path = os.path.join(root, "estimates.json")
        if since is not None and os.path.getmtime(estimates_path) < since:
            continue
        with open(os.path.join(root, "benchmark.json")) as f:
            bench = json.load(f)
        with open(estimates_path) as f:
            median = json.load(f)["median"]
        ci = median["confidence_interval"]
        half_width = (ci["upper_bound"] - ci["lower_bound"]) / 2
        yield bench["group_id"], bench["function_id"], median["point_estimate"], half_width


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_measure(ns, half_width):
    return f"{fmt_time(ns)} ±{100 * half_width / ns:.0f}%"


def sort_key(scenario):
    for rank, prefix in enumerate(ORDER):
        if scenario.startswith(prefix):
            return (rank, scenario)
    return (len(ORDER), scenario)


def target_for(scenario):
    for prefix, target in TARGETS.items():
        if scenario.startswith(prefix):
            return target
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion-dir", default="target/criterion")
    parser.add_argument("--since", type=float, default=None)
    args = parser.parse_args()
    if not os.path.isdir(args.criterion_dir):
        sys.exit(f"no criterion results in {args.criterion_dir}: run `cargo bench` first")

    groups = {}
    for group_id, function_id, median, half_width in load(args.criterion_dir, args.since):
        groups.setdefault(group_id, {})[function_id] = (median, half_width)

    pairs, others = [], []
    for group_id, functions in groups.items():
        if OURS in functions and THEIRS in functions and "/" in group_id:
            scenario, flavor = group_id.rsplit("/", 1)
            pairs.append((scenario, flavor, functions[OURS], functions[THEIRS]))
        else:
            others.extend((group_id, name, m) for name, m in functions.items())

    if pairs:
        print("| bench | flavor | tourbillon | tokio | tourbillon/tokio | target | met |")
        print("|---|---|---:|---:|---:|---:|:---:|")
        pairs.sort(key=lambda p: (sort_key(p[0]), p[1] != "multi_thread"))
        for scenario, flavor, ours, theirs in pairs:
            ratio = ours[0] / theirs[0]
            target = target_for(scenario)
            met = "—" if target is None else ("yes" if ratio <= target else "**no**")
            target_text = "—" if target is None else f"≤ {target:.2f}"
            print(
                f"| {scenario} | {flavor} | {fmt_measure(*ours)} | {fmt_measure(*theirs)} "
                f"| {ratio:.2f} | {target_text} | {met} |"
            )
    if others:
        print()
        print("| baseline | variant | median | tourbillon/this |")
        print("|---|---|---:|---:|")
        for group_id, name, measure in sorted(others, key=lambda o: (o[0], o[1] != OURS, o[1])):
            ours = groups[group_id].get(OURS)
            relative = "—" if ours is None or name == OURS else f"{ours[0] / measure[0]:.2f}"
            print(f"| {group_id} | {name} | {fmt_measure(*measure)} | {relative} |")
    if not pairs and not others:
        sys.exit("no results matched")


if __name__ == "__main__":
    main()
