//! Port of `SimpleHTTPRequestHandler` (CPython 3.15 `Lib/http/server.py`):
//! serves files and directory listings from a directory with GET and HEAD.
//!
//! [`SimpleHttpRequestHandler`] holds what a Python subclass would set as
//! class attributes (`directory`, `index_pages`, `extensions_map`, ...).
//! [`FileHandler`] is the overridable surface: implement it on your own
//! type (returning the state from [`FileHandler::file_handler`]) and
//! override `translate_path`, `guess_type`, `list_directory`, `send_head`
//! or `do_GET`, as a Python subclass would.
//!
//! CPython's `send_head` is one method; here it calls one overridable
//! method per step, so changing one step (say, the conditional-GET rule)
//! does not mean copying the others: [`resolve_directory`], [`open_file`],
//! [`select_encoding`], [`send_not_modified`], [`select_range`] and
//! [`send_file_headers`].
//!
//! [`resolve_directory`]: FileHandler::resolve_directory
//! [`open_file`]: FileHandler::open_file
//! [`select_encoding`]: FileHandler::select_encoding
//! [`send_not_modified`]: FileHandler::send_not_modified
//! [`select_range`]: FileHandler::select_range
//! [`send_file_headers`]: FileHandler::send_file_headers
//!
//! Beyond CPython, and only when a client asks: `Range` (one range, 206 /
//! 416) and `If-Range`; opt-in strong `ETag`s with `If-None-Match`, and
//! `Accept-Ranges: bytes`; opt-in compression (precompressed siblings and
//! on the fly, by `Accept-Encoding`). Opt-in sharing policies: dot-files
//! hidden, links followed only inside the directory or not at all
//! ([`Symlinks`]), and folders downloaded as one archive
//! ([`with_archive`](SimpleHttpRequestHandler::with_archive)).

mod archive;
mod auth;
mod beneath;
mod cache;
#[cfg(feature = "compress")]
mod compress;
mod conditional;
mod dev;
mod encoding;
mod listing;
mod mime;
mod path;
mod range;
mod sharing;
mod tar;
mod upload;

use std::borrow::Cow;
use std::fs;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::file::SharedFile;
use crate::handler::Base;
use crate::request::Class;
use crate::request::Request;

pub use self::auth::BasicAuth;
pub(crate) use self::dev::send_preflight;
pub use self::encoding::{ContentCoding, Encoding};
pub use self::range::ByteRange;
pub use self::sharing::Symlinks;
pub use self::upload::Upload;
#[cfg(any(test, fuzzing))]
pub(crate) use self::{conditional::fuzz_dates, range::fuzz_range};

/// What `send_head` hands to `do_GET`: the response body still to be sent
/// (Python returns an open file object).
pub enum Body {
    /// `len` bytes of an open file, from its current position.
    File {
        /// The open file, positioned at the first byte to send.
        file: SharedFile,
        /// How many bytes to send (the `Content-Length` already sent).
        len: u64,
    },
    /// An in-memory body, such as a directory listing.
    Bytes(Vec<u8>),
    /// A body of unknown length, read to its end, such as a file compressed
    /// on the fly: the head was ended with
    /// [`end_headers_chunked`](Request::end_headers_chunked).
    Reader(Box<dyn io::Read + Send>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::File { file, len } => f
                .debug_struct("File")
                .field("file", file)
                .field("len", len)
                .finish(),
            Body::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Body::Reader(_) => f.write_str("Reader(..)"),
        }
    }
}

/// What the directory step of `send_head` ([`FileHandler::resolve_directory`])
/// decided.
#[derive(Debug)]
pub enum Resolved {
    /// Go on with this path: the request's own, or a directory's index
    /// page. `stat` is its metadata, `None` if it does not exist.
    File {
        /// The file-system path to serve.
        path: PathBuf,
        /// Its metadata (one `stat` serves `isdir` and the regular-file check).
        stat: Option<fs::Metadata>,
    },
    /// The response is sent (a redirect, a listing or an error):
    /// `send_head` returns this body.
    Sent(Option<Body>),
}

