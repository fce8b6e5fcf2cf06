//! Port of CPython 3.14's `CGIHTTPRequestHandler` (`Lib/http/server.py`;
//! removed from 3.15): serves files like `SimpleHTTPRequestHandler` and runs
//! executables under `cgi_directories` as CGI/1.1 scripts.
//!
//! [`CgiHttpRequestHandler`] is the stock handler; [`CgiHandler`] is its
//! overridable surface on top of [`FileHandler`], for types that extend it.
//!
//! Differences from CPython (see `docs/cgi.md`): a path with too many `..`
//! is a 404 instead of a dropped connection; a hanging script is killed after
//! [`CgiHttpRequestHandler::timeout`]; a client that goes away kills the
//! script; the connection always closes after script output (it has no
//! framing); chunked request bodies are decoded and streamed to the script;
//! and an opt-in RFC 3875 mode honours `Status:` and `Location:` and passes
//! every request header as `HTTP_*`. Run as root, scripts run as `nobody`
//! as in CPython, started by a spawner process instead of a fork of the
//! server in an executable that calls [`enable_spawner`].

mod env;

pub use env::EscapesRoot;
mod rfc3875;
mod runner;
mod spawner;

pub use spawner::enable_spawner;

use std::borrow::Cow;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::files::{self, Body, FileHandler, SimpleHttpRequestHandler};
use crate::handler::Base;
use crate::pystr::py_repr;
use crate::request::Class;
use crate::request::Request;
use crate::stream::Rfile;
use crate::transport::Detached;
use env::{CgiRequest, cgi_environ, query_argument, split_cgi_path, url_collapse_path};
#[cfg(any(test, fuzzing))]
pub(crate) use rfc3875::fuzz_script_head;
use runner::{Ending, ScriptCommand};

/// CPython's default `cgi_directories`.
pub const CGI_DIRECTORIES: [&str; 2] = ["/cgi-bin", "/htbin"];

/// The default script timeout: long enough for any interactive CGI script,
/// short enough that a hung one doesn't hold a worker for long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `server_version` of the 3.14 `SimpleHTTPRequestHandler`, which the CGI
/// handler inherits (3.15 dropped the `/0.6` along with the CGI handler).
pub const SERVER_VERSION: &str = "SimpleHTTP/0.6";

/// CPython's `CGIHTTPRequestHandler`: files everywhere, CGI scripts under
/// [`cgi_directories`](Self::cgi_directories).
///
/// Answers `GET`, `HEAD` (both run scripts, as CPython does) and `POST`
/// (scripts only; elsewhere `501 Can only POST to CGI scripts`).
///
/// ```no_run
/// use basehttp::ThreadingHttpServer;
/// use basehttp::handlers::CgiHttpRequestHandler;
///
/// let cgi = CgiHttpRequestHandler::new("/srv/www");
/// let server = ThreadingHttpServer::bind("127.0.0.1:8000", move || cgi.clone())?;
/// server.serve_forever()?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// To extend it, see [`CgiHandler`].
///
/// # Security
/// As in CPython, scripts get the server's whole environment and run as
/// `nobody` only when the server runs as root. Don't expose it to untrusted
/// clients without reading `docs/cgi.md`.
#[doc(alias = "CGIHTTPRequestHandler")]
#[derive(Clone, Debug)]
pub struct CgiHttpRequestHandler {
    /// The file-serving state (`directory`, `index_pages`, ...).
    pub files: SimpleHttpRequestHandler,
    /// URL prefixes whose files are scripts (whole path segments).
    pub cgi_directories: Vec<String>,
    /// Wall-clock limit for one script run; `None` waits forever (CPython).
    pub timeout: Option<Duration>,
    /// RFC 3875 mode (`basehttp --cgi-rfc3875`): parse the script's
    /// `Status:` and `Location:` headers (§6.3) instead of CPython's fixed
    /// `200 Script output follows`, and pass every request header as an
    /// `HTTP_*` variable (§4.1.18) instead of CPython's five.
    pub rfc3875: bool,
}

impl CgiHttpRequestHandler {
    /// A handler serving `directory` with CPython's defaults and [`DEFAULT_TIMEOUT`].
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        Self::with_files(SimpleHttpRequestHandler::new(directory))
    }

    /// A CGI handler around configured file-serving state.
    pub fn with_files(files: SimpleHttpRequestHandler) -> Self {
        CgiHttpRequestHandler {
            files,
            cgi_directories: CGI_DIRECTORIES.iter().map(|d| (*d).to_owned()).collect(),
            timeout: Some(DEFAULT_TIMEOUT),
            rfc3875: false,
        }
    }
}

