//! Secret API keys for the `user` actor, as in Medusa.
//!
//! A key is created for an admin user, shown once (`sk_...`), and stored only
//! as its SHA-256 hash. It is presented as `Authorization: Basic <key>` or, as
//! Medusa's client sends it, `Basic base64(<key>:)`, and only routes whose
//! policy lists [`CredentialKind::ApiKey`] accept it. A revoked key stops
//! working at once.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::api_key::ApiKeys;
//! use auth_core::clock::SystemClock;
//! use auth_core::store::MemoryStore;
//!
//! let keys = ApiKeys::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
//! let (record, secret) = keys.create("user_1", "CI deploys").await.unwrap();
//! let caller = keys.verify(secret.as_str()).await.unwrap();
//! assert_eq!((caller.actor_type.as_str(), caller.actor_id.as_str()), ("user", "user_1"));
//! keys.revoke(&record.id).await.unwrap();
//! assert!(keys.verify(secret.as_str()).await.is_err());
//! # });
//! ```
//!
//! In a module, the same service is [`AuthModule::api_keys`](crate::AuthModule::api_keys).

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind, new_id};
use crate::policy::Authenticated;
use crate::secret::{Secret, hash_secret};
use crate::store::{ApiKeyRecord, ApiKeyStore, StoreError};

/// The actor type API keys act as.
pub const API_KEY_ACTOR_TYPE: &str = "user";

/// `sk_abcd…wxyz`: enough to recognise a key, not to use it.
fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(7).collect();
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}***{tail}")
}

/// Secret API keys in an [`ApiKeyStore`].
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
    clock: SharedClock,
}

impl ApiKeys {
    /// Keys kept in `store`.
    pub fn new(store: Arc<dyn ApiKeyStore>, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Creates a secret key acting as the `user` actor `actor_id`. The secret
    /// is returned once and never stored.
    pub async fn create(
        &self,
        actor_id: &str,
        title: &str,
    ) -> Result<(ApiKeyRecord, Secret), AuthError> {
        let secret = Secret::generate("sk_")?;
        let record = ApiKeyRecord {
            id: new_id("apk"),
            secret_hash: secret.hash(),
            redacted: redact(secret.as_str()),
            title: title.to_owned(),
            actor_id: actor_id.to_owned(),
            created_at: self.clock.now_secs(),
            revoked_at: None,
        };
        self.store.create_api_key(&record).await?;
        tracing::info!(api_key = %record.id, actor_id, "API key created");
        Ok((record, secret))
    }

    /// Revokes a key by id; `404` for an unknown id.
    pub async fn revoke(&self, id: &str) -> Result<ApiKeyRecord, AuthError> {
        match self.store.revoke_api_key(id, self.clock.now_secs()).await {
            Ok(record) => {
                tracing::info!(api_key = %record.id, "API key revoked");
                Ok(record)
            }
            Err(StoreError::NotFound(_)) => Err(AuthError::NotFound("API key not found".into())),
            Err(other) => Err(other.into()),
        }
    }

    /// Authenticates a presented secret key.
    pub async fn verify(&self, secret: &str) -> Result<Authenticated, AuthError> {
        let record = self
            .store
            .api_key_by_secret_hash(&hash_secret(secret))
            .await?
            .filter(|record| record.revoked_at.is_none())
            .ok_or(AuthError::InvalidToken)?;
        Ok(Authenticated {
            context: AuthContext {
                actor_id: record.actor_id,
                actor_type: API_KEY_ACTOR_TYPE.to_owned(),
                auth_identity_id: String::new(),
                app_metadata: Default::default(),
            },
            credential: CredentialKind::ApiKey,
            token_id: Some(record.id),
            expires_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_the_ends() {
        let redacted = redact("sk_abcdefghijklmnopqrstuvwxyz");
        assert_eq!(redacted, "sk_abcd***wxyz");
    }
}
