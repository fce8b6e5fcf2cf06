//! The directory listing page of `SimpleHTTPRequestHandler.list_directory`
//! (CPython 3.14+ layout, with the `color-scheme` style block), as bytes:
//! names that are not UTF-8 appear raw, as Python's `surrogateescape` writes
//! them.

use super::path::quote_fs_name;
use crate::pystr::push_html_escaped;

/// One directory entry as the listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The file name, raw bytes.
    pub name: Vec<u8>,
    /// `os.path.isdir` (follows symlinks): adds `/` to link and text.
    pub is_dir: bool,
    /// `os.path.islink`: adds `@` to the text.
    pub is_link: bool,
}

/// The sort key of `list.sort(key=lambda a: a.lower())`: the code points of
/// the lower-cased name, undecodable bytes as their `surrogateescape` code
/// points.
pub(crate) fn sort_key(name: &[u8]) -> Vec<u32> {
    let mut key = Vec::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        key.extend(chunk.valid().to_lowercase().chars().map(u32::from));
        key.extend(chunk.invalid().iter().map(|&b| 0xDC00 | u32::from(b)));
    }
    key
}

/// Sorts entries as CPython does (stable, by Python `lower()`).
pub(crate) fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by_cached_key(|e| sort_key(&e.name));
}

/// The listing page for `displaypath` (the unquoted request path without
/// query or fragment, as OS bytes) and the already sorted `entries`, with
/// `link` (the archive's, `--archive`) below the heading; without it,
/// CPython's bytes.
pub(crate) fn render_listing(displaypath: &[u8], entries: &[Entry], link: Option<&str>) -> Vec<u8> {
    let mut title = b"Directory listing for ".to_vec();
    push_html_escaped(&mut title, displaypath);
    let mut out = Vec::with_capacity(400 + entries.len() * 80);
    out.extend_from_slice(
        b"<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
          <style type=\"text/css\">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n<title>",
    );
    out.extend_from_slice(&title);
    out.extend_from_slice(b"</title>\n</head>\n<body>\n<h1>");
    out.extend_from_slice(&title);
    out.extend_from_slice(b"</h1>\n");
    out.extend_from_slice(link.unwrap_or("").as_bytes());
    out.extend_from_slice(b"<hr>\n<ul>\n");
    for e in entries {
        let mut link = e.name.clone();
        let mut display = e.name.clone();
        if e.is_dir {
            link.push(b'/');
            display.push(b'/');
        }
        if e.is_link {
            display = e.name.clone();
            display.push(b'@');
        }
        out.extend_from_slice(b"<li><a href=\"");
        out.extend_from_slice(quote_fs_name(&link).as_bytes());
        out.extend_from_slice(b"\">");
        push_html_escaped(&mut out, &display);
        out.extend_from_slice(b"</a></li>\n");
    }
    out.extend_from_slice(b"</ul>\n<hr>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, is_dir: bool, is_link: bool) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            is_dir,
            is_link,
        }
    }

    #[test]
    fn appendix_a4_listing_is_byte_exact() {
        let mut entries = vec![
            entry("withindex", true, false),
            entry("Zdir", true, false),
            entry("test.txt", false, false),
            entry("subdir", true, false),
            entry("noext", false, false),
            entry("link.txt", false, true),
            entry("dirlink", true, true),
            entry("data.json", false, false),
            entry("arch.tar.gz", false, false),
            entry("a b&<c>.html", false, false),
        ];
        sort_entries(&mut entries);
        let page = render_listing(b"/", &entries, None);
        let want = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<style type=\"text/css\">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n\
<title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n\
<hr>\n<ul>\n\
<li><a href=\"a%20b%26%3Cc%3E.html\">a b&amp;&lt;c&gt;.html</a></li>\n\
<li><a href=\"arch.tar.gz\">arch.tar.gz</a></li>\n\
<li><a href=\"data.json\">data.json</a></li>\n\
<li><a href=\"dirlink/\">dirlink@</a></li>\n\
<li><a href=\"link.txt\">link.txt@</a></li>\n\
<li><a href=\"noext\">noext</a></li>\n\
<li><a href=\"subdir/\">subdir/</a></li>\n\
<li><a href=\"test.txt\">test.txt</a></li>\n\
<li><a href=\"withindex/\">withindex/</a></li>\n\
<li><a href=\"Zdir/\">Zdir/</a></li>\n\
</ul>\n<hr>\n</body>\n</html>\n";
        assert_eq!(String::from_utf8(page).unwrap(), want);
        assert_eq!(want.len(), 691);
        assert_eq!(render_listing(b"/subdir/", &[], None).len(), 270);
    }

    /// With `--archive` the page changes only by the link below the
    /// heading.
    #[test]
    fn the_archive_link_is_the_only_change() {
        let entries = [entry("a.txt", false, false)];
        let plain = render_listing(b"/d/", &entries, None);
        let link = "<p><a href=\"?archive=tar.gz\">Download this folder (.tar.gz)</a></p>\n";
        let linked = render_listing(b"/d/", &entries, Some(link));
        let at = plain.windows(6).position(|w| w == b"</h1>\n").unwrap() + 6;
        let mut want = plain.clone();
        want.splice(at..at, link.bytes());
        assert_eq!(linked, want);
    }

    #[test]
    fn sort_is_stable_python_lower() {
        let mut entries: Vec<Entry> = [
            "ABC.txt",
            "abc.txt",
            "Abc.txt",
            "B",
            "a",
            "_u",
            "\u{e9}t\u{e9}",
            "~t",
            "-d",
        ]
        .iter()
        .map(|n| entry(n, false, false))
        .collect();
        entries.push(Entry {
            name: b"\xff\xfe".to_vec(),
            is_dir: false,
            is_link: false,
        });
        sort_entries(&mut entries);
        let names: Vec<String> = entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "-d",
                "_u",
                "a",
                "ABC.txt",
                "abc.txt",
                "Abc.txt",
                "B",
                "~t",
                "\u{e9}t\u{e9}",
                "\u{fffd}\u{fffd}"
            ]
        );
    }

    #[test]
    fn undecodable_names_are_raw() {
        let e = Entry {
            name: b"\xff<.txt".to_vec(),
            is_dir: false,
            is_link: false,
        };
        let page = render_listing(b"/x\xff/", &[e], None);
        let needle = b"<li><a href=\"%ED%B3%BF%3C.txt\">\xff&lt;.txt</a></li>";
        assert!(page.windows(needle.len()).any(|w| w == needle));
        assert!(page.windows(4).any(|w| w == b"/x\xff/"));
    }
}
