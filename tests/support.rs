//! Shared test fixtures: a server on `127.0.0.1:0` run on a background
//! thread and shut down on drop, raw-byte clients, and temporary directories
//! (`TempDir`, from `tempdir.rs`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use basehttp::{Handler, Request, ServerConfig, ThreadingHttpServer};

pub use crate::tempdir::TempDir;

/// How long a test client waits for a byte before failing.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `ThreadingHttpServer`; stops on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Box<dyn Fn() + Send>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        (self.stop)();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `factory`'s handlers on a fresh port.
pub fn spawn<F, H>(factory: F) -> TestServer
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    spawn_with(factory, ServerConfig::default())
}

/// As [`spawn`], with server settings.
pub fn spawn_with<F, H>(factory: F, config: ServerConfig) -> TestServer
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    let server =
        ThreadingHttpServer::bind_with("127.0.0.1:0", factory, config).expect("bind 127.0.0.1:0");
    let addr = server.server_address();
    run_in_background(server, addr, |s| s.serve_forever(), |s| s.shutdown())
}

/// Runs `server`'s `serve` on a thread until the returned handle drops
/// (then `shutdown`).
fn run_in_background<S: Send + Sync + 'static>(
    server: S,
    addr: SocketAddr,
    serve: fn(&S) -> std::io::Result<()>,
    shutdown: fn(&S),
) -> TestServer {
    let server = Arc::new(server);
    let runner = Arc::clone(&server);
    let thread = std::thread::spawn(move || serve(&runner).expect("serve_forever"));
    TestServer {
        addr,
        stop: Box::new(move || shutdown(&server)),
        thread: Some(thread),
    }
}

/// Connects with read/write timeouts set.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    s
}

/// Sends `request`, half-closes, and reads until the server closes.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = connect(addr);
    s.write_all(request).expect("send request");
    let _ = s.shutdown(Shutdown::Write);
    read_to_close(&mut s)
}

/// Sends `request` without half-closing and reads until the server closes.
pub fn raw_keep_open(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = connect(addr);
    s.write_all(request).expect("send request");
    read_to_close(&mut s)
}

/// Reads until EOF (or a reset after some data).
pub fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read failed after {} bytes: {e}", out.len()),
        }
    }
    out
}

/// A parsed response: status line, headers (in order) and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads one response from a live connection, framed by `Content-Length`
/// (no body for 1xx/204/304 or when `head` is true; to EOF without length).
pub fn read_response(s: &mut TcpStream, head: bool) -> Response {
    let mut head_bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !head_bytes.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).expect("read response head");
        assert!(
            n == 1,
            "connection closed inside a response head: {:?}",
            String::from_utf8_lossy(&head_bytes)
        );
        head_bytes.push(byte[0]);
    }
    let (mut resp, _) = parse_head(&head_bytes);
    let no_body = head || resp.status < 200 || resp.status == 204 || resp.status == 304;
    if !no_body {
        match resp
            .header("Content-Length")
            .map(|v| v.parse::<usize>().unwrap())
        {
            Some(n) => {
                let mut body = vec![0; n];
                s.read_exact(&mut body).expect("read body");
                resp.body = body;
            }
            None => resp.body = read_to_close(s),
        }
    }
    resp
}

/// Parses a whole response (status line, headers, and everything after
/// the blank line as the body).
pub fn parse(bytes: &[u8]) -> Response {
    let (mut resp, used) = parse_head(bytes);
    resp.body = bytes[used..].to_vec();
    resp
}

/// Splits a byte stream holding several responses, using `Content-Length`.
pub fn parse_all(mut bytes: &[u8]) -> Vec<Response> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (mut resp, used) = parse_head(bytes);
        bytes = &bytes[used..];
        let len = if resp.status < 200 || resp.status == 204 || resp.status == 304 {
            0
        } else {
            resp.header("Content-Length")
                .map_or(bytes.len(), |v| v.parse().unwrap())
        };
        resp.body = bytes[..len].to_vec();
        bytes = &bytes[len..];
        out.push(resp);
    }
    out
}

fn parse_head(bytes: &[u8]) -> (Response, usize) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(bytes)));
    let text: String = bytes[..end].iter().map(|&b| char::from(b)).collect();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap().to_owned();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .map(|l| {
            let (n, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {l:?}"));
            (n.to_owned(), v.trim_start().to_owned())
        })
        .collect();
    (
        Response {
            status_line,
            status,
            headers,
            body: Vec::new(),
        },
        end + 4,
    )
}

/// Log lines captured by [`capture_log`], tagged with the server port.
static LOGS: Mutex<Vec<(u16, String)>> = Mutex::new(Vec::new());
static LOGGED: Condvar = Condvar::new();

/// A `log_message` hook that records the line the default hook would print.
pub fn capture_log(req: &Request, message: &str) {
    let line = format!(
        "{} - - [{}] {message}\n",
        req.address_string(),
        req.log_date_time_string()
    );
    LOGS.lock()
        .unwrap()
        .push((req.server().server_port(), line));
    LOGGED.notify_all();
}

/// The captured log lines of the server on `port`.
pub fn logs_for(port: u16) -> Vec<String> {
    LOGS.lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| *p == port)
        .map(|(_, l)| l.clone())
        .collect()
}

/// Waits (condition variable, at most `bound`) for a log line of `port`
/// containing `needle`.
pub fn wait_for_log(port: u16, needle: &str, bound: Duration) -> bool {
    let end = Instant::now() + bound;
    let mut logs = LOGS.lock().unwrap();
    loop {
        if logs.iter().any(|(p, l)| *p == port && l.contains(needle)) {
            return true;
        }
        let now = Instant::now();
        if now >= end {
            return false;
        }
        logs = LOGGED.wait_timeout(logs, end - now).unwrap().0;
    }
}

/// Serves `factory`'s handlers over HTTPS on a fresh port
/// (`ThreadingHttpsServer`).
pub fn spawn_https_with<F, H>(
    factory: F,
    tls: basehttp::TlsConfig,
    config: ServerConfig,
) -> TestServer
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    let server = basehttp::ThreadingHttpsServer::bind_with("127.0.0.1:0", factory, tls, config)
        .expect("bind 127.0.0.1:0");
    let addr = server.server_address();
    run_in_background(server, addr, |s| s.serve_forever(), |s| s.shutdown())
}