/// CPython's `cgi_info`: the CGI directory and what follows it in the
/// collapsed path (script, `PATH_INFO` and query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgiInfo {
    /// The matching `cgi_directories` entry, such as `/cgi-bin`.
    pub dir: String,
    /// The rest, such as `sub/script.sh/extra?q`.
    pub rest: String,
}

/// The overridable methods `CGIHTTPRequestHandler` adds to
/// [`FileHandler`], as a Python subclass sees them.
///
/// A type extending the stock CGI handler holds a [`CgiHttpRequestHandler`]
/// and implements both traits; its [`FileHandler::send_head`] must call
/// [`send_head`] (CPython's CGI class overrides `send_head`):
///
/// ```
/// use basehttp::handlers::cgi::{self, CgiHandler, CgiHttpRequestHandler};
/// use basehttp::handlers::{Body, FileHandler, SimpleHttpRequestHandler};
/// use basehttp::Request;
///
/// struct Mine { cgi: CgiHttpRequestHandler }
///
/// impl FileHandler for Mine {
///     fn file_handler(&self) -> &SimpleHttpRequestHandler { &self.cgi.files }
///     fn send_head(&mut self, req: &mut Request) -> std::io::Result<Option<Body>> {
///         cgi::send_head(self, req)
///     }
/// }
/// impl CgiHandler for Mine {
///     fn cgi_handler(&self) -> &CgiHttpRequestHandler { &self.cgi }
/// }
/// ```
///
/// Then either `#[http_handler(extends = basehttp::handlers::CgiHttpRequestHandler)]`
/// on an impl block with more `do_*` methods, or a hand-written
/// `impl Handler` that falls back to
/// `<CgiHttpRequestHandler as basehttp::Base<Self>>::dispatch`.
#[allow(non_snake_case)]
pub trait CgiHandler: FileHandler {
    /// The CGI state (`cgi_directories`, timeout, RFC 3875 mode).
    fn cgi_handler(&self) -> &CgiHttpRequestHandler;

    /// `is_cgi()`: the [`CgiInfo`] if the collapsed request path lies in a
    /// CGI directory (CPython stores it in `self.cgi_info`).
    ///
    /// # Errors
    /// [`EscapesRoot`] for a path with more `..` than segments
    /// (CPython: an uncaught `IndexError`).
    fn is_cgi(&self, req: &Request) -> Result<Option<CgiInfo>, env::EscapesRoot> {
        let collapsed = url_collapse_path(&req.path)?;
        Ok(
            split_cgi_path(&collapsed, &self.cgi_handler().cgi_directories).map(|(dir, rest)| {
                CgiInfo {
                    dir: dir.to_owned(),
                    rest: rest.to_owned(),
                }
            }),
        )
    }

    /// `is_executable(path)`: `os.access(path, X_OK)`.
    fn is_executable(&self, path: &Path) -> bool {
        is_executable(path)
    }

    /// `run_cgi()`: finds, checks and runs the script `info` names.
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn run_cgi(&mut self, req: &mut Request, info: CgiInfo) -> io::Result<()> {
        default_run_cgi(self, req, info)
    }

    /// `do_POST()`: runs a CGI script, else `501 Can only POST to CGI scripts`.
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        match self.is_cgi(req) {
            Ok(Some(info)) => self.run_cgi(req, info),
            Ok(None) => req.send_error_with(501, "Can only POST to CGI scripts"),
            Err(_) => req.send_error_with(404, "File not found"),
        }
    }
}

/// The stock CGI handler as a base: `GET`, `HEAD` and `POST`, and the file
/// handler's class attributes with 3.14's `SimpleHTTP/0.6`.
impl<H: CgiHandler> Base<H> for CgiHttpRequestHandler {
    const METHODS: &'static [&'static str] = &["GET", "HEAD", "POST"];

    fn dispatch(handler: &mut H, req: &mut Request) -> Option<io::Result<()>> {
        if let Some(refused) = files::check_auth(handler.file_handler(), req) {
            return Some(refused);
        }
        match req.command.as_str() {
            "POST" => Some(handler.do_POST(req)),
            "OPTIONS" if handler.file_handler().cors => {
                Some(files::send_preflight(req, <Self as Base<H>>::METHODS))
            }
            _ => <SimpleHttpRequestHandler as Base<H>>::dispatch(handler, req),
        }
    }

    fn class(handler: &H) -> Class {
        Class {
            server_version: Cow::Borrowed(SERVER_VERSION),
            ..<SimpleHttpRequestHandler as Base<H>>::class(handler)
        }
    }
}

