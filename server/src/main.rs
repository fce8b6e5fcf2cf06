//! The `basehttp` command: a drop-in `python -m http.server` (CPython 3.15
//! `http.server._main` / `test()`), serving files (or CGI scripts) on
//! `ThreadingHttpServer`'s connection engine. Started by systemd with
//! a socket (`LISTEN_FDS`), it serves that socket instead of binding.
//!
//! `basehttp [-h] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [--cgi] [--cgi-rfc3875]
//! [--content-type CONTENT_TYPE] [--tls-cert PATH] [--tls-key PATH]
//! [--tls-password-file PATH] [-H HEADER VALUE] [--spa[=FILE]] [--cors]
//! [--isolate] [--no-cache] [--compress] [--upload[=DIR]] [--overwrite]
//! [--auth USER:PASS] [--auth-writes-only] [--urls] [--qr] [--no-dotfiles]
//! [--symlinks {follow,inside,off}] [--archive] [port]`

mod cli;
mod reach;

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use basehttp::__private::{ShutdownOnSignals, shutdown_on_signals};
use basehttp::handlers::{BasicAuth, CgiHttpRequestHandler, SimpleHttpRequestHandler, Upload};
use basehttp::{
    Handler, ServerConfig, ServerInfo, ThreadingHttpServer, ThreadingHttpsServer, TlsConfig,
};
use cli::{Args, PROG, UsageError};

