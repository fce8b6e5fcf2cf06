//! One connection's life: CPython's `handle()` / `handle_one_request()` /
//! `parse_request()` loop, plus what CPython lacks: bodies are framed by
//! RFC 9112 (`Content-Length`, or `Transfer-Encoding: chunked` decoded; an
//! ambiguous head is a 400), the unread part of a body is drained (bounded)
//! or the connection closed, so a body can never be parsed as the next
//! request, `Connection` is read as a token list, and the head, body and
//! write deadlines of [`crate::ServerConfig`] apply (a head that times out
//! gets 408).
//!
//! A [`Connection`] owns the connection's streams, and its [`Request`]
//! borrows them as `rfile` and `wfile` for one request (as hyper's
//! `proto::h1::Conn` owns its I/O and lends each request its body): the
//! engine parks, fills, sends and closes a connection between requests
//! through the `Connection`, never through a request.

use std::any::Any;
use std::io::{self, Write};
use std::mem;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use crate::exchange::Exchange;
use crate::handler::Handler;
use crate::info::ServerInfo;
use crate::parse::{
    self, BodyLength, LineOutcome, MAX_HEADER_LINE, MAX_HEADERS, MAX_REQUEST_LINE, ParseError,
};
use crate::request::{Class, Request};
use crate::stream::{Framing, Phase, Rfile, Wfile};
use crate::transport::{Detached, Transport, failure_message};
use crate::wire::Wire;

/// Most unread body bytes drained to keep a connection alive; a larger
/// unread body closes the connection instead.
pub(crate) const MAX_DRAIN: u64 = 1 << 20;

/// A connection's own streams (hyper's `proto::h1::Conn`): its input
/// (transport, read buffer, head and body deadlines, the framing of the
/// body being read and a `100 Continue` owed) and its output (write
/// buffer, what waits for the client, the write deadline). Its [`Request`]
/// borrows both as `rfile` and `wfile` for one request ([`Connection::lend`]);
/// between requests the connection holds them, and the engine parks, fills,
/// sends and closes through them without a request.
pub(crate) struct Connection {
    /// The request state, reused from request to request; its `rfile` and
    /// `wfile` are the connection's only while lent.
    req: Request,
    /// The input, while not lent.
    rfile: Rfile,
    /// The output, while not lent.
    wfile: Wfile,
}

/// A connection's streams lent to its [`Request`]; given back when this is
/// dropped, also while unwinding from a panic.
pub(crate) struct Lent<'a>(&'a mut Connection);

impl Deref for Lent<'_> {
    type Target = Request;
    fn deref(&self) -> &Request {
        &self.0.req
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Request {
        &mut self.0.req
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.swap_streams();
    }
}

impl Connection {
    /// The connection a server makes for `stream`, with the configured
    /// socket timeouts and the class of `handler` (user code: `class()`).
    pub(crate) fn new<H: Handler>(
        handler: &H,
        stream: Box<dyn Transport>,
        client_address: SocketAddr,
        server: Arc<ServerInfo>,
    ) -> io::Result<Self> {
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
        Ok(Self::assemble(
            rfile,
            wfile,
            client_address,
            handler.class(),
            server,
        ))
    }

    /// A connection over `rfile` and `wfile` as they are.
    pub(crate) fn assemble(
        rfile: Rfile,
        wfile: Wfile,
        client_address: SocketAddr,
        class: Class,
        server: Arc<ServerInfo>,
    ) -> Self {
        let req = Request::new(
            Rfile::new(Box::new(Detached)),
            Wfile::new(Box::new(Detached)),
            client_address,
            class,
            server,
        );
        Connection { req, rfile, wfile }
    }

    /// Lends the streams to the request until the guard is dropped.
    pub(crate) fn lend(&mut self) -> Lent<'_> {
        self.swap_streams();
        Lent(self)
    }

    fn swap_streams(&mut self) {
        mem::swap(&mut self.rfile, &mut self.req.rfile);
        mem::swap(&mut self.wfile, &mut self.req.wfile);
    }

    /// The input: transport and read buffer.
    pub(crate) fn input(&mut self) -> &mut Wire {
        self.rfile.wire_mut()
    }

    /// The input: transport and read buffer.
    pub(crate) fn input_ref(&self) -> &Wire {
        self.rfile.wire()
    }

    /// The output: write buffer, and what waits for the client.
    pub(crate) fn output(&mut self) -> &mut Wfile {
        &mut self.wfile
    }

    /// The output: write buffer, and what waits for the client.
    pub(crate) fn output_ref(&self) -> &Wfile {
        &self.wfile
    }

    /// A line through the class's `log_message` (user code).
    pub(crate) fn log_error(&mut self, args: std::fmt::Arguments<'_>) {
        self.lend().log_error(args);
    }

    /// One request: [`serve_one`] with the streams lent.
    pub(crate) fn serve_one<H: Handler>(&mut self, handler: &mut H) -> bool {
        serve_one(handler, &mut self.lend())
    }

    /// Whether the read buffer holds a whole request head: a request line
    /// that needs no headers (HTTP/0.9, or one answered with an error at
    /// once), or a request line and headers up to the blank line.
    pub(crate) fn head_ready(&self) -> bool {
        head_ready(self.input_ref().buffered(), &self.req)
    }

    /// The request head did not arrive in time: [`send_head_timeout`].
    pub(crate) fn send_head_timeout(&mut self) {
        send_head_timeout(&mut self.lend());
    }

    /// The first half of a close: [`begin_close`].
    pub(crate) fn begin_close(&mut self) -> bool {
        begin_close(&mut self.lend())
    }

    /// Closes the connection: [`begin_close`], then the half-close.
    pub(crate) fn finish(&mut self) {
        self.begin_close();
        self.wfile.close_write();
    }
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
    let mut conn = match Connection::new(&handler, stream, client_address, server) {
        Ok(c) => c,
        Err(e) => {
            report_error(client_address, &e.to_string());
            return;
        }
    };
    let mut first = true;
    loop {
        if !first && !wait_keepalive(&mut conn) {
            break;
        }
        first = false;
        if !conn.serve_one(&mut handler) {
            break;
        }
    }
    conn.finish();
}

