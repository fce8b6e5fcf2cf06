//! Request framing in keep-alive mode (RFC 9112 §5–§7): chunked bodies
//! decoded, ambiguous heads refused, `Connection` read as a token list.
//! Every case hides a request for `/smuggled` where a server that got the
//! framing wrong would answer it.

use std::io::{self, BufRead, Read, Write};

use basehttp::prelude::*;

use crate::support::*;

/// Reads the whole body (through `BufRead` for `/lines`, else `read`) and
/// answers its length and bytes; GET answers its path.
pub(crate) struct Sink;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Sink {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let mut body = Vec::new();
        if req.path == "/lines" {
            let mut line = Vec::new();
            while req.rfile.read_until(b'\n', &mut line)? > 0 {
                body.append(&mut line);
            }
        } else {
            req.rfile.read_to_end(&mut body)?;
        }
        let head = format!("{}:", body.len());
        req.send_response(200)?;
        req.send_header("Content-Length", &(head.len() + body.len()).to_string())?;
        req.end_headers()?;
        req.wfile.write_all(head.as_bytes())?;
        req.wfile.write_all(&body)
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!("path={}", req.path);
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

const SMUGGLED: &[u8] = b"GET /smuggled HTTP/1.1\r\n\r\n";

fn bodies(all: &[Response]) -> Vec<String> {
    all.iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// `data` in chunks of the given sizes (cycled), with extensions on some.
fn chunked(data: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    for (i, size) in sizes.iter().cycle().enumerate() {
        if rest.is_empty() {
            break;
        }
        let n = (*size).min(rest.len());
        let ext = if i % 3 == 1 { ";name=value" } else { "" };
        out.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
    out
}

#[test]
fn chunked_body_is_decoded_and_the_connection_kept() {
    let srv = spawn(|| Sink);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for path in ["/", "/lines"] {
        let mut request =
            format!("POST {path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
        request.extend(chunked(&data, &[1, 4096, 17, 20_000, 3]));
        request.extend_from_slice(b"GET /next HTTP/1.1\r\nConnection: close\r\n\r\n");
        let all = parse_all(&raw(srv.addr, &request));
        assert_eq!(all.len(), 2, "{path}");
        let mut want = b"100000:".to_vec();
        want.extend_from_slice(&data);
        assert_eq!(all[0].body, want, "{path}");
        assert_eq!(all[1].body, b"path=/next");
    }
}

#[test]
fn unread_chunked_body_is_drained_not_parsed() {
    let srv = spawn(|| Sink);
    let mut request = b"GET /first HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend(chunked(SMUGGLED, &[5]));
    request.extend_from_slice(b"GET /next HTTP/1.1\r\nConnection: close\r\n\r\n");
    let all = parse_all(&raw(srv.addr, &request));
    assert_eq!(bodies(&all), ["path=/first", "path=/next"]);
}

#[test]
fn malformed_chunked_body_closes_after_the_response() {
    let srv = spawn(|| Sink);
    for bad in [
        &b"-1\r\n"[..],
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"5;a\rb\r\nhello\r\n0\r\n\r\n",
        b"10000000000000000\r\n",
    ] {
        // Not read by the handler: answered, then closed while draining.
        let mut request = b"GET /first HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        request.extend_from_slice(bad);
        request.extend_from_slice(SMUGGLED);
        let all = parse_all(&raw(srv.addr, &request));
        assert_eq!(bodies(&all), ["path=/first"], "{bad:?}");
        // Read by the handler: its read fails, nothing more is answered.
        let mut request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        request.extend_from_slice(bad);
        request.extend_from_slice(SMUGGLED);
        let all = parse_all(&raw(srv.addr, &request));
        assert!(all.iter().all(|r| r.body != b"path=/smuggled"), "{bad:?}");
        assert!(all.len() <= 1, "{bad:?}");
    }
    assert!(wait_for_log(
        srv.port(),
        "Bad chunked body",
        std::time::Duration::from_secs(5)
    ));
}

#[test]
fn ambiguous_framing_is_refused() {
    let srv = spawn(|| Sink);
    let cases: &[(&str, u16)] = &[
        ("Content-Length : 26", 400),
        ("Transfer-Encoding : chunked", 400),
        ("Content-Length\t: 26", 400),
        ("Transfer-Encoding: chunked\r\nContent-Length: 26", 400),
        ("Content-Length: 26\r\nTransfer-Encoding: chunked", 400),
        ("Transfer-Encoding: chunked, identity", 400),
        ("Transfer-Encoding: xchunked", 400),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
            400,
        ),
        ("Transfer-Encoding: gzip, chunked", 501),
        // After a line CPython stops at, a framing header is refused too.
        ("NoColon\r\nContent-Length: 26", 400),
    ];
    for (lines, status) in cases {
        for method in ["GET", "POST"] {
            let mut request = format!("{method} / HTTP/1.1\r\n{lines}\r\n\r\n").into_bytes();
            request.extend_from_slice(SMUGGLED);
            let all = parse_all(&raw(srv.addr, &request));
            assert_eq!(all.len(), 1, "{method} {lines:?}");
            assert_eq!(all[0].status, *status, "{method} {lines:?}");
            assert_eq!(all[0].header("Connection"), Some("close"));
        }
    }
    let all = parse_all(&raw(
        srv.addr,
        b"GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n",
    ));
    assert_eq!(
        all[0].status_line,
        "HTTP/1.1 400 Whitespace before the colon of header 'Content-Length '"
    );
}

#[test]
fn http10_with_transfer_encoding_is_served_then_closed() {
    let srv = spawn(|| Sink);
    let mut request =
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend(chunked(b"abc", &[2]));
    request.extend_from_slice(SMUGGLED);
    let all = parse_all(&raw(srv.addr, &request));
    assert_eq!(bodies(&all), ["3:abc"]);
}

#[test]
fn connection_close_anywhere_in_the_token_list_closes() {
    let srv = spawn(|| Sink);
    for lines in [
        "Connection: keep-alive, close",
        "Connection: Close",
        "Connection: keep-alive\r\nConnection: close",
        "Connection: upgrade,CLOSE",
    ] {
        let mut request = format!("GET /a HTTP/1.1\r\n{lines}\r\n\r\n").into_bytes();
        request.extend_from_slice(SMUGGLED);
        // Not half-closed: a server that keeps the connection open would
        // answer the second request or hang until the client times out.
        let all = parse_all(&raw_keep_open(srv.addr, &request));
        assert_eq!(bodies(&all), ["path=/a"], "{lines:?}");
    }
    // keep-alive alone keeps it open.
    let mut request = b"GET /a HTTP/1.1\r\nConnection: keep-alive\r\n\r\n".to_vec();
    request.extend_from_slice(b"GET /b HTTP/1.1\r\nConnection: close\r\n\r\n");
    let all = parse_all(&raw_keep_open(srv.addr, &request));
    assert_eq!(bodies(&all), ["path=/a", "path=/b"]);
}

#[test]
fn draining_counts_chunk_framing() {
    // 300 chunks of one byte, each behind 4 KiB of extension: 1.2 MiB of
    // framing around 300 bytes. Unread, it is not drained but closed.
    let srv = spawn(|| Sink);
    let mut request = b"GET /first HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let ext = "x".repeat(4000);
    for _ in 0..300 {
        request.extend_from_slice(format!("1;{ext}\r\nX\r\n").as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request.extend_from_slice(b"GET /next HTTP/1.1\r\nConnection: close\r\n\r\n");
    let all = parse_all(&raw(srv.addr, &request));
    assert_eq!(bodies(&all), ["path=/first"]);
}