/// A regular file `send_head` serves, opened, with what its later steps use.
#[derive(Clone, Debug)]
pub struct OpenFile {
    /// Where it is.
    pub path: PathBuf,
    /// The open file, at its start (shared with the open-file cache).
    pub file: SharedFile,
    /// Its length (`os.fstat(f.fileno())[6]`).
    pub size: u64,
    /// Its modification time (`st_mtime`).
    pub mtime: SystemTime,
    /// Its `Content-type`, from [`FileHandler::guess_type`].
    pub ctype: String,
    /// Its strong entity tag (`"<mtime seconds>.<nanoseconds>-<size>"`, in
    /// hex), sent only when
    /// [`SimpleHttpRequestHandler::etag`] is on. Distinct per
    /// [`encoding`](Self::encoding).
    pub etag: String,
    /// The form sent: the file as stored, a precompressed sibling (then
    /// `path`, `file`, `size`, `mtime` and `etag` are the sibling's), or
    /// compressed on the fly. Set by [`FileHandler::select_encoding`].
    pub encoding: Encoding,
    /// The response depends on `Accept-Encoding`: sent with
    /// `Vary: Accept-Encoding` (on the 304 too). Set by
    /// [`FileHandler::select_encoding`].
    pub vary: bool,
}

/// The stock file handler: CPython's `SimpleHTTPRequestHandler` and its
/// class attributes.
///
/// ```no_run
/// use basehttp::ThreadingHttpServer;
/// use basehttp::handlers::SimpleHttpRequestHandler;
///
/// let files = SimpleHttpRequestHandler::new("/srv/www").with_protocol_version("HTTP/1.1");
/// let server = ThreadingHttpServer::bind("127.0.0.1:8000", move || files.clone())?;
/// server.serve_forever()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[doc(alias = "SimpleHTTPRequestHandler")]
#[derive(Clone, Debug)]
pub struct SimpleHttpRequestHandler {
    /// The served directory (`directory`).
    pub directory: PathBuf,
    /// File names served for a directory instead of a listing (`index_pages`).
    pub index_pages: Vec<String>,
    /// Extension → type overrides, looked up before `mimetypes` (`extensions_map`).
    pub extensions_map: Vec<(String, String)>,
    /// The type of files with no known extension (`default_content_type`, 3.15).
    pub default_content_type: String,
    /// Headers added to every 200 (and 206) response (`extra_response_headers`, 3.15).
    pub extra_response_headers: Vec<(String, String)>,
    /// `protocol_version` (`HTTP/1.0` or `HTTP/1.1`).
    pub protocol_version: String,
    /// Send a strong `ETag` with files and honour `If-None-Match` (off, as
    /// in CPython; `If-None-Match` then only disables `If-Modified-Since`).
    pub etag: bool,
    /// Send `Accept-Ranges: bytes` with files (off, as in CPython; `Range`
    /// requests are honoured either way).
    pub accept_ranges: bool,
    /// The single-page-app fallback, relative to
    /// [`directory`](Self::directory) (`--spa[=FILE]`; off, as in CPython).
    /// See [`with_spa`](Self::with_spa).
    pub spa: Option<PathBuf>,
    /// CORS for any origin (`--cors`; off, as in CPython). See
    /// [`with_cors`](Self::with_cors).
    pub cors: bool,
    /// Cross-origin isolation (`--isolate`; off, as in CPython). See
    /// [`with_isolate`](Self::with_isolate).
    pub isolate: bool,
    /// `Cache-Control: no-store` and no `304` (`--no-cache`; off, as in
    /// CPython). See [`with_no_cache`](Self::with_no_cache).
    pub no_cache: bool,
    /// Serve dot-files (on, as in CPython; `--no-dotfiles` turns it off).
    /// See [`with_dotfiles`](Self::with_dotfiles).
    pub dotfiles: bool,
    /// Which links may be followed ([`Symlinks::Follow`], as in CPython;
    /// `--symlinks`). See [`with_symlinks`](Self::with_symlinks).
    pub symlinks: Symlinks,
    /// Folder downloads as one archive (`--archive`; off, as in CPython).
    /// See [`with_archive`](Self::with_archive).
    pub archive: bool,
    /// Serve small files from the process's open-file cache (on). See
    /// [`with_open_file_cache`](Self::with_open_file_cache).
    pub open_file_cache: bool,
    /// Content codings by `Accept-Encoding` (`--compress`; off, as in
    /// CPython). See [`with_compress`](Self::with_compress).
    pub compress: bool,
    /// Accept uploads (`--upload`; off, as in CPython). See
    /// [`with_upload`](Self::with_upload).
    pub upload: Option<Upload>,
    /// Ask for a user and password (`--auth`; off, as in CPython). See
    /// [`with_auth`](Self::with_auth).
    pub auth: Option<BasicAuth>,
}

