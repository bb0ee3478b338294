//! Behaviour of a [`SessionStore`]: sessions found by the hash of their id.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::sessions;
//!
//! sessions::unknown_session_is_absent(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{now, session};
use crate::store::{SessionRecord, SessionStore, StoreError};

/// A created session is read back unchanged by its id hash.
pub async fn created_session_is_found_by_its_id_hash<S: SessionStore + ?Sized>(store: Arc<S>) {
    let created = session("sess-hash-1", "authid_a");
    store.create_session(&created).await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(created));
}

/// A hash no session has finds nothing.
pub async fn unknown_session_is_absent<S: SessionStore + ?Sized>(store: Arc<S>) {
    store
        .create_session(&session("sess-hash-1", "authid_a"))
        .await
        .unwrap();
    assert_eq!(store.session("sess-hash-2").await.unwrap(), None);
}

/// Creating a second session with a taken id hash is a conflict and keeps the first.
pub async fn second_session_with_the_same_id_hash_conflicts<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let first = session("sess-hash-1", "authid_a");
    store.create_session(&first).await.unwrap();
    let result = store
        .create_session(&session("sess-hash-1", "authid_b"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(first));
}

/// A touch moves `last_seen_at` forward, never back, and changes nothing else.
pub async fn touching_a_session_moves_last_seen_forward_only<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let created = session("sess-hash-1", "authid_a");
    store.create_session(&created).await.unwrap();
    let later = created.last_seen_at + 60;

    store.touch_session("sess-hash-1", later).await.unwrap();
    store
        .touch_session("sess-hash-1", created.last_seen_at)
        .await
        .unwrap();

    let touched = store.session("sess-hash-1").await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, later);
    assert_eq!(
        SessionRecord {
            last_seen_at: created.last_seen_at,
            ..touched
        },
        created
    );
}

/// Touching a session that does not exist succeeds and creates nothing.
pub async fn touching_an_unknown_session_is_not_an_error<S: SessionStore + ?Sized>(store: Arc<S>) {
    store.touch_session("missing", now()).await.unwrap();
    assert_eq!(store.session("missing").await.unwrap(), None);
}

/// A deleted session is gone; deleting it again succeeds.
pub async fn deleted_session_is_gone_and_deleting_it_again_is_not_an_error<
    S: SessionStore + ?Sized,
>(
    store: Arc<S>,
) {
    store
        .create_session(&session("sess-hash-1", "authid_a"))
        .await
        .unwrap();
    store.delete_session("sess-hash-1").await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), None);
    store.delete_session("sess-hash-1").await.unwrap();
}

/// Deleting an identity's sessions deletes all of them and no one else's.
pub async fn deleting_identity_sessions_keeps_other_identities_sessions<
    S: SessionStore + ?Sized,
>(
    store: Arc<S>,
) {
    let other = session("sess-hash-b", "authid_b");
    for created in [
        session("sess-hash-a1", "authid_a"),
        session("sess-hash-a2", "authid_a"),
        other.clone(),
    ] {
        store.create_session(&created).await.unwrap();
    }

    store.delete_identity_sessions("authid_a").await.unwrap();

    assert_eq!(store.session("sess-hash-a1").await.unwrap(), None);
    assert_eq!(store.session("sess-hash-a2").await.unwrap(), None);
    assert_eq!(store.session("sess-hash-b").await.unwrap(), Some(other));
}

/// A session made without a login (`sid` absent) reads back without one.
pub async fn session_without_a_login_reads_back_without_one<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let created = SessionRecord {
        sid: None,
        ..session("sess-hash-1", "authid_a")
    };
    store.create_session(&created).await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(created));
}
