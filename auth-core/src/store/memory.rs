//! In-memory stores, for tests and single-process experiments. Nothing survives a restart.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{
    ApiKeyRecord, ApiKeyStore, CredentialChange, CredentialStore, CredentialWrite, IdentityStore,
    InviteRecord, InviteStore, RefreshRotation, RefreshTokenRecord, RefreshTokenStore,
    ResetCompletion, ResetOutcome, ResetTokenRecord, ResetTokenStore, RevocationStore,
    SessionRecord, SessionStore, StoreError, ThrottleStore, check_identity_id,
};
use crate::identity::{AuthIdentity, LinkError, Metadata, ProviderIdentity};

/// Every store trait, in memory.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
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
    revoked_families: HashSet<String>,
    api_keys: Vec<ApiKeyRecord>,
    /// Invites by token hash.
    invites: HashMap<String, InviteRecord>,
    /// Throttle counters: key to (window start, count).
    throttle: HashMap<String, (u64, u64)>,
    /// The newest throttle window seen; counters of older windows are dropped
    /// when a newer one starts, so the map holds one window's keys at most.
    throttle_window: u64,
}

impl State {
    /// The counter of `key` in the window starting at `window_start`, fresh if
    /// it was of another window. The first use of a newer window drops every
    /// counter of older ones.
    fn throttle_counter(&mut self, key: &str, window_start: u64) -> &mut (u64, u64) {
        if window_start > self.throttle_window {
            self.throttle_window = window_start;
            self.throttle.retain(|_, (start, _)| *start >= window_start);
        }
        let entry = self
            .throttle
            .entry(key.to_owned())
            .or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        entry
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".into()))
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
        self.state()?.revoked.insert(jti.to_owned(), expires_at);
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
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        check_identity_id(&session.context.auth_identity_id)?;
        let mut state = self.state()?;
        if state.sessions.contains_key(&session.id_hash) {
            return Err(StoreError::Conflict("session id".into()));
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
        let mut state = self.state()?;
        state
            .reset_tokens
            .retain(|_, r| r.auth_identity_id != record.auth_identity_id);
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
        let mut state = self.state()?;
        if state.refresh_tokens.contains_key(&record.token_hash) {
            return Err(StoreError::Conflict("refresh token".into()));
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
        let mut state = self.state()?;
        let Some((record, used)) = state.refresh_tokens.get(presented_hash).cloned() else {
            return Ok(RefreshRotation::Unknown);
        };
        if state.revoked_families.contains(&record.family_id)
            || record.expires_at <= now
            || record.family_expires_at <= now
        {
            return Ok(RefreshRotation::Unknown);
        }
        if used {
            state.revoked_families.insert(record.family_id.clone());
            return Ok(RefreshRotation::Reused {
                family_id: record.family_id,
                family_expires_at: record.family_expires_at,
            });
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
        let families: Vec<String> = state
            .refresh_tokens
            .values()
            .filter(|(r, _)| r.auth_identity_id == auth_identity_id)
            .map(|(r, _)| r.family_id.clone())
            .collect();
        state.revoked_families.extend(families);
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
        let families: Vec<String> = state
            .refresh_tokens
            .values()
            .filter(|(token, _)| token.auth_identity_id == identity)
            .map(|(token, _)| token.family_id.clone())
            .collect();
        state.revoked_families.extend(families);
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
        let entry = state.throttle_counter(key, window_start);
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
        let entry = state.throttle_counter(key, window_start);
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
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
