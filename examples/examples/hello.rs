//! The smallest handler: a `BaseHTTPRequestHandler` subclass whose `do_GET`
//! writes `hello`. Mirrors the Python tutorial's first server.
//!
//! Run with `cargo run -p examples --example hello -- 8080`.
use basehttp::prelude::*;

/// The handler.
pub struct Hello;

#[http_handler]
impl Hello {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain")?;
        req.send_header("Content-Length", "6")?;
        req.end_headers()?;
        req.wfile.write_all(b"hello\n")
    }
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = ThreadingHttpServer::bind(("127.0.0.1", port), || Hello)?;
    println!(
        "Serving HTTP on 127.0.0.1 port {} (http://127.0.0.1:{}/) ...",
        server.server_port(),
        server.server_port()
    );
    server.serve_forever()
}
