//! `python -m http.server --cgi`: files from a directory, and executables
//! under `/cgi-bin` and `/htbin` run as CGI scripts (GET, HEAD and POST).
//! `examples/cgi/cgi-bin/hello.sh` is a sample script.
//!
//! Mirrors `python3 -m http.server --cgi --bind 127.0.0.1 PORT` run in
//! `examples/cgi` (CPython 3.14 and older: 3.15 removed CGI).
//!
//! Run with `cargo run -p examples --example cgi_server -- 8000 examples/cgi`, then
//! `curl -i 'http://127.0.0.1:8000/cgi-bin/hello.sh/extra?name=spam'` or
//! `curl -d 'some data' http://127.0.0.1:8000/cgi-bin/hello.sh`.
//!
//! As in CPython, scripts inherit the server's environment: don't serve
//! untrusted clients with this.
use std::io;
use std::path::PathBuf;

use basehttp::ThreadingHttpServer;
use basehttp::handlers::cgi::CgiHttpRequestHandler;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let dir = args
        .next()
        .map_or_else(std::env::current_dir, |d| Ok(PathBuf::from(d)))?;
    let handler = CgiHttpRequestHandler::new(dir);
    let server = ThreadingHttpServer::bind(("127.0.0.1", port), move || handler.clone())?;
    let port = server.server_port();
    println!("Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...");
    server.serve_forever()
}
