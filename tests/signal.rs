//! `serve_until_signal`: Ctrl-C ends `serve_forever` gracefully. The test
//! re-runs itself as a child process (signals go to a whole process), which
//! serves until the parent sends it SIGINT.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use basehttp::prelude::*;

use crate::support::{parse, raw};

const CHILD: &str = "BASEHTTP_SIGNAL_TEST_CHILD";

struct Hello;

#[http_handler]
impl Hello {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.respond(200, "text/plain", "hello\n")
    }
}

/// The child: serve until a signal, then say so.
fn child() {
    let server = HttpServer::bind("127.0.0.1:0", || Hello).unwrap();
    println!("PORT {}", server.server_port());
    std::io::stdout().flush().unwrap();
    server.serve_until_signal().unwrap();
    println!("STOPPED");
}

#[test]
fn ctrl_c_ends_serve_until_signal() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "signal::ctrl_c_ends_serve_until_signal",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(proc.stdout.take().unwrap());
    let mut line = String::new();
    let port: u16 = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
        if let Some(p) = line.trim().strip_prefix("PORT ") {
            break p.parse().unwrap();
        }
    };
    let addr = ([127, 0, 0, 1], port).into();
    assert_eq!(
        parse(&raw(addr, b"GET / HTTP/1.0\r\n\r\n")).body,
        b"hello\n"
    );
    let sent = Command::new("kill")
        .args(["-INT", &proc.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    while out.read_line(&mut rest).unwrap() > 0 {}
    assert!(rest.contains("STOPPED"), "{rest}");
    assert!(proc.wait().unwrap().success());
}
