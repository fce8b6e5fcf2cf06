//! Compression on the fly (the `compress` cargo feature), beyond CPython:
//! a file read through a `br`, `zstd` or `gzip` encoder (RFC 9110 §8.4.1)
//! as the body is sent, with levels suited to compressing per request.
//! The crates, and why these: `docs/files.md`.

use std::io::{self, Read};

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

/// How much of the file an encoder reads at a time (the size of the reads
/// the uncompressed path makes too).
const READ_CHUNK: usize = 64 * 1024;

/// The encoded stream of `len` bytes of `file` (what it held when opened:
/// a file that grows meanwhile is cut there, one that shrinks ends early).
/// The encoder is built at the first read, so a `HEAD` never pays for it.
pub(crate) fn encoder(file: SharedFile, len: u64, coding: ContentCoding) -> Box<dyn Read + Send> {
    Box::new(Lazy::Pending(file.take(len), coding))
}

/// An encoder not built until it is read.
enum Lazy {
    Pending(io::Take<SharedFile>, ContentCoding),
    Running(Box<dyn Read + Send>),
    /// Only while switching from `Pending` to `Running`.
    Empty,
}

impl Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Lazy::Pending(..) = self
            && let Lazy::Pending(input, coding) = std::mem::replace(self, Lazy::Empty)
        {
            *self = Lazy::Running(build(input, coding)?);
        }
        match self {
            Lazy::Running(r) => r.read(buf),
            Lazy::Pending(..) | Lazy::Empty => Ok(0),
        }
    }
}

/// The encoder for `coding` reading `input`.
fn build(input: io::Take<SharedFile>, coding: ContentCoding) -> io::Result<Box<dyn Read + Send>> {
    Ok(match coding {
        ContentCoding::Brotli => Box::new(brotli::CompressorReader::new(
            input,
            READ_CHUNK,
            BROTLI_QUALITY,
            BROTLI_LGWIN,
        )),
        ContentCoding::Zstd => Box::new(zstd::stream::read::Encoder::with_buffer(
            io::BufReader::with_capacity(READ_CHUNK, input),
            ZSTD_LEVEL,
        )?),
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

    /// Every coding round-trips through its crate's decoder, and a file
    /// is cut at the length it had when opened.
    #[test]
    fn round_trips() {
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
            encoder(SharedFile::new(File::open(&path).unwrap()), len, coding)
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
