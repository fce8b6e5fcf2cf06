//! The `basehttp` binary as a child process: CPython's
//! `CommandLineRunTimeTestCase` and the command-line behaviours a terminal
//! sees (banner, help, usage errors, bind errors, access log).
//!
//! These live in the `basehttp` package because only its own tests get
//! `CARGO_BIN_EXE_basehttp`.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};

mod common;

use common::*;

/// The `--help` text the binary prints (argparse's layout).
const HELP: &str = include_str!("../src/help.txt");

/// The usage lines: the help text up to its first blank line.
fn usage() -> &'static str {
    &HELP[..HELP.find("\n\n").map_or(HELP.len(), |i| i + 1)]
}

#[test]
fn test_http_client() {
    let dir = TempDir::new("client");
    let data: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(97).wrapping_add(13))
        .collect();
    std::fs::write(dir.join("random.bin"), &data).unwrap();
    let d = dir.path().to_str().unwrap();
    let mut run = start(
        &["0", "-b", "127.0.0.1", "-d", d],
        std::path::Path::new("/"),
    );
    let port = run.port;
    assert_eq!(
        run.banner,
        format!("Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...\n")
    );
    let resp = get(port, b"GET /random.bin HTTP/1.0\r\n\r\n");
    assert!(resp.starts_with(b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP "));
    assert_eq!(body(&resp), data);
    // The access log goes to stderr.
    let mut line = String::new();
    run.stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("127.0.0.1 - - ["), "{line:?}");
    assert!(
        line.ends_with("] \"GET /random.bin HTTP/1.0\" 200 -\n"),
        "{line:?}"
    );
}

#[test]
fn serves_the_current_directory_by_default_on_all_interfaces() {
    let dir = TempDir::new("cwd");
    std::fs::write(dir.join("here.txt"), "here\n").unwrap();
    let run = start(&["0"], dir.path());
    let port = run.port;
    let dual = format!("Serving HTTP on :: port {port} (http://[::]:{port}/) ...\n");
    let v4 = format!("Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...\n");
    assert!(run.banner == dual || run.banner == v4, "{:?}", run.banner);
    // Reachable over IPv4 even when bound to `::` (dual-stack).
    assert_eq!(
        body(&get(port, b"GET /here.txt HTTP/1.0\r\n\r\n")),
        b"here\n"
    );
}

#[test]
fn protocol_content_type_and_header_flags() {
    let dir = TempDir::new("flags");
    std::fs::write(dir.join("noext"), "x").unwrap();
    let d = dir.path().to_str().unwrap();
    let run = start(
        &[
            "-b",
            "127.0.0.1",
            "-d",
            d,
            "-p",
            "HTTP/1.1",
            "--content-type",
            "text/plain",
            "-H",
            "X-Test",
            "a: b c",
            "0",
        ],
        std::path::Path::new("/"),
    );
    let resp = get(
        run.port,
        b"GET /noext HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&resp);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("\r\nContent-type: text/plain\r\n"));
    assert!(text.contains("\r\nX-Test: a: b c\r\n"));
}

/// `--spa --cors --isolate --no-cache` (our flags, issue 23) on the real
/// binary; without them the same requests get CPython's answers.
#[test]
fn urls_and_qr_go_to_stderr() {
    use std::io::BufRead;
    let dir = TempDir::new("urls");
    let d = dir.path().to_str().unwrap();
    let mut run = start(&["-b", "127.0.0.1", "-d", d, "--qr", "0"], dir.path());
    assert_eq!(
        run.banner,
        format!(
            "Serving HTTP on 127.0.0.1 port {0} (http://127.0.0.1:{0}/) ...\n",
            run.port
        ),
        "stdout stays CPython's"
    );
    let mut line = String::new();
    run.stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "Open it at:\n");
    line.clear();
    run.stderr.read_line(&mut line).unwrap();
    assert_eq!(line, format!("  http://127.0.0.1:{}/\n", run.port));
    // The QR code: rows of half blocks, black on white.
    line.clear();
    run.stderr.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("\x1b[30;47m") && line.ends_with("\x1b[0m\n"),
        "{line:?}"
    );
}

