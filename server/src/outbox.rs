//! Response output the socket did not take yet, kept with the connection so
//! that the engine finishes sending it when the socket becomes writable,
//! and the handler's thread goes back to the pool at once (nginx's and
//! lighttpd's write queue; CPython's threads block in `wfile.write`
//! instead).
//!
//! An [`Outbox`] holds, in order, byte pieces (response bytes a write could
//! not send) and file ranges (a `sendfile` that did not finish). Sending
//! never waits: plain TCP takes bytes with `send(MSG_DONTWAIT)` and file
//! ranges with `sendfile` on a socket switched to non-blocking mode for
//! the time the outbox holds a file (back to blocking once it is empty);
//! TLS encrypts the next piece into rustls's buffer (a file is read in
//! [`FILE_STEP`] steps) and sends the records without waiting.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::sendfile::Step;
use crate::transport::Transport;

/// Bytes of a file read per step where no `sendfile` is possible (TLS).
const FILE_STEP: usize = 64 * 1024;
/// Byte pieces shorter than this are joined to the piece before them.
const JOIN_BELOW: usize = 4 * 1024;

enum Piece {
    Bytes { data: Vec<u8>, pos: usize },
    File { file: Arc<File>, pos: u64, end: u64 },
}

/// What is waiting to be sent, in order.
#[derive(Default)]
pub(crate) struct Outbox {
    pieces: VecDeque<Piece>,
    /// Bytes held in byte pieces (memory; file ranges cost none).
    held: usize,
    /// What the sending did so far.
    state: SendState,
}

/// What an outbox's sending did so far (apart from its pieces, so that a
/// step may update it while it holds a piece).
#[derive(Default)]
struct SendState {
    /// Bytes sent from the outbox so far (to tell progress).
    sent: u64,
    /// The plain socket was put in non-blocking mode for `sendfile`.
    nonblocking: bool,
    /// A file ended before its range was sent: the body is short of its
    /// `Content-Length`, and the connection must close after it.
    short: bool,
}

/// How far a send got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Everything went out (the transport holds nothing either).
    All,
    /// The socket is full: the rest waits for writability.
    Blocked,
}

impl Outbox {
    /// Whether nothing waits here.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Bytes held in memory.
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Bytes sent from the outbox so far.
    pub(crate) fn progress(&self) -> u64 {
        self.state.sent
    }

    /// Whether a file ended before its range was sent.
    pub(crate) fn short(&self) -> bool {
        self.state.short
    }

    /// Queues `data` after what waits.
    pub(crate) fn push_bytes(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.held += data.len();
        if let Some(Piece::Bytes { data: last, .. }) = self.pieces.back_mut()
            && data.len() < JOIN_BELOW
        {
            last.extend_from_slice(data);
            return;
        }
        self.pieces.push_back(Piece::Bytes {
            data: data.to_vec(),
            pos: 0,
        });
    }

    /// Queues bytes `pos..end` of `file` after what waits.
    pub(crate) fn push_file(&mut self, file: Arc<File>, pos: u64, end: u64) {
        if pos < end {
            self.pieces.push_back(Piece::File { file, pos, end });
        }
    }

    /// Forgets what waits (the connection is being cut).
    pub(crate) fn clear(&mut self, t: &mut dyn Transport) {
        self.pieces.clear();
        self.held = 0;
        self.restore_blocking(t);
    }

    /// Sends what the transport takes now, without waiting.
    ///
    /// # Errors
    /// I/O errors of the socket or the file.
    pub(crate) fn send(&mut self, t: &mut dyn Transport) -> io::Result<Sent> {
        loop {
            if t.wants_write() {
                t.flush_nonblocking()?;
                if t.wants_write() {
                    return Ok(Sent::Blocked);
                }
            }
            let Some(front) = self.pieces.front_mut() else {
                self.restore_blocking(t);
                return Ok(Sent::All);
            };
            match front {
                Piece::Bytes { data, pos } => {
                    let n = take_some(t, &data[*pos..])?;
                    if n == 0 {
                        return Ok(Sent::Blocked);
                    }
                    *pos += n;
                    self.held -= n;
                    self.state.sent += n as u64;
                    if *pos == data.len() {
                        self.pieces.pop_front();
                    }
                }
                Piece::File { file, pos, end } => {
                    #[cfg(target_os = "linux")]
                    if let Some(sock) = t.plain_tcp() {
                        let (step, done) = self.state.sendfile_step(sock, file, pos, *end)?;
                        if step == Step::Full {
                            return Ok(Sent::Blocked);
                        }
                        if done {
                            self.pieces.pop_front();
                        }
                        continue;
                    }
                    // No zero-copy path: the next step of the file becomes
                    // a byte piece in front of the rest of the range.
                    let want = usize::try_from(*end - *pos)
                        .unwrap_or(usize::MAX)
                        .min(FILE_STEP);
                    let mut step = vec![0u8; want];
                    let n = loop {
                        match file.read_at(&mut step, *pos) {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            r => break r?,
                        }
                    };
                    if n == 0 {
                        self.state.short = true;
                        self.pieces.pop_front();
                        continue;
                    }
                    step.truncate(n);
                    *pos += n as u64;
                    if *pos >= *end {
                        self.pieces.pop_front();
                    }
                    self.held += n;
                    self.pieces.push_front(Piece::Bytes { data: step, pos: 0 });
                }
            }
        }
    }

