//! Items only `#[http_handler]`'s generated code and the `basehttp` binary
//! use. Not public API.
//!
//! The generated `dispatch` is a `match` on the method name; everything after
//! it (the 501/405 answers with `Allow`, automatic `OPTIONS` and `HEAD`, the
//! inherited method list) lives here as ordinary, tested functions.
//!
//! The binary takes from here what it shares with the library rather than
//! compiling the library's files a second time: Python's `int()` (its port
//! argument) and `repr()` (its `OSError` text), and the signal watcher that
//! `serve_until_signal` runs, with CPython's `Keyboard interrupt` message.

use std::io;

use crate::request::Request;

pub use crate::handler::unsupported_method;
pub use crate::pystr::{PyIntError, py_int, py_repr};
pub use crate::signal::{ShutdownOnSignals, shutdown_on_signals};
pub use std::borrow::Cow;

/// Methods defined by RFC 9110 §9 and RFC 5789: `method_not_allowed`
/// answers these with 405; any other unknown token still gets 501. The
/// macro crate owns the list (its near-miss suggestions use it too).
pub const STANDARD_METHODS: &[&str] = basehttp_macros::__standard_methods!();

/// The opt-in answers of [`fallback`], from `#[http_handler(auto_options,
/// method_not_allowed)]`; named fields so generated code cannot swap them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fallback {
    /// `auto_options`: answer `OPTIONS` with `200` and `Allow`.
    pub auto_options: bool,
    /// `method_not_allowed`: answer a standard method with `405` and `Allow`.
    pub method_not_allowed: bool,
}

/// The fallback for a command without a `do_*` method.
///
/// - `auto_options` and `OPTIONS`: `200`, `Allow`, `Content-Length: 0`;
/// - `method_not_allowed` and a standard method: `405` + `Allow`;
/// - otherwise CPython's `501 Unsupported method ('X')`, plus `Allow`.
///
/// # Errors
/// I/O errors writing the response.
pub fn fallback(req: &mut Request, methods: &[&str], opts: Fallback) -> io::Result<()> {
    let allow = methods.join(", ");
    if opts.auto_options && req.command == "OPTIONS" {
        req.send_response(200)?;
        req.send_header("Allow", &allow)?;
        req.send_header("Content-Length", "0")?;
        return req.end_headers();
    }
    if opts.method_not_allowed && STANDARD_METHODS.contains(&req.command.as_str()) {
        return req.send_error_full(405, None, None, &[("Allow", &allow)]);
    }
    unsupported_method(req, methods)
}

/// `auto_head`: runs `get` (the handler's `do_GET`) for a `HEAD` request with
/// everything written after the headers discarded. The command stays `HEAD`.
///
/// # Errors
/// Whatever `get` returns.
pub fn head_via_get(
    req: &mut Request,
    get: impl FnOnce(&mut Request) -> io::Result<()>,
) -> io::Result<()> {
    req.wfile.set_discard_body(true);
    let r = get(req);
    req.wfile.set_discard_body(false);
    r
}

/// The `Allow` list of an `extends` handler: own methods, then the
/// inherited ones not already present.
pub fn merge_methods(
    own: &'static [&'static str],
    inherited: &'static [&'static str],
) -> Cow<'static, [&'static str]> {
    if inherited.iter().all(|m| own.contains(m)) {
        return Cow::Borrowed(own);
    }
    if own.is_empty() {
        return Cow::Borrowed(inherited);
    }
    let mut all = own.to_vec();
    for m in inherited {
        if !all.contains(m) {
            all.push(m);
        }
    }
    Cow::Owned(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_own_order_then_new_inherited() {
        assert_eq!(
            &*merge_methods(&["POST", "GET"], &["GET", "HEAD"]),
            ["POST", "GET", "HEAD"]
        );
        assert!(matches!(
            merge_methods(&["GET", "HEAD"], &["HEAD"]),
            Cow::Borrowed(["GET", "HEAD"])
        ));
        assert!(matches!(
            merge_methods(&[], &["GET"]),
            Cow::Borrowed(["GET"])
        ));
    }
}
