//! `#[http_handler]` dispatch over real sockets: custom methods (CPython's
//! `do_SPAM`), `#[method("M-SEARCH")]`, `#[cfg]` on a method, generic and
//! lifetime-parameterised handlers, and `extends` (inheriting `do_*` methods
//! the way a `SimpleHTTPRequestHandler` subclass does).

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{self, Write};

use basehttp::{Class, Handler, Request, http_handler};

use crate::support::{parse, raw, spawn};

fn ok(req: &mut Request, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Length", &body.len().to_string())?;
    req.end_headers()?;
    req.wfile.write_all(body)
}

struct Spam;

#[http_handler]
impl Spam {
    fn do_SPAM(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"spam")
    }

    fn do_M_SEARCH(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"underscore")
    }

    #[method("M-SEARCH")]
    fn m_search(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"dash")
    }
}

/// The class docstring's example: "a request `SPAM` is handled by
/// `do_SPAM()`", and the name is case-sensitive.
#[test]
fn test_custom_method_spam() {
    let srv = spawn(|| Spam);
    let r = parse(&raw(srv.addr, b"SPAM / HTTP/1.0\r\n\r\n"));
    assert_eq!((r.status, &r.body[..]), (200, &b"spam"[..]));
    let r = parse(&raw(srv.addr, b"spam / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.0 501 Unsupported method ('spam')");
    assert_eq!(r.header("Allow"), Some("SPAM, M_SEARCH, M-SEARCH"));
}

#[test]
fn method_attribute_names_tokens_that_are_not_identifiers() {
    let srv = spawn(|| Spam);
    let r = parse(&raw(srv.addr, b"M-SEARCH * HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"dash");
    let r = parse(&raw(srv.addr, b"M_SEARCH * HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"underscore");
}

struct Cfgd;

#[http_handler]
impl Cfgd {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"get")
    }

    #[cfg(any())]
    fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"never compiled")
    }

    #[cfg(not(any()))]
    fn do_PUT(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"put")
    }
}

#[test]
fn cfg_on_a_method_applies_to_dispatch_and_allow() {
    let srv = spawn(|| Cfgd);
    let r = parse(&raw(srv.addr, b"PUT / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"put");
    let r = parse(&raw(srv.addr, b"DELETE / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 501);
    assert_eq!(r.header("Allow"), Some("GET, PUT"));
}

struct Generic<T> {
    value: T,
}

#[http_handler]
impl<T: Display> Generic<T> {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = self.value.to_string();
        ok(req, body.as_bytes())
    }
}

struct Borrowing<'a> {
    greeting: &'a str,
}

#[http_handler]
impl<'a> Borrowing<'a> {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, self.greeting.as_bytes())
    }
}

#[test]
fn generic_and_lifetime_parameterised_handlers() {
    let srv = spawn(|| Generic { value: 42u32 });
    assert_eq!(parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n")).body, b"42");
    let srv = spawn(|| Generic { value: "str" });
    assert_eq!(
        parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n")).body,
        b"str"
    );
    let srv = spawn(|| Borrowing { greeting: "hi" });
    assert_eq!(parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n")).body, b"hi");
}

/// A stand-in for a stock handler (as the file handler is): a base with
/// `GET` / `HEAD` and class attributes of its own, for any handler type.
struct FakeBase;

impl<H> basehttp::Base<H> for FakeBase {
    const METHODS: &'static [&'static str] = &["GET", "HEAD"];

    fn dispatch(_: &mut H, req: &mut Request) -> Option<io::Result<()>> {
        match req.command.as_str() {
            "GET" => Some(ok(req, b"inherited get")),
            "HEAD" => Some(ok(req, b"")),
            _ => None,
        }
    }

    fn class(_: &H) -> Class {
        Class {
            server_version: Cow::Borrowed("FakeBase/1"),
            ..Class::BASE
        }
    }
}

struct Upload;

#[http_handler(extends = FakeBase, sys_version = "Upload")]
impl Upload {
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"own post")
    }

    fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"")
    }
}

struct Inherits;

#[http_handler(extends = FakeBase)]
impl Inherits {}

#[test]
fn extends_inherits_methods_and_base_class() {
    let srv = spawn(|| Upload);
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"inherited get");
    assert_eq!(r.header("Server"), Some("FakeBase/1 Upload"));
    let r = parse(&raw(srv.addr, b"POST / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"own post");
    let r = parse(&raw(srv.addr, b"PUT / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 501);
    assert_eq!(r.header("Allow"), Some("POST, HEAD, GET"));
    assert_eq!(&*Upload.methods(), ["POST", "HEAD", "GET"]);

    let srv = spawn(|| Inherits);
    let r = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"inherited get");
    let r = parse(&raw(srv.addr, b"POST / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.header("Allow"), Some("GET, HEAD"));
}
