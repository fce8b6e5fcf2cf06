//! The `Handler` trait that `#[http_handler]` implements: what a
//! `BaseHTTPRequestHandler` subclass is in Python. Its `do_*` methods live
//! on the user's type and the macro generates the dispatch; the class
//! attributes and hooks the response machinery needs while a `do_*` method
//! runs are the [`Class`] value it returns (`request.rs`).

use std::borrow::Cow;
use std::io;

use crate::pystr::py_repr;
use crate::request::{Class, Request};

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

/// A base handler that `#[http_handler(extends = BaseType)]` inherits from,
/// what subclassing `SimpleHTTPRequestHandler` is in Python: its methods
/// (for `Allow`), its dispatch of them, and its class attributes. `H` is the
/// extending type, which implements the base's overridable trait.
///
/// The stock handlers are bases: [`SimpleHttpRequestHandler`] for every
/// `H: FileHandler`, [`CgiHttpRequestHandler`] for every `H: CgiHandler`. A
/// stock-style handler of your own is one more:
///
/// ```
/// use basehttp::prelude::*;
/// use basehttp::{Base, Class};
/// use std::io;
///
/// /// The overridable part: a greeting.
/// pub trait Greeter: Send + 'static {
///     fn greeting(&self) -> &str { "hello" }
///     #[allow(non_snake_case)]
///     fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
///         let body = format!("{}\n", self.greeting());
///         req.respond(200, "text/plain", body)
///     }
/// }
///
/// /// The base `extends` names.
/// pub struct GreeterBase;
///
/// impl<H: Greeter> Base<H> for GreeterBase {
///     const METHODS: &'static [&'static str] = &["GET"];
///     fn dispatch(handler: &mut H, req: &mut Request) -> Option<io::Result<()>> {
///         (req.command == "GET").then(|| handler.do_GET(req))
///     }
///     fn class(_: &H) -> Class {
///         Class { server_version: "Greeter".into(), ..Class::BASE }
///     }
/// }
///
/// struct French;
/// impl Greeter for French {
///     fn greeting(&self) -> &str { "bonjour" }
/// }
///
/// #[http_handler(extends = GreeterBase)]
/// impl French {
///     fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
///         req.send_error(403)
///     }
/// }
///
/// assert_eq!(&*French.methods(), ["DELETE", "GET"]);
/// ```
///
/// [`SimpleHttpRequestHandler`]: crate::handlers::SimpleHttpRequestHandler
/// [`CgiHttpRequestHandler`]: crate::handlers::CgiHttpRequestHandler
pub trait Base<H: ?Sized> {
    /// The methods the base answers, in the order `Allow` lists them.
    const METHODS: &'static [&'static str];

    /// Runs the base's `do_<command>` on `handler`; `None` when it has none.
    fn dispatch(handler: &mut H, req: &mut Request) -> Option<io::Result<()>>;

    /// The class attributes `handler` starts from (its own `#[http_handler]`
    /// arguments then override them).
    fn class(handler: &H) -> Class;
}

/// CPython's answer to a command without a `do_` method:
/// `501 Unsupported method ('X')`, plus an `Allow` header listing
/// `methods` (none when empty). What a hand-written
/// [`Handler::dispatch`] ends with:
///
/// ```
/// use basehttp::{Handler, Request, unsupported_method};
/// use std::borrow::Cow;
///
/// struct Echo;
///
/// impl Handler for Echo {
///     fn methods(&self) -> Cow<'static, [&'static str]> {
///         Cow::Borrowed(&["GET"])
///     }
///     fn dispatch(&mut self, req: &mut Request) -> std::io::Result<()> {
///         match req.command.as_str() {
///             "GET" => req.respond(200, "text/plain", req.path.clone()),
///             _ => unsupported_method(req, &self.methods()),
///         }
///     }
/// }
/// ```
///
/// # Errors
/// I/O errors writing the response.
pub fn unsupported_method(req: &mut Request, methods: &[&str]) -> io::Result<()> {
    let message = format!("Unsupported method ({})", py_repr(&req.command));
    let allow = methods.join(", ");
    let extra: &[(&str, &str)] = if allow.is_empty() {
        &[]
    } else {
        &[("Allow", &allow)]
    };
    req.send_error_full(501, Some(&message), None, extra)
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
