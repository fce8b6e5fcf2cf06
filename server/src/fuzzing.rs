//! Entry points of the fuzz targets in `fuzz/`, one per target, each
//! panicking where its target must report a failure. Built with `--cfg
//! fuzzing` (what cargo-fuzz passes), and for this crate's unit tests,
//! which replay every committed corpus through them on stable (`fuzz/README.md`).

use crate::multipart::{Limits, PartData, split_header_value};
use crate::urlencoded::{UrlencodedOptions, parse_urlencoded, parse_urlencoded_with};

/// `multipart`: [`Multipart`](crate::form::Multipart) over `data` (after its first byte) read whole
/// and a few bytes per `read` (the first byte picks 1 to 7): the same parts
/// or the same error.
pub fn multipart(data: &[u8]) {
    let (step, body) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s % 7) + 1, rest),
        None => (1, data),
    };
    assert_eq!(
        parse_multipart(body, usize::MAX),
        parse_multipart(body, step)
    );
}

fn parse_multipart(data: &[u8], step: usize) -> Result<Vec<PartData>, String> {
    let limits = Limits {
        max_parts: 16,
        max_part_header_bytes: 256,
        max_total_size: 1 << 16,
        max_field_size: 1 << 10,
    };
    crate::multipart::parse_in_steps(data, "multipart/form-data; boundary=XyZ", step, limits)
        .map_err(|e| e.to_string())
}

/// `urlencoded`: [`parse_urlencoded`], [`parse_urlencoded_with`] keeping
/// blank values (which only ever adds pairs) and [`split_header_value`].
pub fn urlencoded(data: &[u8]) {
    let dropped = parse_urlencoded(data);
    let opts = UrlencodedOptions {
        keep_blank_values: true,
        max_num_fields: None,
    };
    let kept = parse_urlencoded_with(data, &opts).expect("no field limit");
    assert!(kept.len() >= dropped.len());
    let _ = split_header_value(&String::from_utf8_lossy(data));
}

/// `request_head`: the request-head parser over `data`, line by line as a
/// connection feeds it; the framing decision must agree with the headers.
pub fn request_head(data: &[u8]) {
    crate::parse::fuzz_request_head(data);
}

/// `chunked`: the chunked-body decoder over `data` (after its first byte)
/// shown whole and 1 to 16 bytes at a time (the first byte picks how
/// many): the same data, length and error.
pub fn chunked(data: &[u8]) {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let whole = crate::chunked::decode_all(body);
    let steps = crate::chunked::decode_in_steps(body, usize::from(step % 16) + 1);
    assert_eq!(whole, steps);
    if let Ok(Some((decoded, used))) = &whole {
        assert!(*used <= body.len());
        assert!(decoded.len() < *used);
    }
}

/// `range`: a `Range` header for a representation whose length the first
/// nine bytes pick; a served range must lie inside it.
pub fn range(data: &[u8]) {
    crate::handlers::files::fuzz_range(data);
}

/// `http_date`: the `If-Modified-Since` and `If-Range` date parsers, and
/// `Last-Modified` dates written out and read back.
pub fn http_date(data: &[u8]) {
    crate::handlers::files::fuzz_dates(data);
}

/// `cgi_head`: a CGI script's output cut at its header block and parsed
/// (RFC 3875 §6 mode); a parsed status must be a three-digit code, and
/// the head must be one the server can send.
pub fn cgi_head(data: &[u8]) {
    crate::handlers::cgi::fuzz_script_head(data);
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::panic::catch_unwind;
    use std::path::Path;

    use super::*;

    /// A target's entry point: panics where the fuzzer must report a failure.
    type Entry = fn(&[u8]);

    /// Every target by its name in `fuzz/Cargo.toml`.
    const TARGETS: [(&str, Entry); 7] = [
        ("multipart", multipart),
        ("urlencoded", urlencoded),
        ("request_head", request_head),
        ("chunked", chunked),
        ("range", range),
        ("http_date", http_date),
        ("cgi_head", cgi_head),
    ];

    /// Every committed input of every target, through the entry point its
    /// fuzz target calls: the minimised corpora (`fuzz/corpus/<target>/`)
    /// and every failure ever found (`fuzz/regressions/<target>/`). They sit
    /// outside this package, which ships no fixtures: built from the
    /// published crate, where there is no `fuzz/`, the test has nothing to
    /// replay.
    #[test]
    fn fuzz_corpora_replay() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let Ok(manifest) = fs::read_to_string(fuzz.join("Cargo.toml")) else {
            eprintln!("no fuzz/ beside this package: nothing to replay");
            return;
        };
        let mut bins: Vec<&str> = manifest
            .split("[[bin]]")
            .skip(1)
            .filter_map(|bin| bin.split('"').nth(1))
            .collect();
        let mut names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
        bins.sort_unstable();
        names.sort_unstable();
        assert_eq!(bins, names, "fuzz/Cargo.toml's targets and TARGETS differ");

        let mut failed = Vec::new();
        for (name, entry) in TARGETS {
            let mut inputs = 0;
            for dir in ["corpus", "regressions"] {
                let Ok(files) = fs::read_dir(fuzz.join(dir).join(name)) else {
                    continue;
                };
                for file in files {
                    let path = file.expect("readable corpus directory").path();
                    let data = fs::read(&path).expect("readable corpus file");
                    if catch_unwind(|| entry(&data)).is_err() {
                        failed.push(path.display().to_string());
                    }
                    inputs += 1;
                }
            }
            assert!(inputs > 0, "no corpus committed for fuzz target {name}");
        }
        assert!(failed.is_empty(), "fuzz inputs that panic: {failed:#?}");
    }
}