#[test]
fn sharing_flags() {
    let dir = TempDir::new("share-flags");
    std::fs::create_dir(dir.join("inbox")).unwrap();
    let d = dir.path().to_str().unwrap();
    let root = std::path::Path::new("/");
    let run = start(
        &[
            "-b",
            "127.0.0.1",
            "-d",
            d,
            "--upload=inbox",
            "--auth",
            "alice:s3cret",
            "--auth-writes-only",
            "0",
        ],
        root,
    );
    // printf %s alice:s3cret | base64
    let auth = "Authorization: Basic YWxpY2U6czNjcmV0\r\n";
    let put = |target: &str, auth: &str| {
        let req = format!("PUT {target} HTTP/1.0\r\n{auth}Content-Length: 2\r\n\r\nhi");
        String::from_utf8(get(run.port, req.as_bytes())).unwrap()
    };
    assert!(put("/inbox/a.txt", "").starts_with("HTTP/1.0 401 "));
    assert!(put("/inbox/a.txt", auth).starts_with("HTTP/1.0 201 "));
    assert!(put("/inbox/a.txt", auth).starts_with("HTTP/1.0 409 "));
    assert!(put("/b.txt", auth).starts_with("HTTP/1.0 403 "));
    assert_eq!(std::fs::read(dir.join("inbox/a.txt")).unwrap(), b"hi");
    let listing = String::from_utf8(get(run.port, b"GET /inbox/ HTTP/1.0\r\n\r\n")).unwrap();
    assert!(
        listing.starts_with("HTTP/1.0 200 "),
        "reading needs no password"
    );
    assert!(listing.contains("<form method=\"post\""), "{listing}");
}

#[test]
fn dev_flags() {
    let dir = TempDir::new("dev-flags");
    std::fs::write(dir.join("index.html"), "<title>app</title>").unwrap();
    std::fs::write(dir.join("a.css"), "a{}").unwrap();
    let d = dir.path().to_str().unwrap();
    let root = std::path::Path::new("/");
    let navigate = b"GET /app/route HTTP/1.0\r\nAccept: text/html,*/*;q=0.8\r\n\r\n";
    let preflight = b"OPTIONS /a.css HTTP/1.0\r\nAccess-Control-Request-Method: GET\r\n\
        Access-Control-Request-Headers: x-token\r\n\r\n";
    let run = start(
        &[
            "-b",
            "127.0.0.1",
            "-d",
            d,
            "--spa",
            "--cors",
            "--isolate",
            "--no-cache",
            "0",
        ],
        root,
    );
    let text = String::from_utf8(get(run.port, navigate)).unwrap();
    assert!(text.starts_with("HTTP/1.0 200 OK\r\n"), "{text}");
    for header in [
        "Access-Control-Allow-Origin: *",
        "Cross-Origin-Opener-Policy: same-origin",
        "Cross-Origin-Embedder-Policy: require-corp",
        "Cache-Control: no-store",
    ] {
        assert!(text.contains(&format!("\r\n{header}\r\n")), "{text}");
    }
    assert!(text.ends_with("\r\n\r\n<title>app</title>"), "{text}");
    let text = String::from_utf8(get(run.port, preflight)).unwrap();
    assert!(text.starts_with("HTTP/1.0 204 No Content\r\n"), "{text}");
    assert!(text.contains("\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"));
    assert!(text.contains("\r\nAccess-Control-Allow-Headers: x-token\r\n"));
    assert!(text.contains("\r\nAccess-Control-Max-Age: 7200\r\n"));
    let asset = get(run.port, b"GET /x.png HTTP/1.0\r\nAccept: image/*\r\n\r\n");
    assert!(asset.starts_with(b"HTTP/1.0 404 "));

    // `--spa=FILE`, and the abbreviations.
    let run = start(
        &["-b", "127.0.0.1", "-d", d, "--sp=a.css", "--cor", "0"],
        root,
    );
    let text = String::from_utf8(get(run.port, navigate)).unwrap();
    assert!(text.ends_with("\r\n\r\na{}"), "{text}");
    assert!(text.contains("\r\nAccess-Control-Allow-Origin: *\r\n"));

    // Without the flags: CPython's 404 and 501, none of the headers.
    let run = start(&["-b", "127.0.0.1", "-d", d, "0"], root);
    let text = String::from_utf8(get(run.port, navigate)).unwrap();
    assert!(
        text.starts_with("HTTP/1.0 404 File not found\r\n"),
        "{text}"
    );
    let text = String::from_utf8(get(run.port, preflight)).unwrap();
    assert!(
        text.starts_with("HTTP/1.0 501 Unsupported method ('OPTIONS')\r\n"),
        "{text}"
    );
    assert!(!text.contains("Access-Control") && !text.contains("Cache-Control"));
}

