# The http.server docs' SimpleHTTPRequestHandler snippet, the Python original
# of examples/examples/file_server.rs (port from argv; serves the working directory).
import http.server
import socketserver
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000

Handler = http.server.SimpleHTTPRequestHandler

with socketserver.TCPServer(("", PORT), Handler) as httpd:
    print("serving at port", PORT, flush=True)
    httpd.serve_forever()
