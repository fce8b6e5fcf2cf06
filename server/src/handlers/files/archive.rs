//! Folder downloads (`--archive`, [`with_archive`]), beyond CPython, as
//! miniserve's `--enable-tar-gz` and copyparty's `?tar` offer them: each
//! listing links to `?archive=tar.gz`, and `GET /dir/?archive=tar.gz`
//! answers with the folder as a `.tar.gz` (`?archive=tar`: uncompressed).
//!
//! The archive is a [`Read`] the connection pulls ([`Body::Reader`]): one
//! member at a time, a file's data read straight into the response, so
//! memory stays bounded whatever the folder holds (the headers of one
//! member, and the names of the folders being walked, as a listing of each
//! would hold them). Every open goes through the sharing policy
//! (`beneath.rs`): entries are opened with `O_NOFOLLOW` relative to their
//! folder's descriptor, so a folder swapped for a link meanwhile is not
//! entered, and a link is opened as the policy says (`inside`: through
//! `openat2` from the served directory). Linked files are stored as their
//! contents (what a download through the link gives); linked folders are
//! not entered, so there are no loops and no trees from elsewhere; no link
//! member is ever written. Files that vanish meanwhile are left out; one
//! that shrinks is padded with zeros to the size its header gave (as GNU
//! tar does), one that grows is cut there.
//!
//! Zip is not offered: a streamed zip needs data descriptors and ZIP64 for
//! large members, and `.tar.gz` is opened by every platform's archiver.
//!
//! [`with_archive`]: super::SimpleHttpRequestHandler::with_archive

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, Dir, FileType, OFlags};

use super::beneath::Beneath;
use super::tar::{self, BLOCK, Kind, Member};
use super::{Body, SimpleHttpRequestHandler, Symlinks};
use crate::request::Request;

/// gzip level of an archive: 6, zlib's default (`Z_DEFAULT_COMPRESSION`),
/// which miniserve's tar.gz uses too.
#[cfg(feature = "compress")]
const GZIP_LEVEL: u32 = 6;

/// Deepest folder entered below the archived one: each level holds one
/// descriptor while the walk is inside it. Deeper folders are left out.
const MAX_DEPTH: usize = 64;

/// An archive format (`?archive=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `?archive=tar`: a tar stream.
    Tar,
    /// `?archive=tar.gz`: a gzip-compressed tar stream (`compress` feature).
    #[cfg(feature = "compress")]
    TarGz,
}

impl Format {
    /// The format a listing links to: `.tar.gz` where it is built in.
    const OFFERED: Format = {
        #[cfg(feature = "compress")]
        {
            Format::TarGz
        }
        #[cfg(not(feature = "compress"))]
        {
            Format::Tar
        }
    };

    /// The `?archive=` value, and the file name's extension.
    fn token(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            #[cfg(feature = "compress")]
            Format::TarGz => "tar.gz",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Tar => "application/x-tar",
            #[cfg(feature = "compress")]
            Format::TarGz => "application/gzip",
        }
    }

    fn from_token(token: &str) -> Option<Format> {
        match token {
            "tar" => Some(Format::Tar),
            #[cfg(feature = "compress")]
            "tar.gz" => Some(Format::TarGz),
            _ => None,
        }
    }
}

/// The link a listing shows below its heading when archives are on.
pub(crate) fn listing_link(state: &SimpleHttpRequestHandler) -> Option<String> {
    state.archive.then(|| {
        let token = Format::OFFERED.token();
        format!("<p><a href=\"?archive={token}\">Download this folder (.{token})</a></p>\n")
    })
}

/// The format the request target's query asks for (`archive=tar.gz` or
/// `archive=tar`), when archives are on; otherwise the query is ignored,
/// as CPython ignores it.
pub(crate) fn requested(state: &SimpleHttpRequestHandler, target: &str) -> Option<Format> {
    if !state.archive {
        return None;
    }
    query_format(target)
}

/// The `archive=` member of a target's query (the first one).
fn query_format(target: &str) -> Option<Format> {
    let target = target.split('#').next().unwrap_or("");
    let (_, query) = target.split_once('?')?;
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("archive="))?;
    Format::from_token(value)
}

