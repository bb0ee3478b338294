//! Storage traits and their implementations.
//!
//! The core never talks to a database directly: it goes through these traits, so
//! the same flows run on the in-memory store (tests), SQLite (the embedded
//! default, feature `sqlite`), PostgreSQL (shared by several instances,
//! feature `postgres`) and, later, Redis.
//!
//! - [`IdentityStore`]: auth identities and their provider identities, in
//!   Medusa's `auth_identity` / `provider_identity` shape.
//! - [`RevocationStore`]: deny-listed token ids and per-identity "tokens valid
//!   after" times, checked on every authenticated request.
//! - [`InviteStore`]: single-use invites, accepted atomically with the link of
//!   the new actor.
//! - [`CredentialStore`]: a password reset completed as one atomic operation
//!   (the reset token consumed, the password changed, every earlier
//!   credential of the identity revoked), for stores that hold all of these.
//!
//! Credentials change only by compare-and-set ([`IdentityStore::change_credential`]):
//! a change applies only if the credential is still the one the caller read,
//! so a slow login's rehash can never write over a password reset.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::identity::{AuthIdentity, ProviderIdentity};
//! use auth_core::store::{IdentityStore, MemoryStore};
//!
//! let store = MemoryStore::new();
//! let identity = AuthIdentity::new();
//! let login = ProviderIdentity::new("emailpass", "ada@example.com", &identity.id);
//! store.create_identity(&identity, &login).await.unwrap();
//! let found = store.find_provider_identity("emailpass", "ada@example.com").await.unwrap();
//! assert_eq!(found.unwrap().auth_identity_id, identity.id);
//! # });
//! ```

use async_trait::async_trait;

use crate::identity::{
    AuthContext, AuthIdentity, Metadata, ProviderIdentity, is_valid_identity_id,
};
use crate::secret::Redacted;

mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use memory::{MemoryLimits, MemoryStore};

/// A deny-listed token is kept this long past its `exp`, so a verifier's clock
/// leeway can never outlive its revocation. Expired sessions, reset tokens and
/// refresh families are kept as long, so callers still see them as expired
/// (rather than unknown) for a while. Every store prunes by it.
pub(crate) const PRUNE_GRACE_SECS: u64 = 3600;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique constraint would be violated (e.g. the entity id exists for that provider).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The record to update does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The identity is already linked to an actor of that type.
    #[error("identity already linked to a {0}")]
    AlreadyLinked(String),
    /// The actor type is not of the form `[a-z][a-z0-9_]{0,31}`, or is reserved.
    #[error("invalid actor type")]
    InvalidActorType,
    /// The backing service could not be reached or failed; requests fail closed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (e.g. invalid JSON in a metadata column).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// An identity id that is empty or holds control characters; refused
    /// wherever an id enters a store (see [`is_valid_identity_id`]).
    #[error("invalid auth identity id")]
    InvalidIdentityId,
}

/// Refuses an identity id that may not enter a store: empty, or with control
/// characters. Every store write that carries an identity id calls it first.
pub fn check_identity_id(id: &str) -> Result<(), StoreError> {
    if is_valid_identity_id(id) {
        Ok(())
    } else {
        Err(StoreError::InvalidIdentityId)
    }
}

/// A change of one provider identity's credential (a password hash in
/// `provider_metadata`), applied only if the credential is still the one the
/// caller read: a compare-and-set. Its `Debug` shows neither hash.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialChange {
    /// The provider identity to change.
    pub provider_identity_id: String,
    /// The `provider_metadata` key that holds the credential (`password`):
    /// ASCII letters, digits and `_` only.
    pub credential_key: String,
    /// The credential as the caller read it (`None`: there was none). The
    /// change applies only if it is still this.
    pub expected: Option<String>,
    /// The new credential; the other `provider_metadata` keys are kept.
    pub replacement: String,
    /// A new `entity_id` for the row, written with the change unless another
    /// row of the provider has it already (a mixed-case Medusa e-mail
    /// becomes lower-case on its next write).
    pub entity_id: Option<String>,
}