/// Waits (up to the keep-alive timeout) for the first byte of the next
/// request on a blocking connection; `false` closes it silently.
fn wait_keepalive(conn: &mut Connection) -> bool {
    if !conn.input_ref().buffered().is_empty() {
        return true;
    }
    let config = conn.req.server().config();
    let (idle, head) = (config.keepalive_deadline(), config.head_deadline());
    let input = conn.input();
    if idle != head && input.set_read_timeout(idle).is_err() {
        return false;
    }
    let ok = matches!(input.fill_raw_any(), Ok(n) if n > 0);
    if idle != head && input.set_read_timeout(head).is_err() {
        return false;
    }
    ok
}

/// Ends the request in progress, if any: builds its [`Exchange`] and runs
/// the `after_response` hook, once (a second call finds nothing to end).
/// A panicking hook is reported like CPython's `handle_error`; returns
/// `false` then, and the connection closes.
fn end_request(req: &mut Request) -> bool {
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

/// The first half of a close: flushes what is left, ends a request still
/// in progress (the engine's 503: `after_response` runs) and discards the
/// unread input that already arrived. Returns whether the client may still
/// be sending (bytes were unread, or the request body was not all read,
/// and its input has not ended): then the engine keeps reading and
/// dropping its input for a while after the half-close (nginx's
/// `lingering_close`), so that the close does not turn into a reset that
/// destroys the response on its way.
fn begin_close(req: &mut Request) -> bool {
    let _ = req.wfile.flush();
    end_request(req);
    let d = req.rfile.wire_mut().discard_nonblocking(MAX_LINGER_DISCARD);
    !d.ended && (d.bytes > 0 || !req.rfile.body_done())
}

/// One request (`handle_one_request()` plus CPython's `handle_error`),
/// then the `after_response` hook. Returns whether the connection stays
/// open for another request.
fn serve_one<H: Handler>(handler: &mut H, req: &mut Request) -> bool {
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

/// Whether `buf` (the read buffer of `req`'s connection) holds a whole
/// request head.
fn head_ready(buf: &[u8], req: &Request) -> bool {
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
fn send_head_timeout(req: &mut Request) {
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
    crate::log::log_line(&text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use crate::memory::MemoryStream;
    use std::borrow::Cow;
    use std::io::Read;
    use std::net::{Ipv4Addr, SocketAddr};

    /// Answers `GET` with 200 and a two-byte body.
    struct Ok2;

    impl Handler for Ok2 {
        fn methods(&self) -> Cow<'static, [&'static str]> {
            Cow::Borrowed(&["GET"])
        }
        fn class(&self) -> Class {
            Class {
                protocol_version: "HTTP/1.1".into(),
                ..Class::BASE
            }
        }
        fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
            req.send_response(200)?;
            req.send_header("Content-Length", "2")?;
            req.end_headers()?;
            req.wfile.write_all(b"ok")
        }
    }

    fn memory_connection() -> (Connection, MemoryStream) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 8000));
        let info = Arc::new(ServerInfo::new(addr, ServerConfig::default()));
        let stream = MemoryStream::default();
        let conn = Connection::new(&Ok2, Box::new(stream.clone()), addr, info).unwrap();
        (conn, stream)
    }

    #[test]
    fn the_request_has_the_streams_only_while_it_is_in_progress() {
        let (mut conn, stream) = memory_connection();
        stream.push_input(b"GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n");
        assert!(conn.serve_one(&mut Ok2));
        let out = stream.take_output();
        assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"), "{out:?}");
        assert!(out.ends_with(b"\r\n\r\nok"), "{out:?}");
        // Between requests the connection holds them: the pipelined head
        // waits in its input, and the request's own streams are stand-ins.
        assert_eq!(conn.input_ref().buffered(), b"GET /2 HTTP/1.1\r\n");
        assert!(!conn.head_ready());
        assert_eq!(conn.output_ref().bytes_written(), out.len() as u64);
        assert!(conn.req.wfile.write(b"late").is_err());
        assert!(conn.req.wfile.flush().is_ok());
        assert_eq!(conn.req.rfile.remaining(), Some(0));
        assert_eq!(conn.req.rfile.read(&mut [0; 8]).unwrap(), 0);
        assert!(stream.take_output().is_empty());
    }

    #[test]
    fn a_panic_while_lent_gives_the_streams_back() {
        let (mut conn, stream) = memory_connection();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let _req = conn.lend();
            panic!("user code");
        }));
        assert!(caught.is_err());
        stream.push_input(b"GET / HTTP/1.1\r\n\r\n");
        assert!(matches!(conn.input().fill_raw_any(), Ok(n) if n > 0));
        assert!(conn.head_ready());
        assert!(conn.serve_one(&mut Ok2));
        assert!(stream.take_output().ends_with(b"ok"));
    }
}
