//! The pure parts of CPython's `CGIHTTPRequestHandler` (3.14): `_url_collapse_path`,
//! the `cgi_directories` prefix match of `is_cgi`, the CGI/1.1 environment of
//! `run_cgi`, its `argv` rule and `nobody_uid`. No I/O except reading
//! `/etc/passwd` in [`nobody_ids`].

use std::fmt;

use crate::headers::Headers;
use crate::pystr::py_split;
use crate::pystr::unquote;

/// `_url_collapse_path` found more `..` segments than there are segments to
/// pop (CPython raises `IndexError` and drops the connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscapesRoot;

impl fmt::Display for EscapesRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("path escapes the root with `..`")
    }
}

impl std::error::Error for EscapesRoot {}

/// CPython's `_url_collapse_path`: unquotes the path part of `path`, resolves
/// `.` and `..` and empty segments, and returns `/head/tail[?query]`.
///
/// # Errors
/// [`EscapesRoot`] where CPython raises `IndexError` (`/../x`, `..`).
pub(crate) fn url_collapse_path(path: &str) -> Result<String, EscapesRoot> {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let path = unquote(path);
    let parts: Vec<&str> = path.split('/').collect();
    let (last, init) = parts.split_last().expect("split yields at least one part");
    let mut head: Vec<&str> = Vec::new();
    for &part in init {
        if part == ".." {
            head.pop().ok_or(EscapesRoot)?;
        } else if !part.is_empty() && part != "." {
            head.push(part);
        }
    }
    let mut tail = *last;
    if tail == ".." {
        head.pop().ok_or(EscapesRoot)?;
        tail = "";
    } else if tail == "." {
        tail = "";
    }
    let mut out = format!("/{}/{}", head.join("/"), tail);
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// The `is_cgi` prefix match on a collapsed path: the shortest `/`-bounded
/// prefix that is one of `cgi_directories`, as `(dir, rest)`.
pub(crate) fn split_cgi_path<'a>(
    collapsed: &'a str,
    cgi_directories: &[String],
) -> Option<(&'a str, &'a str)> {
    let mut from = 1;
    while let Some(i) = collapsed
        .get(from..)
        .and_then(|s| s.find('/'))
        .map(|i| i + from)
    {
        let head = &collapsed[..i];
        if cgi_directories.iter().any(|d| d == head) {
            return Some((head, &collapsed[i + 1..]));
        }
        from = i + 1;
    }
    None
}

/// The script's command-line argument: CPython passes `query` with only `+`
/// decoded as `argv[1]` when it has no `=` (an empty query gives `""`).
pub(crate) fn query_argument(query: &str) -> Option<String> {
    let decoded = query.replace('+', " ");
    (!decoded.contains('=')).then_some(decoded)
}

/// What `run_cgi` knows about the request when it builds the environment.
#[derive(Clone, Debug)]
pub(crate) struct CgiRequest<'a> {
    /// `version_string()`.
    pub server_software: &'a str,
    /// `server.server_name`.
    pub server_name: &'a str,
    /// The handler's `protocol_version` (not the request's).
    pub server_protocol: &'a str,
    /// `server.server_port`.
    pub server_port: u16,
    /// The request method.
    pub method: &'a str,
    /// The part after the script name, still quoted.
    pub rest: &'a str,
    /// `translate_path(unquote(rest))`.
    pub path_translated: &'a str,
    /// `dir + '/' + script`.
    pub script_name: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// `client_address[0]`.
    pub remote_addr: &'a str,
    /// The request headers.
    pub headers: &'a Headers,
}

