//! Extending the stock handlers the way Python subclasses
//! `SimpleHTTPRequestHandler` and `CGIHTTPRequestHandler`: keep their
//! `do_GET`/`do_HEAD`(/`do_POST`), add methods, override `translate_path`,
//! add a header to every response, change class attributes.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use basehttp::handlers::cgi::{self, CgiHandler, CgiHttpRequestHandler};
use basehttp::handlers::files::{self, OpenFile};
use basehttp::handlers::{Body, FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

use crate::support::{TempDir, parse, raw, spawn};

/// An upload server: the stock file handler plus `do_POST`, with `/files/`
/// mapped to the served directory and a CORS header on every response.
struct Upload {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Upload {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }

    fn translate_path(&self, path: &str) -> PathBuf {
        let path = path.strip_prefix("/files").unwrap_or("/nonexistent-prefix");
        FileHandler::translate_path(&self.files, path)
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler, server_version = "UploadHTTP")]
impl Upload {
    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("Access-Control-Allow-Origin", "*")
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let target = self.translate_path(&req.path);
        let mut body = Vec::new();
        req.rfile.read_to_end(&mut body)?;
        std::fs::write(&target, &body)?;
        req.send_response(201)?;
        req.send_header("Content-Length", "0")?;
        req.end_headers()
    }
}

fn upload_server(dir: &TempDir) -> crate::support::TestServer {
    let root = dir.path().to_owned();
    spawn(move || Upload {
        files: SimpleHttpRequestHandler::new(root.clone()),
    })
}

