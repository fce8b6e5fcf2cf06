//! Request headers: an ordered, case-insensitive multimap, the part of
//! `http.client.HTTPMessage` (an `email.message.Message`) that handlers use.

/// Parsed request headers, in arrival order, duplicates kept. Names and
/// values are latin-1 decoded, as CPython does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Appends a header.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// The first value of `name` (case-insensitive), like `headers.get(name)`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order, like `headers.get_all(name)`.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All `(name, value)` pairs in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of header fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `get_content_type()`: the media type, lower-cased, without
    /// parameters; `text/plain` when absent or malformed.
    pub fn content_type(&self) -> String {
        match self.get("Content-Type") {
            Some(v) => {
                let t = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if t.matches('/').count() == 1 {
                    t
                } else {
                    "text/plain".to_owned()
                }
            }
            None => "text/plain".to_owned(),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut (String, String)> {
        self.entries.last_mut()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_multimap() {
        let mut h = Headers::new();
        h.push("Accept", "text/html");
        h.push("ACCEPT", "text/plain");
        h.push("Host", "x");
        assert_eq!(h.get("accept"), Some("text/html"));
        assert_eq!(
            h.get_all("Accept").collect::<Vec<_>>(),
            ["text/html", "text/plain"]
        );
        assert_eq!(h.get("missing"), None);
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn content_type_defaults_to_text_plain() {
        let mut h = Headers::new();
        assert_eq!(h.content_type(), "text/plain");
        h.push("Content-Type", "Application/JSON; charset=utf-8");
        assert_eq!(h.content_type(), "application/json");
    }
}
