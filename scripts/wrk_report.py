#!/usr/bin/env python3
"""Summarise a wrk-compare.sh run: a markdown table of medians and an SVG bar chart.

    python3 scripts/wrk_report.py results/wrk-STAMP.csv --raw results/wrk-STAMP [--clk-tck 100]

Reads the per-run CSV that wrk-compare.sh writes and the raw wrk outputs it names; writes
wrk-STAMP.md and wrk-STAMP.svg next to the CSV and prints their paths. Pure standard library.

Per scenario (mode x connections x load) and server it reports the median over reps of req/s,
p50 and p99 latency, the server's CPU time per request (user/system), how busy the server and
wrk kept their CPUs, and peak RSS, and the ratio of the median req/s to tokio's (and, pinned or
capped, to raw mio's) median in the same run.
"""

import argparse
import csv
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict

SERVER_ORDER = ["tourbillon", "tokio", "mio", "threads", "hyper", "hyper-tokio"]
SERVER_LABEL = {
    ("pinned", "tourbillon"): "tourbillon current-thread",
    ("pinned", "tokio"): "tokio current-thread",
    ("pinned", "mio"): "raw mio loop",
    ("capped", "tourbillon"): "tourbillon current-thread",
    ("capped", "tokio"): "tokio current-thread",
    ("capped", "mio"): "raw mio loop",
    ("unpinned", "tourbillon"): "tourbillon 2 workers",
    ("unpinned", "tokio"): "tokio 2 workers",
    ("unpinned", "threads"): "std thread per connection",
    ("pinned", "hyper"): "hyper on tourbillon current-thread",
    ("pinned", "hyper-tokio"): "hyper on tokio current-thread",
    ("capped", "hyper"): "hyper on tourbillon current-thread",
    ("capped", "hyper-tokio"): "hyper on tokio current-thread",
    ("unpinned", "hyper"): "hyper on tourbillon 2 workers",
    ("unpinned", "hyper-tokio"): "hyper on tokio 2 workers",
}
# The tokio server a server's "× tokio" is over: the hyper servers are compared with each other.
TOKIO_OF = {"hyper": "hyper-tokio", "hyper-tokio": "hyper-tokio"}
COLOURS = {
    "tourbillon": "#d9480f",
    "tokio": "#1c7ed6",
    "mio": "#495057",
    "threads": "#37b24d",
    "hyper": "#f76707",
    "hyper-tokio": "#4dabf7",
}
MODE_ORDER = ["pinned", "capped", "unpinned"]
LOAD_LABEL = {
    "json": "/json",
    "plaintext": "/plaintext",
    "pipeline": "/plaintext pipelined",
    "h2": "/plaintext over h2c",
}
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(path):
    """req/s, p50 and p99 (ms), total requests and error count from one wrk --latency output."""
    text = open(path, encoding="utf-8", errors="replace").read()
    result = {"rps": None, "p50": None, "p99": None, "requests": 0, "errors": 0}
    match = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if match:
        result["rps"] = float(match.group(1))
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        # wrk prints 0.00us for percentiles it did not sample (it happens when pipelining).
        if match and float(match.group(1)) > 0:
            result["p" + pct] = float(match.group(1)) * UNIT_MS[match.group(2)]
    match = re.search(r"^\s*(\d+) requests in", text, re.M)
    if match:
        result["requests"] = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        result["errors"] += sum(int(g) for g in match.groups())
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if match:
        result["errors"] += int(match.group(1))
    return result


def parse_h2load(path):
    """The same fields from one h2load output (the h2 load): req/s, requests done, and failed +
    errored + timed-out requests. h2load prints no percentiles, so p50 and p99 stay None."""
    text = open(path, encoding="utf-8", errors="replace").read()
    result = {"rps": None, "p50": None, "p99": None, "requests": 0, "errors": 0}
    match = re.search(r"^finished in [^,]+, ([\d.]+) req/s", text, re.M)
    if match:
        result["rps"] = float(match.group(1))
    match = re.search(
        r"^requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout",
        text,
        re.M,
    )
    if match:
        result["requests"] = int(match.group(1))
        result["errors"] = sum(int(g) for g in match.groups()[1:])
    return result


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_description():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = command_output(["wrk", "--version"]).splitlines()
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores; kernel {platform.release()}",
        f"{command_output(['rustc', '--version'])}; {wrk[0] if wrk else 'wrk ?'}",
        f"commit {command_output(['git', 'rev-parse', '--short', 'HEAD'])}"
        + (" (uncommitted changes)" if command_output(["git", "status", "--porcelain"]) else ""),
    ]


