//! `send_header` between `send_response` and `end_headers`: a
//! `Last-Modified` header set to now with `date_time_string()`.
//!
//! Mirrors PyMOTW's `http_server_send_header.py` (`examples/python/send_header.py`).
//!
//! Run with `cargo run -p examples --example send_header -- 8080`, then
//! `curl -i http://127.0.0.1:8080/`.
use std::io;

use basehttp::prelude::*;

/// The PyMOTW `GetHandler` of the `send_header` example.
pub struct GetHandler;

#[http_handler]
impl GetHandler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        let now = req.date_time_string();
        req.send_header("Last-Modified", &now)?;
        req.end_headers()?;
        req.wfile.write_all("Response body\n".as_bytes())
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::bind(("127.0.0.1", port), || GetHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