/// The variables `run_cgi` sets on top of the inherited environment, in
/// CPython's order. `inherited(name)` says whether the server's environment
/// already has `name`: CPython's `setdefault("")` variables keep an inherited
/// value. No variable is ever derived from a header other than those CPython
/// names, so a `Proxy:` header can't become `HTTP_PROXY` (httpoxy).
pub(crate) fn cgi_environ(
    r: &CgiRequest<'_>,
    inherited: impl Fn(&str) -> bool,
) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = vec![
        ("SERVER_SOFTWARE", r.server_software.to_owned()),
        ("SERVER_NAME", r.server_name.to_owned()),
        ("GATEWAY_INTERFACE", "CGI/1.1".to_owned()),
        ("SERVER_PROTOCOL", r.server_protocol.to_owned()),
        ("SERVER_PORT", r.server_port.to_string()),
        ("REQUEST_METHOD", r.method.to_owned()),
        ("PATH_INFO", unquote(r.rest)),
        ("PATH_TRANSLATED", r.path_translated.to_owned()),
        ("SCRIPT_NAME", r.script_name.to_owned()),
    ];
    if !r.query.is_empty() {
        env.push(("QUERY_STRING", r.query.to_owned()));
    }
    env.push(("REMOTE_ADDR", r.remote_addr.to_owned()));
    let h = r.headers;
    if let Some(auth) = h.get("authorization").filter(|a| !a.is_empty()) {
        let words = py_split(auth);
        if let [kind, credentials] = words[..] {
            env.push(("AUTH_TYPE", kind.to_owned()));
            if kind.eq_ignore_ascii_case("basic")
                && let Some(user) = basic_user(credentials)
            {
                env.push(("REMOTE_USER", user));
            }
        }
    }
    env.push((
        "CONTENT_TYPE",
        h.get("content-type")
            .map_or_else(|| h.content_type(), str::to_owned),
    ));
    if let Some(len) = h.get("content-length").filter(|v| !v.is_empty()) {
        env.push(("CONTENT_LENGTH", len.to_owned()));
    }
    if let Some(referer) = h.get("referer").filter(|v| !v.is_empty()) {
        env.push(("HTTP_REFERER", referer.to_owned()));
    }
    env.push((
        "HTTP_ACCEPT",
        h.get_all("accept").collect::<Vec<_>>().join(","),
    ));
    if let Some(ua) = h.get("user-agent").filter(|v| !v.is_empty()) {
        env.push(("HTTP_USER_AGENT", ua.to_owned()));
    }
    let cookies: Vec<&str> = h.get_all("cookie").filter(|c| !c.is_empty()).collect();
    if !cookies.is_empty() {
        env.push(("HTTP_COOKIE", cookies.join(", ")));
    }
    for name in [
        "QUERY_STRING",
        "REMOTE_HOST",
        "CONTENT_LENGTH",
        "HTTP_USER_AGENT",
        "HTTP_COOKIE",
        "HTTP_REFERER",
    ] {
        if !inherited(name) && !env.iter().any(|(k, _)| *k == name) {
            env.push((name, String::new()));
        }
    }
    env
}

/// Request headers that never become `HTTP_*` variables in RFC 3875 mode:
/// the ones with variables of their own (§4.1.18), credentials (§4.1.18
/// says they SHOULD be removed), and `Proxy`, which would become
/// `HTTP_PROXY`, the proxy setting of many HTTP clients (httpoxy).
const NOT_PASSED: [&str; 5] = [
    "content-type",
    "content-length",
    "authorization",
    "proxy-authorization",
    "proxy",
];

/// The `HTTP_*` variables CPython's `run_cgi` sets itself ([`cgi_environ`]).
const SET_BY_CPYTHON: [&str; 4] = ["accept", "user-agent", "cookie", "referer"];

/// RFC 3875 §4.1.18: every other request header as `HTTP_<NAME>` (upper
/// case, `-` as `_`), repeated fields joined with `, `, for the RFC 3875
/// mode on top of [`cgi_environ`]. A name with anything but letters, digits
/// and `-` is dropped, as Apache does: `X_Forwarded_For` would otherwise
/// pose as `X-Forwarded-For`.
pub(crate) fn header_variables(headers: &Headers) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if NOT_PASSED.contains(&lower.as_str())
            || SET_BY_CPYTHON.contains(&lower.as_str())
            || name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            continue;
        }
        let var = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
        match vars.iter_mut().find(|(v, _)| *v == var) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => vars.push((var, value.to_owned())),
        }
    }
    vars
}

