//! The response and logging methods of [`Request`]: CPython's
//! `send_response`, `send_header`, `end_headers`, `flush_headers`,
//! `send_error`, `log_request`, `log_message`, ... byte for byte, plus what
//! Python code writes by hand: a response in one call (`respond`,
//! `send_body`, JSON with the `json` feature) and a chunked body of unknown
//! length (`end_headers_chunked`).

use std::fmt;
use std::io::{self, Write};
use std::time::SystemTime;

use crate::date;
use crate::log::log_requestline;
use crate::misuse::Misuse;
use crate::pystr::{escape_control, push_latin1};
use crate::request::{ErrorPage, Request};
use crate::status::{IntoStatus, responses};
use crate::stream::Phase;

impl Request {
    /// A whole response in one call: `send_response(code)`, then
    /// [`send_body`](Self::send_body).
    ///
    /// # Errors
    /// I/O errors, or an error from the `before_end_headers` hook.
    pub fn respond(
        &mut self,
        code: impl IntoStatus,
        content_type: &str,
        body: impl AsRef<[u8]>,
    ) -> io::Result<()> {
        self.send_response(code)?;
        self.send_body(content_type, body)
    }

    /// Ends a response begun with `send_response` (and any headers of the
    /// handler's own): `Content-Type`, `Content-Length`, `end_headers()`, and
    /// the body (not sent for `HEAD`).
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Items;
    /// # #[http_handler] impl Items {
    /// fn do_POST(&mut self, req: &mut Request) -> std::io::Result<()> {
    ///     req.send_response(201)?;
    ///     req.send_header("Location", "/api/items/7")?;
    ///     req.send_body("application/json", r#"{"id": 7}"#)
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// I/O errors, or an error from the `before_end_headers` hook.
    pub fn send_body(&mut self, content_type: &str, body: impl AsRef<[u8]>) -> io::Result<()> {
        let body = body.as_ref();
        self.send_header("Content-Type", content_type)?;
        self.send_header("Content-Length", &body.len().to_string())?;
        self.end_headers()?;
        if self.command != "HEAD" {
            self.wfile.write_all(body)?;
        }
        Ok(())
    }

    /// [`respond`](Self::respond) with `value` serialised as JSON
    /// (`application/json`). Needs the `json` cargo feature.
    ///
    /// # Errors
    /// As [`respond`](Self::respond); a value that cannot be serialised is
    /// an error before anything is sent (the server answers 500).
    #[cfg(feature = "json")]
    pub fn respond_json<T: serde::Serialize + ?Sized>(
        &mut self,
        code: impl IntoStatus,
        value: &T,
    ) -> io::Result<()> {
        self.send_response(code)?;
        self.send_json(value)
    }

