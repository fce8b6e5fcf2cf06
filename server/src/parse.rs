//! Pure parsing of the request head: CPython's `parse_request` rules for the
//! request line and `http.client.parse_headers` for the header block, over
//! bytes, with no socket; and, beyond CPython, the RFC 9112 framing rules
//! that keep a body from being read as another request (`Content-Length`,
//! `Transfer-Encoding`, no whitespace before a header's colon) and the
//! `Connection` token list. [`ParseError::status`] is the one place where a
//! malformed request becomes 400, 414, 431, 501 or 505.

use crate::headers::Headers;
use crate::pystr::{latin1, py_repr, py_split};

/// Longest request line, terminator included (CPython: `rfile.readline(65537)`
/// and `len > 65536` ⇒ 414).
pub(crate) const MAX_REQUEST_LINE: usize = 65_536;
/// Longest header line (`http.client._MAXLINE`).
pub(crate) const MAX_HEADER_LINE: usize = 65_536;
/// Most header fields (`http.client._MAXHEADERS`; 3.15 accepts exactly 100).
pub(crate) const MAX_HEADERS: usize = 100;
/// Longest version component (`len(x) > 10` is rejected, gh-103204).
const MAX_VERSION_DIGITS: usize = 10;

/// Why a request head was refused. Each maps to CPython's status and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Request line longer than [`MAX_REQUEST_LINE`].
    UriTooLong,
    /// The version token is not `HTTP/<digits>.<digits>`.
    BadVersion(String),
    /// Version 2.0 or above.
    UnsupportedVersion(String),
    /// One word, or more than three.
    BadSyntax(String),
    /// Two words whose method is not `GET`.
    BadHttp09Type(String),
    /// A header line longer than [`MAX_HEADER_LINE`].
    HeaderLineTooLong,
    /// More than [`MAX_HEADERS`] header lines.
    TooManyHeaders,
    /// The header lines together exceed the server's `max_head_bytes`
    /// (beyond CPython, which has no aggregate cap).
    HeadTooLarge(usize),
    /// A `Content-Length` that is not one non-negative integer (RFC 9112 §6.3).
    BadContentLength,
    /// Whitespace between a header name and its colon (RFC 9112 §5.1: a
    /// server MUST answer 400; CPython's `email` parser ends the header
    /// block at that line, so a proxy and CPython frame the body apart).
    SpaceBeforeColon(String),
    /// Both `Content-Length` and `Transfer-Encoding` (RFC 9112 §6.3: the
    /// framing is ambiguous).
    LengthWithTransferEncoding,
    /// A `Transfer-Encoding` whose last coding is not a single `chunked`
    /// (RFC 9112 §6.3: the body length cannot be determined).
    BadTransferEncoding,
    /// A transfer coding other than `chunked` before it (RFC 9112 §6.1).
    UnsupportedTransferCoding(String),
}

impl ParseError {
    /// The status code CPython answers with; for the framing errors it
    /// doesn't check, 400, or 501 for a transfer coding this server does not
    /// implement (RFC 9112 §6.1).
    pub(crate) fn status(&self) -> u16 {
        match self {
            ParseError::UriTooLong => 414,
            ParseError::UnsupportedVersion(_) => 505,
            ParseError::UnsupportedTransferCoding(_) => 501,
            ParseError::HeaderLineTooLong
            | ParseError::TooManyHeaders
            | ParseError::HeadTooLarge(_) => 431,
            ParseError::BadVersion(_)
            | ParseError::BadSyntax(_)
            | ParseError::BadHttp09Type(_)
            | ParseError::BadContentLength
            | ParseError::SpaceBeforeColon(_)
            | ParseError::LengthWithTransferEncoding
            | ParseError::BadTransferEncoding => 400,
        }
    }

    /// `send_error`'s `message` (`None` = the status phrase).
    pub(crate) fn message(&self) -> Option<String> {
        match self {
            ParseError::UriTooLong | ParseError::HeadTooLarge(_) => None,
            ParseError::BadVersion(v) => Some(format!("Bad request version ({})", py_repr(v))),
            ParseError::UnsupportedVersion(v) => Some(format!("Invalid HTTP version ({v})")),
            ParseError::BadSyntax(l) => Some(format!("Bad request syntax ({})", py_repr(l))),
            ParseError::BadHttp09Type(c) => {
                Some(format!("Bad HTTP/0.9 request type ({})", py_repr(c)))
            }
            ParseError::HeaderLineTooLong => Some("Line too long".to_owned()),
            ParseError::TooManyHeaders => Some("Too many headers".to_owned()),
            ParseError::BadContentLength => Some("Bad Content-Length".to_owned()),
            ParseError::SpaceBeforeColon(name) => Some(format!(
                "Whitespace before the colon of header {}",
                py_repr(name)
            )),
            ParseError::LengthWithTransferEncoding => {
                Some("Content-Length with Transfer-Encoding".to_owned())
            }
            ParseError::BadTransferEncoding => Some("Bad Transfer-Encoding".to_owned()),
            ParseError::UnsupportedTransferCoding(c) => {
                Some(format!("Unsupported transfer coding ({})", py_repr(c)))
            }
        }
    }

