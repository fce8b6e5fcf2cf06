//! Compression in `SimpleHttpRequestHandler` over real sockets (issue 20,
//! item 5; the binary's `--compress`): precompressed siblings chosen by
//! `Accept-Encoding` q-values, compression on the fly decoded back with the
//! same crates, what stays as stored (small files, compressed types,
//! ranges, compression off), HEAD against GET, entity tags and 304s per
//! encoding; then real clients: curl `--compressed`, Python's `urllib` and
//! `http.client`, and headless Chromium running a compressed script.
//!
//! A missing client (curl, python3, chromium) skips its test with a
//! message, except under CI (`CI` set), where `.ci/run` installs them and
//! a missing one fails.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use basehttp::handlers::files::{self, ContentCoding, Encoding, OpenFile};
use basehttp::handlers::{CgiHttpRequestHandler, FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

use crate::clients::{self, CHROMIUM, client_present, run_bounded};
use crate::support::{Response, TempDir, TestServer, connect, parse, raw, read_to_close, spawn};

/// Over the 1 KiB threshold, compressible: compressed on the fly.
fn app_js() -> Vec<u8> {
    let mut js = b"// generated\n".to_vec();
    for i in 0..300 {
        js.extend_from_slice(format!("var filler{i} = \"{}\";\n", "ab".repeat(20)).as_bytes());
    }
    js.extend_from_slice(
        b"document.getElementById(\"fly\").textContent = \"on-the-fly script ran\";\n",
    );
    js
}

/// Has precompressed siblings (`.br`, `.zst`, `.gz`).
fn lib_js() -> Vec<u8> {
    let mut js = b"// precompressed\n".to_vec();
    for i in 0..200 {
        js.extend_from_slice(format!("var lib{i} = {i} * 2;\n").as_bytes());
    }
    js.extend_from_slice(
        b"document.getElementById(\"pre\").textContent = \"precompressed script ran\";\n",
    );
    js
}

const PAGE: &[u8] = b"<!doctype html><html><body>\
    <p id=\"fly\">not run</p><p id=\"pre\">not run</p>\
    <script src=\"app.js\"></script><script src=\"lib.js\"></script></body></html>";

/// Below the 1 KiB threshold.
const SMALL: &[u8] = b"a small text file, sent as stored\n";

/// Bytes no coder shrinks, under a type that is already compressed.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn brotli_best(data: &[u8]) -> Vec<u8> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
    w.write_all(data).unwrap();
    w.into_inner()
}

fn gzip_best(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn zstd_best(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 19).unwrap()
}

/// `body` decoded from `coding` with the crate that encoded it.
fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .map(drop),
        "zstd" => zstd::stream::read::Decoder::new(body)
            .and_then(|mut d| d.read_to_end(&mut out))
            .map(drop),
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .map(drop),
        other => panic!("unexpected coding {other}"),
    }
    .unwrap_or_else(|e| panic!("{coding} body does not decode: {e}"));
    out
}

/// The data of a chunked body (RFC 9112 §7.1) and what follows it.
pub(crate) fn dechunk(mut b: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk-size line");
        let line = std::str::from_utf8(&b[..eol]).unwrap();
        let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {line:?}"));
        b = &b[eol + 2..];
        if size == 0 {
            assert!(b.starts_with(b"\r\n"), "no trailer end");
            return (out, &b[2..]);
        }
        out.extend_from_slice(&b[..size]);
        assert_eq!(&b[size..size + 2], b"\r\n", "chunk not followed by CRLF");
        b = &b[size + 2..];
    }
}

/// The fixture: a served directory with every case, one file each.
struct Site {
    dir: TempDir,
    app: Vec<u8>,
    lib: Vec<u8>,
    css: Vec<u8>,
}

