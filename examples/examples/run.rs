//! The `http.server` docs' `run()`: bind, then `serve_forever()`. With the
//! bare `BaseHTTPRequestHandler` every request is answered
//! `501 Unsupported method`.
//!
//! Mirrors:
//!
//! ```python
//! def run(server_class=HTTPServer, handler_class=BaseHTTPRequestHandler):
//!     server_address = ('', 8000)
//!     httpd = server_class(server_address, handler_class)
//!     httpd.serve_forever()
//! ```
//!
//! (`examples/python/run.py`). Like the Python, it prints nothing.
//!
//! Run with `cargo run -p examples --example run -- 8000`, then
//! `curl -i http://127.0.0.1:8000/`.
use std::borrow::Cow;
use std::io;
use std::net::ToSocketAddrs;

use basehttp::prelude::*;

/// `BaseHTTPRequestHandler` itself: no `do_*` methods. `#[http_handler]`
/// wants at least one, so this implements [`Handler`] by hand.
pub struct BaseHandler;

impl Handler for BaseHandler {
    fn methods(&self) -> Cow<'static, [&'static str]> {
        Cow::Borrowed(&[])
    }

    fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
        basehttp::unsupported_method(req, &self.methods())
    }
}

/// `run(server_class, handler_class)`: here the handler factory.
pub fn run<F, H>(server_address: impl ToSocketAddrs, handler: F) -> io::Result<()>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    let httpd = HttpServer::bind(server_address, handler)?;
    httpd.serve_forever()
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    run(("127.0.0.1", port), || BaseHandler)
}
