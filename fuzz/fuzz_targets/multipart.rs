//! Fuzzes `basehttp::form::Multipart`: no input may panic, and reading the
//! body in one go or a few bytes at a time must give the same result.
//!
//! The checks live in `basehttp::fuzzing::multipart` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run multipart` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::multipart(data));
