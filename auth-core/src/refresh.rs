//! Rotating refresh tokens (opt-in).
//!
//! With [`RefreshSettings::enabled`], login also answers a `refresh_token`.
//! `POST /auth/token/refresh` with `{"refresh_token"}` rotates it: the old one
//! is used up, a new one comes back with a new access token. Presenting a used
//! one again means it was stolen or replayed: its whole family is revoked.
//!
//! [`RefreshTokens`] is the service: it starts families and rotates tokens in
//! a [`RefreshTokenStore`], at its clock's time.
//!
//! ```
//! use auth_core::refresh::RefreshSettings;
//!
//! let settings = RefreshSettings::default();
//! assert!(!settings.enabled);
//! assert!(settings.idle_timeout < settings.absolute_timeout);
//! assert!(settings.enabled(true).enabled);
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::identity::AuthContext;
use crate::secret::{Secret, hash_secret};
use crate::store::{RefreshRotation, RefreshTokenRecord, RefreshTokenStore};

/// Every refresh token starts with this.
const REFRESH_TOKEN_PREFIX: &str = "rft_";

/// How refresh tokens behave.
#[derive(Clone, Debug)]
#[non_exhaustive]
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

impl RefreshSettings {
    /// Sets whether login returns refresh tokens.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }

    /// Sets the absolute timeout of a family.
    pub fn absolute_timeout(mut self, absolute_timeout: Duration) -> Self {
        self.absolute_timeout = absolute_timeout;
        self
    }
}

/// What presenting a refresh token did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rotation {
    /// It was current: used up now, `successor` replaces it.
    Rotated {
        /// The presented token's record.
        record: RefreshTokenRecord,
        /// The new refresh token.
        successor: Secret,
    },
    /// It had been used before: its family is revoked, and the login `sid`
    /// must end (the answer is `401`).
    Reused {
        /// The login (and family) id.
        sid: String,
        /// The family's absolute expiry, Unix seconds.
        family_expires_at: u64,
    },
}

/// Rotating refresh tokens: a [`RefreshTokenStore`] under [`RefreshSettings`].
#[derive(Clone)]
pub struct RefreshTokens {
    store: Arc<dyn RefreshTokenStore>,
    settings: RefreshSettings,
    clock: SharedClock,
}

impl RefreshTokens {
    /// Refresh tokens kept in `store`.
    pub fn new(
        store: Arc<dyn RefreshTokenStore>,
        settings: RefreshSettings,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            settings,
            clock,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &RefreshSettings {
        &self.settings
    }

    /// Starts a family for the fresh login `sid` of `context` and returns its
    /// first token. The family's id is the login's `sid`, so reusing one of its
    /// tokens can end the login's access tokens too.
    pub async fn start_family(
        &self,
        context: &AuthContext,
        sid: &str,
    ) -> Result<Secret, AuthError> {
        let token = Secret::generate(REFRESH_TOKEN_PREFIX)?;
        let now = self.clock.now_secs();
        let family_expires_at = now.saturating_add(self.settings.absolute_timeout.as_secs());
        self.store
            .create_refresh_token(&RefreshTokenRecord {
                token_hash: token.hash(),
                family_id: sid.to_owned(),
                auth_identity_id: context.auth_identity_id.clone(),
                actor_type: context.actor_type.clone(),
                expires_at: self.idle_expiry(now).min(family_expires_at),
                family_expires_at,
            })
            .await?;
        Ok(token)
    }

    /// Uses up `presented` and returns its record with the successor token.
    /// A token presented twice revokes its whole family and answers
    /// [`Rotation::Reused`] (the caller ends the login); an unknown, expired
    /// or revoked one is [`AuthError::InvalidToken`]; when refresh tokens are
    /// disabled, `400 invalid_data`.
    pub async fn rotate(&self, presented: &str) -> Result<Rotation, AuthError> {
        if !self.settings.enabled {
            return Err(AuthError::InvalidData(
                "Refresh tokens are not enabled".into(),
            ));
        }
        if !presented.starts_with(REFRESH_TOKEN_PREFIX) {
            return Err(AuthError::InvalidToken);
        }
        let successor = Secret::generate(REFRESH_TOKEN_PREFIX)?;
        let now = self.clock.now_secs();
        let rotation = self
            .store
            .rotate_refresh_token(
                &hash_secret(presented),
                &successor.hash(),
                self.idle_expiry(now),
                now,
            )
            .await?;
        match rotation {
            RefreshRotation::Rotated(record) => Ok(Rotation::Rotated { record, successor }),
            RefreshRotation::Reused {
                family_id,
                family_expires_at,
            } => {
                tracing::warn!(
                    sid = %family_id,
                    "refresh token presented twice: its family is revoked"
                );
                Ok(Rotation::Reused {
                    sid: family_id,
                    family_expires_at,
                })
            }
            RefreshRotation::Unknown => Err(AuthError::InvalidToken),
        }
    }

    /// Revokes every refresh token of an identity.
    pub async fn revoke_identity_tokens(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        self.store
            .revoke_identity_refresh_tokens(auth_identity_id)
            .await?;
        Ok(())
    }

    fn idle_expiry(&self, now: u64) -> u64 {
        now.saturating_add(self.settings.idle_timeout.as_secs())
    }
}
