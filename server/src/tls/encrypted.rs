//! Password-encrypted private keys, read as CPython's
//! `load_cert_chain(certfile, keyfile, password)` reads them through OpenSSL
//! 3's `PEM_read_bio_PrivateKey` with its default provider:
//!
//! | what writes it | format | here |
//! | --- | --- | --- |
//! | `openssl pkcs8 -topk8 [-v2 aes-256-cbc]`, `genpkey -aes256`, `rsa -aes256` | PKCS#8 PBES2: PBKDF2 (HMAC-SHA-1/-224/-256/-384/-512) or scrypt, AES-128/192/256-CBC | RustCrypto `pkcs5` |
//! | `openssl req -newkey ... -passout`, `pkcs8 -topk8 -v2 des3`, `rsa -des3` | PKCS#8 PBES2 with DES-EDE3-CBC | `pkcs5` (`3des` feature) |
//! | `openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES` (OpenSSL 1.x's default), `PBE-SHA1-2DES` | PKCS#8 with a PKCS#12 scheme | [`kdf::pkcs12`] + `des` + `cbc` |
//! | `openssl rsa -aes256 -traditional`, `ec -aes256`, `genrsa -aes256 -traditional` | legacy PEM: `Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-256-CBC,<iv>` (also AES-128/192, DES-EDE3) | [`kdf::evp_bytes_to_key`] + `aes`/`des` + `cbc` |
//!
//! What OpenSSL 3 reads only with its legacy provider (single DES, RC2, RC4,
//! PBES1) and the rarer ciphers (Camellia, ARIA) are refused with the
//! command that converts the key.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use pkcs8::der::asn1::{AnyRef, OctetStringRef};
use pkcs8::der::{Decode, Reader, SliceReader, Tag, Tagged};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

use super::kdf;

/// Why an encrypted key was not decrypted.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeyError {
    /// It is encrypted and no password was given.
    NeedsPassword,
    /// The password does not decrypt it (bad padding or not a key after).
    WrongPassword,
    /// Encrypted with a scheme not read here, named for the message.
    Unsupported(String),
    /// Not a well-formed key of its kind.
    Malformed(String),
}

/// `pbeWithSHAAnd3-KeyTripleDES-CBC` (RFC 7292 Appendix C).
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
/// `pbeWithSHAAnd2-KeyTripleDES-CBC` (RFC 7292 Appendix C).
const PBE_SHA1_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
/// The arc of the PKCS#12 schemes; the others use RC2 or RC4.
const PKCS12_PBE_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1");
/// The arc of PKCS#5 v1.5 (PBES1) schemes (DES or RC2 with MD2/MD5/SHA-1).
const PKCS5_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5");

/// `des-ede3-cbc` (RFC 8018 Appendix B.2.2).
const DES_EDE3_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");

/// The name OpenSSL gives an algorithm this module does not read, for the
/// error message, with its OID.
fn algorithm_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.3.14.3.2.7" => "DES-CBC",
        "1.2.840.113549.3.2" => "RC2-CBC",
        "1.2.392.200011.61.1.1.1.2" => "CAMELLIA-128-CBC",
        "1.2.392.200011.61.1.1.1.3" => "CAMELLIA-192-CBC",
        "1.2.392.200011.61.1.1.1.4" => "CAMELLIA-256-CBC",
        "1.2.410.200046.1.1.2" => "ARIA-128-CBC",
        "1.2.410.200046.1.1.7" => "ARIA-192-CBC",
        "1.2.410.200046.1.1.12" => "ARIA-256-CBC",
        "1.2.156.10197.1.104.2" => "SM4-CBC",
        _ => return format!("the algorithm {oid}"),
    };
    format!("{name} ({oid})")
}

/// The DER of a PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958 §3), decrypted.
pub(super) fn pkcs8(
    der: &[u8],
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, KeyError> {
    let (algorithm, data) =
        encrypted_private_key_info(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
    let oid = algorithm.oid;
    let plain = if oid == pkcs8::pkcs5::pbes2::PBES2_OID {
        pbes2(algorithm, data, password)?
    } else if oid == PBE_SHA1_3DES || oid == PBE_SHA1_2DES {
        pkcs12_pbe(algorithm, data, password)?
    } else if oid.parent() == Some(PKCS12_PBE_ARC) {
        return Err(KeyError::Unsupported(format!(
            "a PKCS#12 RC2/RC4 scheme ({oid})"
        )));
    } else if oid.parent() == Some(PKCS5_ARC) {
        return Err(KeyError::Unsupported(format!(
            "a PKCS#5 v1.5 (PBES1) scheme ({oid})"
        )));
    } else {
        return Err(KeyError::Unsupported(algorithm_name(oid)));
    };
    // A wrong password passes the padding check once in ~256 tries: the
    // plaintext must also be a key.
    if pkcs8::PrivateKeyInfo::try_from(plain.as_slice()).is_err() {
        return Err(KeyError::WrongPassword);
    }
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain)))
}

