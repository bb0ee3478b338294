//! SQLite stores (feature `sqlite`, on by default): the embedded default.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::identity::{AuthIdentity, ProviderIdentity};
//! use auth_core::store::{IdentityStore, RevocationStore, SqliteStore, StoreError};
//!
//! // A file would be `sqlite://auth.db?mode=rwc`; `connect` runs the migrations.
//! let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
//!
//! let identity = AuthIdentity::new();
//! let login = ProviderIdentity::new("emailpass", "ada@example.com", &identity.id);
//! store.create_identity(&identity, &login).await.unwrap();
//!
//! let linked = store.link_actor(&identity.id, "customer", "cus_1").await.unwrap();
//! assert_eq!(linked.actor_id("customer"), Some("cus_1"));
//! assert_eq!(
//!     store.link_actor(&identity.id, "customer", "cus_2").await,
//!     Err(StoreError::AlreadyLinked("customer".into()))
//! );
//!
//! store.revoke_token("jti-1", 4_102_444_800).await.unwrap();
//! assert!(store.is_token_revoked("jti-1").await.unwrap());
//! # });
//! ```
//!
//! The schema (`auth-core/migrations/sqlite/`) keeps Medusa's `auth_identity` and
//! `provider_identity` tables, columns and indexes, so a service can sit beside a
//! Medusa data model; everything else lives in our own `auth_` tables:
//! revocations (`auth_revoked_token`, `auth_identity_revocation`, whose cut-off
//! is in Unix milliseconds), sessions (`auth_session`), reset tokens
//! (`auth_reset_token`), refresh tokens (`auth_refresh_token`,
//! `auth_refresh_family_revoked`), API keys (`auth_api_key`), invites
//! (`auth_invite`) and throttle counters (`auth_throttle`). Rows with `deleted_at` set (Medusa's soft
//! delete) are treated as absent. Connections use WAL and a busy timeout, and a
//! pool acquire timeout, so a locked or missing database fails closed with
//! [`StoreError::Unavailable`] instead of hanging.
//!
//! A credential changes by one conditional `UPDATE` whose `WHERE` holds the
//! hash the caller read (compare-and-set), and a password reset is one
//! `IMMEDIATE` transaction: the reset token consumed, the hash changed, the
//! identity's cut-off set, its sessions, reset tokens and refresh families
//! revoked. E-mail lookups ignore ASCII case (an index on
//! `lower(entity_id)`), so rows a Medusa backend stored in mixed case are found.
//!
//! Credentials that must be used at most once (reset tokens, refresh tokens)
//! are consumed by single conditional statements (`DELETE … RETURNING`,
//! `UPDATE … WHERE used_at IS NULL`), so of two concurrent requests presenting
//! the same token only one wins. Expired sessions, reset tokens, refresh
//! families and the throttle counters of ended windows are pruned on writes,
//! at most once a minute per table; deny-listed token ids an hour after they
//! expire. Creating a session also ends its identity's oldest sessions beyond
//! the per-identity limit, in the same transaction. (The module keeps its
//! throttle counters in memory unless told otherwise, so by default no
//! throttle row reaches SQLite at all.)

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Row as _, SqlSafeStr as _};

use super::sql::{PruneSchedule, store_error, to_sql_int};
use super::{
    ApiKeyRecord, ApiKeyStore, CredentialChange, CredentialStore, CredentialWrite, IdentityStore,
    InviteRecord, InviteStore, PRUNE_GRACE_SECS, RefreshRotation, RefreshTokenRecord,
    RefreshTokenStore, ResetCompletion, ResetOutcome, ResetTokenRecord, ResetTokenStore,
    RevocationSnapshot, RevocationStore, SessionRecord, SessionStore, StoreError, ThrottleStore,
    check_identity_id,
};
use crate::clock::{SharedClock, SystemClock};
use crate::identity::{AuthContext, AuthIdentity, Metadata, ProviderIdentity, is_valid_actor_type};

/// How long a statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a pooled connection before failing closed.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of a file database (WAL allows concurrent readers and one writer).
const MAX_FILE_CONNECTIONS: u32 = 8;

/// The embedded migrations of `auth-core/migrations/sqlite/`, in order.
///
/// Built from `include_str!` rather than `sqlx::migrate!` so the crate needs no
/// sqlx proc macros; the result (versions, checksums, `_sqlx_migrations`) is the same.
fn migrator() -> Migrator {
    let migration = |version, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            Cow::Borrowed(description),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(
            1,
            "medusa auth tables",
            include_str!("../../migrations/sqlite/0001_medusa_auth_tables.sql"),
        ),
        migration(
            2,
            "auth revocations",
            include_str!("../../migrations/sqlite/0002_auth_revocations.sql"),
        ),
        migration(
            3,
            "credential lifecycle",
            include_str!("../../migrations/sqlite/0003_credential_lifecycle.sql"),
        ),
        migration(
            4,
            "auth invites",
            include_str!("../../migrations/sqlite/0004_auth_invites.sql"),
        ),
        migration(
            5,
            "provider identity lower entity id",
            include_str!("../../migrations/sqlite/0005_provider_identity_lower_entity_id.sql"),
        ),
        migration(
            6,
            "session login",
            include_str!("../../migrations/sqlite/0006_session_login.sql"),
        ),
    ])
}

