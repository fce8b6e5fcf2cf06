//! `guess_type`: CPython's `SimpleHTTPRequestHandler.guess_type` over a fixed
//! copy of `mimetypes`' built-in tables (`_types_map_default`,
//! `_suffix_map_default`, `_encodings_map_default`, CPython 3.14+).
//!
//! CPython's `mimetypes` also reads the host's `/etc/mime.types`, so its
//! answers depend on the machine. This table does not: for an extension
//! Python's built-in table lacks, [`mime_guess`] (a typical `mime.types`) is
//! asked instead, which is what `/etc/mime.types` usually adds. See
//! `docs/files.md` for where that differs from a Debian host.

use std::path::Path;

use super::path::os_bytes;

/// `SimpleHTTPRequestHandler.extensions_map` (3.9+: overrides only).
pub(crate) const DEFAULT_EXTENSIONS_MAP: &[(&str, &str)] = &[
    (".gz", "application/gzip"),
    (".Z", "application/octet-stream"),
    (".bz2", "application/x-bzip2"),
    (".xz", "application/x-xz"),
];

/// `mimetypes._suffix_map_default`.
const SUFFIX_MAP: &[(&str, &str)] = &[
    (".svgz", ".svg.gz"),
    (".tgz", ".tar.gz"),
    (".taz", ".tar.gz"),
    (".tz", ".tar.gz"),
    (".tbz2", ".tar.bz2"),
    (".txz", ".tar.xz"),
];

/// `mimetypes._encodings_map_default` keys (case-sensitive).
const ENCODINGS: &[&str] = &[".gz", ".Z", ".bz2", ".xz", ".br"];

