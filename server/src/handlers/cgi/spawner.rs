//! The CGI spawner (Apache's `mod_cgid`): when the server runs as root,
//! CPython runs each script as `nobody`, which costs a `fork` of the whole
//! server per script (a uid change rules out `posix_spawn`). Instead, the
//! first script started as root starts this executable once more as a
//! small single-threaded process that drops to `nobody` at once; each
//! script is then a `posix_spawn` there. The server sends it the script's
//! command line, environment and working directory with the script's
//! stdin and stdout over a Unix socket (`SCM_RIGHTS`); it answers with the
//! pid and leaves the script unreaped until the server releases it, so that
//! the server's kill at a timeout can never hit a reused pid. The server,
//! still root, kills the script's process group, sees it exit through a
//! pidfd, and reads the exit status of the zombie from `/proc` (as root may)
//! before it releases it: the spawner is not woken for exits.
//!
//! Only an executable that calls [`enable_spawner`] first thing in `main`
//! can be its own spawner (the `basehttp` command does); elsewhere, and
//! when the spawner cannot start or dies, each script is forked as in
//! CPython.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};
use rustix::process::{Pid, PidfdFlags, pidfd_open};

mod wire;

pub(crate) use wire::Launch;
use wire::{Reply, Request, decode_reply, decode_request, encode_reply, encode_request};

/// The argument that makes this executable the spawner.
const SPAWNER_ARG: &str = "--basehttp-cgi-spawner";

/// Largest message: a script's command line and environment (the request
/// head is at most `ServerConfig::max_head_bytes`, 64 KiB by default). A
/// larger one is forked by the server instead.
const MAX_MESSAGE: usize = 192 * 1024;

/// Whether this executable called [`enable_spawner`].
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Lets `CgiHttpRequestHandler` start CGI scripts without a `fork` of the
/// server when it runs as root: call it first thing in `main`, before any
/// thread starts. The server then starts this executable once more, as a
/// small spawner process that drops to `nobody` and starts each script
/// with `posix_spawn` (Apache's `mod_cgid`); in that process this function
/// runs the spawner and never returns. Without it, each script run as
/// `nobody` is forked from the server, as in CPython.
///
/// ```no_run
/// // First thing in `main`:
/// basehttp::handlers::cgi::enable_spawner();
/// // ... then build and run the server.
/// ```
pub fn enable_spawner() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() == Some(OsStr::new(SPAWNER_ARG)) {
        let id = |a: Option<OsString>| a.and_then(|a| a.to_str()?.parse::<u32>().ok());
        let code = match (id(args.next()), id(args.next())) {
            (Some(uid), Some(gid)) => match run_spawner(uid, gid) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("basehttp: CGI spawner: {e}");
                    1
                }
            },
            _ => 2,
        };
        std::process::exit(code);
    }
    ENABLED.store(true, Ordering::SeqCst);
}

fn send(sock: BorrowedFd<'_>, msg: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other("descriptor buffer too small"));
    }
    loop {
        match sendmsg(
            sock,
            &[IoSlice::new(msg)],
            &mut control,
            SendFlags::NOSIGNAL,
        ) {
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
            Ok(_) => return Ok(()),
        }
    }
}

