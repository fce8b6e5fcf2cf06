//! Fuzzes the parser of a CGI script's response head (RFC 3875 §6 mode,
//! `handlers/cgi/rfc3875.rs`): the output is cut at its first blank line
//! and the block parsed. A parsed status must be a three-digit code, the
//! head must be one `send_header` accepts, and written back out it must
//! parse to itself.
//!
//! The checks live in `basehttp::fuzzing::cgi_head` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run cgi_head` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::cgi_head(data));