/// Sends the head of the archive of `dir` (a folder the policy opened for
/// `resolve_directory`) and returns its body, or answers 404 if the
/// folder cannot be opened now.
///
/// # Errors
/// I/O errors writing the response.
pub(crate) fn send(
    state: &SimpleHttpRequestHandler,
    req: &mut Request,
    dir: &Path,
    format: Format,
) -> io::Result<Option<Body>> {
    let policy = Beneath::of(state);
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let root = match policy.symlinks() {
        Symlinks::Inside => policy.open_root().ok(),
        _ => None,
    };
    let opened = match policy.open(dir, flags) {
        // `inside` opens linked files from the served directory.
        Ok(fd) if root.is_some() || policy.symlinks() != Symlinks::Inside => fd,
        _ => {
            req.send_error_with(404, "No permission to list directory")?;
            return Ok(None);
        }
    };
    let name = archive_name(dir);
    let file_name = [&name[..], b".", format.token().as_bytes()].concat();
    req.send_response(200)?;
    req.send_header("Content-type", format.content_type())?;
    req.send_header("Content-Disposition", &content_disposition(&file_name))?;
    super::send_extra_headers(state, req)?;
    req.end_headers_chunked()?;
    let base = policy
        .relative(dir)
        .unwrap_or_default()
        .into_iter()
        .map(OsStr::to_owned)
        .collect();
    let stream = TarStream::new(policy, state.upload.is_some(), root, base, opened, name);
    Ok(Some(Body::Reader(match format {
        Format::Tar => Box::new(stream),
        #[cfg(feature = "compress")]
        Format::TarGz => Box::new(flate2::read::GzEncoder::new(
            stream,
            flate2::Compression::new(GZIP_LEVEL),
        )),
    })))
}

/// The archive's name, and the folder its members are in: the folder's
/// own name (of the served directory itself for `/`), or `download`.
fn archive_name(dir: &Path) -> Vec<u8> {
    let own = dir.file_name().map(OsStr::to_owned).or_else(|| {
        fs::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().map(OsStr::to_owned))
    });
    own.map(|n| n.as_bytes().to_vec())
        .filter(|n| tar::safe_component(n))
        .unwrap_or_else(|| b"download".to_vec())
}

/// `Content-Disposition: attachment` with `file_name` (RFC 6266 §4.3): an
/// ASCII `filename` for every client (anything else, quotes, backslashes,
/// `%` and controls as `_`), and the exact UTF-8 name as `filename*`
/// (RFC 8187) when that one differs. Bytes that are not UTF-8 become
/// U+FFFD.
pub(crate) fn content_disposition(file_name: &[u8]) -> String {
    let name = String::from_utf8_lossy(file_name);
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '%') => c,
            _ => '_',
        })
        .collect();
    let mut value = format!("attachment; filename=\"{ascii}\"");
    if ascii != name {
        value.push_str("; filename*=UTF-8''");
        for b in name.bytes() {
            // RFC 8187 §3.2.1 attr-char.
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                value.push(char::from(b));
            } else {
                value.push_str(&format!("%{b:02X}"));
            }
        }
    }
    value
}

/// The archive, produced as it is read.
struct TarStream {
    policy: Beneath,
    /// Uploads are on: their temporary files are left out.
    uploads: bool,
    /// A descriptor of the served directory (`inside`: linked files are
    /// opened from it).
    root: Option<OwnedFd>,
    /// The archived folder's names below the served directory.
    base: Vec<OsString>,
    /// The archived folder, opened, and its name: walked at the first read
    /// (a HEAD never walks).
    start: Option<(OwnedFd, Vec<u8>)>,
    /// The folders being walked, outermost first.
    levels: Vec<Level>,
    /// Header or padding bytes still to hand out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// The file whose data is being handed out.
    file: Option<Data>,
    finished: bool,
}

/// A folder being walked.
struct Level {
    dir: OwnedFd,
    /// Its name (for the outermost, the archive's name).
    name: Vec<u8>,
    /// The entries still to add, sorted by name.
    entries: std::vec::IntoIter<(Vec<u8>, FileType)>,
}

