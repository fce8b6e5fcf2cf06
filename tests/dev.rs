//! The dev-server options of `SimpleHttpRequestHandler` over real sockets
//! (issue 23; the binary's `--spa`, `--cors`, `--isolate`, `--no-cache`):
//! each one's effect, and the bytes unchanged when it is off.

use std::time::{Duration, SystemTime};

use basehttp::handlers::{CgiHttpRequestHandler, SimpleHttpRequestHandler};

use crate::support::{Response, TempDir, TestServer, parse, raw, spawn};

const PAGE: &[u8] = b"<!doctype html><title>app</title>";
const NAVIGATE: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
/// What Chromium sends for an `<img>`.
const IMAGE: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

struct Site {
    _dir: TempDir,
    server: TestServer,
}

impl Site {
    fn new(cfg: impl Fn(SimpleHttpRequestHandler) -> SimpleHttpRequestHandler) -> Site {
        let dir = TempDir::new("dev");
        dir.write("index.html", PAGE);
        dir.write("app.html", b"other page");
        dir.write("style.css", b"body{}");
        let handler = cfg(SimpleHttpRequestHandler::new(dir.path()));
        let server = spawn(move || handler.clone());
        Site { _dir: dir, server }
    }

    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        parse(&self.raw(method, target, headers))
    }

    fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut req = format!("{method} {target} HTTP/1.0\r\n").into_bytes();
        for (n, v) in headers {
            req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        raw(self.server.addr, &req)
    }
}

/// The response with its `Date` header blanked, to compare two servers'
/// bytes.
fn without_date(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split("\r\n")
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: -"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn spa_serves_the_page_for_a_missing_route() {
    let site = Site::new(|h| h.with_spa("index.html"));
    for (target, accept) in [
        ("/app/settings", Some(NAVIGATE)),
        ("/app/settings/", Some(NAVIGATE)),
        ("/deep/link?tab=2", Some("*/*")),
        ("/old.html", Some("text/html")),
        ("/no-accept", None),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let resp = site.request("GET", target, &headers);
        assert_eq!(resp.status, 200, "{target}");
        assert_eq!(resp.body, PAGE, "{target}");
        assert_eq!(resp.header("Content-type"), Some("text/html"));
        let head = site.request("HEAD", target, &headers);
        assert_eq!(head.status, 200, "{target}");
        assert_eq!(
            head.header("Content-Length"),
            Some(PAGE.len().to_string().as_str())
        );
    }
    // Existing files are served as before.
    assert_eq!(
        site.request("GET", "/style.css", &[("Accept", NAVIGATE)])
            .body,
        b"body{}"
    );
}

#[test]
fn spa_keeps_the_404_for_missing_assets() {
    let site = Site::new(|h| h.with_spa("index.html"));
    for (target, accept) in [
        ("/logo.png", IMAGE),
        ("/main.js", "*/*"),
        ("/missing.css", NAVIGATE),
        ("/route", IMAGE.trim_end_matches(",*/*;q=0.8")),
        ("/route", "application/json"),
        ("/route", "text/html;q=0, application/json"),
    ] {
        let resp = site.request("GET", target, &[("Accept", accept)]);
        assert_eq!(resp.status, 404, "{target} {accept}");
    }
    // Only GET and HEAD fall back.
    assert_eq!(
        site.request("POST", "/route", &[("Accept", NAVIGATE)])
            .status,
        501
    );
}

#[test]
fn spa_with_another_file_and_a_missing_one() {
    let site = Site::new(|h| h.with_spa("app.html"));
    let resp = site.request("GET", "/x", &[("Accept", NAVIGATE)]);
    assert_eq!(
        (resp.status, resp.body.as_slice()),
        (200, &b"other page"[..])
    );
    let site = Site::new(|h| h.with_spa("nowhere.html"));
    assert_eq!(
        site.request("GET", "/x", &[("Accept", NAVIGATE)]).status,
        404
    );
}

#[test]
fn spa_off_is_cpythons_404() {
    let site = Site::new(|h| h);
    assert_eq!(
        site.request("GET", "/app/settings", &[("Accept", NAVIGATE)])
            .status,
        404
    );
}

#[test]
fn cors_on_every_response() {
    let site = Site::new(|h| h.with_cors(true));
    for (method, target, status) in [
        ("GET", "/style.css", 200),
        ("HEAD", "/style.css", 200),
        ("GET", "/missing", 404),
        ("GET", "/", 200),
        ("POST", "/", 501),
    ] {
        let resp = site.request(method, target, &[]);
        assert_eq!(resp.status, status, "{method} {target}");
        assert_eq!(
            resp.headers_named("Access-Control-Allow-Origin"),
            ["*"],
            "{method} {target}"
        );
    }
}

#[test]
fn cors_preflight() {
    let site = Site::new(|h| h.with_cors(true));
    let bytes = site.raw(
        "OPTIONS",
        "/style.css",
        &[
            ("Origin", "http://example.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-token, content-type"),
        ],
    );
    let resp = parse(&bytes);
    assert_eq!(resp.status_line, "HTTP/1.0 204 No Content");
    assert_eq!(
        resp.header("Access-Control-Allow-Methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        resp.header("Access-Control-Allow-Headers"),
        Some("x-token, content-type")
    );
    assert_eq!(resp.header("Access-Control-Max-Age"), Some("7200"));
    assert_eq!(resp.header("Access-Control-Allow-Origin"), Some("*"));
    assert!(resp.body.is_empty());
    // Without Access-Control-Request-Headers, no Allow-Headers.
    let resp = site.request("OPTIONS", "*", &[]);
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("Access-Control-Allow-Headers"), None);
}

