//! A `do_GET` that echoes what the handler knows about the request: CLIENT
//! VALUES (client_address, command, path, real path, query,
//! request_version), SERVER VALUES (server_version, sys_version,
//! protocol_version) and the headers received, one `name=value` per line.
//!
//! Mirrors Doug Hellmann's PyMOTW `http_server_GET.py` (`examples/python/get.py`).
//!
//! Run with `cargo run -p examples --example get -- 8080`, then
//! `curl -v -i 'http://127.0.0.1:8080/?foo=bar'`.
use std::io;
use std::net::SocketAddr;

use basehttp::prelude::*;

/// The PyMOTW `GetHandler`.
pub struct GetHandler;

#[http_handler]
impl GetHandler {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let (real_path, query) = urlparse_path_query(&req.path);
        let class = req.class();
        let mut message_parts = vec![
            "CLIENT VALUES:".to_owned(),
            format!(
                "client_address={} ({})",
                py_address(req.client_address),
                req.address_string()
            ),
            format!("command={}", req.command),
            format!("path={}", req.path),
            format!("real path={real_path}"),
            format!("query={query}"),
            format!("request_version={}", req.request_version),
            String::new(),
            "SERVER VALUES:".to_owned(),
            format!("server_version={}", class.server_version),
            format!("sys_version={}", class.sys_version),
            format!("protocol_version={}", class.protocol_version),
            String::new(),
            "HEADERS RECEIVED:".to_owned(),
        ];
        let mut headers: Vec<(&str, &str)> = req.headers.iter().collect();
        headers.sort();
        for (name, value) in headers {
            message_parts.push(format!("{name}={}", value.trim_end()));
        }
        message_parts.push(String::new());
        let message = message_parts.join("\r\n");
        req.send_response(200)?;
        req.send_header("Content-Type", "text/plain; charset=utf-8")?;
        req.end_headers()?;
        req.wfile.write_all(message.as_bytes())
    }
}

/// `str(self.client_address)`: Python's tuple repr, `('127.0.0.1', 54321)`.
pub fn py_address(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        SocketAddr::V6(a) => format!(
            "('{}', {}, {}, {})",
            a.ip(),
            a.port(),
            a.flowinfo(),
            a.scope_id()
        ),
    }
}

/// `urllib.parse.urlparse(path)`'s `.path` and `.query`: drops a scheme and
/// netloc, the `#fragment` and the `;params` of the last segment.
pub fn urlparse_path_query(url: &str) -> (String, String) {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = cleaned.as_str();
    if let Some(i) = rest.find(':') {
        let scheme = &rest[..i];
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            rest = &rest[i + 1..];
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        rest = after.find(['/', '?', '#']).map_or("", |i| &after[i..]);
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // `_splitparams`: the `;params` of the last segment.
    let path = match path.rfind('/') {
        Some(slash) => path[slash..].find(';').map_or(path, |i| &path[..slash + i]),
        None => path.split_once(';').map_or(path, |(p, _)| p),
    };
    (path.to_owned(), query.to_owned())
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::bind(("127.0.0.1", port), || GetHandler)?;
    println!("Starting server, use <Ctrl-C> to stop");
    server.serve_forever()
}
