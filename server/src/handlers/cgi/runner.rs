//! Runs one CGI script: CPython's fork/exec half of `run_cgi`, with
//! `std::process::Command` instead of `fork` (a `posix_spawn`), or, for a
//! script run as `nobody` by a server running as root, through the spawner
//! (`spawner.rs`), so that the server is never forked.
//!
//! The request body is streamed to the script's stdin (by a second thread
//! when it could block) while the request's thread streams the script's
//! stdout to the client; nothing is buffered whole. The script runs in its
//! own process group, so a timeout or a client that goes away kills the
//! script and everything it started.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, kill_process_group, pidfd_open, waitid,
};

use super::spawner::{Launch, Spawner};
use crate::info::ServerInfo;
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

/// A script's command: CPython's `run_cgi` argument list and environment.
#[derive(Debug, Clone)]
pub(crate) struct ScriptCommand {
    pub(crate) program: PathBuf,
    pub(crate) arg0: OsString,
    pub(crate) args: Vec<OsString>,
    /// Set on top of the server's environment.
    pub(crate) env: Vec<(OsString, OsString)>,
    /// The uid and gid to run it as (`nobody`, when the server is root).
    pub(crate) user: Option<(u32, u32)>,
}

/// A running script: its pid and pipes, and who reaps it.
pub(crate) struct Script {
    pid: Pid,
    stdin: Option<File>,
    stdout: Option<File>,
    parent: Parent,
}

enum Parent {
    /// A child of the server.
    Server(Child),
    /// Started by the spawner, which reaps it.
    Spawner(&'static Spawner),
}

impl Script {
    /// Waits for the exit and reaps the script.
    fn wait(&mut self) -> io::Result<ExitStatus> {
        match &mut self.parent {
            Parent::Server(child) => child.wait(),
            Parent::Spawner(s) => s.wait(self.pid),
        }
    }
}

/// Starts `cmd` (stdin/stdout piped, stderr inherited) in a new process
/// group: through the spawner when it runs as another user and a spawner
/// is available, else as a child of the server.
///
/// # Errors
/// When the script cannot be started.
pub(crate) fn spawn(cmd: &ScriptCommand) -> io::Result<Script> {
    if let Some((uid, gid)) = cmd.user
        && let Some(spawner) = Spawner::get(uid, gid)
    {
        match spawn_remote(spawner, cmd) {
            // Gone, or a command too large for a message: fork instead.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::InvalidInput
                ) => {}
            r => return r,
        }
    }
    let mut command = Command::new(&cmd.program);
    command
        .arg0(&cmd.arg0)
        .args(&cmd.args)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    if let Some((uid, gid)) = cmd.user {
        command.gid(gid).uid(uid);
    }
    let mut child = command.spawn()?;
    let stdin = child.stdin.take().map(|p| File::from(OwnedFd::from(p)));
    let stdout = child.stdout.take().map(|p| File::from(OwnedFd::from(p)));
    Ok(Script {
        pid: Pid::from_child(&child),
        stdin,
        stdout,
        parent: Parent::Server(child),
    })
}

/// Starts `cmd` through the spawner, with the server's environment as it
/// is now (as a child would inherit it) and its working directory.
fn spawn_remote(spawner: &'static Spawner, cmd: &ScriptCommand) -> io::Result<Script> {
    let mut env: std::collections::BTreeMap<OsString, OsString> = std::env::vars_os().collect();
    env.extend(cmd.env.iter().cloned());
    let launch = Launch {
        program: cmd.program.clone(),
        arg0: cmd.arg0.clone(),
        args: cmd.args.clone(),
        env: env.into_iter().collect(),
        cwd: std::env::current_dir()?,
    };
    let flags = rustix::pipe::PipeFlags::CLOEXEC;
    let (stdin_r, stdin_w) = rustix::pipe::pipe_with(flags)?;
    let (stdout_r, stdout_w) = rustix::pipe::pipe_with(flags)?;
    let pid = spawner.spawn(&launch, &stdin_r, &stdout_w)?;
    Ok(Script {
        pid,
        stdin: Some(File::from(stdin_w)),
        stdout: Some(File::from(stdout_r)),
        parent: Parent::Spawner(spawner),
    })
}

