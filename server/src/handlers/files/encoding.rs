//! Content codings for the file handler, beyond CPython (which sends every
//! file as stored): `Accept-Encoding` with q-values (RFC 9110 §12.5.3), the
//! content codings `br`, `zstd` and `gzip` (§8.4.1; `x-gzip` read as
//! `gzip`, §8.4.1.3), and the choice between a precompressed sibling
//! (`name.br`, `name.zst`, `name.gz`, as nginx's `gzip_static` and
//! static-web-server's `--compression-static` find them), compression on
//! the fly and the file as stored. Only with
//! [`SimpleHttpRequestHandler::compress`] on; `docs/files.md` says why each
//! rule is what it is.
//!
//! The parser and the choice are pure functions over strings; the file
//! system is looked at only by [`select`], and the encoders live in
//! `compress.rs` (the `compress` cargo feature).

use std::fs;
use std::path::{Path, PathBuf};

use crate::file::SharedFile;
use crate::request::Request;

use super::{OpenFile, SimpleHttpRequestHandler, conditional};

/// Compression (`--compress`).
impl SimpleHttpRequestHandler {
    /// Turns content codings on or off (`--compress`). On, a file is sent
    /// in the form the request's `Accept-Encoding` prefers (q-values, `*`,
    /// `identity` and `q=0` as RFC 9110 §12.5.3 says), among:
    ///
    /// * a precompressed sibling, `name.br`, `name.zst` or `name.gz`, when
    ///   it is a regular file not older than `name`: sent as stored, with
    ///   `name`'s `Content-type`;
    /// * `name` compressed on the fly with `br`, `zstd` or `gzip`, for
    ///   compressible types (text, JavaScript, JSON, XML, SVG, WebAssembly,
    ///   ...) of 1 KiB or more: chunked to an HTTP/1.1 client, with no
    ///   `Content-Length`. This needs the `compress` cargo feature (on by
    ///   default); without it, only precompressed siblings are served;
    /// * `name` as stored.
    ///
    /// Encoded responses carry `Content-Encoding`, and an entity tag of
    /// their own ([`with_etag`](Self::with_etag)). Every response for a
    /// file that has another form says `Vary: Accept-Encoding`. A request
    /// with `Range` gets the file as stored (ranges are of it, as in nginx);
    /// one without `Accept-Encoding` too. Off (the default), the bytes are
    /// CPython's.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new("dist")
    ///     .with_compress(true)
    ///     .with_etag(true);
    /// assert!(files.compress);
    /// ```
    #[must_use]
    pub fn with_compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }
}

/// A content coding the file handler sends (RFC 9110 §8.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentCoding {
    /// `br`: Brotli (RFC 7932).
    Brotli,
    /// `zstd`: Zstandard (RFC 8878).
    Zstd,
    /// `gzip`: GZIP (RFC 1952).
    Gzip,
}

impl ContentCoding {
    /// Every coding, in the server's order of preference among equal
    /// q-values: brotli and zstd compress text about equally well and both
    /// better than gzip; brotli first, as nginx's and static-web-server's
    /// precompressed lookups do.
    pub const ALL: [ContentCoding; 3] = [
        ContentCoding::Brotli,
        ContentCoding::Zstd,
        ContentCoding::Gzip,
    ];

    /// The coding's name in `Accept-Encoding` and `Content-Encoding`.
    ///
    /// ```
    /// use basehttp::handlers::files::ContentCoding;
    ///
    /// assert_eq!(ContentCoding::Brotli.token(), "br");
    /// assert_eq!(ContentCoding::Zstd.extension(), ".zst");
    /// ```
    pub fn token(self) -> &'static str {
        match self {
            ContentCoding::Brotli => "br",
            ContentCoding::Zstd => "zstd",
            ContentCoding::Gzip => "gzip",
        }
    }

    /// The suffix of a precompressed sibling (`app.js` → `app.js.br`): the
    /// extensions the `brotli`, `zstd` and `gzip` tools write.
    pub fn extension(self) -> &'static str {
        match self {
            ContentCoding::Brotli => ".br",
            ContentCoding::Zstd => ".zst",
            ContentCoding::Gzip => ".gz",
        }
    }
}

/// Which form of a file a response sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// The file as stored, no `Content-Encoding` (always, with compression
    /// off).
    #[default]
    Identity,
    /// The file is a precompressed sibling in this coding, sent as stored
    /// with `Content-Encoding` and its own `Content-Length`.
    Precompressed(ContentCoding),
    /// The file is the original, compressed in this coding while it is
    /// sent: no `Content-Length`, chunked to an HTTP/1.1 client, else ended
    /// by closing the connection.
    OnTheFly(ContentCoding),
}

