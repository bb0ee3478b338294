//! Password reset: where reset tokens go.
//!
//! `POST /auth/{actor_type}/{provider}/reset-password` always answers `201`;
//! when the identifier belongs to an identity, a reset token is made and handed
//! to the [`ResetNotifier`] (an e-mail sender in production, a log line in the
//! demo), never to the HTTP response.
//!
//! [`PasswordResets`] is the service: it issues reset tokens into a
//! [`ResetTokenStore`], sends them, and completes a reset, which revokes every
//! earlier credential of the identity.
//!
//! ```
//! use async_trait::async_trait;
//! use auth_core::reset::{PasswordReset, ResetNotifier};
//!
//! struct Mailer;
//!
//! #[async_trait]
//! impl ResetNotifier for Mailer {
//!     async fn send(&self, reset: PasswordReset) {
//!         // Send `reset.token` to `reset.identifier` in a link to your reset page.
//!         let _ = reset;
//!     }
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::provider::ProviderOutcome;
use crate::refresh::RefreshTokens;
use crate::secret::{Secret, hash_secret};
use crate::service::AuthService;
use crate::session::Sessions;
use crate::store::{ProviderStore, ResetTokenRecord, ResetTokenStore};

/// Every reset token starts with this; anything else (a JWT) is refused
/// before any lookup.
const RESET_TOKEN_PREFIX: &str = "rst_";

/// The longest a reset token may live, whatever the settings say.
pub const MAX_RESET_TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// A reset to deliver.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The actor type the reset was requested for.
    pub actor_type: String,
    /// The provider (`emailpass`).
    pub provider: String,
    /// The provider's identifier (the normalized e-mail).
    pub identifier: String,
    /// The single-use reset token, for `Authorization: Bearer` on `update`.
    pub token: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordReset")
            .field("actor_type", &self.actor_type)
            .field("provider", &self.provider)
            .field("identifier", &self.identifier)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Delivers reset tokens to their owners.
#[async_trait]
pub trait ResetNotifier: Send + Sync + 'static {
    /// Delivers one reset. Runs after the HTTP answer, so it may take its time.
    async fn send(&self, reset: PasswordReset);
}

/// The default notifier: delivers nothing, and warns that nothing was delivered.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNotifier;

#[async_trait]
impl ResetNotifier for NoNotifier {
    async fn send(&self, reset: PasswordReset) {
        tracing::warn!(
            actor_type = %reset.actor_type,
            provider = %reset.provider,
            "password reset requested but no notifier is configured"
        );
    }
}

/// Whether `token` has the shape of a reset token (and is worth a lookup).
pub fn is_reset_token(token: &str) -> bool {
    token.starts_with(RESET_TOKEN_PREFIX)
}

/// Password resets: single-use tokens in a [`ResetTokenStore`], delivered by a
/// [`ResetNotifier`].
#[derive(Clone)]
pub struct PasswordResets {
    store: Arc<dyn ResetTokenStore>,
    notifier: Arc<dyn ResetNotifier>,
    ttl: Duration,
    service: AuthService,
    sessions: Sessions,
    refresh_tokens: RefreshTokens,
    clock: SharedClock,
}

