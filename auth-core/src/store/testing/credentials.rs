//! Behaviour of a [`CredentialStore`]: a password reset completed as one
//! atomic operation, and identity ids checked wherever they enter a store.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::credentials;
//!
//! credentials::reset_with_a_stale_hash_changes_nothing_and_keeps_the_token(
//!     Arc::new(MemoryStore::new()),
//! )
//! .await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{
    SESSION_LIMIT, context, now, refresh_token, register, reset_token, rotate, session,
};
use crate::identity::ProviderIdentity;
use crate::store::{
    CredentialChange, CredentialStore, IdentityStore, RefreshRotation, RefreshTokenStore,
    ResetCompletion, ResetOutcome, ResetTokenStore, RevocationStore, SessionStore, StoreError,
};

/// Every store a reset touches, in one.
pub trait ResetStores:
    CredentialStore
    + IdentityStore
    + ResetTokenStore
    + SessionStore
    + RefreshTokenStore
    + RevocationStore
{
}

impl<T> ResetStores for T where
    T: CredentialStore
        + IdentityStore
        + ResetTokenStore
        + SessionStore
        + RefreshTokenStore
        + RevocationStore
        + ?Sized
{
}

/// The completion of reset token `token_hash` of `login`'s identity, as a
/// customer with emailpass, from `expected` to a new hash.
fn completion(login: &ProviderIdentity, token_hash: &str, expected: &str) -> ResetCompletion {
    ResetCompletion {
        token_hash: token_hash.into(),
        auth_identity_id: login.auth_identity_id.clone(),
        actor_type: "customer".into(),
        provider: "emailpass".into(),
        now: now(),
        change: CredentialChange {
            provider_identity_id: login.id.clone(),
            credential_key: "password".into(),
            expected: Some(expected.into()),
            replacement: "$argon2id$after-reset".into(),
            entity_id: None,
        },
        tokens_valid_after_ms: now() * 1000 + 500,
    }
}

