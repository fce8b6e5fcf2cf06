//! Loading a certificate chain and private key from PEM files into a rustls
//! `ServerConfig` (CPython `ssl.SSLContext.load_cert_chain`). Every failure
//! is an `io::Error` whose message names the file and the problem, so a bad
//! file stops the server at start-up, never at the first client.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::DEFAULT_ALPN;
use super::encrypted::{self, KeyError};

/// Builds the server configuration: TLS 1.2 and 1.3 with the `aws-lc-rs`
/// provider's default suites and key exchange groups (X25519MLKEM768
/// first), no client authentication, ALPN `http/1.1`.
pub(super) fn server_config(
    certfile: &Path,
    keyfile: &Path,
    password: Option<&str>,
) -> io::Result<rustls::ServerConfig> {
    let certs = certificates(certfile)?;
    let key = private_key(keyfile, password)?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS configuration: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => invalid(format!(
                    "the TLS key in {} does not match the certificate in {}",
                    quoted(keyfile),
                    quoted(certfile)
                )),
                rustls::Error::InvalidCertificate(_) => invalid(format!(
                    "invalid TLS certificate in {}: {e}",
                    quoted(certfile)
                )),
                other => invalid(format!(
                    "cannot use the TLS key in {} with the certificate in {}: {other}",
                    quoted(keyfile),
                    quoted(certfile)
                )),
            })?;
    config.alpn_protocols = vec![DEFAULT_ALPN.to_vec()];
    Ok(config)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn read(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot read the TLS {what} file {}: {e}", quoted(path)),
        )
    })
}

/// The password in `path`, as CPython's `_main` reads `--tls-password-file`:
/// `open(path, encoding="utf-8").read().strip()` (text mode, so a `\r\n`
/// or lone `\r` inside reads as `\n`).
pub(super) fn password_file(path: &Path) -> io::Result<String> {
    let bytes = read(path, "password")?;
    let text = String::from_utf8(bytes).map_err(|_| {
        invalid(format!(
            "the TLS password file {} is not UTF-8 text",
            quoted(path)
        ))
    })?;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    Ok(crate::pystr::py_strip(&text).to_owned())
}

/// Every `CERTIFICATE` block of `path`, end-entity first.
fn certificates(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let pem = read(path, "certificate")?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("bad PEM in {}: {e}", quoted(path))))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "no certificate in {} (expected a PEM 'BEGIN CERTIFICATE' block)",
            quoted(path)
        )));
    }
    // Parse the end-entity certificate now: a corrupt one is a start-up
    // error, not a handshake failure with the first client.
    if let Err(e) = rustls::server::ParsedCertificate::try_from(&certs[0]) {
        return Err(invalid(format!(
            "invalid TLS certificate in {}: {e}",
            quoted(path)
        )));
    }
    Ok(certs)
}

/// The first private key of `path`, decrypted with `password` if it is
/// encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional key with
/// OpenSSL's `Proc-Type: 4,ENCRYPTED` header).
fn private_key(path: &Path, password: Option<&str>) -> io::Result<PrivateKeyDer<'static>> {
    let pem = read(path, "key")?;
    let text = String::from_utf8_lossy(&pem);
    let decrypted = match first_key_block(&text) {
        Some(("ENCRYPTED PRIVATE KEY", block)) => match pkcs8::der::Document::from_pem(block) {
            Ok((_, doc)) => encrypted::pkcs8(doc.as_bytes(), password),
            Err(e) => Err(KeyError::Malformed(format!(
                "bad encrypted PKCS#8 PEM: {e}"
            ))),
        },
        Some((_, block)) if block.contains("Proc-Type: 4,ENCRYPTED") => {
            encrypted::legacy_pem(block, password)
        }
        _ => return plain_private_key(path, &pem),
    };
    decrypted.map_err(|e| {
        let file = quoted(path);
        invalid(match e {
            KeyError::NeedsPassword => {
                format!("the TLS key in {file} is encrypted: a password is needed")
            }
            KeyError::WrongPassword => {
                format!("the TLS key in {file}: cannot decrypt: wrong password")
            }
            KeyError::Unsupported(scheme) => format!(
                "the TLS key in {file} is encrypted with {scheme}, which is not supported; \
                 convert it with `{CONVERT}`"
            ),
            KeyError::Malformed(what) => format!("the TLS key in {file}: {what}"),
        })
    })
}

/// The command that re-encrypts a key in a form every reader takes
/// (PKCS#8, PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC).
const CONVERT: &str = "openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW";

/// An unencrypted key, by rustls-pki-types's PEM parser.
fn plain_private_key(path: &Path, pem: &[u8]) -> io::Result<PrivateKeyDer<'static>> {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(rustls::pki_types::pem::Error::NoItemsFound) => Err(invalid(format!(
            "no private key in {} (expected a PEM 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY', \
             'BEGIN EC PRIVATE KEY' or 'BEGIN ENCRYPTED PRIVATE KEY' block)",
            quoted(path)
        ))),
        Err(e) => Err(invalid(format!("bad PEM in {}: {e}", quoted(path)))),
    }
}

/// The label and text (BEGIN to END line) of the first PEM block whose
/// label ends in `PRIVATE KEY`.
fn first_key_block(text: &str) -> Option<(&str, &str)> {
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = &rest[start + "-----BEGIN ".len()..];
        let label = &after[..after.find("-----")?];
        let end = format!("-----END {label}-----");
        let stop = after.find(&end).map(|i| i + end.len());
        if label.ends_with("PRIVATE KEY") {
            let len = "-----BEGIN ".len() + stop?;
            return Some((label, &rest[start..start + len]));
        }
        rest = &after[stop.unwrap_or(0)..];
    }
}
