//! Testing a handler without a socket: [`Client`] runs a handler value
//! through the server's own parse → dispatch → response → keep-alive code,
//! over an in-memory connection, on the caller's thread (the counterpart
//! of Rocket's `local::blocking::Client` or axum's `oneshot`; CPython's
//! tests build a handler on a `BytesIO` pair for the same purpose).
//!
//! ```
//! use basehttp::prelude::*;
//! use basehttp::test::Client;
//!
//! struct Hello;
//!
//! #[http_handler(protocol_version = "HTTP/1.1")]
//! impl Hello {
//!     fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
//!         let body = format!("hello {}\n", req.path);
//!         req.send_response(200)?;
//!         req.send_header("Content-Type", "text/plain")?;
//!         req.send_header("Content-Length", &body.len().to_string())?;
//!         req.end_headers()?;
//!         req.wfile.write_all(body.as_bytes())
//!     }
//! }
//!
//! let mut client = Client::new(Hello);
//! let response = client.get("/world")?;
//! assert_eq!(response.status, 200);
//! assert_eq!(response.reason, "OK");
//! assert_eq!(response.header("Content-Type"), Some("text/plain"));
//! assert_eq!(response.body, b"hello /world\n");
//!
//! // HTTP/1.1 keeps the connection open: the next request reuses it.
//! assert!(client.is_connected());
//! let response = client.request("POST", "/").body("x=1").send()?;
//! assert_eq!(response.status, 501);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::connection::Connection;
use crate::handler::Handler;
use crate::headers::Headers;
use crate::info::ServerInfo;
use crate::memory::MemoryStream;
use crate::pystr::{latin1, push_latin1};

/// The address the in-memory server appears to listen on
/// (`server_address`; `server_name` is `localhost`).
pub const SERVER_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 80);
/// The address the in-memory client appears to connect from
/// (`client_address`).
pub const CLIENT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 50000);

/// A client connected to a handler in memory. Requests run synchronously
/// in [`send`](RequestBuilder::send) through the same code as a real
/// server's connection, so status lines, headers, bodies, keep-alive and
/// the draining of unread bodies are those a socket would carry.
///
/// When the server closes the connection (HTTP/1.0, `Connection: close`,
/// an error), the next request opens a new one, as `http.client` does; the
/// handler value is kept across connections.
pub struct Client<H> {
    handler: H,
    info: Arc<ServerInfo>,
    conn: Option<MemoryConnection>,
}

/// The server's side of the connection, and the client's end of its stream.
struct MemoryConnection {
    io: Connection,
    stream: MemoryStream,
}

impl<H: Handler> Client<H> {
    /// A client for `handler`, with the default [`ServerConfig`].
    pub fn new(handler: H) -> Self {
        Self::with_config(handler, ServerConfig::default())
    }

    /// A client for `handler` with server settings (`max_body`,
    /// `max_head_bytes`, ...; socket deadlines do not apply in memory).
    pub fn with_config(handler: H, config: ServerConfig) -> Self {
        Client {
            handler,
            info: Arc::new(ServerInfo::new(SERVER_ADDRESS, config)),
            conn: None,
        }
    }

    /// `GET target` with `Host: localhost`.
    ///
    /// # Errors
    /// `InvalidData` if the handler's output is not an HTTP/1.x response.
    pub fn get(&mut self, target: &str) -> io::Result<Response> {
        self.request("GET", target).send()
    }

