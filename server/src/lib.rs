//! basehttp: Python's `http.server` rebuilt in Rust.
#![forbid(unsafe_code)]

extern crate self as basehttp;

#[doc(hidden)]
pub mod __private;
mod connection;
pub mod date;
mod engine;
mod handler;
mod headers;
pub mod limits;
pub mod log;
pub mod parse;
pub mod pystr;
mod request;
mod sendfile;
mod server;
pub mod signal;
mod status;
mod stream;

pub use basehttp_macros::http_handler;
pub use handler::{Class, DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, Handler, SYS_VERSION};
pub use headers::Headers;
pub use request::{Request, format_error_page};
pub use server::{HttpServer, ServerConfig, ServerInfo, ThreadingHttpServer};
pub use status::{IntoStatus, InvalidStatusCode, StatusCode, responses};
pub use stream::{Rfile, Transport, Wfile};

/// Everything a handler file needs: `use basehttp::prelude::*;`.
pub mod prelude {
    pub use crate::{Handler, HttpServer, Request, StatusCode, ThreadingHttpServer, http_handler};
    pub use std::io::{Read, Write};
}
