//! `git http-backend`, the most widely deployed CGI program, run as a script
//! under `cgi-bin/` of the `basehttp` binary and driven by the real `git`:
//! smart-HTTP clone (with a gzipped request and `Git-Protocol`), a push big
//! enough to be sent chunked, and a missing repository. All of it needs
//! `--cgi-rfc3875`; the CPython-compatible `--cgi` still serves a plain
//! clone.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::*;

/// A served directory with `cgi-bin/git` (a wrapper around `git
/// http-backend`) and bare repositories under `repos/`, plus a client home.
struct Site {
    dir: TempDir,
}

impl Site {
    fn new(tag: &str) -> Site {
        let dir = TempDir::new(tag);
        let site = Site { dir };
        for d in ["www/cgi-bin", "repos", "home", "work"] {
            std::fs::create_dir_all(site.path(d)).unwrap();
        }
        let script = format!(
            "#!/bin/sh\n\
             GIT_PROJECT_ROOT='{repos}' GIT_HTTP_EXPORT_ALL=1 HOME='{home}' \\\n\
             GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_COUNT=1 \\\n\
             GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*' \\\n\
             exec git http-backend\n",
            repos = site.path("repos").display(),
            home = site.path("home").display(),
        );
        let wrapper = site.path("www/cgi-bin/git");
        std::fs::write(&wrapper, script).unwrap();
        chmod(&wrapper, 0o755);
        site
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// A bare repository `repos/NAME.git` that accepts pushes, filled by
    /// `git fast-import` with `commits` commits on `main`, each tagged.
    fn repo(&self, name: &str, commits: usize) -> PathBuf {
        let bare = self.path(&format!("repos/{name}.git"));
        git(
            self.dir.path(),
            &["init", "-q", "--bare", "-b", "main", path(&bare)],
        );
        git(&bare, &["config", "http.receivepack", "true"]);
        let mut stream = String::new();
        for i in 1..=commits {
            let content = format!("commit {i}\n");
            stream.push_str(&format!(
                "commit refs/heads/main\nmark :{i}\n\
                 committer T <t@example.com> {} +0000\ndata 2\nc\n",
                1_700_000_000 + i
            ));
            if i > 1 {
                stream.push_str(&format!("from :{}\n", i - 1));
            }
            stream.push_str(&format!(
                "M 644 inline file.txt\ndata {}\n{content}\nreset refs/tags/v{i}\nfrom :{i}\n\n",
                content.len()
            ));
        }
        let mut child = Command::new("git")
            .args(["fast-import", "--quiet"])
            .current_dir(&bare)
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), stream.as_bytes()).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        // Scripts run as `nobody` when the server runs as root (as CPython's
        // do); a push must be able to write the repository.
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "nobody", path(&bare)])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        bare
    }

    /// Runs the client `git` with a home of its own, in `work/`, tracing
    /// its HTTP headers to stderr.
    fn client(&self, args: &[&str]) -> Output {
        self.client_in(&self.path("work"), args)
    }

    fn client_in(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(cwd)
            .env("HOME", self.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_TRACE_CURL", "1")
            .env("GIT_TRACE_CURL_NO_DATA", "1")
            .env_remove("GIT_DIR")
            .output()
            .expect("run git")
    }

    fn serve(&self, mode: &str) -> Running {
        let www = self.path("www");
        start(
            &[mode, "-b", "127.0.0.1", "-d", path(&www), "0"],
            self.dir.path(),
        )
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// Runs `git` for the fixture and insists that it succeeds (repositories
/// may belong to `nobody`).
fn git(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "safe.directory=*"])
        .args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn url(server: &Running, repo: &str) -> String {
    format!("http://127.0.0.1:{}/cgi-bin/git/{repo}", server.port)
}

#[test]
fn clone_over_smart_http() {
    let site = Site::new("git-clone");
    site.repo("small", 3);
    let server = site.serve("--cgi-rfc3875");
    let out = site.client(&["clone", "-q", &url(&server, "small.git"), "small"]);
    ok(&out, "clone");
    let file = std::fs::read_to_string(site.path("work/small/file.txt")).unwrap();
    assert_eq!(file, "commit 3\n");
    let log = git(&site.path("work/small"), &["rev-list", "--count", "HEAD"]);
    assert_eq!(log.trim(), "3");
}

#[test]
fn clone_with_many_refs_sends_a_gzipped_request() {
    // 40 tags on 40 commits: git's fetch request is over 1 KiB, so it is
    // sent with `Content-Encoding: gzip`, which the script must see.
    let site = Site::new("git-tags");
    site.repo("tags", 40);
    let server = site.serve("--cgi-rfc3875");
    let out = site.client(&["clone", "-q", &url(&server, "tags.git"), "tags"]);
    ok(&out, "clone");
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(
        trace.contains("Content-Encoding: gzip"),
        "no gzipped request"
    );
    assert!(trace.contains("Git-Protocol: version=2"), "no Git-Protocol");
    let tags = git(&site.path("work/tags"), &["tag", "--list"]);
    assert_eq!(tags.lines().count(), 40);
    let out = site.client(&[
        "-c",
        "protocol.version=2",
        "ls-remote",
        "--tags",
        &url(&server, "tags.git"),
    ]);
    ok(&out, "ls-remote");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
}

#[test]
fn push_of_two_mebibytes_is_sent_chunked_and_arrives_whole() {
    let site = Site::new("git-push");
    let bare = site.repo("push", 1);
    let server = site.serve("--cgi-rfc3875");
    let out = site.client(&["clone", "-q", &url(&server, "push.git"), "push"]);
    ok(&out, "clone");
    // Incompressible, so the pack stays over http.postBuffer (1 MiB) and
    // git sends it with `Transfer-Encoding: chunked`.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let blob: Vec<u8> = (0..2 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let work = site.path("work/push");
    std::fs::write(work.join("big.bin"), &blob).unwrap();
    git(&work, &["add", "big.bin"]);
    git(
        &work,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "big",
        ],
    );
    let out = site.client_in(&work, &["push", "-q", "origin", "main"]);
    ok(&out, "push");
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(
        trace.contains("Transfer-Encoding: chunked"),
        "the pack was not sent chunked"
    );
    let size = git(&bare, &["cat-file", "-s", "main:big.bin"]);
    assert_eq!(size.trim(), (2 * 1024 * 1024).to_string());
    let local = git(&work, &["rev-parse", "HEAD"]);
    let remote = git(&bare, &["rev-parse", "main"]);
    assert_eq!(local, remote);
}

#[test]
fn missing_repository_is_not_found() {
    let site = Site::new("git-missing");
    let server = site.serve("--cgi-rfc3875");
    let out = site.client(&["ls-remote", &url(&server, "missing.git")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn cpython_compatible_mode_still_clones() {
    let site = Site::new("git-compat");
    site.repo("small", 2);
    let server = site.serve("--cgi");
    let out = site.client(&["clone", "-q", &url(&server, "small.git"), "small"]);
    ok(&out, "clone");
    let file = std::fs::read_to_string(site.path("work/small/file.txt")).unwrap();
    assert_eq!(file, "commit 2\n");
}
