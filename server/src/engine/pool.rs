//! The engine's pool of threads (CPython's `ThreadingMixIn` starts a
//! thread per connection; Go's scheduler and Apache's event MPM keep a pool
//! that grows when threads block): which threads wait on the poller, which
//! are spares, the events handed to spares, stall detection, the cap, and
//! retirement. Bookkeeping only: `engine.rs` starts the threads and runs
//! the events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::lock;
use crate::poller::Event;

/// A thread on one event this long is stalled (a CGI script, a slow
/// upload, a handler that sleeps): once every thread waiting for events is
/// stalled, spare threads take over.
pub(super) const STALL_AFTER: Duration = Duration::from_millis(5);

/// The pool's bookkeeping: which threads wait on the poller, which are
/// spares, and the events handed to spares.
pub(super) struct Pool {
    /// Threads that wait on the poller when none is stalled: one per core.
    pub(super) target: usize,
    /// Threads started up front, which never retire.
    pub(super) base: usize,
    /// Most threads at once (`ServerConfig::max_threads`).
    pub(super) max: usize,
    /// Threads alive (started and not exited).
    pub(super) live: AtomicUsize,
    /// Threads in the waiting role: on the poller, or on an event from it.
    pub(super) active: AtomicUsize,
    /// Work for spares, under one lock.
    pub(super) spares: Mutex<Spares>,
    pub(super) spare_woken: Condvar,
    /// Items in `spares.handed` (read without the lock).
    pub(super) handed: AtomicUsize,
    /// Per thread id: nanoseconds since `epoch` when it took its current
    /// event, or 0 while it waits.
    pub(super) busy_since: Vec<AtomicU64>,
    /// Thread ids in use below this.
    pub(super) high_id: AtomicUsize,
    pub(super) free_ids: Mutex<Vec<usize>>,
    pub(super) epoch: Instant,
    /// The cap was met once (logged once).
    pub(super) cap_met: AtomicBool,
    /// How long a spare beyond `base` waits for work before it exits.
    pub(super) retire_after: Duration,
}

#[derive(Default)]
pub(super) struct Spares {
    /// Spares asked to become waiting threads.
    pub(super) promoted: usize,
    /// Events taken off the poller for spares to run.
    pub(super) handed: VecDeque<Event>,
    /// Spares waiting for work.
    pub(super) waiting: usize,
    /// Threads started and not yet waiting.
    pub(super) starting: usize,
}

/// What a spare woke up for.
pub(super) enum Wake {
    Promoted,
    Run(Event),
    Retire,
    Stop,
}

impl Pool {
    pub(super) fn new(base: usize, max: usize, retire_after: Duration) -> Self {
        let cores = thread::available_parallelism().map_or(2, |n| n.get());
        let max = max.max(base).max(1);
        let base = base.max(1);
        let target = cores.min(base).max(1);
        Pool {
            target,
            base,
            max,
            live: AtomicUsize::new(0),
            active: AtomicUsize::new(target),
            spares: Mutex::new(Spares::default()),
            spare_woken: Condvar::new(),
            handed: AtomicUsize::new(0),
            busy_since: (0..max).map(|_| AtomicU64::new(0)).collect(),
            high_id: AtomicUsize::new(0),
            free_ids: Mutex::new(Vec::new()),
            epoch: Instant::now(),
            cap_met: AtomicBool::new(false),
            retire_after,
        }
    }

    pub(super) fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// A free thread id (the lowest reused first), or `None` at the cap.
    pub(super) fn take_id(&self) -> Option<usize> {
        if let Some(id) = lock(&self.free_ids).pop() {
            return Some(id);
        }
        self.high_id
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
    }

    pub(super) fn release_id(&self, id: usize) {
        self.busy_since[id].store(0, Ordering::Relaxed);
        lock(&self.free_ids).push(id);
    }

    pub(super) fn mark_busy(&self, id: usize, busy: bool) {
        let v = if busy { self.now() } else { 0 };
        self.busy_since[id].store(v, Ordering::Relaxed);
    }