/// `REMOTE_USER` from Basic credentials: base64 (lenient, as
/// `base64.decodebytes`), ASCII, exactly one `:`.
fn basic_user(credentials: &str) -> Option<String> {
    let decoded = decode_base64_lenient(credentials)?;
    let text = String::from_utf8(decoded).ok().filter(|t| t.is_ascii())?;
    match text.split(':').collect::<Vec<_>>()[..] {
        [user, _password] => Some(user.to_owned()),
        _ => None,
    }
}

/// `binascii.a2b_base64` in non-strict mode: characters outside the alphabet
/// are skipped, decoding stops at padding; a dangling single character fails.
fn decode_base64_lenient(s: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut count = 0usize;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' if count % 4 >= 2 => break,
            _ => continue,
        };
        count += 1;
        bits = bits << 6 | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    (count % 4 != 1).then_some(out)
}

/// CPython's `nobody_uid()`: the uid (and here also the gid) of `nobody`
/// from `passwd`, else one more than the largest uid.
pub(crate) fn nobody_ids(passwd: &str) -> (u32, u32) {
    let mut max_uid = 0;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        let (Some(uid), Some(gid)) = (
            fields.get(2).and_then(|u| u.parse::<u32>().ok()),
            fields.get(3).and_then(|g| g.parse::<u32>().ok()),
        ) else {
            continue;
        };
        if fields[0] == "nobody" {
            return (uid, gid);
        }
        max_uid = max_uid.max(uid);
    }
    let fallback = max_uid.saturating_add(1);
    (fallback, fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython's `test_url_collapse_path` vectors; `None` = `IndexError`.
    #[test]
    fn test_url_collapse_path() {
        let vectors: &[(&str, Option<&str>)] = &[
            ("", Some("//")),
            ("..", None),
            ("/.//..", None),
            ("/", Some("//")),
            ("//", Some("//")),
            ("/\\", Some("//\\")),
            ("/.//", Some("//")),
            ("cgi-bin/file1.py", Some("/cgi-bin/file1.py")),
            ("/cgi-bin/file1.py", Some("/cgi-bin/file1.py")),
            ("a", Some("//a")),
            ("/a", Some("//a")),
            ("//a", Some("//a")),
            ("./a", Some("//a")),
            ("./C:/", Some("/C:/")),
            ("/a/b", Some("/a/b")),
            ("/a/b/", Some("/a/b/")),
            ("/a/b/.", Some("/a/b/")),
            ("/a/b/c/..", Some("/a/b/")),
            ("/a/b/c/../d", Some("/a/b/d")),
            ("/a/b/c/../d/e/../f", Some("/a/b/d/f")),
            ("/a/b/c/../d/e/../../f", Some("/a/b/f")),
            ("/a/b/c/../d/e/.././././..//f", Some("/a/b/f")),
            ("../a/b/c/../d/e/.././././..//f", None),
            ("/a/b/c/../d/e/../../../f", Some("/a/f")),
            ("/a/b/c/../d/e/../../../../f", Some("//f")),
            ("/a/b/c/../d/e/../../../../../f", None),
            ("/a/b/c/../d/e/../../../../f/..", Some("//")),
            ("/a/b/c/../d/e/../../../../f/../.", Some("//")),
        ];
        for &(input, want) in vectors {
            assert_eq!(url_collapse_path(input).ok().as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn collapse_unquotes_path_not_query() {
        assert_eq!(
            url_collapse_path("/cgi-bin%2ffile1.py").unwrap(),
            "/cgi-bin/file1.py"
        );
        assert_eq!(url_collapse_path("/a?b=%2F").unwrap(), "//a?b=%2F");
        assert_eq!(url_collapse_path("/a?b?c").unwrap(), "//a?b?c");
    }

    #[test]
    fn cgi_prefix_on_whole_segments() {
        let dirs = vec!["/cgi-bin".to_owned(), "/htbin".to_owned()];
        assert_eq!(
            split_cgi_path("/cgi-bin/x.sh", &dirs),
            Some(("/cgi-bin", "x.sh"))
        );
        assert_eq!(split_cgi_path("/cgi-bin/", &dirs), Some(("/cgi-bin", "")));
        assert_eq!(split_cgi_path("/cgi-binx/y", &dirs), None);
        assert_eq!(split_cgi_path("/cgi-bin", &dirs), None);
        assert_eq!(split_cgi_path("//cgi-bin", &dirs), None);
        let nested = vec!["/sub/dir/cgi-bin".to_owned()];
        assert_eq!(
            split_cgi_path("/sub/dir/cgi-bin/f.sh?q", &nested),
            Some(("/sub/dir/cgi-bin", "f.sh?q"))
        );
    }

    #[test]
    fn argv_rule() {
        assert_eq!(query_argument("").as_deref(), Some(""));
        assert_eq!(query_argument("a+b%20c").as_deref(), Some("a b%20c"));
        assert_eq!(query_argument("k=v"), None);
    }

    #[test]
    fn basic_auth_user() {
        assert_eq!(basic_user("dXNlcjpwYXNz").as_deref(), Some("user"));
        assert_eq!(basic_user("dXNlcjpw YXNz").as_deref(), Some("user"));
        // `user:pa:ss`: more than one colon gives no REMOTE_USER.
        assert_eq!(basic_user("dXNlcjpwYTpzcw=="), None);
        assert_eq!(basic_user("!!!"), None);
        assert_eq!(decode_base64_lenient("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_base64_lenient("Y"), None);
    }

    #[test]
    fn environment_like_cpython() {
        let mut headers = Headers::new();
        headers.push("Accept", "text/html");
        headers.push("ACCEPT", "text/plain");
        headers.push("Cookie", "a=1");
        headers.push("Cookie", "");
        headers.push("Cookie", "b=2");
        headers.push("Proxy", "http://evil/");
        headers.push("Host", "h");
        headers.push("Authorization", "Basic dXNlcjpwYXNz");
        let r = CgiRequest {
            server_software: "SimpleHTTP/0.6 basehttp/0.1.0",
            server_name: "localhost",
            server_protocol: "HTTP/1.0",
            server_port: 8000,
            method: "GET",
            rest: "/pa%20th",
            path_translated: "/root/pa th",
            script_name: "/cgi-bin/env.sh",
            query: "",
            remote_addr: "127.0.0.1",
            headers: &headers,
        };
        let env = cgi_environ(&r, |name| name == "REMOTE_HOST");
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PATH_INFO"), Some("/pa th"));
        assert_eq!(get("HTTP_ACCEPT"), Some("text/html,text/plain"));
        assert_eq!(get("HTTP_COOKIE"), Some("a=1, b=2"));
        assert_eq!(get("AUTH_TYPE"), Some("Basic"));
        assert_eq!(get("REMOTE_USER"), Some("user"));
        assert_eq!(get("CONTENT_TYPE"), Some("text/plain"));
        assert_eq!(get("QUERY_STRING"), Some(""));
        assert_eq!(get("CONTENT_LENGTH"), Some(""));
        assert_eq!(get("REMOTE_HOST"), None, "inherited value is kept");
        assert_eq!(get("HTTP_PROXY"), None);
        assert_eq!(get("HTTP_HOST"), None);
    }

    #[test]
    fn rfc3875_passes_every_other_header() {
        let mut headers = Headers::new();
        for (n, v) in [
            ("Git-Protocol", "version=2"),
            ("Content-Encoding", "gzip"),
            ("Host", "h"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
            ("Accept", "a"),
            ("Content-Type", "t"),
            ("Content-Length", "3"),
            ("Authorization", "Basic x"),
            ("Proxy", "http://evil/"),
            ("X_Forwarded_For", "spoof"),
            ("X Bad", "v"),
        ] {
            headers.push(n, v);
        }
        let vars = header_variables(&headers);
        let names: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            names,
            [
                ("HTTP_GIT_PROTOCOL", "version=2"),
                ("HTTP_CONTENT_ENCODING", "gzip"),
                ("HTTP_HOST", "h"),
                ("HTTP_X_DUP", "1, 2"),
            ]
        );
    }

    #[test]
    fn nobody_from_passwd() {
        let passwd = "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65533::/:/bin/false\n";
        assert_eq!(nobody_ids(passwd), (65534, 65533));
        assert_eq!(
            nobody_ids("root:x:0:0::/:\nbob:x:1000:1000::/:\nbad line\n"),
            (1001, 1001)
        );
    }
}
