//! Fuzzes the `Range` header parser (`handlers/files/range.rs`): the first
//! nine bytes pick the file's length, the rest is the header. A served
//! range must lie inside the file and read back as itself, and only the
//! header's syntax, never the length, may decide that it is ignored.
//!
//! The checks live in `basehttp::fuzzing::range` (built with `--cfg
//! fuzzing`), which `cargo test` also runs over the committed corpus.
//! Run with `cargo +nightly fuzz run range` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| basehttp::fuzzing::range(data));
