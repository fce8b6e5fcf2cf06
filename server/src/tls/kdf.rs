//! The two legacy password-to-key derivations OpenSSL still applies when
//! CPython's `load_cert_chain(password=...)` reads an encrypted key, and
//! which no maintained RustCrypto crate offers without a large dependency
//! tree (`pkcs12` brings `cms` and `x509-cert` for a 30-line function):
//!
//! * [`pkcs12`]: the PKCS#12 KDF (RFC 7292 Appendix B.2) behind the
//!   `pbeWithSHAAnd3-KeyTripleDES-CBC` scheme that `openssl pkcs8 -topk8
//!   -v1 PBE-SHA1-3DES` writes (and OpenSSL 1.x's `pkcs8 -topk8` default);
//! * [`evp_bytes_to_key`]: OpenSSL's `EVP_BytesToKey` with MD5 and one
//!   round, the key of the legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`,
//!   `DEK-Info`) that `openssl rsa -aes256 -traditional` writes.
//!
//! The hash functions are RustCrypto's (`sha1`, `md-5`); only the glue that
//! the two standards define is here, checked against keys the `openssl`
//! command writes (tests/tls.rs) and the vectors below.

use md5::{Digest, Md5};
use sha1::Sha1;

/// What the PKCS#12 KDF derives (RFC 7292 B.3 "ID" byte).
#[derive(Clone, Copy)]
pub(super) enum Purpose {
    /// The cipher key (ID 1).
    Key = 1,
    /// The CBC initialisation vector (ID 2).
    Iv = 2,
}

/// SHA-1's block size in bytes (RFC 7292 B.2: `v`).
const SHA1_BLOCK: usize = 64;

/// The PKCS#12 KDF with SHA-1 (RFC 7292 Appendix B.2): `len` bytes for
/// `purpose` from `password` (as OpenSSL's `PKCS12_key_gen_utf8`: UTF-16BE
/// with a two-byte terminator), `salt` and `iterations` rounds.
pub(super) fn pkcs12(
    password: &str,
    salt: &[u8],
    iterations: u32,
    purpose: Purpose,
    len: usize,
) -> Vec<u8> {
    let v = SHA1_BLOCK;
    let bmp: Vec<u8> = password
        .encode_utf16()
        .chain([0])
        .flat_map(u16::to_be_bytes)
        .collect();
    // I = S || P, each the input repeated to a multiple of v bytes.
    let repeat = |input: &[u8]| -> Vec<u8> {
        let n = input.len().div_ceil(v) * v;
        input.iter().copied().cycle().take(n).collect()
    };
    let mut i = repeat(salt);
    i.extend(repeat(&bmp));
    let d = [purpose as u8; SHA1_BLOCK];
    let mut out = Vec::with_capacity(len);
    loop {
        let mut a = Sha1::new().chain_update(d).chain_update(&i).finalize();
        for _ in 1..iterations {
            a = Sha1::digest(a);
        }
        let take = (len - out.len()).min(a.len());
        out.extend_from_slice(&a[..take]);
        if out.len() == len {
            return out;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for block in i.chunks_exact_mut(v) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().zip(&b).rev() {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum as u8;
                carry = sum >> 8;
            }
        }
    }
}

/// OpenSSL's `EVP_BytesToKey(cipher, EVP_md5(), salt, password, count=1)`:
/// `D_i = MD5(D_{i-1} || password || salt)`, concatenated to `len` bytes.
/// `PEM_do_header` uses the first 8 bytes of the `DEK-Info` IV as the salt.
pub(super) fn evp_bytes_to_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut previous: Option<md5::digest::Output<Md5>> = None;
    while out.len() < len {
        let mut md = Md5::new();
        if let Some(p) = &previous {
            md.update(p);
        }
        md.update(password);
        md.update(salt);
        let d = md.finalize();
        let take = (len - out.len()).min(d.len());
        out.extend_from_slice(&d[..take]);
        previous = Some(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pkcs12_kdf_matches_known_vectors() {
        // BouncyCastle's PKCS12Test vectors (SHA-1, password "smeg"), which
        // `openssl kdf ... PKCS12KDF` gives too.
        let salt = [0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f];
        let cases: [(Purpose, usize, &str); 2] = [
            (
                Purpose::Key,
                24,
                "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3",
            ),
            (Purpose::Iv, 8, "79993dfe048d3b76"),
        ];
        for (purpose, len, want) in cases {
            assert_eq!(hex(&pkcs12("smeg", &salt, 1, purpose, len)), want);
        }
        // 1000 rounds and a salt of its own (same sources).
        let salt = [0x16, 0x82, 0xc0, 0xfc, 0x5b, 0x3f, 0x7e, 0xc5];
        assert_eq!(
            hex(&pkcs12("queeg", &salt, 1000, Purpose::Key, 24)),
            "483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f"
        );
    }

    #[test]
    fn pkcs12_kdf_takes_the_password_as_utf16_over_several_blocks() {
        // `openssl kdf -keylen 40 -kdfopt digest:SHA1 -kdfopt hexpass:<UTF-16BE
        // of "é€😀" + 0000> -kdfopt hexsalt:01020304 -kdfopt iter:3 -kdfopt id:1
        // PKCS12KDF` (a surrogate pair; two SHA-1 blocks of output).
        assert_eq!(
            hex(&pkcs12("é€😀", &[1, 2, 3, 4], 3, Purpose::Key, 40)),
            "da71d76bbdc02ee91a987f9748ef284b0317c9393043819c10402f2eb90564e6f648977388763a7c"
        );
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl_enc() {
        // `openssl enc -aes-256-cbc -md md5 -P -S 0102030405060708
        // -pass pass:secret` prints this key and IV (48 bytes: 3 MD5 rounds).
        assert_eq!(
            hex(&evp_bytes_to_key(b"secret", &[1, 2, 3, 4, 5, 6, 7, 8], 48)),
            "c9e5a1bd216dbe1317e230cef48f38ee7f0e17ad64022144bccec4a1aa2879ab\
             e24b32bbbc4ef02ecbcb6576523ad893"
        );
    }
}