/// One message and the descriptors sent with it; `None` at the end of the
/// stream.
fn receive(sock: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<(usize, Vec<OwnedFd>)>> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = loop {
        match recvmsg(
            sock,
            &mut [IoSliceMut::new(buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(rustix::io::Errno::INTR) => {}
            r => break r?,
        }
    };
    let mut fds = Vec::new();
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = msg {
            fds.extend(received);
        }
    }
    if got.bytes == 0 {
        return Ok(None);
    }
    Ok(Some((got.bytes, fds)))
}

/// The server's side: the spawner process and its answers.
pub(crate) struct Spawner {
    sock: OwnedFd,
    /// One request on the socket at a time.
    sending: Mutex<()>,
    replies: Mutex<Replies>,
    next_id: AtomicU64,
    _process: Mutex<Child>,
}

#[derive(Default)]
struct Replies {
    /// Who waits for the answer to each spawn request (one channel each,
    /// so that an answer wakes only its own thread).
    spawning: HashMap<u64, SyncSender<Result<u32, i32>>>,
    /// The spawner is gone: no answer will come (the waiters' channels are
    /// dropped, which ends their waits).
    gone: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Spawner {
    /// The running spawner, started on first need: only as root, in an
    /// executable that called [`enable_spawner`]. `None` means fork.
    pub(crate) fn get(uid: u32, gid: u32) -> Option<&'static Spawner> {
        static SPAWNER: OnceLock<Option<Spawner>> = OnceLock::new();
        if !ENABLED.load(Ordering::SeqCst) {
            return None;
        }
        SPAWNER
            .get_or_init(|| Spawner::start(uid, gid).ok())
            .as_ref()
            .filter(|s| !lock(&s.replies).gone)
    }

    fn start(uid: u32, gid: u32) -> io::Result<Spawner> {
        let (ours, theirs) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )?;
        // Started as root (a `posix_spawn`); it drops to `uid`/`gid` itself.
        let process = Command::new("/proc/self/exe")
            .arg0("basehttp-cgi-spawner")
            .arg(SPAWNER_ARG)
            .arg(uid.to_string())
            .arg(gid.to_string())
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            // Its own group: a Ctrl-C at the terminal reaches the server,
            // whose graceful shutdown still needs the spawner.
            .process_group(0)
            .spawn()?;
        let spawner = Spawner {
            sock: ours,
            sending: Mutex::new(()),
            replies: Mutex::default(),
            next_id: AtomicU64::new(0),
            _process: Mutex::new(process),
        };
        Ok(spawner)
    }

    /// Starts reading answers (once, on the first spawn: `self` must be
    /// the process's spawner, which lives as long as the process).
    fn listen(&'static self) {
        static LISTENING: OnceLock<()> = OnceLock::new();
        LISTENING.get_or_init(|| {
            let started = std::thread::Builder::new()
                .name("bh-cgi-spawner".into())
                .spawn(move || self.read_replies());
            if started.is_err() {
                self.gone();
            }
        });
    }

    fn read_replies(&self) {
        let mut buf = [0u8; 64];
        loop {
            let reply = match receive(self.sock.as_fd(), &mut buf) {
                Ok(Some((n, _))) => decode_reply(&buf[..n]),
                Ok(None) | Err(_) => None,
            };
            let Some(reply) = reply else {
                return self.gone();
            };
            let mut r = lock(&self.replies);
            match reply {
                Reply::Spawned { id, pid } => {
                    if let Some(tx) = r.spawning.remove(&id) {
                        let _ = tx.send(Ok(pid));
                    }
                }
                Reply::Failed { id, errno } => {
                    if let Some(tx) = r.spawning.remove(&id) {
                        let _ = tx.send(Err(errno));
                    }
                }
            }
        }
    }

    /// Whether the spawner has ended (its scripts are no longer its).
    pub(crate) fn is_gone(&self) -> bool {
        lock(&self.replies).gone
    }

    fn gone(&self) {
        let mut r = lock(&self.replies);
        r.gone = true;
        r.spawning.clear();
    }

    /// Starts `launch` with `stdin` and `stdout`; its pid.
    ///
    /// # Errors
    /// The script could not start (the spawner's `errno`); the request
    /// could not be sent (`BrokenPipe`) or is too large for a message
    /// (`InvalidInput`), and the caller may fork instead; or the spawner
    /// ended before it answered (`ConnectionAborted`).
    pub(crate) fn spawn(
        &'static self,
        launch: &Launch,
        stdin: &OwnedFd,
        stdout: &OwnedFd,
    ) -> io::Result<Pid> {
        self.listen();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let msg = encode_request(&Request::Spawn {
            id,
            launch: launch.clone(),
        });
        if msg.len() > MAX_MESSAGE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "CGI command too large for the spawner",
            ));
        }
        let (tx, rx) = sync_channel(1);
        {
            let mut r = lock(&self.replies);
            if r.gone {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            r.spawning.insert(id, tx);
        }
        {
            let _one = lock(&self.sending);
            // Not sent: the caller may fork the script instead.
            let sent = send(self.sock.as_fd(), &msg, &[stdin.as_fd(), stdout.as_fd()]);
            if let Err(e) = sent {
                lock(&self.replies).spawning.remove(&id);
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, e));
            }
        }
        match rx.recv() {
            Ok(Ok(pid)) => {
                Pid::from_raw(pid as i32).ok_or_else(|| io::Error::other("the spawner sent pid 0"))
            }
            Ok(Err(errno)) => Err(io::Error::from_raw_os_error(errno)),
            // Sent, but no answer: the script may be running, so it must
            // not be started again.
            Err(_) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the CGI spawner ended",
            )),
        }
    }

    /// Waits for `pid` to exit, reads its exit status, then lets the
    /// spawner reap it.
    ///
    /// # Errors
    /// The status cannot be read (the spawner died and the script was
    /// reaped by another).
    pub(crate) fn wait(&self, pid: Pid) -> io::Result<ExitStatus> {
        wait_exit(pid)?;
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero()))?;
        let status = exit_status_of(&stat)
            .ok_or_else(|| io::Error::other("no exit status in /proc/PID/stat"))?;
        self.release(pid);
        Ok(ExitStatus::from_raw(status))
    }

    /// Lets the spawner reap `pid` once it exits (the server will not
    /// signal it again).
    pub(crate) fn release(&self, pid: Pid) {
        let msg = encode_request(&Request::Release {
            pid: pid.as_raw_nonzero().get() as u32,
        });
        let _one = lock(&self.sending);
        let _ = send(self.sock.as_fd(), &msg, &[]);
    }
}

