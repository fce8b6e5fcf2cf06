//! systemd socket activation: the listening socket a service manager passes
//! in the `LISTEN_PID`/`LISTEN_FDS` environment contract (`sd_listen_fds(3)`,
//! systemd's `src/libsystemd/sd-daemon/sd-daemon.c`; also followed by
//! `systemd-socket-activate`, s6, and others). CPython's `http.server` has
//! no counterpart; its `socketserver` takes only sockets it binds itself.
//!
//! The passed sockets are file descriptors 3 (`SD_LISTEN_FDS_START`) and
//! up. A raw descriptor number cannot become an owned socket without
//! `unsafe` code (`FromRawFd`), which this crate forbids, so the socket is
//! taken with `pidfd_getfd(2)` (Linux 5.6): the kernel duplicates our own
//! descriptor 3 into a new, close-on-exec one. Descriptor 3 itself stays
//! open, and the environment is left as it is, since `std::env::remove_var`
//! is `unsafe` in Rust 2024 (`sd_listen_fds(1)` would unset it). Child
//! processes such as CGI scripts ignore the variables (`LISTEN_PID` names
//! this process), but they inherit descriptor 3, the listening socket, and
//! could accept connections on it: with socket activation, run only CGI
//! scripts you trust (closing it, or marking it close-on-exec, needs the
//! raw descriptor, which only `unsafe` code can name).

use std::ffi::OsStr;
use std::io;
use std::net::TcpListener;

/// The first passed descriptor (`SD_LISTEN_FDS_START` in `sd-daemon.h`).
const SD_LISTEN_FDS_START: i32 = 3;

/// The listening socket systemd passed to this process (socket activation),
/// or `None` if it passed none; serve it with `from_listener`.
///
/// Follows `sd_listen_fds(3)`: when `LISTEN_PID` is this process's id and
/// `LISTEN_FDS` is at least 1, descriptor 3 must be a listening TCP socket,
/// and a duplicate of it is returned (blocking, close-on-exec). Any further
/// passed descriptors (4, 5, ...) are left alone. `LISTEN_PID` unset or
/// naming another process, or `LISTEN_FDS` unset or 0, is `Ok(None)`.
///
/// Unlike `sd_listen_fds(1)`, this neither unsets the variables nor closes
/// descriptor 3 (both would take `unsafe` code, which this crate forbids):
/// a second call returns another duplicate of the same socket, and child
/// processes inherit descriptor 3 and the variables, which they ignore
/// because `LISTEN_PID` is not theirs.
///
/// In a systemd unit pair, `basehttp.socket` has `ListenStream=8000` and the
/// service runs a program that does:
///
/// ```no_run
/// use basehttp::prelude::*;
/// use basehttp::ServerConfig;
/// # struct Hello;
/// # #[http_handler] impl Hello { fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> { req.send_response(204)?; req.end_headers() } }
/// let listener = match basehttp::systemd_listener()? {
///     Some(listener) => listener,
///     // Started by hand: bind the port ourselves.
///     None => std::net::TcpListener::bind("127.0.0.1:8000")?,
/// };
/// let config = ServerConfig::default();
/// ThreadingHttpServer::from_listener(listener, || Hello, config)?.serve_forever()?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// `InvalidInput` if `LISTEN_PID` or `LISTEN_FDS` is not a number, or
/// descriptor 3 is not a listening TCP socket; the OS error if descriptor 3
/// is not open (`EBADF`) or cannot be duplicated (`ENOSYS` before Linux 5.6,
/// `Unsupported` off Linux).
#[doc(alias = "sd_listen_fds")]
#[doc(alias = "LISTEN_FDS")]
pub fn systemd_listener() -> io::Result<Option<TcpListener>> {
    let pid = std::env::var_os("LISTEN_PID");
    let fds = std::env::var_os("LISTEN_FDS");
    if listen_fds(pid.as_deref(), fds.as_deref(), std::process::id())? == 0 {
        return Ok(None);
    }
    let fd = duplicate_own_fd(SD_LISTEN_FDS_START).map_err(|e| {
        let what = if e.raw_os_error() == Some(rustix::io::Errno::BADF.raw_os_error()) {
            "is not open".to_owned()
        } else {
            format!("cannot be taken: {e}")
        };
        io::Error::new(
            e.kind(),
            format!("LISTEN_FDS: fd {SD_LISTEN_FDS_START} {what}"),
        )
    })?;
    check_listening_tcp(&fd)?;
    let listener = TcpListener::from(fd);
    listener.set_nonblocking(false)?;
    Ok(Some(listener))
}