impl Site {
    fn new() -> Site {
        let dir = TempDir::new("compress");
        let app = app_js();
        let lib = lib_js();
        let css: Vec<u8> = (0..120)
            .flat_map(|i| format!(".c{i} {{ margin: {i}px; }}\n").into_bytes())
            .collect();
        dir.write("page.html", PAGE);
        dir.write("app.js", &app);
        dir.write("lib.js", &lib);
        dir.write("lib.js.br", brotli_best(&lib));
        dir.write("lib.js.zst", zstd_best(&lib));
        dir.write("lib.js.gz", gzip_best(&lib));
        dir.write("small.txt", SMALL);
        dir.write("photo.png", noise(8192));
        // A type never compressed on the fly, with a sibling: served.
        dir.write("data.bin", noise(4096));
        dir.write("data.bin.gz", gzip_best(&noise(4096)));
        // A sibling older than its file is stale; one that is not a
        // regular file is no sibling.
        dir.write("stale.css", &css);
        let old = dir.write("stale.css.gz", gzip_best(b"stale"));
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        dir.write("odd.css", &css);
        std::fs::create_dir(dir.join("odd.css.br")).unwrap();
        dir.write("docs/index.html", &css);
        Site { dir, app, lib, css }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The stock handler over this directory, compression on, ETags on.
    fn handler(&self) -> SimpleHttpRequestHandler {
        SimpleHttpRequestHandler::new(self.path())
            .with_compress(true)
            .with_etag(true)
    }

    fn serve(&self, handler: SimpleHttpRequestHandler) -> TestServer {
        spawn(move || handler.clone())
    }
}

/// Sends one request and reads the response to the close; a chunked body
/// is returned de-chunked.
fn request(server: &TestServer, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    request_version(server, method, target, headers, "HTTP/1.0")
}

fn request_version(
    server: &TestServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    version: &str,
) -> Response {
    let mut req = format!("{method} {target} {version}\r\n").into_bytes();
    for (n, v) in headers {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    if version == "HTTP/1.1" {
        req.extend_from_slice(b"Connection: close\r\n");
    }
    req.extend_from_slice(b"\r\n");
    let mut resp = parse(&raw(server.addr, &req));
    if method != "HEAD" && resp.header("Transfer-Encoding") == Some("chunked") {
        let (body, rest) = dechunk(&resp.body);
        assert!(rest.is_empty(), "bytes after the last chunk");
        resp.body = body;
    }
    resp
}

/// The headers but `Date`, for comparing two responses.
fn headers_but_date(r: &Response) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| n != "Date")
        .cloned()
        .collect()
}

