//! In-memory stores, for tests and single-process experiments. Nothing survives a restart.
//!
//! Everything a [`MemoryStore`] holds is bounded, since it is the builder's
//! default and requests make it grow:
//!
//! - **Entries leave when what they guard has expired**: deny-listed token ids
//!   and ended logins, sessions, reset tokens and refresh tokens (with revoked
//!   families) an hour after their expiry, as in the SQLite store; throttle
//!   counters when their window ends, or when a reservation is given back to
//!   zero. Expired entries are swept at most once a minute, and whenever a
//!   table is at its cap.
//! - **Each table has a hard cap** ([`MemoryLimits`]). When a table is full of
//!   live entries, adding one more fails with [`StoreError::Unavailable`] (the
//!   request answers `503` with `Retry-After`) and nothing already stored is
//!   dropped: a revocation is never evicted to make room, and a full deny-list
//!   fails closed. Revoking a refresh family is never refused; a new refresh
//!   token is.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::store::{MemoryLimits, MemoryStore, RevocationStore, StoreError};
//!
//! let store = MemoryStore::new().with_limits(MemoryLimits::default().revoked_tokens(1));
//! let far_future = 4_102_444_800;
//! store.revoke_token("jti-1", far_future).await.unwrap();
//! let full = store.revoke_token("jti-2", far_future).await;
//! assert!(matches!(full, Err(StoreError::Unavailable(_))));
//! assert!(store.is_token_revoked("jti-1").await.unwrap());
//! # });
//! ```

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{
    ApiKeyRecord, ApiKeyStore, CredentialChange, CredentialStore, CredentialWrite, IdentityStore,
    InviteRecord, InviteStore, PRUNE_GRACE_SECS, RefreshRotation, RefreshTokenRecord,
    RefreshTokenStore, ResetCompletion, ResetOutcome, ResetTokenRecord, ResetTokenStore,
    RevocationSnapshot, RevocationStore, SessionRecord, SessionStore, StoreError, ThrottleStore,
    check_identity_id,
};
use crate::clock::{SharedClock, SystemClock};
use crate::identity::{AuthIdentity, LinkError, Metadata, ProviderIdentity};

/// Expired entries of a table are swept at most this often, unless it is full.
const SWEEP_INTERVAL_SECS: u64 = 60;

/// The most entries each table of a [`MemoryStore`] holds. Default 100 000
/// each: a few tens of megabytes at most.
///
/// ```
/// use auth_core::store::MemoryLimits;
///
/// let limits = MemoryLimits::default().sessions(10_000);
/// assert_eq!(limits.sessions, 10_000);
/// assert_eq!(limits.revoked_tokens, 100_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryLimits {
    /// Deny-listed token ids and ended logins.
    pub revoked_tokens: usize,
    /// Sessions.
    pub sessions: usize,
    /// Refresh tokens (used ones included) and revoked refresh families.
    pub refresh_tokens: usize,
    /// Pending reset tokens.
    pub reset_tokens: usize,
    /// Throttle counters.
    pub throttle_keys: usize,
}

impl Default for MemoryLimits {
    fn default() -> Self {
        Self {
            revoked_tokens: 100_000,
            sessions: 100_000,
            refresh_tokens: 100_000,
            reset_tokens: 100_000,
            throttle_keys: 100_000,
        }
    }
}

impl MemoryLimits {
    /// Sets the cap of the deny-list.
    pub fn revoked_tokens(mut self, max: usize) -> Self {
        self.revoked_tokens = max;
        self
    }

    /// Sets the cap of sessions.
    pub fn sessions(mut self, max: usize) -> Self {
        self.sessions = max;
        self
    }

    /// Sets the cap of refresh tokens and revoked families.
    pub fn refresh_tokens(mut self, max: usize) -> Self {
        self.refresh_tokens = max;
        self
    }

    /// Sets the cap of pending reset tokens.
    pub fn reset_tokens(mut self, max: usize) -> Self {
        self.reset_tokens = max;
        self
    }

    /// Sets the cap of throttle counters.
    pub fn throttle_keys(mut self, max: usize) -> Self {
        self.throttle_keys = max;
        self
    }
}