    /// `send_error`'s `explain` (`None` = the status description).
    pub(crate) fn explain(&self) -> Option<String> {
        match self {
            ParseError::HeaderLineTooLong => Some(format!(
                "got more than {MAX_HEADER_LINE} bytes when reading header line"
            )),
            ParseError::TooManyHeaders => Some(format!("got more than {MAX_HEADERS} headers")),
            ParseError::HeadTooLarge(max) => {
                Some(format!("got more than {max} bytes of header lines"))
            }
            _ => None,
        }
    }
}

/// A request line that passed CPython's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestLine {
    /// The method, e.g. `GET`.
    pub command: String,
    /// The request target as sent, except a leading `//` collapsed to `/`
    /// (gh-87389).
    pub path: String,
    /// `HTTP/x.y`, or the default version for a two-word (HTTP/0.9) line.
    pub version: String,
    /// Whether the connection may stay open as far as the version decides.
    pub keep_alive: bool,
    /// A two-word `GET` line: answer without reading headers or a status line.
    pub http09: bool,
}

/// The outcome of `parse_request` on a request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LineOutcome {
    /// A blank or whitespace-only line: close without answering.
    Blank,
    /// A valid line.
    Ok(RequestLine),
    /// A bad line: answer with the error (always with a status line, as
    /// CPython 3.15 does, gh-54930).
    Err(ParseError),
}

/// `requestline` as CPython keeps it: latin-1, trailing CR/LF stripped.
pub(crate) fn request_line_text(raw: &[u8]) -> String {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    latin1(&raw[..end])
}

/// `parse_request`'s request-line half. `protocol_version` is the server's;
/// `default_version` is `default_request_version`.
pub(crate) fn parse_request_line(
    requestline: &str,
    protocol_version: &str,
    default_version: &str,
) -> LineOutcome {
    let words = py_split(requestline);
    if words.is_empty() {
        return LineOutcome::Blank;
    }
    let mut version = default_version.to_owned();
    let mut keep_alive = false;
    if words.len() >= 3 {
        version = words[words.len() - 1].to_owned();
        let Some((major, minor)) = parse_version(&version) else {
            return LineOutcome::Err(ParseError::BadVersion(version));
        };
        if (major, minor) >= (1, 1) && protocol_version >= "HTTP/1.1" {
            keep_alive = true;
        }
        if (major, minor) >= (2, 0) {
            let base = version.split_once('/').map_or("", |(_, b)| b).to_owned();
            return LineOutcome::Err(ParseError::UnsupportedVersion(base));
        }
    }
    if !(2..=3).contains(&words.len()) {
        return LineOutcome::Err(ParseError::BadSyntax(requestline.to_owned()));
    }
    let command = words[0].to_owned();
    let mut path = words[1].to_owned();
    let http09 = words.len() == 2;
    if http09 {
        keep_alive = false;
        if command != "GET" {
            return LineOutcome::Err(ParseError::BadHttp09Type(command));
        }
    }
    if path.starts_with("//") {
        path = format!("/{}", path.trim_start_matches('/'));
    }
    LineOutcome::Ok(RequestLine {
        command,
        path,
        version,
        keep_alive,
        http09,
    })
}

/// `HTTP/<digits>.<digits>`, each part ASCII digits, at most 10 of them.
fn parse_version(version: &str) -> Option<(u64, u64)> {
    let rest = version.strip_prefix("HTTP/")?;
    let (a, b) = rest.split_once('.')?;
    let part = |s: &str| {
        if s.is_empty() || s.len() > MAX_VERSION_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse::<u64>().ok()
        }
    };
    Some((part(a)?, part(b)?))
}

/// Whether a header line ends the header block (`\r\n`, `\n` or EOF).
pub(crate) fn is_end_of_headers(line: &[u8]) -> bool {
    matches!(line, b"\r\n" | b"\n" | b"")
}

