//! The connection engine under `ThreadingHttpServer` (CPython's
//! `ThreadingMixIn.process_request`, which starts a thread per connection,
//! replaced by a poller and a bounded worker pool).
//!
//! * The `serve_forever` thread is the poller: it accepts, and owns every
//!   connection that is idle between keep-alive requests or still sending
//!   its request head (or, over TLS, its handshake). It fills those without
//!   blocking through the transport (`MSG_DONTWAIT`; for TLS, decrypting as
//!   it goes) into the connection's own `rfile` buffer, so a parked
//!   connection costs its `Request` value and a socket, and no thread.
//!   Sockets stay in blocking mode; epoll (through `mio`) only reports
//!   readiness (and writability, while a handshake flight waits to go out).
//! * A connection goes to a worker only once a whole request head is
//!   buffered (or its buffer reached `max_head_bytes`, or the peer closed).
//!   The worker parses and dispatches with ordinary blocking reads and
//!   writes bounded by socket timeouts (body and write deadlines), serves
//!   pipelined requests already buffered, then parks the connection again.
//! * The poller enforces the head and keep-alive deadlines by a periodic
//!   scan of the parked connections (a quarter of the shortest deadline,
//!   at most 1 s), answers 408 to a head that timed out, logs a TLS
//!   handshake that did not finish, closes idle ones silently, and answers
//!   503 to connections over the cap (over TLS: closes them).
//! * `shutdown()` stops accepting, closes parked connections, lets queued
//!   and running requests finish within `shutdown_grace`, then shuts the
//!   remaining sockets down and joins the workers.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use crate::config::ServerConfig;
use crate::connection::{self, finish, head_ready, send_head_timeout, serve_one};
use crate::handler::Handler;
use crate::info::ServerInfo;
use crate::request::Class;
use crate::request::Request;
use crate::stream::{Fill, READ_BUFFER, Rfile, Wfile};
use crate::transport::{Scheme, SharedTcp, failure_message};

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX);
/// Descriptors kept free for files, CGI pipes and the listener when the
/// connection cap is derived from `RLIMIT_NOFILE`.
const RESERVED_FDS: usize = 64;
/// Longest wait of the poller between deadline scans.
const MAX_TICK: Duration = Duration::from_secs(1);
/// Shortest wait between deadline scans.
const MIN_TICK: Duration = Duration::from_millis(5);
/// With fewer open connections than this, parked connections keep their
/// read and write buffers (32 KiB) instead of freeing them.
const KEEP_BUFFERS_BELOW: usize = 256;
/// How long the 503 for a connection over the cap may take to write.
const REJECT_WRITE_TIMEOUT: Duration = Duration::from_millis(100);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Accepted, nothing received yet (head deadline running, silent close).
    Fresh,
    /// Between keep-alive requests (keep-alive deadline, silent close).
    Idle,
    /// Part of a head received (head deadline, 408).
    Head,
}

struct Conn<H> {
    token: usize,
    sock: Arc<TcpStream>,
    handler: H,
    req: Request,
    state: State,
    deadline: Option<Instant>,
}

struct Jobs<H> {
    queue: VecDeque<Conn<H>>,
    closed: bool,
}

struct Shared<H> {
    registry: Registry,
    config: ServerConfig,
    /// Most bytes the poller buffers of one request head.
    preread: usize,
    parked: Mutex<HashMap<usize, Conn<H>>>,
    jobs: Mutex<Jobs<H>>,
    job_ready: Condvar,
    /// Every open connection's socket (parked or on a worker), to cut them
    /// when the shutdown grace runs out (`info` counts them).
    live: Mutex<HashMap<usize, Arc<TcpStream>>>,
    drained: Condvar,
    info: Arc<ServerInfo>,
    stopping: AtomicBool,
}

impl<H: Handler> Shared<H> {
    fn close(&self, mut conn: Conn<H>) {
        let _ = conn.req.wfile.flush();
        // No `deregister`: the socket has one descriptor, and closing it
        // removes it from the epoll set.
        {
            let mut live = lock(&self.live);
            if live.remove(&conn.token).is_some() {
                self.info.connection_closed();
            }
            if live.is_empty() {
                self.drained.notify_all();
            }
        }
        // The peer sees the end only after the connection stopped counting.
        finish(&mut conn.req);
    }

    fn dispatch(&self, conn: Conn<H>) {
        lock(&self.jobs).queue.push_back(conn);
        self.job_ready.notify_one();
    }

