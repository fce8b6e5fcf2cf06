//! [`ServerInfo`]: what a handler sees of its server (Python's
//! `self.server`: `server_address`, `server_name`, `server_port`), and the
//! state the server types and the engine share under it: the shutdown
//! request (`BaseServer.shutdown()`'s flag and wake-up), the count of
//! open connections, and the CGI scripts whose timeout the engine's time
//! keeper enforces.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use rustix::process::{Pid, Signal, kill_process_group};

use crate::config::ServerConfig;

/// What a handler can see of its server (`self.server` in Python).
#[derive(Debug)]
pub struct ServerInfo {
    server_address: SocketAddr,
    server_name: String,
    config: ServerConfig,
    shutdown: ShutdownState,
    /// Connections open right now (being served or parked).
    open: AtomicUsize,
    /// Running CGI scripts' process groups and their deadlines.
    scripts: Mutex<Vec<(Pid, Instant)>>,
}

#[derive(Debug, Default)]
struct ShutdownState {
    requested: AtomicBool,
    serving: Mutex<bool>,
    stopped: Condvar,
    /// Wakes the threads of the running `serve_forever` loop.
    waker: Mutex<Option<Waker>>,
}

/// Wakes the threads of a running `serve_forever` loop.
pub(crate) struct Waker(pub(crate) Box<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ServerInfo {
    /// A server's description, for a listener bound to `server_address`
    /// (for the in-memory test client, which has no listener,
    /// `test::SERVER_ADDRESS`).
    pub(crate) fn new(server_address: SocketAddr, config: ServerConfig) -> Self {
        ServerInfo {
            server_address,
            server_name: server_name_for(server_address),
            config,
            shutdown: ShutdownState::default(),
            open: AtomicUsize::new(0),
            scripts: Mutex::new(Vec::new()),
        }
    }

    /// The bound address (`server_address`); the real port even if 0 was asked for.
    pub fn server_address(&self) -> SocketAddr {
        self.server_address
    }
    /// `server_name`: `localhost` for loopback, the host name for a wildcard
    /// address, else the address itself.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }
    /// `server_port`.
    pub fn server_port(&self) -> u16 {
        self.server_address.port()
    }
    /// The server's settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }
    /// Asks the server to stop after the current requests; does not wait
    /// (so a handler may call it).
    pub fn request_shutdown(&self) {
        self.shutdown.requested.store(true, Ordering::SeqCst);
        // Every `serve_forever` loop waits on something this waker wakes; one
        // that installs it later sees the flag first.
        if let Some(waker) = &*lock(&self.shutdown.waker) {
            (waker.0)();
        }
    }

    /// Whether a shutdown was asked for.
    pub(crate) fn shutdown_requested(&self) -> bool {
        self.shutdown.requested.load(Ordering::SeqCst)
    }

    /// Installs (or removes) the waker of a running `serve_forever` loop.
    pub(crate) fn set_waker(&self, waker: Option<Waker>) {
        *lock(&self.shutdown.waker) = waker;
    }

    /// Runs `serve` (a `serve_forever` loop) marked as serving, so that
    /// [`wait_stopped`](Self::wait_stopped) waits for it to return.
    pub(crate) fn serving<T>(&self, serve: impl FnOnce() -> T) -> T {
        *lock(&self.shutdown.serving) = true;
        let result = serve();
        *lock(&self.shutdown.serving) = false;
        self.shutdown.stopped.notify_all();
        result
    }

    /// Waits until no `serve_forever` loop runs.
    pub(crate) fn wait_stopped(&self) {
        let mut serving = lock(&self.shutdown.serving);
        while *serving {
            serving = self
                .shutdown
                .stopped
                .wait(serving)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Connections open right now.
    pub(crate) fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Counts a connection opened.
    pub(crate) fn connection_opened(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a connection closed.
    pub(crate) fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Watches a CGI script's process group until
    /// [`unwatch_script`](Self::unwatch_script): the engine's time keeper
    /// kills it once `deadline` passes, even while the request's thread is
    /// blocked writing the script's output to a client that reads slowly.
    pub(crate) fn watch_script(&self, group: Pid, deadline: Instant) {
        lock(&self.scripts).push((group, deadline));
    }

    /// Stops watching a script; called before it is reaped, so that a late
    /// kill cannot reach a reused process id.
    pub(crate) fn unwatch_script(&self, group: Pid) {
        lock(&self.scripts).retain(|&(g, _)| g != group);
    }

    /// Kills the watched scripts whose deadline has passed (the engine's
    /// time keeper, at every deadline scan).
    pub(crate) fn kill_overdue_scripts(&self, now: Instant) {
        lock(&self.scripts).retain(|&(group, deadline)| {
            if deadline > now {
                return true;
            }
            let _ = kill_process_group(group, Signal::KILL);
            false
        });
    }
}

/// `socket.getfqdn(host)` for the cases that matter without DNS.
fn server_name_for(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() {
        "localhost".to_owned()
    } else if ip.is_unspecified() {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| ip.to_string())
    } else {
        ip.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;
    use std::time::Duration;

    fn sleeper() -> std::process::Child {
        Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .spawn()
            .expect("spawn sleep")
    }

    #[test]
    fn overdue_scripts_are_killed_and_others_left_alone() {
        let info = ServerInfo::new(([127, 0, 0, 1], 0).into(), ServerConfig::default());
        let mut overdue = sleeper();
        let mut running = sleeper();
        let now = Instant::now();
        info.watch_script(Pid::from_child(&overdue), now);
        info.watch_script(Pid::from_child(&running), now + Duration::from_secs(3600));
        info.kill_overdue_scripts(now);
        let status = overdue.wait().unwrap();
        assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));
        // The other one is still watched, and still running.
        assert_eq!(lock(&info.scripts).len(), 1);
        assert!(running.try_wait().unwrap().is_none());
        info.unwatch_script(Pid::from_child(&running));
        assert!(lock(&info.scripts).is_empty());
        running.kill().unwrap();
        running.wait().unwrap();
    }
}