/// Adds one raw header line (terminator included) to `headers`, as the
/// compat32 `email` parser does: `Name: value` with the value's leading
/// whitespace stripped, continuation lines (leading SP/HT) appended to the
/// previous value. Returns `Ok(false)` for a line without a colon, which ends
/// what the parser keeps (later lines go to [`check_ignored_line`]).
///
/// # Errors
/// [`ParseError::SpaceBeforeColon`] for `Name : value`.
pub(crate) fn push_header_line(headers: &mut Headers, line: &[u8]) -> Result<bool, ParseError> {
    let text = request_line_text(line);
    if text.starts_with([' ', '\t']) {
        if let Some(last) = headers.last_mut() {
            last.1.push_str("\r\n");
            last.1.push_str(&text);
        }
        return Ok(true);
    }
    let Some((name, value)) = text.split_once(':') else {
        return Ok(false);
    };
    if name.is_empty() {
        return Ok(false);
    }
    if name.ends_with([' ', '\t']) {
        return Err(ParseError::SpaceBeforeColon(name.to_owned()));
    }
    headers.push(name, value.trim_start_matches([' ', '\t']));
    Ok(true)
}

/// A header line after the one that ended what the parser keeps: CPython
/// ignores it, but a proxy in front may not, so one that frames the body
/// (`Content-Length`, `Transfer-Encoding`), or has whitespace before its
/// colon, is refused rather than ignored.
///
/// # Errors
/// [`ParseError::SpaceBeforeColon`], or a framing error for a body the
/// server would otherwise read as the next request.
pub(crate) fn check_ignored_line(line: &[u8]) -> Result<(), ParseError> {
    let text = request_line_text(line);
    let Some((name, _)) = text.split_once(':') else {
        return Ok(());
    };
    if name.ends_with([' ', '\t']) && !name.trim().is_empty() {
        return Err(ParseError::SpaceBeforeColon(name.to_owned()));
    }
    let name = name.trim_start_matches([' ', '\t']);
    if name.eq_ignore_ascii_case("content-length") {
        return Err(ParseError::BadContentLength);
    }
    if name.eq_ignore_ascii_case("transfer-encoding") {
        return Err(ParseError::BadTransferEncoding);
    }
    Ok(())
}

/// The `Connection` options of a request: whether `close` and whether
/// `keep-alive` appear. The field is a comma-separated, case-insensitive
/// token list and may repeat (RFC 9110 §7.6.1); CPython compares the whole
/// value of the first field, so `keep-alive, close` would keep it open.
pub(crate) fn connection_options(headers: &Headers) -> (bool, bool) {
    let (mut close, mut keep_alive) = (false, false);
    for token in headers
        .get_all("Connection")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim_matches([' ', '\t', '\r', '\n']))
    {
        close |= token.eq_ignore_ascii_case("close");
        keep_alive |= token.eq_ignore_ascii_case("keep-alive");
    }
    (close, keep_alive)
}

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// `Content-Length: n` (or no body: 0).
    Known(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Decides the body framing from the headers (RFC 9112 §6.3). Several
/// `Content-Length` values must agree; a malformed one is a 400. A
/// `Transfer-Encoding` must be `chunked` alone, without `Content-Length`.
/// CPython ignores both fields, which lets a body be read as the next
/// request.
///
/// # Errors
/// [`ParseError::BadContentLength`], [`ParseError::LengthWithTransferEncoding`],
/// [`ParseError::BadTransferEncoding`], [`ParseError::UnsupportedTransferCoding`].
pub(crate) fn body_length(headers: &Headers) -> Result<BodyLength, ParseError> {
    if headers.contains("Transfer-Encoding") {
        if headers.contains("Content-Length") {
            return Err(ParseError::LengthWithTransferEncoding);
        }
        let codings: Vec<&str> = headers
            .get_all("Transfer-Encoding")
            .flat_map(|v| v.split(','))
            .map(|t| t.trim_matches([' ', '\t']))
            .filter(|t| !t.is_empty())
            .collect();
        let chunked = |c: &&str| c.eq_ignore_ascii_case("chunked");
        let Some((last, before)) = codings.split_last() else {
            return Err(ParseError::BadTransferEncoding);
        };
        if !chunked(last) || before.iter().any(chunked) {
            return Err(ParseError::BadTransferEncoding);
        }
        if let Some(other) = before.first() {
            return Err(ParseError::UnsupportedTransferCoding((*other).to_owned()));
        }
        return Ok(BodyLength::Chunked);
    }
    let mut length = None;
    for value in headers.get_all("Content-Length") {
        for part in value.split(',') {
            let part = part.trim_matches([' ', '\t']);
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::BadContentLength);
            }
            let n: u64 = part.parse().map_err(|_| ParseError::BadContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(ParseError::BadContentLength);
            }
            length = Some(n);
        }
    }
    Ok(BodyLength::Known(length.unwrap_or(0)))
}

