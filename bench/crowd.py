#!/usr/bin/env python3
"""Crowd scenarios the wrk harness cannot express: a crowd of connections
held open (idle, slowloris, slow readers, blocked handlers, slow uploads)
while one normal client keeps sending requests. Stdlib only, loopback only,
every loop bounded in count and time; it stops by itself.

usage: crowd.py KIND [options] [--name NAME] [--json FILE] -- COMMAND...
  COMMAND runs the server in the foreground; in it '{port}' is replaced by a
  free port, '{root}' by a fresh directory holding the fixture the crowd
  needs (serve this one) and '{tmp}' by a fresh scratch directory (e.g.
  nginx's config). The server is started in its own session and killed
  (every process of that session) at the end; both directories are removed.

KIND (one of):
  --idle N          open N connections, send one keep-alive GET on each (the
                    answer is left unread), then hold them idle
  --slowloris N     open N connections that each send one more header byte
                    every --byte-every seconds (default 2) and never finish
  --slow-readers N  N connections each send 'GET --file' (default /big.bin,
                    a --file-size MiB file, default 64, made in {root}), read
                    --read-bytes (4096) of the answer and then stop reading,
                    holding the socket open (receive buffer --rcvbuf bytes,
                    default 65536). Reports got_bytes: how many of the N got
                    any byte of the answer.
  --blocked N       N connections each send one 'GET --block-path' (default
                    /sleep: a handler that sleeps 3 s) and read the answer.
                    Reports all_done_s (from the first connect until all N
                    are answered; null if not within --crowd-timeout, default
                    30 s), answered and ok_200.
  --slow-uploads N  N connections each send a 'POST --upload-path' head
                    (default /cgi-bin/upload.sh, made in {root}) with
                    'Content-Length: --upload-length' (100000), then 2 bytes
                    of body, then nothing more. Reports how many got any
                    answer bytes (CPython sends its '200 Script output
                    follows' before it runs the script), their statuses, how
                    many the server closed, and the server's processes (its
                    CGI scripts among them).

options:
  --duration S      how long the normal client runs while the crowd is held
  --interval S      pause between its requests (0.05)
  --normal-path P   what it GETs (default /)
  --mss B           the new kinds' crowd sockets announce this MSS (default
                    1460, an Ethernet peer's; 0: loopback's 65483). The
                    server's send buffer for a slow reader autotunes with
                    the segment size: 1,000 slow readers of nginx took the
                    machine's TCP memory to 1.9 GB with loopback's MSS, past
                    tcp_mem's pressure mark (1.5 GB here), and to 0.75 GB
                    with 1460 (tcp_mem_pages_max in the report)
  --open-budget S   the new kinds connect the crowd in parallel (non-blocking)
                    and start the normal client once all N have sent their
                    request or after S seconds (default 20); the rest keep
                    trying beside it

The new kinds first check the server once: a GET of the file (status 200), a
GET of the block path (200 after >= 2.5 s), a complete POST to the upload
path (200); 'check' says 'ok' or what failed, and the run goes on either way.

Reported (one JSON line, plus a human line on stderr): connections the
crowd got open, the normal client's requests / failures / p50 / p99 / max
latency (new connection per request, 'Connection: close', 5 s timeout per
socket operation), the server's threads, processes and RSS (VmRSS, summed
over the processes of its session: nginx's workers, CGI scripts) before the
crowd and the maximum of samples taken every 0.5 s while it was held (the
old kinds: every 10th request), the peak RSS (VmHWM), and the kind's
figures. Summed RSS counts pages shared between processes once per process.
"""
import argparse
import errno
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_pids(sid):
    """The processes of the server's session (it is started with setsid):
    its process group and children that made their own group (basehttp
    starts each CGI script in a new process group); zombies left out."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and fields[0] != "Z":
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def group_stats(sid):
    """(threads, RSS kB, peak RSS kB, processes) summed over a session."""
    threads = rss = hwm = procs = 0
    for pid in group_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                procs += 1
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
    return threads, rss, hwm, procs


def tcp_mem_pages():
    """The machine's TCP buffer memory in pages (/proc/net/sockstat), to see
    whether a crowd brought it near tcp_mem's pressure threshold."""
    try:
        with open("/proc/net/sockstat") as f:
            for line in f:
                if line.startswith("TCP:"):
                    w = line.split()
                    return int(w[w.index("mem") + 1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def one_get(port, path="/", timeout=5.0):
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while len(data) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if time.monotonic() - t0 > 4 * timeout:
                    break
        ok = data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]
    except OSError:
        ok = False
    return ok, time.monotonic() - t0


def wait_ready(port, proc, path="/", limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        ok, _ = one_get(port, path, timeout=1.0)
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


def status_of(head):
    """The status code of a response head's first line, or None."""
    parts = head.split(b"\r\n", 1)[0].split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None


# ------------------------------------------------------------ fixtures

UPLOAD_SH = """#!/bin/sh
# bench/crowd.py --slow-uploads: read the request body, answer one line.
# head -c reads exactly CONTENT_LENGTH bytes: CPython's CGI hands the script
# the client socket itself, so 'cat' would wait for an EOF that a keep-alive
# client never sends.
head -c "${CONTENT_LENGTH:-0}" >/dev/null
printf 'Content-Type: text/plain\\r\\n\\r\\nuploaded\\n'
"""


def make_fixture(root, a):
    """The file of --slow-readers and the CGI script of --slow-uploads, in
    root, readable (and the script runnable) by nobody: run as root, basehttp
    and CPython run CGI scripts as nobody."""
    os.chmod(root, 0o755)
    if a.slow_readers:
        path = os.path.join(root, a.file.lstrip("/"))
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        block = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for _ in range(a.file_size):
                f.write(block)
        os.chmod(path, 0o644)
    if a.slow_uploads:
        path = os.path.join(root, a.upload_path.lstrip("/"))
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "w") as f:
            f.write(UPLOAD_SH)
        os.chmod(path, 0o755)


# ------------------------------------------------------------ one-off checks

def raw_exchange(port, data, want, timeout):
    """Sends data, reads until `want` bytes or EOF or timeout: (bytes, s)."""
    t0 = time.monotonic()
    buf = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(data)
            while len(buf) < want and time.monotonic() - t0 < timeout:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
    except OSError as e:
        return buf, time.monotonic() - t0, str(e)
    return buf, time.monotonic() - t0, None


def check_server(port, a):
    if a.slow_readers:
        buf, _, err = raw_exchange(
            port, f"GET {a.file} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
            a.read_bytes, 10.0)
        st = status_of(buf)
        return "ok" if st == 200 else f"FAIL(GET {a.file}: status {st}, {err})"
    if a.blocked:
        buf, dt, err = raw_exchange(
            port, f"GET {a.block_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
            1 << 20, 15.0)
        st = status_of(buf)
        if st != 200:
            return f"FAIL(GET {a.block_path}: status {st}, {err})"
        return "ok" if dt >= 2.5 else f"FAIL(GET {a.block_path} answered in {dt:.2f} s: no sleep)"
    if a.slow_uploads:
        body = b"x" * a.upload_length
        head = (f"POST {a.upload_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                f"Content-Type: application/octet-stream\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        buf, _, err = raw_exchange(port, head + body, 1 << 20, 15.0)
        st = status_of(buf)
        return "ok" if st == 200 else f"FAIL(POST {a.upload_path}: status {st}, {err})"
    return "ok"


# ------------------------------------------------------------ the new crowds

class Conn:
    __slots__ = ("sock", "out", "state", "got", "buf", "status", "t_first",
                 "t_done", "eof", "need")

    def __init__(self, sock, out):
        self.sock, self.out = sock, out
        self.state = "connecting"
        self.got = 0
        self.buf = b""
        self.status = None
        self.t_first = self.t_done = None
        self.eof = False
        self.need = None


class Crowd:
    """N non-blocking connections driven by one selector in a thread: they
    connect in parallel, send their first bytes, then each kind reads (or
    does not read) its answers. Every wait is bounded by `deadline`."""

    def __init__(self, kind, port, n, first, a):
        self.kind, self.port, self.n, self.first, self.a = kind, port, n, first, a
        self.sel = selectors.DefaultSelector()
        self.conns = []
        self.open_errors = 0
        self.connect_failed = 0
        self.reset = 0
        self.sent = 0
        self.t0 = None
        self.t_all_sent = None
        self.stop = threading.Event()
        self.thread = None

    def start(self, deadline):
        self.t0 = time.monotonic()
        for _ in range(self.n):
            try:
                s = socket.socket()
                if self.a.mss:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, self.a.mss)
                if self.kind == "slow_readers" and self.a.rcvbuf:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.a.rcvbuf)
                s.setblocking(False)
            except OSError:
                self.open_errors += 1
                continue
            rc = s.connect_ex(("127.0.0.1", self.port))
            if rc not in (0, errno.EINPROGRESS):
                self.open_errors += 1
                s.close()
                continue
            c = Conn(s, self.first)
            self.conns.append(c)
            self.sel.register(s, selectors.EVENT_WRITE, c)
        self.thread = threading.Thread(target=self.run, args=(deadline,), daemon=True)
        self.thread.start()

    def pending(self):
        """Connections still connecting or sending their first bytes."""
        return sum(1 for c in self.conns if c.state in ("connecting", "sending"))

    def drop(self, c):
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass

    def run(self, deadline):
        while not self.stop.is_set() and time.monotonic() < deadline:
            if not self.sel.get_map():
                self.stop.wait(0.2)
                continue
            for key, ev in self.sel.select(timeout=0.2):
                c = key.data
                try:
                    if c.state in ("connecting", "sending"):
                        self.on_write(c)
                    else:
                        self.on_read(c)
                except (ConnectionResetError, BrokenPipeError):
                    self.reset += 1
                    c.state = "reset"
                    self.drop(c)
                except OSError:
                    self.reset += 1
                    c.state = "reset"
                    self.drop(c)

    def on_write(self, c):
        if c.state == "connecting":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.connect_failed += 1
                c.state = "failed"
                self.drop(c)
                return
            c.state = "sending"
        try:
            n = c.sock.send(c.out)
        except BlockingIOError:
            return
        c.out = c.out[n:]
        if not c.out:
            c.state = "sent"
            self.sent += 1
            if self.sent == len(self.conns):
                self.t_all_sent = time.monotonic()
            self.sel.modify(c.sock, selectors.EVENT_READ, c)

    def on_read(self, c):
        cap = 65536
        if self.kind == "slow_readers":
            cap = self.a.read_bytes - c.got
        try:
            d = c.sock.recv(cap)
        except BlockingIOError:
            return
        now = time.monotonic()
        if not d:
            c.eof = True
            if self.kind == "blocked" and c.t_done is None:
                c.t_done = now
            self.drop(c)
            return
        if c.t_first is None:
            c.t_first = now
        c.got += len(d)
        if c.need is None and (c.status is None or self.kind == "blocked"):
            c.buf += d
            if c.status is None and b"\r\n" in c.buf:
                c.status = status_of(c.buf)
        if self.kind == "slow_readers":
            if c.got >= self.a.read_bytes:
                self.drop(c)          # stop reading; the socket stays open
            if c.status is not None:
                c.buf = b""
        elif self.kind == "blocked":
            if c.need is None:
                end = c.buf.find(b"\r\n\r\n")
                if end >= 0:
                    length = 0
                    for line in c.buf[:end].split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length" and v.strip().isdigit():
                            length = int(v.strip())
                    c.need = end + 4 + length
                    c.buf = b""
            if c.need is not None and c.got >= c.need:
                c.t_done = now
                self.drop(c)
                c.sock.close()
        # slow uploads: any answer is recorded (status, got); keep reading
        # until EOF

    def finish(self):
        self.stop.set()
        if self.thread:
            self.thread.join(5.0)

    def close(self):
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass
        self.sel.close()


