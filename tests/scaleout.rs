//! Scaling out (issue 13): several servers sharing one port with
//! `SO_REUSEPORT` (`ServerConfig::reuse_port`, `socketserver`'s
//! `allow_reuse_port`). Socket activation is tested on the binary
//! (`server/tests/cli.rs`), since it is read from the process environment.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use basehttp::{Request, ServerConfig, ThreadingHttpServer, http_handler};

use crate::support::{capture_log, parse, raw};

/// Answers every GET with the name of its server.
#[derive(Clone)]
struct Named(&'static str);

#[http_handler]
impl Named {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.send_header("Content-Length", &self.0.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(self.0.as_bytes())
    }

    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }
}

/// A server serving on its own thread; stops on drop.
struct Running {
    server: Arc<ThreadingHttpServer<Box<dyn Fn() -> Named + Send + Sync>>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.shutdown();
        if let Some(t) = self.thread.take() {
            t.join().unwrap().unwrap();
        }
    }
}

fn serve(
    addr: impl std::net::ToSocketAddrs,
    name: &'static str,
    config: ServerConfig,
) -> io::Result<Running> {
    let factory: Box<dyn Fn() -> Named + Send + Sync> = Box::new(move || Named(name));
    let server = Arc::new(ThreadingHttpServer::bind_with(addr, factory, config)?);
    let runner = Arc::clone(&server);
    let thread = std::thread::spawn(move || runner.serve_forever());
    Ok(Running {
        server,
        thread: Some(thread),
    })
}

fn reuse_port() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.reuse_port = true;
    config
}

#[test]
fn reuse_port_lets_two_servers_share_a_port() {
    let first = serve("127.0.0.1:0", "first", reuse_port()).unwrap();
    let addr: SocketAddr = first.server.server_address();
    let second = serve(addr, "second", reuse_port()).unwrap();
    assert_eq!(second.server.server_address(), addr);

    // Every connection is answered, by one server or the other (the kernel
    // picks by a hash of the client's address and port).
    for _ in 0..20 {
        let response = parse(&raw(addr, b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!(response.status, 200);
        assert!(
            response.body == b"first" || response.body == b"second",
            "{:?}",
            String::from_utf8_lossy(&response.body)
        );
    }
    drop(first);
    // The other server goes on alone.
    let response = parse(&raw(addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(response.body, b"second");
}

#[test]
fn without_reuse_port_the_port_is_taken() {
    let first = serve("127.0.0.1:0", "first", reuse_port()).unwrap();
    let addr = first.server.server_address();
    // `allow_reuse_port = False` (the default) on the second server...
    let e = serve(addr, "second", ServerConfig::default())
        .err()
        .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    // ...or on any other socket.
    let e = TcpListener::bind(addr).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
    let response = parse(&raw(addr, b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(response.body, b"first");
}

/// `HttpServer` (one connection at a time) stops on `shutdown()` even when
/// the port is shared: its wake-up no longer depends on a connection
/// reaching its own socket.
#[test]
fn one_at_a_time_servers_sharing_a_port_shut_down() {
    let a = Arc::new(
        basehttp::HttpServer::bind_with("127.0.0.1:0", || Named("a"), reuse_port()).unwrap(),
    );
    let addr = a.server_address();
    let b = Arc::new(basehttp::HttpServer::bind_with(addr, || Named("b"), reuse_port()).unwrap());
    let (ra, rb) = (Arc::clone(&a), Arc::clone(&b));
    let threads = [
        std::thread::spawn(move || ra.serve_forever()),
        std::thread::spawn(move || rb.serve_forever()),
    ];
    for _ in 0..4 {
        let r = parse(&raw(addr, b"GET / HTTP/1.0\r\n\r\n"));
        assert!(r.body == b"a" || r.body == b"b");
    }
    a.shutdown();
    b.shutdown();
    for t in threads {
        t.join().unwrap().unwrap();
    }
}
