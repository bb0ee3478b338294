//! Credential lifecycle records (sessions, reset tokens, refresh tokens, API
//! keys, throttle counters) in SQLite: what only a database can do, survive a
//! restart and prune what expired long ago. The behaviour every store shares is
//! the conformance kit's (`auth_core::store::testing`), run in
//! `store_conformance.rs`.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod stores;

use auth_core::store::testing::fixtures::{
    WINDOW, api_key, now, refresh_token, reset_token, rotate, session,
};
use auth_core::store::{
    ApiKeyStore, RefreshRotation, RefreshTokenStore, ResetTokenRecord, ResetTokenStore,
    SessionRecord, SessionStore, ThrottleStore,
};

#[tokio::test]
async fn lifecycle_records_survive_closing_and_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    let now = now();
    let kept_session = session("sess-hash-1", "authid_a");
    store.create_session(&kept_session, 16).await.unwrap();
    let kept_reset = reset_token("reset-a", "authid_a");
    store.replace_reset_token(&kept_reset).await.unwrap();
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    rotate(&store, "refresh-1", "refresh-2", now).await;
    store
        .create_refresh_token(&refresh_token("refresh-x", "family-2", "authid_a"))
        .await
        .unwrap();
    rotate(&store, "refresh-x", "refresh-y", now).await;
    rotate(&store, "refresh-x", "refresh-z", now).await; // Reused: family-2 revoked.
    store
        .create_api_key(&api_key("apk_1", "secret-hash-1"))
        .await
        .unwrap();
    let kept_key = store.revoke_api_key("apk_1", now).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.pool().close().await;
    drop(store);

    let reopened = stores::open_file_store(dir.path()).await;
    assert_eq!(
        reopened.session("sess-hash-1").await.unwrap(),
        Some(kept_session)
    );
    assert_eq!(
        reopened.consume_reset_token("reset-a").await.unwrap(),
        Some(kept_reset)
    );
    // Still used, still revoked, still current.
    assert_eq!(
        rotate(&reopened, "refresh-y", "refresh-y2", now).await,
        RefreshRotation::Unknown
    );
    assert!(matches!(
        rotate(&reopened, "refresh-1", "refresh-3", now).await,
        RefreshRotation::Reused { .. }
    ));
    assert_eq!(
        reopened
            .api_key_by_secret_hash("secret-hash-1")
            .await
            .unwrap(),
        Some(kept_key)
    );
    assert_eq!(reopened.hit("ip:192.0.2.1", WINDOW).await.unwrap(), 3);
}

#[tokio::test]
async fn long_expired_sessions_and_reset_tokens_are_pruned_on_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    let long_ago = now() - 86_400;
    store
        .create_session(
            &SessionRecord {
                expires_at: long_ago,
                ..session("sess-old", "authid_a")
            },
            16,
        )
        .await
        .unwrap();
    store
        .replace_reset_token(&ResetTokenRecord {
            expires_at: long_ago,
            ..reset_token("reset-old", "authid_a")
        })
        .await
        .unwrap();
    let current = reset_token("reset-b", "authid_b");
    store.replace_reset_token(&current).await.unwrap();

    assert_eq!(store.session("sess-old").await.unwrap(), None);
    assert_eq!(store.consume_reset_token("reset-old").await.unwrap(), None);
    assert_eq!(
        store.consume_reset_token("reset-b").await.unwrap(),
        Some(current)
    );
}
