//! The TLS transport: a rustls `ServerConnection` over the connection's TCP
//! socket (CPython: `ssl.SSLSocket`, made by `SSLContext.wrap_socket`).
//!
//! The read and write halves share one session behind a mutex, and the
//! socket behind an `Arc` (the engine holds the same socket to poll and to
//! shut it down). The socket stays in blocking mode, as for plain TCP:
//!
//! * The engine fills a connection with [`Transport::read_nonblocking`]:
//!   `recv(MSG_DONTWAIT)` of ciphertext, `process_new_packets`, handshake
//!   flights sent with `send(MSG_DONTWAIT)` (what does not fit waits for a
//!   writable event), plaintext moved out. A handshake therefore costs no
//!   thread and is bounded by the head deadline like a slow request head.
//! * A worker reads and writes blocking, bounded by the socket timeouts.
//!   The mutex is never held while waiting for the client to send: the
//!   reader waits with `recv(MSG_PEEK)` outside it, so the other half (a
//!   CGI body feeder and the response writer) is never stalled by it.
//! * Files are streamed through the encrypter (no `sendfile`, no kTLS).
//! * Under the engine, response records the socket does not take wait in
//!   rustls's buffer ([`Transport::write_nonblocking`]), and the engine
//!   sends them when the socket is writable.
//! * When the configuration has an ALPN list, the session starts as a
//!   rustls `Acceptor`: the ClientHello is read first, and the connection
//!   is made from the configuration [`TlsConfig::for_client`] picks for the
//!   client's ALPN list (CPython serves a client whose list does not match;
//!   rustls alone would refuse it).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::ServerConnection;
use rustls::server::{AcceptedAlert, Acceptor};

use super::TlsConfig;
use crate::transport::{
    Discarded, Failure, Transport, discard_socket, recv_nonblocking, send_nonblocking,
};

/// A TLS server session over a TCP socket.
pub(crate) struct TlsStream {
    sock: Arc<TcpStream>,
    session: Arc<Mutex<Session>>,
}

struct Session {
    state: State,
    /// A byte arrived from the client: a stall or close after this is a
    /// stalled handshake (logged), not an idle connection.
    received: bool,
    /// Decrypted bytes not read yet.
    plain_left: usize,
    /// The client's `close_notify` was decrypted: the end of the stream,
    /// which no socket event may announce (the TCP side can stay open).
    peer_closed: bool,
    /// A fatal TLS error happened: no more I/O but the close.
    failed: bool,
}

/// Where the session is: before or after the ClientHello.
enum State {
    /// Reading the ClientHello, to choose the configuration for its ALPN
    /// list (only when the configuration has one).
    Hello {
        acceptor: Acceptor,
        config: TlsConfig,
    },
    /// The handshake and everything after it.
    Conn(ServerConnection),
}