/// Every store trait, in memory, bounded: expired entries leave an hour after
/// they expire, and each table has a hard cap ([`MemoryLimits`]); a table full
/// of live entries refuses the next addition with [`StoreError::Unavailable`]
/// and drops nothing, so a full deny-list fails closed.
pub struct MemoryStore {
    state: Mutex<State>,
    limits: MemoryLimits,
    clock: SharedClock,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            limits: MemoryLimits::default(),
            clock: std::sync::Arc::new(SystemClock),
        }
    }
}

#[derive(Default)]
struct State {
    identities: HashMap<String, AuthIdentity>,
    logins: HashMap<String, ProviderIdentity>,
    revoked: HashMap<String, u64>,
    valid_after: HashMap<String, u64>,
    sessions: HashMap<String, SessionRecord>,
    reset_tokens: HashMap<String, ResetTokenRecord>,
    /// Refresh tokens by hash, with whether each was used.
    refresh_tokens: HashMap<String, (RefreshTokenRecord, bool)>,
    /// Revoked refresh families, with the family's absolute expiry.
    revoked_families: HashMap<String, u64>,
    api_keys: Vec<ApiKeyRecord>,
    /// Invites by token hash.
    invites: HashMap<String, InviteRecord>,
    /// Throttle counters: key to (window start, count).
    throttle: HashMap<String, (u64, u64)>,
    /// The newest throttle window seen; counters of older windows are dropped
    /// when a newer one starts, so the map holds one window's keys at most.
    throttle_window: u64,
    sweeps: Sweeps,
}

/// When each table was last swept of expired entries (Unix seconds).
#[derive(Default)]
struct Sweeps {
    revoked: u64,
    sessions: u64,
    reset_tokens: u64,
    refresh_tokens: u64,
}

/// Whether a table swept last at `last` is due at `now`: once a minute, or
/// once a second while it is full.
fn sweep_due(last: &mut u64, now: u64, full: bool) -> bool {
    let interval = if full { 1 } else { SWEEP_INTERVAL_SECS };
    if now >= last.saturating_add(interval) {
        *last = now;
        true
    } else {
        false
    }
}

/// Whether something that expired at `expires_at` is past keeping at `now`.
fn long_expired(expires_at: u64, now: u64) -> bool {
    expires_at.saturating_add(PRUNE_GRACE_SECS) < now
}

/// The error of a table full of live entries.
fn full(table: &str) -> StoreError {
    tracing::warn!(
        table,
        "memory store table full of live entries; refusing to add"
    );
    StoreError::Unavailable(format!("memory store: {table} full"))
}

impl State {
    /// The counter of `key` in the window starting at `window_start`, fresh if
    /// it was of another window. The first use of a newer window drops every
    /// counter of older ones. A key not counted yet is refused when `limit`
    /// counters exist.
    fn throttle_counter(
        &mut self,
        key: &str,
        window_start: u64,
        limit: usize,
    ) -> Result<&mut (u64, u64), StoreError> {
        if window_start > self.throttle_window {
            self.throttle_window = window_start;
            self.throttle.retain(|_, (start, _)| *start >= window_start);
        }
        if !self.throttle.contains_key(key) && self.throttle.len() >= limit {
            return Err(full("throttle counters"));
        }
        let entry = self
            .throttle
            .entry(key.to_owned())
            .or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        Ok(entry)
    }

    fn sweep_revoked(&mut self, now: u64, limit: usize) {
        if sweep_due(&mut self.sweeps.revoked, now, self.revoked.len() >= limit) {
            self.revoked.retain(|_, until| !long_expired(*until, now));
        }
    }

    fn sweep_sessions(&mut self, now: u64, limit: usize) {
        if sweep_due(&mut self.sweeps.sessions, now, self.sessions.len() >= limit) {
            self.sessions
                .retain(|_, s| !long_expired(s.expires_at, now));
        }
    }

    fn sweep_reset_tokens(&mut self, now: u64, limit: usize) {
        let is_full = self.reset_tokens.len() >= limit;
        if sweep_due(&mut self.sweeps.reset_tokens, now, is_full) {
            self.reset_tokens
                .retain(|_, r| !long_expired(r.expires_at, now));
        }
    }

    /// Revokes every refresh family of an identity, each until its
    /// absolute expiry. Never refused for room.
    fn revoke_identity_families(&mut self, auth_identity_id: &str) {
        let families: Vec<(String, u64)> = self
            .refresh_tokens
            .values()
            .filter(|(r, _)| r.auth_identity_id == auth_identity_id)
            .map(|(r, _)| (r.family_id.clone(), r.family_expires_at))
            .collect();
        for (family_id, family_expires_at) in families {
            let until = self.revoked_families.entry(family_id).or_insert(0);
            *until = (*until).max(family_expires_at);
        }
    }

