# SimpleHTTPRequestHandler plus uploads (PUT /name, or a multipart POST),
# with a size limit and safe names. The Python original of
# `file_server --upload`. Needs Python <= 3.12 (the cgi module).
import cgi
import os
import sys
from http.server import HTTPServer, SimpleHTTPRequestHandler
from urllib.parse import unquote

MAX_UPLOAD = 10 * 1024 * 1024


def safe_file_name(raw):
    base = unquote(raw.split('?')[0].split('#')[0]).replace('\\', '/').rsplit('/', 1)[-1]
    if (not base or base.startswith('.') or len(base.encode()) > 255
            or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in base)):
        return None
    return base


class UploadHandler(SimpleHTTPRequestHandler):

    def created(self, saved):
        body = ''.join('Saved {} ({} bytes)\n'.format(n, l) for n, l in saved).encode()
        self.send_response(201)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def create(self, name):
        try:
            return open(os.path.join(self.directory, name), 'xb')
        except FileExistsError:
            self.send_error(409, 'File exists')

    def do_PUT(self):
        name = safe_file_name(self.path)
        if name is None:
            return self.send_error(400, 'Bad file name')
        length = self.headers['Content-Length']
        if length is None:
            return self.send_error(411)
        if int(length) > MAX_UPLOAD:
            return self.send_error(413)
        f = self.create(name)
        if f is None:
            return
        with f:
            f.write(self.rfile.read(int(length)))
        self.created([(name, int(length))])

    def do_POST(self):
        form = cgi.FieldStorage(fp=self.rfile, headers=self.headers,
                                environ={'REQUEST_METHOD': 'POST'})
        saved = []
        for item in form.list or []:
            name = item.filename and safe_file_name(item.filename)
            if not name:
                continue
            data = item.file.read()
            f = self.create(name)
            if f is None:
                return
            with f:
                f.write(data)
            saved.append((name, len(data)))
        if not saved:
            return self.send_error(400, 'No file in the form')
        self.created(saved)


if __name__ == '__main__':
    PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    httpd = HTTPServer(('', PORT), UploadHandler)
    print("serving at port", PORT, flush=True)
    httpd.serve_forever()
