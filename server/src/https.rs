//! `HTTPSServer` and `ThreadingHTTPSServer` (CPython 3.14 `http.server`):
//! the HTTP servers with every accepted connection wrapped in TLS, made of
//! the same parts (`crate::server`) and with the same methods
//! (`serve_forever`, `shutdown`, `handle_request`, `server_name`, ...).
//!
//! Unlike CPython, whose `accept()` completes the handshake before the
//! request is handled, the threading server drives handshakes from its
//! epoll set without blocking: a client stalled in the handshake is cut off by the
//! head deadline and holds no thread.

use std::io;
use std::net::{TcpListener, ToSocketAddrs};

use crate::config::ServerConfig;
use crate::handler::Handler;
use crate::listen;
use crate::scheme::Scheme;
use crate::server::{Core, server_methods};
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
pub struct HttpsServer<F> {
    core: Core<F>,
}

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
pub struct ThreadingHttpsServer<F> {
    core: Core<F>,
}

/// `bind`, `bind_with` and `from_listener` of an HTTPS server type.
macro_rules! https_constructors {
    ($name:ident) => {
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

            /// As [`bind`](Self::bind), with settings (among them
            /// [`reuse_port`](ServerConfig::reuse_port)).
            ///
            /// # Errors
            /// Address resolution or bind errors.
            pub fn bind_with(
                addr: impl ToSocketAddrs,
                factory: F,
                tls: TlsConfig,
                config: ServerConfig,
            ) -> io::Result<Self> {
                let listener = listen::bind(addr, &config)?;
                Self::from_listener(listener, factory, tls, config)
            }

            /// Serves on an already bound listener, such as the one systemd
            /// passes ([`systemd_listener`](crate::systemd_listener)).
            ///
            /// # Errors
            /// If the listener's address cannot be read.
            pub fn from_listener(
                listener: TcpListener,
                factory: F,
                tls: TlsConfig,
                config: ServerConfig,
            ) -> io::Result<Self> {
                let core = Core::new(listener, factory, config, Scheme::Https(tls))?;
                Ok($name { core })
            }
        }
    };
}

https_constructors!(HttpsServer);
https_constructors!(ThreadingHttpsServer);
server_methods!(HttpsServer, pool = false);
server_methods!(ThreadingHttpsServer, pool = true);
