//! The sharing options of `SimpleHttpRequestHandler` over real sockets
//! (issue 23; the binary's `--no-dotfiles`, `--symlinks` and `--archive`):
//! each one's effect, the peers' published payloads (a link to `/etc`
//! inside the served directory, `.git/config`, markup in a file name,
//! encoded traversal, a directory swapped for a link while requests run),
//! archives decoded and their members checked, and the bytes unchanged
//! when the options are off.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use basehttp::handlers::files::Symlinks;
use basehttp::handlers::{CgiHttpRequestHandler, SimpleHttpRequestHandler};

use crate::clients::{client_present, run_bounded};
use crate::compress::dechunk;
use crate::support::{Response, TempDir, TestServer, parse, raw, spawn};

/// A file name with markup (the XSS payload of file-server advisories).
const MARKUP: &str = "<img src=x onerror=alert(1)>.html";
/// What the file outside the served directory holds.
const SECRET: &[u8] = b"outside secret\n";

/// A served directory (`www/`) beside a secret file, with dot-files,
/// markup and links of every kind:
///
/// ```text
/// secret.txt                 outside
/// www/a.txt, sub/b.txt       plain files
/// www/.env, .git/config, sub/.hidden
/// www/<img ...>.html
/// www/etc -> /etc, passwd -> /etc/passwd, up -> ..      lead out
/// www/inside -> sub/b.txt, abs-inside -> <www>/a.txt     stay inside
/// www/subl -> sub                                        a folder inside
/// ```
struct Share {
    dir: TempDir,
    www: PathBuf,
}

impl Share {
    fn new() -> Share {
        let dir = TempDir::new("sharing");
        dir.write("secret.txt", SECRET);
        let www = std::fs::canonicalize(dir.path()).unwrap().join("www");
        dir.write("www/a.txt", b"a\n");
        dir.write("www/sub/b.txt", b"b\n");
        dir.write("www/.env", b"TOKEN=dotenv\n");
        dir.write("www/.git/config", b"[core] git-config\n");
        dir.write("www/sub/.hidden", b"hidden\n");
        dir.write(&format!("www/{MARKUP}"), b"markup\n");
        symlink("/etc", www.join("etc")).unwrap();
        symlink("/etc/passwd", www.join("passwd")).unwrap();
        symlink("..", www.join("up")).unwrap();
        symlink("sub/b.txt", www.join("inside")).unwrap();
        symlink(www.join("a.txt"), www.join("abs-inside")).unwrap();
        symlink("sub", www.join("subl")).unwrap();
        Share { dir, www }
    }

    fn serve(
        &self,
        cfg: impl Fn(SimpleHttpRequestHandler) -> SimpleHttpRequestHandler,
    ) -> TestServer {
        let handler = cfg(SimpleHttpRequestHandler::new(&self.www));
        spawn(move || handler.clone())
    }
}

/// `/etc/passwd`'s contents: no response under a policy may hold them.
fn passwd() -> Vec<u8> {
    std::fs::read("/etc/passwd").expect("/etc/passwd")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// One request (`HTTP/1.0`, or 1.1 with `Connection: close`), the response
/// read to the close; a chunked body is returned de-chunked.
fn get(server: &TestServer, method: &str, target: &str, version: &str) -> Response {
    let mut req = format!("{method} {target} {version}\r\n").into_bytes();
    if version == "HTTP/1.1" {
        req.extend_from_slice(b"Host: x\r\nConnection: close\r\n");
    }
    req.extend_from_slice(b"\r\n");
    let mut resp = parse(&raw(server.addr, &req));
    if method != "HEAD" && resp.header("Transfer-Encoding") == Some("chunked") {
        let (body, rest) = dechunk(&resp.body);
        assert!(rest.is_empty(), "bytes after the last chunk");
        resp.body = body;
    }
    resp
}

fn get10(server: &TestServer, target: &str) -> Response {
    get(server, "GET", target, "HTTP/1.0")
}

/// The response bytes with `Date` blanked, to compare two servers'.
fn without_date(bytes: &[u8]) -> Vec<u8> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let lines: Vec<String> = text
        .split("\r\n")
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: -".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    lines.join("\r\n").chars().map(|c| c as u8).collect()
}

