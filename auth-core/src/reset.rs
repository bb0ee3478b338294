//! Password reset: where reset tokens go.
//!
//! `POST /auth/{actor_type}/{provider}/reset-password` always answers `201`;
//! when the identifier belongs to an identity, a reset token is made and handed
//! to the [`ResetNotifier`] (an e-mail sender in production, a log line in the
//! demo), never to the HTTP response.
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

use async_trait::async_trait;

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

mod flows {
    use bytes::Bytes;
    use http::{Response, StatusCode};
    use serde_json::{Value, json};

    use super::PasswordReset;
    use crate::AuthModule;
    use crate::clock::now_secs;
    use crate::credentials::{Credentials, RequestHead};
    use crate::error::AuthError;
    use crate::provider::ProviderOutcome;
    use crate::response::{empty_response, token_response};
    use crate::routes::parse_json_body;
    use crate::secret::{Secret, hash_secret};
    use crate::store::{ProviderStore, ResetTokenRecord};

    /// Every reset token starts with this; anything else (a JWT) is refused
    /// before any lookup.
    const RESET_TOKEN_PREFIX: &str = "rst_";

    impl AuthModule {
        /// `POST /auth/{actor_type}/{provider}/reset-password`: `201` at once for
        /// every well-formed request; the lookup and the notification run after
        /// the answer, so known and unknown identifiers cannot be told apart by
        /// status, body or timing.
        pub(crate) async fn request_password_reset(
            &self,
            actor_type: &str,
            provider: &str,
            body: &[u8],
        ) -> Result<Response<Bytes>, AuthError> {
            let body = parse_json_body(body)?;
            let Some(identifier) = body.get("identifier").and_then(Value::as_str) else {
                return Err(AuthError::InvalidData("identifier must be a string".into()));
            };
            let entity_id = match self.service().registry().get(provider) {
                Ok(found) => found.entity_id(identifier),
                Err(_) => identifier.to_owned(),
            };
            self.throttle_identifier(Some(&entity_id)).await?;
            self.record_identifier_failure(Some(&entity_id)).await?;
            let module = self.clone();
            let (actor_type, provider) = (actor_type.to_owned(), provider.to_owned());
            tokio::spawn(async move {
                if let Err(error) = module.issue_reset(&actor_type, &provider, &entity_id).await {
                    tracing::error!(%error, "password reset could not be issued");
                }
            });
            Ok(empty_response(StatusCode::CREATED))
        }

        /// Makes, stores (hashed) and sends a reset token, if the identity exists.
        async fn issue_reset(
            &self,
            actor_type: &str,
            provider: &str,
            entity_id: &str,
        ) -> Result<(), AuthError> {
            if self.service().registry().get(provider).is_err() {
                return Ok(());
            }
            let store = ProviderStore::new(provider, self.identities().clone());
            let Some((_, identity)) = store.find(entity_id).await? else {
                tracing::debug!(provider, "password reset for an unknown identifier");
                return Ok(());
            };
            let token = Secret::generate(RESET_TOKEN_PREFIX)?;
            let expires_at = now_secs() + self.settings().reset_token_ttl.as_secs().min(30 * 60);
            self.reset_tokens()
                .replace_reset_token(&ResetTokenRecord {
                    token_hash: token.hash(),
                    auth_identity_id: identity.id.clone(),
                    actor_type: actor_type.to_owned(),
                    provider: provider.to_owned(),
                    expires_at,
                })
                .await?;
            tracing::info!(auth_identity_id = %identity.id, "password reset token issued");
            self.notifier()
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

        /// `POST /auth/{actor_type}/{provider}/update`: the reset token from
        /// `Authorization: Bearer` is consumed (single use) and must have been
        /// issued for this actor type and provider; the identity comes from it,
        /// never from the body. On success every earlier credential of the
        /// identity is revoked.
        pub(crate) async fn update_with_reset_token(
            &self,
            actor_type: &str,
            provider: &str,
            head: &RequestHead<'_>,
            body: &[u8],
        ) -> Result<Response<Bytes>, AuthError> {
            let credentials = Credentials::from_head(head, &self.settings().session.cookie_name)?;
            let token = credentials
                .bearer
                .as_deref()
                .filter(|token| token.starts_with(RESET_TOKEN_PREFIX))
                .ok_or(AuthError::InvalidResetToken)?;
            let data = parse_json_body(body)?;
            let record = self
                .reset_tokens()
                .consume_reset_token(&hash_secret(token))
                .await?
                .ok_or(AuthError::InvalidResetToken)?;
            if record.actor_type != actor_type
                || record.provider != provider
                || record.expires_at <= now_secs()
            {
                tracing::warn!(auth_identity_id = %record.auth_identity_id, "reset token used out of purpose or expired");
                return Err(AuthError::InvalidResetToken);
            }
            let identity = self
                .identities()
                .identity(&record.auth_identity_id)
                .await?
                .ok_or(AuthError::InvalidResetToken)?;
            match self
                .service()
                .update_provider(provider, &identity, &data)
                .await?
            {
                ProviderOutcome::Authenticated(_) => {
                    self.revoke_all_credentials(&identity.id).await?;
                    Ok(token_response(&json!({ "success": true })))
                }
                ProviderOutcome::Failed(message) => Err(AuthError::Unauthorized(message)),
                ProviderOutcome::Redirect { .. } => Err(AuthError::Internal),
            }
        }
    }
}
