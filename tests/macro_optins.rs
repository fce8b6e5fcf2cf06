//! The opt-in behaviours of `#[http_handler]` (beyond CPython, off by
//! default): `auto_options`, `method_not_allowed`, `auto_head`.

use std::io::{self, Write};

use basehttp::{Request, http_handler};

use crate::support::{connect, parse, raw, read_response, spawn};

fn ok(req: &mut Request, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Length", &body.len().to_string())?;
    req.end_headers()?;
    req.wfile.write_all(body)
}

struct All;

#[http_handler(
    auto_options,
    method_not_allowed,
    auto_head,
    protocol_version = "HTTP/1.1"
)]
impl All {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"hello")
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"posted")
    }
}

struct Plain;

#[http_handler]
impl Plain {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"hello")
    }
}

#[test]
fn auto_options_answers_with_allow() {
    let srv = spawn(|| All);
    let out = raw(
        srv.addr,
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let r = parse(&out);
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("Allow"), Some("GET, POST, HEAD, OPTIONS"));
    assert_eq!(r.header("Content-Length"), Some("0"));
    assert!(r.body.is_empty());
}

#[test]
fn method_not_allowed_is_405_for_standard_methods_only() {
    let srv = spawn(|| All);
    let r = parse(&raw(srv.addr, b"DELETE / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.1 405 Method Not Allowed");
    assert_eq!(r.header("Allow"), Some("GET, POST, HEAD, OPTIONS"));
    assert_eq!(r.header("Connection"), Some("close"));
    let r = parse(&raw(srv.addr, b"SPAM / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status_line, "HTTP/1.1 501 Unsupported method ('SPAM')");
}

#[test]
fn auto_head_serves_head_from_do_get_without_body() {
    let srv = spawn(|| All);
    let mut s = connect(srv.addr);
    s.write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let head = read_response(&mut s, true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("5"));
    // The body was discarded: the next response follows immediately.
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let get = read_response(&mut s, false);
    assert_eq!(get.status, 200);
    assert_eq!(get.body, b"hello");
}

#[test]
fn opt_ins_are_off_by_default() {
    let srv = spawn(|| Plain);
    for method in ["OPTIONS", "HEAD", "DELETE"] {
        let out = raw(srv.addr, format!("{method} / HTTP/1.0\r\n\r\n").as_bytes());
        let r = parse(&out);
        assert_eq!(r.status, 501, "{method}");
        assert_eq!(r.header("Allow"), Some("GET"));
    }
}

struct OwnOptions;

#[http_handler(auto_options, auto_head)]
impl OwnOptions {
    fn do_OPTIONS(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"mine")
    }

    fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(204)?;
        req.end_headers()
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        ok(req, b"hello")
    }
}

#[test]
fn own_methods_win_over_opt_ins() {
    let srv = spawn(|| OwnOptions);
    let r = parse(&raw(srv.addr, b"OPTIONS * HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, b"mine");
    let r = parse(&raw(srv.addr, b"HEAD / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 204);
    let r = parse(&raw(srv.addr, b"PUT / HTTP/1.0\r\n\r\n"));
    assert_eq!(r.header("Allow"), Some("OPTIONS, HEAD, GET"));
}
