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
//! Completing a reset checks the token without consuming it, then checks and
//! hashes the new password: a password the policy refuses is `400
//! invalid_data` and the token stays valid. The write is then one atomic
//! operation of a [`CredentialStore`] (when one store holds identities, reset
//! tokens, sessions, refresh tokens and revocations, as the builder's
//! [`store`](crate::module::AuthModuleBuilder::store) does): the token
//! consumed, the password changed by compare-and-set, every earlier
//! credential revoked, or none of it. With separate stores the same steps run
//! one after the other, the token consumed first.
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
use crate::store::{
    CredentialChange, CredentialStore, CredentialWrite, ResetCompletion, ResetOutcome,
    ResetTokenRecord, ResetTokenStore,
};

/// Every reset token starts with this; anything else (a JWT) is refused
/// before any lookup.
const RESET_TOKEN_PREFIX: &str = "rst_";

/// How often a reset retries its password write when the stored hash changed
/// since it was read (a login's rehash a moment earlier).
const CHANGE_ATTEMPTS: usize = 3;

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
    atomic: Option<Arc<dyn CredentialStore>>,
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
            atomic: None,
        }
    }

    /// Completes resets with one atomic operation of `store`, which must be
    /// the store behind every service given to [`new`](Self::new)
    /// (identities, reset tokens, sessions, refresh tokens, revocations).
    pub fn with_atomic_store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.atomic = Some(store);
        self
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
        let store = self.service.provider_store(provider)?;
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

    /// Completes a reset. `token` must have been issued for this actor type
    /// and provider and be unexpired; the identity comes from it. `provider`
    /// then checks and hashes the new password in `data` (a refusal is `400
    /// invalid_data`, and the token stays valid), and the token is consumed,
    /// the password written and every earlier credential of the identity
    /// revoked: atomically with an atomic store, else in that order.
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
        let token_hash = hash_secret(token);
        let record = self
            .store
            .reset_token(&token_hash)
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        if record.actor_type != actor_type
            || record.provider != provider
            || record.expires_at <= self.clock.now_secs()
        {
            // Misuse (another actor type or provider) spends the token: single
            // use means any use. Only a fixable mistake (a password the policy
            // refuses) keeps it.
            tracing::warn!(auth_identity_id = %record.auth_identity_id, "reset token used out of purpose or expired");
            self.store.consume_reset_token(&token_hash).await?;
            return Err(AuthError::InvalidResetToken);
        }
        let identity = self
            .service
            .identities()
            .identity(&record.auth_identity_id)
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        let Some(change) = self
            .service
            .credential_change(provider, &identity, data)
            .await?
        else {
            return self.complete_by_update(&record, &identity, data).await;
        };
        match &self.atomic {
            Some(store) => self.complete_atomically(store, &record, change).await,
            None => self.complete_in_steps(&record, change).await,
        }
    }

    /// One atomic store operation; retried with the hash read again when a
    /// rehash changed it meanwhile.
    async fn complete_atomically(
        &self,
        store: &Arc<dyn CredentialStore>,
        record: &ResetTokenRecord,
        mut change: CredentialChange,
    ) -> Result<(), AuthError> {
        let auth_identity_id = record.auth_identity_id.as_str();
        for _ in 0..CHANGE_ATTEMPTS {
            let completion = ResetCompletion {
                token_hash: record.token_hash.clone(),
                auth_identity_id: auth_identity_id.to_owned(),
                actor_type: record.actor_type.clone(),
                provider: record.provider.clone(),
                now: self.clock.now_secs(),
                change: change.clone(),
                tokens_valid_after_ms: self.clock.now_ms(),
            };
            match store.complete_reset(&completion).await? {
                ResetOutcome::Completed => {
                    // The transaction wrote the cut-off to the store; this
                    // process's view of it must hold it before we answer. A
                    // view that cannot load now loads it from the store later.
                    let revocations = self.sessions.revocations();
                    if let Err(error) = revocations
                        .note_identity_cutoff(auth_identity_id, completion.tokens_valid_after_ms)
                        .await
                    {
                        tracing::warn!(%error, auth_identity_id, "revocation view not updated");
                    }
                    self.cut_off_logins_begun_before_the_write(auth_identity_id)
                        .await;
                    tracing::info!(auth_identity_id, "password reset: all credentials revoked");
                    return Ok(());
                }
                ResetOutcome::InvalidToken => return Err(AuthError::InvalidResetToken),
                ResetOutcome::Stale => change = self.reread(record, change).await?,
            }
        }
        tracing::warn!(auth_identity_id, "password kept changing during the reset");
        Err(AuthError::Unavailable)
    }

    /// The same steps without a store that does them atomically: the token
    /// is consumed first, so it is used at most once whatever fails after.
    async fn complete_in_steps(
        &self,
        record: &ResetTokenRecord,
        mut change: CredentialChange,
    ) -> Result<(), AuthError> {
        self.consume(record).await?;
        let store = self.service.provider_store(&record.provider)?;
        for _ in 0..CHANGE_ATTEMPTS {
            let Some(login) = store.for_identity(&record.auth_identity_id).await? else {
                return Err(AuthError::InvalidResetToken);
            };
            match store.change_credential(&login, &change).await? {
                CredentialWrite::Changed => {
                    return self.revoke_all_credentials(&record.auth_identity_id).await;
                }
                CredentialWrite::Stale => change = self.reread(record, change).await?,
            }
        }
        tracing::warn!(auth_identity_id = %record.auth_identity_id, "password kept changing during the reset");
        Err(AuthError::Unavailable)
    }

    /// A provider without a [`credential_change`](crate::provider::AuthProvider::credential_change):
    /// the token is consumed, then the provider's `update` runs.
    async fn complete_by_update(
        &self,
        record: &ResetTokenRecord,
        identity: &crate::identity::AuthIdentity,
        data: &Value,
    ) -> Result<(), AuthError> {
        self.consume(record).await?;
        match self
            .service
            .update_provider(&record.provider, identity, data)
            .await?
        {
            ProviderOutcome::Authenticated(_) => self.revoke_all_credentials(&identity.id).await,
            ProviderOutcome::Failed(message) => Err(AuthError::Unauthorized(message)),
            ProviderOutcome::Redirect { .. } => Err(AuthError::Internal),
        }
    }

    /// Consumes the token of `record`: of concurrent completions only one
    /// gets it.
    async fn consume(&self, record: &ResetTokenRecord) -> Result<(), AuthError> {
        match self.store.consume_reset_token(&record.token_hash).await? {
            Some(consumed) if consumed.auth_identity_id == record.auth_identity_id => Ok(()),
            _ => Err(AuthError::InvalidResetToken),
        }
    }

    /// `change`, expecting the hash stored now.
    async fn reread(
        &self,
        record: &ResetTokenRecord,
        mut change: CredentialChange,
    ) -> Result<CredentialChange, AuthError> {
        let store = self.service.provider_store(&record.provider)?;
        let current = store
            .for_identity(&record.auth_identity_id)
            .await?
            .filter(|login| login.id == change.provider_identity_id)
            .ok_or(AuthError::InvalidResetToken)?;
        change.expected = change.current_in(&current);
        Ok(change)
    }

    /// Moves the identity's cut-off to now, after the password write: a
    /// login that began before the write (and so may have read the old
    /// password) is cut off even if it began after the cut-off the write
    /// set. The write has happened, so a failure here is logged, not
    /// returned; logins still check that their password is current.
    async fn cut_off_logins_begun_before_the_write(&self, auth_identity_id: &str) {
        let revocations = self.sessions.revocations();
        if let Err(error) = revocations.revoke_identity_tokens(auth_identity_id).await {
            tracing::error!(%error, auth_identity_id, "cut-off after the password write failed");
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