impl Encoding {
    /// The `Content-Encoding` this form is sent with, `None` for identity.
    pub fn coding(self) -> Option<ContentCoding> {
        match self {
            Encoding::Identity => None,
            Encoding::Precompressed(c) | Encoding::OnTheFly(c) => Some(c),
        }
    }
}

/// The smallest file compressed on the fly, in bytes. A response that fits
/// in one TCP segment (an Ethernet MSS is 1460 bytes) takes one round trip
/// either way, and for a few hundred bytes the coding's own overhead and the
/// chunked framing eat what it saves. nginx's `gzip_min_length` defaults to
/// 20 bytes and is usually raised; 1 KiB is what this handler uses.
pub(crate) const MIN_COMPRESS_LENGTH: u64 = 1024;

/// Types compressed on the fly, besides every `text/*`, `*/*+json` and
/// `*/*+xml` (SVG, web app manifests, Atom, ...): the text formats that
/// `guess_type` does not file under `text/`, WebAssembly (compiled code
/// halves or better, and browsers compile a compressed stream as it comes),
/// and the font and image formats stored uncompressed. Already compressed
/// formats (PNG, JPEG, WOFF2, archives, video) gain nothing and are sent
/// as stored.
const COMPRESSIBLE: &[&str] = &[
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/json",
    "application/xml",
    "application/wasm",
    "application/toml",
    "application/yaml",
    "application/x-sh",
    "application/x-csh",
    "application/postscript",
    "application/rtf",
    "application/x-tex",
    "application/x-latex",
    "application/vnd.ms-fontobject",
    "font/ttf",
    "font/otf",
    "font/collection",
    "image/bmp",
    "image/x-ms-bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
];

/// Whether a `Content-type` is worth compressing on the fly (parameters
/// such as `charset` ignored, case-insensitive).
pub(crate) fn is_compressible(ctype: &str) -> bool {
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || COMPRESSIBLE.contains(&essence.as_str())
}

/// A weight in thousandths (RFC 9110 §12.4.2 `qvalue`: at most three
/// decimals, so 0..=1000 is exact).
type Weight = u16;

/// The weight of an entry without `;q=`.
const FULL: Weight = 1000;

/// One `Accept-Encoding` member: the coding as written and its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// `content-coding`, `identity` or `*`, as written (compare ignoring case).
    pub(crate) coding: &'a str,
    /// Its weight in thousandths; 0 means "not acceptable".
    pub(crate) q: Weight,
}

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in
/// thousandths; `None` for anything else.
fn parse_qvalue(s: &str) -> Option<Weight> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |n: Weight, d| n * 10 + Weight::from(d - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(FULL),
        _ => None,
    }
}

/// Parses an `Accept-Encoding` value (several header lines joined with
/// commas): `#( codings [ OWS ";" OWS "q=" qvalue ] )`. Empty list members
/// are skipped (§5.6.1); a member whose coding is not a token or whose
/// `q` is not a `qvalue` is dropped, as if absent; parameters other than
/// `q` are ignored.
pub(crate) fn parse_accept_encoding(value: &str) -> Vec<Member<'_>> {
    let ows: &[char] = &[' ', '\t'];
    value
        .split(',')
        .filter_map(|member| {
            let mut parts = member.split(';');
            let coding = parts.next().unwrap_or("").trim_matches(ows);
            if coding.is_empty() || !coding.bytes().all(is_tchar) {
                return None;
            }
            let mut q = FULL;
            for param in parts.filter(|p| !p.trim_matches(ows).is_empty()) {
                let (name, v) = param.split_once('=')?;
                if name.trim_matches(ows).eq_ignore_ascii_case("q") {
                    q = parse_qvalue(v.trim_matches(ows))?;
                    break;
                }
            }
            Some(Member { coding, q })
        })
        .collect()
}

