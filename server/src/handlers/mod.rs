//! The stock handlers of CPython's `http.server`: [`SimpleHttpRequestHandler`]
//! (files and directory listings) and [`CgiHttpRequestHandler`] (CGI scripts).

pub mod cgi;
pub mod files;

pub use crate::file::SharedFile;
pub use cgi::{CgiHandler, CgiHttpRequestHandler};
pub use files::{BasicAuth, Body, FileHandler, SimpleHttpRequestHandler, Upload};