    fn refresh_entries(&self) -> usize {
        self.refresh_tokens.len() + self.revoked_families.len()
    }

    fn sweep_refresh_tokens(&mut self, now: u64, limit: usize) {
        let is_full = self.refresh_entries() >= limit;
        if sweep_due(&mut self.sweeps.refresh_tokens, now, is_full) {
            // A token past its idle or absolute expiry rotates no more, used
            // or not: absent or expired, the answer is the same `Unknown`.
            self.refresh_tokens
                .retain(|_, (r, _)| !long_expired(r.expires_at.min(r.family_expires_at), now));
            self.revoked_families
                .retain(|_, family_expires_at| !long_expired(*family_expires_at, now));
        }
    }
}

impl MemoryStore {
    /// An empty store with the default [`MemoryLimits`], sweeping by the
    /// system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same store with other caps.
    pub fn with_limits(mut self, limits: MemoryLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same store, sweeping expired entries by `clock`'s time (the
    /// module's clock when it is not the system clock). Decisions about
    /// expiry still use the `now` each caller passes.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The caps.
    pub fn limits(&self) -> MemoryLimits {
        self.limits
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".into()))
    }

    fn now(&self) -> u64 {
        self.clock.now_secs()
    }
}

#[async_trait]
impl IdentityStore for MemoryStore {
    async fn create_identity(
        &self,
        identity: &AuthIdentity,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError> {
        check_identity_id(&identity.id)?;
        check_identity_id(&provider_identity.auth_identity_id)?;
        let mut state = self.state()?;
        if state.identities.contains_key(&identity.id) {
            return Err(StoreError::Conflict("auth_identity.id".into()));
        }
        insert_login(&mut state, provider_identity)?;
        state
            .identities
            .insert(identity.id.clone(), identity.clone());
        Ok(())
    }

    async fn add_provider_identity(
        &self,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError> {
        check_identity_id(&provider_identity.auth_identity_id)?;
        let mut state = self.state()?;
        if !state
            .identities
            .contains_key(&provider_identity.auth_identity_id)
        {
            return Err(StoreError::NotFound(
                provider_identity.auth_identity_id.clone(),
            ));
        }
        insert_login(&mut state, provider_identity)
    }

    async fn identity(&self, id: &str) -> Result<Option<AuthIdentity>, StoreError> {
        Ok(self.state()?.identities.get(id).cloned())
    }

    async fn find_provider_identity(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        Ok(self
            .state()?
            .logins
            .values()
            .find(|login| login.provider == provider && login.entity_id == entity_id)
            .cloned())
    }

    async fn find_provider_identity_ignoring_case(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        let state = self.state()?;
        let mut matches = state.logins.values().filter(|login| {
            login.provider == provider && login.entity_id.eq_ignore_ascii_case(entity_id)
        });
        let first = matches.next();
        let second = matches.next();
        let exact = state
            .logins
            .values()
            .find(|login| login.provider == provider && login.entity_id == entity_id);
        Ok(match (exact, first, second) {
            (Some(exact), _, _) => Some(exact.clone()),
            (None, Some(only), None) => Some(only.clone()),
            (None, Some(_), Some(_)) => {
                tracing::warn!(provider, "entity ids differing only in case: none chosen");
                None
            }
            (None, None, _) => None,
        })
    }

    async fn provider_identities(
        &self,
        auth_identity_id: &str,
    ) -> Result<Vec<ProviderIdentity>, StoreError> {
        Ok(self
            .state()?
            .logins
            .values()
            .filter(|login| login.auth_identity_id == auth_identity_id)
            .cloned()
            .collect())
    }

    async fn update_provider_metadata(
        &self,
        provider_identity_id: &str,
        provider_metadata: &Metadata,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let login = state
            .logins
            .get_mut(provider_identity_id)
            .ok_or_else(|| StoreError::NotFound(provider_identity_id.to_owned()))?;
        login.provider_metadata = provider_metadata.clone();
        Ok(())
    }

    async fn change_credential(
        &self,
        change: &CredentialChange,
    ) -> Result<CredentialWrite, StoreError> {
        apply_credential_change(&mut *self.state()?, change)
    }

    async fn link_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<AuthIdentity, StoreError> {
        check_identity_id(auth_identity_id)?;
        let mut state = self.state()?;
        let identity = state
            .identities
            .get_mut(auth_identity_id)
            .ok_or_else(|| StoreError::NotFound(auth_identity_id.to_owned()))?;
        identity
            .link_actor(actor_type, actor_id)
            .map_err(|error| match error {
                LinkError::AlreadyLinked(actor_type) => StoreError::AlreadyLinked(actor_type),
                _ => StoreError::InvalidActorType,
            })?;
        Ok(identity.clone())
    }

    async fn unlink_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
    ) -> Result<AuthIdentity, StoreError> {
        let mut state = self.state()?;
        let identity = state
            .identities
            .get_mut(auth_identity_id)
            .ok_or_else(|| StoreError::NotFound(auth_identity_id.to_owned()))?;
        identity.unlink_actor(actor_type);
        Ok(identity.clone())
    }
}

/// The compare-and-set of [`IdentityStore::change_credential`], under the
/// caller's lock.
fn apply_credential_change(
    state: &mut State,
    change: &CredentialChange,
) -> Result<CredentialWrite, StoreError> {
    if !CredentialChange::is_valid_key(&change.credential_key) {
        return Err(StoreError::Corrupt("invalid credential key".into()));
    }
    let login = state
        .logins
        .get(&change.provider_identity_id)
        .ok_or_else(|| StoreError::NotFound(change.provider_identity_id.clone()))?;
    if change.current_in(login) != change.expected {
        return Ok(CredentialWrite::Stale);
    }
    let provider = login.provider.clone();
    let id = login.id.clone();
    let entity_id = change.entity_id.clone().filter(|wanted| {
        !state
            .logins
            .values()
            .any(|other| other.id != id && other.provider == provider && other.entity_id == *wanted)
    });
    let login = state
        .logins
        .get_mut(&change.provider_identity_id)
        .ok_or_else(|| StoreError::NotFound(change.provider_identity_id.clone()))?;
    login.provider_metadata.insert(
        change.credential_key.clone(),
        serde_json::Value::String(change.replacement.clone()),
    );
    if let Some(entity_id) = entity_id {
        login.entity_id = entity_id;
    }
    Ok(CredentialWrite::Changed)
}

fn insert_login(state: &mut State, login: &ProviderIdentity) -> Result<(), StoreError> {
    let taken = state
        .logins
        .values()
        .any(|l| l.provider == login.provider && l.entity_id == login.entity_id);
    if taken || state.logins.contains_key(&login.id) {
        return Err(StoreError::Conflict(
            "provider_identity(entity_id, provider)".into(),
        ));
    }
    state.logins.insert(login.id.clone(), login.clone());
    Ok(())
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke_token(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        let limit = self.limits.revoked_tokens;
        let mut state = self.state()?;
        state.sweep_revoked(self.now(), limit);
        if let Some(until) = state.revoked.get_mut(jti) {
            *until = (*until).max(expires_at);
            return Ok(());
        }
        if state.revoked.len() >= limit {
            // Never evict a live revocation to make room: fail closed.
            return Err(full("deny-list"));
        }
        state.revoked.insert(jti.to_owned(), expires_at);
        Ok(())
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        Ok(self.state()?.revoked.contains_key(jti))
    }

    async fn revoke_identity_tokens(
        &self,
        auth_identity_id: &str,
        issued_before_ms: u64,
    ) -> Result<(), StoreError> {
        check_identity_id(auth_identity_id)?;
        let mut state = self.state()?;
        let entry = state
            .valid_after
            .entry(auth_identity_id.to_owned())
            .or_insert(0);
        *entry = (*entry).max(issued_before_ms);
        Ok(())
    }

    async fn tokens_valid_after(&self, auth_identity_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.state()?.valid_after.get(auth_identity_id).copied())
    }