/// The weight of `name`'s own member (the first, if it is listed twice).
fn listed(members: &[Member<'_>], name: &str) -> Option<Weight> {
    members
        .iter()
        .find(|m| m.coding.eq_ignore_ascii_case(name))
        .map(|m| m.q)
}

/// The weight of a coding: its own member (`x-gzip` counts as `gzip`,
/// §8.4.1.3), else `*`'s, else 0.
fn coding_weight(members: &[Member<'_>], coding: ContentCoding) -> Weight {
    let own = match coding {
        ContentCoding::Gzip => listed(members, "gzip").or_else(|| listed(members, "x-gzip")),
        c => listed(members, c.token()),
    };
    own.or_else(|| listed(members, "*")).unwrap_or(0)
}

/// Chooses among `offers` (in the server's order of preference) for an
/// `Accept-Encoding` value: the first offer of the highest non-zero weight,
/// unless the client weighs `identity` higher still (then `None`, the file
/// as stored). `identity` that is not listed is acceptable but least
/// preferred (§12.5.3): `gzip;q=0.1` still gets gzip. Nothing acceptable
/// is also `None`: the file is sent as stored, never a 406, as nginx does.
pub(crate) fn negotiate(accept: &str, offers: &[Encoding]) -> Option<Encoding> {
    let members = parse_accept_encoding(accept);
    let mut best: Option<(Weight, Encoding)> = None;
    for &offer in offers {
        let Some(coding) = offer.coding() else {
            continue;
        };
        let q = coding_weight(&members, coding);
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, offer));
        }
    }
    let (q, offer) = best?;
    match listed(&members, "identity") {
        Some(i) if i > q => None,
        _ => Some(offer),
    }
}

