//! The transport layer: how a connection's bytes get in and out, under
//! `rfile`/`wfile` and the engine. CPython's `socketserver` hands handlers a
//! socket (or an `ssl.SSLSocket`); here a connection is a [`Transport`], with
//! three implementations:
//!
//! * plain TCP ([`SharedTcp`], this file);
//! * TLS (`crate::tls::TlsStream`, rustls over the same socket);
//! * in memory (`crate::memory::MemoryStream`, for `crate::test::Client`);
//!
//! and a stand-in ([`Detached`]) that a request's streams run over between
//! requests, while the connection holds its own.
//!
//! Besides blocking `Read`/`Write`, a transport can be filled without
//! blocking ([`Transport::read_nonblocking`]): the engine calls that
//! one method for every kind, so an idle connection, a slow request head and
//! a slow TLS handshake all cost no thread.

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

/// A bidirectional byte stream a connection runs over.
pub(crate) trait Transport: Read + Write + Send + 'static {
    /// A second handle on the same stream for the other direction.
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>>;

    /// The TCP socket underneath, if any: for timeouts, shutdown and
    /// waking a blocked reader. Over TLS it carries ciphertext.
    fn tcp(&self) -> Option<&TcpStream> {
        None
    }

    /// The socket, if bytes written straight to it reach the peer as they
    /// are (plain TCP): the `sendfile` path.
    fn plain_tcp(&self) -> Option<&TcpStream> {
        None
    }

    /// Reads what has arrived, without waiting. `Ok(0)` is the end of the
    /// stream; `WouldBlock` means nothing arrived. A count shorter than
    /// `buf` means nothing more is available now, so the engine may wait for
    /// the next readiness event (an end of stream queued behind the data
    /// raises `EPOLLRDHUP`, on which the engine reads to the end). The
    /// default suits transports that never block (in memory).
    fn read_nonblocking(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read(buf)
    }

    /// Whether input was received and decoded but not read yet, or the end
    /// of the stream was: no socket event will announce it (TLS records
    /// decrypted ahead, a `close_notify` on a TCP stream left open).
    fn has_pending_input(&self) -> bool {
        false
    }

    /// Whether output is waiting for the socket to become writable (a TLS
    /// handshake flight, or records of a response, not sent at once).
    fn wants_write(&self) -> bool {
        false
    }

    /// Takes what it can of `data` without waiting: plain TCP sends it with
    /// `MSG_DONTWAIT`; TLS encrypts what fits its buffer and sends the
    /// records the socket takes (the rest waits, see
    /// [`wants_write`](Self::wants_write)). `WouldBlock` means nothing was
    /// taken. The default suits transports that never block (in memory).
    fn write_nonblocking(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write(data)
    }

    /// Sends what the transport itself holds (TLS records) without waiting.
    fn flush_nonblocking(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Drops up to `max` incoming bytes that already arrived, without
    /// waiting (before a close, so it does not turn into a reset).
    fn discard_input(&mut self, max: usize) -> Discarded {
        match self.tcp() {
            Some(sock) => discard_socket(sock, max),
            None => Discarded {
                bytes: 0,
                ended: true,
            },
        }
    }

    /// Ends the sending direction: TLS `close_notify`, then a TCP half-close.
    fn close_write(&mut self) {
        if let Some(sock) = self.tcp() {
            let _ = sock.shutdown(Shutdown::Write);
        }
    }

    /// Whether the connection stopped partway through a TLS handshake (some
    /// bytes arrived, no request can be read yet).
    fn in_handshake(&self) -> bool {
        false
    }
}

/// A transport failure to log once and answer with a close (a failed TLS
/// handshake, plain HTTP on the HTTPS port), carried inside an `io::Error`.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Failure {}

impl Failure {
    /// An `io::Error` of `kind` carrying `message` as a [`Failure`].
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn error(kind: io::ErrorKind, message: String) -> io::Error {
        io::Error::new(kind, Failure(message))
    }
}

