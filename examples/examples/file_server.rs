//! Serving a directory with `SimpleHttpRequestHandler`, in three variants:
//!
//! - plain (the `http.server` docs' snippet, `examples/python/file_server.py`):
//!   `python -m http.server` as a program;
//! - `--cors`: a header added to every response by hooking `end_headers`
//!   (the well-known `CORSRequestHandler` recipe, `examples/python/file_server_cors.py`);
//! - `--upload`: also accepts uploads, `PUT /name` with the file as the body
//!   or `POST` of a `multipart/form-data` form, into the served directory,
//!   with a size limit and safe file names (`examples/python/file_server_upload.py`).
//!
//! Run with `cargo run -p examples --example file_server -- [--cors|--upload] [PORT] [DIR]`,
//! then `curl -i http://127.0.0.1:8000/` or, with `--upload`,
//! `curl -T notes.txt http://127.0.0.1:8000/` or `curl -F file=@notes.txt http://127.0.0.1:8000/`.
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use basehttp::form::{self, FormError};
use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

/// `SimpleHTTPRequestHandler` plus `Access-Control-Allow-Origin: *` on every
/// response, errors included.
#[derive(Clone)]
pub struct CorsHandler(pub SimpleHttpRequestHandler);

impl FileHandler for CorsHandler {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.0
    }
}

#[http_handler(extends = SimpleHttpRequestHandler)]
impl CorsHandler {
    /// `def end_headers(self): self.send_header(...); super().end_headers()`.
    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("Access-Control-Allow-Origin", "*")
    }
}

/// The largest upload accepted, in bytes (an example's choice: 10 MiB).
pub const MAX_UPLOAD: u64 = 10 * 1024 * 1024;

/// `SimpleHTTPRequestHandler` that also stores uploads in its directory.
#[derive(Clone)]
pub struct UploadHandler(pub SimpleHttpRequestHandler);

impl FileHandler for UploadHandler {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.0
    }
}

#[http_handler(extends = SimpleHttpRequestHandler)]
impl UploadHandler {
    /// `PUT /name`: the body is the file. `201 Created`; `409` if it exists.
    fn do_PUT(&mut self, req: &mut Request) -> io::Result<()> {
        let Some(name) = safe_file_name(req.path.rsplit('/').next().unwrap_or("")) else {
            return req.send_error_with(400, "Bad file name");
        };
        if !req.headers.contains("Content-Length") {
            return req.send_error(411);
        }
        if req.rfile.remaining().is_none_or(|n| n > MAX_UPLOAD) {
            return req.send_error(413);
        }
        let dest = self.0.directory.join(&name);
        let mut file = match create_new(&dest) {
            Ok(f) => f,
            Err(e) => return answer_create_error(req, &e),
        };
        if let Err(e) = io::copy(&mut req.rfile, &mut file) {
            let _ = fs::remove_file(&dest);
            return Err(e);
        }
        created(req, &[(name, file.metadata()?.len())])
    }

    /// `POST` of a `multipart/form-data` form: every file field is saved.
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        match save_files(req, &self.0.directory) {
            Ok(saved) if saved.is_empty() => req.send_error_with(400, "No file in the form"),
            Ok(saved) => created(req, &saved),
            Err(UploadError::Form(e)) => e.send_error(req),
            Err(UploadError::Create(e)) => answer_create_error(req, &e),
        }
    }
}

/// Why an upload failed.
pub enum UploadError {
    /// The form was malformed or too large.
    Form(FormError),
    /// The destination file could not be created.
    Create(io::Error),
}

fn save_files(req: &mut Request, dir: &Path) -> Result<Vec<(String, u64)>, UploadError> {
    let mut saved = Vec::new();
    let mut parts = form::multipart(req).map_err(UploadError::Form)?;
    while let Some(mut part) = parts.next_part().map_err(UploadError::Form)? {
        let Some(name) = part.filename().and_then(safe_file_name) else {
            continue;
        };
        let dest = dir.join(&name);
        let mut file = create_new(&dest).map_err(UploadError::Create)?;
        match part.copy_limited(&mut file, MAX_UPLOAD) {
            Ok(n) => saved.push((name, n)),
            Err(e) => {
                let _ = fs::remove_file(&dest);
                return Err(UploadError::Form(e));
            }
        }
    }
    Ok(saved)
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn answer_create_error(req: &mut Request, e: &io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::AlreadyExists {
        req.send_error_with(409, "File exists")
    } else {
        req.log_error(format_args!("cannot store upload: {e}"));
        req.send_error(500)
    }
}

fn created(req: &mut Request, saved: &[(String, u64)]) -> io::Result<()> {
    let mut body = String::new();
    for (name, len) in saved {
        body.push_str(&format!("Saved {name} ({len} bytes)\n"));
    }
    req.send_response(201)?;
    req.send_header("Content-Type", "text/plain; charset=utf-8")?;
    req.send_header("Content-Length", &body.len().to_string())?;
    req.end_headers()?;
    req.wfile.write_all(body.as_bytes())
}

/// A client-supplied name (a request path, or a form's file name as the
/// Python twin treats it) without its query, percent-decoded, and made safe
/// to create in the served directory by [`form::safe_file_name`]: the last
/// component, no control characters, no leading `.`. `None` if nothing
/// safe is left.
pub fn safe_file_name(raw: &str) -> Option<String> {
    form::safe_file_name(&basehttp::urlsplit(raw).path_unquoted())
}

fn main() -> io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.first().map(String::as_str) {
        Some("--cors" | "--upload") => Some(args.remove(0)),
        _ => None,
    };
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let dir = args
        .get(1)
        .map_or_else(std::env::current_dir, |d| Ok(PathBuf::from(d)))?;
    let files = SimpleHttpRequestHandler::new(dir);
    let addr = ("127.0.0.1", port);
    println!("serving at port {port}");
    match mode.as_deref() {
        Some("--cors") => {
            ThreadingHttpServer::bind(addr, move || CorsHandler(files.clone()))?.serve_forever()
        }
        Some(_) => {
            ThreadingHttpServer::bind(addr, move || UploadHandler(files.clone()))?.serve_forever()
        }
        None => ThreadingHttpServer::bind(addr, move || files.clone())?.serve_forever(),
    }
}
