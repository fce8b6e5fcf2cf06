//! Persistent connections: with `protocol_version = "HTTP/1.1"` a connection
//! serves requests until the client sends `Connection: close` or goes away,
//! so every response must carry a `Content-Length`.
//!
//! Mirrors a `BaseHTTPRequestHandler` subclass with
//! `protocol_version = 'HTTP/1.1'`, as the `http.server` docs describe it
//! (`examples/python/keep_alive.py`).
//!
//! Run with `cargo run -p examples --example keep_alive -- 8080`, then
//! `curl -v http://127.0.0.1:8080/one http://127.0.0.1:8080/two` (one connection).
use std::io;

use basehttp::prelude::*;

/// An HTTP/1.1 handler.
pub struct KeepAliveHandler;

#[http_handler(protocol_version = "HTTP/1.1")]
impl KeepAliveHandler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!("You asked for {}\n", req.path);
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
    let server = ThreadingHttpServer::bind(("127.0.0.1", port), || KeepAliveHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
