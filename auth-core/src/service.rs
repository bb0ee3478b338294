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
use crate::provider::{AuthenticationInput, ProviderOutcome, ProviderRegistry};
use crate::store::{IdentityStore, ProviderStore};

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

    fn scoped(&self, provider: &str) -> ProviderStore {
        ProviderStore::new(provider, Arc::clone(&self.identities))
    }

    /// Logs in with `provider`, or starts its redirect flow.
    pub async fn authenticate(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found.authenticate(input, &self.scoped(provider)).await
    }

    /// Creates an identity with `provider`.
    pub async fn register(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found.register(input, &self.scoped(provider)).await
    }

    /// Changes `identity`'s data with `provider` (e.g. a new password).
    pub async fn update_provider(
        &self,
        provider: &str,
        identity: &AuthIdentity,
        data: &Value,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found.update(identity, data, &self.scoped(provider)).await
    }

    /// Completes `provider`'s redirect flow.
    pub async fn validate_callback(
        &self,
        provider: &str,
        input: &AuthenticationInput,
    ) -> Result<ProviderOutcome, AuthError> {
        let found = self.registry.get(provider)?;
        found.validate_callback(input, &self.scoped(provider)).await
    }
}
