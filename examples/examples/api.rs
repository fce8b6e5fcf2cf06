//! A small JSON service: `GET /` (HTML), `GET /api/items` (all, or one with
//! `?id=3`), `POST /api/items` (JSON in, `201` + `Location` out),
//! `DELETE /api/items/3` (`204`), files under `/static/` through the stock
//! file handler, CORS on every response, errors as JSON, HTTP/1.1, Ctrl-C.
//!
//! The same service in Python's `http.server`: `examples/python/api.py`.
//!
//! Run with `cargo run -p examples --example api -- 8000`, then
//! `curl -i -d '{"name": "spam"}' http://127.0.0.1:8000/api/items`.
use std::sync::{Arc, Mutex};

use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;
use serde::{Deserialize, Serialize};

const INDEX: &str =
    "<!DOCTYPE html>\n<title>Items</title>\n<p>See <a href=\"/api/items\">/api/items</a>.</p>\n";

/// One item; the server gives it its `id`.
#[derive(Clone, Serialize, Deserialize)]
struct Item {
    #[serde(default)]
    id: u64,
    name: String,
}

/// The service: the stock file handler (for `/static/`) plus the items,
/// shared by every connection.
#[derive(Clone)]
pub struct Api {
    files: SimpleHttpRequestHandler,
    items: Arc<Mutex<Vec<Item>>>,
}

impl Api {
    /// Serves `/static/...` from `directory/static/...`; no items yet.
    pub fn new(directory: &str) -> Api {
        let (files, items) = (SimpleHttpRequestHandler::new(directory), Arc::default());
        Api { files, items }
    }
}

/// `auto_head`: `HEAD` runs `do_GET` with the body dropped.
#[http_handler(protocol_version = "HTTP/1.1", auto_head)]
impl Api {
    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("Access-Control-Allow-Origin", "*")
    }

    fn error_page(_req: &Request, code: u16, message: &str, _explain: &str) -> ErrorPage {
        ErrorPage::json(serde_json::json!({"error": code, "message": message}).to_string())
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let url = req.url();
        if url.path.starts_with("/static/") {
            return self.files.do_GET(req); // the stock handler's do_GET
        }
        let items = self.items.lock().unwrap();
        match (url.path, url.query_value("id")) {
            ("/", _) => req.respond(200, "text/html; charset=utf-8", INDEX),
            ("/api/items", None) => req.respond_json(200, &*items),
            ("/api/items", Some(id)) => match items.iter().find(|i| i.id.to_string() == id) {
                Some(item) => req.respond_json(200, item),
                None => req.send_error_with(404, "No such item"),
            },
            _ => req.send_error(404),
        }
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        if req.url().path != "/api/items" {
            return req.send_error(404);
        }
        let mut item: Item = req.read_json(64 * 1024)?; // 411, 413 or 400 for you
        let mut items = self.items.lock().unwrap();
        item.id = items.last().map_or(1, |last| last.id + 1);
        items.push(item.clone());
        req.send_response(201)?;
        req.send_header("Location", &format!("/api/items?id={}", item.id))?;
        req.send_json(&item)
    }

    fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
        let mut items = self.items.lock().unwrap();
        let before = items.len();
        items.retain(|i| format!("/api/items/{}", i.id) != req.url().path);
        if items.len() == before {
            return req.send_error_with(404, "No such item");
        }
        req.send_response(204)?;
        req.end_headers()
    }
}

fn main() -> io::Result<()> {
    let port = std::env::args().nth(1).map_or(Ok(8000), |p| p.parse());
    let port: u16 = port.map_err(io::Error::other)?;
    let api = Api::new(".");
    let server = ThreadingHttpServer::bind(("127.0.0.1", port), move || api.clone())?;
    println!("Serving on http://127.0.0.1:{port}/ (Ctrl-C stops)");
    server.serve_until_signal()
}
