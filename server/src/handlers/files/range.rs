//! `Range: bytes=...` (RFC 9110 §14.1.2, §14.2), beyond CPython, which
//! ignores it. Only one range is served: a header naming several ranges is
//! ignored (a full `200`, which §14.2 allows), as is any header that does
//! not parse.

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// Serve the whole representation (no usable range).
    Ignore,
    /// Serve `start..=end` with 206.
    Satisfiable {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Larger than u64: clamp, it is past any file's end anyway.
    Some(s.parse().unwrap_or(u64::MAX))
}

/// Parses a `Range` header for a representation of `len` bytes.
pub(crate) fn parse_range(header: &str, len: u64) -> ByteRange {
    let header = header.trim();
    let Some((unit, set)) = header.split_once('=') else {
        return ByteRange::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return ByteRange::Ignore;
    }
    let specs: Vec<&str> = set
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let [spec] = specs.as_slice() else {
        return ByteRange::Ignore;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // suffix-range: the last N bytes.
        let Some(n) = digits(last) else {
            return ByteRange::Ignore;
        };
        if n == 0 || len == 0 {
            return ByteRange::Unsatisfiable;
        }
        return ByteRange::Satisfiable {
            start: len.saturating_sub(n),
            end: len - 1,
        };
    }
    let Some(start) = digits(first) else {
        return ByteRange::Ignore;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match digits(last) {
            Some(e) if e >= start => e,
            _ => return ByteRange::Ignore,
        }
    };
    if start >= len {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Satisfiable {
        start,
        end: end.min(len - 1),
    }
}

/// The fuzz target `range` (built with `--cfg fuzzing`; its corpus is
/// replayed by `cargo test`): byte 0 and bytes 1 to 8 pick a length (a
/// little-endian `u64` shifted right by byte 0 mod 64), the rest is the
/// header. Panics if a served range leaves the representation, if it does
/// not read back as itself, or if the length decides whether the header is
/// ignored (only its syntax may).
#[cfg(any(test, fuzzing))]
pub(crate) fn fuzz_range(data: &[u8]) {
    let Some((head, rest)) = data.split_first_chunk::<9>() else {
        return;
    };
    let [shift, len @ ..] = *head;
    let len = u64::from_le_bytes(len) >> (shift % 64);
    let header = crate::pystr::latin1(rest);
    let got = parse_range(&header, len);
    if let ByteRange::Satisfiable { start, end } = got {
        assert!(start <= end && end < len, "{header:?} on {len}: {got:?}");
        let again = parse_range(&format!("bytes={start}-{end}"), len);
        assert_eq!(again, got, "{header:?} on {len}");
    }
    for other in [0, 1, len / 2, len.saturating_add(1), u64::MAX] {
        let there = parse_range(&header, other);
        assert_eq!(
            there == ByteRange::Ignore,
            got == ByteRange::Ignore,
            "{header:?} on {len}: {got:?}, on {other}: {there:?}"
        );
        // A range served from some length is served from any longer one.
        if other > len && matches!(got, ByteRange::Satisfiable { .. }) {
            assert!(matches!(there, ByteRange::Satisfiable { .. }), "{header:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange::*;
    use super::*;

    #[test]
    fn ranges() {
        let s = |start, end| Satisfiable { start, end };
        let cases = [
            ("bytes=0-4", 10, s(0, 4)),
            ("bytes=5-", 10, s(5, 9)),
            ("bytes=-3", 10, s(7, 9)),
            ("bytes=-30", 10, s(0, 9)),
            ("bytes=2-100", 10, s(2, 9)),
            ("BYTES = 1-1", 10, s(1, 1)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=5-4", 10, Ignore),
            ("bytes=0-1,3-4", 10, Ignore),
            ("bytes=a-b", 10, Ignore),
            ("bytes=-", 10, Ignore),
            ("items=0-1", 10, Ignore),
            ("garbage", 10, Ignore),
            ("bytes=+1-2", 10, Ignore),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
        ];
        for (h, len, want) in cases {
            assert_eq!(parse_range(h, len), want, "{h:?}");
        }
    }
}
