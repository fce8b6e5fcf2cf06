//! `HTTPSServer` and `ThreadingHTTPSServer` (CPython 3.14 `http.server`):
//! the HTTP servers with every accepted connection wrapped in TLS. All of
//! `HttpServer`'s methods (`serve_forever`, `shutdown`, `handle_request`,
//! `server_name`, ...) apply through `Deref`.
//!
//! Unlike CPython, whose `accept()` completes the handshake before the
//! request is handled, the threading server drives handshakes in its poller
//! without blocking: a client stalled in the handshake is cut off by the
//! head deadline and holds no thread.

use std::io;
use std::net::{TcpListener, ToSocketAddrs};
use std::ops::Deref;

use crate::handler::Handler;
use crate::server::{HttpServer, ServerConfig};
use crate::tls::TlsConfig;

/// `HTTPSServer`: serves one TLS connection at a time.
///
/// ```
/// use basehttp::prelude::*;
/// use basehttp::{HttpsServer, TlsConfig};
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// # fn run(tls: TlsConfig) -> std::io::Result<()> {
/// // let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let server = HttpsServer::bind("127.0.0.1:0", || Hello, tls)?;
/// assert_eq!(server.server_name(), "localhost");
/// # Ok(()) }
/// ```
#[doc(alias = "HTTPSServer")]
pub struct HttpsServer<F>(HttpServer<F>);

/// `ThreadingHTTPSServer`: the connection engine of
/// [`ThreadingHttpServer`](crate::ThreadingHttpServer) over TLS.
///
/// ```no_run
/// use basehttp::handlers::SimpleHttpRequestHandler;
/// use basehttp::{TlsConfig, ThreadingHttpsServer};
///
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let files = SimpleHttpRequestHandler::new(".");
/// ThreadingHttpsServer::bind(("127.0.0.1", 8443), move || files.clone(), tls)?.serve_forever()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[doc(alias = "ThreadingHTTPSServer")]
pub struct ThreadingHttpsServer<F>(HttpServer<F>);

macro_rules! https_server {
    ($name:ident, $threading:expr) => {
        impl<F, H> $name<F>
        where
            F: Fn() -> H + Send + Sync + 'static,
            H: Handler,
        {
            /// Binds `addr` (port 0 picks a free port); `factory` makes one
            /// handler per connection; `tls` holds the certificate and key.
            ///
            /// # Errors
            /// Address resolution or bind errors.
            pub fn bind(addr: impl ToSocketAddrs, factory: F, tls: TlsConfig) -> io::Result<Self> {
                Self::bind_with(addr, factory, tls, ServerConfig::default())
            }

            /// As [`bind`](Self::bind), with settings.
            ///
            /// # Errors
            /// Address resolution or bind errors.
            pub fn bind_with(
                addr: impl ToSocketAddrs,
                factory: F,
                tls: TlsConfig,
                config: ServerConfig,
            ) -> io::Result<Self> {
                Self::from_listener(TcpListener::bind(addr)?, factory, tls, config)
            }

            /// Serves on an already bound listener.
            ///
            /// # Errors
            /// If the listener's address cannot be read.
            pub fn from_listener(
                listener: TcpListener,
                factory: F,
                tls: TlsConfig,
                config: ServerConfig,
            ) -> io::Result<Self> {
                let mut inner = HttpServer::from_listener(listener, factory, config)?;
                if $threading {
                    inner.set_threading();
                }
                inner.set_tls(tls);
                Ok($name(inner))
            }
        }

        impl<F> Deref for $name<F> {
            type Target = HttpServer<F>;
            fn deref(&self) -> &HttpServer<F> {
                &self.0
            }
        }
    };
}

https_server!(HttpsServer, false);
https_server!(ThreadingHttpsServer, true);