/// `--compress` (and its abbreviation `--com`) on the real binary: a text
/// file of 1 KiB or more comes gzip-compressed to a client that asks, a
/// precompressed sibling comes as stored; without the flag, the same
/// requests get the file as stored with CPython's headers.
#[test]
fn compress_flag() {
    let dir = TempDir::new("compress-flag");
    let text = "compress me\n".repeat(200);
    std::fs::write(dir.join("a.txt"), &text).unwrap();
    std::fs::write(dir.join("b.txt"), "b\n").unwrap();
    std::fs::write(dir.join("b.txt.gz"), b"\x1f\x8bstand-in").unwrap();
    let d = dir.path().to_str().unwrap();
    let root = std::path::Path::new("/");
    let ask = |target: &str| format!("GET {target} HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n");
    for flag in ["--compress", "--com"] {
        let run = start(&["-b", "127.0.0.1", "-d", d, flag, "0"], root);
        let resp = get(run.port, ask("/a.txt").as_bytes());
        let head = String::from_utf8_lossy(&resp[..resp.len() - body(&resp).len()]).into_owned();
        assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
        assert!(head.contains("\r\nContent-Encoding: gzip\r\n"), "{head}");
        assert!(head.contains("\r\nVary: Accept-Encoding\r\n"), "{head}");
        assert!(!head.contains("Content-Length"), "{head}");
        // A gzip member (RFC 1952: ID1 ID2 CM=deflate), smaller than the file.
        assert!(body(&resp).starts_with(b"\x1f\x8b\x08"));
        assert!(body(&resp).len() < text.len() / 4);
        let resp = get(run.port, ask("/b.txt").as_bytes());
        assert_eq!(body(&resp), b"\x1f\x8bstand-in");
    }
    let run = start(&["-b", "127.0.0.1", "-d", d, "0"], root);
    let resp = get(run.port, ask("/a.txt").as_bytes());
    let head = String::from_utf8_lossy(&resp[..resp.len() - body(&resp).len()]).into_owned();
    assert!(
        !head.contains("Content-Encoding") && !head.contains("Vary"),
        "{head}"
    );
    assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", text.len())));
    assert_eq!(body(&resp), text.as_bytes());
}

