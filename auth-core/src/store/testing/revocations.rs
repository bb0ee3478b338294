//! Behaviour of a [`RevocationStore`]: deny-listed token ids and per-identity cut-offs.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::revocations;
//!
//! revocations::identity_revocation_keeps_the_latest_time(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::now;
use crate::store::RevocationStore;

/// A revoked token id is revoked (revoking it twice is fine); others are not.
pub async fn revoked_token_is_revoked_and_others_are_not<S: RevocationStore + ?Sized>(
    store: Arc<S>,
) {
    let far_future = 4_102_444_800; // 2100-01-01
    store.revoke_token("jti-1", far_future).await.unwrap();
    store.revoke_token("jti-1", far_future).await.unwrap();
    assert!(store.is_token_revoked("jti-1").await.unwrap());
    assert!(!store.is_token_revoked("jti-2").await.unwrap());
}

/// An identity's cut-off never moves back, and is the identity's alone.
pub async fn identity_revocation_keeps_the_latest_time<S: RevocationStore + ?Sized>(store: Arc<S>) {
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

/// However many long-expired revocations come and go, a live one stays:
/// pruning or a cap never drops a revocation whose token still lives.
pub async fn live_revocations_outlast_a_flood_of_expired_ones<S: RevocationStore + ?Sized>(
    store: Arc<S>,
) {
    let live_until = now() + 3600;
    store.revoke_token("jti-live", live_until).await.unwrap();
    store
        .revoke_token("login:sid-live", live_until)
        .await
        .unwrap();
    let long_ago = now() - 3 * 3600;
    for n in 0..300 {
        store
            .revoke_token(&format!("jti-expired-{n}"), long_ago)
            .await
            .unwrap();
    }
    assert!(store.is_token_revoked("jti-live").await.unwrap());
    assert!(store.is_token_revoked("login:sid-live").await.unwrap());
}

/// The snapshot a revocation view loads from: the deny-list entries still in
/// force at the given time (with their expiry) and every identity's cut-off;
/// entries that have expired by then are left out.
pub async fn live_revocations_hold_what_is_in_force<S: RevocationStore + ?Sized>(store: Arc<S>) {
    let now = now();
    store.revoke_token("jti-live", now + 600).await.unwrap();
    store
        .revoke_token("login:sid-live", now + 900)
        .await
        .unwrap();
    store.revoke_token("jti-expired", now - 1).await.unwrap();
    store
        .revoke_identity_tokens("authid_a", 1_700_000_000_123)
        .await
        .unwrap();
    let mut snapshot = store.live_revocations(now).await.unwrap();
    snapshot.denied.sort();
    assert_eq!(
        snapshot.denied,
        vec![
            ("jti-live".to_owned(), now + 600),
            ("login:sid-live".to_owned(), now + 900),
        ]
    );
    assert_eq!(
        snapshot.cutoffs,
        vec![("authid_a".to_owned(), 1_700_000_000_123)]
    );
}
