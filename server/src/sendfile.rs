//! Zero-copy file sending: `sendfile(2)` on Linux for a plain TCP
//! transport, a buffered copy elsewhere (over TLS the copy goes through the
//! encrypter; kernel TLS is not used). `std::io::copy` deliberately never uses
//! `sendfile` for file-to-socket copies, so this calls it explicitly.

use std::fs::File;
use std::io::{self, Read};

use crate::stream::Wfile;

/// Largest single `sendfile` request (the kernel caps one call near 2 GiB).
const SENDFILE_CHUNK: usize = 1 << 30;

/// Copies up to `len` bytes of `file`, from its current position, to `out`.
/// Returns how many bytes were sent; fewer than `len` only if the file ended
/// early (it shrank while being sent).
pub(crate) fn copy_file(file: &mut File, len: u64, out: &mut Wfile) -> io::Result<u64> {
    #[cfg(target_os = "linux")]
    if let Some(sock) = out.plain_tcp() {
        use std::io::Seek;
        let mut offset = file.stream_position()?;
        let start = offset;
        let end = start + len;
        while offset < end {
            let want = usize::try_from(end - offset)
                .unwrap_or(usize::MAX)
                .min(SENDFILE_CHUNK);
            match rustix::fs::sendfile(sock, &*file, Some(&mut offset), want) {
                Ok(0) => break,
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::AGAIN) => {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                Err(e) => return Err(e.into()),
            }
        }
        file.seek(io::SeekFrom::Start(offset))?;
        return Ok(offset - start);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent = 0u64;
    while sent < len {
        let want = usize::try_from(len - sent)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_unbuffered(&buf[..n])?;
        sent += n as u64;
    }
    Ok(sent)
}