/// `SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }`.
fn encrypted_private_key_info(
    der: &[u8],
) -> Result<(AlgorithmIdentifierRef<'_>, &[u8]), pkcs8::der::Error> {
    let mut reader = SliceReader::new(der)?;
    let parts = reader.sequence(|r| {
        let algorithm = AlgorithmIdentifierRef::decode(r)?;
        let data = OctetStringRef::decode(r)?;
        Ok((algorithm, data.as_bytes()))
    })?;
    reader.finish(parts)
}

/// PBES2 (RFC 8018 §6.2), by RustCrypto's `pkcs5`.
fn pbes2(
    algorithm: AlgorithmIdentifierRef<'_>,
    data: &[u8],
    password: Option<&str>,
) -> Result<Vec<u8>, KeyError> {
    use pkcs8::pkcs5::{Error, pbes2::Parameters};
    let params = algorithm
        .parameters
        .ok_or_else(|| KeyError::Malformed("PBES2 without parameters".to_owned()))?;
    // `pkcs5` slices a DES IV to 8 bytes without checking its length first.
    let cipher = params
        .sequence(|r| {
            AlgorithmIdentifierRef::decode(r)?;
            let cipher = AlgorithmIdentifierRef::decode(r)?;
            let iv = cipher
                .parameters
                .map(|p| p.decode_as::<OctetStringRef<'_>>());
            Ok((cipher.oid, iv.transpose()?.map(|iv| iv.as_bytes().len())))
        })
        .map_err(|e| KeyError::Malformed(format!("PBES2 parameters: {e}")))?;
    if cipher.0 == DES_EDE3_CBC && cipher.1 != Some(8) {
        return Err(KeyError::Malformed(
            "PBES2 with a DES-EDE3-CBC IV that is not 8 bytes".to_owned(),
        ));
    }
    let params = Parameters::try_from(params).map_err(|e| match e.kind() {
        pkcs8::der::ErrorKind::OidUnknown { oid } => {
            KeyError::Unsupported(format!("PBES2 with {}", algorithm_name(oid)))
        }
        _ => KeyError::Malformed(format!("PBES2 parameters: {e}")),
    })?;
    let password = password.ok_or(KeyError::NeedsPassword)?;
    params.decrypt(password, data).map_err(|e| match e {
        // pkcs5 0.7.1 reports bad padding after decryption as `EncryptFailed`.
        Error::DecryptFailed | Error::EncryptFailed => KeyError::WrongPassword,
        Error::UnsupportedAlgorithm { oid } => {
            KeyError::Unsupported(format!("PBES2 with {}", algorithm_name(oid)))
        }
        other => KeyError::Malformed(other.to_string()),
    })
}

/// The PKCS#12 3DES schemes (RFC 7292 Appendix C): parameters
/// `SEQUENCE { salt OCTET STRING, iterations INTEGER }`, key and IV from
/// the PKCS#12 KDF with SHA-1.
fn pkcs12_pbe(
    algorithm: AlgorithmIdentifierRef<'_>,
    data: &[u8],
    password: Option<&str>,
) -> Result<Vec<u8>, KeyError> {
    let malformed = |e: pkcs8::der::Error| KeyError::Malformed(format!("PKCS#12 parameters: {e}"));
    let params = algorithm
        .parameters
        .ok_or_else(|| KeyError::Malformed("PKCS#12 scheme without parameters".to_owned()))?;
    let (salt, iterations) = params
        .sequence(|r| {
            let salt = OctetStringRef::decode(r)?;
            let iterations = u32::decode(r)?;
            Ok((salt.as_bytes(), iterations))
        })
        .map_err(malformed)?;
    let password = password.ok_or(KeyError::NeedsPassword)?;
    let three_key = algorithm.oid == PBE_SHA1_3DES;
    let key_len = if three_key { 24 } else { 16 };
    let key = kdf::pkcs12(password, salt, iterations, kdf::Purpose::Key, key_len);
    let iv = kdf::pkcs12(password, salt, iterations, kdf::Purpose::Iv, 8);
    if three_key {
        cbc_decrypt::<cbc::Decryptor<des::TdesEde3>>(&key, &iv, data)
    } else {
        cbc_decrypt::<cbc::Decryptor<des::TdesEde2>>(&key, &iv, data)
    }
}

/// OpenSSL's legacy PEM encryption (`PEM_do_header`): the PEM `block` of a
/// traditional key whose headers are `Proc-Type: 4,ENCRYPTED` and
/// `DEK-Info: <cipher>,<hex IV>`, the key from
/// [`kdf::evp_bytes_to_key`] with the IV's first 8 bytes as salt.
pub(super) fn legacy_pem(
    block: &str,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, KeyError> {
    let malformed = |what: &str| KeyError::Malformed(format!("legacy encrypted PEM: {what}"));
    let mut lines = block.lines().map(str::trim);
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| malformed("no BEGIN line"))?
        .to_owned();
    let mut dek_info = None;
    let mut body = String::new();
    let mut in_headers = true;
    for line in lines {
        if line.starts_with("-----END ") {
            break;
        }
        if in_headers {
            if line.is_empty() {
                in_headers = false;
            } else if let Some(value) = line.strip_prefix("DEK-Info:") {
                dek_info = Some(value.trim().to_owned());
            }
            continue;
        }
        body.push_str(line);
    }
    let dek_info = dek_info.ok_or_else(|| malformed("no DEK-Info header"))?;
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| malformed("a DEK-Info header without an IV"))?;
    let cipher = cipher.trim().to_ascii_uppercase();
    let (key_len, iv_len) = match cipher.as_str() {
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        "DES-EDE3-CBC" => (24, 8),
        other => {
            return Err(KeyError::Unsupported(format!(
                "OpenSSL's legacy PEM encryption with {other}"
            )));
        }
    };
    let iv = hex(iv_hex.trim()).filter(|iv| iv.len() == iv_len);
    let iv = iv.ok_or_else(|| malformed("a DEK-Info IV of the wrong length"))?;
    let data = <base64ct::Base64 as base64ct::Encoding>::decode_vec(&body)
        .map_err(|_| malformed("bad base64"))?;
    let password = password.ok_or(KeyError::NeedsPassword)?;
    let key = kdf::evp_bytes_to_key(password.as_bytes(), &iv[..8], key_len);
    let plain = match key_len {
        _ if iv_len == 8 => cbc_decrypt::<cbc::Decryptor<des::TdesEde3>>(&key, &iv, &data)?,
        16 => cbc_decrypt::<cbc::Decryptor<aes::Aes128>>(&key, &iv, &data)?,
        24 => cbc_decrypt::<cbc::Decryptor<aes::Aes192>>(&key, &iv, &data)?,
        _ => cbc_decrypt::<cbc::Decryptor<aes::Aes256>>(&key, &iv, &data)?,
    };
    // As for PKCS#8: a wrong password that passes the padding check leaves
    // bytes that are not one DER SEQUENCE.
    if !AnyRef::from_der(&plain).is_ok_and(|any| any.tag() == Tag::Sequence) {
        return Err(KeyError::WrongPassword);
    }
    match label.as_str() {
        "RSA PRIVATE KEY" => Ok(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(plain))),
        "EC PRIVATE KEY" => Ok(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(plain))),
        "PRIVATE KEY" => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain))),
        other => Err(KeyError::Malformed(format!(
            "a '{other}' block, which rustls cannot use"
        ))),
    }
}

