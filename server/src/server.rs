//! `HTTPServer` and `ThreadingHTTPServer` (CPython `http.server` on
//! `socketserver.TCPServer`): bind, `serve_forever`, `handle_request`,
//! `shutdown`.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use crate::connection::handle_connection;
use crate::handler::Handler;
use crate::limits;
use crate::transport::Scheme;

/// Settings of a server that are not HTTP semantics: the engine's pool,
/// limits and deadlines (defaults and their sources in [`crate::limits`]).
///
/// Build one with `ServerConfig::default()` and set fields. A deadline of
/// `None` waits forever (CPython's behaviour).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `StreamRequestHandler.timeout`: when set, the socket read/write
    /// timeout for every phase, replacing the head, keep-alive, body and
    /// write deadlines below. `None` (CPython's default) uses those.
    pub timeout: Option<Duration>,
    /// Total time to receive a request head (from accept, or from the first
    /// byte of a keep-alive request); then 408 and close.
    pub head_timeout: Option<Duration>,
    /// How long an idle keep-alive connection is kept; then it is closed
    /// without a response.
    pub keepalive_timeout: Option<Duration>,
    /// Longest wait for more request-body bytes (per read); then the
    /// connection is closed and the time-out logged.
    pub body_timeout: Option<Duration>,
    /// Longest wait for the client to take more response bytes (per write);
    /// then the connection is closed and the time-out logged.
    pub write_timeout: Option<Duration>,
    /// Worker threads running handlers (`ThreadingHttpServer`); 0 picks
    /// [`crate::limits::default_workers`].
    pub workers: usize,
    /// Most simultaneous connections (`ThreadingHttpServer`); a connection
    /// beyond it is answered 503 with `Connection: close`.
    pub max_connections: usize,
    /// Most bytes of header lines in one request head; more gets 431.
    pub max_head_bytes: usize,
    /// Largest request body the stock handlers (files, CGI) accept; larger
    /// is their 413. `None` = unlimited. The server itself never reads a
    /// body a handler did not ask for beyond a small drain.
    pub max_body: Option<u64>,
    /// How long `shutdown()` lets requests in flight finish before their
    /// connections are cut.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            timeout: None,
            head_timeout: Some(limits::HEAD_TIMEOUT),
            keepalive_timeout: Some(limits::KEEPALIVE_TIMEOUT),
            body_timeout: Some(limits::BODY_TIMEOUT),
            write_timeout: Some(limits::WRITE_TIMEOUT),
            workers: 0,
            max_connections: limits::MAX_CONNECTIONS,
            max_head_bytes: limits::MAX_HEAD_BYTES,
            max_body: Some(limits::MAX_BODY),
            shutdown_grace: limits::SHUTDOWN_GRACE,
        }
    }
}

/// What a handler can see of its server (`self.server` in Python).
#[derive(Debug)]
pub struct ServerInfo {
    server_address: SocketAddr,
    server_name: String,
    config: ServerConfig,
    pub(crate) shutdown: Arc<ShutdownState>,
}

impl ServerInfo {
    /// A server's description without a listener (the in-memory test client).
    pub(crate) fn new(server_address: SocketAddr, config: ServerConfig) -> Self {
        ServerInfo {
            server_address,
            server_name: server_name_for(server_address),
            config,
            shutdown: Arc::default(),
        }
    }

    /// The bound address (`server_address`); the real port even if 0 was asked for.
    pub fn server_address(&self) -> SocketAddr {
        self.server_address
    }
    /// `server_name`: `localhost` for loopback, the host name for a wildcard
    /// address, else the address itself.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }
    /// `server_port`.
    pub fn server_port(&self) -> u16 {
        self.server_address.port()
    }
    /// The server's settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }
    /// Asks the server to stop after the current requests; does not wait
    /// (so a handler may call it).
    pub fn request_shutdown(&self) {
        self.shutdown.request(self.server_address);
    }
}

#[derive(Debug, Default)]
pub(crate) struct ShutdownState {
    pub(crate) requested: AtomicBool,
    serving: Mutex<bool>,
    stopped: Condvar,
    /// Wakes the engine's poller, while one runs.
    pub(crate) waker: Mutex<Option<Arc<mio::Waker>>>,
}

impl ShutdownState {
    fn request(&self, addr: SocketAddr) {
        self.requested.store(true, Ordering::SeqCst);
        if let Some(w) = &*self.waker.lock().unwrap_or_else(|e| e.into_inner()) {
            let _ = w.wake();
            return;
        }
        // Wake a blocked accept() with a connection of our own.
        let mut wake = addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }
}