impl CredentialChange {
    /// Whether `key` is usable as [`credential_key`](Self::credential_key).
    pub fn is_valid_key(key: &str) -> bool {
        !key.is_empty()
            && key.len() <= 64
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// The credential `login` holds now under this change's key.
    pub fn current_in(&self, login: &ProviderIdentity) -> Option<String> {
        login
            .provider_metadata
            .get(&self.credential_key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }
}

impl std::fmt::Debug for CredentialChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialChange")
            .field("provider_identity_id", &self.provider_identity_id)
            .field("credential_key", &self.credential_key)
            .field(
                "expected",
                &self.expected.as_ref().map(|e| Redacted::of(e.as_bytes())),
            )
            .field("replacement", &Redacted::of(self.replacement.as_bytes()))
            .field("entity_id", &self.entity_id)
            .finish()
    }
}

/// What a compare-and-set of a credential did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CredentialWrite {
    /// The credential was still the expected one and is now replaced.
    Changed,
    /// The credential had changed since it was read: nothing was written.
    Stale,
}

/// Auth identities and provider identities.
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Creates an identity together with its first provider identity, atomically.
    /// Fails with [`StoreError::Conflict`] when `(provider, entity_id)` exists.
    async fn create_identity(
        &self,
        identity: &AuthIdentity,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError>;

    /// Adds another provider identity to an existing identity.
    async fn add_provider_identity(
        &self,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError>;

    /// The identity with this id.
    async fn identity(&self, id: &str) -> Result<Option<AuthIdentity>, StoreError>;

    /// The provider identity with this `(provider, entity_id)`.
    async fn find_provider_identity(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError>;

    /// All provider identities of an identity.
    async fn provider_identities(
        &self,
        auth_identity_id: &str,
    ) -> Result<Vec<ProviderIdentity>, StoreError>;

    /// The provider identity with this `(provider, entity_id)`, the entity id
    /// compared ignoring ASCII case (e-mails: a Medusa row may hold
    /// `Ada@Example.com`). An exact match wins; several rows that differ only
    /// in case and none exact are ambiguous, and give `None`.
    async fn find_provider_identity_ignoring_case(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError>;

    /// Replaces the provider metadata of a provider identity. Not for
    /// credentials: change those with [`change_credential`](Self::change_credential).
    async fn update_provider_metadata(
        &self,
        provider_identity_id: &str,
        provider_metadata: &Metadata,
    ) -> Result<(), StoreError>;

    /// Changes a credential if it is still the one `change` expects, as one
    /// atomic operation: [`CredentialWrite::Stale`] (and nothing written)
    /// when it changed meanwhile, [`StoreError::NotFound`] when the provider
    /// identity does not exist.
    async fn change_credential(
        &self,
        change: &CredentialChange,
    ) -> Result<CredentialWrite, StoreError>;

    /// Links the identity to an actor, atomically refusing a second link for the
    /// same actor type. Returns the updated identity.
    async fn link_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<AuthIdentity, StoreError>;

    /// Removes the link to the actor of `actor_type`. Returns the updated identity.
    async fn unlink_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
    ) -> Result<AuthIdentity, StoreError>;
}

/// Revoked tokens and identities whose earlier tokens no longer count.
///
/// `expires_at` is in Unix seconds (a token's `exp`); the identity-wide cut-off
/// is in Unix **milliseconds**, so a token issued a moment before a password
/// reset is told apart from one issued a moment after, within the same second.
#[async_trait]
pub trait RevocationStore: Send + Sync + 'static {
    /// Deny-lists a token id until `expires_at` (after which the token is dead anyway).
    async fn revoke_token(&self, jti: &str, expires_at: u64) -> Result<(), StoreError>;

    /// Whether a token id is deny-listed.
    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;

    /// Rejects every token of the identity issued before `issued_before_ms`
    /// (Unix milliseconds). A later call never moves the cut-off back.
    async fn revoke_identity_tokens(
        &self,
        auth_identity_id: &str,
        issued_before_ms: u64,
    ) -> Result<(), StoreError>;

    /// The time (Unix milliseconds) before which the identity's tokens are
    /// rejected, if set.
    async fn tokens_valid_after(&self, auth_identity_id: &str) -> Result<Option<u64>, StoreError>;

    /// Every revocation still in force at `now` (Unix seconds): the
    /// deny-listed keys whose `expires_at` is later than `now`, and every
    /// identity's cut-off. [`Revocations`](crate::revocation::Revocations)
    /// loads it once into its in-memory view, which it then keeps current
    /// itself, so that checks cost a hash lookup rather than a query.
    async fn live_revocations(&self, now: u64) -> Result<RevocationSnapshot, StoreError>;
}

/// What a [`RevocationStore`] holds in force at one moment, for loading an
/// in-memory view of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationSnapshot {
    /// Deny-listed keys (token ids, and ended logins as `login:<sid>`) with
    /// the time (Unix seconds) they may leave the list.
    pub denied: Vec<(String, u64)>,
    /// Identities with their "tokens valid after" time (Unix milliseconds).
    pub cutoffs: Vec<(String, u64)>,
}

