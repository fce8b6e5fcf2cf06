//! CGI scripts of a `basehttp --cgi` run as root (issue 20): each runs as
//! `nobody`, started by the one spawner process instead of a fork of the
//! server, with CPython's environment, exit-status log line, and the kill
//! of a script whose client went away. Skipped (with a line saying so)
//! when the tests do not run as root; CI runs them as root.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{Running, TempDir, body, get, start};

fn is_root() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("skipped: the spawner is used only by a server run as root");
    }
    root
}

fn script(dir: &TempDir, name: &str, text: &str) {
    let path = dir.join(format!("cgi-bin/{name}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Reads the server's stderr until a line contains `needle` (bounded by
/// the read timeout of the server's end: EOF or an error fails).
fn stderr_line(server: &mut Running, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = server.stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "no line with {needle:?} in:\n{seen}");
        if line.contains(needle) {
            return line;
        }
        seen.push_str(&line);
    }
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name} in {text:?}"))
}

#[test]
fn scripts_of_a_root_server_run_as_nobody_from_the_spawner() {
    if !is_root() {
        return;
    }
    let dir = TempDir::new("cgi-spawner");
    script(
        &dir,
        "who.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n\
         echo \"uid=$(id -u) groups=$(id -G) ppid=$PPID query=$QUERY_STRING arg=$1 \
         method=$REQUEST_METHOD\"\ncat\n",
    );
    script(&dir, "fail.sh", "#!/bin/sh\nprintf '\\r\\n'\nexit 3\n");
    let dirarg = dir.path().to_str().unwrap();
    let mut server = start(&["--cgi", "-b", "127.0.0.1", "-d", dirarg, "0"], dir.path());
    let server_pid = server.child.id().to_string();
    let nobody = std::process::Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .unwrap();
    let nobody = String::from_utf8(nobody.stdout).unwrap().trim().to_owned();

    let first = get(server.port, b"GET /cgi-bin/who.sh?word HTTP/1.0\r\n\r\n");
    let first = String::from_utf8_lossy(body(&first)).into_owned();
    assert_eq!(field(&first, "uid"), nobody, "{first}");
    assert_eq!(field(&first, "groups"), nobody, "no root groups: {first}");
    assert_eq!(field(&first, "query"), "word");
    assert_eq!(field(&first, "arg"), "word");
    let parent = field(&first, "ppid").to_owned();
    assert_ne!(parent, server_pid, "the server forked the script");
    let cmdline = std::fs::read(format!("/proc/{parent}/cmdline")).unwrap();
    assert!(
        String::from_utf8_lossy(&cmdline).contains("--basehttp-cgi-spawner"),
        "{cmdline:?}"
    );
    let status = std::fs::read_to_string(format!("/proc/{parent}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.split_whitespace().skip(1).all(|u| u == nobody),
        "the spawner runs as nobody: {uid_line}"
    );

    // The body reaches the script; the same spawner starts it.
    let second = get(
        server.port,
        b"POST /cgi-bin/who.sh HTTP/1.0\r\nContent-Length: 11\r\n\r\nhello there",
    );
    let second = String::from_utf8_lossy(body(&second)).into_owned();
    assert_eq!(field(&second, "ppid"), parent);
    assert_eq!(field(&second, "method"), "POST");
    assert!(second.ends_with("hello there"), "{second}");

    // A Ctrl-C meant for the server, or a service manager's TERM, leaves
    // the spawner running (it ends with the server's socket).
    let spawner = rustix::process::Pid::from_raw(parent.parse().unwrap()).unwrap();
    for sig in [rustix::process::Signal::INT, rustix::process::Signal::TERM] {
        rustix::process::kill_process(spawner, sig).unwrap();
    }
    let third = get(server.port, b"GET /cgi-bin/who.sh HTTP/1.0\r\n\r\n");
    let third = String::from_utf8_lossy(body(&third)).into_owned();
    assert_eq!(field(&third, "ppid"), parent, "the same spawner: {third}");

    // Its exit status comes back through the spawner.
    get(server.port, b"GET /cgi-bin/fail.sh HTTP/1.0\r\n\r\n");
    stderr_line(&mut server, "CGI script exit code 3");

    // The spawner ends with the server.
    let pid = rustix::process::Pid::from_raw(parent.parse().unwrap()).unwrap();
    let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).unwrap();
    drop(server);
    let mut fds = [rustix::event::PollFd::new(
        &pidfd,
        rustix::event::PollFlags::IN,
    )];
    let bound = rustix::event::Timespec {
        tv_sec: 30,
        tv_nsec: 0,
    };
    assert_eq!(
        rustix::event::poll(&mut fds, Some(&bound)).unwrap(),
        1,
        "the spawner outlived the server"
    );
}

#[test]
fn a_script_whose_client_went_away_is_killed_through_the_spawner() {
    if !is_root() {
        return;
    }
    let dir = TempDir::new("cgi-spawner-kill");
    script(
        &dir,
        "endless.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n\
         echo \"pid=$$\"\nexec yes\n",
    );
    let dirarg = dir.path().to_str().unwrap();
    let mut server = start(&["--cgi", "-b", "127.0.0.1", "-d", dirarg, "0"], dir.path());
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /cgi-bin/endless.sh HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut some = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < some.len() {
        got += s.read(&mut some[got..]).unwrap();
    }
    let text = String::from_utf8_lossy(&some);
    let pid = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .unwrap()
        .to_owned();
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid.parse().unwrap()).unwrap(),
        rustix::process::PidfdFlags::empty(),
    )
    .unwrap();
    drop(s);
    stderr_line(&mut server, "client went away; CGI script killed");
    let mut fds = [rustix::event::PollFd::new(
        &pidfd,
        rustix::event::PollFlags::IN,
    )];
    let bound = rustix::event::Timespec {
        tv_sec: 30,
        tv_nsec: 0,
    };
    assert_eq!(
        rustix::event::poll(&mut fds, Some(&bound)).unwrap(),
        1,
        "the script still runs"
    );
    // And the server goes on.
    script(&dir, "ok.sh", "#!/bin/sh\nprintf '\\r\\nok'\n");
    let resp = get(server.port, b"GET /cgi-bin/ok.sh HTTP/1.0\r\n\r\n");
    assert_eq!(body(&resp), b"ok");
}