/// How many sockets were passed to the process `our_pid`, from `LISTEN_PID`
/// and `LISTEN_FDS`; 0 when they are not meant for it (`sd_listen_fds`).
fn listen_fds(pid: Option<&OsStr>, fds: Option<&OsStr>, our_pid: u32) -> io::Result<usize> {
    let Some(pid) = pid else { return Ok(0) };
    if number::<u32>("LISTEN_PID", pid)? != our_pid {
        return Ok(0);
    }
    match fds {
        None => Ok(0),
        Some(fds) => number("LISTEN_FDS", fds),
    }
}

/// `name`'s value as a decimal number, or an `InvalidInput` error.
fn number<T: std::str::FromStr>(name: &str, value: &OsStr) -> io::Result<T> {
    value.to_str().and_then(|v| v.parse().ok()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name}={value:?} is not a number"),
        )
    })
}

/// A new, close-on-exec descriptor for this process's descriptor `fd`.
#[cfg(target_os = "linux")]
fn duplicate_own_fd(fd: i32) -> io::Result<std::os::fd::OwnedFd> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    use std::os::fd::AsRawFd;
    let me = pidfd_open(getpid(), PidfdFlags::empty())?;
    // The pidfd takes the lowest free number: if that is `fd`, `fd` was
    // not open.
    if me.as_raw_fd() == fd {
        return Err(rustix::io::Errno::BADF.into());
    }
    Ok(pidfd_getfd(&me, fd, PidfdGetfdFlags::empty())?)
}

#[cfg(not(target_os = "linux"))]
fn duplicate_own_fd(_fd: i32) -> io::Result<std::os::fd::OwnedFd> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "socket activation needs pidfd_getfd (Linux)",
    ))
}

/// `InvalidInput` unless `fd` is a TCP socket (stream, IPv4 or IPv6) that
/// listens.
fn check_listening_tcp(fd: &std::os::fd::OwnedFd) -> io::Result<()> {
    use rustix::net::{AddressFamily, SocketType, sockopt};
    let invalid = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LISTEN_FDS: fd {SD_LISTEN_FDS_START} is {what}"),
        )
    };
    match sockopt::socket_type(fd) {
        Ok(SocketType::STREAM) => {}
        Ok(_) => return Err(invalid("not a stream socket")),
        Err(rustix::io::Errno::NOTSOCK) => return Err(invalid("not a socket")),
        Err(e) => return Err(e.into()),
    }
    let family = sockopt::socket_domain(fd)?;
    if family != AddressFamily::INET && family != AddressFamily::INET6 {
        return Err(invalid("not a TCP socket"));
    }
    if !sockopt::socket_acceptconn(fd)? {
        return Err(invalid("not listening"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_listening_tcp, listen_fds};
    use std::ffi::OsStr;
    use std::os::fd::OwnedFd;

    #[test]
    fn listen_fds_follows_sd_listen_fds() {
        const ME: u32 = 4242;
        /// `LISTEN_PID`, `LISTEN_FDS`, and the sockets for us or the
        /// error's text.
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Result<usize, &'static str>,
        );
        let cases: &[Case] = &[
            (None, None, Ok(0)),
            (None, Some("1"), Ok(0)),
            (Some("4242"), None, Ok(0)),
            (Some("4242"), Some("0"), Ok(0)),
            (Some("4242"), Some("1"), Ok(1)),
            (Some("4242"), Some("3"), Ok(3)),
            (Some("1"), Some("1"), Ok(0)),
            (
                Some("x"),
                Some("1"),
                Err("LISTEN_PID=\"x\" is not a number"),
            ),
            (
                Some("4242"),
                Some("-1"),
                Err("LISTEN_FDS=\"-1\" is not a number"),
            ),
            (
                Some("4242"),
                Some(""),
                Err("LISTEN_FDS=\"\" is not a number"),
            ),
        ];
        for &(pid, fds, expected) in cases {
            let got = listen_fds(pid.map(OsStr::new), fds.map(OsStr::new), ME);
            match (got, expected) {
                (Ok(n), Ok(m)) => assert_eq!(n, m, "{pid:?} {fds:?}"),
                (Err(e), Err(text)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
                    assert_eq!(e.to_string(), text);
                }
                (got, _) => panic!("{pid:?} {fds:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn only_a_listening_tcp_socket_passes() {
        let listening = OwnedFd::from(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
        assert!(check_listening_tcp(&listening).is_ok());
        let udp = OwnedFd::from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
        let file = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
        let dir = std::env::temp_dir().join(format!("basehttp-activation-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let unix = OwnedFd::from(std::os::unix::net::UnixListener::bind(&dir).unwrap());
        let _ = std::fs::remove_file(&dir);
        for (fd, what) in [
            (udp, "not a stream socket"),
            (file, "not a socket"),
            (unix, "not a TCP socket"),
        ] {
            let e = check_listening_tcp(&fd).unwrap_err();
            assert_eq!(e.to_string(), format!("LISTEN_FDS: fd 3 is {what}"));
        }
    }
}
