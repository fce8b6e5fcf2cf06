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

mod upload;

use std::io::{self, Read};

pub use crate::multipart::{
    FormError, Limits, MAX_FIELD_SIZE, MAX_PART_HEADER_BYTES, MAX_PARTS, MAX_TOTAL_SIZE, Multipart,
    Part, PartHeaders,
};
pub use crate::urlencoded::parse_urlencoded;
pub use upload::{SavedFile, safe_file_name, save_files};

use crate::request::Request;
use crate::stream::Rfile;
use crate::urlencoded::{TooManyFields, UrlencodedOptions, parse_urlencoded_with};

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

// The `Request`-facing half of `FormError` (its parsing half is in
// `multipart/error.rs`, below `request.rs`).
impl FormError {
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
}
