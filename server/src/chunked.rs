//! The chunked transfer coding of request bodies (RFC 9112 §7.1), which
//! CPython's `http.server` does not decode at all: a pure, incremental
//! decoder of the framing, driven by [`crate::Rfile`] over its read buffer.
//!
//! The decoder never copies data: it steps over framing bytes (size lines,
//! the CRLF after each chunk, trailer fields) and reports how many data bytes
//! follow, which the reader hands out and then [`consume`](Decoder::consume)s.
//! It is strict where leniency has been a smuggling vector: only hex digits
//! in a size (no sign, no `0x`, at most 16 significant digits), every line
//! ends in CRLF (no bare LF, no bare CR), whitespace only before a `;`
//! extension, no control characters in extensions or trailers, and bounded
//! size lines and trailer sections. Extensions and trailers are dropped.

use std::fmt;

/// Most bytes of one chunk-size line, extensions and CRLF included
/// (hyper allows 16 KiB of extensions per body; a size line needs 18 bytes).
pub(crate) const MAX_CHUNK_LINE: usize = 4096;

/// Most bytes of the trailer section (RFC 9112 §7.1.2), which this server
/// reads and drops. Same order as a few trailer fields need.
pub(crate) const MAX_TRAILERS: usize = 16 * 1024;

/// Why a chunked body is malformed (answered 400, or the connection closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkError {
    /// A chunk size that is not 1*HEXDIG.
    BadSize,
    /// A chunk size above `u64::MAX`.
    SizeOverflow,
    /// A size line longer than its limit.
    LineTooLong,
    /// A control character in a chunk extension.
    BadExtension,
    /// A line not ended by CRLF, or chunk data not followed by CRLF.
    BadLineEnding,
    /// A control character in a trailer field.
    BadTrailer,
    /// A trailer section longer than its limit.
    TrailersTooLong,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkError::BadSize => "invalid chunk size",
            ChunkError::SizeOverflow => "chunk size too large",
            ChunkError::LineTooLong => "chunk size line too long",
            ChunkError::BadExtension => "invalid chunk extension",
            ChunkError::BadLineEnding => "chunk line not ended by CRLF",
            ChunkError::BadTrailer => "invalid trailer field",
            ChunkError::TrailersTooLong => "trailer section too long",
        })
    }
}

impl std::error::Error for ChunkError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Hex digits of a chunk size (`digits` seen so far).
    Size { value: u64, digits: usize },
    /// Whitespace after the size: only a `;` may follow.
    SizeSpace { value: u64 },
    /// Inside chunk extensions, up to CR.
    Extension { value: u64 },
    /// CR of the size line seen; LF must follow.
    SizeLf { value: u64 },
    /// Chunk data, `left` bytes of it.
    Data { left: u64 },
    /// After the data: CR must follow.
    DataCr,
    /// After the data and CR: LF must follow.
    DataLf,
    /// At the start of a trailer line (or of the final CRLF).
    TrailerStart,
    /// Inside a trailer line.
    Trailer,
    /// CR of a trailer line seen.
    TrailerLf,
    /// CR of the final empty line seen.
    EndLf,
    /// The whole body was read.
    Done,
}

/// The state of one chunked body being decoded.
#[derive(Clone, Debug)]
pub(crate) struct Decoder {
    state: State,
    /// Bytes of the current size line.
    line: usize,
    /// Bytes of the trailer section so far.
    trailers: usize,
    /// Framing bytes stepped over in this body (size lines, CRLFs, trailers).
    framing: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder at the start of a body.
    pub(crate) fn new() -> Self {
        Decoder {
            state: State::Size {
                value: 0,
                digits: 0,
            },
            line: 0,
            trailers: 0,
            framing: 0,
        }
    }

    /// Framing bytes stepped over so far: what a body costs to read beyond
    /// its data (bounded per line, not per body, so a drain counts it).
    pub(crate) fn framing_bytes(&self) -> u64 {
        self.framing
    }

    /// Whether the last chunk and the trailer section were read.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Data bytes of the current chunk not consumed yet (0 between chunks).
    pub(crate) fn data_left(&self) -> u64 {
        match self.state {
            State::Data { left } => left,
            _ => 0,
        }
    }

    /// Marks `n` data bytes (at most [`data_left`](Self::data_left)) as read.
    pub(crate) fn consume(&mut self, n: usize) {
        if let State::Data { left } = &mut self.state {
            *left -= (n as u64).min(*left);
            if *left == 0 {
                self.state = State::DataCr;
            }
        }
    }