/// A member's data being handed out.
struct Data {
    file: fs::File,
    /// Bytes still owed (the size its header gave).
    left: u64,
    /// Zero bytes that end its last block.
    padding: usize,
}

impl Read for TarStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            self.out.clear();
            self.pos = 0;
            if let Some(data) = &mut self.file {
                if data.left > 0 {
                    let want = buf
                        .len()
                        .min(usize::try_from(data.left).unwrap_or(usize::MAX));
                    let mut n = data.file.read(&mut buf[..want])?;
                    if n == 0 {
                        // Shrank since its header: zeros to the size given.
                        buf[..want].fill(0);
                        n = want;
                    }
                    data.left -= n as u64;
                    return Ok(n);
                }
                self.out.resize(data.padding, 0);
                self.file = None;
                continue;
            }
            if self.finished {
                return Ok(0);
            }
            self.next_member();
        }
    }
}

impl TarStream {
    /// The archive of the folder `dir` (opened), named `name`, whose names
    /// below the served directory are `base` (`root` is a descriptor of
    /// the served directory, for `inside`).
    fn new(
        policy: Beneath,
        uploads: bool,
        root: Option<OwnedFd>,
        base: Vec<OsString>,
        dir: OwnedFd,
        name: Vec<u8>,
    ) -> TarStream {
        TarStream {
            policy,
            uploads,
            root,
            base,
            start: Some((dir, name)),
            levels: Vec::new(),
            out: Vec::new(),
            pos: 0,
            file: None,
            finished: false,
        }
    }

    /// Queues the next member's header (and sets its data), or the end of
    /// the archive.
    fn next_member(&mut self) {
        if let Some((dir, name)) = self.start.take() {
            let stat = rustix::fs::fstat(&dir).ok();
            if self.enter(dir, name, stat) {
                return;
            }
        }
        while let Some(level) = self.levels.last_mut() {
            match level.entries.next() {
                Some((name, kind)) => {
                    if self.add(name, kind) {
                        return;
                    }
                }
                None => {
                    self.levels.pop();
                }
            }
        }
        // Two zero blocks end a tar archive.
        self.out.resize(BLOCK * 2, 0);
        self.finished = true;
    }

    /// The member path of `name` in the innermost folder.
    fn member_path(&self, name: &[u8], kind: Kind) -> Option<Vec<u8>> {
        let mut parts: Vec<&[u8]> = self.levels.iter().map(|l| l.name.as_slice()).collect();
        parts.push(name);
        tar::member_path(&parts, kind)
    }

    /// Adds the folder `dir` (opened) as a member and walks into it;
    /// `false` if it is left out (its name is unsafe, or it cannot be read).
    fn enter(&mut self, dir: OwnedFd, name: Vec<u8>, stat: Option<rustix::fs::Stat>) -> bool {
        let Some(path) = self.member_path(&name, Kind::Dir) else {
            return false;
        };
        let Some(entries) = self.entries(&dir) else {
            return false;
        };
        let (mode, mtime) = stat.map_or((0o755, 0), |st| (st.st_mode, mtime(&st)));
        tar::push_header(
            &mut self.out,
            &Member {
                path: &path,
                kind: Kind::Dir,
                mode,
                size: 0,
                mtime,
            },
        );
        self.levels.push(Level {
            dir,
            name,
            entries: entries.into_iter(),
        });
        true
    }

