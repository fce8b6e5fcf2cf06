//! The in-memory test client against the real server: the requests of the
//! `base`, `files`, `framing` and `macro_overrides` socket tests, sent both over
//! 127.0.0.1 and through `basehttp::test::Client`, must give the same bytes
//! (the `Date` value aside). Then the client's own API: keep-alive,
//! reconnecting, bodies, interim responses.

use std::io::{self, Read, Write};

use basehttp::handlers::SimpleHttpRequestHandler;
use basehttp::prelude::*;
use basehttp::test::Client;

use crate::base::{Http09Handler, RequestHandler, SocketlessRequestHandler};
use crate::framing::Sink;
use crate::macro_overrides::{
    Cors, DefaultVersion, KeepAlive, OneShot, PlainErrors, Versioned, Versions,
};
use crate::support::{TempDir, parse, parse_all, raw, spawn};

/// Replaces every `Date:` header value, the one thing that may differ
/// between two runs a second apart.
fn normalise(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(i) = rest.windows(8).position(|w| w == b"\r\nDate: ") {
        out.extend_from_slice(&rest[..i + 8]);
        rest = &rest[i + 8..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        out.extend_from_slice(b"<date>");
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// Sends each request over a socket (then half-closes, as `raw` does) and
/// through a fresh in-memory client, and asserts the bytes are equal.
/// Returns the socket answers for further checks.
fn same_bytes<F, H>(factory: F, requests: &[&[u8]]) -> Vec<Vec<u8>>
where
    F: Fn() -> H + Send + Sync + Clone + 'static,
    H: Handler,
{
    let srv = spawn(factory.clone());
    requests
        .iter()
        .map(|request| {
            let over_socket = raw(srv.addr, request);
            let in_memory = Client::new(factory()).send_raw(request);
            assert!(!over_socket.is_empty(), "no answer to {request:?}");
            assert_eq!(
                String::from_utf8_lossy(&normalise(&in_memory)),
                String::from_utf8_lossy(&normalise(&over_socket)),
                "request {:?}",
                String::from_utf8_lossy(request)
            );
            over_socket
        })
        .collect()
}

#[test]
fn base_handler_requests_give_the_same_bytes() {
    let mut latin1 = b"LATINONEHEADER / HTTP/1.1\r\nX-Special-Incoming: ".to_vec();
    latin1.extend_from_slice(b"\xc4rger mit Unicode\r\n\r\n");
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(70_000));
    let requests: Vec<&[u8]> = vec![
        b"GET / HTTP/1.1\r\n\r\n",
        b"XYZBOGUS / HTTP/1.1\n\r\nHost: x\r\n\r\n",
        b"GET / FUBAR\r\n\r\n",
        b"GET / HTTP/9.9.9\r\n\r\n",
        b"GET / HTTP/-9_9_9.+9_9_9\r\n\r\n",
        b"GET / HTTP/909876543210.0\r\n\r\n",
        b"GET / HTTP/1.909876543210\r\n\r\n",
        b"GET / \r\nHost: x\r\n\r\n",
        b"CUSTOM / \r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b" / \r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
        b"TEST / HTTP/1.1\r\n\r\n",
        b"KEEP / HTTP/1.1\r\nHost: x\r\n\r\nTEST / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"KEEP / HTTP/1.1\r\n\r\nKEEP / HTTP/1.1\r\n\r\nKEEP / HTTP/1.1\r\n\r\n",
        // An unread body is drained before the next request.
        b"KEEP / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloTEST / HTTP/1.1\r\n\r\n",
        b"KEYERROR / HTTP/1.1\r\n\r\n",
        b"CUSTOM / HTTP/1.1\r\n\r\n",
        b"EXPLAINERROR / HTTP/1.1\r\n\r\n",
        &latin1,
        b"NOTFOUND / HTTP/1.1\r\n\r\n",
        b"SEND_ERROR /204 HTTP/1.1\r\n\r\n",
        b"SEND_ERROR /304 HTTP/1.1\r\n\r\n",
        b"SEND_ERROR /101 HTTP/1.1\r\n\r\n",
        b"HEAD /200 HTTP/1.1\r\n\r\n",
        b"HEAD /205 HTTP/1.1\r\n\r\n",
        long_line.as_bytes(),
        b"GET / HTTP/1.1\r\nBad header line\r\n\r\n",
    ];
    let answers = same_bytes(|| RequestHandler, &requests);
    assert_eq!(parse(&answers[0]).status, 501);
    assert_eq!(parse_all(&answers[15]).len(), 3);
}

#[test]
fn http09_and_socketless_handlers_give_the_same_bytes() {
    let answers = same_bytes(
        || Http09Handler,
        &[
            b"GET /index.html\r\n",
            b"POST /index.html\r\n",
            b"GET /foo.html\r\nGET /bar.html\r\n",
        ],
    );
    assert_eq!(answers[2], b"OK: here is /foo.html\r\n");
    same_bytes(
        || SocketlessRequestHandler {
            reject_continue: false,
        },
        &[
            b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
            b"GET / HTTP/0.9\r\n\r\n",
            b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        ],
    );
    same_bytes(
        || SocketlessRequestHandler {
            reject_continue: true,
        },
        &[b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"],
    );
}

#[test]
fn file_handler_requests_give_the_same_bytes() {
    let dir = TempDir::new("equiv-files");
    dir.write("tmpdir/test", "We are the knights who say Ni!");
    dir.write("tmpdir/sub/a.txt", "a");
    dir.write("tmpdir/sub/<b>&.txt", "b");
    dir.write("tmpdir/index/index.html", "Dummy index file\r\n");
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8).collect();
    dir.write("tmpdir/big.bin", &big);
    let mtime = std::fs::metadata(dir.path().join("tmpdir/test"))
        .unwrap()
        .modified()
        .unwrap();
    let ims = format!(
        "GET /tmpdir/test HTTP/1.0\r\nIf-Modified-Since: {}\r\n\r\n",
        httpdate::fmt_http_date(mtime)
    );
    let files = SimpleHttpRequestHandler::new(dir.path());
    let requests: Vec<&[u8]> = vec![
        b"GET /tmpdir/test HTTP/1.0\r\n\r\n",
        b"HEAD /tmpdir/test HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/test/ HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/test%2f HTTP/1.0\r\n\r\n",
        b"GET /tmpdir HTTP/1.0\r\n\r\n",
        b"GET /tmpdir?hi=1 HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/sub/ HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/index/ HTTP/1.0\r\n\r\n",
        b"GET /ThisDoesNotExist HTTP/1.0\r\n\r\n",
        b"GET //python.org/..%2f..%2f/tmpdir/sub HTTP/1.0\r\n\r\n",
        b"FOO /tmpdir/test HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/big.bin HTTP/1.0\r\n\r\n",
        b"GET /tmpdir/big.bin HTTP/1.0\r\nRange: bytes=10-19\r\n\r\n",
        b"GET /tmpdir/big.bin HTTP/1.0\r\nRange: bytes=999999-\r\n\r\n",
        ims.as_bytes(),
    ];
    let answers = same_bytes(move || files.clone(), &requests);
    assert_eq!(parse(&answers[0]).body, b"We are the knights who say Ni!");
    assert_eq!(parse(&answers[11]).body, big);
    // HTTP/1.1 keep-alive with the file handler: two requests, one connection.
    let files11 = SimpleHttpRequestHandler::new(dir.path()).with_protocol_version("HTTP/1.1");
    let answers = same_bytes(
        move || files11.clone(),
        &[b"GET /tmpdir/test HTTP/1.1\r\nHost: x\r\n\r\nGET /tmpdir/sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"],
    );
    assert_eq!(parse_all(&answers[0]).len(), 2);
}

#[test]
fn macro_override_handlers_give_the_same_bytes() {
    let get: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
    let two: &[u8] = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    same_bytes(|| Versioned, &[get]);
    same_bytes(|| KeepAlive, &[two]);
    same_bytes(|| OneShot, &[two]);
    same_bytes(|| PlainErrors, &[get]);
    same_bytes(|| DefaultVersion, &[b"GET /\r\n"]);
    same_bytes(|| Versions, &[get]);
    same_bytes(
        || Cors,
        &[
            get,
            b"GET /missing HTTP/1.0\r\n\r\n",
            b"POST / HTTP/1.0\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
        ],
    );
}

#[test]
fn framing_requests_give_the_same_bytes() {
    let answers = same_bytes(
        || Sink,
        &[
            // Chunked body decoded, then a pipelined request.
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
            b"POST /lines HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\na\nb\n\r\n0\r\nTrailer: x\r\n\r\n",
            // Unread chunked body on GET: drained, not parsed.
            b"GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\nGET /smuggled HTTP/1.1\r\n\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
            // Malformed chunk size, conflicting framing, HTTP/1.0 with TE.
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /smuggled HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"GET /c HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
        ],
    );
    assert_eq!(parse_all(&answers[0]).len(), 2);
    assert!(
        answers
            .iter()
            .all(|a| !String::from_utf8_lossy(a).contains("smuggled"))
    );
}

// ---------------------------------------------------------------------------
// The client's API.

struct Counter {
    requests: usize,
}

#[http_handler(protocol_version = "HTTP/1.1")]
impl Counter {
    fn log_message(_req: &Request, _message: &str) {}

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        self.requests += 1;
        let body = format!("{} {}", self.requests, req.path);
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        if req.path == "/close" {
            req.send_header("Connection", "close")?;
        }
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let mut body = Vec::new();
        req.rfile.read_to_end(&mut body)?;
        let ct = req.headers.get("Content-Type").unwrap_or("").to_owned();
        req.send_response_with(201, "Made")?;
        req.send_header("X-Got-Type", &ct)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(&body)
    }
}

#[test]
fn client_keeps_the_connection_and_reconnects_after_a_close() {
    let mut client = Client::new(Counter { requests: 0 });
    assert!(!client.is_connected());
    let r = client.get("/a").unwrap();
    assert_eq!(
        (r.status, r.reason.as_str(), r.version.as_str()),
        (200, "OK", "HTTP/1.1")
    );
    assert_eq!(r.text(), "1 /a");
    assert!(client.is_connected());
    assert_eq!(client.get("/close").unwrap().text(), "2 /close");
    assert!(!client.is_connected());
    // A new connection; the handler value (and its count) carries over.
    assert_eq!(client.get("/b").unwrap().text(), "3 /b");
    assert_eq!(client.handler().requests, 3);
    client.close();
    assert!(!client.is_connected());
}

#[test]
fn client_sends_headers_and_a_body() {
    let mut client = Client::new(Counter { requests: 0 });
    let req = client
        .request("POST", "/up")
        .header("Content-Type", "text/plain")
        .body("payload");
    assert_eq!(
        req.to_bytes(),
        b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\nContent-Type: text/plain\r\n\r\npayload"
    );
    let r = req.send().unwrap();
    assert_eq!((r.status, r.reason.as_str()), (201, "Made"));
    assert_eq!(r.header("x-got-type"), Some("text/plain"));
    assert_eq!(r.body, b"payload");
    let head = client.head("/").unwrap();
    assert_eq!(head.status, 501);
    assert!(head.body.is_empty());
}

#[test]
fn client_skips_interim_responses_and_reports_non_http_output() {
    let mut client = Client::new(SocketlessRequestHandler {
        reject_continue: false,
    });
    let r = client
        .request("GET", "/")
        .header("Expect", "100-continue")
        .send()
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"<html><body>Data</body></html>\r\n");
    let mut client = Client::new(Http09Handler);
    let e = client
        .request("GET", "/x")
        .version("HTTP/0.9")
        .send()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(client.send_raw(b"GET /x\r\n"), b"OK: here is /x\r\n");
}