/// Waits until `pid` (a script of the spawner, unreaped) has exited:
/// through a pidfd, or, before Linux 5.3, by looking every
/// [`EXIT_POLL`](super::runner::EXIT_POLL).
pub(crate) fn wait_exit(pid: Pid) -> io::Result<()> {
    if let Ok(pidfd) = pidfd_open(pid, PidfdFlags::empty()) {
        let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
        loop {
            match poll(&mut fds, None) {
                Err(rustix::io::Errno::INTR) => {}
                r => return r.map(drop).map_err(Into::into),
            }
        }
    }
    while !is_zombie(pid) {
        std::thread::sleep(super::runner::EXIT_POLL);
    }
    Ok(())
}

/// Whether `pid` has exited (or is gone).
pub(crate) fn is_zombie(pid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Ok(stat) => stat_fields(&stat).and_then(|mut f| f.next()) == Some("Z"),
        Err(_) => true,
    }
}

/// The fields of `/proc/PID/stat` after the command name (which may hold
/// spaces and parentheses): the state (field 3) first.
fn stat_fields(stat: &str) -> Option<std::str::SplitAsciiWhitespace<'_>> {
    Some(stat[stat.rfind(')')? + 1..].split_ascii_whitespace())
}

/// The wait status of an exited process, from its `/proc/PID/stat`: field
/// 52, `exit_code` (Linux 3.5, `proc(5)`; shown to root).
fn exit_status_of(stat: &str) -> Option<i32> {
    let mut fields = stat_fields(stat)?;
    if fields.next()? != "Z" {
        return None;
    }
    fields.nth(52 - 4)?.parse().ok()
}

/// A script the spawner started, unreaped until the server releases it.
type Kids = Mutex<HashMap<u32, Child>>;

/// What the spawner's threads share: the socket to the server and the
/// scripts.
struct Spawning {
    sock: OwnedFd,
    kids: Kids,
}

impl Spawning {
    /// One spawning thread: takes requests off the socket (each `recvmsg`
    /// is one whole message with its descriptors) until the server closes
    /// it, which ends the process.
    fn serve(&self) -> io::Result<()> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        loop {
            let Some((n, received)) = receive(self.sock.as_fd(), &mut buf)? else {
                std::process::exit(0);
            };
            match decode_request(&buf[..n]) {
                Some(Request::Spawn { id, launch }) => {
                    let reply = match start_script(&launch, received) {
                        Ok(child) => {
                            let pid = child.id();
                            lock(&self.kids).insert(pid, child);
                            Reply::Spawned { id, pid }
                        }
                        Err(e) => Reply::Failed {
                            id,
                            errno: e.raw_os_error().unwrap_or(libc_einval()),
                        },
                    };
                    send(self.sock.as_fd(), &encode_reply(reply), &[])?;
                }
                Some(Request::Release { pid }) => {
                    // It has exited (the server saw it): reaping it is quick.
                    let kid = lock(&self.kids).remove(&pid);
                    if let Some(mut kid) = kid {
                        let _ = kid.wait();
                    }
                }
                None => return Err(io::Error::other("malformed request from the server")),
            }
        }
    }
}

