//! HTTPS support (CPython 3.14's `HTTPSServer` `certfile`/`keyfile`/
//! `password` arguments and `ssl.create_default_context`), on rustls.
//!
//! * [`TlsConfig`]: the server's certificate chain and key, loaded from PEM
//!   files (optionally a password-encrypted PKCS#8 key) or taken from the
//!   caller's own `rustls::ServerConfig`.
//! * `load`: reading and checking the PEM files, with errors that name the
//!   file and the problem.
//! * `stream`: the TLS [`Transport`](crate::transport::Transport), driven
//!   without blocking by the engine while a request head comes in, and with
//!   blocking reads and writes while a request is served.
//!
//! The crypto provider is `ring`, not rustls's default `aws-lc-rs`: ring
//! builds from a small amount of C and assembly with the system C compiler
//! in seconds, while aws-lc-rs compiles the AWS-LC C library (with cmake on
//! some targets), which takes minutes on a 2-core machine. Both offer the
//! same protocol versions and cipher suites that matter here.

mod load;
mod stream;

use std::io;
use std::path::Path;
use std::sync::Arc;

pub(crate) use stream::TlsStream;

/// ALPN protocol offered by default, as CPython's `HTTPSServer` does
/// (`alpn_protocols=["http/1.1"]`).
pub(crate) const DEFAULT_ALPN: &[u8] = b"http/1.1";

/// The TLS settings of an [`HttpsServer`](crate::HttpsServer): a rustls
/// server configuration, shared by every connection.
///
/// ```no_run
/// use basehttp::TlsConfig;
///
/// // Certificate chain and key in two PEM files (CPython's `certfile`, `keyfile`).
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// // A password-encrypted PKCS#8 key (`password=`).
/// let tls = TlsConfig::from_pem_files_with_password("cert.pem", "key.pem", "secret")?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Accepted keys: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#8 encrypted with
/// PBES2 (`BEGIN ENCRYPTED PRIVATE KEY`, as `openssl pkcs8 -topk8` writes
/// it: PBKDF2 or scrypt with AES-CBC), PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`)
/// and SEC1 EC (`BEGIN EC PRIVATE KEY`) keys. Refused with a message saying
/// how to convert: OpenSSL's legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED`
/// headers, `openssl genrsa -aes256 -traditional`) and PKCS#8 encrypted with
/// the legacy PBES1 or 3DES schemes.
#[derive(Clone)]
pub struct TlsConfig {
    rustls: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &self.rustls.alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Loads the certificate chain from `certfile` and the private key from
    /// `keyfile` (both PEM; they may be the same file). TLS 1.2 and 1.3,
    /// ALPN `http/1.1`.
    ///
    /// # Errors
    /// `InvalidData` (or the I/O error) with a message naming the file and
    /// the problem: unreadable file, no certificate, no key, an encrypted
    /// key (a password is needed), a refused key format, or a key that does
    /// not match the certificate.
    pub fn from_pem_files(
        certfile: impl AsRef<Path>,
        keyfile: impl AsRef<Path>,
    ) -> io::Result<Self> {
        Self::load(certfile.as_ref(), keyfile.as_ref(), None)
    }

    /// As [`from_pem_files`](Self::from_pem_files), decrypting an encrypted
    /// PKCS#8 key with `password` (ignored for an unencrypted key, as
    /// OpenSSL does).
    ///
    /// # Errors
    /// As [`from_pem_files`](Self::from_pem_files), and a wrong password.
    pub fn from_pem_files_with_password(
        certfile: impl AsRef<Path>,
        keyfile: impl AsRef<Path>,
        password: &str,
    ) -> io::Result<Self> {
        Self::load(certfile.as_ref(), keyfile.as_ref(), Some(password))
    }

    /// CPython's `load_cert_chain(certfile, keyfile, password)`.
    fn load(certfile: &Path, keyfile: &Path, password: Option<&str>) -> io::Result<Self> {
        let config = load::server_config(certfile, keyfile, password)?;
        Ok(TlsConfig {
            rustls: Arc::new(config),
        })
    }

    /// Uses the caller's own rustls configuration as it is (its ALPN list,
    /// versions, certificate resolver, client authentication).
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        TlsConfig { rustls: config }
    }

    /// The rustls configuration every connection is made from.
    pub fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }
}

impl From<Arc<rustls::ServerConfig>> for TlsConfig {
    fn from(config: Arc<rustls::ServerConfig>) -> Self {
        Self::from_rustls(config)
    }
}
