//! `BaseHTTPRequestHandler` over real sockets: CPython's
//! `BaseHTTPServerTestCase`, `HTTP09ServerTestCase`,
//! `BaseHTTPRequestHandlerTestCase` and `RequestHandlerLoggingTestCase`,
//! ported by name, plus the server-level guarantees CPython lacks.

use std::io::{self, Read, Write};

use basehttp::HttpServer;
use basehttp::prelude::*;

use crate::support::{
    self, capture_log, connect, logs_for, parse, parse_all, raw, raw_keep_open, read_response,
    spawn,
};

// ---------------------------------------------------------------------------
// BaseHTTPServerTestCase: protocol_version and default_request_version HTTP/1.1.

pub(crate) struct RequestHandler;

#[http_handler(protocol_version = "HTTP/1.1", default_request_version = "HTTP/1.1")]
impl RequestHandler {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }

    fn do_TEST(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(204)?;
        req.send_header("Content-Type", "text/html")?;
        req.send_header("Connection", "close")?;
        req.end_headers()
    }
    fn do_KEEP(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(204)?;
        req.send_header("Content-Type", "text/html")?;
        req.send_header("Connection", "keep-alive")?;
        req.end_headers()
    }
    fn do_KEYERROR(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error(999)
    }
    fn do_NOTFOUND(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error(404)
    }
    fn do_EXPLAINERROR(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error_explain(999, "Short Message", "This is a long \n explanation")
    }
    fn do_CUSTOM(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(999)?;
        req.send_header("Content-Type", "text/html")?;
        req.send_header("Connection", "close")?;
        req.end_headers()
    }
    fn do_LATINONEHEADER(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(999)?;
        req.send_header("X-Special", "Dängerous Mind")?;
        req.send_header("Connection", "close")?;
        req.end_headers()?;
        let body = req
            .headers
            .get("X-Special-Incoming")
            .unwrap_or("")
            .to_owned();
        req.wfile.write_all(body.as_bytes())
    }
    fn do_SEND_ERROR(&mut self, req: &mut Request) -> io::Result<()> {
        let code: u16 = req.path[1..].parse().unwrap_or(500);
        req.send_error(code)
    }
    fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        self.do_SEND_ERROR(req)
    }
}

/// Sends `request` (HTTP/1.1 unless it says otherwise) and returns the
/// status of the one response, which must close the connection.
fn status_of(request: &str) -> u16 {
    let srv = spawn(|| RequestHandler);
    parse(&raw(srv.addr, request.as_bytes())).status
}

#[test]
fn test_command() {
    assert_eq!(status_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
}

#[test]
fn test_request_line_trimming() {
    assert_eq!(status_of("XYZBOGUS / HTTP/1.1\n\r\nHost: x\r\n\r\n"), 501);
}

#[test]
fn test_version_bogus() {
    assert_eq!(status_of("GET / FUBAR\r\n\r\n"), 400);
}

#[test]
fn test_version_digits() {
    assert_eq!(status_of("GET / HTTP/9.9.9\r\n\r\n"), 400);
}

#[test]
fn test_version_signs_and_underscores() {
    assert_eq!(status_of("GET / HTTP/-9_9_9.+9_9_9\r\n\r\n"), 400);
}

#[test]
fn test_major_version_number_too_long() {
    assert_eq!(status_of("GET / HTTP/909876543210.0\r\n\r\n"), 400);
}

#[test]
fn test_minor_version_number_too_long() {
    assert_eq!(status_of("GET / HTTP/1.909876543210\r\n\r\n"), 400);
}

#[test]
fn test_version_none_get() {
    // Two words: HTTP/0.9 form, but default_request_version is HTTP/1.1,
    // so the 501 has a status line.
    assert_eq!(status_of("GET / \r\nHost: x\r\n\r\n"), 501);
}

#[test]
fn test_version_none() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"CUSTOM / \r\n\r\n"));
    assert_eq!(
        resp.status_line,
        "HTTP/1.1 400 Bad HTTP/0.9 request type ('CUSTOM')"
    );
}

#[test]
fn test_version_invalid() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"GET / HTTP/9.9\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.1 505 Invalid HTTP version (9.9)");
}

