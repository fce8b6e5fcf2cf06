//! The small pieces of Python string behaviour whose exact output a client or
//! a log reader sees: latin-1 decoding, `str.split()` whitespace, `repr()`,
//! `int(s)`, `html.escape(s, quote=False)` and `log_message`'s
//! control-character table.

/// Decodes bytes as latin-1 (every byte is the code point of the same value),
/// as CPython decodes request lines and headers.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Encodes a string as latin-1; characters above U+00FF become `?`
/// (CPython raises `UnicodeEncodeError` there; a server must not).
pub(crate) fn to_latin1(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    push_latin1(&mut out, s);
    out
}

/// Appends `s` encoded as latin-1 to `out`, as [`to_latin1`] does.
pub(crate) fn push_latin1(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.extend(
            s.chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
        );
    }
}

/// Python's `str.strip()` with no argument: surrounding characters for
/// which `str.isspace()` is true, in all of Unicode (Rust's `White_Space`
/// plus the separators `\x1c`-`\x1f`, checked against CPython 3.11 over
/// every code point). Used for the TLS password file.
#[cfg(feature = "tls")]
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\x1c'..='\x1f'))
}

/// Python's `str.isspace()` for the latin-1 range: the separators of
/// `str.split()` (`\t \n \v \f \r`, `\x1c`-`\x1f`, space, `\x85`, `\xa0`).
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Python's `str.split()` with no arguments.
pub(crate) fn py_split(s: &str) -> Vec<&str> {
    s.split(is_py_space).filter(|w| !w.is_empty()).collect()
}

/// Why [`py_int`] gave no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyIntError {
    /// Not an integer literal: Python raises `ValueError`.
    Invalid,
    /// A valid literal beyond `i128`, which Python's unbounded `int` still
    /// returns (callers decide what such a value means).
    TooLarge,
}

/// Python's `int(s)` for an ASCII literal: surrounding whitespace
/// (`str::trim`), one optional sign, decimal digits with single `_`s
/// between them.
///
/// # Errors
/// [`PyIntError::Invalid`] where Python raises `ValueError`,
/// [`PyIntError::TooLarge`] beyond `i128`.
pub fn py_int(s: &str) -> Result<i128, PyIntError> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let neg = t.starts_with('-');
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return Err(PyIntError::Invalid);
    }
    let mut n: i128 = 0;
    for b in digits.bytes().filter(u8::is_ascii_digit) {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i128::from(b - b'0')))
            .ok_or(PyIntError::TooLarge)?;
    }
    Ok(if neg { -n } else { n })
}

/// Python's `repr()` of a string, as `%r` formats it.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character, exact in the latin-1 range
/// (which is all a request line can hold) and an approximation above it.
fn is_printable(c: char) -> bool {
    match u32::from(c) {
        0x00..=0x1f | 0x7f..=0xa0 | 0xad => false,
        0x2028 | 0x2029 | 0xfeff | 0xd800..=0xdfff => false,
        _ => !c.is_whitespace() || c == ' ',
    }
}

/// `urllib.parse.unquote(s)`: percent-decodes, invalid UTF-8 becoming U+FFFD.
pub(crate) fn unquote(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    String::from_utf8_lossy(&unquote_to_bytes(s.as_bytes())).into_owned()
}

/// `urllib.parse.unquote_to_bytes`: each `%XX` becomes its byte; a `%` not
/// followed by two hex digits stays as it is.
pub(crate) fn unquote_to_bytes(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && i + 2 < s.len()
            && let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `html.escape(s, quote=False)`: only `&`, `<` and `>`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    push_html_escaped(&mut out, s.as_bytes());
    // Only ASCII bytes were replaced, by ASCII: still UTF-8.
    String::from_utf8(out).expect("escaping ASCII keeps UTF-8 valid")
}

/// Appends `s` to `out` with `html.escape(quote=False)` applied, over bytes
/// (file names need not be UTF-8).
pub(crate) fn push_html_escaped(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            _ => out.push(b),
        }
    }
}