impl SimpleHttpRequestHandler {
    /// Serves `directory`, with CPython's defaults for everything else.
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        SimpleHttpRequestHandler {
            directory: directory.into(),
            index_pages: vec!["index.html".to_owned(), "index.htm".to_owned()],
            extensions_map: mime::DEFAULT_EXTENSIONS_MAP
                .iter()
                .map(|(e, t)| ((*e).to_owned(), (*t).to_owned()))
                .collect(),
            default_content_type: "application/octet-stream".to_owned(),
            extra_response_headers: Vec::new(),
            protocol_version: "HTTP/1.0".to_owned(),
            etag: false,
            accept_ranges: false,
            spa: None,
            cors: false,
            isolate: false,
            no_cache: false,
            dotfiles: true,
            symlinks: Symlinks::Follow,
            archive: false,
            open_file_cache: true,
            upload: None,
            auth: None,
            compress: false,
        }
    }

    /// Sets `protocol_version` (`-p/--protocol`).
    #[must_use]
    pub fn with_protocol_version(mut self, version: impl Into<String>) -> Self {
        self.protocol_version = version.into();
        self
    }

    /// Sets `default_content_type` (`--content-type`).
    #[must_use]
    pub fn with_default_content_type(mut self, ctype: impl Into<String>) -> Self {
        self.default_content_type = ctype.into();
        self
    }

    /// Adds an extra response header (`-H/--header NAME VALUE`).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_response_headers
            .push((name.into(), value.into()));
        self
    }

    /// Sets the index pages.
    #[must_use]
    pub fn with_index_pages<S: Into<String>>(mut self, pages: impl IntoIterator<Item = S>) -> Self {
        self.index_pages = pages.into_iter().map(Into::into).collect();
        self
    }

    /// Adds or replaces an `extensions_map` entry (`".wasm"` → `"application/wasm"`).
    #[must_use]
    pub fn with_extension(mut self, ext: impl Into<String>, ctype: impl Into<String>) -> Self {
        let ext = ext.into();
        self.extensions_map.retain(|(e, _)| *e != ext);
        self.extensions_map.push((ext, ctype.into()));
        self
    }

    /// Turns strong `ETag`s (+ `If-None-Match`) on or off.
    #[must_use]
    pub fn with_etag(mut self, on: bool) -> Self {
        self.etag = on;
        self
    }

    /// Turns `Accept-Ranges: bytes` on or off.
    #[must_use]
    pub fn with_accept_ranges(mut self, on: bool) -> Self {
        self.accept_ranges = on;
        self
    }

    /// Turns the open-file cache on (the default) or off. On, a small file
    /// (up to 64 KiB) stays open between requests, and the `stat` each
    /// request makes of its path decides whether the open descriptor may
    /// serve it: only if the path names the same file with the same size,
    /// modification and change time. Every edit is served at once, as
    /// CPython serves it (which opens the file for every request), and a
    /// request costs a `stat` and a read instead of `stat`, `open`,
    /// `fstat`, read and `close`. The cache holds at most 1,024 descriptors
    /// per process (a deleted file's space is held until its entry goes)
    /// and is off when the descriptor limit is low.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new(".").with_open_file_cache(false);
    /// assert!(!files.open_file_cache);
    /// ```
    #[must_use]
    pub fn with_open_file_cache(mut self, on: bool) -> Self {
        self.open_file_cache = on;
        self
    }

    /// Accepts uploads (`--upload[=DIR]`), or not (`None`, the default):
    /// `POST` of a `multipart/form-data` form to a directory's URL (files,
    /// and folders with their relative paths), and `PUT` of a file to its
    /// URL, written to a temporary file and renamed into place, never
    /// through a symlink, never over a file unless
    /// [`Upload::overwrite`], at most `ServerConfig::max_body` bytes. The
    /// listing of a directory that takes uploads has the forms for them.
    ///
    /// ```
    /// use basehttp::handlers::{SimpleHttpRequestHandler, Upload};
    ///
    /// let files = SimpleHttpRequestHandler::new("share").with_upload(Some(Upload::default()));
    /// assert!(files.upload.is_some());
    /// ```
    #[must_use]
    pub fn with_upload(mut self, upload: Option<Upload>) -> Self {
        self.upload = upload;
        self
    }

    /// Asks for a user and password with HTTP Basic authentication
    /// (`--auth USER:PASS`), for every request or for writes only
    /// ([`BasicAuth::writes_only`]); `None` (the default) asks nobody.
    /// Basic authentication sends the password readable by anyone on the
    /// way: use it over HTTPS (`--tls-cert`) beyond a trusted network.
    ///
    /// ```
    /// use basehttp::handlers::{BasicAuth, SimpleHttpRequestHandler};
    ///
    /// let auth = BasicAuth::default().user("alice", "s3cret");
    /// let files = SimpleHttpRequestHandler::new("share").with_auth(Some(auth));
    /// assert!(files.auth.is_some());
    /// ```
    #[must_use]
    pub fn with_auth(mut self, auth: Option<BasicAuth>) -> Self {
        self.auth = auth;
        self
    }
}

