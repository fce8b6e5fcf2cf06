//! Fuzzes `basehttp::form::parse_urlencoded` and the header-parameter
//! splitter: no input may panic. Run with `cargo +nightly fuzz run urlencoded`.
#![no_main]

use basehttp::form::{
    UrlencodedOptions, parse_urlencoded, parse_urlencoded_with, split_header_value,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dropped = parse_urlencoded(data);
    let opts = UrlencodedOptions {
        keep_blank_values: true,
        max_num_fields: None,
    };
    let kept = parse_urlencoded_with(data, &opts).expect("no field limit");
    // Keeping blank values only ever adds pairs.
    assert!(kept.len() >= dropped.len());
    let _ = split_header_value(&String::from_utf8_lossy(data));
});