/// `log_message`'s translation table (gh-100001): `\x00`-`\x1f` and
/// `\x7f`-`\x9f` become `\xHH`, and `\` becomes `\\`.
pub(crate) fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match u32::from(c) {
            0x00..=0x1f | 0x7f..=0x9f => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            _ if c == '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "tls")]
    fn strip_matches_python() {
        // (input, "input".strip() in CPython 3.11)
        let cases = [
            (" secret \n", "secret"),
            ("\u{3000}\x1c pass word\u{2029}\r\n", "pass word"),
            ("\u{feff}bom\n", "\u{feff}bom"),
            ("\u{200b}zwsp", "\u{200b}zwsp"),
            ("\t\x0b\x0c\u{85}\u{a0}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(py_strip(input), want, "{input:?}");
        }
    }

    #[test]
    fn int_matches_python() {
        let cases: &[(&str, Result<i128, PyIntError>)] = &[
            ("8000", Ok(8000)),
            (" 8000\n", Ok(8000)),
            ("+12", Ok(12)),
            ("-0100", Ok(-100)),
            ("1_000", Ok(1000)),
            ("", Err(PyIntError::Invalid)),
            ("-", Err(PyIntError::Invalid)),
            ("_1", Err(PyIntError::Invalid)),
            ("1_", Err(PyIntError::Invalid)),
            ("1__0", Err(PyIntError::Invalid)),
            ("+-1", Err(PyIntError::Invalid)),
            ("1 0", Err(PyIntError::Invalid)),
            ("0x10", Err(PyIntError::Invalid)),
            ("170141183460469231731687303715884105727", Ok(i128::MAX)),
            (
                "170141183460469231731687303715884105728",
                Err(PyIntError::TooLarge),
            ),
            (
                "-99999999999999999999999999999999999999999",
                Err(PyIntError::TooLarge),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(py_int(input), *want, "{input:?}");
        }
    }

    #[test]
    fn repr_matches_python() {
        let cases = [
            ("GET", "'GET'"),
            ("a'b", "\"a'b\""),
            ("a'b\"c", "'a\\'b\"c'"),
            ("\x1b[31m\\x", "'\\x1b[31m\\\\x'"),
            ("t\tn\nr\r", "'t\\tn\\nr\\r'"),
            ("\u{a0}\u{ad}\u{e9}\u{7f}", "'\\xa0\\xad\u{e9}\\x7f'"),
            ("", "''"),
        ];
        for (input, want) in cases {
            assert_eq!(py_repr(input), want, "{input:?}");
        }
    }

    #[test]
    fn split_uses_python_whitespace() {
        assert_eq!(
            py_split("  GET\t/a\x0b\x0cHTTP/1.0\x1c\u{85}x\u{a0}y "),
            ["GET", "/a", "HTTP/1.0", "x", "y"]
        );
        assert!(py_split(" \t\r\n").is_empty());
        assert_eq!(py_split("a\u{e9}b"), ["a\u{e9}b"]);
    }

    #[test]
    fn unquote_to_bytes_matches_python() {
        let cases: [(&str, &[u8]); 6] = [
            ("a%20b", b"a b"),
            ("%e2%82%AC", "\u{20ac}".as_bytes()),
            ("100%", b"100%"),
            ("%zz%4", b"%zz%4"),
            ("%%41", b"%A"),
            ("+", b"+"),
        ];
        for (input, want) in cases {
            assert_eq!(unquote_to_bytes(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn html_escape_leaves_quotes() {
        assert_eq!(
            html_escape("<script>alert(\"x\")&'</script>"),
            "&lt;script&gt;alert(\"x\")&amp;'&lt;/script&gt;"
        );
    }

    #[test]
    fn test_unprintable_not_logged() {
        assert_eq!(escape_control("/\x1bbar\x00\x1b"), "/\\x1bbar\\x00\\x1b");
        assert_eq!(
            escape_control("\x1b\x7f\u{9f}\u{a0}beans"),
            "\\x1b\\x7f\\x9f\u{a0}beans"
        );
        assert_eq!(
            escape_control("\"GET /foo\\b\"ar\x07 HTTP/1.0\""),
            "\"GET /foo\\\\b\"ar\\x07 HTTP/1.0\""
        );
    }

    #[test]
    fn latin1_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(to_latin1(&latin1(&all)), all);
        assert_eq!(to_latin1("\u{20ac}"), b"?");
    }
}
