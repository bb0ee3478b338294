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

use super::fixtures::{RACERS, SESSION_LIMIT, now, session};
use crate::store::{SessionRecord, SessionStore, StoreError};

/// A created session is read back unchanged by its id hash.
pub async fn created_session_is_found_by_its_id_hash<S: SessionStore + ?Sized>(store: Arc<S>) {
    let created = session("sess-hash-1", "authid_a");
    store.create_session(&created, SESSION_LIMIT).await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(created));
}

/// A hash no session has finds nothing.
pub async fn unknown_session_is_absent<S: SessionStore + ?Sized>(store: Arc<S>) {
    store
        .create_session(&session("sess-hash-1", "authid_a"), SESSION_LIMIT)
        .await
        .unwrap();
    assert_eq!(store.session("sess-hash-2").await.unwrap(), None);
}

/// Creating a second session with a taken id hash is a conflict and keeps the first.
pub async fn second_session_with_the_same_id_hash_conflicts<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let first = session("sess-hash-1", "authid_a");
    store.create_session(&first, SESSION_LIMIT).await.unwrap();
    let result = store
        .create_session(&session("sess-hash-1", "authid_b"), SESSION_LIMIT)
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(first));
}

/// A touch moves `last_seen_at` forward, never back, and changes nothing else.
pub async fn touching_a_session_moves_last_seen_forward_only<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let created = session("sess-hash-1", "authid_a");
    store.create_session(&created, SESSION_LIMIT).await.unwrap();
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
        .create_session(&session("sess-hash-1", "authid_a"), SESSION_LIMIT)
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
        store.create_session(&created, SESSION_LIMIT).await.unwrap();
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
    store.create_session(&created, SESSION_LIMIT).await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(created));
}

/// Past the per-identity limit, creating a session ends that identity's
/// oldest sessions (by creation time), and no other identity's.
pub async fn creating_past_the_per_identity_limit_ends_that_identitys_oldest_sessions<
    S: SessionStore + ?Sized,
>(
    store: Arc<S>,
) {
    let other = session("sess-hash-other", "authid_b");
    store.create_session(&other, 1).await.unwrap();
    let base = session("sess-hash-0", "authid_a");
    for n in 0..5_u64 {
        let created = SessionRecord {
            id_hash: format!("sess-hash-{n}"),
            created_at_ms: base.created_at_ms + n,
            ..base.clone()
        };
        store.create_session(&created, 3).await.unwrap();
    }
    for n in 0..2 {
        let id_hash = format!("sess-hash-{n}");
        assert_eq!(store.session(&id_hash).await.unwrap(), None, "{id_hash}");
    }
    for n in 2..5 {
        let id_hash = format!("sess-hash-{n}");
        assert!(
            store.session(&id_hash).await.unwrap().is_some(),
            "{id_hash}"
        );
    }
    assert_eq!(store.session("sess-hash-other").await.unwrap(), Some(other));
}

/// Concurrent creations for one identity never leave it over its limit.
pub async fn concurrent_creations_never_leave_an_identity_over_the_limit<
    S: SessionStore + ?Sized,
>(
    store: Arc<S>,
) {
    let limit = 2;
    let base = session("sess-hash-race", "authid_a");
    let racers: Vec<_> = (0..RACERS * 2)
        .map(|n| {
            let store = Arc::clone(&store);
            let created = SessionRecord {
                id_hash: format!("sess-hash-race-{n}"),
                created_at_ms: base.created_at_ms + u64::try_from(n).unwrap(),
                ..base.clone()
            };
            tokio::spawn(async move { store.create_session(&created, limit).await.unwrap() })
        })
        .collect();
    for racer in racers {
        racer.await.unwrap();
    }
    let mut kept = 0;
    for n in 0..RACERS * 2 {
        if store
            .session(&format!("sess-hash-race-{n}"))
            .await
            .unwrap()
            .is_some()
        {
            kept += 1;
        }
    }
    assert_eq!(kept, limit);
}
