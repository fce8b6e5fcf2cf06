//! Writing a service on the runtime: the traps a new user met (issue #11),
//! each as a test that failed before. Framing of responses (no length,
//! chunked), reading bodies (`read_body`, `Expect: 100-continue`), the split
//! URL, one-call responses, failing handlers, the error-page hook and the
//! escaped log message.

use std::io::{self, BufRead, BufReader, Read, Write};

use basehttp::prelude::*;
use basehttp::{BodyError, Class, ErrorPage};

use crate::support::*;

/// The README's hello handler, in keep-alive mode: no `Content-Length`.
struct Hello11;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Hello11 {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain")?;
        req.end_headers()?;
        req.wfile.write_all(b"hello\n")
    }
}

#[test]
fn unframed_http11_response_ends_the_connection() {
    let srv = spawn(|| Hello11);
    // Not half-closed: before, the client waited for the idle timeout (and
    // the test's read timed out).
    let mut s = connect(srv.addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let out = read_to_close(&mut s);
    let r = parse(&out);
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("Content-Length"), None);
    assert_eq!(r.body, b"hello\n");
}

/// Streams three lines with `end_headers_chunked`; `/empty` streams none.
struct Streamer;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Streamer {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain")?;
        req.end_headers_chunked()?;
        if req.path == "/empty" {
            return Ok(());
        }
        for i in 0..3 {
            writeln!(req.wfile, "line {i}")?;
            req.wfile.flush()?;
        }
        // A large write after small ones.
        req.wfile.write_all(&[b'z'; 40_000])
    }
    fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        self.do_GET(req)
    }
}

/// Reads one chunked body off `r`, checking the framing.
fn read_chunked(r: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.ends_with("\r\n"), "size line {line:?}");
        let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
        if size == 0 {
            let mut end = String::new();
            r.read_line(&mut end).unwrap();
            assert_eq!(end, "\r\n");
            return body;
        }
        let mut chunk = vec![0; size + 2];
        r.read_exact(&mut chunk).unwrap();
        assert!(chunk.ends_with(b"\r\n"));
        body.extend_from_slice(&chunk[..size]);
    }
}

fn read_head(r: &mut impl BufRead) -> String {
    let mut head = String::new();
    loop {
        let n = r.read_line(&mut head).unwrap();
        assert!(n > 0, "closed inside a head: {head:?}");
        if head.ends_with("\r\n\r\n") {
            return head;
        }
    }
}

#[test]
fn chunked_response_keeps_the_connection() {
    let srv = spawn(|| Streamer);
    let mut s = connect(srv.addr);
    s.write_all(b"GET / HTTP/1.1\r\n\r\nGET /empty HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut r = BufReader::new(s);
    let head = read_head(&mut r);
    assert!(
        head.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{head}"
    );
    let mut want = b"line 0\nline 1\nline 2\n".to_vec();
    want.extend_from_slice(&[b'z'; 40_000]);
    assert_eq!(read_chunked(&mut r), want);
    let head = read_head(&mut r);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(read_chunked(&mut r), b"");
    // HEAD: the same head, no body at all.
    let head = read_head(&mut r);
    assert!(
        head.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{head}"
    );
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "HEAD got {} body bytes", rest.len());
}

#[test]
fn chunked_response_to_http10_is_close_delimited() {
    let srv = spawn(|| Streamer);
    let out = raw_keep_open(srv.addr, b"GET / HTTP/1.0\r\n\r\n");
    let r = parse(&out);
    assert_eq!(r.header("Transfer-Encoding"), None);
    assert!(r.body.starts_with(b"line 0\nline 1\nline 2\nzz"));
    assert_eq!(r.body.len(), 21 + 40_000);
}

/// `POST /n` reads a body of at most n bytes with `read_body`; `/refuse`
/// answers 413 without reading; `/late` fails after its headers.
struct Bodies;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Bodies {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        if req.path == "/refuse" {
            return req.send_error(413);
        }
        if req.path == "/late" {
            req.send_response(200)?;
            req.send_header("Content-Length", "10")?;
            req.end_headers()?;
            req.wfile.write_all(b"part")?;
            return Err(io::Error::other("broke mid-body"));
        }
        let limit: u64 = req.path[1..].parse().unwrap_or(100);
        let body = req.read_body(limit)?;
        req.respond(200, "application/octet-stream", body)
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let url = req.url();
        let text = format!(
            "path={} unquoted={} query={:?} id={:?} fragment={}",
            url.path,
            url.path_unquoted(),
            url.query_pairs(),
            url.query_value("id"),
            url.fragment
        );
        req.respond(200, "text/plain", text)
    }
}

