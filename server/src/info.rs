//! [`ServerInfo`]: what a handler sees of its server (Python's
//! `self.server`: `server_address`, `server_name`, `server_port`), and the
//! state the server types and the engine share under it: the shutdown
//! request (`BaseServer.shutdown()`'s flag and wake-up) and the count of
//! open connections.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

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
    /// (or none: the in-memory test client).
    pub(crate) fn new(server_address: SocketAddr, config: ServerConfig) -> Self {
        ServerInfo {
            server_address,
            server_name: server_name_for(server_address),
            config,
            shutdown: ShutdownState::default(),
            open: AtomicUsize::new(0),
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
