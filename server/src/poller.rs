//! The one OS readiness mechanism the servers wait on (CPython's
//! `selectors.DefaultSelector` under `socketserver.serve_forever`): Linux
//! `epoll` through rustix, edge-triggered, with an eventfd that wakes every
//! waiter at once for the shutdown.
//!
//! Everything else in the crate sees only [`Poller`], [`Interest`] and
//! [`Event`]. A port to macOS or the BSDs adds a kqueue backend with the
//! same operations: `add`/`modify` as `EVFILT_READ` and `EVFILT_WRITE`
//! filters with `EV_CLEAR` (edge-triggered), the peer's shutdown from
//! `EV_EOF`, and the waker as an `EVFILT_USER` event. The other Linux-only
//! pieces a port needs are `sendfile(2)` (`crate::sendfile`, whose
//! signature differs on the BSDs and macOS) and the CGI runner's pidfd
//! (it already falls back to polling `waitid`).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::{EventfdFlags, Timespec, epoll, eventfd};

/// The token of the waker's event.
pub(crate) const WAKE: u64 = u64::MAX;

/// What a registration waits for (always edge-triggered: one event per
/// change of state, so the owner must take all there is before waiting
/// again). The peer's shutdown is always reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interest {
    /// Input arrived (or the peer shut its side).
    pub(crate) read: bool,
    /// The socket can take more output.
    pub(crate) write: bool,
}

impl Interest {
    /// Input only.
    pub(crate) const READ: Interest = Interest {
        read: true,
        write: false,
    };
    /// Input and output.
    pub(crate) const READ_WRITE: Interest = Interest {
        read: true,
        write: true,
    };

    fn flags(self) -> epoll::EventFlags {
        let mut f = epoll::EventFlags::ET | epoll::EventFlags::RDHUP;
        if self.read {
            f |= epoll::EventFlags::IN;
        }
        if self.write {
            f |= epoll::EventFlags::OUT;
        }
        f
    }
}

/// One readiness event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    /// What the descriptor was registered with ([`WAKE`] for the waker).
    pub(crate) token: u64,
    /// The peer shut its side, or the connection failed: no further event
    /// will say so.
    pub(crate) peer_shut: bool,
}

/// `d` as the kernel's `timespec` (a duration too long for it waits as
/// long as it can).
pub(crate) fn timespec(d: Duration) -> Timespec {
    Timespec::try_from(d).unwrap_or(Timespec {
        tv_sec: i64::MAX,
        tv_nsec: 0,
    })
}

/// Room for the events of one wait.
pub(crate) struct Events(Vec<epoll::Event>);

impl Events {
    /// Room for `n` events.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Events(Vec::with_capacity(n.max(1)))
    }

    /// Whether the last wait returned none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many the last wait returned.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Takes the events of the last wait.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        let shut = epoll::EventFlags::RDHUP | epoll::EventFlags::HUP | epoll::EventFlags::ERR;
        self.0.drain(..).map(move |ev| {
            let (flags, data) = (ev.flags, ev.data);
            Event {
                token: data.u64(),
                peer_shut: flags.intersects(shut),
            }
        })
    }
}

/// An epoll set and its waker.
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// Written once to wake every waiter; never read, so it stays readable.
    waker: OwnedFd,
}

impl Poller {
    /// A new, empty set with its waker registered.
    pub(crate) fn new() -> io::Result<Self> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let waker = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // Level-triggered: each waiter that takes its event leaves it queued
        // for the next, so one write wakes them all.
        epoll::add(
            &epoll,
            &waker,
            epoll::EventData::new_u64(WAKE),
            epoll::EventFlags::IN,
        )?;
        Ok(Poller { epoll, waker })
    }

    /// Registers `fd` under `token`. Readiness that already holds raises
    /// the first event at once.
    pub(crate) fn add(&self, fd: impl AsFd, token: u64, interest: Interest) -> io::Result<()> {
        epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(token),
            interest.flags(),
        )?;
        Ok(())
    }

    /// Changes what `fd` is registered for (re-arming its edge: a state
    /// that already holds raises an event).
    pub(crate) fn modify(&self, fd: impl AsFd, token: u64, interest: Interest) -> io::Result<()> {
        epoll::modify(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(token),
            interest.flags(),
        )?;
        Ok(())
    }

    /// Waits for events, as many as `out` has room for (`None`: without a
    /// time limit; zero: only those already queued), replacing what `out`
    /// held. An interrupted wait returns no event.
    pub(crate) fn wait(&self, out: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        out.0.clear();
        let timeout = timeout.map(timespec);
        match epoll::wait(&self.epoll, spare_capacity(&mut out.0), timeout.as_ref()) {
            Ok(_) => Ok(()),
            Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Wakes every waiter, now and from now on (the shutdown).
    pub(crate) fn wake(&self) {
        let _ = rustix::io::write(&self.waker, &1u64.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn reports_input_once_per_edge_and_the_peer_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let poller = Poller::new().unwrap();
        poller.add(&server, 7, Interest::READ).unwrap();
        let mut events = Events::with_capacity(4);
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "nothing arrived yet");
        client.write_all(b"x").unwrap();
        poller.wait(&mut events, None).unwrap();
        let got: Vec<Event> = events.drain().collect();
        assert_eq!(
            got,
            [Event {
                token: 7,
                peer_shut: false
            }]
        );
        // Edge-triggered: the byte still unread raises no second event.
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
        client.shutdown(std::net::Shutdown::Write).unwrap();
        poller.wait(&mut events, None).unwrap();
        assert!(events.drain().next().unwrap().peer_shut);
    }

    #[test]
    fn writability_is_reported_after_modify_and_the_waker_stays_raised() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let poller = Poller::new().unwrap();
        poller.add(&server, 1, Interest::READ).unwrap();
        let mut events = Events::with_capacity(4);
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
        // An empty send buffer is writable at once.
        poller.modify(&server, 1, Interest::READ_WRITE).unwrap();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events.drain().next().unwrap().token, 1);
        poller.wake();
        for _ in 0..3 {
            poller.wait(&mut events, None).unwrap();
            assert_eq!(events.drain().next().unwrap().token, WAKE);
        }
    }
}
