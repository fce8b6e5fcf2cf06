//! Real clients the tests drive (curl, Python, headless Chromium): whether
//! one is here, and running it bounded. A missing client skips its test
//! with a message, except under CI (`CI` set), where `.ci/run` installs it
//! and a missing one fails.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::support::TempDir;

/// Where Debian's `chromium` package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether a client program is here. Missing, the test is skipped with a
/// message, unless it runs under CI, which installs it: then it fails.
pub fn client_present(program: &str, install: &str) -> bool {
    let here = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !here {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing under CI: .ci/run installs it ({install})"
        );
        eprintln!("SKIPPED: {program} is not installed here ({install})");
    }
    here
}

/// How long a client program may run before the test gives up on it (a
/// bound against a hang, not a timing).
pub const CLIENT_BOUND: Duration = Duration::from_secs(120);

/// Runs `command` in a process group of its own, killed (the group) if it
/// is still running after [`CLIENT_BOUND`].
pub fn run_bounded(mut command: Command) -> Output {
    use std::os::unix::process::CommandExt;
    let child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(CLIENT_BOUND) {
        Ok(output) => output.expect("client output"),
        Err(_) => {
            let group = rustix::process::Pid::from_raw(pid as i32).expect("a child's pid");
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            panic!("{command:?} still running after {CLIENT_BOUND:?}");
        }
    }
}

/// Headless Chromium with a fresh profile in `profile`, and the flags that
/// keep it off the network this machine does not have (the page to load
/// and what to do with it are the caller's).
pub fn chromium(profile: &TempDir) -> Command {
    let mut chromium = Command::new(CHROMIUM);
    chromium
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()));
    chromium
}
