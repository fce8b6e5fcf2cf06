//! Header values of `multipart/form-data`: the `boundary` parameter of
//! `Content-Type` and the parameters of a part's `Content-Disposition`
//! (RFC 2045 §5.1 parameters, RFC 7578 §4.2, RFC 8187 `filename*`): what
//! `cgi.FieldStorage` got from `email.message.Message.get_param`.

use super::error::FormError;

/// Longest boundary RFC 2046 §5.1.1 allows (`1*70` characters).
pub(super) const MAX_BOUNDARY_LEN: usize = 70;

/// The `boundary` of a `multipart/form-data` `Content-Type` value.
///
/// # Errors
/// [`FormError::NotMultipart`] for another type, [`FormError::MissingBoundary`]
/// without a boundary, [`FormError::InvalidBoundary`] for one RFC 2046 §5.1.1
/// forbids (empty, over 70 characters, or with characters outside `bchars`).
pub(super) fn boundary_from_content_type(content_type: &str) -> Result<String, FormError> {
    let (mime, params) = split_header_value(content_type);
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(FormError::NotMultipart);
    }
    let boundary = params
        .into_iter()
        .find(|(k, _)| k == "boundary")
        .map(|(_, v)| v)
        .ok_or(FormError::MissingBoundary)?;
    let bchar = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if boundary.is_empty()
        || boundary.len() > MAX_BOUNDARY_LEN
        || boundary.ends_with(' ')
        || !boundary.chars().all(bchar)
    {
        return Err(FormError::InvalidBoundary);
    }
    Ok(boundary)
}

/// Splits `type; a=b; c="d"` into the first token and `(lowercased key,
/// value)` pairs; quoted strings may hold `;` and backslash escapes.
pub(crate) fn split_header_value(value: &str) -> (String, Vec<(String, String)>) {
    let mut chars = value.chars().peekable();
    let mut first = String::new();
    while let Some(&c) = chars.peek() {
        if c == ';' {
            break;
        }
        first.push(c);
        chars.next();
    }
    let mut params = Vec::new();
    while chars.next() == Some(';') {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                val.push(n);
                            }
                        }
                        c => val.push(c),
                    }
                }
                while chars.peek().is_some_and(|c| *c != ';') {
                    chars.next();
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    val.push(c);
                    chars.next();
                }
                val = val.trim().to_owned();
            }
        }
        let key = key.trim().to_ascii_lowercase();
        if !key.is_empty() {
            params.push((key, val));
        }
    }
    (first.trim().to_owned(), params)
}

/// RFC 8187 `ext-value` (`UTF-8''na%C3%AFve.txt`); other charsets than
/// UTF-8 and ISO-8859-1 are not decoded.
pub(super) fn decode_ext_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let charset = it.next()?;
    let _language = it.next()?;
    let encoded = it.next()?;
    let bytes = crate::pystr::unquote_to_bytes(encoded.as_bytes());
    if charset.eq_ignore_ascii_case("utf-8") {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}
