//! The end of a request: the [`after_response`](crate::Class::after_response)
//! hook and the [`Exchange`] it sees. CPython's `log_request(code, size)`
//! writes the access line (`"GET / HTTP/1.1" 200 -`) from inside
//! `send_response`, before the body is sent and before anything can fail;
//! here the hook runs once per request after its response, on every path
//! that ends one (dispatch, the server's own 400, 408, 414, 431, 501 and
//! 503, a failing handler), and the stock access line is written from it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::connection::{panic_message, report_error};
use crate::request::Request;

/// A request that ended and its response, as the
/// [`after_response`](crate::Class::after_response) hook sees it (the
/// request line is `req.requestline`).
///
/// ```
/// use basehttp::prelude::*;
///
/// struct Hello;
///
/// #[http_handler]
/// impl Hello {
///     fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
///         req.respond(200, "text/plain", "hello\n")
///     }
///
///     /// One JSON line per request instead of CPython's access line.
///     fn after_response(req: &Request, exchange: &Exchange) {
///         eprintln!(
///             r#"{{"request": {:?}, "status": {}, "bytes": {}, "ms": {}}}"#,
///             req.requestline,
///             exchange.status.unwrap_or(0),
///             exchange.bytes_sent,
///             exchange.duration.as_millis()
///         );
///     }
/// }
/// # let r = basehttp::test::Client::new(Hello).get("/")?;
/// # assert_eq!(r.status, 200);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exchange {
    /// The status of the final response (`req.status()`); `None` when the
    /// request ended without one (the client went away, or the handler
    /// failed after sending nothing the client could be told).
    pub status: Option<u16>,
    /// Bytes of this request's response(s) handed to the connection:
    /// status lines, headers and body, without chunk framing. Under
    /// `ThreadingHttpServer` the last of them may still be on their way to
    /// a slow client when the hook runs.
    pub bytes_sent: u64,
    /// From the request line's arrival to the end of the response (the
    /// handler's return). For a 408 it is how long the head was waited for.
    pub duration: Duration,
}

/// The default `after_response` hook: CPython's access line,
/// `log_request(code)` (`"GET / HTTP/1.1" 200 -`) through
/// [`Request::log_message`], for a request that was answered.
pub(crate) fn default_after_response(req: &Request, exchange: &Exchange) {
    if let Some(code) = exchange.status {
        req.log_request(code);
    }
}

/// Ends the request in progress, if any: builds its [`Exchange`] and runs
/// the `after_response` hook, once (a second call finds nothing to end).
/// A panicking hook is reported like CPython's `handle_error`; returns
/// `false` then, and the connection closes.
pub(crate) fn end_request(req: &mut Request) -> bool {
    let Some(began) = req.began.take() else {
        return true;
    };
    let exchange = Exchange {
        status: req.status,
        bytes_sent: req.wfile.bytes_written().saturating_sub(req.sent_mark),
        duration: began.elapsed(),
    };
    let hook = req.class.after_response;
    match catch_unwind(AssertUnwindSafe(|| hook(req, &exchange))) {
        Ok(()) => true,
        Err(panic) => {
            report_error(req.client_address, &panic_message(&panic));
            req.close_connection = true;
            false
        }
    }
}

/// Marks a request as begun now, unless one is in progress: a response
/// made outside a request read from the connection (the engine's 503) is
/// a request of its own.
pub(crate) fn begin_request(req: &mut Request) {
    if req.began.is_none() {
        req.began = Some(Instant::now());
    }
}
