//! `ThreadingHttpServer`: requests run on the server's worker threads, and
//! the handler answers with that thread's name.
//!
//! Mirrors PyMOTW's `http_server_threads.py` (`examples/python/threads.py`),
//! which prints `Thread-N (process_request_thread)`; here the workers are
//! named `bh-<port>-w<N>`.
//!
//! Run with `cargo run -p examples --example threads -- 8080`, then
//! `curl http://127.0.0.1:8080/` a few times.
use std::io;

use basehttp::prelude::*;

/// The PyMOTW `Handler` of the threads example.
pub struct Handler;

#[http_handler]
impl Handler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain; charset=utf-8")?;
        req.end_headers()?;
        let thread = std::thread::current();
        let message = thread.name().unwrap_or("<unnamed>");
        req.wfile.write_all(message.as_bytes())?;
        req.wfile.write_all(b"\n")
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = ThreadingHttpServer::bind(("127.0.0.1", port), || Handler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