    /// `HEAD target` (the response has no body).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn head(&mut self, target: &str) -> io::Result<Response> {
        self.request("HEAD", target).send()
    }

    /// Starts a request; add headers and a body, then
    /// [`send`](RequestBuilder::send) it.
    pub fn request<'c>(&'c mut self, method: &str, target: &str) -> RequestBuilder<'c, H> {
        RequestBuilder {
            client: self,
            method: method.to_owned(),
            target: target.to_owned(),
            version: "HTTP/1.1".to_owned(),
            headers: Vec::new(),
            body: None,
            form: None,
        }
    }

    /// Sends raw bytes (one request, several pipelined ones, or malformed
    /// input) and returns every byte the server wrote in answer. The server
    /// serves all complete requests among them; an incomplete one is read
    /// up to the end of the bytes, as if the client had half-closed.
    pub fn send_raw(&mut self, bytes: impl AsRef<[u8]>) -> Vec<u8> {
        let handler = &mut self.handler;
        let info = &self.info;
        let conn = self.conn.get_or_insert_with(|| {
            // The connection a server would make, over memory.
            let stream = MemoryStream::default();
            let io = Connection::new(
                handler,
                Box::new(stream.clone()),
                CLIENT_ADDRESS,
                Arc::clone(info),
            )
            .expect("an in-memory stream always clones");
            MemoryConnection { io, stream }
        });
        conn.stream.push_input(bytes.as_ref());
        let mut open = true;
        while !(conn.stream.input_is_empty() && conn.io.input_ref().buffered().is_empty()) {
            if !conn.io.serve_one(handler) {
                conn.io.finish();
                open = false;
                break;
            }
        }
        let out = conn.stream.take_output();
        if !open {
            self.conn = None;
        }
        out
    }

    /// Whether the server kept the connection open after the last request.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Closes the connection from the client side; the next request opens
    /// a new one.
    pub fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.io.finish();
        }
    }

    /// The handler value.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler value, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }
}

/// A request being built by [`Client::request`].
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'c, H> {
    client: &'c mut Client<H>,
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// The `multipart/form-data` parts added so far, encoded.
    form: Option<Vec<u8>>,
}

/// The boundary of the test client's `multipart/form-data` bodies.
const MULTIPART_BOUNDARY: &str = "basehttp-test-boundary-5c1d2e";

impl<H: Handler> RequestBuilder<'_, H> {
    /// Adds a header (sent latin-1 encoded, in order).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body; `Content-Length` is added unless a header sets it.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a text field to a `multipart/form-data` body (what a browser
    /// sends for `<input name=...>` in a form with
    /// `enctype="multipart/form-data"`). The parts become the body (in place
    /// of one set with [`body`](Self::body)), with
    /// `Content-Type: multipart/form-data; boundary=basehttp-test-boundary-5c1d2e`
    /// unless a header sets it.
    ///
    /// ```
    /// use basehttp::prelude::*;
    /// use basehttp::form;
    ///
    /// struct Upload;
    ///
    /// #[http_handler]
    /// impl Upload {
    ///     fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
    ///         let mut names = Vec::new();
    ///         let mut parts = form::multipart(req)?;
    ///         while let Some(mut part) = parts.next_part()? {
    ///             let size = part.copy_to(&mut io::sink())?;
    ///             names.push(format!("{}={size}", part.name()));
    ///         }
    ///         drop(parts);
    ///         req.respond(200, "text/plain", names.join(" "))
    ///     }
    /// }
    ///
    /// let mut client = basehttp::test::Client::new(Upload);
    /// let response = client
    ///     .request("POST", "/")
    ///     .multipart_field("note", "hi")
    ///     .multipart_file("file", "a.txt", "text/plain", "hello")
    ///     .send()?;
    /// assert_eq!(response.text(), "note=2 file=5");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn multipart_field(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        let head = format!("Content-Disposition: form-data; name=\"{}\"", quote(name));
        self.part(&head, value.as_ref())
    }

    /// Adds a file field to a `multipart/form-data` body, with its file
    /// name and `Content-Type` (see
    /// [`multipart_field`](Self::multipart_field)).
    pub fn multipart_file(
        self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: impl AsRef<[u8]>,
    ) -> Self {
        let head = format!(
            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {content_type}",
            quote(name),
            quote(filename)
        );
        self.part(&head, data.as_ref())
    }

    fn part(mut self, head: &str, data: &[u8]) -> Self {
        // Part heads in UTF-8, as browsers send file names.
        let form = self.form.get_or_insert_with(Vec::new);
        form.extend_from_slice(format!("--{MULTIPART_BOUNDARY}\r\n{head}\r\n\r\n").as_bytes());
        form.extend_from_slice(data);
        form.extend_from_slice(b"\r\n");
        self
    }

    /// Sets the request line's version (default `HTTP/1.1`).
    pub fn version(mut self, version: &str) -> Self {
        version.clone_into(&mut self.version);
        self
    }

    /// The bytes this request sends: request line, headers (`Host:
    /// localhost` unless given), blank line, body (the multipart parts and
    /// their close delimiter, if parts were added).
    pub fn to_bytes(&self) -> Vec<u8> {
        let form = self.form.as_ref().map(|parts| {
            let mut body = parts.clone();
            body.extend_from_slice(format!("--{MULTIPART_BOUNDARY}--\r\n").as_bytes());
            body
        });
        let body = form.as_ref().or(self.body.as_ref());
        let mut out = Vec::new();
        push_latin1(
            &mut out,
            &format!("{} {} {}\r\n", self.method, self.target, self.version),
        );
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !has("Host") {
            out.extend_from_slice(b"Host: localhost\r\n");
        }
        if form.is_some() && !has("Content-Type") {
            push_latin1(
                &mut out,
                &format!("Content-Type: multipart/form-data; boundary={MULTIPART_BOUNDARY}\r\n"),
            );
        }
        if let Some(body) = body
            && !has("Content-Length")
            && !has("Transfer-Encoding")
        {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        for (name, value) in &self.headers {
            push_latin1(&mut out, &format!("{name}: {value}\r\n"));
        }
        out.extend_from_slice(b"\r\n");
        if let Some(body) = body {
            out.extend_from_slice(body);
        }
        out
    }

    /// Runs the request and parses the response (interim `1xx` responses
    /// skipped).
    ///
    /// # Errors
    /// `InvalidData` if the handler's output is not an HTTP/1.x response
    /// (use [`Client::send_raw`] to see such bytes).
    pub fn send(self) -> io::Result<Response> {
        let bytes = self.to_bytes();
        let head_only = self.method == "HEAD";
        let out = self.client.send_raw(bytes);
        Response::parse(&out, head_only)
    }
}

