//! `rfile` and `wfile`: the request body reader and the response writer of a
//! connection (CPython's `StreamRequestHandler.rfile` / `.wfile`).
//!
//! Both are independent of `TcpStream`: a connection is any
//! [`Transport`](crate::transport::Transport) (plain TCP, TLS or in-memory),
//! so the handler API is the same over each.
//! Unlike CPython's raw `rfile`, [`Rfile`] reads exactly the request's body:
//! up to its `Content-Length`, or a `Transfer-Encoding: chunked` body
//! decoded ([`crate::chunked`]). A handler can never read into the next
//! request, and what it leaves unread is drained or the connection closed.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::chunked::{ChunkError, Decoder};
use crate::file::SharedFile;
use crate::misuse::Misuse;
use crate::outbox::{Outbox, Sent, take_some};
pub(crate) use crate::transport::Transport;
use crate::transport::wait_socket;
pub(crate) use crate::wire::Fill;
use crate::wire::Wire;

pub(crate) use crate::wire::READ_BUFFER;
/// Size of the response write buffer: the status line, headers and a small
/// body go out in one `write`.
pub(crate) const WRITE_BUFFER: usize = 16 * 1024;
/// Most response bytes a connection holds in memory for the engine to send
/// when the client reads slowly; a handler that writes more waits for the
/// client (file ranges are held as ranges and cost no memory). nginx's
/// `proxy_buffers` default is 8 × 4 KiB to 8 × 8 KiB per connection; a
/// directory listing of a few thousand entries fits here.
pub(crate) const MAX_HELD_OUTPUT: usize = 256 * 1024;

/// How the body of the current request ends (RFC 9112 §6.3).
#[derive(Clone, Debug)]
pub(crate) enum Framing {
    /// `Content-Length`: this many bytes are left (0: no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`, being decoded.
    Chunked(Decoder),
}

/// The read side of a connection: the request head is read by the server
/// from its input, the body by the handler (`req.rfile.read(...)`),
/// which reads decoded body bytes and then end of file.
pub struct Rfile {
    /// The connection's input: transport and read buffer.
    wire: Wire,
    /// Where the current body ends.
    framing: Framing,
    /// A `100 Continue` owed to the client, sent when the body is first read.
    continue_line: Option<Vec<u8>>,
}

impl Rfile {
    pub(crate) fn new(inner: Box<dyn Transport>) -> Self {
        Rfile {
            wire: Wire::new(inner),
            framing: Framing::Length(0),
            continue_line: None,
        }
    }

    /// The connection's input, as the server reads heads from it.
    pub(crate) fn wire(&self) -> &Wire {
        &self.wire
    }

    /// The connection's input, as the server reads heads from it.
    pub(crate) fn wire_mut(&mut self) -> &mut Wire {
        &mut self.wire
    }

    /// How many body bytes are left to read: `Some` for a body of known
    /// length (`Content-Length`, or none: 0), `None` for a chunked body.
    pub fn remaining(&self) -> Option<u64> {
        match &self.framing {
            Framing::Length(n) => Some(*n),
            Framing::Chunked(_) => None,
        }
    }

