//! The stock handlers: ports of CPython's `SimpleHTTPRequestHandler`
//! (files and directory listings) and `CGIHTTPRequestHandler`.

pub mod cgi;
pub mod files;

pub use files::{Body, FileHandler, SimpleHttpRequestHandler};