impl PasswordResets {
    /// Resets kept in `store` and sent through `notifier`, each token living
    /// `ttl` (at most [`MAX_RESET_TOKEN_TTL`]). `service` finds identities and
    /// sets the new password; completing a reset ends the identity's
    /// `sessions` and `refresh_tokens` and revokes its access tokens.
    pub fn new(
        store: Arc<dyn ResetTokenStore>,
        notifier: Arc<dyn ResetNotifier>,
        ttl: Duration,
        service: AuthService,
        sessions: Sessions,
        refresh_tokens: RefreshTokens,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            notifier,
            ttl: ttl.min(MAX_RESET_TOKEN_TTL),
            service,
            sessions,
            refresh_tokens,
            clock,
        }
    }

    /// How long a reset token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The identifier as `provider` stores it (e.g. a normalized e-mail); the
    /// identifier as given for an unknown provider.
    pub fn entity_id(&self, provider: &str, identifier: &str) -> String {
        match self.service.registry().get(provider) {
            Ok(found) => found.entity_id(identifier),
            Err(_) => identifier.to_owned(),
        }
    }

    /// Issues a reset for `entity_id` in the background and returns at once,
    /// so known and unknown identifiers cannot be told apart by timing.
    pub fn request(&self, actor_type: &str, provider: &str, entity_id: &str) {
        let resets = self.clone();
        let (actor_type, provider, entity_id) = (
            actor_type.to_owned(),
            provider.to_owned(),
            entity_id.to_owned(),
        );
        tokio::spawn(async move {
            if let Err(error) = resets.issue(&actor_type, &provider, &entity_id).await {
                tracing::error!(%error, "password reset could not be issued");
            }
        });
    }

    /// Makes, stores (hashed) and sends a reset token, if the identity exists;
    /// does nothing otherwise.
    pub async fn issue(
        &self,
        actor_type: &str,
        provider: &str,
        entity_id: &str,
    ) -> Result<(), AuthError> {
        if self.service.registry().get(provider).is_err() {
            return Ok(());
        }
        let store = ProviderStore::new(provider, self.service.identities().clone());
        let Some((_, identity)) = store.find(entity_id).await? else {
            tracing::debug!(provider, "password reset for an unknown identifier");
            return Ok(());
        };
        let token = Secret::generate(RESET_TOKEN_PREFIX)?;
        let expires_at = self.clock.now_secs().saturating_add(self.ttl.as_secs());
        self.store
            .replace_reset_token(&ResetTokenRecord {
                token_hash: token.hash(),
                auth_identity_id: identity.id.clone(),
                actor_type: actor_type.to_owned(),
                provider: provider.to_owned(),
                expires_at,
            })
            .await?;
        tracing::info!(auth_identity_id = %identity.id, "password reset token issued");
        self.notifier
            .send(PasswordReset {
                actor_type: actor_type.to_owned(),
                provider: provider.to_owned(),
                identifier: entity_id.to_owned(),
                token: token.as_str().to_owned(),
                expires_at,
            })
            .await;
        Ok(())
    }

    /// Completes a reset: `token` is consumed (single use) and must have been
    /// issued for this actor type and provider and be unexpired; the identity
    /// comes from it. `provider` then applies `data` (the new password), and
    /// every earlier credential of the identity is revoked.
    pub async fn complete(
        &self,
        actor_type: &str,
        provider: &str,
        token: &str,
        data: &Value,
    ) -> Result<(), AuthError> {
        if !is_reset_token(token) {
            return Err(AuthError::InvalidResetToken);
        }
        let record = self
            .store
            .consume_reset_token(&hash_secret(token))
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        if record.actor_type != actor_type
            || record.provider != provider
            || record.expires_at <= self.clock.now_secs()
        {
            tracing::warn!(auth_identity_id = %record.auth_identity_id, "reset token used out of purpose or expired");
            return Err(AuthError::InvalidResetToken);
        }
        let identity = self
            .service
            .identities()
            .identity(&record.auth_identity_id)
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        match self
            .service
            .update_provider(provider, &identity, data)
            .await?
        {
            ProviderOutcome::Authenticated(_) => self.revoke_all_credentials(&identity.id).await,
            ProviderOutcome::Failed(message) => Err(AuthError::Unauthorized(message)),
            ProviderOutcome::Redirect { .. } => Err(AuthError::Internal),
        }
    }

    /// Revokes every credential of an identity: access tokens issued until now,
    /// sessions, refresh tokens and pending reset tokens. What a completed
    /// reset does; also for an application that changes a password itself.
    pub async fn revoke_all_credentials(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        self.sessions
            .revocations()
            .revoke_identity_tokens(auth_identity_id)
            .await?;
        self.sessions
            .destroy_identity_sessions(auth_identity_id)
            .await?;
        self.refresh_tokens
            .revoke_identity_tokens(auth_identity_id)
            .await?;
        self.store
            .delete_identity_reset_tokens(auth_identity_id)
            .await?;
        tracing::info!(auth_identity_id, "all credentials of the identity revoked");
        Ok(())
    }
}
