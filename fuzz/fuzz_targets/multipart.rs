//! Fuzzes `basehttp::form::Multipart`: no input may panic, and reading the
//! body in one go or a few bytes at a time must give the same result.
//! Run with `cargo +nightly fuzz run multipart` from `fuzz/`.
#![no_main]

use std::io::{self, Read};

use basehttp::form::{Limits, Multipart};
use libfuzzer_sys::fuzz_target;

/// Returns at most `step` bytes per `read`.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn parse(data: &[u8], step: usize) -> Result<Vec<(String, Option<String>, Vec<u8>)>, String> {
    let limits = Limits {
        max_parts: 16,
        max_part_header_bytes: 256,
        max_total_size: 1 << 16,
        max_field_size: 1 << 10,
    };
    let reader = Trickle { data, step };
    let mut mp = Multipart::with_limits(reader, "multipart/form-data; boundary=XyZ", limits)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(mut part) = mp.next_part().map_err(|e| e.to_string())? {
        let mut body = Vec::new();
        part.copy_to(&mut body).map_err(|e| e.to_string())?;
        out.push((part.name().to_owned(), part.headers.filename.clone(), body));
    }
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let (step, body) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s % 7) + 1, rest),
        None => (1, data),
    };
    assert_eq!(parse(body, usize::MAX), parse(body, step));
});
