# The http.server docs' run(), the Python original of examples/examples/run.rs
# (port from argv instead of 8000 so tests can pick one).
import sys
from http.server import HTTPServer, BaseHTTPRequestHandler


def run(server_class=HTTPServer, handler_class=BaseHTTPRequestHandler):
    server_address = ('', int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
    httpd = server_class(server_address, handler_class)
    httpd.serve_forever()


if __name__ == '__main__':
    run()