/// CBC decryption with PKCS#7 padding; bad padding means a wrong key.
fn cbc_decrypt<D: KeyIvInit + BlockDecryptMut>(
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, KeyError> {
    let decryptor = D::new_from_slices(key, iv)
        .map_err(|_| KeyError::Malformed("a key or IV of the wrong length".to_owned()))?;
    let mut buf = data.to_vec();
    let len = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| KeyError::WrongPassword)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Hex digits to bytes (`DEK-Info`'s IV).
fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dek_info_ivs_are_hex() {
        let cases: [(&str, Option<&[u8]>); 5] = [
            ("0aFF", Some(&[0x0a, 0xff])),
            ("", Some(&[])),
            ("abc", None),
            ("zz", None),
            ("é1", None),
        ];
        for (text, want) in cases {
            assert_eq!(hex(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn a_legacy_pem_block_with_an_unknown_cipher_is_unsupported_before_any_password() {
        let block = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                     DEK-Info: CAMELLIA-256-CBC,00112233445566778899AABBCCDDEEFF\n\n\
                     AAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            legacy_pem(block, None),
            Err(KeyError::Unsupported(
                "OpenSSL's legacy PEM encryption with CAMELLIA-256-CBC".to_owned()
            ))
        );
    }

    #[test]
    fn a_des_ede3_iv_of_the_wrong_length_is_malformed_not_a_panic() {
        // EncryptedPrivateKeyInfo: PBES2 { PBKDF2 { salt AABB, 2048 },
        // des-ede3-cbc with a 4-byte IV }, 8 bytes of data. `pkcs5` alone
        // would slice the IV to 8 bytes and panic.
        let der: &[u8] = &[
            0x30, 0x42, // EncryptedPrivateKeyInfo
            0x30, 0x36, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05,
            0x0d, // PBES2
            0x30, 0x29, // PBES2-params
            0x30, 0x15, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05,
            0x0c, // PBKDF2
            0x30, 0x08, 0x04, 0x02, 0xaa, 0xbb, 0x02, 0x02, 0x08, 0x00, // salt, iterations
            0x30, 0x10, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03,
            0x07, // des-ede3-cbc
            0x04, 0x04, 0x01, 0x02, 0x03, 0x04, // the short IV
            0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, // encryptedData
        ];
        assert_eq!(
            pkcs8(der, Some("x")),
            Err(KeyError::Malformed(
                "PBES2 with a DES-EDE3-CBC IV that is not 8 bytes".to_owned()
            ))
        );
    }

    #[test]
    fn a_legacy_pem_block_without_dek_info_is_malformed() {
        let block = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n\
                     AAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(
            legacy_pem(block, Some("x")),
            Err(KeyError::Malformed(m)) if m.contains("no DEK-Info")
        ));
    }
}
