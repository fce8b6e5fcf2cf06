//! The connection engine under `ThreadingHttpServer` (CPython's
//! `ThreadingMixIn.process_request`, which starts a thread per connection,
//! replaced by a pool of threads that each run a request to completion on
//! the thread that found it ready, as nginx's and lighttpd's event loops do).
//!
//! * One edge-triggered epoll set holds the listener and every open
//!   connection, and the pool threads wait on it for one event at a time.
//!   The kernel wakes one waiter per event, and events a thread has not
//!   taken stay queued for the next free one. One thread per core waits
//!   (more would only add context switches); the other pool threads are
//!   spares. When every waiting thread has been on one event for
//!   `STALL_AFTER` (a CGI script, a slow upload, a handler that sleeps), the
//!   time keeper starts a spare in their place, and a thread done with its
//!   event stands down again once more threads are active than there are
//!   cores besides the stalled ones. So a handler that blocks for long
//!   holds its own thread only.
//! * A connection is in one of two places: parked in the table (idle
//!   between keep-alive requests, or still sending its request head, or,
//!   over TLS, its handshake), where it costs its `Request` value and a
//!   socket and no thread; or busy on the thread that took its event. An
//!   event for a busy connection is remembered in its table slot and acted
//!   on when the thread parks it, so no `epoll_ctl` is needed per request.
//! * The thread that takes an event fills the connection's `rfile` without
//!   blocking through the transport (`MSG_DONTWAIT`; for TLS, decrypting as
//!   it goes). Once a whole request head is buffered (or the buffer reached
//!   `max_head_bytes`, or the peer closed) it parses and dispatches right
//!   there, with ordinary blocking reads and writes bounded by socket
//!   timeouts (body and write deadlines), serves pipelined requests already
//!   buffered, then parks the connection again. Sockets stay in blocking
//!   mode; epoll only reports readiness (and writability, while a TLS
//!   handshake flight waits to go out).
//! * The `serve_forever` thread keeps time and serves no request. Every
//!   scan (a quarter of the shortest deadline, at most 1 s) it cuts off the
//!   parked connections whose head or keep-alive deadline passed: 408 to a
//!   head that timed out, one line for a TLS handshake that did not finish,
//!   silence for an idle one; and it kills CGI scripts past their timeout
//!   whose thread is busy writing to a slow client. While connections are
//!   open it also looks for stalled threads every `STALL_CHECK`. Over the
//!   connection cap a new connection gets 503 (over TLS: a close).
//! * `shutdown()` wakes every thread (an eventfd that stays readable), stops
//!   accepting, closes parked connections, lets running requests finish
//!   within `shutdown_grace`, then shuts down the sockets of the requests
//!   still running and joins the threads that are done.

use std::collections::HashMap;
use std::io::{self, Write};
use std::mem;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustix::buffer::spare_capacity;
use rustix::event::{EventfdFlags, epoll, eventfd};

use crate::config::ServerConfig;
use crate::connection::{self, finish, head_ready, send_head_timeout, serve_one};
use crate::handler::Handler;
use crate::info::{ServerInfo, Waker};
use crate::request::{Class, Request};
use crate::stream::{Fill, READ_BUFFER, Rfile, Wfile};
use crate::transport::{Scheme, SharedTcp, failure_message};

