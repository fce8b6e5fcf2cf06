//! [`Request`]: what a `BaseHTTPRequestHandler` instance holds while it
//! serves a connection (the parsed request, `rfile`, `wfile`, the response
//! header buffer), and [`Class`], the class attributes and overridable
//! hooks it carries (`server_version`, `protocol_version`, `log_message`,
//! ...): in Python both are `self`, and each refers to the other, so they
//! share this file. The response and logging methods (`send_response`,
//! `send_error`, `log_message`, ...) are in `response.rs`, reading the body
//! in `body.rs`.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::exchange::Exchange;
use crate::headers::Headers;
use crate::info::ServerInfo;
use crate::log::format_log_line;
use crate::pystr::{html_escape, to_latin1};
use crate::stream::{Phase, Rfile, Wfile};
use crate::url::{SplitUrl, urlsplit};

/// One connection's request state and response writer: `self` in a Python
/// `do_GET`, minus the user's own attributes (those live on the handler).
///
/// The fields keep CPython's names. They describe the request being served
/// and are reset for each request on a keep-alive connection.
pub struct Request {
    /// The method (`GET`); empty before a request line was parsed.
    pub command: String,
    /// The request target as sent (a leading `//` collapsed to `/`).
    pub path: String,
    /// `HTTP/1.1`, `HTTP/1.0`, or `default_request_version` for a
    /// two-word request line.
    pub request_version: String,
    /// The request line, latin-1, without its line ending.
    pub requestline: String,
    /// The request line as received, with its line ending.
    pub raw_requestline: Vec<u8>,
    /// The request headers (empty for HTTP/0.9).
    pub headers: Headers,
    /// The peer's address.
    pub client_address: SocketAddr,
    /// Whether the connection closes after this request.
    pub close_connection: bool,
    /// The request body: `Content-Length` bytes, or a chunked body decoded
    /// (its chunk framing and trailer are not shown). The connection's
    /// input, lent to the request while it is in progress.
    pub rfile: Rfile,
    /// The response stream: the connection's output, lent to the request
    /// while it is in progress.
    pub wfile: Wfile,
    pub(crate) class: Class,
    pub(crate) server: Arc<ServerInfo>,
    pub(crate) headers_buffer: Vec<u8>,
    pub(crate) in_end_headers: bool,
    /// The status code of the last `send_response`, for logging and tests.
    pub(crate) status: Option<u16>,
    /// A `Content-Length` or chunked `Transfer-Encoding` was sent: the
    /// client can find the end of this response.
    pub(crate) framed: bool,
    /// `wfile.bytes_written()` when the final response began (after the
    /// request was parsed, and after any interim response).
    pub(crate) response_mark: u64,
    /// `wfile.bytes_written()` when this request began (`Exchange::bytes_sent`).
    pub(crate) sent_mark: u64,
    /// When the request in progress began; `None` between requests. Taken
    /// by `connection::end_request`, which runs `after_response` once.
    pub(crate) began: Option<Instant>,
}

impl Request {
    pub(crate) fn new(
        rfile: Rfile,
        wfile: Wfile,
        client_address: SocketAddr,
        class: Class,
        server: Arc<ServerInfo>,
    ) -> Self {
        Request {
            command: String::new(),
            path: String::new(),
            request_version: class.default_request_version.to_string(),
            requestline: String::new(),
            raw_requestline: Vec::new(),
            headers: Headers::new(),
            client_address,
            close_connection: true,
            rfile,
            wfile,
            class,
            server,
            headers_buffer: Vec::new(),
            in_end_headers: false,
            status: None,
            framed: false,
            response_mark: 0,
            sent_mark: 0,
            began: None,
        }
    }

    /// The handler's class attributes and hooks.
    pub fn class(&self) -> &Class {
        &self.class
    }

    /// The server this connection was accepted by (`self.server`).
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// `protocol_version`, the version in every status line.
    pub fn protocol_version(&self) -> &str {
        &self.class.protocol_version
    }

