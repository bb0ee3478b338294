//! What the SQL stores ([`SqliteStore`](super::SqliteStore) and
//! [`PostgresStore`](super::PostgresStore)) share: the reading of a sqlx error
//! as a [`StoreError`], times as SQL integers, and the schedule that keeps
//! pruning of long-expired rows cheap.
//!
//! ```
//! use auth_core::store::StoreError;
//!
//! // A pool that cannot hand out a connection in time fails closed (503).
//! let error = StoreError::from(sqlx::Error::PoolTimedOut);
//! assert!(matches!(error, StoreError::Unavailable(_)));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;

/// Pruning of a table runs at most this often (per store), so it stays cheap.
const PRUNE_INTERVAL_SECS: u64 = 60;

/// When each table was last pruned (Unix seconds).
#[derive(Debug, Default)]
pub(crate) struct PruneSchedule {
    pub(crate) sessions: AtomicU64,
    pub(crate) reset_tokens: AtomicU64,
    pub(crate) refresh_tokens: AtomicU64,
    pub(crate) throttle: AtomicU64,
}

impl PruneSchedule {
    /// Whether the table whose last pruning `slot` records is due at `now`;
    /// claims the run, so of concurrent callers only one prunes.
    pub(crate) fn claim(slot: &AtomicU64, now: u64) -> bool {
        let last = slot.load(Ordering::Relaxed);
        now >= last.saturating_add(PRUNE_INTERVAL_SECS)
            && slot
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// SQL integers are i64; times past i64::MAX (year 292 billion) saturate,
/// which only ever lengthens a revocation.
pub(crate) fn to_sql_int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The stores' reading of a sqlx error, for code beside a SQL store that runs
/// its own SQL on the same pool (the demo's tables): a busy or locked
/// database, a timeout or a lost connection is [`StoreError::Unavailable`]
/// (`503`), a unique violation a [`StoreError::Conflict`].
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        store_error(error)
    }
}

/// Maps sqlx errors onto the store's fail-closed vocabulary. Messages carry
/// the database's text (constraint and column names), never bound values.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound(db.message().to_owned())
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => StoreError::Corrupt(error.to_string()),
        _ => StoreError::Unavailable(error.to_string()),
    }
}