fn main() -> ExitCode {
    // Run as root with `--cgi`, scripts start from a spawner process that is
    // this executable again (in which this call never returns).
    basehttp::handlers::cgi::enable_spawner();
    let args = match Args::parse(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e @ UsageError::Help) => {
            print!("{e}");
            let _ = io::stdout().flush();
            return ExitCode::from(e.exit_code());
        }
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(e.exit_code());
        }
    };
    // `_main` opens the password file right after parsing: a usage error.
    if let Err(e) = args.check_tls_password_file() {
        eprint!("{e}");
        return ExitCode::from(e.exit_code());
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{PROG}: error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `test()`: load the TLS files, bind, print the banner, serve until killed.
fn run(args: Args) -> io::Result<()> {
    // As `HTTPSServer.__init__`, which loads the chain before binding: a bad
    // file is reported before anything listens.
    let tls = match &args.tls_cert {
        Some(cert) => {
            // `load_cert_chain(certfile, keyfile=None)`: the key may sit in
            // the certificate file.
            let key = args.tls_key.as_ref().unwrap_or(cert);
            Some(match args.tls_password_file() {
                Some(file) => TlsConfig::from_pem_files_with_password_file(cert, key, file)?,
                None => TlsConfig::from_pem_files(cert, key)?,
            })
        }
        None => None,
    };
    let directory = match &args.directory {
        Some(d) => PathBuf::from(d),
        None => std::env::current_dir()?,
    };
    let mut files = SimpleHttpRequestHandler::new(directory)
        .with_protocol_version(args.protocol.clone())
        .with_default_content_type(args.content_type.clone());
    for (name, value) in &args.headers {
        files = files.with_header(name.clone(), value.clone());
    }
    if let Some(page) = &args.spa {
        files = files.with_spa(page);
    }
    files = files
        .with_dotfiles(!args.no_dotfiles)
        .with_symlinks(args.symlinks)
        .with_archive(args.archive);
    files = files
        .with_cors(args.cors)
        .with_isolate(args.isolate)
        .with_no_cache(args.no_cache)
        .with_compress(args.compress);
    if let Some(dir) = &args.upload {
        files = files.with_upload(Some(Upload {
            dir: dir.as_ref().map(PathBuf::from),
            overwrite: args.overwrite,
        }));
    }
    if !args.auth.is_empty() {
        let mut auth = BasicAuth::default().writes_only(args.auth_writes_only);
        for spec in &args.auth {
            // Checked by the parser already.
            auth = auth.and(spec).map_err(io::Error::other)?;
        }
        files = files.with_auth(Some(auth));
    }
    // Socket activation is an environment contract, not a flag: with a
    // socket from systemd, `--bind` and the port are not used.
    let listener = match basehttp::systemd_listener()? {
        Some(listener) => listener,
        None => bind(args.bind.as_deref(), args.port)?,
    };
    for (preset, what) in &args.presets {
        // On stderr, like `--urls`: stdout stays CPython's.
        eprintln!("{preset}: {what}");
    }
    let reach = Reach {
        urls: args.urls,
        qr: args.qr,
    };
    if args.cgi || args.cgi_rfc3875 {
        let mut cgi = CgiHttpRequestHandler::with_files(files);
        cgi.rfc3875 = args.cgi_rfc3875;
        serve(listener, move || cgi.clone(), tls, reach)
    } else {
        serve(listener, move || files.clone(), tls, reach)
    }
}

/// Serves `factory`'s handlers on `listener`, over TLS if `tls` is set.
fn serve<H: Handler>(
    listener: TcpListener,
    factory: impl Fn() -> H + Send + Sync + 'static,
    tls: Option<TlsConfig>,
    reach: Reach,
) -> io::Result<()> {
    let config = ServerConfig::default();
    match tls {
        None => {
            let server = ThreadingHttpServer::from_listener(listener, factory, config)?;
            let _signals = announce(server.info(), "http", reach)?;
            server.serve_forever()
        }
        Some(tls) => {
            let server = ThreadingHttpsServer::from_listener(listener, factory, tls, config)?;
            let _signals = announce(server.info(), "https", reach)?;
            server.serve_forever()
        }
    }
}

/// CPython's message on `KeyboardInterrupt`, printed to stdout on SIGINT.
const KEYBOARD_INTERRUPT_MESSAGE: &str = "\nKeyboard interrupt received, exiting.";

/// Installs the signal handling, then prints `Serving HTTP(S) on HOST port
/// PORT (scheme://HOST:PORT/) ...` (so a signal sent once the line is read
/// is handled). `test()`'s `except KeyboardInterrupt`: SIGINT prints
/// CPython's message; SIGINT and SIGTERM start a graceful shutdown, so
/// `serve_forever` returns and the process exits 0 once requests in flight
/// are done; a second signal ends the process at once.
fn announce(server: &Arc<ServerInfo>, scheme: &str, reach: Reach) -> io::Result<ShutdownOnSignals> {
    let addr = server.server_address();
    let host = addr.ip().to_string();
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let port = addr.port();
    let signals = shutdown_on_signals(server, Some(KEYBOARD_INTERRUPT_MESSAGE))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Serving {} on {host} port {port} ({scheme}://{url_host}:{port}/) ...",
        scheme.to_ascii_uppercase()
    )?;
    out.flush()?;
    if reach.urls {
        // On stderr: stdout stays CPython's, line for line.
        let urls = reach::urls(addr, scheme);
        let mut text = String::from("Open it at:\n");
        for url in &urls {
            text.push_str(&format!("  {url}\n"));
        }
        // The first address other machines can use, else loopback.
        let lan = urls.get(1).or(urls.first());
        if reach.qr
            && let Some(qr) = lan.and_then(|u| reach::qr_lines(u))
        {
            text.push_str(&qr);
        }
        eprint!("{text}");
    }
    Ok(signals)
}

/// What `announce` adds on stderr (`--urls`, `--qr`).
#[derive(Clone, Copy)]
struct Reach {
    urls: bool,
    qr: bool,
}

/// `_get_best_family(bind, port)` + `DualStackServer.server_bind`: with no
/// address, `::` with `IPV6_V6ONLY` off (IPv4 too), else `0.0.0.0`; with an
/// address or host name, its first resolved address.
fn bind(host: Option<&str>, port: u16) -> io::Result<TcpListener> {
    let addr = match host {
        None => {
            let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
            match listen_on(any6) {
                Ok(l) => return Ok(l),
                Err(e) if ipv6_unavailable(&e) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
                Err(e) => return Err(bind_error(any6, e)),
            }
        }
        Some(h) => {
            let h = h
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(h);
            (h, port)
                .to_socket_addrs()
                .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {h:?}: {e}")))?
                .next()
                .ok_or_else(|| io::Error::other(format!("cannot resolve {h:?}")))?
        }
    };
    listen_on(addr).map_err(|e| bind_error(addr, e))
}

fn bind_error(addr: SocketAddr, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot bind to {addr}: {e}"))
}

fn ipv6_unavailable(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(c) if c == rustix::io::Errno::AFNOSUPPORT.raw_os_error()
            || c == rustix::io::Errno::ADDRNOTAVAIL.raw_os_error()
    )
}

/// A listening socket as the library makes it (close-on-exec,
/// `SO_REUSEADDR`, backlog `LISTEN_BACKLOG`: CPython's `request_queue_size`
/// of 5 makes clients wait for SYN retransmits under load), and for IPv6
/// `IPV6_V6ONLY` off, as CPython's `DualStackServer`.
fn listen_on(addr: SocketAddr) -> io::Result<TcpListener> {
    let mut config = ServerConfig::default();
    config.dual_stack = true;
    basehttp::listen(addr, &config)
}
