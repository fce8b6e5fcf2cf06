//! Fuzzes the chunked-body decoder (`basehttp`'s `chunked.rs`, reached
//! through `basehttp::fuzzing` under `--cfg fuzzing`): no input may panic,
//! and feeding it a few bytes at a time (the first input byte picks how
//! many) must give the same data, length and error as feeding it whole.
//! Run with `cargo +nightly fuzz run chunked`.
#![no_main]

use basehttp::fuzzing::{chunked_decode_all, chunked_decode_in_steps};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let whole = chunked_decode_all(body);
    let steps = chunked_decode_in_steps(body, usize::from(step % 16) + 1);
    assert_eq!(whole, steps);
    if let Ok(Some((decoded, used))) = &whole {
        assert!(*used <= body.len());
        assert!(decoded.len() < *used);
    }
});
