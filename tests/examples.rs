//! Runs each example's handler over a real socket and compares its response
//! with what the Python original (`examples/python/NAME.py`, CPython 3.11.7)
//! sent for the same request. The Python responses below were captured with
//! those scripts; dates, client ports, `Python/3.11.7` vs our `sys_version`,
//! `BaseHTTP/0.6` vs 3.15's `BaseHTTP`, and thread names are normalised, and
//! 3.11's error page gets the `color-scheme` block 3.14+ added.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use basehttp::{Class, HttpServer};

use crate::support::{self, connect, raw, read_to_close};

// Each example's source compiled into this binary (their `main`s go unused).
#[allow(dead_code)]
#[path = "../examples/examples/api.rs"]
mod api;
#[allow(dead_code)]
#[path = "../examples/examples/cgi_server.rs"]
mod cgi_server;
#[allow(dead_code)]
#[path = "../examples/examples/custom_method.rs"]
mod custom_method;
#[allow(dead_code)]
#[path = "../examples/examples/errors.rs"]
mod errors;
#[allow(dead_code)]
#[path = "../examples/examples/file_drop.rs"]
mod file_drop;
#[allow(dead_code)]
#[path = "../examples/examples/file_server.rs"]
mod file_server;
#[allow(dead_code)]
#[path = "../examples/examples/get.rs"]
mod get;
#[allow(dead_code)]
#[path = "../examples/examples/hello.rs"]
mod hello;
#[allow(dead_code)]
#[path = "../examples/examples/keep_alive.rs"]
mod keep_alive;
#[allow(dead_code)]
#[path = "../examples/examples/post.rs"]
mod post;
#[allow(dead_code)]
#[path = "../examples/examples/run.rs"]
mod run;
#[allow(dead_code)]
#[path = "../examples/examples/run_while_true.rs"]
mod run_while_true;
#[allow(dead_code)]
#[path = "../examples/examples/send_header.rs"]
mod send_header;
#[allow(dead_code)]
#[path = "../examples/examples/threads.rs"]
mod threads;

// Captured from the Python originals (see the module docs).
const PY_GET_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:14 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCLIENT VALUES:\r\nclient_address=('127.0.0.1', 48676) (127.0.0.1)\r\ncommand=GET\r\npath=/foo/bar;p?a=b&c=d#frag\r\nreal path=/foo/bar\r\nquery=a=b&c=d\r\nrequest_version=HTTP/1.1\r\n\r\nSERVER VALUES:\r\nserver_version=BaseHTTP/0.6\r\nsys_version=Python/3.11.7\r\nprotocol_version=HTTP/1.0\r\n\r\nHEADERS RECEIVED:\r\nAccept=*/*\r\nHost=localhost\r\nUser-Agent=test/1.0\r\nX-Zeta=v\r\n";
const PY_POST_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:14 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nClient: ('127.0.0.1', 44852)\nUser-agent: curl/8.0\nPath: /form\nForm data:\n\tfoo=bar baz\n\tname=dhellmann\n";
const PY_POST_1: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:14 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nClient: ('127.0.0.1', 44856)\nUser-agent: curl/8.0\nPath: /\nForm data:\n\tfoo=bar\n\tUploaded datafile as 'upload.txt' (13 bytes)\n\tname=dhellmann\n";
const PY_THREADS_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:14 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThread-2 (process_request_thread)\n";
const PY_ERRORS_0: &[u8] = b"HTTP/1.0 404 Not Found\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:14 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 330\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: Not Found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n";
const PY_SEND_HEADER_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nLast-Modified: Mon, 23 Nov 2026 15:20:15 GMT\r\n\r\nResponse body\n";
const PY_RUN_0: &[u8] = b"HTTP/1.0 501 Unsupported method ('GET')\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 356\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 501</p>\n        <p>Message: Unsupported method ('GET').</p>\n        <p>Error code explanation: 501 - Server does not support this operation.</p>\n    </body>\n</html>\n";
const PY_CUSTOM_METHOD_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 27\r\n\r\nSpam, spam, spam for /eggs\n";
const PY_CUSTOM_METHOD_1: &[u8] = b"HTTP/1.0 501 Unsupported method ('GET')\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 356\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 501</p>\n        <p>Message: Unsupported method ('GET').</p>\n        <p>Error code explanation: 501 - Server does not support this operation.</p>\n    </body>\n</html>\n";
const PY_KEEP_ALIVE_0: &[u8] = b"HTTP/1.1 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n\r\nYou asked for /one\nHTTP/1.1 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n\r\nYou asked for /two\n";
const PY_RUN_WHILE_TRUE_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nContent-Length: 17\r\n\r\nrequest 1 for /a\n";
const PY_RUN_WHILE_TRUE_1: &[u8] = b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:20:15 GMT\r\nContent-Length: 20\r\n\r\nrequest 2 for /stop\n";
const MULTIPART_BODY: &[u8] = b"--------------------------abc123\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ndhellmann\r\n--------------------------abc123\r\nContent-Disposition: form-data; name=\"foo\"\r\n\r\nbar\r\n--------------------------abc123\r\nContent-Disposition: form-data; name=\"datafile\"; filename=\"upload.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\n\r\n--------------------------abc123--\r\n";
const REQ_GET_0: &[u8] = b"GET /foo/bar;p?a=b&c=d#frag HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test/1.0\r\nAccept: */*\r\nX-Zeta:  v  \r\n\r\n";
const REQ_POST_0: &[u8] = b"POST /form HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\nname=dhellmann&foo=bar+baz&";
const REQ_POST_1: &[u8] = b"POST / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.0\r\nContent-Type: multipart/form-data; boundary=------------------------abc123\r\nContent-Length: 362\r\n\r\n";
const REQ_THREADS_0: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_ERRORS_0: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_SEND_HEADER_0: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_RUN_0: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_CUSTOM_METHOD_0: &[u8] = b"SPAM /eggs HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_CUSTOM_METHOD_1: &[u8] = b"GET /eggs HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_KEEP_ALIVE_0: &[u8] = b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const REQ_RUN_WHILE_TRUE_0: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
const REQ_RUN_WHILE_TRUE_1: &[u8] = b"GET /stop HTTP/1.1\r\nHost: x\r\n\r\n";

