//! HTTPS over real sockets: `ThreadingHttpsServer` and `HttpsServer` with
//! real TLS clients (curl, Python's `ssl` + `http.client`, `openssl
//! s_client`, a rustls client), CPython's `BaseHTTPSServerTestCase`
//! (`test_get`, `test_valid_certdata`, `test_invalid_certdata`), and the
//! TLS bad input: garbage instead of a ClientHello, a handshake stalled
//! half-way, a client that vanishes mid-handshake, plain HTTP on the TLS
//! port. Certificates are made per test with the `openssl` command.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use basehttp::handlers::SimpleHttpRequestHandler;
use basehttp::prelude::*;
use basehttp::rustls;
use basehttp::rustls::crypto::{CryptoProvider, aws_lc_rs};
use basehttp::rustls::pki_types::pem::PemObject;
use basehttp::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use basehttp::{HttpsServer, ServerConfig, TlsConfig};

use crate::support::{
    CLIENT_TIMEOUT, TempDir, capture_log, connect, logs_for, parse, read_to_close,
    spawn_https_with, wait_for_log,
};

// ---------------------------------------------------------------------------
// Fixtures

/// A self-signed certificate for `localhost` / 127.0.0.1 and its key.
struct Certs {
    dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl (installed by .ci/run)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `key.pem` in `dir` as PKCS#8 encrypted with `scheme` and the password
/// `somepass`, written to `out`.
fn encrypt_key(dir: &Path, scheme: &[&str], out: &str) {
    let mut args = vec!["pkcs8", "-topk8"];
    args.extend_from_slice(scheme);
    args.extend_from_slice(&["-in", "key.pem", "-out", out, "-passout", "pass:somepass"]);
    openssl(dir, &args);
}

impl Certs {
    fn new(tag: &str) -> Certs {
        let dir = TempDir::new(&format!("tls-{tag}"));
        Self::make(dir.path(), "cert.pem", "key.pem");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        Certs { dir, cert, key }
    }

    /// A P-256 key and a certificate for it (fast to make).
    fn make(dir: &Path, cert: &str, key: &str) {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key,
                "-out",
                cert,
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
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> TlsConfig {
        TlsConfig::from_pem_files(&self.cert, &self.key).expect("load cert and key")
    }

    /// A rustls client that trusts this certificate.
    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        self.client_config_with(aws_lc_rs::default_provider())
    }

    /// As `client_config`, with this crypto provider (key exchange groups).
    fn client_config_with(&self, provider: CryptoProvider) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&self.cert).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// A TLS connection to `addr` (handshake done on first I/O).
    fn connect(
        &self,
        addr: SocketAddr,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        self.connect_with(addr, self.client_config())
    }

    fn connect_with(
        &self,
        addr: SocketAddr,
        config: Arc<rustls::ClientConfig>,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        let conn =
            rustls::ClientConnection::new(config, ServerName::try_from("localhost").unwrap())
                .unwrap();
        rustls::StreamOwned::new(conn, connect(addr))
    }

    /// The bytes of a ClientHello for this server.
    fn client_hello(&self) -> Vec<u8> {
        let mut conn = rustls::ClientConnection::new(
            self.client_config(),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).unwrap();
        }
        out
    }
}

/// HTTP/1.1 handler: `GET` answers `path=<path>`, `POST` echoes the body.
struct Echo;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Echo {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        let body = format!("path={}", req.path);
        reply(req, body.as_bytes())
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let mut body = Vec::new();
        req.rfile.read_to_end(&mut body)?;
        reply(req, &body)
    }
}

fn reply(req: &mut Request, body: &[u8]) -> io::Result<()> {
    req.send_response(200)?;
    req.send_header("Content-Type", "application/octet-stream")?;
    req.send_header("Content-Length", &body.len().to_string())?;
    req.end_headers()?;
    req.wfile.write_all(body)
}

fn serve(certs: &Certs) -> crate::support::TestServer {
    spawn_https_with(|| Echo, certs.config(), ServerConfig::default())
}

fn served_dir(certs: &Certs) -> (TempDir, crate::support::TestServer) {
    let root = TempDir::new("tls-root");
    root.write("hello.txt", "hello over TLS\n");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    root.write("big.bin", &big);
    let files = SimpleHttpRequestHandler::new(root.path()).with_protocol_version("HTTP/1.1");
    let srv = spawn_https_with(
        move || files.clone(),
        certs.config(),
        ServerConfig::default(),
    );
    (root, srv)
}