#[test]
fn precompressed_siblings_by_q_values() {
    let site = Site::new();
    let server = site.serve(site.handler());
    let lib = &site.lib;
    let cases: &[(&str, Option<&str>)] = &[
        // Browsers and curl: all at q=1, the server's order (br, zstd, gzip).
        ("gzip, deflate, br, zstd", Some("br")),
        ("zstd, gzip", Some("zstd")),
        ("gzip", Some("gzip")),
        ("x-gzip", Some("gzip")),
        ("br;q=0.5, zstd;q=0.9, gzip;q=0.1", Some("zstd")),
        ("br;q=0, zstd;q=0, gzip", Some("gzip")),
        ("*", Some("br")),
        ("br;q=0, *;q=0.5", Some("zstd")),
        ("gzip;q=0.5, identity", None),
        ("identity", None),
        // Nothing acceptable: the file as stored, never a 406.
        ("*;q=0", None),
        ("deflate", None),
        ("", None),
        ("br;q=7, gzip;q=", None),
    ];
    for (accept, want) in cases {
        let resp = request(&server, "GET", "/lib.js", &[("Accept-Encoding", accept)]);
        assert_eq!(resp.status, 200, "{accept:?}");
        assert_eq!(resp.header("Content-Encoding"), *want, "{accept:?}");
        assert_eq!(resp.header("Content-type"), Some("text/javascript"));
        assert_eq!(resp.header("Vary"), Some("Accept-Encoding"), "{accept:?}");
        let stored = match want {
            Some("br") => std::fs::read(site.dir.join("lib.js.br")).unwrap(),
            Some("zstd") => std::fs::read(site.dir.join("lib.js.zst")).unwrap(),
            Some("gzip") => std::fs::read(site.dir.join("lib.js.gz")).unwrap(),
            _ => lib.clone(),
        };
        // Sent as stored, framed by its own length.
        assert_eq!(resp.body, stored, "{accept:?}");
        assert_eq!(
            resp.header("Content-Length"),
            Some(stored.len().to_string().as_str())
        );
        if let Some(coding) = want {
            assert_eq!(decode(coding, &resp.body), *lib);
        }
    }
    // No Accept-Encoding at all: as stored, still `Vary`.
    let resp = request(&server, "GET", "/lib.js", &[]);
    assert_eq!(
        (resp.header("Content-Encoding"), resp.body.as_slice()),
        (None, lib.as_slice())
    );
    assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
    // Any type with a sibling.
    let resp = request(&server, "GET", "/data.bin", &[("Accept-Encoding", "gzip")]);
    assert_eq!(resp.header("Content-Encoding"), Some("gzip"));
    assert_eq!(
        resp.header("Content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(decode("gzip", &resp.body), noise(4096));
}

#[test]
fn stale_and_irregular_siblings_are_ignored() {
    let site = Site::new();
    let server = site.serve(site.handler());
    for target in ["/stale.css", "/odd.css"] {
        for accept in ["gzip", "br"] {
            let resp = request(&server, "GET", target, &[("Accept-Encoding", accept)]);
            assert_eq!(resp.status, 200);
            // Compressed on the fly from the file itself.
            assert_eq!(resp.header("Content-Encoding"), Some(accept), "{target}");
            assert_eq!(resp.header("Content-Length"), None, "{target}");
            assert_eq!(decode(accept, &resp.body), site.css, "{target} {accept}");
        }
    }
}

#[test]
fn on_the_fly_round_trips_over_http_1_0_and_1_1() {
    let site = Site::new();
    let http10 = site.serve(site.handler());
    let http11 = site.serve(site.handler().with_protocol_version("HTTP/1.1"));
    for coding in ["br", "zstd", "gzip"] {
        // HTTP/1.0: the body ends with the connection.
        let resp = request(&http10, "GET", "/app.js", &[("Accept-Encoding", coding)]);
        assert_eq!(resp.status_line, "HTTP/1.0 200 OK");
        assert_eq!(resp.header("Content-Encoding"), Some(coding));
        assert_eq!(resp.header("Content-Length"), None);
        assert_eq!(resp.header("Transfer-Encoding"), None);
        assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
        assert!(
            resp.body.len() < site.app.len() / 3,
            "{coding}: {}",
            resp.body.len()
        );
        assert_eq!(decode(coding, &resp.body), site.app, "{coding}");
        // HTTP/1.1: chunked.
        let resp = request_version(
            &http11,
            "GET",
            "/app.js",
            &[("Accept-Encoding", coding)],
            "HTTP/1.1",
        );
        assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
        assert_eq!(resp.header("Transfer-Encoding"), Some("chunked"));
        assert_eq!(resp.header("Content-Length"), None);
        assert_eq!(decode(coding, &resp.body), site.app, "{coding}");
        // An HTTP/1.0 client of the HTTP/1.1 server: no chunks, the close.
        let resp = request(&http11, "GET", "/app.js", &[("Accept-Encoding", coding)]);
        assert_eq!(resp.header("Transfer-Encoding"), None);
        assert_eq!(decode(coding, &resp.body), site.app, "{coding}");
    }
    // A directory's index page is a file like any other.
    let resp = request(&http10, "GET", "/docs/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(resp.header("Content-Encoding"), Some("gzip"));
    assert_eq!(decode("gzip", &resp.body), site.css);
}

/// A chunked compressed body keeps the connection: the next request on it
/// is answered.
#[test]
fn keep_alive_after_a_compressed_body() {
    let site = Site::new();
    let server = site.serve(site.handler().with_protocol_version("HTTP/1.1"));
    let mut s = connect(server.addr);
    s.write_all(
        b"GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n\
          GET /lib.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n\
          GET /small.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let bytes = read_to_close(&mut s);
    let first = parse(&bytes);
    assert_eq!(first.header("Content-Encoding"), Some("br"));
    let (body, rest) = dechunk(&first.body);
    assert_eq!(decode("br", &body), site.app);
    let second = parse(rest);
    assert_eq!(second.header("Content-Encoding"), Some("gzip"));
    let len: usize = second.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(decode("gzip", &second.body[..len]), site.lib);
    let third = parse(&second.body[len..]);
    assert_eq!(third.status, 200);
    assert_eq!(third.body, SMALL);
}

#[test]
fn small_files_and_compressed_types_are_sent_as_stored() {
    let site = Site::new();
    let on = site.serve(site.handler());
    let off = site.serve(SimpleHttpRequestHandler::new(site.path()).with_etag(true));
    for target in ["/small.txt", "/photo.png"] {
        let resp = request(&on, "GET", target, &[("Accept-Encoding", "br, gzip, zstd")]);
        let plain = request(
            &off,
            "GET",
            target,
            &[("Accept-Encoding", "br, gzip, zstd")],
        );
        assert_eq!(resp.header("Content-Encoding"), None, "{target}");
        // Nothing varies: no `Vary`, the same response as without compression.
        assert_eq!(
            headers_but_date(&resp),
            headers_but_date(&plain),
            "{target}"
        );
        assert_eq!(resp.body, plain.body);
    }
}

#[test]
fn a_range_gets_the_file_as_stored() {
    let site = Site::new();
    let server = site.serve(site.handler().with_accept_ranges(true));
    for target in ["/app.js", "/lib.js"] {
        let file = std::fs::read(site.dir.join(&target[1..])).unwrap();
        let resp = request(
            &server,
            "GET",
            target,
            &[("Accept-Encoding", "br, gzip"), ("Range", "bytes=10-19")],
        );
        assert_eq!(resp.status, 206, "{target}");
        assert_eq!(resp.header("Content-Encoding"), None);
        assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(
            resp.header("Content-Range"),
            Some(format!("bytes 10-19/{}", file.len()).as_str())
        );
        assert_eq!(resp.body, file[10..20]);
        // An encoded response does not offer ranges of itself.
        let whole = request(&server, "GET", target, &[("Accept-Encoding", "br")]);
        assert_eq!(whole.header("Content-Encoding"), Some("br"));
        assert_eq!(whole.header("Accept-Ranges"), None);
        let plain = request(&server, "GET", target, &[]);
        assert_eq!(plain.header("Accept-Ranges"), Some("bytes"));
    }
}

#[test]
fn head_has_the_headers_of_get() {
    let site = Site::new();
    let http10 = site.serve(site.handler());
    let http11 = site.serve(site.handler().with_protocol_version("HTTP/1.1"));
    for (server, version) in [(&http10, "HTTP/1.0"), (&http11, "HTTP/1.1")] {
        for target in ["/app.js", "/lib.js", "/small.txt", "/photo.png", "/docs/"] {
            for headers in [
                &[("Accept-Encoding", "br")][..],
                &[("Accept-Encoding", "zstd, gzip;q=0.5")],
                &[("Accept-Encoding", "gzip"), ("Range", "bytes=0-9")],
                &[],
            ] {
                let get = request_version(server, "GET", target, headers, version);
                let head = request_version(server, "HEAD", target, headers, version);
                let what = format!("{version} {target} {headers:?}");
                if get.status == 206 {
                    // HEAD ignores Range (RFC 9110 §14.2), so only the
                    // coding must agree.
                    assert_eq!(head.status, 200, "{what}");
                    assert_eq!(head.header("Content-Encoding"), None, "{what}");
                    continue;
                }
                assert_eq!(head.status_line, get.status_line, "{what}");
                assert_eq!(headers_but_date(&head), headers_but_date(&get), "{what}");
                assert!(head.body.is_empty(), "{what}");
            }
        }
    }
}

#[test]
fn entity_tags_per_encoding_and_304() {
    let site = Site::new();
    let server = site.serve(site.handler());
    let tag = |target: &str, accept: &str| {
        let resp = request(&server, "GET", target, &[("Accept-Encoding", accept)]);
        resp.header("ETag").unwrap().to_owned()
    };
    for target in ["/app.js", "/lib.js"] {
        let tags: Vec<String> = ["identity", "br", "zstd", "gzip"]
            .iter()
            .map(|a| tag(target, a))
            .collect();
        for (i, t) in tags.iter().enumerate() {
            assert_eq!(
                tags.iter().filter(|u| *u == t).count(),
                1,
                "{target}: {tags:?} at {i}"
            );
        }
        // Each tag is current for its own coding only.
        for (accept, t) in ["identity", "br", "zstd", "gzip"].iter().zip(&tags) {
            let resp = request(
                &server,
                "GET",
                target,
                &[("Accept-Encoding", accept), ("If-None-Match", t)],
            );
            assert_eq!(resp.status, 304, "{target} {accept}");
            assert_eq!(resp.header("ETag"), Some(t.as_str()));
            assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
            let other = if *accept == "br" { "gzip" } else { "br" };
            let resp = request(
                &server,
                "GET",
                target,
                &[("Accept-Encoding", other), ("If-None-Match", t)],
            );
            assert_eq!(resp.status, 200, "{target} {accept} as {other}");
            assert_eq!(resp.header("Content-Encoding"), Some(other));
        }
    }
    // On the fly, the tag is weak (the bytes depend on the encoder); a
    // sibling's is its own, strong.
    assert!(tag("/app.js", "br").starts_with("W/\""));
    assert!(tag("/lib.js", "br").starts_with('"'));
    // If-Modified-Since 304s say `Vary` too.
    let lm = request(&server, "GET", "/app.js", &[]);
    let lm = lm.header("Last-Modified").unwrap();
    let untagged = site.serve(SimpleHttpRequestHandler::new(site.path()).with_compress(true));
    let resp = request(
        &untagged,
        "GET",
        "/app.js",
        &[("Accept-Encoding", "br"), ("If-Modified-Since", lm)],
    );
    assert_eq!(resp.status, 304);
    assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
    assert_eq!(resp.header("ETag"), None);
}

/// Off (the default), not a byte changes: no `Vary`, no coding, siblings
/// not looked at.
#[test]
fn off_sends_every_file_as_stored() {
    let site = Site::new();
    let server = site.serve(SimpleHttpRequestHandler::new(site.path()));
    for target in ["/app.js", "/lib.js", "/data.bin", "/docs/"] {
        let resp = request(
            &server,
            "GET",
            target,
            &[("Accept-Encoding", "gzip, deflate, br, zstd")],
        );
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("Content-Encoding"), None, "{target}");
        assert_eq!(resp.header("Vary"), None, "{target}");
        assert!(resp.header("Content-Length").is_some());
        let names: Vec<&str> = resp.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Server",
                "Date",
                "Content-type",
                "Content-Length",
                "Last-Modified"
            ]
        );
    }
    assert_eq!(
        request(&server, "GET", "/app.js", &[("Accept-Encoding", "br")]).body,
        site.app
    );
}

/// A `Vary` of the user's (`-H Vary Origin`) is sent beside compression's
/// own, not dropped: both fields are there, on every form.
#[test]
fn a_vary_of_the_users_adds_to_accept_encoding() {
    let site = Site::new();
    let server = site.serve(site.handler().with_header("Vary", "Origin"));
    for accept in ["br", "identity"] {
        let resp = request(&server, "GET", "/app.js", &[("Accept-Encoding", accept)]);
        assert_eq!(resp.status, 200);
        assert_eq!(
            resp.headers_named("Vary"),
            ["Accept-Encoding", "Origin"],
            "{accept}"
        );
    }
    // A file with one form only: the user's alone.
    let resp = request(&server, "GET", "/small.txt", &[("Accept-Encoding", "br")]);
    assert_eq!(resp.headers_named("Vary"), ["Origin"]);
}

/// Through the CGI handler's file side (`--cgi --compress`) too.
#[test]
fn the_cgi_handler_serves_files_compressed() {
    let site = Site::new();
    let cgi = CgiHttpRequestHandler::with_files(site.handler());
    let server = spawn(move || cgi.clone());
    let resp = request(&server, "GET", "/app.js", &[("Accept-Encoding", "zstd")]);
    assert_eq!(resp.header("Content-Encoding"), Some("zstd"));
    assert_eq!(decode("zstd", &resp.body), site.app);
}

/// The form chosen for each request path, in order.
type Seen = Arc<Mutex<Vec<(String, Encoding)>>>;

/// The stock handler with `select_encoding` overridden to record each
/// choice (and to show the step is overridable on its own).
#[derive(Clone)]
struct Recording {
    files: SimpleHttpRequestHandler,
    seen: Seen,
}

impl FileHandler for Recording {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }

    fn select_encoding(&self, req: &Request, file: OpenFile) -> OpenFile {
        let file = files::default_select_encoding(&self.files, req, file);
        self.seen
            .lock()
            .unwrap()
            .push((req.path.clone(), file.encoding));
        file
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler)]
impl Recording {}

