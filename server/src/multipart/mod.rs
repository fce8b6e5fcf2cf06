//! Streaming `multipart/form-data` (RFC 7578 over RFC 2046 §5.1): what
//! CPython's removed `cgi.FieldStorage` did for `do_POST` handlers, as a
//! blocking parser over any [`Read`] (such as `req.rfile`).
//!
//! The body is never held in memory: [`Multipart::next_part`] parses one part's
//! headers and returns a [`Part`] that reads its body up to the next boundary,
//! so a file field can be copied straight into a sink (a temp file). Bytes
//! a caller leaves unread are skipped when it asks for the next part.

mod error;
mod header;

use std::io::{self, Read, Write};

use crate::headers::Headers;

pub use error::FormError;
pub(crate) use header::split_header_value;
use header::{boundary_from_content_type, decode_ext_value};

/// Default cap on the number of parts: Werkzeug's `max_form_parts` and
/// Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS` are both 1000 (Werkzeug 2.2.3,
/// CVE-2023-25577).
pub const MAX_PARTS: usize = 1000;
/// Default cap on one part's header block, in bytes: nginx's
/// `large_client_header_buffers` line size (8k).
pub const MAX_PART_HEADER_BYTES: usize = 8 * 1024;
/// Default cap on the whole body (preamble, headers, data, epilogue read):
/// 100 MiB, Cloudflare's request body limit on its free and pro plans.
pub const MAX_TOTAL_SIZE: u64 = 100 * 1024 * 1024;
/// Default cap on a non-file field read into memory with [`Part::text`] or
/// [`Part::bytes`]: Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB).
pub const MAX_FIELD_SIZE: usize = 2_621_440;
/// How much is read from the underlying reader at a time.
const CHUNK: usize = 8 * 1024;

/// Limits of a multipart (and urlencoded) parse; [`Limits::default`] holds
/// the constants of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// At most this many parts ([`MAX_PARTS`]).
    pub max_parts: usize,
    /// At most this many bytes in one part's header block ([`MAX_PART_HEADER_BYTES`]).
    pub max_part_header_bytes: usize,
    /// At most this many body bytes in all ([`MAX_TOTAL_SIZE`]).
    pub max_total_size: u64,
    /// At most this many bytes in a field read into memory, and in a whole
    /// urlencoded body ([`MAX_FIELD_SIZE`]).
    pub max_field_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_parts: MAX_PARTS,
            max_part_header_bytes: MAX_PART_HEADER_BYTES,
            max_total_size: MAX_TOTAL_SIZE,
            max_field_size: MAX_FIELD_SIZE,
        }
    }
}

/// The headers of one part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartHeaders {
    /// `name` of `Content-Disposition: form-data; name="..."` (empty if absent).
    pub name: String,
    /// `filename` (or a UTF-8 `filename*`) if the part is a file upload.
    /// This is the client's string: never use it as a path as is.
    pub filename: Option<String>,
    /// The part's `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// All header lines in order, names as sent, values trimmed.
    pub headers: Headers,
}

impl PartHeaders {
    /// The first header called `name` (ASCII case-insensitive): [`Headers::get`].
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: data read here is discarded.
    Preamble,
    /// Inside a part's body.
    Body,
    /// Just after a delimiter line: a part's headers come next.
    Headers,
    /// After the close delimiter (the epilogue is never read).
    Done,
}

/// A streaming `multipart/form-data` parser.
pub struct Multipart<R> {
    reader: R,
    /// `\n--` + boundary: a delimiter is this, optionally preceded by `\r`.
    delimiter: Vec<u8>,
    /// Input read ahead: `buf[pos..end]` is unconsumed.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    limits: Limits,
    consumed: u64,
    parts: usize,
    state: State,
}