/// The message of a [`Failure`] error, if `e` is one.
pub(crate) fn failure_message(e: &io::Error) -> Option<&str> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Failure>())
        .map(|f| f.0.as_str())
}

/// `recv(MSG_DONTWAIT)`: what the socket has queued, without waiting.
pub(crate) fn recv_nonblocking(sock: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match rustix::net::recv(sock, &mut *buf, rustix::net::RecvFlags::DONTWAIT) {
            Ok((n, _)) => return Ok(n),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// What dropping unread input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Discarded {
    /// Bytes dropped.
    pub(crate) bytes: usize,
    /// The input ended (the peer closed its side, or the connection
    /// failed): nothing more will come.
    pub(crate) ended: bool,
}

/// Reads and drops up to `max` bytes the socket already has.
pub(crate) fn discard_socket(sock: &TcpStream, max: usize) -> Discarded {
    let mut sink = [0u8; 8192];
    let mut dropped = 0;
    while dropped < max {
        let want = (max - dropped).min(sink.len());
        match recv_nonblocking(sock, &mut sink[..want]) {
            Ok(0) => {
                return Discarded {
                    bytes: dropped,
                    ended: true,
                };
            }
            Ok(n) => dropped += n,
            Err(e) => {
                return Discarded {
                    bytes: dropped,
                    ended: e.kind() != io::ErrorKind::WouldBlock,
                };
            }
        }
    }
    Discarded {
        bytes: dropped,
        ended: false,
    }
}

/// A TCP socket shared by the read and write halves without a second file
/// descriptor (the engine holds one more handle to shut it down).
pub(crate) struct SharedTcp(pub(crate) Arc<TcpStream>);

impl Read for SharedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match (&*self.0).read(buf) {
                // The socket is non-blocking while the engine finishes a
                // file send: wait as a blocking read would.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_socket(&self.0, false, self.0.read_timeout()?)?;
                }
                r => return r,
            }
        }
    }
}

impl Write for SharedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match (&*self.0).write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_socket(&self.0, true, self.0.write_timeout()?)?;
                }
                r => return r,
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for SharedTcp {
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(SharedTcp(Arc::clone(&self.0))))
    }
    fn tcp(&self) -> Option<&TcpStream> {
        Some(&self.0)
    }
    fn plain_tcp(&self) -> Option<&TcpStream> {
        Some(&self.0)
    }
    fn read_nonblocking(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        recv_nonblocking(&self.0, buf)
    }
    fn write_nonblocking(&mut self, data: &[u8]) -> io::Result<usize> {
        send_nonblocking(&self.0, data)
    }
}

/// What a request's `rfile` and `wfile` run over between requests, while
/// their connection ([`crate::connection::Connection`]) holds its streams:
/// nothing to read, and nothing can be written.
pub(crate) struct Detached;

impl Read for Detached {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

impl Write for Detached {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "no request in progress on this connection",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Detached {
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(Detached))
    }
}

/// `send(MSG_DONTWAIT)`: what the socket takes now, without waiting.
pub(crate) fn send_nonblocking(sock: &TcpStream, data: &[u8]) -> io::Result<usize> {
    use rustix::net::SendFlags;
    loop {
        match rustix::net::send(sock, data, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
            Err(rustix::io::Errno::INTR) => {}
            r => return Ok(r?),
        }
    }
}

/// Waits until `sock` can be read (or, with `write`, written), at most
/// `timeout` (`None`: without limit); `TimedOut` when it passes, as a
/// socket timeout would say.
pub(crate) fn wait_socket(
    sock: &TcpStream,
    write: bool,
    timeout: Option<std::time::Duration>,
) -> io::Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    let flags = if write { PollFlags::OUT } else { PollFlags::IN };
    let limit = timeout.map(crate::poller::timespec);
    let mut fds = [PollFd::new(sock, flags)];
    loop {
        match poll(&mut fds, limit.as_ref()) {
            Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
