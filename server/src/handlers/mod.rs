//! The stock handlers of CPython's `http.server`: [`SimpleHttpRequestHandler`]
//! (files and directory listings) and [`CgiHttpRequestHandler`] (CGI scripts).

pub mod cgi;
pub mod files;

pub use cgi::{CgiHandler, CgiHttpRequestHandler};
pub use files::{Body, FileHandler, SimpleHttpRequestHandler};

use std::io;

use crate::request::Request;

/// `Handler::dispatch` of a stock handler: the inherited `do_*` method's
/// result, else CPython's `501` with `Allow`. This is what
/// `#[http_handler(extends = ..)]` generates for an impl with no `do_*`
/// method of its own; the two stock handlers write `impl Handler` by hand
/// (so rustc lists them by name among `Handler`'s implementors) and share
/// this body.
pub(crate) fn dispatch_stock(
    inherited: Option<io::Result<()>>,
    req: &mut Request,
    methods: &[&str],
) -> io::Result<()> {
    match inherited {
        Some(r) => r,
        None => crate::__private::fallback(req, methods, crate::__private::Fallback::default()),
    }
}
