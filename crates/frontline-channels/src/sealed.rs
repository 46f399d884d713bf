//! Channel secrets (Avito client secrets, webhook secrets, refresh tokens) are stored encrypted with a
//! server key: a copy of the database alone does not give them away.
//!
//! ChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`) with a random 96-bit nonce per value; the text
//! form is `v1:` + base64(nonce ‖ ciphertext ‖ tag). The account id is bound as associated data, so a
//! sealed value copied onto another account does not open.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use rand::RngCore;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the server key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("sealed value is malformed")]
    Malformed,
    /// Wrong key, another account's value, or tampering.
    #[error("sealed value does not open with this server key")]
    WrongKey,
}

/// Seals and opens secrets with the server key.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(key.into()),
        }
    }

    /// A key in its text form (base64 of 32 bytes), as kept in the key file or the environment.
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self::new(&key))
    }

    /// A fresh random key in text form.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    pub fn seal(&self, context: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let bytes = STANDARD.decode(body).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let sealed = sealer.seal("account:1", b"client-secret");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("client-secret"));
        assert_eq!(sealer.open("account:1", &sealed).unwrap(), b"client-secret");
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(sealed, sealer.seal("account:1", b"client-secret"));
        assert_eq!(sealer.open("account:2", &sealed), Err(SealError::WrongKey));
        let other = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        assert_eq!(other.open("account:1", &sealed), Err(SealError::WrongKey));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open("account:1", &tampered).is_err());
        assert_eq!(sealer.open("account:1", "plain"), Err(SealError::Malformed));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert_eq!(
            Sealer::from_base64("c2hvcnQ=").unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(Sealer::from_base64("%%%").unwrap_err(), SealError::BadKey);
    }
}
