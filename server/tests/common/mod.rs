//! What the tests of the `basehttp` binary share: temporary directories,
//! starting the binary and reading its banner, raw-byte requests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_basehttp");

#[path = "../../../tests/tempdir.rs"]
mod tempdir;
pub use tempdir::TempDir;

/// A running `basehttp`; killed on drop.
pub struct Running {
    pub child: Child,
    pub banner: String,
    pub port: u16,
    pub stderr: BufReader<ChildStderr>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `basehttp` with `args` in `cwd` and waits for its banner line.
pub fn start(args: &[&str], cwd: &std::path::Path) -> Running {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(cwd).stdin(Stdio::null());
    start_command(command)
}

/// Starts `command` (which runs `basehttp`) and waits for its banner line.
pub fn start_command(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn basehttp");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).expect("read banner");
    let port = banner
        .split(" port ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in banner {banner:?}"));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    Running {
        child,
        banner,
        port,
        stderr,
    }
}

pub fn get(port: u16, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let _ = s.shutdown(Shutdown::Write);
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

pub fn body(resp: &[u8]) -> &[u8] {
    let i = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &resp[i + 4..]
}
