//! Port of CPython 3.14's `CGIHTTPRequestHandler` (`Lib/http/server.py`;
//! removed from 3.15): serves files like `SimpleHTTPRequestHandler` and runs
//! executables under `cgi_directories` as CGI/1.1 scripts.
//!
//! Differences from CPython (see `docs/cgi.md`): a path with too many `..`
//! is a 404 instead of a dropped connection; a hanging script is killed after
//! [`CgiHttpRequestHandler::timeout`]; a client that goes away kills the
//! script; the connection always closes after script output (it has no
//! framing); and an opt-in RFC 3875 mode honours `Status:` and `Location:`.

pub mod env;
mod files;
mod rfc3875;
pub mod runner;

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::handler::{Class, Handler};
use crate::pystr::py_repr;
use crate::request::Request;
use crate::stream::{Rfile, Transport};
use env::{CgiRequest, cgi_environ, query_argument, split_cgi_path, url_collapse_path};
use runner::Ending;

pub use files::translate_path;

/// CPython's default `cgi_directories`.
pub const CGI_DIRECTORIES: [&str; 2] = ["/cgi-bin", "/htbin"];

/// The default script timeout: long enough for any interactive CGI script,
/// short enough that a hung one doesn't hold a worker for long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `SimpleHTTPRequestHandler.server_version`, inherited by the CGI handler.
pub const SERVER_VERSION: &str = "SimpleHTTP/0.6";

/// CPython's `CGIHTTPRequestHandler`: files everywhere, CGI scripts under
/// [`cgi_directories`](Self::cgi_directories).
///
/// Answers `GET`, `HEAD` (both run scripts, as CPython does) and `POST`
/// (scripts only; elsewhere `501 Can only POST to CGI scripts`).
///
/// To extend it, wrap it in your own `#[http_handler]` type and call its
/// public `do_GET`/`do_HEAD`/`do_POST`, [`is_cgi`](Self::is_cgi) and
/// [`run_cgi`](Self::run_cgi) from your methods.
///
/// # Security
/// As in CPython, scripts get the server's whole environment and run as
/// `nobody` only when the server runs as root. Don't expose it to untrusted
/// clients without reading `docs/cgi.md`.
#[doc(alias = "CGIHTTPRequestHandler")]
#[derive(Clone, Debug)]
pub struct CgiHttpRequestHandler {
    /// The document root (`directory`; CPython's default is the working directory).
    pub directory: PathBuf,
    /// URL prefixes whose files are scripts (whole path segments).
    pub cgi_directories: Vec<String>,
    /// Wall-clock limit for one script run; `None` waits forever (CPython).
    pub timeout: Option<Duration>,
    /// Parse the script's `Status:` and `Location:` headers (RFC 3875 §6.3)
    /// instead of CPython's fixed `200 Script output follows`.
    pub rfc3875: bool,
    cgi_info: Option<(String, String)>,
}

