//! The `emailpass` provider: e-mail and password, hashed with Argon2id.
//!
//! - The e-mail is trimmed and lower-cased; it is the provider identity's
//!   `entity_id`. Lookups ignore ASCII case, so a row a Medusa backend stored
//!   as `Ada@Example.com` is found, and it is lower-cased at its next
//!   password write (a rehash, an update, a reset).
//! - Passwords are 8 to 1024 bytes at registration and update, checked before
//!   hashing, never trimmed or truncated. Login does not enforce the minimum, so
//!   users migrated from Medusa (which had none) can still sign in.
//! - An unknown e-mail is verified against a dummy hash, so it costs the same as a
//!   wrong password and gets the same answer: `Invalid email or password`.
//! - Medusa's scrypt hashes verify, and are rewritten as Argon2id on success.
//! - Every password write is a compare-and-set against the hash that was read
//!   ([`CredentialChange`]): a rehash that lost the race to a reset writes
//!   nothing. A login succeeds only if the hash it verified is still the
//!   stored one when it ends, so a login in flight across a reset gets no
//!   token.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::password::{PasswordHasher, PasswordPolicy};
//! use auth_core::provider::{AuthProvider, AuthenticationInput, EmailPass, ProviderOutcome};
//! use auth_core::store::{MemoryStore, ProviderStore};
//!
//! let emailpass = EmailPass::new(PasswordHasher::new(PasswordPolicy::default()));
//! let store = ProviderStore::new("emailpass", Arc::new(MemoryStore::new()));
//! let input = AuthenticationInput::from_body(
//!     serde_json::json!({"email": "Ada@Example.com ", "password": "correct horse"}),
//! );
//! emailpass.register(&input, &store).await.unwrap();
//! let outcome = emailpass.authenticate(&input, &store).await.unwrap();
//! assert!(matches!(outcome, ProviderOutcome::Authenticated(_)));
//! # });
//! ```

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{AuthProvider, AuthenticationInput, ProviderOutcome};
use crate::error::AuthError;
use crate::identity::{AuthIdentity, Metadata, ProviderIdentity};
use crate::password::{
    MAX_PASSWORD_BYTES, PasswordCheck, PasswordError, PasswordHasher, check_password_length,
};
use crate::store::{CredentialChange, CredentialWrite, ProviderStore, StoreError};

/// The message for every failed login, whatever the cause.
pub const INVALID_CREDENTIALS: &str = "Invalid email or password";
/// The message when registering an e-mail that exists.
pub const IDENTITY_EXISTS: &str = "Identity with email already exists";

/// Where the hash lives in `provider_metadata` (Medusa's key).
const PASSWORD_KEY: &str = "password";

/// E-mail and password authentication.
#[derive(Clone)]
pub struct EmailPass {
    hasher: PasswordHasher,
}

impl EmailPass {
    /// The provider with this hasher (and its concurrency limit).
    pub fn new(hasher: PasswordHasher) -> Self {
        Self { hasher }
    }
}

impl Default for EmailPass {
    /// Argon2id with the default [`PasswordPolicy`](crate::password::PasswordPolicy).
    fn default() -> Self {
        Self::new(PasswordHasher::new(Default::default()))
    }
}

/// `{email, password}` from a request body, or `400 invalid_data`.
fn credentials(body: &Value) -> Result<(String, &str), AuthError> {
    let email = body.get("email").and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    match (email, password) {
        (Some(email), Some(password)) => Ok((normalize_email(email), password)),
        (None, _) => Err(AuthError::InvalidData("Email should be a string".into())),
        (_, None) => Err(AuthError::InvalidData("Password should be a string".into())),
    }
}

