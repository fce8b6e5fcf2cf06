//! The docs' `handle_request()` loop: serve one request at a time while
//! `keep_running()` says so. Here a request for `/stop` makes it false.
//!
//! Mirrors the `http.server` docs' alternative to `serve_forever`:
//!
//! ```python
//! def run_while_true(server_class=HTTPServer, handler_class=BaseHTTPRequestHandler):
//!     server_address = ('', 8000)
//!     httpd = server_class(server_address, handler_class)
//!     while keep_running():
//!         httpd.handle_request()
//! ```
//!
//! (`examples/python/run_while_true.py`). Like the Python, it prints nothing.
//!
//! Run with `cargo run -p examples --example run_while_true -- 8000`, then
//! `curl http://127.0.0.1:8000/a` and `curl http://127.0.0.1:8000/stop`.
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use basehttp::prelude::*;

/// Shared between the handlers and the loop.
#[derive(Default)]
pub struct State {
    /// Cleared by a request for `/stop`.
    pub stopped: AtomicBool,
    /// Requests served so far.
    pub count: AtomicUsize,
}

/// Counts requests; `/stop` ends the loop.
pub struct CountingHandler(pub Arc<State>);

#[http_handler]
impl CountingHandler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let n = self.0.count.fetch_add(1, Ordering::SeqCst) + 1;
        if req.path == "/stop" {
            self.0.stopped.store(true, Ordering::SeqCst);
        }
        let body = format!("request {n} for {}\n", req.path);
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(body.as_bytes())
    }
}

/// `while keep_running(): httpd.handle_request()`.
///
/// # Errors
/// An error accepting a connection.
pub fn run_while_true<F, H>(
    httpd: &HttpServer<F>,
    keep_running: impl Fn() -> bool,
) -> io::Result<()>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    while keep_running() {
        httpd.handle_request()?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let state = Arc::new(State::default());
    let for_handlers = Arc::clone(&state);
    let httpd = HttpServer::bind(("127.0.0.1", port), move || {
        CountingHandler(Arc::clone(&for_handlers))
    })?;
    run_while_true(&httpd, || !state.stopped.load(Ordering::SeqCst))
}