#[test]
fn test_send_blank() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b" / \r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.1 400 Bad request syntax (' / ')");
}

#[test]
fn test_header_close() {
    assert_eq!(
        status_of("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
        501
    );
}

#[test]
fn test_header_keep_alive() {
    assert_eq!(
        status_of("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"),
        501
    );
}

#[test]
fn test_handler() {
    assert_eq!(status_of("TEST / HTTP/1.1\r\n\r\n"), 204);
}

#[test]
fn test_return_header_keep_alive() {
    let srv = spawn(|| RequestHandler);
    let mut s = connect(srv.addr);
    s.write_all(b"KEEP / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let resp = read_response(&mut s, false);
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("Connection"), Some("keep-alive"));
    s.write_all(b"TEST / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).status, 204);
}

#[test]
fn test_internal_key_error() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"KEYERROR / HTTP/1.1\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.1 999 ???");
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("<p>Message: ???.</p>"), "{body}");
    assert!(
        body.contains("<p>Error code explanation: 999 - ???.</p>"),
        "{body}"
    );
}

#[test]
fn test_return_custom_status() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"CUSTOM / HTTP/1.1\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.1 999 ");
}

#[test]
fn test_return_explain_error() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"EXPLAINERROR / HTTP/1.1\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.1 999 Short Message");
    let len: usize = resp.header("Content-Length").unwrap().parse().unwrap();
    assert!(len > 0);
    assert_eq!(len, resp.body.len());
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("999 - This is a long \n explanation."));
}

#[test]
fn test_latin1_header() {
    let srv = spawn(|| RequestHandler);
    let mut request = b"LATINONEHEADER / HTTP/1.1\r\nX-Special-Incoming: ".to_vec();
    request.extend_from_slice(
        &"Ärger mit Unicode"
            .chars()
            .map(|c| c as u8)
            .collect::<Vec<u8>>(),
    );
    request.extend_from_slice(b"\r\n\r\n");
    let bytes = raw(srv.addr, &request);
    let resp = parse(&bytes);
    // Response header values are latin-1 on the wire.
    let head = &bytes[..bytes.len() - resp.body.len()];
    assert!(
        head.windows(18).any(|w| w == b"X-Special: D\xe4ngero"),
        "{head:?}"
    );
    assert_eq!(resp.body, "Ärger mit Unicode".as_bytes());
}

#[test]
fn test_error_content_length() {
    let srv = spawn(|| RequestHandler);
    let resp = parse(&raw(srv.addr, b"NOTFOUND / HTTP/1.1\r\n\r\n"));
    assert_eq!(resp.status, 404);
    let len: usize = resp.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, resp.body.len());
    assert_eq!(len, 455); // "Not Found" / "Nothing matches the given URI"
}

#[test]
fn test_send_error() {
    let srv = spawn(|| RequestHandler);
    for code in [204, 304, 102, 205, 101] {
        let req = format!("SEND_ERROR /{code} HTTP/1.1\r\n\r\n");
        let bytes = raw(srv.addr, req.as_bytes());
        let resp = parse(&bytes);
        assert_eq!(resp.status, code, "{code}");
        assert_eq!(resp.header("Content-Length"), None, "{code}");
        assert_eq!(resp.header("Content-Type"), None, "{code}");
        assert_eq!(resp.header("Connection"), Some("close"), "{code}");
        assert!(resp.body.is_empty(), "{code}: {:?}", resp.body);
    }
}

#[test]
fn test_head_via_send_error() {
    let srv = spawn(|| RequestHandler);
    for code in [101, 200, 204, 205, 304] {
        let req = format!("HEAD /{code} HTTP/1.1\r\n\r\n");
        let resp = parse(&raw(srv.addr, req.as_bytes()));
        assert_eq!(resp.status, code);
        if code == 200 {
            assert!(
                resp.header("Content-Length")
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
                    > 0
            );
            assert_eq!(resp.header("Content-Type"), Some("text/html;charset=utf-8"));
        } else {
            assert_eq!(resp.header("Content-Length"), None);
            assert_eq!(resp.header("Content-Type"), None);
        }
        assert!(resp.body.is_empty());
    }
}