/// The credentials check of [`SimpleHttpRequestHandler::auth`], before
/// any method runs: `Some` with the `401` sent when they are missing or
/// wrong.
pub(crate) fn check_auth(
    state: &SimpleHttpRequestHandler,
    req: &mut Request,
) -> Option<io::Result<()>> {
    let auth = state.auth.as_ref()?;
    if !auth.guards(&req.command) {
        return None;
    }
    let header = req.headers.get("Authorization").map(str::to_owned);
    if auth.admits(header.as_deref()) {
        return None;
    }
    Some(auth::send_challenge(req))
}

impl Default for SimpleHttpRequestHandler {
    /// Serves the current directory (`directory=None` ⇒ `os.getcwd()`).
    fn default() -> Self {
        SimpleHttpRequestHandler::new(std::env::current_dir().unwrap_or_else(|_| ".".into()))
    }
}

/// The overridable methods of `SimpleHTTPRequestHandler`, as a Python
/// subclass sees them. Every method has CPython's behaviour by default.
///
/// Extend the stock handler with more methods with
/// `#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler)]`
/// (its [`Base`] implementation dispatches `GET` and `HEAD` to the methods
/// here), or write `impl Handler` by hand falling back to
/// `<SimpleHttpRequestHandler as basehttp::Base<Self>>::dispatch`.
pub trait FileHandler: Send + 'static {
    /// The handler's state (class attributes).
    fn file_handler(&self) -> &SimpleHttpRequestHandler;

    /// `translate_path(path)`: the file-system path for a request target.
    fn translate_path(&self, path: &str) -> PathBuf {
        path::translate_path(path, &self.file_handler().directory)
    }

    /// `guess_type(path)`: the `Content-type` of a file.
    fn guess_type(&self, path: &Path) -> String {
        let s = self.file_handler();
        mime::guess_type(path, &s.extensions_map, &s.default_content_type)
    }

    /// `list_directory(path)`: sends the headers of a listing of `path` and
    /// returns its body, or answers 404 and returns `None`.
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn list_directory(&mut self, req: &mut Request, path: &Path) -> io::Result<Option<Body>> {
        default_list_directory(self, req, path)
    }

    /// `send_head()`: everything GET and HEAD share. Sends the status line
    /// and headers and returns the body GET should send, if any.
    ///
    /// The default runs the steps below in order ([`default_send_head`]);
    /// override one step to change only it.
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
        default_send_head(self, req)
    }

    /// Step 1 of `send_head`, for the [`translate_path`](Self::translate_path)
    /// result: a directory is redirected to its slash form (301), served by
    /// its first index page, or listed ([`list_directory`](Self::list_directory)).
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn resolve_directory(&mut self, req: &mut Request, path: PathBuf) -> io::Result<Resolved> {
        default_resolve_directory(self, req, path)
    }

    /// Step 2: guesses the file's type and opens it; anything but a
    /// readable regular file is answered `404 File not found` (`None`).
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn open_file(
        &mut self,
        req: &mut Request,
        path: PathBuf,
        stat: Option<fs::Metadata>,
    ) -> io::Result<Option<OpenFile>> {
        default_open_file(self, req, path, stat)
    }

    /// Step 3, with [`compress`](SimpleHttpRequestHandler::compress) on:
    /// picks the form to send by the request's `Accept-Encoding` (a
    /// precompressed sibling, compression on the fly, or the file as
    /// stored) and marks the response `vary`. Returns `file` unchanged with
    /// compression off.
    fn select_encoding(&self, req: &Request, file: OpenFile) -> OpenFile {
        default_select_encoding(self.file_handler(), req, file)
    }

    /// Step 4, conditional GET: answers `304 Not Modified` and returns
    /// `true` when the client's copy is current (`If-None-Match` with
    /// [`etag`](SimpleHttpRequestHandler::etag) on, else CPython's
    /// `If-Modified-Since` rule).
    ///
    /// # Errors
    /// I/O errors writing the response.
    fn send_not_modified(&mut self, req: &mut Request, file: &OpenFile) -> io::Result<bool> {
        default_send_not_modified(self.file_handler(), req, file)
    }

    /// Step 5: the byte range a `GET` asks for (`Range`, ignored when an
    /// `If-Range` does not match, or for an encoded form);
    /// [`ByteRange::Ignore`] for the whole file.
    fn select_range(&self, req: &Request, file: &OpenFile) -> ByteRange {
        default_select_range(req, file)
    }

    /// Step 6: sends the status line (200, 206 or 416) and the headers, and
    /// returns the body to send.
    ///
    /// # Errors
    /// I/O errors seeking the file or writing the response.
    fn send_file_headers(
        &mut self,
        req: &mut Request,
        file: OpenFile,
        range: ByteRange,
    ) -> io::Result<Option<Body>> {
        default_send_file_headers(self.file_handler(), req, file, range)
    }

    /// `copyfile(source, outputfile)`: sends a body. A file is sent with
    /// `sendfile` where possible; if it shrank meanwhile, the connection is
    /// closed after the short body.
    ///
    /// # Errors
    /// I/O errors.
    fn copyfile(&mut self, body: Body, req: &mut Request) -> io::Result<()> {
        match body {
            Body::Bytes(b) => req.wfile.write_all(&b),
            Body::Reader(mut r) => match io::copy(&mut r, &mut req.wfile) {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    // Cut off (the chunked body gets no last chunk), never
                    // ended as if whole.
                    req.log_error(format_args!("{e}"));
                    Err(e)
                }
                r => r.map(drop),
            },
            Body::File { mut file, len } => {
                let sent = req.wfile.send_shared_file(&mut file, len)?;
                if sent < len {
                    req.log_error(format_args!(
                        "file shrank while being sent ({sent} of {len} bytes)"
                    ));
                    req.close_connection = true;
                }
                Ok(())
            }
        }
    }

    /// `do_GET()`: `send_head`, then the body.
    ///
    /// # Errors
    /// I/O errors.
    #[allow(non_snake_case)]
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        match self.send_head(req)? {
            Some(body) => self.copyfile(body, req),
            None => Ok(()),
        }
    }

    /// `do_HEAD()`: `send_head` without the body.
    ///
    /// # Errors
    /// I/O errors.
    #[allow(non_snake_case)]
    fn do_HEAD(&mut self, req: &mut Request) -> io::Result<()> {
        self.send_head(req).map(drop)
    }
}

