//! `#[http_handler]`: turns an `impl` block with `do_*` methods into a
//! `basehttp::Handler`, as CPython's `BaseHTTPRequestHandler` dispatches
//! `do_` + command.
//!
//! `parse` builds the IR, `validate` runs every check (all errors at once),
//! `expand` generates the glue that calls into `basehttp::__private`.

mod expand;
mod hooks;
mod parse;
mod validate;

use proc_macro::TokenStream;

/// Makes the annotated inherent `impl` block a request handler: what a
/// `BaseHTTPRequestHandler` subclass is in Python.
///
/// ```
/// use basehttp::prelude::*;
///
/// struct Hello;
///
/// #[http_handler]
/// impl Hello {
///     fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
///         req.send_response(200)?;
///         req.send_header("Content-Type", "text/plain")?;
///         req.send_header("Content-Length", "6")?;
///         req.end_headers()?;
///         req.wfile.write_all(b"hello\n")
///     }
/// }
///
/// let server = HttpServer::bind("127.0.0.1:0", || Hello)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Methods
///
/// Every `fn do_<METHOD>(&mut self, req: &mut Request) -> io::Result<()>`
/// answers requests whose method is exactly `<METHOD>` (case-sensitive, as in
/// CPython). Any RFC 9110 token works: `do_SPAM`, `do_MKCOL`, `do_M_SEARCH`
/// (answers `M_SEARCH`). For a token that is not an identifier, put
/// `#[method("M-SEARCH")]` on any fn with that signature. Other requests get
/// CPython's `501 Unsupported method ('X')` plus an `Allow` header listing
/// the handler's methods in the order they appear in the impl, then the
/// inherited ones. `#[cfg]` on a method applies to its dispatch arm and its
/// `Allow` entry too. Generic and lifetime-parameterised types work
/// (`Handler` is implemented where `Self: Send + 'static`).
///
/// Mistakes are compile errors, all reported at once: a lowercase name
/// (`do_get`), a near miss of a standard method (`do_PSOT`), `do_` alone,
/// non-token characters, a wrong signature, `async`, generics.
///
/// ```compile_fail
/// use basehttp::prelude::*;
///
/// struct Hello;
///
/// #[http_handler]
/// impl Hello {
///     // error: HTTP methods are case-sensitive ...; did you mean `do_GET`?
///     fn do_get(&mut self, req: &mut Request) -> std::io::Result<()> {
///         req.send_response(200)
///     }
/// }
/// ```
///
/// # Arguments: class attributes and opt-ins
///
/// `#[http_handler(server_version = "Spam/1.0", protocol_version = "HTTP/1.1")]`
/// overrides `BaseHTTPRequestHandler` class attributes (the fields of
/// `basehttp::Class`): `server_version`, `sys_version`, `protocol_version`
/// (`"HTTP/1.0"` or `"HTTP/1.1"`, checked), `error_message_format`,
/// `error_content_type`, `default_request_version`.
///
/// Opt-in behaviours beyond CPython, off by default:
/// - `auto_options`: answer `OPTIONS` with `200`, `Allow` and
///   `Content-Length: 0` (unless the impl has `do_OPTIONS`);
/// - `method_not_allowed`: `405` + `Allow` instead of `501` for standard
///   methods (GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH) the
///   handler lacks;
/// - `auto_head`: answer `HEAD` through the impl's own `do_GET`, with the body
///   discarded, when there is no `do_HEAD` (the default with `extends`);
/// - `inherit_head`: with `extends`, leave `HEAD` to the inherited `do_HEAD`
///   even though the impl has its own `do_GET`.
///
/// ```
/// use basehttp::prelude::*;
/// use std::io;
///
/// struct Api;
///
/// #[http_handler(server_version = "Api/1.0", protocol_version = "HTTP/1.1", auto_options)]
/// impl Api {
///     fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
///         req.send_response(204)?;
///         req.end_headers()
///     }
///
///     // Python: `def end_headers(self): self.send_header(...); super().end_headers()`
///     fn before_end_headers(req: &mut Request) -> io::Result<()> {
///         req.send_header("Access-Control-Allow-Origin", "*")
///     }
/// }
/// ```
///
/// `crate = path` names the runtime crate when it was renamed (default
/// `::basehttp`).
///
/// # Hooks
///
/// Inherent fns with these names are wired in when present (Python's
/// overridden methods):
///
/// | fn | Python |
/// | --- | --- |
/// | `fn log_message(req: &Request, message: &str)` | `log_message` |
/// | `fn version_string(req: &Request) -> String` | `version_string` |
/// | `fn before_end_headers(req: &mut Request) -> io::Result<()>` | an `end_headers` override that adds headers |
/// | `fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool>` | `handle_expect_100` |
/// | `fn error_page(req: &Request, code: u16, message: &str, explain: &str) -> ErrorPage` | `send_error`'s body (`error_message_format`), e.g. JSON |
/// | `fn after_response(req: &Request, exchange: &Exchange)` | `log_request` (the access line), run once per request after its response with its status, bytes sent and duration |
/// | `fn class(&self) -> Class` | the class attributes, computed at run time |
///
/// `class()` is the base the attribute arguments then override.
///
/// A fn named like a Python method that is not a hook here (`end_headers`,
/// `send_error`, `log_request`, ...), like a stock handler method that
/// belongs in its trait impl (`send_head`, `translate_path`, ...), or a near
/// miss of a hook (`before_end_header`, `log_messages`) is a compile error
/// saying what to write instead: it would compile and never run.
///
/// Set `BASEHTTP_MACROS_DEBUG=1` while building to print the generated code.
///
/// # Extending a stock handler
///
/// `extends = path::BaseType` inherits methods, as subclassing
/// `SimpleHTTPRequestHandler` does: `BaseType` implements
/// `basehttp::Base<Self>` (`const METHODS`, `fn dispatch(&mut Self, &mut
/// Request) -> Option<io::Result<()>>`, `fn class(&Self) -> Class`), as the
/// stock `SimpleHttpRequestHandler` (for any `FileHandler`) and
/// `CgiHttpRequestHandler` (for any `CgiHandler`) do. Own `do_*`
/// methods win; then inherited ones; `Allow` lists own methods followed by
/// the inherited ones not already present. An impl with `extends` may have no
/// `do_*` method of its own. An own `do_GET` also answers `HEAD` (body
/// discarded) unless the impl has `do_HEAD` or says `inherit_head`: the
/// routing in `do_GET` decides what `HEAD` describes. Python's
/// `super().do_GET()` is `FileHandler::do_GET(self, req)`. Two mistakes a
/// Python user makes here are compile errors naming the fix: `extends`
/// naming the trait (`extends = FileHandler`, or `dyn FileHandler`) instead
/// of the base type, and `SimpleHttpRequestHandler::do_GET(self, req)` (the
/// stock handler's own method) for `super()`.
#[proc_macro_attribute]
pub fn http_handler(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::http_handler(args.into(), input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `&[&str]`: the methods RFC 9110 §9 and RFC 5789 define, which this crate
/// keeps for its near-miss suggestions (`do_PSOT`). The runtime's
/// `method_not_allowed` set is this expansion, so the two crates hold one
/// list. Not public API: only `basehttp::__private` calls it.
#[doc(hidden)]
#[proc_macro]
pub fn __standard_methods(input: TokenStream) -> TokenStream {
    expand::standard_methods(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
