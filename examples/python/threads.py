# PyMOTW-3 http_server_threads.py, the Python original of examples/examples/threads.rs.
import sys
import threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type',
                         'text/plain; charset=utf-8')
        self.end_headers()
        message = threading.current_thread().name
        self.wfile.write(message.encode('utf-8'))
        self.wfile.write(b'\n')


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = ThreadingHTTPServer(('localhost', port), Handler)
    print('Starting server, use <Ctrl-C> to stop', flush=True)
    server.serve_forever()