/// Feeds the body to the script while `output` relays the script's stdout
/// to the client, then reaps the script. `output` returns an error when the
/// client can't be written to.
///
/// Only a body that could block (not all received yet, or more than a pipe
/// is sure to hold) gets a second thread to feed it, so a `GET` runs on the
/// request's own thread alone. The timeout needs no thread either: the
/// script's stdout and then its exit (through a pidfd) are waited for with
/// `poll` until the deadline, and the process group is killed when it
/// passes. While this thread writes to the client, each send is given no
/// longer than the time left, and under `ThreadingHttpServer` the engine's
/// time keeper kills the script at its deadline too (a client that keeps
/// taking a few bytes at a time could otherwise stretch one write).
pub(crate) fn run<F>(
    script: Script,
    rfile: &mut Rfile,
    timeout: Option<Duration>,
    max_body: Option<u64>,
    server: &ServerInfo,
    output: F,
) -> Ending
where
    F: FnOnce(&mut ScriptOutput<'_>) -> io::Result<()>,
{
    let mut reap = Reap {
        script,
        server,
        armed: true,
    };
    let pid = reap.script.pid;
    let stdin = reap.script.stdin.take();
    let pipe = reap.script.stdout.take().expect("stdout is piped");
    let mut clock = Clock {
        pid,
        deadline: timeout.map(|t| Instant::now() + t),
        timed_out: false,
        spawner: match reap.script.parent {
            Parent::Spawner(s) => Some(s),
            Parent::Server(_) => None,
        },
    };
    if let Some(deadline) = clock.deadline {
        // Killed at the deadline by the engine's time keeper too, in case
        // this thread is then blocked writing to a client that reads slowly.
        server.watch_script(pid, deadline);
    }
    // A second handle on the socket: to bound writes to the client by the
    // deadline, and to wake a feeder blocked on a client that promised
    // more body than it sends.
    let socket: Option<TcpStream> = rfile.tcp().and_then(|s| s.try_clone().ok());
    let write_timeout = socket
        .as_ref()
        .and_then(|s| s.write_timeout().ok())
        .flatten();
    let feed_inline = match rfile.remaining() {
        Some(left) => left <= rfile.wire().buffered().len() as u64 && left <= PIPE_MIN_CAPACITY,
        None => false,
    };
    let relay = |clock: &mut Clock| {
        let mut stdout = ScriptOutput {
            pipe,
            clock,
            socket: socket.as_ref(),
            write_timeout,
        };
        let client_gone = output(&mut stdout).is_err();
        // Closed before waiting, so a script still writing (after an
        // answer cut short) gets `EPIPE` instead of blocking on a full pipe.
        drop(stdout);
        if client_gone {
            if clock.past_deadline() {
                // The write was cut off by the deadline, not by the client.
                clock.kill_on_timeout();
            } else {
                kill_group(pid, clock.spawner);
            }
        }
        clock.wait_exit();
        client_gone
    };
    let spawner = clock.spawner;
    let (fed, client_gone) = if feed_inline {
        let fed = feed(rfile, stdin, max_body);
        (fed, relay(&mut clock))
    } else {
        std::thread::scope(|scope| {
            let feeder = scope.spawn(move || {
                let fed = feed(rfile, stdin, max_body);
                if matches!(fed, Fed::TooLarge | Fed::Broken) {
                    kill_group(pid, spawner);
                }
                fed
            });
            let client_gone = relay(&mut clock);
            if !feeder.is_finished()
                && let Some(s) = &socket
            {
                let _ = s.shutdown(Shutdown::Read);
            }
            (feeder.join().unwrap_or(Fed::Done), client_gone)
        })
    };
    if let Some(s) = &socket {
        let _ = s.set_write_timeout(write_timeout);
    }
    // Before the reaping: no kill after it.
    server.unwatch_script(pid);
    reap.armed = false;
    let status = reap.script.wait();
    let killed = status
        .as_ref()
        .is_ok_and(|s| s.signal() == Some(Signal::KILL.as_raw()));
    if clock.timed_out || (killed && clock.past_deadline()) {
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
}

/// Kills the script's process group, unless a spawner that started it
/// has ended: then the script may have been reaped by another process and
/// its pid reused, and it is left to run to its end.
fn kill_group(pid: Pid, spawner: Option<&Spawner>) {
    if spawner.is_some_and(Spawner::is_gone) {
        return;
    }
    let _ = kill_process_group(pid, Signal::KILL);
}

/// Ends a run that user code cut short (a panic in `output`, which runs
/// hooks such as `log_message`): kills the script's process group, stops
/// the time keeper's watch, then reaps it, so that nothing is left running
/// or unreaped.
struct Reap<'a> {
    script: Script,
    server: &'a ServerInfo,
    armed: bool,
}

impl Drop for Reap<'_> {
    fn drop(&mut self) {
        if self.armed {
            let spawner = match self.script.parent {
                Parent::Spawner(s) => Some(s),
                Parent::Server(_) => None,
            };
            kill_group(self.script.pid, spawner);
            self.server.unwatch_script(self.script.pid);
            let _ = self.script.wait();
        }
    }
}