    async fn live_revocations(&self, now: u64) -> Result<RevocationSnapshot, StoreError> {
        let state = self.state()?;
        Ok(RevocationSnapshot {
            denied: state
                .revoked
                .iter()
                .filter(|(_, until)| **until > now)
                .map(|(key, until)| (key.clone(), *until))
                .collect(),
            cutoffs: state
                .valid_after
                .iter()
                .map(|(id, after)| (id.clone(), *after))
                .collect(),
        })
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(
        &self,
        session: &SessionRecord,
        max_per_identity: usize,
    ) -> Result<(), StoreError> {
        let limit = self.limits.sessions;
        // One lock for the check, the insert and the eviction.
        check_identity_id(&session.context.auth_identity_id)?;
        let mut state = self.state()?;
        state.sweep_sessions(self.now(), limit);
        if state.sessions.contains_key(&session.id_hash) {
            return Err(StoreError::Conflict("session id".into()));
        }
        let identity = &session.context.auth_identity_id;
        let mut own: Vec<(u64, String)> = state
            .sessions
            .values()
            .filter(|s| s.context.auth_identity_id == *identity)
            .map(|s| (s.created_at_ms, s.id_hash.clone()))
            .collect();
        let keep = max_per_identity.max(1) - 1;
        let evicted = own.len().saturating_sub(keep);
        if evicted == 0 && state.sessions.len() >= limit {
            return Err(full("sessions"));
        }
        own.sort();
        for (_, id_hash) in own.into_iter().take(evicted) {
            state.sessions.remove(&id_hash);
        }
        state
            .sessions
            .insert(session.id_hash.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.state()?.sessions.get(id_hash).cloned())
    }

    async fn touch_session(&self, id_hash: &str, now: u64) -> Result<(), StoreError> {
        if let Some(session) = self.state()?.sessions.get_mut(id_hash) {
            session.last_seen_at = session.last_seen_at.max(now);
        }
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.state()?.sessions.remove(id_hash);
        Ok(())
    }

    async fn delete_identity_sessions(&self, auth_identity_id: &str) -> Result<(), StoreError> {
        self.state()?
            .sessions
            .retain(|_, s| s.context.auth_identity_id != auth_identity_id);
        Ok(())
    }
}

#[async_trait]
impl ResetTokenStore for MemoryStore {
    async fn replace_reset_token(&self, record: &ResetTokenRecord) -> Result<(), StoreError> {
        check_identity_id(&record.auth_identity_id)?;
        let limit = self.limits.reset_tokens;
        let mut state = self.state()?;
        state.sweep_reset_tokens(self.now(), limit);
        state
            .reset_tokens
            .retain(|_, r| r.auth_identity_id != record.auth_identity_id);
        if state.reset_tokens.len() >= limit {
            return Err(full("reset tokens"));
        }
        state
            .reset_tokens
            .insert(record.token_hash.clone(), record.clone());
        Ok(())
    }

