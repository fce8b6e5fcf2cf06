//! `python -m http.server --cgi`: files from a directory, CGI scripts from
//! its `cgi-bin/` and `htbin/`. Mirrors CPython 3.14's `CGIHTTPRequestHandler`.
//!
//! Run with `cargo run -p examples --example cgi_server -- 8000 --bind 127.0.0.1 --directory DIR`.
use basehttp::ThreadingHttpServer;
use basehttp::handlers::CgiHttpRequestHandler;

fn main() -> std::io::Result<()> {
    let mut port = 8000u16;
    let mut bind = "127.0.0.1".to_owned();
    let mut directory = std::env::current_dir()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" | "-b" => bind = args.next().unwrap_or(bind),
            "--directory" | "-d" => directory = args.next().map_or(directory, Into::into),
            "--cgi" => {}
            p => port = p.parse().unwrap_or(port),
        }
    }
    let cgi = CgiHttpRequestHandler::new(directory);
    let server = ThreadingHttpServer::bind((bind.as_str(), port), move || cgi.clone())?;
    let port = server.server_port();
    println!("Serving HTTP on {bind} port {port} (http://{bind}:{port}/) ...");
    server.serve_forever()
}
