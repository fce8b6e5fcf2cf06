#!/usr/bin/env python3
"""Crowd scenarios the wrk harness cannot express: many idle keep-alive
connections, or many slowloris connections, held open while one normal
client keeps sending requests. Stdlib only, loopback only, every loop
bounded in time.

usage: crowd.py [--idle N | --slowloris N] [--byte-every S] [--duration S]
                [--name NAME] [--json FILE] -- COMMAND...
  COMMAND runs the server in the foreground; '{port}' in it is replaced by a
  free port and '{tmp}' by a fresh scratch directory. The server is started in its own process group and killed at
  the end.

  --idle N       open N connections, send one keep-alive GET on each (the
                 answer is left unread), then hold them idle
  --slowloris N  open N connections that each send one more header byte
                 every --byte-every seconds (default 2) and never finish
  --duration S   how long the normal client runs while the crowd is held

Reported (one JSON line, plus a human line on stderr): connections the
crowd got open and how many the server had closed by the end, the normal
client's requests / failures / p50 / p99 / max latency (new connection per
request, 'Connection: close'), and the server's threads and RSS (VmRSS,
summed over its process group) while the crowd was held, and its peak RSS.
"""
import argparse
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_pids(pgid):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def group_stats(pgid):
    threads = rss = hwm = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k == "Threads":
                        threads += int(v)
                    elif k == "VmRSS":
                        rss += int(v.split()[0])
                    elif k == "VmHWM":
                        hwm += int(v.split()[0])
        except OSError:
            pass
    return threads, rss, hwm


def one_get(port, timeout=5.0):
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        ok = data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]
    except OSError:
        ok = False
    return ok, time.monotonic() - t0


def wait_ready(port, proc, limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        ok, _ = one_get(port, timeout=1.0)
        if ok:
            return True
        time.sleep(0.1)
    return False


def open_crowd(port, n, first, budget):
    socks = []
    end = time.monotonic() + budget
    for _ in range(n):
        if time.monotonic() > end:
            break
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2.0)
            s.sendall(first)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            continue
    return socks


def still_open(socks):
    """Counts crowd sockets the server has not closed (drains answers)."""
    n = 0
    for s in socks:
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--idle", type=int)
    g.add_argument("--slowloris", type=int)
    ap.add_argument("--byte-every", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--name", default="server")
    ap.add_argument("--json")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = [c for c in a.cmd if c != "--"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    port = free_port()
    import tempfile
    tmp = tempfile.mkdtemp(prefix="crowd-")
    line = " ".join(cmd).replace("{port}", str(port)).replace("{tmp}", tmp)
    log = open(f"/tmp/crowd-{a.name}-{port}.log", "wb")
    proc = subprocess.Popen(["bash", "-c", "exec " + line], stdout=log, stderr=log,
                            start_new_session=True)
    result = {"server": a.name, "scenario": f"idle{a.idle}" if a.idle else f"slowloris{a.slowloris}"}
    try:
        if not wait_ready(port, proc):
            result["error"] = "not ready"
            return result
        base_threads, base_rss, _ = group_stats(proc.pid)
        if a.idle:
            first = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            want = a.idle
        else:
            first = b"GET / HTTP/1.1\r\nHost: x\r\nX-a: "
            want = a.slowloris
        t0 = time.monotonic()
        crowd = open_crowd(port, want, first, budget=60.0)
        result["crowd_open_s"] = round(time.monotonic() - t0, 2)
        result["crowd_opened"] = len(crowd)
        lat, fails = [], 0
        samples = []
        end = time.monotonic() + a.duration
        next_byte = time.monotonic() + a.byte_every
        while time.monotonic() < end:
            ok, dt = one_get(port)
            if ok:
                lat.append(dt)
            else:
                fails += 1
            if a.slowloris and time.monotonic() >= next_byte:
                for s in crowd:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
                next_byte += a.byte_every
            if len(samples) < 1000 and (len(lat) + fails) % 10 == 1:
                samples.append(group_stats(proc.pid))
            time.sleep(a.interval)
        samples.append(group_stats(proc.pid))
        result["crowd_still_open"] = still_open(crowd)
        for s in crowd:
            s.close()
        result.update(
            requests=len(lat) + fails,
            failures=fails,
            p50_ms=round(pct(lat, 50) * 1000, 2) if lat else None,
            p99_ms=round(pct(lat, 99) * 1000, 2) if lat else None,
            max_ms=round(max(lat) * 1000, 2) if lat else None,
            threads_idle=base_threads,
            threads_held=max(t for t, _, _ in samples),
            rss_idle_kb=base_rss,
            rss_held_kb=max(r for _, r, _ in samples),
            peak_rss_kb=max(h for _, _, h in samples),
        )
        return result
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        log.close()


if __name__ == "__main__":
    r = main()
    line = json.dumps(r, sort_keys=True)
    print(line)
    ap_json = None
    for i, x in enumerate(sys.argv):
        if x == "--json" and i + 1 < len(sys.argv):
            ap_json = sys.argv[i + 1]
    if ap_json:
        with open(ap_json, "a") as f:
            f.write(line + "\n")
