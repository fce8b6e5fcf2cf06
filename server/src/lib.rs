//! Python's `http.server` rebuilt in Rust: `BaseHTTPRequestHandler`,
//! `SimpleHTTPRequestHandler`, `CGIHTTPRequestHandler`, `HTTPServer`,
//! `ThreadingHTTPServer`, `HTTPSServer`, `ThreadingHTTPSServer` (cargo
//! feature `tls`, on by default) and `python -m http.server`, with the same names and,
//! where a client can see it, the same bytes. A handler is a type whose
//! `impl` block has `do_GET`/`do_POST`/`do_SPAM` methods; [`http_handler`]
//! generates the dispatch, CPython's `501 Unsupported method` fallback and an
//! `Allow` list.
//!
//! # Example
//!
//! ```
//! use basehttp::prelude::*;
//! use std::io::{Read, Write};
//!
//! struct Hello;
//!
//! #[http_handler]
//! impl Hello {
//!     fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
//!         req.send_response(200)?;
//!         req.send_header("Content-Type", "text/plain")?;
//!         req.end_headers()?;
//!         req.wfile.write_all(b"hello\n")
//!     }
//! }
//!
//! let server = HttpServer::bind("127.0.0.1:0", || Hello)?;
//! let addr = server.server_address();
//! let client = std::thread::spawn(move || -> std::io::Result<String> {
//!     let mut s = std::net::TcpStream::connect(addr)?;
//!     s.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
//!     let mut out = String::new();
//!     s.read_to_string(&mut out)?;
//!     Ok(out)
//! });
//! server.handle_request()?;
//! let response = client.join().unwrap()?;
//! assert!(response.starts_with("HTTP/1.0 200 OK\r\n"));
//! assert!(response.ends_with("\r\n\r\nhello\n"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Serving until stopped, on an elastic pool of threads that run each
//! request to completion where it became ready (an idle connection or a
//! slow reader costs no thread; a handler that blocks costs its own):
//!
//! ```no_run
//! # use basehttp::prelude::*;
//! # struct Hello;
//! # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
//! ThreadingHttpServer::bind(("127.0.0.1", 8080), || Hello)?.serve_forever()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Python equivalents
//!
//! | Python | basehttp |
//! | --- | --- |
//! | `class H(BaseHTTPRequestHandler)` with `def do_GET(self)` | `#[http_handler] impl H { fn do_GET(&mut self, req: &mut Request) -> io::Result<()> }` |
//! | `self.path`, `self.command`, `self.headers`, `self.rfile`, `self.wfile` | `req.path`, `req.command`, `req.headers`, `req.rfile`, `req.wfile` |
//! | `self.send_response(200)`, `self.send_header(k, v)`, `self.end_headers()` | `req.send_response(200)?`, `req.send_header(k, v)?`, `req.end_headers()?` |
//! | `self.send_error(404)`, `self.send_error(404, msg)`, `self.send_error(404, msg, explain)` | `req.send_error(404)`, `req.send_error_with(404, msg)`, `req.send_error_explain(404, msg, explain)` |
//! | `self.log_message(fmt, *args)` | `req.log_message(format_args!(...))` |
//! | `protocol_version = "HTTP/1.1"` (class attribute) | [`Class::protocol_version`] via [`Handler::class`] |
//! | `HTTPServer(addr, H).serve_forever()` | `HttpServer::bind(addr, \|\| H)?.serve_forever()` |
//! | `ThreadingHTTPServer`, `server.shutdown()`, `server.handle_request()` | [`ThreadingHttpServer`], `shutdown()`, `handle_request()` |
//! | `HTTPSServer(addr, H, certfile=c, keyfile=k)`, `ThreadingHTTPSServer` | `HttpsServer::bind(addr, \|\| H, TlsConfig::from_pem_files(c, k)?)?`, `ThreadingHttpsServer` |
//! | a handler on a `BytesIO` pair in a test | [`test::Client`]`::new(H).get("/")?` |
//! | `http.HTTPStatus.NOT_FOUND`, `responses[404]` | [`StatusCode::NOT_FOUND`], [`responses`]`(404)` |
//!
//! # Testing a handler
//!
//! [`test::Client`] runs a handler through the server's own request code
//! over an in-memory connection: no socket, no thread, usable in doctests.
//!
//! ```
//! # use basehttp::prelude::*;
//! # struct Hello;
//! # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
//! let response = basehttp::test::Client::new(Hello).get("/")?;
//! assert_eq!(response.status, 204);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # HTTPS
//!
//! With the `tls` feature (on by default), [`HttpsServer`] and
//! [`ThreadingHttpsServer`] serve the same handlers over TLS (rustls), from
//! PEM files or a rustls configuration in a [`TlsConfig`].
//!
//! # Differences from CPython
//!
//! Request framing follows RFC 9112: the body reader [`Rfile`] stops at
//! `Content-Length` or decodes a chunked body, and what a handler leaves
//! unread is drained (up to 1 MiB) or the connection closed (CPython would
//! parse an unread body as the next request); an ambiguous head
//! (`Content-Length` with `Transfer-Encoding`, whitespace before a header's
//! colon, a malformed length) is a 400, and `Connection` is read as a token
//! list. A response without a length ends its connection. `send_header`
//! refuses CR and LF. A `501` lists the handler's methods in `Allow`. A
//! handler that fails before responding gets the client a `500` (or the
//! status of a [`BodyError`]), is logged in CPython's `handle_error` format,
//! and closes only its connection.
//!
//! # Python equivalents for a service
//!
//! | Python | basehttp |
//! | --- | --- |
//! | `urlsplit(self.path)`, `parse_qs(query)` | [`Request::url`], [`SplitUrl::query_value`] |
//! | `self.rfile.read(int(self.headers['Content-Length']))` | [`Request::read_body`] |
//! | send_response + headers + end_headers + write | [`Request::respond`] |
//! | `super().do_GET()` | `FileHandler::do_GET(self, req)` |
//! | `except KeyboardInterrupt` around `serve_forever()` | [`HttpServer::serve_until_signal`] |
//!
//! # Scaling out
//!
//! Several processes can serve one port: bind each with
//! [`ServerConfig::reuse_port`] (`SO_REUSEPORT`, `socketserver`'s
//! `allow_reuse_port`), or let systemd own the socket and take it with
//! [`systemd_listener`] (socket activation, `LISTEN_FDS`).
//!
//! # Security
//!
//! Like CPython's, this is a small server for development and trusted
//! networks. Request data reaches the log only after control characters are
//! escaped, and error pages HTML-escape what they echo.
//!
//! As in CPython, the file handler serves dot-files and follows every
//! symbolic link, also out of its directory. To share a folder with other
//! people, hide the first and confine the second:
//! [`with_dotfiles(false)`](handlers::SimpleHttpRequestHandler::with_dotfiles)
//! and [`with_symlinks(Symlinks::Inside)`](handlers::SimpleHttpRequestHandler::with_symlinks)
//! (`--no-dotfiles --symlinks inside`), enforced when each file is opened.
#![forbid(unsafe_code)]

