//! Store behaviour, written once and run against every implementation
//! (`MemoryStore`, `SqliteStore` on a file, `SqliteStore` in memory), then what
//! only a database can do: survive a restart, report corrupt rows, fail closed.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod stores;

use std::sync::Arc;

use auth_core::identity::{AuthIdentity, Metadata, ProviderIdentity};
use auth_core::store::{IdentityStore, RevocationStore, SqliteStore, StoreError};
use serde_json::json;

/// Every store trait at once, so one behaviour test covers an implementation.
trait Store: IdentityStore + RevocationStore {}
impl<S: IdentityStore + RevocationStore> Store for S {}

fn metadata(value: serde_json::Value) -> Metadata {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Creates an identity with an `emailpass` login for `email`.
async fn register(store: &impl Store, email: &str) -> (AuthIdentity, ProviderIdentity) {
    let identity = AuthIdentity::new();
    let mut login = ProviderIdentity::new("emailpass", email, &identity.id);
    login.provider_metadata = metadata(json!({ "password": "$argon2id$stand-in" }));
    login.user_metadata = metadata(json!({ "name": "Ada", "tags": ["a", 1, null] }));
    store.create_identity(&identity, &login).await.unwrap();
    (identity, login)
}

behaviour_tests!(
    link_with_an_invalid_or_reserved_actor_type_is_refused,
    created_identity_is_found_by_id_and_by_provider_entity_id,
    unknown_identity_and_login_are_absent,
    duplicate_provider_entity_id_conflicts_and_creates_nothing,
    same_entity_id_under_another_provider_is_allowed,
    added_provider_identities_are_listed_for_their_identity,
    added_provider_identity_with_a_taken_entity_id_conflicts,
    provider_identity_for_an_unknown_identity_is_not_found,
    provider_metadata_is_replaced,
    updating_metadata_of_an_unknown_provider_identity_is_not_found,
    linked_actor_is_stored_and_a_second_link_of_the_type_is_refused,
    one_identity_links_several_actor_types,
    unlink_then_relink_works,
    linking_an_unknown_identity_is_not_found,
    concurrent_link_actor_has_exactly_one_winner,
    concurrent_registration_of_one_entity_id_has_exactly_one_winner,
    revoked_token_is_revoked_and_others_are_not,
    identity_revocation_keeps_the_latest_time,
);

async fn created_identity_is_found_by_id_and_by_provider_entity_id<S: Store>(store: Arc<S>) {
    let (identity, login) = register(&*store, "ada@example.com").await;
    assert_eq!(store.identity(&identity.id).await.unwrap(), Some(identity));
    let found = store
        .find_provider_identity("emailpass", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(found, Some(login));
}

async fn unknown_identity_and_login_are_absent<S: Store>(store: Arc<S>) {
    register(&*store, "ada@example.com").await;
    assert_eq!(store.identity("authid_unknown").await.unwrap(), None);
    let by_other_provider = store
        .find_provider_identity("google", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(by_other_provider, None);
    let by_other_email = store
        .find_provider_identity("emailpass", "ADA@example.com")
        .await
        .unwrap();
    assert_eq!(by_other_email, None);
    assert_eq!(
        store.provider_identities("authid_unknown").await.unwrap(),
        vec![]
    );
}

async fn duplicate_provider_entity_id_conflicts_and_creates_nothing<S: Store>(store: Arc<S>) {
    register(&*store, "ada@example.com").await;
    let second = AuthIdentity::new();
    let login = ProviderIdentity::new("emailpass", "ada@example.com", &second.id);
    let outcome = store.create_identity(&second, &login).await;
    assert!(
        matches!(outcome, Err(StoreError::Conflict(_))),
        "{outcome:?}"
    );
    assert_eq!(store.identity(&second.id).await.unwrap(), None);
}

async fn same_entity_id_under_another_provider_is_allowed<S: Store>(store: Arc<S>) {
    register(&*store, "ada@example.com").await;
    let other = AuthIdentity::new();
    let login = ProviderIdentity::new("google", "ada@example.com", &other.id);
    store.create_identity(&other, &login).await.unwrap();
}

async fn added_provider_identities_are_listed_for_their_identity<S: Store>(store: Arc<S>) {
    let (identity, email_login) = register(&*store, "ada@example.com").await;
    let google_login = ProviderIdentity::new("google", "sub-123", &identity.id);
    store.add_provider_identity(&google_login).await.unwrap();
    register(&*store, "someone-else@example.com").await;

    let mut listed = store.provider_identities(&identity.id).await.unwrap();
    listed.sort_by(|a, b| a.provider.cmp(&b.provider));
    assert_eq!(listed, vec![email_login, google_login]);
}

async fn added_provider_identity_with_a_taken_entity_id_conflicts<S: Store>(store: Arc<S>) {
    register(&*store, "ada@example.com").await;
    let (other, _) = register(&*store, "bob@example.com").await;
    let login = ProviderIdentity::new("emailpass", "ada@example.com", &other.id);
    let outcome = store.add_provider_identity(&login).await;
    assert!(
        matches!(outcome, Err(StoreError::Conflict(_))),
        "{outcome:?}"
    );
}

async fn provider_identity_for_an_unknown_identity_is_not_found<S: Store>(store: Arc<S>) {
    let login = ProviderIdentity::new("emailpass", "ada@example.com", "authid_unknown");
    assert_eq!(
        store.add_provider_identity(&login).await,
        Err(StoreError::NotFound("authid_unknown".into()))
    );
}

async fn provider_metadata_is_replaced<S: Store>(store: Arc<S>) {
    let (_, login) = register(&*store, "ada@example.com").await;
    let replacement = metadata(json!({ "password": "$argon2id$new" }));
    store
        .update_provider_metadata(&login.id, &replacement)
        .await
        .unwrap();
    let found = store
        .find_provider_identity("emailpass", "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.provider_metadata, replacement);
    assert_eq!(found.user_metadata, login.user_metadata);
}

async fn updating_metadata_of_an_unknown_provider_identity_is_not_found<S: Store>(store: Arc<S>) {
    assert_eq!(
        store
            .update_provider_metadata("provid_unknown", &Metadata::new())
            .await,
        Err(StoreError::NotFound("provid_unknown".into()))
    );
}

async fn linked_actor_is_stored_and_a_second_link_of_the_type_is_refused<S: Store>(store: Arc<S>) {
    let (identity, _) = register(&*store, "ada@example.com").await;
    let linked = store
        .link_actor(&identity.id, "customer", "cus_1")
        .await
        .unwrap();
    assert_eq!(linked.actor_id("customer"), Some("cus_1"));
    assert_eq!(store.identity(&identity.id).await.unwrap(), Some(linked));

    assert_eq!(
        store.link_actor(&identity.id, "customer", "cus_2").await,
        Err(StoreError::AlreadyLinked("customer".into()))
    );
    let stored = store.identity(&identity.id).await.unwrap().unwrap();
    assert_eq!(stored.actor_id("customer"), Some("cus_1"));
}

async fn one_identity_links_several_actor_types<S: Store>(store: Arc<S>) {
    let (identity, _) = register(&*store, "ada@example.com").await;
    store
        .link_actor(&identity.id, "customer", "cus_1")
        .await
        .unwrap();
    let both = store
        .link_actor(&identity.id, "user", "user_1")
        .await
        .unwrap();
    assert_eq!(both.actor_id("customer"), Some("cus_1"));
    assert_eq!(both.actor_id("user"), Some("user_1"));
}

async fn unlink_then_relink_works<S: Store>(store: Arc<S>) {
    let (identity, _) = register(&*store, "ada@example.com").await;
    store
        .link_actor(&identity.id, "customer", "cus_1")
        .await
        .unwrap();
    let unlinked = store.unlink_actor(&identity.id, "customer").await.unwrap();
    assert_eq!(unlinked.actor_id("customer"), None);
    let relinked = store
        .link_actor(&identity.id, "customer", "cus_2")
        .await
        .unwrap();
    assert_eq!(relinked.actor_id("customer"), Some("cus_2"));
    assert_eq!(store.identity(&identity.id).await.unwrap(), Some(relinked));
}

async fn linking_an_unknown_identity_is_not_found<S: Store>(store: Arc<S>) {
    assert_eq!(
        store
            .link_actor("authid_unknown", "customer", "cus_1")
            .await,
        Err(StoreError::NotFound("authid_unknown".into()))
    );
    assert_eq!(
        store.unlink_actor("authid_unknown", "customer").await,
        Err(StoreError::NotFound("authid_unknown".into()))
    );
}

async fn concurrent_link_actor_has_exactly_one_winner<S: Store>(store: Arc<S>) {
    for round in 0..5 {
        let (identity, _) = register(&*store, &format!("ada{round}@example.com")).await;
        let tasks: Vec<_> = ["cus_a", "cus_b"]
            .into_iter()
            .map(|actor_id| {
                let store = Arc::clone(&store);
                let id = identity.id.clone();
                tokio::spawn(async move { store.link_actor(&id, "customer", actor_id).await })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(linked) => winners.push(linked.actor_id("customer").unwrap().to_owned()),
                Err(StoreError::AlreadyLinked(kind)) => assert_eq!(kind, "customer"),
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}");
        let stored = store.identity(&identity.id).await.unwrap().unwrap();
        assert_eq!(stored.actor_id("customer"), Some(winners[0].as_str()));
    }
}

async fn concurrent_registration_of_one_entity_id_has_exactly_one_winner<S: Store>(store: Arc<S>) {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let identity = AuthIdentity::new();
                let login = ProviderIdentity::new("emailpass", "ada@example.com", &identity.id);
                store.create_identity(&identity, &login).await
            })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => successes += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(successes, 1);
}

async fn revoked_token_is_revoked_and_others_are_not<S: Store>(store: Arc<S>) {
    let far_future = 4_102_444_800; // 2100-01-01
    store.revoke_token("jti-1", far_future).await.unwrap();
    store.revoke_token("jti-1", far_future).await.unwrap(); // idempotent
    assert!(store.is_token_revoked("jti-1").await.unwrap());
    assert!(!store.is_token_revoked("jti-2").await.unwrap());
}

async fn identity_revocation_keeps_the_latest_time<S: Store>(store: Arc<S>) {
    assert_eq!(store.tokens_valid_after("authid_a").await.unwrap(), None);
    store
        .revoke_identity_tokens("authid_a", 1_700_000_100)
        .await
        .unwrap();
    store
        .revoke_identity_tokens("authid_a", 1_700_000_000)
        .await
        .unwrap();
    assert_eq!(
        store.tokens_valid_after("authid_a").await.unwrap(),
        Some(1_700_000_100)
    );
    assert_eq!(store.tokens_valid_after("authid_b").await.unwrap(), None);
}

// --- SQLite only --------------------------------------------------------------------

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

async fn link_with_an_invalid_or_reserved_actor_type_is_refused(store: Arc<impl Store>) {
    let (identity, _) = register(&*store, "ada@example.com").await;
    for actor_type in ["session", "Customer", "a-b", ""] {
        assert_eq!(
            store.link_actor(&identity.id, actor_type, "x_1").await,
            Err(StoreError::InvalidActorType),
            "{actor_type:?}"
        );
    }
    let unchanged = store.identity(&identity.id).await.unwrap().unwrap();
    assert!(unchanged.app_metadata.is_empty());
}