#[test]
fn cors_preflight_lists_the_cgi_handlers_methods() {
    let dir = TempDir::new("dev-cgi");
    let root = dir.path().to_owned();
    let server = spawn(move || {
        let mut cgi = CgiHttpRequestHandler::new(root.clone());
        cgi.files = cgi.files.clone().with_cors(true);
        cgi
    });
    let resp = parse(&raw(server.addr, b"OPTIONS / HTTP/1.0\r\n\r\n"));
    assert_eq!(resp.status, 204);
    assert_eq!(
        resp.header("Access-Control-Allow-Methods"),
        Some("GET, HEAD, POST, OPTIONS")
    );
}

#[test]
fn without_cors_options_is_cpythons_501() {
    let site = Site::new(|h| h);
    let resp = site.request("OPTIONS", "/", &[("Access-Control-Request-Method", "GET")]);
    assert_eq!(resp.status, 501);
    assert_eq!(resp.header("Access-Control-Allow-Origin"), None);
}

#[test]
fn isolate_on_every_response() {
    let site = Site::new(|h| h.with_isolate(true));
    for target in ["/style.css", "/missing", "/"] {
        let resp = site.request("GET", target, &[]);
        assert_eq!(
            resp.header("Cross-Origin-Opener-Policy"),
            Some("same-origin")
        );
        assert_eq!(
            resp.header("Cross-Origin-Embedder-Policy"),
            Some("require-corp")
        );
        assert_eq!(resp.header("Access-Control-Allow-Origin"), None);
    }
}

#[test]
fn no_cache_sends_no_store_and_never_304() {
    let site = Site::new(|h| h.with_no_cache(true).with_etag(true));
    let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    let resp = site.request("GET", "/style.css", &[("If-Modified-Since", &later)]);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"body{}");
    assert_eq!(resp.headers_named("Cache-Control"), ["no-store"]);
    let etag = resp.header("ETag").unwrap().to_owned();
    let resp = site.request("GET", "/style.css", &[("If-None-Match", &etag)]);
    assert_eq!(resp.status, 200);
    assert_eq!(
        site.request("GET", "/missing", &[]).header("Cache-Control"),
        Some("no-store")
    );
    // Without it, CPython's 304.
    let site = Site::new(|h| h);
    let resp = site.request("GET", "/style.css", &[("If-Modified-Since", &later)]);
    assert_eq!(resp.status, 304);
    assert_eq!(resp.header("Cache-Control"), None);
}

#[test]
fn a_header_given_with_h_wins() {
    let site = Site::new(|h| {
        h.with_no_cache(true)
            .with_header("Cache-Control", "max-age=60")
    });
    let resp = site.request("GET", "/style.css", &[]);
    assert_eq!(resp.headers_named("Cache-Control"), ["max-age=60"]);
}

#[test]
fn all_switches_together_and_none_changes_nothing() {
    let site = Site::new(|h| {
        h.with_spa("index.html")
            .with_cors(true)
            .with_isolate(true)
            .with_no_cache(true)
    });
    let resp = site.request("GET", "/route", &[("Accept", NAVIGATE)]);
    assert_eq!(resp.status, 200);
    for name in [
        "Access-Control-Allow-Origin",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Embedder-Policy",
        "Cache-Control",
    ] {
        assert_eq!(resp.headers_named(name).len(), 1, "{name}");
    }
    // Off (the default), the bytes are the stock handler's, byte for byte.
    let stock = Site::new(|h| h);
    let off = Site::new(|h| h.with_cors(false).with_isolate(false).with_no_cache(false));
    for (method, target) in [
        ("GET", "/style.css"),
        ("GET", "/missing"),
        ("GET", "/"),
        ("OPTIONS", "/"),
    ] {
        let a = without_date(&stock.raw(method, target, &[("Accept", NAVIGATE)]));
        let b = without_date(&off.raw(method, target, &[("Accept", NAVIGATE)]));
        assert_eq!(a, b, "{method} {target}");
        assert!(!a.contains("Access-Control") && !a.contains("Cross-Origin"));
    }
}

/// Headless Chromium on a dev build served with `--spa --isolate`: a
/// client-side route loads the app (whose script runs, a module from the
/// same origin included), and the page is `crossOriginIsolated`, which
/// `SharedArrayBuffer` needs; without `--isolate` it is not.
#[test]
fn chromium_loads_a_spa_route_cross_origin_isolated() {
    use crate::clients::{self, CHROMIUM, client_present, run_bounded};
    if !client_present(CHROMIUM, "apt-get install chromium") {
        return;
    }
    let dir = TempDir::new("dev-chromium");
    dir.write(
        "index.html",
        b"<!doctype html><html><body><script type=\"module\" src=\"/app.js\"></script></body></html>",
    );
    dir.write(
        "app.js",
        b"const p = document.createElement('p'); p.id = 'r';\n\
          p.textContent = `${location.pathname} isolated=${self.crossOriginIsolated} \
          sab=${typeof SharedArrayBuffer}`;\n\
          document.body.appendChild(p);\n",
    );
    for (isolate, want) in [
        (true, "/settings/profile isolated=true sab=function"),
        (false, "/settings/profile isolated=false"),
    ] {
        let handler = SimpleHttpRequestHandler::new(dir.path())
            .with_spa("index.html")
            .with_isolate(isolate);
        let server = spawn(move || handler.clone());
        let profile = TempDir::new("dev-chromium-profile");
        let mut chromium = clients::chromium(&profile);
        chromium.arg("--dump-dom").arg(format!(
            "http://127.0.0.1:{}/settings/profile",
            server.port()
        ));
        let output = run_bounded(chromium);
        let dom = String::from_utf8_lossy(&output.stdout);
        assert!(
            dom.contains(&format!("<p id=\"r\">{want}")),
            "{dom}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
