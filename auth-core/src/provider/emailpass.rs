//! The `emailpass` provider: e-mail and password, hashed with Argon2id.
//!
//! - The e-mail is trimmed and lower-cased; it is the provider identity's `entity_id`.
//! - Passwords are 8 to 1024 bytes at registration and update, checked before
//!   hashing, never trimmed or truncated. Login does not enforce the minimum, so
//!   users migrated from Medusa (which had none) can still sign in.
//! - An unknown e-mail is verified against a dummy hash, so it costs the same as a
//!   wrong password and gets the same answer: `Invalid email or password`.
//! - Medusa's scrypt hashes verify, and are rewritten as Argon2id on success.
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
use crate::identity::{AuthIdentity, Metadata};
use crate::password::{
    MAX_PASSWORD_BYTES, PasswordCheck, PasswordError, PasswordHasher, check_password_length,
};
use crate::store::{ProviderStore, StoreError};

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

/// A deliberately plain check: one `@` with text on both sides and a dot in the
/// domain. Deliverability is the mail server's business.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
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
        let Some(stored) = login
            .provider_metadata
            .get(PASSWORD_KEY)
            .and_then(Value::as_str)
        else {
            self.hasher
                .verify_dummy(password)
                .await
                .map_err(password_error)?;
            return Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into()));
        };
        match self
            .hasher
            .verify(password, stored)
            .await
            .map_err(password_error)?
        {
            PasswordCheck::Invalid => Ok(ProviderOutcome::Failed(INVALID_CREDENTIALS.into())),
            PasswordCheck::Valid { needs_rehash } => {
                if needs_rehash {
                    self.rehash(store, &login, password).await;
                }
                Ok(ProviderOutcome::Authenticated(identity))
            }
        }
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

    async fn update(
        &self,
        identity: &AuthIdentity,
        data: &Value,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        let Some(password) = data.get("password").and_then(Value::as_str) else {
            return Err(AuthError::InvalidData("Password should be a string".into()));
        };
        check_password_length(password).map_err(password_error)?;
        let Some(login) = store.for_identity(&identity.id).await? else {
            return Ok(ProviderOutcome::Failed("Invalid token".into()));
        };
        let hash = self.hasher.hash(password).await.map_err(password_error)?;
        let mut metadata = login.provider_metadata.clone();
        metadata.insert(PASSWORD_KEY.into(), Value::String(hash));
        store.update_provider_metadata(&login, &metadata).await?;
        Ok(ProviderOutcome::Authenticated(identity.clone()))
    }
}

impl EmailPass {
    /// Upgrades a legacy or weaker hash after a successful login. A failure here
    /// must not fail the login: it is logged and retried at the next login.
    async fn rehash(
        &self,
        store: &ProviderStore,
        login: &crate::identity::ProviderIdentity,
        password: &str,
    ) {
        let hash = match self.hasher.hash(password).await {
            Ok(hash) => hash,
            Err(error) => {
                tracing::warn!(%error, provider_identity = %login.id, "rehash failed");
                return;
            }
        };
        let mut metadata = login.provider_metadata.clone();
        metadata.insert(PASSWORD_KEY.into(), Value::String(hash));
        if let Err(error) = store.update_provider_metadata(login, &metadata).await {
            tracing::warn!(%error, provider_identity = %login.id, "storing rehashed password failed");
        } else {
            tracing::info!(provider_identity = %login.id, "password rehashed to current policy");
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
