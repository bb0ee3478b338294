//! Revocation: deny-listed access tokens and identity-wide cut-offs.
//!
//! Two rules, checked on every use of a credential, cached token or not:
//!
//! - a token whose `jti` is deny-listed (logout) is refused;
//! - a token whose login (`sid`) has ended (logout, refresh-token reuse) is
//!   refused, and so is a session made from a token of that login. Ended
//!   logins share the deny-list with `jti`s under a `login:` prefix, kept
//!   until the last token of the login, and every session that existed when
//!   it ended, could have expired;
//! - a credential of an identity whose login began before the identity's
//!   "tokens valid after" time (a password reset) is refused. A token is
//!   judged by when its login began (the `sid` and `auth_time` it keeps
//!   through refreshes), taken before the password was read: a login that
//!   read the old password is refused even if its token was signed after the
//!   reset. The cut-off is in milliseconds, so a login a moment before a
//!   reset is told apart from one a moment after it.
//!
//! The checks read an in-memory view of the store, so a check is a hash
//! lookup, not a query. The view is loaded from the store
//! ([`RevocationStore::live_revocations`]) by the first check or write that
//! needs it; until a load succeeds, checks answer `503`, never a pass. Every
//! write goes to the store first and then into the view before it returns,
//! so within one process there is no window in which a revoked credential
//! passes. Entries leave the view when the token they refuse has expired.
//! The view sees only this process's writes: processes sharing a store
//! need a change feed from it (not yet built).
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

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::OnceCell;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::store::{RevocationSnapshot, RevocationStore, StoreError};
use crate::token::{AccessClaims, LoginSession};

/// Expired deny-list entries are swept from the view at most this often.
const SWEEP_INTERVAL_SECS: u64 = 60;

/// The revocation checks and writes over a [`RevocationStore`].
#[derive(Clone)]
pub struct Revocations {
    store: Arc<dyn RevocationStore>,
    clock: SharedClock,
    view: Arc<OnceCell<RwLock<View>>>,
}

/// What is revoked, in memory: the store's live entries plus this process's
/// own writes since it loaded them.
#[derive(Debug, Default)]
struct View {
    /// Deny-listed keys (`jti`s and `login:<sid>`) and when they may leave.
    denied: HashMap<String, u64>,
    /// Per identity, the time (Unix ms) before which its logins are refused.
    cutoffs: HashMap<String, u64>,
    /// When expired entries were last swept (Unix seconds).
    swept_at: u64,
}

impl View {
    fn loaded(snapshot: RevocationSnapshot, now: u64) -> Self {
        let mut view = Self {
            swept_at: now,
            ..Self::default()
        };
        for (key, until) in snapshot.denied {
            view.deny(key, until);
        }
        for (auth_identity_id, after_ms) in snapshot.cutoffs {
            view.cut_off(auth_identity_id, after_ms);
        }
        view
    }

    fn deny(&mut self, key: String, until: u64) {
        let entry = self.denied.entry(key).or_insert(until);
        *entry = (*entry).max(until);
    }

    fn cut_off(&mut self, auth_identity_id: String, after_ms: u64) {
        let entry = self.cutoffs.entry(auth_identity_id).or_insert(after_ms);
        *entry = (*entry).max(after_ms);
    }

    /// Drops deny-list entries whose tokens have all expired.
    fn sweep(&mut self, now: u64) {
        if now.saturating_sub(self.swept_at) >= SWEEP_INTERVAL_SECS {
            self.denied.retain(|_, until| *until > now);
            self.swept_at = now;
        }
    }
}