    /// The code of the last `send_response` / `send_response_only` of this request.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Whether a header called `name` was sent in the response being built
    /// (since the last `flush_headers`; 3.15's `_default_response_headers`).
    pub fn header_sent(&self, name: &str) -> bool {
        let name = to_latin1(name);
        self.headers_buffer.split(|&b| b == b'\n').any(|line| {
            line.len() > name.len()
                && line[name.len()] == b':'
                && line[..name.len()].eq_ignore_ascii_case(&name)
        })
    }

    pub(crate) fn is_http09(&self) -> bool {
        self.request_version == "HTTP/0.9"
    }

    pub(crate) fn reset(&mut self) {
        self.command.clear();
        self.path.clear();
        self.request_version.clear();
        self.request_version
            .push_str(&self.class.default_request_version);
        self.requestline.clear();
        self.raw_requestline.clear();
        self.headers.clear();
        self.headers_buffer.clear();
        self.status = None;
        self.framed = false;
        self.response_mark = self.wfile.bytes_written();
        self.sent_mark = self.response_mark;
        self.began = None;
        self.wfile.set_discard_body(false);
        self.wfile.reset_response();
    }

    /// Whether any part of a final response (status line, headers or body)
    /// reached `wfile`. Before that, a failing handler can still be answered
    /// with an error page.
    pub(crate) fn response_begun(&self) -> bool {
        self.wfile.bytes_written() > self.response_mark
    }

    /// Forgets a response head built but not sent (before an error page).
    pub(crate) fn discard_unsent_head(&mut self) {
        self.headers_buffer.clear();
        self.framed = false;
        if self.wfile.phase() == Phase::HeadBuffered {
            self.wfile.set_phase(Phase::NoResponse);
        }
    }

    /// Whether the client can find the end of the response sent: it has a
    /// length, chunks, or no body by its status or method. A final response
    /// without any of these (or no final response at all) can only be ended
    /// by closing the connection.
    pub(crate) fn response_is_delimited(&self) -> bool {
        match self.status {
            None => false,
            Some(code) if code < 200 => false,
            Some(204 | 304) => true,
            Some(_) => self.framed || self.command == "HEAD",
        }
    }

    /// The request target split as `urllib.parse.urlsplit(self.path)` does,
    /// with `unquote` and `parse_qsl` one call away.
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Items;
    /// # #[http_handler] impl Items {
    /// fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
    ///     let url = req.url();
    ///     match (url.path, url.query_value("id")) {
    ///         ("/api/items", Some(id)) => {
    ///             let body = format!("item {id}\n");
    ///             req.respond(200, "text/plain", body)
    ///         }
    ///         _ => req.send_error(404),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn url(&self) -> SplitUrl<'_> {
        urlsplit(&self.path)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("command", &self.command)
            .field("path", &self.path)
            .field("request_version", &self.request_version)
            .field("headers", &self.headers)
            .field("client_address", &self.client_address)
            .field("close_connection", &self.close_connection)
            .finish_non_exhaustive()
    }
}

