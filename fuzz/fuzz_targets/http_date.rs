//! Fuzzes the HTTP-date parsers: `If-Modified-Since` (the port of Python's
//! `parsedate_to_datetime`, `handlers/files/conditional.rs`) and `If-Range`
//! (`httpdate`). A parsed date must be in Python's range, a date written as
//! `Last-Modified` must read back as the same instant, and the 304 and
//! `If-Range` rules must agree with the dates they parse.
//!
//! The checks live in `basehttp::fuzzing::http_date` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run http_date` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::http_date(data));
