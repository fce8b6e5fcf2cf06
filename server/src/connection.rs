//! One connection's life: CPython's `handle()` / `handle_one_request()` /
//! `parse_request()` loop, plus what CPython lacks: bodies are framed by
//! RFC 9112 (`Content-Length`, or `Transfer-Encoding: chunked` decoded; an
//! ambiguous head is a 400), the unread part of a body is drained (bounded)
//! or the connection closed, so a body can never be parsed as the next
//! request, `Connection` is read as a token list, and the head, body and
//! write deadlines of [`crate::ServerConfig`] apply (a head that times out
//! gets 408).

use std::any::Any;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use crate::exchange::Exchange;
use crate::handler::Handler;
use crate::info::ServerInfo;
use crate::parse::{
    self, BodyLength, LineOutcome, MAX_HEADER_LINE, MAX_HEADERS, MAX_REQUEST_LINE, ParseError,
};
use crate::request::Request;
use crate::stream::{Framing, Phase, Rfile, Wfile};
use crate::transport::{Transport, failure_message};

/// Most unread body bytes drained to keep a connection alive; a larger
/// unread body closes the connection instead.
pub(crate) const MAX_DRAIN: u64 = 1 << 20;

/// Builds the per-connection [`Request`] over `stream` (one descriptor,
/// shared by `rfile` and `wfile`) with the configured socket timeouts.
pub(crate) fn new_request<H: Handler>(
    handler: &H,
    stream: Box<dyn Transport>,
    client_address: SocketAddr,
    server: Arc<ServerInfo>,
) -> io::Result<Request> {
    let write_half = stream.try_clone_box()?;
    let config = server.config();
    let mut rfile = Rfile::new(stream);
    rfile
        .wire_mut()
        .set_phase_timeouts(config.head_deadline(), config.body_deadline())?;
    let wfile = Wfile::new(write_half);
    if let Some(s) = wfile.tcp() {
        s.set_write_timeout(config.write_deadline())?;
    }
    Ok(Request::new(
        rfile,
        wfile,
        client_address,
        handler.class(),
        server,
    ))
}

/// Serves every request on `stream` with `handler` until the connection
/// closes (`handle()`), blocking: `HttpServer`'s one-at-a-time mode. Errors
/// and panics are logged like CPython's `handle_error` and end only this
/// connection.
pub(crate) fn handle_connection<H: Handler>(
    mut handler: H,
    stream: Box<dyn Transport>,
    client_address: SocketAddr,
    server: Arc<ServerInfo>,
) {
    let mut req = match new_request(&handler, stream, client_address, server) {
        Ok(r) => r,
        Err(e) => {
            report_error(client_address, &e.to_string());
            return;
        }
    };
    let mut first = true;
    loop {
        if !first && !wait_keepalive(&mut req) {
            break;
        }
        first = false;
        if !serve_one(&mut handler, &mut req) {
            break;
        }
    }
    finish(&mut req);
}