/// `CGIHTTPRequestHandler.send_head`: runs the script for a CGI URL,
/// otherwise the file logic ([`files::default_send_head`]).
///
/// # Errors
/// I/O errors writing the response.
pub fn send_head<H: CgiHandler + ?Sized>(h: &mut H, req: &mut Request) -> io::Result<Option<Body>> {
    match h.is_cgi(req) {
        Ok(Some(info)) => h.run_cgi(req, info).map(|()| None),
        Ok(None) => files::default_send_head(h, req),
        // CPython drops the connection here; a path above the root names nothing.
        Err(_) => req.send_error_with(404, "File not found").map(|()| None),
    }
}

/// The default [`CgiHandler::run_cgi`]: finds the script, checks it,
/// builds its command and environment, runs it and relays its output.
///
/// # Errors
/// I/O errors writing the response.
pub fn default_run_cgi<H: CgiHandler + ?Sized>(
    h: &mut H,
    req: &mut Request,
    info: CgiInfo,
) -> io::Result<()> {
    let script = find_script(h, info);
    if !check_script(h, req, &script)? {
        return Ok(());
    }
    let cmd = script_command(h, req, &script);
    let cgi = h.cgi_handler();
    let (rfc3875, timeout) = (cgi.rfc3875, cgi.timeout);
    run_script(req, cmd, rfc3875, timeout)
}

/// The script a CGI URL names, as `run_cgi` splits it.
struct Script {
    /// `SCRIPT_NAME`: the CGI directory and the script (`/cgi-bin/sub/x.sh`).
    name: String,
    /// The script's own name, its `argv[0]`.
    file_name: String,
    /// What follows the script in the path (`/extra`): `PATH_INFO`.
    path_info: String,
    /// The query string, without `?`.
    query: String,
    /// The script's file (`translate_path(scriptname)`).
    path: PathBuf,
}

/// `run_cgi`'s search: the deepest existing directory under `info.dir`
/// (nested directories: `/cgi-bin/sub/script`), then the script in it and
/// what follows.
fn find_script<H: CgiHandler + ?Sized>(h: &H, info: CgiInfo) -> Script {
    let CgiInfo { mut dir, mut rest } = info;
    let path = format!("{dir}/{rest}");
    let next_slash = |dir: &str| path[dir.len() + 1..].find('/').map(|i| i + dir.len() + 1);
    let mut i = next_slash(&dir);
    while let Some(at) = i {
        let (nextdir, nextrest) = (&path[..at], &path[at + 1..]);
        if !h.translate_path(nextdir).is_dir() {
            break;
        }
        (dir, rest) = (nextdir.to_owned(), nextrest.to_owned());
        i = next_slash(&dir);
    }
    let (rest, query) = rest.split_once('?').unwrap_or((&rest, ""));
    let (script, rest) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let name = format!("{dir}/{script}");
    Script {
        path: h.translate_path(&name),
        name,
        file_name: script.to_owned(),
        path_info: rest.to_owned(),
        query: query.to_owned(),
    }
}

/// Answers 404 (no such script), 403 (not a plain file, not executable)
/// or 413 (body over `ServerConfig::max_body`, beyond CPython) and returns
/// `false`; `true` if the script may run.
fn check_script<H: CgiHandler + ?Sized>(
    h: &H,
    req: &mut Request,
    script: &Script,
) -> io::Result<bool> {
    let name = py_repr(&script.name);
    let Ok(meta) = std::fs::metadata(&script.path) else {
        req.send_error_with(404, &format!("No such CGI script ({name})"))?;
        return Ok(false);
    };
    if !meta.is_file() {
        req.send_error_with(403, &format!("CGI script is not a plain file ({name})"))?;
        return Ok(false);
    }
    if !h.is_executable(&script.path) {
        req.send_error_with(403, &format!("CGI script is not executable ({name})"))?;
        return Ok(false);
    }
    if let (Some(len), Some(max)) = (req.rfile.remaining(), req.server().config().max_body)
        && len > max
    {
        req.close_connection = true;
        req.send_error(413)?;
        return Ok(false);
    }
    Ok(true)
}

