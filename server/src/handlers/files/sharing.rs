//! Sharing a folder with people, beyond CPython (issue 23): dot-files
//! hidden (`--no-dotfiles`), a link policy (`--symlinks=follow|inside|off`)
//! and folders downloaded as one archive (`--archive`, in `archive.rs`).
//! Each is off by default, where the bytes stay CPython's: dot-files
//! served, every link followed, no archive link.
//!
//! The spellings are the peers': dufs and miniserve hide dot-files on
//! request (`--hidden`, `-H`), miniserve refuses links (`--no-symlinks`),
//! dufs follows only links that stay inside (`--allow-symlink` off);
//! nginx's `disable_symlinks` has the same three levels as `--symlinks`.
//!
//! Every open under a policy goes through one opener (`beneath.rs`): the
//! `stat` of `send_head`, index pages, the file sent, precompressed
//! siblings, listings and archives. With a policy on, the open-file cache
//! is not used (it is keyed by path).

use std::ffi::OsStr;
use std::fs;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, Dir, FileType, OFlags};

use super::beneath::Beneath;
use super::cache::OpenFileCache;
use super::listing::Entry;
use super::{Encoding, OpenFile, SimpleHttpRequestHandler, path};
use crate::file::SharedFile;
use crate::request::Request;

/// What the stock file handler does with symbolic links below its
/// directory (`--symlinks`). The served directory itself may be a link:
/// the operator chose it.
///
/// ```
/// use basehttp::handlers::SimpleHttpRequestHandler;
/// use basehttp::handlers::files::Symlinks;
///
/// let files = SimpleHttpRequestHandler::new("/srv/share").with_symlinks(Symlinks::Inside);
/// assert_eq!(files.symlinks, Symlinks::Inside);
/// assert_eq!(SimpleHttpRequestHandler::new(".").symlinks, Symlinks::Follow);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Symlinks {
    /// Followed wherever they lead, as CPython follows them (the default).
    #[default]
    Follow,
    /// Followed only while they stay inside the served directory: a file
    /// or folder reached through a link that leads out answers 404 and is
    /// left out of listings and archives. Decided by the kernel at the open
    /// (`openat2` with `RESOLVE_BENEATH`), so a folder swapped for a link
    /// meanwhile cannot lead out either.
    Inside,
    /// Never followed (`RESOLVE_NO_SYMLINKS`): a path through a link
    /// answers 404, and links are left out of listings and archives.
    Off,
}

/// The sharing options (`--no-dotfiles`, `--symlinks`, `--archive`).
impl SimpleHttpRequestHandler {
    /// Serves dot-files (`true`, CPython's default) or hides them
    /// (`false`, `--no-dotfiles`): a path with any segment starting with
    /// `.` after percent-decoding (`/.git/config`, `/%2eenv`, `/a/.ssh/`)
    /// answers `404 File not found`, as a missing file does (not 403, which
    /// would say it exists), and dot-files are left out of listings and
    /// archives.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new("/srv/share").with_dotfiles(false);
    /// assert!(!files.dotfiles);
    /// ```
    #[must_use]
    pub fn with_dotfiles(mut self, serve: bool) -> Self {
        self.dotfiles = serve;
        self
    }

    /// Sets the link policy ([`Symlinks`], `--symlinks`): which links a
    /// download, a listing or an archive may go through.
    #[must_use]
    pub fn with_symlinks(mut self, symlinks: Symlinks) -> Self {
        self.symlinks = symlinks;
        self
    }

    /// Turns folder downloads on or off (`--archive`): every listing gets
    /// one link, `Download this folder (.tar.gz)`, to `?archive=tar.gz`,
    /// and `GET /dir/?archive=tar.gz` (or `?archive=tar`, uncompressed)
    /// answers with the folder as a `.tar.gz` streamed file by file (never
    /// built in memory; chunked for HTTP/1.1, closed for HTTP/1.0). The
    /// archive holds what a listing shows: dot-files and links as the
    /// policies say; a linked file as its contents, a linked folder not
    /// entered (no loops); files that vanish meanwhile left out. Off, a
    /// query is ignored, as CPython ignores it.
    ///
    /// `.tar.gz` needs the `compress` cargo feature (on by default);
    /// without it the link is to `.tar`.
    ///
    /// With [`CgiHttpRequestHandler`](crate::handlers::CgiHttpRequestHandler),
    /// an archive of a folder above a CGI directory would hold the scripts'
    /// source: the `basehttp` command refuses `--archive` with `--cgi`.
    ///
    /// ```
    /// use basehttp::handlers::SimpleHttpRequestHandler;
    ///
    /// let files = SimpleHttpRequestHandler::new("/srv/share").with_archive(true);
    /// assert!(files.archive);
    /// ```
    #[must_use]
    pub fn with_archive(mut self, on: bool) -> Self {
        self.archive = on;
        self
    }
}