    async fn reset_token(&self, token_hash: &str) -> Result<Option<ResetTokenRecord>, StoreError> {
        Ok(self.state()?.reset_tokens.get(token_hash).cloned())
    }

    async fn consume_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ResetTokenRecord>, StoreError> {
        Ok(self.state()?.reset_tokens.remove(token_hash))
    }

    async fn delete_identity_reset_tokens(&self, auth_identity_id: &str) -> Result<(), StoreError> {
        self.state()?
            .reset_tokens
            .retain(|_, r| r.auth_identity_id != auth_identity_id);
        Ok(())
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryStore {
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        check_identity_id(&record.auth_identity_id)?;
        let limit = self.limits.refresh_tokens;
        let mut state = self.state()?;
        state.sweep_refresh_tokens(self.now(), limit);
        if state.refresh_tokens.contains_key(&record.token_hash) {
            return Err(StoreError::Conflict("refresh token".into()));
        }
        if state.refresh_entries() >= limit {
            return Err(full("refresh tokens"));
        }
        state
            .refresh_tokens
            .insert(record.token_hash.clone(), (record.clone(), false));
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        successor_expires_at: u64,
        now: u64,
    ) -> Result<RefreshRotation, StoreError> {
        let limit = self.limits.refresh_tokens;
        let mut state = self.state()?;
        state.sweep_refresh_tokens(self.now(), limit);
        let Some((record, used)) = state.refresh_tokens.get(presented_hash).cloned() else {
            return Ok(RefreshRotation::Unknown);
        };
        if state.revoked_families.contains_key(&record.family_id)
            || record.expires_at <= now
            || record.family_expires_at <= now
        {
            return Ok(RefreshRotation::Unknown);
        }
        if used {
            // A revocation is never refused for room.
            state
                .revoked_families
                .insert(record.family_id.clone(), record.family_expires_at);
            return Ok(RefreshRotation::Reused {
                family_id: record.family_id,
                family_expires_at: record.family_expires_at,
            });
        }
        if state.refresh_entries() >= limit {
            // Checked before anything changes: the presented token stays current.
            return Err(full("refresh tokens"));
        }
        if let Some(entry) = state.refresh_tokens.get_mut(presented_hash) {
            entry.1 = true;
        }
        let successor = RefreshTokenRecord {
            token_hash: successor_hash.to_owned(),
            expires_at: successor_expires_at.min(record.family_expires_at),
            ..record.clone()
        };
        state
            .refresh_tokens
            .insert(successor.token_hash.clone(), (successor, false));
        Ok(RefreshRotation::Rotated(record))
    }

    async fn revoke_identity_refresh_tokens(
        &self,
        auth_identity_id: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.revoke_identity_families(auth_identity_id);
        Ok(())
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn complete_reset(
        &self,
        completion: &ResetCompletion,
    ) -> Result<ResetOutcome, StoreError> {
        // One lock for every check and write: atomic like the SQLite transaction.
        let mut state = self.state()?;
        let usable = state
            .reset_tokens
            .get(&completion.token_hash)
            .is_some_and(|token| {
                token.auth_identity_id == completion.auth_identity_id
                    && token.actor_type == completion.actor_type
                    && token.provider == completion.provider
                    && token.expires_at > completion.now
            });
        let owned_by_identity = state
            .logins
            .get(&completion.change.provider_identity_id)
            .is_some_and(|login| login.auth_identity_id == completion.auth_identity_id);
        if !usable || !owned_by_identity {
            return Ok(ResetOutcome::InvalidToken);
        }
        if apply_credential_change(&mut state, &completion.change)? == CredentialWrite::Stale {
            return Ok(ResetOutcome::Stale);
        }
        let identity = completion.auth_identity_id.as_str();
        let cutoff = state.valid_after.entry(identity.to_owned()).or_insert(0);
        *cutoff = (*cutoff).max(completion.tokens_valid_after_ms);
        state
            .sessions
            .retain(|_, session| session.context.auth_identity_id != identity);
        state
            .reset_tokens
            .retain(|_, token| token.auth_identity_id != identity);
        state.revoke_identity_families(identity);
        Ok(ResetOutcome::Completed)
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state
            .api_keys
            .iter()
            .any(|k| k.id == record.id || k.secret_hash == record.secret_hash)
        {
            return Err(StoreError::Conflict("api key".into()));
        }
        state.api_keys.push(record.clone());
        Ok(())
    }

    async fn api_key_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        Ok(self
            .state()?
            .api_keys
            .iter()
            .find(|k| k.secret_hash == secret_hash)
            .cloned())
    }

    async fn revoke_api_key(&self, id: &str, now: u64) -> Result<ApiKeyRecord, StoreError> {
        let mut state = self.state()?;
        let key = state
            .api_keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
        key.revoked_at.get_or_insert(now);
        Ok(key.clone())
    }
}

#[async_trait]
impl InviteStore for MemoryStore {
    async fn create_invite(&self, record: &InviteRecord) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.invites.contains_key(&record.token_hash)
            || state.invites.values().any(|invite| invite.id == record.id)
        {
            return Err(StoreError::Conflict("invite".into()));
        }
        state
            .invites
            .insert(record.token_hash.clone(), record.clone());
        Ok(())
    }