impl<R: Read> Multipart<R> {
    /// A parser for a body with the `Content-Type` header value `content_type`
    /// (which must be `multipart/form-data` with a `boundary`).
    ///
    /// # Errors
    /// [`FormError::NotMultipart`], [`FormError::MissingBoundary`] or
    /// [`FormError::InvalidBoundary`].
    pub fn new(reader: R, content_type: &str) -> Result<Self, FormError> {
        Self::with_limits(reader, content_type, Limits::default())
    }

    /// As [`Multipart::new`], with limits.
    ///
    /// # Errors
    /// As [`Multipart::new`].
    pub fn with_limits(reader: R, content_type: &str, limits: Limits) -> Result<Self, FormError> {
        let boundary = boundary_from_content_type(content_type)?;
        Ok(Self::with_boundary(reader, &boundary, limits))
    }

    /// A parser for parts separated by `boundary` (already validated).
    fn with_boundary(reader: R, boundary: &str, limits: Limits) -> Self {
        let mut delimiter = b"\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        // A virtual line break so that a body starting with the first
        // delimiter (no preamble) matches like any other.
        let mut buf = vec![0; CHUNK];
        buf[..2].copy_from_slice(b"\r\n");
        Multipart {
            reader,
            delimiter,
            buf,
            pos: 0,
            end: 2,
            limits,
            consumed: 0,
            parts: 0,
            state: State::Preamble,
        }
    }

