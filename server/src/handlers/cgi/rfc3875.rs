//! Opt-in RFC 3875 §6 response handling, which CPython lacks: the script's
//! header block is parsed, `Status:` sets the status line and a `Location:`
//! without `Status:` becomes a `302` redirect.

use std::io::{self, Read, Write};

use super::runner::pump;
use crate::request::Request;

/// Largest header block accepted from a script (CPython's own header line limit).
const MAX_SCRIPT_HEAD: usize = 65_536;

/// What the script's header block says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScriptHead {
    pub(crate) code: u16,
    pub(crate) reason: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

/// Parses a complete header block (without the blank line). `None` if a line
/// is not a header, holds a CR before its end (no header or status line can
/// carry one: `send_header` refuses it), or `Status:` is not a three-digit
/// code.
pub(crate) fn parse_head(block: &[u8]) -> Option<ScriptHead> {
    let text = crate::pystr::latin1(block);
    let mut head = ScriptHead {
        code: 200,
        reason: None,
        headers: Vec::new(),
    };
    let mut status = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.contains('\r') {
            return None;
        }
        let (name, value) = line.split_once(':')?;
        let value = value.trim_matches([' ', '\t']);
        if name.is_empty() || name.contains([' ', '\t']) {
            return None;
        }
        if name.eq_ignore_ascii_case("status") {
            let (code, reason) = value.split_once(' ').unwrap_or((value, ""));
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            head.code = code.parse().ok().filter(|c| *c >= 100)?;
            head.reason = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
            status = true;
        } else {
            if name.eq_ignore_ascii_case("location") && !status {
                head.code = 302;
            }
            head.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Some(head)
}

/// Finds the end of the header block: `(block_len, body_start)`.
fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let i = buf.windows(2).position(|w| w == b"\n\n");
    let j = buf.windows(4).position(|w| w == b"\r\n\r\n");
    match (i, j) {
        (Some(i), Some(j)) if j < i => Some((j, j + 4)),
        (Some(i), _) => Some((i, i + 2)),
        (None, Some(j)) => Some((j, j + 4)),
        (None, None) => None,
    }
}

/// Reads the script's header block, sends the response head it describes,
/// then streams the rest of its output.
///
/// # Errors
/// Errors writing to the client.
pub(crate) fn relay(req: &mut Request, stdout: &mut impl Read) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (end, body) = loop {
        if let Some(found) = head_end(&buf) {
            break found;
        }
        let n = stdout.read(&mut chunk).unwrap_or(0);
        if n == 0 || buf.len() > MAX_SCRIPT_HEAD {
            req.log_error(format_args!("CGI script sent no complete header block"));
            return req.send_error_with(502, "Bad CGI script output");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let Some(head) = parse_head(&buf[..end]) else {
        req.log_error(format_args!("CGI script sent a malformed header block"));
        return req.send_error_with(502, "Bad CGI script output");
    };
    match &head.reason {
        Some(reason) => req.send_response_with(head.code, reason)?,
        None => req.send_response(head.code)?,
    }
    for (name, value) in &head.headers {
        req.send_header(name, value)?;
    }
    req.end_headers()?;
    req.wfile.write_all(&buf[body..])?;
    req.wfile.flush()?;
    pump(stdout, &mut req.wfile)
}

/// The fuzz target `cgi_head` (built with `--cfg fuzzing`; its corpus is
/// replayed by `cargo test`): a script's output, cut where [`relay`] cuts
/// it and parsed. Panics if the cut is not at the first blank line, if a
/// parsed status is not a three-digit code, if the head could not be sent
/// (`send_header` refuses CR and LF), or if the head written back out does
/// not parse to itself.
#[cfg(any(test, fuzzing))]
pub(crate) fn fuzz_script_head(data: &[u8]) {
    let block = match head_end(data) {
        Some((end, body)) => {
            assert!(matches!(&data[end..body], b"\n\n" | b"\r\n\r\n"));
            assert_eq!(head_end(&data[..end]), None);
            &data[..end]
        }
        None => data,
    };
    let Some(head) = parse_head(block) else {
        return;
    };
    assert!((100..=999).contains(&head.code), "{head:?}");
    let mut again = format!("Status: {}", head.code);
    if let Some(reason) = &head.reason {
        assert!(
            !reason.is_empty() && !reason.contains(['\r', '\n']),
            "{head:?}"
        );
        again += &format!(" {reason}");
    }
    for (name, value) in &head.headers {
        assert!(!name.is_empty() && !name.eq_ignore_ascii_case("status"));
        assert!(!name.contains(['\r', '\n']) && !value.contains(['\r', '\n']));
        again += &format!("\r\n{name}: {value}");
    }
    let again = parse_head(&crate::pystr::to_latin1(&again));
    assert_eq!(again.as_ref(), Some(&head));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_location() {
        let h = parse_head(b"Status: 404 Gone Fishing\nContent-Type: text/plain").unwrap();
        assert_eq!((h.code, h.reason.as_deref()), (404, Some("Gone Fishing")));
        assert_eq!(
            h.headers,
            vec![("Content-Type".into(), "text/plain".into())]
        );
        let h = parse_head(b"Location: http://example.com/\r\nX: y").unwrap();
        assert_eq!(h.code, 302);
        let h = parse_head(b"Status: 201\r\nLocation: /new").unwrap();
        assert_eq!((h.code, h.reason), (201, None));
        assert_eq!(parse_head(b"Status: abc"), None);
        assert_eq!(parse_head(b"no colon"), None);
        // Found by the fuzz target `cgi_head`: a bare CR reached
        // `send_header`, which refused it after the status line was
        // buffered, so the client got no response instead of a 502.
        assert_eq!(parse_head(b"Location: //example\r\xff\xff"), None);
        assert_eq!(parse_head(b"Status: 200 OK\rX: y"), None);
        assert_eq!(parse_head(b"X\r: y"), None);
        assert_eq!(head_end(b"A: b\r\n\r\nbody"), Some((4, 8)));
        assert_eq!(head_end(b"A: b\n\nbody"), Some((4, 6)));
    }
}
