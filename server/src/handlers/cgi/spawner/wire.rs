//! The spawner's messages (`spawner.rs`): a tag byte, then fixed-width
//! little-endian integers and length-prefixed byte strings. Pure functions
//! over bytes, so that the parsing is tested on its own; a message cut
//! short, too long or with a forged count is refused.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// A script to start: what `execve` gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) arg0: OsString,
    pub(crate) args: Vec<OsString>,
    /// The whole environment.
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) cwd: PathBuf,
}

/// A message to the spawner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Request {
    /// Start `launch` with the two descriptors sent beside (stdin, stdout).
    Spawn { id: u64, launch: Launch },
    /// The server is done with `pid`: reap it once it exits.
    Release { pid: u32 },
}

/// A message from the spawner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    Spawned { id: u64, pid: u32 },
    Failed { id: u64, errno: i32 },
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

pub(super) fn encode_request(r: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        Request::Spawn { id, launch } => {
            out.push(1);
            out.extend_from_slice(&id.to_le_bytes());
            put_bytes(&mut out, launch.program.as_os_str().as_bytes());
            put_bytes(&mut out, launch.arg0.as_bytes());
            put_bytes(&mut out, launch.cwd.as_os_str().as_bytes());
            out.extend_from_slice(&(launch.args.len() as u32).to_le_bytes());
            for a in &launch.args {
                put_bytes(&mut out, a.as_bytes());
            }
            out.extend_from_slice(&(launch.env.len() as u32).to_le_bytes());
            for (k, v) in &launch.env {
                put_bytes(&mut out, k.as_bytes());
                put_bytes(&mut out, v.as_bytes());
            }
        }
        Request::Release { pid } => {
            out.push(2);
            out.extend_from_slice(&pid.to_le_bytes());
        }
    }
    out
}

pub(super) fn encode_reply(r: Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(13);
    let (tag, a, b) = match r {
        Reply::Spawned { id, pid } => (1, id, pid as i32),
        Reply::Failed { id, errno } => (2, id, errno),
    };
    out.push(tag);
    out.extend_from_slice(&a.to_le_bytes());
    out.extend_from_slice(&b.to_le_bytes());
    out
}

/// A reader over a message; `None` when it is cut short.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<OsString> {
        let n = usize::try_from(self.u32()?).ok()?;
        Some(OsString::from_vec(self.take(n)?.to_vec()))
    }
    /// A count of items each at least `min` bytes long, checked against
    /// what is left (a forged count cannot make a huge allocation).
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.u32()?).ok()?;
        (n.checked_mul(min)? <= self.0.len()).then_some(n)
    }
}

pub(super) fn decode_request(msg: &[u8]) -> Option<Request> {
    let (&tag, rest) = msg.split_first()?;
    let mut f = Fields(rest);
    let r = match tag {
        1 => {
            let id = f.u64()?;
            let program = PathBuf::from(f.bytes()?);
            let arg0 = f.bytes()?;
            let cwd = PathBuf::from(f.bytes()?);
            let nargs = f.count(4)?;
            let args = (0..nargs).map(|_| f.bytes()).collect::<Option<Vec<_>>>()?;
            let nenv = f.count(8)?;
            let env = (0..nenv)
                .map(|_| Some((f.bytes()?, f.bytes()?)))
                .collect::<Option<Vec<_>>>()?;
            Request::Spawn {
                id,
                launch: Launch {
                    program,
                    arg0,
                    args,
                    env,
                    cwd,
                },
            }
        }
        2 => Request::Release { pid: f.u32()? },
        _ => return None,
    };
    f.0.is_empty().then_some(r)
}

pub(super) fn decode_reply(msg: &[u8]) -> Option<Reply> {
    let (&tag, rest) = msg.split_first()?;
    let mut f = Fields(rest);
    let a = f.u64()?;
    let b = f.u32()? as i32;
    if !f.0.is_empty() {
        return None;
    }
    match tag {
        1 => Some(Reply::Spawned {
            id: a,
            pid: u32::try_from(b).ok()?,
        }),
        2 => Some(Reply::Failed { id: a, errno: b }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch() -> Launch {
        Launch {
            program: "/srv/cgi-bin/x.sh".into(),
            arg0: "x.sh".into(),
            args: vec!["a b".into(), OsString::from_vec(vec![0xff, b'c'])],
            env: vec![
                ("QUERY_STRING".into(), "a=1".into()),
                ("EMPTY".into(), "".into()),
            ],
            cwd: "/srv".into(),
        }
    }

    #[test]
    fn requests_and_replies_round_trip() {
        for r in [
            Request::Spawn {
                id: 7,
                launch: launch(),
            },
            Request::Release { pid: 4242 },
        ] {
            assert_eq!(decode_request(&encode_request(&r)), Some(r));
        }
        for r in [
            Reply::Spawned { id: 1, pid: 99 },
            Reply::Failed { id: 2, errno: 13 },
        ] {
            assert_eq!(decode_reply(&encode_reply(r)), Some(r));
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let whole = encode_request(&Request::Spawn {
            id: 7,
            launch: launch(),
        });
        for cut in 0..whole.len() {
            assert_eq!(decode_request(&whole[..cut]), None, "cut at {cut}");
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert_eq!(decode_request(&longer), None);
        // A forged count cannot ask for more items than bytes remain.
        let mut forged = vec![1];
        forged.extend_from_slice(&7u64.to_le_bytes());
        for _ in 0..3 {
            forged.extend_from_slice(&0u32.to_le_bytes());
        }
        forged.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_request(&forged), None);
        assert_eq!(decode_request(&[9]), None);
        assert_eq!(decode_reply(&[1, 0, 0]), None);
        assert_eq!(decode_reply(&[4; 13]), None);
    }
}