/// The script's command: `argv[0]`, the query argument, the CGI/1.1
/// environment (plus every header as `HTTP_*` in RFC 3875 mode), and
/// `nobody`'s ids when the server runs as root.
fn script_command<H: CgiHandler + ?Sized>(h: &H, req: &Request, script: &Script) -> ScriptCommand {
    let software = req.version_string();
    let translated = h.translate_path(&crate::pystr::unquote(&script.path_info));
    let translated = translated.to_string_lossy();
    let remote_addr = req.client_address.ip().to_string();
    let vars = cgi_environ(
        &CgiRequest {
            server_software: &software,
            server_name: req.server().server_name(),
            server_protocol: req.protocol_version(),
            server_port: req.server().server_port(),
            method: &req.command,
            rest: &script.path_info,
            path_translated: &translated,
            script_name: &script.name,
            query: &script.query,
            remote_addr: &remote_addr,
            headers: &req.headers,
        },
        |name| std::env::var_os(name).is_some(),
    );
    let mut env: Vec<(OsString, OsString)> = vars
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    if h.cgi_handler().rfc3875 {
        env.extend(
            env::header_variables(&req.headers)
                .into_iter()
                .map(|(k, v)| (k.into(), v.into())),
        );
    }
    ScriptCommand {
        program: script.path.clone(),
        arg0: script.file_name.clone().into(),
        args: query_argument(&script.query)
            .into_iter()
            .map(Into::into)
            .collect(),
        env,
        user: rustix::process::geteuid().is_root().then(nobody),
    }
}

/// Starts the script (500 if it cannot start), feeds it the request body
/// and relays its output: CPython's `200 Script output follows` and the
/// bytes as they are, or in RFC 3875 mode its parsed `Status:` and headers.
/// The connection closes after it, since script output has no framing.
fn run_script(
    req: &mut Request,
    cmd: ScriptCommand,
    rfc3875: bool,
    timeout: Option<Duration>,
) -> io::Result<()> {
    let script = match runner::spawn(&cmd) {
        Ok(script) => script,
        Err(e) => {
            req.log_error(format_args!("CGI script could not be started: {e}"));
            return req.send_error_with(500, "CGI script could not be started");
        }
    };
    // The script's output has no framing: the connection ends with it.
    req.close_connection = true;
    let max_body = req.server().config().max_body;
    // The body reader moves to the runner (to a feeder thread when the
    // body could block) while `req` writes.
    let mut rfile = std::mem::replace(&mut req.rfile, Rfile::new(Box::new(Detached)));
    let server = Arc::clone(&req.server);
    // User code runs inside (hooks of the response): the body reader comes
    // back to `req` even if it panics.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner::run(script, &mut rfile, timeout, max_body, &server, |stdout| {
            if rfc3875 {
                rfc3875::relay(req, stdout)
            } else {
                req.send_response_with(200, "Script output follows")?;
                req.flush_headers()?;
                runner::pump(stdout, &mut req.wfile)
            }
        })
    }));
    req.rfile = rfile;
    let ending = ran.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    // A script's `Connection: keep-alive` header (RFC 3875 mode) does not
    // make its output framed: the connection still ends here.
    req.close_connection = true;
    log_ending(req, ending, timeout, max_body);
    Ok(())
}

/// Logs how a script run ended, unless it exited with status 0.
fn log_ending(req: &Request, ending: Ending, timeout: Option<Duration>, max_body: Option<u64>) {
    match ending {
        Ending::Exited(0) => {}
        Ending::Exited(code) => req.log_error(format_args!("CGI script exit code {code}")),
        Ending::TimedOut => req.log_error(format_args!(
            "CGI script timed out after {:?} and was killed",
            timeout.unwrap_or_default()
        )),
        Ending::ClientGone => req.log_error(format_args!("client went away; CGI script killed")),
        Ending::BodyTooLarge => req.log_error(format_args!(
            "chunked request body over {} bytes; CGI script killed",
            max_body.unwrap_or_default()
        )),
        Ending::BodyBroken => req.log_error(format_args!(
            "chunked request body cut short or malformed; CGI script killed"
        )),
    }
}

/// `nobody_uid()` (cached, as CPython caches it), with the matching gid.
fn nobody() -> (u32, u32) {
    static NOBODY: OnceLock<(u32, u32)> = OnceLock::new();
    *NOBODY.get_or_init(|| {
        env::nobody_ids(&std::fs::read_to_string("/etc/passwd").unwrap_or_default())
    })
}

/// `is_executable(path)`: `os.access(path, X_OK)`.
pub fn is_executable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok()
}

impl FileHandler for CgiHttpRequestHandler {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
        send_head(self, req)
    }
}

impl CgiHandler for CgiHttpRequestHandler {
    fn cgi_handler(&self) -> &CgiHttpRequestHandler {
        self
    }
}

/// The stock CGI handler is its own base: `GET`, `HEAD`, `POST`.
#[basehttp_macros::http_handler(extends = CgiHttpRequestHandler)]
impl CgiHttpRequestHandler {
    /// CPython's: `100 Continue` at once (the binary's bytes stay CPython's).
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        crate::handler::send_continue(req)
    }
}