/// `--no-dotfiles`, `--symlinks` and `--archive` (our flags, issue 23) on
/// the real binary; without them the same requests get CPython's answers.
#[test]
fn dotfiles_symlinks_and_archive_flags() {
    let dir = TempDir::new("sharing-flags");
    std::fs::create_dir_all(dir.join("www/.git")).unwrap();
    std::fs::write(dir.join("www/.git/config"), "[core]\n").unwrap();
    std::fs::write(dir.join("www/a.txt"), "a\n").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink("../secret.txt", dir.join("www/out")).unwrap();
    std::os::unix::fs::symlink("a.txt", dir.join("www/in")).unwrap();
    let d = dir.join("www");
    let d = d.to_str().unwrap();
    let root = std::path::Path::new("/");
    let status = |port: u16, target: &str| {
        let resp = get(port, format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes());
        let line = resp.split(|&b| b == b'\r').next().unwrap().to_vec();
        (String::from_utf8(line).unwrap(), body(&resp).to_vec())
    };
    let run = start(
        &[
            "-b",
            "127.0.0.1",
            "-d",
            d,
            "--no-dotfiles",
            "--symlinks",
            "inside",
            "--archive",
            "0",
        ],
        root,
    );
    for target in ["/.git/config", "/%2egit/config", "/out"] {
        assert_eq!(
            status(run.port, target).0,
            "HTTP/1.0 404 File not found",
            "{target}"
        );
    }
    assert_eq!(status(run.port, "/in").1, b"a\n");
    let (line, page) = status(run.port, "/");
    assert_eq!(line, "HTTP/1.0 200 OK");
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<a href=\"?archive=tar.gz\">Download this folder (.tar.gz)</a>"));
    assert!(
        page.contains("href=\"in\"") && !page.contains(".git") && !page.contains("href=\"out\"")
    );
    let resp = get(run.port, b"GET /?archive=tar.gz HTTP/1.0\r\n\r\n");
    let head = String::from_utf8_lossy(&resp[..resp.len() - body(&resp).len()]).into_owned();
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\nContent-type: application/gzip\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nContent-Disposition: attachment; filename=\"www.tar.gz\"\r\n"));
    // A gzip member (RFC 1952: ID1 ID2 CM=deflate).
    assert!(body(&resp).starts_with(b"\x1f\x8b\x08"));

    // `--symlinks=off` and the abbreviations `--sy`, `--no-d`, `--ar`.
    let run = start(
        &[
            "-b",
            "127.0.0.1",
            "-d",
            d,
            "--symlinks=off",
            "--no-d",
            "--ar",
            "0",
        ],
        root,
    );
    assert_eq!(status(run.port, "/in").0, "HTTP/1.0 404 File not found");
    let run = start(&["-b", "127.0.0.1", "-d", d, "--sy", "off", "0"], root);
    assert_eq!(status(run.port, "/in").0, "HTTP/1.0 404 File not found");

    // Without the flags: CPython's answers (dot-files served, links
    // followed, the query ignored).
    let run = start(&["-b", "127.0.0.1", "-d", d, "0"], root);
    assert_eq!(status(run.port, "/.git/config").1, b"[core]\n");
    assert_eq!(status(run.port, "/out").1, b"secret\n");
    let (_, page) = status(run.port, "/?archive=tar.gz");
    assert!(!String::from_utf8(page).unwrap().contains("archive"));

    // Usage errors, exit status 2.
    for (args, error) in [
        (
            &["--symlinks", "all"][..],
            "argument --symlinks: invalid choice: 'all' (choose from follow, inside, off)",
        ),
        (
            &["--no"],
            "ambiguous option: --no could match --no-cache, --no-dotfiles",
        ),
        (
            &["--s"],
            "ambiguous option: --s could match --spa, --symlinks, --share",
        ),
        (
            &["--a"],
            "ambiguous option: --a could match --auth, --auth-writes-only, --archive",
        ),
        (
            &["--cgi", "--archive"],
            "argument --archive: not allowed with argument --cgi",
        ),
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.ends_with(&format!("basehttp: error: {error}\n")),
            "{stderr}"
        );
    }
}

#[test]
fn presets_say_what_they_turn_on() {
    use std::io::BufRead;
    let dir = TempDir::new("presets");
    std::fs::write(dir.join("index.html"), "<title>app</title>").unwrap();
    std::fs::write(dir.join(".env"), "SECRET=1").unwrap();
    let d = dir.path().to_str().unwrap();
    let mut run = start(
        &["-b", "127.0.0.1", "-d", d, "--share", "--dev", "0"],
        dir.path(),
    );
    let mut line = String::new();
    run.stderr.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        "--share: --upload --archive --no-dotfiles --symlinks=inside --urls\n"
    );
    line.clear();
    run.stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "--dev: --spa --cors --no-cache --compress\n");
    line.clear();
    run.stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "Open it at:\n", "--share's --urls");
    // Some of each in effect.
    let env = String::from_utf8(get(run.port, b"GET /.env HTTP/1.0\r\n\r\n")).unwrap();
    assert!(env.starts_with("HTTP/1.0 404 "), "{env}");
    let route = get(
        run.port,
        b"GET /app/route HTTP/1.0\r\nAccept: text/html\r\n\r\n",
    );
    let route = String::from_utf8(route).unwrap();
    assert!(route.starts_with("HTTP/1.0 200 "), "{route}");
    assert!(
        route.contains("Access-Control-Allow-Origin: *\r\n"),
        "{route}"
    );
    let put = get(
        run.port,
        b"PUT /new.txt HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
    );
    assert!(String::from_utf8(put).unwrap().starts_with("HTTP/1.0 201 "));
}

