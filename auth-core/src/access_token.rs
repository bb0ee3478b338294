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

use std::sync::Arc;
use std::time::Duration;

use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};
use crate::policy::Authenticated;
use crate::revocation::Revocations;
use crate::token::{AccessClaims, IssuedToken, LoginSession, TokenError, TokenService};

/// How long a login lasts by default: refreshes stop 7 days after the user
/// authenticated.
pub const DEFAULT_LOGIN_MAX_AGE: Duration = Duration::from_secs(7 * 86_400);

/// Issues access tokens and verifies bearer tokens, revocation included.
#[derive(Clone)]
pub struct AccessTokens {
    tokens: TokenService,
    revocations: Revocations,
    login_max_age: Duration,
}

impl AccessTokens {
    /// Tokens of `tokens`, checked against `revocations`; logins last
    /// [`DEFAULT_LOGIN_MAX_AGE`].
    pub fn new(tokens: TokenService, revocations: Revocations) -> Self {
        Self {
            tokens,
            revocations,
            login_max_age: DEFAULT_LOGIN_MAX_AGE,
        }
    }

    /// Sets how long after the user authenticated a bearer refresh may still
    /// issue tokens (`AUTH_LOGIN_MAX_AGE`).
    pub fn with_login_max_age(mut self, login_max_age: Duration) -> Self {
        self.login_max_age = login_max_age;
        self
    }

    /// How long a login lasts.
    pub fn login_max_age(&self) -> Duration {
        self.login_max_age
    }

    /// The token service.
    pub fn tokens(&self) -> &TokenService {
        &self.tokens
    }

    /// The revocation checks.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// Signs an access token for `context`, valid from now, in a new login.
    pub fn issue(&self, context: &AuthContext) -> Result<String, AuthError> {
        self.start_login(context).map(|issued| issued.token)
    }

    /// Starts a login of `context` (a new `sid`, `auth_time` now) and signs
    /// its first access token.
    pub fn start_login(&self, context: &AuthContext) -> Result<IssuedToken, AuthError> {
        self.sign_first(context, &self.begin_login())
    }

    /// A login that begins now: take it before the credential is read, and
    /// sign its first token with [`sign_first`](Self::sign_first) once the
    /// credential is verified. A password reset between the two cuts the
    /// login off, since it began before the reset.
    pub fn begin_login(&self) -> LoginSession {
        LoginSession::start_at_ms(self.revocations.clock().now_ms())
    }

    /// Signs the first access token of `login` (from
    /// [`begin_login`](Self::begin_login)) for `context`.
    pub fn sign_first(
        &self,
        context: &AuthContext,
        login: &LoginSession,
    ) -> Result<IssuedToken, AuthError> {
        self.tokens
            .issue_in(context, login, u64::MAX)
            .map_err(|error| {
                tracing::error!(%error, "signing an access token failed");
                AuthError::Internal
            })
    }

    /// A bearer refresh: a token for `context` in the login of `caller`,
    /// never valid past the login's `auth_time` plus the login max age; once
    /// that has passed, [`AuthError::InvalidToken`].
    pub fn continue_login(
        &self,
        context: &AuthContext,
        caller: &AccessClaims,
    ) -> Result<String, AuthError> {
        let login = LoginSession::of(caller);
        let not_after = login.auth_time.saturating_add(self.login_max_age.as_secs());
        self.continue_login_until(context, &login, not_after)
    }

    /// A token for `context` in `login`, expiring at `not_after` at the latest
    /// (a refresh-token rotation passes its family's end).
    pub fn continue_login_until(
        &self,
        context: &AuthContext,
        login: &LoginSession,
        not_after: u64,
    ) -> Result<String, AuthError> {
        match self.tokens.issue_in(context, login, not_after) {
            Ok(issued) => Ok(issued.token),
            Err(TokenError::Expired) => {
                tracing::debug!(sid = %login.sid, "login past its max age: no refresh");
                Err(AuthError::InvalidToken)
            }
            Err(error) => {
                tracing::error!(%error, "signing an access token failed");
                Err(AuthError::Internal)
            }
        }
    }

    /// Verifies a bearer token like [`verify`](Self::verify) and also returns
    /// its claims (for refresh and logout, which need its login).
    pub async fn verify_claims(
        &self,
        token: &str,
    ) -> Result<(Authenticated, Arc<AccessClaims>), AuthError> {
        let claims = self.tokens.verify(token).map_err(refuse_token)?;
        self.revocations.check_token(&claims).await?;
        let caller = Authenticated {
            context: claims.context(),
            credential: CredentialKind::Bearer,
            token_id: claims.jti.clone(),
            expires_at: Some(claims.exp),
        };
        Ok((caller, claims))
    }

    /// Verifies a bearer token: signature and claims, then revocation
    /// (deny-listed `jti`, ended login `sid`, identity-wide "tokens valid
    /// after") on every call.
    pub async fn verify(&self, token: &str) -> Result<Authenticated, AuthError> {
        self.verify_claims(token).await.map(|(caller, _)| caller)
    }
}

/// Logs why a token was refused (never the token) and gives the one answer the
/// client sees.
fn refuse_token(reason: TokenError) -> AuthError {
    tracing::debug!(%reason, "bearer token refused");
    AuthError::InvalidToken
}
