//! Behaviour of an [`InviteStore`]: single-use invites, accepted atomically
//! with the link of the new actor.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::invites;
//!
//! invites::invite_is_accepted_only_once(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{RACERS, invite, now, register};
use crate::store::{IdentityStore, InviteStore, StoreError};

/// A created invite is read back unchanged by its token hash, and by no other.
pub async fn created_invite_is_found_by_its_token_hash<S: InviteStore + ?Sized>(store: Arc<S>) {
    let record = invite("invite_1", "token-hash-1", now() + 600);
    store.create_invite(&record).await.unwrap();
    assert_eq!(
        store.invite_by_token_hash("token-hash-1").await.unwrap(),
        Some(record)
    );
    assert_eq!(
        store.invite_by_token_hash("token-hash-2").await.unwrap(),
        None
    );
}

/// An invite whose id or token hash is taken is a conflict.
pub async fn invite_with_a_taken_id_or_token_hash_conflicts<S: InviteStore + ?Sized>(
    store: Arc<S>,
) {
    let expires = now() + 600;
    store
        .create_invite(&invite("invite_1", "token-hash-1", expires))
        .await
        .unwrap();
    for duplicate in [
        invite("invite_1", "token-hash-2", expires),
        invite("invite_2", "token-hash-1", expires),
    ] {
        let result = store.create_invite(&duplicate).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
}

/// Accepting links the actor and marks the invite accepted; a second accept
/// (by anyone) finds nothing and changes nothing.
pub async fn invite_is_accepted_only_once<S: InviteStore + IdentityStore + ?Sized>(store: Arc<S>) {
    let (first, _) = register(&*store, "first@example.com").await;
    let (second, _) = register(&*store, "second@example.com").await;
    store
        .create_invite(&invite("invite_1", "token-hash-1", now() + 600))
        .await
        .unwrap();
    let now = now();

    let accepted = store
        .accept_invite("token-hash-1", now, &first.id, "user", "user_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.accepted_at, Some(now));
    let linked = store.identity(&first.id).await.unwrap().unwrap();
    assert_eq!(linked.actor_id("user"), Some("user_1"));

    let again = store
        .accept_invite("token-hash-1", now, &second.id, "user", "user_2")
        .await
        .unwrap();
    assert_eq!(again, None);
    let untouched = store.identity(&second.id).await.unwrap().unwrap();
    assert_eq!(untouched.actor_id("user"), None);
    assert_eq!(
        store
            .invite_by_token_hash("token-hash-1")
            .await
            .unwrap()
            .unwrap()
            .accepted_at,
        Some(now)
    );
}

/// An expired or unknown invite is not accepted and nothing is linked.
pub async fn expired_or_unknown_invite_is_not_accepted<S: InviteStore + IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (identity, _) = register(&*store, "late@example.com").await;
    let now = now();
    store
        .create_invite(&invite("invite_1", "token-hash-1", now))
        .await
        .unwrap();
    for token_hash in ["token-hash-1", "token-hash-unknown"] {
        let result = store
            .accept_invite(token_hash, now, &identity.id, "user", "user_1")
            .await
            .unwrap();
        assert_eq!(result, None, "{token_hash}");
    }
    let untouched = store.identity(&identity.id).await.unwrap().unwrap();
    assert_eq!(untouched.actor_id("user"), None);
}

/// An identity that already has a `user` cannot accept: the link is refused
/// and the invite stays pending for someone else.
pub async fn refused_link_leaves_the_invite_pending<S: InviteStore + IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (identity, _) = register(&*store, "taken@example.com").await;
    store
        .link_actor(&identity.id, "user", "user_0")
        .await
        .unwrap();
    store
        .create_invite(&invite("invite_1", "token-hash-1", now() + 600))
        .await
        .unwrap();

    let result = store
        .accept_invite("token-hash-1", now(), &identity.id, "user", "user_1")
        .await;
    assert_eq!(result, Err(StoreError::AlreadyLinked("user".into())));
    let invite = store
        .invite_by_token_hash("token-hash-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invite.accepted_at, None);
    let linked = store.identity(&identity.id).await.unwrap().unwrap();
    assert_eq!(linked.actor_id("user"), Some("user_0"));
}

/// Of many concurrent accepts of one invite, by different identities, exactly
/// one wins and exactly one identity is linked.
pub async fn concurrent_accepts_of_one_invite_have_exactly_one_winner<
    S: InviteStore + IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    let mut identities = Vec::new();
    for racer in 0..RACERS {
        let (identity, _) = register(&*store, &format!("racer{racer}@example.com")).await;
        identities.push(identity);
    }
    store
        .create_invite(&invite("invite_1", "token-hash-1", now() + 600))
        .await
        .unwrap();
    let racers: Vec<_> = identities
        .iter()
        .enumerate()
        .map(|(racer, identity)| {
            let store = Arc::clone(&store);
            let identity_id = identity.id.clone();
            tokio::spawn(async move {
                store
                    .accept_invite(
                        "token-hash-1",
                        now(),
                        &identity_id,
                        "user",
                        &format!("user_{racer}"),
                    )
                    .await
                    .unwrap()
                    .is_some()
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.unwrap());
    }
    assert_eq!(winners, 1);
    let mut linked = 0;
    for identity in &identities {
        let identity = store.identity(&identity.id).await.unwrap().unwrap();
        linked += usize::from(identity.actor_id("user").is_some());
    }
    assert_eq!(linked, 1);
}