    /// [`send_body`](Self::send_body) with `value` serialised as JSON
    /// (`application/json`). Needs the `json` cargo feature.
    ///
    /// # Errors
    /// As [`respond_json`](Self::respond_json).
    #[cfg(feature = "json")]
    pub fn send_json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let body = serde_json::to_vec(value).map_err(io::Error::other)?;
        self.send_body("application/json", body)
    }

    /// `end_headers()` for a body of unknown length: when the request and
    /// the handler's `protocol_version` are both HTTP/1.1, the body is sent
    /// chunked (`Transfer-Encoding: chunked` is added, each flush of `wfile`
    /// is a chunk, and the server sends the last chunk when the handler
    /// returns), so the connection stays usable; otherwise (an HTTP/1.0
    /// client, or the default `protocol_version` `HTTP/1.0`) it is sent as
    /// is and the connection closes after it.
    ///
    /// # Errors
    /// As [`end_headers`](Self::end_headers).
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Stream;
    /// # #[http_handler(protocol_version = "HTTP/1.1")] impl Stream {
    /// fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
    ///     req.send_response(200)?;
    ///     req.send_header("Content-Type", "text/plain")?;
    ///     req.end_headers_chunked()?;
    ///     for i in 0..3 {
    ///         writeln!(req.wfile, "line {i}")?;
    ///         req.wfile.flush()?; // one chunk each
    ///     }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    pub fn end_headers_chunked(&mut self) -> io::Result<()> {
        let chunked = self.protocol_version() >= "HTTP/1.1"
            && self.request_version.as_str() >= "HTTP/1.1"
            && !matches!(self.status, Some(code) if code < 200 || code == 204 || code == 304);
        if !chunked {
            self.close_connection = true;
            return self.end_headers();
        }
        self.send_header("Transfer-Encoding", "chunked")?;
        self.end_headers()?;
        if self.command == "HEAD" {
            // `do_HEAD` may share `do_GET`'s code: drop what it writes.
            self.wfile.set_discard_body(true);
        } else {
            self.wfile.start_chunked();
        }
        Ok(())
    }

    /// `send_response(code)`: adds the status line and the `Server` and
    /// `Date` headers to the header buffer. CPython also writes the access
    /// line here (`log_request`); this server writes it once the request
    /// ended, from the [`after_response`](crate::Class::after_response)
    /// hook, with the final status.
    ///
    /// # Errors
    /// `InvalidInput` for a number outside 100..=999 ([`IntoStatus`]);
    /// nothing is written then (buffering never fails).
    pub fn send_response(&mut self, code: impl IntoStatus) -> io::Result<()> {
        let code = code.into_status()?.as_u16();
        self.send_response_only(code)?;
        self.send_default_headers()
    }

    /// `send_response(code, message)`: as [`send_response`](Self::send_response)
    /// with a custom reason phrase.
    ///
    /// # Errors
    /// As [`send_response`](Self::send_response).
    pub fn send_response_with(&mut self, code: impl IntoStatus, message: &str) -> io::Result<()> {
        let code = code.into_status()?.as_u16();
        self.send_response_only_with(code, message)?;
        self.send_default_headers()
    }

    fn send_default_headers(&mut self) -> io::Result<()> {
        let server = self.version_string();
        self.send_header("Server", &server)?;
        let date = self.date_time_string();
        self.send_header("Date", &date)
    }

    /// `send_response_only(code)`: the status line alone, not logged.
    ///
    /// # Errors
    /// `InvalidInput` for a number outside 100..=999 (the line is buffered).
    pub fn send_response_only(&mut self, code: impl IntoStatus) -> io::Result<()> {
        let code = code.into_status()?.as_u16();
        let message = responses(code).map_or("", |(p, _)| p);
        self.send_response_only_with(code, message)
    }

    /// `send_response_only(code, message)`.
    ///
    /// # Errors
    /// `InvalidInput` for a number outside 100..=999 (the line is buffered).
    pub fn send_response_only_with(
        &mut self,
        code: impl IntoStatus,
        message: &str,
    ) -> io::Result<()> {
        let code = code.into_status()?.as_u16();
        self.status = Some(code);
        if self.wfile.phase() == Phase::NoResponse {
            self.wfile.set_phase(Phase::HeadBuffered);
        }
        if self.is_http09() {
            return Ok(());
        }
        let b = &mut self.headers_buffer;
        push_latin1(b, &self.class.protocol_version);
        b.push(b' ');
        b.extend_from_slice(code.to_string().as_bytes());
        b.push(b' ');
        let start = b.len();
        push_latin1(b, message);
        // A reason phrase cannot carry a line break; CPython would emit it.
        for byte in &mut b[start..] {
            if matches!(*byte, b'\r' | b'\n') {
                *byte = b' ';
            }
        }
        b.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// `send_header(keyword, value)`: buffers one header; `Connection: close`
    /// and `Connection: keep-alive` also set `close_connection`.
    ///
    /// # Errors
    /// `InvalidInput` if the name or value contains CR or LF (header
    /// injection; CPython does not check).
    pub fn send_header(&mut self, keyword: &str, value: &str) -> io::Result<()> {
        if keyword.contains(['\r', '\n']) || value.contains(['\r', '\n']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "header name or value contains a line break",
            ));
        }
        if keyword.eq_ignore_ascii_case("content-length")
            || (keyword.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked"))
        {
            self.framed = true;
        }
        if !self.is_http09() {
            let b = &mut self.headers_buffer;
            push_latin1(b, keyword);
            b.extend_from_slice(b": ");
            push_latin1(b, value);
            b.extend_from_slice(b"\r\n");
        }
        if keyword.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                self.close_connection = true;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                self.close_connection = false;
            }
        }
        Ok(())
    }

    /// `end_headers()`: runs the `before_end_headers` hook, adds the blank
    /// line and flushes the header buffer into `wfile`.
    ///
    /// # Errors
    /// I/O errors, or an error from the hook.
    pub fn end_headers(&mut self) -> io::Result<()> {
        if !self.in_end_headers {
            self.in_end_headers = true;
            let hook = self.class.before_end_headers;
            let r = hook(self);
            self.in_end_headers = false;
            r?;
        }
        if !self.class.response_headers.is_empty() && self.status.is_none_or(|code| code >= 200) {
            for i in 0..self.class.response_headers.len() {
                let (name, value) = self.class.response_headers[i];
                if !self.header_sent(name) {
                    self.send_header(name, value)?;
                }
            }
        }
        if !self.is_http09() {
            self.headers_buffer.extend_from_slice(b"\r\n");
        }
        self.flush_headers()
    }

    /// `flush_headers()`: hands the buffered status line and headers to
    /// `wfile` in one write.
    ///
    /// # Errors
    /// I/O errors.
    pub fn flush_headers(&mut self) -> io::Result<()> {
        if !self.headers_buffer.is_empty() {
            let r = self.wfile.write_head(&self.headers_buffer);
            self.headers_buffer.clear();
            r?;
            if self.status.is_some_and(|code| code < 200) {
                // An interim response: the final one is still to come.
                self.response_mark = self.wfile.bytes_written();
                self.framed = false;
                self.wfile.set_phase(Phase::NoResponse);
            } else if self.rfile.forget_continue() {
                // The final response went out before the body was asked
                // for: the client may still send it, or not.
                self.close_connection = true;
            }
        } else if self.is_http09() && self.wfile.phase() == Phase::HeadBuffered {
            // HTTP/0.9 has no head: the body follows `send_response`.
            self.wfile.set_phase(Phase::Body);
        }
        Ok(())
    }

    /// `send_error(code)`: an error response with CPython's HTML page
    /// (the handler's [`error_page`](crate::Class::error_page)). A head
    /// built but not sent yet (`send_response` without `end_headers`) is
    /// replaced by it.
    ///
    /// # Errors
    /// I/O errors; `InvalidInput` once part of the response reached `wfile`
    /// (a second response would land inside the first's body: the server
    /// logs it and closes the connection; return an `Err` from the handler
    /// to cut a response short).
    pub fn send_error(&mut self, code: impl IntoStatus) -> io::Result<()> {
        self.send_error_full(code.into_status()?.as_u16(), None, None, &[])
    }

    /// `send_error(code, message)`: the message becomes the reason phrase
    /// and, HTML-escaped, part of the page.
    ///
    /// # Errors
    /// As [`send_error`](Self::send_error).
    pub fn send_error_with(&mut self, code: impl IntoStatus, message: &str) -> io::Result<()> {
        self.send_error_full(code.into_status()?.as_u16(), Some(message), None, &[])
    }

    /// `send_error(code, message, explain)`.
    ///
    /// # Errors
    /// As [`send_error`](Self::send_error).
    pub fn send_error_explain(
        &mut self,
        code: impl IntoStatus,
        message: &str,
        explain: &str,
    ) -> io::Result<()> {
        self.send_error_full(
            code.into_status()?.as_u16(),
            Some(message),
            Some(explain),
            &[],
        )
    }

    /// `send_error(code[, message])` with extra headers, sent after
    /// `Connection: close`: `WWW-Authenticate` on a 401, `Allow` on a 405,
    /// `Retry-After` on a 503. The body is the handler's error page, as for
    /// [`send_error`](Self::send_error); `message` (`None`: the standard
    /// phrase) is the reason phrase and the page's message.
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Files { token: String }
    /// # #[http_handler] impl Files {
    /// fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
    ///     let expected = format!("Bearer {}", self.token);
    ///     if req.headers.get("Authorization") != Some(expected.as_str()) {
    ///         return req.send_error_with_headers(401, None, &[("WWW-Authenticate", "Bearer")]);
    ///     }
    ///     // ...
    /// #   req.send_error(204)
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`send_error`](Self::send_error).
    pub fn send_error_with_headers(
        &mut self,
        code: impl IntoStatus,
        message: Option<&str>,
        headers: &[(&str, &str)],
    ) -> io::Result<()> {
        self.send_error_full(code.into_status()?.as_u16(), message, None, headers)
    }

    /// A redirect with no body: `send_response(code)`, `Location`,
    /// `Content-Length: 0`, `end_headers()`, such as the `303 See Other`
    /// after a form was posted.
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Form;
    /// # #[http_handler] impl Form {
    /// fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
    ///     // ... store what was posted ...
    ///     req.redirect(303, "/")
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`end_headers`](Self::end_headers); `InvalidInput` for a
    /// `location` with a line break.
    pub fn redirect(&mut self, code: impl IntoStatus, location: &str) -> io::Result<()> {
        self.send_response(code)?;
        self.send_header("Location", location)?;
        self.send_header("Content-Length", "0")?;
        self.end_headers()
    }

    /// `send_error` with extra headers sent after `Connection: close` (such
    /// as `Allow` on a 405 or 501).
    ///
    /// Always `Connection: close`; for 1xx, 204, 205 and 304 no body and no
    /// `Content-Type`/`Content-Length` (RFC 9110 §15.3.5, §15.4.5); otherwise
    /// the body is the handler's [`error_page`](Class::error_page) (by
    /// default `error_message_format` with `message` and `explain`
    /// HTML-escaped), not sent for `HEAD`.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn send_error_full(
        &mut self,
        code: u16,
        message: Option<&str>,
        explain: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> io::Result<()> {
        if self.response_begun() {
            return Err(self.wfile.refuse(Misuse::SendErrorAfterResponse(code)));
        }
        // A head built but not sent yet is replaced (CPython would send both).
        self.discard_unsent_head();
        let (short, long) = responses(code).unwrap_or(("???", "???"));
        let message = message.unwrap_or(short);
        let explain = explain.unwrap_or(long);
        // `req.status()` is this error's inside `log_message`.
        self.status = Some(code);
        self.log_error(format_args!("code {code}, message {message}"));
        self.send_response_with(code, message)?;
        self.send_header("Connection", "close")?;
        for (name, value) in extra_headers {
            self.send_header(name, value)?;
        }
        let mut body = Vec::new();
        if code >= 200 && !matches!(code, 204 | 205 | 304) {
            let page: ErrorPage = (self.class.error_page)(self, code, message, explain);
            body = page.body;
            self.send_header("Content-Type", &page.content_type)?;
            self.send_header("Content-Length", &body.len().to_string())?;
        }
        self.end_headers()?;
        if self.command != "HEAD" && !body.is_empty() {
            self.wfile.write_all(&body)?;
        }
        Ok(())
    }

    /// `log_request(code)`: `"GET / HTTP/1.0" 200 -`.
    pub fn log_request(&self, code: impl fmt::Display) {
        self.log_request_size(code, "-");
    }

    /// `log_request(code, size)`.
    pub fn log_request_size(&self, code: impl fmt::Display, size: impl fmt::Display) {
        let line = log_requestline(&self.requestline);
        self.log_message(format_args!("\"{line}\" {code} {size}"));
    }

    /// `log_error(format, *args)`: an error message through `log_message`.
    pub fn log_error(&self, args: fmt::Arguments<'_>) {
        self.log_message(args);
    }

    /// `log_message(format, *args)`: the message with control characters
    /// escaped (gh-100001), through the handler's `log_message` hook (by
    /// default one line on stderr), so a hook never sees raw escape codes.
    pub fn log_message(&self, args: fmt::Arguments<'_>) {
        let message = match args.as_str() {
            Some(s) => escape_control(s),
            None => escape_control(&args.to_string()),
        };
        (self.class.log_message)(self, &message);
    }

    /// `version_string()`: the `Server` header value.
    pub fn version_string(&self) -> String {
        (self.class.version_string)(self)
    }

    /// `date_time_string()`: now, as an HTTP date.
    pub fn date_time_string(&self) -> String {
        date::date_time_string(SystemTime::now())
    }

    /// `log_date_time_string()`: now, as the access log shows it.
    pub fn log_date_time_string(&self) -> String {
        date::log_date_time_string(SystemTime::now())
    }

    /// `address_string()`: the client's IP address (no DNS lookup).
    pub fn address_string(&self) -> String {
        self.client_address.ip().to_string()
    }
}