const PY_FILE_SERVER_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-type: application/octet-stream\r\nContent-Length: 30\r\nLast-Modified: Mon, 23 Nov 2026 15:28:12 GMT\r\n\r\nWe are the knights who say Ni!";
const REQ_FILE_SERVER_0: &[u8] = b"GET /test HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_1: &[u8] = b"HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 335\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n";
const REQ_FILE_SERVER_1: &[u8] = b"GET /nope HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_CORS_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-type: application/octet-stream\r\nContent-Length: 30\r\nLast-Modified: Mon, 23 Nov 2026 15:28:12 GMT\r\nAccess-Control-Allow-Origin: *\r\n\r\nWe are the knights who say Ni!";
const REQ_FILE_SERVER_CORS_0: &[u8] = b"GET /test HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_CORS_1: &[u8] = b"HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 335\r\nAccess-Control-Allow-Origin: *\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n";
const REQ_FILE_SERVER_CORS_1: &[u8] = b"GET /nope HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_UPLOAD_0: &[u8] = b"HTTP/1.0 201 Created\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 25\r\n\r\nSaved new.txt (13 bytes)\n";
const REQ_FILE_SERVER_UPLOAD_0: &[u8] =
    b"PUT /new.txt HTTP/1.0\r\nContent-Length: 13\r\n\r\nhello upload\n";
const PY_FILE_SERVER_UPLOAD_1: &[u8] = b"HTTP/1.0 409 File exists\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 319\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 409</p>\n        <p>Message: File exists.</p>\n        <p>Error code explanation: 409 - Request conflict.</p>\n    </body>\n</html>\n";
const REQ_FILE_SERVER_UPLOAD_1: &[u8] =
    b"PUT /new.txt HTTP/1.0\r\nContent-Length: 13\r\n\r\nhello upload\n";
const PY_FILE_SERVER_UPLOAD_2: &[u8] = b"HTTP/1.0 400 Bad file name\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 345\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 400</p>\n        <p>Message: Bad file name.</p>\n        <p>Error code explanation: 400 - Bad request syntax or unsupported method.</p>\n    </body>\n</html>\n";
const REQ_FILE_SERVER_UPLOAD_2: &[u8] = b"PUT /..%2f.hidden HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
const PY_FILE_SERVER_UPLOAD_3: &[u8] = b"HTTP/1.0 411 Length Required\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 341\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 411</p>\n        <p>Message: Length Required.</p>\n        <p>Error code explanation: 411 - Client must specify Content-Length.</p>\n    </body>\n</html>\n";
const REQ_FILE_SERVER_UPLOAD_3: &[u8] = b"PUT /nolength HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_UPLOAD_4: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-type: text/plain\r\nContent-Length: 13\r\nLast-Modified: Mon, 23 Nov 2026 15:28:12 GMT\r\n\r\nhello upload\n";
const REQ_FILE_SERVER_UPLOAD_4: &[u8] = b"GET /new.txt HTTP/1.0\r\n\r\n";
const PY_FILE_SERVER_UPLOAD_5: &[u8] = b"HTTP/1.0 201 Created\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n\r\nSaved up.bin (5 bytes)\n";
const REQ_FILE_SERVER_UPLOAD_5: &[u8] = b"POST /ignored HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=BB\r\nContent-Length: 193\r\n\r\n--BB\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\up.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n\r\n--BB--\r\n";
const PY_FILE_SERVER_UPLOAD_6: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:28:12 GMT\r\nContent-type: application/octet-stream\r\nContent-Length: 5\r\nLast-Modified: Mon, 23 Nov 2026 15:28:12 GMT\r\n\r\n\x00\x01\x02\r\n";
const REQ_FILE_SERVER_UPLOAD_6: &[u8] = b"GET /up.bin HTTP/1.0\r\n\r\n";

const PY_CGI_SERVER_0: &[u8] = b"HTTP/1.0 200 Script output follows\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:29:25 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from /cgi-bin/hello.sh\nREQUEST_METHOD=GET\nQUERY_STRING=name=spam\nPATH_INFO=/extra\n";
const REQ_CGI_SERVER_0: &[u8] = b"GET /cgi-bin/hello.sh/extra?name=spam HTTP/1.0\r\n\r\n";
const PY_CGI_SERVER_1: &[u8] = b"HTTP/1.0 200 Script output follows\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:29:25 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from /cgi-bin/hello.sh\nREQUEST_METHOD=POST\nQUERY_STRING=\nPATH_INFO=\nbody=some data\n";
const REQ_CGI_SERVER_1: &[u8] = b"POST /cgi-bin/hello.sh HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nsome data";
const PY_CGI_SERVER_2: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:29:25 GMT\r\nContent-type: text/plain\r\nContent-Length: 31\r\nLast-Modified: Mon, 23 Nov 2026 15:29:24 GMT\r\n\r\nA plain file next to cgi-bin/.\n";
const REQ_CGI_SERVER_2: &[u8] = b"GET /index.txt HTTP/1.0\r\n\r\n";
const PY_CGI_SERVER_3: &[u8] = b"HTTP/1.0 501 Can only POST to CGI scripts\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Mon, 23 Nov 2026 15:29:25 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 358\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 501</p>\n        <p>Message: Can only POST to CGI scripts.</p>\n        <p>Error code explanation: 501 - Server does not support this operation.</p>\n    </body>\n</html>\n";
const REQ_CGI_SERVER_3: &[u8] = b"POST /index.txt HTTP/1.0\r\nContent-Length: 0\r\n\r\n";

