//! The stock handlers of CPython's `http.server`: [`SimpleHttpRequestHandler`]
//! (files and directory listings).

pub mod files;

pub use files::{Body, FileHandler, SimpleHttpRequestHandler};