    /// Steps over the framing at the start of `input`, stopping where chunk
    /// data begins, at the end of the body, or at the end of `input`.
    /// Returns how many bytes of `input` were framing.
    ///
    /// # Errors
    /// A [`ChunkError`] for malformed framing; the body cannot be delimited.
    pub(crate) fn skip_framing(&mut self, input: &[u8]) -> Result<usize, ChunkError> {
        let mut used = 0;
        for &b in input {
            if matches!(self.state, State::Data { .. } | State::Done) {
                break;
            }
            self.step(b)?;
            used += 1;
        }
        Ok(used)
    }

    fn step(&mut self, b: u8) -> Result<(), ChunkError> {
        self.framing += 1;
        if matches!(
            self.state,
            State::Size { .. }
                | State::SizeSpace { .. }
                | State::Extension { .. }
                | State::SizeLf { .. }
        ) {
            self.line += 1;
            if self.line > MAX_CHUNK_LINE {
                return Err(ChunkError::LineTooLong);
            }
        }
        if matches!(
            self.state,
            State::TrailerStart | State::Trailer | State::TrailerLf | State::EndLf
        ) {
            self.trailers += 1;
            if self.trailers > MAX_TRAILERS {
                return Err(ChunkError::TrailersTooLong);
            }
        }
        self.state = match (self.state, b) {
            (State::Size { value, digits }, _) if b.is_ascii_hexdigit() => {
                let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                let value = value
                    .checked_mul(16)
                    .and_then(|v| v.checked_add(digit))
                    .ok_or(ChunkError::SizeOverflow)?;
                State::Size {
                    value,
                    digits: digits + 1,
                }
            }
            (State::Size { digits: 0, .. }, b'\n') => return Err(ChunkError::BadLineEnding),
            (State::Size { digits: 0, .. }, _) => return Err(ChunkError::BadSize),
            (State::Size { value, .. } | State::SizeSpace { value }, b' ' | b'\t') => {
                State::SizeSpace { value }
            }
            (State::Size { value, .. } | State::SizeSpace { value }, b';') => {
                State::Extension { value }
            }
            (State::Size { value, .. }, b'\r') | (State::Extension { value }, b'\r') => {
                State::SizeLf { value }
            }
            (State::Size { .. } | State::SizeSpace { .. }, b'\n') => {
                return Err(ChunkError::BadLineEnding);
            }
            (State::Size { .. } | State::SizeSpace { .. }, _) => return Err(ChunkError::BadSize),
            (State::Extension { .. }, b'\n') => return Err(ChunkError::BadLineEnding),
            (State::Extension { .. }, _) if is_ctl(b) => return Err(ChunkError::BadExtension),
            (State::Extension { value }, _) => State::Extension { value },
            (State::SizeLf { value }, b'\n') => {
                self.line = 0;
                if value == 0 {
                    State::TrailerStart
                } else {
                    State::Data { left: value }
                }
            }
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::Size {
                value: 0,
                digits: 0,
            },
            (State::TrailerStart, b'\r') => State::EndLf,
            (State::Trailer, b'\r') => State::TrailerLf,
            (State::TrailerStart | State::Trailer, _) if b == b'\n' => {
                return Err(ChunkError::BadLineEnding);
            }
            (State::TrailerStart | State::Trailer, _) if is_ctl(b) => {
                return Err(ChunkError::BadTrailer);
            }
            (State::TrailerStart | State::Trailer, _) => State::Trailer,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::EndLf, b'\n') => State::Done,
            (
                State::SizeLf { .. }
                | State::DataCr
                | State::DataLf
                | State::TrailerLf
                | State::EndLf,
                _,
            ) => return Err(ChunkError::BadLineEnding),
            (State::Data { .. } | State::Done, _) => self.state,
        };
        Ok(())
    }
}