/// `mimetypes._types_map_default` (strict types).
const TYPES_MAP: &[(&str, &str)] = &[
    (".js", "text/javascript"),
    (".mjs", "text/javascript"),
    (".epub", "application/epub+zip"),
    (".gz", "application/gzip"),
    (".json", "application/json"),
    (".webmanifest", "application/manifest+json"),
    (".doc", "application/msword"),
    (".dot", "application/msword"),
    (".wiz", "application/msword"),
    (".nq", "application/n-quads"),
    (".nt", "application/n-triples"),
    (".bin", "application/octet-stream"),
    (".a", "application/octet-stream"),
    (".dll", "application/octet-stream"),
    (".exe", "application/octet-stream"),
    (".o", "application/octet-stream"),
    (".obj", "application/octet-stream"),
    (".so", "application/octet-stream"),
    (".oda", "application/oda"),
    (".ogx", "application/ogg"),
    (".pdf", "application/pdf"),
    (".p7c", "application/pkcs7-mime"),
    (".ps", "application/postscript"),
    (".ai", "application/postscript"),
    (".eps", "application/postscript"),
    (".texi", "application/texinfo"),
    (".texinfo", "application/texinfo"),
    (".toml", "application/toml"),
    (".trig", "application/trig"),
    (".m3u", "application/vnd.apple.mpegurl"),
    (".m3u8", "application/vnd.apple.mpegurl"),
    (".xls", "application/vnd.ms-excel"),
    (".xlb", "application/vnd.ms-excel"),
    (".eot", "application/vnd.ms-fontobject"),
    (".ppt", "application/vnd.ms-powerpoint"),
    (".pot", "application/vnd.ms-powerpoint"),
    (".ppa", "application/vnd.ms-powerpoint"),
    (".pps", "application/vnd.ms-powerpoint"),
    (".pwz", "application/vnd.ms-powerpoint"),
    (".odg", "application/vnd.oasis.opendocument.graphics"),
    (".odp", "application/vnd.oasis.opendocument.presentation"),
    (".ods", "application/vnd.oasis.opendocument.spreadsheet"),
    (".odt", "application/vnd.oasis.opendocument.text"),
    (
        ".pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (".rar", "application/vnd.rar"),
    (".wasm", "application/wasm"),
    (".7z", "application/x-7z-compressed"),
    (".bcpio", "application/x-bcpio"),
    (".cpio", "application/x-cpio"),
    (".csh", "application/x-csh"),
    (".deb", "application/x-debian-package"),
    (".dvi", "application/x-dvi"),
    (".gtar", "application/x-gtar"),
    (".hdf", "application/x-hdf"),
    (".h5", "application/x-hdf5"),
    (".latex", "application/x-latex"),
    (".mif", "application/x-mif"),
    (".cdf", "application/x-netcdf"),
    (".nc", "application/x-netcdf"),
    (".p12", "application/x-pkcs12"),
    (".php", "application/x-httpd-php"),
    (".pfx", "application/x-pkcs12"),
    (".ram", "application/x-pn-realaudio"),
    (".pyc", "application/x-python-code"),
    (".pyo", "application/x-python-code"),
    (".rpm", "application/x-rpm"),
    (".sh", "application/x-sh"),
    (".shar", "application/x-shar"),
    (".swf", "application/x-shockwave-flash"),
    (".sv4cpio", "application/x-sv4cpio"),
    (".sv4crc", "application/x-sv4crc"),
    (".tar", "application/x-tar"),
    (".tcl", "application/x-tcl"),
    (".tex", "application/x-tex"),
    (".roff", "application/x-troff"),
    (".t", "application/x-troff"),
    (".tr", "application/x-troff"),
    (".man", "application/x-troff-man"),
    (".me", "application/x-troff-me"),
    (".ms", "application/x-troff-ms"),
    (".ustar", "application/x-ustar"),
    (".src", "application/x-wais-source"),
    (".xsl", "application/xml"),
    (".rdf", "application/xml"),
    (".wsdl", "application/xml"),
    (".xpdl", "application/xml"),
    (".yaml", "application/yaml"),
    (".yml", "application/yaml"),
    (".zip", "application/zip"),
    (".3gp", "audio/3gpp"),
    (".3gpp", "audio/3gpp"),
    (".3g2", "audio/3gpp2"),
    (".3gpp2", "audio/3gpp2"),
    (".aac", "audio/aac"),
    (".adts", "audio/aac"),
    (".loas", "audio/aac"),
    (".ass", "audio/aac"),
    (".au", "audio/basic"),
    (".snd", "audio/basic"),
    (".flac", "audio/flac"),
    (".mka", "audio/matroska"),
    (".m4a", "audio/mp4"),
    (".mp3", "audio/mpeg"),
    (".mp2", "audio/mpeg"),
    (".ogg", "audio/ogg"),
    (".opus", "audio/opus"),
    (".aif", "audio/x-aiff"),
    (".aifc", "audio/x-aiff"),
    (".aiff", "audio/x-aiff"),
    (".ra", "audio/x-pn-realaudio"),
    (".wav", "audio/vnd.wave"),
    (".weba", "audio/webm"),
    (".otf", "font/otf"),
    (".ttf", "font/ttf"),
    (".woff", "font/woff"),
    (".woff2", "font/woff2"),
    (".avif", "image/avif"),
    (".bmp", "image/bmp"),
    (".emf", "image/emf"),
    (".fits", "image/fits"),
    (".g3", "image/g3fax"),
    (".gif", "image/gif"),
    (".ief", "image/ief"),
    (".jp2", "image/jp2"),
    (".jpg", "image/jpeg"),
    (".jpe", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".jpm", "image/jpm"),
    (".jpx", "image/jpx"),
    (".heic", "image/heic"),
    (".heif", "image/heif"),
    (".png", "image/png"),
    (".svg", "image/svg+xml"),
    (".t38", "image/t38"),
    (".tiff", "image/tiff"),
    (".tif", "image/tiff"),
    (".tfx", "image/tiff-fx"),
    (".ico", "image/vnd.microsoft.icon"),
    (".webp", "image/webp"),
    (".wmf", "image/wmf"),
    (".ras", "image/x-cmu-raster"),
    (".pnm", "image/x-portable-anymap"),
    (".pbm", "image/x-portable-bitmap"),
    (".pgm", "image/x-portable-graymap"),
    (".ppm", "image/x-portable-pixmap"),
    (".rgb", "image/x-rgb"),
    (".xbm", "image/x-xbitmap"),
    (".xpm", "image/x-xpixmap"),
    (".xwd", "image/x-xwindowdump"),
    (".eml", "message/rfc822"),
    (".mht", "message/rfc822"),
    (".mhtml", "message/rfc822"),
    (".nws", "message/rfc822"),
    (".gltf", "model/gltf+json"),
    (".glb", "model/gltf-binary"),
    (".stl", "model/stl"),
    (".css", "text/css"),
    (".csv", "text/csv"),
    (".html", "text/html"),
    (".htm", "text/html"),
    (".md", "text/markdown"),
    (".markdown", "text/markdown"),
    (".n3", "text/n3"),
    (".txt", "text/plain"),
    (".bat", "text/plain"),
    (".c", "text/plain"),
    (".h", "text/plain"),
    (".ksh", "text/plain"),
    (".pl", "text/plain"),
    (".srt", "text/plain"),
    (".rtx", "text/richtext"),
    (".rtf", "text/rtf"),
    (".tsv", "text/tab-separated-values"),
    (".vtt", "text/vtt"),
    (".py", "text/x-python"),
    (".rst", "text/x-rst"),
    (".etx", "text/x-setext"),
    (".sgm", "text/x-sgml"),
    (".sgml", "text/x-sgml"),
    (".vcf", "text/x-vcard"),
    (".xml", "text/xml"),
    (".mkv", "video/matroska"),
    (".mk3d", "video/matroska-3d"),
    (".mp4", "video/mp4"),
    (".mpeg", "video/mpeg"),
    (".m1v", "video/mpeg"),
    (".mpa", "video/mpeg"),
    (".mpe", "video/mpeg"),
    (".mpg", "video/mpeg"),
    (".ogv", "video/ogg"),
    (".mov", "video/quicktime"),
    (".qt", "video/quicktime"),
    (".webm", "video/webm"),
    (".avi", "video/vnd.avi"),
    (".m4v", "video/x-m4v"),
    (".wmv", "video/x-ms-wmv"),
    (".movie", "video/x-sgi-movie"),
];

/// `posixpath.splitext` over bytes: `(root, ext)`; a leading run of dots in
/// the last component is not an extension.
pub(crate) fn splitext(path: &[u8]) -> (&[u8], &[u8]) {
    let name_start = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let name = &path[name_start..];
    if let Some(dot) = name.iter().rposition(|&b| b == b'.') {
        let leading_dots = name.iter().take_while(|&&b| b == b'.').count();
        if dot >= leading_dots {
            let at = name_start + dot;
            return (&path[..at], &path[at..]);
        }
    }
    (path, &[])
}

fn lookup<'a>(table: &'a [(&str, &str)], ext: &[u8]) -> Option<&'a str> {
    table
        .iter()
        .find(|(e, _)| e.as_bytes() == ext)
        .map(|(_, t)| *t)
}