/// The stock file handler as a base: `GET` and `HEAD`, with
/// `server_version = "SimpleHTTP"` and the configured `protocol_version`.
impl<H: FileHandler> Base<H> for SimpleHttpRequestHandler {
    const METHODS: &'static [&'static str] = &["GET", "HEAD"];

    fn dispatch(handler: &mut H, req: &mut Request) -> Option<io::Result<()>> {
        if let Some(refused) = check_auth(handler.file_handler(), req) {
            return Some(refused);
        }
        let state = handler.file_handler();
        match req.command.as_str() {
            "GET" => Some(handler.do_GET(req)),
            "HEAD" => Some(handler.do_HEAD(req)),
            "OPTIONS" if state.cors => Some(dev::send_preflight(req, <Self as Base<H>>::METHODS)),
            "POST" if state.upload.is_some() => {
                let (dir, up) = (state.directory.clone(), state.upload.clone().expect("some"));
                Some(upload::post(req, &dir, &up))
            }
            "PUT" if state.upload.is_some() => {
                let (dir, up) = (state.directory.clone(), state.upload.clone().expect("some"));
                Some(upload::put(req, &dir, &up))
            }
            _ => None,
        }
    }

    fn class(handler: &H) -> Class {
        let state = handler.file_handler();
        Class {
            server_version: Cow::Borrowed("SimpleHTTP"),
            protocol_version: Cow::Owned(state.protocol_version.clone()),
            response_headers: dev::response_headers(state).into(),
            ..Class::BASE
        }
    }
}

impl FileHandler for SimpleHttpRequestHandler {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        self
    }
}

