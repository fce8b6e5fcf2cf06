//! `application/x-www-form-urlencoded` bodies and query strings, with the
//! semantics of CPython's `urllib.parse.parse_qsl` (`Lib/urllib/parse.py`).
//!
//! Written here rather than on the `form_urlencoded` crate because that crate
//! always keeps blank values and splits on `;`-free `&` only with no field
//! cap, while `parse_qsl` drops blank values by default and has
//! `max_num_fields`; the code is a few dozen lines.

use crate::pystr::unquote_to_bytes;

/// Options of `parse_qsl(qs, keep_blank_values=False, strict_parsing=False,
/// max_num_fields=None, separator='&')`.
#[derive(Clone, Debug, Default)]
pub(crate) struct UrlencodedOptions {
    /// Keep `name=` and bare `name` pairs with an empty value (`parse_qsl`'s
    /// `keep_blank_values`).
    pub(crate) keep_blank_values: bool,
    /// At most this many fields; more is an error (`max_num_fields`).
    pub(crate) max_num_fields: Option<usize>,
}

/// Too many fields for [`UrlencodedOptions::max_num_fields`] (CPython raises
/// `ValueError('Max number of fields exceeded')`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooManyFields;

/// `urllib.parse.parse_qsl(body)`: `&`-separated `name=value` pairs, `+` as a
/// space, `%XX` decoded, invalid UTF-8 replaced by U+FFFD, blank values dropped.
pub fn parse_urlencoded(input: &[u8]) -> Vec<(String, String)> {
    let options = UrlencodedOptions::default();
    parse_urlencoded_with(input, &options).unwrap_or_default()
}

/// `parse_qsl` with options.
///
/// # Errors
/// [`TooManyFields`] when `max_num_fields` is exceeded (counted, as CPython
/// does, as the number of `&` plus one, before parsing).
pub(crate) fn parse_urlencoded_with(
    input: &[u8],
    options: &UrlencodedOptions,
) -> Result<Vec<(String, String)>, TooManyFields> {
    if let Some(max) = options.max_num_fields
        && input.iter().filter(|&&b| b == b'&').count() + 1 > max
    {
        return Err(TooManyFields);
    }
    let mut out = Vec::new();
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None if options.keep_blank_values => (pair, &b""[..]),
            None => continue,
        };
        if !value.is_empty() || options.keep_blank_values {
            out.push((unquote_plus(name), unquote_plus(value)));
        }
    }
    Ok(out)
}

/// `urllib.parse.unquote_plus(s, errors='replace')` over bytes: `+` is a
/// space, `%XX` a byte (a `%` not followed by two hex digits stays as is), and
/// the result is decoded as UTF-8 with U+FFFD for invalid sequences.
fn unquote_plus(input: &[u8]) -> String {
    let spaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&unquote_to_bytes(&spaced)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|&(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    // Expected values from CPython 3.x: `urllib.parse.parse_qsl(s)` and
    // `parse_qsl(s, keep_blank_values=True)`.
    #[test]
    fn parse_qsl_table() {
        type Pairs = &'static [(&'static str, &'static str)];
        let table: &[(&[u8], Pairs, Pairs)] = &[
            (b"", &[], &[]),
            (b"&", &[], &[]),
            (b"&&", &[], &[]),
            (b"=", &[], &[("", "")]),
            (b"=a", &[("", "a")], &[("", "a")]),
            (b"a", &[], &[("a", "")]),
            (b"a=", &[], &[("a", "")]),
            (b"&a=b", &[("a", "b")], &[("a", "b")]),
            (
                b"a=a+b&b=b+c",
                &[("a", "a b"), ("b", "b c")],
                &[("a", "a b"), ("b", "b c")],
            ),
            (
                b"a=1&a=2",
                &[("a", "1"), ("a", "2")],
                &[("a", "1"), ("a", "2")],
            ),
            (b"a=b=c", &[("a", "b=c")], &[("a", "b=c")]),
            (b"a;b=c", &[("a;b", "c")], &[("a;b", "c")]),
            (b"x=%41%2b%2B", &[("x", "A++")], &[("x", "A++")]),
            (b"x=%zz%4", &[("x", "%zz%4")], &[("x", "%zz%4")]),
            (b"x=%", &[("x", "%")], &[("x", "%")]),
            (b"%C3%A9=%E2%82%AC", &[("é", "€")], &[("é", "€")]),
            (b"x=%FF", &[("x", "\u{FFFD}")], &[("x", "\u{FFFD}")]),
            (b"x=\xff", &[("x", "\u{FFFD}")], &[("x", "\u{FFFD}")]),
            (
                b"k=v&empty=&bare",
                &[("k", "v")],
                &[("k", "v"), ("empty", ""), ("bare", "")],
            ),
        ];
        for &(input, dropped, kept) in table {
            assert_eq!(parse_urlencoded(input), pairs(dropped), "{input:?}");
            let opts = UrlencodedOptions {
                keep_blank_values: true,
                ..Default::default()
            };
            assert_eq!(
                parse_urlencoded_with(input, &opts).unwrap(),
                pairs(kept),
                "{input:?} keep_blank_values"
            );
        }
    }

    #[test]
    fn max_num_fields() {
        let opts = UrlencodedOptions {
            max_num_fields: Some(2),
            ..Default::default()
        };
        assert!(parse_urlencoded_with(b"a=1&b=2", &opts).is_ok());
        assert_eq!(
            parse_urlencoded_with(b"a=1&b=2&c=3", &opts),
            Err(TooManyFields)
        );
        // CPython counts separators, so even empty fields count.
        assert_eq!(parse_urlencoded_with(b"a=1&&", &opts), Err(TooManyFields));
    }
}