/// No policy: CPython's opens by path (and the open-file cache).
fn open_to_all(state: &SimpleHttpRequestHandler) -> bool {
    state.dotfiles && state.symlinks == Symlinks::Follow
}

/// The `stat` of `send_head` (`os.path.isdir` and the regular-file check),
/// through the policy: `None` if the path names nothing it may open.
pub(crate) fn stat(state: &SimpleHttpRequestHandler, path: &Path) -> Option<fs::Metadata> {
    if open_to_all(state) {
        return fs::metadata(path).ok();
    }
    let fd = Beneath::of(state).open(path, OFlags::PATH).ok()?;
    fs::File::from(fd).metadata().ok()
}

/// Opens the regular file `path` for `open_file`: from the open-file cache
/// or by path without a policy, else through the policy (and not cached).
pub(crate) fn open_regular(
    state: &SimpleHttpRequestHandler,
    cache: Option<&OpenFileCache>,
    path: &Path,
    stat: fs::Metadata,
) -> Option<(SharedFile, fs::Metadata)> {
    if open_to_all(state) {
        return super::open_regular(cache, path, stat);
    }
    // Non-blocking: a FIFO put in the file's place never blocks the open.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK;
    let file = fs::File::from(Beneath::of(state).open(path, flags).ok()?);
    let meta = file.metadata().ok().filter(fs::Metadata::is_file)?;
    Some((SharedFile::new(file), meta))
}

/// `select_encoding` with a policy on: a precompressed sibling is sent only
/// if the policy opens the very same file (a `.gz` linked out of the
/// served directory is not); else the file as stored.
pub(crate) fn select_encoding(
    state: &SimpleHttpRequestHandler,
    req: &Request,
    file: OpenFile,
) -> OpenFile {
    if open_to_all(state) || !state.compress {
        return super::encoding::select(state, req, file);
    }
    let stored = file.clone();
    let chosen = super::encoding::select(state, req, file);
    if !matches!(chosen.encoding, Encoding::Precompressed(_)) || opens_same(state, &chosen) {
        return chosen;
    }
    OpenFile {
        vary: chosen.vary,
        ..stored
    }
}

/// Whether the policy opens `file.path` as the file already open.
fn opens_same(state: &SimpleHttpRequestHandler, file: &OpenFile) -> bool {
    let Ok(fd) = Beneath::of(state).open(&file.path, OFlags::PATH) else {
        return false;
    };
    match (rustix::fs::fstat(&fd), rustix::fs::fstat(file.file.file())) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        _ => false,
    }
}

/// The entries a listing of `dir` shows, or `None` if it cannot be listed
/// (CPython's `os.listdir` failing): every entry without a policy, else
/// those the policy lets through.
pub(crate) fn read_entries(state: &SimpleHttpRequestHandler, dir: &Path) -> Option<Vec<Entry>> {
    if open_to_all(state) {
        return read_entries_by_path(dir);
    }
    let policy = Beneath::of(state);
    let names = policy.relative(dir)?;
    let root = policy.open_root().ok()?;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let fd = policy.open_at(root.as_fd(), &names, flags).ok()?;
    let mut entries = Vec::new();
    for item in Dir::read_from(&fd).ok()? {
        let item = item.ok()?;
        let name = item.file_name().to_bytes();
        if name == b"." || name == b".." || !policy.visible(name) {
            continue;
        }
        let kind = match item.file_type() {
            FileType::Unknown => match rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => FileType::from_raw_mode(st.st_mode),
                Err(_) => continue,
            },
            kind => kind,
        };
        let is_dir = match (kind, policy.symlinks()) {
            (FileType::Symlink, Symlinks::Off) => continue,
            (FileType::Symlink, Symlinks::Follow) => {
                rustix::fs::statat(&fd, name, AtFlags::empty())
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
            }
            (FileType::Symlink, Symlinks::Inside) => {
                let mut path = names.clone();
                path.push(OsStr::from_bytes(name));
                let Ok(target) = policy.open_at(root.as_fd(), &path, OFlags::PATH) else {
                    continue;
                };
                rustix::fs::fstat(&target)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
            }
            (kind, _) => kind == FileType::Directory,
        };
        entries.push(Entry {
            name: name.to_vec(),
            is_dir,
            is_link: kind == FileType::Symlink,
        });
    }
    Some(entries)
}

/// CPython's listing: `os.listdir` by path, links followed for
/// `os.path.isdir`.
fn read_entries_by_path(dir: &Path) -> Option<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in fs::read_dir(dir).ok()? {
        let item = item.ok()?;
        // d_type from readdir saves a stat per entry; links are followed
        // (`os.path.isdir`).
        let is_link = item.file_type().is_ok_and(|t| t.is_symlink());
        let is_dir = if is_link {
            item.path().is_dir()
        } else {
            item.file_type().is_ok_and(|t| t.is_dir())
        };
        entries.push(Entry {
            name: path::os_bytes(&item.file_name()),
            is_dir,
            is_link,
        });
    }
    Some(entries)
}
