//! The `Handler` trait that `#[http_handler]` implements, and [`Class`], the
//! overridable class attributes and hooks of CPython's `BaseHTTPRequestHandler`.
//!
//! In Python a handler is a subclass: its `do_*` methods, its class attributes
//! (`server_version`, `protocol_version`, ...) and its overridden hooks
//! (`log_message`, `version_string`, `end_headers`, ...) all live on one class.
//! Here the `do_*` methods live on the user's type, the macro generates the
//! dispatch, and the attributes and hooks that the response machinery needs
//! *while* a `do_*` method runs are gathered in a [`Class`] value that the
//! connection takes a copy of when it starts.

use std::borrow::Cow;
use std::io;

use crate::request::Request;

/// CPython's `DEFAULT_ERROR_MESSAGE` (3.14+, with the `color-scheme` style block).
pub const DEFAULT_ERROR_MESSAGE: &str = "<!DOCTYPE HTML>
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
pub const DEFAULT_ERROR_CONTENT_TYPE: &str = "text/html;charset=utf-8";

/// The `sys_version` this server reports where CPython reports `Python/3.x.y`.
pub const SYS_VERSION: &str = concat!("basehttp/", env!("CARGO_PKG_VERSION"));

/// Class attributes and hooks of a handler, as a `BaseHTTPRequestHandler`
/// subclass would override them.
///
/// Every field has CPython's default ([`Class::BASE`]). A handler type returns
/// its own from [`Handler::class`]; `#[http_handler(...)]` arguments and hook
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
    /// line to stderr ([`crate::log::default_log_message`]).
    pub log_message: fn(&Request, &str),
    /// Hook: `version_string()`, the `Server` header value.
    pub version_string: fn(&Request) -> String,
    /// Hook run by `end_headers` just before the blank line is written: the
    /// place to add a header to every response (Python code overrides
    /// `end_headers` for this).
    pub before_end_headers: fn(&mut Request) -> io::Result<()>,
    /// Hook: the body of `send_error` responses, given the status code, the
    /// message and the explanation (not escaped). The default fills
    /// `error_message_format` (HTML-escaping both) and uses
    /// `error_content_type` ([`default_error_page`]); a JSON service
    /// returns JSON here.
    pub error_page: fn(&Request, u16, &str, &str) -> ErrorPage,
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

/// CPython's error page: `error_message_format % {code, message, explain}`
/// with `message` and `explain` HTML-escaped, as `error_content_type`.
pub fn default_error_page(req: &Request, code: u16, message: &str, explain: &str) -> ErrorPage {
    let class = req.class();
    ErrorPage {
        content_type: class.error_content_type.clone(),
        body: crate::request::format_error_page(
            &class.error_message_format,
            code,
            message,
            explain,
        )
        .into_bytes(),
    }
}

impl Class {
    /// CPython's `BaseHTTPRequestHandler` defaults (3.15).
    pub const BASE: Class = Class {
        server_version: Cow::Borrowed("BaseHTTP"),
        sys_version: Cow::Borrowed(SYS_VERSION),
        protocol_version: Cow::Borrowed("HTTP/1.0"),
        default_request_version: Cow::Borrowed("HTTP/0.9"),
        error_message_format: Cow::Borrowed(DEFAULT_ERROR_MESSAGE),
        error_content_type: Cow::Borrowed(DEFAULT_ERROR_CONTENT_TYPE),
        log_message: crate::log::default_log_message,
        version_string: default_version_string,
        before_end_headers: no_hook,
        error_page: default_error_page,
    };
}

impl Default for Class {
    fn default() -> Self {
        Class::BASE
    }
}

/// `version_string()`: `server_version + ' ' + sys_version`.
pub(crate) fn default_version_string(req: &Request) -> String {
    let class = req.class();
    format!("{} {}", class.server_version, class.sys_version)
}

fn no_hook(_: &mut Request) -> io::Result<()> {
    Ok(())
}

/// A request handler: what a `BaseHTTPRequestHandler` subclass is in Python.
///
/// Implemented by `#[http_handler]` on an `impl` block with `do_*` methods;
/// the server creates one value per connection from its factory.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HTTP handler",
    label = "not a handler",
    note = "add `#[http_handler]` to an `impl {Self}` block that defines `do_GET` (or another `do_*` method)"
)]
pub trait Handler: Send + 'static {
    /// The methods this handler answers (its own `do_*` methods and the ones it
    /// inherits), in the order the `Allow` header lists them.
    fn methods(&self) -> Cow<'static, [&'static str]>;

    /// Runs `do_<command>`; a command with no method is answered with
    /// CPython's `501 Unsupported method ('X')` (plus `Allow`).
    fn dispatch(&mut self, req: &mut Request) -> io::Result<()>;

    /// The class attributes and hooks. Read once per connection.
    fn class(&self) -> Class {
        Class::BASE
    }

    /// `handle_expect_100()`: called for `Expect: 100-continue` when both the
    /// request and `protocol_version` are HTTP/1.1 or later; return
    /// `Ok(false)` after sending an error (such as 417) to skip the request.
    ///
    /// CPython's default sends `100 Continue` at once. This default sends it
    /// when the handler first reads the body, as hyper and tiny_http do: a
    /// handler can still refuse (413, 401, ...) before the client sends the
    /// body, and one that answers without reading it has the connection
    /// closed after the response. An overridden `handle_expect_100` keeps
    /// CPython's semantics ([`send_continue`] is CPython's default).
    ///
    /// # Errors
    /// Any I/O error writing the interim response.
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        let line = format!("{} 100 Continue\r\n\r\n", req.protocol_version());
        req.rfile.defer_continue(line.into_bytes());
        Ok(true)
    }
}

/// CPython's `handle_expect_100`: `100 Continue` at once (through
/// `end_headers`, so the `before_end_headers` hook runs), then the request.
///
/// # Errors
/// Any I/O error writing the interim response.
pub fn send_continue(req: &mut Request) -> io::Result<bool> {
    req.send_response_only(100)?;
    req.end_headers()?;
    Ok(true)
}

impl<H: Handler + ?Sized> Handler for Box<H> {
    fn methods(&self) -> Cow<'static, [&'static str]> {
        (**self).methods()
    }
    fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
        (**self).dispatch(req)
    }
    fn class(&self) -> Class {
        (**self).class()
    }
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        (**self).handle_expect_100(req)
    }
}
