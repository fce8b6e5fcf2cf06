//! Stand-in for the file half of `CGIHTTPRequestHandler` (what it inherits
//! from `SimpleHTTPRequestHandler`): `translate_path` and a minimal
//! `send_head` for non-CGI URLs. Replaced by `handlers::files` once that
//! module exists; the seam is [`translate_path`] and [`send_file_head`].

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use super::env::unquote_bytes;
use crate::request::Request;

/// `SimpleHTTPRequestHandler.translate_path`: drops query and fragment,
/// unquotes, normalises, and joins the plain components onto `directory`,
/// keeping a trailing slash. The result never leaves `directory`.
pub fn translate_path(directory: &Path, path: &str) -> PathBuf {
    let path = path.split('#').next().unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    let raw = unquote_bytes(path);
    let trailing_slash = raw.ends_with(b"/");
    let mut words: Vec<&[u8]> = Vec::new();
    for word in raw.split(|&b| b == b'/') {
        match word {
            b"" | b"." => {}
            b".." => {
                words.pop();
            }
            w => words.push(w),
        }
    }
    let mut out = directory.to_path_buf();
    for w in words {
        out.push(OsString::from_vec(w.to_vec()));
    }
    if trailing_slash {
        let mut s = out.into_os_string();
        s.push("/");
        out = PathBuf::from(s);
    }
    out
}

/// A minimal `send_head` for non-CGI URLs: directory redirect, index
/// pages, regular files. Returns the open file and its length.
pub(crate) fn send_file_head(
    req: &mut Request,
    directory: &Path,
) -> io::Result<Option<(File, u64)>> {
    let mut path = translate_path(directory, &req.path);
    if path.is_dir() {
        let (p, rest) = match req.path.find(['?', '#']) {
            Some(i) => req.path.split_at(i),
            None => (req.path.as_str(), ""),
        };
        if !p.ends_with('/') {
            let location = format!("{p}/{rest}");
            req.send_response(301)?;
            req.send_header("Location", &location)?;
            req.send_header("Content-Length", "0")?;
            req.end_headers()?;
            return Ok(None);
        }
        match ["index.html", "index.htm"]
            .iter()
            .map(|i| path.join(i))
            .find(|i| i.is_file())
        {
            Some(index) => path = index,
            None => {
                req.send_error_with(404, "No permission to list directory")?;
                return Ok(None);
            }
        }
    }
    if path.as_os_str().to_string_lossy().ends_with('/') {
        req.send_error_with(404, "File not found")?;
        return Ok(None);
    }
    let file = match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
        Ok((f, m)) if m.is_file() => (f, m),
        _ => {
            req.send_error_with(404, "File not found")?;
            return Ok(None);
        }
    };
    let (file, meta) = file;
    let ctype = mime_guess::from_path(&path)
        .first_raw()
        .unwrap_or("application/octet-stream");
    req.send_response(200)?;
    req.send_header("Content-type", ctype)?;
    req.send_header("Content-Length", &meta.len().to_string())?;
    if let Ok(modified) = meta.modified() {
        req.send_header("Last-Modified", &httpdate::fmt_http_date(modified))?;
    }
    req.end_headers()?;
    Ok(Some((file, meta.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translate_path_stays_inside() {
        let d = Path::new("/srv");
        assert_eq!(translate_path(d, "/a/b?x#y"), PathBuf::from("/srv/a/b"));
        assert_eq!(
            translate_path(d, "/../../etc/passwd"),
            PathBuf::from("/srv/etc/passwd")
        );
        assert_eq!(
            translate_path(d, "/a/%2e%2e/%2e%2e/b"),
            PathBuf::from("/srv/b")
        );
        assert_eq!(
            translate_path(d, "/cgi-bin/"),
            PathBuf::from("/srv/cgi-bin/")
        );
        assert_eq!(translate_path(d, ""), PathBuf::from("/srv"));
    }
}
