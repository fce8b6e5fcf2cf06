//! Items only `#[http_handler]`'s generated code calls. Not public API.

use std::io;

use crate::pystr::py_repr;
use crate::request::Request;

pub use std::borrow::Cow;

/// The fallback for a command without a `do_*` method: CPython's
/// `501 Unsupported method ('X')`, plus an `Allow` header.
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