    /// How many threads have been on their current event longer than
    /// [`STALL_AFTER`].
    pub(super) fn stalled(&self) -> usize {
        self.stalled_at(self.now())
    }

    pub(super) fn stalled_at(&self, now: u64) -> usize {
        let limit = u64::try_from(STALL_AFTER.as_nanos()).unwrap_or(u64::MAX);
        let high = self
            .high_id
            .load(Ordering::SeqCst)
            .min(self.busy_since.len());
        self.busy_since[..high]
            .iter()
            .filter(|b| {
                let t = b.load(Ordering::Relaxed);
                t != 0 && now.saturating_sub(t) > limit
            })
            .count()
    }

    /// Whether waiting thread `id`, done with an event, should become a
    /// spare: more threads wait than there are cores besides the stalled
    /// ones (a thread stays while the threads it stands in for are still
    /// stuck). The first `target` threads always wait, so that the ones
    /// that stand down are those that may retire.
    pub(super) fn stand_down(&self, id: usize) -> bool {
        if id < self.target || self.active.load(Ordering::SeqCst) <= self.target {
            return false;
        }
        let stalled = self.stalled();
        self.active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |a| {
                (a > self.target + stalled).then(|| a - 1)
            })
            .is_ok()
    }

    /// How long the waiting thread longest on one event has been on it.
    pub(super) fn longest_stall(&self) -> Duration {
        let now = self.now();
        let high = self
            .high_id
            .load(Ordering::SeqCst)
            .min(self.busy_since.len());
        let oldest = self.busy_since[..high]
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .filter(|&t| t != 0)
            .min();
        oldest.map_or(Duration::ZERO, |t| {
            Duration::from_nanos(now.saturating_sub(t))
        })
    }

    /// Whether every waiting thread is stalled (no thread is free to take
    /// the next event).
    pub(super) fn all_stalled(&self) -> bool {
        self.stalled() >= self.active.load(Ordering::SeqCst)
    }

    /// Threads alive.
    pub(super) fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Queues work for a spare (a promotion when `event` is `None`) and
    /// wakes one; [`behind`](Self::behind) says whether threads must start
    /// for it.
    pub(super) fn queue(&self, event: Option<Event>) {
        let mut s = lock(&self.spares);
        match event {
            Some(ev) => {
                s.handed.push_back(ev);
                self.handed.fetch_add(1, Ordering::SeqCst);
            }
            None => {
                s.promoted += 1;
                self.active.fetch_add(1, Ordering::SeqCst);
            }
        }
        if s.waiting > 0 {
            self.spare_woken.notify_one();
        }
    }

    /// How many more spares the handed events need: more events wait than
    /// spares wait or start, and the cap allows that many more threads.
    pub(super) fn behind(&self) -> usize {
        let s = lock(&self.spares);
        let need = (s.promoted + s.handed.len()).saturating_sub(s.waiting + s.starting);
        let room = self.max.saturating_sub(self.live.load(Ordering::SeqCst));
        need.min(room)
    }

    /// Takes an event handed to spares, if any (any free thread may).
    pub(super) fn take_handed(&self) -> Option<Event> {
        if self.handed.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let ev = lock(&self.spares).handed.pop_front();
        if ev.is_some() {
            self.handed.fetch_sub(1, Ordering::SeqCst);
        }
        ev
    }

    /// A spare's wait for work; `started`: its first wait.
    pub(super) fn wait_spare(&self, id: usize, started: bool, stop: &dyn Fn() -> bool) -> Wake {
        let mut s = lock(&self.spares);
        if started {
            s.starting -= 1;
        }
        s.waiting += 1;
        let wake = loop {
            if stop() {
                break Wake::Stop;
            }
            if let Some(ev) = s.handed.pop_front() {
                self.handed.fetch_sub(1, Ordering::SeqCst);
                break Wake::Run(ev);
            }
            if s.promoted > 0 {
                s.promoted -= 1;
                break Wake::Promoted;
            }
            let (guard, timeout) = self
                .spare_woken
                .wait_timeout(s, self.retire_after)
                .unwrap_or_else(|e| e.into_inner());
            s = guard;
            if timeout.timed_out() && id >= self.base && s.handed.is_empty() && s.promoted == 0 {
                break Wake::Retire;
            }
        };
        s.waiting -= 1;
        wake
    }

    pub(super) fn wake_all(&self) {
        let _guard = lock(&self.spares);
        self.spare_woken.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poller::Event;

    fn event(token: u64) -> Event {
        Event {
            token,
            peer_shut: false,
        }
    }

    #[test]
    fn thread_ids_stop_at_the_cap_and_are_reused() {
        let pool = Pool::new(2, 3, Duration::from_secs(1));
        let ids: Vec<_> = (0..3).map(|_| pool.take_id().unwrap()).collect();
        assert_eq!(ids, [0, 1, 2]);
        assert_eq!(pool.take_id(), None, "past the cap");
        pool.release_id(1);
        assert_eq!(pool.take_id(), Some(1));
    }

    #[test]
    fn a_stall_counts_only_threads_long_on_one_event() {
        let pool = Pool::new(2, 4, Duration::from_secs(1));
        for _ in 0..3 {
            pool.take_id().unwrap();
        }
        let step = u64::try_from(STALL_AFTER.as_nanos()).unwrap();
        pool.busy_since[0].store(1, Ordering::Relaxed);
        pool.busy_since[1].store(step * 10, Ordering::Relaxed);
        // Thread 2 waits (0).
        assert_eq!(pool.stalled_at(step * 10 + 1), 1, "only thread 0 is old");
        assert_eq!(pool.stalled_at(step * 20 + 2), 2);
    }

    #[test]
    fn work_for_spares_asks_for_a_thread_only_when_none_is_free() {
        let pool = Pool::new(2, 3, Duration::from_secs(1));
        // No spare waits and no thread is alive: start one.
        pool.queue(Some(event(7)));
        assert!(pool.behind() > 0);
        lock(&pool.spares).starting += 1;
        // One is starting for the first item; a second item needs another.
        pool.queue(Some(event(8)));
        assert!(pool.behind() > 0);
        lock(&pool.spares).starting += 1;
        // At the cap, work waits.
        pool.live.store(3, Ordering::SeqCst);
        pool.queue(Some(event(9)));
        assert!(pool.behind() == 0);
        assert_eq!(pool.take_handed().map(|e| e.token), Some(7));
        assert_eq!(pool.handed.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_spare_takes_handed_work_then_promotion_then_retires() {
        let pool = Pool::new(1, 4, Duration::from_millis(20));
        let never = || false;
        pool.queue(Some(event(5)));
        pool.queue(None);
        lock(&pool.spares).starting = 1;
        match pool.wait_spare(2, true, &never) {
            Wake::Run(ev) => assert_eq!(ev.token, 5),
            _ => panic!("the handed event comes first"),
        }
        assert!(matches!(pool.wait_spare(2, false, &never), Wake::Promoted));
        // Nothing more: a thread beyond the base retires after its idle
        // time; a base thread would keep waiting.
        assert!(matches!(pool.wait_spare(2, false, &never), Wake::Retire));
        assert!(matches!(pool.wait_spare(0, false, &|| true), Wake::Stop));
        assert_eq!(lock(&pool.spares).waiting, 0);
    }

    #[test]
    fn a_waiting_thread_stands_down_when_more_wait_than_cores_need() {
        let pool = Pool::new(8, 16, Duration::from_secs(1));
        let target = pool.target;
        assert!(!pool.stand_down(target), "at the target nobody stands down");
        pool.active.store(target + 2, Ordering::SeqCst);
        assert!(!pool.stand_down(0), "the first threads always wait");
        assert!(pool.stand_down(target));
        assert_eq!(pool.active.load(Ordering::SeqCst), target + 1);
        // A stalled thread keeps its stand-in.
        for id in 0..target + 1 {
            assert_eq!(pool.take_id(), Some(id));
        }
        pool.busy_since[0].store(1, Ordering::Relaxed);
        let later = pool.now() + 2 * u64::try_from(STALL_AFTER.as_nanos()).unwrap();
        assert_eq!(pool.stalled_at(later), 1);
    }
}