#[test]
fn cpythons_abbreviations_win_over_ours() {
    // `--co` is CPython's `--content-type` (it wants a value), not `--cors`;
    // `--c` is ambiguous with CPython's own message.
    let out = Command::new(BIN).arg("--co").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("error: argument --content-type: expected one argument\n")
    );
    let out = Command::new(BIN).arg("--c").output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("error: ambiguous option: --c could match --cgi, --content-type\n")
    );
}

#[test]
fn test_help_flag() {
    for flag in ["-h", "--help"] {
        let out = Command::new(BIN).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), HELP);
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn test_unknown_flag() {
    let out = Command::new(BIN).arg("--unknown-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}basehttp: error: unrecognized arguments: --unknown-flag\n",
            usage()
        )
    );
}

#[test]
fn test_extra_header_flag_too_few_args() {
    let out = Command::new(BIN).args(["--header", "h1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("error: argument -H/--header: expected 2 arguments\n")
    );
}

#[test]
fn bind_error_is_one_line_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["-b", "127.0.0.1", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("basehttp: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn cgi_flag_runs_scripts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cgi");
    let script = dir.join("cgi-bin/hello.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi\\n'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dirarg = dir.path().to_str().unwrap();
    let server = start(&["--cgi", "-b", "127.0.0.1", "-d", dirarg, "0"], dir.path());
    let resp = get(server.port, b"GET /cgi-bin/hello.sh HTTP/1.0\r\n\r\n");
    assert!(resp.starts_with(b"HTTP/1.0 200 Script output follows\r\n"));
    assert_eq!(body(&resp), b"hi\n");
}

#[cfg(unix)]
#[test]
fn ctrl_c_prints_cpythons_line_and_exits_0() {
    let dir = TempDir::new("sigint");
    let mut child = Command::new(BIN)
        .args(["-b", "127.0.0.1", "0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).unwrap();
    assert!(banner.starts_with("Serving HTTP on 127.0.0.1 port "));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "\nKeyboard interrupt received, exiting.\n");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// A socket-activating service manager in one line of `sh` (what
/// `systemd-socket-activate` does): the socket on stdin becomes fd 3 and
/// `LISTEN_PID` is the shell's pid, which `exec` hands on to `basehttp`.
const ACTIVATE: &str = r#"export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@" 3<&0 0</dev/null"#;

/// `basehttp args` started by [`ACTIVATE`] with `socket` as fd 3.
fn activated(socket: impl Into<Stdio>, args: &[&str]) -> Command {
    let mut command = Command::new("/bin/sh");
    command
        .args(["-c", ACTIVATE, BIN])
        .args(args)
        .current_dir("/")
        .stdin(socket);
    command
}

#[test]
fn serves_the_socket_systemd_passes() {
    let dir = TempDir::new("activation");
    std::fs::write(dir.join("hello.txt"), b"hello\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = std::os::fd::OwnedFd::from(listener);
    // `--bind` and the port are not used when a socket is passed.
    let args = ["-b", "127.0.0.1", "0", "-d", dir.path().to_str().unwrap()];
    let run = start_command(activated(socket, &args));
    assert_eq!(
        run.banner,
        format!("Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...\n")
    );
    let response = get(port, b"GET /hello.txt HTTP/1.0\r\n\r\n");
    assert!(response.starts_with(b"HTTP/1.0 200 OK\r\n"), "{response:?}");
    assert_eq!(body(&response), b"hello\n");
}

#[test]
fn a_passed_fd_that_is_not_a_listening_socket_is_an_error() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    let cases: [(Stdio, &str); 2] = [
        (
            std::os::fd::OwnedFd::from(udp).into(),
            "fd 3 is not a stream socket",
        ),
        (file.into(), "fd 3 is not a socket"),
    ];
    for (fd3, error) in cases {
        let out = activated(fd3, &[]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("basehttp: error: LISTEN_FDS: {error}\n")
        );
    }
}