// ---------------------------------------------------------------------------
// HTTP09ServerTestCase: CPython's defaults (HTTP/1.0, default version HTTP/0.9).

pub(crate) struct Http09Handler;

#[http_handler]
impl Http09Handler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!("OK: here is {}\r\n", req.path);
        req.wfile.write_all(body.as_bytes())
    }
}

#[test]
fn test_simple_get() {
    let srv = spawn(|| Http09Handler);
    let mut s = connect(srv.addr);
    // No half-close: the server must answer without waiting for headers.
    s.write_all(b"GET /index.html\r\n").unwrap();
    let out = support::read_to_close(&mut s);
    assert_eq!(out, b"OK: here is /index.html\r\n");
}

#[test]
fn test_invalid_request() {
    let srv = spawn(|| Http09Handler);
    let out = support::raw_keep_open(srv.addr, b"POST /index.html\r\n");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.0 400 "), "{text}");
    assert!(
        text.contains("Bad HTTP/0.9 request type ('POST')"),
        "{text}"
    );
}

#[test]
fn test_single_request() {
    let srv = spawn(|| Http09Handler);
    let mut s = connect(srv.addr);
    s.write_all(b"GET /foo.html\r\n").unwrap();
    let mut first = vec![0u8; b"OK: here is /foo.html\r\n".len()];
    s.read_exact(&mut first).unwrap();
    assert_eq!(first, b"OK: here is /foo.html\r\n");
    let _ = s.write_all(b"GET /bar.html\r\n");
    assert_eq!(support::read_to_close(&mut s), b"");
}

// ---------------------------------------------------------------------------
// BaseHTTPRequestHandlerTestCase: protocol_version HTTP/1.1, do_GET writes
// a small HTML body.

const DATA: &[u8] = b"<html><body>Data</body></html>\r\n";

pub(crate) struct SocketlessRequestHandler {
    pub(crate) reject_continue: bool,
}

#[http_handler(protocol_version = "HTTP/1.1")]
impl SocketlessRequestHandler {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }

    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        if self.reject_continue {
            req.send_error(417)?;
            return Ok(false);
        }
        req.send_response_only(100)?;
        req.end_headers()?;
        Ok(true)
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Type", "text/html")?;
        req.end_headers()?;
        req.wfile.write_all(DATA)
    }
}

