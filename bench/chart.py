#!/usr/bin/env python3
"""The issue-13 table and its chart from one bench.sh run.

usage: bench/chart.py RESULTS.jsonl [--svg OUT.svg] [--md OUT.md]

Reads the per-run lines of `bench.sh` (results.jsonl), takes the median
over rounds of each (scenario, server), and for every row below compares
basehttp with each peer that ran the same scenario: throughput ratio
(basehttp / peer, above 1 = basehttp ahead) and server CPU per request.
Writes a markdown table and an SVG bar chart of the ratios (log scale,
stdlib only). A peer missing from the run is left out of its row.
"""

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict

# (scenario, label, basehttp server, peers, metric)
ROWS = [
    ("static_ka", "1 KiB file, keep-alive c64", "basehttp-1.1",
     ["nginx", "lighttpd", "static-web-server"], "rps"),
    ("c1000", "1 KiB file, keep-alive c1000", "basehttp-1.1",
     ["nginx", "lighttpd", "static-web-server"], "rps"),
    ("static_close", "1 KiB file, Connection: close", "basehttp-1.1",
     ["nginx", "lighttpd", "static-web-server"], "rps"),
    ("big_rx", "100 MiB file, 4 conns (MB/s)", "basehttp-1.1",
     ["nginx", "lighttpd", "static-web-server"], "mbps"),
    ("dirlist", "1000-entry listing c16", "basehttp-1.1",
     ["nginx", "lighttpd", "static-web-server"], "rps"),
    ("hello_ka", "hello handler, keep-alive c64", "basehttp-hello",
     ["nginx-return"], "rps"),
    ("hello_c1000", "hello handler, keep-alive c1000", "basehttp-hello",
     ["nginx-return"], "rps"),
    ("hello_close", "hello handler, Connection: close", "basehttp-hello",
     ["nginx-return"], "rps"),
    ("cgi", "CGI /bin/sh script c16", "basehttp-cgi", ["lighttpd-cgi"], "rps"),
    # Only when the bench ran as root: basehttp started as `nobody`, so its
    # scripts need no uid change (lighttpd never drops to another user).
    ("cgi", "CGI script c16, basehttp not root", "basehttp-cgi-user",
     ["lighttpd-cgi"], "rps"),
]

COLORS = {
    "nginx": "#009639",
    "lighttpd": "#e8a33d",
    "static-web-server": "#3b6fb6",
    "nginx-return": "#66c28a",
    "lighttpd-cgi": "#c0782a",
}


def load(path):
    runs = defaultdict(list)
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                runs[(r["scenario"], r["server"])].append(r)
    return runs


def median(runs, key, field):
    vals = [r[field] for r in runs.get(key, []) if r.get(field) is not None]
    return statistics.median(vals) if vals else None


def rows(runs):
    out = []
    for scenario, label, ours, peers, metric in ROWS:
        mine = median(runs, (scenario, ours), metric)
        if mine is None:
            continue
        row = {
            "label": label,
            "metric": metric,
            "ours": (mine, median(runs, (scenario, ours), "cpu_us_per_req")),
            "peers": [],
        }
        for p in peers:
            v = median(runs, (scenario, p), metric)
            if v:
                row["peers"].append((p, v, median(runs, (scenario, p), "cpu_us_per_req")))
        out.append(row)
    return out


def fmt(v, cpu, metric):
    s = f"{v:,.0f}"
    if cpu is not None and metric == "rps":
        s += f" ({cpu:.1f} µs)"
    return s


def markdown(table):
    names = []
    for row in table:
        for p, _, _ in row["peers"]:
            if p not in names:
                names.append(p)
    head = "| scenario | basehttp | " + " | ".join(names) + " | basehttp / best peer |"
    lines = [head, "|---" * (len(names) + 3) + "|"]
    for row in table:
        cells = {p: fmt(v, c, row["metric"]) for p, v, c in row["peers"]}
        best = max((v for _, v, _ in row["peers"]), default=None)
        ratio = f"{row['ours'][0] / best:.2f}×" if best else "—"
        lines.append(
            f"| {row['label']} | {fmt(*row['ours'], row['metric'])} | "
            + " | ".join(cells.get(n, "—") for n in names)
            + f" | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def svg(table):
    lo, hi = 0.125, 8.0
    left, width, bar, gap = 250, 470, 14, 12
    x = lambda r: left + width * (math.log2(min(max(r, lo), hi) / lo) / math.log2(hi / lo))
    y = 40
    parts = []
    for row in table:
        parts.append(
            f'<text x="{left - 8}" y="{y + bar}" text-anchor="end" font-size="12">'
            f'{row["label"]}</text>'
        )
        for p, v, _ in row["peers"]:
            r = row["ours"][0] / v
            x0, x1 = x(1.0), x(r)
            parts.append(
                f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{abs(x1 - x0):.1f}" '
                f'height="{bar - 2}" fill="{COLORS.get(p, "#888")}"><title>{p}: {r:.2f}×</title></rect>'
            )
            tx = x1 + 4 if r >= 1 else x1 - 4
            anchor = "start" if r >= 1 else "end"
            parts.append(
                f'<text x="{tx:.1f}" y="{y + bar - 4}" font-size="10" text-anchor="{anchor}">'
                f"{r:.2f}× {p}</text>"
            )
            y += bar
        y += gap
    height = y + 40
    axis = []
    for t in [0.125, 0.25, 0.5, 1, 2, 4, 8]:
        axis.append(
            f'<line x1="{x(t):.1f}" y1="30" x2="{x(t):.1f}" y2="{y}" '
            f'stroke="{"#000" if t == 1 else "#ddd"}" stroke-width="{1.5 if t == 1 else 1}"/>'
            f'<text x="{x(t):.1f}" y="{y + 16}" font-size="11" text-anchor="middle">{t:g}×</text>'
        )
    title = (
        '<text x="10" y="20" font-size="14" font-weight="bold">basehttp throughput / peer '
        "(same run, median of rounds; right of 1× = basehttp ahead)</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 160}" height="{height}" '
        'font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="#fff"/>{title}{"".join(axis)}{"".join(parts)}</svg>\n'
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--svg")
    ap.add_argument("--md")
    a = ap.parse_args()
    table = rows(load(a.results))
    if not table:
        sys.exit("no basehttp rows in " + a.results)
    md = markdown(table)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(svg(table))
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
