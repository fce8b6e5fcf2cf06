//! Misuse of the response methods that CPython lets through silently, as
//! errors where it happens: body bytes written before the head went out
//! (`wfile.write` before `end_headers()`, or with no `send_response` at
//! all: the client gets a body without a status line), and `send_error`
//! after the response began (a second response lands inside the first's
//! body). Each is an `io::Error` whose message says what to write instead;
//! the server logs it and closes the connection after the request, whether
//! or not the handler passes the error on.

use std::fmt;
use std::io;

/// A response method used out of order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Misuse {
    /// `wfile` written while the head is still in the header buffer.
    BodyBeforeEndHeaders,
    /// `wfile` written before any `send_response`.
    BodyWithoutResponse,
    /// `send_error(code)` after part of the response reached `wfile`.
    SendErrorAfterResponse(u16),
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misuse::BodyBeforeEndHeaders => f.write_str(
                "response body written before end_headers(): the headers are still buffered; \
                 call req.end_headers() after the last send_header, then write the body",
            ),
            Misuse::BodyWithoutResponse => f.write_str(
                "response body written before send_response(): the client would get no status \
                 line; call req.send_response(code), the headers and req.end_headers() first \
                 (or send it all with req.respond(code, content_type, body))",
            ),
            Misuse::SendErrorAfterResponse(code) => write!(
                f,
                "send_error({code}) after the response began: its status line already went out \
                 and a second response would land inside its body; finish the response, or \
                 return an Err from the handler to close the connection"
            ),
        }
    }
}

impl std::error::Error for Misuse {}

impl From<Misuse> for io::Error {
    fn from(m: Misuse) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, m)
    }
}

/// Whether `e` reports a [`Misuse`] (logged by the server already).
pub(crate) fn is_misuse(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Misuse>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_write_instead() {
        let cases = [
            (Misuse::BodyBeforeEndHeaders, "call req.end_headers()"),
            (Misuse::BodyWithoutResponse, "call req.send_response(code)"),
            (Misuse::SendErrorAfterResponse(500), "send_error(500) after"),
        ];
        for (m, want) in cases {
            let e = io::Error::from(m);
            assert!(is_misuse(&e));
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(want), "{e}");
        }
        assert!(!is_misuse(&io::Error::other("x")));
    }
}
