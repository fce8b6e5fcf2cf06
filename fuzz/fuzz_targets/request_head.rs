//! Fuzzes the request-head parser (`parse.rs`): a request line, then header
//! lines as the connection feeds them (kept, or checked once the parser
//! stopped keeping them), then the framing and `Connection` rules. No input
//! may panic, and the framing decision must be consistent with the headers
//! it came from.
//!
//! The checks live in `basehttp::fuzzing::request_head` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run request_head` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::request_head(data));
