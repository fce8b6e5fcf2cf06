//! `SimpleHttpRequestHandler` over real sockets: CPython's
//! `SimpleHTTPServerTestCase` ported by name, plus Range, ETag, large files
//! and a "subclass" that extends the handler.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::{Class, Handler, Request};

use crate::support::{Response, TempDir, TestServer, parse, raw, spawn};

const DATA: &[u8] = b"We are the knights who say Ni!";

struct Fixture {
    dir: TempDir,
    server: TestServer,
    /// `/tmpdir`: the served subdirectory, like CPython's `self.base_url`.
    base: String,
}

impl Fixture {
    fn new() -> Fixture {
        Self::with(|h| h)
    }

    fn with(cfg: impl Fn(SimpleHttpRequestHandler) -> SimpleHttpRequestHandler) -> Fixture {
        let dir = TempDir::new("files");
        dir.write("tmpdir/test", DATA);
        let handler = cfg(SimpleHttpRequestHandler::new(dir.path()));
        let server = spawn(move || handler.clone());
        Fixture {
            dir,
            server,
            base: "/tmpdir".to_owned(),
        }
    }

    fn sub(&self) -> PathBuf {
        self.dir.path().join("tmpdir")
    }

    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = format!("{method} {target} HTTP/1.0\r\n").into_bytes();
        for (n, v) in headers {
            req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        let resp = parse(&raw(self.server.addr, &req));
        check_status_and_reason(&resp);
        resp
    }

    fn get(&self, target: &str) -> Response {
        self.request("GET", target, &[])
    }
}

/// CPython's `check_status_and_reason`: an HTTP/1.0 response that does not
/// keep the connection (the server closed it: `raw` read to EOF).
fn check_status_and_reason(resp: &Response) {
    assert!(
        resp.status_line.starts_with("HTTP/1.0 "),
        "{}",
        resp.status_line
    );
    let conn = resp.header("Connection");
    assert!(conn.is_none() || conn == Some("close"), "{conn:?}");
}

fn body_text(resp: &Response) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

fn mtime_of(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in s {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            _ => out.push(b),
        }
    }
    out
}

#[test]
fn test_get() {
    let f = Fixture::new();
    let b = &f.base;
    let r = f.get(&format!("{b}/test"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, DATA);
    for t in ["/test/", "/test%2f", "/test%2F"] {
        assert_eq!(f.get(&format!("{b}{t}")).status, 404, "{t}");
    }
    assert_eq!(f.get(&format!("{b}/")).status, 200);
    for t in ["%2f", "%2F"] {
        let r = f.get(&format!("{b}{t}"));
        assert_eq!(r.status, 200);
        assert!(body_text(&r).contains("Directory listing for /tmpdir/"));
    }
    let r = f.get(b);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some(&*format!("{b}/")));
    assert_eq!(r.header("Content-Length"), Some("0"));
    assert!(r.body.is_empty());
    assert_eq!(f.get(&format!("{b}/?hi=2")).status, 200);
    let r = f.get(&format!("{b}?hi=1"));
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some(&*format!("{b}/?hi=1")));
    assert_eq!(f.get("/ThisDoesNotExist").status, 404);
    assert_eq!(f.get("/ThisDoesNotExist/").status, 404);

    // A directory called index.html is not an index page.
    std::fs::create_dir(f.sub().join("spam")).unwrap();
    std::fs::create_dir(f.sub().join("spam/index.html")).unwrap();
    let r = f.get(&format!("{b}/spam/"));
    assert_eq!(r.status, 200);
    assert!(body_text(&r).contains("index.html/"));

    std::fs::write(f.sub().join("index.html"), "Dummy index file\r\n").unwrap();
    let r = f.get(&format!("{b}/"));
    assert_eq!(r.body, b"Dummy index file\r\n");
    assert_eq!(r.header("Content-type"), Some("text/html"));
    std::fs::remove_file(f.sub().join("index.html")).unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let sub = f.sub();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything; CPython skips this check there too.
        if std::fs::read_dir(&sub).is_err() {
            let r = f.get(&format!("{b}/"));
            assert_eq!(r.status, 404);
            assert_eq!(
                r.status_line,
                "HTTP/1.0 404 No permission to list directory"
            );
        }
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn test_head() {
    let f = Fixture::new();
    let r = f.request("HEAD", &format!("{}/test", f.base), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Length"), Some("30"));
    assert_eq!(r.header("Content-type"), Some("application/octet-stream"));
    assert!(r.body.is_empty());
}

#[test]
fn file_response_is_byte_exact() {
    let f = Fixture::new();
    let r = f.get(&format!("{}/test", f.base));
    let lm = httpdate::fmt_http_date(mtime_of(&f.sub().join("test")));
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Server",
            "Date",
            "Content-type",
            "Content-Length",
            "Last-Modified"
        ]
    );
    assert_eq!(r.status_line, "HTTP/1.0 200 OK");
    assert!(r.header("Server").unwrap().starts_with("SimpleHTTP "));
    assert_eq!(r.header("Last-Modified"), Some(lm.as_str()));
}

