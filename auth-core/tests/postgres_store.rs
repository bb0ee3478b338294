//! The PostgreSQL store: the whole store conformance kit on a fresh schema per
//! test, and what only this database can do: keep Medusa's schema (and leave
//! an existing Medusa database as it is), report corrupt rows, fail closed.
//!
//! Runs on `AUTH_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); an unreachable database fails
//! the tests, it never skips them.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod postgres;

use auth_core::identity::Metadata;
use auth_core::store::testing::fixtures::register;
use auth_core::store::{IdentityStore, PostgresStore, RevocationStore, SessionStore, StoreError};
use postgres::TestSchema;
use sqlx::Row as _;

auth_core::store_conformance! {
    name: postgres_store,
    setup: { let schema = TestSchema::create().await; },
    store: schema.store().await,
}

#[tokio::test]
async fn migrations_run_again_without_effect() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    register(&store, "ada@example.com").await;
    store.migrate().await.unwrap();
    let again = schema.store().await;
    assert!(
        again
            .find_provider_identity("emailpass", "ada@example.com")
            .await
            .unwrap()
            .is_some()
    );
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM auth_sqlx_migrations")
        .fetch_all(again.pool())
        .await
        .unwrap();
    assert_eq!(applied, [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once() {
    let schema = std::sync::Arc::new(TestSchema::create().await);
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let schema = schema.clone();
            tokio::spawn(async move { PostgresStore::connect_with(schema.options()).await })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn migration_history_stays_out_of_sqlx_default_table() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name LIKE '%migrations'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(tables, ["auth_sqlx_migrations"]);
}

#[tokio::test]
async fn schema_keeps_medusa_tables_columns_types_and_indexes() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let columns: Vec<(String, String, String, String)> = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() \
           AND table_name IN ('auth_identity', 'provider_identity') \
         ORDER BY table_name, column_name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
    .collect();
    let expected = [
        ("auth_identity", "app_metadata", "jsonb", "YES"),
        (
            "auth_identity",
            "created_at",
            "timestamp with time zone",
            "NO",
        ),
        (
            "auth_identity",
            "deleted_at",
            "timestamp with time zone",
            "YES",
        ),
        ("auth_identity", "id", "text", "NO"),
        (
            "auth_identity",
            "updated_at",
            "timestamp with time zone",
            "NO",
        ),
        ("provider_identity", "auth_identity_id", "text", "NO"),
        (
            "provider_identity",
            "created_at",
            "timestamp with time zone",
            "NO",
        ),
        (
            "provider_identity",
            "deleted_at",
            "timestamp with time zone",
            "YES",
        ),
        ("provider_identity", "entity_id", "text", "NO"),
        ("provider_identity", "id", "text", "NO"),
        ("provider_identity", "provider", "text", "NO"),
        ("provider_identity", "provider_metadata", "jsonb", "YES"),
        (
            "provider_identity",
            "updated_at",
            "timestamp with time zone",
            "NO",
        ),
        ("provider_identity", "user_metadata", "jsonb", "YES"),
    ]
    .map(|(t, c, d, n)| (t.to_owned(), c.to_owned(), d.to_owned(), n.to_owned()));
    assert_eq!(columns, expected);

    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename IN ('auth_identity', 'provider_identity') ORDER BY indexname",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        indexes,
        [
            "IDX_auth_identity_deleted_at",
            "IDX_provider_identity_auth_identity_id",
            "IDX_provider_identity_deleted_at",
            "IDX_provider_identity_provider_ascii_lower_entity_id",
            "IDX_provider_identity_provider_entity_id",
            "auth_identity_pkey",
            "provider_identity_pkey",
        ]
    );
    let foreign_key: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conname = 'provider_identity_auth_identity_id_foreign' \
           AND connamespace = current_schema()::regnamespace",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        foreign_key,
        "FOREIGN KEY (auth_identity_id) REFERENCES auth_identity(id) \
         ON UPDATE CASCADE ON DELETE CASCADE"
    );
}

/// The two tables as a Medusa backend's migrations leave them before soft
/// deletes (no `deleted_at`), written here from Medusa's schema, with one
/// identity whose e-mail Medusa stored in mixed case.
const MEDUSA_SCHEMA_BEFORE_SOFT_DELETES: &str = r#"
    CREATE TABLE "auth_identity" ("id" text not null, "app_metadata" jsonb null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "auth_identity_pkey" primary key ("id"));
    CREATE TABLE "provider_identity" ("id" text not null, "entity_id" text not null,
        "provider" text not null, "auth_identity_id" text not null,
        "user_metadata" jsonb null, "provider_metadata" jsonb null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "provider_identity_pkey" primary key ("id"));
    CREATE INDEX "IDX_provider_identity_auth_identity_id" ON "provider_identity" (auth_identity_id);
    CREATE UNIQUE INDEX "IDX_provider_identity_provider_entity_id" ON "provider_identity" (entity_id, provider);
    ALTER TABLE "provider_identity" ADD CONSTRAINT "provider_identity_auth_identity_id_foreign"
        FOREIGN KEY ("auth_identity_id") REFERENCES "auth_identity" ("id")
        ON UPDATE CASCADE ON DELETE CASCADE;
    INSERT INTO auth_identity (id, app_metadata) VALUES ('authid_medusa', '{"customer_id": "cus_m"}');
    INSERT INTO provider_identity (id, entity_id, provider, auth_identity_id, provider_metadata)
        VALUES ('provid_medusa', 'Ada@Example.com', 'emailpass', 'authid_medusa',
                '{"password": "c2NyeXB0AA8AAAAIAAAAAU"}');
