//! Access and error logging: `log_request`, `log_error` and `log_message`
//! of `BaseHTTPRequestHandler`, in CPython's exact format:
//! `127.0.0.1 - - [23/Nov/2026 12:06:36] "GET / HTTP/1.0" 200 -`.
//! Where the lines go (stderr, buffered per thread on the engine's pool):
//! [`buffer`].

use std::time::SystemTime;

pub(crate) mod buffer;

pub(crate) use buffer::log_line;

use crate::date::log_date_time_string;
use crate::pystr::is_py_space;

/// `"%s - - [%s] %s\n" % (address_string(), log_date_time_string(), message)`
/// (`message` as `Request::log_message` passes it: escaped).
pub(crate) fn format_log_line(address: &str, now: SystemTime, message: &str) -> String {
    format!(
        "{} - - [{}] {}\n",
        address,
        log_date_time_string(now),
        message
    )
}

/// The request line as 3.15's `log_request` shows it: three parts re-joined
/// with single spaces (the third keeps its inner whitespace), otherwise as is.
pub(crate) fn log_requestline(requestline: &str) -> String {
    let trimmed = requestline.trim_start_matches(is_py_space);
    let mut parts = trimmed.splitn(2, is_py_space);
    let (Some(method), Some(rest)) = (parts.next(), parts.next()) else {
        return requestline.to_owned();
    };
    let rest = rest.trim_start_matches(is_py_space);
    let mut parts = rest.splitn(2, is_py_space);
    let (Some(path), Some(tail)) = (parts.next(), parts.next()) else {
        return requestline.to_owned();
    };
    let tail = tail.trim_start_matches(is_py_space);
    if tail.is_empty() {
        return requestline.to_owned();
    }
    format!("{method} {path} {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn line_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            format_log_line("127.0.0.1", t, "\"GET / HTTP/1.0\" 200 -"),
            "127.0.0.1 - - [14/Nov/2023 22:13:20] \"GET / HTTP/1.0\" 200 -\n"
        );
    }

    #[test]
    fn requestline_whitespace_collapses() {
        assert_eq!(
            log_requestline("GET   /test.txt    HTTP/1.0  "),
            "GET /test.txt HTTP/1.0  "
        );
        assert_eq!(log_requestline("GET /"), "GET /");
        assert_eq!(log_requestline(""), "");
        assert_eq!(log_requestline("GET / x y"), "GET / x y");
    }
}
