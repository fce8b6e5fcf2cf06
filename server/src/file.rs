//! [`SharedFile`]: an open file that several requests may read at once,
//! each at its own position (`pread`/`sendfile` with an offset, never the
//! descriptor's shared offset). The stock file handler serves from it so
//! that its open-file cache can hand one descriptor to many requests;
//! CPython opens the file for every request instead.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// An open file read at a position of its own; cloning it shares the
/// descriptor, not the position.
///
/// ```
/// use std::io::{Read, Seek, SeekFrom};
/// use basehttp::handlers::SharedFile;
///
/// # let path = std::env::temp_dir().join(format!("sharedfile-doc-{}", std::process::id()));
/// # std::fs::write(&path, b"hello world")?;
/// let mut a = SharedFile::from(std::fs::File::open(&path)?);
/// let mut b = a.clone();
/// a.seek(SeekFrom::Start(6))?;
/// let mut word = String::new();
/// a.read_to_string(&mut word)?;
/// assert_eq!(word, "world");
/// assert_eq!(b.position(), 0);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SharedFile {
    file: Arc<File>,
    pos: u64,
}

impl SharedFile {
    /// `file`, read from its start.
    pub fn new(file: File) -> Self {
        Self::from_shared(Arc::new(file))
    }

    pub(crate) fn from_shared(file: Arc<File>) -> Self {
        SharedFile { file, pos: 0 }
    }

    /// The descriptor, shared.
    pub(crate) fn shared(&self) -> &Arc<File> {
        &self.file
    }

    /// The open file (for its metadata; reading it through `&File` would
    /// move the offset every holder shares: read through `self` instead).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Where the next read starts.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub(crate) fn set_position(&mut self, pos: u64) {
        self.pos = pos;
    }
}

impl From<File> for SharedFile {
    fn from(file: File) -> Self {
        SharedFile::new(file)
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base_plus = |base: u64, delta: i64| {
            base.checked_add_signed(delta)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))
        };
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => base_plus(self.pos, d)?,
            SeekFrom::End(d) => base_plus(self.file.metadata()?.len(), d)?,
        };
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_read_at_their_own_positions() {
        let path = std::env::temp_dir().join(format!("sharedfile-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let mut a = SharedFile::new(File::open(&path).unwrap());
        let mut b = a.clone();
        let mut four = [0u8; 4];
        a.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"0123");
        b.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"0123", "b's position is its own");
        assert_eq!(a.seek(SeekFrom::End(-2)).unwrap(), 8);
        let mut rest = Vec::new();
        a.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"89");
        assert_eq!(a.seek(SeekFrom::Current(-10)).unwrap(), 0);
        assert!(a.seek(SeekFrom::Current(-1)).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
