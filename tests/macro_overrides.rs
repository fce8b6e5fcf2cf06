//! `#[http_handler]` class-attribute arguments and hooks, over real sockets:
//! the Rust form of a `BaseHTTPRequestHandler` subclass that overrides
//! `server_version`, `protocol_version`, `error_message_format`,
//! `error_content_type`, `log_message`, `version_string`, `end_headers`
//! and `handle_expect_100`.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use basehttp::{Class, Request, http_handler};

use crate::support::{parse, parse_all, raw, spawn};

fn ok(req: &mut Request, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Length", &body.len().to_string())?;
    req.end_headers()?;
    req.wfile.write_all(body)
}

pub(crate) struct Versioned;

#[http_handler(server_version = "Spam/1.0", sys_version = "Eggs/2")]
impl Versioned {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"v")
    }
}

#[test]
fn server_version_and_sys_version_set_server_header() {
    let srv = spawn(|| Versioned);
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Server"), Some("Spam/1.0 Eggs/2"));
}

pub(crate) struct KeepAlive;

#[http_handler(protocol_version = "HTTP/1.1")]
impl KeepAlive {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"k")
    }
}

pub(crate) struct OneShot;

#[http_handler]
impl OneShot {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"o")
    }
}

#[test]
fn protocol_version_http11_keeps_the_connection_alive() {
    let two = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    let srv = spawn(|| KeepAlive);
    let rs = parse_all(&raw(srv.addr, two));
    assert_eq!(rs.len(), 2);
    assert!(rs.iter().all(|r| r.status_line == "HTTP/1.1 200 OK"));
    // The default, HTTP/1.0, answers one request and closes.
    let srv = spawn(|| OneShot);
    let rs = parse_all(&raw(srv.addr, two));
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].status_line, "HTTP/1.0 200 OK");
}

pub(crate) struct PlainErrors;

#[http_handler(
    error_message_format = "<%(code)d|%(message)s|%(explain)s>",
    error_content_type = "text/plain; charset=us-ascii"
)]
impl PlainErrors {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error_with(404, "No <such> thing")
    }
}

#[test]
fn error_message_format_and_error_content_type() {
    let srv = spawn(|| PlainErrors);
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.0 404 No <such> thing");
    assert_eq!(
        r.header("Content-Type"),
        Some("text/plain; charset=us-ascii")
    );
    assert_eq!(
        r.body,
        b"<404|No &lt;such&gt; thing|Nothing matches the given URI>"
    );
    assert_eq!(r.header("Content-Length"), Some("57"));
}

pub(crate) struct DefaultVersion;

#[http_handler(default_request_version = "HTTP/1.0")]
impl DefaultVersion {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let v = req.request_version.clone();
        ok(req, v.as_bytes())
    }
}

#[test]
fn default_request_version_applies_to_two_word_request_lines() {
    let srv = spawn(|| DefaultVersion);
    let r = parse(&raw(srv.addr, b"GET /\r\n"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"HTTP/1.0");
}

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Logged;

#[http_handler]
impl Logged {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.log_message(format_args!("custom {}", 42));
        ok(req, b"l")
    }

    fn log_message(req: &Request, message: &str) {
        let line = format!("{} {message}", req.address_string());
        LOG.lock().unwrap().push(line);
    }
}

#[test]
fn log_message_hook_captures_every_line() {
    let srv = spawn(|| Logged);
    let r = parse(&raw(srv.addr, b"GET /logged HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 200);
    let r = parse(&raw(srv.addr, b"SPAM /x HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 501);
    let log = LOG.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "127.0.0.1 custom 42",
            "127.0.0.1 \"GET /logged HTTP/1.0\" 200 -",
            "127.0.0.1 code 501, message Unsupported method ('SPAM')",
            "127.0.0.1 \"SPAM /x HTTP/1.0\" 501 -",
        ]
    );
}

pub(crate) struct Versions;

#[http_handler(server_version = "Ignored")]
impl Versions {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"")
    }

    fn version_string(req: &Request) -> String {
        format!("Custom ({})", req.command)
    }
}

#[test]
fn version_string_hook_sets_server_header() {
    let srv = spawn(|| Versions);
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.header("Server"), Some("Custom (GET)"));
}

pub(crate) struct Cors;

#[http_handler]
impl Cors {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if req.path == "/missing" {
            return req.send_error(404);
        }
        ok(req, b"c")
    }

    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("Access-Control-Allow-Origin", "*")
    }
}

#[test]
fn before_end_headers_adds_a_header_to_every_response() {
    let srv = spawn(|| Cors);
    for (request, status) in [
        (&b"GET / HTTP/1.0\r\n\r\n"[..], 200),
        (b"GET /missing HTTP/1.0\r\n\r\n", 404),
        (b"POST / HTTP/1.0\r\n\r\n", 501),
        (b"GET / HTTP/9.9\r\n\r\n", 505),
    ] {
        let r = parse(&raw(srv.addr, request));
        assert_eq!(r.status, status);
        assert_eq!(
            r.headers_named("Access-Control-Allow-Origin"),
            ["*"],
            "{}",
            r.status_line
        );
    }
}

static GET_CALLS: AtomicUsize = AtomicUsize::new(0);

struct RejectContinue;

#[http_handler(protocol_version = "HTTP/1.1")]
impl RejectContinue {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        GET_CALLS.fetch_add(1, Ordering::SeqCst);
        ok(req, b"should not run")
    }

    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        req.send_error(417)?;
        Ok(false)
    }
}

/// CPython `BaseHTTPRequestHandlerTestCase.test_with_continue_rejected`.
#[test]
fn test_with_continue_rejected() {
    let srv = spawn(|| RejectContinue);
    let out = raw(srv.addr, b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
    assert!(
        out.starts_with(b"HTTP/1.1 417 Expectation Failed\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let rs = parse_all(&out);
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].headers_named("Connection"), ["close"]);
    assert_eq!(GET_CALLS.load(Ordering::SeqCst), 0);
}

struct RuntimeClass {
    name: &'static str,
}

#[http_handler(sys_version = "Static")]
impl RuntimeClass {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"")
    }

    fn class(&self) -> Class {
        Class {
            server_version: self.name.into(),
            sys_version: "Overridden".into(),
            ..Class::BASE
        }
    }
}

#[test]
fn class_hook_is_the_base_that_arguments_override() {
    let srv = spawn(|| RuntimeClass { name: "Dynamic" });
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.header("Server"), Some("Dynamic Static"));
}