/// The fuzz target `request_head` (built with `--cfg fuzzing`; its corpus
/// is replayed by `cargo test`): the head parser over `data` as the
/// connection feeds it; panics if the framing decision disagrees with the
/// headers it came from.
#[cfg(any(test, fuzzing))]
pub(crate) fn fuzz_request_head(data: &[u8]) {
    let mut lines = data.split_inclusive(|&b| b == b'\n');
    let first = lines.next().unwrap_or(b"");
    let text = request_line_text(first);
    if let LineOutcome::Ok(line) = parse_request_line(&text, "HTTP/1.1", "HTTP/0.9") {
        assert!(!line.command.is_empty());
        assert!(!line.path.starts_with("//"));
    }
    let mut headers = Headers::new();
    let mut parsing = true;
    for line in lines {
        if is_end_of_headers(line) {
            break;
        }
        let checked = if parsing {
            push_header_line(&mut headers, line).map(|keep| parsing = keep)
        } else {
            check_ignored_line(line)
        };
        if let Err(e) = checked {
            assert!(matches!(e.status(), 400 | 501));
            return;
        }
    }
    match body_length(&headers) {
        Ok(BodyLength::Chunked) => {
            assert!(headers.contains("Transfer-Encoding"));
            assert!(!headers.contains("Content-Length"));
        }
        Ok(BodyLength::Known(n)) => {
            assert!(!headers.contains("Transfer-Encoding"));
            assert!(n == 0 || headers.contains("Content-Length"));
        }
        Err(e) => assert!(matches!(e.status(), 400 | 501)),
    }
    let (close, _) = connection_options(&headers);
    if close {
        assert!(headers.contains("Connection"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> LineOutcome {
        parse_request_line(s, "HTTP/1.1", "HTTP/0.9")
    }

    fn err(s: &str) -> (u16, String) {
        match line(s) {
            LineOutcome::Err(e) => (e.status(), e.message().unwrap_or_default()),
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn versions() {
        let bad = [
            "GET / FUBAR",
            "GET / HTTP/9.9.9",
            "GET / HTTP/-9_9_9.+9_9_9",
            "GET / HTTP/909876543210.0",
            "GET / HTTP/1.909876543210",
            "GET / HTTP/1",
            "GET / http/1.1",
            "GET / HTTP/1.\u{b2}",
            "GET / HTTP/.1",
        ];
        for s in bad {
            assert_eq!(err(s).0, 400, "{s}");
        }
        assert_eq!(err("GET / FUBAR").1, "Bad request version ('FUBAR')");
        assert_eq!(
            err("GET / HTTP/2.0"),
            (505, "Invalid HTTP version (2.0)".into())
        );
        assert_eq!(
            err("GET / HTTP/9.9"),
            (505, "Invalid HTTP version (9.9)".into())
        );
        let LineOutcome::Ok(ok) = line("GET / HTTP/01.1") else {
            panic!()
        };
        assert!(ok.keep_alive);
    }

    #[test]
    fn word_counts() {
        assert_eq!(line(""), LineOutcome::Blank);
        assert_eq!(line(" \t "), LineOutcome::Blank);
        assert_eq!(err("GET"), (400, "Bad request syntax ('GET')".into()));
        assert_eq!(
            err("GET /a b HTTP/1.0").1,
            "Bad request syntax ('GET /a b HTTP/1.0')"
        );
        assert_eq!(err("POST /x").1, "Bad HTTP/0.9 request type ('POST')");
        let LineOutcome::Ok(ok) = line("GET /x") else {
            panic!()
        };
        assert!(ok.http09 && !ok.keep_alive);
        assert_eq!(ok.version, "HTTP/0.9");
    }

    #[test]
    fn double_slash_collapsed() {
        let LineOutcome::Ok(ok) = line("GET ///evil.com/x HTTP/1.0") else {
            panic!()
        };
        assert_eq!(ok.path, "/evil.com/x");
        assert!(!ok.keep_alive);
    }

    #[test]
    fn header_lines() {
        let mut h = Headers::new();
        assert_eq!(push_header_line(&mut h, b"Host:  example\r\n"), Ok(true));
        assert_eq!(push_header_line(&mut h, b"X-Fold: a\r\n"), Ok(true));
        assert_eq!(push_header_line(&mut h, b"\tb\r\n"), Ok(true));
        assert_eq!(push_header_line(&mut h, b"no colon\r\n"), Ok(false));
        assert_eq!(push_header_line(&mut h, b"X Bad: v\r\n"), Ok(true));
        assert_eq!(h.get("host"), Some("example"));
        assert_eq!(h.get("x-fold"), Some("a\r\n\tb"));
        assert!(is_end_of_headers(b"\n") && is_end_of_headers(b"\r\n"));
    }

    #[test]
    fn content_length_framing() {
        let mut h = Headers::new();
        assert_eq!(body_length(&h), Ok(BodyLength::Known(0)));
        h.push("Content-Length", "12");
        h.push("content-length", "12");
        assert_eq!(body_length(&h), Ok(BodyLength::Known(12)));
        for bad in ["-1", "+5", "0x10", "", "1 2", "99999999999999999999"] {
            let mut h = Headers::new();
            h.push("Content-Length", bad);
            assert_eq!(body_length(&h), Err(ParseError::BadContentLength), "{bad}");
        }
        let mut h = Headers::new();
        h.push("Content-Length", "1, 2");
        assert_eq!(body_length(&h), Err(ParseError::BadContentLength));
    }

    #[test]
    fn transfer_encoding_framing() {
        let te = |values: &[&str]| {
            let mut h = Headers::new();
            for v in values {
                h.push("Transfer-Encoding", *v);
            }
            body_length(&h)
        };
        assert_eq!(te(&["chunked"]), Ok(BodyLength::Chunked));
        assert_eq!(te(&["Chunked "]), Ok(BodyLength::Chunked));
        for bad in [
            &["chunked, identity"][..],
            &["xchunked"],
            &["chunked", "chunked"],
            &["chunked, chunked"],
            &[""],
            &["identity"],
            &["chunked\r\n\tx"],
        ] {
            assert_eq!(te(bad), Err(ParseError::BadTransferEncoding), "{bad:?}");
        }
        assert_eq!(
            te(&["gzip", "chunked"]),
            Err(ParseError::UnsupportedTransferCoding("gzip".into()))
        );
        assert_eq!(
            ParseError::UnsupportedTransferCoding("gzip".into()).status(),
            501
        );
        let mut h = Headers::new();
        h.push("Transfer-Encoding", "chunked");
        h.push("Content-Length", "5");
        assert_eq!(body_length(&h), Err(ParseError::LengthWithTransferEncoding));
    }

    #[test]
    fn space_before_colon_is_refused() {
        let mut h = Headers::new();
        for line in [
            &b"Content-Length : 5\r\n"[..],
            b"Transfer-Encoding\t: chunked\r\n",
        ] {
            let e = push_header_line(&mut h, line).unwrap_err();
            assert!(matches!(e, ParseError::SpaceBeforeColon(_)), "{line:?}");
            assert_eq!(e.status(), 400);
            assert_eq!(check_ignored_line(line), Err(e));
        }
        assert!(h.is_empty());
        assert_eq!(
            check_ignored_line(b"content-length: 5\r\n"),
            Err(ParseError::BadContentLength)
        );
        assert_eq!(
            check_ignored_line(b"Transfer-Encoding: chunked\r\n"),
            Err(ParseError::BadTransferEncoding)
        );
        assert_eq!(check_ignored_line(b"X-Other: 1\r\n"), Ok(()));
        assert_eq!(check_ignored_line(b"no colon\r\n"), Ok(()));
    }

    #[test]
    fn connection_is_a_token_list() {
        let opts = |values: &[&str]| {
            let mut h = Headers::new();
            for v in values {
                h.push("Connection", *v);
            }
            connection_options(&h)
        };
        assert_eq!(opts(&[]), (false, false));
        assert_eq!(opts(&["keep-alive, close"]), (true, true));
        assert_eq!(opts(&["Close"]), (true, false));
        assert_eq!(opts(&["keep-alive", "close"]), (true, true));
        assert_eq!(opts(&["Keep-Alive"]), (false, true));
        assert_eq!(opts(&["upgrade,  CLOSE ,x"]), (true, false));
        assert_eq!(opts(&["closed"]), (false, false));
    }
}