const LISTENER: u64 = u64::MAX - 1;
const WAKER: u64 = u64::MAX;
/// Descriptors kept free for files, CGI pipes and the listener when the
/// connection cap is derived from `RLIMIT_NOFILE`.
const RESERVED_FDS: usize = 64;
/// Longest wait of a thread between deadline scans.
const MAX_TICK: Duration = Duration::from_secs(1);
/// Shortest wait between deadline scans.
const MIN_TICK: Duration = Duration::from_millis(5);
/// With fewer open connections than this, parked connections keep their
/// read and write buffers (32 KiB) instead of freeing them.
const KEEP_BUFFERS_BELOW: usize = 256;
/// How long writing a 503 (over the connection cap), or what a parked
/// connection still owes when it is taken to be closed, may take when the
/// client does not read.
const REJECT_WRITE_TIMEOUT: Duration = Duration::from_millis(100);
/// Events one thread takes per wait: one, so that a long request on this
/// thread never holds back an event another thread could serve.
const EVENTS_PER_WAIT: usize = 1;
/// A thread on one event this long is stalled (a CGI script, a slow
/// upload, a handler that sleeps): once every thread waiting for events is
/// stalled, a spare thread starts waiting in their place.
const STALL_AFTER: Duration = Duration::from_millis(5);
/// How often the time keeper looks for stalled threads while connections
/// are open.
const STALL_CHECK: Duration = Duration::from_millis(5);
/// What a connection is registered for: input, and the peer's shutdown
/// (so that a short read followed by the end of the stream is not missed),
/// edge-triggered.
const CONN_EVENTS: epoll::EventFlags = epoll::EventFlags::IN
    .union(epoll::EventFlags::RDHUP)
    .union(epoll::EventFlags::ET);
/// Event flags that say the peer will send nothing more.
const PEER_DONE: epoll::EventFlags = epoll::EventFlags::RDHUP
    .union(epoll::EventFlags::HUP)
    .union(epoll::EventFlags::ERR);

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
    token: u64,
    sock: Arc<TcpStream>,
    handler: H,
    req: Request,
    state: State,
    deadline: Option<Instant>,
    /// Registered for writability too (a TLS handshake flight is waiting).
    wants_out: bool,
    /// An event said the peer shut its side (`EPOLLRDHUP`): read until the
    /// end of the stream before parking, since no further event will come.
    peer_closed: bool,
}

/// Where an open connection is.
enum Slot<H> {
    /// Waiting for its next bytes, on no thread.
    Parked(Box<Conn<H>>),
    /// On a thread; `ready` records an event that came meanwhile, and
    /// `peer_done` whether that event said the peer shut its side. The
    /// socket is kept here to cut it off when the shutdown grace runs out.
    Busy {
        sock: Arc<TcpStream>,
        ready: bool,
        peer_done: bool,
    },
}

impl<H> Slot<H> {
    fn busy(sock: Arc<TcpStream>) -> Self {
        Slot::Busy {
            sock,
            ready: false,
            peer_done: false,
        }
    }
}

/// What reading a parked connection's new bytes led to.
enum Step {
    /// A request head is buffered (or the buffer is full, or the peer
    /// closed after sending something): parse and answer it.
    Serve,
    /// Nothing complete yet: park it.
    Wait,
    /// The peer closed, or the transport failed: close it.
    Close,
}

/// The state every pool thread shares.
struct Engine<F, H> {
    epoll: OwnedFd,
    /// Written once to wake every thread; never read, so it stays readable.
    waker: OwnedFd,
    /// A second descriptor of the server's listening socket.
    listener: TcpListener,
    factory: Arc<F>,
    info: Arc<ServerInfo>,
    config: ServerConfig,
    /// Plain TCP or TLS.
    scheme: Scheme,
    /// Most bytes buffered of one request head before it is parsed.
    preread: usize,
    max_connections: usize,
    /// Every open connection, parked or busy (`info` counts them).
    conns: Mutex<HashMap<u64, Slot<H>>>,
    /// Signalled when `conns` becomes empty.
    drained: Condvar,
    next_token: AtomicU64,
    /// Set when the shutdown starts: connections are closed, not parked.
    stopping: AtomicBool,
    /// A thread met an error that ends `serve_forever`.
    failed: Mutex<Option<io::Error>>,
    tick: Duration,
    /// Wakes the time keeper early (the shutdown).
    alarm: Mutex<()>,
    alarm_rang: Condvar,
    /// `accept` hit the descriptor limit; retried at the next scan.
    accept_stalled: AtomicBool,
    /// Class for 503 answers, from one handler made on first need.
    reject_class: OnceLock<Class>,
    /// The pool: which threads wait for events, which are spares.
    roles: Roles,
}

