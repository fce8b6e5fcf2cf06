//! Compression on the fly (the `compress` cargo feature), beyond CPython:
//! a file read through a `br`, `zstd` or `gzip` encoder (RFC 9110 §8.4.1)
//! as the body is sent, with levels suited to compressing per request.
//! The crates, and why these: `docs/files.md`.

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::encoding::ContentCoding;
use crate::file::SharedFile;

/// Brotli quality (0-11) on the fly: 4, two below ngx_brotli's default
/// `brotli_comp_level` (6), since this server compresses on the request's
/// own thread; the top qualities (10, 11) are for precompressing.
const BROTLI_QUALITY: u32 = 4;

/// Brotli window, log2 bytes: 19 (512 KiB) is ngx_brotli's default
/// `brotli_window` and bounds the encoder's memory per response.
const BROTLI_LGWIN: u32 = 19;

/// zstd level on the fly: 3, zstd's own default (`ZSTD_CLEVEL_DEFAULT`).
const ZSTD_LEVEL: i32 = 3;

/// gzip level on the fly: 6, zlib's default (`Z_DEFAULT_COMPRESSION`) and
/// nginx's usual `gzip_comp_level` in published configurations.
const GZIP_LEVEL: u32 = 6;

/// zstd window, log2 bytes: 20 (1 MiB) at most, where level 3 would take
/// 2 MiB for input of unknown size; the pledged size (the file's length)
/// shrinks it further for smaller files.
const ZSTD_WINDOW_LOG: u32 = 20;

/// How much of the file an encoder reads at a time (the size of the reads
/// the uncompressed path makes too).
const READ_CHUNK: usize = 64 * 1024;

/// Most encoders alive at once in the process. Each holds up to a few
/// MiB (brotli's and zstd's windows and tables) for as long as its client
/// takes to read the response; past this, files go out as stored, which
/// the client accepts too. 64 × ~4 MiB bounds the total near 256 MiB.
const MAX_ENCODERS: usize = 64;

static ENCODERS: AtomicUsize = AtomicUsize::new(0);

/// One of the [`MAX_ENCODERS`]; given back when dropped.
pub(crate) struct Permit(());

impl Permit {
    /// Whether a permit is free now.
    pub(crate) fn available() -> bool {
        ENCODERS.load(Ordering::Acquire) < MAX_ENCODERS
    }

    /// A permit, if fewer than [`MAX_ENCODERS`] are out.
    pub(crate) fn take() -> Option<Permit> {
        ENCODERS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_ENCODERS).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(()))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        ENCODERS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The encoded stream of `len` bytes of `file` (what it held when opened:
/// a file that grows meanwhile is cut there; one that shrinks is an
/// `UnexpectedEof` error, so the response is cut off rather than ended as
/// if whole). The encoder is built at the first read, so a `HEAD` never
/// pays for it; `permit` is held until the stream is dropped.
pub(crate) fn encoder(
    file: SharedFile,
    len: u64,
    coding: ContentCoding,
    permit: Permit,
) -> Box<dyn Read + Send> {
    let input = Exact {
        file: file.take(len),
        left: len,
    };
    Box::new(Lazy {
        state: State::Pending(input, coding),
        _permit: permit,
    })
}

/// Exactly `left` more bytes of the file, or an error.
struct Exact {
    file: io::Take<SharedFile>,
    left: u64,
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while being compressed",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// An encoder not built until it is read.
struct Lazy {
    state: State,
    _permit: Permit,
}

enum State {
    Pending(Exact, ContentCoding),
    Running(Box<dyn Read + Send>),
    /// Only while switching from `Pending` to `Running`.
    Empty,
}

impl Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let State::Pending(..) = self.state
            && let State::Pending(input, coding) = std::mem::replace(&mut self.state, State::Empty)
        {
            self.state = State::Running(build(input, coding)?);
        }
        match &mut self.state {
            State::Running(r) => r.read(buf),
            State::Pending(..) | State::Empty => Ok(0),
        }
    }
}

/// The encoder for `coding` reading `input`.
fn build(input: Exact, coding: ContentCoding) -> io::Result<Box<dyn Read + Send>> {
    let len = input.left;
    Ok(match coding {
        ContentCoding::Brotli => Box::new(brotli::CompressorReader::new(
            input,
            READ_CHUNK,
            BROTLI_QUALITY,
            BROTLI_LGWIN,
        )),
        ContentCoding::Zstd => {
            let mut e = zstd::stream::read::Encoder::with_buffer(
                io::BufReader::with_capacity(READ_CHUNK, input),
                ZSTD_LEVEL,
            )?;
            e.set_pledged_src_size(Some(len))?;
            e.window_log(ZSTD_WINDOW_LOG)?;
            Box::new(e)
        }
        ContentCoding::Gzip => Box::new(flate2::read::GzEncoder::new(
            io::BufReader::with_capacity(READ_CHUNK, input),
            flate2::Compression::new(GZIP_LEVEL),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    /// The tests that take permits, one at a time (one of them takes all).
    static PERMITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A file shorter than the length it had when opened is an error at
    /// its end, never an encoded stream that looks whole.
    #[test]
    fn a_file_that_shrank_is_an_error() {
        let _one = PERMITS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("basehttp-shrunk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        std::fs::write(&path, vec![b'a'; 5000]).unwrap();
        for coding in ContentCoding::ALL {
            let permit = Permit::take().unwrap();
            let file = SharedFile::new(File::open(&path).unwrap());
            let err = encoder(file, 6000, coding, permit)
                .read_to_end(&mut Vec::new())
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{coding:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// At most [`MAX_ENCODERS`] at once; a dropped one frees its place.
    #[test]
    fn encoders_are_capped() {
        let _one = PERMITS.lock().unwrap_or_else(|e| e.into_inner());
        // Integration code elsewhere in this process holds none here.
        let mut held = Vec::new();
        while let Some(p) = Permit::take() {
            held.push(p);
        }
        assert_eq!(held.len(), MAX_ENCODERS);
        assert!(!Permit::available());
        held.pop();
        assert!(Permit::available());
        assert!(Permit::take().is_some());
    }

    /// Every coding round-trips through its crate's decoder, and a file
    /// is cut at the length it had when opened.
    #[test]
    fn round_trips() {
        let _one = PERMITS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("basehttp-compress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&text)
            .unwrap();
        for coding in ContentCoding::ALL {
            let mut encoded = Vec::new();
            let len = text.len() as u64 - 10;
            let permit = Permit::take().unwrap();
            encoder(
                SharedFile::new(File::open(&path).unwrap()),
                len,
                coding,
                permit,
            )
            .read_to_end(&mut encoded)
            .unwrap();
            assert!(
                encoded.len() < text.len() / 4,
                "{coding:?}: {}",
                encoded.len()
            );
            let mut decoded = Vec::new();
            match coding {
                ContentCoding::Brotli => {
                    brotli::Decompressor::new(&encoded[..], 4096).read_to_end(&mut decoded)
                }
                ContentCoding::Zstd => zstd::stream::read::Decoder::new(&encoded[..])
                    .unwrap()
                    .read_to_end(&mut decoded),
                ContentCoding::Gzip => {
                    flate2::read::GzDecoder::new(&encoded[..]).read_to_end(&mut decoded)
                }
            }
            .unwrap();
            assert_eq!(decoded, text[..text.len() - 10], "{coding:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
