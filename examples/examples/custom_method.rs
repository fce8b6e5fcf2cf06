//! Any token is a method: `do_SPAM` answers `SPAM` requests, and every other
//! method gets `501 Unsupported method ('GET')` (with an `Allow: SPAM`
//! header, which CPython does not send).
//!
//! Mirrors the `BaseHTTPRequestHandler` docs ("for the request method SPAM,
//! the do_SPAM() method will be called"); `examples/python/custom_method.py`.
//!
//! Run with `cargo run -p examples --example custom_method -- 8080`, then
//! `curl -i -X SPAM http://127.0.0.1:8080/eggs`.
use std::io;

use basehttp::prelude::*;

/// A handler with one method, `SPAM`.
pub struct SpamHandler;

#[http_handler]
impl SpamHandler {
    fn do_SPAM(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!("Spam, spam, spam for {}\n", req.path);
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain; charset=utf-8")?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::bind(("127.0.0.1", port), || SpamHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
