//! [`FormError`]: why a form body could not be parsed, and the status a
//! handler answers it with (400 malformed, 413 too large, 500 for a sink
//! that could not be written). Answering a request with it
//! (`FormError::send_error`) is `Request` glue, in `form.rs`.

use std::fmt;
use std::io;

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
    /// More parts (or urlencoded fields) than [`Limits::max_parts`](super::Limits::max_parts).
    TooManyParts,
    /// A part's header block is longer than [`Limits::max_part_header_bytes`](super::Limits::max_part_header_bytes).
    HeaderTooLarge,
    /// The body (or a part copied with a limit) is larger than allowed.
    TooLarge,
    /// A field read into memory is larger than [`Limits::max_field_size`](super::Limits::max_field_size).
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
}

/// A form error as the `io::Error` a `do_*` method returns, so that `?`
/// works on `form::multipart(req)?`, `parts.next_part()?` and
/// `part.copy_to(..)?`: the server then answers
/// [`FormError::status`] (400 or 413; 500 for a sink that could not be
/// written) as it does for a [`BodyError`](crate::BodyError). A `FormError::Io` is its
/// `io::Error` itself.
impl From<FormError> for io::Error {
    fn from(e: FormError) -> io::Error {
        let kind = match e {
            FormError::Io(e) => return e,
            FormError::TooLarge
            | FormError::FieldTooLarge
            | FormError::HeaderTooLarge
            | FormError::TooManyParts => io::ErrorKind::InvalidInput,
            FormError::Write(_) => io::ErrorKind::Other,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
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
    /// Unwraps a `FormError` that travelled through a [`Part`](super::Part)'s `Read`.
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