/// Class attributes and hooks of a handler, as a `BaseHTTPRequestHandler`
/// subclass would override them.
///
/// Every field has CPython's default ([`Class::BASE`]). A handler type returns
/// its own from [`Handler::class`](crate::Handler::class); `#[http_handler(...)]` arguments and hook
/// methods written in the impl block fill it in.
#[derive(Clone, Debug)]
pub struct Class {
    /// `server_version`: first word of the `Server` header (`BaseHTTP`).
    pub server_version: Cow<'static, str>,
    /// `sys_version`: second word of the `Server` header.
    pub sys_version: Cow<'static, str>,
    /// `protocol_version`: `HTTP/1.0` (one request per connection) or `HTTP/1.1`.
    pub protocol_version: Cow<'static, str>,
    /// `default_request_version`: the version assumed for a two-word request line.
    pub default_request_version: Cow<'static, str>,
    /// `error_message_format`: the `send_error` body template with
    /// `%(code)d`, `%(code)s`, `%(message)s` and `%(explain)s`.
    pub error_message_format: Cow<'static, str>,
    /// `error_content_type`: the `Content-Type` of `send_error` bodies.
    pub error_content_type: Cow<'static, str>,
    /// Hook: `log_message(format, *args)`; receives the formatted message
    /// with control characters already escaped. The default writes CPython's
    /// line to stderr ([`Class::default_log_message`]).
    pub log_message: fn(&Request, &str),
    /// Hook: `version_string()`, the `Server` header value.
    pub version_string: fn(&Request) -> String,
    /// Hook run by `end_headers` just before the blank line is written: the
    /// place to add a header to every response (Python code overrides
    /// `end_headers` for this).
    pub before_end_headers: fn(&mut Request) -> io::Result<()>,
    /// Headers `end_headers` adds to every final response (not to a
    /// `100 Continue`) after [`before_end_headers`](Self::before_end_headers),
    /// each unless the response already has one of that name: a fixed set
    /// such as security headers, without a hook. Empty by default.
    ///
    /// ```
    /// use basehttp::Class;
    ///
    /// let class = Class {
    ///     response_headers: vec![("X-Content-Type-Options", "nosniff")].into(),
    ///     ..Class::BASE
    /// };
    /// assert_eq!(class.response_headers.len(), 1);
    /// ```
    pub response_headers: Cow<'static, [(&'static str, &'static str)]>,
    /// Hook: the body of `send_error` responses, given the status code, the
    /// message and the explanation (not escaped). The default fills
    /// `error_message_format` (HTML-escaping both) and uses
    /// `error_content_type` ([`Class::default_error_page`]); a JSON service
    /// returns JSON here.
    pub error_page: fn(&Request, u16, &str, &str) -> ErrorPage,
    /// Hook run once per request after its response, on every path that
    /// ends one (dispatch, the server's own 400, 408, 414, 431, 501 and
    /// 503, a failing handler), with the status, the bytes sent and the
    /// duration ([`Exchange`]). The default writes CPython's access line,
    /// `log_request(code)`, through `log_message`
    /// ([`Class::default_after_response`]): replace
    /// it for an access log of your own.
    pub after_response: fn(&Request, &Exchange),
}

/// A `send_error` body and its `Content-Type`, as the
/// [`error_page`](Class::error_page) hook returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorPage {
    /// The `Content-Type` header value.
    pub content_type: Cow<'static, str>,
    /// The body.
    pub body: Vec<u8>,
}

impl ErrorPage {
    /// A JSON error body (`application/json`).
    pub fn json(body: impl Into<Vec<u8>>) -> ErrorPage {
        ErrorPage {
            content_type: Cow::Borrowed("application/json"),
            body: body.into(),
        }
    }
}

impl Class {
    /// CPython's `BaseHTTPRequestHandler` defaults (3.15).
    pub const BASE: Class = Class {
        server_version: Cow::Borrowed("BaseHTTP"),
        sys_version: Cow::Borrowed(Class::SYS_VERSION),
        protocol_version: Cow::Borrowed("HTTP/1.0"),
        default_request_version: Cow::Borrowed("HTTP/0.9"),
        error_message_format: Cow::Borrowed(Class::DEFAULT_ERROR_MESSAGE),
        error_content_type: Cow::Borrowed(Class::DEFAULT_ERROR_CONTENT_TYPE),
        log_message: Class::default_log_message,
        version_string: default_version_string,
        before_end_headers: no_hook,
        response_headers: Cow::Borrowed(&[]),
        error_page: Class::default_error_page,
        after_response: Class::default_after_response,
    };

