//! Integration tests over real sockets: one binary, one module per area.
#![allow(missing_docs, unreachable_pub, dead_code)]

mod files;
mod support;

mod cgi;
