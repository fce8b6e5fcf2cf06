//! URL paths to file-system paths and back: CPython's `translate_path`, the
//! pieces of `urllib.parse` it relies on (`unquote(errors='surrogatepass')`,
//! `quote`, `urlsplit`/`urlunsplit`) and `posixpath.normpath`.
//!
//! Python decodes a request target to `str` and lets the OS encode it with
//! UTF-8 + `surrogateescape`. Here the two steps are fused: [`unquote_fs`]
//! goes straight from the (latin-1) request target to the bytes the OS sees,
//! so non-UTF-8 file names survive as raw bytes on Unix.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::pystr::unquote_to_bytes;
use crate::url::{SplitUrl, urlsplit};

/// `quote()`'s always-safe characters plus `/` (its default `safe`).
fn is_quote_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'/')
}

/// `urllib.parse.quote(name, errors='surrogatepass')` for a file name read
/// from the OS: bytes that are not UTF-8 become the surrogatepass encoding of
/// their `surrogateescape` code point (`\xff` → `%ED%B3%BF`).
pub(crate) fn quote_fs_name(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    let mut push = |b: u8| {
        if is_quote_safe(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    };
    for chunk in name.utf8_chunks() {
        chunk.valid().bytes().for_each(&mut push);
        for &b in chunk.invalid() {
            let cp = 0xDC00 | u32::from(b);
            push(0xED);
            push(0x80 | ((cp >> 6) & 0x3F) as u8);
            push(0x80 | (cp & 0x3F) as u8);
        }
    }
    out
}

/// Decodes percent-decoded bytes as UTF-8 with `surrogatepass` and encodes the
/// result for the OS (UTF-8 + `surrogateescape`). `None` if the bytes are not
/// UTF-8 (Python's `UnicodeDecodeError`). A surrogate the OS encoding cannot
/// express (outside `U+DC80..U+DCFF`) becomes a NUL byte, which no file name
/// contains (Python raises `UnicodeEncodeError` there).
fn decode_surrogatepass(mut b: &[u8], out: &mut Vec<u8>) -> Option<()> {
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.extend_from_slice(s.as_bytes());
                return Some(());
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                out.extend_from_slice(good);
                match rest {
                    [0xED, b2 @ 0xA0..=0xBF, b3 @ 0x80..=0xBF, ..] => {
                        let cp = 0xD000 | (u32::from(b2 & 0x3F) << 6) | u32::from(b3 & 0x3F);
                        if (0xDC80..=0xDCFF).contains(&cp) {
                            out.push((cp - 0xDC00) as u8);
                        } else {
                            out.push(0);
                        }
                        b = &rest[3..];
                    }
                    _ => return None,
                }
            }
        }
    }
}

/// `urllib.parse.unquote(s, errors='surrogatepass')`, falling back to
/// `unquote(s)` (invalid UTF-8 → U+FFFD) as `translate_path` and
/// `list_directory` do, returned as the bytes the OS would see.
///
/// `s` is the latin-1 decoded request target: each ASCII run is
/// percent-decoded and UTF-8 decoded; other characters are kept and, like
/// Python's `str`, end up UTF-8 encoded.
pub(crate) fn unquote_fs(s: &str) -> Vec<u8> {
    let runs = ascii_runs(s);
    let mut out = Vec::with_capacity(s.len());
    let strict_ok = runs.iter().all(|run| match run {
        Run::Ascii(a) => decode_surrogatepass(&unquote_to_bytes(a.as_bytes()), &mut out).is_some(),
        Run::Other(o) => {
            out.extend_from_slice(o.as_bytes());
            true
        }
    });
    if strict_ok {
        return out;
    }
    out.clear();
    for run in &runs {
        match run {
            Run::Ascii(a) => {
                let decoded = unquote_to_bytes(a.as_bytes());
                out.extend_from_slice(String::from_utf8_lossy(&decoded).as_bytes());
            }
            Run::Other(o) => out.extend_from_slice(o.as_bytes()),
        }
    }
    out
}

enum Run<'a> {
    Ascii(&'a str),
    Other(&'a str),
}

/// Splits `s` into maximal ASCII and non-ASCII runs (`_asciire`).
fn ascii_runs(s: &str) -> Vec<Run<'_>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut ascii = true;
    for (i, c) in s.char_indices() {
        if c.is_ascii() != ascii && i > start {
            runs.push(if ascii {
                Run::Ascii(&s[start..i])
            } else {
                Run::Other(&s[start..i])
            });
            start = i;
        }
        ascii = c.is_ascii();
    }
    if start < s.len() {
        runs.push(if ascii {
            Run::Ascii(&s[start..])
        } else {
            Run::Other(&s[start..])
        });
    }
    runs
}