    /// Hands a connection back to the poller until its next request.
    fn park(&self, mut conn: Conn<H>) {
        if self.info.open_connections() > KEEP_BUFFERS_BELOW {
            conn.req.rfile.release_idle_buffer();
            conn.req.wfile.release_idle_buffer();
        }
        let now = Instant::now();
        if conn.req.rfile.buffered().is_empty() {
            conn.state = State::Idle;
            conn.deadline = deadline(now, self.config.keepalive_deadline());
        } else {
            conn.state = State::Head;
            conn.deadline = deadline(now, self.config.head_deadline());
        }
        let token = conn.token;
        let fd = conn.sock.as_raw_fd();
        {
            let mut parked = lock(&self.parked);
            if self.stopping.load(Ordering::SeqCst) {
                drop(parked);
                self.close(conn);
                return;
            }
            parked.insert(token, conn);
        }
        // Re-arming reports data that arrived while a worker had the socket.
        if self
            .registry
            .reregister(&mut SourceFd(&fd), Token(token), Interest::READABLE)
            .is_err()
        {
            let conn = lock(&self.parked).remove(&token);
            if let Some(conn) = conn {
                self.close(conn);
            }
        }
    }

    /// A worker's life: take connections with a complete head and serve
    /// them until they have nothing more buffered.
    fn work(&self) {
        loop {
            let conn = {
                let mut jobs = lock(&self.jobs);
                loop {
                    if let Some(c) = jobs.queue.pop_front() {
                        break c;
                    }
                    if jobs.closed {
                        return;
                    }
                    jobs = self.job_ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
                }
            };
            self.run(conn);
        }
    }

    fn run(&self, mut conn: Conn<H>) {
        loop {
            let keep = serve_one(&mut conn.handler, &mut conn.req);
            if !keep || self.stopping.load(Ordering::SeqCst) {
                self.close(conn);
                return;
            }
            let mut full = false;
            if conn.req.rfile.has_pending_input() {
                // TLS records decrypted ahead: no socket event will announce
                // them, so take them now.
                full = !matches!(
                    conn.req.rfile.fill_nonblocking(self.preread),
                    Ok(Fill::Pending)
                );
            }
            if !full && (conn.req.rfile.buffered().is_empty() || !head_ready(&conn.req)) {
                self.park(conn);
                return;
            }
        }
    }
}

fn deadline(now: Instant, t: Option<Duration>) -> Option<Instant> {
    t.map(|t| now + t)
}

/// The poller's own state.
struct Poller<'a, F, H> {
    listener: &'a TcpListener,
    factory: &'a F,
    info: &'a Arc<ServerInfo>,
    shared: Arc<Shared<H>>,
    max_connections: usize,
    /// Plain TCP or TLS.
    scheme: &'a Scheme,
    next_token: usize,
    /// Class for 503 answers, from one handler made on first need.
    reject_class: Option<Class>,
    /// `accept` hit the descriptor limit; retry at the next tick.
    accept_stalled: bool,
}

/// `serve_forever()` of a `ThreadingHttpServer` (or `ThreadingHttpsServer`).
pub(crate) fn serve<F, H>(
    listener: &TcpListener,
    factory: &Arc<F>,
    info: &Arc<ServerInfo>,
    scheme: &Scheme,
) -> io::Result<()>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    let config = info.config().clone();
    let mut poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    info.set_waker(Some(Arc::clone(&waker)));
    listener.set_nonblocking(true)?;
    poll.registry().register(
        &mut SourceFd(&listener.as_raw_fd()),
        LISTENER,
        Interest::READABLE,
    )?;
    let preread = config
        .max_head_bytes
        .clamp(READ_BUFFER, crate::limits::POLLER_PREREAD);
    let shared = Arc::new(Shared {
        registry: poll.registry().try_clone()?,
        config: config.clone(),
        preread,
        parked: Mutex::new(HashMap::new()),
        jobs: Mutex::new(Jobs {
            queue: VecDeque::new(),
            closed: false,
        }),
        job_ready: Condvar::new(),
        live: Mutex::new(HashMap::new()),
        drained: Condvar::new(),
        info: Arc::clone(info),
        stopping: AtomicBool::new(false),
    });
    let nworkers = if config.workers == 0 {
        crate::limits::default_workers()
    } else {
        config.workers
    };
    let port = info.server_port();
    let mut workers = Vec::with_capacity(nworkers);
    for i in 0..nworkers {
        let s = Arc::clone(&shared);
        match thread::Builder::new()
            .name(format!("bh-{port}-w{i}"))
            .spawn(move || s.work())
        {
            Ok(h) => workers.push(h),
            Err(e) => {
                stop_workers(&shared, workers, true);
                return Err(e);
            }
        }
    }
    let mut poller = Poller {
        listener,
        factory: &**factory,
        info,
        shared: Arc::clone(&shared),
        max_connections: config.max_connections.min(raise_fd_limit()),
        scheme,
        next_token: 0,
        reject_class: None,
        accept_stalled: false,
    };
    let result = poller.run(&mut poll);
    let _ = poll
        .registry()
        .deregister(&mut SourceFd(&listener.as_raw_fd()));
    info.set_waker(None);
    poller.shut_down(workers);
    let _ = listener.set_nonblocking(false);
    result
}