/// Every store trait ([`IdentityStore`], [`RevocationStore`], [`SessionStore`],
/// [`ResetTokenStore`], [`RefreshTokenStore`], [`ApiKeyStore`],
/// [`ThrottleStore`]) on a SQLite database.
///
/// Cheap to clone: clones share the connection pool.
///
/// Every decision about time uses the `now` its caller passes (the module's
/// clock). The store's own [`Clock`](crate::clock::Clock) only schedules the
/// pruning of long-expired rows; give it the module's clock with
/// [`with_clock`](Self::with_clock) when that is not the system clock.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    prune: Arc<PruneSchedule>,
    clock: SharedClock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("pool", &self.pool)
            .field("prune", &self.prune)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// `url` is a sqlx SQLite URL: `sqlite://auth.db?mode=rwc` creates the file
    /// if missing, `sqlite::memory:` is a private in-memory database (served by a
    /// single connection, since every connection would otherwise see its own).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid SQLite URL: {e}")))?
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool_options = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        let pool_options = if in_memory {
            // The database lives as long as its connection: never let it go.
            pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool_options.max_connections(MAX_FILE_CONNECTIONS)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(store_error)?;
        let store = Self::from_pool(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Uses an existing pool as is. Call [`migrate`](Self::migrate) unless the
    /// schema is known to be current.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self {
            pool,
            prune: Arc::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same store, pruning by `clock`'s time.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The underlying pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Applies the embedded migrations that have not run yet. Idempotent.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrator().run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => store_error(e),
            other => StoreError::Unavailable(format!("migration failed: {other}")),
        })
    }

    /// Prunes deny-list entries well past their expiry. Opportunistic: called
    /// on writes, and a failure here never fails the write.
    async fn prune_revoked_tokens(&self) {
        let cutoff = self.expired_cutoff();
        let outcome = sqlx::query("DELETE FROM auth_revoked_token WHERE expires_at < ?1")
            .bind(to_sql_int(cutoff))
            .execute(&self.pool)
            .await;
        if let Err(error) = outcome {
            tracing::warn!(%error, "pruning expired token revocations failed");
        }
    }

    /// Re-reads an identity after a conditional update matched no row, to tell
    /// why: the identity is missing, its `app_metadata` is unusable, or the
    /// actor type is already linked.
    async fn explain_link_failure(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
    ) -> Result<AuthIdentity, StoreError> {
        match self.identity(auth_identity_id).await? {
            None => Err(StoreError::NotFound(auth_identity_id.to_owned())),
            Some(_) => Err(StoreError::AlreadyLinked(actor_type.to_owned())),
        }
    }
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_identity(
        &self,
        identity: &AuthIdentity,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError> {
        check_identity_id(&identity.id)?;
        check_identity_id(&provider_identity.auth_identity_id)?;
        let app_metadata = metadata_json(&identity.app_metadata)?;
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("INSERT INTO auth_identity (id, app_metadata) VALUES (?1, ?2)")
            .bind(&identity.id)
            .bind(app_metadata)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let login = provider_identity;
        sqlx::query(
            "INSERT INTO provider_identity \
             (id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&login.id)
        .bind(&login.entity_id)
        .bind(&login.provider)
        .bind(&login.auth_identity_id)
        .bind(metadata_json(&login.user_metadata)?)
        .bind(metadata_json(&login.provider_metadata)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| match store_error(e) {
            // The login points at another identity, which does not exist.
            StoreError::NotFound(_) => StoreError::NotFound(login.auth_identity_id.clone()),
            other => other,
        })?;
        tx.commit().await.map_err(store_error)
    }

    async fn add_provider_identity(
        &self,
        provider_identity: &ProviderIdentity,
    ) -> Result<(), StoreError> {
        check_identity_id(&provider_identity.auth_identity_id)?;
        // One statement, so the existence check and the insert are atomic
        // without a read-then-write transaction (which WAL may refuse to upgrade).
        let login = provider_identity;
        let done = sqlx::query(
            "INSERT INTO provider_identity \
             (id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
             WHERE EXISTS (SELECT 1 FROM auth_identity WHERE id = ?4 AND deleted_at IS NULL)",
        )
        .bind(&login.id)
        .bind(&login.entity_id)
        .bind(&login.provider)
        .bind(&login.auth_identity_id)
        .bind(metadata_json(&login.user_metadata)?)
        .bind(metadata_json(&login.provider_metadata)?)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(login.auth_identity_id.clone()));
        }
        Ok(())
    }

    async fn identity(&self, id: &str) -> Result<Option<AuthIdentity>, StoreError> {
        let row = sqlx::query(
            "SELECT app_metadata FROM auth_identity WHERE id = ?1 AND deleted_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.map(|row| {
            let app_metadata = row.try_get("app_metadata").map_err(store_error)?;
            Ok(AuthIdentity {
                id: id.to_owned(),
                app_metadata: parse_metadata(id, "app_metadata", app_metadata)?,
            })
        })
        .transpose()
    }

    async fn find_provider_identity(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        let row = sqlx::query(
            "SELECT id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata \
             FROM provider_identity \
             WHERE provider = ?1 AND entity_id = ?2 AND deleted_at IS NULL",
        )
        .bind(provider)
        .bind(entity_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(provider_identity_from_row).transpose()
    }

    async fn find_provider_identity_ignoring_case(
        &self,
        provider: &str,
        entity_id: &str,
    ) -> Result<Option<ProviderIdentity>, StoreError> {
        // The exact match sorts first; two rows and none exact is ambiguous.
        let rows = sqlx::query(
            "SELECT id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata \
             FROM provider_identity \
             WHERE provider = ?1 AND lower(entity_id) = lower(?2) AND deleted_at IS NULL \
             ORDER BY entity_id = ?2 DESC, created_at, id LIMIT 2",
        )
        .bind(provider)
        .bind(entity_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let logins = rows
            .iter()
            .map(provider_identity_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match logins.as_slice() {
            [first, ..] if first.entity_id == entity_id => Some(first.clone()),
            [only] => Some(only.clone()),
            [] => None,
            _ => {
                tracing::warn!(provider, "entity ids differing only in case: none chosen");
                None
            }
        })
    }

    async fn provider_identities(
        &self,
        auth_identity_id: &str,
    ) -> Result<Vec<ProviderIdentity>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata \
             FROM provider_identity \
             WHERE auth_identity_id = ?1 AND deleted_at IS NULL \
             ORDER BY created_at, id",
        )
        .bind(auth_identity_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(provider_identity_from_row).collect()
    }

    async fn update_provider_metadata(
        &self,
        provider_identity_id: &str,
        provider_metadata: &Metadata,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(UPDATE_PROVIDER_METADATA)
            .bind(metadata_json(provider_metadata)?)
            .bind(provider_identity_id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(provider_identity_id.to_owned()));
        }
        Ok(())
    }

    async fn change_credential(
        &self,
        change: &CredentialChange,
    ) -> Result<CredentialWrite, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(store_error)?;
        change_credential_on(&mut connection, change, None).await
    }

    async fn link_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<AuthIdentity, StoreError> {
        check_identity_id(auth_identity_id)?;
        // Same outcome as the in-memory store for an invalid actor type.
        if !is_valid_actor_type(actor_type) {
            return Err(StoreError::InvalidActorType);
        }
        // One conditional UPDATE: the check "not linked yet" and the write are a
        // single atomic statement, so two concurrent links cannot both succeed.
        // "Linked" means a non-empty string, as in `AuthIdentity::actor_id`. The
        // CASE keeps json_type away from malformed JSON (which would raise).
        let row = sqlx::query(LINK_ACTOR)
            .bind(actor_path(actor_type))
            .bind(actor_id)
            .bind(auth_identity_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        match row {
            Some(row) => identity_from_app_metadata(auth_identity_id, &row),
            None => {
                self.explain_link_failure(auth_identity_id, actor_type)
                    .await
            }
        }
    }

    async fn unlink_actor(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
    ) -> Result<AuthIdentity, StoreError> {
        if !is_valid_actor_type(actor_type) {
            // No such link can exist: nothing to remove.
            return self
                .identity(auth_identity_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(auth_identity_id.to_owned()));
        }
        let row = sqlx::query(UNLINK_ACTOR)
            .bind(actor_path(actor_type))
            .bind(auth_identity_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        match row {
            Some(row) => identity_from_app_metadata(auth_identity_id, &row),
            // Missing, or unusable app_metadata: `identity` reports which.
            None => match self.identity(auth_identity_id).await? {
                None => Err(StoreError::NotFound(auth_identity_id.to_owned())),
                Some(identity) => Ok(identity),
            },
        }
    }
}

/// `$1` = JSON path of the actor key, `$2` = actor id, `$3` = identity id.
const LINK_ACTOR: &str = "UPDATE auth_identity \
     SET app_metadata = json_set(COALESCE(app_metadata, '{}'), ?1, ?2), \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE id = ?3 AND deleted_at IS NULL \
       AND CASE WHEN json_valid(COALESCE(app_metadata, '{}')) \
                 AND json_type(COALESCE(app_metadata, '{}')) = 'object' \
           THEN COALESCE(json_type(app_metadata, ?1) = 'text' \
                         AND json_extract(app_metadata, ?1) <> '', 0) = 0 \
           ELSE 0 END \
     RETURNING app_metadata";

/// `$1` = JSON path of the actor key, `$2` = identity id.
const UNLINK_ACTOR: &str = "UPDATE auth_identity \
     SET app_metadata = json_remove(COALESCE(app_metadata, '{}'), ?1), \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE id = ?2 AND deleted_at IS NULL \
       AND CASE WHEN json_valid(COALESCE(app_metadata, '{}')) \
           THEN json_type(COALESCE(app_metadata, '{}')) = 'object' \
           ELSE 0 END \
     RETURNING app_metadata";

/// The compare-and-set of a credential: `$1` = provider identity id, `$2` =
/// JSON path of the credential key, `$3` = new credential, `$4` = new entity
/// id or NULL (kept when another row of the provider has it), `$5` = the
/// credential expected (NULL: none), `$6` = the identity the row must belong
/// to, or NULL for any. Unusable metadata JSON never matches.
const CHANGE_CREDENTIAL: &str = "UPDATE provider_identity AS login \
     SET provider_metadata = json_set(COALESCE(provider_metadata, '{}'), ?2, ?3), \
         entity_id = CASE WHEN ?4 IS NOT NULL AND NOT EXISTS ( \
                 SELECT 1 FROM provider_identity AS other \
                 WHERE other.provider = login.provider AND other.entity_id = ?4 \
                   AND other.id <> login.id) \
             THEN ?4 ELSE entity_id END, \
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE id = ?1 AND deleted_at IS NULL \
       AND (?6 IS NULL OR auth_identity_id = ?6) \
       AND CASE WHEN json_valid(COALESCE(provider_metadata, '{}')) \
                 AND json_type(COALESCE(provider_metadata, '{}')) = 'object' \
           THEN json_extract(COALESCE(provider_metadata, '{}'), ?2) IS ?5 \
           ELSE 0 END";

/// Runs [`CHANGE_CREDENTIAL`] on `connection` (a pooled connection or an
/// open transaction) and tells a stale credential from a missing row.
async fn change_credential_on(
    connection: &mut sqlx::SqliteConnection,
    change: &CredentialChange,
    auth_identity_id: Option<&str>,
) -> Result<CredentialWrite, StoreError> {
    if !CredentialChange::is_valid_key(&change.credential_key) {
        return Err(StoreError::Corrupt("invalid credential key".into()));
    }
    let done = sqlx::query(CHANGE_CREDENTIAL)
        .bind(&change.provider_identity_id)
        .bind(format!("$.\"{}\"", change.credential_key))
        .bind(&change.replacement)
        .bind(change.entity_id.as_deref())
        .bind(change.expected.as_deref())
        .bind(auth_identity_id)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    if done.rows_affected() > 0 {
        return Ok(CredentialWrite::Changed);
    }
    let exists = sqlx::query(
        "SELECT 1 FROM provider_identity WHERE id = ?1 AND deleted_at IS NULL \
         AND (?2 IS NULL OR auth_identity_id = ?2)",
    )
    .bind(&change.provider_identity_id)
    .bind(auth_identity_id)
    .fetch_optional(&mut *connection)
    .await
    .map_err(store_error)?;
    match exists {
        Some(_) => Ok(CredentialWrite::Stale),
        None => Err(StoreError::NotFound(change.provider_identity_id.clone())),
    }
}

/// `$1` = identity id, `$2` = cut-off (Unix milliseconds); never moves back.
const REVOKE_IDENTITY_TOKENS: &str = "INSERT INTO auth_identity_revocation (auth_identity_id, tokens_valid_after) \
     VALUES (?1, ?2) \
     ON CONFLICT (auth_identity_id) DO UPDATE \
     SET tokens_valid_after = max(tokens_valid_after, excluded.tokens_valid_after)";

/// `$1` = identity id.
const DELETE_IDENTITY_SESSIONS: &str = "DELETE FROM auth_session WHERE auth_identity_id = ?1";

/// `$1` = identity id.
const DELETE_IDENTITY_RESET_TOKENS: &str =
    "DELETE FROM auth_reset_token WHERE auth_identity_id = ?1";

/// `$1` = identity id.
const REVOKE_IDENTITY_REFRESH_FAMILIES: &str = "INSERT INTO auth_refresh_family_revoked (family_id, family_expires_at) \
     SELECT family_id, max(family_expires_at) FROM auth_refresh_token \
     WHERE auth_identity_id = ?1 GROUP BY family_id \
     ON CONFLICT (family_id) DO NOTHING";

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn complete_reset(
        &self,
        completion: &ResetCompletion,
    ) -> Result<ResetOutcome, StoreError> {
        let identity = completion.auth_identity_id.as_str();
        check_identity_id(identity)?;
        // One IMMEDIATE transaction: the token is consumed by a conditional
        // DELETE (of concurrent completions only one gets it), the hash
        // changes by compare-and-set, and the revocations follow. Any refusal
        // or error rolls all of it back, the token included.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let consumed = sqlx::query(
            "DELETE FROM auth_reset_token WHERE token_hash = ?1 AND auth_identity_id = ?2 \
             AND actor_type = ?3 AND provider = ?4 AND expires_at > ?5 RETURNING token_hash",
        )
        .bind(&completion.token_hash)
        .bind(identity)
        .bind(&completion.actor_type)
        .bind(&completion.provider)
        .bind(to_sql_int(completion.now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        if consumed.is_none() {
            tx.rollback().await.map_err(store_error)?;
            return Ok(ResetOutcome::InvalidToken);
        }
        match change_credential_on(&mut tx, &completion.change, Some(identity)).await {
            Ok(CredentialWrite::Changed) => {}
            Ok(CredentialWrite::Stale) => {
                tx.rollback().await.map_err(store_error)?;
                return Ok(ResetOutcome::Stale);
            }
            Err(StoreError::NotFound(_)) => {
                tx.rollback().await.map_err(store_error)?;
                return Ok(ResetOutcome::InvalidToken);
            }
            Err(other) => return Err(other),
        }
        sqlx::query(REVOKE_IDENTITY_TOKENS)
            .bind(identity)
            .bind(to_sql_int(completion.tokens_valid_after_ms))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        for statement in [
            DELETE_IDENTITY_SESSIONS,
            DELETE_IDENTITY_RESET_TOKENS,
            REVOKE_IDENTITY_REFRESH_FAMILIES,
        ] {
            sqlx::query(statement)
                .bind(identity)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(ResetOutcome::Completed)
    }
}

/// `$1` = provider metadata JSON, `$2` = provider identity id.
const UPDATE_PROVIDER_METADATA: &str = "UPDATE provider_identity \
     SET provider_metadata = ?1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE id = ?2 AND deleted_at IS NULL";

#[async_trait]
impl RevocationStore for SqliteStore {
    async fn revoke_token(&self, jti: &str, expires_at: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO auth_revoked_token (jti, expires_at) VALUES (?1, ?2) \
             ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
        )
        .bind(jti)
        .bind(to_sql_int(expires_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.prune_revoked_tokens().await;
        Ok(())
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM auth_revoked_token WHERE jti = ?1")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn revoke_identity_tokens(
        &self,
        auth_identity_id: &str,
        issued_before_ms: u64,
    ) -> Result<(), StoreError> {
        check_identity_id(auth_identity_id)?;
        // Unix milliseconds, stored as given (the column predates the unit change).
        sqlx::query(REVOKE_IDENTITY_TOKENS)
            .bind(auth_identity_id)
            .bind(to_sql_int(issued_before_ms))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn tokens_valid_after(&self, auth_identity_id: &str) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query(
            "SELECT tokens_valid_after FROM auth_identity_revocation WHERE auth_identity_id = ?1",
        )
        .bind(auth_identity_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let value: i64 = row.try_get("tokens_valid_after").map_err(store_error)?;
        u64::try_from(value).map(Some).map_err(|_| {
            StoreError::Corrupt(format!(
                "auth_identity_revocation {auth_identity_id}: negative tokens_valid_after"
            ))
        })
    }

    async fn live_revocations(&self, now: u64) -> Result<RevocationSnapshot, StoreError> {
        let denied =
            sqlx::query("SELECT jti, expires_at FROM auth_revoked_token WHERE expires_at > ?1")
                .bind(to_sql_int(now))
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)?;
        let cutoffs = sqlx::query(
            "SELECT auth_identity_id, tokens_valid_after FROM auth_identity_revocation",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let unsigned = |value: i64, what: &str| {
            u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what}")))
        };
        let mut snapshot = RevocationSnapshot::default();
        for row in denied {
            let expires_at: i64 = row.try_get("expires_at").map_err(store_error)?;
            snapshot.denied.push((
                row.try_get("jti").map_err(store_error)?,
                unsigned(expires_at, "auth_revoked_token.expires_at")?,
            ));
        }
        for row in cutoffs {
            let after: i64 = row.try_get("tokens_valid_after").map_err(store_error)?;
            snapshot.cutoffs.push((
                row.try_get("auth_identity_id").map_err(store_error)?,
                unsigned(after, "auth_identity_revocation.tokens_valid_after")?,
            ));
        }
        Ok(snapshot)
    }
}

impl SqliteStore {
    /// Runs the `DELETE` statements `sql` (each with `?1` = `cutoff`) if the
    /// table's pruning, recorded in `slot`, is due. Opportunistic: a failure is
    /// logged and never fails the write that triggered it.
    async fn prune(&self, slot: &AtomicU64, table: &str, sql: &[&'static str], cutoff: u64) {
        if !PruneSchedule::claim(slot, self.clock.now_secs()) {
            return;
        }
        for statement in sql {
            let outcome = sqlx::query(*statement)
                .bind(to_sql_int(cutoff))
                .execute(&self.pool)
                .await;
            if let Err(error) = outcome {
                tracing::warn!(%error, table, "pruning expired rows failed");
                return;
            }
        }
    }

    /// The cut-off for rows that expired (Unix seconds) well before now.
    fn expired_cutoff(&self) -> u64 {
        self.clock.now_secs().saturating_sub(PRUNE_GRACE_SECS)
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        session: &SessionRecord,
        max_per_identity: usize,
    ) -> Result<(), StoreError> {
        check_identity_id(&session.context.auth_identity_id)?;
        let context = serde_json::to_string(&session.context)
            .map_err(|e| StoreError::Corrupt(format!("session context not serializable: {e}")))?;
        // The insert and the eviction of the identity's oldest sessions in one
        // transaction under the write lock: concurrent creations cannot leave
        // the identity over its limit.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO auth_session \
             (id_hash, auth_identity_id, context, sid, created_at_ms, last_seen_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&session.id_hash)
        .bind(&session.context.auth_identity_id)
        .bind(context)
        .bind(session.sid.as_deref())
        .bind(to_sql_int(session.created_at_ms))
        .bind(to_sql_int(session.last_seen_at))
        .bind(to_sql_int(session.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "DELETE FROM auth_session WHERE auth_identity_id = ?1 AND id_hash NOT IN \
             (SELECT id_hash FROM auth_session WHERE auth_identity_id = ?1 \
              ORDER BY created_at_ms DESC, id_hash DESC LIMIT ?2)",
        )
        .bind(&session.context.auth_identity_id)
        .bind(to_sql_int(
            u64::try_from(max_per_identity.max(1)).unwrap_or(u64::MAX),
        ))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        self.prune(
            &self.prune.sessions,
            "auth_session",
            &["DELETE FROM auth_session WHERE expires_at < ?1"],
            self.expired_cutoff(),
        )
        .await;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id_hash, context, sid, created_at_ms, last_seen_at, expires_at \
             FROM auth_session WHERE id_hash = ?1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn touch_session(&self, id_hash: &str, now: u64) -> Result<(), StoreError> {
        // Never moves `last_seen_at` back: a late, out-of-order touch is harmless.
        sqlx::query(
            "UPDATE auth_session SET last_seen_at = max(last_seen_at, ?2) WHERE id_hash = ?1",
        )
        .bind(id_hash)
        .bind(to_sql_int(now))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM auth_session WHERE id_hash = ?1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_identity_sessions(&self, auth_identity_id: &str) -> Result<(), StoreError> {
        sqlx::query(DELETE_IDENTITY_SESSIONS)
            .bind(auth_identity_id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl ResetTokenStore for SqliteStore {
    async fn replace_reset_token(&self, record: &ResetTokenRecord) -> Result<(), StoreError> {
        check_identity_id(&record.auth_identity_id)?;
        // BEGIN IMMEDIATE takes the write lock up front (waiting out the busy
        // timeout), so no other writer slips in between the delete and the insert.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM auth_reset_token WHERE auth_identity_id = ?1")
            .bind(&record.auth_identity_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // As in the in-memory store, a (practically impossible) hash collision
        // with another identity's token replaces that token.
        sqlx::query(
            "INSERT INTO auth_reset_token \
             (token_hash, auth_identity_id, actor_type, provider, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (token_hash) DO UPDATE SET \
             auth_identity_id = excluded.auth_identity_id, actor_type = excluded.actor_type, \
             provider = excluded.provider, expires_at = excluded.expires_at",
        )
        .bind(&record.token_hash)
        .bind(&record.auth_identity_id)
        .bind(&record.actor_type)
        .bind(&record.provider)
        .bind(to_sql_int(record.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        self.prune(
            &self.prune.reset_tokens,
            "auth_reset_token",
            &["DELETE FROM auth_reset_token WHERE expires_at < ?1"],
            self.expired_cutoff(),
        )
        .await;
        Ok(())
    }

    async fn reset_token(&self, token_hash: &str) -> Result<Option<ResetTokenRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, auth_identity_id, actor_type, provider, expires_at \
             FROM auth_reset_token WHERE token_hash = ?1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(reset_token_from_row).transpose()
    }

    async fn consume_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ResetTokenRecord>, StoreError> {
        // One statement: of two concurrent consumers only one deletes the row.
        let row = sqlx::query(
            "DELETE FROM auth_reset_token WHERE token_hash = ?1 \
             RETURNING token_hash, auth_identity_id, actor_type, provider, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(reset_token_from_row).transpose()
    }

    async fn delete_identity_reset_tokens(&self, auth_identity_id: &str) -> Result<(), StoreError> {
        sqlx::query(DELETE_IDENTITY_RESET_TOKENS)
            .bind(auth_identity_id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl RefreshTokenStore for SqliteStore {
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        check_identity_id(&record.auth_identity_id)?;
        sqlx::query(INSERT_REFRESH_TOKEN)
            .bind(&record.token_hash)
            .bind(&record.family_id)
            .bind(&record.auth_identity_id)
            .bind(&record.actor_type)
            .bind(to_sql_int(record.expires_at))
            .bind(to_sql_int(record.family_expires_at))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        // A family past its absolute expiry can never rotate again: drop its
        // tokens and its revocation together.
        self.prune(
            &self.prune.refresh_tokens,
            "auth_refresh_token",
            &[
                "DELETE FROM auth_refresh_token WHERE family_expires_at < ?1",
                "DELETE FROM auth_refresh_family_revoked WHERE family_expires_at < ?1",
            ],
            self.expired_cutoff(),
        )
        .await;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        successor_expires_at: u64,
        now: u64,
    ) -> Result<RefreshRotation, StoreError> {
        // The write lock is taken up front (BEGIN IMMEDIATE), and the first
        // statement is the conditional claim `used_at IS NULL`: whatever the
        // interleaving, exactly one caller marks the token used.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let claimed = sqlx::query(CLAIM_REFRESH_TOKEN)
            .bind(presented_hash)
            .bind(to_sql_int(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        if let Some(row) = claimed {
            let presented = refresh_token_from_row(&row)?;
            sqlx::query(INSERT_REFRESH_TOKEN)
                .bind(successor_hash)
                .bind(&presented.family_id)
                .bind(&presented.auth_identity_id)
                .bind(&presented.actor_type)
                .bind(to_sql_int(
                    successor_expires_at.min(presented.family_expires_at),
                ))
                .bind(to_sql_int(presented.family_expires_at))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            tx.commit().await.map_err(store_error)?;
            return Ok(RefreshRotation::Rotated(presented));
        }

        // Not claimed: unknown, expired, of a revoked family, or used before.
        let row = sqlx::query(
            "SELECT family_id, expires_at, family_expires_at, used_at, \
             EXISTS (SELECT 1 FROM auth_refresh_family_revoked AS revoked \
                     WHERE revoked.family_id = token.family_id) AS family_revoked \
             FROM auth_refresh_token AS token WHERE token_hash = ?1",
        )
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            tx.rollback().await.map_err(store_error)?;
            return Ok(RefreshRotation::Unknown);
        };
        let family_id: String = row.try_get("family_id").map_err(store_error)?;
        let expires_at = u64_column(&row, "auth_refresh_token", "expires_at")?;
        let family_expires_at = u64_column(&row, "auth_refresh_token", "family_expires_at")?;
        let used_at = optional_u64_column(&row, "auth_refresh_token", "used_at")?;
        let family_revoked: bool = row.try_get("family_revoked").map_err(store_error)?;
        if family_revoked || expires_at <= now || family_expires_at <= now || used_at.is_none() {
            // `used_at` is NULL only if the token was current, which the claim
            // above would have taken: unreachable under the write lock, and
            // refusing is the safe answer anyway.
            tx.rollback().await.map_err(store_error)?;
            return Ok(RefreshRotation::Unknown);
        }
        sqlx::query(
            "INSERT INTO auth_refresh_family_revoked (family_id, family_expires_at) \
             VALUES (?1, ?2) ON CONFLICT (family_id) DO NOTHING",
        )
        .bind(&family_id)
        .bind(to_sql_int(family_expires_at))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        tracing::warn!(family_id, "refresh token reused: family revoked");
        Ok(RefreshRotation::Reused {
            family_id,
            family_expires_at,
        })
    }

    async fn revoke_identity_refresh_tokens(
        &self,
        auth_identity_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(REVOKE_IDENTITY_REFRESH_FAMILIES)
            .bind(auth_identity_id)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// `$1` = token hash, `$2` = family id, `$3` = identity id, `$4` = actor type,
/// `$5` = idle expiry, `$6` = family expiry.
const INSERT_REFRESH_TOKEN: &str = "INSERT INTO auth_refresh_token \
     (token_hash, family_id, auth_identity_id, actor_type, expires_at, family_expires_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Marks a current token used. `$1` = token hash, `$2` = now (Unix seconds).
/// Matches only a token never used, unexpired (idle and absolute) at `now`,
/// whose family is not revoked.
const CLAIM_REFRESH_TOKEN: &str = "UPDATE auth_refresh_token SET used_at = ?2 \
     WHERE token_hash = ?1 AND used_at IS NULL \
       AND expires_at > ?2 AND family_expires_at > ?2 \
       AND NOT EXISTS (SELECT 1 FROM auth_refresh_family_revoked AS revoked \
                       WHERE revoked.family_id = auth_refresh_token.family_id) \
     RETURNING token_hash, family_id, auth_identity_id, actor_type, expires_at, \
               family_expires_at";

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO auth_api_key \
             (id, secret_hash, redacted, title, actor_id, created_at, revoked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&record.id)
        .bind(&record.secret_hash)
        .bind(&record.redacted)
        .bind(&record.title)
        .bind(&record.actor_id)
        .bind(to_sql_int(record.created_at))
        .bind(record.revoked_at.map(to_sql_int))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn api_key_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, secret_hash, redacted, title, actor_id, created_at, revoked_at \
             FROM auth_api_key WHERE secret_hash = ?1",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn revoke_api_key(&self, id: &str, now: u64) -> Result<ApiKeyRecord, StoreError> {
        // A second revocation keeps the first time.
        let row = sqlx::query(
            "UPDATE auth_api_key SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 \
             RETURNING id, secret_hash, redacted, title, actor_id, created_at, revoked_at",
        )
        .bind(id)
        .bind(to_sql_int(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        match row {
            Some(row) => api_key_from_row(&row),
            None => Err(StoreError::NotFound(id.to_owned())),
        }
    }
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn create_invite(&self, record: &InviteRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO auth_invite \
             (id, email, token_hash, created_at, expires_at, accepted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&record.id)
        .bind(&record.email)
        .bind(&record.token_hash)
        .bind(to_sql_int(record.created_at))
        .bind(to_sql_int(record.expires_at))
        .bind(record.accepted_at.map(to_sql_int))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn invite_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<InviteRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, token_hash, created_at, expires_at, accepted_at \
             FROM auth_invite WHERE token_hash = ?1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(invite_from_row).transpose()
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
        if !is_valid_actor_type(actor_type) {
            return Err(StoreError::InvalidActorType);
        }
        // One IMMEDIATE transaction: the conditional UPDATE spends the invite
        // (of concurrent acceptors only one matches `accepted_at IS NULL`), and
        // the link is the same conditional statement as `link_actor`. If the
        // link is refused the transaction rolls back and the invite stays pending.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let accepted = sqlx::query(
            "UPDATE auth_invite SET accepted_at = ?2 \
             WHERE token_hash = ?1 AND accepted_at IS NULL AND expires_at > ?2 \
             RETURNING id, email, token_hash, created_at, expires_at, accepted_at",
        )
        .bind(token_hash)
        .bind(to_sql_int(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(accepted) = accepted else {
            tx.rollback().await.map_err(store_error)?;
            return Ok(None);
        };
        let invite = invite_from_row(&accepted)?;
        let linked = sqlx::query(LINK_ACTOR)
            .bind(actor_path(actor_type))
            .bind(actor_id)
            .bind(auth_identity_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        if linked.is_none() {
            tx.rollback().await.map_err(store_error)?;
            // Tells why (missing identity, already linked); never succeeds here.
            self.explain_link_failure(auth_identity_id, actor_type)
                .await?;
            return Err(StoreError::AlreadyLinked(actor_type.to_owned()));
        }
        tx.commit().await.map_err(store_error)?;
        Ok(Some(invite))
    }
}

#[async_trait]
impl ThrottleStore for SqliteStore {
    async fn hit(&self, key: &str, window_start: u64) -> Result<u64, StoreError> {
        // One upsert: concurrent hits on a key are counted, never lost.
        let row = sqlx::query(
            "INSERT INTO auth_throttle (key, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, \
             window_start = excluded.window_start \
             RETURNING count",
        )
        .bind(key)
        .bind(to_sql_int(window_start))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        let count = u64_column(&row, "auth_throttle", "count")?;
        self.prune(
            &self.prune.throttle,
            "auth_throttle",
            // A row of a window that has ended never counts again (a hit in
            // a newer window restarts it): it leaves as soon as a newer
            // window is in use, not a day later.
            &["DELETE FROM auth_throttle WHERE window_start < ?1"],
            window_start,
        )
        .await;
        Ok(count)
    }

    async fn count(&self, key: &str, window_start: u64) -> Result<u64, StoreError> {
        let row =
            sqlx::query("SELECT count FROM auth_throttle WHERE key = ?1 AND window_start = ?2")
                .bind(key)
                .bind(to_sql_int(window_start))
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        row.map_or(Ok(0), |row| u64_column(&row, "auth_throttle", "count"))
    }

    async fn reserve(
        &self,
        key: &str,
        window_start: u64,
        limit: u64,
    ) -> Result<Option<u64>, StoreError> {
        if limit == 0 {
            return Ok(None);
        }
        // One upsert that counts only below the limit: SQLite runs it as one
        // write, so concurrent reservations never pass the limit together.
        let row = sqlx::query(
            "INSERT INTO auth_throttle (key, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, \
             window_start = excluded.window_start \
             WHERE window_start <> excluded.window_start OR count < ?3 \
             RETURNING count",
        )
        .bind(key)
        .bind(to_sql_int(window_start))
        .bind(to_sql_int(limit))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        self.prune(
            &self.prune.throttle,
            "auth_throttle",
            // A row of a window that has ended never counts again (a hit in
            // a newer window restarts it): it leaves as soon as a newer
            // window is in use, not a day later.
            &["DELETE FROM auth_throttle WHERE window_start < ?1"],
            window_start,
        )
        .await;
        row.map(|row| u64_column(&row, "auth_throttle", "count"))
            .transpose()
    }

    async fn release(&self, key: &str, window_start: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE auth_throttle SET count = count - 1 \
             WHERE key = ?1 AND window_start = ?2 AND count > 0",
        )
        .bind(key)
        .bind(to_sql_int(window_start))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

fn session_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<SessionRecord, StoreError> {
    let context: String = row.try_get("context").map_err(store_error)?;
    let context: AuthContext = serde_json::from_str(&context)
        .map_err(|_| StoreError::Corrupt("auth_session: context is not an auth context".into()))?;
    Ok(SessionRecord {
        id_hash: row.try_get("id_hash").map_err(store_error)?,
        context,
        sid: row.try_get("sid").map_err(store_error)?,
        created_at_ms: u64_column(row, "auth_session", "created_at_ms")?,
        last_seen_at: u64_column(row, "auth_session", "last_seen_at")?,
        expires_at: u64_column(row, "auth_session", "expires_at")?,
    })
}

fn reset_token_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ResetTokenRecord, StoreError> {
    Ok(ResetTokenRecord {
        token_hash: row.try_get("token_hash").map_err(store_error)?,
        auth_identity_id: row.try_get("auth_identity_id").map_err(store_error)?,
        actor_type: row.try_get("actor_type").map_err(store_error)?,
        provider: row.try_get("provider").map_err(store_error)?,
        expires_at: u64_column(row, "auth_reset_token", "expires_at")?,
    })
}

fn refresh_token_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<RefreshTokenRecord, StoreError> {
    Ok(RefreshTokenRecord {
        token_hash: row.try_get("token_hash").map_err(store_error)?,
        family_id: row.try_get("family_id").map_err(store_error)?,
        auth_identity_id: row.try_get("auth_identity_id").map_err(store_error)?,
        actor_type: row.try_get("actor_type").map_err(store_error)?,
        expires_at: u64_column(row, "auth_refresh_token", "expires_at")?,
        family_expires_at: u64_column(row, "auth_refresh_token", "family_expires_at")?,
    })
}

fn api_key_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: row.try_get("id").map_err(store_error)?,
        secret_hash: row.try_get("secret_hash").map_err(store_error)?,
        redacted: row.try_get("redacted").map_err(store_error)?,
        title: row.try_get("title").map_err(store_error)?,
        actor_id: row.try_get("actor_id").map_err(store_error)?,
        created_at: u64_column(row, "auth_api_key", "created_at")?,
        revoked_at: optional_u64_column(row, "auth_api_key", "revoked_at")?,
    })
}

fn invite_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<InviteRecord, StoreError> {
    Ok(InviteRecord {
        id: row.try_get("id").map_err(store_error)?,
        email: row.try_get("email").map_err(store_error)?,
        token_hash: row.try_get("token_hash").map_err(store_error)?,
        created_at: u64_column(row, "auth_invite", "created_at")?,
        expires_at: u64_column(row, "auth_invite", "expires_at")?,
        accepted_at: optional_u64_column(row, "auth_invite", "accepted_at")?,
    })
}

/// Reads a non-negative integer column (a time or a count).
fn u64_column(row: &sqlx::sqlite::SqliteRow, table: &str, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column).map_err(store_error)?;
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{table}: negative {column}")))
}

/// Reads a nullable non-negative integer column.
fn optional_u64_column(
    row: &sqlx::sqlite::SqliteRow,
    table: &str,
    column: &str,
) -> Result<Option<u64>, StoreError> {
    let value: Option<i64> = row.try_get(column).map_err(store_error)?;
    value
        .map(|value| {
            u64::try_from(value)
                .map_err(|_| StoreError::Corrupt(format!("{table}: negative {column}")))
        })
        .transpose()
}

fn provider_identity_from_row(
    row: &sqlx::sqlite::SqliteRow,
) -> Result<ProviderIdentity, StoreError> {
    let id: String = row.try_get("id").map_err(store_error)?;
    let user_metadata = row.try_get("user_metadata").map_err(store_error)?;
    let provider_metadata = row.try_get("provider_metadata").map_err(store_error)?;
    Ok(ProviderIdentity {
        entity_id: row.try_get("entity_id").map_err(store_error)?,
        provider: row.try_get("provider").map_err(store_error)?,
        auth_identity_id: row.try_get("auth_identity_id").map_err(store_error)?,
        user_metadata: parse_metadata(&id, "user_metadata", user_metadata)?,
        provider_metadata: parse_metadata(&id, "provider_metadata", provider_metadata)?,
        id,
    })
}

fn identity_from_app_metadata(
    id: &str,
    row: &sqlx::sqlite::SqliteRow,
) -> Result<AuthIdentity, StoreError> {
    let app_metadata = row.try_get("app_metadata").map_err(store_error)?;
    Ok(AuthIdentity {
        id: id.to_owned(),
        app_metadata: parse_metadata(id, "app_metadata", app_metadata)?,
    })
}

/// JSON path of the actor link key. `actor_type` is validated
/// (`[a-z][a-z0-9_]*`), so it needs no quoting inside the path.
fn actor_path(actor_type: &str) -> String {
    format!("$.{}", AuthIdentity::actor_key(actor_type))
}

fn metadata_json(metadata: &Metadata) -> Result<String, StoreError> {
    serde_json::to_string(metadata)
        .map_err(|e| StoreError::Corrupt(format!("metadata not serializable: {e}")))
}

/// Reads a JSON-object column; SQL `NULL` and JSON `null` read as an empty object
/// (Medusa leaves these columns nullable).
fn parse_metadata(
    row_id: &str,
    column: &str,
    text: Option<String>,
) -> Result<Metadata, StoreError> {
    let Some(text) = text else {
        return Ok(Metadata::new());
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Metadata::new()),
        _ => Err(StoreError::Corrupt(format!(
            "{row_id}: {column} is not a JSON object"
        ))),
    }
}
