//! The `basehttp` binary's TLS options as a child process: CPython 3.14's
//! `--tls-cert`, `--tls-key`, `--tls-password-file` (`tls_cert_options`
//! in `CommandLineTestCase`), the HTTPS banner, and the start-up errors.
#![allow(missing_docs)]

use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::{BIN, TempDir};

/// `name` under `dir` as an argument.
fn arg(dir: &TempDir, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (installed by .ci/run)")
        .success();
    assert!(ok, "openssl {args:?}");
}

/// `cert.pem` + `key.pem` for localhost, and `enc.pem`, the key encrypted
/// with the password in `pw.txt`.
fn certs(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "key.pem",
            "-out",
            "enc.pem",
            "-passout",
            "pass:s3cret",
        ],
    );
    std::fs::write(dir.join("pw.txt"), "s3cret\n").unwrap();
    std::fs::write(dir.join("hello.txt"), "hello https\n").unwrap();
    dir
}

/// Runs `basehttp args` to completion (for arguments that make it exit).
fn exits(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run basehttp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `basehttp 0 -b 127.0.0.1 -d DIR --tls-cert DIR/CERT --tls-key DIR/KEY`
/// and `extra`, running, with its banner read.
fn serve(dir: &TempDir, cert: &str, key: &str, extra: &[&str]) -> common::Running {
    let (root, cert, key) = (arg(dir, ""), arg(dir, cert), arg(dir, key));
    let mut args = vec![
        "0",
        "-b",
        "127.0.0.1",
        "-d",
        &root,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ];
    args.extend_from_slice(extra);
    common::start(&args, dir.path())
}

fn curl(dir: &TempDir, port: u16) -> String {
    curl_with(dir, "cert.pem", port, &[])
}

/// `curl extra... https://127.0.0.1:port/hello.txt`, trusting `cert`.
fn curl_with(dir: &TempDir, cert: &str, port: u16, extra: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", &arg(dir, cert)])
        .args(extra)
        .arg(format!("https://127.0.0.1:{port}/hello.txt"))
        .stdin(Stdio::null())
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tls_cert_and_key_serve_https_with_cpythons_banner() {
    let dir = certs("serve");
    let run = serve(&dir, "cert.pem", "key.pem", &[]);
    let (port, banner) = (run.port, &run.banner);
    assert_eq!(
        *banner,
        format!("Serving HTTPS on 127.0.0.1 port {port} (https://127.0.0.1:{port}/) ...\n")
    );
    assert_eq!(curl(&dir, port), "hello https\n");
}

#[test]
fn an_encrypted_key_with_a_password_file_serves() {
    let dir = certs("password");
    let pw = arg(&dir, "pw.txt");
    let run = serve(&dir, "cert.pem", "enc.pem", &["--tls-password-file", &pw]);
    assert_eq!(curl(&dir, run.port), "hello https\n");
}

#[test]
fn a_key_from_openssl_req_passout_file_serves_curl_and_curl_0() {
    // Issue 21's recipe:
    // `openssl req -x509 -newkey rsa:2048 -keyout key.pem -passout
    // file:pw.txt` (PBES2 with 3DES), the same pw.txt (with its newline)
    // given to --tls-password-file, and a `curl -0` client (ALPN http/1.0).
    let dir = certs("req");
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "rsa-key.pem",
            "-passout",
            "file:pw.txt",
            "-out",
            "rsa-cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
    );
    let pw = arg(&dir, "pw.txt");
    let run = serve(
        &dir,
        "rsa-cert.pem",
        "rsa-key.pem",
        &["--tls-password-file", &pw],
    );
    let port = run.port;
    assert_eq!(curl_with(&dir, "rsa-cert.pem", port, &[]), "hello https\n");
    assert_eq!(
        curl_with(&dir, "rsa-cert.pem", port, &["-0"]),
        "hello https\n"
    );
}

#[test]
fn tls_key_without_cert_is_a_usage_error() {
    let (code, out, err) = exits(&["--tls-key", "k.pem"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("usage: basehttp [-h]"), "{err}");
    assert!(
        err.ends_with("basehttp: error: --tls-key requires --tls-cert to be set\n"),
        "{err}"
    );
    let (code, _, err) = exits(&["--tls-password-file", "pw.txt"]);
    assert_eq!(code, 2);
    assert!(
        err.ends_with("basehttp: error: --tls-password-file requires --tls-cert to be set\n"),
        "{err}"
    );
}

#[test]
fn an_unreadable_password_file_is_a_usage_error() {
    let (code, _, err) = exits(&[
        "--tls-cert",
        "c.pem",
        "--tls-password-file",
        "/nonexistent/pw.txt",
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("usage: basehttp"), "{err}");
    assert!(
        err.ends_with(
            "basehttp: error: Failed to read TLS password file: \
             [Errno 2] No such file or directory: '/nonexistent/pw.txt'\n"
        ),
        "{err}"
    );
}

#[test]
fn bad_tls_files_stop_the_start_with_one_line_naming_the_file() {
    let dir = certs("bad");
    let cert = arg(&dir, "cert.pem");
    let key = arg(&dir, "key.pem");
    let enc = arg(&dir, "enc.pem");
    let wrong = arg(&dir, "wrong.txt");
    std::fs::write(&wrong, "nope\n").unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--tls-cert", "/nonexistent/c.pem"],
            "cannot read the TLS certificate file '/nonexistent/c.pem'".to_owned(),
        ),
        // No key in the certificate file (`keyfile=None`).
        (
            vec!["--tls-cert", &cert],
            format!("no private key in '{cert}'"),
        ),
        (
            vec!["--tls-cert", &cert, "--tls-key", &enc],
            format!("the TLS key in '{enc}' is encrypted: a password is needed"),
        ),
        (
            vec![
                "--tls-cert",
                &cert,
                "--tls-key",
                &enc,
                "--tls-password-file",
                &wrong,
            ],
            format!("the TLS key in '{enc}': cannot decrypt: wrong password"),
        ),
        (
            vec!["--tls-cert", &key, "--tls-key", &cert],
            format!("no certificate in '{key}'"),
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["0", "-b", "127.0.0.1"];
        all.extend(args.iter().copied());
        let (code, out, err) = exits(&all);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert_eq!(out, "", "nothing listens, no banner");
        assert!(
            err.starts_with(&format!("basehttp: error: {want}")),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
