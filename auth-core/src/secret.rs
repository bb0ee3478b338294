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

// ---------------------------------------------------------------- redacted `Debug`
//
// What the hand-written `Debug` impls of secret-bearing types print in place of
// a value: its size or its names, never its content. Debug output ends up in
// logs and panic messages.

/// A secret's place in `Debug` output: `<redacted, 43 bytes>`. Public for the
/// adapters' own secret-bearing types (request bodies), through
/// [`auth_core::http::Redacted`](crate::http::Redacted).
///
/// ```
/// use auth_core::http::Redacted;
///
/// let body = br#"{"password":"correct horse"}"#;
/// assert_eq!(format!("{:?}", Redacted::of(body)), "<redacted, 28 bytes>");
/// ```
pub struct Redacted(usize);

impl Redacted {
    /// Stands for `value`: shows its length only.
    pub fn of(value: &[u8]) -> Self {
        Self(value.len())
    }

    /// Stands for an optional string: `Some(<redacted, n bytes>)` or `None`.
    pub(crate) fn of_option(value: &Option<String>) -> Option<Self> {
        value.as_deref().map(|value| Self::of(value.as_bytes()))
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0)
    }
}

/// The names of some headers, not their values (`Authorization`, `Cookie`).
pub(crate) struct HeaderNames<'a>(pub(crate) &'a http::HeaderMap);

impl std::fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// The parameter names of a raw query string, not their values (an OAuth
/// `code`, a token sent where it should not be).
pub(crate) struct QueryNames<'a>(pub(crate) &'a str);

impl std::fmt::Debug for QueryNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self
            .0
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name));
        f.debug_list().entries(names).finish()
    }
}

/// A URL without its query: the path a request went to.
pub(crate) fn url_path(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

/// The member names of a JSON object (a body with a password, metadata with a
/// password hash), not their values; for anything else, its size.
pub(crate) struct JsonKeys<'a>(pub(crate) &'a serde_json::Value);

impl std::fmt::Debug for JsonKeys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            serde_json::Value::Object(members) => MetadataKeys(members).fmt(f),
            other => Redacted::of(other.to_string().as_bytes()).fmt(f),
        }
    }
}

/// The member names of a JSON object map, not their values.
pub(crate) struct MetadataKeys<'a>(pub(crate) &'a serde_json::Map<String, serde_json::Value>);

impl std::fmt::Debug for MetadataKeys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
