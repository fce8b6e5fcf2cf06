//! [`ServerConfig`]: the settings of a server that are not HTTP semantics
//! (the engine's pool, limits and deadlines; defaults and their sources in
//! [`crate::limits`]). CPython has one of these, `StreamRequestHandler.timeout`.

use std::time::Duration;

use crate::limits;

/// Settings of a server that are not HTTP semantics: the engine's pool,
/// limits and deadlines (defaults and their sources in [`crate::limits`]).
///
/// Build one in one expression from [`ServerConfig::new`] (the defaults)
/// with a method per field, named after it, or set the fields of a
/// `ServerConfig::default()`. A deadline of `None` waits forever (CPython's
/// behaviour). `timeout`, when set, replaces every other deadline.
///
/// ```
/// use basehttp::prelude::*;
/// use std::time::Duration;
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// let config = ServerConfig::new()
///     .head_timeout(Duration::from_secs(5))
///     .keepalive_timeout(None)
///     .max_connections(100);
/// let server = ThreadingHttpServer::bind_with("127.0.0.1:0", || Hello, config)?;
/// # Ok::<(), std::io::Error>(())
/// ```
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
    /// Threads `ThreadingHttpServer` starts up front and keeps; 0 picks
    /// [`crate::limits::default_workers`]. More start while handlers block,
    /// up to `max_threads`, and retire after `thread_idle` without work.
    pub workers: usize,
    /// How long a thread started beyond `workers` waits for work before it
    /// exits, so that a burst of blocked handlers does not leave its
    /// threads behind.
    pub thread_idle: Duration,
    /// Most threads `ThreadingHttpServer` runs at once, so that a handler
    /// that blocks costs one thread and never the server; past it, new
    /// work waits for a thread (logged once). 0 picks
    /// [`crate::limits::default_max_threads`].
    pub max_threads: usize,
    /// Most simultaneous connections (`ThreadingHttpServer`); a connection
    /// beyond it is answered 503 with `Connection: close`.
    pub max_connections: usize,
    /// Most bytes of header lines in one request head; more gets 431.
    pub max_head_bytes: usize,
    /// Largest request body the CGI handler accepts: a larger
    /// `Content-Length` is answered 413, and a chunked body that grows past
    /// it kills the script. `None` = unlimited. Nothing else reads it (a
    /// handler reading a body itself gives its own limit, as
    /// [`Request::read_body`](crate::Request::read_body) does); the server
    /// itself never reads a body a handler did not ask for beyond a small
    /// drain.
    pub max_body: Option<u64>,
    /// How long `shutdown()` lets requests in flight finish before their
    /// connections are cut.
    pub shutdown_grace: Duration,
    /// `allow_reuse_port` (`socketserver`, default `False`): `bind` and
    /// `bind_with` set `SO_REUSEPORT`, so that several servers (in this
    /// process or others, all with this set) can bind the same address and
    /// port and the kernel spreads connections over them. Ignored by
    /// `from_listener`, whose socket is already bound.
    ///
    /// ```
    /// use basehttp::prelude::*;
    /// use basehttp::ServerConfig;
    /// # struct Hello;
    /// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
    /// let mut config = ServerConfig::default();
    /// config.reuse_port = true;
    /// let first = ThreadingHttpServer::bind_with("127.0.0.1:0", || Hello, config.clone())?;
    /// let port = first.server_port();
    /// // A second server (typically another process) on the same port.
    /// let second = ThreadingHttpServer::bind_with(("127.0.0.1", port), || Hello, config)?;
    /// assert_eq!(second.server_port(), port);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub reuse_port: bool,
    /// For an IPv6 address, accept IPv4 connections too (`IPV6_V6ONLY`
    /// off), as `python -m http.server`'s `DualStackServer` does for `::`;
    /// the `basehttp` command sets it. Off by default, as for CPython's
    /// `HTTPServer`.
    pub dual_stack: bool,
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
            max_threads: 0,
            thread_idle: limits::THREAD_IDLE,
            max_connections: limits::MAX_CONNECTIONS,
            max_head_bytes: limits::MAX_HEAD_BYTES,
            max_body: Some(limits::MAX_BODY),
            shutdown_grace: limits::SHUTDOWN_GRACE,
            reuse_port: false,
            dual_stack: false,
        }
    }
}

/// One builder method per field: `$name(value)` sets `$field`.
macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $field(mut self, value: $ty) -> Self {
                self.$field = value.into();
                self
            }
        )*
    };
}

impl ServerConfig {
    /// The defaults (`ServerConfig::default()`), to build on with the
    /// methods below, each named after the field it sets.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets [`timeout`](Self::timeout): a `Duration`, or `None`.
        timeout: impl Into<Option<Duration>>;
        /// Sets [`head_timeout`](Self::head_timeout): a `Duration`, or `None`.
        head_timeout: impl Into<Option<Duration>>;
        /// Sets [`keepalive_timeout`](Self::keepalive_timeout): a `Duration`, or `None`.
        keepalive_timeout: impl Into<Option<Duration>>;
        /// Sets [`body_timeout`](Self::body_timeout): a `Duration`, or `None`.
        body_timeout: impl Into<Option<Duration>>;
        /// Sets [`write_timeout`](Self::write_timeout): a `Duration`, or `None`.
        write_timeout: impl Into<Option<Duration>>;
        /// Sets [`workers`](Self::workers).
        workers: usize;
        /// Sets [`thread_idle`](Self::thread_idle).
        thread_idle: Duration;
        /// Sets [`max_threads`](Self::max_threads).
        max_threads: usize;
        /// Sets [`max_connections`](Self::max_connections).
        max_connections: usize;
        /// Sets [`max_head_bytes`](Self::max_head_bytes).
        max_head_bytes: usize;
        /// Sets [`max_body`](Self::max_body): a byte count, or `None`.
        max_body: impl Into<Option<u64>>;
        /// Sets [`shutdown_grace`](Self::shutdown_grace).
        shutdown_grace: Duration;
        /// Sets [`reuse_port`](Self::reuse_port).
        reuse_port: bool;
        /// Sets [`dual_stack`](Self::dual_stack).
        dual_stack: bool;
    }

    /// The deadline for a whole request head: `timeout` if set, else `head_timeout`.
    pub(crate) fn head_deadline(&self) -> Option<Duration> {
        self.timeout.or(self.head_timeout)
    }
    /// How long an idle keep-alive connection is kept: `timeout` if set,
    /// else `keepalive_timeout`.
    pub(crate) fn keepalive_deadline(&self) -> Option<Duration> {
        self.timeout.or(self.keepalive_timeout)
    }
    /// The wait for more body bytes: `timeout` if set, else `body_timeout`.
    pub(crate) fn body_deadline(&self) -> Option<Duration> {
        self.timeout.or(self.body_timeout)
    }
    /// The wait for the client to take more bytes: `timeout` if set, else
    /// `write_timeout`.
    pub(crate) fn write_deadline(&self) -> Option<Duration> {
        self.timeout.or(self.write_timeout)
    }
}