/// A server-side session, found by the hash of its id (the id itself is only in
/// the cookie). Its `Debug` shows the hash's length, not the hash.
#[derive(Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 of the session id, base64url.
    pub id_hash: String,
    /// Who the session authenticates.
    pub context: AuthContext,
    /// The login (`sid`) of the bearer token the session was made from, if
    /// it had one: the session ends when that login ends.
    pub sid: Option<String>,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: u64,
    /// Last use, Unix seconds (idle timeout).
    pub last_seen_at: u64,
    /// Absolute expiry, Unix seconds.
    pub expires_at: u64,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id_hash", &Redacted::of(self.id_hash.as_bytes()))
            .field("context", &self.context)
            .field("sid", &self.sid)
            .field("created_at_ms", &self.created_at_ms)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Server-side sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session and, in the same atomic operation, deletes the
    /// oldest sessions (by creation time) of its identity beyond
    /// `max_per_identity` (at least 1), so one identity never holds more.
    /// [`StoreError::Conflict`] when the id hash is taken (nothing changes
    /// then); [`StoreError::Unavailable`] when a bounded store is full of
    /// live sessions.
    async fn create_session(
        &self,
        session: &SessionRecord,
        max_per_identity: usize,
    ) -> Result<(), StoreError>;
    /// The session with this id hash, if it exists (expired or not).
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Records a use of the session at `now` (Unix seconds).
    async fn touch_session(&self, id_hash: &str, now: u64) -> Result<(), StoreError>;
    /// Deletes one session; deleting a missing one is not an error.
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;
    /// Deletes every session of an identity.
    async fn delete_identity_sessions(&self, auth_identity_id: &str) -> Result<(), StoreError>;
}

/// A pending password reset, found by the hash of its token. Its `Debug` shows
/// the hash's length, not the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ResetTokenRecord {
    /// SHA-256 of the reset token, base64url.
    pub token_hash: String,
    /// The identity whose password may be reset.
    pub auth_identity_id: String,
    /// The actor type the reset was requested for.
    pub actor_type: String,
    /// The provider the reset was requested for.
    pub provider: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

impl std::fmt::Debug for ResetTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetTokenRecord")
            .field("token_hash", &Redacted::of(self.token_hash.as_bytes()))
            .field("auth_identity_id", &self.auth_identity_id)
            .field("actor_type", &self.actor_type)
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Single-use password reset tokens.
#[async_trait]
pub trait ResetTokenStore: Send + Sync + 'static {
    /// Stores a reset token, deleting every earlier one of the same identity
    /// (a newer request supersedes older ones).
    async fn replace_reset_token(&self, record: &ResetTokenRecord) -> Result<(), StoreError>;
    /// The token with this hash, without consuming it (expired or not).
    async fn reset_token(&self, token_hash: &str) -> Result<Option<ResetTokenRecord>, StoreError>;
    /// Atomically removes and returns the token with this hash: of two
    /// concurrent calls, at most one gets it. Expired tokens are returned too;
    /// the caller checks `expires_at`.
    async fn consume_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ResetTokenRecord>, StoreError>;
    /// Deletes every reset token of an identity.
    async fn delete_identity_reset_tokens(&self, auth_identity_id: &str) -> Result<(), StoreError>;
}

