//! Behaviour of a [`ResetTokenStore`]: single-use password reset tokens.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::reset_tokens;
//!
//! reset_tokens::reset_token_is_consumed_only_once(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{RACERS, now, reset_token};
use crate::store::{ResetTokenRecord, ResetTokenStore};

/// A new reset token deletes the identity's earlier ones, and only the identity's.
pub async fn new_reset_token_supersedes_the_identitys_earlier_ones<S: ResetTokenStore + ?Sized>(
    store: Arc<S>,
) {
    let other = reset_token("reset-b", "authid_b");
    store.replace_reset_token(&other).await.unwrap();
    store
        .replace_reset_token(&reset_token("reset-a1", "authid_a"))
        .await
        .unwrap();
    let newest = reset_token("reset-a2", "authid_a");
    store.replace_reset_token(&newest).await.unwrap();

    assert_eq!(store.consume_reset_token("reset-a1").await.unwrap(), None);
    assert_eq!(
        store.consume_reset_token("reset-a2").await.unwrap(),
        Some(newest)
    );
    assert_eq!(
        store.consume_reset_token("reset-b").await.unwrap(),
        Some(other)
    );
}

/// A reset token is returned by the first consume and by no later one.
pub async fn reset_token_is_consumed_only_once<S: ResetTokenStore + ?Sized>(store: Arc<S>) {
    let token = reset_token("reset-a", "authid_a");
    store.replace_reset_token(&token).await.unwrap();
    assert_eq!(
        store.consume_reset_token("reset-a").await.unwrap(),
        Some(token)
    );
    assert_eq!(store.consume_reset_token("reset-a").await.unwrap(), None);
}

/// An expired reset token is still consumed and returned: the caller checks expiry.
pub async fn expired_reset_token_is_still_returned_for_the_caller_to_check<
    S: ResetTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    let token = ResetTokenRecord {
        expires_at: now() - 1,
        ..reset_token("reset-a", "authid_a")
    };
    store.replace_reset_token(&token).await.unwrap();
    assert_eq!(
        store.consume_reset_token("reset-a").await.unwrap(),
        Some(token)
    );
}

/// Of [`RACERS`] tasks consuming one reset token at once, exactly one gets it.
pub async fn concurrent_consumers_of_one_reset_token_get_it_exactly_once<
    S: ResetTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    store
        .replace_reset_token(&reset_token("reset-a", "authid_a"))
        .await
        .unwrap();

    let racers: Vec<_> = (0..RACERS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.consume_reset_token("reset-a").await })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        if racer.await.unwrap().unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// Deleting an identity's reset tokens leaves other identities' tokens.
pub async fn deleting_identity_reset_tokens_keeps_other_identities_tokens<
    S: ResetTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    let other = reset_token("reset-b", "authid_b");
    store.replace_reset_token(&other).await.unwrap();
    store
        .replace_reset_token(&reset_token("reset-a", "authid_a"))
        .await
        .unwrap();

    store
        .delete_identity_reset_tokens("authid_a")
        .await
        .unwrap();

    assert_eq!(store.consume_reset_token("reset-a").await.unwrap(), None);
    assert_eq!(
        store.consume_reset_token("reset-b").await.unwrap(),
        Some(other)
    );
}
