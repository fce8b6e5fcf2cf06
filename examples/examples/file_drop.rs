//! A team file-drop service: the stock directory listing and `Range`
//! downloads under `/`, `POST /` of a `multipart/form-data` upload streamed
//! into the share directory (413 over 20 MiB, then `303 See Other` back to
//! the listing), `DELETE /name` with a bearer token (401 and
//! `WWW-Authenticate` without it), `GET /stats` as JSON, two security
//! headers on every response, a JSON-lines access log on stdout, HTTPS when
//! given a certificate and key, Ctrl-C.
//!
//! The same service in Python's `http.server`: `examples/python/file_drop.py`.
//!
//! Run with `DROP_TOKEN=s3cret cargo run -p examples --example file_drop -- 8000 share`
//! (add `cert.pem key.pem` for HTTPS), then `curl -F file=@notes.txt
//! http://127.0.0.1:8000/` and `curl -X DELETE -H 'Authorization: Bearer
//! s3cret' http://127.0.0.1:8000/notes.txt`.
use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

use basehttp::form::{self, Limits};
use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;
use serde_json::json;

/// The largest upload accepted: 20 MiB.
pub const MAX_UPLOAD: u64 = 20 << 20;

/// The share, served by the stock file handler, and the token `DELETE` needs.
#[derive(Clone)]
pub struct FileDrop {
    /// Serves the share directory.
    pub files: SimpleHttpRequestHandler,
    /// `DELETE` needs `Authorization: Bearer <token>` (never given if empty).
    pub token: String,
}

#[http_handler(server_version = "SimpleHTTP", auto_head)]
impl FileDrop {
    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("X-Content-Type-Options", "nosniff")?;
        req.send_header("Content-Security-Policy", "default-src 'none'; sandbox")
    }

    /// The access log: one JSON line per request (instead of CPython's line).
    fn after_response(req: &Request, done: &Exchange) {
        println!("{}", access_line(req, done));
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if req.url().path != "/stats" {
            return self.files.do_GET(req); // listing, files, Range
        }
        let (mut files, mut bytes) = (0, 0);
        for entry in fs::read_dir(&self.files.directory)? {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                (files, bytes) = (files + 1, bytes + meta.len());
            }
        }
        req.respond_json(200, &json!({"files": files, "bytes": bytes}))
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let limits = Limits {
            max_total_size: MAX_UPLOAD,
            ..Limits::default()
        };
        form::save_files(req, &self.files.directory, limits)?; // 400 or 413 for you
        req.redirect(303, "/")
    }

    fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
        let auth = req.headers.get("Authorization").unwrap_or("");
        if self.token.is_empty() || !same(auth, &format!("Bearer {}", self.token)) {
            return req.send_error_with_headers(401, None, &[("WWW-Authenticate", "Bearer")]);
        }
        let name = form::safe_file_name(&req.url().path_unquoted());
        let removed = name.map(|name| fs::remove_file(self.files.directory.join(name)));
        if !matches!(removed, Some(Ok(()))) {
            return req.send_error(404);
        }
        req.send_response(204)?;
        req.end_headers()
    }
}

/// An access log line: what the request was, its status, size and time.
pub fn access_line(req: &Request, done: &Exchange) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ms = done.duration.as_secs_f64() * 1000.0;
    let (request, status, bytes) = (&req.requestline, done.status, done.bytes_sent);
    let client = req.address_string();
    json!({"time": now.as_secs_f64(), "client": client, "request": request,
           "status": status, "bytes": bytes, "ms": ms})
    .to_string()
}

/// Compares the token in constant time (`hmac.compare_digest`).
fn same(a: &str, b: &str) -> bool {
    let diff = a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y));
    a.len() == b.len() && std::hint::black_box(diff) == 0
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args
        .first()
        .map_or("8000", |p| p)
        .parse()
        .map_err(io::Error::other)?;
    let share = args.get(1).map_or("share", |s| s);
    fs::create_dir_all(share)?;
    let token = std::env::var("DROP_TOKEN").unwrap_or_default();
    let service = FileDrop {
        files: SimpleHttpRequestHandler::new(share),
        token,
    };
    let addr = ("127.0.0.1", port);
    if let [_, _, cert, key] = args.as_slice() {
        let tls = TlsConfig::from_pem_files(cert, key)?;
        eprintln!("Serving HTTPS on https://127.0.0.1:{port}/ (Ctrl-C stops)");
        return ThreadingHttpsServer::bind(addr, move || service.clone(), tls)?
            .serve_until_signal();
    }
    eprintln!("Serving HTTP on http://127.0.0.1:{port}/ (Ctrl-C stops)");
    ThreadingHttpServer::bind(addr, move || service.clone())?.serve_until_signal()
}
