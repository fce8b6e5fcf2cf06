"""A small JSON service on http.server: the twin of examples/examples/api.rs."""
import json
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INDEX = b'<!DOCTYPE html>\n<title>Items</title>\n<p>See <a href="/api/items">/api/items</a>.</p>\n'
lock = threading.Lock()
items = []


class Api(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    error_content_type = "application/json"
    error_message_format = '{"error": %(code)d, "message": "%(message)s"}'

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def respond(self, code, content_type, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def respond_json(self, code, value, headers=()):
        self.respond(code, "application/json", json.dumps(value).encode(), headers)

    def do_GET(self):
        url = urlsplit(self.path)
        ids = parse_qs(url.query).get("id")
        if url.path == "/":
            self.respond(200, "text/html; charset=utf-8", INDEX)
        elif url.path == "/api/items" and not ids:
            with lock:
                self.respond_json(200, items)
        elif url.path == "/api/items":
            with lock:
                found = [i for i in items if str(i["id"]) == ids[0]]
            if found:
                self.respond_json(200, found[0])
            else:
                self.send_error(404, "No such item")
        elif url.path.startswith("/static/"):
            super().do_GET()
        else:
            self.send_error(404)

    def do_POST(self):
        if urlsplit(self.path).path != "/api/items":
            return self.send_error(404)
        length = self.headers.get("Content-Length")
        if length is None:
            return self.send_error(411)
        if int(length) > 64 * 1024:
            return self.send_error(413)
        try:
            item = {"id": 0, "name": str(json.loads(self.rfile.read(int(length)))["name"])}
        except (ValueError, KeyError, TypeError):
            return self.send_error(400, "Body is not an item")
        with lock:
            item["id"] = items[-1]["id"] + 1 if items else 1
            items.append(item)
        self.respond_json(201, item, [("Location", f"/api/items?id={item['id']}")])

    def do_DELETE(self):
        path = urlsplit(self.path).path
        with lock:
            before = len(items)
            items[:] = [i for i in items if f"/api/items/{i['id']}" != path]
            removed = len(items) != before
        if not removed:
            return self.send_error(404, "No such item")
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = ThreadingHTTPServer(("127.0.0.1", port), Api)
    print(f"Serving on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
