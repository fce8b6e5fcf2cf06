# The BaseHTTPRequestHandler docstring's do_SPAM ("for the request SPAM, the
# do_SPAM() method will be called"), the Python original of
# examples/examples/custom_method.rs.
import sys
from http.server import HTTPServer, BaseHTTPRequestHandler


class SpamHandler(BaseHTTPRequestHandler):

    def do_SPAM(self):
        body = 'Spam, spam, spam for {}\n'.format(self.path).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = HTTPServer(('localhost', port), SpamHandler)
    print('Starting server, use <Ctrl-C> to stop', flush=True)
    server.serve_forever()