    /// Bytes read from the underlying reader so far.
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The next part, or `None` after the close delimiter. Skips whatever
    /// of the previous part was left unread.
    ///
    /// # Errors
    /// Malformed input, a limit exceeded, or an I/O error.
    pub fn next_part(&mut self) -> Result<Option<Part<'_, R>>, FormError> {
        let mut scratch = [0u8; 1024];
        while matches!(self.state, State::Preamble | State::Body) {
            self.read_body(&mut scratch)?;
        }
        if self.state == State::Done {
            return Ok(None);
        }
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(FormError::TooManyParts);
        }
        let headers = self.read_headers()?;
        self.state = State::Body;
        Ok(Some(Part {
            multipart: self,
            headers,
        }))
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Reads more input; `false` at EOF.
    fn fill(&mut self) -> Result<bool, FormError> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.end + CHUNK, 0);
        }
        let n = loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(FormError::Io(e)),
            }
        };
        self.end += n;
        self.consumed += n as u64;
        if self.consumed > self.limits.max_total_size {
            return Err(FormError::TooLarge);
        }
        Ok(n > 0)
    }

    /// Makes at least `n` bytes available; `false` if the input ends first.
    fn ensure(&mut self, n: usize) -> Result<bool, FormError> {
        while self.available().len() < n {
            if !self.fill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads body (or preamble) bytes into `out`; `Ok(0)` at the part's end.
    fn read_body(&mut self, out: &mut [u8]) -> Result<usize, FormError> {
        if !matches!(self.state, State::Preamble | State::Body) || out.is_empty() {
            return Ok(0);
        }
        loop {
            let avail = self.available();
            let (data_end, candidate) = match find(avail, &self.delimiter) {
                // A delimiter's optional `\r` is not data.
                Some(i) if i > 0 && avail[i - 1] == b'\r' => (i - 1, Some(i)),
                Some(i) => (i, Some(i)),
                // All but the delimiter's length is data: a partial match
                // plus a `\r` may sit at the end.
                None => (avail.len().saturating_sub(self.delimiter.len()), None),
            };
            let emit = if data_end > 0 {
                data_end
            } else if let Some(i) = candidate {
                match self.delimiter_ends_at(i + self.delimiter.len()) {
                    Some(true) => {
                        self.pos += i + self.delimiter.len();
                        self.after_delimiter()?;
                        return Ok(0);
                    }
                    // `--boundary` followed by other text is data (as Go's
                    // `mime/multipart` treats it); emit through the `\n`.
                    Some(false) => i + 1,
                    None => 0,
                }
            } else {
                0
            };
            if emit > 0 {
                let n = emit.min(out.len());
                out[..n].copy_from_slice(&self.available()[..n]);
                self.pos += n;
                return Ok(n);
            }
            if !self.fill()? {
                return Err(FormError::Truncated);
            }
        }
    }

    /// Whether the `--boundary` match ending at `at` (in the available bytes)
    /// is a delimiter: followed by `--`, or by optional spaces and a line
    /// break (RFC 2046 §5.1.1). `None` when more input is needed to tell.
    fn delimiter_ends_at(&self, at: usize) -> Option<bool> {
        let rest = &self.available()[at..];
        match rest {
            [b'-', b'-', ..] => return Some(true),
            [] | [b'-'] => return None,
            [b'-', ..] => return Some(false),
            _ => {}
        }
        for (k, &b) in rest.iter().enumerate() {
            match b {
                b' ' | b'\t' if k < self.limits.max_part_header_bytes => {}
                b'\n' => return Some(true),
                b'\r' => return rest.get(k + 1).map(|&n| n == b'\n'),
                _ => return Some(false),
            }
        }
        None
    }

    /// After `--boundary`: `--` closes the body; otherwise optional
    /// whitespace (RFC 2046 transport padding) and a line break.
    fn after_delimiter(&mut self) -> Result<(), FormError> {
        if !self.ensure(2)? {
            return Err(FormError::Truncated);
        }
        if self.available().starts_with(b"--") {
            self.pos += 2;
            self.state = State::Done;
            return Ok(());
        }
        let mut padding = 0;
        loop {
            if !self.ensure(1)? {
                return Err(FormError::Truncated);
            }
            match self.available()[0] {
                b' ' | b'\t' if padding < self.limits.max_part_header_bytes => {
                    padding += 1;
                    self.pos += 1;
                }
                b'\r' => {
                    if !self.ensure(2)? {
                        return Err(FormError::Truncated);
                    }
                    if self.available()[1] != b'\n' {
                        return Err(FormError::Malformed("bare CR after a boundary"));
                    }
                    self.pos += 2;
                    break;
                }
                b'\n' => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(FormError::Malformed("text after a boundary")),
            }
        }
        self.state = State::Headers;
        Ok(())
    }

    /// One header line without its line ending; `None` at EOF.
    fn read_line(&mut self, budget: &mut usize) -> Result<Vec<u8>, FormError> {
        let mut searched = 0;
        loop {
            let avail = self.available();
            if let Some(i) = avail[searched..].iter().position(|&b| b == b'\n') {
                let end = searched + i;
                if end + 1 > *budget {
                    return Err(FormError::HeaderTooLarge);
                }
                *budget -= end + 1;
                let mut line = avail[..end].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.pos += end + 1;
                return Ok(line);
            }
            searched = avail.len();
            if searched > *budget {
                return Err(FormError::HeaderTooLarge);
            }
            if !self.fill()? {
                return Err(FormError::Truncated);
            }
        }
    }

    fn read_headers(&mut self) -> Result<PartHeaders, FormError> {
        let mut budget = self.limits.max_part_header_bytes;
        let mut headers = Headers::new();
        loop {
            let line = self.read_line(&mut budget)?;
            if line.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(&line);
            if line.starts_with([' ', '\t']) {
                // Obsolete line folding (RFC 5322 §2.2.3): part of the previous value.
                let Some((_, value)) = headers.last_mut() else {
                    return Err(FormError::Malformed("part header starts with whitespace"));
                };
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(FormError::Malformed("part header line without a colon"));
            };
            headers.push(name.trim(), value.trim());
        }
        let mut part = PartHeaders {
            headers,
            ..PartHeaders::default()
        };
        if let Some(cd) = part.get("Content-Disposition") {
            let (_, params) = split_header_value(cd);
            let mut filename_star = None;
            for (key, value) in params {
                match key.as_str() {
                    "name" => part.name = value,
                    "filename" => part.filename = Some(value),
                    "filename*" => filename_star = decode_ext_value(&value),
                    _ => {}
                }
            }
            if filename_star.is_some() {
                part.filename = filename_star;
            }
        }
        part.content_type = part.get("Content-Type").map(str::to_owned);
        Ok(part)
    }
}

/// One part of a [`Multipart`] body: its headers, and its data as a reader.
pub struct Part<'a, R> {
    multipart: &'a mut Multipart<R>,
    /// The part's headers.
    pub headers: PartHeaders,
}