/// The least a pipe holds without blocking the writer (one page: Linux
/// shrinks pipes to that when a user has too many, `pipe(7)`).
const PIPE_MIN_CAPACITY: u64 = 4096;

/// How often the script's exit is checked for where no pidfd can be had
/// (Linux before 5.3, or out of descriptors).
pub(super) const EXIT_POLL: Duration = Duration::from_millis(10);

/// `waitid` for an exit, leaving the process to be reaped later.
const EXITED_NOWAIT: WaitIdOptions = WaitIdOptions::EXITED.union(WaitIdOptions::NOWAIT);

/// The script's stdout, read until the run's deadline: once it passes, the
/// script's process group is killed and the output ends. Each read also
/// sets the client socket's send timeout to the time left, so that a client
/// that takes nothing cannot hold the script past its deadline.
pub(crate) struct ScriptOutput<'a> {
    pipe: File,
    clock: &'a mut Clock,
    /// The client's socket, whose write timeout is shortened.
    socket: Option<&'a TcpStream>,
    /// Its write timeout before the script ran.
    write_timeout: Option<Duration>,
}

/// A script run's deadline.
struct Clock {
    pid: Pid,
    deadline: Option<Instant>,
    timed_out: bool,
    /// The spawner, if it started the script (then the server cannot
    /// `waitid` for it, not being its parent).
    spawner: Option<&'static Spawner>,
}

impl Clock {
    fn kill_on_timeout(&mut self) {
        if !self.timed_out {
            self.timed_out = true;
            kill_group(self.pid, self.spawner);
        }
    }

    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Waits until `fd` is readable or the deadline passes (then kills the
    /// script); returns whether it is readable.
    fn wait_readable(&mut self, fd: BorrowedFd<'_>) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.timed_out {
                self.kill_on_timeout();
                return false;
            }
            let ts = crate::poller::timespec(left);
            let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
            match poll(&mut fds, Some(&ts)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) | Err(_) => return true,
            }
        }
    }

    /// Waits for the script to exit (not reaping it, so a late kill can't
    /// hit a reused pid), killing it at the deadline.
    fn wait_exit(&mut self) {
        if self.deadline.is_some() && !self.timed_out {
            match pidfd_open(self.pid, PidfdFlags::empty()) {
                // A pidfd turns readable when the process exits.
                Ok(pidfd) => {
                    self.wait_readable(pidfd.as_fd());
                }
                Err(_) => self.poll_exit(),
            }
        }
        let _ = waitid(WaitId::Pid(self.pid), EXITED_NOWAIT);
    }

    /// Without a pidfd: checks for the exit every `EXIT_POLL` until the
    /// deadline, then kills the script.
    fn poll_exit(&mut self) {
        loop {
            let exited = match self.spawner {
                Some(_) => Ok(super::spawner::is_zombie(self.pid).then_some(())),
                None => waitid(WaitId::Pid(self.pid), EXITED_NOWAIT | WaitIdOptions::NOHANG)
                    .map(|s| s.map(|_| ())),
            };
            match exited {
                Ok(Some(())) | Err(_) => return,
                Ok(None) if self.past_deadline() => return self.kill_on_timeout(),
                Ok(None) => std::thread::sleep(EXIT_POLL),
            }
        }
    }
}

impl Read for ScriptOutput<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.clock.wait_readable(self.pipe.as_fd()) {
            return Ok(0);
        }
        if let (Some(deadline), Some(socket)) = (self.clock.deadline, self.socket) {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let t = self.write_timeout.map_or(left, |t| t.min(left));
            let _ = socket.set_write_timeout(Some(t));
        }
        self.pipe.read(buf)
    }
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
fn feed(rfile: &mut Rfile, stdin: Option<File>, max_body: Option<u64>) -> Fed {
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
