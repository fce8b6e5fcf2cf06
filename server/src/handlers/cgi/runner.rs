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
pub enum Ending {
    /// The script exited by itself; `waitstatus_to_exitcode` (negative for a signal).
    Exited(i32),
    /// The timeout expired and the script's process group was killed.
    TimedOut,
    /// Writing to the client failed and the script's process group was killed.
    ClientGone,
}

/// Python's `os.waitstatus_to_exitcode`.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| -s))
        .unwrap_or(-1)
}

/// Spawns `cmd` (stdin/stdout piped, stderr inherited) in a new process group.
///
/// # Errors
/// When the script cannot be started.
pub fn spawn(mut cmd: Command) -> io::Result<Child> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    cmd.spawn()
}

/// Feeds the body to the script on a second thread while `output` (on this
/// thread) relays the script's stdout to the client, then reaps the script.
/// `output` returns an error when the client can't be written to.
pub fn run<F>(mut child: Child, rfile: &mut Rfile, timeout: Option<Duration>, output: F) -> Ending
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
        let feeder = scope.spawn(move || feed(rfile, stdin));
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
        let _ = feeder.join();
        let status = child.wait();
        if timed_out {
            Ending::TimedOut
        } else if client_gone {
            Ending::ClientGone
        } else {
            Ending::Exited(status.map_or(-1, exit_code))
        }
    })
}

/// Copies the (Content-Length bounded) body to the script's stdin in chunks.
/// A script that stops reading ends the copy; so does the end of the body.
fn feed(rfile: &mut Rfile, stdin: Option<std::process::ChildStdin>) {
    let Some(mut stdin) = stdin else { return };
    if rfile.remaining().is_none() {
        // No Content-Length (chunked): CGI scripts only see a sized body.
        return;
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match rfile.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stdin.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

/// Streams the script's stdout to `out` as it comes, flushing each chunk.
///
/// # Errors
/// Errors writing to `out` (the client went away).
pub fn pump(stdout: &mut impl Read, out: &mut impl Write) -> io::Result<()> {
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