#[test]
fn read_body_answers_what_a_body_deserves() {
    let srv = spawn(|| Bodies);
    let ok = parse_all(&raw(
        srv.addr,
        b"POST /10 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /10 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    ));
    assert_eq!(ok.len(), 2);
    assert_eq!((ok[0].status, ok[0].body.as_slice()), (200, &b"hello"[..]));
    assert_eq!((ok[1].status, ok[1].body.as_slice()), (200, &b"abcde"[..]));
    let cases: &[(&[u8], u16)] = &[
        (b"POST /10 HTTP/1.1\r\n\r\n", 411),
        (b"POST /4 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413),
        (
            b"POST /4 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            413,
        ),
        (
            b"POST /10 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
        ),
        // Half-closed before the promised 10 bytes.
        (
            b"POST /100 HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello",
            400,
        ),
    ];
    for (request, status) in cases {
        let all = parse_all(&raw(srv.addr, request));
        assert_eq!(all.len(), 1, "{:?}", String::from_utf8_lossy(request));
        assert_eq!(
            all[0].status,
            *status,
            "{:?}",
            String::from_utf8_lossy(request)
        );
        assert_eq!(all[0].header("Connection"), Some("close"));
    }
    assert!(wait_for_log(
        srv.port(),
        "code 411, message Length Required",
        std::time::Duration::from_secs(5)
    ));
}

#[test]
fn expect_100_is_answered_when_the_body_is_read() {
    let srv = spawn(|| Bodies);
    // Refused before reading: no 100 Continue, the body is never sent, and
    // the connection closes after the 413.
    let mut s = connect(srv.addr);
    s.write_all(b"POST /refuse HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let r = parse(&read_to_close(&mut s));
    assert_eq!(r.status, 413);
    // Read: 100 Continue first, then the body is sent and echoed.
    let mut s = connect(srv.addr);
    s.write_all(b"POST /10 HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"hello").unwrap();
    let r = read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    // Over the declared limit: refused without a 100 either.
    let mut s = connect(srv.addr);
    s.write_all(b"POST /4 HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let r = parse(&read_to_close(&mut s));
    assert_eq!(r.status, 413);
}

#[test]
fn error_after_the_head_closes_without_a_second_response() {
    let srv = spawn(|| Bodies);
    let out = raw_keep_open(
        srv.addr,
        b"POST /late HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\npart"), "{text}");
}

#[test]
fn url_is_split_like_urlsplit_and_parse_qsl() {
    let srv = spawn(|| Bodies);
    let r = parse(&raw(
        srv.addr,
        b"GET /api/a%20b?id=3&tag=x+y&blank=&id=4#frag HTTP/1.1\r\nConnection: close\r\n\r\n",
    ));
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "path=/api/a%20b unquoted=/api/a b query=[(\"id\", \"3\"), (\"tag\", \"x y\"), (\"id\", \"4\")] \
         id=Some(\"3\") fragment=frag"
    );
}

#[test]
fn respond_sends_everything_and_no_body_for_head() {
    struct One;
    #[http_handler(protocol_version = "HTTP/1.1", auto_head)]
    impl One {
        fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
            req.respond(201, "text/plain", "made\n")
        }
    }
    let srv = spawn(|| One);
    let mut s = connect(srv.addr);
    s.write_all(b"GET / HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s, false);
    assert_eq!(r.status_line, "HTTP/1.1 201 Created");
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    assert_eq!(r.header("Content-Length"), Some("5"));
    assert_eq!(r.body, b"made\n");
    let r = read_response(&mut s, true);
    assert_eq!(r.header("Content-Length"), Some("5"));
    assert!(read_to_close(&mut s).is_empty(), "HEAD got a body");
}

/// A JSON service: errors as JSON, and a handler that fails with a
/// `BodyError` of its own.
struct Json;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Json {
    fn class(&self) -> Class {
        Class {
            error_page: |_req, code, message, _explain| {
                ErrorPage::json(format!("{{\"error\": {code}, \"message\": {message:?}}}\n"))
            },
            ..Class::BASE
        }
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if req.path == "/big" {
            return Err(BodyError::TooLarge { limit: 1 }.into());
        }
        req.send_error_with(404, "no such item")
    }
}

#[test]
fn error_page_hook_makes_json_errors() {
    let srv = spawn(|| Json);
    let r = parse(&raw(srv.addr, b"GET /x HTTP/1.1\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.1 404 no such item");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, b"{\"error\": 404, \"message\": \"no such item\"}\n");
    let r = parse(&raw(srv.addr, b"GET /big HTTP/1.1\r\n\r\n"));
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
}

#[test]
fn log_hook_gets_control_characters_escaped() {
    struct Quiet;
    #[http_handler]
    impl Quiet {
        fn log_message(req: &Request, message: &str) {
            // A hook that forgets to escape: the server did it already.
            capture_log(req, message);
        }
        fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
            req.log_message(format_args!("user said \x1b[31mred\x07"));
            req.respond(200, "text/plain", "")
        }
    }
    let srv = spawn(|| Quiet);
    raw(srv.addr, b"GET /\x1b[2J HTTP/1.0\r\n\r\n");
    let port = srv.port();
    drop(srv);
    let logs = logs_for(port).join("");
    assert!(logs.contains("user said \\x1b[31mred\\x07"), "{logs}");
    assert!(logs.contains("\"GET /\\x1b[2J HTTP/1.0\" 200 -"), "{logs}");
    assert!(!logs.contains('\x1b'), "{logs}");
}

#[test]
fn a_status_outside_100_to_999_is_refused_not_sent() {
    struct Zero;
    #[http_handler]
    impl Zero {
        fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
            let code: u16 = req.path[1..].parse().unwrap_or(0);
            req.send_response(code)?;
            req.end_headers()
        }
    }
    let srv = spawn(|| Zero);
    for code in ["0", "99", "1000"] {
        let r = parse(&raw(
            srv.addr,
            format!("GET /{code} HTTP/1.0\r\n\r\n").as_bytes(),
        ));
        assert_eq!(
            r.status_line, "HTTP/1.0 500 Internal Server Error",
            "{code}"
        );
    }
    let r = parse(&raw(srv.addr, b"GET /299 HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.0 299 ");
}

/// Review fixes: a failing chunked response sends no unframed bytes; a
/// deferred `100 Continue` never lands inside a response already sent; a
/// refused `Expect` closes; a huge declared length reserves no memory.
struct Edges;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Edges {
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        if req.path == "/refuse" {
            // Python style: an interim-free refusal without `Connection: close`.
            req.send_response_only(401)?;
            req.send_header("Content-Length", "0")?;
            req.end_headers()?;
            return Ok(false);
        }
        basehttp::Handler::handle_expect_100(&mut Sink100, req)
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.end_headers_chunked()?;
        req.wfile.write_all(b"partial")?;
        Err(io::Error::other("broke before the first flush"))
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        if req.path == "/huge" {
            let body = req.read_body(u64::MAX)?;
            return req.respond(200, "text/plain", body);
        }
        req.send_response(200)?;
        req.send_header("Content-Length", "2")?;
        req.end_headers()?;
        req.wfile.flush()?;
        let body = req.read_body(100)?;
        assert_eq!(body, b"hello");
        req.wfile.write_all(b"ok")
    }
}

/// A handler with the default (deferred) `handle_expect_100`.
struct Sink100;

#[http_handler]
impl Sink100 {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error(404)
    }
}

#[test]
fn failing_chunked_response_sends_no_unframed_bytes() {
    let srv = spawn(|| Edges);
    let out = raw_keep_open(srv.addr, b"GET / HTTP/1.1\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("Transfer-Encoding: chunked\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "{text}");
}

#[test]
fn deferred_continue_never_follows_a_sent_response() {
    let srv = spawn(|| Edges);
    let mut s = connect(srv.addr);
    s.write_all(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    // The final head arrives first (no 100): then the client sends the body.
    let head = read_head(&mut BufReader::new(s.try_clone().unwrap()));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    s.write_all(b"hello").unwrap();
    let rest = read_to_close(&mut s);
    assert_eq!(
        rest, b"ok",
        "no 100 Continue inside the response, then close"
    );
}

#[test]
fn refused_expectation_closes_the_connection() {
    let srv = spawn(|| Edges);
    let out = raw_keep_open(
        srv.addr,
        b"POST /refuse HTTP/1.1\r\nContent-Length: 26\r\nExpect: 100-continue\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    );
    let all = parse_all(&out);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, 401);
}

#[test]
fn a_huge_declared_length_reserves_no_memory() {
    let srv = spawn(|| Edges);
    let r = parse(&raw(
        srv.addr,
        b"POST /huge HTTP/1.1\r\nContent-Length: 1099511627776\r\n\r\nhello",
    ));
    assert_eq!(r.status, 400, "a short body, not an aborted process");
}