fn recording(site: &Site, protocol: &str) -> (TestServer, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler = Recording {
        files: site.handler().with_protocol_version(protocol),
        seen: Arc::clone(&seen),
    };
    (spawn(move || handler.clone()), seen)
}

/// curl `--compressed` (it sends `deflate, gzip, br, zstd` and decodes),
/// over one kept-alive HTTP/1.1 connection; and each coding alone.
#[test]
fn curl_compressed() {
    if !client_present("curl", "apt-get install curl") {
        return;
    }
    let site = Site::new();
    let (server, seen) = recording(&site, "HTTP/1.1");
    let out = TempDir::new("compress-curl");
    let url = |p: &str| format!("http://127.0.0.1:{}/{p}", server.port());
    let mut curl = Command::new("curl");
    curl.args([
        "-sS",
        "--compressed",
        "--http1.1",
        "-w",
        "%{num_connects} %{content_type}\\n",
    ])
    .args(["-o", out.join("app.js").to_str().unwrap(), &url("app.js")])
    .args(["-o", out.join("lib.js").to_str().unwrap(), &url("lib.js")])
    .args([
        "-o",
        out.join("small.txt").to_str().unwrap(),
        &url("small.txt"),
    ]);
    let output = run_bounded(curl);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read(out.join("app.js")).unwrap(), site.app);
    assert_eq!(std::fs::read(out.join("lib.js")).unwrap(), site.lib);
    assert_eq!(std::fs::read(out.join("small.txt")).unwrap(), SMALL);
    // One connection for the three (`num_connects` 1, then 0 and 0).
    let stdout = String::from_utf8(output.stdout).unwrap();
    let connects: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(connects, ["1", "0", "0"], "{stdout}");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (
                "/app.js".to_owned(),
                Encoding::OnTheFly(ContentCoding::Brotli)
            ),
            (
                "/lib.js".to_owned(),
                Encoding::Precompressed(ContentCoding::Brotli)
            ),
            ("/small.txt".to_owned(), Encoding::Identity),
        ]
    );
    for coding in ["br", "zstd", "gzip"] {
        let mut curl = Command::new("curl");
        curl.args([
            "-sS",
            "--compressed",
            "-H",
            &format!("Accept-Encoding: {coding}"),
        ])
        .args([
            "-D",
            "-",
            "-o",
            out.join("one").to_str().unwrap(),
            &url("app.js"),
        ]);
        let output = run_bounded(curl);
        assert!(output.status.success());
        let head = String::from_utf8(output.stdout).unwrap();
        assert!(
            head.contains(&format!("\r\nContent-Encoding: {coding}\r\n")),
            "{head}"
        );
        assert_eq!(
            std::fs::read(out.join("one")).unwrap(),
            site.app,
            "{coding}"
        );
    }
}

