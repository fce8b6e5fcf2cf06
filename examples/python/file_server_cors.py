# The CORSRequestHandler recipe: a header on every response by overriding
# end_headers. The Python original of `file_server --cors`.
import sys
from http.server import HTTPServer, SimpleHTTPRequestHandler


class CORSRequestHandler(SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('Access-Control-Allow-Origin', '*')
        super().end_headers()


if __name__ == '__main__':
    PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    httpd = HTTPServer(('', PORT), CORSRequestHandler)
    print("serving at port", PORT, flush=True)
    httpd.serve_forever()