impl TlsStream {
    /// A new server session for an accepted socket.
    pub(crate) fn new(sock: Arc<TcpStream>, config: &TlsConfig) -> io::Result<Self> {
        let state = if config.chooses_by_alpn() {
            State::Hello {
                acceptor: Acceptor::default(),
                config: config.clone(),
            }
        } else {
            State::Conn(
                ServerConnection::new(Arc::clone(config.rustls())).map_err(io::Error::other)?,
            )
        };
        Ok(TlsStream {
            sock,
            session: Arc::new(Mutex::new(Session {
                state,
                received: false,
                plain_left: 0,
                peer_closed: false,
                failed: false,
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Plaintext into `out`. Blocking: waits for at least one byte (socket
    /// timeouts apply). Non-blocking: takes everything available, and a
    /// short count means the socket had no more.
    fn read_plain(&self, out: &mut [u8], blocking: bool) -> io::Result<usize> {
        let mut total = 0;
        loop {
            let mut s = self.lock();
            if s.failed {
                return Ok(total);
            }
            if total == out.len() {
                return Ok(total);
            }
            let plain = match &mut s.state {
                State::Conn(conn) => conn.reader().read(&mut out[total..]),
                State::Hello { .. } => Err(io::ErrorKind::WouldBlock.into()),
            };
            match plain {
                // `close_notify`: the end of the stream.
                Ok(0) => return Ok(total),
                Ok(n) => {
                    s.plain_left = s.plain_left.saturating_sub(n);
                    total += n;
                    if blocking {
                        return Ok(total);
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The TCP stream ended without `close_notify`, which HTTP/1.1
                // clients commonly do.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return s.ended(total),
                Err(e) => return Err(e),
            }
            if let Err(e) = s.send_queued(&self.sock, blocking) {
                return Err(s.fail_io(e));
            }
            if !s.received {
                s.check_first_bytes(&self.sock)?;
            }
            match s.read_tls(&mut NonBlockingRecv(&self.sock)) {
                Ok(0) => {
                    if matches!(s.state, State::Hello { .. }) {
                        // The end before a whole ClientHello.
                        return s.ended(total);
                    }
                    // End of stream; the reader reports it next round.
                    s.process(&self.sock)?;
                }
                Ok(_) => {
                    s.received = true;
                    s.process(&self.sock)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if total > 0 {
                        return Ok(total);
                    }
                    if !blocking {
                        return Err(e);
                    }
                    drop(s);
                    if let Err(e) = wait_readable(&self.sock) {
                        return Err(self.lock().fail_io(e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(s.fail_io(e)),
            }
        }
    }
}

impl TlsStream {
    /// Plaintext from `data` into the session. Records already encrypted
    /// go first (blocking: all of them; else what the socket takes), so
    /// that rustls has room under its buffer limit; then the socket gets
    /// what it can of the new ones. Non-blocking, `WouldBlock` means
    /// rustls took nothing.
    fn write_plain(&self, data: &[u8], blocking: bool) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let mut s = self.lock();
        if s.failed {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        s.send_queued(&self.sock, blocking)?;
        let State::Conn(conn) = &mut s.state else {
            // Nothing is written before a ClientHello.
            return Err(io::ErrorKind::NotConnected.into());
        };
        let n = conn.writer().write(data)?;
        s.send_queued(&self.sock, blocking)?;
        match n {
            0 if blocking => Err(io::ErrorKind::WriteZero.into()),
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    /// Sends the records rustls holds (blocking: all of them).
    fn flush_plain(&self, blocking: bool) -> io::Result<()> {
        let mut s = self.lock();
        if s.failed {
            return Ok(());
        }
        s.send_queued(&self.sock, blocking)
    }
}

impl Session {
    /// The stream ended with `total` bytes read: an ordinary end, except in
    /// the middle of a handshake the client began (one line, then the
    /// close).
    fn ended(&mut self, total: usize) -> io::Result<usize> {
        if total == 0 && self.received && self.handshaking() {
            self.failed = true;
            return Err(Failure::error(
                io::ErrorKind::UnexpectedEof,
                "TLS handshake failed: the client closed the connection".to_owned(),
            ));
        }
        Ok(total)
    }

    /// Still in the handshake (or before it).
    fn handshaking(&self) -> bool {
        match &self.state {
            State::Hello { .. } => true,
            State::Conn(conn) => conn.is_handshaking(),
        }
    }

    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        match &mut self.state {
            State::Hello { acceptor, .. } => acceptor.read_tls(rd),
            State::Conn(conn) => conn.read_tls(rd),
        }
    }

    /// Decrypts what `read_tls` buffered; a protocol error sends rustls's
    /// alert (without waiting) and fails the connection. Before the
    /// ClientHello is whole, this only checks whether it is.
    fn process(&mut self, sock: &TcpStream) -> io::Result<()> {
        if let State::Hello { acceptor, config } = &mut self.state {
            let accepted = match acceptor.accept() {
                Ok(None) => return Ok(()),
                Ok(Some(accepted)) => {
                    let chosen = config.for_client(accepted.client_hello().alpn());
                    accepted.into_connection(chosen)
                }
                Err(refused) => Err(refused),
            };
            match accepted {
                Ok(conn) => self.state = State::Conn(conn),
                Err((e, alert)) => return Err(self.refuse(sock, &e, alert)),
            }
        }
        let State::Conn(conn) = &mut self.state else {
            unreachable!("the ClientHello was accepted above")
        };
        match conn.process_new_packets() {
            Ok(state) => {
                self.plain_left = state.plaintext_bytes_to_read();
                self.peer_closed = state.peer_has_closed();
                Ok(())
            }
            Err(e) => {
                let _ = self.send_queued(sock, false);
                let phase = if self.handshaking() {
                    "TLS handshake failed"
                } else {
                    "TLS error"
                };
                self.failed = true;
                Err(Failure::error(
                    io::ErrorKind::InvalidData,
                    format!("{phase}: {e}"),
                ))
            }
        }
    }

    /// A ClientHello rustls refused: its alert is sent without waiting and
    /// the handshake fails.
    fn refuse(
        &mut self,
        sock: &TcpStream,
        e: &rustls::Error,
        mut alert: AcceptedAlert,
    ) -> io::Error {
        let _ = alert.write_all(&mut NonBlockingSend(sock));
        self.failed = true;
        Failure::error(
            io::ErrorKind::InvalidData,
            format!("TLS handshake failed: {e}"),
        )
    }

    /// Plain HTTP sent to the HTTPS port starts with a method name where a
    /// TLS record starts with its content type (22, handshake): say so in
    /// the log, and close without a TLS alert the client could not read.
    fn check_first_bytes(&mut self, sock: &TcpStream) -> io::Result<()> {
        let mut first = [0u8; 1];
        let peeked = rustix::net::recv(
            sock,
            &mut first,
            rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT,
        );
        if matches!(peeked, Ok((1, _))) && first[0].is_ascii_uppercase() {
            self.failed = true;
            return Err(Failure::error(
                io::ErrorKind::InvalidData,
                "TLS handshake failed: plain HTTP request sent to the HTTPS port".to_owned(),
            ));
        }
        Ok(())
    }

    /// Sends the TLS records rustls has queued. Blocking: all of them.
    /// Non-blocking: what the socket takes now.
    fn send_queued(&mut self, sock: &TcpStream, blocking: bool) -> io::Result<()> {
        let State::Conn(conn) = &mut self.state else {
            return Ok(());
        };
        while conn.wants_write() {
            let sent = if blocking {
                conn.write_tls(&mut BlockingSend(sock))
            } else {
                conn.write_tls(&mut NonBlockingSend(sock))
            };
            match sent {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if !blocking && e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// An I/O error during the handshake, after the client sent something,
    /// is a failed handshake to log once; otherwise it stays as it is.
    fn fail_io(&mut self, e: io::Error) -> io::Error {
        if self.received && self.handshaking() && !self.failed {
            self.failed = true;
            let cause = if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) {
                "timed out".to_owned()
            } else {
                e.to_string()
            };
            return Failure::error(e.kind(), format!("TLS handshake failed: {cause}"));
        }
        e
    }
}

/// Waits until the socket has a byte to read (or the end, or an error),
/// without taking it; `SO_RCVTIMEO` bounds the wait.
fn wait_readable(sock: &TcpStream) -> io::Result<()> {
    let mut probe = [0u8; 1];
    loop {
        match rustix::net::recv(sock, &mut probe, rustix::net::RecvFlags::PEEK) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

struct NonBlockingRecv<'a>(&'a TcpStream);

impl Read for NonBlockingRecv<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        recv_nonblocking(self.0, buf)
    }
}

struct NonBlockingSend<'a>(&'a TcpStream);

impl Write for NonBlockingSend<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send_nonblocking(self.0, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct BlockingSend<'a>(&'a TcpStream);

impl Write for BlockingSend<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut sock = self.0;
        sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_plain(buf, true)
    }
}

impl Write for TlsStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_plain(data, true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_plain(true)
    }
}

impl Transport for TlsStream {
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(TlsStream {
            sock: Arc::clone(&self.sock),
            session: Arc::clone(&self.session),
        }))
    }

    fn tcp(&self) -> Option<&TcpStream> {
        Some(&self.sock)
    }

    fn read_nonblocking(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_plain(buf, false)
    }

    fn has_pending_input(&self) -> bool {
        let s = self.lock();
        s.plain_left > 0 || (s.peer_closed && !s.failed)
    }

    fn wants_write(&self) -> bool {
        let s = self.lock();
        !s.failed && matches!(&s.state, State::Conn(conn) if conn.wants_write())
    }

    fn write_nonblocking(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_plain(data, false)
    }

    fn flush_nonblocking(&mut self) -> io::Result<()> {
        self.flush_plain(false)
    }

    fn discard_input(&mut self, max: usize) -> Discarded {
        discard_socket(&self.sock, max)
    }

    fn close_write(&mut self) {
        {
            let mut s = self.lock();
            if !s.failed
                && let State::Conn(conn) = &mut s.state
                && !conn.is_handshaking()
            {
                conn.send_close_notify();
                // Best effort, without waiting: the close follows anyway.
                let _ = s.send_queued(&self.sock, false);
            }
        }
        let _ = self.sock.shutdown(Shutdown::Write);
    }

    fn in_handshake(&self) -> bool {
        let s = self.lock();
        s.received && !s.failed && s.handshaking()
    }
}