/// Waits (up to the keep-alive timeout) for the first byte of the next
/// request on a blocking connection; `false` closes it silently.
fn wait_keepalive(req: &mut Request) -> bool {
    if !req.rfile.wire().buffered().is_empty() {
        return true;
    }
    let config = req.server().config();
    let (idle, head) = (config.keepalive_deadline(), config.head_deadline());
    if idle != head && req.rfile.wire().set_read_timeout(idle).is_err() {
        return false;
    }
    let ok = matches!(req.rfile.wire_mut().fill_raw_any(), Ok(n) if n > 0);
    if idle != head && req.rfile.wire().set_read_timeout(head).is_err() {
        return false;
    }
    ok
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

/// Most unread request bytes discarded (without waiting) before a close, so
/// that the close does not turn into a reset that destroys the response
/// still on its way to the client.
const MAX_LINGER_DISCARD: usize = 256 * 1024;

/// Closes the connection: [`begin_close`], then the half-close.
pub(crate) fn finish(req: &mut Request) {
    begin_close(req);
    req.wfile.close_write();
}

/// The first half of a close: flushes what is left, ends a request still
/// in progress (the engine's 503: `after_response` runs) and discards the
/// unread input that already arrived. Returns whether the client may still
/// be sending (bytes were unread, or the request body was not all read,
/// and its input has not ended): then the engine keeps reading and
/// dropping its input for a while after the half-close (nginx's
/// `lingering_close`), so that the close does not turn into a reset that
/// destroys the response on its way.
pub(crate) fn begin_close(req: &mut Request) -> bool {
    let _ = req.wfile.flush();
    end_request(req);
    let d = req.rfile.wire_mut().discard_nonblocking(MAX_LINGER_DISCARD);
    !d.ended && (d.bytes > 0 || !req.rfile.body_done())
}

/// One request (`handle_one_request()` plus CPython's `handle_error`),
/// then the `after_response` hook. Returns whether the connection stays
/// open for another request.
pub(crate) fn serve_one<H: Handler>(handler: &mut H, req: &mut Request) -> bool {
    req.close_connection = true;
    let outcome = catch_unwind(AssertUnwindSafe(|| handle_one_request(handler, req)));
    // A misuse outside `dispatch` (in `handle_expect_100`).
    log_misuse(req);
    let keep = match outcome {
        Ok(Ok(())) => !req.close_connection,
        Ok(Err(e)) => {
            if let Some(message) = failure_message(&e) {
                // A failed TLS handshake: one line, like a time-out.
                req.log_error(format_args!("{message}"));
            } else if is_timeout(&e) {
                req.log_error(format_args!("Request timed out: {e}"));
            } else if !is_disconnect(&e) && !crate::misuse::is_misuse(&e) {
                report_error(req.client_address, &format!("{}: {e}", kind_name(&e)));
            }
            false
        }
        Err(panic) => {
            report_error(req.client_address, &panic_message(&panic));
            false
        }
    };
    end_request(req) && keep
}

/// Whether the read buffer holds a whole request head: a request line that
/// needs no headers (HTTP/0.9, or one answered with an error at once), or a
/// request line and headers up to the blank line.
pub(crate) fn head_ready(req: &Request) -> bool {
    let buf = req.rfile.wire().buffered();
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let rest = &buf[nl..];
    let blank_line = (0..rest.len())
        .any(|i| rest[i] == b'\n' && matches!(rest[i + 1..], [b'\n', ..] | [b'\r', b'\n', ..]));
    if blank_line {
        return true;
    }
    let text = parse::request_line_text(&buf[..=nl]);
    !matches!(
        parse::parse_request_line(
            &text,
            req.protocol_version(),
            &req.class().default_request_version,
        ),
        LineOutcome::Ok(line) if !line.http09
    )
}

/// The request head did not arrive in time: log it, answer 408 with
/// `Connection: close` (best effort), run `after_response`, and close.
/// Without a request in progress (the engine's deadline scan, which does
/// not see the head begin) it began a head deadline ago.
pub(crate) fn send_head_timeout(req: &mut Request) {
    let began = req.began.take().unwrap_or_else(|| {
        let waited = req.server().config().head_deadline().unwrap_or_default();
        let now = Instant::now();
        now.checked_sub(waited).unwrap_or(now)
    });
    req.reset();
    req.began = Some(began);
    req.request_version.clear();
    req.close_connection = true;
    req.log_error(format_args!(
        "Request timed out: request head incomplete after the head deadline"
    ));
    let _ = req.send_error(408);
    let _ = req.wfile.flush();
    end_request(req);
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

fn kind_name(e: &io::Error) -> String {
    format!("{:?}", e.kind())
}

pub(crate) fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_owned()
    }
}

/// CPython's `handle_error`: a block framed by 40 dashes on stderr, in one
/// `eprint!` (which `cargo test` captures).
pub(crate) fn report_error(client: SocketAddr, what: &str) {
    let dashes = "-".repeat(40);
    let text = format!(
        "{dashes}\nException occurred during processing of request from ('{}', {})\n{what}\n{dashes}\n",
        client.ip(),
        client.port()
    );
    eprint!("{text}");
}

