//! Medusa's four auth operations on top of the provider registry.
//!
//! [`AuthService`] finds the provider by id, scopes the identity store to it, and
//! calls it: `authenticate`, `register`, `update_provider`, `validate_callback`.
//! It issues no tokens and knows nothing of HTTP; [`AuthModule`](crate::AuthModule)
//! and the route handlers build on it.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::password::{PasswordHasher, PasswordPolicy};
//! use auth_core::provider::{AuthenticationInput, EmailPass, ProviderOutcome, ProviderRegistry};
//! use auth_core::service::AuthService;
//! use auth_core::store::MemoryStore;
//!
//! let mut registry = ProviderRegistry::new();
//! registry.register(EmailPass::new(PasswordHasher::new(PasswordPolicy::default())));
//! let service = AuthService::new(registry, Arc::new(MemoryStore::new()));
//! let input = AuthenticationInput::from_body(
//!     serde_json::json!({"email": "ada@example.com", "password": "correct horse"}),
//! );
//! let registered = service.register("emailpass", &input).await.unwrap();
//! assert!(matches!(registered, ProviderOutcome::Authenticated(_)));
//! let error = service.authenticate("google", &input).await.unwrap_err();
//! assert_eq!(error.message(), "Could not find a auth provider with id: google");
//! # });
//! ```

use std::sync::Arc;

use serde_json::Value;

use crate::error::AuthError;
use crate::identity::AuthIdentity;
use crate::provider::{AuthProvider, AuthenticationInput, ProviderOutcome, ProviderRegistry};
use crate::store::{CredentialChange, IdentityStore, ProviderStore};

/// The registry and the identity store, with Medusa's operations.
#[derive(Clone)]
pub struct AuthService {
    registry: ProviderRegistry,
    identities: Arc<dyn IdentityStore>,
}

impl AuthService {
    /// A service over these providers and this identity store.
    pub fn new(registry: ProviderRegistry, identities: Arc<dyn IdentityStore>) -> Self {
        Self {
            registry,
            identities,
        }
    }

    /// The provider registry.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }

    /// The identity store.
    pub fn identities(&self) -> &Arc<dyn IdentityStore> {
        &self.identities
    }

    /// The identity store scoped to `provider`, finding its entity ids as the
    /// provider says (ignoring case for e-mails).
    fn scoped(&self, provider: &dyn AuthProvider) -> ProviderStore {
        ProviderStore::new(provider.id(), Arc::clone(&self.identities))
            .ignoring_case(provider.entity_ids_ignore_case())
    }

    /// The identity store scoped to the provider `provider`; an unknown
    /// provider is refused as by [`authenticate`](Self::authenticate).
    pub fn provider_store(&self, provider: &str) -> Result<ProviderStore, AuthError> {
        Ok(self.scoped(self.registry.get(provider)?.as_ref()))
    }

    /// Logs in with `provider`, or starts its redirect flow.
    pub async fn authenticate(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found
            .authenticate(input, &self.scoped(found.as_ref()))
            .await
    }

    /// Creates an identity with `provider`.
    pub async fn register(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found.register(input, &self.scoped(found.as_ref())).await
    }

    /// Changes `identity`'s data with `provider` (e.g. a new password).
    pub async fn update_provider(
        &self,
        provider: &str,
        identity: &AuthIdentity,
        data: &Value,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found
            .update(identity, data, &self.scoped(found.as_ref()))
            .await
    }

    /// The credential change `data` asks for on `identity` with `provider`,
    /// validated and hashed but not written; `None` when the provider has no
    /// such credential. See [`AuthProvider::credential_change`].
    pub async fn credential_change(
        &self,
        provider: &str,
        identity: &AuthIdentity,
        data: &Value,
    ) -> Result<Option<CredentialChange>, AuthError> {
        let found = self.registry.get(provider)?;
        found
            .credential_change(identity, data, &self.scoped(found.as_ref()))
            .await
    }

    /// Completes `provider`'s redirect flow.
    pub async fn validate_callback(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found
            .validate_callback(input, &self.scoped(found.as_ref()))
            .await
    }
}
