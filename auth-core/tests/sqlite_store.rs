//! The SQLite store: what only a database can do, survive a restart, keep
//! Medusa's schema, report corrupt rows, fail closed. The behaviour every store
//! shares is the conformance kit's (`auth_core::store::testing`), run in
//! `store_conformance.rs`.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod stores;

use auth_core::identity::Metadata;
use auth_core::store::testing::fixtures::register;
use auth_core::store::{IdentityStore, RevocationStore, SqliteStore, StoreError};

#[tokio::test]
async fn identities_survive_closing_and_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    let (identity, login) = register(&store, "ada@example.com").await;
    let linked = store
        .link_actor(&identity.id, "customer", "cus_1")
        .await
        .unwrap();
    store.pool().close().await;
    drop(store);

    let reopened = stores::open_file_store(dir.path()).await;
    assert_eq!(reopened.identity(&identity.id).await.unwrap(), Some(linked));
    assert_eq!(
        reopened
            .find_provider_identity("emailpass", "ada@example.com")
            .await
            .unwrap(),
        Some(login)
    );
}

#[tokio::test]
async fn revocations_survive_closing_and_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    store.revoke_token("jti-1", 4_102_444_800).await.unwrap();
    store
        .revoke_identity_tokens("authid_a", 1_700_000_000)
        .await
        .unwrap();
    store.pool().close().await;
    drop(store);

    let reopened = stores::open_file_store(dir.path()).await;
    assert!(reopened.is_token_revoked("jti-1").await.unwrap());
    assert_eq!(
        reopened.tokens_valid_after("authid_a").await.unwrap(),
        Some(1_700_000_000)
    );
}

#[tokio::test]
async fn migrations_run_again_without_effect() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    register(&store, "ada@example.com").await;
    store.migrate().await.unwrap();
    let again = stores::open_file_store(dir.path()).await;
    again.migrate().await.unwrap();
    assert!(
        again
            .find_provider_identity("emailpass", "ada@example.com")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn schema_keeps_medusa_table_and_column_names() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    for sql in [
        "SELECT id, app_metadata, created_at, updated_at, deleted_at FROM auth_identity",
        "SELECT id, entity_id, provider, auth_identity_id, user_metadata, provider_metadata, \
         created_at, updated_at, deleted_at FROM provider_identity",
        "SELECT jti, expires_at FROM auth_revoked_token",
        "SELECT auth_identity_id, tokens_valid_after FROM auth_identity_revocation",
    ] {
        sqlx::query(sql).fetch_all(store.pool()).await.unwrap();
    }
}

#[tokio::test]
async fn deleting_an_identity_cascades_to_its_provider_identities() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let (identity, _) = register(&store, "ada@example.com").await;
    sqlx::query("DELETE FROM auth_identity WHERE id = ?1")
        .bind(&identity.id)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(
        store.provider_identities(&identity.id).await.unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn soft_deleted_rows_are_treated_as_absent() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let (identity, login) = register(&store, "ada@example.com").await;
    for sql in [
        "UPDATE auth_identity SET deleted_at = '2024-01-01T00:00:00Z' WHERE id = ?1",
        "UPDATE provider_identity SET deleted_at = '2024-01-01T00:00:00Z' WHERE auth_identity_id = ?1",
    ] {
        sqlx::query(sql)
            .bind(&identity.id)
            .execute(store.pool())
            .await
            .unwrap();
    }
    assert_eq!(store.identity(&identity.id).await.unwrap(), None);
    assert_eq!(
        store
            .find_provider_identity("emailpass", "ada@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .update_provider_metadata(&login.id, &Metadata::new())
            .await,
        Err(StoreError::NotFound(login.id.clone()))
    );
}

#[tokio::test]
async fn null_metadata_columns_read_as_empty_objects() {
    // Medusa leaves the JSON columns nullable.
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let (identity, _) = register(&store, "ada@example.com").await;
    sqlx::query("UPDATE auth_identity SET app_metadata = NULL WHERE id = ?1")
        .bind(&identity.id)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE provider_identity SET user_metadata = NULL, provider_metadata = 'null'")
        .execute(store.pool())
        .await
        .unwrap();
    let found = store.identity(&identity.id).await.unwrap().unwrap();
    assert!(found.app_metadata.is_empty());
    let login = store
        .find_provider_identity("emailpass", "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(login.user_metadata.is_empty() && login.provider_metadata.is_empty());
    let linked = store
        .link_actor(&identity.id, "customer", "cus_1")
        .await
        .unwrap();
    assert_eq!(linked.actor_id("customer"), Some("cus_1"));
}

#[tokio::test]
async fn malformed_json_in_a_column_is_reported_corrupt() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let (identity, _) = register(&store, "ada@example.com").await;
    for bad in ["{not json", "[1, 2]", "\"text\""] {
        sqlx::query("UPDATE auth_identity SET app_metadata = ?1 WHERE id = ?2")
            .bind(bad)
            .bind(&identity.id)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(
            matches!(
                store.identity(&identity.id).await,
                Err(StoreError::Corrupt(_))
            ),
            "{bad}"
        );
        assert!(
            matches!(
                store.link_actor(&identity.id, "customer", "cus_1").await,
                Err(StoreError::Corrupt(_))
            ),
            "{bad}"
        );
        assert!(
            matches!(
                store.unlink_actor(&identity.id, "customer").await,
                Err(StoreError::Corrupt(_))
            ),
            "{bad}"
        );
    }
    sqlx::query("UPDATE provider_identity SET provider_metadata = '{oops'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store
            .find_provider_identity("emailpass", "ada@example.com")
            .await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("auth.db");
    let outcome = SqliteStore::connect(&format!("sqlite://{}?mode=rwc", missing.display())).await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn closed_pool_fails_closed_as_unavailable() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.pool().close().await;
    assert!(matches!(
        store.identity("authid_x").await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.is_token_revoked("jti-1").await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn long_expired_revocations_are_pruned_on_the_next_revocation() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.revoke_token("long-expired", 1_000).await.unwrap();
    store.revoke_token("current", 4_102_444_800).await.unwrap();
    assert!(!store.is_token_revoked("long-expired").await.unwrap());
    assert!(store.is_token_revoked("current").await.unwrap());
}

#[tokio::test]
async fn from_pool_uses_an_existing_pool() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let shared = SqliteStore::from_pool(store.pool().clone());
    shared.migrate().await.unwrap();
    let (identity, _) = register(&shared, "ada@example.com").await;
    assert!(store.identity(&identity.id).await.unwrap().is_some());
}

#[tokio::test]
async fn throttle_rows_of_ended_windows_leave_when_a_newer_window_is_counted() {
    use auth_core::clock::TestClock;
    use auth_core::store::ThrottleStore;
    use auth_core::store::testing::fixtures::{NEXT_WINDOW, WINDOW};

    let clock = TestClock::at_secs(WINDOW);
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .unwrap()
        .with_clock(std::sync::Arc::new(clock.clone()));
    for n in 0..20 {
        store.hit(&format!("login:{n}"), WINDOW).await.unwrap();
    }
    clock.advance(std::time::Duration::from_secs(NEXT_WINDOW - WINDOW));
    store.hit("login:late", NEXT_WINDOW).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM auth_throttle")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1, "rows of the ended window stayed");
}
