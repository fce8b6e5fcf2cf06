#!/usr/bin/env python3
"""SVG chart of bench/run.sh availability's results: for each crowd, the
normal client's p99 latency beside every server (log scale; a server that
answered none of the normal requests gets a red bar to the edge, marked
"no answer"), with the server's thread count at the end of each bar.
Stdlib only.

usage: availability_chart.py availability.jsonl > availability.svg
"""
import json
import math
import sys

KINDS = [
    ("slow_readers", "1,000 slow readers of a 64 MiB file"),
    ("blocked", "500 handlers blocked 3 s"),
    ("slow_uploads", "200 slow uploads to a CGI script"),
]
LO, HI = 0.1, 10_000.0  # ms, the log axis
LEFT, WIDTH, BAR, GAP, TITLE = 230, 520, 18, 6, 28


def x_of(ms):
    ms = min(max(ms, LO), HI)
    return LEFT + WIDTH * (math.log10(ms) - math.log10(LO)) / (math.log10(HI) - math.log10(LO))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    out, y = [], 10
    for kind, title in KINDS:
        group = [r for r in rows if r.get("kind") == kind]
        if not group:
            continue
        out.append(f'<text x="10" y="{y + 16}" font-weight="bold">{esc(title)}: '
                   f'normal client p99 (ms, log scale)</text>')
        y += TITLE
        for r in group:
            name = r.get("server", "?")
            p99 = r.get("p99_ms")
            none = not r.get("requests") or r.get("failures") == r.get("requests")
            out.append(f'<text x="{LEFT - 6}" y="{y + BAR - 5}" text-anchor="end">{esc(name)}</text>')
            if none or p99 is None:
                out.append(f'<rect x="{LEFT}" y="{y}" width="{WIDTH}" height="{BAR}" fill="#d9534f"/>')
                label = "no answer"
                end = LEFT + WIDTH
            else:
                end = x_of(p99)
                color = "#2e7d32" if p99 < 10 else "#f0ad4e"
                out.append(f'<rect x="{LEFT}" y="{y}" width="{end - LEFT:.1f}" height="{BAR}" fill="{color}"/>')
                label = f"{p99:,.2f} ms"
            threads = r.get("threads_held")
            label += f" · {threads} threads" if threads is not None else ""
            out.append(f'<text x="{end + 4:.1f}" y="{y + BAR - 5}">{esc(label)}</text>')
            y += BAR + GAP
        y += 10
    # The axis: decades and the 10 ms target.
    for d in range(int(math.log10(LO)), int(math.log10(HI)) + 1):
        x = x_of(10.0 ** d)
        out.append(f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{y}" stroke="#ccc"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle">{10.0 ** d:g}</text>')
    x = x_of(10)
    out.append(f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{y}" stroke="#333" stroke-dasharray="4 3"/>')
    height = y + 24
    width = LEFT + WIDTH + 200
    print(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
          f'font-family="sans-serif" font-size="12">')
    print(f'<rect width="{width}" height="{height}" fill="white"/>')
    print("\n".join(out))
    print("</svg>")


if __name__ == "__main__":
    main()
