//! Where log lines go. CPython's `log_message` writes each line to
//! `sys.stderr` at once, one `write` per request; on the engine's pool
//! threads a line is appended to the thread's own buffer instead, and the
//! buffer is written in one `write` when it fills ([`MAX_BUFFERED`]), when
//! the thread is about to wait for work, when the time keeper finds it
//! holding a line for [`MAX_DELAY`] (a thread busy in a long handler), when
//! the thread exits and at the shutdown. The format is unchanged; a buffer
//! holds whole lines and is written under the stderr lock, so lines of
//! different threads never interleave. Every other thread (`HttpServer`,
//! the test client, a thread of the user's) writes each line at once, as
//! CPython does.
//!
//! Lines are written with `eprint!`, so `cargo test` captures them as it
//! captures CPython-style logging on any thread.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Bytes a thread buffers before it writes them: about forty access lines,
/// below the 64 KiB a pipe takes without blocking (Linux `pipe(7)`).
pub(crate) const MAX_BUFFERED: usize = 8 * 1024;

/// The longest a line waits in the buffer of a busy thread before the time
/// keeper writes it (the keeper looks every 5 ms while connections are
/// open).
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
        // the thread (the time keeper writes others' buffers too).
        let text = &self.text;
        let _ = std::panic::catch_unwind(|| eprint!("{text}"));
        self.text.clear();
        if self.text.capacity() > 4 * MAX_BUFFERED {
            self.text.shrink_to(MAX_BUFFERED);
        }
    }
}

/// The buffers of one server's pool threads.
#[derive(Default)]
pub(crate) struct LogBuffers {
    threads: Mutex<Vec<Arc<Mutex<Buffer>>>>,
}

thread_local! {
    /// This thread's buffer, while it is a pool thread.
    static MINE: RefCell<Option<Arc<Mutex<Buffer>>>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LogBuffers {
    /// Gives the calling thread a buffer until the returned guard drops
    /// (which writes what is left).
    pub(crate) fn attach(&self) -> Attached<'_> {
        let buffer = Arc::new(Mutex::new(Buffer::default()));
        lock(&self.threads).push(Arc::clone(&buffer));
        MINE.with(|m| *m.borrow_mut() = Some(Arc::clone(&buffer)));
        Attached {
            buffers: self,
            buffer,
        }
    }

    /// Writes every buffer holding a line older than [`MAX_DELAY`] at `now`
    /// (the time keeper), or every buffer at all with `now` `None` (the
    /// shutdown).
    pub(crate) fn write_stale(&self, now: Option<Instant>) {
        let threads = lock(&self.threads).clone();
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
        }
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
        lock(&self.buffers.threads).retain(|b| !Arc::ptr_eq(b, &self.buffer));
    }
}

/// Logs `line` (whole lines, each ending in a newline): into this thread's
/// buffer on a pool thread, else straight to stderr.
pub(crate) fn log_line(line: &str) {
    let buffered = MINE.with(|m| {
        let mine = m.borrow();
        let Some(buffer) = mine.as_ref() else {
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
        b.since.get_or_insert_with(Instant::now);
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
        let buffers = LogBuffers::default();
        let attached = buffers.attach();
        assert!(!attached.holds_lines());
        log_line("one\n");
        log_line("two\n");
        assert!(attached.holds_lines());
        // Not stale yet at the moment it was added.
        let now = Instant::now() - Duration::from_secs(1);
        buffers.write_stale(Some(now));
        assert!(attached.holds_lines());
        buffers.write_stale(Some(Instant::now() + MAX_DELAY));
        assert!(!attached.holds_lines());
        log_line("three\n");
        buffers.write_stale(None);
        assert!(!attached.holds_lines());
        log_line("four\n");
        drop(attached);
        // Detached: written at once, nothing registered.
        log_line("five\n");
        assert!(lock(&buffers.threads).is_empty());
    }

    #[test]
    fn a_full_buffer_is_written_before_the_next_line() {
        let buffers = LogBuffers::default();
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
