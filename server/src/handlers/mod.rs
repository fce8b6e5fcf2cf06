//! The stock handlers: ports of CPython's `SimpleHTTPRequestHandler` and
//! `CGIHTTPRequestHandler`.

pub mod cgi;
