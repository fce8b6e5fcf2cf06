//! HTTP Basic authentication for the stock handlers (`--auth`; RFC 7617),
//! beyond CPython, which has none. The peers' forms: `USER:PASSWORD`, or
//! `USER:sha256:HEX` with the password's SHA-256 (miniserve's `--auth`
//! spellings). Checked in constant time: the user name and the password
//! are both hashed, for unknown users too, and every configured user is
//! compared without stopping early, so the time taken says nothing about
//! which part was wrong.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::request::Request;

type Hash = [u8; 32];

fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &Hash, b: &Hash) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who may in: users and their passwords, kept as SHA-256 hashes.
///
/// ```
/// use basehttp::handlers::BasicAuth;
///
/// let auth = BasicAuth::parse("alice:s3cret")?.writes_only(true);
/// assert!(auth.is_writes_only());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Default)]
pub struct BasicAuth {
    users: Vec<(Hash, Hash)>,
    writes_only: bool,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.users.len())
            .field("writes_only", &self.writes_only)
            .finish()
    }
}

impl BasicAuth {
    /// Lets `user` in with `password`.
    #[must_use]
    pub fn user(mut self, user: &str, password: &str) -> Self {
        self.users
            .push((sha256(user.as_bytes()), sha256(password.as_bytes())));
        self
    }

    /// A user from the command line's form: `USER:PASSWORD`, or
    /// `USER:sha256:HEX` (64 hex digits: `printf %s PASSWORD | sha256sum`).
    ///
    /// # Errors
    /// A message saying what is wrong with `spec`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        BasicAuth::default().and(spec)
    }

    /// [`parse`](Self::parse), adding to the users already there.
    ///
    /// # Errors
    /// A message saying what is wrong with `spec`.
    pub fn and(mut self, spec: &str) -> Result<Self, String> {
        let Some((user, secret)) = spec.split_once(':') else {
            return Err(format!("expected USER:PASSWORD, got {spec:?}"));
        };
        if user.is_empty() {
            return Err("the user name is empty".to_owned());
        }
        let hash = match secret.strip_prefix("sha256:") {
            Some(hex) => parse_hex(hex)
                .ok_or_else(|| format!("expected 64 hex digits after sha256:, got {hex:?}"))?,
            None => sha256(secret.as_bytes()),
        };
        self.users.push((sha256(user.as_bytes()), hash));
        Ok(self)
    }

    /// Asks for credentials for requests that change files only (`PUT`,
    /// `POST`, `DELETE`): reading stays open.
    #[must_use]
    pub fn writes_only(mut self, on: bool) -> Self {
        self.writes_only = on;
        self
    }

    /// Whether only writes ask for credentials.
    pub fn is_writes_only(&self) -> bool {
        self.writes_only
    }

    /// Whether `method` needs credentials.
    pub(crate) fn guards(&self, method: &str) -> bool {
        // A CORS preflight carries no credentials (Fetch standard).
        method != "OPTIONS" && (!self.writes_only || !matches!(method, "GET" | "HEAD"))
    }

    /// Whether `authorization` (the header's value) names a user with the
    /// right password.
    pub(crate) fn admits(&self, authorization: Option<&str>) -> bool {
        let (user, password) = authorization
            .and_then(basic_credentials)
            .unwrap_or_default();
        // Hashed whatever came, so that an unknown user or a missing
        // header takes the time a wrong password takes.
        let (user, password) = (sha256(user.as_bytes()), sha256(password.as_bytes()));
        let mut ok = false;
        for (u, p) in &self.users {
            ok |= same(u, &user) & same(p, &password);
        }
        ok && authorization.is_some()
    }
}

/// `Basic <base64(user:password)>` (RFC 7617 §2), decoded.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = decode_base64(token.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Standard base64 with padding (RFC 4648 §4), as browsers send it.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    Some(out)
}

fn parse_hex(hex: &str) -> Option<Hash> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// `401 Unauthorized` with the challenge (RFC 7617 §2); the page is the
/// class's error page.
///
/// # Errors
/// I/O errors writing the response.
pub(crate) fn send_challenge(req: &mut Request) -> std::io::Result<()> {
    req.send_error_with_headers(
        401,
        None,
        &[(
            "WWW-Authenticate",
            "Basic realm=\"basehttp\", charset=\"UTF-8\"",
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_pass: &str) -> String {
        // `printf %s user:pass | base64`, for the users below.
        match user_pass {
            "alice:s3cret" => "Basic YWxpY2U6czNjcmV0".to_owned(),
            "alice:wrong" => "Basic YWxpY2U6d3Jvbmc=".to_owned(),
            "bob:s3cret" => "Basic Ym9iOnMzY3JldA==".to_owned(),
            "alice:" => "Basic YWxpY2U6".to_owned(),
            other => panic!("no fixture for {other}"),
        }
    }

    #[test]
    fn the_right_user_and_password_only() {
        let auth = BasicAuth::parse("alice:s3cret").unwrap();
        assert!(auth.admits(Some(&header("alice:s3cret"))));
        assert!(
            auth.admits(Some("basic  YWxpY2U6czNjcmV0 ")),
            "scheme is case-blind"
        );
        assert!(!auth.admits(Some(&header("alice:wrong"))));
        assert!(!auth.admits(Some(&header("bob:s3cret"))));
        assert!(!auth.admits(Some(&header("alice:"))));
        assert!(!auth.admits(None));
        for bad in [
            "Bearer YWxpY2U6czNjcmV0",
            "Basic",
            "Basic YWxpY2U6czNjcmV0=",
            "Basic YWxp=2U6",
            "Basic !!!!",
            "Basic YWxpY2U", // no colon inside
        ] {
            assert!(!auth.admits(Some(bad)), "{bad}");
        }
    }

    #[test]
    fn hashed_passwords_and_several_users() {
        // printf %s s3cret | sha256sum
        let hashed = "alice:sha256:b1b3773a05c0ed0176787a4f1574ff0075f7521e";
        assert!(BasicAuth::parse(hashed).is_err(), "too short");
        let hex = "3c3f2fd5dbcfc2ee43dd29c4b6c2fa7f3ea84c3d6e7b3a63a1edd9ad1b9a1b5c";
        let auth = BasicAuth::parse(&format!("bob:sha256:{hex}")).unwrap();
        assert!(!auth.admits(Some(&header("bob:s3cret"))), "another hash");
        let real = format!("{:x}", Sha256::digest(b"s3cret"));
        let auth = BasicAuth::parse(&format!("bob:sha256:{real}"))
            .unwrap()
            .and("alice:s3cret")
            .unwrap();
        assert!(auth.admits(Some(&header("bob:s3cret"))));
        assert!(auth.admits(Some(&header("alice:s3cret"))));
        assert!(BasicAuth::parse("nocolon").is_err());
        assert!(BasicAuth::parse(":pw").is_err());
        assert!(BasicAuth::parse("u:sha256:zz").is_err());
    }

    #[test]
    fn writes_only_guards_changes() {
        let auth = BasicAuth::parse("a:b").unwrap();
        assert!(auth.guards("GET") && auth.guards("POST") && !auth.guards("OPTIONS"));
        let auth = auth.writes_only(true);
        assert!(!auth.guards("GET") && !auth.guards("HEAD"));
        assert!(auth.guards("PUT") && auth.guards("POST") && auth.guards("DELETE"));
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert!(decode_base64("Zm9").is_none());
        assert!(decode_base64("Z===").is_none());
        assert!(decode_base64("Zg==Zm9v").is_none());
    }
}
