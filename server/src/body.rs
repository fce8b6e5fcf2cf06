//! Reading a whole request body in one call ([`Request::read_body`]), what
//! Python handlers spell `self.rfile.read(int(self.headers['Content-Length']))`
//! and get wrong in every way a client can provoke: a missing length
//! (`KeyError`), a huge one (memory), a chunked body (not decoded), a short
//! one (a hang). Each failure is a [`BodyError`] whose status the server
//! answers when the handler returns it with `?` before sending a response.
//! This file is also the one place that maps a handler's error to the
//! status it is answered with ([`status_of`]): a `BodyError`, a
//! [`FormError`] (which `?` turns into an `io::Error` here too), or a
//! malformed chunked body.

use std::fmt;
use std::io::{self, Read};

use crate::chunked::ChunkError;
use crate::multipart::FormError;
use crate::request::Request;

/// Most memory `read_body` reserves before the body's bytes arrive.
const INITIAL_CAPACITY: u64 = 64 * 1024;

/// Why [`Request::read_body`] returned no body. Wrapped in the `io::Error`
/// it returns; a handler that passes that error on with `?` before sending
/// anything gets [`status`](Self::status) answered for it (and the
/// connection closed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// Neither `Content-Length` nor `Transfer-Encoding: chunked`: 411.
    LengthRequired,
    /// More than the limit the handler gave: 413.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body ended before its `Content-Length`, or its chunked framing is
    /// malformed, or (`read_json`) it is not the JSON expected: 400.
    Malformed(String),
}

impl BodyError {
    /// The status the server answers for this error.
    pub fn status(&self) -> u16 {
        match self {
            BodyError::LengthRequired => 411,
            BodyError::TooLarge { .. } => 413,
            BodyError::Malformed(_) => 400,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::LengthRequired => f.write_str("request body without Content-Length"),
            BodyError::TooLarge { limit } => write!(f, "request body over {limit} bytes"),
            BodyError::Malformed(why) => write!(f, "malformed request body: {why}"),
        }
    }
}

impl std::error::Error for BodyError {}

impl From<BodyError> for io::Error {
    fn from(e: BodyError) -> io::Error {
        let kind = match e {
            BodyError::Malformed(_) => io::ErrorKind::InvalidData,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, e)
    }
}

/// The status a handler's error asks for, if it is about the request body:
/// a [`BodyError`], a [`FormError`] (passed on with `?`, or met reading a
/// multipart [`Part`](crate::form::Part) through `Read`), or a malformed
/// chunked body met by the handler's own reads of `rfile`. `None` for
/// every other error (a 500).
pub(crate) fn status_of(e: &io::Error) -> Option<u16> {
    let inner = e.get_ref()?;
    if let Some(b) = inner.downcast_ref::<BodyError>() {
        return Some(b.status());
    }
    if let Some(f) = inner.downcast_ref::<FormError>() {
        return Some(f.status());
    }
    inner.downcast_ref::<ChunkError>().map(|_| 400)
}

impl Request {
    /// Reads the whole request body, at most `limit` bytes: a
    /// `Content-Length` body or a chunked one (decoded), answering
    /// `Expect: 100-continue` first if the client waits for it.
    ///
    /// # Errors
    /// A [`BodyError`](crate::BodyError) inside the `io::Error`: no length
    /// (411), over `limit` (413, checked before reading when the length is
    /// declared), a short or malformed body (400). Passed on with `?` from a
    /// `do_*` method before the response began, the server answers that
    /// status and closes the connection. I/O errors as they come.
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// # struct Echo;
    /// # #[http_handler] impl Echo {
    /// fn do_POST(&mut self, req: &mut Request) -> std::io::Result<()> {
    ///     let body = req.read_body(64 * 1024)?; // 411, 413 or 400 for you
    ///     req.respond(200, "application/octet-stream", body)
    /// }
    /// # }
    /// ```
    pub fn read_body(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        read_body(self, limit)
    }

    /// [`read_body`](Self::read_body), deserialised from JSON. Needs the
    /// `json` cargo feature.
    ///
    /// ```
    /// # use basehttp::prelude::*;
    /// use std::collections::BTreeMap;
    /// # struct Items;
    /// # #[http_handler] impl Items {
    /// fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
    ///     let item: BTreeMap<String, String> = req.read_json(64 * 1024)?; // 411, 413 or 400 for you
    ///     req.respond(201, "text/plain", format!("{item:?}"))
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`read_body`](Self::read_body), and [`BodyError::Malformed`]
    /// (400) for a body that is not JSON of type `T`.
    #[cfg(feature = "json")]
    pub fn read_json<T: serde::de::DeserializeOwned>(&mut self, limit: u64) -> io::Result<T> {
        let body = read_body(self, limit)?;
        serde_json::from_slice(&body)
            .map_err(|e| BodyError::Malformed(format!("invalid JSON: {e}")).into())
    }
}

fn read_body(req: &mut Request, limit: u64) -> io::Result<Vec<u8>> {
    let declared = req.rfile.remaining();
    if declared.is_some() && !req.headers.contains("Content-Length") {
        return Err(BodyError::LengthRequired.into());
    }
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge { limit }.into());
    }
    // Grown as bytes arrive: a declared length alone reserves no memory.
    let capacity = declared.map_or(0, |n| n.min(INITIAL_CAPACITY) as usize);
    let mut body = Vec::with_capacity(capacity);
    let read = (&mut req.rfile)
        .take(limit.saturating_add(1))
        .read_to_end(&mut body);
    match read {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            return Err(BodyError::Malformed(e.to_string()).into());
        }
        Err(e) => return Err(e),
    }
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge { limit }.into());
    }
    if !req.rfile.body_done() {
        return Err(BodyError::Malformed("body shorter than its Content-Length".into()).into());
    }
    Ok(body)
}