/// The stock handler is its own base: `GET` and `HEAD`, nothing added.
#[basehttp_macros::http_handler(extends = SimpleHttpRequestHandler)]
impl SimpleHttpRequestHandler {
    /// CPython's: `100 Continue` at once (the binary's bytes stay CPython's).
    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        crate::handler::send_continue(req)
    }
}

/// Sends the 3.15 `extra_response_headers`, skipping names the handler
/// itself already sent in this response (extras may repeat each other).
fn send_extra_headers(state: &SimpleHttpRequestHandler, req: &mut Request) -> io::Result<()> {
    let keep: Vec<bool> = state
        .extra_response_headers
        .iter()
        // `Vary` is a list (RFC 9110 §12.5.5): a second field adds to the
        // `Vary: Accept-Encoding` of compression rather than replacing it.
        .map(|(name, _)| name.eq_ignore_ascii_case("Vary") || !req.header_sent(name))
        .collect();
    for ((name, value), keep) in state.extra_response_headers.iter().zip(keep) {
        if keep {
            req.send_header(name, value)?;
        }
    }
    Ok(())
}

/// The default [`FileHandler::send_head`]: CPython's `send_head`, as the
/// steps of [`FileHandler`] in order.
///
/// # Errors
/// I/O errors writing the response.
pub fn default_send_head<H: FileHandler + ?Sized>(
    h: &mut H,
    req: &mut Request,
) -> io::Result<Option<Body>> {
    let path = h.translate_path(&req.path);
    let (path, stat) = match h.resolve_directory(req, path)? {
        Resolved::File { path, stat } => (path, stat),
        Resolved::Sent(body) => return Ok(body),
    };
    let (path, stat) = match stat {
        None => match dev::spa_fallback(h.file_handler(), req) {
            Some((page, meta)) => (page, Some(meta)),
            None => (path, None),
        },
        stat => (path, stat),
    };
    let Some(file) = h.open_file(req, path, stat)? else {
        return Ok(None);
    };
    let file = h.select_encoding(req, file);
    // `--no-cache`: a dev server always sends the file.
    if !h.file_handler().no_cache && h.send_not_modified(req, &file)? {
        return Ok(None);
    }
    let range = h.select_range(req, &file);
    h.send_file_headers(req, file, range)
}

/// The default [`FileHandler::resolve_directory`].
///
/// # Errors
/// I/O errors writing the response.
pub fn default_resolve_directory<H: FileHandler + ?Sized>(
    h: &mut H,
    req: &mut Request,
    path: PathBuf,
) -> io::Result<Resolved> {
    // One stat serves `os.path.isdir` and the regular-file check of `open_file`.
    let stat = sharing::stat(h.file_handler(), &path);
    if !stat.as_ref().is_some_and(fs::Metadata::is_dir) {
        return Ok(Resolved::File { path, stat });
    }
    if let Some(location) = path::directory_redirect(&req.path) {
        req.redirect(301, &location)?;
        return Ok(Resolved::Sent(None));
    }
    if let Some(format) = archive::requested(h.file_handler(), &req.path) {
        return archive::send(h.file_handler(), req, &path, format).map(Resolved::Sent);
    }
    let index = h.file_handler().index_pages.iter().find_map(|p| {
        let candidate = path.join(p);
        let meta = sharing::stat(h.file_handler(), &candidate).filter(fs::Metadata::is_file)?;
        Some((candidate, meta))
    });
    match index {
        Some((index, meta)) => Ok(Resolved::File {
            path: index,
            stat: Some(meta),
        }),
        None => h.list_directory(req, &path).map(Resolved::Sent),
    }
}

/// The default [`FileHandler::open_file`].
///
/// # Errors
/// I/O errors writing the response.
pub fn default_open_file<H: FileHandler + ?Sized>(
    h: &mut H,
    req: &mut Request,
    path: PathBuf,
    stat: Option<fs::Metadata>,
) -> io::Result<Option<OpenFile>> {
    let ctype = h.guess_type(&path);
    if path::os_bytes(path.as_os_str()).ends_with(b"/") {
        req.send_error_with(404, "File not found")?;
        return Ok(None);
    }
    // Only regular files: opening a FIFO would block the thread for ever
    // (CPython hangs there), and a device has no meaningful length.
    let cache = h
        .file_handler()
        .open_file_cache
        .then(cache::OpenFileCache::get)
        .flatten();
    let opened = match stat {
        Some(m) if m.is_file() => sharing::open_regular(h.file_handler(), cache, &path, m),
        _ => {
            if let Some(cache) = cache {
                cache.forget(&path);
            }
            None
        }
    };
    let Some((file, meta)) = opened else {
        req.send_error_with(404, "File not found")?;
        return Ok(None);
    };
    let size = meta.len();
    let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(Some(OpenFile {
        path,
        file,
        size,
        mtime,
        ctype,
        etag: conditional::etag(mtime, size),
        encoding: Encoding::Identity,
        vary: false,
    }))
}