/// `path.split('#', 1)[0].split('?', 1)[0]` (3.13.18+ order).
pub(crate) fn strip_query(path: &str) -> &str {
    let path = path.split('#').next().unwrap_or("");
    path.split('?').next().unwrap_or("")
}

/// `posixpath.normpath` over bytes.
pub(crate) fn normpath(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let initial = match path.iter().take_while(|&&b| b == b'/').count() {
        0 => 0,
        2 => 2,
        _ => 1,
    };
    let mut comps: Vec<&[u8]> = Vec::new();
    for comp in path.split(|&b| b == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp != b".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&&b".."[..])
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = vec![b'/'; initial];
    out.extend_from_slice(&comps.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// `SimpleHTTPRequestHandler.translate_path`: the request target as a path
/// under `directory`. The query and fragment are dropped, `%XX` decoded,
/// `.`/`..` resolved without leaving `directory`, and a trailing `/` kept.
pub(crate) fn translate_path(path: &str, directory: &Path) -> PathBuf {
    let decoded = unquote_fs(strip_query(path));
    let trailing_slash = decoded.ends_with(b"/");
    let mut out: OsString = directory.as_os_str().to_owned();
    let normal = normpath(&decoded);
    let mut joined = PathBuf::from(out);
    for word in normal.split(|&b| b == b'/') {
        // `os.path.dirname(word)` is always empty on POSIX after the split.
        if word.is_empty() || word == b"." || word == b".." {
            continue;
        }
        joined.push(os_str_from_bytes(word));
    }
    out = joined.into_os_string();
    if trailing_slash {
        out.push("/");
    }
    PathBuf::from(out)
}

#[cfg(unix)]
fn os_str_from_bytes(b: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(b).to_owned()
}

#[cfg(not(unix))]
fn os_str_from_bytes(b: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(b).into_owned())
}

/// The file-name bytes of an OS string.
#[cfg(unix)]
pub(crate) fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

/// The file-name bytes of an OS string.
#[cfg(not(unix))]
pub fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

/// Schemes `urlunsplit` writes with `//` (`urllib.parse.uses_netloc`).
const USES_NETLOC: &[&str] = &[
    "",
    "ftp",
    "http",
    "gopher",
    "nntp",
    "telnet",
    "imap",
    "wais",
    "file",
    "mms",
    "https",
    "shttp",
    "snews",
    "prospero",
    "rtsp",
    "rtsps",
    "rtspu",
    "rsync",
    "svn",
    "svn+ssh",
    "sftp",
    "nfs",
    "git",
    "git+ssh",
    "ws",
    "wss",
    "itms-services",
];

/// `urllib.parse.urlunsplit(parts)`.
pub(crate) fn urlunsplit(p: &SplitUrl<'_>, path: &str) -> String {
    let mut url = String::new();
    if !p.netloc.is_empty() {
        url.push_str("//");
        url.push_str(p.netloc);
        if !path.is_empty() && !path.starts_with('/') {
            url.push('/');
        }
        url.push_str(path);
    } else if path.starts_with("//")
        || (!p.scheme.is_empty()
            && USES_NETLOC.contains(&p.scheme.as_str())
            && (path.is_empty() || path.starts_with('/')))
    {
        url.push_str("//");
        url.push_str(path);
    } else {
        url.push_str(path);
    }
    if !p.scheme.is_empty() {
        url.insert(0, ':');
        url.insert_str(0, &p.scheme);
    }
    if !p.query.is_empty() {
        url.push('?');
        url.push_str(p.query);
    }
    if !p.fragment.is_empty() {
        url.push('#');
        url.push_str(p.fragment);
    }
    url
}

/// For a directory requested without a trailing slash: the 301 `Location`
/// (`urlunsplit` of the target with `/` appended to its path), or `None`
/// if the path already ends with `/`, `%2f` or `%2F` (gh-134098).
///
/// Unlike CPython, a `\` in the path is sent as `%5C`: browsers read `\` as
/// `/` (WHATWG URL), so `Location: /\evil.com/x/` would leave the site.
pub(crate) fn directory_redirect(target: &str) -> Option<String> {
    let parts = urlsplit(target);
    if parts.path.ends_with('/') || parts.path.ends_with("%2f") || parts.path.ends_with("%2F") {
        return None;
    }
    let path = format!("{}/", parts.path.replace('\\', "%5C"));
    Some(urlunsplit(&parts, &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_matches_python() {
        let cases: &[(&str, &[u8])] = &[
            ("/a%20b", b"/a b"),
            ("/%e2%82%ac", "/\u{20ac}".as_bytes()),
            ("/%ED%B3%BF", b"/\xff"),
            ("/%ff.dir/", "/\u{fffd}.dir/".as_bytes()),
            ("/\u{e9}", "/\u{e9}".as_bytes()),
            ("/100%", b"/100%"),
            ("/%zz%4", b"/%zz%4"),
            ("/%ED%A0%80", b"/\0"),
            ("/%2e%2e/x", b"/../x"),
            ("/%C3\u{a9}", "/\u{fffd}\u{a9}".as_bytes()),
        ];
        for (input, want) in cases {
            assert_eq!(unquote_fs(input), *want, "{input:?}");
        }
    }

    #[test]
    fn quote_matches_python() {
        let cases: &[(&[u8], &str)] = &[
            (b"a b&<c>.html", "a%20b%26%3Cc%3E.html"),
            (b"sub/", "sub/"),
            ("\u{fc}n".as_bytes(), "%C3%BCn"),
            (b"\xff\xfe.txt", "%ED%B3%BF%ED%B3%BE.txt"),
            (b"~_.-", "~_.-"),
            (b"q?#%", "q%3F%23%25"),
        ];
        for (input, want) in cases {
            assert_eq!(quote_fs_name(input), *want);
        }
    }

    #[test]
    fn normpath_matches_posixpath() {
        let cases: &[(&str, &str)] = &[
            ("", "."),
            ("/", "/"),
            ("//", "//"),
            ("///", "/"),
            ("/a/../../b", "/b"),
            ("a/../../b", "../b"),
            ("a/./b//c/", "a/b/c"),
            ("/..", "/"),
            ("..", ".."),
        ];
        for (input, want) in cases {
            assert_eq!(normpath(input.as_bytes()), want.as_bytes(), "{input:?}");
        }
    }

    fn tp(path: &str) -> String {
        translate_path(path, Path::new("/srv"))
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn test_query_arguments() {
        for p in [
            "/filename",
            "/filename?foo=bar",
            "/filename?a=b&spam=eggs#zot",
        ] {
            assert_eq!(tp(p), "/srv/filename");
        }
        assert_eq!(
            translate_path("/filename", Path::new("foo")),
            Path::new("foo/filename")
        );
    }

    #[test]
    fn test_start_with_double_slash() {
        assert_eq!(tp("//filename"), "/srv/filename");
        assert_eq!(tp("//filename?foo=bar"), "/srv/filename");
    }

    #[test]
    fn translate_path_cases() {
        let cases = [
            ("/", "/srv/"),
            ("/sub/", "/srv/sub/"),
            ("/sub%2f", "/srv/sub/"),
            ("/../../etc/passwd", "/srv/etc/passwd"),
            ("/%2e%2e/%2e%2e/etc/passwd", "/srv/etc/passwd"),
            ("tmpX/test", "/srv/tmpX/test"),
            ("x/../../y", "/srv/y"),
            ("/a#b?c", "/srv/a"),
            ("/a/./b/../c", "/srv/a/c"),
            ("http://example.com/subdir", "/srv/http:/example.com/subdir"),
        ];
        for (input, want) in cases {
            assert_eq!(tp(input), want, "{input:?}");
        }
    }

    #[test]
    fn test_windows_colon() {
        // On POSIX `c:` and `\` are ordinary characters: nothing escapes.
        assert_eq!(tp("c:c:c:foo/filename"), "/srv/c:c:c:foo/filename");
        assert_eq!(tp("\\\\c:../filename"), "/srv/\\\\c:../filename");
    }

    #[test]
    fn redirect_locations() {
        let cases = [
            ("/subdir", Some("/subdir/")),
            ("/subdir/", None),
            ("/subdir%2f", None),
            ("/subdir%2F", None),
            ("/subdir?a=1#frag", Some("/subdir/?a=1#frag")),
            ("/subdir?", Some("/subdir/")),
            ("tmpX?hi=1", Some("tmpX/?hi=1")),
            ("https://pypi.org/x", Some("https://pypi.org/x/")),
            ("/evil.com/%2e%2e/subdir", Some("/evil.com/%2e%2e/subdir/")),
            ("/\\evil.com/..%2fsubdir", Some("/%5Cevil.com/..%2fsubdir/")),
            (
                "\\\\evil.com/..%2fsubdir",
                Some("%5C%5Cevil.com/..%2fsubdir/"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(directory_redirect(input).as_deref(), want, "{input:?}");
        }
    }
}
