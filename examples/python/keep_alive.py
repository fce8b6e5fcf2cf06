# A BaseHTTPRequestHandler with protocol_version = 'HTTP/1.1' (the docs:
# "you must also include a Content-Length header"), the Python original of
# examples/examples/keep_alive.rs.
import sys
from http.server import HTTPServer, BaseHTTPRequestHandler


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        body = 'You asked for {}\n'.format(self.path).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = HTTPServer(('localhost', port), KeepAliveHandler)
    print('Starting server, use <Ctrl-C> to stop', flush=True)
    server.serve_forever()
