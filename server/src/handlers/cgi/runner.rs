//! Runs one CGI script: CPython's fork/exec half of `run_cgi`, with
//! `std::process::Command` instead of `fork`.
//!
//! The request body is streamed to the script's stdin by a second thread
//! while this thread streams the script's stdout to the client; nothing is
//! buffered whole. The script runs in its own process group, so a timeout or
//! a client that goes away kills the script and everything it started.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

use crate::stream::Rfile;

/// Size of the chunks copied between the socket and the script's pipes.
const CHUNK: usize = 64 * 1024;

/// How a script run ended, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The script exited by itself; `waitstatus_to_exitcode` (negative for a signal).
    Exited(i32),
    /// The timeout expired and the script's process group was killed.
    TimedOut,
    /// Writing to the client failed and the script's process group was killed.
    ClientGone,
    /// A chunked body went over the server's `max_body` and the script's
    /// process group was killed.
    BodyTooLarge,
    /// A chunked body ended early or was malformed, and the script's process
    /// group was killed (it has no `CONTENT_LENGTH` to notice a short body).
    BodyBroken,
}

/// Python's `os.waitstatus_to_exitcode`.
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| -s))
        .unwrap_or(-1)
}

/// Spawns `cmd` (stdin/stdout piped, stderr inherited) in a new process group.
///
/// # Errors
/// When the script cannot be started.
pub(crate) fn spawn(mut cmd: Command) -> io::Result<Child> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    cmd.spawn()
}

/// Feeds the body to the script on a second thread while `output` (on this
/// thread) relays the script's stdout to the client, then reaps the script.
/// `output` returns an error when the client can't be written to.
pub(crate) fn run<F>(
    mut child: Child,
    rfile: &mut Rfile,
    timeout: Option<Duration>,
    max_body: Option<u64>,
    output: F,
) -> Ending
where
    F: FnOnce(&mut ChildStdout) -> io::Result<()>,
{
    let pid = Pid::from_child(&child);
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take().expect("stdout is piped");
    // A second handle on the socket, to wake a feeder blocked on a client that
    // promised more body than it sends.
    let socket: Option<TcpStream> = rfile.tcp().and_then(|s| s.try_clone().ok());
    let (done_tx, done_rx) = mpsc::channel::<()>();

    std::thread::scope(|scope| {
        let feeder = scope.spawn(move || {
            let fed = feed(rfile, stdin, max_body);
            if matches!(fed, Fed::TooLarge | Fed::Broken) {
                let _ = kill_process_group(pid, Signal::KILL);
            }
            fed
        });
        let watchdog = scope.spawn(move || {
            let expired = match timeout {
                Some(t) => matches!(
                    done_rx.recv_timeout(t),
                    Err(mpsc::RecvTimeoutError::Timeout)
                ),
                None => {
                    let _ = done_rx.recv();
                    false
                }
            };
            if expired {
                // The leader is not reaped before `done` is sent, so the group id is still ours.
                let _ = kill_process_group(pid, Signal::KILL);
            }
            expired
        });

        let client_gone = output(&mut stdout).is_err();
        if client_gone {
            let _ = kill_process_group(pid, Signal::KILL);
        }
        drop(stdout);
        // Wait for the exit without reaping, so a late kill can't hit a reused pid.
        let _ = waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        );
        let _ = done_tx.send(());
        let timed_out = watchdog.join().unwrap_or(false);
        if !feeder.is_finished()
            && let Some(s) = &socket
        {
            let _ = s.shutdown(Shutdown::Read);
        }
        let fed = feeder.join().unwrap_or(Fed::Done);
        let status = child.wait();
        if timed_out {
            Ending::TimedOut
        } else if fed == Fed::TooLarge {
            Ending::BodyTooLarge
        } else if fed == Fed::Broken {
            Ending::BodyBroken
        } else if client_gone {
            Ending::ClientGone
        } else {
            Ending::Exited(status.map_or(-1, exit_code))
        }
    })
}

/// How feeding the body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fed {
    /// The body ended, the script stopped reading, or the client failed.
    Done,
    /// A chunked body went over `max_body`.
    TooLarge,
    /// A chunked body ended early or was malformed.
    Broken,
}

/// Copies the body (`Content-Length` bounded, or chunked and decoded) to
/// the script's stdin in chunks, then closes it, so a script that reads to
/// end of file sees every byte. A script that stops reading ends the copy;
/// so does the end of the body, and a chunked body over `max_body` (a
/// sized one was refused with 413 before the script started). A chunked
/// body that ends early or is malformed is [`Fed::Broken`]: the script
/// would take what it got for the whole body. A short `Content-Length`
/// body ends the copy as in CPython (the script can compare the length).
fn feed(rfile: &mut Rfile, stdin: Option<std::process::ChildStdin>, max_body: Option<u64>) -> Fed {
    let Some(mut stdin) = stdin else {
        return Fed::Done;
    };
    let chunked = rfile.remaining().is_none();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match rfile.read(&mut buf) {
            Ok(0) if chunked && !rfile.body_done() => return Fed::Broken,
            Err(_) if chunked => return Fed::Broken,
            Ok(0) | Err(_) => return Fed::Done,
            Ok(n) => n,
        };
        total += n as u64;
        if max_body.is_some_and(|max| total > max) {
            return Fed::TooLarge;
        }
        if stdin.write_all(&buf[..n]).is_err() {
            return Fed::Done;
        }
    }
}

/// Streams the script's stdout to `out` as it comes, flushing each chunk.
///
/// # Errors
/// Errors writing to `out` (the client went away).
pub(crate) fn pump(stdout: &mut impl Read, out: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(()),
        };
        out.write_all(&buf[..n])?;
        out.flush()?;
    }
}
