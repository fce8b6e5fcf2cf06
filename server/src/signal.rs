//! SIGINT / SIGTERM handling for the `basehttp` command: CPython's
//! `http.server.test()` catches `KeyboardInterrupt`, prints
//! `\nKeyboard interrupt received, exiting.` and exits 0; here the signal
//! starts a graceful [`shutdown`](crate::HttpServer::shutdown) instead, so
//! `serve_forever` returns once requests in flight are done.
//!
//! ```no_run
//! # use basehttp::prelude::*;
//! # struct H;
//! # #[http_handler] impl H { fn do_GET(&mut self, r: &mut Request) -> std::io::Result<()> { r.send_error(404) } }
//! # fn main() -> std::io::Result<()> {
//! let server = ThreadingHttpServer::bind(("127.0.0.1", 8000), || H)?;
//! basehttp::signal::shutdown_on_signals(server.info())?;
//! server.serve_forever()?; // returns after Ctrl-C (message already printed)
//! # Ok(()) }
//! ```

use std::io::{self, Write};
use std::sync::Arc;
use std::thread;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::server::ServerInfo;

/// CPython's message on `KeyboardInterrupt`, printed to stdout on SIGINT.
pub const KEYBOARD_INTERRUPT_MESSAGE: &str = "\nKeyboard interrupt received, exiting.";

/// Installs SIGINT and SIGTERM handlers that ask `server` to shut down
/// gracefully (SIGINT also prints [`KEYBOARD_INTERRUPT_MESSAGE`]). A second
/// signal exits the process at once with status 128 + signal number.
///
/// # Errors
/// If the handlers or the thread that waits for signals cannot be set up.
pub fn shutdown_on_signals(server: &Arc<ServerInfo>) -> io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let info = Arc::clone(server);
    thread::Builder::new()
        .name("basehttp-signal".to_owned())
        .spawn(move || {
            let mut first = true;
            for sig in signals.forever() {
                if !first {
                    std::process::exit(128 + sig);
                }
                first = false;
                if sig == SIGINT {
                    let mut out = io::stdout().lock();
                    let _ = writeln!(out, "{KEYBOARD_INTERRUPT_MESSAGE}");
                    let _ = out.flush();
                }
                info.request_shutdown();
            }
        })?;
    Ok(())
}
