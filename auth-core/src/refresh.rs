//! Rotating refresh tokens (opt-in).
//!
//! With [`RefreshSettings::enabled`], login also answers a `refresh_token`.
//! `POST /auth/token/refresh` with `{"refresh_token"}` rotates it: the old one
//! is used up, a new one comes back with a new access token. Presenting a used
//! one again means it was stolen or replayed: its whole family is revoked.
//!
//! ```
//! use auth_core::refresh::RefreshSettings;
//!
//! let settings = RefreshSettings::default();
//! assert!(!settings.enabled);
//! assert!(settings.idle_timeout < settings.absolute_timeout);
//! ```

use std::time::Duration;

/// How refresh tokens behave.
#[derive(Clone, Debug)]
pub struct RefreshSettings {
    /// Whether login returns refresh tokens (default off).
    pub enabled: bool,
    /// A refresh token unused for this long expires (default 14 days).
    pub idle_timeout: Duration,
    /// A family ends this long after the login that started it (default 30 days).
    pub absolute_timeout: Duration,
}

impl Default for RefreshSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            idle_timeout: Duration::from_secs(14 * 86_400),
            absolute_timeout: Duration::from_secs(30 * 86_400),
        }
    }
}

mod flows {
    use bytes::Bytes;
    use http::Response;
    use serde_json::json;

    use crate::AuthModule;
    use crate::clock::now_secs;
    use crate::error::AuthError;
    use crate::identity::{AuthContext, new_id};
    use crate::response::token_response;
    use crate::secret::{Secret, hash_secret};
    use crate::store::{RefreshRotation, RefreshTokenRecord};

    /// Every refresh token starts with this.
    const REFRESH_TOKEN_PREFIX: &str = "rft_";

    impl AuthModule {
        /// Starts a refresh-token family for a fresh login.
        pub(crate) async fn start_refresh_family(
            &self,
            context: &AuthContext,
        ) -> Result<Secret, AuthError> {
            let settings = &self.settings().refresh;
            let token = Secret::generate(REFRESH_TOKEN_PREFIX)?;
            let now = now_secs();
            let family_expires_at = now + settings.absolute_timeout.as_secs();
            self.refresh_tokens()
                .create_refresh_token(&RefreshTokenRecord {
                    token_hash: token.hash(),
                    family_id: new_id("rtfam"),
                    auth_identity_id: context.auth_identity_id.clone(),
                    actor_type: context.actor_type.clone(),
                    expires_at: (now + settings.idle_timeout.as_secs()).min(family_expires_at),
                    family_expires_at,
                })
                .await?;
            Ok(token)
        }

        /// `POST /auth/token/refresh` with `{"refresh_token"}`: rotates the
        /// token and signs a new access token from the identity's current state.
        pub(crate) async fn rotate_refresh_token(
            &self,
            presented: &str,
        ) -> Result<Response<Bytes>, AuthError> {
            if !self.settings().refresh.enabled {
                return Err(AuthError::InvalidData(
                    "Refresh tokens are not enabled".into(),
                ));
            }
            if !presented.starts_with(REFRESH_TOKEN_PREFIX) {
                return Err(AuthError::InvalidToken);
            }
            let successor = Secret::generate(REFRESH_TOKEN_PREFIX)?;
            let now = now_secs();
            let idle = self.settings().refresh.idle_timeout.as_secs();
            let rotation = self
                .refresh_tokens()
                .rotate_refresh_token(&hash_secret(presented), &successor.hash(), now + idle, now)
                .await?;
            let record = match rotation {
                RefreshRotation::Rotated(record) => record,
                RefreshRotation::Reused => {
                    tracing::warn!("refresh token presented twice: its family is revoked");
                    return Err(AuthError::InvalidToken);
                }
                RefreshRotation::Unknown => return Err(AuthError::InvalidToken),
            };
            let identity = self
                .identities()
                .identity(&record.auth_identity_id)
                .await?
                .ok_or(AuthError::InvalidToken)?;
            let context = AuthContext::for_identity(&identity, &record.actor_type);
            let token = self.issue_token(&context)?;
            Ok(token_response(&json!({
                "token": token,
                "refresh_token": successor.as_str(),
            })))
        }
    }
}
