//! What a dev server adds to `SimpleHTTPRequestHandler`, each off by
//! default (CPython has none of them): a single-page-app fallback, CORS
//! with its preflight, cross-origin isolation and `Cache-Control: no-store`.
//! The `basehttp` command's `--spa`, `--cors`, `--isolate` and `--no-cache`.

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::request::Request;

use super::SimpleHttpRequestHandler;

/// The dev-server options (`--spa`, `--cors`, `--isolate`, `--no-cache`).
impl SimpleHttpRequestHandler {
    /// Serves a single-page app (`--spa[=FILE]`, `serve --single`): a `GET`
    /// or `HEAD` for a path that names nothing is answered `200` with
    /// `file` (relative to [`directory`](Self::directory), usually
    /// `index.html`) when it looks like a page navigation: the last path
    /// segment has no extension or `.html`/`.htm`, and `Accept` admits HTML
    /// (`text/html`, `text/*` or `*/*`, or no `Accept`). A missing asset
    /// (`/logo.png`, `/main.js`) is still `404`, whatever it accepts.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new("dist").with_spa("index.html");
    /// assert_eq!(files.spa.as_deref(), Some("index.html".as_ref()));
    /// ```
    #[must_use]
    pub fn with_spa(mut self, file: impl Into<PathBuf>) -> Self {
        self.spa = Some(file.into());
        self
    }

    /// Turns CORS for any origin on or off (`--cors`):
    /// `Access-Control-Allow-Origin: *` on every response, and `OPTIONS`
    /// answered as a preflight, `204` with `Access-Control-Allow-Methods`
    /// (the handler's methods), `Access-Control-Allow-Headers` (the
    /// request's `Access-Control-Request-Headers`) and
    /// `Access-Control-Max-Age: 7200`. Off, `OPTIONS` is CPython's `501`.
    ///
    /// The headers are the class's [`response_headers`], added after any
    /// `before_end_headers` hook of a handler extending this one; that
    /// handler's own `do_*` methods are not listed in a preflight.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new(".").with_cors(true).with_isolate(true);
    /// # let _ = files;
    /// ```
    ///
    /// [`response_headers`]: crate::Class::response_headers
    #[must_use]
    pub fn with_cors(mut self, on: bool) -> Self {
        self.cors = on;
        self
    }

    /// Turns cross-origin isolation on or off (`--isolate`):
    /// `Cross-Origin-Opener-Policy: same-origin` and
    /// `Cross-Origin-Embedder-Policy: require-corp` on every response, what
    /// a page needs for `SharedArrayBuffer` and WebAssembly threads
    /// (`crossOriginIsolated`).
    #[must_use]
    pub fn with_isolate(mut self, on: bool) -> Self {
        self.isolate = on;
        self
    }

    /// Turns "always send the file" on or off (`--no-cache`):
    /// `Cache-Control: no-store` on every response, and `If-Modified-Since`
    /// / `If-None-Match` never answered `304`.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new(".").with_no_cache(true);
    /// assert!(files.no_cache);
    /// ```
    #[must_use]
    pub fn with_no_cache(mut self, on: bool) -> Self {
        self.no_cache = on;
        self
    }
}

/// `Access-Control-Max-Age` of a preflight, in seconds: how long a browser
/// may cache it. Chromium caps it at 7200 (`kMaxCacheAge` in
/// `cors/preflight_cache.cc`), Firefox at 86400; 7200 is what both keep.
const CORS_MAX_AGE: &str = "7200";

/// The response headers the switches add, in the order they are sent.
const CORS: (&str, &str) = ("Access-Control-Allow-Origin", "*");
const COOP: (&str, &str) = ("Cross-Origin-Opener-Policy", "same-origin");
const COEP: (&str, &str) = ("Cross-Origin-Embedder-Policy", "require-corp");
const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");

/// The headers the switches that are on add to every final response
/// ([`Class::response_headers`](crate::Class::response_headers)), in the
/// order they are sent.
pub(crate) fn response_headers(
    state: &SimpleHttpRequestHandler,
) -> Vec<(&'static str, &'static str)> {
    let on = [state.cors, state.isolate, state.isolate, state.no_cache];
    on.into_iter()
        .zip([CORS, COOP, COEP, NO_STORE])
        .filter_map(|(on, header)| on.then_some(header))
        .collect()
}

