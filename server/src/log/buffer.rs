//! Where log lines go. CPython's `log_message` writes each line to
//! `sys.stderr` at once, one `write` per request; on the engine's pool
//! threads a line is appended to the thread's own buffer instead, and the
//! buffer is written in one `write` when it fills ([`MAX_BUFFERED`]), when
//! the thread is about to wait for work, when it exits and at the
//! shutdown; a thread busy in a long handler has its lines written by the
//! server's log thread once they are [`MAX_DELAY`] old. The format is
//! unchanged; a buffer holds whole lines and is written under the stderr
//! lock in one `write` of at most `PIPE_BUF` bytes, so lines never
//! interleave, with each other nor with a CGI script's stderr on the same
//! pipe. Every other thread (`HttpServer`, the test client, a thread of the
//! user's) writes each line at once, as CPython does.
//!
//! Lines are written with `eprint!`, so `cargo test` captures them as it
//! captures CPython-style logging on any thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes a thread buffers before it writes them: `PIPE_BUF` (Linux
/// `pipe(7)`), the most one `write` to a pipe puts in without interleaving
/// with other writers; about thirty access lines.
pub(crate) const MAX_BUFFERED: usize = 4096;

/// The longest a line waits in the buffer of a busy thread before the log
/// thread writes it.
pub(crate) const MAX_DELAY: Duration = Duration::from_millis(5);

/// One thread's buffer.
#[derive(Default)]
struct Buffer {
    text: String,
    /// When the oldest line in `text` was added.
    since: Option<Instant>,
}

impl Buffer {
    /// Writes what is buffered, in one `eprint!`.
    fn write_out(&mut self) {
        if self.text.is_empty() {
            return;
        }
        self.since = None;
        // `eprint!` panics if stderr is gone: that costs the lines, never
        // the thread.
        let text = &self.text;
        let _ = std::panic::catch_unwind(|| eprint!("{text}"));
        self.text.clear();
    }
}

/// What the pool threads and the log thread share.
#[derive(Default)]
struct Shared {
    threads: Mutex<Vec<Arc<Mutex<Buffer>>>>,
    /// A buffer went from empty to holding a line since the log thread
    /// last looked.
    pending: Mutex<bool>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Shared {
    /// Writes every buffer holding a line older than [`MAX_DELAY`] at `now`,
    /// or every buffer at all with `now` `None`. Returns whether lines are
    /// left (newer ones).
    fn write_stale(&self, now: Option<Instant>) -> bool {
        let threads = lock(&self.threads).clone();
        let mut left = false;
        for buffer in threads {
            let mut b = lock(&buffer);
            let stale = match (now, b.since) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(now), Some(since)) => now.saturating_duration_since(since) >= MAX_DELAY,
            };
            if stale {
                b.write_out();
            }
            left |= b.since.is_some();
        }
        left
    }

    fn notify(&self) {
        *lock(&self.pending) = true;
        self.wake.notify_one();
    }

    /// The log thread: waits for a line, lets it age [`MAX_DELAY`] (its
    /// thread may write it first), then writes what is stale; until stopped.
    fn run(&self) {
        loop {
            let mut pending = lock(&self.pending);
            while !*pending && !self.stop.load(Ordering::SeqCst) {
                pending = self.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
            }
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            *pending = false;
            drop(pending);
            std::thread::sleep(MAX_DELAY);
            if self.write_stale(Some(Instant::now())) {
                *lock(&self.pending) = true;
            }
        }
    }
}