/// A password reset to complete in one atomic operation: what
/// [`CredentialStore::complete_reset`] checks and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetCompletion {
    /// SHA-256 of the reset token presented.
    pub token_hash: String,
    /// The identity the token was issued for.
    pub auth_identity_id: String,
    /// The actor type the token must have been issued for.
    pub actor_type: String,
    /// The provider the token must have been issued for.
    pub provider: String,
    /// Now, Unix seconds: the token must expire after it.
    pub now: u64,
    /// The new password, as a compare-and-set on the identity's provider identity.
    pub change: CredentialChange,
    /// The identity's new "tokens valid after" time, Unix milliseconds.
    pub tokens_valid_after_ms: u64,
}

/// What completing a password reset did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum ResetOutcome {
    /// The token was consumed, the password changed, and every earlier
    /// credential of the identity revoked.
    Completed,
    /// No such token, an expired one, or one of another identity, actor
    /// type or provider: nothing changed.
    InvalidToken,
    /// The password changed since it was read: nothing changed, the token
    /// stays valid.
    Stale,
}

/// A store that holds identities, reset tokens, sessions, refresh tokens and
/// revocations together, and so can complete a password reset atomically.
#[async_trait]
pub trait CredentialStore: Send + Sync + 'static {
    /// In one atomic operation: consumes the reset token (it must match
    /// `completion`'s identity, actor type and provider and be unexpired at
    /// `now`), changes the credential by compare-and-set, sets the identity's
    /// "tokens valid after" time (never moving it back), deletes its sessions
    /// and its other reset tokens, and revokes its refresh-token families.
    /// Either all of it happens or none.
    async fn complete_reset(
        &self,
        completion: &ResetCompletion,
    ) -> Result<ResetOutcome, StoreError>;
}

/// One refresh token of a rotation family. Its `Debug` shows the hash's
/// length, not the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// SHA-256 of the refresh token, base64url.
    pub token_hash: String,
    /// All tokens rotated from one login share a family; its id is the
    /// login's `sid`.
    pub family_id: String,
    /// The identity it refreshes.
    pub auth_identity_id: String,
    /// The actor type of the access tokens it yields.
    pub actor_type: String,
    /// Idle expiry of this token, Unix seconds.
    pub expires_at: u64,
    /// Absolute expiry of the family, Unix seconds.
    pub family_expires_at: u64,
}

impl std::fmt::Debug for RefreshTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshTokenRecord")
            .field("token_hash", &Redacted::of(self.token_hash.as_bytes()))
            .field("family_id", &self.family_id)
            .field("auth_identity_id", &self.auth_identity_id)
            .field("actor_type", &self.actor_type)
            .field("expires_at", &self.expires_at)
            .field("family_expires_at", &self.family_expires_at)
            .finish()
    }
}

/// What presenting a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The token was current: it is now used, and its successor stored. Holds
    /// the presented token's record.
    Rotated(RefreshTokenRecord),
    /// The token had been used before: its whole family is now revoked.
    Reused {
        /// The revoked family (its login's `sid`).
        family_id: String,
        /// The family's absolute expiry, Unix seconds.
        family_expires_at: u64,
    },
    /// No such token, an expired one, or one of a revoked family.
    Unknown,
}