/// `HTTPServer`: serves one connection at a time, as CPython's does.
#[doc(alias = "HTTPServer")]
pub struct HttpServer<F> {
    listener: TcpListener,
    factory: Arc<F>,
    info: Arc<ServerInfo>,
    threading: bool,
    active: Arc<AtomicUsize>,
    scheme: Scheme,
}

/// `ThreadingHTTPServer`, on the connection engine: handlers run on a bounded
/// pool of worker threads; connections idle between requests or still
/// sending their head wait in a poller and cost no thread (see
/// [`ServerConfig`] for the pool, limits and deadlines).
#[doc(alias = "ThreadingHTTPServer")]
pub struct ThreadingHttpServer<F>(HttpServer<F>);

impl<F, H> HttpServer<F>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    /// Binds `addr` (port 0 picks a free port) and listens; `factory`
    /// makes one handler per connection.
    ///
    /// # Errors
    /// Address resolution or bind errors.
    pub fn bind(addr: impl ToSocketAddrs, factory: F) -> io::Result<Self> {
        Self::bind_with(addr, factory, ServerConfig::default())
    }

    /// As [`bind`](Self::bind), with settings.
    ///
    /// # Errors
    /// Address resolution or bind errors.
    pub fn bind_with(
        addr: impl ToSocketAddrs,
        factory: F,
        config: ServerConfig,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        Self::from_listener(listener, factory, config)
    }

    /// Serves on an already bound listener.
    ///
    /// # Errors
    /// If the listener's address cannot be read.
    pub fn from_listener(
        listener: TcpListener,
        factory: F,
        config: ServerConfig,
    ) -> io::Result<Self> {
        let info = ServerInfo::new(listener.local_addr()?, config);
        Ok(HttpServer {
            listener,
            factory: Arc::new(factory),
            info: Arc::new(info),
            threading: false,
            active: Arc::default(),
            scheme: Scheme::Http,
        })
    }

    /// Turns on the thread pool engine (`ThreadingHttpServer`).
    pub(crate) fn set_threading(&mut self) {
        self.threading = true;
    }

    /// Serves HTTPS instead of HTTP.
    #[cfg(feature = "tls")]
    pub(crate) fn set_tls(&mut self, tls: crate::tls::TlsConfig) {
        self.scheme = Scheme::Https(tls);
    }

    /// The bound address.
    pub fn server_address(&self) -> SocketAddr {
        self.info.server_address
    }
    /// `server_name`.
    pub fn server_name(&self) -> &str {
        &self.info.server_name
    }
    /// `server_port`.
    pub fn server_port(&self) -> u16 {
        self.info.server_address.port()
    }
    /// What handlers see of this server.
    pub fn info(&self) -> &Arc<ServerInfo> {
        &self.info
    }

    /// `serve_forever()`: accepts and serves connections until
    /// [`shutdown`](Self::shutdown).
    ///
    /// # Errors
    /// Fatal listener errors (per-connection errors are only logged).
    pub fn serve_forever(&self) -> io::Result<()> {
        let state = &self.info.shutdown;
        *state.serving.lock().unwrap_or_else(|e| e.into_inner()) = true;
        let result = if self.threading {
            crate::engine::serve(
                &self.listener,
                &self.factory,
                &self.info,
                &self.active,
                &self.scheme,
            )
        } else {
            self.serve_blocking()
        };
        *state.serving.lock().unwrap_or_else(|e| e.into_inner()) = false;
        state.stopped.notify_all();
        result
    }

    fn serve_blocking(&self) -> io::Result<()> {
        let state = &self.info.shutdown;
        loop {
            if state.requested.load(Ordering::SeqCst) {
                break Ok(());
            }
            match self.accept_one() {
                Ok(()) => {}
                Err(e) if is_transient_accept_error(&e) => {}
                Err(e) => break Err(e),
            }
        }
    }

    /// `serve_forever()` until Ctrl-C (SIGINT) or SIGTERM, then a graceful
    /// [`shutdown`](Self::shutdown): requests in flight finish (within
    /// [`ServerConfig::shutdown_grace`]) and this returns `Ok(())`. A second
    /// signal ends the process at once. Python's
    /// `try: server.serve_forever() except KeyboardInterrupt: pass`.
    ///
    /// ```no_run
    /// # use basehttp::prelude::*;
    /// # struct Hello;
    /// # #[http_handler] impl Hello { fn do_GET(&mut self, r: &mut Request) -> std::io::Result<()> { r.send_error(404) } }
    /// let server = ThreadingHttpServer::bind(("127.0.0.1", 8000), || Hello)?;
    /// server.serve_until_signal()?;
    /// println!("stopped");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// If the signal handlers cannot be installed, or as
    /// [`serve_forever`](Self::serve_forever).
    pub fn serve_until_signal(&self) -> io::Result<()> {
        crate::signal::serve_until_signal(&self.info, || self.serve_forever())
    }

    /// `handle_request()`: accepts and serves one connection, then returns.
    ///
    /// # Errors
    /// Accept errors.
    pub fn handle_request(&self) -> io::Result<()> {
        self.accept_one()
    }

    /// `shutdown()`: stops `serve_forever` (running on another thread) and
    /// waits until it has returned.
    pub fn shutdown(&self) {
        let state = &self.info.shutdown;
        state.request(self.info.server_address);
        let mut serving = state.serving.lock().unwrap_or_else(|e| e.into_inner());
        while *serving {
            serving = state
                .stopped
                .wait(serving)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Connections being served right now.
    pub fn active_connections(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    fn accept_one(&self) -> io::Result<()> {
        let (stream, peer) = self.listener.accept()?;
        if self.info.shutdown.requested.load(Ordering::SeqCst) {
            return Ok(());
        }
        let _ = stream.set_nodelay(true);
        let transport = self.scheme.wrap(Arc::new(stream))?;
        let handler = (self.factory)();
        let info = Arc::clone(&self.info);
        let guard = ActiveGuard::new(&self.active);
        if self.threading {
            thread::Builder::new()
                .name(format!("basehttp-{peer}"))
                .spawn(move || {
                    let _guard = guard;
                    handle_connection(handler, transport, peer, info);
                })?;
        } else {
            let _guard = guard;
            handle_connection(handler, transport, peer, info);
        }
        Ok(())
    }
}

struct ActiveGuard(Arc<AtomicUsize>);

impl ActiveGuard {
    fn new(c: &Arc<AtomicUsize>) -> Self {
        c.fetch_add(1, Ordering::SeqCst);
        ActiveGuard(Arc::clone(c))
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An `accept` error that concerns one connection, not the listener.
pub(crate) fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || is_out_of_descriptors(e)
}

/// `EMFILE` / `ENFILE`: no descriptor for the accepted connection.
pub(crate) fn is_out_of_descriptors(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    code == Some(rustix::io::Errno::MFILE.raw_os_error())
        || code == Some(rustix::io::Errno::NFILE.raw_os_error())
}

impl<F, H> ThreadingHttpServer<F>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    /// Binds `addr` (port 0 picks a free port); `factory` makes one handler
    /// per connection, each served on its own thread.
    ///
    /// # Errors
    /// Address resolution or bind errors.
    pub fn bind(addr: impl ToSocketAddrs, factory: F) -> io::Result<Self> {
        Self::bind_with(addr, factory, ServerConfig::default())
    }

    /// As [`bind`](Self::bind), with settings.
    ///
    /// # Errors
    /// Address resolution or bind errors.
    pub fn bind_with(
        addr: impl ToSocketAddrs,
        factory: F,
        config: ServerConfig,
    ) -> io::Result<Self> {
        let mut inner = HttpServer::bind_with(addr, factory, config)?;
        inner.set_threading();
        Ok(ThreadingHttpServer(inner))
    }

    /// Serves on an already bound listener.
    ///
    /// # Errors
    /// If the listener's address cannot be read.
    pub fn from_listener(
        listener: TcpListener,
        factory: F,
        config: ServerConfig,
    ) -> io::Result<Self> {
        let mut inner = HttpServer::from_listener(listener, factory, config)?;
        inner.set_threading();
        Ok(ThreadingHttpServer(inner))
    }
}

impl<F> Deref for ThreadingHttpServer<F> {
    type Target = HttpServer<F>;
    fn deref(&self) -> &HttpServer<F> {
        &self.0
    }
}

/// `socket.getfqdn(host)` for the cases that matter without DNS.
fn server_name_for(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() {
        "localhost".to_owned()
    } else if ip.is_unspecified() {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| ip.to_string())
    } else {
        ip.to_string()
    }
}
