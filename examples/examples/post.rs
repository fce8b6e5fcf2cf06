//! A `do_POST` that parses an HTML form, `application/x-www-form-urlencoded`
//! or `multipart/form-data` with a file field, and reports the client, the
//! path and each field; an uploaded file is streamed and only counted, never
//! held in memory. A malformed form gets `400`, an oversized one `413`.
//!
//! Mirrors PyMOTW's `http_server_POST.py` (`examples/python/post.py`), which
//! used the `cgi.FieldStorage` that Python 3.13 removed; [`basehttp::form`]
//! takes its place. Fields are listed in the order they were sent (Python
//! lists them in `set` order, which varies between runs).
//!
//! Run with `cargo run -p examples --example post -- 8080`, then
//! `curl -F name=dhellmann -F foo=bar -F datafile=@examples/examples/post.rs http://127.0.0.1:8080/`
//! or `curl -d 'name=dhellmann&foo=bar' http://127.0.0.1:8080/`.
use std::io;

use basehttp::form::{self, FormError, Limits};
use basehttp::prelude::*;

/// The PyMOTW `PostHandler`.
pub struct PostHandler;

/// One posted field.
#[derive(Debug, PartialEq, Eq)]
pub enum Field {
    /// A plain value.
    Value {
        /// The field name.
        name: String,
        /// Its text.
        value: String,
    },
    /// An uploaded file.
    File {
        /// The field name.
        name: String,
        /// The client's file name.
        filename: String,
        /// Its size in bytes.
        len: u64,
    },
}

/// Reads the form in the request body (`cgi.FieldStorage(fp=self.rfile, ...)`).
///
/// # Errors
/// A [`FormError`]: malformed (400) or too large (413).
pub fn read_form(req: &mut Request) -> Result<Vec<Field>, FormError> {
    // `cgi.FieldStorage` reads a body without a `Content-Type` as urlencoded.
    if !req.headers.contains("Content-Type")
        || req.headers.content_type() == "application/x-www-form-urlencoded"
    {
        let pairs = form::read_urlencoded(req, Limits::default(), false)?;
        return Ok(pairs
            .into_iter()
            .map(|(name, value)| Field::Value { name, value })
            .collect());
    }
    let mut fields = Vec::new();
    let mut parts = form::multipart(req)?;
    while let Some(mut part) = parts.next_part()? {
        let name = part.name().to_owned();
        match part.filename().filter(|f| !f.is_empty()) {
            Some(filename) => {
                let filename = filename.to_owned();
                // A real handler would copy into a file here.
                let len = part.copy_to(&mut io::sink())?;
                fields.push(Field::File {
                    name,
                    filename,
                    len,
                });
            }
            None => {
                let value = part.text()?;
                fields.push(Field::Value { name, value });
            }
        }
    }
    Ok(fields)
}

#[http_handler]
impl PostHandler {
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let fields = match read_form(req) {
            Ok(fields) => fields,
            Err(e) => return e.send_error(req),
        };
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain; charset=utf-8")?;
        req.end_headers()?;

        let mut out = format!(
            "Client: {}\nUser-agent: {}\nPath: {}\nForm data:\n",
            py_address(req.client_address),
            req.headers.get("user-agent").unwrap_or("None"),
            req.path
        );
        for field in fields {
            match field {
                Field::File {
                    name,
                    filename,
                    len,
                } => out.push_str(&format!(
                    "\tUploaded {name} as {} ({len} bytes)\n",
                    py_repr(&filename)
                )),
                Field::Value { name, value } => out.push_str(&format!("\t{name}={value}\n")),
            }
        }
        req.wfile.write_all(out.as_bytes())
    }
}

/// `str(self.client_address)`: Python's tuple repr, `('127.0.0.1', 54321)`.
pub fn py_address(addr: std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        std::net::SocketAddr::V6(a) => {
            format!(
                "('{}', {}, {}, {})",
                a.ip(),
                a.port(),
                a.flowinfo(),
                a.scope_id()
            )
        }
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::bind(("127.0.0.1", port), || PostHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}

/// Python's `repr()` of a string, for the names these forms carry: single
/// quotes unless it holds one and no double quote.
fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\"))
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}