/// Rotating refresh tokens.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync + 'static {
    /// Stores the first token of a new family.
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError>;
    /// Atomically marks the token `presented_hash` used and stores its successor
    /// `successor_hash` in the same family, expiring at `successor_expires_at`
    /// (capped at the family's absolute expiry). A token that is unknown,
    /// expired at `now` (idle or absolute) or of a revoked family gives
    /// [`RefreshRotation::Unknown`] and changes nothing; a token used before
    /// revokes its family and gives [`RefreshRotation::Reused`]. Of two
    /// concurrent calls with the same token at most one rotates.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        successor_expires_at: u64,
        now: u64,
    ) -> Result<RefreshRotation, StoreError>;
    /// Revokes every refresh token of an identity.
    async fn revoke_identity_refresh_tokens(
        &self,
        auth_identity_id: &str,
    ) -> Result<(), StoreError>;
}

/// A secret API key, found by the hash of its secret. Its `Debug` shows the
/// `redacted` form, not the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// `apk_` + ULID.
    pub id: String,
    /// SHA-256 of the secret, base64url.
    pub secret_hash: String,
    /// The first and last characters of the secret, for display (`sk_1234…cdef`).
    pub redacted: String,
    /// A name for people.
    pub title: String,
    /// The `user` actor the key acts as.
    pub actor_id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Revocation time, Unix seconds, once revoked.
    pub revoked_at: Option<u64>,
}

impl std::fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("secret_hash", &Redacted::of(self.secret_hash.as_bytes()))
            .field("redacted", &self.redacted)
            .field("title", &self.title)
            .field("actor_id", &self.actor_id)
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// Secret API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Stores a new key.
    async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError>;
    /// The key with this secret hash.
    async fn api_key_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Marks a key revoked at `now`; [`StoreError::NotFound`] if there is no such key.
    async fn revoke_api_key(&self, id: &str, now: u64) -> Result<ApiKeyRecord, StoreError>;
}

/// A pending or accepted invitation to become an admin user, as stored: the
/// token only as its SHA-256 hash.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteRecord {
    /// `invite_...`
    pub id: String,
    /// The e-mail the admin user will have.
    pub email: String,
    /// SHA-256 of the invite token, base64url.
    pub token_hash: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Expiry, Unix seconds: the invite is accepted only before it.
    pub expires_at: u64,
    /// When the invite was accepted, Unix seconds; an accepted invite is spent.
    pub accepted_at: Option<u64>,
}

impl std::fmt::Debug for InviteRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("token_hash", &Redacted::of(self.token_hash.as_bytes()))
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("accepted_at", &self.accepted_at)
            .finish()
    }
}

/// Invites to become an actor (Medusa's admin invites).
#[async_trait]
pub trait InviteStore: Send + Sync + 'static {
    /// Stores a new invite; [`StoreError::Conflict`] if its id or token hash is taken.
    async fn create_invite(&self, record: &InviteRecord) -> Result<(), StoreError>;

    /// The invite with this token hash, accepted or not.
    async fn invite_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<InviteRecord>, StoreError>;

    /// Accepts the invite with this token hash and links the identity to the
    /// actor, as one atomic operation: the invite must be unaccepted and
    /// unexpired at `now`, and the link is refused as by
    /// [`IdentityStore::link_actor`]. Returns the accepted invite, `None` for a
    /// missing, used or expired invite (nothing changes then), or the link's
    /// error (nothing changes either: the invite stays pending).
    async fn accept_invite(
        &self,
        token_hash: &str,
        now: u64,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<Option<InviteRecord>, StoreError>;
}

/// Fixed-window counters for throttling.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// Adds one hit to `key` in the window that starts at `window_start`
    /// (Unix seconds) and returns the window's count after the hit. Counters of
    /// older windows may be dropped.
    async fn hit(&self, key: &str, window_start: u64) -> Result<u64, StoreError>;
    /// The count of `key` in the window starting at `window_start`, without a hit.
    async fn count(&self, key: &str, window_start: u64) -> Result<u64, StoreError>;
    /// Reserves one attempt of `key` in the window starting at `window_start`
    /// if fewer than `limit` are counted there: checks and increments in one
    /// atomic operation, so of any number of concurrent callers at most `limit`
    /// get a reservation. Returns the count after the reservation, or `None`
    /// (and counts nothing) when the window is full.
    async fn reserve(
        &self,
        key: &str,
        window_start: u64,
        limit: u64,
    ) -> Result<Option<u64>, StoreError>;
    /// Gives back one reservation of `key` in the window starting at
    /// `window_start` (the count never goes below zero; a window that has
    /// passed is left alone).
    async fn release(&self, key: &str, window_start: u64) -> Result<(), StoreError>;
}

