//! Key-pair authentication: downstream signs the SQL API's JWTs itself from the user's private
//! key, so a long-running `serve` never holds an expired one.
//!
//! Snowflake accepts a key-pair JWT for at most one hour
//! (<https://docs.snowflake.com/en/developer-guide/sql-api/authenticating>). Its claims are
//! `iss = <ACCOUNT>.<USER>.SHA256:<fingerprint>`, `sub = <ACCOUNT>.<USER>`, `iat` and `exp`,
//! signed RS256; the fingerprint is the base64 SHA-256 of the public key's DER
//! (SubjectPublicKeyInfo), as `DESC USER` shows it in `RSA_PUBLIC_KEY_FP`.

use crate::RestError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use model::Secret;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use std::fmt;
use std::sync::Mutex;

/// A token lives 59 minutes (Snowflake's limit is one hour, and clocks drift)...
const LIFETIME_SECONDS: i64 = 59 * 60;
/// ...and is replaced once less than ten minutes of it remain, so a statement that polls for
/// a while never carries one that expires on the way.
const RENEW_BEFORE_SECONDS: i64 = 10 * 60;

/// Why a private key cannot sign.
#[derive(Debug, thiserror::Error)]
#[error("the Snowflake private key {0}")]
pub struct KeyError(String);

/// A user's key pair and the JWT it signed last. Not `Debug`-printable beyond names: it holds
/// the private key.
pub struct KeyPair {
    /// `ACCOUNT.USER`, the JWT's `sub`.
    subject: String,
    fingerprint: String,
    key: RsaKeyPair,
    signed: Mutex<Option<(Secret, i64)>>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("subject", &self.subject)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// The key of `user` in `account`, from an unencrypted PEM private key (PKCS#8 `BEGIN
    /// PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(account: &str, user: &str, pem: &Secret) -> Result<KeyPair, KeyError> {
        let block = pem::parse(pem.expose().trim())
            .map_err(|e| KeyError(format!("is not PEM ({e}): paste the whole key file")))?;
        let key = match block.tag() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(KeyError(
                    "is encrypted: decrypt it once with `openssl pkcs8 -in rsa_key.p8 -out \
                     rsa_key.pem` and give downstream the result (keep it as secret as the \
                     passphrase)"
                        .into(),
                ))
            }
            other => return Err(KeyError(format!("is a {other:?} block, not a private key"))),
        }
        .map_err(|e| KeyError(format!("is not an RSA key Snowflake accepts: {e}")))?;
        let fingerprint = fingerprint(key.public().as_ref());
        Ok(KeyPair {
            subject: format!("{}.{}", jwt_account(account), user.to_uppercase()),
            fingerprint,
            key,
            signed: Mutex::new(None),
        })
    }

    /// `SHA256:<base64>`, as Snowflake stores it for the user.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A JWT valid for a while yet: the last one, or a new one signed at `now` (seconds
    /// since the epoch).
    pub fn token(&self, now: i64) -> Result<Secret, RestError> {
        let mut signed = self.signed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, expires)) = signed.as_ref() {
            if now < expires - RENEW_BEFORE_SECONDS {
                return Ok(token.clone());
            }
        }
        let token = self.sign(now)?;
        *signed = Some((token.clone(), now + LIFETIME_SECONDS));
        Ok(token)
    }

    fn sign(&self, now: i64) -> Result<Secret, RestError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iss": format!("{}.{}", self.subject, self.fingerprint),
            "sub": self.subject,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let message = format!("{header}.{claims}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, message.as_bytes(), &mut signature)
            .map_err(|_| RestError::Malformed {
                call: "Snowflake key-pair sign-in".into(),
                detail: "the private key could not sign the token".into(),
            })?;
        Ok(Secret::new(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// The account as the JWT names it: upper case; an account locator without its region and
/// cloud (`xy12345.us-east-1.aws` → `XY12345`), and the organization form's `.` written `-`
/// (`acme.prod` → `ACME-PROD`), as Snowflake's key-pair documentation asks. A global URL's
/// `-` suffix (`acme-xy.global`) is left out, as the Snowflake connectors do.
fn jwt_account(account: &str) -> String {
    let account = account.trim();
    let account = account
        .strip_suffix(".snowflakecomputing.com")
        .unwrap_or(account);
    let account = match account.strip_suffix(".global") {
        Some(global) => global.split('-').next().unwrap_or(global),
        None => account.split('.').next().unwrap_or(account),
    };
    account.to_uppercase()
}

/// `SHA256:` and the base64 of the SHA-256 of the SubjectPublicKeyInfo DER that wraps
/// `rsa_public_key` (PKCS#1, which is what ring hands out).
fn fingerprint(rsa_public_key: &[u8]) -> String {
    let info = subject_public_key_info(rsa_public_key);
    let digest = ring::digest::digest(&ring::digest::SHA256, &info);
    format!("SHA256:{}", STANDARD.encode(digest.as_ref()))
}

/// `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 0 unused bits, key } }`.
fn subject_public_key_info(rsa_public_key: &[u8]) -> Vec<u8> {
    const RSA_ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0x00];
    bits.extend_from_slice(rsa_public_key);
    let mut body = RSA_ALGORITHM.to_vec();
    body.extend(der(0x03, &bits));
    der(0x30, &body)
}

/// One DER element: tag, definite length, contents.
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_written_as_the_jwt_wants() {
        assert_eq!(jwt_account("acme-xy12345"), "ACME-XY12345");
        assert_eq!(jwt_account("xy12345.us-east-1.aws"), "XY12345");
        assert_eq!(jwt_account("xy12345.us-east-1"), "XY12345");
        assert_eq!(jwt_account("acme-xy12345.global"), "ACME");
        assert_eq!(
            jwt_account("acme-xy12345.snowflakecomputing.com"),
            "ACME-XY12345"
        );
    }

    #[test]
    fn long_der_lengths_take_two_bytes() {
        assert_eq!(der(0x04, &[7; 3]), vec![0x04, 3, 7, 7, 7]);
        let long = der(0x04, &[0; 270]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x0e]);
        assert_eq!(long.len(), 274);
    }

    #[test]
    fn other_pem_blocks_are_refused_with_what_to_do() {
        let encrypted = Secret::new(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
        );
        let error = KeyPair::from_pem("acme", "hex", &encrypted).unwrap_err();
        assert!(error.to_string().contains("openssl pkcs8"), "{error}");
        let error = KeyPair::from_pem("acme", "hex", &Secret::new("not a key")).unwrap_err();
        assert!(error.to_string().contains("is not PEM"), "{error}");
    }
}