#[test]
fn extended_file_handler_keeps_get_and_head() {
    let dir = TempDir::new("extend");
    dir.write("a.txt", "hello\n");
    let srv = upload_server(&dir);
    let resp = parse(&raw(srv.addr, b"GET /files/a.txt HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello\n");
    assert_eq!(resp.header("Content-type"), Some("text/plain"));
    assert!(resp.header("Server").unwrap().starts_with("UploadHTTP "));
    assert_eq!(resp.header("Access-Control-Allow-Origin"), Some("*"));
    let resp = parse(&raw(srv.addr, b"HEAD /files/a.txt HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.header("Content-Length"), Some("6"));
    assert!(resp.body.is_empty());
}

#[test]
fn overridden_translate_path_is_used_by_inherited_do_get() {
    let dir = TempDir::new("extend");
    dir.write("a.txt", "hello\n");
    let srv = upload_server(&dir);
    // Without the /files prefix the override maps nowhere.
    assert_eq!(
        parse(&raw(srv.addr, b"GET /a.txt HTTP/1.0\r\n\r\n")).status,
        404
    );
    let listing = parse(&raw(srv.addr, b"GET /files/ HTTP/1.0\r\n\r\n"));
    assert_eq!(listing.status, 200);
    assert!(String::from_utf8_lossy(&listing.body).contains("<a href=\"a.txt\">a.txt</a>"));
}

#[test]
fn added_do_post_writes_the_file() {
    let dir = TempDir::new("extend");
    let srv = upload_server(&dir);
    let resp = parse(&raw(
        srv.addr,
        b"POST /files/new.txt HTTP/1.0\r\nContent-Length: 5\r\n\r\nspam!",
    ));
    assert_eq!(resp.status, 201);
    assert_eq!(std::fs::read(dir.path().join("new.txt")).unwrap(), b"spam!");
    let resp = parse(&raw(srv.addr, b"GET /files/new.txt HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.body, b"spam!");
}

#[test]
fn allow_lists_own_and_inherited_methods() {
    let dir = TempDir::new("extend");
    let srv = upload_server(&dir);
    let resp = parse(&raw(srv.addr, b"DELETE /files/x HTTP/1.0\r\n\r\n"));
    assert_eq!(
        resp.status_line,
        "HTTP/1.0 501 Unsupported method ('DELETE')"
    );
    assert_eq!(resp.header("Allow"), Some("POST, GET, HEAD"));
}

#[test]
fn header_hook_applies_to_every_response() {
    let dir = TempDir::new("extend");
    let srv = upload_server(&dir);
    for request in [
        &b"GET /files/missing HTTP/1.0\r\n\r\n"[..],
        b"PUT /files/x HTTP/1.0\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET /files/ HTTP/1.0\r\n\r\n",
    ] {
        let resp = parse(&raw(srv.addr, request));
        assert_eq!(
            resp.header("Access-Control-Allow-Origin"),
            Some("*"),
            "{}",
            resp.status_line
        );
    }
}

/// The stock CGI handler plus `do_PUT`.
struct MyCgi {
    cgi: CgiHttpRequestHandler,
}

impl FileHandler for MyCgi {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.cgi.files
    }
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
        cgi::send_head(self, req)
    }
}

impl CgiHandler for MyCgi {
    fn cgi_handler(&self) -> &CgiHttpRequestHandler {
        &self.cgi
    }
}

#[http_handler(extends = basehttp::handlers::CgiHttpRequestHandler)]
impl MyCgi {
    fn do_PUT(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(204)?;
        req.end_headers()
    }
}

#[test]
fn extended_cgi_handler_runs_scripts_and_own_methods() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("extend-cgi");
    let script = dir.write(
        "cgi-bin/hi.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"$REQUEST_METHOD $QUERY_STRING\"\n",
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().to_owned();
    let srv = spawn(move || MyCgi {
        cgi: CgiHttpRequestHandler::with_files(SimpleHttpRequestHandler::new(root.clone())),
    });
    let resp = parse(&raw(srv.addr, b"GET /cgi-bin/hi.sh?x=1 HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status_line, "HTTP/1.0 200 Script output follows");
    assert_eq!(resp.body, b"GET x=1\n");
    let resp = parse(&raw(
        srv.addr,
        b"POST /cgi-bin/hi.sh HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    ));
    assert_eq!(resp.body, b"POST \n");
    let resp = parse(&raw(srv.addr, b"PUT /x HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 204);
    let resp = parse(&raw(srv.addr, b"DELETE /x HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.header("Allow"), Some("PUT, GET, HEAD, POST"));
    let mut s = crate::support::connect(srv.addr);
    s.write_all(b"POST /plain HTTP/1.0\r\n\r\n").unwrap();
    let resp = parse(&crate::support::read_to_close(&mut s));
    assert_eq!(
        resp.status_line,
        "HTTP/1.0 501 Can only POST to CGI scripts"
    );
}

/// Routes in its own `do_GET` (an API page at `/`, files under it through
/// the parent's `do_GET`, Python's `super().do_GET()`), with no `do_HEAD`.
struct Routed {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Routed {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler)]
impl Routed {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if req.url().path == "/" {
            return req.respond(200, "text/plain", "own page\n");
        }
        FileHandler::do_GET(self, req)
    }
}

/// The same, keeping the inherited `do_HEAD` on purpose.
struct RoutedInheritHead {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for RoutedInheritHead {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler, inherit_head)]
impl RoutedInheritHead {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.respond(200, "text/plain", "own page\n")
    }
}

#[test]
fn own_do_get_governs_head_under_extends() {
    let dir = TempDir::new("extend-head");
    dir.write("a.txt", "hello\n");
    let root = dir.path().to_owned();
    let srv = spawn(move || Routed {
        files: SimpleHttpRequestHandler::new(root.clone()),
    });
    let get = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(get.body, b"own page\n");
    // HEAD / has GET /'s headers, not those of the directory listing.
    let head = parse(&raw(srv.addr, b"HEAD / HTTP/1.0\r\n\r\n"));
    assert_eq!(head.header("Content-Type"), Some("text/plain"));
    assert_eq!(head.header("Content-Length"), Some("9"));
    assert!(head.body.is_empty());
    // The parent's do_GET still serves files, and HEAD of a file too.
    let file = parse(&raw(srv.addr, b"GET /a.txt HTTP/1.0\r\n\r\n"));
    assert_eq!(file.body, b"hello\n");
    let head = parse(&raw(srv.addr, b"HEAD /a.txt HTTP/1.0\r\n\r\n"));
    assert_eq!(head.header("Content-Length"), Some("6"));
    assert!(head.body.is_empty());

    let root = dir.path().to_owned();
    let srv = spawn(move || RoutedInheritHead {
        files: SimpleHttpRequestHandler::new(root.clone()),
    });
    let head = parse(&raw(srv.addr, b"HEAD / HTTP/1.0\r\n\r\n"));
    assert_eq!(
        head.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
}

/// Overrides one step of `send_head`, the conditional GET: a client holding
/// the deployed release's tag (`If-None-Match: "release-7"`) gets a 304,
/// and everything else falls back to the stock rule. The other steps
/// (directory, open, range, headers) stay the stock ones.
struct Released {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Released {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }

    fn send_not_modified(&mut self, req: &mut Request, file: &OpenFile) -> io::Result<bool> {
        if req.headers.get("If-None-Match") == Some("\"release-7\"") {
            req.send_response(304)?;
            req.send_header("ETag", "\"release-7\"")?;
            req.end_headers()?;
            return Ok(true);
        }
        files::default_send_not_modified(&self.files, req, file)
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler)]
impl Released {}

#[test]
fn overriding_one_send_head_step_keeps_the_others() {
    let dir = TempDir::new("extend-step");
    dir.write("a.txt", "hello\n");
    let root = dir.path().to_owned();
    let srv = spawn(move || Released {
        files: SimpleHttpRequestHandler::new(root.clone()),
    });
    // The overridden step.
    let resp = parse(&raw(
        srv.addr,
        b"GET /a.txt HTTP/1.0\r\nIf-None-Match: \"release-7\"\r\n\r\n",
    ));
    assert_eq!(resp.status, 304);
    assert_eq!(resp.header("ETag"), Some("\"release-7\""));
    assert!(resp.body.is_empty());
    // Its fallback: the stock If-Modified-Since rule.
    let resp = parse(&raw(
        srv.addr,
        b"GET /a.txt HTTP/1.0\r\nIf-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n\r\n",
    ));
    assert_eq!(resp.status, 304);
    // Any other tag: the whole file, with the stock headers.
    let resp = parse(&raw(
        srv.addr,
        b"GET /a.txt HTTP/1.0\r\nIf-None-Match: \"release-6\"\r\n\r\n",
    ));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello\n");
    assert_eq!(resp.header("Content-type"), Some("text/plain"));
    assert!(resp.header("Last-Modified").is_some());
    // The range step.
    let resp = parse(&raw(
        srv.addr,
        b"GET /a.txt HTTP/1.0\r\nRange: bytes=1-3\r\n\r\n",
    ));
    assert_eq!(resp.status, 206);
    assert_eq!(resp.body, b"ell");
    assert_eq!(resp.header("Content-Range"), Some("bytes 1-3/6"));
    // The directory step: listing, and the redirect to add a slash.
    dir.write("sub/b.txt", "b");
    let resp = parse(&raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 200);
    assert!(String::from_utf8_lossy(&resp.body).contains("<a href=\"a.txt\">a.txt</a>"));
    let resp = parse(&raw(srv.addr, b"GET /sub HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 301);
    assert_eq!(resp.header("Location"), Some("/sub/"));
    // The open step: a missing file.
    assert_eq!(
        parse(&raw(srv.addr, b"GET /missing HTTP/1.0\r\n\r\n")).status,
        404
    );
}