/// A provider's view of the identity store: every lookup and write is limited to
/// that provider's rows, so one provider cannot read another's secrets.
#[derive(Clone)]
pub struct ProviderStore {
    provider: String,
    identities: std::sync::Arc<dyn IdentityStore>,
    ignore_case: bool,
}

impl ProviderStore {
    /// Scopes `identities` to `provider`.
    pub fn new(provider: impl Into<String>, identities: std::sync::Arc<dyn IdentityStore>) -> Self {
        Self {
            provider: provider.into(),
            identities,
            ignore_case: false,
        }
    }

    /// The same store, finding entity ids ignoring ASCII case (e-mails).
    pub fn ignoring_case(mut self, ignore_case: bool) -> Self {
        self.ignore_case = ignore_case;
        self
    }

    /// The provider this store is scoped to.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The provider identity with this entity id, and its auth identity.
    pub async fn find(
        &self,
        entity_id: &str,
    ) -> Result<Option<(ProviderIdentity, AuthIdentity)>, StoreError> {
        let found = if self.ignore_case {
            self.identities
                .find_provider_identity_ignoring_case(&self.provider, entity_id)
                .await?
        } else {
            self.identities
                .find_provider_identity(&self.provider, entity_id)
                .await?
        };
        let Some(login) = found else {
            return Ok(None);
        };
        let identity = self
            .identities
            .identity(&login.auth_identity_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("orphan provider identity {}", login.id)))?;
        Ok(Some((login, identity)))
    }

    /// Creates a new auth identity with one provider identity for this provider.
    pub async fn create(
        &self,
        entity_id: &str,
        provider_metadata: Metadata,
        user_metadata: Metadata,
    ) -> Result<(ProviderIdentity, AuthIdentity), StoreError> {
        let identity = AuthIdentity::new();
        let mut login = ProviderIdentity::new(&self.provider, entity_id, &identity.id);
        login.provider_metadata = provider_metadata;
        login.user_metadata = user_metadata;
        self.identities.create_identity(&identity, &login).await?;
        Ok((login, identity))
    }

    /// Replaces the provider metadata of one of this provider's identities.
    pub async fn update_provider_metadata(
        &self,
        login: &ProviderIdentity,
        provider_metadata: &Metadata,
    ) -> Result<(), StoreError> {
        if login.provider != self.provider {
            return Err(StoreError::NotFound(login.id.clone()));
        }
        self.identities
            .update_provider_metadata(&login.id, provider_metadata)
            .await
    }

    /// Changes one of this provider's credentials by compare-and-set; see
    /// [`IdentityStore::change_credential`].
    pub async fn change_credential(
        &self,
        login: &ProviderIdentity,
        change: &CredentialChange,
    ) -> Result<CredentialWrite, StoreError> {
        if login.provider != self.provider || change.provider_identity_id != login.id {
            return Err(StoreError::NotFound(login.id.clone()));
        }
        self.identities.change_credential(change).await
    }

    /// The provider identity `login` as stored now, if it still exists.
    pub async fn reread(
        &self,
        login: &ProviderIdentity,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        Ok(self
            .identities
            .provider_identities(&login.auth_identity_id)
            .await?
            .into_iter()
            .find(|current| current.id == login.id && current.provider == self.provider))
    }

    /// This provider's identity for an auth identity, if it has one.
    pub async fn for_identity(
        &self,
        auth_identity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        Ok(self
            .identities
            .provider_identities(auth_identity_id)
            .await?
            .into_iter()
            .find(|login| login.provider == self.provider))
    }
}
