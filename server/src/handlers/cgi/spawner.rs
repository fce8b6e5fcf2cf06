//! The CGI spawner (Apache's `mod_cgid`): when the server runs as root,
//! CPython runs each script as `nobody`, which costs a `fork` of the whole
//! server per script (a uid change rules out `posix_spawn`). Instead, the
//! first script started as root starts this executable once more as a
//! small single-threaded process that drops to `nobody` at once; each
//! script is then a `posix_spawn` there. The server sends it the script's
//! command line, environment and working directory with the script's
//! stdin and stdout over a Unix socket (`SCM_RIGHTS`); it answers with the
//! pid, and later with the exit status, keeping the process unreaped until
//! the server releases it, so that the server's kill at a timeout can
//! never hit a reused pid. The server, still root, kills the script's
//! process group and watches its exit through a pidfd as before.
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
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};
use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions, WaitIdStatus, pidfd_open, waitid};

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

/// A script to start: what `execve` gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) arg0: OsString,
    pub(crate) args: Vec<OsString>,
    /// The whole environment.
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) cwd: PathBuf,
}

/// A message to the spawner.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    /// Start `launch` with the two descriptors sent beside (stdin, stdout).
    Spawn { id: u64, launch: Launch },
    /// The server is done with `pid`: reap it once it exits.
    Release { pid: u32 },
}

/// A message from the spawner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Spawned {
        id: u64,
        pid: u32,
    },
    Failed {
        id: u64,
        errno: i32,
    },
    /// `pid` exited with this wait status (unreaped until released).
    Exited {
        pid: u32,
        status: i32,
    },
}

// The wire format: a tag byte, then fixed-width little-endian integers and
// length-prefixed byte strings. Pure functions, so that the parsing is
// tested on its own.

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn encode_request(r: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        Request::Spawn { id, launch } => {
            out.push(1);
            out.extend_from_slice(&id.to_le_bytes());
            put_bytes(&mut out, launch.program.as_os_str().as_bytes());
            put_bytes(&mut out, launch.arg0.as_bytes());
            put_bytes(&mut out, launch.cwd.as_os_str().as_bytes());
            out.extend_from_slice(&(launch.args.len() as u32).to_le_bytes());
            for a in &launch.args {
                put_bytes(&mut out, a.as_bytes());
            }
            out.extend_from_slice(&(launch.env.len() as u32).to_le_bytes());
            for (k, v) in &launch.env {
                put_bytes(&mut out, k.as_bytes());
                put_bytes(&mut out, v.as_bytes());
            }
        }
        Request::Release { pid } => {
            out.push(2);
            out.extend_from_slice(&pid.to_le_bytes());
        }
    }
    out
}

fn encode_reply(r: Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(13);
    let (tag, a, b) = match r {
        Reply::Spawned { id, pid } => (1, id, pid as i32),
        Reply::Failed { id, errno } => (2, id, errno),
        Reply::Exited { pid, status } => (3, u64::from(pid), status),
    };
    out.push(tag);
    out.extend_from_slice(&a.to_le_bytes());
    out.extend_from_slice(&b.to_le_bytes());
    out
}

/// A reader over a message; `None` when it is cut short.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<OsString> {
        let n = usize::try_from(self.u32()?).ok()?;
        Some(OsString::from_vec(self.take(n)?.to_vec()))
    }
    /// A count of items each at least `min` bytes long, checked against
    /// what is left (a forged count cannot make a huge allocation).
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.u32()?).ok()?;
        (n.checked_mul(min)? <= self.0.len()).then_some(n)
    }
}

fn decode_request(msg: &[u8]) -> Option<Request> {
    let (&tag, rest) = msg.split_first()?;
    let mut f = Fields(rest);
    let r = match tag {
        1 => {
            let id = f.u64()?;
            let program = PathBuf::from(f.bytes()?);
            let arg0 = f.bytes()?;
            let cwd = PathBuf::from(f.bytes()?);
            let nargs = f.count(4)?;
            let args = (0..nargs).map(|_| f.bytes()).collect::<Option<Vec<_>>>()?;
            let nenv = f.count(8)?;
            let env = (0..nenv)
                .map(|_| Some((f.bytes()?, f.bytes()?)))
                .collect::<Option<Vec<_>>>()?;
            Request::Spawn {
                id,
                launch: Launch {
                    program,
                    arg0,
                    args,
                    env,
                    cwd,
                },
            }
        }
        2 => Request::Release { pid: f.u32()? },
        _ => return None,
    };
    f.0.is_empty().then_some(r)
}

