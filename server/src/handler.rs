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
    /// Hook: `log_message(format, *args)`; receives the formatted, not yet
    /// escaped message. The default escapes control characters and writes
    /// CPython's line to stderr ([`crate::log::default_log_message`]).
    pub log_message: fn(&Request, &str),
    /// Hook: `version_string()`, the `Server` header value.
    pub version_string: fn(&Request) -> String,
    /// Hook run by `end_headers` just before the blank line is written: the
    /// place to add a header to every response (Python code overrides
    /// `end_headers` for this).
    pub before_end_headers: fn(&mut Request) -> io::Result<()>,
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
    /// request and `protocol_version` are HTTP/1.1 or later. The default sends
    /// `100 Continue`; return `Ok(false)` after sending an error (such as 417)
    /// to skip the request.
    ///
    /// # Errors
    /// Any I/O error writing the interim response.
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        req.send_response_only(100)?;
        req.end_headers()?;
        Ok(true)
    }
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