// The file-drop service's twin (`examples/python/file_drop.py`) on CPython
// 3.13.0, the version it was written for (3.13 has no `cgi` module), one
// request after the other on a share holding `hello.txt`.
const REQ_FILE_DROP_0: &[u8] = b"GET /hello.txt HTTP/1.0\r\n\r\n";
const PY_FILE_DROP_0: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-type: text/plain\r\nContent-Length: 18\r\nLast-Modified: Mon, 07 Dec 2026 04:03:20 GMT\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\nHello, file drop!\n";
const REQ_FILE_DROP_1: &[u8] = b"GET /hello.txt HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n";
const PY_FILE_DROP_1: &[u8] = b"HTTP/1.0 206 Partial Content\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-type: text/plain\r\nContent-Range: bytes 0-4/18\r\nContent-Length: 5\r\nLast-Modified: Mon, 07 Dec 2026 04:03:20 GMT\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\nHello";
const REQ_FILE_DROP_2: &[u8] = b"GET /hello.txt HTTP/1.0\r\nRange: bytes=-6\r\n\r\n";
const PY_FILE_DROP_2: &[u8] = b"HTTP/1.0 206 Partial Content\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-type: text/plain\r\nContent-Range: bytes 12-17/18\r\nContent-Length: 6\r\nLast-Modified: Mon, 07 Dec 2026 04:03:20 GMT\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\ndrop!\n";
const REQ_FILE_DROP_3: &[u8] = b"GET /hello.txt HTTP/1.0\r\nRange: bytes=100-\r\n\r\n";
const PY_FILE_DROP_3: &[u8] = b"HTTP/1.0 416 Range Not Satisfiable\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 341\r\nContent-Range: bytes */18\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 416</p>\n        <p>Message: Range Not Satisfiable.</p>\n        <p>Error code explanation: 416 - Cannot satisfy request range.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_4: &[u8] = b"POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 188\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi there\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nsome notes\n\r\n--XyZ--\r\n";
const PY_FILE_DROP_4: &[u8] = b"HTTP/1.0 303 See Other\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nLocation: /\r\nContent-Length: 0\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n";
const REQ_FILE_DROP_5: &[u8] = b"POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 203\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi there\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\Users\\\\me\\\\notes.txt\"\r\nContent-Type: text/plain\r\n\r\nmore notes\n\r\n--XyZ--\r\n";
const PY_FILE_DROP_5: &[u8] = b"HTTP/1.0 303 See Other\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nLocation: /\r\nContent-Length: 0\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n";
const REQ_FILE_DROP_6: &[u8] = b"POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 20971521\r\n\r\n";
const PY_FILE_DROP_6: &[u8] = b"HTTP/1.0 413 Content Too Large\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 328\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 413</p>\n        <p>Message: Content Too Large.</p>\n        <p>Error code explanation: 413 - form body too large.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_7: &[u8] = b"POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 169\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi there\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.txt\"\r\nContent-Type: text/plain\r\n\r\nabc\r\n";
const PY_FILE_DROP_7: &[u8] = b"HTTP/1.0 400 Bad Request\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 329\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 400</p>\n        <p>Message: Bad Request.</p>\n        <p>Error code explanation: 400 - multipart body ended early.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_8: &[u8] = b"DELETE /notes.txt HTTP/1.0\r\n\r\n";
const PY_FILE_DROP_8: &[u8] = b"HTTP/1.0 401 Unauthorized\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 346\r\nWWW-Authenticate: Bearer\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 401</p>\n        <p>Message: Unauthorized.</p>\n        <p>Error code explanation: 401 - No permission -- see authorization schemes.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_9: &[u8] = b"DELETE /notes.txt HTTP/1.0\r\nAuthorization: Bearer wrong\r\n\r\n";
const PY_FILE_DROP_9: &[u8] = b"HTTP/1.0 401 Unauthorized\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 346\r\nWWW-Authenticate: Bearer\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 401</p>\n        <p>Message: Unauthorized.</p>\n        <p>Error code explanation: 401 - No permission -- see authorization schemes.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_10: &[u8] =
    b"DELETE /notes.txt HTTP/1.0\r\nAuthorization: Bearer s3cret\r\n\r\n";
const PY_FILE_DROP_10: &[u8] = b"HTTP/1.0 204 No Content\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n";
const REQ_FILE_DROP_11: &[u8] =
    b"DELETE /notes.txt HTTP/1.0\r\nAuthorization: Bearer s3cret\r\n\r\n";
