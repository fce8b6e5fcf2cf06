//! Graceful Ctrl-C for library users ([`HttpServer::serve_until_signal`]):
//! what `KeyboardInterrupt` ending `serve_forever()` is in a Python script,
//! with the requests in flight finished first. The `basehttp` command has
//! its own handling (CPython's message and exit status, in `main.rs`).
//!
//! [`HttpServer::serve_until_signal`]: crate::HttpServer::serve_until_signal

use std::io;
use std::sync::Arc;
use std::thread;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::info::ServerInfo;

/// Runs `serve` (the server's `serve_forever`) while a thread waits for
/// SIGINT or SIGTERM: the first asks `server` to shut down gracefully, a
/// second one gets the signal's default action (the process ends at once).
/// The handlers are removed when `serve` returns.
pub(crate) fn serve_until_signal(
    server: &Arc<ServerInfo>,
    serve: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
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
                info.request_shutdown();
            }
        })?;
    let result = serve();
    handle.close();
    let _ = watcher.join();
    result
}
