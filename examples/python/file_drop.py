"""A team file-drop service on http.server: the twin of examples/examples/file_drop.rs.

The stock listing and Range downloads under /, a streamed multipart POST / into the share
(413 over 20 MiB, then 303 back), DELETE /name with a bearer token (401 + WWW-Authenticate),
GET /stats as JSON, two security headers on every response, a JSON-lines access log on
stdout, HTTPS when given a certificate and key, Ctrl-C. Python 3.11 to 3.13 (no cgi module).

Run: DROP_TOKEN=s3cret python3 file_drop.py 8000 share [cert.pem key.pem]
"""
import functools
import hmac
import io
import json
import os
import re
import ssl
import sys
import time
from email.message import Message
from email.parser import BytesHeaderParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

MAX_UPLOAD = 20 << 20
CHUNK = 64 * 1024
TOKEN = os.environ.get("DROP_TOKEN", "")


def safe_file_name(raw):
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    if (not base or base.startswith(".") or len(base.encode()) > 255
            or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in base)):
        return None
    return base


def create_numbered(directory, name):
    stem, ext = os.path.splitext(name)
    for n in range(1001):
        candidate = name if n == 0 else f"{stem} ({n}){ext}"
        try:
            return open(os.path.join(directory, candidate), "xb")
        except FileExistsError:
            pass
    raise FileExistsError(name)


class CountingWriter:
    """wfile, counting the bytes written (for the access log)."""

    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def write(self, data):
        self.count += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class FileDrop(SimpleHTTPRequestHandler):
    extra_headers = ()

    def setup(self):
        super().setup()
        self.wfile = CountingWriter(self.wfile)

    def handle_one_request(self):
        start, sent, self.status = time.monotonic(), self.wfile.count, None
        super().handle_one_request()
        if self.status is not None:
            print(json.dumps({"time": time.time(), "client": self.address_string(),
                              "request": self.requestline, "status": self.status,
                              "bytes": self.wfile.count - sent,
                              "ms": (time.monotonic() - start) * 1000}), flush=True)

    def log_request(self, code="-", size="-"):
        self.status = int(code)

    def end_headers(self):
        for name, value in self.extra_headers:
            self.send_header(name, value)
        self.extra_headers = ()
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'none'; sandbox")
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip(), re.I)
        if self.command != "GET" or not match or not any(match.groups()) or not os.path.isfile(path):
            return super().send_head()
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            first, last = match[1], match[2]
            start = int(first) if first else max(size - int(last), 0)
            end = min(int(last), size - 1) if first and last else size - 1
            if first and last and int(last) < int(first):
                return super().send_head()
            if start >= size or (not first and int(last) == 0):
                self.extra_headers = [("Content-Range", f"bytes */{size}")]
                self.send_error(416)
                return None
            f.seek(start)
            body = f.read(end - start + 1)
            mtime = os.fstat(f.fileno()).st_mtime
        self.send_response(206)
        self.send_header("Content-type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", self.date_time_string(mtime))
        self.end_headers()
        return io.BytesIO(body)

    def do_GET(self):
        if urlsplit(self.path).path != "/stats":
            return super().do_GET() if self.command == "GET" else super().do_HEAD()
        files = [e for e in os.scandir(self.directory) if e.is_file()]
        body = json.dumps({"files": len(files), "bytes": sum(e.stat().st_size for e in files)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body.encode())

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        if length > MAX_UPLOAD:
            return self.send_error(413, None, "form body too large")
        saved = []
        try:
            error = self.save_files(length, saved)
        except OSError:
            error = (500, None)
        if error:
            for f in saved:
                f.close()
                os.remove(f.name)
            return self.send_error(error[0], None, error[1])
        self.send_response(303)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def save_files(self, left, saved):
        """Streams each file part of the body into the share: None, or (status, explanation)."""
        msg = Message()
        msg["Content-Type"] = self.headers.get("Content-Type", "")
        boundary = msg.get_param("boundary")
        if msg.get_content_type() != "multipart/form-data" or not boundary:
            return 400, "form content type not supported"
        delim, buf, out = b"\r\n--" + boundary.encode(), b"\r\n", None
        while True:
            i = buf.find(delim)
            if i < 0:
                keep = len(delim) - 1
                if out and len(buf) > keep:
                    out.write(buf[:-keep])
                buf = buf[-keep:]
                if not left:
                    return 400, "multipart body ended early"
                chunk = self.rfile.read(min(left, CHUNK))
                left, buf = left - len(chunk), buf + chunk
                continue
            if out:
                out.write(buf[:i])
                out.close()
                out = None
            buf = buf[i + len(delim):]
            while not buf.startswith(b"--") and b"\r\n\r\n" not in buf and left:
                chunk = self.rfile.read(min(left, CHUNK))
                left, buf = left - len(chunk), buf + chunk
            if buf.startswith(b"--"):
                return None
            head, sep, buf = buf.partition(b"\r\n\r\n")
            if not sep:
                return 400, "multipart body ended early"
            part = BytesHeaderParser().parsebytes(head.lstrip(b"\r\n") + b"\r\n\r\n")
            name = safe_file_name(part.get_filename(""))
            if name:
                out = create_numbered(self.directory, name)
                saved.append(out)

    def do_DELETE(self):
        auth = self.headers.get("Authorization", "")
        if not TOKEN or not hmac.compare_digest(auth.encode(), f"Bearer {TOKEN}".encode()):
            self.extra_headers = [("WWW-Authenticate", "Bearer")]
            return self.send_error(401)
        name = safe_file_name(unquote(urlsplit(self.path).path))
        try:
            os.remove(os.path.join(self.directory, name or ""))
        except OSError:
            return self.send_error(404)
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    share = sys.argv[2] if len(sys.argv) > 2 else "share"
    os.makedirs(share, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(FileDrop, directory=share))
    scheme = "HTTP"
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "HTTPS"
    print(f"Serving {scheme} on {scheme.lower()}://127.0.0.1:{port}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
