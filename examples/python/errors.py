# PyMOTW-3 http_server_errors.py, the Python original of examples/examples/errors.rs.
import sys
from http.server import BaseHTTPRequestHandler


class ErrorHandler(BaseHTTPRequestHandler):

    def do_GET(self):
        self.send_error(404)


if __name__ == '__main__':
    from http.server import HTTPServer
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = HTTPServer(('localhost', port), ErrorHandler)
    print('Starting server, use <Ctrl-C> to stop', flush=True)
    server.serve_forever()
