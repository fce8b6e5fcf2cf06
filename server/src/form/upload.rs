//! Saving uploaded files into a directory, what every upload handler writes
//! by hand (in Python too, where `cgi.FieldStorage` left it to the caller):
//! a client-supplied file name made safe to create ([`safe_file_name`]),
//! and the files of a `multipart/form-data` body streamed into a directory
//! ([`save_files`]).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::{Limits, multipart_with};
use crate::request::Request;

/// Longest file name kept, in bytes (ext4's and most file systems' limit).
const MAX_NAME: usize = 255;

/// Most numbered names ([`save_files`]) tried before giving up.
const MAX_NUMBERED: u32 = 1000;

/// A client-supplied file name made safe to create in a directory: its
/// last path component (`/` and `\` both separate, as browsers on Windows
/// send `C:\dir\a.txt`), with no control characters, not empty, not
/// starting with `.` (no `..`, no hidden files) and at most 255 bytes.
/// `None` if nothing safe is left. Decode a request path first
/// (`req.url().path_unquoted()`); a multipart `filename` is used as sent.
///
/// ```
/// use basehttp::form::safe_file_name;
///
/// assert_eq!(safe_file_name("C:\\Users\\me\\notes.txt").as_deref(), Some("notes.txt"));
/// assert_eq!(safe_file_name("/upload/report 2.pdf").as_deref(), Some("report 2.pdf"));
/// assert_eq!(safe_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(safe_file_name(".."), None);
/// assert_eq!(safe_file_name(".bashrc"), None);
/// assert_eq!(safe_file_name("dir/"), None);
/// ```
pub fn safe_file_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let ok = !base.is_empty()
        && !base.starts_with('.')
        && base.len() <= MAX_NAME
        && !base.chars().any(char::is_control);
    ok.then(|| base.to_owned())
}

/// A file [`save_files`] stored.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedFile {
    /// The form field it came in.
    pub field: String,
    /// Its name in the directory: the client's, made safe
    /// ([`safe_file_name`]), numbered if that name was taken.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// Streams every file of a `multipart/form-data` request body into `dir`,
/// never holding one in memory: each file part under its client's name
/// made safe ([`safe_file_name`]; a part with no such name, and every
/// non-file field, is skipped). An existing file is never replaced: a
/// taken name gets a number (`notes (1).txt`, `notes (2).txt`, ...).
///
/// ```no_run
/// use basehttp::prelude::*;
/// use basehttp::form::{self, Limits};
///
/// struct Share;
///
/// #[http_handler]
/// impl Share {
///     fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
///         let limits = Limits { max_total_size: 20 << 20, ..Limits::default() };
///         let saved = form::save_files(req, "share", limits)?; // 400, 413 for you
///         req.respond(201, "text/plain", format!("{} files\n", saved.len()))
///     }
/// }
/// ```
///
/// # Errors
/// Errors a `do_*` method passes on with `?`, the server then answering
/// with their status (see [`FormError::status`](super::FormError::status)):
/// a body that is not multipart or is malformed (400), one over
/// `limits.max_total_size` (413, refused before reading when its
/// `Content-Length` says so), a file that cannot be created or written
/// (500). The files this call saved are removed first.
pub fn save_files(
    req: &mut Request,
    dir: impl AsRef<Path>,
    limits: Limits,
) -> io::Result<Vec<SavedFile>> {
    let mut saved = Vec::new();
    let result = save_into(req, dir.as_ref(), limits, &mut saved);
    if result.is_err() {
        for file in &saved {
            let _ = fs::remove_file(&file.path);
        }
    }
    result.map(|()| saved)
}

fn save_into(
    req: &mut Request,
    dir: &Path,
    limits: Limits,
    saved: &mut Vec<SavedFile>,
) -> io::Result<()> {
    let mut parts = multipart_with(req, limits)?;
    while let Some(mut part) = parts.next_part()? {
        let Some(wanted) = part.filename().and_then(safe_file_name) else {
            continue;
        };
        let (name, path, mut file) = create_numbered(dir, &wanted)?;
        let copied = part.copy_to(&mut file);
        let field = part.name().to_owned();
        // Listed before the result is looked at: removed with the others.
        saved.push(SavedFile {
            field,
            name,
            path,
            size: *copied.as_ref().unwrap_or(&0),
        });
        copied?;
    }
    Ok(())
}

/// Creates `dir/name`, or `dir/stem (n).ext` for the first free `n`.
fn create_numbered(dir: &Path, name: &str) -> io::Result<(String, PathBuf, File)> {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    for n in 0..=MAX_NUMBERED {
        let candidate = match n {
            0 => name.to_owned(),
            n => format!("{stem} ({n}){ext}"),
        };
        let path = dir.join(&candidate);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((candidate, path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{MAX_NUMBERED} files named like {name:?} exist already"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a.txt", Some("a.txt")),
            ("C:\\dir\\up.bin", Some("up.bin")),
            ("/x/y/z.tar.gz", Some("z.tar.gz")),
            ("../../etc/passwd", Some("passwd")),
            ("..", None),
            (".", None),
            ("", None),
            ("dir/", None),
            (".hidden", None),
            ("bell\x07.txt", None),
            ("new\nline", None),
            ("ünï cödé.txt", Some("ünï cödé.txt")),
        ];
        for (raw, want) in cases {
            assert_eq!(safe_file_name(raw).as_deref(), *want, "{raw:?}");
        }
        assert!(safe_file_name(&"a".repeat(255)).is_some());
        assert!(safe_file_name(&"a".repeat(256)).is_none());
    }

    #[test]
    fn taken_names_are_numbered() {
        let dir = std::env::temp_dir().join(format!("basehttp-upload-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let names: Vec<String> = (0..3)
            .map(|_| create_numbered(&dir, "notes.txt").unwrap().0)
            .collect();
        assert_eq!(names, ["notes.txt", "notes (1).txt", "notes (2).txt"]);
        assert_eq!(create_numbered(&dir, "README").unwrap().0, "README");
        assert_eq!(create_numbered(&dir, "README").unwrap().0, "README (1)");
        fs::remove_dir_all(&dir).unwrap();
    }
}
