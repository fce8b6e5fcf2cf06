//! Uploads into the served directory (`--upload[=DIR]`), beyond CPython,
//! which has none (CPython issues #86170 and #95499): `POST` of a
//! `multipart/form-data` form to a directory's URL (many files, and folders
//! as browsers send them from `<input webkitdirectory>`, as relative names),
//! and `PUT` of one file to its URL. Safe by construction, against the bugs
//! the peers have fixed (miniserve, static-web-server, `http-server`):
//!
//! * every name is a plain file name, or a relative path of such names for
//!   a folder's files: no `..`, no `.` files (so no `.git/config` or
//!   `.htaccess`), no control characters, no empty parts;
//! * the directory is reached from the served one a component at a time
//!   with `O_NOFOLLOW`, so no symlink is ever followed, even one swapped in
//!   while the upload runs;
//! * a file is written to a fresh temporary name beside its target and
//!   renamed into place only when whole, `RENAME_NOREPLACE` unless
//!   overwriting is allowed: an existing file is never replaced (409), and
//!   two uploads of one name never mix;
//! * the size is bounded by `ServerConfig::max_body` (413).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};

use crate::form::{self, FormError, Limits};
use crate::request::Request;

/// Where uploads may go, and whether they may replace files.
///
/// ```
/// use basehttp::handlers::{SimpleHttpRequestHandler, Upload};
///
/// let files = SimpleHttpRequestHandler::new("share")
///     .with_upload(Some(Upload { dir: Some("incoming".into()), overwrite: false }));
/// assert!(files.upload.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upload {
    /// Only into this directory (relative to the served one) and the
    /// directories below it; `None`: anywhere in the served tree.
    pub dir: Option<PathBuf>,
    /// Replace an existing file of the same name (`--overwrite`); else such
    /// an upload is refused with 409.
    pub overwrite: bool,
}

/// Longest file name (ext4's and most file systems' limit).
const MAX_NAME: usize = 255;

/// Most directory levels a folder upload may create below its target.
const MAX_DEPTH: usize = 32;

/// A name part that may be created: not empty, not `.`-led (`.`, `..`,
/// hidden files), no `/`, `\` or control characters, at most 255 bytes.
fn safe_component(c: &str) -> bool {
    !c.is_empty()
        && !c.starts_with('.')
        && c.len() <= MAX_NAME
        && !c
            .chars()
            .any(|ch| ch == '/' || ch == '\\' || ch.is_control())
}

/// A client's file name as the relative path to create: one safe name, or
/// (a folder's file, `webkitdirectory`) several joined by `/` (Windows
/// browsers may send `\`). `None` if any part is unsafe.
pub(crate) fn relative_name(raw: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = raw.split(['/', '\\']).map(str::to_owned).collect();
    (parts.len() <= MAX_DEPTH + 1 && parts.iter().all(|p| safe_component(p))).then_some(parts)
}

/// The directories of a URL path below the served root (`/a/b/` →
/// `["a", "b"]`; a `PUT`'s last segment is its file name). `None` if a
/// segment is `.`-led or otherwise unsafe: such paths are refused, never
/// normalised.
pub(crate) fn url_segments(decoded_path: &str) -> Option<Vec<String>> {
    let trimmed = decoded_path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Some(Vec::new());
    }
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    trimmed
        .split('/')
        .map(|s| safe_component(s).then(|| s.to_owned()))
        .collect()
}

