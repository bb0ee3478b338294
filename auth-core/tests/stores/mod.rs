//! What the store test files share: opening each store implementation, and a
//! macro that runs one behaviour test against every one of them.

#![allow(clippy::unwrap_used, dead_code)] // Shared fixtures: a panic reports a failure.

use std::path::Path;

use auth_core::store::SqliteStore;

/// The URL of a SQLite file database in `dir`.
pub fn file_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("auth.db").display())
}

/// Opens (and migrates) the SQLite file database in `dir`.
pub async fn open_file_store(dir: &Path) -> SqliteStore {
    SqliteStore::connect(&file_url(dir)).await.unwrap()
}

/// Declares each behaviour test once per store implementation: in memory,
/// SQLite on a file (real concurrency), SQLite in memory. Each behaviour is an
/// `async fn(Arc<impl Store>)` in the calling file.
#[macro_export]
macro_rules! behaviour_tests {
    ($($behaviour:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(std::sync::Arc::new(auth_core::store::MemoryStore::new())).await;
                }
            )*
        }
        mod sqlite_file_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = super::stores::open_file_store(dir.path()).await;
                    super::$behaviour(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod sqlite_in_memory_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let store = auth_core::store::SqliteStore::connect("sqlite::memory:").await.unwrap();
                    super::$behaviour(std::sync::Arc::new(store)).await;
                }
            )*
        }
    };
}
