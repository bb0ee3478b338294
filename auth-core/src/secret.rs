//! Opaque secrets: session ids, reset tokens, refresh tokens, API keys.
//!
//! Each is 256 random bits from the operating system, base64url-encoded behind
//! a short prefix that says what it is (`ses_`, `rst_`, `rft_`, `sk_`), and is
//! stored only as its SHA-256 hash: a leaked database yields nothing usable.
//! The secrets are random, not passwords, so a fast hash is the right one.
//!
//! ```
//! use auth_core::secret::{Secret, hash_secret};
//!
//! let secret = Secret::generate("rst_").unwrap();
//! assert!(secret.as_str().starts_with("rst_"));
//! assert_eq!(secret.hash(), hash_secret(secret.as_str()));
//! assert_ne!(secret.hash(), Secret::generate("rst_").unwrap().hash());
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::AuthError;

/// Random bytes in every secret.
const SECRET_BYTES: usize = 32;

/// A freshly generated secret. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 256 random bits behind `prefix`.
    pub fn generate(prefix: &str) -> Result<Self, AuthError> {
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|error| {
            tracing::error!(%error, "the operating system refused randomness");
            AuthError::Internal
        })?;
        Ok(Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// The secret, to hand to its owner once.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value to store.
    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// SHA-256 of a presented secret, base64url: the key to look it up by.
pub fn hash_secret(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}