/// What a Python client sees: `urllib` (which asks for `identity` unless
/// told otherwise and does not decode), asking for gzip and decoding with
/// the `gzip` module; `http.client` on one kept-alive connection.
const PYTHON_CLIENT: &str = r#"
import gzip, http.client, json, sys, urllib.request
port, root = int(sys.argv[1]), sys.argv[2]
def stored(name):
    with open(f"{root}/{name}", "rb") as f:
        return f.read()
report = {}
for name, accept in [("app.js", "gzip"), ("lib.js", "gzip"), ("app.js", None), ("small.txt", "gzip")]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/{name}")
    if accept:
        req.add_header("Accept-Encoding", accept)
    with urllib.request.urlopen(req) as r:
        coding, vary, data = r.headers.get("Content-Encoding"), r.headers.get("Vary"), r.read()
    body = gzip.decompress(data) if coding == "gzip" else data
    report[f"urllib {name} {accept}"] = [coding, vary, body == stored(name)]
conn = http.client.HTTPConnection("127.0.0.1", port)
for name in ["app.js", "small.txt", "app.js"]:
    conn.request("GET", f"/{name}", headers={"Accept-Encoding": "gzip"})
    r = conn.getresponse()
    data = r.read()
    body = gzip.decompress(data) if r.getheader("Content-Encoding") == "gzip" else data
    report.setdefault("http.client", []).append(
        [name, r.getheader("Content-Encoding"), r.getheader("Transfer-Encoding"), body == stored(name)])
