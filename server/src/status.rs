//! HTTP status codes with CPython's phrases and explanations: the
//! `http.HTTPStatus` table that `BaseHTTPRequestHandler.responses` is built
//! from (CPython 3.13+, `Lib/http/__init__.py`).

use std::fmt;

/// An HTTP status code, 100 to 999 (CPython's `send_error(999)` is legal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

/// Error for a number outside 100..=999.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidStatusCode(i64);

impl InvalidStatusCode {
    /// The number that is not a status code.
    pub fn number(self) -> i64 {
        self.0
    }
}

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid status code {} (must be 100 to 999)", self.0)
    }
}

impl std::error::Error for InvalidStatusCode {}

impl From<InvalidStatusCode> for std::io::Error {
    fn from(e: InvalidStatusCode) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}

impl StatusCode {
    /// A status code from a number in 100..=999.
    ///
    /// # Errors
    /// [`InvalidStatusCode`] for any other number.
    pub const fn from_u16(code: u16) -> Result<StatusCode, InvalidStatusCode> {
        if code >= 100 && code <= 999 {
            Ok(StatusCode(code))
        } else {
            Err(InvalidStatusCode(code as i64))
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// CPython's `responses[code][0]`, or `None` for a code it doesn't know.
    pub fn phrase(self) -> Option<&'static str> {
        lookup(self.0).map(|(p, _)| p)
    }

    /// CPython's `responses[code][1]`, or `None` for a code it doesn't know.
    pub fn description(self) -> Option<&'static str> {
        lookup(self.0).map(|(_, d)| d)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<StatusCode> for u16 {
    fn from(s: StatusCode) -> u16 {
        s.0
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = InvalidStatusCode;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        StatusCode::from_u16(code)
    }
}

/// Anything `send_response`/`send_error` accept as a status: a
/// [`StatusCode`] or a plain number (as in Python, `send_error(404)`). A
/// number outside 100..=999 is refused: `send_response(0)` returns an
/// `InvalidInput` error instead of writing `HTTP/1.0 0` (and the server
/// answers 500 if nothing was sent yet).
pub trait IntoStatus {
    /// The status code, if the value is one.
    ///
    /// # Errors
    /// [`InvalidStatusCode`] for a number outside 100..=999.
    fn into_status(self) -> Result<StatusCode, InvalidStatusCode>;
}

impl IntoStatus for StatusCode {
    fn into_status(self) -> Result<StatusCode, InvalidStatusCode> {
        Ok(self)
    }
}

impl IntoStatus for u16 {
    fn into_status(self) -> Result<StatusCode, InvalidStatusCode> {
        StatusCode::from_u16(self)
    }
}

impl IntoStatus for i32 {
    fn into_status(self) -> Result<StatusCode, InvalidStatusCode> {
        u16::try_from(self)
            .map_err(|_| InvalidStatusCode(i64::from(self)))
            .and_then(StatusCode::from_u16)
    }
}

/// CPython's `responses` mapping: `(phrase, explanation)` for a known code.
pub fn responses(code: u16) -> Option<(&'static str, &'static str)> {
    lookup(code)
}

macro_rules! status_codes {
    ($(($num:literal, $konst:ident, $phrase:literal, $explain:literal),)+) => {
        impl StatusCode {
            $(
                #[doc = concat!("`", stringify!($num), " ", $phrase, "`")]
                pub const $konst: StatusCode = StatusCode($num);
            )+
        }

        fn lookup(code: u16) -> Option<(&'static str, &'static str)> {
            match code {
                $($num => Some(($phrase, $explain)),)+
                _ => None,
            }
        }
    };
}

status_codes! {
(100, CONTINUE, "Continue", "Request received, please continue"),
(101, SWITCHING_PROTOCOLS, "Switching Protocols", "Switching to new protocol; obey Upgrade header"),
(102, PROCESSING, "Processing", "Server is processing the request"),
(103, EARLY_HINTS, "Early Hints", "Headers sent to prepare for the response"),
(200, OK, "OK", "Request fulfilled, document follows"),
(201, CREATED, "Created", "Document created, URL follows"),
(202, ACCEPTED, "Accepted", "Request accepted, processing continues off-line"),
(203, NON_AUTHORITATIVE_INFORMATION, "Non-Authoritative Information", "Request fulfilled from cache"),
(204, NO_CONTENT, "No Content", "Request fulfilled, nothing follows"),
(205, RESET_CONTENT, "Reset Content", "Clear input form for further input"),
(206, PARTIAL_CONTENT, "Partial Content", "Partial content follows"),
(207, MULTI_STATUS, "Multi-Status", "Response contains multiple statuses in the body"),
(208, ALREADY_REPORTED, "Already Reported", "Operation has already been reported"),
(226, IM_USED, "IM Used", "Request completed using instance manipulations"),
(300, MULTIPLE_CHOICES, "Multiple Choices", "Object has several resources -- see URI list"),
(301, MOVED_PERMANENTLY, "Moved Permanently", "Object moved permanently -- see URI list"),
(302, FOUND, "Found", "Object moved temporarily -- see URI list"),
(303, SEE_OTHER, "See Other", "Object moved -- see Method and URL list"),
(304, NOT_MODIFIED, "Not Modified", "Document has not changed since given time"),
(305, USE_PROXY, "Use Proxy", "You must use proxy specified in Location to access this resource"),
(307, TEMPORARY_REDIRECT, "Temporary Redirect", "Object moved temporarily -- see URI list"),
(308, PERMANENT_REDIRECT, "Permanent Redirect", "Object moved permanently -- see URI list"),
(400, BAD_REQUEST, "Bad Request", "Bad request syntax or unsupported method"),
(401, UNAUTHORIZED, "Unauthorized", "No permission -- see authorization schemes"),
(402, PAYMENT_REQUIRED, "Payment Required", "No payment -- see charging schemes"),
(403, FORBIDDEN, "Forbidden", "Request forbidden -- authorization will not help"),
(404, NOT_FOUND, "Not Found", "Nothing matches the given URI"),
(405, METHOD_NOT_ALLOWED, "Method Not Allowed", "Specified method is invalid for this resource"),
(406, NOT_ACCEPTABLE, "Not Acceptable", "URI not available in preferred format"),
(407, PROXY_AUTHENTICATION_REQUIRED, "Proxy Authentication Required", "You must authenticate with this proxy before proceeding"),
(408, REQUEST_TIMEOUT, "Request Timeout", "Request timed out; try again later"),
(409, CONFLICT, "Conflict", "Request conflict"),
(410, GONE, "Gone", "URI no longer exists and has been permanently removed"),
(411, LENGTH_REQUIRED, "Length Required", "Client must specify Content-Length"),
(412, PRECONDITION_FAILED, "Precondition Failed", "Precondition in headers is false"),
(413, CONTENT_TOO_LARGE, "Content Too Large", "Content is too large"),
(414, URI_TOO_LONG, "URI Too Long", "URI is too long"),
(415, UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type", "Entity body in unsupported format"),
(416, RANGE_NOT_SATISFIABLE, "Range Not Satisfiable", "Cannot satisfy request range"),
(417, EXPECTATION_FAILED, "Expectation Failed", "Expect condition could not be satisfied"),
(418, IM_A_TEAPOT, "I'm a Teapot", "Server refuses to brew coffee because it is a teapot"),
(421, MISDIRECTED_REQUEST, "Misdirected Request", "Server is not able to produce a response"),
(422, UNPROCESSABLE_CONTENT, "Unprocessable Content", "Server is not able to process the contained instructions"),
(423, LOCKED, "Locked", "Resource of a method is locked"),
(424, FAILED_DEPENDENCY, "Failed Dependency", "Dependent action of the request failed"),
(425, TOO_EARLY, "Too Early", "Server refuses to process a request that might be replayed"),
(426, UPGRADE_REQUIRED, "Upgrade Required", "Server refuses to perform the request using the current protocol"),
(428, PRECONDITION_REQUIRED, "Precondition Required", "The origin server requires the request to be conditional"),
(429, TOO_MANY_REQUESTS, "Too Many Requests", "The user has sent too many requests in a given amount of time (\"rate limiting\")"),
(431, REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large", "The server is unwilling to process the request because its header fields are too large"),
(451, UNAVAILABLE_FOR_LEGAL_REASONS, "Unavailable For Legal Reasons", "The server is denying access to the resource as a consequence of a legal demand"),
(500, INTERNAL_SERVER_ERROR, "Internal Server Error", "Server got itself in trouble"),
(501, NOT_IMPLEMENTED, "Not Implemented", "Server does not support this operation"),
(502, BAD_GATEWAY, "Bad Gateway", "Invalid responses from another server/proxy"),
(503, SERVICE_UNAVAILABLE, "Service Unavailable", "The server cannot process the request due to a high load"),
(504, GATEWAY_TIMEOUT, "Gateway Timeout", "The gateway server did not receive a timely response"),
(505, HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported", "Cannot fulfill request"),
(506, VARIANT_ALSO_NEGOTIATES, "Variant Also Negotiates", "Server has an internal configuration error"),
(507, INSUFFICIENT_STORAGE, "Insufficient Storage", "Server is not able to store the representation"),
(508, LOOP_DETECTED, "Loop Detected", "Server encountered an infinite loop while processing a request"),
(510, NOT_EXTENDED, "Not Extended", "Request does not meet the resource access policy"),
(511, NETWORK_AUTHENTICATION_REQUIRED, "Network Authentication Required", "The client needs to authenticate to gain network access"),}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_cpython_phrases() {
        let cases = [
            (200, "OK", "Request fulfilled, document follows"),
            (404, "Not Found", "Nothing matches the given URI"),
            (413, "Content Too Large", "Content is too large"),
            (414, "URI Too Long", "URI is too long"),
            (
                418,
                "I'm a Teapot",
                "Server refuses to brew coffee because it is a teapot",
            ),
            (
                501,
                "Not Implemented",
                "Server does not support this operation",
            ),
        ];
        for (code, phrase, explain) in cases {
            assert_eq!(responses(code), Some((phrase, explain)), "{code}");
        }
    }

    #[test]
    fn unknown_codes_have_no_phrase() {
        assert_eq!(responses(999), None);
        assert_eq!(StatusCode::from_u16(999).unwrap().phrase(), None);
        assert_eq!(StatusCode::from_u16(99), Err(InvalidStatusCode(99)));
        assert_eq!(StatusCode::from_u16(1000), Err(InvalidStatusCode(1000)));
        assert_eq!(0u16.into_status(), Err(InvalidStatusCode(0)));
        assert_eq!((-1i32).into_status().map_err(|e| e.number()), Err(-1));
        assert_eq!(70_000i32.into_status().map_err(|e| e.number()), Err(70_000));
        assert_eq!(404i32.into_status(), Ok(StatusCode::NOT_FOUND));
    }

    #[test]
    fn consts_match_table() {
        assert_eq!(StatusCode::NOT_FOUND.as_u16(), 404);
        assert_eq!(StatusCode::IM_A_TEAPOT.phrase(), Some("I'm a Teapot"));
    }
}