/// Which pool threads wait on the epoll set. More waiters than cores only
/// add context switches (each event wakes a thread that would have found
/// the next one itself), so `target` threads (one per core) are active and
/// the rest are spares, woken one at a time when every active thread is
/// stalled in one event, and sent back as the stalled ones come free.
struct Roles {
    target: usize,
    /// Threads in the active role: waiting on the epoll set or on an event.
    active: AtomicUsize,
    /// Spares promoted and not yet started (under its lock).
    promoted: Mutex<usize>,
    promote: Condvar,
    /// Per thread: nanoseconds since `epoch` when it took its current
    /// event, or 0 while it waits.
    busy_since: Vec<AtomicU64>,
    epoch: Instant,
}

impl Roles {
    fn new(threads: usize) -> Self {
        let cores = thread::available_parallelism().map_or(2, |n| n.get());
        let target = cores.min(threads).max(1);
        Roles {
            target,
            active: AtomicUsize::new(target),
            promoted: Mutex::new(0),
            promote: Condvar::new(),
            busy_since: (0..threads).map(|_| AtomicU64::new(0)).collect(),
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// How many threads have been on their current event longer than
    /// `STALL_AFTER`.
    fn stalled(&self) -> usize {
        let limit = u64::try_from(STALL_AFTER.as_nanos()).unwrap_or(u64::MAX);
        let now = self.now();
        self.busy_since
            .iter()
            .filter(|b| {
                let t = b.load(Ordering::Relaxed);
                t != 0 && now.saturating_sub(t) > limit
            })
            .count()
    }

    /// Whether a thread done with an event should stand down: more threads
    /// are active than there are cores besides the stalled ones (a spare
    /// stays while the threads it stands in for are still stuck).
    fn stand_down(&self) -> bool {
        if self.active.load(Ordering::SeqCst) <= self.target {
            return false;
        }
        let stalled = self.stalled();
        self.active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |a| {
                (a > self.target + stalled).then(|| a - 1)
            })
            .is_ok()
    }

    /// If every active thread is stalled, starts a spare.
    fn relieve_stall(&self) {
        let active = self.active.load(Ordering::SeqCst);
        if active >= self.busy_since.len() {
            return;
        }
        if self.stalled() >= active {
            self.active.fetch_add(1, Ordering::SeqCst);
            *lock(&self.promoted) += 1;
            self.promote.notify_one();
        }
    }
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
    let nworkers = match info.config().workers {
        0 => crate::limits::default_workers(),
        n => n,
    };
    let engine = Arc::new(Engine::new(listener, factory, info, scheme, nworkers)?);
    let waker = Arc::clone(&engine);
    info.set_waker(Some(Waker(Box::new(move || waker.wake()))));
    if info.shutdown_requested() {
        // Asked before the waker was in place.
        engine.wake();
    }
    let port = info.server_port();
    let mut workers = Vec::with_capacity(nworkers);
    let mut spawn_error = None;
    for i in 0..nworkers {
        let e = Arc::clone(&engine);
        match thread::Builder::new()
            .name(format!("bh-{port}-w{i}"))
            .spawn(move || e.work(i))
        {
            Ok(h) => workers.push(h),
            Err(e) => {
                spawn_error = Some(e);
                break;
            }
        }
    }
    if spawn_error.is_none() {
        // This thread keeps time: deadlines, and a stalled `accept`.
        engine.keep_time();
    }
    info.set_waker(None);
    engine.shut_down(workers);
    let _ = listener.set_nonblocking(false);
    match spawn_error.or_else(|| lock(&engine.failed).take()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
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

/// How often deadlines are checked: a quarter of the shortest one.
fn tick(c: &ServerConfig) -> Duration {
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

fn deadline(now: Instant, t: Option<Duration>) -> Option<Instant> {
    t.map(|t| now + t)
}

impl<F, H> Engine<F, H>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    fn new(
        listener: &TcpListener,
        factory: &Arc<F>,
        info: &Arc<ServerInfo>,
        scheme: &Scheme,
        threads: usize,
    ) -> io::Result<Self> {
        let config = info.config().clone();
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let waker = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        let listener = listener.try_clone()?;
        listener.set_nonblocking(true)?;
        // The waker is level-triggered: each thread that takes its event
        // leaves it queued for the next, so one write wakes them all.
        epoll::add(
            &epoll,
            &waker,
            epoll::EventData::new_u64(WAKER),
            epoll::EventFlags::IN,
        )?;
        epoll::add(
            &epoll,
            &listener,
            epoll::EventData::new_u64(LISTENER),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        let preread = config
            .max_head_bytes
            .clamp(READ_BUFFER, crate::limits::POLLER_PREREAD);
        let tick = tick(&config);
        Ok(Engine {
            epoll,
            waker,
            listener,
            factory: Arc::clone(factory),
            info: Arc::clone(info),
            max_connections: config.max_connections.min(raise_fd_limit()),
            config,
            scheme: scheme.clone(),
            preread,
            conns: Mutex::new(HashMap::new()),
            drained: Condvar::new(),
            next_token: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            failed: Mutex::new(None),
            tick,
            alarm: Mutex::new(()),
            alarm_rang: Condvar::new(),
            accept_stalled: AtomicBool::new(false),
            reject_class: OnceLock::new(),
            roles: Roles::new(threads),
        })
    }

    /// Wakes every thread waiting on the epoll set, and the time keeper.
    fn wake(&self) {
        let _ = rustix::io::write(&self.waker, &1u64.to_ne_bytes());
        self.ring_alarm();
        let _guard = lock(&self.roles.promoted);
        self.roles.promote.notify_all();
    }

    /// Wakes the time keeper.
    fn ring_alarm(&self) {
        let _guard = lock(&self.alarm);
        self.alarm_rang.notify_all();
    }

    /// The `serve_forever` thread's part: every tick, cut off connections
    /// whose deadline passed and retry a stalled `accept`, until the
    /// shutdown. It serves no request, so it is always free to stop the
    /// pool.
    fn keep_time(&self) {
        let mut next_scan = Instant::now() + self.tick;
        let mut guard = lock(&self.alarm);
        loop {
            if self.finished() {
                return;
            }
            let now = Instant::now();
            let mut wait = next_scan.saturating_duration_since(now);
            if self.info.open_connections() > 0 {
                wait = wait.min(STALL_CHECK);
            }
            guard = self
                .alarm_rang
                .wait_timeout(guard, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if self.finished() {
                return;
            }
            drop(guard);
            self.roles.relieve_stall();
            let now = Instant::now();
            if now >= next_scan {
                self.expire(now);
                self.info.kill_overdue_scripts(now);
                if self.accept_stalled.load(Ordering::Relaxed) {
                    self.accept_all();
                }
                next_scan = now + self.tick;
            }
            guard = lock(&self.alarm);
        }
    }

    /// Ends `serve_forever` with `e` (the first error wins).
    fn fail(&self, e: io::Error) {
        lock(&self.failed).get_or_insert(e);
        self.wake();
    }

    fn finished(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
            || self.info.shutdown_requested()
            || lock(&self.failed).is_some()
    }

    /// A pool thread's life: wait for one event, act on it, repeat, until
    /// the shutdown.
    fn work(&self, id: usize) {
        let mut events = Vec::with_capacity(EVENTS_PER_WAIT);
        let roles = &self.roles;
        let mut active = id < roles.target;
        loop {
            if !active {
                let mut promoted = lock(&roles.promoted);
                while *promoted == 0 && !self.finished() {
                    promoted = roles
                        .promote
                        .wait(promoted)
                        .unwrap_or_else(|e| e.into_inner());
                }
                if *promoted > 0 {
                    *promoted -= 1;
                }
                active = true;
            }
            if self.finished() {
                return;
            }
            match epoll::wait(&self.epoll, spare_capacity(&mut events), None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => {
                    self.fail(e.into());
                    return;
                }
            }
            for ev in events.drain(..) {
                roles.busy_since[id].store(roles.now(), Ordering::Relaxed);
                match ev.data.u64() {
                    WAKER => {}
                    LISTENER => self.accept_all(),
                    token => self.on_ready(token, ev.flags),
                }
                roles.busy_since[id].store(0, Ordering::Relaxed);
            }
            if roles.stand_down() {
                active = false;
            }
        }
    }

    fn accept_all(&self) {
        self.accept_stalled.store(false, Ordering::Relaxed);
        loop {
            match self.listener.accept() {
                Ok((sock, peer)) => self.on_accept(sock, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if is_out_of_descriptors(&e) => {
                    // Leave the backlog for the next scan.
                    self.accept_stalled.store(true, Ordering::Relaxed);
                    return;
                }
                Err(e) if is_transient_accept_error(&e) => {}
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
        }
    }

    fn on_accept(&self, sock: TcpStream, peer: SocketAddr) {
        if self.finished() {
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
        let Ok(req) = connection::new_request(&handler, transport, peer, Arc::clone(&self.info))
        else {
            return;
        };
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let conn = Box::new(Conn {
            token,
            sock: Arc::clone(&sock),
            handler,
            req,
            state: State::Fresh,
            deadline: deadline(Instant::now(), self.config.head_deadline()),
            wants_out: false,
            peer_closed: false,
        });
        let first = {
            let mut conns = lock(&self.conns);
            // Checked under the lock the shutdown takes to close parked
            // connections, so none is parked after it looked.
            if self.stopping.load(Ordering::SeqCst) {
                drop(conns);
                let mut conn = conn;
                finish(&mut conn.req);
                return;
            }
            self.info.connection_opened();
            let first = conns.is_empty();
            conns.insert(token, Slot::Parked(conn));
            first
        };
        if first {
            // The time keeper looks for stalled threads only while
            // connections are open: it starts now, not at its next tick.
            self.ring_alarm();
        }
        // Registered once, edge-triggered: bytes that are already there
        // raise the first event at once.
        if epoll::add(
            &self.epoll,
            &*sock,
            epoll::EventData::new_u64(token),
            CONN_EVENTS,
        )
        .is_err()
        {
            // Unless a deadline scan or the shutdown took it meanwhile (it
            // then closes it).
            for conn in self.take_parked(|c| c.token == token) {
                self.close(*conn);
            }
        }
    }

    /// Over the connection cap: 503 with `Connection: close`, then close.
    /// Over TLS the connection is closed at once: a 503 would need a
    /// handshake first, which is not waited for.
    fn reject(&self, sock: TcpStream, peer: SocketAddr) {
        if self.scheme.is_tls() {
            let _ = sock.shutdown(Shutdown::Both);
            return;
        }
        let class = self
            .reject_class
            .get_or_init(|| (self.factory)().class())
            .clone();
        let _ = sock.set_write_timeout(Some(REJECT_WRITE_TIMEOUT));
        let sock = Arc::new(sock);
        let mut req = Request::new(
            Rfile::new(Box::new(SharedTcp(Arc::clone(&sock)))),
            Wfile::new(Box::new(SharedTcp(Arc::clone(&sock)))),
            peer,
            class,
            Arc::clone(&self.info),
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

    /// An event for connection `token`: take it from the table and drive it
    /// on this thread, or, if a thread has it, tell that thread.
    fn on_ready(&self, token: u64, flags: epoll::EventFlags) {
        let mut conn = {
            let mut conns = lock(&self.conns);
            let Some(slot) = conns.get_mut(&token) else {
                // Closed since the event was queued.
                return;
            };
            let sock = match slot {
                Slot::Busy {
                    ready, peer_done, ..
                } => {
                    *ready = true;
                    *peer_done |= flags.intersects(PEER_DONE);
                    return;
                }
                Slot::Parked(conn) => Arc::clone(&conn.sock),
            };
            match mem::replace(slot, Slot::busy(sock)) {
                Slot::Parked(conn) => conn,
                Slot::Busy { .. } => return,
            }
        };
        if flags.intersects(PEER_DONE) {
            conn.peer_closed = true;
        }
        self.drive(conn);
    }

    /// Reads, serves and parks a connection until it has nothing more for
    /// now, or closes it.
    fn drive(&self, mut conn: Box<Conn<H>>) {
        loop {
            match self.read_head(&mut conn) {
                Step::Close => return self.close(*conn),
                // The read ended in "nothing more for now", which after the
                // peer's shutdown would have been the end of the stream.
                Step::Wait => conn.peer_closed = false,
                Step::Serve => {
                    if !self.serve(&mut conn) {
                        return self.close(*conn);
                    }
                }
            }
            match self.park(conn) {
                Some(c) => conn = c,
                None => return,
            }
        }
    }

    /// Takes what arrived, without blocking, and says what to do next.
    fn read_head(&self, conn: &mut Conn<H>) -> Step {
        let preread = self.preread;
        let mut fill = conn.req.rfile.fill_nonblocking(preread);
        if conn.peer_closed && matches!(fill, Ok(Fill::Pending)) && !head_ready(&conn.req) {
            // The peer shut its side and no further event will say so:
            // read on to the end of the stream before parking a partial
            // head. (Without `peer_closed` a later shutdown raises its own
            // event.)
            fill = conn.req.rfile.fill_nonblocking(preread);
        }
        let fill = match fill {
            Ok(f) => f,
            Err(e) => {
                if let Some(message) = failure_message(&e) {
                    // A failed TLS handshake: one line, then the close.
                    conn.req.log_error(format_args!("{message}"));
                }
                return Step::Close;
            }
        };
        let wants_out = conn.req.rfile.wants_write();
        if wants_out != conn.wants_out {
            // A handshake flight did not fit in the socket buffer: resume
            // when it is writable (the same fill sends it first).
            let mut flags = CONN_EVENTS;
            if wants_out {
                flags |= epoll::EventFlags::OUT;
            }
            let data = epoll::EventData::new_u64(conn.token);
            if epoll::modify(&self.epoll, &*conn.sock, data, flags).is_err() {
                return Step::Close;
            }
            conn.wants_out = wants_out;
        }
        if conn.req.rfile.buffered().is_empty() {
            if fill == Fill::Eof {
                return Step::Close;
            }
            if conn.state == State::Fresh {
                // A TLS handshake step brings no plaintext: keep no read
                // buffer for it.
                conn.req.rfile.release_idle_buffer();
            }
            return Step::Wait;
        }
        if fill != Fill::Pending || head_ready(&conn.req) {
            return Step::Serve;
        }
        if conn.state == State::Idle {
            conn.deadline = deadline(Instant::now(), self.config.head_deadline());
        }
        conn.state = State::Head;
        Step::Wait
    }

    /// Answers the buffered request and any pipelined ones buffered after
    /// it; returns whether the connection stays open.
    fn serve(&self, conn: &mut Conn<H>) -> bool {
        loop {
            let keep = serve_one(&mut conn.handler, &mut conn.req);
            if !keep || self.stopping.load(Ordering::SeqCst) {
                return false;
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
                break;
            }
        }
        let now = Instant::now();
        if conn.req.rfile.buffered().is_empty() {
            conn.state = State::Idle;
            conn.deadline = deadline(now, self.config.keepalive_deadline());
        } else {
            conn.state = State::Head;
            conn.deadline = deadline(now, self.config.head_deadline());
        }
        true
    }

    /// Puts a connection back in the table until its next event. Returns it
    /// instead if it may already have more to read: an event came while
    /// this thread had it, or the last read did not take all there was.
    fn park(&self, mut conn: Box<Conn<H>>) -> Option<Box<Conn<H>>> {
        if conn.peer_closed || conn.req.rfile.may_have_unread() {
            return Some(conn);
        }
        if self.info.open_connections() > KEEP_BUFFERS_BELOW {
            conn.req.rfile.release_idle_buffer();
            conn.req.wfile.release_idle_buffer();
        }
        let mut conns = lock(&self.conns);
        if self.stopping.load(Ordering::SeqCst) {
            drop(conns);
            self.close(*conn);
            return None;
        }
        match conns.get_mut(&conn.token) {
            Some(Slot::Busy {
                ready, peer_done, ..
            }) if *ready => {
                *ready = false;
                // Edge-triggered: the shutdown is reported once, so it is
                // carried over to this read.
                conn.peer_closed = mem::take(peer_done);
                Some(conn)
            }
            Some(slot) => {
                *slot = Slot::Parked(conn);
                None
            }
            None => {
                conns.insert(conn.token, Slot::Parked(conn));
                None
            }
        }
    }

    fn close(&self, mut conn: Conn<H>) {
        let _ = conn.req.wfile.flush();
        // No `epoll_ctl(DEL)`: closing the socket removes it from the epoll
        // set once no other descriptor of it is open (a handler may hold a
        // clone a little longer); events until then find no slot.
        {
            let mut conns = lock(&self.conns);
            conns.remove(&conn.token);
            self.info.connection_closed();
            if conns.is_empty() {
                self.drained.notify_all();
            }
        }
        // The peer sees the end only after the connection stopped counting.
        finish(&mut conn.req);
    }

    /// Takes the parked connections `pick` chooses out of waiting, to be
    /// closed (they stay in the table, counted as open, until `close`).
    /// Whatever they still owe the client (a 408, a TLS flight or alert)
    /// may take `REJECT_WRITE_TIMEOUT` to write: the time keeper and the
    /// shutdown, which close them, are not held up by a client that does
    /// not read.
    fn take_parked(&self, pick: impl Fn(&Conn<H>) -> bool) -> Vec<Box<Conn<H>>> {
        let mut conns = lock(&self.conns);
        let mut taken = Vec::new();
        for slot in conns.values_mut() {
            let sock = match slot {
                Slot::Parked(c) if pick(c) => Arc::clone(&c.sock),
                _ => continue,
            };
            if let Slot::Parked(c) = mem::replace(slot, Slot::busy(sock)) {
                taken.push(c);
            }
        }
        drop(conns);
        for c in &taken {
            let _ = c.sock.set_write_timeout(Some(REJECT_WRITE_TIMEOUT));
        }
        taken
    }

    /// Cuts off parked connections whose deadline has passed.
    fn expire(&self, now: Instant) {
        let expired = self.take_parked(|c| c.deadline.is_some_and(|d| d <= now));
        for mut conn in expired {
            if conn.state == State::Head {
                send_head_timeout(&mut conn.req);
            } else if conn.req.rfile.in_handshake() {
                // Bounded by the head deadline like a slow head; no 408, as
                // nothing can be said before the handshake is done.
                conn.req
                    .log_error(format_args!("TLS handshake failed: timed out"));
            }
            self.close(*conn);
        }
    }

    /// Stops the pool: closes parked connections, waits for busy ones
    /// within the grace period, then cuts them off.
    fn shut_down(&self, workers: Vec<JoinHandle<()>>) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake();
        let idle = self.take_parked(|_| true);
        for conn in idle {
            self.close(*conn);
        }
        let grace_end = Instant::now() + self.config.shutdown_grace;
        let mut all_done = self.wait_drained(grace_end);
        if !all_done {
            for slot in lock(&self.conns).values() {
                if let Slot::Busy { sock, .. } = slot {
                    let _ = sock.shutdown(Shutdown::Both);
                }
            }
            all_done = self.wait_drained(Instant::now() + Duration::from_secs(1));
        }
        // A thread still stuck in a handler after the grace period is left
        // to finish on its own.
        for w in workers {
            if all_done || w.is_finished() {
                let _ = w.join();
            }
        }
    }

    /// Waits until no connection is open, or `until`; returns whether none is.
    fn wait_drained(&self, until: Instant) -> bool {
        let mut conns = lock(&self.conns);
        while !conns.is_empty() {
            let now = Instant::now();
            if now >= until {
                return false;
            }
            conns = self
                .drained
                .wait_timeout(conns, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
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
