//! `CgiHttpRequestHandler`: CPython's `CGIHTTPServerTestCase` ported by name
//! (with `#!/bin/sh` scripts instead of Python ones), Appendix B transcripts,
//! and one test per improvement over CPython.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use basehttp::handlers::cgi::CgiHttpRequestHandler;

use crate::support::{self, Response, TempDir, TestServer, parse, raw, raw_keep_open};

const FILE1: &str = "#!/bin/sh\nprintf 'Content-type: text/html\\r\\n\\r\\nHello World\\n'\n";

/// Reads the urlencoded body and prints the three fields (CPython's file2.py).
const FILE2: &str = r#"#!/bin/sh
body=$(head -c "$CONTENT_LENGTH")
printf 'Content-type: text/html\r\n\r\n'
IFS='&'
for kv in $body; do
  case "$kv" in
    spam=*) spam=${kv#spam=} ;; eggs=*) eggs=${kv#eggs=} ;; bacon=*) bacon=${kv#bacon=} ;;
  esac
done
printf '%s, %s, %s\n' "$spam" "$eggs" "$bacon"
"#;

/// Prints the environment values a test asks about (CPython's file4.py and friends).
const ENV: &str = r#"#!/bin/sh
printf 'Content-type: text/plain\r\n\r\n'
printf 'argc=%s argv1=[%s]\n' "$#" "$1"
for v in SERVER_SOFTWARE SERVER_NAME GATEWAY_INTERFACE SERVER_PROTOCOL SERVER_PORT \
  REQUEST_METHOD PATH_INFO PATH_TRANSLATED SCRIPT_NAME QUERY_STRING REMOTE_ADDR REMOTE_HOST \
  AUTH_TYPE REMOTE_USER CONTENT_TYPE CONTENT_LENGTH HTTP_REFERER HTTP_ACCEPT HTTP_USER_AGENT \
  HTTP_COOKIE HTTP_HOST HTTP_PROXY; do
  eval "printf '%s=[%s]\n' $v \"\${$v-UNSET}\""
done
"#;

/// Counts the body it reads (CPython's test_large_content_length script).
const COUNT: &str = r#"#!/bin/sh
n=$(head -c "$CONTENT_LENGTH" | wc -c)
printf 'Content-type: text/plain\r\n\r\n%s %s\n' "$CONTENT_LENGTH" "$((n))"
"#;

struct Fixture {
    dir: TempDir,
    server: TestServer,
}

fn script(dir: &TempDir, rel: &str, text: &str) -> PathBuf {
    let p = dir.write(rel, text);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// CPython's `setUp`: `cgi-bin/` with the scripts, `child-dir/`, a plain file.
fn fixture_with(configure: impl Fn(&mut CgiHttpRequestHandler) + Send + Sync + 'static) -> Fixture {
    let dir = TempDir::new("cgi");
    for d in ["cgi-bin", "htbin"] {
        script(&dir, &format!("{d}/file1.sh"), FILE1);
    }
    script(&dir, "cgi-bin/file2.sh", FILE2);
    script(&dir, "cgi-bin/env.sh", ENV);
    script(&dir, "cgi-bin/count.sh", COUNT);
    script(&dir, "cgi-bin/child-dir/file3.sh", FILE1);
    script(&dir, "sub/dir/cgi-bin/file5.sh", FILE1);
    dir.write("cgi-bin/noexec.sh", FILE1);
    std::fs::create_dir_all(dir.path().join("cgi-bin/adir")).unwrap();
    dir.write("plain.txt", "plain\n");
    let root = dir.path().to_path_buf();
    let server = support::spawn(move || {
        let mut h = CgiHttpRequestHandler::new(root.clone());
        configure(&mut h);
        h
    });
    Fixture { dir, server }
}

fn fixture() -> Fixture {
    fixture_with(|_| {})
}

impl Fixture {
    fn get(&self, path: &str) -> Response {
        self.request(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
    }
    fn request(&self, bytes: &[u8]) -> Response {
        parse(&raw(self.server.addr, bytes))
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

fn body(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The value the env script printed for `name` (`UNSET` when absent).
fn var(r: &Response, name: &str) -> String {
    let text = body(r);
    let start = format!("{name}=[");
    let line = text
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no {name} in {text}"));
    line[start.len()..line.len() - 1].to_owned()
}

fn assert_hello(r: &Response) {
    assert_eq!(r.status_line, "HTTP/1.0 200 Script output follows");
    assert_eq!(r.header("Content-type"), Some("text/html"));
    assert_eq!(body(r), "Hello World\n");
}

#[test]
fn test_headers_and_content() {
    let f = fixture();
    let r = f.get("/cgi-bin/file1.sh");
    assert_hello(&r);
    assert!(r.header("Server").unwrap().starts_with("SimpleHTTP/0.6 "));
    assert!(r.header("Content-Length").is_none());
}

#[test]
fn test_issue19435() {
    let f = fixture();
    let r = f.get("///////////nocgi.py/../cgi-bin/nothere.sh");
    assert_eq!(
        r.status_line,
        "HTTP/1.0 404 No such CGI script ('/cgi-bin/nothere.sh')"
    );
}

#[test]
fn test_post() {
    let f = fixture();
    let r = parse(&raw(
        f.server.addr,
        &post("/cgi-bin/file2.sh", b"spam=1&eggs=python&bacon=123456"),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), "1, python, 123456\n");
}

#[test]
fn test_large_content_length() {
    let f = fixture();
    for shift in [15, 18, 21] {
        let n = 1usize << shift;
        let r = parse(&raw(
            f.server.addr,
            &post("/cgi-bin/count.sh", &vec![b'x'; n]),
        ));
        assert_eq!(body(&r), format!("{n} {n}\n"));
    }
}

#[test]
fn test_large_content_length_truncated() {
    let f = fixture();
    let post = |len: u64| {
        let req = format!("POST /cgi-bin/file1.sh HTTP/1.0\r\nContent-Length: {len}\r\n\r\nx");
        // The connection stays open: the server must stop waiting for the
        // body once the script is done.
        parse(&raw_keep_open(f.server.addr, req.as_bytes()))
    };
    assert_hello(&post(1 << 18));
    // Beyond CPython: over `ServerConfig::max_body` (1 GiB) is refused up front.
    for len in [1u64 << 40, 1 << 62] {
        assert_eq!(post(len).status_line, "HTTP/1.0 413 Content Too Large");
    }
}

#[test]
fn test_invaliduri() {
    let f = fixture();
    let r = f.get("/cgi-bin/invalid");
    assert_eq!(
        r.status_line,
        "HTTP/1.0 404 No such CGI script ('/cgi-bin/invalid')"
    );
}

#[test]
fn test_authorization() {
    let f = fixture();
    // base64("username:pass")
    let r = f.request(
        b"GET /cgi-bin/file1.sh HTTP/1.0\r\nAuthorization: Basic dXNlcm5hbWU6cGFzcw==\r\n\r\n",
    );
    assert_hello(&r);
    let r = f.request(
        b"GET /cgi-bin/env.sh HTTP/1.0\r\nAuthorization: Basic dXNlcm5hbWU6cGFzcw==\r\n\r\n",
    );
    assert_eq!(var(&r, "AUTH_TYPE"), "Basic");
    assert_eq!(var(&r, "REMOTE_USER"), "username");
}

#[test]
fn test_no_leading_slash() {
    let f = fixture();
    assert_hello(&f.get("cgi-bin/file1.sh"));
}

#[test]
fn test_os_environ_is_not_altered() {
    let before = std::env::var_os("SERVER_SOFTWARE");
    let f = fixture();
    assert_hello(&f.get("/cgi-bin/file1.sh"));
    assert_eq!(std::env::var_os("SERVER_SOFTWARE"), before);
}

#[test]
fn test_urlquote_decoding_in_cgi_check() {
    let f = fixture();
    assert_hello(&f.get("/cgi-bin%2ffile1.sh"));
}

#[test]
fn test_nested_cgi_path_issue21323() {
    let f = fixture();
    assert_hello(&f.get("/cgi-bin/child-dir/file3.sh"));
}

#[test]
fn test_query_with_multiple_question_mark() {
    let f = fixture();
    let r = f.get("/cgi-bin/env.sh?a=b?c=d");
    assert_eq!(var(&r, "QUERY_STRING"), "a=b?c=d");
}

#[test]
fn test_query_with_continuous_slashes() {
    let f = fixture();
    let r = f.get("/cgi-bin/env.sh?k=aa%2F%2Fbb&//q//p//=//a//b//");
    assert_eq!(var(&r, "QUERY_STRING"), "k=aa%2F%2Fbb&//q//p//=//a//b//");
}

#[test]
fn test_cgi_path_in_sub_directories() {
    let f = fixture_with(|h| h.cgi_directories.push("/sub/dir/cgi-bin".into()));
    assert_hello(&f.get("/sub/dir/cgi-bin/file5.sh"));
}

#[test]
fn test_accept() {
    let f = fixture();
    let long = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let r = f.request(format!("GET /cgi-bin/env.sh HTTP/1.0\r\nAccept: {long}\r\n\r\n").as_bytes());
    assert_eq!(var(&r, "HTTP_ACCEPT"), long);
    assert_eq!(var(&f.get("/cgi-bin/env.sh"), "HTTP_ACCEPT"), "");
    let r = f.request(
        b"GET /cgi-bin/env.sh HTTP/1.0\r\nAccept: text/html\r\nACCEPT: text/plain\r\n\r\n",
    );
    assert_eq!(var(&r, "HTTP_ACCEPT"), "text/html,text/plain");
}

/// Appendix B: the full environment and argv of a GET with a query without `=`.
#[test]
fn environment_transcript() {
    let f = fixture();
    let r = f.request(
        b"GET /cgi-bin/env.sh/extra/pa%20th?a+b%20c HTTP/1.0\r\nUser-Agent: UA/1\r\n\
          Accept: text/html\r\nAccept: text/plain\r\nCookie: a=1\r\nCookie: b=2\r\n\
          Referer: http://r/\r\nAuthorization: Basic dXNlcjpwYXNz\r\nHost: h\r\n\r\n",
    );
    let root = f.root().to_str().unwrap();
    assert!(
        body(&r).starts_with("argc=1 argv1=[a b%20c]\n"),
        "{}",
        body(&r)
    );
    let port = f.server.port().to_string();
    for (name, want) in [
        ("SERVER_NAME", "localhost"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_PROTOCOL", "HTTP/1.0"),
        ("SERVER_PORT", port.as_str()),
        ("REQUEST_METHOD", "GET"),
        ("PATH_INFO", "/extra/pa th"),
        ("PATH_TRANSLATED", &format!("{root}/extra/pa th")),
        ("SCRIPT_NAME", "/cgi-bin/env.sh"),
        ("QUERY_STRING", "a+b%20c"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("AUTH_TYPE", "Basic"),
        ("REMOTE_USER", "user"),
        ("CONTENT_TYPE", "text/plain"),
        ("HTTP_REFERER", "http://r/"),
        ("HTTP_ACCEPT", "text/html,text/plain"),
        ("HTTP_USER_AGENT", "UA/1"),
        ("HTTP_COOKIE", "a=1, b=2"),
        ("HTTP_HOST", "UNSET"),
    ] {
        assert_eq!(var(&r, name), want, "{name}");
    }
    assert!(var(&r, "SERVER_SOFTWARE").starts_with("SimpleHTTP/0.6 "));
    // No query: argv[1] is the empty string; `=` in the query: no argument.
    let r = f.get("/cgi-bin/env.sh");
    assert!(body(&r).starts_with("argc=1 argv1=[]\n"));
    assert_eq!(var(&r, "PATH_TRANSLATED"), root);
    assert_eq!(var(&r, "AUTH_TYPE"), "UNSET");
    assert!(body(&f.get("/cgi-bin/env.sh?k=v&x=y")).starts_with("argc=0 "));
}

#[test]
fn post_environment_and_body() {
    let f = fixture();
    let r = parse(&raw(f.server.addr, &post("/cgi-bin/env.sh", b"abc=def")));
    assert_eq!(var(&r, "CONTENT_TYPE"), "application/x-www-form-urlencoded");
    assert_eq!(var(&r, "CONTENT_LENGTH"), "7");
    assert_eq!(var(&r, "REQUEST_METHOD"), "POST");
}

#[test]
fn head_runs_the_script() {
    let f = fixture();
    let r = f.request(b"HEAD /cgi-bin/env.sh HTTP/1.0\r\n\r\n");
    assert_eq!(var(&r, "REQUEST_METHOD"), "HEAD");
}

#[test]
fn htbin_and_nested_script_name() {
    let f = fixture();
    assert_hello(&f.get("/htbin/file1.sh"));
    script(&f.dir, "cgi-bin/sub/env.sh", ENV);
    assert_eq!(
        var(&f.get("/cgi-bin/sub/env.sh"), "SCRIPT_NAME"),
        "/cgi-bin/sub/env.sh"
    );
}

#[test]
fn error_messages() {
    let f = fixture();
    let cases = [
        (
            "/cgi-bin/noexec.sh",
            "HTTP/1.0 403 CGI script is not executable ('/cgi-bin/noexec.sh')",
        ),
        (
            "/cgi-bin/adir/",
            "HTTP/1.0 403 CGI script is not a plain file ('/cgi-bin/adir/')",
        ),
        (
            "/cgi-bin/",
            "HTTP/1.0 403 CGI script is not a plain file ('/cgi-bin/')",
        ),
        (
            "/cgi-bin/nothere",
            "HTTP/1.0 404 No such CGI script ('/cgi-bin/nothere')",
        ),
    ];
    for (path, want) in cases {
        assert_eq!(f.get(path).status_line, want, "{path}");
    }
    let r = parse(&raw(f.server.addr, &post("/plain.txt", b"a=b")));
    assert_eq!(r.status_line, "HTTP/1.0 501 Can only POST to CGI scripts");
}

#[test]
fn non_cgi_urls_are_files() {
    let f = fixture();
    let r = f.get("/plain.txt");
    assert_eq!((r.status, body(&r).as_str()), (200, "plain\n"));
    let r = f.get("/cgi-bin/../plain.txt");
    assert_eq!((r.status, body(&r).as_str()), (200, "plain\n"));
}

#[test]
fn exit_code_still_returns_output() {
    let f = fixture();
    script(
        &f.dir,
        "cgi-bin/fail.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\nfailing\\n'\nexit 3\n",
    );
    let r = f.get("/cgi-bin/fail.sh");
    assert_eq!((r.status, body(&r).as_str()), (200, "failing\n"));
}

// ---- Improvements over CPython ----

/// CPython drops the connection (IndexError); every such path gets a 404 and
/// never reveals a script's source.
#[test]
fn traversal_gets_a_response() {
    let f = fixture();
    for path in [
        "/../x",
        "/cgi-bin/../../x",
        "/cgi-bin/../../cgi-bin/file1.sh",
        "/%2e%2e/cgi-bin/file1.sh",
    ] {
        let r = f.get(path);
        assert_eq!(r.status_line, "HTTP/1.0 404 File not found", "{path}");
        assert!(!body(&r).contains("printf"));
    }
    let r = parse(&raw(
        f.server.addr,
        &post("/cgi-bin/../../cgi-bin/file2.sh", b"a=b"),
    ));
    assert_eq!(r.status, 404);
}

/// httpoxy: a `Proxy` header never becomes `HTTP_PROXY`.
#[test]
fn proxy_header_is_not_exported() {
    let f = fixture();
    let r = f.request(b"GET /cgi-bin/env.sh HTTP/1.0\r\nProxy: http://evil.example/\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_ne!(var(&r, "HTTP_PROXY"), "http://evil.example/");
}

/// A script that never finishes (and its children) is killed after the timeout.
#[test]
fn timeout_kills_hanging_script() {
    let f = fixture_with(|h| h.timeout = Some(Duration::from_millis(300)));
    script(
        &f.dir,
        "cgi-bin/hang.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\nstarted\\n'\nsleep 3000 &\nexec sleep 3000\n",
    );
    // The response can only end once both sleeps (which hold stdout) are dead;
    // otherwise the client's read timeout fails the test.
    let r = f.get("/cgi-bin/hang.sh");
    assert_eq!((r.status, body(&r).as_str()), (200, "started\n"));
}

/// A script that closes its stdout and goes on running is killed at the
/// timeout too (its exit is waited for with the deadline).
#[test]
fn timeout_kills_script_that_closed_its_output() {
    let f = fixture_with(|h| h.timeout = Some(Duration::from_millis(300)));
    script(
        &f.dir,
        "cgi-bin/linger.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\n%s\\n' $$\nexec >&-\nexec sleep 3000\n",
    );
    let r = f.get("/cgi-bin/linger.sh");
    assert_eq!(r.status, 200);
    // The response ends only after the script was killed and reaped.
    let pid = body(&r);
    assert!(pid.trim().parse::<u32>().is_ok(), "{pid:?}");
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "script {} still running",
        pid.trim()
    );
}

/// A client that stops reading does not keep a script past its timeout:
/// each write to the client gets no more than the time left.
#[test]
fn timeout_kills_script_whose_client_stopped_reading() {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::process::{Pid, PidfdFlags, pidfd_open};

    let f = fixture_with(|h| h.timeout = Some(Duration::from_millis(300)));
    script(
        &f.dir,
        "cgi-bin/stall.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\n%s\\n' $$\nexec yes\n",
    );
    let mut s = support::connect(f.server.addr);
    s.write_all(b"GET /cgi-bin/stall.sh HTTP/1.0\r\n\r\n")
        .unwrap();
    // Read up to the script's pid, then stop reading.
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    let pid = loop {
        s.read_exact(&mut byte).unwrap();
        got.push(byte[0]);
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n")
            && got.ends_with(b"\n")
            && got.len() > at + 4
        {
            let line = String::from_utf8_lossy(&got[at + 4..]).trim().to_owned();
            break line.parse::<i32>().expect("pid line");
        }
    };
    // The script is `yes`, writing until it is killed; wait for its end.
    match pidfd_open(Pid::from_raw(pid).unwrap(), PidfdFlags::empty()) {
        Ok(pidfd) => {
            let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
            let bound = Timespec {
                tv_sec: 20,
                tv_nsec: 0,
            };
            let ready = poll(&mut fds, Some(&bound)).unwrap();
            assert_eq!(ready, 1, "script {pid} still running after 20 s");
        }
        // Already gone.
        Err(rustix::io::Errno::SRCH) => {}
        Err(e) => panic!("pidfd_open: {e}"),
    }
    // And the connection ends.
    support::read_to_close(&mut s);
}

/// A client that goes away while a script streams output kills the script.
#[test]
fn client_disconnect_kills_script() {
    let f = fixture_with(|h| h.timeout = None);
    let fifo = f.root().join("alive.fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg("-m")
        .arg("666")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    script(
        &f.dir,
        "cgi-bin/flood.sh",
        &format!(
            "#!/bin/sh\nexec 3>'{}'\nprintf 'Content-type: text/plain\\r\\n\\r\\n'\nwhile :; do echo flooding-the-client; done\n",
            fifo.display()
        ),
    );
    // Reads the fifo to EOF: that happens when the script (the writer) dies.
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut f = std::fs::File::open(&fifo).unwrap();
        let mut sink = Vec::new();
        let _ = f.read_to_end(&mut sink);
        let _ = tx.send(());
    });
    let mut s = support::connect(f.server.addr);
    s.write_all(b"GET /cgi-bin/flood.sh HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut got = 0;
    while got < 100_000 {
        got += s.read(&mut buf).unwrap();
    }
    drop(s);
    rx.recv_timeout(support::CLIENT_TIMEOUT)
        .expect("script still running after the client left");
    reader.join().unwrap();
}

/// The body reaches the script while the client is still sending, and the
/// script's output reaches the client before the body is complete.
#[test]
fn big_post_is_streamed() {
    let f = fixture();
    script(
        &f.dir,
        "cgi-bin/stream.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\nready\\n'\nn=$(wc -c)\necho \"$((n))\"\n",
    );
    let n: usize = 16 << 20;
    let mut s = support::connect(f.server.addr);
    write!(
        s,
        "POST /cgi-bin/stream.sh HTTP/1.0\r\nContent-Length: {n}\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"ready\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed early");
        head.push(byte[0]);
    }
    let chunk = vec![b'y'; 1 << 20];
    for _ in 0..16 {
        s.write_all(&chunk).unwrap();
    }
    let rest = support::read_to_close(&mut s);
    assert_eq!(String::from_utf8(rest).unwrap(), format!("{n}\n"));
}

/// A script whose headers are refused (502) and which then writes more
/// than a pipe holds is not waited for on a full pipe: its output is
/// closed first, so it ends (`SIGPIPE`) and the connection closes.
#[test]
fn rfc3875_bad_headers_then_a_flood_does_not_hold_the_connection() {
    let f = fixture_with(|h| {
        h.rfc3875 = true;
        h.timeout = None;
    });
    script(
        &f.dir,
        "cgi-bin/flood.sh",
        "#!/bin/sh\nprintf 'not a header\\n\\n'\nexec head -c 4000000 /dev/zero\n",
    );
    // Without the close the script blocks forever and the client's read
    // timeout fails the test.
    assert_eq!(f.get("/cgi-bin/flood.sh").status, 502);
}

#[test]
fn rfc3875_status_and_location() {
    let f = fixture_with(|h| h.rfc3875 = true);
    script(
        &f.dir,
        "cgi-bin/gone.sh",
        "#!/bin/sh\nprintf 'Status: 410 Gone Away\\r\\nContent-Type: text/plain\\r\\n\\r\\nbye\\n'\n",
    );
    script(
        &f.dir,
        "cgi-bin/redirect.sh",
        "#!/bin/sh\nprintf 'Location: http://example.com/next\\n\\n'\n",
    );
    script(
        &f.dir,
        "cgi-bin/broken.sh",
        "#!/bin/sh\nprintf 'not a header\\n\\n'\n",
    );
    // A bare CR, which no header can carry (found by the fuzz target
    // `cgi_head`; it used to end the connection without a response).
    script(
        &f.dir,
        "cgi-bin/bare-cr.sh",
        "#!/bin/sh\nprintf 'X-A: a\\rb\\r\\n\\r\\nbye\\n'\n",
    );
    let r = f.get("/cgi-bin/gone.sh");
    assert_eq!(r.status_line, "HTTP/1.0 410 Gone Away");
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    assert!(r.header("Status").is_none());
    assert_eq!(body(&r), "bye\n");
    let r = f.get("/cgi-bin/redirect.sh");
    assert_eq!(r.status_line, "HTTP/1.0 302 Found");
    assert_eq!(r.header("Location"), Some("http://example.com/next"));
    assert_eq!(f.get("/cgi-bin/broken.sh").status, 502);
    assert_eq!(f.get("/cgi-bin/bare-cr.sh").status, 502);
    let r = f.get("/cgi-bin/file1.sh");
    assert_eq!(
        (r.status_line.as_str(), body(&r).as_str()),
        ("HTTP/1.0 200 OK", "Hello World\n")
    );
}

/// Without the opt-in, `Status:` is an ordinary header, as in CPython.
#[test]
fn status_header_passes_through_by_default() {
    let f = fixture();
    script(
        &f.dir,
        "cgi-bin/gone.sh",
        "#!/bin/sh\nprintf 'Status: 410 Gone\\r\\n\\r\\nbye\\n'\n",
    );
    let r = f.get("/cgi-bin/gone.sh");
    assert_eq!(r.status_line, "HTTP/1.0 200 Script output follows");
    assert_eq!(r.header("Status"), Some("410 Gone"));
}

/// The `CgiHandler` extension protocol: a user type that keeps every stock
/// behaviour and adds a method.
mod extends {
    use std::borrow::Cow;
    use std::io;

    use basehttp::handlers::cgi::{self, CgiHandler, CgiHttpRequestHandler};
    use basehttp::handlers::{Body, FileHandler, SimpleHttpRequestHandler};
    use basehttp::{Class, Handler, Request};

    use super::*;

    struct Mine {
        cgi: CgiHttpRequestHandler,
    }

    impl FileHandler for Mine {
        fn file_handler(&self) -> &SimpleHttpRequestHandler {
            &self.cgi.files
        }
        fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
            cgi::send_head(self, req)
        }
    }

    impl CgiHandler for Mine {
        fn cgi_handler(&self) -> &CgiHttpRequestHandler {
            &self.cgi
        }
    }

    impl Handler for Mine {
        fn methods(&self) -> Cow<'static, [&'static str]> {
            Cow::Borrowed(&["GET", "HEAD", "POST", "SPAM"])
        }
        fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
            if req.command == "SPAM" {
                req.send_response(200)?;
                req.send_header("Content-Length", "5")?;
                req.end_headers()?;
                return req.wfile.write_all(b"spam\n");
            }
            match <CgiHttpRequestHandler as basehttp::Base<Self>>::dispatch(self, req) {
                Some(r) => r,
                None => req.send_error(501),
            }
        }
        fn class(&self) -> Class {
            <CgiHttpRequestHandler as basehttp::Base<Self>>::class(self)
        }
    }

    #[test]
    fn extends_cgi_handler() {
        let dir = TempDir::new("cgi-ext");
        script(&dir, "cgi-bin/file1.sh", FILE1);
        script(&dir, "cgi-bin/file2.sh", FILE2);
        dir.write("plain.txt", "plain\n");
        let root = dir.path().to_path_buf();
        let server = support::spawn(move || Mine {
            cgi: CgiHttpRequestHandler::new(root.clone()),
        });
        assert_hello(&parse(&raw(
            server.addr,
            b"GET /cgi-bin/file1.sh HTTP/1.0\r\n\r\n",
        )));
        let r = parse(&raw(
            server.addr,
            &post("/cgi-bin/file2.sh", b"spam=1&eggs=2&bacon=3"),
        ));
        assert_eq!(body(&r), "1, 2, 3\n");
        let r = parse(&raw(server.addr, b"GET /plain.txt HTTP/1.0\r\n\r\n"));
        assert_eq!(body(&r), "plain\n");
        let r = parse(&raw(server.addr, b"SPAM / HTTP/1.0\r\n\r\n"));
        assert_eq!(body(&r), "spam\n");
    }
}

#[test]
fn body_over_max_body_is_413() {
    let dir = TempDir::new("cgi-max");
    script(&dir, "cgi-bin/count.sh", COUNT);
    let root = dir.path().to_path_buf();
    let mut config = basehttp::ServerConfig::default();
    config.max_body = Some(10);
    let srv = support::spawn_with(move || CgiHttpRequestHandler::new(root.clone()), config);
    let ok = parse(&raw(
        srv.addr,
        b"POST /cgi-bin/count.sh HTTP/1.0\r\nContent-Length: 10\r\n\r\n0123456789",
    ));
    assert_eq!(ok.body, b"10 10\n");
    let big = parse(&raw(
        srv.addr,
        b"POST /cgi-bin/count.sh HTTP/1.0\r\nContent-Length: 11\r\n\r\n0123456789a",
    ));
    assert_eq!(big.status_line, "HTTP/1.0 413 Content Too Large");
    assert_eq!(big.header("Connection"), Some("close"));
}

/// Echoes stdin read to end of file, with the `CONTENT_LENGTH` it was given.
const CAT: &str = "#!/bin/sh\nprintf 'Content-type: application/octet-stream\\r\\n\\r\\n[%s]' \"${CONTENT_LENGTH-UNSET}\"\nexec cat\n";

fn chunked_post(path: &str, data: &[u8], chunk: usize) -> Vec<u8> {
    let mut req =
        format!("POST {path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for piece in data.chunks(chunk) {
        req.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        req.extend_from_slice(piece);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    req
}

#[test]
fn chunked_post_reaches_a_script_that_reads_to_eof() {
    let f = fixture();
    script(&f.dir, "cgi-bin/cat.sh", CAT);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let r = f.request(&chunked_post("/cgi-bin/cat.sh", &data, 7_777));
    let mut want = b"[]".to_vec();
    want.extend_from_slice(&data);
    assert_eq!(r.status_line, "HTTP/1.0 200 Script output follows");
    assert!(
        r.body == want,
        "{} bytes back of {}",
        r.body.len(),
        want.len()
    );
}

#[test]
fn chunked_post_over_max_body_kills_the_script() {
    let dir = TempDir::new("cgi-chunked-max");
    script(&dir, "cgi-bin/cat.sh", CAT);
    let root = dir.path().to_path_buf();
    let mut config = basehttp::ServerConfig::default();
    config.max_body = Some(1000);
    let srv = support::spawn_with(move || CgiHttpRequestHandler::new(root.clone()), config);
    let out = raw(
        srv.addr,
        &chunked_post("/cgi-bin/cat.sh", &[b'x'; 5000], 100),
    );
    // The script saw at most the limit before it was killed (the response
    // head ends where the script's output would have begun).
    assert!(out.starts_with(b"HTTP/1.0 200 Script output follows\r\n"));
    assert!(out.len() < 200 + 1002, "{} bytes", out.len());
    assert!(!out.ends_with(&[b'x'; 1001]));
}

#[test]
fn rfc3875_passes_every_header_but_proxy_and_credentials() {
    let f = fixture_with(|h| h.rfc3875 = true);
    script(
        &f.dir,
        "cgi-bin/vars.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\n'\nenv | grep '^HTTP_' | sort\n",
    );
    let r = f.request(
        b"GET /cgi-bin/vars.sh HTTP/1.0\r\nHost: h\r\nGit-Protocol: version=2\r\n\
          Content-Encoding: gzip\r\nProxy: http://evil/\r\nAuthorization: Basic eDp5\r\n\
          X_Spoof: 1\r\nX-Two: a\r\nX-Two: b\r\nAccept: */*\r\n\r\n",
    );
    assert_eq!(
        body(&r),
        "HTTP_ACCEPT=*/*\nHTTP_CONTENT_ENCODING=gzip\nHTTP_COOKIE=\nHTTP_GIT_PROTOCOL=version=2\n\
         HTTP_HOST=h\nHTTP_REFERER=\nHTTP_USER_AGENT=\nHTTP_X_TWO=a, b\n"
    );
    // The compatible mode passes CPython's set only.
    let f = fixture();
    script(
        &f.dir,
        "cgi-bin/vars.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\n'\nenv | grep '^HTTP_' | sort\n",
    );
    let r = f.request(b"GET /cgi-bin/vars.sh HTTP/1.0\r\nHost: h\r\nGit-Protocol: v\r\n\r\n");
    assert_eq!(
        body(&r),
        "HTTP_ACCEPT=\nHTTP_COOKIE=\nHTTP_REFERER=\nHTTP_USER_AGENT=\n"
    );
}

#[test]
fn cut_short_chunked_post_kills_the_script() {
    let f = fixture();
    script(
        &f.dir,
        "cgi-bin/count.sh",
        "#!/bin/sh\nprintf 'Content-type: text/plain\\r\\n\\r\\n'\nn=$(wc -c)\nprintf 'got %s' \"$((n))\"\n",
    );
    let whole = f.request(&chunked_post("/cgi-bin/count.sh", b"hello", 2));
    assert_eq!(body(&whole), "got 5");
    // Half-closed before the last chunk: the script must not take the three
    // bytes it saw for the whole body.
    let cut = raw(
        f.server.addr,
        b"POST /cgi-bin/count.sh HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
    );
    assert!(!String::from_utf8_lossy(&cut).contains("got"));
}
