//! Default limits and deadlines of the connection engine, each with its
//! source. CPython's `http.server` has none of these (no timeouts, one thread
//! per connection, no aggregate header cap); the values follow the servers
//! named beside each value (nginx, Apache, hyper, Go).
//! All of them can be changed in [`crate::ServerConfig`].

use std::time::Duration;

/// Total time to receive a request head, from accept (or from the first byte
/// of a keep-alive request); then 408 and close. hyper's `header_read_timeout`
/// (30 s); Apache `mod_reqtimeout` 20–40 s, nginx `client_header_timeout` 60 s.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an idle keep-alive connection is kept; then it is closed without
/// a response. Between Apache/lighttpd (5 s) and nginx (75 s).
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest wait for the next bytes of a request body (per read, as nginx's
/// `client_body_timeout` 60 s and Apache's `Timeout 60`).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Longest wait for the client to accept more response bytes (per write, as
/// nginx's `send_timeout` 60 s).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `shutdown()` lets requests in flight finish before their
/// sockets are shut down (systemd's stop timeout is 90 s; a dev server
/// should stop faster).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Most simultaneous connections of a `ThreadingHttpServer`; one more is
/// answered 503 with `Connection: close`. An idle connection costs no
/// thread; while 256 or fewer are open it keeps its 32 KiB of read and
/// write buffers, and beyond that they are freed and it holds only its
/// connection state. So this is sized for the 10,000-idle-connection
/// scenario of the benchmarks (nginx: `worker_connections` × workers). The
/// effective cap is also bounded by `RLIMIT_NOFILE`.
pub const MAX_CONNECTIONS: usize = 16_384;

/// Most bytes of header lines (after the request line) in one request head;
/// more is answered 431 (RFC 6585 §5). CPython has no aggregate cap (only
/// 65536 B per line and 100 lines, so ~6.5 MB); Go allows 1 MiB, hyper
/// ~400 KB, nginx 32 KiB. 1 MiB (Go's) keeps every head CPython's own
/// tests send (one 65,536-byte line; 99 headers of 1 KB) while refusing
/// megabyte header floods.
pub const MAX_HEAD_BYTES: usize = 1024 * 1024;

/// Most bytes of a request head the engine buffers without blocking before
/// it starts parsing; the rest (up to [`MAX_HEAD_BYTES`]) is read with
/// blocking reads under the head deadline. Bounds an idle connection's
/// memory. The engine's own figure, not a setting of `ServerConfig`, so
/// not public.
pub(crate) const HEAD_PREREAD: usize = 64 * 1024;

/// Most descriptors the stock file handler's open-file cache keeps open
/// in the process (nginx's `open_file_cache max=` is usually set near
/// 1,000).
const OPEN_FILE_CACHE: usize = 1024;

/// How many descriptors the open-file cache may keep under the descriptor
/// limit `fds`: one per 16 the limit allows, up to [`OPEN_FILE_CACHE`], and
/// none below 64 (the cache is then off). The engine leaves room for them
/// when it derives the connection cap from the same limit.
pub(crate) fn open_file_cache_entries(fds: u64) -> usize {
    let n = usize::try_from(fds / 16)
        .unwrap_or(usize::MAX)
        .min(OPEN_FILE_CACHE);
    if n < 64 { 0 } else { n }
}

/// Largest request body the CGI handler accepts (the only reader of
/// `ServerConfig::max_body`); a larger `Content-Length` is answered 413.
/// Apache's `LimitRequestBody` default since 2.4.54 (1 GiB).
pub const MAX_BODY: u64 = 1 << 30;

/// Listen backlog of the sockets `bind` makes (and of the `basehttp`
/// command's). CPython's `request_queue_size` is 5, which makes clients wait
/// for SYN retransmits under load; nginx and Go take 511 and `SOMAXCONN`
/// (4096 on Linux 5.4+), which also caps this value.
pub const LISTEN_BACKLOG: i32 = 1024;

/// Threads a `ThreadingHttpServer` starts up front and keeps when not
/// configured: twice the CPU count, at least 8. One thread per core waits
/// for events; the others are spares that take over at once while
/// handlers block on disk, CGI or a slow client (more start as needed, up
/// to [`default_max_threads`]).
pub fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores).max(8)
}

/// How long a thread of a `ThreadingHttpServer` beyond its `workers` waits
/// for work before it exits, so that a burst of blocked handlers leaves no
/// threads behind for long. Apache's event MPM trims spare threads every
/// second down to `MaxSpareThreads`; Go's runtime returns an idle thread's
/// memory within its 60 s scavenger period. 10 s keeps a burst's threads
/// for the next burst that follows closely, and puts the process back to
/// its `workers` within the reliability battery's 12 s settle window.
pub const THREAD_IDLE: Duration = Duration::from_secs(10);

/// Most threads of a `ThreadingHttpServer`'s pool when not configured:
/// CPython's `ThreadingHTTPServer` starts one per connection without a cap;
/// this cap protects the machine, not the throughput (Apache's
/// `MaxRequestWorkers` for the event MPM is 400 by default; Go's runtime
/// allows 10,000 OS threads). A thread costs its stack's touched pages (a
/// few dozen KiB of the 2 MiB reserved).
pub const MAX_THREADS: usize = 4096;

/// [`MAX_THREADS`], or fewer when `RLIMIT_NPROC` (which counts every thread
/// of the user) leaves less than twice that: half of the limit then.
pub fn default_max_threads() -> usize {
    use rustix::process::{Resource, getrlimit};
    let nproc = getrlimit(Resource::Nproc)
        .current
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    MAX_THREADS.min(nproc / 2).max(default_workers())
}
