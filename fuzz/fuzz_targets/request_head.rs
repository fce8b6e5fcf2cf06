//! Fuzzes the request-head parser (`basehttp::parse`): a request line, then
//! header lines as the connection feeds them (kept, or checked once the
//! parser stopped keeping them), then the framing and `Connection` rules.
//! No input may panic, and the framing decision must be consistent with the
//! headers it came from. Run with `cargo +nightly fuzz run request_head`.
#![no_main]

use basehttp::Headers;
use basehttp::parse::{
    BodyLength, LineOutcome, body_length, check_ignored_line, connection_options,
    is_end_of_headers, parse_request_line, push_header_line, request_line_text,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