extern crate self as basehttp;

#[doc(hidden)]
pub mod __private;
mod activation;
mod body;
mod chunked;
mod config;
mod connection;
mod date;
mod engine;
mod exchange;
mod file;
pub mod form;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing;
mod handler;
pub mod handlers;
mod headers;
#[cfg(feature = "tls")]
mod https;
mod info;
pub mod limits;
mod listen;
mod log;
mod memory;
mod misuse;
mod multipart;
mod outbox;
mod parse;
mod poller;
mod pystr;
mod request;
mod response;
mod scheme;
mod sendfile;
mod server;
mod signal;
mod status;
mod stream;
pub mod test;
#[cfg(feature = "tls")]
mod tls;
mod transport;
mod url;
mod urlencoded;
mod wire;

pub use activation::systemd_listener;
pub use basehttp_macros::http_handler;
pub use body::BodyError;
pub use config::ServerConfig;
pub use exchange::Exchange;
pub use handler::{Base, Handler, send_continue, unsupported_method};
pub use headers::Headers;
pub use info::ServerInfo;
pub use listen::listen;
pub use request::{Class, ErrorPage, Request};
/// The rustls crate this server is built on, for [`TlsConfig::from_rustls`].
#[cfg(feature = "tls")]
pub use rustls;
pub use server::{HttpServer, ThreadingHttpServer};
pub use status::{IntoStatus, InvalidStatusCode, StatusCode, responses};
pub use stream::{Rfile, Wfile};
pub use url::{SplitUrl, urlsplit};
#[cfg(feature = "tls")]
pub use {
    https::{HttpsServer, ThreadingHttpsServer},
    tls::TlsConfig,
};

/// Everything a handler file needs: `use basehttp::prelude::*;`. It names
/// every type in the signatures `#[http_handler]` checks and prints (the
/// `do_*` methods and every hook: `io`, [`Request`], [`Class`],
/// [`ErrorPage`], [`Exchange`]), the errors a `do_*` method passes on with
/// `?` ([`BodyError`], [`FormError`](crate::form::FormError)), and the
/// servers with their [`ServerConfig`] (with the `tls` feature, the HTTPS
/// ones and `TlsConfig` too).
pub mod prelude {
    pub use crate::form::FormError;
    pub use crate::{
        BodyError, Class, ErrorPage, Exchange, Handler, HttpServer, Request, ServerConfig,
        StatusCode, ThreadingHttpServer, http_handler,
    };
    #[cfg(feature = "tls")]
    pub use crate::{HttpsServer, ThreadingHttpsServer, TlsConfig};
    pub use std::io::{self, Read, Write};
}