def crowd_figures(cr, kind):
    cs = cr.conns
    r = dict(
        crowd_n=cr.n,
        crowd_opened=sum(1 for c in cs if c.state not in ("connecting", "failed")),
        crowd_sent=cr.sent,
        crowd_connect_errors=cr.open_errors + cr.connect_failed,
        crowd_reset=cr.reset,
    )
    if kind == "slow_readers":
        firsts = [c.t_first - cr.t0 for c in cs if c.t_first is not None]
        r.update(
            got_bytes=len(firsts),
            got_read_bytes=sum(1 for c in cs if c.got >= cr.a.read_bytes),
            crowd_status_200=sum(1 for c in cs if c.status == 200),
            crowd_closed_by_server=sum(1 for c in cs if c.eof),
            first_byte_p50_s=round(pct(firsts, 50), 2) if firsts else None,
            first_byte_max_s=round(max(firsts), 2) if firsts else None,
        )
    elif kind == "blocked":
        done = [c.t_done - cr.t0 for c in cs if c.t_done is not None and c.got > 0]
        ok = [c for c in cs if c.t_done is not None and c.status == 200]
        r.update(
            answered=len(done),
            ok_200=len(ok),
            all_done_s=round(max(done), 2) if len(done) == cr.n and cr.n else None,
            answered_p50_s=round(pct(done, 50), 2) if done else None,
            last_answer_s=round(max(done), 2) if done else None,
        )
    elif kind == "slow_uploads":
        # CPython sends its '200 Script output follows' head before it
        # runs the script, so bytes here are not a sign the server gave up;
        # a close is.
        r.update(
            crowd_got_bytes=sum(1 for c in cs if c.got > 0),
            crowd_statuses=sorted({c.status for c in cs if c.status is not None}),
            crowd_closed_by_server=sum(1 for c in cs if c.eof),
        )
    return r


