//! Bearer access tokens as credentials: issued for a context, and verified
//! with their revocation on every use.
//!
//! [`AccessTokens`] joins the [`TokenService`] (signature and claims, strictly)
//! and [`Revocations`] (deny-listed `jti`, identity cut-offs): a token that
//! verifies but was revoked is refused like a forged one, with
//! [`AuthError::InvalidToken`], and the reason goes to `tracing` only.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::access_token::AccessTokens;
//! use auth_core::clock::{SharedClock, SystemClock};
//! use auth_core::identity::AuthContext;
//! use auth_core::revocation::Revocations;
//! use auth_core::store::MemoryStore;
//! use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
//!
//! let clock: SharedClock = Arc::new(SystemClock);
//! let key = Key::hmac("k1", Algorithm::HS256, b"an example secret of 32+ bytes!!").unwrap();
//! let tokens = TokenService::new(KeySet::new(key).unwrap(), TokenConfig::new("https://a.example", "a")).unwrap();
//! let revocations = Revocations::new(Arc::new(MemoryStore::new()), clock.clone());
//! let access = AccessTokens::new(tokens.with_clock(clock), revocations.clone());
//!
//! let context = AuthContext {
//!     actor_id: "cus_1".into(),
//!     actor_type: "customer".into(),
//!     auth_identity_id: "authid_1".into(),
//!     app_metadata: Default::default(),
//! };
//! let token = access.issue(&context).unwrap();
//! let caller = access.verify(&token).await.unwrap();
//! revocations.revoke_token(caller.token_id.as_deref().unwrap(), caller.expires_at.unwrap()).await.unwrap();
//! assert!(access.verify(&token).await.is_err());
//! # });
//! ```

use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};
use crate::policy::Authenticated;
use crate::revocation::Revocations;
use crate::token::{TokenError, TokenService};

/// Issues access tokens and verifies bearer tokens, revocation included.
#[derive(Clone)]
pub struct AccessTokens {
    tokens: TokenService,
    revocations: Revocations,
}

impl AccessTokens {
    /// Tokens of `tokens`, checked against `revocations`.
    pub fn new(tokens: TokenService, revocations: Revocations) -> Self {
        Self {
            tokens,
            revocations,
        }
    }

    /// The token service.
    pub fn tokens(&self) -> &TokenService {
        &self.tokens
    }

    /// The revocation checks.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// Signs an access token for `context`, valid from now.
    pub fn issue(&self, context: &AuthContext) -> Result<String, AuthError> {
        self.tokens.issue_token(context).map_err(|error| {
            tracing::error!(%error, "signing an access token failed");
            AuthError::Internal
        })
    }

    /// Verifies a bearer token: signature and claims, then revocation
    /// (deny-listed `jti`, identity-wide "tokens valid after") on every call.
    pub async fn verify(&self, token: &str) -> Result<Authenticated, AuthError> {
        let claims = self.tokens.verify(token).map_err(refuse_token)?;
        self.revocations.check_token(&claims).await?;
        Ok(Authenticated {
            context: claims.context(),
            credential: CredentialKind::Bearer,
            token_id: claims.jti.clone(),
            expires_at: Some(claims.exp),
        })
    }
}

/// Logs why a token was refused (never the token) and gives the one answer the
/// client sees.
fn refuse_token(reason: TokenError) -> AuthError {
    tracing::debug!(%reason, "bearer token refused");
    AuthError::InvalidToken
}
