//! The access log of `ThreadingHttpServer` (issue 20): lines buffered per
//! pool thread, yet each written within a few milliseconds even while the
//! thread that logged it is busy in a blocked handler, whole and never
//! lost at the shutdown. The server runs in a child process (a test of
//! this binary, `--nocapture`) so that its real stderr can be read.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use basehttp::prelude::*;

use crate::support::{connect, read_to_close, spawn_with};

/// How long the parent waits for a line before it calls the line lost (a
/// bound against hanging, not a measure: the promise is milliseconds).
const LOST_AFTER: Duration = Duration::from_secs(30);

/// Requests of the crowd at the end.
const CROWD: usize = 400;

struct Logged;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Logged {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.respond(200, "text/plain", "ok")
    }

    /// Reads the whole body first: the parent sends its end only after it
    /// saw the line of the request before, so this thread is blocked here.
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let body = req.read_body(1024)?;
        req.respond(200, "text/plain", body)
    }
}

/// Run by [`a_line_is_written_while_its_thread_is_blocked_and_none_is_lost`]
/// in a child process: a server with the default log, its port on stdout,
/// until the parent writes a line to stdin.
#[test]
#[ignore = "run by a_line_is_written_while_its_thread_is_blocked_and_none_is_lost"]
fn access_log_child() {
    let config = ServerConfig::new().body_timeout(None).workers(2);
    let srv = spawn_with(|| Logged, config);
    println!("PORT {}", srv.port());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    drop(srv);
}

#[test]
fn a_line_is_written_while_its_thread_is_blocked_and_none_is_lost() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "access_log::access_log_child",
            "--nocapture",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = stdout
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("PORT ").map(|p| p.parse().unwrap()))
        .expect("the child prints its port");
    // The rest of its stdout (libtest's report), read so it never blocks.
    let report = std::thread::spawn(move || stdout.map_while(Result::ok).collect::<Vec<_>>());
    // Every stderr line, as it comes.
    let (tx, lines) = mpsc::channel::<String>();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut seen = Vec::new();

    // One connection: a GET, then a POST whose body stops short. The same
    // thread serves both, and blocks in the POST with the GET's line
    // buffered.
    let mut s = connect(addr);
    s.write_all(
        b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",
    )
    .unwrap();
    loop {
        let line = lines
            .recv_timeout(LOST_AFTER)
            .expect("the GET's line was not written while its thread was blocked");
        seen.push(line);
        if seen
            .last()
            .unwrap()
            .contains("\"GET /first HTTP/1.1\" 200 -")
        {
            break;
        }
    }
    assert!(
        !seen.iter().any(|l| l.contains("/second")),
        "the POST cannot be logged before its body came: {seen:?}"
    );
    s.write_all(b"cde").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let out = read_to_close(&mut s);
    assert!(out.ends_with(b"abcde"), "{out:?}");

    // A crowd from four threads, then the shutdown: every line is there,
    // whole.
    let clients: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..CROWD / 4 {
                    let mut s = connect(addr);
                    write!(s, "GET /crowd/{t}/{i} HTTP/1.0\r\n\r\n").unwrap();
                    let mut out = Vec::new();
                    s.read_to_end(&mut out).unwrap();
                    assert!(out.starts_with(b"HTTP/1.1 200 "));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    child.stdin.take().unwrap().write_all(b"stop\n").unwrap();
    let status = child.wait().unwrap();
    let report = report.join().unwrap();
    assert!(status.success(), "{report:?}");
    reader.join().unwrap();
    seen.extend(lines.try_iter());
    let crowd: Vec<&String> = seen.iter().filter(|l| l.contains("/crowd/")).collect();
    assert_eq!(crowd.len(), CROWD, "lines lost: {seen:?}");
    for line in &crowd {
        assert!(
            line.starts_with("127.0.0.1 - - [") && line.ends_with("\" 200 -"),
            "a broken line: {line:?}"
        );
        assert_eq!(line.matches("GET /crowd/").count(), 1, "{line:?}");
    }
    assert_eq!(
        seen.iter()
            .filter(|l| l.contains("\"POST /second HTTP/1.1\" 200 -"))
            .count(),
        1,
        "{seen:?}"
    );
}
