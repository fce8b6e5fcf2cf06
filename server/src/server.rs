//! `HTTPServer` and `ThreadingHTTPServer` (CPython `http.server` on
//! `socketserver.TCPServer`): bind, `serve_forever`, `handle_request`,
//! `shutdown`. The HTTPS pair in `https.rs` is made of the same parts.
//!
//! There are two ways to serve, one each: one connection at a time on the
//! calling thread ([`HttpServer::serve_forever`], and every server's
//! `handle_request`), or the connection engine (`ThreadingHttpServer`'s
//! `serve_forever`: an elastic pool of threads that each run a ready
//! request to completion, `crate::engine`).
//! A server type is a bound listener with its handler factory and shared
//! state ([`ServerInfo`]); the types differ only in how `serve_forever`
//! serves and in how each socket is wrapped (plain or TLS).

use std::io;
use std::net::TcpListener;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::connection::handle_connection;
use crate::engine;
use crate::handler::Handler;
use crate::info::ServerInfo;
use crate::listen;
use crate::poller::{Events, Interest, Poller};
use crate::scheme::Scheme;

/// What every server type is made of.
pub(crate) struct Core<F> {
    listener: TcpListener,
    factory: Arc<F>,
    info: Arc<ServerInfo>,
    scheme: Scheme,
}

impl<F, H> Core<F>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    pub(crate) fn new(
        listener: TcpListener,
        factory: F,
        config: ServerConfig,
        scheme: Scheme,
    ) -> io::Result<Self> {
        let info = ServerInfo::new(listener.local_addr()?, config);
        Ok(Core {
            listener,
            factory: Arc::new(factory),
            info: Arc::new(info),
            scheme,
        })
    }

    pub(crate) fn info(&self) -> &Arc<ServerInfo> {
        &self.info
    }

    /// `serve_forever()`: with the engine (`pool`) or one connection at a
    /// time, until [`shutdown`](Self::shutdown).
    pub(crate) fn serve_forever(&self, pool: bool) -> io::Result<()> {
        self.info.serving(|| {
            if pool {
                engine::serve_forever(&self.listener, &self.factory, &self.info, &self.scheme)
            } else {
                self.serve_blocking()
            }
        })
    }

    /// One connection at a time. The listener is waited on with a poller
    /// that `shutdown()` wakes, as the engine's is (a wake-up connection to
    /// our own port could reach another socket under `SO_REUSEPORT`).
    fn serve_blocking(&self) -> io::Result<()> {
        const LISTENER: u64 = 0;
        let poller = Arc::new(Poller::new()?);
        poller.add(&self.listener, LISTENER, Interest::READ)?;
        let waker = Arc::clone(&poller);
        self.info
            .set_waker(Some(crate::info::Waker(Box::new(move || waker.wake()))));
        self.listener.set_nonblocking(true)?;
        let mut events = Events::with_capacity(2);
        let result = loop {
            if self.info.shutdown_requested() {
                break Ok(());
            }
            if let Err(e) = poller.wait(&mut events, None) {
                break Err(e);
            }
            // Readiness is edge-triggered: take every queued connection.
            let served = loop {
                if self.info.shutdown_requested() {
                    break Ok(());
                }
                match self.handle_request() {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                    Err(e) if engine::is_transient_accept_error(&e) => {}
                    Err(e) => break Err(e),
                }
            };
            if served.is_err() {
                break served;
            }
        };
        self.info.set_waker(None);
        self.listener.set_nonblocking(false)?;
        result
    }

    /// `handle_request()`: accepts one connection and serves it on this
    /// thread until it closes.
    pub(crate) fn handle_request(&self) -> io::Result<()> {
        let (stream, peer) = self.listener.accept()?;
        if self.info.shutdown_requested() {
            return Ok(());
        }
        // Accepted sockets must block, whatever the listener does.
        stream.set_nonblocking(false)?;
        let _ = stream.set_nodelay(true);
        let transport = self.scheme.wrap(Arc::new(stream))?;
        let handler = (self.factory)();
        self.info.connection_opened();
        handle_connection(handler, transport, peer, Arc::clone(&self.info));
        self.info.connection_closed();
        Ok(())
    }

    /// `shutdown()`: stops `serve_forever` (running on another thread) and
    /// waits until it has returned.
    pub(crate) fn shutdown(&self) {
        self.info.request_shutdown();
        self.info.wait_stopped();
    }
}

