//! The tar format `--archive` writes (POSIX.1-2001 `pax`, IEEE Std
//! 1003.1 "pax Interchange Format"): a ustar header per member, preceded by
//! a `pax` extended header for a path longer than ustar's 100 + 155 bytes
//! or a size of 8 GiB or more. GNU tar, bsdtar, 7-Zip and Python's
//! `tarfile` all read it.
//!
//! Written here rather than taken from the `tar` crate: that crate's
//! `Builder` writes into a `Write`, while a response body here is a `Read`
//! pulled by the connection, so streaming through it would need a thread
//! and a pipe per download; and the headers are these hundred lines.
//!
//! Member paths are built only by [`member_path`], which refuses any
//! component that could name an absolute path or climb out of the folder
//! the archive is extracted in.

/// The tar block size: headers and file data are padded to it.
pub(crate) const BLOCK: usize = 512;

/// ustar's `name` field (bytes).
const NAME_LEN: usize = 100;
/// ustar's `prefix` field (bytes).
const PREFIX_LEN: usize = 155;
/// Largest value of an 11-digit octal field (`size`, `mtime`): 8 GiB - 1.
const MAX_OCTAL_11: u64 = 0o777_7777_7777;

/// The kind of a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file (`typeflag` `0`).
    File,
    /// A directory (`typeflag` `5`; its path ends with `/`).
    Dir,
}

/// One archive member's header fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member<'a> {
    /// From [`member_path`].
    pub(crate) path: &'a [u8],
    pub(crate) kind: Kind,
    /// Permission bits (`0o777` at most: no set-id or sticky bits).
    pub(crate) mode: u32,
    /// The file's length (0 for a directory).
    pub(crate) size: u64,
    /// Modification time, seconds since the epoch.
    pub(crate) mtime: u64,
}

/// Whether `name` may be a component of a member path: not empty, not
/// `.` or `..`, without `/` or NUL (a file name never has them), and
/// without `\`, which an extractor on Windows reads as a separator (so
/// `..\..\x` would climb out there).
pub(crate) fn safe_component(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.iter().any(|&b| matches!(b, b'/' | b'\\' | 0))
}

/// A member path: `components` joined with `/` (and a trailing `/` for a
/// directory), or `None` if a component is not [`safe_component`]. So no
/// member is absolute or has a `..`.
pub(crate) fn member_path(components: &[&[u8]], kind: Kind) -> Option<Vec<u8>> {
    if components.is_empty() || !components.iter().all(|c| safe_component(c)) {
        return None;
    }
    let mut path = components.join(&b'/');
    if kind == Kind::Dir {
        path.push(b'/');
    }
    Some(path)
}

/// Appends the header blocks of `m` to `out`: a `pax` header first when
/// the path or the size do not fit ustar's fields.
pub(crate) fn push_header(out: &mut Vec<u8>, m: &Member<'_>) {
    let split = split_ustar(m.path);
    let big = m.size > MAX_OCTAL_11;
    if split.is_none() || big {
        let mut records = Vec::new();
        if split.is_none() {
            if std::str::from_utf8(m.path).is_err() {
                // POSIX.1-2008: a path that is not UTF-8, as raw bytes.
                pax_record(&mut records, "hdrcharset", b"BINARY");
            }
            pax_record(&mut records, "path", m.path);
        }
        if big {
            pax_record(&mut records, "size", m.size.to_string().as_bytes());
        }
        let pax = Member {
            path: b"././@PaxHeader",
            kind: Kind::File,
            mode: 0o644,
            size: records.len() as u64,
            mtime: m.mtime,
        };
        out.extend_from_slice(&ustar(&pax, (b"", pax.path), b'x'));
        out.extend_from_slice(&records);
        out.resize(out.len() + padding(records.len() as u64), 0);
    }
    // A reader that ignores `pax` still gets a safe name: the last
    // component, cut to fit.
    let fallback;
    let split = match split {
        Some(split) => split,
        None => {
            let trimmed = m.path.strip_suffix(b"/").unwrap_or(m.path);
            let last = trimmed.rsplit(|&b| b == b'/').next().unwrap_or(trimmed);
            fallback = &last[..last.len().min(NAME_LEN - 1)];
            (&b""[..], fallback)
        }
    };
    let flag = match m.kind {
        Kind::File => b'0',
        Kind::Dir => b'5',
    };
    out.extend_from_slice(&ustar(m, split, flag));
}

/// The zero bytes that pad `size` bytes of data to a whole block.
pub(crate) fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// `path` as ustar's `prefix` and `name` (split at a `/`), or `None` if it
/// does not fit.
fn split_ustar(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= NAME_LEN {
        return Some((b"", path));
    }
    // The name part may not be empty: for a directory the trailing `/`
    // stays with it.
    let search = &path[..path.len() - 1];
    search
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'/' && i <= PREFIX_LEN && path.len() - i - 1 <= NAME_LEN)
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .next()
}

/// One ustar header block.
fn ustar(m: &Member<'_>, (prefix, name): (&[u8], &[u8]), typeflag: u8) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], u64::from(m.mode & 0o777));
    octal(&mut h[108..116], 0); // uid: no owner given away
    octal(&mut h[116..124], 0); // gid
    octal(
        &mut h[124..136],
        if m.size > MAX_OCTAL_11 { 0 } else { m.size },
    );
    octal(&mut h[136..148], m.mtime.min(MAX_OCTAL_11));
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix);
    // The checksum is taken with its own field as spaces.
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..154].copy_from_slice(format!("{sum:06o}").as_bytes());
    h[154] = 0;
    h
}

