//! Form bodies for `do_POST` handlers: `application/x-www-form-urlencoded`
//! (CPython's `urllib.parse.parse_qsl`) and streaming `multipart/form-data`
//! (what the removed `cgi.FieldStorage` parsed), with size limits and errors
//! that map to `400 Bad Request` or `413 Content Too Large`.
//!
//! ```no_run
//! use basehttp::form::{self, FormError};
//! use basehttp::Request;
//!
//! fn fields(req: &mut Request) -> Result<Vec<(String, usize)>, FormError> {
//!     let mut out = Vec::new();
//!     let mut parts = form::multipart(req)?;
//!     while let Some(mut part) = parts.next_part()? {
//!         let n = part.copy_to(&mut std::io::sink())?;
//!         out.push((part.name().to_owned(), n as usize));
//!     }
//!     Ok(out)
//! }
//! ```

mod header;
mod multipart;
pub(crate) mod urlencoded;

use std::fmt;
use std::io::{self, Read};

pub use header::{boundary_from_content_type, split_header_value};
pub use multipart::{
    Limits, MAX_BOUNDARY_LEN, MAX_FIELD_SIZE, MAX_PART_HEADER_BYTES, MAX_PARTS, MAX_TOTAL_SIZE,
    Multipart, Part, PartHeaders,
};
pub use urlencoded::{
    TooManyFields, UrlencodedOptions, parse_urlencoded, parse_urlencoded_with, unquote_plus,
};

use crate::request::Request;
use crate::stream::Rfile;

/// Why a form body could not be parsed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FormError {
    /// The `Content-Type` is not `multipart/form-data` (or not urlencoded).
    NotMultipart,
    /// `multipart/form-data` without a `boundary` parameter.
    MissingBoundary,
    /// A boundary RFC 2046 §5.1.1 does not allow.
    InvalidBoundary,
    /// The body breaks the multipart syntax.
    Malformed(&'static str),
    /// The body ended before the close delimiter.
    Truncated,
    /// More parts (or urlencoded fields) than [`Limits::max_parts`].
    TooManyParts,
    /// A part's header block is longer than [`Limits::max_part_header_bytes`].
    HeaderTooLarge,
    /// The body (or a part copied with a limit) is larger than allowed.
    TooLarge,
    /// A field read into memory is larger than [`Limits::max_field_size`].
    FieldTooLarge,
    /// Reading the body failed (the connection is no longer usable).
    Io(io::Error),
    /// Writing a part into its sink failed (a server-side error: 500).
    Write(io::Error),
}

impl FormError {
    /// The status to answer with: 413 for a limit on size, 500 when a sink
    /// could not be written, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            FormError::TooLarge | FormError::FieldTooLarge | FormError::HeaderTooLarge => 413,
            FormError::Write(_) => 500,
            _ => 400,
        }
    }

    /// Answers the request with [`status`](Self::status), its standard
    /// reason phrase, and this error as the explanation
    /// (`send_error(code, None, explain)`). An I/O error is returned instead:
    /// the connection is no longer usable.
    ///
    /// # Errors
    /// The I/O error itself, or one writing the response.
    pub fn send_error(self, req: &mut Request) -> io::Result<()> {
        match self {
            FormError::Io(e) => Err(e),
            e => {
                if let FormError::Write(inner) = &e {
                    req.log_error(format_args!("cannot store the upload: {inner}"));
                }
                // The unread rest of a rejected body is not worth draining.
                req.close_connection = true;
                req.send_error_full(e.status(), None, Some(&e.to_string()), &[])
            }
        }
    }

    fn into_io(self) -> io::Error {
        match self {
            FormError::Io(e) => e,
            e => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormError::NotMultipart => "form content type not supported",
            FormError::MissingBoundary => "multipart body without a boundary",
            FormError::InvalidBoundary => "invalid multipart boundary",
            FormError::Malformed(what) => what,
            FormError::Truncated => "multipart body ended early",
            FormError::TooManyParts => "too many form fields",
            FormError::HeaderTooLarge => "multipart part headers too large",
            FormError::TooLarge => "form body too large",
            FormError::FieldTooLarge => "form field too large",
            FormError::Io(e) => return write!(f, "reading the form body: {e}"),
            FormError::Write(_) => "cannot store the upload",
        })
    }
}

impl std::error::Error for FormError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FormError::Io(e) | FormError::Write(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for FormError {
    /// Unwraps a `FormError` that travelled through a [`Part`]'s `Read`.
    fn from(e: io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<FormError>()) {
            if let Some(inner) = e.into_inner()
                && let Ok(form) = inner.downcast::<FormError>()
            {
                return *form;
            }
            return FormError::Malformed("form error");
        }
        FormError::Io(e)
    }
}

/// A [`Multipart`] parser over the request body, from its `Content-Type`,
/// with the default [`Limits`].
///
/// # Errors
/// As [`multipart_with`].
pub fn multipart(req: &mut Request) -> Result<Multipart<&mut Rfile>, FormError> {
    multipart_with(req, Limits::default())
}

/// A [`Multipart`] parser over the request body with `limits`. A
/// `Content-Length` over `max_total_size` is refused before reading.
///
/// # Errors
/// [`FormError::NotMultipart`], a bad boundary, or [`FormError::TooLarge`].
pub fn multipart_with(
    req: &mut Request,
    limits: Limits,
) -> Result<Multipart<&mut Rfile>, FormError> {
    let content_type = req.headers.get("Content-Type").unwrap_or("").to_owned();
    check_length(req, limits.max_total_size)?;
    Multipart::with_limits(&mut req.rfile, &content_type, limits)
}

/// Reads an `application/x-www-form-urlencoded` body (at most
/// `limits.max_field_size` bytes and `limits.max_parts` fields) with
/// `parse_qsl` semantics.
///
/// # Errors
/// [`FormError::TooLarge`], [`FormError::TooManyParts`] or I/O.
pub fn read_urlencoded(
    req: &mut Request,
    limits: Limits,
    keep_blank_values: bool,
) -> Result<Vec<(String, String)>, FormError> {
    check_length(req, limits.max_field_size as u64)?;
    let mut body = Vec::new();
    (&mut req.rfile)
        .take(limits.max_field_size as u64 + 1)
        .read_to_end(&mut body)?;
    if body.len() > limits.max_field_size {
        return Err(FormError::TooLarge);
    }
    let options = UrlencodedOptions {
        keep_blank_values,
        max_num_fields: Some(limits.max_parts),
    };
    parse_urlencoded_with(&body, &options).map_err(|TooManyFields| FormError::TooManyParts)
}

fn check_length(req: &Request, max: u64) -> Result<(), FormError> {
    if req.rfile.remaining().is_some_and(|n| n > max) {
        return Err(FormError::TooLarge);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
