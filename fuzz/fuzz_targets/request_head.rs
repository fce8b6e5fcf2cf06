//! Fuzzes the request-head parser (`parse.rs`, reached through
//! `basehttp::fuzzing`, which exists only under `--cfg fuzzing`): a request
//! line, then header lines as the connection feeds them (kept, or checked
//! once the parser stopped keeping them), then the framing and `Connection`
//! rules. No input may panic, and the framing decision must be consistent
//! with the headers it came from. Run with `cargo +nightly fuzz run
//! request_head`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::request_head(data));