/// Opens `root/segments...` as a directory without following any symlink,
/// creating the missing ones when `create`.
fn open_dir(root: &Path, segments: &[String], create: bool) -> io::Result<OwnedFd> {
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut dir = rustix::fs::open(root, dir_flags, Mode::empty())?;
    for s in segments {
        let flags = dir_flags | OFlags::NOFOLLOW;
        dir = match rustix::fs::openat(&dir, s.as_str(), flags, Mode::empty()) {
            Err(rustix::io::Errno::NOENT) if create => {
                match rustix::fs::mkdirat(&dir, s.as_str(), Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                rustix::fs::openat(&dir, s.as_str(), flags, Mode::empty())?
            }
            r => r?,
        };
    }
    Ok(dir)
}

/// Temporary names, unique in the process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// The start and end of an upload's temporary name.
const TEMP_PREFIX: &str = ".basehttp-upload-";
const TEMP_SUFFIX: &str = ".part";

/// Whether `name` is an upload still being written (left out of listings
/// and archives while uploads are on).
pub(crate) fn is_temporary(name: &[u8]) -> bool {
    name.starts_with(TEMP_PREFIX.as_bytes()) && name.ends_with(TEMP_SUFFIX.as_bytes())
}

/// A file being written under a temporary name in `dir`; removed if it is
/// not put in place.
struct Incoming {
    dir: OwnedFd,
    temp: String,
    file: File,
    placed: bool,
}

impl Incoming {
    fn create(dir: OwnedFd) -> io::Result<Incoming> {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let temp = format!("{TEMP_PREFIX}{}-{n}{TEMP_SUFFIX}", std::process::id());
        let fd = rustix::fs::openat(
            &dir,
            temp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        Ok(Incoming {
            dir,
            temp,
            file: File::from(fd),
            placed: false,
        })
    }

    /// Renames the whole file to `name`; `AlreadyExists` if that is taken
    /// and `overwrite` is off.
    fn place(mut self, name: &str, overwrite: bool) -> io::Result<bool> {
        self.file.flush()?;
        let flags = if overwrite {
            RenameFlags::empty()
        } else {
            RenameFlags::NOREPLACE
        };
        let existed =
            overwrite && rustix::fs::statat(&self.dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok();
        rustix::fs::renameat_with(&self.dir, self.temp.as_str(), &self.dir, name, flags)?;
        self.placed = true;
        Ok(existed)
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.placed {
            let _ = rustix::fs::unlinkat(&self.dir, self.temp.as_str(), AtFlags::empty());
        }
    }
}

/// Whether uploads may go to the directory `segments` names.
fn allowed(upload: &Upload, segments: &[String]) -> bool {
    let Some(dir) = &upload.dir else {
        return true;
    };
    let wanted: Vec<String> = dir
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    segments.len() >= wanted.len() && segments[..wanted.len()] == wanted[..]
}

/// Whether the listing of the directory at `url_path` shows the form.
pub(crate) fn form_allowed(upload: &Upload, url_path: &str) -> bool {
    url_segments(url_path).is_some_and(|s| allowed(upload, &s))
}

/// The upload forms appended to a listing: files, and a folder.
pub(crate) fn listing_form(out: &mut Vec<u8>) {
    out.extend_from_slice(
        b"<form method=\"post\" enctype=\"multipart/form-data\">\n\
          <input type=\"file\" name=\"file\" multiple required>\n\
          <input type=\"submit\" value=\"Upload files\">\n</form>\n\
          <form method=\"post\" enctype=\"multipart/form-data\">\n\
          <input type=\"file\" name=\"file\" webkitdirectory multiple required>\n\
          <input type=\"submit\" value=\"Upload a folder\">\n</form>\n<hr>\n",
    );
}

/// An error answer for a failed write: 409 for a name taken, 404 for a
/// directory that is missing or reached through a symlink, 403 for no
/// permission, else the error itself (500).
fn answer(req: &mut Request, e: io::Error) -> io::Result<()> {
    match e.kind() {
        io::ErrorKind::AlreadyExists => req.send_error_with(409, "File exists"),
        io::ErrorKind::PermissionDenied => req.send_error(403),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
            req.send_error_with(404, "No such directory")
        }
        _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            req.send_error_with(404, "No such directory")
        }
        _ => Err(e),
    }
}

/// `POST` of a `multipart/form-data` form to a directory's URL: every file
/// part saved (a folder's files with their relative paths); then `303` back
/// to the listing for a browser, or `201` with the names saved. Nothing of
/// a request that fails stays behind.
///
/// # Errors
/// I/O errors, and the form's errors (400, 413).
pub(crate) fn post(req: &mut Request, root: &Path, upload: &Upload) -> io::Result<()> {
    let path = req.url().path_unquoted();
    let Some(segments) = url_segments(&path).filter(|s| allowed(upload, s)) else {
        return req.send_error_with(403, "Uploads are not allowed here");
    };
    if !path.ends_with('/') {
        return req.send_error_with(405, "Upload to a directory's URL");
    }
    let limits = Limits {
        max_total_size: req.server().config().max_body.unwrap_or(u64::MAX),
        ..Limits::default()
    };
    let mut saved: Vec<(Vec<String>, bool)> = Vec::new();
    let result = save_parts(req, root, &segments, upload, limits, &mut saved);
    if let Err(failure) = result {
        // All or nothing: the new files this request put in place go again.
        for (name, replaced) in &saved {
            let (file, dirs) = name.split_last().expect("not empty");
            if !replaced
                && let Ok(dir) = open_dir(root, &[segments.as_slice(), dirs].concat(), false)
            {
                let _ = rustix::fs::unlinkat(&dir, file.as_str(), AtFlags::empty());
            }
        }
        return match failure {
            Failure::Form(e) => Err(e.into()),
            Failure::Name(raw) => req.send_error_with(400, &format!("Unsafe file name {raw:?}")),
            Failure::Io(e) => answer(req, e),
        };
    }
    if saved.is_empty() {
        return req.send_error_with(400, "No file in the form");
    }
    let browser = req
        .headers
        .get("Accept")
        .is_some_and(|a| a.contains("text/html"));
    if browser {
        let back = req.path.clone();
        return req.redirect(303, &back);
    }
    let mut body = Vec::new();
    for (name, _) in &saved {
        body.extend_from_slice(name.join("/").as_bytes());
        body.push(b'\n');
    }
    req.respond(201, "text/plain; charset=utf-8", body)
}

/// Why saving a form's files stopped.
enum Failure {
    /// The body is not a valid form, or too large (400, 413).
    Form(FormError),
    /// A file name that may not be created (400).
    Name(String),
    /// Writing failed (409, 404, 403, or 500).
    Io(io::Error),
}

impl From<FormError> for Failure {
    fn from(e: FormError) -> Self {
        Failure::Form(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn save_parts(
    req: &mut Request,
    root: &Path,
    segments: &[String],
    upload: &Upload,
    limits: Limits,
    saved: &mut Vec<(Vec<String>, bool)>,
) -> Result<(), Failure> {
    let mut parts = form::multipart_with(req, limits)?;
    while let Some(mut part) = parts.next_part()? {
        let Some(raw) = part.filename().map(str::to_owned) else {
            continue;
        };
        if raw.is_empty() {
            // A file input left empty.
            continue;
        }
        let Some(name) = relative_name(&raw) else {
            return Err(Failure::Name(raw));
        };
        let (file, dirs) = name.split_last().expect("not empty");
        let dir = open_dir(root, &[segments, dirs].concat(), true)?;
        let mut incoming = Incoming::create(dir)?;
        part.copy_to(&mut incoming.file)?;
        let replaced = incoming.place(file, upload.overwrite)?;
        saved.push((name, replaced));
    }
    Ok(())
}

/// `PUT` of one file to its URL: `201 Created`, or `204 No Content` when
/// it replaced one (`--overwrite`); the directory must exist.
///
/// # Errors
/// I/O errors; a body over `max_body` (413) or cut short.
pub(crate) fn put(req: &mut Request, root: &Path, upload: &Upload) -> io::Result<()> {
    let path = req.url().path_unquoted();
    let Some(mut segments) = url_segments(&path).filter(|s| allowed(upload, s)) else {
        return req.send_error_with(403, "Uploads are not allowed here");
    };
    if path.ends_with('/') || segments.is_empty() {
        return req.send_error_with(405, "PUT a file's URL");
    }
    let name = segments.pop().expect("not empty");
    if !allowed(upload, &segments) {
        return req.send_error_with(403, "Uploads are not allowed here");
    }
    let dir = match open_dir(root, &segments, false) {
        Ok(d) => d,
        Err(e) => return answer(req, e),
    };
    let mut incoming = match Incoming::create(dir) {
        Ok(i) => i,
        Err(e) => return answer(req, e),
    };
    let max = req.server().config().max_body.unwrap_or(u64::MAX);
    if req.rfile.remaining().is_some_and(|n| n > max) {
        req.close_connection = true;
        return req.send_error(413);
    }
    let mut body = std::io::Read::take(&mut req.rfile, max.saturating_add(1));
    let copied = io::copy(&mut body, &mut incoming.file)?;
    if copied > max {
        // A chunked body over the limit: the temporary file goes.
        req.close_connection = true;
        return req.send_error(413);
    }
    if req.rfile.remaining().is_some_and(|left| left > 0) {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    match incoming.place(&name, upload.overwrite) {
        Ok(true) => {
            req.send_response(204)?;
            req.end_headers()
        }
        Ok(false) => {
            let mut body = name.into_bytes();
            body.push(b'\n');
            req.respond(201, "text/plain; charset=utf-8", body)
        }
        Err(e) => answer(req, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_may_be_created() {
        assert_eq!(relative_name("notes.txt").unwrap(), ["notes.txt"]);
        assert_eq!(
            relative_name("photos/2026/a.jpg").unwrap(),
            ["photos", "2026", "a.jpg"]
        );
        assert_eq!(relative_name("dir\\a.txt").unwrap(), ["dir", "a.txt"]);
        for bad in [
            "",
            ".",
            "..",
            "../etc/passwd",
            "a/../b",
            "a//b",
            "/abs",
            ".git/config",
            "a/.env",
            "line\nbreak",
            "nul\0",
        ] {
            assert!(relative_name(bad).is_none(), "{bad:?}");
        }
        assert!(relative_name(&"x".repeat(256)).is_none());
        assert!(relative_name(&["d"; 40].join("/")).is_none());
    }

    #[test]
    fn temporary_names() {
        assert!(is_temporary(b".basehttp-upload-12-0.part"));
        assert!(!is_temporary(b".basehttp-upload-12-0.txt"));
        assert!(!is_temporary(b"notes.part"));
    }

    #[test]
    fn url_paths_are_refused_not_normalised() {
        assert_eq!(url_segments("/").unwrap(), Vec::<String>::new());
        assert_eq!(url_segments("/a/b/").unwrap(), ["a", "b"]);
        assert_eq!(url_segments("/a/b.txt").unwrap(), ["a", "b.txt"]);
        for bad in ["/../x", "/a/../b/", "/a//b", "/.ssh/", "/a/.."] {
            assert!(url_segments(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_allowed_directory_and_below() {
        let up = Upload {
            dir: Some("in/box".into()),
            overwrite: false,
        };
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(allowed(&up, &s(&["in", "box"])));
        assert!(allowed(&up, &s(&["in", "box", "deeper"])));
        assert!(!allowed(&up, &s(&["in"])));
        assert!(!allowed(&up, &s(&["other"])));
        assert!(allowed(&Upload::default(), &s(&[])));
    }

    #[test]
    fn directories_are_walked_without_following_symlinks() {
        let root = std::env::temp_dir().join(format!("basehttp-upload-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(open_dir(&root, &s(&["real"]), false).is_ok());
        assert!(open_dir(&root, &s(&["link"]), false).is_err());
        assert!(open_dir(&root, &s(&["link", "x"]), true).is_err());
        assert!(open_dir(&root, &s(&["new", "deep"]), true).is_ok());
        assert!(root.join("new/deep").is_dir());
        // A temporary file goes when it is not placed; a placed one stays,
        // and never over another without overwrite.
        let dir = open_dir(&root, &s(&["real"]), false).unwrap();
        let mut a = Incoming::create(dir).unwrap();
        a.file.write_all(b"one").unwrap();
        assert!(!a.place("f.txt", false).unwrap());
        let dir = open_dir(&root, &s(&["real"]), false).unwrap();
        let b = Incoming::create(dir).unwrap();
        let err = b.place("f.txt", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        let dir = open_dir(&root, &s(&["real"]), false).unwrap();
        let c = Incoming::create(dir).unwrap();
        assert!(c.place("f.txt", true).unwrap(), "replaced");
        drop(Incoming::create(open_dir(&root, &s(&["real"]), false).unwrap()).unwrap());
        let names: Vec<_> = std::fs::read_dir(root.join("real"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f.txt"], "no temporary file left");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