/// The names a listing links to (`href` values).
fn listed(page: &[u8]) -> Vec<String> {
    let page = String::from_utf8_lossy(page);
    page.split("<li><a href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// One member of a tar archive.
#[derive(Debug)]
struct Member {
    path: Vec<u8>,
    typeflag: u8,
    mode: u32,
    data: Vec<u8>,
}

impl Member {
    fn path(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }
}

/// A tar stream's members (ustar with `prefix`, `pax` `path` and `size`
/// records), checking each header's checksum and the end blocks.
fn untar(mut tar: &[u8]) -> Vec<Member> {
    fn field(h: &[u8]) -> &[u8] {
        &h[..h.iter().position(|&b| b == 0).unwrap_or(h.len())]
    }
    fn octal(h: &[u8]) -> u64 {
        let s = std::str::from_utf8(field(h)).unwrap().trim();
        u64::from_str_radix(s, 8).unwrap_or_else(|_| panic!("octal {s:?}"))
    }
    let mut out = Vec::new();
    let mut pax_path: Option<Vec<u8>> = None;
    let mut pax_size: Option<u64> = None;
    loop {
        assert!(tar.len() >= 512, "the archive ends inside a header");
        let h = &tar[..512];
        if h.iter().all(|&b| b == 0) {
            assert_eq!(tar, &[0u8; 1024][..], "two zero blocks end it");
            return out;
        }
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        assert_eq!(octal(&h[148..156]), sum, "header checksum");
        assert_eq!(&h[257..263], b"ustar\0");
        let size = pax_size.take().unwrap_or_else(|| octal(&h[124..136])) as usize;
        let data = tar[512..512 + size].to_vec();
        tar = &tar[512 + size.div_ceil(512) * 512..];
        if h[156] == b'x' {
            let mut records = &data[..];
            while !records.is_empty() {
                let sp = records.iter().position(|&b| b == b' ').unwrap();
                let len: usize = std::str::from_utf8(&records[..sp])
                    .unwrap()
                    .parse()
                    .unwrap();
                let record = &records[sp + 1..len - 1];
                let eq = record.iter().position(|&b| b == b'=').unwrap();
                match &record[..eq] {
                    b"path" => pax_path = Some(record[eq + 1..].to_vec()),
                    b"size" => {
                        pax_size = Some(
                            std::str::from_utf8(&record[eq + 1..])
                                .unwrap()
                                .parse()
                                .unwrap(),
                        )
                    }
                    _ => {}
                }
                records = &records[len..];
            }
            continue;
        }
        let path = pax_path.take().unwrap_or_else(|| {
            let (prefix, name) = (field(&h[345..500]), field(&h[..100]));
            if prefix.is_empty() {
                name.to_vec()
            } else {
                [prefix, b"/", name].concat()
            }
        });
        out.push(Member {
            path,
            typeflag: h[156],
            mode: octal(&h[100..108]) as u32,
            data,
        });
    }
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// The members of `/dir/?archive=tar.gz`, checked to be safe to extract.
fn archive(server: &TestServer, dir: &str) -> Vec<Member> {
    let resp = get10(server, &format!("{dir}?archive=tar.gz"));
    assert_eq!(resp.status, 200, "{dir}");
    assert_eq!(resp.header("Content-type"), Some("application/gzip"));
    let members = untar(&gunzip(&resp.body));
    for m in &members {
        let path = m.path();
        assert!(
            !path.starts_with('/') && !path.split('/').any(|c| c == ".." || c == "."),
            "{path}"
        );
        assert!(matches!(m.typeflag, b'0' | b'5'), "{path}: no links");
        assert!(m.mode & !0o777 == 0, "{path}: no set-id bits");
    }
    members
}

fn paths(members: &[Member]) -> Vec<String> {
    members.iter().map(Member::path).collect()
}

fn member<'m>(members: &'m [Member], path: &str) -> &'m Member {
    members
        .iter()
        .find(|m| m.path() == path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", paths(members)))
}

#[test]
fn no_dotfiles_answers_404_for_dot_paths_as_for_missing_files() {
    let share = Share::new();
    let server = share.serve(|h| h.with_dotfiles(false));
    for target in [
        "/.env",
        "/.git/config",
        "/.git/",
        "/.git",
        "/%2egit/config",
        "/%2Egit/config",
        "/.git%2fconfig",
        "/sub/.hidden",
        "/sub/%2ehidden",
        "/.env?x=1",
        "/sub/../.env",
        "/.git/?archive=tar.gz",
    ] {
        for method in ["GET", "HEAD"] {
            let resp = get(&server, method, target, "HTTP/1.0");
            assert_eq!(
                resp.status_line, "HTTP/1.0 404 File not found",
                "{method} {target}"
            );
            assert!(!contains(&resp.body, b"dotenv") && !contains(&resp.body, b"git-config"));
        }
    }
    // The 404 says no more than a missing file's.
    let hidden = raw(server.addr, b"GET /.env HTTP/1.0\r\n\r\n");
    let missing = raw(server.addr, b"GET /.nothing HTTP/1.0\r\n\r\n");
    assert_eq!(without_date(&hidden), without_date(&missing));
    // Listings leave dot-files out; the rest is served.
    assert_eq!(
        listed(&get10(&server, "/").body),
        [
            "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html",
            "a.txt",
            "abs-inside",
            "etc/",
            "inside",
            "passwd",
            "sub/",
            "subl/",
            "up/"
        ]
    );
    assert_eq!(listed(&get10(&server, "/sub/").body), ["b.txt"]);
    assert_eq!(get10(&server, "/sub/b.txt").body, b"b\n");
    // Off (CPython's default), dot-files are served and listed.
    let server = share.serve(|h| h);
    assert_eq!(get10(&server, "/.git/config").body, b"[core] git-config\n");
    assert!(listed(&get10(&server, "/").body).contains(&".env".to_owned()));
}

#[test]
fn symlinks_inside_serves_links_that_stay_and_refuses_those_that_leave() {
    let share = Share::new();
    let server = share.serve(|h| h.with_symlinks(Symlinks::Inside));
    let passwd = passwd();
    for target in [
        "/etc/passwd",
        "/etc/",
        "/etc",
        "/passwd",
        "/up/secret.txt",
        "/up/",
        "/etc/?archive=tar.gz",
    ] {
        let resp = get10(&server, target);
        assert_eq!(resp.status, 404, "{target}");
        assert!(!contains(&resp.body, &passwd) && !contains(&resp.body, SECRET));
    }
    for (target, body) in [
        ("/inside", &b"b\n"[..]),
        ("/abs-inside", b"a\n"),
        ("/subl/b.txt", b"b\n"),
    ] {
        assert_eq!(get10(&server, target).body, body, "{target}");
    }
    // Links that lead out are not listed; those that stay are, with `@`.
    let page = get10(&server, "/").body;
    assert_eq!(
        listed(&page),
        [
            ".env",
            ".git/",
            "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html",
            "a.txt",
            "abs-inside",
            "inside",
            "sub/",
            "subl/"
        ]
    );
    assert!(contains(&page, b">inside@</a>") && contains(&page, b">subl@</a>"));
}

#[test]
fn symlinks_off_follows_none_and_lists_none() {
    let share = Share::new();
    let server = share.serve(|h| h.with_symlinks(Symlinks::Off));
    for target in [
        "/etc/passwd",
        "/passwd",
        "/inside",
        "/abs-inside",
        "/subl/b.txt",
        "/subl/",
    ] {
        assert_eq!(get10(&server, target).status, 404, "{target}");
    }
    assert_eq!(get10(&server, "/sub/b.txt").body, b"b\n");
    assert_eq!(
        listed(&get10(&server, "/").body),
        [
            ".env",
            ".git/",
            "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html",
            "a.txt",
            "sub/"
        ]
    );
}

/// The default is CPython's: every link followed, wherever it leads.
#[test]
fn symlinks_follow_is_cpythons() {
    let share = Share::new();
    let server = share.serve(|h| h);
    assert_eq!(get10(&server, "/passwd").body, passwd());
    assert_eq!(get10(&server, "/up/secret.txt").body, SECRET);
    assert_eq!(listed(&get10(&server, "/").body).len(), 11);
}

/// Encoded traversal (`%2e%2e`, `..%2f`, `..%5c`, overlong UTF-8) never
/// leaves the served directory, under any policy.
#[test]
fn encoded_traversal_stays_inside() {
    let dir = TempDir::new("sharing-traversal");
    dir.write("secret.txt", SECRET);
    dir.write("www/sub/a.txt", b"a\n");
    let www = dir.join("www");
    let passwd = passwd();
    for (dotfiles, symlinks) in [
        (true, Symlinks::Follow),
        (false, Symlinks::Follow),
        (true, Symlinks::Inside),
        (true, Symlinks::Off),
    ] {
        let handler = SimpleHttpRequestHandler::new(&www)
            .with_dotfiles(dotfiles)
            .with_symlinks(symlinks)
            .with_archive(true);
        let server = spawn(move || handler.clone());
        for target in [
            "/%2e%2e/secret.txt",
            "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
            "/..%2fsecret.txt",
            "/sub/..%2f..%2f..%2fsecret.txt",
            "/..%5csecret.txt",
            "/..%5c..%5c..%5cetc%5cpasswd",
            "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/sub/%2e%2e/%2e%2e/secret.txt",
            "/..\\secret.txt",
            "/%c0%ae%c0%ae/secret.txt",
            "/..;/secret.txt",
            "//../secret.txt",
            "/%2e%2e/?archive=tar.gz",
            "/..%2f?archive=tar.gz",
        ] {
            let resp = get10(&server, target);
            let body = if resp.header("Content-type") == Some("application/gzip") {
                gunzip(&resp.body)
            } else {
                resp.body
            };
            assert!(
                !contains(&body, SECRET) && !contains(&body, &passwd),
                "{dotfiles} {symlinks:?} {target}: {}",
                resp.status
            );
        }
    }
}

#[test]
fn markup_in_a_file_name_is_escaped_in_the_listing_and_raw_in_the_archive() {
    let share = Share::new();
    let server = share.serve(|h| h.with_archive(true));
    let page = get10(&server, "/").body;
    assert!(!contains(&page, b"<img"));
    assert!(contains(
        &page,
        b"<a href=\"%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html\">\
          &lt;img src=x onerror=alert(1)&gt;.html</a>"
    ));
    let members = archive(&server, "/");
    assert_eq!(member(&members, &format!("www/{MARKUP}")).data, b"markup\n");
}

#[test]
fn an_archive_streams_the_folder_as_tar_gz() {
    let share = Share::new();
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    share.dir.write("www/sub/deep/big.bin", &big);
    let long = "l".repeat(120);
    share
        .dir
        .write(&format!("www/sub/{long}/{long}.txt"), b"long\n");
    let handler = SimpleHttpRequestHandler::new(&share.www)
        .with_archive(true)
        .with_protocol_version("HTTP/1.1");
    let server = spawn(move || handler.clone());
    // HTTP/1.1: chunked.
    let resp = get(&server, "GET", "/sub/?archive=tar.gz", "HTTP/1.1");
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
    assert_eq!(resp.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(resp.header("Content-type"), Some("application/gzip"));
    assert_eq!(
        resp.header("Content-Disposition"),
        Some("attachment; filename=\"sub.tar.gz\"")
    );
    assert_eq!(resp.header("Content-Length"), None);
    let members = untar(&gunzip(&resp.body));
    let long_path = format!("sub/{long}/{long}.txt");
    assert_eq!(
        paths(&members),
        [
            "sub/".to_owned(),
            "sub/.hidden".to_owned(),
            "sub/b.txt".to_owned(),
            "sub/deep/".to_owned(),
            "sub/deep/big.bin".to_owned(),
            format!("sub/{long}/"),
            long_path.clone(),
        ]
    );
    assert_eq!(member(&members, "sub/deep/big.bin").data, big);
    assert_eq!(member(&members, &long_path).data, b"long\n");
    assert_eq!(member(&members, "sub/").typeflag, b'5');
    // HTTP/1.0: the same bytes, delimited by the close.
    let resp = get10(&server, "/sub/?archive=tar.gz");
    assert_eq!(resp.header("Transfer-Encoding"), None);
    assert_eq!(paths(&untar(&gunzip(&resp.body))), paths(&members));
    // HEAD: the same head, no body.
    let head = get(&server, "HEAD", "/sub/?archive=tar.gz", "HTTP/1.1");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Disposition"),
        Some("attachment; filename=\"sub.tar.gz\"")
    );
    assert!(head.body.is_empty());
    // Uncompressed, and a folder without its slash is redirected with the
    // query kept.
    let tar = get10(&server, "/sub/?archive=tar");
    assert_eq!(tar.header("Content-type"), Some("application/x-tar"));
    assert_eq!(paths(&untar(&tar.body)), paths(&members));
    let redirect = get10(&server, "/sub?archive=tar.gz");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("Location"), Some("/sub/?archive=tar.gz"));
}

#[test]
fn an_archive_holds_what_the_policies_let_through() {
    let share = Share::new();
    let server = share.serve(|h| h.with_archive(true));
    // follow: linked files as their contents, linked folders not entered.
    let members = archive(&server, "/");
    assert_eq!(member(&members, "www/passwd").data, passwd());
    assert_eq!(
        member(&members, "www/.git/config").data,
        b"[core] git-config\n"
    );
    for linked_folder in ["www/etc/", "www/up/", "www/subl/"] {
        assert!(!paths(&members).iter().any(|p| p.starts_with(linked_folder)));
    }
    // inside, dot-files hidden: links that leave and dot-files left out.
    let server = share.serve(|h| {
        h.with_archive(true)
            .with_dotfiles(false)
            .with_symlinks(Symlinks::Inside)
    });
    let members = archive(&server, "/");
    assert_eq!(
        paths(&members),
        [
            "www/",
            &format!("www/{MARKUP}"),
            "www/a.txt",
            "www/abs-inside",
            "www/inside",
            "www/sub/",
            "www/sub/b.txt"
        ]
    );
    assert_eq!(member(&members, "www/inside").data, b"b\n");
    assert_eq!(member(&members, "www/abs-inside").data, b"a\n");
    // off: no link at all.
    let server = share.serve(|h| h.with_archive(true).with_symlinks(Symlinks::Off));
    let members = archive(&server, "/sub/");
    assert_eq!(paths(&members), ["sub/", "sub/.hidden", "sub/b.txt"]);
    let members = archive(&server, "/");
    for link in ["www/inside", "www/abs-inside", "www/passwd"] {
        assert!(!paths(&members).contains(&link.to_owned()), "{link}");
    }
}

/// With `--archive` a listing changes only by its one link; without it a
/// `?archive=` query is ignored, as CPython ignores every query.
#[test]
fn the_archive_link_is_the_listings_only_change() {
    let share = Share::new();
    let plain = share.serve(|h| h);
    let with = share.serve(|h| h.with_archive(true));
    let link: &[u8] = b"<p><a href=\"?archive=tar.gz\">Download this folder (.tar.gz)</a></p>\n";
    for dir in ["/", "/sub/"] {
        let a = get10(&plain, dir);
        let b = get10(&with, dir);
        let at = a.body.windows(6).position(|w| w == b"</h1>\n").unwrap() + 6;
        let mut want = a.body.clone();
        want.splice(at..at, link.iter().copied());
        assert_eq!(b.body, want, "{dir}");
        let len = |r: &Response| {
            r.header("Content-Length")
                .unwrap()
                .parse::<usize>()
                .unwrap()
        };
        assert_eq!(len(&b), len(&a) + link.len());
        // Off: the query changes nothing.
        let queried = raw(
            plain.addr,
            format!("GET {dir}?archive=tar.gz HTTP/1.0\r\n\r\n").as_bytes(),
        );
        let bare = raw(plain.addr, format!("GET {dir} HTTP/1.0\r\n\r\n").as_bytes());
        assert_eq!(without_date(&queried), without_date(&bare));
    }
    // Other values are a listing too.
    assert!(contains(&get10(&with, "/?archive=zip").body, link));
}

#[test]
fn the_archive_is_named_after_its_folder() {
    let share = Share::new();
    share.dir.write("www/f\u{ea}te \"2026\"/x.txt", b"x\n");
    let server = share.serve(|h| h.with_archive(true));
    let resp = get10(&server, "/f%C3%AAte%20%222026%22/?archive=tar.gz");
    assert_eq!(
        resp.header("Content-Disposition"),
        Some(
            "attachment; filename=\"f_te _2026_.tar.gz\"; \
             filename*=UTF-8''f%C3%AAte%20%222026%22.tar.gz"
        )
    );
    let members = untar(&gunzip(&resp.body));
    assert_eq!(
        paths(&members),
        ["f\u{ea}te \"2026\"/", "f\u{ea}te \"2026\"/x.txt"]
    );
    // The served directory itself is named after it.
    let root = get10(&server, "/?archive=tar.gz");
    assert_eq!(
        root.header("Content-Disposition"),
        Some("attachment; filename=\"www.tar.gz\"")
    );
}

/// A directory swapped for a link to `/etc` (with `renameat2`'s atomic
/// exchange) while downloads, listings and archives of it run: under
/// `inside` and `off`, no response ever holds `/etc/passwd`.
#[test]
fn a_directory_swapped_for_a_link_never_leads_out() {
    const REQUESTS: usize = 150;
    let dir = TempDir::new("sharing-race");
    dir.write("www/d/passwd", b"inside\n");
    dir.write("www/d/group", b"inside\n");
    let www = dir.join("www");
    let swap = dir.join("swap");
    symlink("/etc", &swap).unwrap();
    let passwd = passwd();
    for symlinks in [Symlinks::Inside, Symlinks::Off] {
        let handler = SimpleHttpRequestHandler::new(&www)
            .with_symlinks(symlinks)
            .with_archive(true)
            .with_open_file_cache(true);
        let server = spawn(move || handler.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicUsize::new(0));
        let (started, first) = std::sync::mpsc::channel();
        let swapper = {
            let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
            let (a, b) = (www.join("d"), swap.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let exchanged = rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        &a,
                        rustix::fs::CWD,
                        &b,
                        rustix::fs::RenameFlags::EXCHANGE,
                    );
                    if exchanged.is_err() {
                        break;
                    }
                    if swaps.fetch_add(1, Ordering::Relaxed) == 0 {
                        let _ = started.send(());
                    }
                }
            })
        };
        first
            .recv()
            .expect("renameat2 exchanges the folder and the link");
        // Stops the swaps however the requests end.
        let _stop = StopOnDrop(Arc::clone(&stop));
        for i in 0..REQUESTS {
            let target = ["/d/passwd", "/d/", "/d/?archive=tar", "/d/group"][i % 4];
            let resp = get10(&server, target);
            assert!(
                !contains(&resp.body, &passwd),
                "{symlinks:?} {target}: /etc/passwd after {} swaps",
                swaps.load(Ordering::Relaxed)
            );
            if target.ends_with("archive=tar") && resp.status == 200 {
                for m in untar(&resp.body) {
                    assert!(m.data.is_empty() || m.data == b"inside\n", "{}", m.path());
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        // Put `d` back as the folder for the next policy.
        if std::fs::symlink_metadata(www.join("d"))
            .unwrap()
            .is_symlink()
        {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                www.join("d"),
                rustix::fs::CWD,
                &swap,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .unwrap();
        }
    }
}

/// Sets its flag when dropped (also by a failed assertion).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A precompressed sibling linked out of the served directory is not
/// sent under `inside`: the file as stored is.
#[test]
fn a_sibling_linked_out_is_not_sent() {
    let dir = TempDir::new("sharing-sibling");
    dir.write("www/a.txt", b"stored a\n");
    dir.write("outside.gz", b"\x1f\x8b outside");
    let www = dir.join("www");
    symlink("../outside.gz", www.join("a.txt.gz")).unwrap();
    let serve = |symlinks| {
        let handler = SimpleHttpRequestHandler::new(&www)
            .with_compress(true)
            .with_symlinks(symlinks);
        spawn(move || handler.clone())
    };
    let ask = b"GET /a.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n";
    let resp = parse(&raw(serve(Symlinks::Inside).addr, ask));
    assert_eq!(resp.body, b"stored a\n");
    assert_eq!(resp.header("Content-Encoding"), None);
    // Followed (CPython's policy), the link is the sibling.
    let resp = parse(&raw(serve(Symlinks::Follow).addr, ask));
    assert_eq!(resp.body, b"\x1f\x8b outside");
}

/// An index page linked out of the served directory is not served under
/// `inside`: the folder is listed without it.
#[test]
fn an_index_page_linked_out_is_not_served() {
    let share = Share::new();
    std::fs::create_dir(share.www.join("site")).unwrap();
    symlink("/etc/passwd", share.www.join("site/index.html")).unwrap();
    let server = share.serve(|h| h.with_symlinks(Symlinks::Inside));
    let resp = get10(&server, "/site/");
    assert_eq!(resp.status, 200);
    assert!(!contains(&resp.body, &passwd()));
    assert!(listed(&resp.body).is_empty());
}

/// The options reach `CgiHttpRequestHandler` through its `files`.
#[test]
fn the_cgi_handler_honours_the_policies() {
    let share = Share::new();
    let www = share.www.clone();
    let server = spawn(move || {
        let mut cgi = CgiHttpRequestHandler::new(www.clone());
        cgi.files = cgi
            .files
            .clone()
            .with_dotfiles(false)
            .with_symlinks(Symlinks::Inside);
        cgi
    });
    for target in ["/.git/config", "/passwd", "/etc/passwd"] {
        assert_eq!(get10(&server, target).status, 404, "{target}");
    }
    assert_eq!(get10(&server, "/inside").body, b"b\n");
}

/// Python's `tarfile` (another reader than ours) reads the archive, long
/// and non-UTF-8 names included, and extracts it under its `data` filter
/// (which refuses absolute paths, `..` and links that leave).
#[test]
fn python_tarfile_extracts_the_archive() {
    if !client_present("python3", "apt-get install python3") {
        return;
    }
    let share = Share::new();
    let long = "n".repeat(150);
    share.dir.write(&format!("www/sub/{long}.txt"), b"long\n");
    std::fs::write(
        share
            .www
            .join(std::ffi::OsStr::from_bytes(b"sub/raw-\xff.txt")),
        b"raw\n",
    )
    .unwrap();
    let server = share.serve(|h| h.with_archive(true).with_symlinks(Symlinks::Inside));
    let body = get10(&server, "/?archive=tar.gz").body;
    let out = TempDir::new("sharing-extract");
    std::fs::write(out.join("a.tar.gz"), &body).unwrap();
    let mut python = Command::new("python3");
    python.args([
        "-c",
        "import sys, tarfile\n\
         with tarfile.open(sys.argv[1]) as t:\n\
         \x20   t.extractall(sys.argv[2], filter='data')\n",
    ]);
    python.arg(out.join("a.tar.gz")).arg(out.join("x"));
    let output = run_bounded(python);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let x = out.join("x/www");
    for (path, contents) in [
        (format!("sub/{long}.txt"), &b"long\n"[..]),
        ("inside".to_owned(), b"b\n"),
        (MARKUP.to_owned(), b"markup\n"),
        (".git/config".to_owned(), b"[core] git-config\n"),
    ] {
        assert_eq!(std::fs::read(x.join(&path)).unwrap(), contents, "{path}");
    }
    let raw_name = x.join(std::ffi::OsStr::from_bytes(b"sub/raw-\xff.txt"));
    assert_eq!(std::fs::read(raw_name).unwrap(), b"raw\n");
    assert!(!x.join("passwd").exists() && !x.join("etc").exists());
    assert!(!out.join("x/secret.txt").exists());
}