fn decode_reply(msg: &[u8]) -> Option<Reply> {
    let (&tag, rest) = msg.split_first()?;
    let mut f = Fields(rest);
    let a = f.u64()?;
    let b = f.u32()? as i32;
    if !f.0.is_empty() {
        return None;
    }
    match tag {
        1 => Some(Reply::Spawned {
            id: a,
            pid: u32::try_from(b).ok()?,
        }),
        2 => Some(Reply::Failed { id: a, errno: b }),
        3 => Some(Reply::Exited {
            pid: u32::try_from(a).ok()?,
            status: b,
        }),
        _ => None,
    }
}

/// A wait status as `waitpid` reports it (what `ExitStatus::from_raw` takes).
fn raw_status(s: &WaitIdStatus) -> i32 {
    if let Some(code) = s.exit_status() {
        (code & 0xff) << 8
    } else if let Some(sig) = s.terminating_signal() {
        sig | if s.dumped() { 0x80 } else { 0 }
    } else {
        0
    }
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
    replied: Condvar,
    next_id: AtomicU64,
    _process: Mutex<Child>,
}

#[derive(Default)]
struct Replies {
    spawned: HashMap<u64, Result<u32, i32>>,
    exited: HashMap<u32, i32>,
    /// The spawner is gone: no answer will come.
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
            .spawn()?;
        let spawner = Spawner {
            sock: ours,
            sending: Mutex::new(()),
            replies: Mutex::default(),
            replied: Condvar::new(),
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
                    r.spawned.insert(id, Ok(pid));
                }
                Reply::Failed { id, errno } => {
                    r.spawned.insert(id, Err(errno));
                }
                Reply::Exited { pid, status } => {
                    r.exited.insert(pid, status);
                }
            }
            drop(r);
            self.replied.notify_all();
        }
    }

    fn gone(&self) {
        lock(&self.replies).gone = true;
        self.replied.notify_all();
    }

    /// Starts `launch` with `stdin` and `stdout`; its pid.
    ///
    /// # Errors
    /// The script could not start (the spawner's `errno`), or the spawner
    /// is gone (`BrokenPipe`), or the command is too large for a message.
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
        {
            let _one = lock(&self.sending);
            send(self.sock.as_fd(), &msg, &[stdin.as_fd(), stdout.as_fd()])?;
        }
        let mut r = lock(&self.replies);
        loop {
            if let Some(answer) = r.spawned.remove(&id) {
                return match answer {
                    Ok(pid) => Pid::from_raw(pid as i32)
                        .ok_or_else(|| io::Error::other("the spawner sent pid 0")),
                    Err(errno) => Err(io::Error::from_raw_os_error(errno)),
                };
            }
            if r.gone {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            r = self.replied.wait(r).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Whether `pid` has exited.
    pub(crate) fn has_exited(&self, pid: Pid) -> bool {
        let r = lock(&self.replies);
        r.gone || r.exited.contains_key(&(pid.as_raw_nonzero().get() as u32))
    }

    /// Waits for `pid` to exit, then lets the spawner reap it.
    ///
    /// # Errors
    /// The spawner is gone.
    pub(crate) fn wait(&self, pid: Pid) -> io::Result<ExitStatus> {
        let key = pid.as_raw_nonzero().get() as u32;
        let mut r = lock(&self.replies);
        let status = loop {
            if let Some(status) = r.exited.remove(&key) {
                break status;
            }
            if r.gone {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            r = self.replied.wait(r).unwrap_or_else(|e| e.into_inner());
        };
        drop(r);
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

/// A script the spawner started.
struct Kid {
    child: Child,
    pidfd: Option<OwnedFd>,
    /// Its exit was reported to the server.
    reported: bool,
    /// The server released it: reap it when it exits.
    released: bool,
}

/// The spawner process: drops to `uid`/`gid`, then serves the server on
/// stdin until it closes.
fn run_spawner(uid: u32, gid: u32) -> io::Result<()> {
    use rustix::process::{Gid, Uid, getegid, geteuid};
    use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};
    // Single-threaded here: the per-thread calls drop the whole process.
    let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(gid));
    set_thread_groups(&[])?;
    set_thread_res_gid(gid, gid, gid)?;
    set_thread_res_uid(uid, uid, uid)?;
    if geteuid() != uid || getegid() != gid {
        return Err(io::Error::other("could not drop privileges"));
    }
    let stdin = std::io::stdin();
    let sock = stdin.as_fd();
    let mut kids: HashMap<u32, Kid> = HashMap::new();
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let watched: Vec<u32> = kids
            .iter()
            .filter(|(_, k)| !k.reported && k.pidfd.is_some())
            .map(|(pid, _)| *pid)
            .collect();
        let mut fds = vec![PollFd::new(&sock, PollFlags::IN)];
        fds.extend(
            watched
                .iter()
                .filter_map(|pid| kids[pid].pidfd.as_ref())
                .map(|fd| PollFd::new(fd, PollFlags::IN)),
        );
        // Without pidfds (Linux before 5.3), look every 10 ms.
        let unwatched = kids.values().any(|k| !k.reported && k.pidfd.is_none());
        let tick = crate::poller::timespec(std::time::Duration::from_millis(10));
        match poll(&mut fds, unwatched.then_some(&tick)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        let from_server = !fds[0].revents().is_empty();
        drop(fds);
        if from_server {
            let Some((n, received)) = receive(sock, &mut buf)? else {
                return Ok(());
            };
            match decode_request(&buf[..n]) {
                Some(Request::Spawn { id, launch }) => {
                    let reply = match start_script(&launch, received) {
                        Ok(child) => {
                            let pid = child.id();
                            let pidfd = Pid::from_child(&child);
                            let pidfd = pidfd_open(pidfd, PidfdFlags::empty()).ok();
                            kids.insert(
                                pid,
                                Kid {
                                    child,
                                    pidfd,
                                    reported: false,
                                    released: false,
                                },
                            );
                            Reply::Spawned { id, pid }
                        }
                        Err(e) => Reply::Failed {
                            id,
                            errno: e.raw_os_error().unwrap_or(libc_einval()),
                        },
                    };
                    send(sock, &encode_reply(reply), &[])?;
                }
                Some(Request::Release { pid }) => {
                    if let Some(kid) = kids.get_mut(&pid) {
                        kid.released = true;
                        if kid.reported {
                            let mut kid = kids.remove(&pid).expect("present");
                            let _ = kid.child.wait();
                        }
                    }
                }
                None => return Err(io::Error::other("malformed request from the server")),
            }
        }
        // Report (or reap) the scripts that exited.
        let mut done = Vec::new();
        for (pid, kid) in &kids {
            if kid.reported {
                continue;
            }
            let id = match &kid.pidfd {
                Some(fd) => WaitId::PidFd(fd.as_fd()),
                None => WaitId::Pid(Pid::from_child(&kid.child)),
            };
            let opts = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
            if let Ok(Some(status)) = waitid(id, opts) {
                done.push((*pid, raw_status(&status)));
            }
        }
        for (pid, status) in done {
            let kid = kids.get_mut(&pid).expect("present");
            if kid.released {
                let mut kid = kids.remove(&pid).expect("present");
                let _ = kid.child.wait();
            } else {
                kid.reported = true;
                send(sock, &encode_reply(Reply::Exited { pid, status }), &[])?;
            }
        }
    }
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

    fn launch() -> Launch {
        Launch {
            program: "/srv/cgi-bin/x.sh".into(),
            arg0: "x.sh".into(),
            args: vec!["a b".into(), OsString::from_vec(vec![0xff, b'c'])],
            env: vec![
                ("QUERY_STRING".into(), "a=1".into()),
                ("EMPTY".into(), "".into()),
            ],
            cwd: "/srv".into(),
        }
    }

    #[test]
    fn requests_and_replies_round_trip() {
        for r in [
            Request::Spawn {
                id: 7,
                launch: launch(),
            },
            Request::Release { pid: 4242 },
        ] {
            assert_eq!(decode_request(&encode_request(&r)), Some(r));
        }
        for r in [
            Reply::Spawned { id: 1, pid: 99 },
            Reply::Failed { id: 2, errno: 13 },
            Reply::Exited { pid: 99, status: 9 },
        ] {
            assert_eq!(decode_reply(&encode_reply(r)), Some(r));
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let whole = encode_request(&Request::Spawn {
            id: 7,
            launch: launch(),
        });
        for cut in 0..whole.len() {
            assert_eq!(decode_request(&whole[..cut]), None, "cut at {cut}");
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert_eq!(decode_request(&longer), None);
        // A forged count cannot ask for more items than bytes remain.
        let mut forged = vec![1];
        forged.extend_from_slice(&7u64.to_le_bytes());
        for _ in 0..3 {
            forged.extend_from_slice(&0u32.to_le_bytes());
        }
        forged.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_request(&forged), None);
        assert_eq!(decode_request(&[9]), None);
        assert_eq!(decode_reply(&[1, 0, 0]), None);
        assert_eq!(decode_reply(&[4; 13]), None);
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