def summarise(rows, raw_dir, clk_tck):
    """{(mode, conns, load): {server: summary}} with medians over reps."""
    runs = defaultdict(lambda: defaultdict(list))
    for row in rows:
        key = (row["mode"], int(row["connections"]), row["load"])
        parse = parse_h2load if row["load"] == "h2" else parse_wrk
        wrk = parse(os.path.join(raw_dir, row["wrk_output"]))
        wrk["rss_kb"] = int(row["peak_rss_kb"] or 0)
        wrk["alive"] = row["alive"] == "1"
        cpu_s = (int(row["utime_ticks"]), int(row["stime_ticks"]))
        if wrk["requests"]:
            wrk["user_us"] = cpu_s[0] / clk_tck / wrk["requests"] * 1e6
            wrk["sys_us"] = cpu_s[1] / clk_tck / wrk["requests"] * 1e6
        else:
            wrk["user_us"] = wrk["sys_us"] = None
        # Busy: CPU time over wrk's wall time, in % of one core (2 workers can reach 200%).
        wall = float(row.get("wrk_wall_s") or 0)
        if wall > 0:
            wrk["server_busy"] = sum(cpu_s) / clk_tck / wall * 100
            wrk["wrk_busy"] = (float(row["wrk_user_s"]) + float(row["wrk_sys_s"])) / wall * 100
        else:
            wrk["server_busy"] = wrk["wrk_busy"] = None
        runs[key][row["server"]].append(wrk)

    summary = {}
    for key, servers in runs.items():
        summary[key] = {}
        for server, reps in servers.items():
            summary[key][server] = {
                "reps": len(reps),
                "rps": median(r["rps"] for r in reps),
                "rps_min": min((r["rps"] for r in reps if r["rps"] is not None), default=None),
                "rps_max": max((r["rps"] for r in reps if r["rps"] is not None), default=None),
                "p50": median(r["p50"] for r in reps),
                "p99": median(r["p99"] for r in reps),
                "user_us": median(r["user_us"] for r in reps),
                "sys_us": median(r["sys_us"] for r in reps),
                "server_busy": median(r["server_busy"] for r in reps),
                "wrk_busy": median(r["wrk_busy"] for r in reps),
                "rss_kb": max(r["rss_kb"] for r in reps),
                "errors": sum(r["errors"] for r in reps),
                "crashed": sum(not r["alive"] for r in reps),
            }
    return summary


def base_of(server):
    """`tourbillon@1024` (a server run with `--events-per-tick 1024`) -> `tourbillon`."""
    return server.split("@")[0]


def label_of(mode, server):
    base, _, events = server.partition("@")
    label = SERVER_LABEL.get((mode, base), base)
    return f"{label}, {events} events/tick" if events else label


def ordered(servers):
    def key(server):
        base = base_of(server)
        return (SERVER_ORDER.index(base) if base in SERVER_ORDER else 99, server)

    return sorted(servers, key=key)


def scenario_order(key):
    mode, conns, load = key
    loads = list(LOAD_LABEL)
    return (
        MODE_ORDER.index(mode) if mode in MODE_ORDER else 99,
        conns,
        loads.index(load) if load in loads else 99,
    )


def ratio(value, baseline):
    if value is None or not baseline:
        return None
    return value / baseline


def fmt(value, spec, missing="—"):
    return missing if value is None else format(value, spec)