/// The `password` hash stored for `login` now.
async fn stored_password<S: ResetStores + ?Sized>(store: &S, login: &ProviderIdentity) -> String {
    let current = store
        .find_provider_identity("emailpass", &login.entity_id)
        .await
        .unwrap()
        .unwrap();
    current.provider_metadata["password"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An identity with a session, a refresh family and a pending reset token
/// (`rst-ada`), and a bystander with the same; returns Ada's login.
async fn identity_with_credentials<S: ResetStores + ?Sized>(store: &S) -> ProviderIdentity {
    let (ada, login) = register(store, "ada@example.com").await;
    let (bob, _) = register(store, "bob@example.com").await;
    for (who, tag) in [(&ada.id, "ada"), (&bob.id, "bob")] {
        store
            .create_session(&session(&format!("ses-{tag}"), who), SESSION_LIMIT)
            .await
            .unwrap();
        store
            .create_refresh_token(&refresh_token(
                &format!("rt-{tag}"),
                &format!("fam-{tag}"),
                who,
            ))
            .await
            .unwrap();
        store
            .replace_reset_token(&reset_token(&format!("rst-{tag}"), who))
            .await
            .unwrap();
    }
    login
}

/// A completed reset consumes the token, writes the new hash, sets the
/// cut-off, and ends the identity's sessions, refresh families and other
/// reset tokens, and nobody else's.
pub async fn completed_reset_consumes_the_token_and_revokes_every_credential<
    S: ResetStores + ?Sized,
>(
    store: Arc<S>,
) {
    let login = identity_with_credentials(&*store).await;
    let identity = login.auth_identity_id.clone();
    let done = completion(&login, "rst-ada", "$argon2id$stand-in");
    assert_eq!(
        store.complete_reset(&done).await,
        Ok(ResetOutcome::Completed)
    );
    assert_eq!(
        stored_password(&*store, &login).await,
        "$argon2id$after-reset"
    );
    assert_eq!(store.reset_token("rst-ada").await.unwrap(), None);
    assert_eq!(store.session("ses-ada").await.unwrap(), None);
    assert_eq!(
        store.tokens_valid_after(&identity).await.unwrap(),
        Some(done.tokens_valid_after_ms)
    );
    let now = now();
    assert_eq!(
        rotate(&*store, "rt-ada", "rt-ada-2", now).await,
        RefreshRotation::Unknown
    );
    assert!(store.session("ses-bob").await.unwrap().is_some());
    assert!(store.reset_token("rst-bob").await.unwrap().is_some());
    assert!(matches!(
        rotate(&*store, "rt-bob", "rt-bob-2", now).await,
        RefreshRotation::Rotated(_)
    ));
    assert_eq!(
        store.complete_reset(&done).await,
        Ok(ResetOutcome::InvalidToken)
    );
}

/// A reset whose expected hash is no longer stored (a rehash got there
/// first) changes nothing: the token, the sessions and the hash stay.
pub async fn reset_with_a_stale_hash_changes_nothing_and_keeps_the_token<
    S: ResetStores + ?Sized,
>(
    store: Arc<S>,
) {
    let login = identity_with_credentials(&*store).await;
    let stale = completion(&login, "rst-ada", "$argon2id$read-long-ago");
    assert_eq!(store.complete_reset(&stale).await, Ok(ResetOutcome::Stale));
    assert_eq!(stored_password(&*store, &login).await, "$argon2id$stand-in");
    assert!(store.reset_token("rst-ada").await.unwrap().is_some());
    assert!(store.session("ses-ada").await.unwrap().is_some());
    assert_eq!(
        store
            .tokens_valid_after(&login.auth_identity_id)
            .await
            .unwrap(),
        None
    );
    let fresh = completion(&login, "rst-ada", "$argon2id$stand-in");
    assert_eq!(
        store.complete_reset(&fresh).await,
        Ok(ResetOutcome::Completed)
    );
}

/// An expired token, one of another actor type or provider, another
/// identity's token, or an unknown one changes nothing.
pub async fn reset_with_an_unusable_token_changes_nothing<S: ResetStores + ?Sized>(store: Arc<S>) {
    let login = identity_with_credentials(&*store).await;
    let mut expired = reset_token("rst-expired", &login.auth_identity_id);
    expired.expires_at = now() - 1;
    store.replace_reset_token(&expired).await.unwrap();
    let mut attempts = vec![completion(&login, "rst-expired", "$argon2id$stand-in")];
    let mut other_actor = completion(&login, "rst-expired", "$argon2id$stand-in");
    other_actor.now = now() - 3600;
    other_actor.actor_type = "user".into();
    attempts.push(other_actor);
    attempts.push(completion(&login, "rst-bob", "$argon2id$stand-in"));
    attempts.push(completion(&login, "rst-unknown", "$argon2id$stand-in"));
    for attempt in &attempts {
        assert_eq!(
            store.complete_reset(attempt).await,
            Ok(ResetOutcome::InvalidToken),
            "{attempt:?}"
        );
    }
    assert_eq!(stored_password(&*store, &login).await, "$argon2id$stand-in");
    assert!(store.session("ses-ada").await.unwrap().is_some());
    assert!(store.reset_token("rst-bob").await.unwrap().is_some());
}

/// Of many concurrent completions with one token, exactly one completes.
pub async fn concurrent_resets_with_one_token_complete_exactly_once<S: ResetStores + ?Sized>(
    store: Arc<S>,
) {
    let (_, login) = register(&*store, "ada@example.com").await;
    store
        .replace_reset_token(&reset_token("rst-once", &login.auth_identity_id))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = Arc::clone(&store);
            let attempt = completion(&login, "rst-once", "$argon2id$stand-in");
            tokio::spawn(async move { store.complete_reset(&attempt).await.unwrap() })
        })
        .collect();
    let mut completed = 0;
    for task in tasks {
        if task.await.unwrap() == ResetOutcome::Completed {
            completed += 1;
        }
    }
    assert_eq!(completed, 1);
}

/// Identity ids with control characters are refused by every store that
/// records an identity id: sessions, reset tokens, refresh tokens, cut-offs.
pub async fn identity_ids_with_control_characters_are_refused_by_every_store<
    S: ResetStores + ?Sized,
>(
    store: Arc<S>,
) {
    for bad in ["", "authid_\0", "authid_a\r\nb"] {
        let mut forged = session("ses-forged", "authid_clean");
        forged.context = context(bad);
        assert_eq!(
            store.create_session(&forged, SESSION_LIMIT).await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
        assert_eq!(
            store
                .replace_reset_token(&reset_token("rst-forged", bad))
                .await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
        assert_eq!(
            store
                .create_refresh_token(&refresh_token("rt-forged", "fam-forged", bad))
                .await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
        assert_eq!(
            store.revoke_identity_tokens(bad, now() * 1000).await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
    }
    assert_eq!(store.session("ses-forged").await.unwrap(), None);
    assert_eq!(store.reset_token("rst-forged").await.unwrap(), None);
}