/// `mimetypes.guess_file_type(path)[0]` (strict), with [`mime_guess`] as the
/// fallback for extensions the built-in table lacks (in place of the host's
/// `mime.types`).
pub(crate) fn mimetypes_guess(path: &[u8]) -> Option<String> {
    let (b, e) = splitext(path);
    let (mut base, mut ext) = (b.to_vec(), e.to_vec());
    while let Some(repl) = lookup(SUFFIX_MAP, &ext.to_ascii_lowercase()) {
        let joined = [base.as_slice(), repl.as_bytes()].concat();
        let (b, e) = splitext(&joined);
        (base, ext) = (b.to_vec(), e.to_vec());
    }
    if ENCODINGS.iter().any(|e| e.as_bytes() == ext) {
        ext = splitext(&base).1.to_vec();
    }
    let ext = ext.to_ascii_lowercase();
    if let Some(t) = lookup(TYPES_MAP, &ext) {
        return Some(t.to_owned());
    }
    let bare = std::str::from_utf8(ext.strip_prefix(b".")?).ok()?;
    // Compression suffixes are encodings to Python, never types (`.z` is
    // unknown to it although `mime_guess` knows it).
    if bare.is_empty() || ENCODINGS.iter().any(|e| e[1..].eq_ignore_ascii_case(bare)) {
        return None;
    }
    mime_guess::from_ext(bare).first_raw().map(str::to_owned)
}