/// `path` with `suffix` appended to its file name (`a.js` → `a.js.br`).
fn sibling_path(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether `path`'s sibling in `coding` may stand for it: a regular file
/// (links followed) not older than the original, so a `.gz` left behind by
/// a later edit is not served. Compared in whole seconds, and an equal time
/// counts: `gzip -k` gives the `.gz` its original's time, and some copies
/// keep only seconds; so an edit in the same second as the sibling, or an
/// original whose older time was restored (`rsync -t`), is not noticed
/// (nginx's `gzip_static` checks nothing): make the siblings with the file.
fn usable_sibling(file: &OpenFile, coding: ContentCoding) -> bool {
    fs::metadata(sibling_path(&file.path, coding.extension())).is_ok_and(|m| {
        m.is_file()
            && m.modified()
                .is_ok_and(|t| conditional::mtime_secs(t) >= conditional::mtime_secs(file.mtime))
    })
}

/// Whether the handler can compress `file` on the fly: the `compress`
/// feature is built in, the type is compressible and the file is at least
/// [`MIN_COMPRESS_LENGTH`] long.
fn on_the_fly_ok(file: &OpenFile) -> bool {
    cfg!(feature = "compress") && file.size >= MIN_COMPRESS_LENGTH && is_compressible(&file.ctype)
}

/// Whether an on-the-fly encoder may start now (fewer than the most
/// allowed at once are running); the answer still `Vary`s either way.
fn encoder_available() -> bool {
    #[cfg(feature = "compress")]
    return super::compress::Permit::available();
    #[cfg(not(feature = "compress"))]
    false
}

/// The entity tag of an encoded form, distinct per coding: a
/// precompressed sibling's own strong tag with its extension
/// (`"…-1a3.br"`); an on-the-fly form's is the original's tag, weak (the
/// bytes depend on the encoder's version; RFC 9110 §8.8.1) with the coding
/// (`W/"…-6b3-br"`).
fn encoded_etag(tag: &str, encoding: Encoding) -> String {
    let body = tag.strip_suffix('"').unwrap_or(tag);
    match encoding {
        Encoding::Identity => tag.to_owned(),
        Encoding::Precompressed(c) => format!("{body}{}\"", c.extension()),
        Encoding::OnTheFly(c) => format!("W/{body}-{}\"", c.token()),
    }
}

/// The precompressed sibling of `file` in `coding`, opened, as the file to
/// send (the original's type; the sibling's own length, date and tag);
/// `None` if it cannot be opened as a regular file after all.
fn open_sibling(file: &OpenFile, coding: ContentCoding) -> Option<OpenFile> {
    let path = sibling_path(&file.path, coding.extension());
    let opened = super::open_nonblocking(&path).ok()?;
    let meta = opened.metadata().ok().filter(fs::Metadata::is_file)?;
    let mtime = meta.modified().unwrap_or(file.mtime);
    let encoding = Encoding::Precompressed(coding);
    Some(OpenFile {
        path,
        file: SharedFile::new(opened),
        size: meta.len(),
        mtime,
        ctype: file.ctype.clone(),
        etag: encoded_etag(&conditional::etag(mtime, meta.len()), encoding),
        encoding,
        vary: true,
    })
}

/// The default [`FileHandler::select_encoding`](super::FileHandler::select_encoding)
/// with compression on: marks the file `vary` when its response depends on
/// `Accept-Encoding` (it has a usable sibling or may be compressed on the
/// fly), then, unless the request has a `Range` (served from the file as
/// stored, as nginx does, for GET and HEAD alike), picks the form the
/// client's `Accept-Encoding` prefers. No `Accept-Encoding` is the file as
/// stored: clients that do not ask (Python's `urllib`) do not decode.
pub(crate) fn select(
    state: &SimpleHttpRequestHandler,
    req: &Request,
    mut file: OpenFile,
) -> OpenFile {
    if !state.compress || file.encoding != Encoding::Identity {
        return file;
    }
    let stored: Vec<Encoding> = ContentCoding::ALL
        .into_iter()
        .filter(|&c| usable_sibling(&file, c))
        .map(Encoding::Precompressed)
        .collect();
    let fly = on_the_fly_ok(&file);
    file.vary = !stored.is_empty() || fly;
    if !file.vary || req.headers.get("Range").is_some() {
        return file;
    }
    let accept: Vec<&str> = req.headers.get_all("Accept-Encoding").collect();
    if accept.is_empty() {
        return file;
    }
    let offers: Vec<Encoding> = stored
        .into_iter()
        .chain(
            ContentCoding::ALL
                .into_iter()
                .filter(|_| fly && encoder_available())
                .map(Encoding::OnTheFly),
        )
        .collect();
    match negotiate(&accept.join(", "), &offers) {
        Some(Encoding::Precompressed(c)) => open_sibling(&file, c).unwrap_or(file),
        Some(e @ Encoding::OnTheFly(_)) => {
            file.etag = encoded_etag(&file.etag, e);
            file.encoding = e;
            file
        }
        _ => file,
    }
}

#[cfg(test)]
mod tests {
    use super::ContentCoding::{Brotli, Gzip, Zstd};
    use super::Encoding::{OnTheFly, Precompressed};
    use super::*;

    fn members(value: &str) -> Vec<(&str, Weight)> {
        parse_accept_encoding(value)
            .into_iter()
            .map(|m| (m.coding, m.q))
            .collect()
    }

    #[test]
    fn qvalues() {
        for (q, want) in [
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.123", Some(123)),
            ("0.000", Some(0)),
            ("1.001", None),
            ("1.5", None),
            ("2", None),
            ("0.1234", None),
            (".5", None),
            ("-1", None),
            ("0.5x", None),
            ("", None),
            ("01", None),
            ("0.-1", None),
        ] {
            assert_eq!(parse_qvalue(q), want, "{q:?}");
        }
    }

    #[test]
    fn accept_encoding_members() {
        let cases: &[(&str, &[(&str, Weight)])] = &[
            (
                "gzip, deflate, br, zstd",
                &[
                    ("gzip", 1000),
                    ("deflate", 1000),
                    ("br", 1000),
                    ("zstd", 1000),
                ],
            ),
            (
                "br;q=1.0, gzip;q=0.8, *;q=0.1",
                &[("br", 1000), ("gzip", 800), ("*", 100)],
            ),
            (
                "gzip ; q=0.5 , identity;q=0",
                &[("gzip", 500), ("identity", 0)],
            ),
            ("GZIP;Q=0.5", &[("GZIP", 500)]),
            ("\tbr\t;\tq=0.2", &[("br", 200)]),
            ("", &[]),
            (" , ,, ", &[]),
            // Malformed members are dropped, the rest kept.
            ("gzip;q=2, br", &[("br", 1000)]),
            ("gzip;q=, br;q=0.5", &[("br", 500)]),
            ("gzip;q, br", &[("br", 1000)]),
            ("g zip, br", &[("br", 1000)]),
            ("gzip/1, br", &[("br", 1000)]),
            (";q=0.5, br", &[("br", 1000)]),
            ("\"gzip\", br", &[("br", 1000)]),
            ("gzip;level=9;q=0.3", &[("gzip", 300)]),
            ("gzip;q=0.3;q=0.9", &[("gzip", 300)]),
            ("br;q=0.5;", &[("br", 500)]),
            ("br;, gzip; ;q=0.2", &[("br", 1000), ("gzip", 200)]),
            ("br;level, gzip", &[("gzip", 1000)]),
            ("é, br", &[("br", 1000)]),
        ];
        for (value, want) in cases {
            assert_eq!(members(value), *want, "{value:?}");
        }
    }

    const ALL_FLY: [Encoding; 3] = [OnTheFly(Brotli), OnTheFly(Zstd), OnTheFly(Gzip)];

    #[test]
    fn negotiation() {
        let pre_gz_then_fly = [
            Precompressed(Gzip),
            OnTheFly(Brotli),
            OnTheFly(Zstd),
            OnTheFly(Gzip),
        ];
        let cases: &[(&str, &[Encoding], Option<Encoding>)] = &[
            // Browsers and curl --compressed: all at 1, the server's order.
            ("gzip, deflate, br, zstd", &ALL_FLY, Some(OnTheFly(Brotli))),
            ("deflate, gzip, br, zstd", &ALL_FLY, Some(OnTheFly(Brotli))),
            ("gzip", &ALL_FLY, Some(OnTheFly(Gzip))),
            ("x-gzip", &ALL_FLY, Some(OnTheFly(Gzip))),
            ("X-GZip;q=0.4", &ALL_FLY, Some(OnTheFly(Gzip))),
            // q-values decide before the server's order.
            ("br;q=0.5, gzip", &ALL_FLY, Some(OnTheFly(Gzip))),
            (
                "br;q=0.5, zstd;q=0.6, gzip;q=0.4",
                &ALL_FLY,
                Some(OnTheFly(Zstd)),
            ),
            // q=0 refuses.
            ("br;q=0, gzip;q=0", &ALL_FLY, None),
            ("br;q=0, *", &ALL_FLY, Some(OnTheFly(Zstd))),
            ("*", &ALL_FLY, Some(OnTheFly(Brotli))),
            ("*;q=0", &ALL_FLY, None),
            ("*;q=0, gzip", &ALL_FLY, Some(OnTheFly(Gzip))),
            // identity: unlisted is acceptable but last; listed, it competes.
            ("gzip;q=0.1", &ALL_FLY, Some(OnTheFly(Gzip))),
            ("identity", &ALL_FLY, None),
            ("gzip;q=0.5, identity", &ALL_FLY, None),
            ("gzip, identity;q=0.5", &ALL_FLY, Some(OnTheFly(Gzip))),
            ("gzip, identity", &ALL_FLY, Some(OnTheFly(Gzip))),
            ("identity;q=0", &ALL_FLY, None),
            // Unknown codings, empty or garbage: the file as stored.
            ("deflate, compress", &ALL_FLY, None),
            ("", &ALL_FLY, None),
            (";;;,,,=", &ALL_FLY, None),
            ("br;q=1.5", &ALL_FLY, None),
            // Nothing offered.
            ("br, gzip", &[], None),
            // A precompressed sibling wins at equal weight, not above it.
            ("gzip, br", &pre_gz_then_fly, Some(Precompressed(Gzip))),
            ("gzip;q=0.9, br", &pre_gz_then_fly, Some(OnTheFly(Brotli))),
            ("gzip", &[Precompressed(Gzip)], Some(Precompressed(Gzip))),
            ("br", &[Precompressed(Gzip)], None),
        ];
        for (accept, offers, want) in cases {
            assert_eq!(negotiate(accept, offers), *want, "{accept:?} {offers:?}");
        }
    }

    #[test]
    fn compressible_types() {
        for (ctype, yes) in [
            ("text/html", true),
            ("text/css; charset=utf-8", true),
            ("TEXT/Plain", true),
            ("text/javascript", true),
            ("application/json", true),
            ("application/manifest+json", true),
            ("image/svg+xml", true),
            ("application/wasm", true),
            ("image/vnd.microsoft.icon", true),
            ("image/png", false),
            ("image/jpeg", false),
            ("font/woff2", false),
            ("application/gzip", false),
            ("application/zip", false),
            ("application/octet-stream", false),
            ("video/mp4", false),
            ("", false),
        ] {
            assert_eq!(is_compressible(ctype), yes, "{ctype}");
        }
    }

    #[test]
    fn tags_per_encoding() {
        let tag = "\"6553f100.0-6b3\"";
        assert_eq!(encoded_etag(tag, Encoding::Identity), tag);
        assert_eq!(
            encoded_etag(tag, Precompressed(Brotli)),
            "\"6553f100.0-6b3.br\""
        );
        assert_eq!(
            encoded_etag(tag, Precompressed(Zstd)),
            "\"6553f100.0-6b3.zst\""
        );
        assert_eq!(
            encoded_etag(tag, OnTheFly(Gzip)),
            "W/\"6553f100.0-6b3-gzip\""
        );
        assert_eq!(
            sibling_path(Path::new("/srv/a.js"), ".br"),
            Path::new("/srv/a.js.br")
        );
    }
}