def markdown(summary, args, machine):
    reps = args.reps
    capped = any(mode == "capped" for mode, _, _ in summary)
    lines = [
        f"# wrk: tourbillon vs tokio — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        *[f"- {line}" for line in machine],
        f"- wrk {args.duration} s per run after a warm-up; {reps} rep(s) per server, servers "
        "alternating A B C A B C; medians over reps. Pinned: server on cpu 1, `wrk -t1` on cpu 0. "
        + (
            f"Capped: pinned, and the server's cgroup gets {args.cap}% of one core (a CFS quota). "
            if capped
            else ""
        )
        + "Unpinned: `wrk -t2`, both share the 2 cores. Pipelined: "
        f"{args.pipeline_depth} requests per write (scripts/pipeline.lua).",
        "- × tokio and × mio: this server's median req/s over theirs in the same run (the hyper "
        "servers' × tokio is over hyper on tokio). CPU µs/req: "
        "the server's user + system CPU time during the measured run over the requests served.",
        "- Busy %: the server's and wrk's CPU time over the run's wall time, in % of one core. "
        "Whichever is at its limit (100%, 200% for 2 workers, or the cap) sets the req/s; "
        "when it is wrk, req/s is wrk's rate, not the server's.",
        "- Pipelined latency is wrk's time per batch of requests, and wrk often leaves its upper "
        "percentiles unsampled (shown as —).",
        "- /plaintext over h2c: HTTP/2 with prior knowledge, driven by h2load with "
        f"{args.h2_streams} concurrent streams per connection instead of wrk (hyper servers "
        "only; no percentiles); its busy % is h2load's.",
        "- This machine is shared: quote ratios, not absolute numbers.",
        "",
        "| mode | conns | load | server | req/s | × tokio | × mio | p50 ms | p99 ms "
        "| CPU µs/req (user+sys) | busy % server / wrk | peak RSS MiB | errors |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(summary, key=scenario_order):
        mode, conns, load = key
        servers = summary[key]
        mio = servers.get("mio", {}).get("rps")
        for server in ordered(servers):
            s = servers[server]
            tokio_twin = TOKIO_OF.get(base_of(server), "tokio")
            tokio = servers.get(tokio_twin, {}).get("rps")
            cpu = (
                f"{s['user_us']:.2f}+{s['sys_us']:.2f}"
                if s["user_us"] is not None and s["sys_us"] is not None
                else "—"
            )
            busy = f"{fmt(s['server_busy'], '.0f')} / {fmt(s['wrk_busy'], '.0f')}"
            errors = str(s["errors"]) + (f", {s['crashed']} crashed" if s["crashed"] else "")
            lines.append(
                f"| {mode} | {conns} | {LOAD_LABEL.get(load, load)} "
                f"| {label_of(mode, server)} "
                f"| {fmt(s['rps'], ',.0f')} | {fmt(ratio(s['rps'], tokio), '.2f')} "
                f"| {fmt(ratio(s['rps'], mio), '.2f')} "
                f"| {fmt(s['p50'], '.2f')} | {fmt(s['p99'], '.2f')} | {cpu} | {busy} "
                f"| {s['rss_kb'] / 1024:.1f} | {errors} |"
            )
    return "\n".join(lines) + "\n"


def human_rate(rps):
    return f"{rps / 1e6:.2f}M req/s" if rps >= 1e6 else f"{rps / 1e3:.1f}k req/s"


def svg_chart(summary):
    """Grouped horizontal bars: one group per scenario, bar length = req/s relative to tokio's
    median in that group (or to the group's best when tokio is absent), whiskers = min..max."""
    bar_h, gap, group_gap = 16, 3, 22
    left, plot_w, right = 250, 420, 190
    keys = sorted(summary, key=scenario_order)
    scale_max = 0.0
    for key in keys:
        servers = summary[key]
        base = servers.get("tokio", {}).get("rps") or max(
            (s["rps"] for s in servers.values() if s["rps"]), default=None
        )
        for s in servers.values():
            if base and s["rps_max"]:
                scale_max = max(scale_max, s["rps_max"] / base)
    scale_max = max(1.25, scale_max * 1.05)

    out, y = [], 50
    for key in keys:
        mode, conns, load = key
        servers = summary[key]
        base = servers.get("tokio", {}).get("rps") or max(
            (s["rps"] for s in servers.values() if s["rps"]), default=None
        )
        out.append(
            f'<text x="8" y="{y + 11}" font-weight="bold">{mode}, -c{conns}, '
            f"{LOAD_LABEL.get(load, load)}</text>"
        )
        y += bar_h + gap
        for server in ordered(servers):
            s = servers[server]
            label = label_of(mode, server)
            out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{label}</text>')
            if s["rps"] and base:
                width = s["rps"] / base / scale_max * plot_w
                out.append(
                    f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{bar_h}" '
                    f'fill="{COLOURS.get(base_of(server), "#868e96")}"/>'
                )
                if s["rps_min"] and s["rps_max"] and s["reps"] > 1:
                    x0 = left + s["rps_min"] / base / scale_max * plot_w
                    x1 = left + s["rps_max"] / base / scale_max * plot_w
                    mid = y + bar_h / 2
                    out.append(
                        f'<path d="M{x0:.1f} {mid}H{x1:.1f}M{x0:.1f} {mid - 4}V{mid + 4}'
                        f'M{x1:.1f} {mid - 4}V{mid + 4}" stroke="#212529" fill="none"/>'
                    )
                tag = human_rate(s["rps"])
                if "tokio" in servers and server != "tokio":
                    tag += f"  ({s['rps'] / base:.2f}× tokio)"
                out.append(f'<text x="{left + plot_w + 8}" y="{y + 12}">{tag}</text>')
            y += bar_h + gap
        y += group_gap

    one = left + plot_w / scale_max
    height = y + 10
    width = left + plot_w + right
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="8" y="20" font-size="15" font-weight="bold">wrk req/s relative to tokio '
        "(median; whiskers: min–max over reps)</text>",
        f'<line x1="{one:.1f}" y1="32" x2="{one:.1f}" y2="{height - 10}" stroke="#868e96" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{one:.1f}" y="44" text-anchor="middle" fill="#495057">tokio = 1.0</text>',
    ]
    return "\n".join(head + out + ["</svg>"]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--raw", required=True, help="directory of the raw wrk outputs")
    parser.add_argument("--clk-tck", type=int, default=100)
    parser.add_argument("--duration", default="?")
    parser.add_argument("--reps", default="?")
    parser.add_argument("--pipeline-depth", default="16")
    parser.add_argument("--h2-streams", default="10")
    parser.add_argument("--cap", default="?", help="the capped mode's % of one core")
    args = parser.parse_args()

    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("no runs recorded")
    summary = summarise(rows, args.raw, args.clk_tck)
    stem = os.path.splitext(args.csv)[0]
    with open(stem + ".md", "w") as f:
        f.write(markdown(summary, args, machine_description()))
        f.write(f"\n![wrk chart]({os.path.basename(stem)}.svg)\n")
    with open(stem + ".svg", "w") as f:
        f.write(svg_chart(summary))
    print(open(stem + ".md").read())
    print(f"table: {stem}.md\nchart: {stem}.svg\nraw:   {args.csv}, {args.raw}/")


if __name__ == "__main__":
    main()