    /// Sets how the next body ends (and forgets an unsent `100 Continue`).
    pub(crate) fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        self.continue_line = None;
    }

    /// Owes the client `line` (`HTTP/1.1 100 Continue` and a blank line),
    /// to be sent when the handler first reads the body.
    pub(crate) fn defer_continue(&mut self, line: Vec<u8>) {
        self.continue_line = Some(line);
    }

    /// Forgets an owed `100 Continue` (the final response has begun, or the
    /// request is over: a `100` now would land inside a response). Returns
    /// whether one was owed for a body still unread: the client may or may
    /// not send it now, so the connection cannot be reused.
    pub(crate) fn forget_continue(&mut self) -> bool {
        self.continue_line.take().is_some() && !self.body_done()
    }

    /// Sends the `100 Continue` owed, if any, before the body is read.
    fn send_owed_continue(&mut self) -> io::Result<()> {
        if let Some(line) = self.continue_line.take()
            && !self.body_done()
        {
            self.wire.write_interim(&line)?;
        }
        Ok(())
    }

    /// Whether the whole body was read.
    pub(crate) fn body_done(&self) -> bool {
        match &self.framing {
            Framing::Length(n) => *n == 0,
            Framing::Chunked(d) => d.is_done(),
        }
    }

    fn body_consumed(&mut self, n: usize) {
        match &mut self.framing {
            Framing::Length(left) => *left -= n as u64,
            Framing::Chunked(d) => d.consume(n),
        }
    }

    /// The chunk data buffered now, reading from the transport and stepping
    /// over chunk framing as needed; empty at the end of the body.
    fn chunk_data(&mut self) -> io::Result<&[u8]> {
        loop {
            let Framing::Chunked(dec) = &mut self.framing else {
                return Ok(&[]);
            };
            if dec.is_done() {
                return Ok(&[]);
            }
            let avail = self.wire.buffered();
            if !avail.is_empty() {
                let left = usize::try_from(dec.data_left()).unwrap_or(usize::MAX);
                if left > 0 {
                    let n = left.min(avail.len());
                    return Ok(&self.wire.buffered()[..n]);
                }
                let used = dec.skip_framing(avail).map_err(chunk_error)?;
                self.wire.consume(used);
                continue;
            }
            if self.wire.fill_raw()?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "chunked body cut short",
                ));
            }
        }
    }

    /// The socket underneath, if any (`None` in memory). Over TLS it
    /// carries ciphertext: use it for socket options, never to read.
    pub fn tcp(&self) -> Option<&TcpStream> {
        self.wire.tcp()
    }

    /// Reads and discards what is left of the body, up to `max` bytes.
    /// Returns `true` if the body was fully consumed.
    ///
    /// # Errors
    /// I/O errors, and `InvalidData` for malformed chunked framing.
    pub(crate) fn drain_body(&mut self, max: u64) -> io::Result<bool> {
        if self.remaining().is_some_and(|left| left > max) {
            return Ok(false);
        }
        let mut drained = 0u64;
        loop {
            let n = self.fill_buf()?.len();
            if n == 0 {
                return Ok(self.body_done());
            }
            drained += n as u64;
            // Chunk framing counts too: long extensions around tiny chunks
            // must not make a drain read without end.
            let framing = match &self.framing {
                Framing::Chunked(d) => d.framing_bytes(),
                Framing::Length(_) => 0,
            };
            if drained + framing > max {
                return Ok(false);
            }
            self.consume(n);
        }
    }
}

/// A malformed chunked body as an I/O error (the reader cannot go on).
fn chunk_error(e: ChunkError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl Read for Rfile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Framing::Length(left) = self.framing {
            let cap = out.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            if cap > 0 && self.wire.may_bypass(cap) {
                // Large read with an empty buffer: bypass it.
                self.send_owed_continue()?;
                let n = self.wire.read_direct(&mut out[..cap])?;
                self.body_consumed(n);
                return Ok(n);
            }
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Rfile {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.send_owed_continue()?;
        match self.framing {
            Framing::Length(0) => Ok(&[]),
            Framing::Length(left) => {
                let cap = usize::try_from(left).unwrap_or(usize::MAX);
                let avail = self.wire.fill_raw()?;
                let n = avail.len().min(cap);
                Ok(&avail[..n])
            }
            Framing::Chunked(_) => self.chunk_data(),
        }
    }
    fn consume(&mut self, amt: usize) {
        self.wire.consume(amt);
        self.body_consumed(amt);
    }
}

/// A file to send: one the caller owns (a second descriptor is made if
/// the rest must wait), or one already shared.
enum FileRef<'a> {
    Owned(&'a File),
    Shared(&'a Arc<File>),
}

impl FileRef<'_> {
    fn file(&self) -> &File {
        match self {
            FileRef::Owned(f) => f,
            FileRef::Shared(f) => f,
        }
    }

    /// A descriptor the outbox may keep.
    fn to_shared(&self) -> io::Result<Arc<File>> {
        match self {
            FileRef::Owned(f) => Ok(Arc::new(f.try_clone()?)),
            FileRef::Shared(f) => Ok(Arc::clone(f)),
        }
    }
}

/// Where the response of the current request is, for what [`Wfile`]
/// accepts: body bytes only once the head went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No status line yet (or only an interim one sent).
    NoResponse,
    /// `send_response` buffered a head that `end_headers` has not sent.
    HeadBuffered,
    /// The head went out (`end_headers` / `flush_headers`): the body may follow.
    Body,
}