impl CgiHttpRequestHandler {
    /// A handler serving `directory` with CPython's defaults and [`DEFAULT_TIMEOUT`].
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        CgiHttpRequestHandler {
            directory: directory.into(),
            cgi_directories: CGI_DIRECTORIES.iter().map(|d| (*d).to_owned()).collect(),
            timeout: Some(DEFAULT_TIMEOUT),
            rfc3875: false,
            cgi_info: None,
        }
    }

    /// `translate_path(path)`: the file `path` names under [`directory`](Self::directory).
    pub fn translate_path(&self, path: &str) -> PathBuf {
        translate_path(&self.directory, path)
    }

    /// `is_cgi()`: whether the collapsed request path lies in a CGI
    /// directory; remembers `cgi_info = (dir, rest)` for [`run_cgi`](Self::run_cgi).
    ///
    /// # Errors
    /// [`env::EscapesRoot`] for a path with more `..` than segments
    /// (CPython: `IndexError`).
    pub fn is_cgi(&mut self, req: &Request) -> Result<bool, env::EscapesRoot> {
        let collapsed = url_collapse_path(&req.path)?;
        self.cgi_info = split_cgi_path(&collapsed, &self.cgi_directories)
            .map(|(dir, rest)| (dir.to_owned(), rest.to_owned()));
        Ok(self.cgi_info.is_some())
    }

    /// `do_GET`.
    ///
    /// # Errors
    /// I/O errors writing the response.
    #[allow(non_snake_case)]
    pub fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        if let Some((mut file, len)) = self.send_head(req)? {
            req.wfile.send_file(&mut file, len)?;
        }
        Ok(())
    }

    /// `do_HEAD` (a CGI URL runs the script and sends all of its output).
    ///
    /// # Errors
    /// I/O errors writing the response.
    #[allow(non_snake_case)]
    pub fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        self.send_head(req).map(drop)
    }

    /// `do_POST`: runs a CGI script, else `501 Can only POST to CGI scripts`.
    ///
    /// # Errors
    /// I/O errors writing the response.
    #[allow(non_snake_case)]
    pub fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        match self.is_cgi(req) {
            Ok(true) => self.run_cgi(req),
            Ok(false) => req.send_error_with(501, "Can only POST to CGI scripts"),
            Err(_) => req.send_error_with(404, "File not found"),
        }
    }

    /// `send_head()`: runs the script for a CGI URL (returning `None`),
    /// otherwise the file logic's headers and the open file.
    ///
    /// # Errors
    /// I/O errors writing the response.
    pub fn send_head(&mut self, req: &mut Request) -> io::Result<Option<(std::fs::File, u64)>> {
        match self.is_cgi(req) {
            Ok(true) => self.run_cgi(req).map(|()| None),
            Ok(false) => files::send_file_head(req, &self.directory),
            Err(_) => req.send_error_with(404, "File not found").map(|()| None),
        }
    }

    /// `run_cgi()`: finds the script for the `cgi_info` that
    /// [`is_cgi`](Self::is_cgi) stored, checks it, and runs it.
    ///
    /// # Errors
    /// I/O errors writing the response.
    pub fn run_cgi(&mut self, req: &mut Request) -> io::Result<()> {
        let Some((mut dir, mut rest)) = self.cgi_info.take() else {
            return req.send_error_with(404, "File not found");
        };
        // Nested directories: /cgi-bin/sub/script.
        let path = format!("{dir}/{rest}");
        let mut i = path[dir.len() + 1..].find('/').map(|i| i + dir.len() + 1);
        while let Some(at) = i {
            let (nextdir, nextrest) = (&path[..at], &path[at + 1..]);
            if !self.translate_path(nextdir).is_dir() {
                break;
            }
            (dir, rest) = (nextdir.to_owned(), nextrest.to_owned());
            i = path[dir.len() + 1..].find('/').map(|i| i + dir.len() + 1);
        }
        let (rest, query) = rest.split_once('?').unwrap_or((&rest, ""));
        let (script, rest) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let scriptname = format!("{dir}/{script}");
        let scriptfile = self.translate_path(&scriptname);
        let Ok(meta) = std::fs::metadata(&scriptfile) else {
            let msg = format!("No such CGI script ({})", py_repr(&scriptname));
            return req.send_error_with(404, &msg);
        };
        if !meta.is_file() {
            let msg = format!("CGI script is not a plain file ({})", py_repr(&scriptname));
            return req.send_error_with(403, &msg);
        }
        if !is_executable(&scriptfile) {
            let msg = format!("CGI script is not executable ({})", py_repr(&scriptname));
            return req.send_error_with(403, &msg);
        }

        let software = req.version_string();
        let translated = self.translate_path(&env::unquote(rest));
        let translated = translated.to_string_lossy();
        let remote_addr = req.client_address.ip().to_string();
        let vars = cgi_environ(
            &CgiRequest {
                server_software: &software,
                server_name: req.server().server_name(),
                server_protocol: req.protocol_version(),
                server_port: req.server().server_port(),
                method: &req.command,
                rest,
                path_translated: &translated,
                script_name: &scriptname,
                query,
                remote_addr: &remote_addr,
                headers: &req.headers,
            },
            |name| std::env::var_os(name).is_some(),
        );
        let mut cmd = Command::new(&scriptfile);
        std::os::unix::process::CommandExt::arg0(&mut cmd, script);
        cmd.args(query_argument(query)).envs(vars);
        if rustix::process::geteuid().is_root() {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let (uid, gid) = env::nobody_ids(&passwd);
            std::os::unix::process::CommandExt::gid(&mut cmd, gid);
            std::os::unix::process::CommandExt::uid(&mut cmd, uid);
        }
        let child = match runner::spawn(cmd) {
            Ok(child) => child,
            Err(e) => {
                req.log_error(format_args!("CGI script could not be started: {e}"));
                return req.send_error_with(500, "CGI script could not be started");
            }
        };
        // The script's output has no framing: the connection ends with it.
        req.close_connection = true;
        let rfc3875 = self.rfc3875;
        // The body reader moves to the feeder thread while `req` writes.
        let mut rfile = std::mem::replace(&mut req.rfile, Rfile::new(Box::new(NoTransport)));
        let ending = runner::run(child, &mut rfile, self.timeout, |stdout| {
            if rfc3875 {
                rfc3875::relay(req, stdout)
            } else {
                req.send_response_with(200, "Script output follows")?;
                req.flush_headers()?;
                runner::pump(stdout, &mut req.wfile)
            }
        });
        req.rfile = rfile;
        match ending {
            Ending::Exited(0) => {}
            Ending::Exited(code) => req.log_error(format_args!("CGI script exit code {code}")),
            Ending::TimedOut => req.log_error(format_args!(
                "CGI script timed out after {:?} and was killed",
                self.timeout.unwrap_or_default()
            )),
            Ending::ClientGone => {
                req.log_error(format_args!("client went away; CGI script killed"))
            }
        }
        Ok(())
    }
}

/// `is_executable(path)`: `os.access(path, X_OK)`.
pub fn is_executable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok()
}

impl Handler for CgiHttpRequestHandler {
    fn methods(&self) -> Cow<'static, [&'static str]> {
        Cow::Borrowed(&["GET", "HEAD", "POST"])
    }

    fn dispatch(&mut self, req: &mut Request) -> io::Result<()> {
        match req.command.as_str() {
            "GET" => self.do_GET(req),
            "HEAD" => self.do_HEAD(req),
            "POST" => self.do_POST(req),
            _ => {
                let methods = self.methods();
                crate::__private::unsupported_method(req, &methods)
            }
        }
    }

    fn class(&self) -> Class {
        Class {
            server_version: Cow::Borrowed(SERVER_VERSION),
            ..Class::BASE
        }
    }
}

/// A transport that is never read: stands in for `req.rfile` while the real
/// one feeds the script on another thread.
struct NoTransport;

impl Read for NoTransport {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

impl Write for NoTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for NoTransport {
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(NoTransport))
    }
}
