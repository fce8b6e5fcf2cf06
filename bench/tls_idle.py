#!/usr/bin/env python3
"""Holds N idle TLS connections (handshake done, no request) to a server and
reports its RSS and thread count before and after, plus the latency of one
normal HTTPS request made while they are held. Stdlib only.

usage: tls_idle.py PORT CAFILE N PID [PID ...]   (RSS summed over the PIDs
and their children, so nginx's master and workers count together)
"""
import http.client
import json
import os
import resource
import socket
import ssl
import sys
import time


def pids_with_children(pids):
    out = set()
    todo = list(pids)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.add(p)
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    return out


def status(pids, field):
    total = 0
    for p in pids_with_children(pids):
        with open(f"/proc/{p}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
    return total


def main():
    port, cafile, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    pids = [int(p) for p in sys.argv[4:]]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    ctx = ssl.create_default_context(cafile=cafile)
    rss0, thr0 = status(pids, "VmRSS"), status(pids, "Threads")
    held = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        held.append(ctx.wrap_socket(s, server_hostname="localhost"))
    time.sleep(1.0)  # let the server settle; a benchmark, not a test
    rss1, thr1 = status(pids, "VmRSS"), status(pids, "Threads")
    t0 = time.perf_counter()
    c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
    c.request("GET", "/1k.bin")
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    ok = r.status == 200 and len(body) == 1024
    print(json.dumps({
        "idle_tls_connections": n,
        "rss_kib_before": rss0, "rss_kib_with_idle": rss1,
        "rss_kib_per_conn": round((rss1 - rss0) / n, 2),
        "threads_before": thr0, "threads_with_idle": thr1,
        "normal_request_ms": round(dt * 1000, 2), "normal_request_ok": ok,
    }))
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
