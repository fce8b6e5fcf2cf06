# PyMOTW-3 http_server_send_header.py, the Python original of examples/examples/send_header.rs.
import sys
import time
from http.server import BaseHTTPRequestHandler


class GetHandler(BaseHTTPRequestHandler):

    def do_GET(self):
        self.send_response(200)
        self.send_header(
            'Last-Modified',
            self.date_time_string(time.time())
        )
        self.end_headers()
        self.wfile.write('Response body\n'.encode('utf-8'))


if __name__ == '__main__':
    from http.server import HTTPServer
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = HTTPServer(('localhost', port), GetHandler)
    print('Starting server, use <Ctrl-C> to stop', flush=True)
    server.serve_forever()
