//! What the [`after_response`](crate::Class::after_response) hook sees of a
//! request that ended: the [`Exchange`]. CPython's `log_request(code, size)`
//! writes the access line (`"GET / HTTP/1.1" 200 -`) from inside
//! `send_response`, before the body is sent and before anything can fail;
//! here the hook runs once per request after its response, on every path
//! that ends one (dispatch, the server's own 400, 408, 414, 431, 501 and
//! 503, a failing handler: `connection.rs` runs it), and the stock access
//! line is written from it (`Class::default_after_response`).

use std::time::Duration;

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
    /// From the start of reading the request line (under `HttpServer` that
    /// includes the wait for a new connection's first byte) to the end of
    /// the response (the handler's return). For a 408 it is how long the
    /// head was waited for.
    pub duration: Duration,
}