/// Opens `path` for reading without waiting: a FIFO put in a regular
/// file's place after its `stat` would otherwise block the open for ever
/// (the caller checks the descriptor's `fstat`). Reads of a regular file
/// are the same with `O_NONBLOCK`.
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

/// Opens the regular file `path` whose `stat` was just taken: its cached
/// descriptor if the file is unchanged, else a new one (checked with
/// `fstat`, and cached). `None` if it cannot be opened or is no longer a
/// regular file.
fn open_regular(
    cache: Option<&cache::OpenFileCache>,
    path: &Path,
    stat: fs::Metadata,
) -> Option<(SharedFile, fs::Metadata)> {
    if let Some(file) = cache.and_then(|c| c.lookup(path, &stat)) {
        return Some((SharedFile::from_shared(file), stat));
    }
    let file = open_nonblocking(path).ok()?;
    let meta = file.metadata().ok().filter(fs::Metadata::is_file)?;
    let file = std::sync::Arc::new(file);
    if let Some(cache) = cache {
        cache.insert(path, &file, &meta);
    }
    Some((SharedFile::from_shared(file), meta))
}

/// The default [`FileHandler::select_encoding`].
pub fn default_select_encoding(
    state: &SimpleHttpRequestHandler,
    req: &Request,
    file: OpenFile,
) -> OpenFile {
    sharing::select_encoding(state, req, file)
}

/// The default [`FileHandler::send_not_modified`].
///
/// # Errors
/// I/O errors writing the response.
pub fn default_send_not_modified(
    state: &SimpleHttpRequestHandler,
    req: &mut Request,
    file: &OpenFile,
) -> io::Result<bool> {
    let inm = req.headers.get("If-None-Match").map(str::to_owned);
    if state.etag
        && let Some(inm) = &inm
    {
        // RFC 9110 §13.2.2: If-None-Match takes precedence over If-Modified-Since.
        if conditional::none_match_hits(inm, &file.etag) {
            req.send_response(304)?;
            req.send_header("ETag", &file.etag)?;
            send_vary(req, file.vary)?;
            req.end_headers()?;
            return Ok(true);
        }
    } else if inm.is_none()
        && let Some(ims) = req.headers.get("If-Modified-Since")
        && conditional::not_modified_since(ims, file.mtime)
    {
        req.send_response(304)?;
        if state.etag {
            req.send_header("ETag", &file.etag)?;
        }
        send_vary(req, file.vary)?;
        req.end_headers()?;
        return Ok(true);
    }
    Ok(false)
}

/// The default [`FileHandler::select_range`].
pub fn default_select_range(req: &Request, file: &OpenFile) -> ByteRange {
    // Ranges are of the file as stored (a `Range` request gets that form).
    if req.command != "GET" || file.encoding != Encoding::Identity {
        return ByteRange::Ignore;
    }
    let Some(r) = req.headers.get("Range") else {
        return ByteRange::Ignore;
    };
    let if_range_ok = req
        .headers
        .get("If-Range")
        .is_none_or(|v| conditional::if_range_matches(v, &file.etag, file.mtime));
    if if_range_ok {
        range::parse_range(r, file.size)
    } else {
        ByteRange::Ignore
    }
}