    /// Sends bytes `*pos..end` of `file` straight to the plain socket
    /// `sock` while it takes them (the outbox must be empty), advancing
    /// `*pos`; what is left is queued by the caller. Returns whether the
    /// file ended early.
    ///
    /// # Errors
    /// I/O errors of the socket or the file.
    #[cfg(target_os = "linux")]
    pub(crate) fn sendfile_now(
        &mut self,
        sock: &TcpStream,
        file: &File,
        pos: &mut u64,
        end: u64,
    ) -> io::Result<bool> {
        debug_assert!(self.is_empty());
        let (step, done) = self.state.sendfile_step(sock, file, pos, end)?;
        if done {
            let _ = sock.set_nonblocking(false);
            self.state.nonblocking = false;
        }
        Ok(step == Step::Eof)
    }

    fn restore_blocking(&mut self, t: &mut dyn Transport) {
        if self.state.nonblocking {
            if let Some(sock) = t.plain_tcp() {
                let _ = sock.set_nonblocking(false);
            }
            self.state.nonblocking = false;
        }
    }
}

impl SendState {
    /// One non-blocking `sendfile` step of a range (the socket switched to
    /// non-blocking mode first), counted as sent; returns the step and
    /// whether the range is done (sent, or the file ended: `short`).
    #[cfg(target_os = "linux")]
    fn sendfile_step(
        &mut self,
        sock: &TcpStream,
        file: &File,
        pos: &mut u64,
        end: u64,
    ) -> io::Result<(Step, bool)> {
        if !self.nonblocking {
            sock.set_nonblocking(true)?;
            self.nonblocking = true;
        }
        let before = *pos;
        let step = crate::sendfile::send_step(sock, file, pos, end)?;
        self.sent += *pos - before;
        if step == Step::Eof {
            self.short = true;
        }
        Ok((step, step == Step::Eof || *pos >= end))
    }
}

/// Hands `data` to the transport without waiting: how many bytes it took,
/// 0 when the socket is full.
///
/// # Errors
/// I/O errors of the socket (`WriteZero` if it takes nothing yet is not
/// full).
pub(crate) fn take_some(t: &mut dyn Transport, data: &[u8]) -> io::Result<usize> {
    loop {
        match t.write_nonblocking(data) {
            Ok(0) if !data.is_empty() => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{SharedTcp, wait_socket};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (Arc<TcpStream>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Arc::new(server), client)
    }

    fn temp_file(tag: &str, contents: &[u8]) -> (std::path::PathBuf, File) {
        let path =
            std::env::temp_dir().join(format!("basehttp-outbox-{tag}-{}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        let file = File::open(&path).unwrap();
        (path, file)
    }

    fn is_nonblocking(sock: &TcpStream) -> bool {
        rustix::fs::fcntl_getfl(sock)
            .unwrap()
            .contains(rustix::fs::OFlags::NONBLOCK)
    }

    #[test]
    fn bytes_and_a_file_range_reach_a_slow_reader_in_order() {
        let (server, mut client) = pair();
        let body: Vec<u8> = (0..16u32 << 20).map(|i| (i % 251) as u8).collect();
        let (path, file) = temp_file("order", &body);
        let mut t = SharedTcp(Arc::clone(&server));
        let mut out = Outbox::default();
        out.push_bytes(b"head:");
        out.push_file(Arc::new(file), 100, body.len() as u64);
        out.push_bytes(b":tail");
        // 16 MiB is more than the socket buffers hold: the first send stops.
        assert_eq!(out.send(&mut t).unwrap(), Sent::Blocked);
        assert!(is_nonblocking(&server), "sendfile steps without blocking");
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            client.read_to_end(&mut got).unwrap();
            got
        });
        while out.send(&mut t).unwrap() == Sent::Blocked {
            wait_socket(&server, true, None).unwrap();
        }
        assert!(out.is_empty() && !out.short());
        assert!(!is_nonblocking(&server), "back to blocking once empty");
        server.shutdown(std::net::Shutdown::Write).unwrap();
        let got = reader.join().unwrap();
        let mut want = b"head:".to_vec();
        want.extend_from_slice(&body[100..]);
        want.extend_from_slice(b":tail");
        assert_eq!(got.len(), want.len());
        assert!(got == want, "bytes out of order or lost");
        assert_eq!(out.progress(), want.len() as u64);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_file_that_shrank_is_reported_short() {
        let (server, mut client) = pair();
        let (path, file) = temp_file("short", &[b'x'; 1000]);
        let mut t = SharedTcp(Arc::clone(&server));
        let mut out = Outbox::default();
        out.push_file(Arc::new(file), 0, 5000);
        assert_eq!(out.send(&mut t).unwrap(), Sent::All);
        assert!(out.short());
        server.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 1000);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_client_gone_is_an_error_and_clear_restores_blocking() {
        let (server, client) = pair();
        let (path, file) = temp_file("gone", &vec![7u8; 8 << 20]);
        let mut t = SharedTcp(Arc::clone(&server));
        let mut out = Outbox::default();
        out.push_file(Arc::new(file), 0, 8 << 20);
        assert_eq!(out.send(&mut t).unwrap(), Sent::Blocked);
        drop(client);
        let failed = loop {
            match out.send(&mut t) {
                Ok(Sent::Blocked) => wait_socket(&server, true, None).unwrap(),
                Ok(Sent::All) => break false,
                Err(_) => break true,
            }
        };
        assert!(failed, "a reset peer must fail the send");
        out.clear(&mut t);
        assert!(out.is_empty() && !is_nonblocking(&server));
        let _ = Write::flush(&mut t);
        std::fs::remove_file(path).unwrap();
    }
}
