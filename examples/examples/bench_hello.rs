//! The benchmark twin of `/work/shared/perf/hello_server.py`: a
//! `ThreadingHttpServer` whose `do_GET` answers `hello` with
//! `protocol_version = "HTTP/1.1"` and `Content-Length`, logging every
//! request to stderr as CPython does. A GET whose path starts with `/sleep`
//! first sleeps 3 s in the handler (`std::thread::sleep`), the blocked
//! handler of `bench/crowd.py --blocked` (twin: `bench/sleep_server.py`).
//!
//! `bench_hello PORT [--quiet] [--workers N] [--keepalive SECS]`: `--quiet`
//! drops the access log (as nginx's `access_log off` in the peer config).
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use basehttp::ServerConfig;
use basehttp::prelude::*;

static QUIET: AtomicBool = AtomicBool::new(false);

/// How long a GET of `/sleep...` holds its thread before answering.
const SLEEP: Duration = Duration::from_secs(3);

struct Hello;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Hello {
    fn log_message(req: &Request, message: &str) {
        if !QUIET.load(Ordering::Relaxed) {
            basehttp::Class::default_log_message(req, message);
        }
    }

    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        if req.path.starts_with("/sleep") {
            std::thread::sleep(SLEEP);
        }
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain")?;
        req.send_header("Content-Length", "5")?;
        req.end_headers()?;
        req.wfile.write_all(b"hello")
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let mut config = ServerConfig::default();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quiet" => QUIET.store(true, Ordering::Relaxed),
            "--workers" => config.workers = it.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "--keepalive" => {
                let secs = it.next().and_then(|n| n.parse().ok()).unwrap_or(15);
                config.keepalive_timeout = Some(Duration::from_secs(secs));
            }
            _ => {}
        }
    }
    let server = ThreadingHttpServer::bind_with(("127.0.0.1", port), || Hello, config)?;
    server.serve_until_signal()
}