/// The write side of a connection (`wfile`). Writes are buffered and sent at
/// the end of each request, so headers and a small body share one `write`.
///
/// Body bytes are accepted once the response head went out
/// ([`Request::end_headers`](crate::Request::end_headers)); writing them
/// before is an `InvalidInput` error saying what to call first (CPython
/// would send them without a status line), logged by the server, which
/// closes the connection after the request.
///
/// After [`Request::end_headers_chunked`](crate::Request::end_headers_chunked)
/// what is written is sent with the chunked transfer coding (RFC 9112
/// §7.1): each flush of the buffer is one chunk, and the server ends the
/// body when the handler returns.
///
/// Under `ThreadingHttpServer`, what the client does not take at once waits
/// with the connection (a file as a range, other bytes up to
/// 256 KiB) and the server finishes sending it after the handler returned;
/// [`flush`](Write::flush) still waits until everything went out.
pub struct Wfile {
    inner: Box<dyn Transport>,
    /// Output the socket did not take yet (engine mode).
    outbox: Outbox,
    /// Whether output may wait in `outbox` for the engine to send it;
    /// otherwise every write blocks until the socket took it.
    deferring: bool,
    buf: Vec<u8>,
    /// Bytes written to the socket (or buffered) since the last reset.
    written: u64,
    /// `auto_head`: drop body bytes (headers go through `write_head`).
    discard_body: bool,
    /// Chunked body mode: where in `buf` the chunk data begins (what comes
    /// before is the response head, sent as it is).
    chunked: Option<usize>,
    /// Where the current response is: body bytes only in [`Phase::Body`].
    phase: Phase,
    /// The first misuse of this request, for the server to log.
    misuse: Option<Misuse>,
}

impl Wfile {
    pub(crate) fn new(inner: Box<dyn Transport>) -> Self {
        Wfile {
            inner,
            outbox: Outbox::default(),
            deferring: false,
            buf: Vec::new(),
            written: 0,
            discard_body: false,
            chunked: None,
            phase: Phase::NoResponse,
            misuse: None,
        }
    }

    /// Starts the response of a new request: no head yet, no misuse.
    pub(crate) fn reset_response(&mut self) {
        self.phase = Phase::NoResponse;
        self.misuse = None;
    }