fn run(cmd: &mut Command) -> (bool, Vec<u8>, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn client");
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------
// Real clients

/// curl with `args`, trusting `certs` and reaching `localhost` on `port`
/// at 127.0.0.1 (so that the certificate's name matches).
fn curl(certs: &Certs, port: u16, args: &[&str]) -> (bool, Vec<u8>, String) {
    let resolve = format!("localhost:{port}:127.0.0.1");
    run(Command::new("curl")
        .args(["-sS", "--resolve", &resolve, "--cacert"])
        .arg(&certs.cert)
        .args(args))
}

#[test]
fn test_get_with_curl() {
    let certs = Certs::new("curl");
    let (_root, srv) = served_dir(&certs);
    let url = format!("https://localhost:{}/hello.txt", srv.port());
    let (ok, out, err) = curl(
        &certs,
        srv.port(),
        &[
            "--max-time",
            "10",
            "-w",
            "\n%{http_code} %{http_version}",
            &url,
        ],
    );
    assert!(ok, "curl: {err}");
    assert_eq!(String::from_utf8_lossy(&out), "hello over TLS\n\n200 1.1");
}

#[test]
fn curl_downloads_a_large_file_through_the_encrypter() {
    let certs = Certs::new("curl-big");
    let (root, srv) = served_dir(&certs);
    let url = format!("https://localhost:{}/big.bin", srv.port());
    // Twice on one connection: keep-alive after a sendfile-sized body.
    let (ok, out, err) = curl(
        &certs,
        srv.port(),
        &[
            "--max-time",
            "20",
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            &url,
            &url,
        ],
    );
    assert!(ok, "curl: {err}");
    let big = std::fs::read(root.path().join("big.bin")).unwrap();
    assert_eq!(out.len(), big.len() * 2);
    assert!(out[..big.len()] == big[..] && out[big.len()..] == big[..]);
}

const PY_CLIENT: &str = r#"
import http.client, ssl, sys
port, ca, maxver = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
if maxver == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
socks = set()
for i in range(3):
    conn.request("GET", f"/n{i}")
    r = conn.getresponse()
    body = r.read()
    assert (r.status, body) == (200, f"path=/n{i}".encode()), (r.status, body)
    socks.add(id(conn.sock))
data = bytes(range(256)) * 400
conn.request("POST", "/echo", body=data)
r = conn.getresponse()
assert r.read() == data
socks.add(id(conn.sock))
assert len(socks) == 1, "the connection was not kept alive"
print(conn.sock.selected_alpn_protocol(), conn.sock.version())
"#;

fn python_client(maxver: &str) -> String {
    let certs = Certs::new("python");
    let srv = serve(&certs);
    let (ok, out, err) = run(Command::new("python3")
        .args(["-c", PY_CLIENT, &srv.port().to_string()])
        .arg(&certs.cert)
        .arg(maxver));
    assert!(ok, "python: {err}");
    String::from_utf8(out).unwrap()
}

#[test]
fn python_http_client_keeps_the_connection_alive_over_tls13() {
    assert_eq!(python_client("1.3"), "http/1.1 TLSv1.3\n");
}

#[test]
fn python_http_client_keeps_the_connection_alive_over_tls12() {
    assert_eq!(python_client("1.2"), "http/1.1 TLSv1.2\n");
}

#[test]
fn openssl_s_client_gets_a_response() {
    let certs = Certs::new("s_client");
    let srv = serve(&certs);
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-servername",
            "localhost",
            "-alpn",
            "http/1.1",
        ])
        .args(["-connect", &format!("127.0.0.1:{}", srv.port()), "-CAfile"])
        .arg(&certs.cert)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let resp = parse(&out.stdout);
    assert_eq!(
        resp.status_line,
        "HTTP/1.1 200 OK",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(resp.body, b"path=/s");
}