/// The buffers of one server's pool threads, and its log thread.
pub(crate) struct LogBuffers {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// A pool thread's buffer, and whom to tell when it starts holding a line.
type Mine = (Arc<Mutex<Buffer>>, Arc<Shared>);

thread_local! {
    /// This thread's buffer, while it is a pool thread.
    static MINE: RefCell<Option<Mine>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LogBuffers {
    /// Buffers with their log thread (`None` if it cannot start: then each
    /// pool thread writes its lines at once, as CPython does).
    pub(crate) fn new() -> Self {
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("bh-log".into())
            .spawn(move || for_thread.run())
            .ok();
        LogBuffers {
            shared,
            writer: Mutex::new(writer),
        }
    }

    /// Gives the calling thread a buffer until the returned guard drops
    /// (which writes what is left). Without a log thread, none.
    pub(crate) fn attach(&self) -> Attached<'_> {
        let buffer = Arc::new(Mutex::new(Buffer::default()));
        if lock(&self.writer).is_some() {
            lock(&self.shared.threads).push(Arc::clone(&buffer));
            MINE.with(|m| {
                *m.borrow_mut() = Some((Arc::clone(&buffer), Arc::clone(&self.shared)));
            });
        }
        Attached {
            buffers: self,
            buffer,
        }
    }

    /// Stops the log thread and writes every buffer (the shutdown).
    pub(crate) fn finish(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.notify();
        if let Some(writer) = lock(&self.writer).take() {
            let _ = writer.join();
        }
        self.shared.write_stale(None);
    }
}

impl Drop for LogBuffers {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A pool thread's hold on its buffer.
pub(crate) struct Attached<'a> {
    buffers: &'a LogBuffers,
    buffer: Arc<Mutex<Buffer>>,
}

impl Attached<'_> {
    /// Whether lines wait to be written.
    pub(crate) fn holds_lines(&self) -> bool {
        lock(&self.buffer).since.is_some()
    }

    /// Writes what is buffered (the thread is about to wait for work).
    pub(crate) fn write_out(&self) {
        lock(&self.buffer).write_out();
    }
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        MINE.with(|m| m.borrow_mut().take());
        self.write_out();
        lock(&self.buffers.shared.threads).retain(|b| !Arc::ptr_eq(b, &self.buffer));
    }
}

/// Logs `line` (whole lines, each ending in a newline): into this thread's
/// buffer on a pool thread, else straight to stderr.
pub(crate) fn log_line(line: &str) {
    let buffered = MINE.with(|m| {
        let mine = m.borrow();
        let Some((buffer, shared)) = mine.as_ref() else {
            return false;
        };
        let mut b = lock(buffer);
        if b.text.len() + line.len() > MAX_BUFFERED {
            b.write_out();
        }
        if b.text.capacity() == 0 {
            b.text.reserve(MAX_BUFFERED);
        }
        b.text.push_str(line);
        if b.since.is_none() {
            b.since = Some(Instant::now());
            drop(b);
            shared.notify();
        }
        true
    });
    if !buffered {
        eprint!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_in_the_buffer_until_written_out() {
        let buffers = LogBuffers::new();
        let attached = buffers.attach();
        assert!(!attached.holds_lines());
        log_line("one\n");
        log_line("two\n");
        assert!(attached.holds_lines());
        // Not stale yet at the moment it was added.
        let now = Instant::now() - Duration::from_secs(1);
        assert!(buffers.shared.write_stale(Some(now)));
        assert!(attached.holds_lines());
        assert!(!buffers.shared.write_stale(Some(Instant::now() + MAX_DELAY)));
        assert!(!attached.holds_lines());
        log_line("three\n");
        buffers.shared.write_stale(None);
        assert!(!attached.holds_lines());
        log_line("four\n");
        drop(attached);
        // Detached: written at once, nothing registered.
        log_line("five\n");
        assert!(lock(&buffers.shared.threads).is_empty());
    }

    #[test]
    fn a_full_buffer_is_written_before_the_next_line() {
        let buffers = LogBuffers::new();
        let attached = buffers.attach();
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..(MAX_BUFFERED / line.len()) {
            log_line(&line);
        }
        let held = lock(&attached.buffer).text.len();
        assert!(held <= MAX_BUFFERED && held + line.len() > MAX_BUFFERED);
        log_line(&line);
        assert_eq!(lock(&attached.buffer).text, line);
    }
}
