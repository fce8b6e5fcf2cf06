//! Integration tests over real sockets: one binary, one module per area.
#![allow(missing_docs, unreachable_pub, dead_code)]

mod access_log;
mod after_response;
mod base;
mod cgi;
mod clients;
mod compress;
mod dev;
mod engine;
mod equivalence;
mod examples;
mod extend;
mod files;
mod framing;
mod macro_dispatch;
mod macro_optins;
mod macro_overrides;
mod misuse;
mod scaleout;
mod service;
mod service_helpers;
mod sharing;
mod signal;
mod support;
mod tempdir;
mod tls;
mod upload_auth;