/// Raises the soft `RLIMIT_NOFILE` to the hard one (as Go does) and returns
/// how many connections it leaves room for.
fn raise_fd_limit() -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        lim.current = lim.maximum;
        let _ = setrlimit(Resource::Nofile, lim);
    }
    let cur = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    usize::try_from(cur)
        .unwrap_or(usize::MAX)
        .saturating_sub(RESERVED_FDS)
        .max(1)
}

impl<F, H> Poller<'_, F, H>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    fn tick(&self) -> Duration {
        let c = &self.shared.config;
        [
            c.timeout,
            c.head_timeout,
            c.keepalive_timeout,
            Some(MAX_TICK * 4),
        ]
        .into_iter()
        .flatten()
        .min()
        .map_or(MAX_TICK, |t| t / 4)
        .clamp(MIN_TICK, MAX_TICK)
    }

    fn run(&mut self, poll: &mut Poll) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let tick = self.tick();
        let mut next_scan = Instant::now() + tick;
        loop {
            if self.info.shutdown_requested() {
                return Ok(());
            }
            let now = Instant::now();
            let wait = next_scan.saturating_duration_since(now);
            if let Err(e) = poll.poll(&mut events, Some(wait))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            for ev in &events {
                match ev.token() {
                    WAKER => {}
                    LISTENER => self.accept_all()?,
                    Token(t) => self.on_readable(t),
                }
            }
            let now = Instant::now();
            if now >= next_scan {
                self.expire(now);
                if self.accept_stalled {
                    self.accept_all()?;
                }
                next_scan = now + tick;
            }
        }
    }

    fn accept_all(&mut self) -> io::Result<()> {
        self.accept_stalled = false;
        loop {
            match self.listener.accept() {
                Ok((sock, peer)) => self.on_accept(sock, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if is_out_of_descriptors(&e) => {
                    // Leave the backlog for the next tick.
                    self.accept_stalled = true;
                    return Ok(());
                }
                Err(e) if is_transient_accept_error(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn on_accept(&mut self, sock: TcpStream, peer: SocketAddr) {
        if self.info.shutdown_requested() {
            return;
        }
        let _ = sock.set_nodelay(true);
        if self.info.open_connections() >= self.max_connections {
            self.reject(sock, peer);
            return;
        }
        let sock = Arc::new(sock);
        let Ok(transport) = self.scheme.wrap(Arc::clone(&sock)) else {
            return;
        };
        let handler = (self.factory)();
        let req = match connection::new_request(&handler, transport, peer, Arc::clone(self.info)) {
            Ok(r) => r,
            Err(_) => return,
        };
        let token = self.next_token;
        self.next_token += 1;
        if self
            .shared
            .registry
            .register(
                &mut SourceFd(&sock.as_raw_fd()),
                Token(token),
                Interest::READABLE,
            )
            .is_err()
        {
            return;
        }
        lock(&self.shared.live).insert(token, Arc::clone(&sock));
        self.info.connection_opened();
        let c = &self.shared.config;
        let conn = Conn {
            token,
            sock,
            handler,
            req,
            state: State::Fresh,
            deadline: deadline(Instant::now(), c.head_deadline()),
        };
        lock(&self.shared.parked).insert(token, conn);
    }

    /// Over the connection cap: 503 with `Connection: close`, then close.
    /// Over TLS the connection is closed at once: a 503 would need a
    /// handshake first, which the poller does not wait for.
    fn reject(&mut self, sock: TcpStream, peer: SocketAddr) {
        if self.scheme.is_tls() {
            let _ = sock.shutdown(Shutdown::Both);
            return;
        }
        let class = match &self.reject_class {
            Some(c) => c.clone(),
            None => {
                let c = (self.factory)().class();
                self.reject_class = Some(c.clone());
                c
            }
        };
        let _ = sock.set_write_timeout(Some(REJECT_WRITE_TIMEOUT));
        let sock = Arc::new(sock);
        let mut req = Request::new(
            Rfile::new(Box::new(SharedTcp(Arc::clone(&sock)))),
            Wfile::new(Box::new(SharedTcp(Arc::clone(&sock)))),
            peer,
            class,
            Arc::clone(self.info),
        );
        req.request_version.clear();
        let _ = req.rfile.fill_nonblocking(READ_BUFFER);
        let _ = req.send_error_full(
            503,
            None,
            Some("The server has too many connections open"),
            &[],
        );
        finish(&mut req);
    }

    fn on_readable(&mut self, token: usize) {
        let Some(mut conn) = lock(&self.shared.parked).remove(&token) else {
            return;
        };
        let preread = self.shared.preread;
        let mut fill = conn.req.rfile.fill_nonblocking(preread);
        if matches!(fill, Ok(Fill::Pending)) && !head_ready(&conn.req) {
            // A short read says the queue was empty; before parking a
            // partial head, read once more to see an end of stream.
            fill = conn.req.rfile.fill_nonblocking(preread);
        }
        let fill = match fill {
            Ok(f) => f,
            Err(e) => {
                if let Some(message) = failure_message(&e) {
                    // A failed TLS handshake: one line, then the close.
                    conn.req.log_error(format_args!("{message}"));
                }
                self.shared.close(conn);
                return;
            }
        };
        if conn.req.rfile.wants_write() {
            // A handshake flight did not fit in the socket buffer: resume
            // when it is writable (the same fill sends it first).
            let fd = conn.sock.as_raw_fd();
            if self
                .shared
                .registry
                .reregister(
                    &mut SourceFd(&fd),
                    Token(token),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                self.shared.close(conn);
                return;
            }
        }
        if conn.req.rfile.buffered().is_empty() {
            if fill == Fill::Eof {
                self.shared.close(conn);
            } else {
                // A TLS handshake step brings no plaintext: keep no read
                // buffer for it (a plain socket gets here only on a
                // spurious wake-up).
                conn.req.rfile.release_idle_buffer();
                lock(&self.shared.parked).insert(token, conn);
            }
            return;
        }
        if fill != Fill::Pending || head_ready(&conn.req) {
            self.shared.dispatch(conn);
            return;
        }
        match conn.state {
            State::Idle => {
                let c = &self.shared.config;
                conn.deadline = deadline(Instant::now(), c.head_deadline());
            }
            State::Fresh | State::Head => {}
        }
        conn.state = State::Head;
        lock(&self.shared.parked).insert(token, conn);
    }

    /// Cuts off parked connections whose deadline has passed.
    fn expire(&mut self, now: Instant) {
        let expired: Vec<Conn<H>> = {
            let mut parked = lock(&self.shared.parked);
            let keys: Vec<usize> = parked
                .iter()
                .filter(|(_, c)| c.deadline.is_some_and(|d| d <= now))
                .map(|(k, _)| *k)
                .collect();
            keys.iter().filter_map(|k| parked.remove(k)).collect()
        };
        for mut conn in expired {
            if conn.state == State::Head {
                send_head_timeout(&mut conn.req);
            } else if conn.req.rfile.in_handshake() {
                // Bounded by the head deadline like a slow head; no 408, as
                // nothing can be said before the handshake is done.
                conn.req
                    .log_error(format_args!("TLS handshake failed: timed out"));
            }
            self.shared.close(conn);
        }
    }

    fn shut_down(&mut self, workers: Vec<JoinHandle<()>>) {
        let shared = &self.shared;
        shared.stopping.store(true, Ordering::SeqCst);
        let idle: Vec<Conn<H>> = lock(&shared.parked).drain().map(|(_, c)| c).collect();
        for conn in idle {
            shared.close(conn);
        }
        let grace_end = Instant::now() + shared.config.shutdown_grace;
        let mut all_done = wait_drained(shared, grace_end);
        if !all_done {
            for sock in lock(&shared.live).values() {
                let _ = sock.shutdown(Shutdown::Both);
            }
            all_done = wait_drained(shared, Instant::now() + Duration::from_secs(1));
        }
        stop_workers(shared, workers, all_done);
    }
}

/// Waits until no connection is open, or `until`; returns whether none is.
fn wait_drained<H>(shared: &Shared<H>, until: Instant) -> bool {
    let mut live = lock(&shared.live);
    while !live.is_empty() {
        let now = Instant::now();
        if now >= until {
            return false;
        }
        live = shared
            .drained
            .wait_timeout(live, until - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

/// Closes the job queue and joins the workers (a worker still stuck in a
/// handler after the grace period is left to finish on its own).
fn stop_workers<H>(shared: &Shared<H>, workers: Vec<JoinHandle<()>>, all_done: bool) {
    lock(&shared.jobs).closed = true;
    shared.job_ready.notify_all();
    for w in workers {
        if all_done || w.is_finished() {
            let _ = w.join();
        }
    }
}

/// An `accept` error that concerns one connection, not the listener.
pub(crate) fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || is_out_of_descriptors(e)
}

/// `EMFILE` / `ENFILE`: no descriptor for the accepted connection.
fn is_out_of_descriptors(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    code == Some(rustix::io::Errno::MFILE.raw_os_error())
        || code == Some(rustix::io::Errno::NFILE.raw_os_error())
}
