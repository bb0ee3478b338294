//! What the SQLite test files share: opening a SQLite file database.

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