conn.close()
print(json.dumps(report))
"#;

#[test]
fn python_urllib_and_http_client() {
    if !client_present("python3", "apt-get install python3") {
        return;
    }
    let site = Site::new();
    let server = site.serve(site.handler().with_protocol_version("HTTP/1.1"));
    let mut python = Command::new("python3");
    python
        .args(["-c", PYTHON_CLIENT, &server.port().to_string()])
        .arg(site.path());
    let output = run_bounded(python);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let vary = "Accept-Encoding";
    assert_eq!(
        report,
        serde_json::json!({
            "urllib app.js gzip": ["gzip", vary, true],
            "urllib lib.js gzip": ["gzip", vary, true],
            "urllib app.js None": [null, vary, true],
            "urllib small.txt gzip": [null, null, true],
            "http.client": [
                ["app.js", "gzip", "chunked", true],
                ["small.txt", null, null, true],
                ["app.js", "gzip", "chunked", true],
            ],
        })
    );
}

/// Headless Chromium loads a page whose scripts come compressed, one on
/// the fly (br) and one precompressed, and runs both: the DOM it dumps
/// shows what they wrote.
#[test]
fn chromium_runs_compressed_scripts() {
    if !client_present(CHROMIUM, "apt-get install chromium") {
        return;
    }
    let site = Site::new();
    let (server, seen) = recording(&site, "HTTP/1.1");
    let profile = TempDir::new("compress-chromium");
    let mut chromium = clients::chromium(&profile);
    chromium
        .arg("--dump-dom")
        .arg(format!("http://127.0.0.1:{}/page.html", server.port()));
    let output = run_bounded(chromium);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{dom}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dom.contains("<p id=\"fly\">on-the-fly script ran</p>"),
        "{dom}"
    );
    assert!(
        dom.contains("<p id=\"pre\">precompressed script ran</p>"),
        "{dom}"
    );
    let seen = seen.lock().unwrap();
    let chosen = |path: &str| seen.iter().find(|(p, _)| p == path).map(|(_, e)| *e);
    // Chromium asks for `gzip, deflate, br, zstd`: br, the server's first.
    assert_eq!(
        chosen("/app.js"),
        Some(Encoding::OnTheFly(ContentCoding::Brotli))
    );
    assert_eq!(
        chosen("/lib.js"),
        Some(Encoding::Precompressed(ContentCoding::Brotli))
    );
    assert_eq!(chosen("/page.html"), Some(Encoding::Identity));
}
