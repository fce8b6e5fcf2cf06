//! The connection engine under `ThreadingHttpServer` (CPython's
//! `ThreadingMixIn.process_request`, which starts a thread per connection,
//! replaced by an elastic pool of threads that each run a request to
//! completion on the thread that found it ready, as nginx's and lighttpd's
//! event loops do, and that grows whenever handlers block, so that a
//! blocked handler costs its own thread and never the server).
//!
//! How a connection moves:
//!
//! * One edge-triggered [`Poller`] holds the listener and every open
//!   connection. A connection is either *parked* in the table (idle between
//!   keep-alive requests, still sending its head or its TLS handshake, or
//!   waiting for the client to take response bytes), where it costs its
//!   `crate::connection::Connection` (its streams, and the request state
//!   that borrows them for one request) and a socket and no thread; or
//!   *busy* on the thread that took its event. An event for a busy connection is noted in its
//!   slot and acted on when the thread parks it, so no `epoll_ctl` is
//!   needed per request.
//! * The thread that takes an event reads what arrived without blocking.
//!   Once a whole head is buffered it parses and dispatches right there
//!   (blocking reads and writes bounded by the socket timeouts), serves
//!   pipelined requests already buffered, and parks the connection again.
//! * Output the client does not take at once (a file range, bytes the
//!   handler wrote) waits in the connection's outbox
//!   (`crate::outbox`): the connection is parked *sending*, registered for
//!   writability, and whichever thread takes its next event sends more. A
//!   slow reader of a static file costs a parked connection, not a thread.
//! * The pool (`engine/pool.rs`): one thread per core waits for events;
//!   more would only add context switches. When every waiting thread has
//!   been on one event for [`STALL_AFTER`](pool::STALL_AFTER) (a handler
//!   that sleeps, a CGI script, a slow upload), the time keeper lets one
//!   more thread wait; once one has been stuck for [`HANDOFF_AFTER`], it
//!   also takes the events queued meanwhile and hands each to a spare
//!   thread, starting threads as needed up to `ServerConfig::max_threads`
//!   (each new spare starts more before it runs its event, so a crowd gets
//!   its threads in a few rounds). A thread done with its event stands down
//!   once more threads wait than there are cores besides the stalled ones;
//!   a thread beyond the `workers` idle for `thread_idle` exits.
//! * The `serve_forever` thread keeps time and serves no request: it cuts
//!   off parked connections whose deadline passed (408 to a head that timed
//!   out, one line for a stalled TLS handshake or a client that stopped
//!   reading, silence for an idle one), kills overdue CGI scripts, and
//!   relieves stalls. Over the connection cap a new connection gets 503.
//! * A connection closed while its client may still be sending (an unread
//!   body, the rest of a refused head) lingers, half-closed and parked, its
//!   input dropped until the client closes too (nginx's `lingering_close`),
//!   so that the close is no reset that destroys the answer on its way.
//! * Log lines of the pool threads are buffered per thread
//!   (`crate::log::buffer`): written when a thread is about to wait for
//!   work or its buffer fills, by a log thread within a few milliseconds
//!   when the thread is busy, and at the shutdown.
//! * `shutdown()` wakes every thread, stops accepting, closes idle
//!   connections, lets running requests and sends finish within
//!   `shutdown_grace`, then cuts what is left and logs each cut.
//!
//! The engine is Linux-only today: epoll, `sendfile`, and the CGI runner's
//! pidfd. Each OS mechanism sits behind one small module, so that a port to
//! macOS or the BSDs adds files rather than rewriting this one: a kqueue
//! backend of `crate::poller` (its docs list the five operations it needs),
//! `crate::sendfile` for that OS's `sendfile` (or the outbox's copying path,
//! which TLS uses already), and the CGI runner's `waitid` polling fallback,
//! which exists for kernels without pidfd.
//!
//! Every call into user code here (the handler factory, `class()`, the
//! hooks reached from the 408, 503 and TLS-failure paths) runs under a
//! panic guard: a panic is reported like CPython's `handle_error` and ends
//! that connection only.

use std::any::Any;
use std::collections::HashMap;
use std::io;
use std::mem;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod pool;

use crate::config::ServerConfig;
use crate::connection::{Connection, panic_message, report_error};
use crate::handler::Handler;
use crate::info::{ServerInfo, Waker};
use crate::log::buffer::{Attached, LogBuffers};
use crate::outbox::Sent;
use crate::poller::{self, Event, Events, Interest, Poller};
use crate::request::Class;
use crate::scheme::Scheme;
use crate::stream::{Fill, READ_BUFFER, Rfile, Wfile};
use crate::transport::{SharedTcp, failure_message};
use crate::wire::Wire;
use pool::{Pool, Wake};