/// The methods every server type has, delegating to its [`Core`]; `$pool`
/// says whether `serve_forever` runs the connection engine.
macro_rules! server_methods {
    ($name:ident, pool = $pool:expr) => {
        impl<F, H> $name<F>
        where
            F: Fn() -> H + Send + Sync + 'static,
            H: $crate::handler::Handler,
        {
            /// The bound address (`server_address`); the real port even if 0
            /// was asked for.
            pub fn server_address(&self) -> std::net::SocketAddr {
                self.core.info().server_address()
            }
            /// `server_name`: `localhost` for loopback, the host name for a
            /// wildcard address, else the address itself.
            pub fn server_name(&self) -> &str {
                self.core.info().server_name()
            }
            /// `server_port`.
            pub fn server_port(&self) -> u16 {
                self.core.info().server_port()
            }
            /// What handlers see of this server (`self.server`).
            pub fn info(&self) -> &std::sync::Arc<$crate::info::ServerInfo> {
                self.core.info()
            }

            /// `serve_forever()`: accepts and serves connections until
            /// [`shutdown`](Self::shutdown).
            ///
            /// # Errors
            /// Fatal listener errors (per-connection errors are only logged).
            pub fn serve_forever(&self) -> std::io::Result<()> {
                self.core.serve_forever($pool)
            }

            /// `serve_forever()` until Ctrl-C (SIGINT) or SIGTERM, then a
            /// graceful [`shutdown`](Self::shutdown): requests in flight
            /// finish (within `ServerConfig::shutdown_grace`) and this returns
            /// `Ok(())`. A second signal ends the process at once. Python's
            /// `try: server.serve_forever() except KeyboardInterrupt: pass`.
            ///
            /// # Errors
            /// If the signal handlers cannot be installed, or as
            /// [`serve_forever`](Self::serve_forever).
            pub fn serve_until_signal(&self) -> std::io::Result<()> {
                $crate::signal::serve_until_signal(self.core.info(), || self.serve_forever())
            }

            /// `handle_request()`: accepts one connection and serves it on the
            /// calling thread until it closes, then returns (CPython's
            /// threading servers start a thread for it; the result is the
            /// same to the caller).
            ///
            /// # Errors
            /// Accept errors.
            pub fn handle_request(&self) -> std::io::Result<()> {
                self.core.handle_request()
            }

            /// `shutdown()`: stops `serve_forever` (running on another
            /// thread) and waits until it has returned.
            pub fn shutdown(&self) {
                self.core.shutdown()
            }

            /// Connections open right now.
            pub fn active_connections(&self) -> usize {
                self.core.info().open_connections()
            }
        }
    };
}

/// `bind`, `bind_with` and `from_listener` of a plain-HTTP server type.
macro_rules! http_constructors {
    ($name:ident) => {
        impl<F, H> $name<F>
        where
            F: Fn() -> H + Send + Sync + 'static,
            H: Handler,
        {
            /// Binds `addr` (port 0 picks a free port) and listens; `factory`
            /// makes one handler per connection.
            ///
            /// # Errors
            /// Address resolution or bind errors.
            pub fn bind(addr: impl std::net::ToSocketAddrs, factory: F) -> io::Result<Self> {
                Self::bind_with(addr, factory, ServerConfig::default())
            }

            /// As [`bind`](Self::bind), with settings (among them
            /// [`reuse_port`](ServerConfig::reuse_port)).
            ///
            /// # Errors
            /// Address resolution or bind errors.
            pub fn bind_with(
                addr: impl std::net::ToSocketAddrs,
                factory: F,
                config: ServerConfig,
            ) -> io::Result<Self> {
                let listener = listen::bind(addr, &config)?;
                Self::from_listener(listener, factory, config)
            }

            /// Serves on an already bound listener, such as the one systemd
            /// passes ([`systemd_listener`](crate::systemd_listener)).
            ///
            /// # Errors
            /// If the listener's address cannot be read.
            pub fn from_listener(
                listener: TcpListener,
                factory: F,
                config: ServerConfig,
            ) -> io::Result<Self> {
                let core = Core::new(listener, factory, config, Scheme::Http)?;
                Ok($name { core })
            }
        }
    };
}

#[cfg(feature = "tls")]
pub(crate) use server_methods;

/// `HTTPServer`: serves one connection at a time, as CPython's does.
///
/// ```
/// use basehttp::prelude::*;
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// let server = HttpServer::bind("127.0.0.1:0", || Hello)?;
/// assert_eq!(server.server_name(), "localhost");
/// # Ok::<(), std::io::Error>(())
/// ```
#[doc(alias = "HTTPServer")]
pub struct HttpServer<F> {
    core: Core<F>,
}

/// `ThreadingHTTPServer`, on the connection engine: handlers run on an
/// elastic pool of threads, each request on the thread that found it ready,
/// and a handler may block as under CPython's thread per request (more
/// threads start while handlers block, up to `ServerConfig::max_threads`);
/// connections idle between requests, still sending their head, or slow to
/// take their response wait in an epoll set and cost no thread (see
/// [`ServerConfig`] for the pool, limits and deadlines).
///
/// ```no_run
/// use basehttp::prelude::*;
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// ThreadingHttpServer::bind(("127.0.0.1", 8000), || Hello)?.serve_forever()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[doc(alias = "ThreadingHTTPServer")]
pub struct ThreadingHttpServer<F> {
    core: Core<F>,
}

http_constructors!(HttpServer);
http_constructors!(ThreadingHttpServer);
server_methods!(HttpServer, pool = false);
server_methods!(ThreadingHttpServer, pool = true);