/// The lookup form of an e-mail: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately plain check of a normalised e-mail: one `@` with text on
/// both sides, a dot in the domain, no whitespace or control characters, at
/// most 254 bytes. Deliverability is the mail server's business.
///
/// ```
/// use auth_core::provider::emailpass::is_plausible_email;
///
/// assert!(is_plausible_email("ada@example.com"));
/// assert!(!is_plausible_email("ada\0@example.com"));
/// ```
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn password_error(error: PasswordError) -> AuthError {
    match error {
        PasswordError::TooShort => AuthError::InvalidData(format!(
            "Password must be at least {} characters",
            crate::password::MIN_PASSWORD_BYTES
        )),
        PasswordError::TooLong => AuthError::InvalidData(format!(
            "Password must be at most {MAX_PASSWORD_BYTES} bytes"
        )),
        PasswordError::Busy => {
            tracing::warn!("password hashing busy: request refused");
            AuthError::Unavailable
        }
        other => {
            tracing::error!(error = %other, "password hashing failed");
            AuthError::Internal
        }
    }
}

fn password_metadata(hash: String) -> Metadata {
    let mut metadata = Metadata::new();
    metadata.insert(PASSWORD_KEY.into(), Value::String(hash));
    metadata
}

#[async_trait]
impl AuthProvider for EmailPass {
    fn id(&self) -> &str {
        "emailpass"
    }

    fn entity_id(&self, identifier: &str) -> String {
        normalize_email(identifier)
    }

    fn entity_ids_ignore_case(&self) -> bool {
        true
    }

    fn claimed_identifier(&self, input: &AuthenticationInput) -> Option<String> {
        input
            .body
            .get("email")
            .and_then(Value::as_str)
            .map(normalize_email)
    }

    async fn authenticate(
        &self,
        input: &AuthenticationInput,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        let (email, password) = credentials(&input.body)?;
        if password.len() > MAX_PASSWORD_BYTES {
            // Bounded work: refuse before hashing. Depends only on the input, not
            // on whether the account exists.
            return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
        }
        let Some((login, identity)) = store.find(&email).await? else {
            self.hasher
                .verify_dummy(password)
                .await
                .map_err(password_error)?;
            return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
        };
        let Some(stored) = stored_hash(&login) else {
            self.hasher
                .verify_dummy(password)
                .await
                .map_err(password_error)?;
            return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
        };
        let needs_rehash = match self
            .hasher
            .verify(password, stored)
            .await
            .map_err(password_error)?
        {
            PasswordCheck::Invalid => {
                return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
            }
            PasswordCheck::Valid { needs_rehash } => needs_rehash,
        };
        let mut verified = stored.to_owned();
        if needs_rehash
            && let Some(rehashed) = self.rehash(store, &login, &verified, password).await
        {
            verified = rehashed;
        }
        // Only a credential that is still current gives a login: one that a
        // reset replaced while this request hashed gives nothing.
        let current = store.reread(&login).await?;
        if current.as_ref().and_then(stored_hash) != Some(verified.as_str()) {
            tracing::info!(provider_identity = %login.id, "password changed during the login: refused");
            return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
        }
        Ok(ProviderOutcome::Authenticated(identity))
    }

    async fn register(
        &self,
        input: &AuthenticationInput,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        let (email, password) = credentials(&input.body)?;
        if !is_plausible_email(&email) {
            return Err(AuthError::InvalidData("Invalid email address".into()));
        }
        check_password_length(password).map_err(password_error)?;
        if store.find(&email).await?.is_some() {
            return Ok(ProviderOutcome::Failed(IDENTITY_EXISTS.into()));
        }
        let hash = self.hasher.hash(password).await.map_err(password_error)?;
        let user_metadata = Metadata::from_iter([("email".to_owned(), json!(email))]);
        match store
            .create(&email, password_metadata(hash), user_metadata)
            .await
        {
            Ok((_, identity)) => Ok(ProviderOutcome::Authenticated(identity)),
            // Lost a race with a concurrent registration of the same e-mail.
            Err(StoreError::Conflict(_)) => Ok(ProviderOutcome::Failed(IDENTITY_EXISTS.into())),
            Err(other) => Err(other.into()),
        }
    }