/// A `Content-Disposition` parameter value, quoted so that the server's
/// parser sees it as given: `\` escaped (a quoted-string escape), `"`, CR
/// and LF percent-encoded as browsers do.
fn quote(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A response read by the [`Client`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// The status line's version, such as `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: String,
    /// The headers, in order, decoded as latin-1.
    pub headers: Headers,
    /// The body: `Content-Length` bytes, else everything after the head.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn parse(mut bytes: &[u8], head_only: bool) -> io::Result<Response> {
        loop {
            let (mut resp, used) = Self::parse_head(bytes)?;
            bytes = &bytes[used..];
            if (100..200).contains(&resp.status) && resp.status != 101 && !bytes.is_empty() {
                continue;
            }
            let no_body =
                head_only || resp.status < 200 || resp.status == 204 || resp.status == 304;
            if !no_body {
                let len = resp
                    .header("Content-Length")
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .map_or(bytes.len(), |n| n.min(bytes.len()));
                resp.body = bytes[..len].to_vec();
            }
            return Ok(resp);
        }
    }

    fn parse_head(bytes: &[u8]) -> io::Result<(Response, usize)> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| bad("no complete response head"))?;
        let text = latin1(&bytes[..end]);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/") {
            return Err(bad("not an HTTP/1.x response (no status line)"));
        }
        let status = parts
            .next()
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| bad("bad status code in the status line"))?;
        let reason = parts.next().unwrap_or_default();
        let mut headers = Headers::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| bad("header line without a colon"))?;
            headers.push(name, value.trim_matches([' ', '\t']));
        }
        Ok((
            Response {
                version: version.to_owned(),
                status,
                reason: reason.to_owned(),
                headers,
                body: Vec::new(),
            },
            end + 4,
        ))
    }
}
