//! Fuzzes `basehttp::form::parse_urlencoded` and the header-parameter
//! splitter: no input may panic, and keeping blank values only adds pairs.
//!
//! The checks live in `basehttp::fuzzing::urlencoded` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run urlencoded` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::urlencoded(data));