#[test]
fn test_browser_cache() {
    let f = Fixture::new();
    let path = format!("{}/test", f.base);
    let mtime = mtime_of(&f.sub().join("test"));
    let same = httpdate::fmt_http_date(mtime);
    let r = f.request("GET", &path, &[("If-Modified-Since", &same)]);
    assert_eq!(r.status, 304);
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Server", "Date"]);
    let later = httpdate::fmt_http_date(mtime + Duration::from_secs(3600));
    assert_eq!(
        f.request("GET", &path, &[("If-Modified-Since", &later)])
            .status,
        304
    );
}

#[test]
fn test_browser_cache_file_changed() {
    let f = Fixture::new();
    let path = format!("{}/test", f.base);
    let mtime = mtime_of(&f.sub().join("test"));
    let old = httpdate::fmt_http_date(mtime - Duration::from_secs(365 * 86400));
    assert_eq!(
        f.request("GET", &path, &[("If-Modified-Since", &old)])
            .status,
        200
    );
}

#[allow(non_snake_case)]
#[test]
fn test_browser_cache_with_If_None_Match_header() {
    let f = Fixture::new();
    let path = format!("{}/test", f.base);
    let same = httpdate::fmt_http_date(mtime_of(&f.sub().join("test")));
    let r = f.request(
        "GET",
        &path,
        &[("If-Modified-Since", &same), ("If-None-Match", "*")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn ims_zone_and_format_rules() {
    let f = Fixture::new();
    let path = format!("{}/test", f.base);
    let cases = [
        ("Fri, 01 Jan 2100 00:00:00 GMT", 304),
        ("Friday, 01-Jan-99 00:00:00 GMT", 200),
        ("Fri Jan  1 00:00:00 2100", 304),
        ("Fri, 01 Jan 2100 00:00:00 +0100", 200),
        ("Fri, 01 Jan 2100 00:00:00 EST", 200),
        ("Fri, 01 Jan 2100 00:00:00 -0000", 304),
        ("garbage", 200),
    ];
    for (ims, want) in cases {
        let r = f.request("GET", &path, &[("If-Modified-Since", ims)]);
        assert_eq!(r.status, want, "{ims}");
    }
}

#[test]
fn test_invalid_requests() {
    let f = Fixture::new();
    for method in ["FOO", "custom", "GETs", "POST"] {
        let r = f.request(method, "/", &[]);
        assert_eq!(r.status, 501, "{method}");
        assert_eq!(
            r.status_line,
            format!("HTTP/1.0 501 Unsupported method ('{method}')")
        );
    }
}

#[test]
fn test_last_modified() {
    let f = Fixture::new();
    let r = f.get(&format!("{}/test", f.base));
    let want = httpdate::fmt_http_date(mtime_of(&f.sub().join("test")));
    assert_eq!(r.header("Last-Modified"), Some(want.as_str()));
}

#[test]
fn test_path_without_leading_slash() {
    let f = Fixture::new();
    let b = "tmpdir";
    assert_eq!(f.get(&format!("{b}/test")).body, DATA);
    assert_eq!(f.get(&format!("{b}/test/")).status, 404);
    assert_eq!(f.get(&format!("{b}/")).status, 200);
    let r = f.get(b);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some("tmpdir/"));
    assert_eq!(f.get(&format!("{b}/?hi=2")).status, 200);
    let r = f.get(&format!("{b}?hi=1"));
    assert_eq!(r.header("Location"), Some("tmpdir/?hi=1"));
}

/// A listing of `dir_target` contains `name` linked and escaped, and the
/// file downloads.
fn check_listed(f: &Fixture, dir_target: &str, name: &[u8], body: &[u8]) {
    let r = f.get(dir_target);
    assert_eq!(r.status, 200, "{dir_target}");
    let quoted = quote_fs_name(name);
    let href = format!("href=\"{quoted}\"");
    assert!(contains(&r.body, href.as_bytes()), "{href}");
    let mut text = b">".to_vec();
    text.extend(html_escape(name));
    text.push(b'<');
    assert!(contains(&r.body, &text));
    assert_eq!(f.get(&format!("{dir_target}{quoted}")).body, body);
}

#[test]
fn test_list_dir_nonascii_filename() {
    let f = Fixture::new();
    let name = "\u{e9}t\u{e9}\u{65e5}.txt";
    f.dir.write(&format!("tmpdir/{name}"), "x");
    check_listed(&f, "/tmpdir/", name.as_bytes(), b"x");
}

#[test]
fn test_list_dir_nonascii_dirname() {
    let f = Fixture::new();
    let dir = "\u{fc}n\u{ef}dir";
    f.dir.write(&format!("tmpdir/{dir}/test"), "x");
    let target = format!("/tmpdir/{}/", quote_fs_name(dir.as_bytes()));
    let r = f.get(&target);
    let want = format!("listing for /tmpdir/{dir}/");
    assert!(body_text(&r).contains(&want));
    check_listed(&f, &target, b"test", b"x");
}

#[cfg(unix)]
fn write_raw_name(dir: &Path, name: &[u8], contents: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let p = dir.join(std::ffi::OsStr::from_bytes(name));
    std::fs::write(&p, contents).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn test_list_dir_undecodable_filename() {
    let f = Fixture::new();
    write_raw_name(&f.sub(), b"\xff\xfe.txt", b"raw");
    check_listed(&f, "/tmpdir/", b"\xff\xfe.txt", b"raw");
}

#[cfg(unix)]
#[test]
fn test_list_dir_undecodable_dirname() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new();
    let dir = f.sub().join(std::ffi::OsStr::from_bytes(b"\xffdir"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("test"), "x").unwrap();
    let target = format!("/tmpdir/{}/", quote_fs_name(b"\xffdir"));
    let r = f.get(&target);
    assert!(contains(&r.body, b"listing for /tmpdir/\xffdir/"));
    check_listed(&f, &target, b"test", b"x");
}

#[test]
fn test_list_dir_undecodable_dirname2() {
    let f = Fixture::new();
    std::fs::create_dir(f.sub().join("\u{fffd}.dir")).unwrap();
    let r = f.get("/tmpdir/%ff.dir/");
    assert_eq!(r.status, 200);
    assert!(body_text(&r).contains("listing for /tmpdir/\u{fffd}.dir/"));
}

const ESCAPE_NAMES: [&str; 9] = [
    "q?",
    "f#",
    "&amp;",
    "&amp",
    "<i>",
    "\"dq\"",
    "'sq'",
    "%A4",
    "%E2%82%AC",
];

/// `urllib.parse.quote(name, safe='&<>\'"')`.
fn quote_keep_specials(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/&<>'\"".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn test_list_dir_escape_dirname() {
    let f = Fixture::new();
    for name in ESCAPE_NAMES {
        let dir = format!("{name}.dir");
        std::fs::create_dir(f.sub().join(&dir)).unwrap();
        let r = f.get(&format!("/tmpdir/{}/", quote_keep_specials(&dir)));
        assert_eq!(r.status, 200, "{dir}");
        let title = html_escape(format!("/tmpdir/{dir}/").as_bytes());
        let mut want = b"<title>Directory listing for ".to_vec();
        want.extend(title);
        assert!(contains(&r.body, &want), "{dir}");
    }
}

#[test]
fn test_list_dir_escape_filename() {
    let f = Fixture::new();
    for name in ESCAPE_NAMES {
        let file = format!("{name}.txt");
        std::fs::write(f.sub().join(&file), name).unwrap();
        check_listed(&f, "/tmpdir/", file.as_bytes(), name.as_bytes());
    }
}

#[test]
fn test_list_dir_with_query_and_fragment() {
    let f = Fixture::new();
    for t in ["/tmpdir/#123", "/tmpdir/?x=123"] {
        let r = f.get(t);
        assert!(body_text(&r).contains("<title>Directory listing for /tmpdir/</title>"));
    }
}

#[test]
fn list_dir_markers_and_order() {
    let f = Fixture::new();
    f.dir.write("tmpdir/B.txt", "");
    f.dir.write("tmpdir/a.txt", "");
    std::fs::create_dir(f.sub().join("Zdir")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("Zdir", f.sub().join("dirlink")).unwrap();
        std::os::unix::fs::symlink("a.txt", f.sub().join("link.txt")).unwrap();
    }
    let r = f.get("/tmpdir/");
    assert_eq!(r.header("Content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("Content-Length"),
        Some(r.body.len().to_string().as_str())
    );
    let text = body_text(&r);
    let items: Vec<&str> = text.lines().filter(|l| l.starts_with("<li>")).collect();
    let mut want = vec![
        "<li><a href=\"a.txt\">a.txt</a></li>",
        "<li><a href=\"B.txt\">B.txt</a></li>",
    ];
    #[cfg(unix)]
    want.extend([
        "<li><a href=\"dirlink/\">dirlink@</a></li>",
        "<li><a href=\"link.txt\">link.txt@</a></li>",
    ]);
    want.extend([
        "<li><a href=\"test\">test</a></li>",
        "<li><a href=\"Zdir/\">Zdir/</a></li>",
    ]);
    assert_eq!(items, want);
    assert!(r.body.ends_with(b"</ul>\n<hr>\n</body>\n</html>\n"));
}

#[test]
fn test_get_dir_redirect_location_domain_injection_bug() {
    let f = Fixture::new();
    std::fs::create_dir(f.sub().join("existing_directory")).unwrap();
    let url = "/python.org/..%2f..%2f..%2f..%2f..%2f../%0a%0d/../tmpdir/existing_directory";
    let expected = format!("{url}/");
    for target in [url.to_owned(), format!("/{url}"), format!("//{url}")] {
        let r = f.get(&target);
        assert_eq!(r.status, 301, "{target}");
        let loc = r.header("Location").unwrap();
        assert_eq!(loc, expected);
        assert!(!loc.starts_with("//"));
    }
    let r = f.get(&format!("https://pypi.org{url}"));
    assert_eq!(r.status, 301);
    assert!(
        r.header("Location")
            .unwrap()
            .starts_with("https://pypi.org/")
    );
}

#[test]
fn traversal_stays_inside_the_root() {
    let f = Fixture::new();
    std::fs::write(f.dir.path().join("../secret-not-served"), "x").ok();
    for t in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/tmpdir/../../../etc/passwd",
    ] {
        assert_eq!(f.get(t).status, 404, "{t}");
    }
    assert_eq!(f.get("/tmpdir/../tmpdir/test").body, DATA);
}

#[test]
fn test_extra_response_headers_list_dir() {
    let f = Fixture::with(|h| {
        h.with_header("X-Test1", "test1")
            .with_header("X-Test2", "test2")
    });
    let r = f.get("/tmpdir/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Test1"), Some("test1"));
    assert_eq!(r.header("X-Test2"), Some("test2"));
}

#[test]
fn test_extra_response_headers_get_file() {
    let f = Fixture::with(|h| {
        h.with_header("Set-Cookie", "test1=value1")
            .with_header("Set-Cookie", "test2=value2")
            .with_header("X-Test1", "value3")
    });
    let r = f.get("/tmpdir/test");
    assert_eq!(
        r.headers_named("Set-Cookie"),
        ["test1=value1", "test2=value2"]
    );
    assert_eq!(r.header("X-Test1"), Some("value3"));
    let last = r
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>();
    assert_eq!(
        last[..5],
        [
            "Server",
            "Date",
            "Content-type",
            "Content-Length",
            "Last-Modified"
        ]
    );
}

#[test]
fn test_extra_response_headers_missing_on_404() {
    let f = Fixture::with(|h| h.with_header("X-Test1", "value"));
    let r = f.get("/ThisDoesNotExist");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("X-Test1"), None);
    assert_eq!(f.get("/tmpdir").header("X-Test1"), None);
}

#[test]
fn test_extra_response_headers_dont_overwrite_default_headers() {
    let f = Fixture::with(|h| {
        h.with_header("Content-Type", "test/type")
            .with_header("Server", "test")
            .with_header("Set-Cookie", "test=value")
    });
    let r = f.get("/tmpdir/test");
    assert_eq!(
        r.headers_named("Content-Type"),
        ["application/octet-stream"]
    );
    assert_eq!(r.headers_named("Server").len(), 1);
    assert_ne!(r.header("Server"), Some("test"));
    assert_eq!(r.header("Set-Cookie"), Some("test=value"));
}

#[test]
fn test_multiple_requests_dont_duplicate_extra_response_headers() {
    let f = Fixture::with(|h| h.with_header("X-Test", "value"));
    for _ in 0..2 {
        assert_eq!(f.get("/tmpdir/test").headers_named("x-test"), ["value"]);
    }
}

#[test]
fn default_content_type_is_configurable() {
    let f = Fixture::with(|h| h.with_default_content_type("text/plain"));
    assert_eq!(
        f.get("/tmpdir/test").header("Content-type"),
        Some("text/plain")
    );
}

// ---- Beyond CPython: Range, If-Range, ETag ----

#[test]
fn range_single_suffix_open() {
    let f = Fixture::new();
    let p = "/tmpdir/test";
    let r = f.request("GET", p, &[("Range", "bytes=0-5")]);
    assert_eq!(r.status_line, "HTTP/1.0 206 Partial Content");
    assert_eq!(r.header("Content-Range"), Some("bytes 0-5/30"));
    assert_eq!(r.header("Content-Length"), Some("6"));
    assert_eq!(r.body, &DATA[..6]);
    let r = f.request("GET", p, &[("Range", "bytes=-4")]);
    assert_eq!(r.body, &DATA[26..]);
    let r = f.request("GET", p, &[("Range", "bytes=20-")]);
    assert_eq!(r.header("Content-Range"), Some("bytes 20-29/30"));
    assert_eq!(r.body, &DATA[20..]);
}

#[test]
fn range_unsatisfiable_is_416() {
    let f = Fixture::new();
    let r = f.request("GET", "/tmpdir/test", &[("Range", "bytes=30-")]);
    assert_eq!(r.status, 416);
    assert_eq!(r.header("Content-Range"), Some("bytes */30"));
}

#[test]
fn range_garbage_multiple_and_head_give_200() {
    let f = Fixture::new();
    for h in ["bytes=5-1", "bytes=0-1,4-5", "pages=1-2", "garbage"] {
        let r = f.request("GET", "/tmpdir/test", &[("Range", h)]);
        assert_eq!(r.status, 200, "{h}");
        assert_eq!(r.body, DATA);
    }
    let r = f.request("HEAD", "/tmpdir/test", &[("Range", "bytes=0-1")]);
    assert_eq!(r.status, 200);
}

#[test]
fn if_range_mismatch_serves_everything() {
    let f = Fixture::with(|h| h.with_etag(true));
    let lm = httpdate::fmt_http_date(mtime_of(&f.sub().join("test")));
    let r = f.request(
        "GET",
        "/tmpdir/test",
        &[("Range", "bytes=0-1"), ("If-Range", &lm)],
    );
    assert_eq!(r.status, 206);
    let r = f.request(
        "GET",
        "/tmpdir/test",
        &[
            ("Range", "bytes=0-1"),
            ("If-Range", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ],
    );
    assert_eq!(r.status, 200);
    let etag = f.get("/tmpdir/test").header("ETag").unwrap().to_owned();
    let r = f.request(
        "GET",
        "/tmpdir/test",
        &[("Range", "bytes=0-1"), ("If-Range", &etag)],
    );
    assert_eq!(r.status, 206);
    let r = f.request(
        "GET",
        "/tmpdir/test",
        &[("Range", "bytes=0-1"), ("If-Range", "\"x\"")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn etag_off_by_default() {
    let f = Fixture::new();
    let r = f.get("/tmpdir/test");
    assert_eq!(r.header("ETag"), None);
    assert_eq!(r.header("Accept-Ranges"), None);
}

#[test]
fn etag_if_none_match_beats_if_modified_since() {
    let f = Fixture::with(|h| h.with_etag(true).with_accept_ranges(true));
    let r = f.get("/tmpdir/test");
    let etag = r.header("ETag").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
    let r = f.request("GET", "/tmpdir/test", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert_eq!(r.header("ETag"), Some(etag.as_str()));
    assert_eq!(
        f.request("HEAD", "/tmpdir/test", &[("If-None-Match", "*")])
            .status,
        304
    );
    // A non-matching If-None-Match wins over a matching If-Modified-Since.
    let lm = r.header("Date").map(str::to_owned).unwrap();
    let r = f.request(
        "GET",
        "/tmpdir/test",
        &[("If-None-Match", "\"other\""), ("If-Modified-Since", &lm)],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn large_file_is_sent_intact() {
    let f = Fixture::new();
    let data: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(f.sub().join("big.bin"), &data).unwrap();
    let r = f.get("/tmpdir/big.bin");
    assert_eq!(r.header("Content-Length"), Some("8388608"));
    assert!(r.body == data, "body differs");
    let r = f.request(
        "GET",
        "/tmpdir/big.bin",
        &[("Range", "bytes=1000000-1999999")],
    );
    assert!(r.body == data[1_000_000..2_000_000]);
}

#[test]
fn keep_alive_with_http11() {
    let dir = TempDir::new("files11");
    dir.write("a.txt", "hello\n");
    let h = SimpleHttpRequestHandler::new(dir.path()).with_protocol_version("HTTP/1.1");
    let server = spawn(move || h.clone());
    let mut s = crate::support::connect(server.addr);
    for _ in 0..3 {
        s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let r = crate::support::read_response(&mut s, false);
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert_eq!(r.body, b"hello\n");
    }
    s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = crate::support::read_response(&mut s, false);
    assert!(body_text(&r).contains("a.txt"));
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

// ---- Extending the handler, as a Python subclass would ----

/// Serves files, answers POST, and maps `/latest` to `test`.
struct Upload {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Upload {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
    fn translate_path(&self, path: &str) -> PathBuf {
        let path = if path == "/latest" {
            "/tmpdir/test"
        } else {
            path
        };
        FileHandler::translate_path(&self.files, path)
    }
}

impl Upload {
    #[allow(non_snake_case)]
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let mut body = Vec::new();
        req.rfile.read_to_end(&mut body)?;
        req.send_response(200)?;
        req.send_header("Content-Length", &body.len().to_string())?;
        req.end_headers()?;
        req.wfile.write_all(&body)
    }
}

impl Handler for Upload {
    fn methods(&self) -> Cow<'static, [&'static str]> {
        Cow::Borrowed(&["POST", "GET", "HEAD"])
    }
    fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
        if req.command == "POST" {
            return self.do_POST(req);
        }
        match <SimpleHttpRequestHandler as basehttp::Base<Self>>::dispatch(self, req) {
            Some(r) => r,
            None => basehttp::unsupported_method(req, &self.methods()),
        }
    }
    fn class(&self) -> Class {
        <SimpleHttpRequestHandler as basehttp::Base<Self>>::class(self)
    }
}

#[test]
fn subclass_overrides_and_adds_methods() {
    let dir = TempDir::new("upload");
    dir.write("tmpdir/test", DATA);
    let root = dir.path().to_owned();
    let server = spawn(move || Upload {
        files: SimpleHttpRequestHandler::new(root.clone()),
    });
    let r = parse(&raw(server.addr, b"GET /latest HTTP/1.0\r\n\r\n"));
    assert_eq!(r.body, DATA);
    let r = parse(&raw(
        server.addr,
        b"POST /x HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
    ));
    assert_eq!(r.body, b"hello");
    let r = parse(&raw(server.addr, b"PUT /x HTTP/1.0\r\n\r\n"));
    assert_eq!(r.status, 501);
    assert_eq!(r.header("Allow"), Some("POST, GET, HEAD"));
}

#[cfg(unix)]
#[test]
fn fifo_is_not_opened() {
    let f = Fixture::new();
    let fifo = f.sub().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        // CPython blocks in open() for ever; we answer 404.
        assert_eq!(f.get("/tmpdir/pipe").status, 404);
    }
}

#[test]
fn nul_in_path_is_404() {
    let f = Fixture::new();
    assert_eq!(f.get("/tmpdir/te%00st").status, 404);
}

/// Claims a longer body than the file has, as if the file shrank after
/// `send_head` measured it.
struct Shrunk {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Shrunk {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<basehttp::handlers::Body>> {
        let file = std::fs::File::open(self.files.directory.join("tmpdir/test"))?;
        req.send_response(200)?;
        req.send_header("Content-Length", "100")?;
        req.end_headers()?;
        Ok(Some(basehttp::handlers::Body::File {
            file: file.into(),
            len: 100,
        }))
    }
}

impl Handler for Shrunk {
    fn methods(&self) -> Cow<'static, [&'static str]> {
        Cow::Borrowed(<SimpleHttpRequestHandler as basehttp::Base<Self>>::METHODS)
    }
    fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
        <SimpleHttpRequestHandler as basehttp::Base<Self>>::dispatch(self, req)
            .unwrap_or_else(|| basehttp::unsupported_method(req, &self.methods()))
    }
    fn class(&self) -> Class {
        <SimpleHttpRequestHandler as basehttp::Base<Self>>::class(self)
    }
}

#[test]
fn shrunk_file_closes_the_connection() {
    let dir = TempDir::new("shrunk");
    dir.write("tmpdir/test", DATA);
    let files = SimpleHttpRequestHandler::new(dir.path()).with_protocol_version("HTTP/1.1");
    let server = spawn(move || Shrunk {
        files: files.clone(),
    });
    // HTTP/1.1 keep-alive would wait for the next request: the short body
    // must end the connection instead (read_to_close returns).
    let mut s = crate::support::connect(server.addr);
    s.write_all(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let out = crate::support::read_to_close(&mut s);
    let r = parse(&out);
    assert_eq!(r.header("Content-Length"), Some("100"));
    assert_eq!(r.body, DATA);
}

#[test]
fn file_modified_before_1970() {
    let f = Fixture::new();
    let p = f.sub().join("test");
    let old = SystemTime::UNIX_EPOCH - Duration::from_secs(315_619_200);
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let r = f.get("/tmpdir/test");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Last-Modified"),
        Some("Fri, 01 Jan 1960 00:00:00 GMT")
    );
    let ims = [("If-Modified-Since", "Fri, 01 Jan 1960 00:00:00 GMT")];
    assert_eq!(f.request("GET", "/tmpdir/test", &ims).status, 304);
}

#[test]
fn backslash_redirect_stays_on_site() {
    // Browsers read `\` as `/`: `Location: /\evil.com/...` would be
    // protocol-relative. CPython sends it; we escape the backslash.
    let dir = TempDir::new("files-bs");
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    let root = dir.path().to_owned();
    let srv = spawn(move || SimpleHttpRequestHandler::new(root.clone()));
    for (target, want) in [
        ("/\\evil.com/..%2fsubdir", "/%5Cevil.com/..%2fsubdir/"),
        ("\\\\evil.com/..%2fsubdir", "%5C%5Cevil.com/..%2fsubdir/"),
    ] {
        let resp = parse(&raw(
            srv.addr,
            format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes(),
        ));
        assert_eq!(resp.status, 301, "{target}");
        assert_eq!(resp.header("Location"), Some(want), "{target}");
    }
}

/// `urllib.parse.quote(name, errors='surrogatepass')` of an OS file name,
/// as the listing links it: bytes that are not UTF-8 are their
/// `surrogateescape` code point's surrogatepass bytes (`\xff` -> `%ED%B3%BF`).
fn quote_fs_name(name: &[u8]) -> String {
    let mut bytes = Vec::new();
    for chunk in name.utf8_chunks() {
        bytes.extend_from_slice(chunk.valid().as_bytes());
        for &b in chunk.invalid() {
            bytes.extend_from_slice(&[0xED, 0xB0 | (b >> 6), 0x80 | (b & 0x3F)]);
        }
    }
    bytes
        .iter()
        .map(|&b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The open-file cache (issue 20) serves every edit at once: on one
/// keep-alive connection, each change between two requests is seen by the
/// second, whatever the cache holds.
#[test]
fn the_open_file_cache_never_serves_a_stale_file() {
    let dir = TempDir::new("file-cache");
    let file = dir.path().join("page.txt");
    std::fs::write(&file, b"first version").unwrap();
    let handler = SimpleHttpRequestHandler::new(dir.path()).with_protocol_version("HTTP/1.1");
    let server = spawn(move || handler.clone());
    let mut s = crate::support::connect(server.addr);
    let mut get = |range: Option<&str>| {
        let extra = range.map(|r| format!("Range: {r}\r\n")).unwrap_or_default();
        write!(s, "GET /page.txt HTTP/1.1\r\nHost: x\r\n{extra}\r\n").unwrap();
        let r = crate::support::read_response(&mut s, false);
        if r.header("Connection") == Some("close") {
            // An error page ends the connection (as in CPython): go on
            // with a new one.
            s = crate::support::connect(server.addr);
        }
        r
    };
    let body = |r: &Response| String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(body(&get(None)), "first version");
    assert_eq!(body(&get(None)), "first version", "served again (cached)");

    // Rewritten in place, same size.
    std::fs::write(&file, b"FIRST VERSION").unwrap();
    assert_eq!(body(&get(None)), "FIRST VERSION");
    // Grown.
    std::fs::write(&file, b"FIRST VERSION, longer").unwrap();
    let r = get(None);
    assert_eq!(body(&r), "FIRST VERSION, longer");
    assert_eq!(r.header("Content-Length"), Some("21"));
    // Truncated (the same inode, shorter).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(5)
        .unwrap();
    assert_eq!(body(&get(None)), "FIRST");
    // Replaced by a rename, with the same size and contents of its own.
    let other = dir.path().join("next.txt");
    std::fs::write(&other, b"NEXT!").unwrap();
    std::fs::rename(&other, &file).unwrap();
    assert_eq!(body(&get(None)), "NEXT!");
    assert_eq!(body(&get(Some("bytes=1-2"))), "EX");
    // Deleted.
    std::fs::remove_file(&file).unwrap();
    assert_eq!(get(None).status, 404);
    // Back, then a directory in its place.
    std::fs::write(&file, b"back").unwrap();
    assert_eq!(body(&get(None)), "back");
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let r = get(None);
    assert_eq!(
        r.status, 301,
        "a directory now: the trailing-slash redirect"
    );
    assert_eq!(r.header("Location"), Some("/page.txt/"));
}

/// Requests share one cached descriptor and each reads at its own
/// position: ranges fetched at once from many threads are each right.
#[test]
fn requests_sharing_a_cached_file_read_their_own_ranges() {
    let dir = TempDir::new("file-cache-ranges");
    let data: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("data.bin"), &data).unwrap();
    let handler = SimpleHttpRequestHandler::new(dir.path());
    let server = spawn(move || handler.clone());
    let addr = server.addr;
    let data = std::sync::Arc::new(data);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let data = std::sync::Arc::clone(&data);
            std::thread::spawn(move || {
                for i in 0..40usize {
                    let start = (t * 7_001 + i * 977) % 50_000;
                    let end = start + 1 + (i * 131) % 9_000;
                    let req =
                        format!("GET /data.bin HTTP/1.0\r\nRange: bytes={start}-{end}\r\n\r\n");
                    let r = parse(&raw(addr, req.as_bytes()));
                    assert_eq!(r.status, 206);
                    assert!(r.body == data[start..=end], "range {start}-{end}");
                    let whole = parse(&raw(addr, b"GET /data.bin HTTP/1.0\r\n\r\n"));
                    assert!(whole.body == *data);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