    /// CPython's `DEFAULT_ERROR_MESSAGE` (3.14+, with the `color-scheme` style block).
    pub const DEFAULT_ERROR_MESSAGE: &'static str = "<!DOCTYPE HTML>
<html lang=\"en\">
    <head>
        <meta charset=\"utf-8\">
        <style type=\"text/css\">
            :root {
                color-scheme: light dark;
            }
        </style>
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %(code)d</p>
        <p>Message: %(message)s.</p>
        <p>Error code explanation: %(code)s - %(explain)s.</p>
    </body>
</html>
";

    /// CPython's `DEFAULT_ERROR_CONTENT_TYPE` (no space before `charset`).
    pub const DEFAULT_ERROR_CONTENT_TYPE: &'static str = "text/html;charset=utf-8";

    /// The `sys_version` this server reports where CPython reports `Python/3.x.y`.
    pub const SYS_VERSION: &'static str = concat!("basehttp/", env!("CARGO_PKG_VERSION"));

    /// CPython's error page: `error_message_format % {code, message, explain}`
    /// with `message` and `explain` HTML-escaped, as `error_content_type`.
    pub fn default_error_page(req: &Request, code: u16, message: &str, explain: &str) -> ErrorPage {
        let class = req.class();
        ErrorPage {
            content_type: class.error_content_type.clone(),
            body: Class::format_error_page(&class.error_message_format, code, message, explain)
                .into_bytes(),
        }
    }

    /// The default `log_message` hook: CPython's line on stderr with a single
    /// `write`. [`Request::log_message`] has already escaped control characters
    /// (gh-100001), for this hook and for a handler's own. Written with
    /// `eprint!`, so `cargo test` captures the lines of a server a test runs.
    pub fn default_log_message(req: &Request, message: &str) {
        let line = format_log_line(&req.address_string(), SystemTime::now(), message);
        crate::log::log_line(&line);
    }

    /// The default `after_response` hook: CPython's access line,
    /// `log_request(code)` (`"GET / HTTP/1.1" 200 -`) through
    /// [`Request::log_message`], for a request that was answered.
    pub fn default_after_response(req: &Request, exchange: &Exchange) {
        if let Some(code) = exchange.status {
            req.log_request(code);
        }
    }

    /// `error_message_format % {'code': .., 'message': .., 'explain': ..}` with
    /// `message` and `explain` HTML-escaped; `%%` is a literal `%`.
    pub fn format_error_page(template: &str, code: u16, message: &str, explain: &str) -> String {
        let mut out = String::with_capacity(template.len() + message.len() + explain.len());
        let code = code.to_string();
        let subs: [(&str, String); 5] = [
            ("%(code)d", code.clone()),
            ("%(code)s", code),
            ("%(message)s", html_escape(message)),
            ("%(explain)s", html_escape(explain)),
            ("%%", "%".to_owned()),
        ];
        let mut rest = template;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            match subs.iter().find(|(k, _)| rest.starts_with(k)) {
                Some((k, v)) => {
                    out.push_str(v);
                    rest = &rest[k.len()..];
                }
                None => {
                    out.push('%');
                    rest = &rest[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

impl Default for Class {
    fn default() -> Self {
        Class::BASE
    }
}

/// `version_string()`: `server_version + ' ' + sys_version`.
fn default_version_string(req: &Request) -> String {
    let class = req.class();
    format!("{} {}", class.server_version, class.sys_version)
}

fn no_hook(_: &mut Request) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_sizes_match_cpython() {
        let cases = [
            (404, "File not found", "Nothing matches the given URI", 460),
            (
                501,
                "Unsupported method ('FOO')",
                "Server does not support this operation",
                481,
            ),
        ];
        for (code, message, explain, len) in cases {
            let page =
                Class::format_error_page(Class::DEFAULT_ERROR_MESSAGE, code, message, explain);
            assert_eq!(page.len(), len, "{code}");
        }
    }

    #[test]
    fn error_page_escapes() {
        let page = Class::format_error_page("%(message)s|%(explain)s|%%|%x", 404, "<b>&", "<i>");
        assert_eq!(page, "&lt;b&gt;&amp;|&lt;i&gt;|%|%x");
    }
}