    /// The entries of a folder the archive holds, sorted: not `.`/`..`,
    /// no dot-files when hidden, no links under `off`, no name unsafe in
    /// an archive ([`tar::safe_component`]).
    fn entries(&self, dir: &OwnedFd) -> Option<Vec<(Vec<u8>, FileType)>> {
        let mut entries = Vec::new();
        for item in Dir::read_from(dir).ok()? {
            let item = item.ok()?;
            let name = item.file_name().to_bytes();
            let kind = item.file_type();
            let refused = kind == FileType::Symlink && self.policy.symlinks() == Symlinks::Off;
            if refused
                || !tar::safe_component(name)
                || !self.policy.visible(name)
                || (self.uploads && super::upload::is_temporary(name))
            {
                continue;
            }
            entries.push((name.to_vec(), kind));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Some(entries)
    }

    /// Adds the entry `name` of the innermost folder; `false` if it is
    /// left out (vanished, refused by the policy, a linked folder, neither
    /// a file nor a folder, or too deep).
    fn add(&mut self, name: Vec<u8>, kind: FileType) -> bool {
        let Some(level) = self.levels.last() else {
            return false;
        };
        let at = level.dir.as_fd();
        let kind = match kind {
            FileType::Unknown => {
                match rustix::fs::statat(at, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => FileType::from_raw_mode(st.st_mode),
                    Err(_) => return false,
                }
            }
            kind => kind,
        };
        let opened = match kind {
            FileType::Directory if self.levels.len() <= MAX_DEPTH => {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                rustix::fs::openat(at, name.as_slice(), flags, rustix::fs::Mode::empty()).ok()
            }
            FileType::RegularFile => {
                let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                rustix::fs::openat(at, name.as_slice(), flags, rustix::fs::Mode::empty()).ok()
            }
            FileType::Symlink => self.open_linked_file(&name),
            _ => None,
        };
        let Some(fd) = opened else {
            return false;
        };
        let Ok(stat) = rustix::fs::fstat(&fd) else {
            return false;
        };
        match (FileType::from_raw_mode(stat.st_mode), kind) {
            (FileType::Directory, FileType::Directory) => self.enter(fd, name, Some(stat)),
            (FileType::RegularFile, _) => {
                let Some(path) = self.member_path(&name, Kind::File) else {
                    return false;
                };
                let size = u64::try_from(stat.st_size).unwrap_or(0);
                tar::push_header(
                    &mut self.out,
                    &Member {
                        path: &path,
                        kind: Kind::File,
                        mode: stat.st_mode,
                        size,
                        mtime: mtime(&stat),
                    },
                );
                self.file = Some(Data {
                    file: fs::File::from(fd),
                    left: size,
                    padding: tar::padding(size),
                });
                true
            }
            _ => false,
        }
    }

    /// The file a link in the innermost folder leads to, opened as the
    /// policy lets it be (a folder is not: the caller checks the type).
    fn open_linked_file(&self, name: &[u8]) -> Option<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK;
        match self.policy.symlinks() {
            Symlinks::Off => None,
            Symlinks::Follow => {
                let at = self.levels.last()?.dir.as_fd();
                // Looked at first, so that a device or FIFO is never opened.
                let st = rustix::fs::statat(at, name, AtFlags::empty()).ok()?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return None;
                }
                rustix::fs::openat(at, name, flags | OFlags::CLOEXEC, rustix::fs::Mode::empty())
                    .ok()
            }
            Symlinks::Inside => {
                let mut names: Vec<&OsStr> = self.base.iter().map(OsString::as_os_str).collect();
                names.extend(self.levels[1..].iter().map(|l| OsStr::from_bytes(&l.name)));
                names.push(OsStr::from_bytes(name));
                let root = self.root.as_ref()?.as_fd();
                let probe = self.policy.open_at(root, &names, OFlags::PATH).ok()?;
                let st = rustix::fs::fstat(&probe).ok()?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return None;
                }
                self.policy.open_at(root, &names, flags).ok()
            }
        }
    }
}