impl<R: Read> Part<'_, R> {
    /// The field name.
    pub fn name(&self) -> &str {
        &self.headers.name
    }

    /// The client's file name, if this part is a file.
    pub fn filename(&self) -> Option<&str> {
        self.headers.filename.as_deref()
    }

    /// Copies the rest of the data into `sink` (a file, say) without
    /// buffering it all; returns the number of bytes copied.
    ///
    /// # Errors
    /// Malformed input, [`FormError::TooLarge`], [`FormError::Io`] reading
    /// or [`FormError::Write`] writing.
    pub fn copy_to(&mut self, sink: &mut impl Write) -> Result<u64, FormError> {
        self.copy_limited(sink, u64::MAX)
    }

    /// As [`copy_to`](Self::copy_to), failing with [`FormError::TooLarge`]
    /// once more than `limit` bytes have come (those bytes are in `sink`).
    ///
    /// # Errors
    /// As [`copy_to`](Self::copy_to).
    pub fn copy_limited(&mut self, sink: &mut impl Write, limit: u64) -> Result<u64, FormError> {
        let mut buf = [0u8; CHUNK];
        let mut total = 0u64;
        loop {
            let n = self.multipart.read_body(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
            if total > limit {
                return Err(FormError::TooLarge);
            }
            sink.write_all(&buf[..n]).map_err(FormError::Write)?;
        }
    }

    /// The rest of the data, at most `max_field_size` bytes.
    ///
    /// # Errors
    /// [`FormError::FieldTooLarge`], malformed input or I/O.
    pub fn bytes(&mut self) -> Result<Vec<u8>, FormError> {
        let max = self.multipart.limits.max_field_size;
        let mut out = Vec::new();
        match self.copy_limited(&mut out, max as u64) {
            Err(FormError::TooLarge) => Err(FormError::FieldTooLarge),
            r => r.map(|_| out),
        }
    }

    /// The rest of the data as text (UTF-8, U+FFFD for invalid bytes).
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes).
    pub fn text(&mut self) -> Result<String, FormError> {
        let bytes = self.bytes()?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

impl<R: Read> Read for Part<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.multipart.read_body(buf).map_err(io::Error::from)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut start = 0;
    while let Some(i) = haystack[start..=haystack.len() - needle.len()]
        .iter()
        .position(|&b| b == first)
    {
        let at = start + i;
        if &haystack[at..at + needle.len()] == needle {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// A part as [`parse_in_steps`] gives it: name, file name, data.
#[cfg(any(test, fuzzing))]
pub(crate) type PartData = (String, Option<String>, Vec<u8>);

/// A reader that returns at most `step` bytes per `read`.
#[cfg(any(test, fuzzing))]
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

#[cfg(any(test, fuzzing))]
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every part of `body` (name, file name, data), read from a reader that
/// hands over at most `step` bytes at a time: the tests' and the fuzz
/// target's way to check that the parser does not depend on read sizes.
///
/// # Errors
/// As [`Multipart::next_part`] and [`Part::copy_to`].
#[cfg(any(test, fuzzing))]
pub(crate) fn parse_in_steps(
    body: &[u8],
    content_type: &str,
    step: usize,
    limits: Limits,
) -> Result<Vec<PartData>, FormError> {
    let reader = Trickle { data: body, step };
    let mut mp = Multipart::with_limits(reader, content_type, limits)?;
    let mut out = Vec::new();
    while let Some(mut part) = mp.next_part()? {
        let mut data = Vec::new();
        part.copy_to(&mut data)?;
        out.push((part.name().to_owned(), part.headers.filename.clone(), data));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