/// `SimpleHTTPRequestHandler.guess_type(path)`: `extensions_map` (exact
/// case, then lower case), then `mimetypes`, then `default_content_type`.
pub(crate) fn guess_type(
    path: &Path,
    extensions_map: &[(String, String)],
    default: &str,
) -> String {
    let bytes = os_bytes(path.as_os_str());
    let (_, ext) = splitext(&bytes);
    let find = |ext: &[u8]| {
        extensions_map
            .iter()
            .find(|(e, _)| e.as_bytes() == ext)
            .map(|(_, t)| t.clone())
    };
    if let Some(t) = find(ext) {
        return t;
    }
    if let Some(t) = find(&ext.to_ascii_lowercase()) {
        return t;
    }
    mimetypes_guess(&bytes).unwrap_or_else(|| default.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(name: &str) -> String {
        let map: Vec<(String, String)> = DEFAULT_EXTENSIONS_MAP
            .iter()
            .map(|(e, t)| ((*e).to_owned(), (*t).to_owned()))
            .collect();
        guess_type(Path::new(name), &map, "application/octet-stream")
    }

    #[test]
    fn splitext_matches_posixpath() {
        let cases: &[(&str, &str, &str)] = &[
            ("a.txt", "a", ".txt"),
            ("/d.d/file", "/d.d/file", ""),
            (".hidden", ".hidden", ""),
            ("..x", "..x", ""),
            ("a.b.c", "a.b", ".c"),
            ("trailing.", "trailing", "."),
            ("x/..y.z", "x/..y", ".z"),
        ];
        for (p, root, ext) in cases {
            let (r, e) = splitext(p.as_bytes());
            assert_eq!((r, e), (root.as_bytes(), ext.as_bytes()), "{p}");
        }
    }

    #[test]
    fn guess_type_matches_cpython() {
        let cases = [
            ("test.txt", "text/plain"),
            ("page.html", "text/html"),
            ("UPPER.HTML", "text/html"),
            ("Mixed.Txt", "text/plain"),
            ("data.json", "application/json"),
            ("noext", "application/octet-stream"),
            ("archive.tar.gz", "application/gzip"),
            ("X.GZ", "application/gzip"),
            ("compress.Z", "application/octet-stream"),
            ("lower.z", "application/octet-stream"),
            ("data.bz2", "application/x-bzip2"),
            ("data.xz", "application/x-xz"),
            ("archive.tgz", "application/x-tar"),
            ("pic.svgz", "image/svg+xml"),
            ("unknown.xyzzy", "application/octet-stream"),
            ("trailingdot.", "application/octet-stream"),
            (".hidden", "application/octet-stream"),
            ("app.js", "text/javascript"),
            ("feed.xml", "text/xml"),
            ("script.py", "text/x-python"),
            ("font.woff2", "font/woff2"),
            ("/srv/dir.d/file", "application/octet-stream"),
        ];
        for (name, want) in cases {
            assert_eq!(guess(name), want, "{name}");
        }
    }

    #[test]
    fn mime_guess_fills_gaps() {
        assert_eq!(guess("page.xhtml"), "application/xhtml+xml");
    }
}