/// A member's modification time: the file's, whole seconds, 0 for a time
/// before the epoch.
fn mtime(st: &rustix::fs::Stat) -> u64 {
    u64::try_from(st.st_mtime).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::SimpleHttpRequestHandler;

    /// The members of a tar stream with short names: (path, typeflag,
    /// data).
    fn members(mut tar: &[u8]) -> Vec<(String, u8, Vec<u8>)> {
        let mut out = Vec::new();
        while tar.len() >= BLOCK && tar[..BLOCK].iter().any(|&b| b != 0) {
            let h = &tar[..BLOCK];
            let end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
            let name = String::from_utf8_lossy(&h[..end]).into_owned();
            let size = std::str::from_utf8(&h[124..135]).unwrap();
            let size = usize::from_str_radix(size, 8).unwrap();
            out.push((name, h[156], tar[BLOCK..BLOCK + size].to_vec()));
            tar = &tar[BLOCK + size + tar::padding(size as u64)..];
        }
        assert_eq!(tar, [0; BLOCK * 2], "the end of the archive");
        out
    }

    /// A file that vanishes is left out, one that shrinks is padded with
    /// zeros to the size its header gave; the archive stays whole.
    #[test]
    fn files_that_vanish_or_shrink_meanwhile() {
        let dir = std::env::temp_dir().join(format!("basehttp-archive-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.txt"), [b'a'; 1000]).unwrap();
        fs::write(dir.join("b.txt"), b"b").unwrap();
        fs::write(dir.join("c.txt"), b"c").unwrap();
        let policy = Beneath::of(&SimpleHttpRequestHandler::new(&dir));
        let opened = policy
            .open(&dir, OFlags::RDONLY | OFlags::DIRECTORY)
            .unwrap();
        let mut stream = TarStream::new(policy, false, None, Vec::new(), opened, b"top".to_vec());
        let mut tar = vec![0; BLOCK * 2];
        stream.read_exact(&mut tar).unwrap();
        // The headers of `top/` and `top/a.txt` are out.
        fs::write(dir.join("a.txt"), b"short").unwrap();
        fs::remove_file(dir.join("b.txt")).unwrap();
        stream.read_to_end(&mut tar).unwrap();
        let got = members(&tar);
        let names: Vec<&str> = got.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["top/", "top/a.txt", "top/c.txt"]);
        assert_eq!(got[0].1, b'5');
        let mut a = b"short".to_vec();
        a.resize(1000, 0);
        assert_eq!(got[1].2, a);
        assert_eq!(got[2].2, b"c");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_query_names_the_format() {
        for (target, want) in [
            ("/dir/?archive=tar", Some(Format::Tar)),
            ("/dir/?x=1&archive=tar", Some(Format::Tar)),
            ("/dir/?archive=zip", None),
            ("/dir/?archive=", None),
            ("/dir/?archives=tar", None),
            ("/dir/#?archive=tar", None),
            ("/dir/?archive=tar#frag", Some(Format::Tar)),
            ("/dir/", None),
        ] {
            assert_eq!(query_format(target), want, "{target}");
        }
        #[cfg(feature = "compress")]
        assert_eq!(query_format("/?archive=tar.gz"), Some(Format::TarGz));
    }

    #[test]
    fn content_disposition_is_safe_and_exact() {
        for (name, want) in [
            (
                &b"photos.tar.gz"[..],
                "attachment; filename=\"photos.tar.gz\"",
            ),
            (
                b"my \"best\".tar",
                "attachment; filename=\"my _best_.tar\"; filename*=UTF-8''my%20%22best%22.tar",
            ),
            (
                "f\u{e9}te.tar".as_bytes(),
                "attachment; filename=\"f_te.tar\"; filename*=UTF-8''f%C3%A9te.tar",
            ),
            (
                b"a\r\nSet-Cookie: x.tar",
                "attachment; filename=\"a__Set-Cookie: x.tar\"; \
                 filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x.tar",
            ),
            (
                b"<b>%41.tar",
                "attachment; filename=\"<b>_41.tar\"; filename*=UTF-8''%3Cb%3E%2541.tar",
            ),
            (
                b"\xff.tar",
                "attachment; filename=\"_.tar\"; filename*=UTF-8''%EF%BF%BD.tar",
            ),
        ] {
            assert_eq!(content_disposition(name), want);
        }
    }

    #[test]
    fn the_archive_name_is_the_folders() {
        assert_eq!(archive_name(Path::new("/srv/www/photos/")), b"photos");
        assert_eq!(archive_name(Path::new("/srv/www")), b"www");
        assert_eq!(archive_name(Path::new("/")), b"download");
        assert_eq!(archive_name(Path::new("/srv/a\\b/")), b"download");
    }
}
