//! Uploads and Basic authentication in `SimpleHttpRequestHandler` over real
//! sockets (issue 23, items 1 and 5; the binary's `--upload`, `--overwrite`,
//! `--auth`, `--auth-writes-only`): forms of files and folders, `PUT`, the
//! peers' published payloads (encoded traversal in names, dotfiles, a
//! symlink out of the root, a directory swapped for a symlink during
//! uploads), no overwrite, all or nothing, the size limit, and the 401s;
//! then headless Chromium uploading through the listing's own form.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use basehttp::ServerConfig;
use basehttp::handlers::{BasicAuth, SimpleHttpRequestHandler, Upload};

use crate::clients::{self, CHROMIUM, client_present, run_bounded};
use crate::support::{Response, TempDir, TestServer, parse, raw, spawn, spawn_with};

const BOUNDARY: &str = "----basehttp-test-boundary";

/// A `multipart/form-data` body with one file part per `(name, data)`.
fn form(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in files {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{BOUNDARY}--\r\n").unwrap();
    body
}

fn post(server: &TestServer, target: &str, body: &[u8], extra: &[(&str, &str)]) -> Response {
    let mut req = format!(
        "POST {target} HTTP/1.0\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (n, v) in extra {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    parse(&raw(server.addr, &req))
}

fn put(server: &TestServer, target: &str, body: &[u8], extra: &[(&str, &str)]) -> Response {
    let mut req = format!(
        "PUT {target} HTTP/1.0\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (n, v) in extra {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    parse(&raw(server.addr, &req))
}

fn get(server: &TestServer, target: &str, extra: &[(&str, &str)]) -> Response {
    let mut req = format!("GET {target} HTTP/1.0\r\n").into_bytes();
    for (n, v) in extra {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    parse(&raw(server.addr, &req))
}

fn uploads(dir: &Path, upload: Upload) -> TestServer {
    let handler = SimpleHttpRequestHandler::new(dir).with_upload(Some(upload));
    spawn(move || handler.clone())
}

/// Every name under `dir`, relative, sorted (temporary files would show).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(base).unwrap().display().to_string();
            let ty = e.file_type().unwrap();
            out.push(rel);
            if ty.is_dir() {
                walk(base, &e.path(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn without_the_option_writes_are_cpythons_501() {
    let dir = TempDir::new("upload-off");
    let handler = SimpleHttpRequestHandler::new(dir.path());
    let server = spawn(move || handler.clone());
    assert_eq!(
        post(&server, "/", &form(&[("a.txt", b"x")]), &[]).status,
        501
    );
    assert_eq!(put(&server, "/a.txt", b"x", &[]).status, 501);
    let listing = get(&server, "/", &[]);
    assert!(!String::from_utf8_lossy(&listing.body).contains("<form"));
    assert!(tree(dir.path()).is_empty());
}

#[test]
fn a_form_of_files_and_a_folder() {
    let dir = TempDir::new("upload-form");
    std::fs::create_dir(dir.join("docs")).unwrap();
    let server = uploads(dir.path(), Upload::default());
    let r = post(
        &server,
        "/docs/",
        &form(&[("a.txt", b"alpha"), ("b.bin", &[0, 1, 2, 255])]),
        &[],
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body, b"a.txt\nb.bin\n");
    assert_eq!(std::fs::read(dir.join("docs/a.txt")).unwrap(), b"alpha");
    assert_eq!(
        std::fs::read(dir.join("docs/b.bin")).unwrap(),
        [0, 1, 2, 255]
    );
    // A folder, as `webkitdirectory` sends it; from a browser: back to the
    // listing.
    let r = post(
        &server,
        "/",
        &form(&[("photos/2026/x.jpg", b"jpg"), ("photos/readme.txt", b"hi")]),
        &[("Accept", "text/html,*/*")],
    );
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("Location"), Some("/"));
    assert_eq!(
        std::fs::read(dir.join("photos/2026/x.jpg")).unwrap(),
        b"jpg"
    );
    assert_eq!(std::fs::read(dir.join("photos/readme.txt")).unwrap(), b"hi");
    // The listing offers the forms.
    let listing = String::from_utf8(get(&server, "/docs/", &[]).body).unwrap();
    assert!(
        listing.contains("enctype=\"multipart/form-data\""),
        "{listing}"
    );
    assert!(listing.contains("webkitdirectory"), "{listing}");
    assert!(
        listing.ends_with("</form>\n<hr>\n</body>\n</html>\n"),
        "{listing}"
    );
    assert_eq!(
        tree(dir.path()),
        [
            "docs",
            "docs/a.txt",
            "docs/b.bin",
            "photos",
            "photos/2026",
            "photos/2026/x.jpg",
            "photos/readme.txt"
        ]
    );
}

#[test]
fn never_over_a_file_and_all_or_nothing() {
    let dir = TempDir::new("upload-conflict");
    std::fs::write(dir.join("taken.txt"), b"original").unwrap();
    let server = uploads(dir.path(), Upload::default());
    let r = post(
        &server,
        "/",
        &form(&[("new.txt", b"new"), ("taken.txt", b"evil")]),
        &[],
    );
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(std::fs::read(dir.join("taken.txt")).unwrap(), b"original");
    assert_eq!(
        tree(dir.path()),
        ["taken.txt"],
        "the request's new.txt went again"
    );
    // PUT: 201, then 409.
    assert_eq!(put(&server, "/put.txt", b"one", &[]).status, 201);
    assert_eq!(put(&server, "/put.txt", b"two", &[]).status, 409);
    assert_eq!(std::fs::read(dir.join("put.txt")).unwrap(), b"one");
    // With overwrite: replaced (204 for PUT).
    let server = uploads(
        dir.path(),
        Upload {
            dir: None,
            overwrite: true,
        },
    );
    assert_eq!(put(&server, "/put.txt", b"two", &[]).status, 204);
    assert_eq!(std::fs::read(dir.join("put.txt")).unwrap(), b"two");
    assert_eq!(
        post(&server, "/", &form(&[("taken.txt", b"new")]), &[]).status,
        201
    );
    assert_eq!(std::fs::read(dir.join("taken.txt")).unwrap(), b"new");
    assert_eq!(tree(dir.path()), ["put.txt", "taken.txt"]);
}

/// The peers' published payloads: traversal in upload names (plain and
/// encoded), dotfiles, and URLs that leave the root.
#[test]
fn unsafe_names_and_paths_are_refused() {
    let root = TempDir::new("upload-traversal");
    let served = root.join("served");
    std::fs::create_dir(&served).unwrap();
    let server = uploads(&served, Upload::default());
    for name in [
        "../escaped.txt",
        "..\\escaped.txt",
        "a/../../escaped.txt",
        "./x",
        ".git/config",
        ".env",
        "ok/.hidden",
        "nul\u{1}ctl",
        "",
    ] {
        let r = post(
            &server,
            "/",
            &form(&[(name, b"payload"), ("z.txt", b"z")]),
            &[],
        );
        if name.is_empty() {
            // An empty file input is skipped, the rest saved.
            assert_eq!(r.status, 201, "{name:?}");
            std::fs::remove_file(served.join("z.txt")).unwrap();
        } else {
            assert_eq!(r.status, 400, "{name:?}: {r:?}");
        }
    }
    for target in ["/../", "/%2e%2e/", "/..%2f", "/.git/", "/a/../"] {
        let r = post(&server, target, &form(&[("x.txt", b"x")]), &[]);
        assert!((403..=405).contains(&r.status), "{target}: {r:?}");
    }
    for target in [
        "/../x.txt",
        "/%2e%2e/x.txt",
        "/..%2fx.txt",
        "/.env",
        "/%2e%2e%2fx.txt",
    ] {
        let r = put(&server, target, b"x", &[]);
        assert!(matches!(r.status, 400 | 403 | 404), "{target}: {r:?}");
    }
    assert!(tree(&served).is_empty(), "{:?}", tree(&served));
    assert_eq!(tree(root.path()), ["served"]);
}

/// A symlink in the root is never followed by an upload, neither a URL's
/// directory nor a folder's name, even one swapped in while uploads run.
#[test]
fn uploads_never_go_through_a_symlink() {
    let root = TempDir::new("upload-symlink");
    let served = root.join("served");
    let outside = root.join("outside");
    std::fs::create_dir_all(served.join("real")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, served.join("link")).unwrap();
    let server = uploads(&served, Upload::default());
    assert_eq!(
        post(&server, "/link/", &form(&[("a.txt", b"x")]), &[]).status,
        404
    );
    assert_eq!(put(&server, "/link/a.txt", b"x", &[]).status, 404);
    assert!(post(&server, "/", &form(&[("link/a.txt", b"x")]), &[]).status >= 400);
    assert!(tree(&outside).is_empty());

    // A thread swaps `swap` between a directory and a symlink out of the
    // root while uploads into it run: none may land outside.
    let stop = Arc::new(AtomicBool::new(false));
    std::fs::create_dir(served.join("swap")).unwrap();
    let swapper = {
        let (served, outside, stop) = (served.clone(), outside.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let swap = served.join("swap");
            let moved = served.join("swap-dir");
            while !stop.load(Ordering::SeqCst) {
                let _ = std::fs::rename(&swap, &moved);
                let _ = std::os::unix::fs::symlink(&outside, &swap);
                let _ = std::fs::remove_file(&swap);
                let _ = std::fs::rename(&moved, &swap);
            }
        })
    };
    for i in 0..200 {
        let name = format!("f{i}.txt");
        let _ = post(&server, "/swap/", &form(&[(&name, b"x")]), &[]);
        let _ = put(&server, &format!("/swap/p{i}.txt"), b"x", &[]);
        let _ = post(
            &server,
            "/",
            &form(&[(&format!("swap/g{i}.txt"), b"x")]),
            &[],
        );
    }
    stop.store(true, Ordering::SeqCst);
    swapper.join().unwrap();
    assert!(tree(&outside).is_empty(), "{:?}", tree(&outside));
}

#[test]
fn only_into_the_upload_directory_and_within_the_size_limit() {
    let dir = TempDir::new("upload-where");
    std::fs::create_dir_all(dir.join("incoming/deeper")).unwrap();
    let upload = Upload {
        dir: Some("incoming".into()),
        overwrite: false,
    };
    let handler = SimpleHttpRequestHandler::new(dir.path()).with_upload(Some(upload));
    let server = spawn_with(move || handler.clone(), ServerConfig::new().max_body(16));
    assert_eq!(
        post(&server, "/", &form(&[("a.txt", b"x")]), &[]).status,
        403
    );
    assert_eq!(put(&server, "/a.txt", b"x", &[]).status, 403);
    assert_eq!(put(&server, "/incoming/a.txt", b"x", &[]).status, 201);
    assert_eq!(
        put(&server, "/incoming/deeper/b.txt", b"y", &[]).status,
        201
    );
    let top = String::from_utf8(get(&server, "/", &[]).body).unwrap();
    assert!(!top.contains("<form"), "no form where uploads are refused");
    let inbox = String::from_utf8(get(&server, "/incoming/", &[]).body).unwrap();
    assert!(inbox.contains("<form"));
    // Over `max_body`: 413, sized or chunked, and nothing left behind.
    assert_eq!(
        put(&server, "/incoming/big.txt", &[b'x'; 17], &[]).status,
        413
    );
    let chunked = b"PUT /incoming/big.txt HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
                    10\r\nxxxxxxxxxxxxxxxx\r\n10\r\nxxxxxxxxxxxxxxxx\r\n0\r\n\r\n";
    assert_eq!(parse(&raw(server.addr, chunked)).status, 413);
    assert_eq!(
        tree(dir.path()),
        [
            "incoming",
            "incoming/a.txt",
            "incoming/deeper",
            "incoming/deeper/b.txt"
        ]
    );
}

fn basic(user_pass: &str) -> String {
    let out = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(user_pass.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    format!("Basic {}", String::from_utf8(out.stdout).unwrap())
}

#[test]
fn basic_auth_for_everything_or_for_writes() {
    let dir = TempDir::new("auth");
    std::fs::write(dir.join("a.txt"), b"secret file").unwrap();
    let auth = BasicAuth::parse("alice:s3cret").unwrap();
    let handler = SimpleHttpRequestHandler::new(dir.path())
        .with_auth(Some(auth.clone()))
        .with_upload(Some(Upload::default()));
    let server = spawn(move || handler.clone());
    let r = get(&server, "/a.txt", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Basic realm=\"basehttp\", charset=\"UTF-8\"")
    );
    assert!(!String::from_utf8_lossy(&r.body).contains("secret file"));
    for wrong in ["alice:wrong", "bob:s3cret", "alice:", ":s3cret"] {
        assert_eq!(
            get(&server, "/a.txt", &[("Authorization", &basic(wrong))]).status,
            401
        );
    }
    let ok = basic("alice:s3cret");
    let r = get(&server, "/a.txt", &[("Authorization", &ok)]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"secret file"[..]));
    assert_eq!(put(&server, "/b.txt", b"b", &[]).status, 401);
    assert_eq!(
        put(&server, "/b.txt", b"b", &[("Authorization", &ok)]).status,
        201
    );

    // Writes only: reading is open, uploading asks.
    let handler = SimpleHttpRequestHandler::new(dir.path())
        .with_auth(Some(auth.writes_only(true)))
        .with_upload(Some(Upload::default()));
    let server = spawn(move || handler.clone());
    assert_eq!(get(&server, "/a.txt", &[]).status, 200);
    assert_eq!(
        post(&server, "/", &form(&[("c.txt", b"c")]), &[]).status,
        401
    );
    assert_eq!(put(&server, "/c.txt", b"c", &[]).status, 401);
    assert_eq!(
        post(
            &server,
            "/",
            &form(&[("c.txt", b"c")]),
            &[("Authorization", &ok)]
        )
        .status,
        201
    );
    assert!(!dir.join("d.txt").exists());
}

/// Headless Chromium uploads a file through the form of the listing
/// itself: a page of the site takes the listing's form, puts a file in
/// its input (`DataTransfer`, as a user's pick would) and sends what the
/// form would submit; the file arrives, and the listing the browser is
/// sent back to (303) shows it.
#[test]
fn chromium_uploads_through_the_listings_form() {
    if !client_present(CHROMIUM, "apt-get install chromium") {
        return;
    }
    let dir = TempDir::new("upload-chromium");
    std::fs::create_dir(dir.join("inbox")).unwrap();
    std::fs::write(
        dir.join("drive.html"),
        r#"<!DOCTYPE html><html><body><script>
fetch('/inbox/').then(r => r.text()).then(html => {
  const page = new DOMParser().parseFromString(html, 'text/html');
  const form = document.adoptNode(page.querySelector('form'));
  // It has no action: on its listing it posts to the listing's URL.
  form.action = '/inbox/';
  document.body.appendChild(form);
  const input = form.querySelector('input[type=file]');
  const picked = new DataTransfer();
  picked.items.add(new File(['sent by chromium'], 'from-browser.txt'));
  input.files = picked.files;
  // What `form.submit()` sends, without leaving the page.
  return fetch(form.action, { method: form.method, body: new FormData(form) });
}).then(r => r.text()).then(listing => {
  const out = document.createElement('p');
  out.id = 'result';
  out.textContent = listing.includes('from-browser.txt') ? 'listed' : 'missing';
  document.body.appendChild(out);
});
</script></body></html>"#,
    )
    .unwrap();
    let server = uploads(dir.path(), Upload::default());
    let profile = TempDir::new("upload-chromium-profile");
    let mut chromium = clients::chromium(&profile);
    chromium
        .arg("--virtual-time-budget=10000")
        .arg("--dump-dom")
        .arg(format!("http://127.0.0.1:{}/drive.html", server.port()));
    let output = run_bounded(chromium);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        std::fs::read(dir.join("inbox/from-browser.txt")).unwrap(),
        b"sent by chromium",
        "{dom}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dom.contains("<p id=\"result\">listed</p>"), "{dom}");
}

/// An upload still being written (its temporary file) is not a file yet:
/// neither the listing nor a folder's archive shows it.
#[test]
fn uploads_in_progress_are_not_listed_nor_archived() {
    use std::io::Read;
    let dir = TempDir::new("upload-partial");
    std::fs::write(dir.join("done.txt"), b"done").unwrap();
    std::fs::write(dir.join(".basehttp-upload-99-0.part"), b"half").unwrap();
    std::fs::write(dir.join(".profile"), b"a dot-file, served as CPython does").unwrap();
    let handler = SimpleHttpRequestHandler::new(dir.path())
        .with_upload(Some(Upload::default()))
        .with_archive(true);
    let server = spawn(move || handler.clone());
    let listing = String::from_utf8(get(&server, "/", &[]).body).unwrap();
    assert!(
        listing.contains("done.txt") && listing.contains(".profile"),
        "{listing}"
    );
    assert!(!listing.contains(".basehttp-upload-"), "{listing}");
    let archive = get(&server, "/?archive=tar.gz", &[]);
    assert_eq!(archive.status, 200);
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&archive.body[..])
        .read_to_end(&mut tar)
        .unwrap();
    let tar = String::from_utf8_lossy(&tar);
    assert!(tar.contains("done.txt") && tar.contains(".profile"));
    assert!(!tar.contains(".basehttp-upload-"));
}