impl Revocations {
    /// Revocations kept in `store`; cut-offs are taken at `clock`'s time.
    pub fn new(store: Arc<dyn RevocationStore>, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            view: Arc::new(OnceCell::new()),
        }
    }

    /// The in-memory view, loaded from the store on first use. A load that
    /// fails is retried by the next caller; meanwhile the answer is `503`.
    async fn view(&self) -> Result<&RwLock<View>, AuthError> {
        self.view
            .get_or_try_init(|| async {
                let now = self.clock.now_secs();
                let snapshot = self.store.live_revocations(now).await?;
                tracing::info!(
                    denied = snapshot.denied.len(),
                    cutoffs = snapshot.cutoffs.len(),
                    "revocation view loaded"
                );
                Ok::<_, StoreError>(RwLock::new(View::loaded(snapshot, now)))
            })
            .await
            .map_err(AuthError::from)
    }

    /// Reads the view.
    async fn read<T>(&self, read: impl FnOnce(&View) -> T) -> Result<T, AuthError> {
        let view = self.view().await?;
        let guard = view.read().map_err(|_| poisoned())?;
        Ok(read(&guard))
    }

    /// Changes the view, after the same change was written to the store.
    async fn write(&self, write: impl FnOnce(&mut View)) -> Result<(), AuthError> {
        let now = self.clock.now_secs();
        let view = self.view().await?;
        let mut guard = view.write().map_err(|_| poisoned())?;
        write(&mut guard);
        guard.sweep(now);
        Ok(())
    }

    /// Records in the view an identity cut-off that a store operation of its
    /// own has already written (a reset's transaction), so that this process
    /// refuses earlier logins from the moment the operation returns.
    pub async fn note_identity_cutoff(
        &self,
        auth_identity_id: &str,
        after_ms: u64,
    ) -> Result<(), AuthError> {
        self.write(|view| view.cut_off(auth_identity_id.to_owned(), after_ms))
            .await
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
            && self.read(|view| view.denied.contains_key(jti)).await?
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
        let valid_after_ms = self
            .read(|view| view.cutoffs.get(auth_identity_id).copied())
            .await?;
        match valid_after_ms {
            Some(valid_after_ms) if issued_at_ms < valid_after_ms => Err(AuthError::InvalidToken),
            _ => Ok(()),
        }
    }

    /// Refuses a credential of the login `sid` once that login has ended.
    pub async fn check_login(&self, sid: &str) -> Result<(), AuthError> {
        let key = login_key(sid);
        if self.read(|view| view.denied.contains_key(&key)).await? {
            return Err(AuthError::InvalidToken);
        }
        Ok(())
    }

    /// Ends the login `sid`: every token carrying it is refused until `until`
    /// (Unix seconds; pass the latest `exp` any of its tokens can have).
    pub async fn end_login(&self, sid: &str, until: u64) -> Result<(), AuthError> {
        let key = login_key(sid);
        self.store.revoke_token(&key, until).await?;
        self.write(|view| view.deny(key, until)).await?;
        tracing::info!(sid, "login ended");
        Ok(())
    }

    /// Deny-lists one token id until `expires_at` (its `exp`, Unix seconds).
    pub async fn revoke_token(&self, jti: &str, expires_at: u64) -> Result<(), AuthError> {
        self.store.revoke_token(jti, expires_at).await?;
        self.write(|view| view.deny(jti.to_owned(), expires_at))
            .await
    }

    /// Refuses every credential of `auth_identity_id` issued until now.
    pub async fn revoke_identity_tokens(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        let after_ms = self.clock.now_ms();
        self.store
            .revoke_identity_tokens(auth_identity_id, after_ms)
            .await?;
        self.note_identity_cutoff(auth_identity_id, after_ms).await
    }
}

/// A lock poisoned by a panic elsewhere: refuse rather than guess.
fn poisoned() -> AuthError {
    tracing::error!("revocation view lock poisoned");
    AuthError::Unavailable
}

/// The deny-list key of an ended login. `jti`s we issue are ULIDs (no `:`),
/// so the two never collide.
fn login_key(sid: &str) -> String {
    format!("login:{sid}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::access_token::AccessTokens;
    use crate::clock::TestClock;
    use crate::identity::AuthContext;
    use crate::store::MemoryStore;
    use crate::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};

    fn access_tokens(clock: &TestClock) -> AccessTokens {
        let clock: SharedClock = Arc::new(clock.clone());
        let key = Key::hmac("k1", Algorithm::HS256, b"an example secret of 32+ bytes!!").unwrap();
        let tokens = TokenService::new(KeySet::new(key).unwrap(), TokenConfig::new("i", "a"))
            .unwrap()
            .with_clock(clock.clone());
        AccessTokens::new(
            tokens,
            Revocations::new(Arc::new(MemoryStore::new()), clock),
        )
    }

    fn context() -> AuthContext {
        AuthContext {
            actor_id: "cus_1".into(),
            actor_type: "customer".into(),
            auth_identity_id: "authid_1".into(),
            app_metadata: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_login_begun_before_a_reset_is_cut_off_even_if_signed_after_it() {
        let clock = TestClock::at_secs(1_700_000_000);
        let access = access_tokens(&clock);
        let login = access.begin_login();
        clock.advance(Duration::from_millis(300));
        access
            .revocations()
            .revoke_identity_tokens("authid_1")
            .await
            .unwrap();
        clock.advance(Duration::from_millis(300));
        let late = access.sign_first(&context(), &login).unwrap();
        assert_eq!(
            access.verify(&late.token).await.unwrap_err(),
            AuthError::InvalidToken
        );
        let refreshed = access.continue_login(&context(), &late.claims).unwrap();
        assert!(access.verify(&refreshed).await.is_err());
    }

    #[tokio::test]
    async fn a_login_begun_a_millisecond_after_a_reset_stays_valid() {
        let clock = TestClock::at_secs(1_700_000_000);
        let access = access_tokens(&clock);
        clock.advance(Duration::from_millis(400));
        access
            .revocations()
            .revoke_identity_tokens("authid_1")
            .await
            .unwrap();
        clock.advance(Duration::from_millis(1));
        let login = access.begin_login();
        let token = access.sign_first(&context(), &login).unwrap();
        assert!(access.verify(&token.token).await.is_ok());
    }

    #[test]
    fn a_login_began_at_its_sid_time_never_later_than_its_auth_time_second() {
        let login = LoginSession::start_at_ms(1_700_000_000_250);
        assert_eq!(login.auth_time, 1_700_000_000);
        assert_eq!(login.started_ms(), 1_700_000_000_250);
        let foreign = LoginSession {
            sid: "not-a-ulid".into(),
            auth_time: 1_700_000_000,
        };
        assert_eq!(foreign.started_ms(), 1_700_000_000_000);
        let later_sid = LoginSession {
            sid: LoginSession::start_at_ms(1_700_000_005_000).sid,
            auth_time: 1_700_000_000,
        };
        assert_eq!(later_sid.started_ms(), 1_700_000_000_000);
    }
}