/// Spawning threads: as many as cores (a `posix_spawn` holds its thread
/// until the script's `execve`), at least two.
fn spawning_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// The spawner process: drops to `uid`/`gid`, then serves the server on
/// stdin until it closes, on [`spawning_threads`] threads.
fn run_spawner(uid: u32, gid: u32) -> io::Result<()> {
    use rustix::process::{DumpableBehavior, Gid, Uid, getegid, geteuid, set_dumpable_behavior};
    use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};
    if uid == 0 || gid == 0 {
        return Err(io::Error::other("refusing to run scripts as root"));
    }
    // The per-thread calls below drop the whole process only while it has
    // one thread, as it has when `main` calls `enable_spawner` first.
    if std::fs::read_dir("/proc/self/task")?.count() != 1 {
        return Err(io::Error::other(
            "enable_spawner must be called before any thread starts",
        ));
    }
    let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(gid));
    set_thread_groups(&[])?;
    set_thread_res_gid(gid, gid, gid)?;
    set_thread_res_uid(uid, uid, uid)?;
    if geteuid() != uid || getegid() != gid || rustix::process::getuid() != uid {
        return Err(io::Error::other("could not drop privileges"));
    }
    // No script (same uid) may attach to it (`ptrace`) or read its memory.
    set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    // It ends when the server closes the socket; signals meant for the
    // server (a terminal's, a service manager's) leave it running until
    // then. A flag nobody reads: the signals are only kept from killing it.
    let ignored = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&ignored))?;
    }
    // Threads start only now, with the dropped ids.
    let sock = rustix::io::fcntl_dupfd_cloexec(std::io::stdin(), 3)?;
    let spawning = Arc::new(Spawning {
        sock,
        kids: Mutex::new(HashMap::new()),
    });
    for _ in 1..spawning_threads() {
        let s = Arc::clone(&spawning);
        std::thread::Builder::new()
            .name("spawn".into())
            .spawn(move || {
                if let Err(e) = s.serve() {
                    eprintln!("basehttp: CGI spawner: {e}");
                    std::process::exit(1);
                }
            })?;
    }
    spawning.serve()
}

fn libc_einval() -> i32 {
    rustix::io::Errno::INVAL.raw_os_error()
}

/// Starts `launch` in a new process group with the received stdin and
/// stdout (a `posix_spawn`: no uid change here).
fn start_script(launch: &Launch, fds: Vec<OwnedFd>) -> io::Result<Child> {
    let mut fds = fds.into_iter();
    let (Some(stdin), Some(stdout), None) = (fds.next(), fds.next(), fds.next()) else {
        return Err(io::Error::from_raw_os_error(libc_einval()));
    };
    let mut cmd = Command::new(&launch.program);
    cmd.arg0(&launch.arg0)
        .args(&launch.args)
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::inherit())
        .process_group(0);
    if std::env::current_dir().ok().as_deref() != Some(launch.cwd.as_path()) {
        cmd.current_dir(&launch.cwd);
    }
    cmd.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_status_of_a_zombie_comes_from_proc_stat() {
        // A command name with spaces and parentheses; 52 fields in all.
        let mut fields = vec!["Z".to_owned()];
        fields.extend((4..52).map(|n| n.to_string()));
        fields.push("768".to_owned());
        let stat = format!("4242 (a (b) c) {}", fields.join(" "));
        assert_eq!(exit_status_of(&stat), Some(768));
        let running = stat.replacen(") Z ", ") S ", 1);
        assert_eq!(exit_status_of(&running), None, "only a zombie's");
        assert_eq!(exit_status_of("4242 (x) Z 1 2"), None, "cut short");
        assert_eq!(exit_status_of("garbage"), None);
        // Our own process runs.
        assert!(!is_zombie(rustix::process::getpid()));
    }

    #[test]
    fn descriptors_cross_the_socket_with_their_message() {
        let (a, b) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        let (r, w) = rustix::pipe::pipe().unwrap();
        send(a.as_fd(), b"hello", &[r.as_fd(), w.as_fd()]).unwrap();
        drop((r, w));
        let mut buf = [0u8; 16];
        let (n, fds) = receive(b.as_fd(), &mut buf).unwrap().unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(fds.len(), 2);
        rustix::io::write(&fds[1], b"x").unwrap();
        let mut one = [0u8; 1];
        rustix::io::read(&fds[0], &mut one).unwrap();
        assert_eq!(&one, b"x");
        drop(a);
        assert!(receive(b.as_fd(), &mut buf).unwrap().is_none());
    }
}
