//! Fuzzes the chunked-body decoder (`chunked.rs`): no input may panic, and
//! feeding it a few bytes at a time (the first input byte picks how many)
//! must give the same data, length and error as feeding it whole.
//!
//! The checks live in `basehttp::fuzzing::chunked` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run chunked` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::chunked(data));