/// `handle_one_request()`: read and parse one request, dispatch it, flush.
fn handle_one_request<H: Handler>(handler: &mut H, req: &mut Request) -> io::Result<()> {
    req.reset();
    let began = Instant::now();
    req.rfile.set_framing(Framing::Length(0));
    req.rfile.wire_mut().enter_body_phase(false)?;
    let mut raw = Vec::new();
    let n = match req
        .rfile
        .wire_mut()
        .read_line_raw(&mut raw, MAX_REQUEST_LINE + 1)
    {
        Err(e) if failure_message(&e).is_some() => return Err(e),
        Err(e) if is_timeout(&e) && raw.is_empty() => {
            // Nothing of a request arrived: close without a word.
            req.close_connection = true;
            return Ok(());
        }
        Err(e) if is_timeout(&e) => {
            req.began = Some(began);
            send_head_timeout(req);
            return Ok(());
        }
        r => r?,
    };
    if n > 0 {
        // A request (unless the line is blank): `after_response` will run.
        req.began = Some(began);
    }
    if n > MAX_REQUEST_LINE {
        req.requestline.clear();
        req.request_version.clear();
        req.command.clear();
        send_parse_error(req, &ParseError::UriTooLong)?;
        return req.wfile.flush_deferred();
    }
    if n == 0 {
        req.close_connection = true;
        return Ok(());
    }
    if !parse_request(handler, req, raw)? {
        if !req.rfile.body_done() {
            // Refused before its body was read (an `Expect: 100-continue`
            // answered with an error): the body may still come.
            req.close_connection = true;
        }
        return req.wfile.flush_deferred();
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| handler.dispatch(req)));
    log_misuse(req);
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(Failure::Error(e)),
        Err(panic) => Some(Failure::Panic(panic_message(&panic))),
    };
    if let Some(failure) = failure {
        req.close_connection = true;
        req.wfile.abandon_chunked();
        handler_failed(req, failure)?;
        return req.wfile.flush_deferred();
    }
    req.wfile.finish_chunked()?;
    let continue_unsent = req.rfile.forget_continue();
    if continue_unsent || !req.response_is_delimited() {
        // The client could not tell where the response ends (CPython leaves
        // it waiting for the idle timeout), or may still send a body it was
        // not asked for: end the connection with the response.
        req.close_connection = true;
    }
    req.wfile.flush_deferred()?;
    if !req.close_connection {
        match req.rfile.drain_body(MAX_DRAIN) {
            Ok(true) => {}
            Ok(false) => req.close_connection = true,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                req.log_error(format_args!("Bad chunked body: {e}"));
                req.close_connection = true;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A response method used out of order during the request (returned to
/// the handler as an error, passed on or not): logged, and the connection
/// closes after the request.
fn log_misuse(req: &mut Request) {
    if let Some(misuse) = req.wfile.take_misuse() {
        req.close_connection = true;
        req.log_error(format_args!("{misuse}"));
    }
}

/// How a `do_*` method failed.
enum Failure {
    Error(io::Error),
    Panic(String),
}

/// A `do_*` method returned an error or panicked; the connection closes
/// after this. Before the response began, the client still gets one: the
/// status a [`BodyError`](crate::BodyError) or
/// [`FormError`](crate::form::FormError) asks for (411, 413, 400), else
/// `500` after CPython's `handle_error` report (a misuse of the response
/// methods was logged as one line already). A client that went away or
/// timed out is left to [`serve_one`] (`Err`).
fn handler_failed(req: &mut Request, failure: Failure) -> io::Result<()> {
    let (status, what) = match failure {
        Failure::Error(e) if is_timeout(&e) || is_disconnect(&e) => return Err(e),
        Failure::Error(e) if crate::misuse::is_misuse(&e) => (500, String::new()),
        Failure::Error(e) => match crate::body::status_of(&e) {
            Some(status) if status < 500 => (status, e.to_string()),
            _ => {
                report_error(req.client_address, &format!("{}: {e}", kind_name(&e)));
                (500, String::new())
            }
        },
        Failure::Panic(message) => {
            report_error(req.client_address, &message);
            (500, String::new())
        }
    };
    if req.response_begun() {
        if status != 500 {
            req.log_error(format_args!("{what}"));
        }
        return Ok(());
    }
    match status {
        500 => req.send_error(500),
        _ => {
            let (phrase, _) = crate::status::responses(status).unwrap_or(("", ""));
            req.send_error_explain(status, phrase, &what)
        }
    }
}

fn send_parse_error(req: &mut Request, e: &ParseError) -> io::Result<()> {
    let message = e.message();
    let explain = e.explain();
    req.send_error_full(e.status(), message.as_deref(), explain.as_deref(), &[])
}

/// `parse_request()`. Returns `Ok(false)` when the request must not be
/// dispatched (an error was answered, or the line was blank).
fn parse_request<H: Handler>(handler: &mut H, req: &mut Request, raw: Vec<u8>) -> io::Result<bool> {
    req.close_connection = true;
    req.requestline = parse::request_line_text(&raw);
    req.raw_requestline = raw;
    let line = match parse::parse_request_line(
        &req.requestline,
        req.protocol_version(),
        &req.class().default_request_version,
    ) {
        LineOutcome::Blank => {
            // CPython skips a blank line without a word: no request ended.
            req.began = None;
            return Ok(false);
        }
        LineOutcome::Err(e) => {
            // 3.15 answers every bad line with a status line (gh-54930).
            req.request_version.clear();
            send_parse_error(req, &e)?;
            return Ok(false);
        }
        LineOutcome::Ok(line) => line,
    };
    req.command = line.command;
    req.path = line.path;
    req.request_version = line.version;
    req.close_connection = !line.keep_alive;
    if line.http09 {
        // 3.15 does not read headers for HTTP/0.9 (gh-70765). A response
        // has no head either: the body may be written at once.
        req.close_connection = true;
        req.wfile.set_phase(Phase::Body);
        return Ok(true);
    }
    match read_headers(req) {
        Ok(Ok(())) => {}
        Ok(Err(pe)) => {
            send_parse_error(req, &pe)?;
            return Ok(false);
        }
        Err(e) if is_timeout(&e) => {
            send_head_timeout(req);
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    let framing = match parse::body_length(&req.headers) {
        Ok(BodyLength::Known(n)) => Framing::Length(n),
        Ok(BodyLength::Chunked) => Framing::Chunked(Default::default()),
        Err(e) => {
            send_parse_error(req, &e)?;
            return Ok(false);
        }
    };
    let chunked = matches!(framing, Framing::Chunked(_));
    req.rfile.set_framing(framing);
    let (close, keep_alive) = parse::connection_options(&req.headers);
    if close {
        req.close_connection = true;
    } else if keep_alive && req.protocol_version() >= "HTTP/1.1" {
        req.close_connection = false;
    }
    if chunked && req.request_version.as_str() < "HTTP/1.1" {
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has
        // faulty framing; serve it, then close.
        req.close_connection = true;
    }
    if !req.rfile.body_done() {
        req.rfile.wire_mut().enter_body_phase(true)?;
    }
    let expect = req.headers.get("Expect").unwrap_or("");
    if expect.eq_ignore_ascii_case("100-continue")
        && req.protocol_version() >= "HTTP/1.1"
        && req.request_version.as_str() >= "HTTP/1.1"
    {
        let go_on = handler.handle_expect_100(req)?;
        req.wfile.flush()?;
        if !go_on {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `http.client.parse_headers`: lines up to a blank line or EOF, each at most
/// [`MAX_HEADER_LINE`] bytes, at most [`MAX_HEADERS`] of them, and (beyond
/// CPython) at most `max_head_bytes` bytes together.
/// The outer `Err` is I/O; the inner one a head to refuse.
fn read_headers(req: &mut Request) -> io::Result<Result<(), ParseError>> {
    let max_total = req.server().config().max_head_bytes;
    let mut total = 0usize;
    let mut count = 0;
    let mut parsing = true;
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        let n = req
            .rfile
            .wire_mut()
            .read_line_raw(&mut line, MAX_HEADER_LINE + 1)?;
        if n > MAX_HEADER_LINE {
            return Ok(Err(ParseError::HeaderLineTooLong));
        }
        total += n;
        if total > max_total {
            return Ok(Err(ParseError::HeadTooLarge(max_total)));
        }
        if parse::is_end_of_headers(&line) {
            return Ok(Ok(()));
        }
        count += 1;
        if count > MAX_HEADERS {
            return Ok(Err(ParseError::TooManyHeaders));
        }
        let checked = if parsing {
            parse::push_header_line(&mut req.headers, &line).map(|keep| parsing = keep)
        } else {
            parse::check_ignored_line(&line)
        };
        if let Err(e) = checked {
            return Ok(Err(e));
        }
    }
}
