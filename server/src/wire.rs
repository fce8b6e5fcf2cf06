//! A connection's input (hyper's `proto::h1::io::Buffered`, read half;
//! CPython's buffered `rfile` under `handle_one_request`): the transport,
//! its read buffer, and what the engine needs to know about it — whether
//! the last read took all there was (so that an edge-triggered event will
//! announce more), TLS records decrypted ahead, a handshake flight waiting
//! to go out, the read timeouts of the head and body phases.
//!
//! The server reads request heads from a [`Wire`] (without blocking in the
//! engine, then line by line); [`crate::Rfile`] reads the body from the same
//! buffer and frames it.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::transport::{Discarded, Transport};

/// Size of the connection's read buffer.
pub(crate) const READ_BUFFER: usize = 16 * 1024;

/// What a non-blocking fill of the read buffer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    /// No more bytes for now.
    Pending,
    /// The peer closed its side.
    Eof,
    /// The buffer reached its size limit.
    Full,
}

/// Socket read timeouts for the two phases of a request.
#[derive(Debug, Clone, Copy)]
struct PhaseTimeouts {
    head: Option<Duration>,
    body: Option<Duration>,
    in_body: bool,
}

/// The input side of a connection.
pub(crate) struct Wire {
    inner: Box<dyn Transport>,
    /// Allocated on first use and released while a connection is parked idle.
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    timeouts: Option<PhaseTimeouts>,
    /// The last read from the transport took all it had (a short
    /// non-blocking read, or the end): anything more raises a new
    /// edge-triggered readiness event. (A shutdown that came before the
    /// event was taken is in that event's flags instead: the engine then
    /// reads on to the end.)
    took_all: bool,
}

impl Wire {
    pub(crate) fn new(inner: Box<dyn Transport>) -> Self {
        Wire {
            inner,
            buf: Vec::new(),
            pos: 0,
            filled: 0,
            timeouts: None,
            took_all: false,
        }
    }

    /// The bytes read from the socket and not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// Marks `n` buffered bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// Frees the buffer if it holds nothing (an idle parked connection).
    pub(crate) fn release_idle_buffer(&mut self) {
        if self.pos >= self.filled {
            self.buf = Vec::new();
            self.pos = 0;
            self.filled = 0;
        }
    }

    /// Reads what the transport has without blocking, growing the buffer up
    /// to `max` bytes.
    pub(crate) fn fill_nonblocking(&mut self, max: usize) -> io::Result<Fill> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        loop {
            if self.filled == self.buf.len() {
                if self.buf.len() >= max {
                    return Ok(Fill::Full);
                }
                let size = (self.buf.len() * 2).clamp(READ_BUFFER, max.max(READ_BUFFER));
                self.buf.resize(size, 0);
            }
            let space = self.buf.len() - self.filled;
            self.took_all = false;
            match self.inner.read_nonblocking(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.took_all = true;
                    return Ok(Fill::Eof);
                }
                Ok(n) if n < space => {
                    // The transport handed over all it has: new data raises
                    // a new (edge-triggered) event.
                    self.filled += n;
                    self.took_all = true;
                    return Ok(Fill::Pending);
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.took_all = true;
                    return Ok(Fill::Pending);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the transport holds decoded input no socket event will
    /// announce (see [`Transport::has_pending_input`]).
    pub(crate) fn has_pending_input(&self) -> bool {
        self.inner.has_pending_input()
    }

    /// Whether input may be waiting that no readiness event will announce:
    /// the last read from the transport was not known to take all it had
    /// (a blocking read, a full buffer), or TLS records (or a
    /// `close_notify`) were decrypted ahead. The engine reads once more
    /// before it parks such a connection.
    pub(crate) fn may_have_unread(&self) -> bool {
        !self.took_all || self.inner.has_pending_input()
    }

    /// Whether the transport has output waiting for the socket to become
    /// writable (a TLS handshake flight).
    pub(crate) fn wants_write(&self) -> bool {
        self.inner.wants_write()
    }

    /// Whether the connection stopped partway through a TLS handshake.
    pub(crate) fn in_handshake(&self) -> bool {
        self.inner.in_handshake()
    }

    /// Reads and drops up to `max` bytes the transport already has, without
    /// waiting.
    pub(crate) fn discard_nonblocking(&mut self, max: usize) -> Discarded {
        self.inner.discard_input(max)
    }

    /// Sets the socket read timeouts used while a request head is read and
    /// while its body is read; the head one applies now.
    pub(crate) fn set_phase_timeouts(
        &mut self,
        head: Option<Duration>,
        body: Option<Duration>,
    ) -> io::Result<()> {
        self.timeouts = Some(PhaseTimeouts {
            head,
            body,
            in_body: false,
        });
        self.set_read_timeout(head)
    }

    /// Switches to the body read timeout (or back to the head one).
    pub(crate) fn enter_body_phase(&mut self, body: bool) -> io::Result<()> {
        let Some(t) = &mut self.timeouts else {
            return Ok(());
        };
        if t.in_body == body {
            return Ok(());
        }
        t.in_body = body;
        let (head, bodyt) = (t.head, t.body);
        if head == bodyt {
            return Ok(());
        }
        self.set_read_timeout(if body { bodyt } else { head })
    }

    /// The socket underneath, if any (`None` in memory).
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        self.inner.tcp()
    }

    /// Sets the socket read timeout (no-op for non-TCP transports).
    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self.inner.tcp() {
            Some(s) => s.set_read_timeout(t),
            None => Ok(()),
        }
    }

    /// Fills the buffer from the socket if it is empty (blocking); returns
    /// how many bytes are buffered (0 at EOF).
    pub(crate) fn fill_raw_any(&mut self) -> io::Result<usize> {
        self.fill_raw().map(<[u8]>::len)
    }

    /// The buffered bytes, first reading (blocking) if there are none;
    /// empty at the end of the stream.
    pub(crate) fn fill_raw(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.pos = 0;
            self.filled = 0;
            if self.buf.is_empty() {
                self.buf = vec![0; READ_BUFFER];
            }
            self.took_all = false;
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => {
                        self.filled = n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    /// Whether a read of `len` bytes may go straight to the caller's buffer:
    /// nothing is buffered and it is at least a buffer's size.
    pub(crate) fn may_bypass(&self, len: usize) -> bool {
        self.pos >= self.filled && len >= READ_BUFFER.max(self.buf.len())
    }

    /// A blocking read from the transport into `out`, past the buffer
    /// (see [`may_bypass`](Self::may_bypass)).
    pub(crate) fn read_direct(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.took_all = false;
        self.inner.read(out)
    }

    /// Writes an interim response (`100 Continue`) through the read half,
    /// before the body is read.
    pub(crate) fn write_interim(&mut self, line: &[u8]) -> io::Result<()> {
        self.inner.write_all(line)?;
        self.inner.flush()
    }

    /// `readline(limit)` on the raw stream, ignoring any body bound:
    /// appends to `out` up to and including `\n`, at most `limit` bytes.
    /// Returns the number of bytes appended (0 at EOF).
    pub(crate) fn read_line_raw(&mut self, out: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
        let start = out.len();
        while out.len() - start < limit {
            let avail = self.fill_raw()?;
            if avail.is_empty() {
                break;
            }
            let want = (limit - (out.len() - start)).min(avail.len());
            let chunk = &avail[..want];
            if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                out.extend_from_slice(&chunk[..=i]);
                self.pos += i + 1;
                break;
            }
            out.extend_from_slice(chunk);
            self.pos += want;
        }
        Ok(out.len() - start)
    }
}