def run_new_kind(kind, port, proc, a, result):
    if kind == "slow_readers":
        n = a.slow_readers
        first = f"GET {a.file} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    elif kind == "blocked":
        n = a.blocked
        first = f"GET {a.block_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    else:
        n = a.slow_uploads
        first = (f"POST {a.upload_path} HTTP/1.1\r\nHost: x\r\n"
                 f"Content-Type: application/octet-stream\r\n"
                 f"Content-Length: {a.upload_length}\r\n\r\nxx").encode()
    result["check"] = check_server(port, a)
    time.sleep(0.3)
    t, rss, _, procs = group_stats(proc.pid)
    result.update(threads_idle=t, rss_idle_kb=rss, procs_idle=procs)
    samples = []
    tcp_mem = [tcp_mem_pages()]
    start = time.monotonic()
    hard_end = start + a.open_budget + a.duration + max(a.crowd_timeout, 0) + 10
    cr = Crowd(kind, port, n, first, a)
    cr.start(hard_end)
    next_sample = time.monotonic()
    open_end = start + a.open_budget
    while time.monotonic() < open_end and cr.pending():
        if time.monotonic() >= next_sample:
            samples.append(group_stats(proc.pid))
            tcp_mem.append(tcp_mem_pages())
            next_sample += 0.5
        time.sleep(0.05)
    result["crowd_open_s"] = round(time.monotonic() - start, 2)
    lat, fails = [], 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        ok, dt = one_get(port, a.normal_path)
        if ok:
            lat.append(dt)
        else:
            fails += 1
        if time.monotonic() >= next_sample:
            samples.append(group_stats(proc.pid))
            tcp_mem.append(tcp_mem_pages())
            next_sample = time.monotonic() + 0.5
        time.sleep(a.interval)
    if kind == "blocked":
        # wait for the last answers, sampling, at most crowd_timeout from
        # the first connect
        crowd_end = start + a.crowd_timeout
        while time.monotonic() < crowd_end and sum(
                1 for c in cr.conns if c.t_done is not None) < n:
            if time.monotonic() >= next_sample:
                samples.append(group_stats(proc.pid))
                tcp_mem.append(tcp_mem_pages())
                next_sample = time.monotonic() + 0.5
            time.sleep(0.05)
    samples.append(group_stats(proc.pid))
    cr.finish()
    result.update(crowd_figures(cr, kind))
    result["server_alive"] = proc.poll() is None
    cr.close()
    result.update(
        requests=len(lat) + fails,
        failures=fails,
        p50_ms=round(pct(lat, 50) * 1000, 2) if lat else None,
        p99_ms=round(pct(lat, 99) * 1000, 2) if lat else None,
        max_ms=round(max(lat) * 1000, 2) if lat else None,
        samples=len(samples),
        threads_held=max(s[0] for s in samples),
        rss_held_kb=max(s[1] for s in samples),
        peak_rss_kb=max(s[2] for s in samples),
        procs_held=max(s[3] for s in samples),
        tcp_mem_pages_max=max(tcp_mem),
        run_s=round(time.monotonic() - start, 1),
    )
    return result


