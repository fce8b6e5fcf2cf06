//! Loading a certificate chain and private key from PEM files into a rustls
//! `ServerConfig` (CPython `ssl.SSLContext.load_cert_chain`). Every failure
//! is an `io::Error` whose message names the file and the problem, so a bad
//! file stops the server at start-up, never at the first client.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::DEFAULT_ALPN;

/// Builds the server configuration: TLS 1.2 and 1.3 with the `ring`
/// provider's default suites, no client authentication, ALPN `http/1.1`.
pub(super) fn server_config(
    certfile: &Path,
    keyfile: &Path,
    password: Option<&str>,
) -> io::Result<rustls::ServerConfig> {
    let certs = certificates(certfile)?;
    let key = private_key(keyfile, password)?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
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

/// The first private key of `path`, decrypted with `password` if it is an
/// encrypted PKCS#8 key.
fn private_key(path: &Path, password: Option<&str>) -> io::Result<PrivateKeyDer<'static>> {
    let pem = read(path, "key")?;
    let text = String::from_utf8_lossy(&pem);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(invalid(format!(
            "the TLS key in {} uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED), \
             which is not supported; convert it to encrypted PKCS#8 with \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`",
            quoted(path)
        )));
    }
    if let Some(block) = pem_block(&text, "ENCRYPTED PRIVATE KEY") {
        let Some(password) = password else {
            return Err(invalid(format!(
                "the TLS key in {} is encrypted: a password is needed",
                quoted(path)
            )));
        };
        return decrypt_pkcs8(path, block, password);
    }
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(key) => Ok(key),
        Err(rustls::pki_types::pem::Error::NoItemsFound) => Err(invalid(format!(
            "no private key in {} (expected a PEM 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY', \
             'BEGIN EC PRIVATE KEY' or 'BEGIN ENCRYPTED PRIVATE KEY' block)",
            quoted(path)
        ))),
        Err(e) => Err(invalid(format!("bad PEM in {}: {e}", quoted(path)))),
    }
}

/// The text of the first PEM block labelled `label`, BEGIN to END line.
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

fn decrypt_pkcs8(path: &Path, block: &str, password: &str) -> io::Result<PrivateKeyDer<'static>> {
    let bad = |what: String| invalid(format!("the TLS key in {}: {what}", quoted(path)));
    let (_, doc) = pkcs8::der::Document::from_pem(block)
        .map_err(|e| bad(format!("bad encrypted PKCS#8 PEM: {e}")))?;
    if encryption_oid(doc.as_bytes()) != Some(pkcs8::pkcs5::pbes2::PBES2_OID) {
        return Err(bad(
            "encrypted with a legacy PKCS#5 v1.5 / PKCS#12 scheme, which is not supported; \
             re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
                .to_owned(),
        ));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
        .map_err(|e| bad(format!("bad encrypted PKCS#8 structure: {e}")))?;
    let secret = info.decrypt(password).map_err(|e| {
        bad(format!(
            "cannot decrypt: wrong password or an unsupported cipher ({e})"
        ))
    })?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        secret.as_bytes().to_vec(),
    )))
}

/// The encryption algorithm of an `EncryptedPrivateKeyInfo` (RFC 5958 §3),
/// read without interpreting its parameters.
fn encryption_oid(der: &[u8]) -> Option<pkcs8::ObjectIdentifier> {
    use pkcs8::der::{Decode, Reader, SliceReader, asn1::OctetStringRef};
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|r| {
            let algorithm = pkcs8::AlgorithmIdentifierRef::decode(r)?;
            OctetStringRef::decode(r)?;
            Ok(algorithm.oid)
        })
        .ok()
}
