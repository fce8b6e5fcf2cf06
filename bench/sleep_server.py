#!/usr/bin/env python3
"""CPython twin of examples/bench_hello.rs with its blocked-handler route:
/work/shared/perf/hello_server.py (ThreadingHTTPServer, HTTP/1.1,
Content-Length, one access-log line per request on stderr) plus a GET whose
path starts with /sleep, which sleeps 3 s in the handler before answering
'hello' like every other GET. Used by bench/crowd.py --blocked.

usage: sleep_server.py PORT
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLEEP_S = 3.0


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/sleep"):
            time.sleep(SLEEP_S)
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(sys.argv[1])
    with ThreadingHTTPServer(("127.0.0.1", port), Hello) as httpd:
        httpd.serve_forever()
