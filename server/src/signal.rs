//! SIGINT and SIGTERM as a graceful shutdown: what `KeyboardInterrupt`
//! ending `serve_forever()` is in a Python script
//! ([`HttpServer::serve_until_signal`]) and, with CPython's message, in
//! `python -m http.server` (the `basehttp` binary). One watcher thread on
//! signal-hook's safe iterator; the requests in flight finish first.
//!
//! [`HttpServer::serve_until_signal`]: crate::HttpServer::serve_until_signal

use std::io::{self, Write};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use signal_hook::iterator::backend::Handle;

use crate::info::ServerInfo;

/// The watcher [`shutdown_on_signals`] starts; dropping it removes the
/// signal handlers and ends its thread.
#[must_use = "the handlers are removed when this is dropped"]
#[derive(Debug)]
pub struct ShutdownOnSignals {
    handle: Handle,
    watcher: Option<JoinHandle<()>>,
}

/// Starts a thread that waits for SIGINT or SIGTERM: the first asks
/// `server` to shut down gracefully (printing `on_interrupt` to stdout
/// first, if given and the signal is SIGINT, as CPython's `test()` prints
/// `Keyboard interrupt received, exiting.`); a second one gets the signal's
/// default action (the process ends at once).
///
/// # Errors
/// If the handlers cannot be installed or the thread cannot start.
pub fn shutdown_on_signals(
    server: &Arc<ServerInfo>,
    on_interrupt: Option<&'static str>,
) -> io::Result<ShutdownOnSignals> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    let info = Arc::clone(server);
    let watcher = thread::Builder::new()
        .name("basehttp-signal".to_owned())
        .spawn(move || {
            let mut first = true;
            for sig in signals.forever() {
                if !first {
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                }
                first = false;
                if let Some(message) = on_interrupt.filter(|_| sig == SIGINT) {
                    let mut out = io::stdout().lock();
                    let _ = writeln!(out, "{message}");
                    let _ = out.flush();
                }
                info.request_shutdown();
            }
        })?;
    Ok(ShutdownOnSignals {
        handle,
        watcher: Some(watcher),
    })
}

impl Drop for ShutdownOnSignals {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}

/// Runs `serve` (the server's `serve_forever`) under
/// [`shutdown_on_signals`], with no message; the handlers are removed when
/// `serve` returns.
pub(crate) fn serve_until_signal(
    server: &Arc<ServerInfo>,
    serve: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let _watch = shutdown_on_signals(server, None)?;
    serve()
}