"#;

#[tokio::test]
async fn an_existing_medusa_database_is_used_as_it_is() {
    let schema = TestSchema::create().await;
    schema.execute(MEDUSA_SCHEMA_BEFORE_SOFT_DELETES).await;
    let store = schema.store().await;

    let login = store
        .find_provider_identity_ignoring_case("emailpass", "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(login.id, "provid_medusa");
    assert_eq!(
        login.provider_metadata["password"],
        "c2NyeXB0AA8AAAAIAAAAAU"
    );
    let identity = store.identity("authid_medusa").await.unwrap().unwrap();
    assert_eq!(identity.actor_id("customer"), Some("cus_m"));
    // Medusa's indexes are used, never duplicated under folded names.
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename = 'provider_identity' AND indexdef LIKE '%(entity_id, provider)%'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(indexes, ["IDX_provider_identity_provider_entity_id"]);
    // Medusa's soft deletes work once the column is there.
    sqlx::query("UPDATE auth_identity SET deleted_at = now() WHERE id = 'authid_medusa'")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.identity("authid_medusa").await.unwrap(), None);
}

#[tokio::test]
async fn deleting_an_identity_cascades_to_its_provider_identities() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let (identity, _) = register(&store, "ada@example.com").await;
    sqlx::query("DELETE FROM auth_identity WHERE id = $1")
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
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let (identity, login) = register(&store, "ada@example.com").await;
    for sql in [
        "UPDATE auth_identity SET deleted_at = now() WHERE id = $1",
        "UPDATE provider_identity SET deleted_at = now() WHERE auth_identity_id = $1",
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
    // Medusa leaves the jsonb columns nullable; JSON null reads the same.
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let (identity, _) = register(&store, "ada@example.com").await;
    sqlx::query("UPDATE auth_identity SET app_metadata = 'null'::jsonb WHERE id = $1")
        .bind(&identity.id)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE provider_identity SET user_metadata = NULL, provider_metadata = 'null'::jsonb",
    )
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
    sqlx::query("UPDATE auth_identity SET app_metadata = NULL WHERE id = $1")
        .bind(&identity.id)
        .execute(store.pool())
        .await
        .unwrap();
    let unlinked = store.unlink_actor(&identity.id, "customer").await.unwrap();
    assert!(unlinked.app_metadata.is_empty());
}

#[tokio::test]
async fn metadata_that_is_not_an_object_is_reported_corrupt() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let (identity, _) = register(&store, "ada@example.com").await;
    for bad in ["[1, 2]", "\"text\"", "7"] {
        sqlx::query("UPDATE auth_identity SET app_metadata = $1::jsonb WHERE id = $2")
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
    sqlx::query("UPDATE provider_identity SET provider_metadata = '[\"oops\"]'::jsonb")
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
async fn lookups_by_text_postgres_cannot_hold_find_nothing() {
    // `text` refuses NUL; such a key names no row, and the lookup says so
    // instead of failing as if the database were down.
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    register(&store, "ada@example.com").await;
    assert_eq!(
        store
            .find_provider_identity("emailpass", "ada@example.com\0")
            .await,
        Ok(None)
    );
    assert_eq!(
        store
            .find_provider_identity_ignoring_case("emailpass", "\0ada@example.com")
            .await,
        Ok(None)
    );
    assert_eq!(store.is_token_revoked("jti\0").await, Ok(false));
    assert_eq!(store.session("sess\0").await, Ok(None));
}

#[tokio::test]
async fn unreachable_database_is_unavailable() {
    // Port 1 on the loopback: nothing listens, the connection is refused.
    let outcome = PostgresStore::connect("postgres://postgres@127.0.0.1:1/test").await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    let outcome = PostgresStore::connect("postgres://[not a url").await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn closed_pool_fails_closed_as_unavailable() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
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
async fn a_table_locked_by_another_client_fails_closed_instead_of_hanging() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let mut other = schema.connection().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE auth_revoked_token IN ACCESS EXCLUSIVE MODE")
        .execute(&mut other)
        .await
        .unwrap();
    let outcome = store.is_token_revoked("jti-1").await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(store.is_token_revoked("jti-1").await, Ok(false));
}

#[tokio::test]
async fn long_expired_revocations_are_pruned_on_the_next_revocation() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    store.revoke_token("long-expired", 1_000).await.unwrap();
    store.revoke_token("current", 4_102_444_800).await.unwrap();
    assert!(!store.is_token_revoked("long-expired").await.unwrap());
    assert!(store.is_token_revoked("current").await.unwrap());
}

#[tokio::test]
async fn session_context_is_stored_as_jsonb() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let session = auth_core::store::testing::fixtures::session("sess-1", "authid_a");
    store.create_session(&session, 4).await.unwrap();
    let actor: String =
        sqlx::query_scalar("SELECT context ->> 'actor_id' FROM auth_session WHERE id_hash = $1")
            .bind("sess-1")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(actor, session.context.actor_id);
}

#[tokio::test]
async fn from_pool_uses_an_existing_pool() {
    let schema = TestSchema::create().await;
    let store = schema.store().await;
    let shared = PostgresStore::from_pool(store.pool().clone());
    shared.migrate().await.unwrap();
    let (identity, _) = register(&shared, "ada@example.com").await;
    assert!(store.identity(&identity.id).await.unwrap().is_some());
}
