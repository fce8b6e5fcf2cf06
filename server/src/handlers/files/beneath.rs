//! Opening a path below the served directory under the sharing policies
//! (`--no-dotfiles`, `--symlinks`), decided by the kernel at the open
//! itself, so that nothing can change between a check and the open: `openat2`
//! (Linux 5.6) from a descriptor of the served directory, with
//! `RESOLVE_BENEATH` for `inside` and `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`
//! for `off`. This is nginx's `disable_symlinks` with the kernel's newer
//! tool; a server that checks a canonical path before opening it can be led
//! out by a directory swapped for a link between the two calls.
//!
//! Where `openat2` is missing (`ENOSYS`: a kernel before 5.6, or a seccomp
//! filter that hides it), and for an absolute link, which `RESOLVE_BENEATH`
//! refuses even when it points inside, the same rules are walked in user
//! space ([`walk`]): one component at a time, each opened with `O_NOFOLLOW`
//! relative to the descriptor of the directory before it, a link read from
//! its own descriptor and resolved against the directories already held,
//! never against a path.
//!
//! Dot-files are judged by the request's path below the served directory
//! (what `translate_path` made of the URL, `%2e` decoded); a link the
//! operator made to a dot-file is followed as any other link.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::{SimpleHttpRequestHandler, Symlinks};

/// Most links followed in one path before `ELOOP` (the kernel's
/// `MAXSYMLINKS`, 40 since Linux 4.2).
const MAX_SYMLINKS: usize = 40;

/// `openat2` answered `ENOSYS` once: the walk from then on.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// The policy files are opened under: the served directory, which links
/// may be followed, whether dot-files are served.
#[derive(Clone, Debug)]
pub(crate) struct Beneath {
    root: PathBuf,
    symlinks: Symlinks,
    dotfiles: bool,
}

impl Beneath {
    /// The policy of a handler's state.
    pub(crate) fn of(state: &SimpleHttpRequestHandler) -> Beneath {
        Beneath {
            root: state.directory.clone(),
            symlinks: state.symlinks,
            dotfiles: state.dotfiles,
        }
    }

    /// No policy: links followed and dot-files served, CPython's opens by
    /// path.
    pub(crate) fn is_open(&self) -> bool {
        self.dotfiles && self.symlinks == Symlinks::Follow
    }

    pub(crate) fn symlinks(&self) -> Symlinks {
        self.symlinks
    }

