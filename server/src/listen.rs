//! Making a listening TCP socket: `socketserver.TCPServer.server_bind` and
//! `server_activate` (CPython `Lib/socketserver.py`), with its
//! `allow_reuse_address` (always on, as `HTTPServer` sets it) and
//! `allow_reuse_port` (off unless [`ServerConfig::reuse_port`] asks for it).
//!
//! With `SO_REUSEPORT` (Linux 3.9, `socket(7)`) several sockets, in one
//! process or several, bind the same address and port, and the kernel
//! spreads incoming connections over them: the simplest way to run several
//! server processes behind one port.
//!
//! [`ServerConfig::reuse_port`]: crate::ServerConfig::reuse_port

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};

use crate::config::ServerConfig;
use crate::limits::LISTEN_BACKLOG;

/// Binds the first address of `addr` that binds (as `TcpListener::bind`
/// does) and listens, with the socket options `config` asks for.
pub(crate) fn bind(addr: impl ToSocketAddrs, config: &ServerConfig) -> io::Result<TcpListener> {
    let mut last_error = None;
    for a in addr.to_socket_addrs()? {
        match listen(a, config) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

/// `server_bind()` + `server_activate()` on one address, for
/// `from_listener`: a close-on-exec socket (CGI scripts do not inherit it),
/// `SO_REUSEADDR` (`allow_reuse_address`), `SO_REUSEPORT` and dual stack
/// when `config` asks for them, bind, and listen with a backlog of
/// [`LISTEN_BACKLOG`](crate::limits::LISTEN_BACKLOG).
///
/// ```
/// use basehttp::prelude::*;
/// use basehttp::ServerConfig;
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// let config = ServerConfig::default();
/// let listener = basehttp::listen("127.0.0.1:0".parse().unwrap(), &config)?;
/// let server = ThreadingHttpServer::from_listener(listener, || Hello, config)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// Socket, bind and listen errors.
pub fn listen(addr: SocketAddr, config: &ServerConfig) -> io::Result<TcpListener> {
    let family = if addr.is_ipv6() {
        AddressFamily::INET6
    } else {
        AddressFamily::INET
    };
    let fd = rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
    sockopt::set_socket_reuseaddr(&fd, true)?;
    if config.reuse_port {
        sockopt::set_socket_reuseport(&fd, true)?;
    }
    if config.dual_stack && addr.is_ipv6() {
        // Best effort, as CPython's `contextlib.suppress(Exception)`.
        let _ = sockopt::set_ipv6_v6only(&fd, false);
    }
    rustix::net::bind(&fd, &addr)?;
    rustix::net::listen(&fd, LISTEN_BACKLOG)?;
    Ok(TcpListener::from(fd))
}

#[cfg(test)]
mod tests {
    use super::bind;
    use crate::config::ServerConfig;

    fn reusing(reuse_port: bool) -> ServerConfig {
        ServerConfig {
            reuse_port,
            ..ServerConfig::default()
        }
    }

    #[test]
    fn reuse_port_is_needed_by_every_socket_on_the_port() {
        // (first socket's flag, second socket's flag, second binds?)
        let cases = [
            (true, true, true),
            (true, false, false),
            (false, true, false),
            (false, false, false),
        ];
        for (first, second, shares) in cases {
            let a = bind("127.0.0.1:0", &reusing(first)).unwrap();
            let port = a.local_addr().unwrap().port();
            let b = bind(("127.0.0.1", port), &reusing(second));
            assert_eq!(b.is_ok(), shares, "{first} then {second}");
            if let Err(e) = b {
                assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
            }
        }
    }

    #[test]
    fn nothing_to_bind_is_an_error() {
        let none: &[std::net::SocketAddr] = &[];
        let e = bind(none, &ServerConfig::default()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    }
}