/// A CORS preflight (Fetch standard, "CORS-preflight fetch"): `204` with
/// the methods the handler answers, the request headers the browser asked
/// for, and how long to cache the answer. `Access-Control-Allow-Origin`
/// comes from the class's `response_headers`, as on every response.
///
/// # Errors
/// I/O errors writing the response.
pub(crate) fn send_preflight(req: &mut Request, methods: &[&str]) -> io::Result<()> {
    let mut allow: Vec<&str> = methods.to_vec();
    if !allow.contains(&"OPTIONS") {
        allow.push("OPTIONS");
    }
    let asked: Vec<String> = req
        .headers
        .get_all("Access-Control-Request-Headers")
        .map(str::to_owned)
        .collect();
    req.send_response(204)?;
    req.send_header("Access-Control-Allow-Methods", &allow.join(", "))?;
    if !asked.is_empty() {
        req.send_header("Access-Control-Allow-Headers", &asked.join(", "))?;
    }
    req.send_header("Access-Control-Max-Age", CORS_MAX_AGE)?;
    // RFC 9110 §6.4.1: a 204 has no body; HTTP/1.1 clients still like to
    // see the framing.
    req.send_header("Content-Length", "0")?;
    req.end_headers()
}

/// The single-page-app fallback for a path that names nothing: the
/// fallback file and its metadata when the request looks like a page
/// navigation, else `None` (the 404 stays).
///
/// A navigation is a request whose last path segment has no extension, or
/// `.html`/`.htm`, and whose `Accept` admits HTML (`text/html`, `text/*`
/// or `*/*` with a non-zero weight; no `Accept` admits everything, RFC 9110
/// §12.5.1). So `/app/settings` from a browser gets the page, while a
/// missing `/logo.png` or `/main.js` still gets 404 whatever it accepts.
pub(crate) fn spa_fallback(
    state: &SimpleHttpRequestHandler,
    req: &Request,
) -> Option<(PathBuf, fs::Metadata)> {
    let file = state.spa.as_ref()?;
    if !looks_like_page(&req.path) || !accepts_html(req) {
        return None;
    }
    // A hidden dot-path (`--no-dotfiles`) stays a 404, not the app.
    if !state.dotfiles
        && req
            .url()
            .path_unquoted()
            .split('/')
            .any(|seg| seg.starts_with('.'))
    {
        return None;
    }
    let path = state.directory.join(file);
    let meta = fs::metadata(&path).ok().filter(fs::Metadata::is_file)?;
    Some((path, meta))
}

/// The last segment of the path (query and fragment dropped) has no
/// extension, or an HTML one.
fn looks_like_page(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        None | Some(("", _)) => true,
        Some((_, ext)) => ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"),
    }
}

/// `Accept` admits `text/html` (RFC 9110 §12.5.1).
fn accepts_html(req: &Request) -> bool {
    let mut values = req.headers.get_all("Accept").peekable();
    if values.peek().is_none() {
        return true;
    }
    values.flat_map(|v| v.split(',')).any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let admits = ["text/html", "text/*", "*/*"]
            .iter()
            .any(|m| media.eq_ignore_ascii_case(m));
        let zero = parts.any(|p| {
            p.trim()
                .split_once('=')
                .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("q") && is_zero(v.trim()))
        });
        admits && !zero
    })
}

/// A `qvalue` of zero (`0`, `0.`, `0.000`).
fn is_zero(q: &str) -> bool {
    q.strip_prefix('0').is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('.')
                .is_some_and(|d| d.bytes().all(|b| b == b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_assets() {
        for (target, page) in [
            ("/", true),
            ("/app/settings", true),
            ("/app/settings/", true),
            ("/about.html", true),
            ("/x.HTM?q=1", true),
            ("/route?file=a.png", true),
            ("/v1.2/", true),
            ("/.well-known", true),
            ("/logo.png", false),
            ("/main.js", false),
            ("/dir/data.json#x", false),
        ] {
            assert_eq!(looks_like_page(target), page, "{target}");
        }
    }

    #[test]
    fn zero_weights() {
        for (q, zero) in [
            ("0", true),
            ("0.", true),
            ("0.000", true),
            ("0.5", false),
            ("1", false),
        ] {
            assert_eq!(is_zero(q), zero, "{q}");
        }
    }
}