#[test]
fn pipelined_requests_in_one_tls_write_are_all_answered() {
    let certs = Certs::new("pipeline");
    let srv = serve(&certs);
    let mut tls = certs.connect(srv.addr);
    let mut burst = Vec::new();
    for i in 0..3 {
        burst.extend_from_slice(format!("GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    // One write, one TLS record: the server decrypts all three at once and
    // must serve the two it buffered without waiting for a socket event.
    tls.write_all(&burst).unwrap();
    tls.flush().unwrap();
    for i in 0..3 {
        let resp = read_tls_response(&mut tls);
        assert_eq!(resp.body, format!("path=/p{i}").as_bytes());
    }
}

#[test]
fn close_notify_without_a_tcp_close_ends_the_connection() {
    // The client sends its request and `close_notify` in one flush and
    // keeps the TCP connection open: the server decrypts both at once, so
    // no socket event announces the end, and it must not wait out the
    // keep-alive deadline.
    let certs = Certs::new("close-notify");
    let mut config = ServerConfig::default();
    config.keepalive_timeout = Some(std::time::Duration::from_secs(60));
    let srv = spawn_https_with(|| Echo, certs.config(), config);
    let mut tls = certs.connect(srv.addr);
    tls.write_all(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_tls_response(&mut tls).body, b"path=/first");
    // The last request and the alert in one TCP write.
    tls.conn
        .writer()
        .write_all(b"GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    tls.conn.send_close_notify();
    let mut records = Vec::new();
    while tls.conn.wants_write() {
        tls.conn.write_tls(&mut records).unwrap();
    }
    tls.sock.write_all(&records).unwrap();
    let resp = read_tls_response(&mut tls);
    assert_eq!(resp.body, b"path=/last");
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {}
        Err(e) => panic!("connection not closed: {e}"),
    }
    assert!(rest.is_empty());
}

#[test]
fn large_request_body_is_read_through_tls() {
    let certs = Certs::new("body");
    let srv = serve(&certs);
    let mut tls = certs.connect(srv.addr);
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    tls.write_all(format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
        .unwrap();
    tls.write_all(&body).unwrap();
    let resp = read_tls_response(&mut tls);
    assert_eq!(resp.status, 200);
    assert!(resp.body == body);
}

/// One response from a TLS stream (`Content-Length` framing).
fn read_tls_response(s: &mut impl Read) -> crate::support::Response {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed inside a head");
        head.push(byte[0]);
    }
    let mut resp = parse(&head);
    let len: usize = resp.header("Content-Length").unwrap().parse().unwrap();
    let mut body = vec![0; len];
    s.read_exact(&mut body).unwrap();
    resp.body = body;
    resp
}

#[test]
fn https_server_handles_one_request_and_names_itself() {
    // `HTTPSServer` (one connection at a time) with `handle_request()`.
    let certs = Certs::new("single");
    let server = HttpsServer::bind("127.0.0.1:0", || Echo, certs.config()).unwrap();
    assert_eq!(server.server_name(), "localhost");
    let addr = server.server_address();
    let client_certs = certs.client_config();
    let client = std::thread::spawn(move || {
        let conn =
            rustls::ClientConnection::new(client_certs, ServerName::try_from("localhost").unwrap())
                .unwrap();
        let mut tls = rustls::StreamOwned::new(conn, connect(addr));
        tls.write_all(b"GET /one HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        out
    });
    server.handle_request().unwrap();
    let resp = parse(&client.join().unwrap());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"path=/one");
}

#[test]
fn a_callers_own_rustls_config_is_used_as_it_is() {
    let certs = Certs::new("own");
    let chain: Vec<_> = CertificateDer::pem_file_iter(&certs.cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&certs.key).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
    let srv = spawn_https_with(
        || Echo,
        TlsConfig::from_rustls(Arc::new(config)),
        ServerConfig::default(),
    );
    let mut tls = certs.connect(srv.addr);
    tls.write_all(b"GET /own HTTP/1.1\r\n\r\n").unwrap();
    let resp = read_tls_response(&mut tls);
    assert_eq!(resp.body, b"path=/own");
    assert_eq!(
        tls.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    // The caller's config offered no ALPN, so none was agreed.
    assert_eq!(tls.conn.alpn_protocol(), None);
}

// ---------------------------------------------------------------------------
// Bad input on the TLS port: a clean close, one log line, no thread held.

fn tls_failures(port: u16) -> Vec<String> {
    logs_for(port)
        .into_iter()
        .filter(|l| l.contains("TLS handshake failed"))
        .collect()
}

/// Sends `bytes`, half-closes, and returns what came back before the close.
fn send_and_read(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = connect(addr);
    s.write_all(bytes).unwrap();
    let _ = s.shutdown(Shutdown::Write);
    read_to_close(&mut s)
}

#[test]
fn plain_http_on_the_https_port_is_closed_and_logged_once() {
    let certs = Certs::new("plain");
    let srv = serve(&certs);
    let port = srv.port();
    let mut s = connect(srv.addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // No half-close: the server must close on its own.
    assert_eq!(read_to_close(&mut s), b"");
    assert!(wait_for_log(
        port,
        "plain HTTP request sent to the HTTPS port",
        CLIENT_TIMEOUT
    ));
    drop(srv);
    let lines = tls_failures(port);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("127.0.0.1 - - ["), "{lines:?}");
}

#[test]
fn garbage_instead_of_a_client_hello_is_closed_and_logged_once() {
    let certs = Certs::new("garbage");
    let srv = serve(&certs);
    let port = srv.port();
    // A handshake record header followed by nonsense, and binary junk.
    for junk in [
        &b"\x16\x03\x01\x00\x08\x01\x00\x00\x04garbage!"[..],
        &b"\x00\xff\x13\x37\x00\x00\x00\x00\x00\x00\x00\x00"[..],
    ] {
        let reply = send_and_read(srv.addr, junk);
        // At most a TLS alert record (content type 21), then the close.
        assert!(reply.is_empty() || reply[0] == 21, "{reply:?}");
    }
    drop(srv);
    let lines = tls_failures(port);
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn a_handshake_stalled_half_way_is_cut_at_the_head_deadline() {
    let certs = Certs::new("stall");
    let mut config = ServerConfig::default();
    config.head_timeout = Some(Duration::from_millis(300));
    let srv = spawn_https_with(|| Echo, certs.config(), config);
    let port = srv.port();
    let hello = certs.client_hello();
    let mut s = connect(srv.addr);
    s.write_all(&hello[..hello.len() / 2]).unwrap();
    // The server closes without a word (it cannot send a 408 in clear).
    assert_eq!(read_to_close(&mut s), b"");
    assert!(wait_for_log(
        port,
        "TLS handshake failed: timed out",
        CLIENT_TIMEOUT
    ));
    drop(srv);
    assert_eq!(tls_failures(port).len(), 1);
}

#[test]
fn a_client_that_vanishes_mid_handshake_is_logged_once() {
    let certs = Certs::new("vanish");
    let srv = serve(&certs);
    let port = srv.port();
    let hello = certs.client_hello();
    {
        let mut s = connect(srv.addr);
        s.write_all(&hello[..hello.len() / 2]).unwrap();
    }
    assert!(wait_for_log(
        port,
        "TLS handshake failed: the client closed the connection",
        CLIENT_TIMEOUT
    ));
    drop(srv);
    assert_eq!(tls_failures(port).len(), 1);
}

#[test]
fn stalled_handshakes_hold_no_worker() {
    // One worker, long deadlines: if a handshake held the worker, the good
    // client below would wait for the 60 s deadline and its read time out.
    let certs = Certs::new("no-thread");
    let mut config = ServerConfig::default();
    config.workers = 1;
    config.head_timeout = Some(Duration::from_secs(60));
    let srv = spawn_https_with(|| Echo, certs.config(), config);
    let hello = certs.client_hello();
    let mut stalled = Vec::new();
    for i in 0..8 {
        let mut s = connect(srv.addr);
        if i % 2 == 0 {
            s.write_all(&hello[..hello.len() / 2]).unwrap();
        }
        stalled.push(s);
    }
    for i in 0..3 {
        let mut tls = certs.connect(srv.addr);
        tls.write_all(format!("GET /ok{i} HTTP/1.1\r\nConnection: close\r\n\r\n").as_bytes())
            .unwrap();
        assert_eq!(
            read_tls_response(&mut tls).body,
            format!("path=/ok{i}").as_bytes()
        );
    }
    drop(stalled);
}

#[test]
fn a_slow_head_after_the_handshake_gets_an_encrypted_408() {
    let certs = Certs::new("slow-head");
    let mut config = ServerConfig::default();
    config.head_timeout = Some(Duration::from_millis(300));
    let srv = spawn_https_with(|| Echo, certs.config(), config);
    let mut tls = certs.connect(srv.addr);
    tls.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n").unwrap();
    tls.flush().unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    let resp = parse(&out);
    assert_eq!(resp.status, 408);
    assert_eq!(resp.header("Connection"), Some("close"));
}

// ---------------------------------------------------------------------------
// Start-up errors: CPython's test_valid_certdata / test_invalid_certdata.

fn load_error(cert: &Path, key: &Path, password: Option<&str>) -> String {
    let r = match password {
        Some(p) => TlsConfig::from_pem_files_with_password(cert, key, p),
        None => TlsConfig::from_pem_files(cert, key),
    };
    match r {
        Ok(_) => panic!("{cert:?} + {key:?} loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn test_valid_certdata() {
    let certs = Certs::new("valid");
    // Certificate and key in one file (`keyfile=None`).
    let combined = certs.path("combined.pem");
    let mut both = std::fs::read(&certs.cert).unwrap();
    both.extend(std::fs::read(&certs.key).unwrap());
    std::fs::write(&combined, both).unwrap();
    TlsConfig::from_pem_files(&combined, &combined).unwrap();
    // A password-encrypted PKCS#8 key, separate and combined.
    encrypt_key(certs.dir.path(), &["-v2", "aes-256-cbc"], "enc.pem");
    let enc = certs.path("enc.pem");
    let tls = TlsConfig::from_pem_files_with_password(&certs.cert, &enc, "somepass").unwrap();
    let mut both = std::fs::read(&certs.cert).unwrap();
    both.extend(std::fs::read(&enc).unwrap());
    let combined_enc = certs.path("combined-enc.pem");
    std::fs::write(&combined_enc, both).unwrap();
    TlsConfig::from_pem_files_with_password(&combined_enc, &combined_enc, "somepass").unwrap();
    // The decrypted key serves.
    let srv = spawn_https_with(|| Echo, tls, ServerConfig::default());
    let mut s = certs.connect(srv.addr);
    s.write_all(b"GET /enc HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_tls_response(&mut s).body, b"path=/enc");
}

#[test]
fn test_invalid_certdata() {
    let certs = Certs::new("invalid");
    let dir = certs.dir.path();
    let (cert, key) = (&certs.cert, &certs.key);
    Certs::make(dir, "other-cert.pem", "other-key.pem");
    let other_key = certs.path("other-key.pem");
    let empty = certs.path("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let bad_cert = certs.path("bad-cert.pem");
    std::fs::write(
        &bad_cert,
        "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = certs.path("missing.pem");
    let q = |p: &Path| format!("'{}'", p.display());
    let cases: Vec<(&Path, &Path, &str)> = vec![
        (&missing, key, "cannot read the TLS certificate file"),
        (&empty, key, "no certificate in"),
        (&bad_cert, key, "invalid TLS certificate in"),
        // Certificate without its key; key only; the two swapped.
        (cert, cert, "no private key in"),
        (key, key, "no certificate in"),
        (key, cert, "no certificate in"),
        (cert, &missing, "cannot read the TLS key file"),
    ];
    for (c, k, want) in cases {
        let e = load_error(c, k, None);
        assert!(e.contains(want), "{c:?} {k:?}: {e}");
        assert!(e.contains(&q(c)) || e.contains(&q(k)), "no file named: {e}");
    }
    let e = load_error(cert, &other_key, None);
    assert_eq!(
        e,
        format!(
            "the TLS key in {} does not match the certificate in {}",
            q(&other_key),
            q(cert)
        )
    );
    // Encrypted keys: no password, a wrong one.
    encrypt_key(dir, &["-v2", "aes-256-cbc"], "enc.pem");
    let enc = certs.path("enc.pem");
    assert_eq!(
        load_error(cert, &enc, None),
        format!(
            "the TLS key in {} is encrypted: a password is needed",
            q(&enc)
        )
    );
    let e = load_error(cert, &enc, Some("badpass"));
    assert!(
        e.starts_with(&format!(
            "the TLS key in {}: cannot decrypt: wrong password",
            q(&enc)
        )),
        "{e}"
    );
}

/// `openssl args...` in `dir`, and the key it wrote to `out`, which must
/// load with the password `somepass` and match `cert`.
fn loads(dir: &Path, cert: &Path, args: &[&str], out: &str) {
    openssl(dir, args);
    let key = dir.join(out);
    if let Err(e) = TlsConfig::from_pem_files_with_password(cert, &key, "somepass") {
        panic!("openssl {args:?}: {e}");
    }
    assert_eq!(
        load_error(cert, &key, None),
        format!(
            "the TLS key in '{}' is encrypted: a password is needed",
            key.display()
        ),
        "openssl {args:?}"
    );
    let e = load_error(cert, &key, Some("wrong"));
    assert_eq!(
        e,
        format!(
            "the TLS key in '{}': cannot decrypt: wrong password",
            key.display()
        ),
        "openssl {args:?}"
    );
}

#[test]
fn an_rsa_key_from_openssl_req_passout_loads_as_cpython_loads_it() {
    // The issue's recipe: OpenSSL 3.0's `req` encrypts with PBES2 and
    // des-ede3-cbc, which CPython's load_cert_chain reads.
    let dir = TempDir::new("tls-req-des3");
    let d = dir.path();
    std::fs::write(d.join("pw.txt"), "somepass\n").unwrap();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "key.pem",
            "-passout",
            "file:pw.txt",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
    );
    let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    let tls = TlsConfig::from_pem_files_with_password(&cert, &key, "somepass").unwrap();
    // And it serves: Python's ssl checks the certificate the key signs for.
    let srv = spawn_https_with(|| Echo, tls, ServerConfig::default());
    assert_eq!(python_alpn(srv.port(), &cert, "[]"), "None path=/alpn\n");
    // The same RSA key in the other forms OpenSSL writes: PKCS#8 from
    // `openssl rsa`, and the legacy `-traditional` PEM (Proc-Type + DEK-Info,
    // key from EVP_BytesToKey).
    let from = [
        "rsa",
        "-in",
        "key.pem",
        "-passin",
        "pass:somepass",
        "-passout",
    ];
    for (cipher, traditional, out) in [
        ("-aes256", false, "rsa-aes256.pem"),
        ("-des3", false, "rsa-des3.pem"),
        ("-aes256", true, "trad-aes256.pem"),
        ("-aes128", true, "trad-aes128.pem"),
        ("-des3", true, "trad-des3.pem"),
    ] {
        let mut args = from.to_vec();
        args.extend(["pass:somepass", cipher, "-out", out]);
        if traditional {
            args.push("-traditional");
        }
        loads(d, &cert, &args, out);
        let text = std::fs::read_to_string(d.join(out)).unwrap();
        assert_eq!(
            text.contains("Proc-Type: 4,ENCRYPTED"),
            traditional,
            "{out}: {text}"
        );
    }
}

#[test]
fn encrypted_ec_keys_from_every_openssl_recipe_load() {
    let certs = Certs::new("ec-recipes");
    let dir = certs.dir.path();
    let cert = &certs.cert;
    // `openssl pkcs8 -topk8` with and without -v2, and the PKCS#12 schemes.
    for (scheme, out) in [
        (&[][..], "p8-default.pem"),
        (&["-v2", "aes-256-cbc"][..], "p8-aes256.pem"),
        (
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"][..],
            "p8-sha1.pem",
        ),
        (
            &["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512"][..],
            "p8-sha512.pem",
        ),
        (&["-v2", "des3"][..], "p8-des3.pem"),
        (&["-scrypt"][..], "p8-scrypt.pem"),
        (&["-v1", "PBE-SHA1-3DES"][..], "p8-pbe-sha1-3des.pem"),
        (&["-v1", "PBE-SHA1-2DES"][..], "p8-pbe-sha1-2des.pem"),
    ] {
        let mut args = vec!["pkcs8", "-topk8"];
        args.extend_from_slice(scheme);
        args.extend(["-in", "key.pem", "-out", out, "-passout", "pass:somepass"]);
        loads(dir, cert, &args, out);
    }
    // `openssl ec -aes256` writes the legacy PEM form.
    for cipher in ["-aes128", "-aes192", "-aes256", "-des3"] {
        let out = format!("ec{cipher}.pem");
        let args = [
            "ec",
            "-in",
            "key.pem",
            cipher,
            "-out",
            &out,
            "-passout",
            "pass:somepass",
        ];
        loads(dir, cert, &args, &out);
        let text = std::fs::read_to_string(dir.join(&out)).unwrap();
        assert!(text.contains("Proc-Type: 4,ENCRYPTED"), "{text}");
    }
    // A key and certificate from `openssl genpkey -aes256`, in one file.
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:somepass",
            "-out",
            "genpkey.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-key",
            "genpkey.pem",
            "-passin",
            "pass:somepass",
            "-out",
            "genpkey-cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ],
    );
    let mut both = std::fs::read(dir.join("genpkey-cert.pem")).unwrap();
    both.extend(std::fs::read(dir.join("genpkey.pem")).unwrap());
    let combined = certs.path("genpkey-combined.pem");
    std::fs::write(&combined, both).unwrap();
    TlsConfig::from_pem_files_with_password(&combined, &combined, "somepass").unwrap();
}

#[test]
fn a_password_file_is_read_as_cpythons_cli_reads_it() {
    // `python -m http.server --tls-password-file`: UTF-8, `.strip()`ped.
    let certs = Certs::new("password-file");
    let dir = certs.dir.path();
    encrypt_key(dir, &["-v2", "aes-256-cbc"], "enc.pem");
    let enc = certs.path("enc.pem");
    let pw = certs.path("pw.txt");
    let with_file = || TlsConfig::from_pem_files_with_password_file(&certs.cert, &enc, &pw);
    for contents in [
        "somepass\n",
        "  somepass \r\n",
        "\u{3000}somepass\u{2029}\x1c",
        "somepass",
    ] {
        std::fs::write(&pw, contents).unwrap();
        if let Err(e) = with_file() {
            panic!("{contents:?}: {e}");
        }
    }
    let q = |p: &Path| format!("'{}'", p.display());
    for contents in [
        &b"some pass\n"[..],
        b"somepass\nsomepass\n",
        b"\xef\xbb\xbfsomepass",
    ] {
        std::fs::write(&pw, contents).unwrap();
        let e = with_file().unwrap_err().to_string();
        assert_eq!(
            e,
            format!("the TLS key in {}: cannot decrypt: wrong password", q(&enc)),
            "{contents:?}"
        );
    }
    std::fs::write(&pw, b"some\xffpass").unwrap();
    let e = with_file().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        e.to_string(),
        format!("the TLS password file {} is not UTF-8 text", q(&pw))
    );
    // Read before the certificate and key, with the file named.
    let missing = certs.path("missing.txt");
    let e = TlsConfig::from_pem_files_with_password_file(&missing, &missing, &missing).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string().starts_with(&format!(
            "cannot read the TLS password file {}: ",
            q(&missing)
        )),
        "{e}"
    );
}

#[test]
fn a_key_still_not_read_names_the_conversion_command() {
    let certs = Certs::new("unsupported");
    let dir = certs.dir.path();
    // Camellia: OpenSSL 3 reads it, basehttp does not (docs/tls.md).
    encrypt_key(dir, &["-v2", "camellia-256-cbc"], "camellia.pem");
    openssl(
        dir,
        &[
            "ec",
            "-in",
            "key.pem",
            "-camellia128",
            "-out",
            "legacy-camellia.pem",
            "-passout",
            "pass:somepass",
        ],
    );
    for (file, scheme) in [
        (
            "camellia.pem",
            "PBES2 with CAMELLIA-256-CBC (1.2.392.200011.61.1.1.1.4)",
        ),
        (
            "legacy-camellia.pem",
            "OpenSSL's legacy PEM encryption with CAMELLIA-128-CBC",
        ),
    ] {
        let key = certs.path(file);
        for password in [Some("somepass"), None] {
            assert_eq!(
                load_error(&certs.cert, &key, password),
                format!(
                    "the TLS key in '{}' is encrypted with {scheme}, which is not supported; \
                     convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`",
                    key.display()
                )
            );
        }
    }
}

#[test]
fn a_client_whose_alpn_list_misses_ours_is_served_without_alpn() {
    // CPython (OpenSSL) answers a list without `http/1.1` with no ALPN and
    // serves the client; rustls alone would send `no_application_protocol`.
    let certs = Certs::new("alpn");
    let srv = serve(&certs);
    let port = srv.port();
    for (alpn, selected) in [
        ("['http/1.0']", "None"),
        ("['h2', 'spdy/3.1']", "None"),
        ("[]", "None"),
        ("['h2', 'http/1.1']", "http/1.1"),
    ] {
        assert_eq!(
            python_alpn(port, &certs.cert, alpn),
            format!("{selected} path=/alpn\n"),
            "{alpn}"
        );
    }
    // A rustls client offering only `http/1.0`, with keep-alive.
    let mut config = rustls::ClientConfig::clone(&certs.client_config());
    config.alpn_protocols = vec![b"http/1.0".to_vec()];
    let mut tls = certs.connect_with(srv.addr, Arc::new(config));
    for i in 0..2 {
        tls.write_all(format!("GET /h10-{i} HTTP/1.1\r\n\r\n").as_bytes())
            .unwrap();
        assert_eq!(
            read_tls_response(&mut tls).body,
            format!("path=/h10-{i}").as_bytes()
        );
    }
    assert_eq!(tls.conn.alpn_protocol(), None);
    // The caller's own config keeps its list, and gets the same fallback.
    let mut own = rustls::ServerConfig::clone(certs.config().rustls());
    own.alpn_protocols = vec![b"http/1.0".to_vec(), b"http/1.1".to_vec()];
    let srv = spawn_https_with(
        || Echo,
        TlsConfig::from_rustls(Arc::new(own)),
        ServerConfig::default(),
    );
    for (alpn, selected) in [("['http/1.0']", "http/1.0"), ("['h2']", "None")] {
        assert_eq!(
            python_alpn(srv.port(), &certs.cert, alpn),
            format!("{selected} path=/alpn\n"),
            "{alpn}"
        );
    }
}

#[test]
fn curl_dash_0_is_served() {
    // `curl -0` offers ALPN `http/1.0` only.
    let certs = Certs::new("curl-0");
    let (_root, srv) = served_dir(&certs);
    let url = format!("https://localhost:{}/hello.txt", srv.port());
    let (ok, out, err) = curl(
        &certs,
        srv.port(),
        &["-0", "-v", "--max-time", "10", "-w", "\n%{http_code}", &url],
    );
    assert!(ok, "curl -0: {err}");
    assert_eq!(String::from_utf8_lossy(&out), "hello over TLS\n\n200");
    assert!(err.contains("ALPN: offers http/1.0"), "{err}");
    assert!(err.contains("> GET /hello.txt HTTP/1.0"), "{err}");
}

#[test]
fn a_client_offering_x25519mlkem768_negotiates_it() {
    // The local OpenSSL (3.0) has no ML-KEM, so rustls's own client offers
    // the groups: post-quantum first as browsers and curl 8.x do, only the
    // hybrid group, and a classic client.
    use rustls::NamedGroup;
    use rustls::crypto::aws_lc_rs::kx_group;
    let certs = Certs::new("pq");
    let srv = serve(&certs);
    let cases: [(&[&'static dyn rustls::crypto::SupportedKxGroup], NamedGroup); 3] = [
        (
            &[kx_group::X25519MLKEM768, kx_group::X25519],
            NamedGroup::X25519MLKEM768,
        ),
        (&[kx_group::X25519MLKEM768], NamedGroup::X25519MLKEM768),
        (&[kx_group::X25519, kx_group::SECP256R1], NamedGroup::X25519),
    ];
    for (groups, want) in cases {
        let mut provider = aws_lc_rs::default_provider();
        provider.kx_groups = groups.to_vec();
        let mut tls = certs.connect_with(srv.addr, certs.client_config_with(provider));
        tls.write_all(b"GET /pq HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(read_tls_response(&mut tls).body, b"path=/pq");
        let group = tls.conn.negotiated_key_exchange_group().map(|g| g.name());
        assert_eq!(group, Some(want));
        assert_eq!(
            tls.conn.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3)
        );
    }
}

/// Python's `ssl` client with the ALPN list `alpn` (a Python list literal):
/// prints the protocol the server selected and the response body.
fn python_alpn(port: u16, ca: &Path, alpn: &str) -> String {
    let script = format!(
        r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
alpn = {alpn}
if alpn:
    ctx.set_alpn_protocols(alpn)
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        selected = s.selected_alpn_protocol()
        s.sendall(b"GET /alpn HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
print(selected, data.split(b"\r\n\r\n", 1)[1].decode())
"#
    );
    let (ok, out, err) = run(Command::new("python3")
        .args(["-c", &script, &port.to_string()])
        .arg(ca));
    assert!(ok, "python ({alpn}): {err}");
    String::from_utf8(out).unwrap()
}

#[test]
fn the_worker_reads_after_a_fill_that_took_only_part_of_a_record() {
    // A head split across TLS records and TCP segments: the poller buffers
    // the first part, the rest completes it.
    let certs = Certs::new("split");
    let srv = serve(&certs);
    let mut tls = certs.connect(srv.addr);
    tls.write_all(b"GET /split HTTP/1.1\r\n").unwrap();
    tls.flush().unwrap();
    tls.write_all(b"Host: x\r\n\r\n").unwrap();
    tls.flush().unwrap();
    assert_eq!(read_tls_response(&mut tls).body, b"path=/split");
}

#[test]
fn a_cgi_script_reads_and_writes_through_tls_at_the_same_time() {
    // The CGI feeder thread reads the body from `rfile` while the response
    // is written to `wfile`: both halves share one TLS session.
    use std::os::unix::fs::PermissionsExt;
    let certs = Certs::new("cgi");
    let root = TempDir::new("tls-cgi");
    let script = root.write(
        "cgi-bin/echo.sh",
        "#!/bin/sh\nprintf 'Content-type: application/octet-stream\\r\\n\\r\\n'\nhead -c \"$CONTENT_LENGTH\"\n",
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.path().to_path_buf();
    let srv = spawn_https_with(
        move || basehttp::handlers::CgiHttpRequestHandler::new(dir.clone()),
        certs.config(),
        ServerConfig::default(),
    );
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
    let mut tls = certs.connect(srv.addr);
    tls.write_all(
        format!(
            "POST /cgi-bin/echo.sh HTTP/1.0\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    tls.write_all(&body).unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    let resp = parse(&out);
    assert_eq!(resp.status_line, "HTTP/1.0 200 Script output follows");
    assert!(
        resp.body == body,
        "{} of {} bytes",
        resp.body.len(),
        body.len()
    );
}

#[test]
fn over_the_connection_cap_a_tls_connection_is_closed_at_once() {
    let certs = Certs::new("cap");
    let mut config = ServerConfig::default();
    config.max_connections = 1;
    let srv = spawn_https_with(|| Echo, certs.config(), config);
    let mut first = certs.connect(srv.addr);
    first.write_all(b"GET /first HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_tls_response(&mut first).body, b"path=/first");
    // The first connection is still open: the second is over the cap.
    let mut second = connect(srv.addr);
    // (The server may have closed already: a failed write is fine.)
    let _ = second.write_all(&certs.client_hello());
    assert_eq!(read_to_close(&mut second), b"");
    // The first one still works.
    first.write_all(b"GET /again HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_tls_response(&mut first).body, b"path=/again");
}

#[test]
fn slow_readers_of_a_file_over_tls_cost_no_thread() {
    // Two threads at most: if a reader that stopped reading held one, the
    // normal client below would never be answered.
    let certs = Certs::new("slow-readers");
    let root = TempDir::new("tls-slow");
    let big: Vec<u8> = (0..4_000_000u32).map(|i| (i % 249) as u8).collect();
    root.write("big.bin", &big);
    root.write("small.txt", "small\n");
    let files = SimpleHttpRequestHandler::new(root.path()).with_protocol_version("HTTP/1.1");
    let mut config = ServerConfig::default();
    config.workers = 2;
    config.max_threads = 2;
    let srv = spawn_https_with(move || files.clone(), certs.config(), config);
    let mut readers: Vec<_> = (0..6)
        .map(|_| {
            let mut tls = certs.connect(srv.addr);
            tls.write_all(b"GET /big.bin HTTP/1.1\r\n\r\n").unwrap();
            tls.flush().unwrap();
            tls
        })
        .collect();
    for _ in 0..3 {
        let mut tls = certs.connect(srv.addr);
        tls.write_all(b"GET /small.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(read_tls_response(&mut tls).body, b"small\n");
    }
    for tls in &mut readers {
        let r = read_tls_response(tls);
        assert_eq!(r.status, 200);
        assert!(r.body == big, "body differs ({} bytes)", r.body.len());
        // The connection goes on after the engine finished the send.
        tls.write_all(b"GET /small.txt HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(read_tls_response(tls).body, b"small\n");
    }
}

/// Logs the failures it is given, and panics on a TLS failure's line.
struct PanickyLog;

#[http_handler(protocol_version = "HTTP/1.1")]
impl PanickyLog {
    fn log_message(req: &Request, message: &str) {
        capture_log(req, message);
        if message.contains("TLS handshake failed") {
            panic!("log_message cannot take it");
        }
    }
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        reply(req, b"fine")
    }
}

#[test]
fn a_panicking_log_message_on_the_tls_failure_path_ends_only_that_connection() {
    let certs = Certs::new("panicky-log");
    let srv = spawn_https_with(|| PanickyLog, certs.config(), ServerConfig::default());
    for _ in 0..3 {
        let out = send_and_read(srv.addr, b"GET / HTTP/1.1\r\n\r\n");
        assert!(out.is_empty());
    }
    assert!(wait_for_log(
        srv.port(),
        "plain HTTP request sent to the HTTPS port",
        Duration::from_secs(5)
    ));
    let mut tls = certs.connect(srv.addr);
    tls.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_tls_response(&mut tls).body, b"fine");
    assert_eq!(srv.port(), srv.addr.port());
}
