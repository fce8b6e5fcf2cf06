#!/usr/bin/env python3
"""Markdown table of bench/crowd.py's slow-reader, blocked and slow-upload
lines (bench/run.sh availability writes them to availability.jsonl).
Threads and RSS are summed over every process of the server's session
(nginx's workers, CGI scripts: one thread each); 'connected' is the
client's view (a connection the kernel completed may still wait in, or be
dropped from, a full accept queue).

usage: availability_table.py availability.jsonl
"""
import json
import sys

KINDS = [
    ("slow_readers", "slow readers of a 64 MiB file"),
    ("blocked", "handlers blocked 3 s"),
    ("slow_uploads", "slow uploads to a CGI script"),
]


def ms(v):
    return "—" if v is None else f"{v:,.2f}"


def mib(kb):
    return "—" if kb is None else f"{kb / 1024:,.1f}"


def figure(r):
    k = r.get("kind")
    n = r.get("crowd_n")
    if k == "slow_readers":
        return f"got bytes: {r['got_bytes']} / {n}"
    if k == "blocked":
        done = r.get("all_done_s")
        if done is not None:
            return f"all {n} answered in {done:.1f} s ({r['ok_200']} × 200)"
        return (f"not all: {r['answered']} / {n} answered when it stopped waiting "
                f"at {r.get('run_s', '?')} s, the last at {r.get('last_answer_s')} s "
                f"({r['ok_200']} × 200)")
    if k == "slow_uploads":
        return (f"processes beside the server: {r['procs_held'] - r.get('procs_idle', 1)} "
                f"(sh + head per running script); closed by server: "
                f"{r['crowd_closed_by_server']} / {n}")
    return ""


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| crowd | server | normal p50 / p99 / max ms | normal failures / requests "
          "| threads idle → held | RSS held MiB | crowd connected (client side) "
          "| figure | check |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, title in KINDS:
        for r in rows:
            if r.get("kind") != kind:
                continue
            if "error" in r:
                print(f"| {title} | {r['server']} | error: {r['error']} | | | | | | |")
                continue
            print(f"| {title} ({r['crowd_n']:,}) | {r['server']} "
                  f"| {ms(r['p50_ms'])} / {ms(r['p99_ms'])} / {ms(r['max_ms'])} "
                  f"| {r['failures']} / {r['requests']} "
                  f"| {r['threads_idle']} → {r['threads_held']} "
                  f"| {mib(r['rss_held_kb'])} "
                  f"| {r['crowd_opened']:,} in {r['crowd_open_s']} s "
                  f"| {figure(r)} | {r.get('check', '')} |")
    for r in rows:
        if "kind" not in r:
            print(f"| ? | {r.get('server')} | error: {r.get('error')} ({r.get('scenario')}) | | | | | | |")


if __name__ == "__main__":
    main()
