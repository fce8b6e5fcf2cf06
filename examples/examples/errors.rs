//! A handler whose `do_GET` always answers `send_error(404)`: the default
//! error page, `Connection: close`, and the `code 404, message Not Found` log line.
//!
//! Mirrors PyMOTW's `http_server_errors.py` (`examples/python/errors.py`).
//!
//! Run with `cargo run -p examples --example errors -- 8080`, then
//! `curl -i http://127.0.0.1:8080/`.
use std::io;

use basehttp::prelude::*;

/// The PyMOTW `ErrorHandler`.
pub struct ErrorHandler;

#[http_handler]
impl ErrorHandler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error(404)
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::bind(("127.0.0.1", port), || ErrorHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