    /// Moves the current response to `phase`.
    pub(crate) fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
    }

    /// Where the current response is.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// Records `m` (the first of the request) and returns it as the error.
    pub(crate) fn refuse(&mut self, m: Misuse) -> io::Error {
        self.misuse.get_or_insert_with(|| m.clone());
        m.into()
    }

    /// The misuse recorded for the current request, taken.
    pub(crate) fn take_misuse(&mut self) -> Option<Misuse> {
        self.misuse.take()
    }

    /// Refuses body bytes before the head went out.
    fn check_body(&mut self) -> io::Result<()> {
        match self.phase {
            Phase::Body => Ok(()),
            Phase::HeadBuffered => Err(self.refuse(Misuse::BodyBeforeEndHeaders)),
            Phase::NoResponse => Err(self.refuse(Misuse::BodyWithoutResponse)),
        }
    }

    /// Starts sending what is written next as chunks.
    pub(crate) fn start_chunked(&mut self) {
        self.chunked = Some(self.buf.len());
    }

    /// Ends a chunked body (the last chunk, no trailers) and leaves chunked
    /// mode; nothing when not in it.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn finish_chunked(&mut self) -> io::Result<()> {
        if self.chunked.is_none() {
            return Ok(());
        }
        self.flush_buf()?;
        self.chunked = None;
        self.buf.extend_from_slice(b"0\r\n\r\n");
        Ok(())
    }

    /// Forgets a chunked body the handler could not finish: the connection
    /// closes instead, and the missing last chunk tells the client.
    pub(crate) fn abandon_chunked(&mut self) {
        if let Some(start) = self.chunked.take() {
            // Unframed chunk data must not go out after a chunked head.
            self.buf.truncate(start);
        }
    }

    /// Sends body bytes: as they are, or as one chunk in chunked mode.
    fn emit(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.chunked.is_some() {
            // One write per chunk: size line, data, CRLF.
            let mut chunk = Vec::with_capacity(data.len() + 20);
            write!(chunk, "{:x}\r\n", data.len())?;
            chunk.extend_from_slice(data);
            chunk.extend_from_slice(b"\r\n");
            return self.out(&chunk);
        }
        self.out(data)
    }

    /// Sends `data` after what waits. Blocking unless deferring; then what
    /// the socket does not take at once waits in the outbox, and the writer
    /// waits only while the outbox holds more than [`MAX_HELD_OUTPUT`].
    fn out(&mut self, mut data: &[u8]) -> io::Result<()> {
        if !self.deferring {
            return self.inner.write_all(data);
        }
        if self.outbox.is_empty() {
            // Usually the socket takes it all, in one send.
            while !data.is_empty() {
                let n = take_some(&mut *self.inner, data)?;
                if n == 0 {
                    break;
                }
                data = &data[n..];
            }
            if data.is_empty() {
                return Ok(());
            }
        }
        self.outbox.push_bytes(data);
        while self.outbox.held() > MAX_HELD_OUTPUT {
            if self.send_queued()? == Sent::Blocked {
                self.wait_writable()?;
            }
        }
        Ok(())
    }

    /// Waits until the socket can take more, within its write timeout.
    fn wait_writable(&self) -> io::Result<()> {
        match self.inner.tcp() {
            Some(sock) => wait_socket(sock, true, sock.write_timeout()?),
            None => Ok(()),
        }
    }

    /// Lets output wait for the engine to send it when the client does not
    /// take it at once (`ThreadingHttpServer`'s connections).
    pub(crate) fn set_deferring(&mut self, on: bool) {
        self.deferring = on;
    }

    /// Whether output waits to be sent (here or in the transport).
    pub(crate) fn has_queued(&self) -> bool {
        !self.outbox.is_empty() || self.inner.wants_write()
    }

    /// Sends what waits, without blocking.
    ///
    /// # Errors
    /// I/O errors of the socket or of a file being sent.
    pub(crate) fn send_queued(&mut self) -> io::Result<Sent> {
        self.outbox.send(&mut *self.inner)
    }

    /// Bytes sent from the outbox so far (to tell progress).
    pub(crate) fn queued_progress(&self) -> u64 {
        self.outbox.progress()
    }

    /// Whether a file sent from the outbox ended before its range did (the
    /// body is short: the connection must close).
    pub(crate) fn queued_short(&self) -> bool {
        self.outbox.short()
    }

    /// Forgets what waits (the connection is being cut).
    pub(crate) fn discard_queued(&mut self) {
        self.outbox.clear(&mut *self.inner);
    }

    /// The end of a request: sends the buffer; what the client does not
    /// take now waits for the engine when deferring, else this blocks as
    /// `flush` does.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn flush_deferred(&mut self) -> io::Result<()> {
        if !self.deferring {
            return self.flush();
        }
        self.flush_buf()?;
        if !self.outbox.is_empty() {
            self.send_queued()?;
        }
        Ok(())
    }

    /// Frees the (empty) write buffer of a parked connection.
    pub(crate) fn release_idle_buffer(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        }
    }

    /// The socket underneath, if any (`None` in memory). Over TLS it
    /// carries ciphertext: use it for socket options, never to write.
    pub fn tcp(&self) -> Option<&TcpStream> {
        self.inner.tcp()
    }

    /// Ends the sending direction (TLS `close_notify`, TCP half-close).
    pub(crate) fn close_write(&mut self) {
        self.inner.close_write();
    }

    /// Total bytes written through this `wfile` on the connection.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Sends `len` bytes of `file` from its current position, with zero-copy
    /// `sendfile` where the platform and transport allow it, else by copying,
    /// and leaves the position after them. Returns the number of bytes sent
    /// (short only if the file shrank).
    ///
    /// # Errors
    /// I/O errors reading the file or writing the socket.
    pub fn send_file(&mut self, file: &mut File, len: u64) -> io::Result<u64> {
        let start = file.stream_position()?;
        let n = self.send_range(FileRef::Owned(file), start, len)?;
        file.seek(SeekFrom::Start(start + n))?;
        Ok(n)
    }

    /// [`send_file`](Self::send_file) for a [`SharedFile`] (what the stock
    /// file handler's [`Body::File`](crate::handlers::Body::File) holds):
    /// the same, from its own position, without a second descriptor when
    /// the rest must wait for a slow client.
    ///
    /// # Errors
    /// I/O errors reading the file or writing the socket.
    pub fn send_shared_file(&mut self, file: &mut SharedFile, len: u64) -> io::Result<u64> {
        let start = file.position();
        let n = self.send_range(FileRef::Shared(file.shared()), start, len)?;
        file.set_position(start + n);
        Ok(n)
    }

    /// Sends bytes `start..start + len` of `file`; fewer only if it ended.
    fn send_range(&mut self, file: FileRef<'_>, start: u64, len: u64) -> io::Result<u64> {
        if len > 0 {
            self.check_body()?;
        }
        if self.discard_body {
            return Ok(len);
        }
        if let Ok(small) = usize::try_from(len)
            && self.buf.len() + small <= WRITE_BUFFER
        {
            // A small file joins the buffered headers: one write, no sendfile.
            return self.buffer_file(file.file(), start, small);
        }
        if self.chunked.is_some() {
            // Chunks need framing around the bytes: copy, no sendfile.
            return self.copy_file(file.file(), start, len, true);
        }
        if self.deferring {
            return self.defer_file(file, start, len);
        }
        self.flush()?;
        #[cfg(target_os = "linux")]
        if let Some(sock) = self.inner.plain_tcp() {
            let n = crate::sendfile::send_file(sock, file.file(), start, len)?;
            self.written += n;
            return Ok(n);
        }
        self.copy_file(file.file(), start, len, false)
    }

    /// `send_range` when deferring: what the socket does not take at once
    /// waits in the outbox as a range of the file.
    fn defer_file(&mut self, file: FileRef<'_>, start: u64, len: u64) -> io::Result<u64> {
        self.flush_buf()?;
        let end = start.saturating_add(len);
        let mut pos = start;
        #[cfg(target_os = "linux")]
        if self.outbox.is_empty()
            && !self.inner.wants_write()
            && let Some(sock) = self.inner.plain_tcp()
            && self.outbox.sendfile_now(sock, file.file(), &mut pos, end)?
        {
            // The file ended early.
            self.written += pos - start;
            return Ok(pos - start);
        }
        if pos < end {
            self.outbox.push_file(file.to_shared()?, pos, end);
            self.send_queued()?;
        }
        self.written += len;
        Ok(len)
    }

    /// Copies up to `len` bytes of `file` from `start` through a buffer:
    /// `buffered`, as written bytes (chunk framing applies); else straight
    /// to the transport. Fewer only if the file ended early.
    fn copy_file(&mut self, file: &File, start: u64, len: u64, buffered: bool) -> io::Result<u64> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < len {
            let want = usize::try_from(len - sent)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let n = match file.read_at(&mut buf[..want], start + sent) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buffered {
                self.write_all(&buf[..n])?;
            } else {
                self.emit(&buf[..n])?;
                self.written += n as u64;
            }
            sent += n as u64;
        }
        Ok(sent)
    }

    fn buffer_file(&mut self, file: &File, start: u64, len: usize) -> io::Result<u64> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(WRITE_BUFFER);
        }
        let at = self.buf.len();
        self.buf.resize(at + len, 0);
        let mut got = 0;
        let result = loop {
            if got == len {
                break Ok(());
            }
            match file.read_at(&mut self.buf[at + got..], start + got as u64) {
                Ok(0) => break Ok(()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.truncate(at + got);
        self.written += got as u64;
        result.map(|()| got as u64)
    }

    /// `auto_head` support: while set, body bytes written are dropped; the
    /// response head still goes out (through [`Wfile::write_head`]).
    pub(crate) fn set_discard_body(&mut self, on: bool) {
        self.discard_body = on;
    }

    /// Writes the status line and headers, even while the body is
    /// discarded; the body may follow.
    pub(crate) fn write_head(&mut self, data: &[u8]) -> io::Result<()> {
        let discard = std::mem::replace(&mut self.discard_body, false);
        self.phase = Phase::Body;
        let r = self.write_all(data);
        self.discard_body = discard;
        r
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let r = match self.chunked {
            Some(start) => {
                self.chunked = Some(0);
                self.out(&buf[..start])
                    .and_then(|()| self.emit(&buf[start..]))
            }
            None => self.out(&buf),
        };
        self.buf = buf;
        self.buf.clear();
        r
    }
}

impl Write for Wfile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !data.is_empty() {
            self.check_body()?;
        }
        if self.discard_body {
            return Ok(data.len());
        }
        self.written += data.len() as u64;
        if self.buf.len() + data.len() > WRITE_BUFFER {
            self.flush_buf()?;
            if data.len() >= WRITE_BUFFER {
                self.emit(data)?;
                return Ok(data.len());
            }
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve(WRITE_BUFFER);
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        while self.send_queued()? == Sent::Blocked {
            self.wait_writable()?;
            if self.inner.tcp().is_none() {
                break;
            }
        }
        self.inner.flush()
    }
}
