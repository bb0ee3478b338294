//! Revocation: deny-listed access tokens and identity-wide cut-offs.
//!
//! Two rules, checked on every use of a credential, cached token or not:
//!
//! - a token whose `jti` is deny-listed (logout) is refused;
//! - a token whose login (`sid`) has ended (logout, refresh-token reuse) is
//!   refused. Ended logins share the deny-list with `jti`s under a `login:`
//!   prefix, kept until the last token of the login could have expired;
//! - a credential of an identity whose login began before the identity's
//!   "tokens valid after" time (a password reset) is refused. A token is
//!   judged by when its login began (the `sid` and `auth_time` it keeps
//!   through refreshes), taken before the password was read: a login that
//!   read the old password is refused even if its token was signed after the
//!   reset. The cut-off is in milliseconds, so a login a moment before a
//!   reset is told apart from one a moment after it.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::clock::TestClock;
//! use auth_core::revocation::Revocations;
//! use auth_core::store::MemoryStore;
//!
//! let clock = TestClock::at_secs(1_700_000_000);
//! let revocations = Revocations::new(Arc::new(MemoryStore::new()), Arc::new(clock.clone()));
//! let issued_at_ms = 1_700_000_000_000;
//! assert!(revocations.check_identity_cutoff("authid_1", issued_at_ms).await.is_ok());
//! clock.advance(std::time::Duration::from_millis(1));
//! revocations.revoke_identity_tokens("authid_1").await.unwrap();
//! assert!(revocations.check_identity_cutoff("authid_1", issued_at_ms).await.is_err());
//! # });
//! ```

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::store::RevocationStore;
use crate::token::{AccessClaims, LoginSession};

/// The revocation checks and writes over a [`RevocationStore`].
#[derive(Clone)]
pub struct Revocations {
    store: Arc<dyn RevocationStore>,
    clock: SharedClock,
}

impl Revocations {
    /// Revocations kept in `store`; cut-offs are taken at `clock`'s time.
    pub fn new(store: Arc<dyn RevocationStore>, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn RevocationStore> {
        &self.store
    }

    /// The clock cut-offs are taken at.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Refuses verified `claims` whose `jti` is deny-listed, whose login has
    /// ended, or whose login began before their identity's cut-off.
    pub async fn check_token(&self, claims: &AccessClaims) -> Result<(), AuthError> {
        if let Some(jti) = claims.jti.as_deref()
            && self.store.is_token_revoked(jti).await?
        {
            tracing::debug!(jti, "revoked token presented");
            return Err(AuthError::InvalidToken);
        }
        if let Some(sid) = claims.sid.as_deref() {
            self.check_login(sid).await.inspect_err(|_| {
                tracing::debug!(jti = ?claims.jti, sid, "token of an ended login presented");
            })?;
        }
        let login_began_ms = LoginSession::of(claims).started_ms();
        self.check_identity_cutoff(&claims.auth_identity_id, login_began_ms)
            .await
            .inspect_err(|_| {
                tracing::debug!(jti = ?claims.jti, "token of a login begun before identity-wide revocation");
            })
    }

    /// Refuses a credential of `auth_identity_id` whose login began (Unix
    /// milliseconds) before the identity's "tokens valid after" time.
    pub async fn check_identity_cutoff(
        &self,
        auth_identity_id: &str,
        issued_at_ms: u64,
    ) -> Result<(), AuthError> {
        match self.store.tokens_valid_after(auth_identity_id).await? {
            Some(valid_after_ms) if issued_at_ms < valid_after_ms => Err(AuthError::InvalidToken),
            _ => Ok(()),
        }
    }

    /// Refuses a credential of the login `sid` once that login has ended.
    pub async fn check_login(&self, sid: &str) -> Result<(), AuthError> {
        if self.store.is_token_revoked(&login_key(sid)).await? {
            return Err(AuthError::InvalidToken);
        }
        Ok(())
    }

    /// Ends the login `sid`: every token carrying it is refused until `until`
    /// (Unix seconds; pass the latest `exp` any of its tokens can have).
    pub async fn end_login(&self, sid: &str, until: u64) -> Result<(), AuthError> {
        self.store.revoke_token(&login_key(sid), until).await?;
        tracing::info!(sid, "login ended");
        Ok(())
    }

    /// Deny-lists one token id until `expires_at` (its `exp`, Unix seconds).
    pub async fn revoke_token(&self, jti: &str, expires_at: u64) -> Result<(), AuthError> {
        self.store.revoke_token(jti, expires_at).await?;
        Ok(())
    }

    /// Refuses every credential of `auth_identity_id` issued until now.
    pub async fn revoke_identity_tokens(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        self.store
            .revoke_identity_tokens(auth_identity_id, self.clock.now_ms())
            .await?;
        Ok(())
    }
}

/// The deny-list key of an ended login. `jti`s we issue are ULIDs (no `:`),
/// so the two never collide.
fn login_key(sid: &str) -> String {
    format!("login:{sid}")
}