    /// The names of `path` below the served directory, or `None` if it is
    /// not below it (a `translate_path` override may point elsewhere) or,
    /// with dot-files hidden, one of them starts with `.`.
    pub(crate) fn relative<'p>(&self, path: &'p Path) -> Option<Vec<&'p OsStr>> {
        let rest = path.strip_prefix(&self.root).ok()?;
        let mut names = Vec::new();
        for component in rest.components() {
            match component {
                Component::Normal(name) if self.visible(name.as_bytes()) => names.push(name),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(names)
    }

    /// Whether a name may be served (not a dot-file, when those are hidden).
    pub(crate) fn visible(&self, name: &[u8]) -> bool {
        self.dotfiles || !name.starts_with(b".")
    }

    /// Opens `path` (below the served directory) with `flags` under the
    /// policy.
    ///
    /// Without a policy ([`is_open`](Self::is_open)), any path, as CPython
    /// opens it.
    ///
    /// # Errors
    /// `ENOENT` for a path outside the served directory or a hidden
    /// dot-file; `EXDEV` (`inside`) or `ELOOP` (`off`) for a link the
    /// policy refuses; any error of the open.
    pub(crate) fn open(&self, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        let by_path = || rustix::fs::open(path, flags | OFlags::CLOEXEC, Mode::empty());
        if self.is_open() {
            return Ok(by_path()?);
        }
        let names = self.relative(path).ok_or(Errno::NOENT)?;
        if self.symlinks == Symlinks::Follow {
            return Ok(by_path()?);
        }
        let root = self.open_root()?;
        self.open_at(root.as_fd(), &names, flags)
    }

    /// A descriptor of the served directory to open names from
    /// ([`open_at`](Self::open_at)). The directory itself is the
    /// operator's choice: a link there is followed.
    ///
    /// # Errors
    /// The open's.
    pub(crate) fn open_root(&self) -> io::Result<OwnedFd> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Ok(rustix::fs::open(&self.root, flags, Mode::empty())?)
    }

    /// Opens `names` (below the served directory, as
    /// [`relative`](Self::relative) gives them) from `root`, a descriptor of
    /// the served directory, with `flags`, under the link policy.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub(crate) fn open_at(
        &self,
        root: BorrowedFd<'_>,
        names: &[&OsStr],
        flags: OFlags,
    ) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC;
        if names.is_empty() {
            return Ok(rustix::fs::openat(root, c".", flags, Mode::empty())?);
        }
        if self.symlinks == Symlinks::Follow {
            let path = join(names);
            return Ok(rustix::fs::openat(
                root,
                path.as_os_str(),
                flags,
                Mode::empty(),
            )?);
        }
        if !NO_OPENAT2.load(Ordering::Relaxed) {
            let resolve = match self.symlinks {
                Symlinks::Off => {
                    ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS
                }
                _ => ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
            };
            let path = join(names);
            match rustix::fs::openat2(root, path.as_os_str(), flags, Mode::empty(), resolve) {
                Ok(fd) => return Ok(fd),
                Err(Errno::NOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
                // An absolute link (refused even when it points inside), or
                // a rename elsewhere during the lookup: the walk decides.
                Err(Errno::XDEV) if self.symlinks == Symlinks::Inside => {}
                Err(Errno::AGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
        walk(root, &self.root, names, flags, self.symlinks)
    }
}

/// `names` joined with `/`.
fn join(names: &[&OsStr]) -> PathBuf {
    names.iter().collect()
}

/// The link policy walked in user space: `names` opened one at a time from
/// `root` (a descriptor of `root_path`), each with `O_NOFOLLOW` relative to
/// the directory before it. A link (`inside` only; `off` answers `ELOOP`)
/// is read from its own descriptor and its target walked in its place: `..`
/// goes back to a directory already held, never above `root` (`EXDEV`); an
/// absolute target is followed only below `root_path`'s canonical path.
///
/// # Errors
/// `EXDEV` for a link that leaves, `ELOOP` for one refused or too many,
/// `ENOTDIR`, or the error of an open.
pub(crate) fn walk(
    root: BorrowedFd<'_>,
    root_path: &Path,
    names: &[&OsStr],
    flags: OFlags,
    symlinks: Symlinks,
) -> io::Result<OwnedFd> {
    let flags = flags | OFlags::CLOEXEC;
    // The directories below `root` the walk is in, each held open.
    let mut held: Vec<OwnedFd> = Vec::new();
    let mut todo: VecDeque<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    let mut links = 0;
    let mut canonical_root: Option<PathBuf> = None;
    while let Some(name) = todo.pop_front() {
        match name.as_slice() {
            b"" | b"." => continue,
            b".." => {
                held.pop().ok_or(Errno::XDEV)?;
                continue;
            }
            _ => {}
        }
        let at = held.last().map_or(root, AsFd::as_fd);
        let probe = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(at, name.as_slice(), probe, Mode::empty())?;
        let kind = FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode);
        if kind == FileType::Symlink {
            links += 1;
            if symlinks != Symlinks::Inside || links > MAX_SYMLINKS {
                return Err(Errno::LOOP.into());
            }
            let target = rustix::fs::readlinkat(&fd, c"", Vec::new())?;
            let mut target = target.as_bytes();
            let canonical;
            if target.starts_with(b"/") {
                let root_canonical = match &canonical_root {
                    Some(c) => c,
                    None => canonical_root.insert(std::fs::canonicalize(root_path)?),
                };
                canonical = Path::new(OsStr::from_bytes(target))
                    .strip_prefix(root_canonical)
                    .map_err(|_| Errno::XDEV)?
                    .to_path_buf();
                target = canonical.as_os_str().as_bytes();
                held.clear();
            }
            for part in target.split(|&b| b == b'/').rev() {
                todo.push_front(part.to_vec());
            }
            continue;
        }
        if todo.is_empty() {
            let last = flags | OFlags::NOFOLLOW;
            return Ok(rustix::fs::openat(
                at,
                name.as_slice(),
                last,
                Mode::empty(),
            )?);
        }
        if kind != FileType::Directory {
            return Err(Errno::NOTDIR.into());
        }
        held.push(fd);
    }
    // Ended on a directory reached by `.`, `..` or a link to it.
    let at = held.last().map_or(root, AsFd::as_fd);
    Ok(rustix::fs::openat(at, c".", flags, Mode::empty())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("basehttp-beneath-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("www/sub")).unwrap();
        fs::create_dir_all(dir.join("www/.git")).unwrap();
        dir
    }

    /// A served tree with links of every kind, and what each policy opens.
    #[test]
    fn every_policy_opens_what_it_should_by_openat2_and_by_the_walk() {
        let dir = temp("policies");
        let www = fs::canonicalize(dir.join("www")).unwrap();
        fs::write(dir.join("secret"), b"outside").unwrap();
        fs::write(www.join("a.txt"), b"a").unwrap();
        fs::write(www.join("sub/b.txt"), b"b").unwrap();
        fs::write(www.join(".git/config"), b"git").unwrap();
        symlink("/etc", www.join("etc")).unwrap();
        symlink("/etc/passwd", www.join("passwd")).unwrap();
        symlink("..", www.join("up")).unwrap();
        symlink("../secret", www.join("secret")).unwrap();
        symlink("sub/b.txt", www.join("rel")).unwrap();
        symlink(www.join("sub/b.txt"), www.join("abs")).unwrap();
        symlink(www.join("../www/a.txt"), www.join("abs-dots")).unwrap();
        symlink("sub", www.join("subl")).unwrap();
        symlink("../a.txt", www.join("sub/back")).unwrap();
        symlink("../../secret", www.join("sub/esc")).unwrap();
        symlink("loop", www.join("loop")).unwrap();
        symlink("nowhere", www.join("dangling")).unwrap();
        // (path below www, follow, inside, off): whether it opens.
        let cases = [
            ("a.txt", true, true, true),
            ("sub/b.txt", true, true, true),
            ("sub", true, true, true),
            ("", true, true, true),
            ("etc/passwd", true, false, false),
            ("passwd", true, false, false),
            ("up/secret", true, false, false),
            ("secret", true, false, false),
            ("rel", true, true, false),
            ("abs", true, true, false),
            ("abs-dots", true, false, false),
            ("subl/b.txt", true, true, false),
            ("subl/back", true, true, false),
            ("sub/back", true, true, false),
            ("sub/esc", true, false, false),
            ("loop", false, false, false),
            ("dangling", false, false, false),
            ("missing", false, false, false),
        ];
        for symlinks in [Symlinks::Follow, Symlinks::Inside, Symlinks::Off] {
            let policy = Beneath {
                root: www.clone(),
                symlinks,
                dotfiles: true,
            };
            let root = policy.open_root().unwrap();
            for (path, follow, inside, off) in cases {
                let want = match symlinks {
                    Symlinks::Follow => follow,
                    Symlinks::Inside => inside,
                    Symlinks::Off => off,
                };
                let full = www.join(path);
                let opened = policy.open(&full, OFlags::RDONLY);
                assert_eq!(opened.is_ok(), want, "{symlinks:?} {path}: {opened:?}");
                if symlinks == Symlinks::Follow {
                    continue;
                }
                let names = policy.relative(&full).unwrap();
                let walked = walk(root.as_fd(), &www, &names, OFlags::RDONLY, symlinks);
                assert_eq!(walked.is_ok(), want, "walk {symlinks:?} {path}: {walked:?}");
            }
        }
        // What is opened is the file named, whichever way.
        let policy = Beneath {
            root: www.clone(),
            symlinks: Symlinks::Inside,
            dotfiles: true,
        };
        let root = policy.open_root().unwrap();
        for (path, contents) in [("abs", "b"), ("sub/back", "a"), ("subl/b.txt", "b")] {
            let full = www.join(path);
            let names = policy.relative(&full).unwrap();
            let fd = walk(root.as_fd(), &www, &names, OFlags::RDONLY, Symlinks::Inside).unwrap();
            let read = std::io::read_to_string(fs::File::from(fd)).unwrap();
            assert_eq!(read, contents, "{path}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dot_files_are_refused_by_name_when_hidden() {
        let dir = temp("dots");
        let www = dir.join("www");
        fs::write(www.join(".git/config"), b"git").unwrap();
        fs::write(www.join(".env"), b"env").unwrap();
        fs::write(www.join("a.txt"), b"a").unwrap();
        for symlinks in [Symlinks::Follow, Symlinks::Inside, Symlinks::Off] {
            let hidden = Beneath {
                root: www.clone(),
                symlinks,
                dotfiles: false,
            };
            for path in [".git/config", ".env", ".git", "sub/../.env"] {
                let full = www.join(path);
                assert!(hidden.open(&full, OFlags::RDONLY).is_err(), "{path}");
            }
            assert!(hidden.open(&www.join("a.txt"), OFlags::RDONLY).is_ok());
            assert!(hidden.open(&www, OFlags::RDONLY).is_ok());
            let shown = Beneath {
                dotfiles: true,
                ..hidden
            };
            assert!(shown.open(&www.join(".git/config"), OFlags::RDONLY).is_ok());
        }
        // A path outside the served directory is refused under any policy.
        let policy = Beneath {
            root: www.clone(),
            symlinks: Symlinks::Inside,
            dotfiles: true,
        };
        assert!(policy.relative(Path::new("/etc/passwd")).is_none());
        assert!(policy.relative(&dir.join("www2")).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