/// The default [`FileHandler::send_file_headers`].
///
/// # Errors
/// I/O errors seeking the file or writing the response.
pub fn default_send_file_headers(
    state: &SimpleHttpRequestHandler,
    req: &mut Request,
    file: OpenFile,
    range: ByteRange,
) -> io::Result<Option<Body>> {
    let OpenFile {
        mut file,
        size,
        mtime,
        ctype,
        etag,
        encoding,
        vary,
        ..
    } = file;
    // Without the `compress` feature nothing compresses: the file as stored;
    // nor when the most encoders allowed at once are running (a race with
    // `select_encoding`'s check): then with the stored form's tag.
    #[cfg(feature = "compress")]
    let mut permit = None;
    let (encoding, etag) = match encoding {
        #[cfg(feature = "compress")]
        Encoding::OnTheFly(c) => match compress::Permit::take() {
            Some(p) => {
                permit = Some(p);
                (Encoding::OnTheFly(c), etag)
            }
            None => (Encoding::Identity, conditional::etag(mtime, size)),
        },
        #[cfg(not(feature = "compress"))]
        Encoding::OnTheFly(_) => (Encoding::Identity, conditional::etag(mtime, size)),
        e => (e, etag),
    };
    // An encoded form is always sent whole (ranges are of the stored file).
    let range = match encoding {
        Encoding::Identity => range,
        _ => ByteRange::Ignore,
    };
    let last_modified = conditional::last_modified(mtime);
    let (len, content_range) = match range {
        ByteRange::Ignore => {
            req.send_response(200)?;
            (size, None)
        }
        ByteRange::Unsatisfiable => {
            let cr = format!("bytes */{size}");
            req.send_error_full(416, None, None, &[("Content-Range", &cr)])?;
            return Ok(None);
        }
        ByteRange::Satisfiable { start, end } => {
            file.seek(SeekFrom::Start(start))?;
            req.send_response(206)?;
            (end - start + 1, Some(format!("bytes {start}-{end}/{size}")))
        }
    };
    req.send_header("Content-type", &ctype)?;
    if let Some(coding) = encoding.coding() {
        req.send_header("Content-Encoding", coding.token())?;
    }
    if let Some(cr) = &content_range {
        req.send_header("Content-Range", cr)?;
    }
    if !matches!(encoding, Encoding::OnTheFly(_)) {
        req.send_header("Content-Length", &len.to_string())?;
    }
    req.send_header("Last-Modified", &last_modified)?;
    if state.etag {
        req.send_header("ETag", &etag)?;
    }
    if state.accept_ranges && encoding == Encoding::Identity {
        req.send_header("Accept-Ranges", "bytes")?;
    }
    send_vary(req, vary)?;
    send_extra_headers(state, req)?;
    #[cfg(feature = "compress")]
    if let (Encoding::OnTheFly(coding), Some(permit)) = (encoding, permit) {
        req.end_headers_chunked()?;
        let encoded = compress::encoder(file, size, coding, permit);
        return Ok(Some(Body::Reader(encoded)));
    }
    req.end_headers()?;
    Ok(Some(Body::File { file, len }))
}

/// `Vary: Accept-Encoding` for a response that depends on it
/// ([`OpenFile::vary`]; RFC 9110 §12.5.5), on 304s too (§15.4.5).
fn send_vary(req: &mut Request, vary: bool) -> io::Result<()> {
    if vary {
        req.send_header("Vary", "Accept-Encoding")?;
    }
    Ok(())
}

/// The default [`FileHandler::list_directory`].
///
/// # Errors
/// I/O errors writing the response.
pub fn default_list_directory<H: FileHandler + ?Sized>(
    h: &mut H,
    req: &mut Request,
    dir: &Path,
) -> io::Result<Option<Body>> {
    let Some(mut entries) = sharing::read_entries(h.file_handler(), dir) else {
        req.send_error_with(404, "No permission to list directory")?;
        return Ok(None);
    };
    if h.file_handler().upload.is_some() {
        // Uploads still being written are not files yet.
        entries.retain(|e| !upload::is_temporary(&e.name));
    }
    listing::sort_entries(&mut entries);
    let displaypath = path::unquote_fs(path::strip_query(&req.path));
    let link = archive::listing_link(h.file_handler());
    let mut page = listing::render_listing(&displaypath, &entries, link.as_deref());
    if let Some(up) = &h.file_handler().upload
        && upload::form_allowed(up, &req.url().path_unquoted())
    {
        // The forms go before the closing tags (the page is otherwise
        // CPython's).
        let tail = b"</body>\n</html>\n";
        page.truncate(page.len() - tail.len());
        upload::listing_form(&mut page);
        page.extend_from_slice(tail);
    }
    req.send_response(200)?;
    req.send_header("Content-type", "text/html; charset=utf-8")?;
    req.send_header("Content-Length", &page.len().to_string())?;
    send_extra_headers(h.file_handler(), req)?;
    req.end_headers()?;
    Ok(Some(Body::Bytes(page)))
}