def run_old_kind(port, proc, a, result):
    base_threads, base_rss, _, _ = group_stats(proc.pid)
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
        ok, dt = one_get(port, a.normal_path)
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
        threads_held=max(s[0] for s in samples),
        rss_idle_kb=base_rss,
        rss_held_kb=max(s[1] for s in samples),
        peak_rss_kb=max(s[2] for s in samples),
    )
    return result


def kill_group(proc):
    """SIGKILL to the server's process group and every other process of its
    session, until none is left (or 3 tries)."""
    for _ in range(3):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        for pid in group_pids(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            proc.wait(5.0)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.2)
        if not group_pids(proc.pid):
            return


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--idle", type=int)
    g.add_argument("--slowloris", type=int)
    g.add_argument("--slow-readers", type=int)
    g.add_argument("--blocked", type=int)
    g.add_argument("--slow-uploads", type=int)
    ap.add_argument("--byte-every", type=float, default=2.0)
    ap.add_argument("--file", default="/big.bin")
    ap.add_argument("--file-size", type=int, default=64, help="MiB")
    ap.add_argument("--read-bytes", type=int, default=4096)
    ap.add_argument("--rcvbuf", type=int, default=65536)
    ap.add_argument("--mss", type=int, default=1460)
    ap.add_argument("--block-path", default="/sleep")
    ap.add_argument("--upload-path", default="/cgi-bin/upload.sh")
    ap.add_argument("--upload-length", type=int, default=100000)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--normal-path", default="/")
    ap.add_argument("--open-budget", type=float, default=20.0)
    ap.add_argument("--crowd-timeout", type=float, default=30.0)
    ap.add_argument("--name", default="server")
    ap.add_argument("--json")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = [c for c in a.cmd if c != "--"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    kind = next(k for k in ("idle", "slowloris", "slow_readers", "blocked", "slow_uploads")
                if getattr(a, k))
    n = getattr(a, kind)
    result = {"server": a.name, "scenario": kind.replace("_", "") + str(n), "kind": kind}
    if n + 64 > hard:
        result["error"] = f"RLIMIT_NOFILE {hard} too low for {n} connections"
        return result, a

    port = free_port()
    tmp = tempfile.mkdtemp(prefix="crowd-tmp-")
    root = tempfile.mkdtemp(prefix="crowd-root-")
    make_fixture(root, a)
    line = (" ".join(cmd).replace("{port}", str(port)).replace("{tmp}", tmp)
            .replace("{root}", root))
    log = open(f"/tmp/crowd-{a.name}-{port}.log", "wb")
    proc = subprocess.Popen(["bash", "-c", "exec " + line], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_ready(port, proc, a.normal_path):
            result["error"] = "not ready"
            return result, a
        if kind in ("idle", "slowloris"):
            return run_old_kind(port, proc, a, result), a
        return run_new_kind(kind, port, proc, a, result), a
    finally:
        kill_group(proc)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def on_term(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    r, args = main()
    line = json.dumps(r, sort_keys=True)
    print(line)
    keys = ("p50_ms", "p99_ms", "max_ms", "failures", "threads_held", "procs_held",
            "rss_held_kb", "got_bytes", "all_done_s", "ok_200", "crowd_closed_by_server", "check",
            "error")
    print(r["server"], r["scenario"], " ".join(f"{k}={r[k]}" for k in keys if k in r),
          file=sys.stderr)
    if args.json:
        with open(args.json, "a") as f:
            f.write(line + "\n")
