//! Behaviour of a [`RefreshTokenStore`]: rotation, reuse detection, expiry.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::refresh_tokens;
//!
//! refresh_tokens::reused_refresh_token_revokes_its_whole_family(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{RACERS, now, refresh_token, rotate};
use crate::store::{RefreshRotation, RefreshTokenRecord, RefreshTokenStore, StoreError};

/// A current token rotates, and so does its successor, in the same family.
pub async fn current_refresh_token_rotates_and_then_its_successor_rotates<
    S: RefreshTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    let now = now();

    assert_eq!(
        rotate(&*store, "refresh-1", "refresh-2", now).await,
        RefreshRotation::Rotated(first.clone())
    );
    assert_eq!(
        rotate(&*store, "refresh-2", "refresh-3", now + 1).await,
        RefreshRotation::Rotated(RefreshTokenRecord {
            token_hash: "refresh-2".into(),
            expires_at: now + 3600,
            ..first
        })
    );
}

/// A successor asked to outlive its family expires with the family.
pub async fn successor_refresh_token_expires_no_later_than_its_family<
    S: RefreshTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    let now = now();

    let asked = first.family_expires_at + 10_000;
    store
        .rotate_refresh_token("refresh-1", "refresh-2", asked, now)
        .await
        .unwrap();

    let RefreshRotation::Rotated(successor) = rotate(
        &*store,
        "refresh-2",
        "refresh-3",
        first.family_expires_at - 1,
    )
    .await
    else {
        panic!("the successor did not rotate");
    };
    assert_eq!(successor.expires_at, first.family_expires_at);
    assert_eq!(
        rotate(&*store, "refresh-3", "refresh-4", first.family_expires_at).await,
        RefreshRotation::Unknown
    );
}

/// Presenting a used token revokes its family, successors included, and no other family.
pub async fn reused_refresh_token_revokes_its_whole_family<S: RefreshTokenStore + ?Sized>(
    store: Arc<S>,
) {
    let other_family = refresh_token("refresh-x", "family-2", "authid_a");
    store.create_refresh_token(&other_family).await.unwrap();
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let now = now();
    rotate(&*store, "refresh-1", "refresh-2", now).await;

    assert!(matches!(
        rotate(&*store, "refresh-1", "refresh-3", now).await,
        RefreshRotation::Reused { family_id, .. } if family_id == "family-1"
    ));
    assert_eq!(
        rotate(&*store, "refresh-2", "refresh-4", now).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(&*store, "refresh-1", "refresh-5", now).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(&*store, "refresh-x", "refresh-y", now).await,
        RefreshRotation::Rotated(other_family)
    );
}

/// A token past its idle or its family's absolute expiry is unknown, and
/// presenting it marks nothing used and stores no successor.
pub async fn expired_refresh_token_is_unknown_and_left_unchanged<S: RefreshTokenStore + ?Sized>(
    store: Arc<S>,
) {
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    let short_family = RefreshTokenRecord {
        expires_at: first.family_expires_at,
        family_expires_at: first.expires_at,
        ..refresh_token("refresh-x", "family-2", "authid_a")
    };
    store.create_refresh_token(&short_family).await.unwrap();

    // Idle expiry, then the family's absolute expiry.
    assert_eq!(
        rotate(&*store, "refresh-1", "refresh-2", first.expires_at).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(
            &*store,
            "refresh-x",
            "refresh-y",
            short_family.family_expires_at
        )
        .await,
        RefreshRotation::Unknown
    );

    // Nothing was marked used or stored: before expiry both still rotate once.
    let now = now();
    assert_eq!(
        rotate(&*store, "refresh-2", "refresh-3", now).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(&*store, "refresh-1", "refresh-2", now).await,
        RefreshRotation::Rotated(first)
    );
    assert_eq!(
        rotate(&*store, "refresh-x", "refresh-y", now).await,
        RefreshRotation::Rotated(short_family)
    );
}

/// A hash no token has is unknown.
pub async fn unknown_refresh_token_is_unknown<S: RefreshTokenStore + ?Sized>(store: Arc<S>) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    assert_eq!(
        rotate(&*store, "refresh-missing", "refresh-2", now()).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(&*store, "refresh-2", "refresh-3", now()).await,
        RefreshRotation::Unknown
    );
}

/// Creating a token with a taken hash is a conflict.
pub async fn second_refresh_token_with_the_same_hash_conflicts<S: RefreshTokenStore + ?Sized>(
    store: Arc<S>,
) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let result = store
        .create_refresh_token(&refresh_token("refresh-1", "family-2", "authid_b"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
}

/// Of [`RACERS`] tasks rotating one token at once, exactly one rotates; the
/// others present a used token, which revokes the family, the winner's
/// successor included.
pub async fn concurrent_rotations_of_one_refresh_token_rotate_exactly_once<
    S: RefreshTokenStore + ?Sized,
>(
    store: Arc<S>,
) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let now = now();

    let racers: Vec<_> = (0..RACERS)
        .map(|racer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let successor = format!("refresh-2-{racer}");
                let outcome = rotate(&*store, "refresh-1", &successor, now).await;
                (successor, outcome)
            })
        })
        .collect();
    let mut rotated = Vec::new();
    let mut reused = 0;
    for racer in racers {
        match racer.await.unwrap() {
            (successor, RefreshRotation::Rotated(_)) => rotated.push(successor),
            (_, RefreshRotation::Reused { .. }) => reused += 1,
            (_, RefreshRotation::Unknown) => {}
        }
    }

    assert_eq!(rotated.len(), 1, "exactly one rotation wins");
    assert!(reused >= 1, "the losers present a used token");
    // The reuse revoked the family, the winner's successor included.
    assert_eq!(
        rotate(&*store, &rotated[0], "refresh-3", now).await,
        RefreshRotation::Unknown
    );
}

/// Revoking an identity's refresh tokens makes every one unknown, used or
/// current, and leaves other identities' tokens.
pub async fn revoking_identity_refresh_tokens_makes_them_unknown<S: RefreshTokenStore + ?Sized>(
    store: Arc<S>,
) {
    let other = refresh_token("refresh-b", "family-b", "authid_b");
    store.create_refresh_token(&other).await.unwrap();
    store
        .create_refresh_token(&refresh_token("refresh-a1", "family-a1", "authid_a"))
        .await
        .unwrap();
    store
        .create_refresh_token(&refresh_token("refresh-a2", "family-a2", "authid_a"))
        .await
        .unwrap();
    let now = now();
    rotate(&*store, "refresh-a1", "refresh-a1-next", now).await;

    store
        .revoke_identity_refresh_tokens("authid_a")
        .await
        .unwrap();

    for revoked in ["refresh-a1-next", "refresh-a2", "refresh-a1"] {
        assert_eq!(
            rotate(&*store, revoked, "refresh-new", now).await,
            RefreshRotation::Unknown,
            "{revoked}"
        );
    }
    assert_eq!(
        rotate(&*store, "refresh-b", "refresh-b-next", now).await,
        RefreshRotation::Rotated(other)
    );
}
