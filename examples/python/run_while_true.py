# The http.server docs' handle_request() loop (the Python 2 BaseHTTPServer docs'
# run_while_true), the Python original of examples/examples/run_while_true.rs.
# keep_running() turns false after a request for /stop.
import sys
from http.server import HTTPServer, BaseHTTPRequestHandler

running = True


def keep_running():
    return running


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_GET(self):
        global running
        Handler.count += 1
        if self.path == '/stop':
            running = False
        body = 'request {} for {}\n'.format(Handler.count, self.path).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def run_while_true(server_class=HTTPServer,
                   handler_class=Handler):
    """
    This assumes that keep_running() is a function of no arguments which
    is tested initially and after each request.  If its return value
    is true, the server continues.
    """
    server_address = ('', int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
    httpd = server_class(server_address, handler_class)
    while keep_running():
        httpd.handle_request()


if __name__ == '__main__':
    run_while_true()