/// `v` in octal, zero-padded to fill `field` but its last byte (NUL).
fn octal(field: &mut [u8], v: u64) {
    let width = field.len() - 1;
    field[..width].copy_from_slice(format!("{v:0width$o}").as_bytes());
    field[width] = 0;
}

/// Appends the `pax` record `"<len> <key>=<value>\n"`, whose length counts
/// its own digits.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], range: std::ops::Range<usize>) -> &[u8] {
        let f = &h[range];
        &f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())]
    }

    fn checksum_ok(h: &[u8]) -> bool {
        let stored = u32::from_str_radix(std::str::from_utf8(field(h, 148..154)).unwrap(), 8);
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        stored == Ok(sum)
    }

    #[test]
    fn member_paths_never_climb_or_start_at_the_root() {
        type Case<'a> = (&'a [&'a [u8]], Kind, &'a [u8]);
        let ok: &[Case<'_>] = &[
            (&[b"dir", b"a.txt"], Kind::File, b"dir/a.txt"),
            (&[b"dir", b"sub"], Kind::Dir, b"dir/sub/"),
            (&[b"<img src=x>.html"], Kind::File, b"<img src=x>.html"),
            (&[b"\xff\xfe"], Kind::File, b"\xff\xfe"),
            (&[b"..."], Kind::File, b"..."),
            (&[b"..a"], Kind::File, b"..a"),
        ];
        for (components, kind, want) in ok {
            assert_eq!(member_path(components, *kind).as_deref(), Some(*want));
        }
        let refused: &[&[&[u8]]] = &[
            &[],
            &[b""],
            &[b"dir", b".."],
            &[b".", b"a"],
            &[b"/etc"],
            &[b"a/../../b"],
            &[b"..\\..\\evil"],
            &[b"a\0b"],
        ];
        for components in refused {
            assert_eq!(member_path(components, Kind::File), None, "{components:?}");
        }
    }

    #[test]
    fn a_short_member_is_one_ustar_block() {
        let mut out = Vec::new();
        let m = Member {
            path: b"dir/a.txt",
            kind: Kind::File,
            mode: 0o4755,
            size: 1234,
            mtime: 1_700_000_000,
        };
        push_header(&mut out, &m);
        assert_eq!(out.len(), BLOCK);
        assert_eq!(field(&out, 0..100), b"dir/a.txt");
        assert_eq!(field(&out, 100..108), b"0000755");
        assert_eq!(field(&out, 124..136), b"00000002322");
        assert_eq!(out[156], b'0');
        assert_eq!(&out[257..265], b"ustar\x0000");
        assert!(checksum_ok(&out));
        assert_eq!(padding(1234), 512 * 3 - 1234);
        assert_eq!(padding(0), 0);
        assert_eq!(padding(512), 0);
    }

    #[test]
    fn long_paths_split_into_prefix_or_go_into_a_pax_header() {
        let long_name = [b'n'; 90];
        let dir = [b'd'; 100];
        let path = [&dir[..], b"/", &long_name[..]].concat();
        let mut out = Vec::new();
        let m = Member {
            path: &path,
            kind: Kind::File,
            mode: 0o644,
            size: 0,
            mtime: 0,
        };
        push_header(&mut out, &m);
        assert_eq!(out.len(), BLOCK, "prefix + name");
        assert_eq!(field(&out, 345..500), &dir[..]);
        assert_eq!(field(&out, 0..100), &long_name[..]);

        // A name of 200 bytes fits no split: a pax header carries it.
        let path = [&b"dir/"[..], &[b'x'; 200][..]].concat();
        let mut out = Vec::new();
        push_header(&mut out, &Member { path: &path, ..m });
        assert_eq!(out[156], b'x');
        assert!(checksum_ok(&out[..BLOCK]));
        let size: usize = std::str::from_utf8(field(&out, 124..136))
            .ok()
            .and_then(|s| usize::from_str_radix(s, 8).ok())
            .unwrap();
        let record = &out[BLOCK..BLOCK + size];
        assert_eq!(record, [&b"214 path="[..], &path, b"\n"].concat());
        let header = &out[BLOCK * 2..];
        assert_eq!(header.len(), BLOCK);
        assert_eq!(field(header, 0..100), &[b'x'; 99][..]);
        assert!(checksum_ok(header));
    }

    #[test]
    fn pax_records_count_their_own_length() {
        for value_len in [0, 1, 90, 91, 92, 93, 94, 95, 96, 985, 986, 987, 995] {
            let mut out = Vec::new();
            pax_record(&mut out, "path", &vec![b'a'; value_len]);
            let (len, _) = std::str::from_utf8(&out).unwrap().split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), out.len(), "{value_len}");
        }
        let mut out = Vec::new();
        pax_record(&mut out, "hdrcharset", b"BINARY");
        assert_eq!(out, b"21 hdrcharset=BINARY\n");
    }

    #[test]
    fn huge_files_carry_their_size_in_pax() {
        let mut out = Vec::new();
        let size = 10 * (1u64 << 30);
        push_header(
            &mut out,
            &Member {
                path: b"big.iso",
                kind: Kind::File,
                mode: 0o644,
                size,
                mtime: 0,
            },
        );
        assert_eq!(out.len(), BLOCK * 3);
        assert!(
            out[BLOCK..BLOCK * 2]
                .windows(17)
                .any(|w| w == b"size=10737418240\n")
        );
        assert_eq!(field(&out[BLOCK * 2..], 0..100), b"big.iso");
    }
}