const LISTENER: u64 = u64::MAX - 1;
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
/// How often the time keeper looks for stalled threads while connections
/// are open.
const STALL_CHECK: Duration = Duration::from_millis(5);
/// How long a lingering close drops the client's input before it closes
/// anyway (nginx: `lingering_timeout` 5 s between reads, `lingering_time`
/// 30 s in all; Apache: 2 s).
const LINGER_TIME: Duration = Duration::from_secs(5);
/// Most input bytes a lingering close drops before it closes anyway.
const LINGER_BYTES: usize = 4 << 20;
/// Events the time keeper takes off the poller per look when every waiting
/// thread is stalled (each goes to a spare thread).
const HANDOFF_BATCH: usize = 64;
/// How long one waiting thread must have been on one event, with every
/// other waiting thread stalled too, before the time keeper takes queued
/// events off the poller for spares: a crowd of blocked handlers is met
/// within about this long, while threads merely preempted on a saturated
/// machine (a few milliseconds) only bring one more waiter.
const HANDOFF_AFTER: Duration = Duration::from_millis(40);
/// Threads the time keeper starts itself for the events it handed over.
const SEED_STARTS: usize = 2;
/// Threads each new spare starts, before it runs its first event, while
/// handed events still outnumber the spares (so 500 blocked requests get
/// their threads in about eight rounds).
const CHAIN_STARTS: usize = 2;

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
    /// Response output waits for the client to take it (write deadline,
    /// counted from the last progress); `close_after`: the connection ends
    /// once it is sent.
    Sending { close_after: bool },
    /// Half-closed, its input dropped until the client closes too (the
    /// lingering close; deadline [`LINGER_TIME`] from the close).
    Lingering,
}

struct Conn<H> {
    token: u64,
    sock: Arc<TcpStream>,
    peer: SocketAddr,
    handler: H,
    /// Its streams, and the request state that borrows them per request.
    io: Connection,
    state: State,
    deadline: Option<Instant>,
    /// Registered for writability too (a TLS handshake flight or response
    /// output is waiting).
    wants_out: bool,
    /// An event said the peer shut its side (`EPOLLRDHUP`): read until the
    /// end of the stream before parking, since no further event will come.
    peer_shut: bool,
    /// Bytes dropped while lingering.
    lingered: usize,
}

impl<H> Conn<H> {
    /// The connection's input: its transport and read buffer.
    fn input(&mut self) -> &mut Wire {
        self.io.input()
    }

    fn input_ref(&self) -> &Wire {
        self.io.input_ref()
    }
}

/// Where an open connection is.
enum Slot<H> {
    /// Waiting for its next event, on no thread.
    Parked(Box<Conn<H>>),
    /// On a thread; `ready` records an event that came meanwhile, and
    /// `peer_shut` whether that event said the peer shut its side. The
    /// socket is kept here to cut it off when the shutdown grace runs out.
    Busy {
        sock: Arc<TcpStream>,
        peer: SocketAddr,
        ready: bool,
        peer_shut: bool,
    },
}