    /// Sets a new password: [`credential_change`](Self::credential_change),
    /// written by compare-and-set. A password changed by someone else while
    /// this one was hashed is not overwritten: `503` (try again).
    async fn update(
        &self,
        identity: &AuthIdentity,
        data: &Value,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        let Some(change) = self.credential_change(identity, data, store).await? else {
            return Ok(ProviderOutcome::Failed("Invalid token".into()));
        };
        let Some(login) = store.for_identity(&identity.id).await? else {
            return Ok(ProviderOutcome::Failed("Invalid token".into()));
        };
        match store.change_credential(&login, &change).await? {
            CredentialWrite::Changed => Ok(ProviderOutcome::Authenticated(identity.clone())),
            CredentialWrite::Stale => {
                tracing::warn!(provider_identity = %login.id, "password changed concurrently: update not applied");
                Err(AuthError::Unavailable)
            }
        }
    }

    /// Checks the new password against the policy (`400 invalid_data` before
    /// any hashing), hashes it, and returns the write, guarded by the hash
    /// stored now. `None` when the identity has no e-mail login.
    async fn credential_change(
        &self,
        identity: &AuthIdentity,
        data: &Value,
        store: &ProviderStore,
    ) -> Result<Option<CredentialChange>, AuthError> {
        let Some(password) = data.get("password").and_then(Value::as_str) else {
            return Err(AuthError::InvalidData("Password should be a string".into()));
        };
        check_password_length(password).map_err(password_error)?;
        let Some(login) = store.for_identity(&identity.id).await? else {
            return Ok(None);
        };
        let hash = self.hasher.hash(password).await.map_err(password_error)?;
        Ok(Some(password_change(&login, stored_hash(&login), hash)))
    }
}

/// The stored password hash of a login, if it has one.
fn stored_hash(login: &ProviderIdentity) -> Option<&str> {
    login
        .provider_metadata
        .get(PASSWORD_KEY)
        .and_then(Value::as_str)
}

/// Replaces `expected` (the hash read from `login`) by `replacement`, and
/// lower-cases a mixed-case e-mail on the way.
fn password_change(
    login: &ProviderIdentity,
    expected: Option<&str>,
    replacement: String,
) -> CredentialChange {
    let normalized = normalize_email(&login.entity_id);
    CredentialChange {
        provider_identity_id: login.id.clone(),
        credential_key: PASSWORD_KEY.into(),
        expected: expected.map(str::to_owned),
        replacement,
        entity_id: (normalized != login.entity_id).then_some(normalized),
    }
}

impl EmailPass {
    /// Upgrades a legacy or weaker hash after a successful login, by
    /// compare-and-set against `verified` (the hash the login checked), so it
    /// never writes over a password changed meanwhile. Returns the new hash
    /// once stored. A failure here must not fail the login: it is logged and
    /// retried at the next login; a lost compare-and-set writes nothing.
    async fn rehash(
        &self,
        store: &ProviderStore,
        login: &ProviderIdentity,
        verified: &str,
        password: &str,
    ) -> Option<String> {
        let hash = match self.hasher.hash(password).await {
            Ok(hash) => hash,
            Err(error) => {
                tracing::warn!(%error, provider_identity = %login.id, "rehash failed");
                return None;
            }
        };
        let change = password_change(login, Some(verified), hash);
        match store.change_credential(login, &change).await {
            Ok(CredentialWrite::Changed) => {
                tracing::info!(provider_identity = %login.id, "password rehashed to current policy");
                Some(change.replacement)
            }
            Ok(CredentialWrite::Stale) => {
                tracing::info!(provider_identity = %login.id, "password changed since it was verified: rehash not stored");
                None
            }
            Err(error) => {
                tracing::warn!(%error, provider_identity = %login.id, "storing rehashed password failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a da@example.com",
            "a@b@c.d",
            "ada\0@example.com",
            "ada@exa\u{7f}mple.com",
            "ada@example.com\u{85}",
        ] {
            assert!(!is_plausible_email(bad), "{bad:?}");
        }
        assert!(is_plausible_email("ada@example.com"));
    }

    #[test]
    fn non_string_fields_are_invalid_data() {
        assert!(matches!(
            credentials(&json!({"email": 1, "password": "x"})),
            Err(AuthError::InvalidData(_))
        ));
        assert!(matches!(
            credentials(&json!({"email": "a@b.c"})),
            Err(AuthError::InvalidData(_))
        ));
        assert!(matches!(
            credentials(&json!([])),
            Err(AuthError::InvalidData(_))
        ));
    }
}