    async fn invite_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<InviteRecord>, StoreError> {
        Ok(self.state()?.invites.get(token_hash).cloned())
    }

    async fn accept_invite(
        &self,
        token_hash: &str,
        now: u64,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<Option<InviteRecord>, StoreError> {
        check_identity_id(auth_identity_id)?;
        // One lock for the check and both writes: atomic like the SQLite transaction.
        let mut state = self.state()?;
        let pending = state
            .invites
            .get(token_hash)
            .is_some_and(|invite| invite.accepted_at.is_none() && invite.expires_at > now);
        if !pending {
            return Ok(None);
        }
        let identity = state
            .identities
            .get(auth_identity_id)
            .ok_or_else(|| StoreError::NotFound(auth_identity_id.to_owned()))?;
        let mut linked = identity.clone();
        linked
            .link_actor(actor_type, actor_id)
            .map_err(|error| match error {
                LinkError::AlreadyLinked(actor_type) => StoreError::AlreadyLinked(actor_type),
                _ => StoreError::InvalidActorType,
            })?;
        state.identities.insert(linked.id.clone(), linked);
        let invite = state
            .invites
            .get_mut(token_hash)
            .ok_or_else(|| StoreError::NotFound(token_hash.to_owned()))?;
        invite.accepted_at = Some(now);
        Ok(Some(invite.clone()))
    }
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn hit(&self, key: &str, window_start: u64) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let entry = state.throttle_counter(key, window_start, self.limits.throttle_keys)?;
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn count(&self, key: &str, window_start: u64) -> Result<u64, StoreError> {
        Ok(self
            .state()?
            .throttle
            .get(key)
            .filter(|(start, _)| *start == window_start)
            .map_or(0, |(_, count)| *count))
    }

    async fn reserve(
        &self,
        key: &str,
        window_start: u64,
        limit: u64,
    ) -> Result<Option<u64>, StoreError> {
        // Check and increment under one lock.
        let mut state = self.state()?;
        let entry = state.throttle_counter(key, window_start, self.limits.throttle_keys)?;
        if entry.1 >= limit {
            return Ok(None);
        }
        entry.1 += 1;
        Ok(Some(entry.1))
    }

    async fn release(&self, key: &str, window_start: u64) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if let Some((start, count)) = state.throttle.get_mut(key)
            && *start == window_start
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                // Nothing counted: the key need not take room.
                state.throttle.remove(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::clock::{Clock as _, TestClock};
    use crate::identity::AuthContext;

    const NOW: u64 = 1_700_000_000;

    /// A store with `limits` whose sweeping clock a test moves by hand.
    fn store_at(limits: MemoryLimits) -> (MemoryStore, TestClock) {
        let clock = TestClock::at_secs(NOW);
        let store = MemoryStore::new()
            .with_limits(limits)
            .with_clock(Arc::new(clock.clone()));
        (store, clock)
    }

    fn session(id_hash: &str, auth_identity_id: &str, expires_at: u64) -> SessionRecord {
        SessionRecord {
            id_hash: id_hash.into(),
            context: AuthContext {
                actor_id: String::new(),
                actor_type: "customer".into(),
                auth_identity_id: auth_identity_id.into(),
                app_metadata: Metadata::default(),
            },
            sid: None,
            created_at_ms: NOW * 1000,
            last_seen_at: NOW,
            expires_at,
        }
    }

    fn refresh(token_hash: &str, family_id: &str, expires_at: u64) -> RefreshTokenRecord {
        RefreshTokenRecord {
            token_hash: token_hash.into(),
            family_id: family_id.into(),
            auth_identity_id: "authid_a".into(),
            actor_type: "customer".into(),
            expires_at,
            family_expires_at: expires_at,
        }
    }

    #[tokio::test]
    async fn throttle_counters_of_ended_windows_leave_when_a_new_window_starts() {
        let store = MemoryStore::new();
        for n in 0..100 {
            store.hit(&format!("id:{n}"), 900).await.unwrap();
        }
        store.reserve("id:late", 1800, 10).await.unwrap();
        let state = store.state().unwrap();
        assert_eq!(state.throttle.len(), 1);
        assert!(state.throttle.contains_key("id:late"));
    }

    #[tokio::test]
    async fn a_full_deny_list_refuses_new_entries_and_keeps_every_live_one() {
        let (store, _clock) = store_at(MemoryLimits::default().revoked_tokens(3));
        for jti in ["a", "b", "login:c"] {
            store.revoke_token(jti, NOW + 600).await.unwrap();
        }
        let refused = store.revoke_token("d", NOW + 600).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        // Revoking again what is listed is no growth: it still works.
        store.revoke_token("a", NOW + 900).await.unwrap();
        for jti in ["a", "b", "login:c"] {
            assert!(store.is_token_revoked(jti).await.unwrap(), "{jti}");
        }
        assert!(!store.is_token_revoked("d").await.unwrap());
    }

    #[tokio::test]
    async fn expired_deny_list_entries_leave_to_make_room() {
        let (store, clock) = store_at(MemoryLimits::default().revoked_tokens(3));
        for n in 0..3 {
            store
                .revoke_token(&format!("old-{n}"), NOW + 60)
                .await
                .unwrap();
        }
        clock.advance(Duration::from_secs(60 + PRUNE_GRACE_SECS + 1));
        store
            .revoke_token("new", clock.now_secs() + 60)
            .await
            .unwrap();
        assert!(store.is_token_revoked("new").await.unwrap());
        assert_eq!(store.state().unwrap().revoked.len(), 1);
    }

    #[tokio::test]
    async fn deny_list_stays_flat_under_a_stream_of_short_lived_revocations() {
        let (store, clock) = store_at(MemoryLimits::default());
        for n in 0..10_000 {
            store
                .revoke_token(&format!("jti-{n}"), clock.now_secs() + 60)
                .await
                .unwrap();
            clock.advance(Duration::from_secs(1));
        }
        // One a second, each kept 60 s plus the grace: what is listed is what
        // a minute-and-an-hour holds, not everything ever revoked.
        let listed = store.state().unwrap().revoked.len();
        let bound = usize::try_from(60 + PRUNE_GRACE_SECS + SWEEP_INTERVAL_SECS + 1).unwrap();
        assert!(listed <= bound, "{listed}");
    }

    #[tokio::test]
    async fn full_sessions_refuse_new_ones_and_expired_ones_leave() {
        let (store, clock) = store_at(MemoryLimits::default().sessions(2));
        store
            .create_session(&session("s1", "authid_a", NOW + 60), 10)
            .await
            .unwrap();
        store
            .create_session(&session("s2", "authid_b", NOW + 60), 10)
            .await
            .unwrap();
        let refused = store
            .create_session(&session("s3", "authid_c", NOW + 60), 10)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        // An identity at its own limit replaces its oldest session, even when full.
        store
            .create_session(&session("s4", "authid_a", NOW + 60), 1)
            .await
            .unwrap();
        assert!(store.session("s1").await.unwrap().is_none());
        clock.advance(Duration::from_secs(60 + PRUNE_GRACE_SECS + 1));
        store
            .create_session(&session("s5", "authid_c", NOW + 9_999), 10)
            .await
            .unwrap();
        assert_eq!(store.state().unwrap().sessions.len(), 1);
    }

    #[tokio::test]
    async fn full_refresh_tokens_refuse_new_ones_but_never_a_family_revocation() {
        let (store, clock) = store_at(MemoryLimits::default().refresh_tokens(2));
        store
            .create_refresh_token(&refresh("r1", "f1", NOW + 600))
            .await
            .unwrap();
        store
            .create_refresh_token(&refresh("r2", "f2", NOW + 600))
            .await
            .unwrap();
        let refused = store
            .create_refresh_token(&refresh("r3", "f3", NOW + 600))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        // A rotation needs room for its successor: refused, and r1 stays current.
        let rotation = store
            .rotate_refresh_token("r1", "r1b", NOW + 600, NOW)
            .await;
        assert!(
            matches!(rotation, Err(StoreError::Unavailable(_))),
            "{rotation:?}"
        );
        assert!(!store.state().unwrap().refresh_tokens["r1"].1);
        // Revoking the identity's families is never refused.
        store
            .revoke_identity_refresh_tokens("authid_a")
            .await
            .unwrap();
        assert_eq!(
            store
                .rotate_refresh_token("r2", "r2b", NOW + 600, NOW)
                .await,
            Ok(RefreshRotation::Unknown)
        );
        clock.advance(Duration::from_secs(600 + PRUNE_GRACE_SECS + 2));
        let later = clock.now_secs();
        store
            .create_refresh_token(&refresh("r4", "f4", later + 600))
            .await
            .unwrap();
        let state = store.state().unwrap();
        assert_eq!(state.refresh_tokens.len(), 1);
        assert!(state.revoked_families.is_empty());
    }

    #[tokio::test]
    async fn full_throttle_refuses_new_keys_and_keeps_counting_known_ones() {
        let (store, _clock) = store_at(MemoryLimits::default().throttle_keys(2));
        store.hit("addr:a", NOW).await.unwrap();
        store.reserve("login:x", NOW, 10).await.unwrap();
        let refused = store.hit("addr:b", NOW).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        assert_eq!(store.hit("addr:a", NOW).await, Ok(2));
        // A reservation given back to zero frees its room.
        store.release("login:x", NOW).await.unwrap();
        assert_eq!(store.hit("addr:b", NOW).await, Ok(1));
    }
}
