//! Zero-copy file sending: `sendfile(2)` on Linux for a plain TCP
//! transport, blocking ([`send_file`]) or one step at a time on a
//! non-blocking socket ([`send_step`], for the engine's outbox).
//! Elsewhere `Wfile::send_file` copies through a buffer, and over TLS
//! through the encrypter; kernel TLS is not used. `std::io::copy`
//! deliberately never uses `sendfile` for file-to-socket copies, so this
//! calls it explicitly.

use std::fs::File;
use std::io;
use std::net::TcpStream;

/// Largest single `sendfile` request (the kernel caps one call near 2 GiB).
const SENDFILE_CHUNK: usize = 1 << 30;

/// Sends bytes `start..start + len` of `file` to `sock` with
/// `sendfile(2)` (the file's own offset is left alone). Returns how many
/// bytes were sent; fewer than `len` only if the file ended early (it
/// shrank while being sent).
///
/// # Errors
/// I/O errors; a socket that stays full past its write timeout is `TimedOut`.
#[cfg(target_os = "linux")]
pub(crate) fn send_file(sock: &TcpStream, file: &File, start: u64, len: u64) -> io::Result<u64> {
    let end = start + len;
    let mut offset = start;
    // On a blocking socket a step ends at the end of the range or the
    // file, or with `EAGAIN` when the write timeout passed.
    if send_step(sock, file, &mut offset, end)? != Step::Eof && offset < end {
        return Err(io::Error::from(io::ErrorKind::TimedOut));
    }
    Ok(offset - start)
}

/// What one non-blocking `sendfile` step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Some bytes went out (`pos` moved past them).
    Sent,
    /// The socket is full.
    Full,
    /// The file ended before `end`.
    Eof,
}

/// Sends bytes `*pos..end` of `file` to a non-blocking `sock` until the
/// socket is full, the range is sent or the file ends, advancing `*pos`.
///
/// # Errors
/// I/O errors of the socket or the file.
#[cfg(target_os = "linux")]
pub(crate) fn send_step(
    sock: &TcpStream,
    file: &File,
    pos: &mut u64,
    end: u64,
) -> io::Result<Step> {
    let mut step = Step::Full;
    while *pos < end {
        let want = usize::try_from(end - *pos)
            .unwrap_or(usize::MAX)
            .min(SENDFILE_CHUNK);
        match rustix::fs::sendfile(sock, file, Some(pos), want) {
            Ok(0) => return Ok(Step::Eof),
            Ok(_) => step = Step::Sent,
            Err(rustix::io::Errno::AGAIN) => return Ok(step),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Step::Sent)
}
