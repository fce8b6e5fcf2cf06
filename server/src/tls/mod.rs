//! HTTPS support (CPython 3.14's `HTTPSServer` `certfile`/`keyfile`/
//! `password` arguments and `ssl.create_default_context`), on rustls.
//!
//! * [`TlsConfig`]: the server's certificate chain and key, loaded from PEM
//!   files (optionally an encrypted key and its password or password file)
//!   or taken from the caller's own `rustls::ServerConfig`.
//! * `load`: reading and checking the PEM files, with errors that name the
//!   file and the problem; `encrypted` and `kdf`: the encrypted key forms
//!   OpenSSL 3 reads.
//! * `stream`: the TLS [`Transport`](crate::transport::Transport), driven
//!   without blocking by the engine while a request head comes in and while
//!   it sends what a response left unsent, and with blocking reads and
//!   writes while a request is served.
//!
//! The crypto provider is rustls's default, `aws-lc-rs`, for its
//! post-quantum key exchange (X25519MLKEM768, preferred; browsers and curl
//! offer it). rustls 0.23.48 deprecates `ring`'s provider for lacking it.
//! AWS-LC builds with the system C compiler (no cmake on x86-64 Linux);
//! docs/tls.md has the measured build times.

mod encrypted;
mod kdf;
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
/// // A password-encrypted key (`password=`).
/// let tls = TlsConfig::from_pem_files_with_password("cert.pem", "key.pem", "secret")?;
/// // The password in a file, as `python -m http.server --tls-password-file`.
/// let tls = TlsConfig::from_pem_files_with_password_file("cert.pem", "key.pem", "pw.txt")?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Accepted keys are those CPython's `load_cert_chain` reads with OpenSSL
/// 3's default provider: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 RSA (`BEGIN
/// RSA PRIVATE KEY`) and SEC1 EC (`BEGIN EC PRIVATE KEY`) keys, and with a
/// password:
/// * PKCS#8 encrypted with PBES2 (`BEGIN ENCRYPTED PRIVATE KEY`: PBKDF2 or
///   scrypt with AES-CBC or DES-EDE3-CBC), as `openssl pkcs8 -topk8`,
///   `openssl genpkey -aes256` and `openssl req -newkey ... -passout` write
///   it, or with the PKCS#12 3DES schemes (`-v1 PBE-SHA1-3DES`);
/// * OpenSSL's legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED`, from
///   `openssl rsa -aes256 -traditional` or `openssl ec -aes256`) with
///   AES-CBC or DES-EDE3-CBC.
///
/// Anything else encrypted (DES, RC2, RC4, PBES1, Camellia, ARIA, SM4) is
/// refused with a message giving the `openssl pkcs8 -topk8` command that
/// converts it.
///
/// ALPN: `http/1.1` is chosen when the client offers it. A client whose
/// list does not name it (`curl -0` offers only `http/1.0`) is served
/// without ALPN, as CPython (OpenSSL) does, rather than refused with
/// rustls's `no_application_protocol` alert.
#[derive(Clone)]
pub struct TlsConfig {
    rustls: Arc<rustls::ServerConfig>,
    /// `rustls` without ALPN, for a client whose ALPN list shares nothing
    /// with `rustls.alpn_protocols`; `None` when that list is empty.
    without_alpn: Option<Arc<rustls::ServerConfig>>,
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
    /// key with `password` (ignored for an unencrypted key, as OpenSSL
    /// does).
    ///
    /// # Errors
    /// As [`from_pem_files`](Self::from_pem_files), and a wrong password
    /// (`the TLS key in 'key.pem': cannot decrypt: wrong password`).
    pub fn from_pem_files_with_password(
        certfile: impl AsRef<Path>,
        keyfile: impl AsRef<Path>,
        password: &str,
    ) -> io::Result<Self> {
        Self::load(certfile.as_ref(), keyfile.as_ref(), Some(password))
    }

    /// As [`from_pem_files_with_password`](Self::from_pem_files_with_password),
    /// with the password read from `password_file` the way `python -m
    /// http.server --tls-password-file` reads it: UTF-8 text with its
    /// surrounding whitespace stripped (`f.read().strip()`, so the trailing
    /// newline of `echo secret > pw.txt` is not part of the password).
    ///
    /// # Errors
    /// As [`from_pem_files_with_password`](Self::from_pem_files_with_password),
    /// and a password file that cannot be read (its I/O error, with the
    /// file named) or is not UTF-8 (`InvalidData`). The password file is
    /// read first.
    pub fn from_pem_files_with_password_file(
        certfile: impl AsRef<Path>,
        keyfile: impl AsRef<Path>,
        password_file: impl AsRef<Path>,
    ) -> io::Result<Self> {
        let password = load::password_file(password_file.as_ref())?;
        Self::load(certfile.as_ref(), keyfile.as_ref(), Some(&password))
    }

    /// CPython's `load_cert_chain(certfile, keyfile, password)`.
    fn load(certfile: &Path, keyfile: &Path, password: Option<&str>) -> io::Result<Self> {
        let config = load::server_config(certfile, keyfile, password)?;
        Ok(Self::from_rustls(Arc::new(config)))
    }

    /// Uses the caller's own rustls configuration (its versions, cipher
    /// suites, certificate resolver, client authentication, ALPN list),
    /// with one change to rustls's behaviour: a client whose ALPN list
    /// shares nothing with a non-empty `alpn_protocols` is served without
    /// ALPN, as CPython's `HTTPSServer(alpn_protocols=...)` does, instead of
    /// being refused.
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        let without_alpn = (!config.alpn_protocols.is_empty()).then(|| {
            let mut plain = rustls::ServerConfig::clone(&config);
            plain.alpn_protocols.clear();
            Arc::new(plain)
        });
        TlsConfig {
            rustls: config,
            without_alpn,
        }
    }

    /// The rustls configuration every connection is made from.
    pub fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }

    /// Whether a connection must see the ClientHello before its
    /// configuration is chosen ([`for_client`](Self::for_client)).
    pub(crate) fn chooses_by_alpn(&self) -> bool {
        self.without_alpn.is_some()
    }

    /// The configuration for a client that offered `alpn` (`None`: no ALPN
    /// extension): ours, unless the client named protocols and none of
    /// them is ours. OpenSSL's ALPN callback in CPython answers
    /// `SSL_TLSEXT_ERR_NOACK` there and the handshake goes on without ALPN;
    /// RFC 7301 §3.2 lets a server do either.
    pub(crate) fn for_client<'a>(
        &self,
        alpn: Option<impl Iterator<Item = &'a [u8]>>,
    ) -> Arc<rustls::ServerConfig> {
        let ours = &self.rustls.alpn_protocols;
        if let (Some(without), Some(mut offered)) = (&self.without_alpn, alpn)
            && !offered.any(|p| ours.iter().any(|o| o.as_slice() == p))
        {
            return Arc::clone(without);
        }
        Arc::clone(&self.rustls)
    }
}

impl From<Arc<rustls::ServerConfig>> for TlsConfig {
    fn from(config: Arc<rustls::ServerConfig>) -> Self {
        Self::from_rustls(config)
    }
}
