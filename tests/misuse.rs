//! Misuse is an error where it happens (issue 21): body bytes before the
//! head went out, and `send_error` after the response began, are
//! `io::Error`s saying what to do instead, logged, and the connection
//! closes; a `FormError` passed on with `?` is answered with its status.

use std::io::Write;

use basehttp::form;
use basehttp::prelude::*;

use crate::support::{self, capture_log, connect, logs_for, parse, raw, read_to_close};

/// What the handler saw of the misuse error, when it kept it.
static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Misuser;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Misuser {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        match req.path.as_str() {
            "/before-end-headers" => {
                req.send_response(200)?;
                req.send_header("Content-Type", "text/plain")?;
                req.wfile.write_all(b"body first")?;
                req.end_headers()
            }
            "/no-response" => req.wfile.write_all(b"no status line"),
            "/swallowed" => {
                let e = req.wfile.write_all(b"oops").unwrap_err();
                SEEN.lock().unwrap().push(e.to_string());
                req.respond(200, "text/plain", "fine")
            }
            "/error-after-body" => {
                req.send_response(200)?;
                req.send_header("Content-Length", "10")?;
                req.end_headers()?;
                req.wfile.write_all(b"hello")?;
                req.send_error(500)
            }
            "/error-after-buffered-head" => {
                req.send_response(200)?;
                req.send_header("X-Dropped", "1")?;
                req.send_error_with(404, "Gone")
            }
            _ => req.respond(200, "text/plain", "ok"),
        }
    }
}

#[test]
fn body_before_end_headers_is_an_error_and_a_500() {
    let srv = support::spawn(|| Misuser);
    let mut s = connect(srv.addr);
    s.write_all(b"GET /before-end-headers HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let out = read_to_close(&mut s);
    let r = parse(&out);
    // Not the body without a status line: an error page, then the close
    // (the pipelined request is not served).
    assert_eq!(r.status_line, "HTTP/1.1 500 Internal Server Error");
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(!String::from_utf8_lossy(&out).contains("body first"));
    let port = srv.port();
    drop(srv);
    let log = logs_for(port).concat();
    assert!(
        log.contains("response body written before end_headers(): the headers are still buffered; call req.end_headers()"),
        "{log}"
    );
    assert!(
        !log.contains("Exception occurred"),
        "one line, not a traceback: {log}"
    );
}

#[test]
fn body_without_send_response_is_an_error() {
    let srv = support::spawn(|| Misuser);
    let out = raw(srv.addr, b"GET /no-response HTTP/1.1\r\n\r\n");
    assert_eq!(parse(&out).status, 500);
    assert!(!String::from_utf8_lossy(&out).contains("no status line"));
    let port = srv.port();
    drop(srv);
    assert!(
        logs_for(port)
            .concat()
            .contains("response body written before send_response(): the client would get no status line; call req.send_response(code)")
    );
}

#[test]
fn a_swallowed_misuse_still_closes_the_connection_and_is_logged() {
    let srv = support::spawn(|| Misuser);
    let mut s = connect(srv.addr);
    s.write_all(b"GET /swallowed HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let r = support::read_response(&mut s, false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"fine"[..]));
    assert!(read_to_close(&mut s).is_empty(), "closed after the request");
    let port = srv.port();
    drop(srv);
    let seen = SEEN.lock().unwrap().concat();
    assert!(seen.contains("before send_response()"), "{seen}");
    assert!(
        logs_for(port)
            .concat()
            .contains("response body written before send_response()")
    );
}

#[test]
fn send_error_after_the_response_began_is_an_error() {
    let srv = support::spawn(|| Misuser);
    let out = raw(srv.addr, b"GET /error-after-body HTTP/1.1\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    // One response, cut short: no second status line inside its body.
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
    assert!(text.ends_with("\r\n\r\nhello"), "{text}");
    let port = srv.port();
    drop(srv);
    let log = logs_for(port).concat();
    assert!(
        log.contains("send_error(500) after the response began: its status line already went out"),
        "{log}"
    );
    assert!(!log.contains("code 500"), "no error page was begun: {log}");
}

#[test]
fn send_error_replaces_a_head_not_sent_yet() {
    let srv = support::spawn(|| Misuser);
    let out = raw(srv.addr, b"GET /error-after-buffered-head HTTP/1.1\r\n\r\n");
    let r = parse(&out);
    assert_eq!(r.status_line, "HTTP/1.1 404 Gone");
    assert_eq!(r.header("X-Dropped"), None);
    assert_eq!(
        String::from_utf8_lossy(&out).matches("HTTP/1.1 ").count(),
        1
    );
}

/// Multipart uploads read with `?` on `FormError`, on `Part`'s `Read`, and
/// on `io::copy` through a part.
struct Upload;

#[http_handler]
impl Upload {
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let limits = form::Limits {
            max_total_size: 1000,
            ..form::Limits::default()
        };
        let mut total = 0;
        let mut parts = form::multipart_with(req, limits)?;
        while let Some(mut part) = parts.next_part()? {
            total += if part.name() == "copy" {
                io::copy(&mut part, &mut io::sink())?
            } else {
                part.copy_to(&mut io::sink())?
            };
        }
        drop(parts);
        req.respond(200, "text/plain", total.to_string())
    }
}

fn multipart(name: &str, body: &str, close: bool) -> Vec<u8> {
    let mut payload =
        format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{body}\r\n");
    if close {
        payload.push_str("--b--\r\n");
    }
    format!(
        "POST / HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .into_bytes()
}

#[test]
fn form_errors_pass_on_with_question_mark_and_keep_their_status() {
    let srv = support::spawn(|| Upload);
    let ok = parse(&raw(srv.addr, &multipart("f", "12345", true)));
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"5"[..]));
    for name in ["f", "copy"] {
        // Cut short: 400 (it was a 500 through `Part`'s `Read`).
        let r = parse(&raw(srv.addr, &multipart(name, "12345", false)));
        assert_eq!(r.status, 400, "{name}");
        assert!(
            String::from_utf8_lossy(&r.body).contains("multipart body ended early"),
            "{name}"
        );
    }
    let big = parse(&raw(srv.addr, &multipart("f", &"x".repeat(2000), true)));
    assert_eq!(big.status, 413);
    let plain = parse(&raw(
        srv.addr,
        b"POST / HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
    ));
    assert_eq!(plain.status, 400);
}

#[test]
fn a_form_error_through_the_test_client_is_answered_alike() -> io::Result<()> {
    let mut client = basehttp::test::Client::new(Upload);
    let r = client.request("POST", "/").body("x").send()?;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("form content type not supported"));
    Ok(())
}