const PY_FILE_DROP_11: &[u8] = b"HTTP/1.0 404 Not Found\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 330\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: Not Found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_12: &[u8] = b"GET /stats HTTP/1.0\r\n\r\n";
const PY_FILE_DROP_12: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-Type: application/json\r\nContent-Length: 25\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n{\"files\": 2, \"bytes\": 29}";
const REQ_FILE_DROP_13: &[u8] = b"GET /missing HTTP/1.0\r\n\r\n";
const PY_FILE_DROP_13: &[u8] = b"HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 335\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n";
const REQ_FILE_DROP_14: &[u8] = b"HEAD /stats HTTP/1.0\r\n\r\n";
const PY_FILE_DROP_14: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-Type: application/json\r\nContent-Length: 25\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n";
const PY_FILE_DROP_LISTING: &[u8] = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.13.0\r\nDate: Mon, 07 Dec 2026 04:03:21 GMT\r\nContent-type: text/html; charset=utf-8\r\nContent-Length: 287\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; sandbox\r\n\r\n<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n<hr>\n<ul>\n<li><a href=\"hello.txt\">hello.txt</a></li>\n<li><a href=\"notes%20%281%29.txt\">notes (1).txt</a></li>\n</ul>\n<hr>\n</body>\n</html>\n";

/// The block CPython 3.14 added to `DEFAULT_ERROR_MESSAGE` after the
/// `<meta charset>` line.
const STYLE_BLOCK: &str = "        <style type=\"text/css\">\n            :root {\n                color-scheme: light dark;\n            }\n        </style>\n";

/// Makes a response comparable: latin-1 text with the date headers, the
/// client's port, the Python/basehttp version strings and 3.11's error page
/// differences normalised.
fn normalise(bytes: &[u8]) -> String {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut text = text
        .replace("BaseHTTP/0.6", "BaseHTTP")
        .replace("SimpleHTTP/0.6", "SimpleHTTP")
        .replace("Python/3.11.7", "<sys_version>")
        .replace("Python/3.13.0", "<sys_version>")
        .replace(Class::SYS_VERSION, "<sys_version>");
    for header in ["\r\nDate: ", "\r\nLast-Modified: "] {
        let mut from = 0;
        while let Some(start) = text[from..].find(header).map(|i| from + i + header.len()) {
            let end = start + text[start..].find("\r\n").expect("header line end");
            let value = &text[start..end];
            assert!(value.ends_with(" GMT"), "{header}{value}");
            text.replace_range(start..end, "<date>");
            from = start;
        }
    }
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("('127.0.0.1', ") {
        let (head, tail) = rest.split_at(i + "('127.0.0.1', ".len());
        out.push_str(head);
        out.push_str("<port>");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    // 3.11's error page lacks 3.14's style block (and its length).
    if !out.contains("color-scheme") && out.contains("<meta charset=\"utf-8\">\n") {
        out = out.replace(
            "<meta charset=\"utf-8\">\n",
            &format!("<meta charset=\"utf-8\">\n{STYLE_BLOCK}"),
        );
        let cl = "Content-Length: ";
        if let Some(start) = out.find(cl).map(|i| i + cl.len()) {
            let end = start + out[start..].find("\r\n").expect("line end");
            let n: usize = out[start..end].parse().expect("Content-Length");
            out.replace_range(start..end, &(n + STYLE_BLOCK.len()).to_string());
        }
    }
    out
}

fn assert_same(ours: &[u8], python: &[u8]) {
    assert_eq!(normalise(ours), normalise(python));
}

#[test]
fn example_get() {
    let server = support::spawn(|| get::GetHandler);
    assert_same(&raw(server.addr, REQ_GET_0), PY_GET_0);
}

#[test]
fn example_get_urlparse() {
    // (path, urlparse(path).path, .query) from CPython's urllib.parse.
    let table = [
        ("/", "/", ""),
        ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"),
        ("/a;p/b;q?x#f", "/a;p/b", "x"),
        ("/a?b#c?d", "/a", "b"),
        ("/a#b?c", "/a", ""),
        ("http://host:80/p/q?r", "/p/q", "r"),
        ("http://host", "", ""),
        ("*", "*", ""),
        ("a;b", "a", ""),
        ("/x:y", "/x:y", ""),
    ];
    for (path, real, query) in table {
        assert_eq!(
            get::urlparse_path_query(path),
            (real.to_owned(), query.to_owned()),
            "{path}"
        );
    }
}

#[test]
fn example_post_urlencoded() {
    let server = support::spawn(|| post::PostHandler);
    let ours = normalise(&raw(server.addr, REQ_POST_0));
    assert!(
        ours.ends_with("Form data:\n\tname=dhellmann\n\tfoo=bar baz\n"),
        "{ours}"
    );
    assert_eq!(sorted_fields(&ours), sorted_fields(&normalise(PY_POST_0)));
}

/// `cgi.FieldStorage.keys()` is a `set`, so Python's field order varies;
/// compare the field lines as a set.
fn sorted_fields(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let start = lines
        .iter()
        .position(|l| l == "Form data:")
        .expect("Form data:")
        + 1;
    lines[start..].sort();
    lines
}

#[test]
fn example_post_multipart() {
    let server = support::spawn(|| post::PostHandler);
    let request = [REQ_POST_1, MULTIPART_BODY].concat();
    let ours = normalise(&raw(server.addr, &request));
    assert!(
        ours.contains(
            "\tname=dhellmann\n\tfoo=bar\n\tUploaded datafile as 'upload.txt' (13 bytes)\n"
        ),
        "{ours}"
    );
    assert_eq!(sorted_fields(&ours), sorted_fields(&normalise(PY_POST_1)));
}

#[test]
fn example_post_multipart_trickled() {
    // The body arrives in small writes on one connection.
    let server = support::spawn(|| post::PostHandler);
    let mut s = connect(server.addr);
    s.write_all(REQ_POST_1).unwrap();
    for chunk in MULTIPART_BODY.chunks(7) {
        s.write_all(chunk).unwrap();
        s.flush().unwrap();
    }
    let ours = normalise(&read_to_close(&mut s));
    assert_eq!(sorted_fields(&ours), sorted_fields(&normalise(PY_POST_1)));
}

#[test]
fn example_post_errors() {
    let server = support::spawn(|| post::PostHandler);
    let status = |request: &[u8]| support::parse(&raw(server.addr, request)).status;
    // No final boundary: CPython's cgi accepts it silently; we answer 400.
    let truncated = &MULTIPART_BODY[..MULTIPART_BODY.len() - 40];
    let head = format!(
        "POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=------------------------abc123\r\nContent-Length: {}\r\n\r\n",
        truncated.len()
    );
    assert_eq!(status(&[head.as_bytes(), truncated].concat()), 400);
    // No boundary parameter.
    assert_eq!(
        status(
            b"POST / HTTP/1.0\r\nContent-Type: multipart/form-data\r\nContent-Length: 2\r\n\r\nxx"
        ),
        400
    );
    // A body over the limit is refused from its Content-Length, unread.
    let too_big = format!(
        "POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        basehttp::form::MAX_TOTAL_SIZE + 1
    );
    let resp = support::parse(&raw(server.addr, too_big.as_bytes()));
    assert_eq!(resp.status_line, "HTTP/1.0 413 Content Too Large");
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("413 - form body too large."), "{body}");
    let too_big = format!(
        "POST / HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        basehttp::form::MAX_FIELD_SIZE + 1
    );
    assert_eq!(status(too_big.as_bytes()), 413);
    assert_eq!(
        status(b"POST / HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nxx"),
        400
    );
}

#[test]
fn example_threads() {
    let server = support::spawn(|| threads::Handler);
    let ours = raw(server.addr, REQ_THREADS_0);
    let name = |resp: &[u8]| {
        let resp = support::parse(resp);
        String::from_utf8(resp.body).unwrap()
    };
    assert!(
        name(&ours).starts_with(&format!("bh-{}-w", server.addr.port())),
        "{}",
        name(&ours)
    );
    assert_eq!(name(PY_THREADS_0), "Thread-2 (process_request_thread)\n");
    let strip_body = |r: &[u8]| {
        let s = normalise(r);
        s[..s.find("\r\n\r\n").unwrap()].to_owned()
    };
    assert_eq!(strip_body(&ours), strip_body(PY_THREADS_0));
}

#[test]
fn example_errors() {
    let server = support::spawn(|| errors::ErrorHandler);
    assert_same(&raw(server.addr, REQ_ERRORS_0), PY_ERRORS_0);
}

#[test]
fn example_send_header() {
    let server = support::spawn(|| send_header::GetHandler);
    let ours = raw(server.addr, REQ_SEND_HEADER_0);
    assert_same(&ours, PY_SEND_HEADER_0);
    let resp = support::parse(&ours);
    assert_eq!(resp.header("Last-Modified").map(str::len), Some(29));
}

#[test]
fn example_run() {
    let server = support::spawn(|| run::BaseHandler);
    assert_same(&raw(server.addr, REQ_RUN_0), PY_RUN_0);
}

#[test]
fn example_run_while_true() {
    let state = Arc::new(run_while_true::State::default());
    let for_handlers = Arc::clone(&state);
    let httpd = HttpServer::bind("127.0.0.1:0", move || {
        run_while_true::CountingHandler(Arc::clone(&for_handlers))
    })
    .expect("bind");
    let addr = httpd.server_address();
    let stopped = Arc::clone(&state);
    let loop_thread = std::thread::spawn(move || {
        run_while_true::run_while_true(&httpd, || !stopped.stopped.load(Ordering::SeqCst))
    });
    assert_same(&raw(addr, REQ_RUN_WHILE_TRUE_0), PY_RUN_WHILE_TRUE_0);
    assert_same(&raw(addr, REQ_RUN_WHILE_TRUE_1), PY_RUN_WHILE_TRUE_1);
    // The loop ends after /stop, as Python's process exits.
    loop_thread
        .join()
        .expect("loop thread")
        .expect("run_while_true");
    assert_eq!(state.count.load(Ordering::SeqCst), 2);
}

#[test]
fn example_custom_method() {
    let server = support::spawn(|| custom_method::SpamHandler);
    assert_same(&raw(server.addr, REQ_CUSTOM_METHOD_0), PY_CUSTOM_METHOD_0);
    // 501 for GET; we add `Allow: SPAM`, which CPython does not send.
    let ours = normalise(&raw(server.addr, REQ_CUSTOM_METHOD_1));
    assert!(ours.contains("\r\nAllow: SPAM\r\n"), "{ours}");
    assert_eq!(
        ours.replace("Allow: SPAM\r\n", ""),
        normalise(PY_CUSTOM_METHOD_1)
    );
}

#[test]
fn example_keep_alive() {
    let server = support::spawn(|| keep_alive::KeepAliveHandler);
    // Both requests in one write, one connection, two responses.
    assert_same(&raw(server.addr, REQ_KEEP_ALIVE_0), PY_KEEP_ALIVE_0);
}

/// A served directory holding CPython's test file.
fn served_dir() -> support::TempDir {
    let dir = support::TempDir::new("examples-files");
    dir.write("test", "We are the knights who say Ni!");
    dir
}

#[test]
fn example_file_server() {
    let dir = served_dir();
    let files = basehttp::handlers::SimpleHttpRequestHandler::new(dir.path());
    let server = support::spawn(move || files.clone());
    assert_same(&raw(server.addr, REQ_FILE_SERVER_0), PY_FILE_SERVER_0);
    assert_same(&raw(server.addr, REQ_FILE_SERVER_1), PY_FILE_SERVER_1);
}

#[test]
fn example_file_server_cors() {
    let dir = served_dir();
    let files = basehttp::handlers::SimpleHttpRequestHandler::new(dir.path());
    let server = support::spawn(move || file_server::CorsHandler(files.clone()));
    assert_same(
        &raw(server.addr, REQ_FILE_SERVER_CORS_0),
        PY_FILE_SERVER_CORS_0,
    );
    assert_same(
        &raw(server.addr, REQ_FILE_SERVER_CORS_1),
        PY_FILE_SERVER_CORS_1,
    );
}

#[test]
fn example_file_server_upload() {
    let dir = served_dir();
    let files = basehttp::handlers::SimpleHttpRequestHandler::new(dir.path());
    let server = support::spawn(move || file_server::UploadHandler(files.clone()));
    let exchanges = [
        (REQ_FILE_SERVER_UPLOAD_0, PY_FILE_SERVER_UPLOAD_0),
        (REQ_FILE_SERVER_UPLOAD_1, PY_FILE_SERVER_UPLOAD_1),
        (REQ_FILE_SERVER_UPLOAD_2, PY_FILE_SERVER_UPLOAD_2),
        (REQ_FILE_SERVER_UPLOAD_3, PY_FILE_SERVER_UPLOAD_3),
        (REQ_FILE_SERVER_UPLOAD_4, PY_FILE_SERVER_UPLOAD_4),
        (REQ_FILE_SERVER_UPLOAD_5, PY_FILE_SERVER_UPLOAD_5),
        (REQ_FILE_SERVER_UPLOAD_6, PY_FILE_SERVER_UPLOAD_6),
    ];
    for (request, python) in exchanges {
        assert_same(&raw(server.addr, request), python);
    }
    assert_eq!(
        std::fs::read(dir.path().join("up.bin")).unwrap(),
        b"\x00\x01\x02\r\n"
    );
    assert!(!dir.path().join(".hidden").exists());
    // Over the limit: refused from Content-Length, nothing created.
    let big = format!(
        "PUT /big HTTP/1.0\r\nContent-Length: {}\r\n\r\n",
        file_server::MAX_UPLOAD + 1
    );
    assert_eq!(
        support::parse(&raw(server.addr, big.as_bytes())).status,
        413
    );
    assert!(!dir.path().join("big").exists());
    // A truncated multipart upload leaves no partial file behind.
    let body =
        b"--BB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"part.bin\"\r\n\r\nabc";
    let head = format!(
        "POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=BB\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let resp = support::parse(&raw(server.addr, &[head.as_bytes(), body].concat()));
    assert_eq!(resp.status, 400);
    assert!(!dir.path().join("part.bin").exists());
}

#[test]
fn example_file_server_safe_names() {
    let table = [
        ("/notes.txt", Some("notes.txt")),
        ("/a/b/c.txt?x=1", Some("c.txt")),
        ("C:\\dir\\up.bin", Some("up.bin")),
        ("/na%C3%AFve%20file+1.txt", Some("na\u{ef}ve file+1.txt")),
        ("/", None),
        ("/..", None),
        ("/..%2f..%2fetc%2fpasswd", Some("passwd")),
        ("/.bashrc", None),
        ("/%2e%2e", None),
        ("/a%00b", None),
        ("/x%0d%0a", None),
    ];
    for (raw_name, expected) in table {
        assert_eq!(
            file_server::safe_file_name(raw_name).as_deref(),
            expected,
            "{raw_name}"
        );
    }
}

#[test]
fn example_cgi_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = support::TempDir::new("examples-cgi");
    let script = dir.write(
        "cgi-bin/hello.sh",
        include_str!("../examples/cgi/cgi-bin/hello.sh"),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.write("index.txt", include_str!("../examples/cgi/index.txt"));
    let handler = basehttp::handlers::cgi::CgiHttpRequestHandler::new(dir.path());
    let server = support::spawn(move || handler.clone());
    let exchanges = [
        (REQ_CGI_SERVER_0, PY_CGI_SERVER_0),
        (REQ_CGI_SERVER_1, PY_CGI_SERVER_1),
        (REQ_CGI_SERVER_2, PY_CGI_SERVER_2),
        (REQ_CGI_SERVER_3, PY_CGI_SERVER_3),
    ];
    for (request, python) in exchanges {
        assert_same(&raw(server.addr, request), python);
    }
}

#[test]
fn example_keep_alive_sequential() {
    // One connection, the second request sent only after the first answer.
    let server = support::spawn(|| keep_alive::KeepAliveHandler);
    let mut s = connect(server.addr);
    s.write_all(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let first = support::read_response(&mut s, false);
    assert_eq!(first.body, b"You asked for /one\n");
    s.write_all(b"GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let second = support::read_response(&mut s, false);
    assert_eq!(second.body, b"You asked for /two\n");
    assert!(read_to_close(&mut s).is_empty());
}

/// A keep-alive handler that counts the parts of a multipart POST.
struct PartCounter;

#[basehttp::http_handler(protocol_version = "HTTP/1.1")]
impl PartCounter {
    fn do_POST(&mut self, req: &mut basehttp::Request) -> std::io::Result<()> {
        let mut names = Vec::new();
        let result = (|| {
            let mut parts = basehttp::form::multipart(req)?;
            while let Some(mut part) = parts.next_part()? {
                let len = part.copy_to(&mut std::io::sink())?;
                names.push(format!("{}:{len}", part.name()));
            }
            Ok::<_, basehttp::form::FormError>(())
        })();
        if let Err(e) = result {
            return e.send_error(req);
        }
        let body = names.join(",");
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

#[test]
fn form_multipart_keep_alive_with_epilogue() {
    // The parser stops at the close delimiter; the unread epilogue is
    // drained, and the next request on the connection is served.
    let server = support::spawn(|| PartCounter);
    let body = b"preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n123\r\n--b--\r\nepilogue bytes";
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut s = connect(server.addr);
    for _ in 0..2 {
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let resp = support::read_response(&mut s, false);
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"a:3"[..]));
    }
    // A malformed body gets 400 and the connection closes.
    let bad = b"--b\r\n\r\nno end";
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        bad.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(bad).unwrap();
    let resp = support::read_response(&mut s, false);
    assert_eq!(resp.status, 400);
    assert_eq!(resp.header("Connection"), Some("close"));
    assert!(read_to_close(&mut s).is_empty());
}

#[test]
fn example_hello() {
    let server = support::spawn(|| hello::Hello);
    let resp = support::parse(&raw(server.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
}

/// The small JSON service, every route on one keep-alive connection.
#[test]
fn api_service() {
    let dir = support::TempDir::new("api");
    dir.write("static/app.js", "console.log(1)\n");
    let root = dir.path().to_str().unwrap().to_owned();
    let srv = support::spawn(move || api::Api::new(&root));
    let mut s = connect(srv.addr);
    let mut send = |request: &str, head: bool| {
        s.write_all(request.as_bytes()).unwrap();
        let r = support::read_response(&mut s, head);
        assert_eq!(
            r.header("Access-Control-Allow-Origin"),
            Some("*"),
            "{request}"
        );
        (
            r.status,
            r.header("Location").map(str::to_owned),
            String::from_utf8(r.body).unwrap(),
        )
    };
    let (status, _, body) = send("GET / HTTP/1.1\r\n\r\n", false);
    assert_eq!((status, body.contains("<title>Items</title>")), (200, true));
    let (status, location, body) = send(
        "POST /api/items HTTP/1.1\r\nContent-Length: 16\r\n\r\n{\"name\": \"spam\"}",
        false,
    );
    assert_eq!((status, body.as_str()), (201, r#"{"id":1,"name":"spam"}"#));
    assert_eq!(location.as_deref(), Some("/api/items?id=1"));
    let post = "POST /api/items HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"name\": \"eggs\"}\r\n0\r\n\r\n";
    assert_eq!(send(post, false).0, 201);
    let (_, _, body) = send("GET /api/items HTTP/1.1\r\n\r\n", false);
    assert_eq!(body, r#"[{"id":1,"name":"spam"},{"id":2,"name":"eggs"}]"#);
    let (_, _, body) = send("GET /api/items?id=2 HTTP/1.1\r\n\r\n", false);
    assert_eq!(body, r#"{"id":2,"name":"eggs"}"#);
    assert_eq!(send("DELETE /api/items/1 HTTP/1.1\r\n\r\n", false).0, 204);
    let (_, _, body) = send("GET /static/app.js HTTP/1.1\r\n\r\n", false);
    assert_eq!(body, "console.log(1)\n");
    // HEAD / describes GET /, not the directory listing.
    s.write_all(b"HEAD / HTTP/1.1\r\n\r\n").unwrap();
    let r = support::read_response(&mut s, true);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    // Errors are JSON, and end the connection.
    s.write_all(b"GET /api/items?id=1 HTTP/1.1\r\n\r\n")
        .unwrap();
    let r = support::read_response(&mut s, false);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, br#"{"error":404,"message":"No such item"}"#);
    for (request, status) in [
        (
            "POST /api/items HTTP/1.1\r\nContent-Length: 3\r\n\r\n{x}",
            400,
        ),
        ("POST /api/items HTTP/1.1\r\n\r\n", 411),
        (
            "POST /api/items HTTP/1.1\r\nContent-Length: 70000\r\n\r\n",
            413,
        ),
        ("DELETE /api/items/9 HTTP/1.1\r\n\r\n", 404),
    ] {
        let r = support::parse(&raw(srv.addr, request.as_bytes()));
        assert_eq!(r.status, status, "{request}");
        assert_eq!(
            r.header("Content-Type"),
            Some("application/json"),
            "{request}"
        );
    }
}

/// The same service through the in-memory test client (the server's own
/// request code, no socket): what a user's own tests of it look like.
#[test]
fn api_service_in_memory() -> std::io::Result<()> {
    let dir = support::TempDir::new("api-mem");
    dir.write("static/app.js", "console.log(1)\n");
    let mut client = basehttp::test::Client::new(api::Api::new(dir.path().to_str().unwrap()));
    let r = client.get("/")?;
    assert!(r.text().contains("<title>Items</title>"));
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    let r = client
        .request("POST", "/api/items")
        .header("Content-Type", "application/json")
        .body(r#"{"name": "spam"}"#)
        .send()?;
    assert_eq!(
        (r.status, r.text().as_str()),
        (201, r#"{"id":1,"name":"spam"}"#)
    );
    assert_eq!(r.header("Location"), Some("/api/items?id=1"));
    assert_eq!(
        client.get("/api/items?id=1")?.text(),
        r#"{"id":1,"name":"spam"}"#
    );
    assert_eq!(client.get("/static/app.js")?.text(), "console.log(1)\n");
    assert!(client.is_connected(), "keep-alive across requests");
    assert_eq!(client.request("DELETE", "/api/items/1").send()?.status, 204);
    let r = client.get("/api/items?id=1")?;
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, r#"{"error":404,"message":"No such item"}"#)
    );
    let r = client.request("POST", "/api/items").body("{x}").send()?;
    assert_eq!(r.status, 400);
    Ok(())
}

/// A response with its header lines sorted: the same headers in another
/// order compare equal (CPython's `send_error` cannot add headers, so the
/// twin adds them in `end_headers`, after the body's).
fn unordered(bytes: &[u8]) -> (String, Vec<String>, String) {
    let text = normalise(bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n").map(str::to_owned);
    let status = lines.next().expect("a status line");
    let mut headers: Vec<String> = lines.collect();
    headers.sort();
    (status, headers, body.to_owned())
}

/// A JSON response: the same status, headers (but `Content-Length`) and value.
fn same_json(ours: &[u8], python: &[u8]) {
    let (status, headers, body) = unordered(ours);
    let (py_status, py_headers, py_body) = unordered(python);
    let not_length = |h: &Vec<String>| -> Vec<String> {
        h.iter()
            .filter(|l| !l.starts_with("Content-Length:"))
            .cloned()
            .collect()
    };
    assert_eq!(
        (status, not_length(&headers)),
        (py_status, not_length(&py_headers))
    );
    if !py_body.is_empty() {
        let value = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(value(&body), value(&py_body));
    }
}

/// The file-drop service against what its Python twin answered to the same
/// requests: files and ranges, uploads (303, numbered names, 413, a
/// truncated body), DELETE with and without the token, stats, a 404, and
/// the security headers on each.
#[test]
fn example_file_drop() {
    let dir = support::TempDir::new("examples-file-drop");
    dir.write("hello.txt", "Hello, file drop!\n");
    let share = dir.path().to_owned();
    let server = support::spawn(move || file_drop::FileDrop {
        files: basehttp::handlers::SimpleHttpRequestHandler::new(&share),
        token: "s3cret".to_owned(),
    });
    let exchanges = [
        (REQ_FILE_DROP_0, PY_FILE_DROP_0),
        (REQ_FILE_DROP_1, PY_FILE_DROP_1),
        (REQ_FILE_DROP_2, PY_FILE_DROP_2),
        (REQ_FILE_DROP_3, PY_FILE_DROP_3),
        (REQ_FILE_DROP_4, PY_FILE_DROP_4),
        (REQ_FILE_DROP_5, PY_FILE_DROP_5),
        (REQ_FILE_DROP_6, PY_FILE_DROP_6),
        (REQ_FILE_DROP_7, PY_FILE_DROP_7),
        (REQ_FILE_DROP_8, PY_FILE_DROP_8),
        (REQ_FILE_DROP_9, PY_FILE_DROP_9),
        (REQ_FILE_DROP_10, PY_FILE_DROP_10),
        (REQ_FILE_DROP_11, PY_FILE_DROP_11),
        (REQ_FILE_DROP_12, PY_FILE_DROP_12),
        (REQ_FILE_DROP_13, PY_FILE_DROP_13),
        (REQ_FILE_DROP_14, PY_FILE_DROP_14),
    ];
    for (i, (request, python)) in exchanges.into_iter().enumerate() {
        let ours = raw(server.addr, request);
        if i == 12 || i == 14 {
            same_json(&ours, python);
        } else {
            assert_eq!(unordered(&ours), unordered(python), "exchange {i}");
        }
    }
    // 3.13's listing, with the style block 3.14 added to it.
    let style = "<style type=\"text/css\">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n";
    let python = String::from_utf8(PY_FILE_DROP_LISTING.to_vec()).unwrap();
    let length = python.len() - python.find("\r\n\r\n").unwrap() - 4 + style.len();
    let python = python
        .replace(
            "<meta charset=\"utf-8\">\n",
            &format!("<meta charset=\"utf-8\">\n{style}"),
        )
        .replace("Content-Length: 287", &format!("Content-Length: {length}"));
    let listing = raw(server.addr, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(unordered(&listing), unordered(python.as_bytes()));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["hello.txt", "notes (1).txt"]);
    let notes = std::fs::read(dir.path().join("notes (1).txt")).unwrap();
    assert_eq!(notes, b"more notes\n");
}

static DROP_LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A handler whose access log is the file-drop service's, kept for the test.
struct DropLogged;

#[basehttp::http_handler]
impl DropLogged {
    fn do_GET(&mut self, req: &mut basehttp::Request) -> std::io::Result<()> {
        req.respond(200, "text/plain", "hi\n")
    }
    fn after_response(req: &basehttp::Request, done: &basehttp::Exchange) {
        DROP_LOG
            .lock()
            .unwrap()
            .push(file_drop::access_line(req, done));
    }
}

#[test]
fn example_file_drop_access_log_is_json_lines() {
    let mut client = basehttp::test::Client::new(DropLogged);
    let ok = client.send_raw("GET /a HTTP/1.0\r\n\r\n");
    client.send_raw("BREW / HTTP/1.0\r\n\r\n");
    client.send_raw("GET / FUBAR\r\n\r\n");
    let lines: Vec<serde_json::Value> = DROP_LOG
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let fields = |i: usize| {
        let l = &lines[i];
        (
            l["request"].as_str().unwrap().to_owned(),
            l["status"].as_u64().unwrap(),
        )
    };
    assert_eq!(fields(0), ("GET /a HTTP/1.0".to_owned(), 200));
    assert_eq!(fields(1), ("BREW / HTTP/1.0".to_owned(), 501));
    assert_eq!(fields(2), ("GET / FUBAR".to_owned(), 400));
    assert_eq!(lines[0]["bytes"].as_u64(), Some(ok.len() as u64));
    assert_eq!(lines[0]["client"], "127.0.0.1");
    assert!(lines[0]["ms"].as_f64().unwrap() >= 0.0);
    assert!(lines[0]["time"].as_f64().unwrap() > 1.7e9);
}
