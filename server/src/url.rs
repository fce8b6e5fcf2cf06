//! The request target as Python handlers take it apart:
//! `urllib.parse.urlsplit(self.path)` and `parse_qsl(query)`, as
//! [`Request::url`](crate::Request::url) returns it.

use crate::pystr::unquote;
use crate::urlencoded::parse_urlencoded;

/// The five parts of `urllib.parse.urlsplit(url)`, borrowed from the
/// target, with Python's follow-ups (`unquote(path)`, `parse_qsl(query)`).
///
/// ```
/// let url = basehttp::urlsplit("/api/items%20x?id=3&tag=a+b&empty=#top");
/// assert_eq!((url.path, url.query, url.fragment), ("/api/items%20x", "id=3&tag=a+b&empty=", "top"));
/// assert_eq!(url.path_unquoted(), "/api/items x");
/// assert_eq!(url.query_pairs(), [("id".into(), "3".into()), ("tag".into(), "a b".into())]);
/// assert_eq!(url.query_value("id").as_deref(), Some("3"));
/// assert_eq!(url.query_value("empty"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitUrl<'a> {
    /// Lower-cased scheme, or empty.
    pub scheme: String,
    /// Authority after `//`, or empty.
    pub netloc: &'a str,
    /// The path.
    pub path: &'a str,
    /// After `?`, without it.
    pub query: &'a str,
    /// After `#`, without it.
    pub fragment: &'a str,
}

/// `urllib.parse.urlsplit(url)` (for request targets: no surrounding
/// whitespace or control characters to strip).
pub fn urlsplit(url: &str) -> SplitUrl<'_> {
    let mut rest = url;
    let mut scheme = String::new();
    if let Some(i) = url.find(':')
        && i > 0
        && url.as_bytes()[0].is_ascii_alphabetic()
        && url[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        scheme = url[..i].to_ascii_lowercase();
        rest = &url[i + 1..];
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    SplitUrl {
        scheme,
        netloc,
        path,
        query,
        fragment,
    }
}

impl SplitUrl<'_> {
    /// `urllib.parse.unquote(path)`: percent-decoded, invalid UTF-8 as U+FFFD
    /// (`+` stays a `+` in a path).
    pub fn path_unquoted(&self) -> String {
        unquote(self.path)
    }

    /// `urllib.parse.parse_qsl(query)`: the `name=value` pairs in order,
    /// `+` as a space, percent-decoded, blank values dropped.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_urlencoded(self.query.as_bytes())
    }

    /// `parse_qs(query).get(name, [None])[0]`: the first value of `name`.
    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}
