//! How a server wraps each accepted socket (CPython: an `HTTPServer`, or
//! one whose socket went through `SSLContext.wrap_socket`): plain TCP, or
//! TLS with a rustls configuration. It sits above both transports, so that
//! `transport.rs` need not know TLS.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;

use crate::transport::{SharedTcp, Transport};

/// How a server wraps each accepted socket: plain HTTP, or HTTPS with a
/// rustls configuration.
#[derive(Clone)]
pub(crate) enum Scheme {
    /// `HttpServer`: bytes as they are.
    Http,
    /// `HttpsServer`: a TLS server session per connection.
    #[cfg(feature = "tls")]
    Https(crate::tls::TlsConfig),
}

impl Scheme {
    /// The transport for an accepted socket.
    pub(crate) fn wrap(&self, sock: Arc<TcpStream>) -> io::Result<Box<dyn Transport>> {
        match self {
            Scheme::Http => Ok(Box::new(SharedTcp(sock))),
            #[cfg(feature = "tls")]
            Scheme::Https(config) => Ok(Box::new(crate::tls::TlsStream::new(sock, config)?)),
        }
    }

    /// Whether connections are encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        !matches!(self, Scheme::Http)
    }
}
