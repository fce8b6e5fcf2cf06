//! The open-file cache of the stock file handler (nginx's
//! `open_file_cache`, lighttpd's stat cache), with CPython's promise kept:
//! every edit is served at once. CPython opens, `fstat`s and closes the
//! file for every request; here the `stat` of the path that `send_head`
//! makes anyway (one `statx`) validates a cached descriptor: it is used
//! only if the path still names the same file (device and inode) with the
//! same size, modification and change time. A descriptor of the same inode
//! reads what the file holds now, so what it serves is what a fresh `open`
//! would; anything else (a rename over it, a truncation, a `chmod`, a
//! deletion, a directory in its place) reopens or answers as without the
//! cache.
//!
//! Bounded: at most 1,024 descriptors (`limits::open_file_cache_entries`)
//! in [`SHARDS`] shards, each behind
//! its own lock (held for a lookup, never for I/O), least recently used out
//! first; only files up to [`MAX_CACHED_SIZE`] (the per-request cost it
//! saves matters for small files, and a deleted file a descriptor keeps
//! holds its disk space until the entry goes); one entry per 16
//! descriptors the limit allows, and off below 64 entries.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Independent parts, so that pool threads seldom wait for each other.
const SHARDS: usize = 16;
/// Largest file kept open: at most 1,024 × 64 KiB of deleted files' space
/// is held until their entries go.
const MAX_CACHED_SIZE: u64 = 64 * 1024;

/// What must match for a cached descriptor to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(m: &Metadata) -> Self {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

struct Entry {
    file: Arc<File>,
    identity: Identity,
    last_used: u64,
}

#[derive(Default)]
struct Shard {
    entries: HashMap<PathBuf, Entry>,
    clock: u64,
}

/// The cache: one per process, shared by every server and handler (an
/// entry is keyed by path and checked against a fresh `stat` each time).
pub(crate) struct OpenFileCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

impl OpenFileCache {
    fn new(entries: usize) -> Self {
        OpenFileCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: entries / SHARDS,
        }
    }

    /// The process's cache, or `None` when the descriptor limit is tight.
    pub(crate) fn get() -> Option<&'static OpenFileCache> {
        static CACHE: OnceLock<Option<OpenFileCache>> = OnceLock::new();
        CACHE
            .get_or_init(|| {
                // The limit in force (the engine raised it to the hard one
                // at its start; `HttpServer` leaves it as it is).
                let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
                let entries =
                    crate::limits::open_file_cache_entries(limit.current.unwrap_or(u64::MAX));
                (entries > 0).then(|| OpenFileCache::new(entries))
            })
            .as_ref()
    }

    fn shard(&self, path: &Path) -> &Mutex<Shard> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(path);
        &self.shards[(h as usize) % self.shards.len()]
    }

    /// The cached descriptor of `path` if `stat` (taken just now) shows the
    /// same file unchanged; an entry that no longer matches is dropped.
    pub(crate) fn lookup(&self, path: &Path, stat: &Metadata) -> Option<Arc<File>> {
        let mut shard = lock(self.shard(path));
        let now = shard.clock + 1;
        shard.clock = now;
        let entry = shard.entries.get_mut(path)?;
        if entry.identity == Identity::of(stat) {
            entry.last_used = now;
            return Some(Arc::clone(&entry.file));
        }
        shard.entries.remove(path);
        None
    }

    /// Forgets `path` (it names nothing servable now).
    pub(crate) fn forget(&self, path: &Path) {
        lock(self.shard(path)).entries.remove(path);
    }

    /// Keeps `file`, just opened from `path`, with `meta` from its `fstat`;
    /// a large file is not kept.
    pub(crate) fn insert(&self, path: &Path, file: &Arc<File>, meta: &Metadata) {
        if meta.size() > MAX_CACHED_SIZE || self.per_shard == 0 {
            return;
        }
        let mut shard = lock(self.shard(path));
        if shard.entries.len() >= self.per_shard && !shard.entries.contains_key(path) {
            let oldest = shard
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(p, _)| p.clone());
            if let Some(p) = oldest {
                shard.entries.remove(&p);
            }
        }
        let last_used = shard.clock;
        shard.entries.insert(
            path.to_path_buf(),
            Entry {
                file: Arc::clone(file),
                identity: Identity::of(meta),
                last_used,
            },
        );
    }
}

fn lock(m: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("basehttp-cache-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn open(cache: &OpenFileCache, path: &Path) -> Arc<File> {
        let stat = fs::metadata(path).unwrap();
        if let Some(f) = cache.lookup(path, &stat) {
            return f;
        }
        let f = Arc::new(File::open(path).unwrap());
        cache.insert(path, &f, &f.metadata().unwrap());
        f
    }

    #[test]
    fn an_unchanged_file_is_served_from_its_descriptor_a_changed_one_reopened() {
        let cache = OpenFileCache::new(64);
        let dir = temp("identity");
        let path = dir.join("a.txt");
        fs::write(&path, b"one").unwrap();
        let first = open(&cache, &path);
        assert!(Arc::ptr_eq(&first, &open(&cache, &path)), "cached");
        // Grown: another size.
        fs::write(&path, b"one two").unwrap();
        let grown = open(&cache, &path);
        assert!(!Arc::ptr_eq(&first, &grown));
        // Replaced by a rename: another inode, even with the same size.
        let other = dir.join("b.txt");
        fs::write(&other, b"ONE TWO").unwrap();
        fs::rename(&other, &path).unwrap();
        assert!(!Arc::ptr_eq(&grown, &open(&cache, &path)));
        // Gone: the caller forgets it.
        cache.forget(&path);
        assert!(cache.lookup(&path, &fs::metadata(&dir).unwrap()).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_least_recently_used_entry_goes_first_and_large_files_never_come() {
        let cache = OpenFileCache::new(SHARDS * 2);
        let dir = temp("bounds");
        let paths: Vec<PathBuf> = (0..200).map(|i| dir.join(format!("{i}"))).collect();
        for p in &paths {
            fs::write(p, b"x").unwrap();
            open(&cache, p);
        }
        for shard in &cache.shards {
            assert!(lock(shard).entries.len() <= 2);
        }
        let big = dir.join("big");
        fs::write(&big, vec![0u8; MAX_CACHED_SIZE as usize + 1]).unwrap();
        let f = open(&cache, &big);
        assert!(!Arc::ptr_eq(&f, &open(&cache, &big)));
        fs::remove_dir_all(&dir).unwrap();
    }
}