/// A control character other than HTAB (not allowed in extensions or fields).
fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Decodes a whole chunked body held in memory: the data, and how many bytes
/// of `input` the body took (the rest belongs to the next request). `None`
/// if `input` ends before the body does.
///
/// # Errors
/// A [`ChunkError`] for malformed framing.
#[cfg(any(test, fuzzing))]
pub(crate) fn decode_all(input: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ChunkError> {
    decode_in_steps(input, usize::MAX)
}

/// As [`decode_all`], with the decoder shown at most `step` bytes at a time,
/// as a reader with a small buffer would: the result must not depend on it.
///
/// # Errors
/// A [`ChunkError`] for malformed framing.
#[cfg(any(test, fuzzing))]
pub(crate) fn decode_in_steps(
    input: &[u8],
    step: usize,
) -> Result<Option<(Vec<u8>, usize)>, ChunkError> {
    let step = step.max(1);
    let mut dec = Decoder::new();
    let mut data = Vec::new();
    let mut pos = 0;
    while !dec.is_done() {
        if pos == input.len() {
            return Ok(None);
        }
        let window = &input[pos..input.len().min(pos.saturating_add(step))];
        let framing = dec.skip_framing(window)?;
        let n = usize::try_from(dec.data_left())
            .unwrap_or(usize::MAX)
            .min(window.len() - framing);
        data.extend_from_slice(&window[framing..framing + n]);
        dec.consume(n);
        pos += framing + n;
    }
    Ok(Some((data, pos)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &[u8]) -> (Vec<u8>, usize) {
        decode_all(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .unwrap_or_else(|| panic!("{input:?}: incomplete"))
    }

    fn err(input: &[u8]) -> ChunkError {
        match decode_all(input) {
            Err(e) => e,
            other => panic!("{:?} decoded as {other:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        assert_eq!(ok(b"0\r\n\r\n"), (vec![], 5));
        assert_eq!(ok(b"5\r\nhello\r\n0\r\n\r\nGET"), (b"hello".to_vec(), 15));
        assert_eq!(
            ok(b"3;a=b\r\nabc\r\nA ; x\r\n0123456789\r\n000\r\nX-T: 1\r\n\r\n").0,
            b"abc0123456789"
        );
        assert_eq!(ok(b"00000000000000000001\r\nz\r\n0\r\n\r\n").0, b"z");
        assert_eq!(decode_all(b"ffffffffffffffff\r\n"), Ok(None));
    }

    #[test]
    fn incomplete_is_not_an_error() {
        assert_eq!(decode_all(b""), Ok(None));
        assert_eq!(decode_all(b"5\r\nhel"), Ok(None));
        assert_eq!(decode_all(b"5\r\nhello\r\n0\r\n"), Ok(None));
    }

    #[test]
    fn rejects_what_smuggling_relies_on() {
        for bad in [
            &b"-1\r\n"[..],
            b"0x1\r\nz\r\n0\r\n\r\n",
            b"+1\r\n",
            b"\r\n",
            b" 1\r\nz\r\n",
            b"1 \r\nz\r\n",
            b"g\r\n",
        ] {
            assert_eq!(err(bad), ChunkError::BadSize, "{bad:?}");
        }
        assert_eq!(err(b"10000000000000000\r\n"), ChunkError::SizeOverflow);
        assert_eq!(err(b"5\nhello\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"5\r\nhello\n0\r\n\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"5\r\nhelloXX0\r\n\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"1;a\rb\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"1;a\x01b\r\n"), ChunkError::BadExtension);
        assert_eq!(err(b"1;a\nb\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"0\r\nX: a\nb\r\n\r\n"), ChunkError::BadLineEnding);
        assert_eq!(err(b"0\r\nX: a\x01\r\n\r\n"), ChunkError::BadTrailer);
        assert_eq!(err(b"0\r\n\n"), ChunkError::BadLineEnding);
    }

    #[test]
    fn limits() {
        let mut line = b"1;".to_vec();
        line.resize(MAX_CHUNK_LINE + 1, b'x');
        assert_eq!(err(&line), ChunkError::LineTooLong);
        let mut trailers = b"0\r\n".to_vec();
        while trailers.len() < MAX_TRAILERS + 16 {
            trailers.extend_from_slice(b"X-T: 0123456789\r\n");
        }
        assert_eq!(err(&trailers), ChunkError::TrailersTooLong);
    }

    #[test]
    fn any_window_size_gives_the_same_result() {
        let inputs: [&[u8]; 4] = [
            b"4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nA: b\r\n\r\nNEXT",
            b"5\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloXX",
            b"3\r\nab",
        ];
        for input in inputs {
            let whole = decode_all(input);
            for step in 1..input.len() {
                assert_eq!(decode_in_steps(input, step), whole, "{input:?} step {step}");
            }
        }
        assert_eq!(
            ok(inputs[0]),
            (b"Wikipedia in\r\n\r\nchunks.".to_vec(), inputs[0].len() - 4)
        );
    }
}