impl<H> Slot<H> {
    fn busy(conn: &Conn<H>) -> Self {
        Slot::Busy {
            sock: Arc::clone(&conn.sock),
            peer: conn.peer,
            ready: false,
            peer_shut: false,
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
    poller: Poller,
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
    all_closed: Condvar,
    next_token: AtomicU64,
    /// Set when the shutdown starts (or a fatal error ends `serve_forever`):
    /// connections are closed, not parked.
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
    /// The threads.
    pool: Pool,
    /// The pool threads' log lines, buffered.
    logs: LogBuffers,
    /// Join handles of the pool threads started so far.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// `serve_forever()` of a `ThreadingHttpServer` (or `ThreadingHttpsServer`).
pub(crate) fn serve_forever<F, H>(
    listener: &TcpListener,
    factory: &Arc<F>,
    info: &Arc<ServerInfo>,
    scheme: &Scheme,
) -> io::Result<()>
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    let config = info.config();
    let base = match config.workers {
        0 => crate::limits::default_workers(),
        n => n,
    };
    let max = match config.max_threads {
        0 => crate::limits::default_max_threads(),
        n => n,
    };
    let engine = Arc::new(Engine::new(listener, factory, info, scheme, base, max)?);
    let waker = Arc::clone(&engine);
    info.set_waker(Some(Waker(Box::new(move || waker.wake()))));
    if info.shutdown_requested() {
        // Asked before the waker was in place.
        engine.wake();
    }
    let mut spawn_error = None;
    for i in 0..engine.pool.base {
        let waiting = i < engine.pool.target;
        if let Err(e) = engine.start_thread(waiting) {
            spawn_error = Some(e);
            break;
        }
    }
    if spawn_error.is_none() {
        // This thread keeps time: deadlines, stalls, a stalled `accept`.
        engine.keep_time();
    }
    info.set_waker(None);
    engine.shut_down();
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
    // The open-file cache of the stock file handler may keep its own.
    let cached = crate::limits::open_file_cache_entries(cur);
    usize::try_from(cur)
        .unwrap_or(usize::MAX)
        .saturating_sub(RESERVED_FDS + cached)
        .max(1)
}

/// How often deadlines are checked: a quarter of the shortest one.
fn tick(c: &ServerConfig) -> Duration {
    [
        c.timeout,
        c.head_timeout,
        c.keepalive_timeout,
        c.write_timeout,
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

/// Runs user code reached outside dispatch; a panic is reported like
/// CPython's `handle_error` (for the connection from `peer`) and returned
/// as `None`.
fn guarded<T>(peer: SocketAddr, f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(panic) => {
            report_panic(peer, &panic);
            None
        }
    }
}

fn report_panic(peer: SocketAddr, panic: &Box<dyn Any + Send>) {
    report_error(peer, &panic_message(panic));
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
        base: usize,
        max: usize,
    ) -> io::Result<Self> {
        let config = info.config().clone();
        let poller = Poller::new()?;
        let listener = listener.try_clone()?;
        listener.set_nonblocking(true)?;
        poller.add(&listener, LISTENER, Interest::READ)?;
        let preread = config
            .max_head_bytes
            .clamp(READ_BUFFER, crate::limits::HEAD_PREREAD);
        let tick = tick(&config);
        let thread_idle = config.thread_idle;
        Ok(Engine {
            poller,
            listener,
            factory: Arc::clone(factory),
            info: Arc::clone(info),
            max_connections: config.max_connections.min(raise_fd_limit()),
            config,
            scheme: scheme.clone(),
            preread,
            conns: Mutex::new(HashMap::new()),
            all_closed: Condvar::new(),
            next_token: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            failed: Mutex::new(None),
            tick,
            alarm: Mutex::new(()),
            alarm_rang: Condvar::new(),
            accept_stalled: AtomicBool::new(false),
            reject_class: OnceLock::new(),
            pool: Pool::new(base, max, thread_idle),
            logs: LogBuffers::new(),
            threads: Mutex::new(Vec::new()),
        })
    }

    /// Starts a pool thread: one that waits on the poller (`waiting`), or
    /// a spare.
    fn start_thread(self: &Arc<Self>, waiting: bool) -> io::Result<()> {
        let Some(id) = self.pool.take_id() else {
            return Err(io::Error::other("thread cap reached"));
        };
        if !waiting {
            lock(&self.pool.spares).starting += 1;
        }
        let e = Arc::clone(self);
        let port = self.info.server_port();
        self.pool.live.fetch_add(1, Ordering::SeqCst);
        let started = thread::Builder::new()
            .name(format!("bh-{port}-w{id}"))
            .spawn(move || e.work(id, waiting));
        match started {
            Ok(h) => {
                let mut threads = lock(&self.threads);
                threads.retain(|t| !t.is_finished());
                threads.push(h);
                Ok(())
            }
            Err(err) => {
                self.pool.live.fetch_sub(1, Ordering::SeqCst);
                if !waiting {
                    lock(&self.pool.spares).starting -= 1;
                }
                self.pool.release_id(id);
                Err(err)
            }
        }
    }

    /// Wakes every thread waiting on the poller, the spares, and the time
    /// keeper.
    fn wake(&self) {
        self.poller.wake();
        self.ring_alarm();
        self.pool.wake_all();
    }

    /// Wakes the time keeper.
    fn ring_alarm(&self) {
        let _guard = lock(&self.alarm);
        self.alarm_rang.notify_all();
    }

    /// The `serve_forever` thread's part: every tick, cut off connections
    /// whose deadline passed and retry a stalled `accept`; while
    /// connections are open, relieve stalls; until the shutdown. It serves
    /// no request, so it is always free to stop the pool.
    fn keep_time(self: &Arc<Self>) {
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
            self.relieve_stall();
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

    /// If every waiting thread is stalled, has one more thread wait on the
    /// poller; once one has been stuck for [`HANDOFF_AFTER`], hands the
    /// events queued meanwhile to spares too.
    fn relieve_stall(self: &Arc<Self>) {
        if !self.pool.all_stalled() {
            return;
        }
        // First a thread to wait on the poller, so that what arrives from
        // now on is served at once.
        if self.pool.active.load(Ordering::SeqCst) < self.pool.max {
            self.pool.queue(None);
            self.start_behind(1);
        }
        if self.pool.longest_stall() < HANDOFF_AFTER {
            return;
        }
        let mut events = Events::with_capacity(HANDOFF_BATCH);
        loop {
            if self.poller.wait(&mut events, Some(Duration::ZERO)).is_err() {
                break;
            }
            let n = events.len();
            for ev in events.drain() {
                if ev.token != poller::WAKE {
                    self.pool.queue(Some(ev));
                }
            }
            if n < HANDOFF_BATCH || self.finished() {
                break;
            }
        }
        // Threads for the events taken: this thread starts a few, and each
        // new thread starts more before it runs its event
        // (`start_behind`), so a crowd of blocked requests gets its threads
        // in a few rounds rather than one by one.
        self.start_behind(SEED_STARTS);
    }

    /// Starts up to `n` spare threads while handed events outnumber the
    /// spares waiting or starting (within the cap); the first wait at the
    /// cap is logged.
    fn start_behind(self: &Arc<Self>, n: usize) {
        for _ in 0..n {
            if self.pool.behind() == 0 {
                return;
            }
            if self.start_thread(false).is_err() {
                break;
            }
        }
        if self.pool.behind() > 0
            && self.pool.live() >= self.pool.max
            && !self.pool.cap_met.swap(true, Ordering::SeqCst)
        {
            eprintln!(
                "basehttp: all {} threads are busy; new requests wait for one \
                 (ServerConfig::max_threads)",
                self.pool.max
            );
        }
    }

    /// Ends `serve_forever` with `e` (the first error wins).
    fn fail(&self, e: io::Error) {
        lock(&self.failed).get_or_insert(e);
        self.stopping.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Whether the shutdown began (asked for, or a fatal error).
    fn finished(&self) -> bool {
        self.stopping.load(Ordering::SeqCst) || self.info.shutdown_requested()
    }

    /// A pool thread's life: wait for work (on the poller, or as a spare),
    /// run it, repeat, until the shutdown or, for a spare beyond the
    /// `workers`, an idle `thread_idle`.
    fn work(self: Arc<Self>, id: usize, mut waiting: bool) {
        let pool = &self.pool;
        let logs = self.logs.attach();
        let mut events = Events::with_capacity(1);
        let mut first = !waiting;
        loop {
            if !waiting {
                logs.write_out();
                let stop = || self.finished();
                match pool.wait_spare(id, mem::take(&mut first), &stop) {
                    Wake::Promoted => waiting = true,
                    Wake::Run(ev) => {
                        self.start_behind(CHAIN_STARTS);
                        self.run_event(None, ev);
                        continue;
                    }
                    Wake::Retire | Wake::Stop => break,
                }
            }
            if self.finished() {
                break;
            }
            // A thread beyond the first `target` waits on the poller only
            // so long, then stands down if it is not needed there.
            let limit = (id >= pool.target).then_some(pool.retire_after);
            if let Err(e) = self.wait_for_work(&logs, &mut events, limit) {
                self.fail(e);
                break;
            }
            if events.is_empty() && id >= pool.base && pool.stand_down(id) {
                // Idle for `thread_idle` already (`stand_down` took it out
                // of the waiting count): retire at once.
                waiting = false;
                break;
            }
            for ev in events.drain() {
                self.run_event(Some(id), ev);
            }
            while let Some(ev) = pool.take_handed() {
                self.run_event(Some(id), ev);
            }
            if pool.stand_down(id) {
                waiting = false;
            }
        }
        if waiting {
            pool.active.fetch_sub(1, Ordering::SeqCst);
        }
        pool.live.fetch_sub(1, Ordering::SeqCst);
        pool.release_id(id);
    }

    /// Waits on the poller for an event; first writes the thread's log
    /// lines if there is no event already (a busy thread writes them when
    /// its buffer fills, or the time keeper does).
    fn wait_for_work(
        &self,
        logs: &Attached<'_>,
        events: &mut Events,
        limit: Option<Duration>,
    ) -> io::Result<()> {
        if logs.holds_lines() {
            self.poller.wait(events, Some(Duration::ZERO))?;
            if !events.is_empty() {
                return Ok(());
            }
            logs.write_out();
        }
        self.poller.wait(events, limit)
    }

    /// Runs one event; `waiter`: the id of a thread in the waiting role,
    /// whose time on the event counts towards a stall (a spare's does not:
    /// nobody waits on the poller in its place).
    fn run_event(&self, waiter: Option<usize>, ev: Event) {
        // Accepting a burst of connections takes a while but never blocks:
        // it is no stall.
        let waiter = waiter.filter(|_| ev.token != LISTENER);
        if let Some(id) = waiter {
            self.pool.mark_busy(id, true);
        }
        match ev.token {
            poller::WAKE => {}
            LISTENER => self.accept_all(),
            token => self.on_ready(token, ev.peer_shut),
        }
        if let Some(id) = waiter {
            self.pool.mark_busy(id, false);
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
        // The factory and `class()` are user code.
        let made = guarded(peer, || {
            let handler = (self.factory)();
            Connection::new(&handler, transport, peer, Arc::clone(&self.info))
                .map(|io| (handler, io))
        });
        let Some(Ok((handler, mut io))) = made else {
            return;
        };
        io.output().set_deferring(true);
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let conn = Box::new(Conn {
            token,
            sock: Arc::clone(&sock),
            peer,
            handler,
            io,
            state: State::Fresh,
            deadline: deadline(Instant::now(), self.config.head_deadline()),
            wants_out: false,
            peer_shut: false,
            lingered: 0,
        });
        let first = {
            let mut conns = lock(&self.conns);
            // Checked under the lock the shutdown takes to close parked
            // connections, so none is parked after it looked.
            if self.stopping.load(Ordering::SeqCst) {
                drop(conns);
                let mut conn = conn;
                conn.io.finish();
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
        if self.poller.add(&*sock, token, Interest::READ).is_err() {
            // Unless a deadline scan or the shutdown took it meanwhile (it
            // then closes it).
            for conn in self.take_parked(|c| c.token == token) {
                self.close(conn);
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
        let _ = sock.set_write_timeout(Some(REJECT_WRITE_TIMEOUT));
        let sock = Arc::new(sock);
        guarded(peer, || {
            let mut io = self.stand_in(&sock, peer);
            let _ = io.input().fill_nonblocking(READ_BUFFER);
            let mut req = io.lend();
            req.request_version.clear();
            // A request of its own: `after_response` runs for the 503.
            req.began = Some(Instant::now());
            let _ = req.send_error_full(
                503,
                None,
                Some("The server has too many connections open"),
                &[],
            );
            drop(req);
            io.finish();
        });
        let _ = sock.shutdown(Shutdown::Both);
    }

    /// A connection over plain `sock` that no handler holds (a 503 over the
    /// cap, a line about a connection cut at the shutdown), with the class
    /// of one handler made on first need. User code: call it under
    /// [`guarded`].
    fn stand_in(&self, sock: &Arc<TcpStream>, peer: SocketAddr) -> Connection {
        let class = self
            .reject_class
            .get_or_init(|| (self.factory)().class())
            .clone();
        Connection::assemble(
            Rfile::new(Box::new(SharedTcp(Arc::clone(sock)))),
            Wfile::new(Box::new(SharedTcp(Arc::clone(sock)))),
            peer,
            class,
            Arc::clone(&self.info),
        )
    }

    /// A line through the handler class's `log_message` (`log_error`) for a
    /// connection this thread does not hold.
    fn log_for(&self, sock: &Arc<TcpStream>, peer: SocketAddr, args: std::fmt::Arguments<'_>) {
        guarded(peer, || self.stand_in(sock, peer).log_error(args));
    }

    /// An event for connection `token`: take it from the table and drive it
    /// on this thread, or, if a thread has it, tell that thread.
    fn on_ready(&self, token: u64, peer_shut: bool) {
        let mut conn = {
            let mut conns = lock(&self.conns);
            let Some(slot) = conns.get_mut(&token) else {
                // Closed since the event was queued.
                return;
            };
            let busy = match slot {
                Slot::Busy {
                    ready,
                    peer_shut: shut,
                    ..
                } => {
                    *ready = true;
                    *shut |= peer_shut;
                    return;
                }
                Slot::Parked(conn) => Slot::busy(conn),
            };
            match mem::replace(slot, busy) {
                Slot::Parked(conn) => conn,
                Slot::Busy { .. } => return,
            }
        };
        conn.peer_shut |= peer_shut;
        let peer = conn.peer;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.drive(conn))) {
            // User code reached outside dispatch (a hook on the TLS-failure
            // path) panicked: the connection, dropped while unwinding, is
            // closed; forget its slot.
            report_panic(peer, &panic);
            self.forget(token);
        }
    }

    /// Sends, reads, serves and parks a connection until it has nothing
    /// more for now, or closes it.
    fn drive(&self, mut conn: Box<Conn<H>>) {
        loop {
            if conn.state == State::Lingering {
                let d = conn.input().discard_nonblocking(LINGER_BYTES);
                conn.lingered += d.bytes;
                if d.ended || conn.lingered >= LINGER_BYTES {
                    return self.forget(conn.token);
                }
                match self.park(conn) {
                    Some(c) => {
                        conn = c;
                        continue;
                    }
                    None => return,
                }
            }
            if let State::Sending { close_after } = conn.state {
                match self.send_queued(&mut conn) {
                    Err(()) => return self.close(conn),
                    Ok(false) => {}
                    Ok(true) => {
                        if close_after || conn.io.output_ref().queued_short() {
                            return self.close(conn);
                        }
                        if self.set_interest(&mut conn, false).is_err() {
                            return self.close(conn);
                        }
                        self.after_response(&mut conn);
                    }
                }
            }
            if !matches!(conn.state, State::Sending { .. }) {
                match self.read_head(&mut conn) {
                    Step::Close => return self.close(conn),
                    // The read ended in "nothing more for now", which after
                    // the peer's shutdown would have been the end of the
                    // stream.
                    Step::Wait => conn.peer_shut = false,
                    Step::Serve => {
                        if !self.serve_buffered(&mut conn) {
                            return self.close(conn);
                        }
                    }
                }
            }
            match self.park(conn) {
                Some(c) => conn = c,
                None => return,
            }
        }
    }

    /// Sends what waits for the client without blocking: `Ok(true)` when all
    /// went out, `Ok(false)` when the socket is full (the write deadline
    /// restarts when some went out), `Err` when the client is gone.
    fn send_queued(&self, conn: &mut Conn<H>) -> Result<bool, ()> {
        let before = conn.io.output_ref().queued_progress();
        match conn.io.output().send_queued() {
            Ok(Sent::All) => Ok(true),
            Ok(Sent::Blocked) => {
                if conn.io.output_ref().queued_progress() != before {
                    conn.deadline = deadline(Instant::now(), self.config.write_deadline());
                }
                Ok(false)
            }
            Err(_) => Err(()),
        }
    }

    /// Registers the connection for writability too, or no longer.
    fn set_interest(&self, conn: &mut Conn<H>, write: bool) -> io::Result<()> {
        if conn.wants_out != write {
            let interest = if write {
                Interest::READ_WRITE
            } else {
                Interest::READ
            };
            self.poller.modify(&*conn.sock, conn.token, interest)?;
            conn.wants_out = write;
        }
        Ok(())
    }

    /// Takes what arrived, without blocking, and says what to do next.
    fn read_head(&self, conn: &mut Conn<H>) -> Step {
        let preread = self.preread;
        let mut fill = conn.input().fill_nonblocking(preread);
        if conn.peer_shut && matches!(fill, Ok(Fill::Pending)) && !conn.io.head_ready() {
            // The peer shut its side and no further event will say so:
            // read on to the end of the stream before parking a partial
            // head. (Without `peer_shut` a later shutdown raises its own
            // event.)
            fill = conn.input().fill_nonblocking(preread);
        }
        let fill = match fill {
            Ok(f) => f,
            Err(e) => {
                if let Some(message) = failure_message(&e) {
                    // A failed TLS handshake: one line, then the close.
                    conn.io.log_error(format_args!("{message}"));
                }
                return Step::Close;
            }
        };
        // A handshake flight that did not fit in the socket buffer resumes
        // when the socket is writable (the same fill sends it first).
        let wants_out = conn.input_ref().wants_write();
        if self.set_interest(conn, wants_out).is_err() {
            return Step::Close;
        }
        if conn.input_ref().buffered().is_empty() {
            if fill == Fill::Eof {
                return Step::Close;
            }
            if conn.state == State::Fresh {
                // A TLS handshake step brings no plaintext: keep no read
                // buffer for it.
                conn.input().release_idle_buffer();
            }
            return Step::Wait;
        }
        if fill != Fill::Pending || conn.io.head_ready() {
            return Step::Serve;
        }
        if conn.state == State::Idle {
            conn.deadline = deadline(Instant::now(), self.config.head_deadline());
        }
        conn.state = State::Head;
        Step::Wait
    }

    /// Answers the buffered request and any pipelined ones buffered after
    /// it, until one leaves output waiting for the client (then the
    /// connection is `Sending`). Returns whether it stays open.
    fn serve_buffered(&self, conn: &mut Conn<H>) -> bool {
        loop {
            let keep = conn.io.serve_one(&mut conn.handler);
            let stopping = self.stopping.load(Ordering::SeqCst);
            if conn.io.output_ref().has_queued() {
                // The client has not taken the whole response: the engine
                // sends the rest when it can, and this thread moves on.
                conn.state = State::Sending {
                    close_after: !keep || stopping,
                };
                conn.deadline = deadline(Instant::now(), self.config.write_deadline());
                return self.set_interest(conn, true).is_ok();
            }
            if !keep || stopping {
                return false;
            }
            let mut full = false;
            if conn.input_ref().has_pending_input() {
                // TLS records decrypted ahead: no socket event will announce
                // them, so take them now.
                full = !matches!(
                    conn.input().fill_nonblocking(self.preread),
                    Ok(Fill::Pending)
                );
            }
            if !full && (conn.input_ref().buffered().is_empty() || !conn.io.head_ready()) {
                break;
            }
        }
        self.after_response(conn);
        true
    }

    /// The state and deadline of a connection whose response went out:
    /// idle, or reading the next head already begun.
    fn after_response(&self, conn: &mut Conn<H>) {
        let now = Instant::now();
        if conn.input_ref().buffered().is_empty() {
            conn.state = State::Idle;
            conn.deadline = deadline(now, self.config.keepalive_deadline());
        } else {
            conn.state = State::Head;
            conn.deadline = deadline(now, self.config.head_deadline());
        }
    }

    /// Puts a connection back in the table until its next event. Returns it
    /// instead if it may already have more to do: an event came while this
    /// thread had it, or the last read did not take all there was.
    fn park(&self, mut conn: Box<Conn<H>>) -> Option<Box<Conn<H>>> {
        // Sending or lingering, it waits for an event, not for a request.
        let reading = !matches!(conn.state, State::Sending { .. } | State::Lingering);
        if reading && (conn.peer_shut || conn.input_ref().may_have_unread()) {
            return Some(conn);
        }
        if reading && self.info.open_connections() > KEEP_BUFFERS_BELOW {
            conn.input().release_idle_buffer();
            conn.io.output().release_idle_buffer();
        }
        let mut conns = lock(&self.conns);
        if reading && self.stopping.load(Ordering::SeqCst) {
            drop(conns);
            self.close(conn);
            return None;
        }
        match conns.get_mut(&conn.token) {
            Some(Slot::Busy {
                ready, peer_shut, ..
            }) if *ready => {
                *ready = false;
                // Edge-triggered: the shutdown is reported once, so it is
                // carried over to this read.
                conn.peer_shut |= mem::take(peer_shut);
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

    /// Closes a connection: what waits unsent is dropped, the rest flushed.
    ///
    /// A client that may still be sending (an unread body, bytes after a
    /// refused head) gets a lingering close, as nginx's `lingering_close`:
    /// the connection is half-closed and parked, its input dropped as it
    /// comes, until the client closes too or [`LINGER_TIME`] passes. A
    /// plain close would turn into a reset that can destroy the response
    /// on its way.
    fn close(&self, mut conn: Box<Conn<H>>) {
        let lingering = conn.state == State::Lingering;
        if !lingering {
            conn.io.output().discard_queued();
            let may_send = conn.io.begin_close();
            if may_send
                && !self.stopping.load(Ordering::SeqCst)
                && self.set_interest(&mut conn, false).is_ok()
            {
                conn.io.output().close_write();
                conn.state = State::Lingering;
                conn.deadline = Some(Instant::now() + LINGER_TIME);
                // Its next event goes on dropping input (`drive`).
                if let Some(conn) = self.park(conn) {
                    self.drive(conn);
                }
                return;
            }
        }
        // No `epoll_ctl(DEL)`: closing the socket removes it from the epoll
        // set once no other descriptor of it is open (a handler may hold a
        // clone a little longer); events until then find no slot.
        self.forget(conn.token);
        // The peer sees the end only after the connection stopped counting.
        if !lingering {
            conn.io.output().close_write();
        }
    }

    /// Removes a connection from the table and the count.
    fn forget(&self, token: u64) {
        let mut conns = lock(&self.conns);
        if conns.remove(&token).is_some() {
            self.info.connection_closed();
        }
        if conns.is_empty() {
            self.all_closed.notify_all();
        }
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
            let busy = match slot {
                Slot::Parked(c) if pick(c) => Slot::busy(c),
                _ => continue,
            };
            if let Slot::Parked(c) = mem::replace(slot, busy) {
                taken.push(c);
            }
        }
        drop(conns);
        for c in &taken {
            if !matches!(c.state, State::Sending { .. }) {
                let _ = c.sock.set_write_timeout(Some(REJECT_WRITE_TIMEOUT));
            }
        }
        taken
    }

    /// Cuts off parked connections whose deadline has passed.
    fn expire(&self, now: Instant) {
        let expired = self.take_parked(|c| c.deadline.is_some_and(|d| d <= now));
        for mut conn in expired {
            let peer = conn.peer;
            // `send_error` and `log_message` are user code.
            guarded(peer, || match conn.state {
                State::Head => conn.io.send_head_timeout(),
                State::Sending { .. } => {
                    conn.io.log_error(format_args!(
                        "Request timed out: the client took no response bytes \
                         within the write deadline"
                    ));
                }
                State::Lingering => {}
                _ if conn.input_ref().in_handshake() => {
                    // Bounded by the head deadline like a slow head; no 408,
                    // as nothing can be said before the handshake is done.
                    conn.io
                        .log_error(format_args!("TLS handshake failed: timed out"));
                }
                _ => {}
            });
            self.close(conn);
        }
    }

    /// Stops the pool: closes idle connections, lets running requests and
    /// sends finish within the grace period, then cuts them off (one log
    /// line each).
    fn shut_down(self: &Arc<Self>) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake();
        for conn in self.take_parked(|_| true) {
            if matches!(conn.state, State::Sending { .. }) {
                // Its response goes on, blocking, on a thread of its own.
                let e = Arc::clone(self);
                let finisher = thread::Builder::new()
                    .name(format!("bh-{}-send", self.info.server_port()))
                    .spawn(move || {
                        let mut conn = conn;
                        let _ = std::io::Write::flush(conn.io.output());
                        e.close(conn);
                    });
                if let Ok(h) = finisher {
                    lock(&self.threads).push(h);
                }
            } else {
                self.close(conn);
            }
        }
        let grace = self.config.shutdown_grace;
        let mut all_done = self.wait_all_closed(Instant::now() + grace);
        if !all_done {
            let busy: Vec<(Arc<TcpStream>, SocketAddr)> = lock(&self.conns)
                .values()
                .filter_map(|slot| match slot {
                    Slot::Busy { sock, peer, .. } => Some((Arc::clone(sock), *peer)),
                    Slot::Parked(_) => None,
                })
                .collect();
            for (sock, peer) in busy {
                let _ = sock.shutdown(Shutdown::Both);
                self.log_for(
                    &sock,
                    peer,
                    format_args!(
                        "Shutdown: connection cut, still busy after the {} s shutdown grace",
                        grace.as_secs_f64()
                    ),
                );
            }
            all_done = self.wait_all_closed(Instant::now() + Duration::from_secs(1));
        }
        // A thread still stuck in a handler after the grace period is left
        // to finish on its own.
        let threads = mem::take(&mut *lock(&self.threads));
        for t in threads {
            if all_done || t.is_finished() {
                let _ = t.join();
            }
        }
        // A thread left in a handler keeps its buffer: write what it holds.
        self.logs.finish();
    }

    /// Waits until no connection is open, or `until`; returns whether none is.
    fn wait_all_closed(&self, until: Instant) -> bool {
        let mut conns = lock(&self.conns);
        while !conns.is_empty() {
            let now = Instant::now();
            if now >= until {
                return false;
            }
            conns = self
                .all_closed
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;
    use crate::stream::MAX_HELD_OUTPUT;
    use std::borrow::Cow;
    use std::io::{Read, Write};

    /// Answers `GET` with 200 and an empty body.
    struct Nop;

    impl Handler for Nop {
        fn methods(&self) -> Cow<'static, [&'static str]> {
            Cow::Borrowed(&["GET"])
        }
        fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
            req.send_response(200)?;
            req.send_header("Content-Length", "0")?;
            req.end_headers()
        }
    }

    type TestEngine = Engine<fn() -> Nop, Nop>;

    /// An engine with no pool threads (the test drives it), and a client
    /// connected to it whose connection is parked under token 0.
    fn engine_with_client(config: ServerConfig) -> (Arc<TestEngine>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let info = Arc::new(ServerInfo::new(listener.local_addr().unwrap(), config));
        let factory: Arc<fn() -> Nop> = Arc::new(|| Nop);
        let engine =
            Arc::new(Engine::new(&listener, &factory, &info, &Scheme::Http, 1, 2).unwrap());
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (sock, peer) = listener.accept().unwrap();
        engine.on_accept(sock, peer);
        assert_eq!(info.open_connections(), 1);
        (engine, client)
    }

    fn slot_is_parked(e: &TestEngine, token: u64) -> bool {
        matches!(lock(&e.conns).get(&token), Some(Slot::Parked(_)))
    }

    #[test]
    fn an_event_for_a_busy_connection_is_kept_for_its_thread() {
        let (e, _client) = engine_with_client(ServerConfig::default());
        let mut taken = e.take_parked(|c| c.token == 0);
        let mut conn = taken.pop().unwrap();
        assert!(!slot_is_parked(&e, 0), "taken: the slot says busy");
        // (The connection was never read: take all there is, as a read
        // before parking would.)
        let _ = conn.input().fill_nonblocking(READ_BUFFER);
        // An event while a thread has it is noted, peer shutdown included.
        e.on_ready(0, true);
        match lock(&e.conns).get(&0) {
            Some(Slot::Busy {
                ready, peer_shut, ..
            }) => assert!(*ready && *peer_shut),
            _ => panic!("slot not busy"),
        }
        // Parking hands it back once, carrying the shutdown over.
        let conn = e.park(conn).expect("an event came: read again");
        assert!(conn.peer_shut);
        let mut conn = conn;
        conn.peer_shut = false;
        assert!(e.park(conn).is_none());
        assert!(slot_is_parked(&e, 0));
    }

    #[test]
    fn a_head_past_its_deadline_gets_408_from_the_time_keeper() {
        let (e, mut client) = engine_with_client(ServerConfig::default());
        client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        // The byte event, run on this thread: a partial head is parked.
        e.on_ready(0, false);
        let state = match lock(&e.conns).get(&0) {
            Some(Slot::Parked(c)) => c.state,
            _ => panic!("not parked"),
        };
        assert_eq!(state, State::Head);
        // Not yet due: nothing happens.
        e.expire(Instant::now());
        assert!(slot_is_parked(&e, 0));
        e.expire(Instant::now() + Duration::from_secs(3600));
        let mut out = Vec::new();
        client.read_to_end(&mut out).unwrap();
        assert!(out.starts_with(b"HTTP/1.0 408 "), "{out:?}");
        assert_eq!(e.info.open_connections(), 0);
    }

    #[test]
    fn a_parked_send_goes_on_with_each_event_until_all_is_sent() {
        let (e, mut client) = engine_with_client(ServerConfig::default());
        let mut conn = e.take_parked(|c| c.token == 0).pop().unwrap();
        // A response far larger than the socket buffers, written by a
        // "handler" that then returns.
        let body: Vec<u8> = (0..8u32 << 20).map(|i| (i % 241) as u8).collect();
        let mut req = conn.io.lend();
        req.request_version = "HTTP/1.0".into();
        req.send_response(200).unwrap();
        req.send_header("Content-Length", &body.len().to_string())
            .unwrap();
        req.end_headers().unwrap();
        req.wfile.write_all(&body[..MAX_HELD_OUTPUT / 2]).unwrap();
        req.wfile.flush_deferred().unwrap();
        let mut file_path = std::env::temp_dir();
        file_path.push(format!("basehttp-engine-send-{}", std::process::id()));
        std::fs::write(&file_path, &body[MAX_HELD_OUTPUT / 2..]).unwrap();
        let mut file = std::fs::File::open(&file_path).unwrap();
        let rest = (body.len() - MAX_HELD_OUTPUT / 2) as u64;
        assert_eq!(req.wfile.send_file(&mut file, rest).unwrap(), rest);
        drop(req);
        // Given back, the output still waits with the connection.
        assert!(
            conn.io.output_ref().has_queued(),
            "the socket cannot take 8 MiB"
        );
        conn.state = State::Sending { close_after: true };
        e.set_interest(&mut conn, true).unwrap();
        assert!(e.park(conn).is_none());
        // The client reads; each writability event (run here, as a pool
        // thread would) sends more, and the connection closes at the end.
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            client.read_to_end(&mut got).unwrap();
            got
        });
        let mut events = Events::with_capacity(4);
        while e.info.open_connections() > 0 {
            e.poller
                .wait(&mut events, Some(Duration::from_secs(10)))
                .unwrap();
            for ev in events.drain() {
                if ev.token == 0 {
                    e.on_ready(0, ev.peer_shut);
                }
            }
        }
        let got = reader.join().unwrap();
        let head = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(got.starts_with(b"HTTP/1.0 200 "));
        assert_eq!(got.len() - head, body.len());
        assert!(got[head..] == body[..], "bytes lost or out of order");
        std::fs::remove_file(file_path).unwrap();
    }
}