fn socketless() -> support::TestServer {
    spawn(|| SocketlessRequestHandler {
        reject_continue: false,
    })
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

#[test]
fn test_http_1_1() {
    let srv = socketless();
    let out = raw(srv.addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    let resp = parse(&out);
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
    assert_eq!(resp.headers_named("Server").len(), 1);
    assert_eq!(resp.headers_named("Date").len(), 1);
    assert_eq!(resp.headers_named("Content-Type"), ["text/html"]);
    assert_eq!(resp.body, DATA);
}

#[test]
fn test_http_1_0() {
    let srv = socketless();
    let resp = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    // The status line carries the server's protocol_version.
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
    assert_eq!(resp.body, DATA);
}

#[test]
fn test_http_0_9() {
    let srv = socketless();
    let out = raw(srv.addr, b"GET / HTTP/0.9\r\n\r\n");
    assert_eq!(out, DATA);
}

#[test]
fn test_request_line_error_has_status_line() {
    let srv = socketless();
    let cases: [(&[u8], u16); 4] = [
        (b"GET / FUBAR\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET\r\n", 400),
        (b"POST /\r\n", 400),
    ];
    for (request, code) in cases {
        let out = raw(srv.addr, request);
        let resp = parse(&out);
        assert!(resp.status_line.starts_with(&format!("HTTP/1.1 {code} ")));
        assert!(resp.header("Server").is_some());
        assert!(resp.header("Date").is_some());
        assert_eq!(resp.header("Content-Type"), Some("text/html;charset=utf-8"));
        assert!(!String::from_utf8_lossy(&resp.body).contains("Data"));
    }
}

#[test]
fn test_extra_space() {
    let srv = socketless();
    let resp = parse(&raw(
        srv.addr,
        b"GET /spaced out HTTP/1.1\r\nHost: dummy\r\n\r\n",
    ));
    assert_eq!(
        resp.status_line,
        "HTTP/1.1 400 Bad request syntax ('GET /spaced out HTTP/1.1')"
    );
}

#[test]
fn test_with_continue_1_0() {
    let srv = socketless();
    let out = raw(srv.addr, b"GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    let all = parse_all(&out);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status_line, "HTTP/1.1 200 OK");
}

#[test]
fn test_with_continue_1_1() {
    let srv = socketless();
    let out = raw(
        srv.addr,
        b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
    );
    let l = lines(&out);
    assert_eq!(l[0], "HTTP/1.1 100 Continue");
    assert_eq!(l[1], "");
    assert_eq!(l[2], "HTTP/1.1 200 OK");
}

#[test]
fn test_header_unbuffered_when_continue() {
    // The 100 must reach the client before the body is sent.
    let srv = socketless();
    let mut s = connect(srv.addr);
    s.write_all(
        b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"body").unwrap();
    let resp = read_response(&mut s, false);
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
}

#[test]
fn test_with_continue_rejected() {
    let srv = spawn(|| SocketlessRequestHandler {
        reject_continue: true,
    });
    let out = raw(srv.addr, b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
    let resp = parse(&out);
    assert_eq!(resp.status_line, "HTTP/1.1 417 Expectation Failed");
    assert_eq!(resp.headers_named("Connection"), ["close"]);
    assert!(!String::from_utf8_lossy(&out).contains("Data"));
}

#[test]
fn test_header_buffering_of_send_error() {
    // Headers and body of an error arrive as one well-formed response.
    let srv = socketless();
    let out = raw(srv.addr, b"BREW / HTTP/1.1\r\n\r\n");
    let resp = parse(&out);
    assert_eq!(resp.status, 501);
    assert_eq!(
        resp.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        resp.body.len()
    );
}

#[test]
fn test_request_length() {
    let srv = socketless();
    let mut request = b"GET ".to_vec();
    request.resize(4 + 65537, b'x');
    let out = raw(srv.addr, &request);
    assert!(
        out.starts_with(b"HTTP/1.1 414 URI Too Long\r\n"),
        "{:?}",
        String::from_utf8_lossy(&out[..out.len().min(80)])
    );
    let port = srv.port();
    drop(srv);
    let log = logs_for(port);
    assert!(log.iter().any(|l| l.ends_with("\"\" 414 -\n")), "{log:?}");
}

#[test]
fn test_request_line_at_limit_is_accepted() {
    // 65536 bytes including the line ending is still a valid request line.
    let srv = socketless();
    let mut request = b"GET /".to_vec();
    let target = 65536 - b" HTTP/1.1\r\n".len();
    request.resize(target, b'x');
    request.extend_from_slice(b" HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(parse(&raw(srv.addr, &request)).status, 200);
}

#[test]
fn test_header_length() {
    let srv = socketless();
    let mut request = b"GET / HTTP/1.1\r\nX-Foo: ".to_vec();
    request.resize(request.len() + 65537, b'b');
    request.extend_from_slice(b"\r\n\r\n");
    let out = raw(srv.addr, &request);
    let resp = parse(&out);
    assert_eq!(resp.status_line, "HTTP/1.1 431 Line too long");
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("got more than 65536 bytes when reading header line"));
}

#[test]
fn test_too_many_headers() {
    let srv = socketless();
    let mut request = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..101 {
        request.extend_from_slice(format!("X-Foo-{i}: bar\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let resp = parse(&raw(srv.addr, &request));
    assert_eq!(resp.status_line, "HTTP/1.1 431 Too many headers");
    assert!(
        String::from_utf8(resp.body)
            .unwrap()
            .contains("got more than 100 headers")
    );

    // Exactly 100 is fine (3.15).
    let mut request = b"GET / HTTP/1.1\r\nConnection: close\r\n".to_vec();
    for i in 0..99 {
        request.extend_from_slice(format!("X-Foo-{i}: bar\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    assert_eq!(parse(&raw(srv.addr, &request)).status, 200);
}

#[test]
fn test_html_escape_on_error() {
    let srv = socketless();
    let out = raw(
        srv.addr,
        b"<script>alert(\"hello\")</script> / HTTP/1.1\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("&lt;script&gt;alert(\"hello\")&lt;/script&gt;"),
        "{text}"
    );
    assert!(!text.contains("<p>Message: Unsupported method ('<script>"));
}

#[test]
fn test_close_connection() {
    // handle() keeps serving until close_connection is set.
    let srv = spawn(|| Echo11);
    let out = raw(
        srv.addr,
        b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\nGET /4 HTTP/1.1\r\n\r\n",
    );
    let bodies: Vec<_> = parse_all(&out).into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [&b"path=/1"[..], b"path=/2", b"path=/3"]);
    // CPython's version of this test sends responses without a length: the
    // client cannot find their end, so the connection ends with the first
    // (CPython keeps it open, and a client waits for the idle timeout).
    let srv = socketless();
    let out = raw_keep_open(srv.addr, b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 1, "{text}");
    assert!(out.ends_with(DATA), "{text}");
}

#[test]
fn test_unprintable_not_logged() {
    let srv = socketless();
    raw(srv.addr, b"GET /\x1bbar\x00\x1b HTTP/1.0\r\n\r\n");
    let port = srv.port();
    drop(srv);
    let log = logs_for(port);
    assert!(
        log.iter()
            .any(|l| l.ends_with("\"GET /\\x1bbar\\x00\\x1b HTTP/1.0\" 200 -\n")),
        "{log:?}"
    );
}

// ---------------------------------------------------------------------------
// RequestHandlerLoggingTestCase

struct LoggingHandler;

#[http_handler(protocol_version = "HTTP/1.1")]
impl LoggingHandler {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.end_headers()
    }
    fn do_ERROR(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error_with(404, "File not found")
    }
}

#[test]
fn test_get() {
    let srv = spawn(|| LoggingHandler);
    let resp = parse(&raw(
        srv.addr,
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    ));
    assert_eq!(resp.status, 200);
    let port = srv.port();
    drop(srv);
    let log = logs_for(port);
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("127.0.0.1 - - ["));
    assert!(log[0].ends_with("\"GET / HTTP/1.1\" 200 -\n"), "{log:?}");
}

#[test]
fn test_err() {
    let srv = spawn(|| LoggingHandler);
    raw(srv.addr, b"ERROR / HTTP/1.1\r\n\r\n");
    let port = srv.port();
    drop(srv);
    let log = logs_for(port);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].ends_with("code 404, message File not found\n"));
    assert!(log[1].ends_with("\"ERROR / HTTP/1.1\" 404 -\n"));
}

// ---------------------------------------------------------------------------
// Beyond CPython: bodies never desync a connection; failures stay local.

struct Echo;

#[http_handler]
impl Echo {
    /// Reads only the first 3 bytes of the body.
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let mut first = [0u8; 3];
        let n = req.rfile.read(&mut first)?;
        req.send_response(200)?;
        req.send_header("Content-Length", &n.to_string())?;
        req.end_headers()?;
        req.wfile.write_all(&first[..n])
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if req.path == "/panic" {
            panic!("handler bug");
        }
        if req.path == "/fail" {
            return Err(io::Error::other("handler failed"));
        }
        let body = format!("path={}", req.path);
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

/// `Echo` with `protocol_version = "HTTP/1.1"`, extending it.
struct Echo11;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Echo11 {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        Echo.do_POST(req)
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        Echo.do_GET(req)
    }
}

#[test]
fn unread_body_is_not_parsed_as_next_request() {
    let srv = spawn(|| Echo11);
    let body = "abcGET /smuggled HTTP/1.1\r\n\r\n";
    let request = format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}GET /next HTTP/1.1\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let all = parse_all(&raw(srv.addr, request.as_bytes()));
    let bodies: Vec<_> = all
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(bodies, ["abc", "path=/next"]);
}

#[test]
fn bad_content_length_is_rejected() {
    let srv = spawn(|| Echo11);
    for cl in ["-1", "1, 2", "0x10", "+3"] {
        let request =
            format!("POST / HTTP/1.1\r\nContent-Length: {cl}\r\n\r\nabcGET /x HTTP/1.1\r\n\r\n");
        let all = parse_all(&raw(srv.addr, request.as_bytes()));
        assert_eq!(all.len(), 1, "{cl}");
        assert_eq!(all[0].status, 400, "{cl}");
        assert_eq!(all[0].header("Connection"), Some("close"));
    }
}

#[test]
fn handler_panic_closes_only_that_connection() {
    let srv = spawn(|| Echo11);
    // Before anything was sent, the client gets a 500 (CPython: nothing).
    for path in ["/panic", "/fail"] {
        let request = format!("GET {path} HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
        let all = parse_all(&raw_keep_open(srv.addr, request.as_bytes()));
        assert_eq!(all.len(), 1, "{path}");
        assert_eq!(all[0].status_line, "HTTP/1.1 500 Internal Server Error");
        assert_eq!(all[0].header("Connection"), Some("close"));
    }
    let resp = parse(&raw(
        srv.addr,
        b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n",
    ));
    assert_eq!(resp.body, b"path=/ok");
}

#[test]
fn blank_request_line_closes_silently() {
    let srv = spawn(|| Echo11);
    assert!(raw(srv.addr, b"\r\n").is_empty());
    assert!(raw(srv.addr, b"  \t \r\n").is_empty());
    let port = srv.port();
    drop(srv);
    assert!(logs_for(port).is_empty());
}

#[test]
fn unsupported_method_lists_allow() {
    let srv = spawn(|| Echo);
    let resp = parse(&raw(srv.addr, b"DELETE / HTTP/1.0\r\n\r\n"));
    assert_eq!(
        resp.status_line,
        "HTTP/1.0 501 Unsupported method ('DELETE')"
    );
    assert_eq!(resp.header("Allow"), Some("POST, GET"));
    let names: Vec<_> = resp.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Server",
            "Date",
            "Connection",
            "Allow",
            "Content-Type",
            "Content-Length"
        ]
    );
    // Method names are case-sensitive.
    let resp = parse(&raw(srv.addr, b"get / HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.0 501 Unsupported method ('get')");
}

#[test]
fn handle_request_serves_one_connection() {
    // The docs' run_while_true: handle_request() in a loop on HttpServer.
    let server = HttpServer::bind("127.0.0.1:0", || Echo).unwrap();
    let addr = server.server_address();
    assert_eq!(server.server_name(), "localhost");
    assert_ne!(server.server_port(), 0);
    let client = std::thread::spawn(move || {
        (0..2)
            .map(|i| parse(&raw(addr, format!("GET /{i} HTTP/1.0\r\n\r\n").as_bytes())).body)
            .collect::<Vec<_>>()
    });
    server.handle_request().unwrap();
    server.handle_request().unwrap();
    assert_eq!(
        client.join().unwrap(),
        [b"path=/0".to_vec(), b"path=/1".to_vec()]
    );
}

#[test]
fn shutdown_returns_promptly_from_another_thread() {
    let server = std::sync::Arc::new(ThreadingHttpServer::bind("127.0.0.1:0", || Echo).unwrap());
    let runner = std::sync::Arc::clone(&server);
    let t = std::thread::spawn(move || runner.serve_forever());
    // Prove it serves, then stop it; shutdown() waits for serve_forever.
    let resp = parse(&raw(server.server_address(), b"GET /x HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 200);
    server.shutdown();
    t.join().unwrap().unwrap();
}

struct ServerAware;

#[http_handler]
impl ServerAware {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!(
            "{}:{}",
            req.server().server_name(),
            req.server().server_port()
        );
        req.send_response(200)?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

#[test]
fn handler_sees_its_server() {
    let srv = spawn(|| ServerAware);
    let resp = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.body, format!("localhost:{}", srv.port()).as_bytes());
}

#[test]
fn header_injection_is_refused() {
    struct Inject;
    #[http_handler]
    impl Inject {
        fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
            req.send_response(200)?;
            req.send_header("X-Bad", "a\r\nSet-Cookie: evil=1")?;
            req.end_headers()
        }
    }
    let srv = spawn(|| Inject);
    let out = raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n");
    assert!(!String::from_utf8_lossy(&out).contains("Set-Cookie"));
}
