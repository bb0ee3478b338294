//! Behaviour of an [`IdentityStore`]: auth identities, their provider
//! identities, and the actors they are linked to.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::identities;
//!
//! identities::unlink_then_relink_works(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use serde_json::json;

use super::fixtures::{metadata, register};
use crate::identity::{AuthIdentity, Metadata, ProviderIdentity};
use crate::store::{CredentialChange, CredentialWrite, IdentityStore, StoreError};

/// A created identity is read back by its id, and its login by provider and entity id.
pub async fn created_identity_is_found_by_id_and_by_provider_entity_id<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    let (identity, login) = register(&*store, "ada@example.com").await;
    assert_eq!(store.identity(&identity.id).await.unwrap(), Some(identity));
    let found = store
        .find_provider_identity("emailpass", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(found, Some(login));
}

/// Unknown ids, other providers and other spellings of an entity id find nothing.
pub async fn unknown_identity_and_login_are_absent<S: IdentityStore + ?Sized>(store: Arc<S>) {
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

/// Registering a taken `(provider, entity_id)` is a conflict and creates no identity.
pub async fn duplicate_provider_entity_id_conflicts_and_creates_nothing<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
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

/// An entity id is unique per provider only.
pub async fn same_entity_id_under_another_provider_is_allowed<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    register(&*store, "ada@example.com").await;
    let other = AuthIdentity::new();
    let login = ProviderIdentity::new("google", "ada@example.com", &other.id);
    store.create_identity(&other, &login).await.unwrap();
}

/// Every provider identity of an identity is listed, and no other identity's.
pub async fn added_provider_identities_are_listed_for_their_identity<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (identity, email_login) = register(&*store, "ada@example.com").await;
    let google_login = ProviderIdentity::new("google", "sub-123", &identity.id);
    store.add_provider_identity(&google_login).await.unwrap();
    register(&*store, "someone-else@example.com").await;

    let mut listed = store.provider_identities(&identity.id).await.unwrap();
    listed.sort_by(|a, b| a.provider.cmp(&b.provider));
    assert_eq!(listed, vec![email_login, google_login]);
}

/// Adding a login with a taken `(provider, entity_id)` is a conflict.
pub async fn added_provider_identity_with_a_taken_entity_id_conflicts<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    register(&*store, "ada@example.com").await;
    let (other, _) = register(&*store, "bob@example.com").await;
    let login = ProviderIdentity::new("emailpass", "ada@example.com", &other.id);
    let outcome = store.add_provider_identity(&login).await;
    assert!(
        matches!(outcome, Err(StoreError::Conflict(_))),
        "{outcome:?}"
    );
}

/// Adding a login to an identity that does not exist is [`StoreError::NotFound`].
pub async fn provider_identity_for_an_unknown_identity_is_not_found<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let login = ProviderIdentity::new("emailpass", "ada@example.com", "authid_unknown");
    assert_eq!(
        store.add_provider_identity(&login).await,
        Err(StoreError::NotFound("authid_unknown".into()))
    );
}

/// Provider metadata is replaced whole; user metadata is left alone.
pub async fn provider_metadata_is_replaced<S: IdentityStore + ?Sized>(store: Arc<S>) {
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

/// Updating the metadata of a login that does not exist is [`StoreError::NotFound`].
pub async fn updating_metadata_of_an_unknown_provider_identity_is_not_found<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    assert_eq!(
        store
            .update_provider_metadata("provid_unknown", &Metadata::new())
            .await,
        Err(StoreError::NotFound("provid_unknown".into()))
    );
}

/// A linked actor is stored; a second actor of the same type is refused.
pub async fn linked_actor_is_stored_and_a_second_link_of_the_type_is_refused<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
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

/// A malformed or reserved actor type is refused and changes nothing.
pub async fn link_with_an_invalid_or_reserved_actor_type_is_refused<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
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

/// One identity may be linked to actors of several types.
pub async fn one_identity_links_several_actor_types<S: IdentityStore + ?Sized>(store: Arc<S>) {
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

/// After an unlink, the actor type can be linked again.
pub async fn unlink_then_relink_works<S: IdentityStore + ?Sized>(store: Arc<S>) {
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

/// Linking or unlinking an identity that does not exist is [`StoreError::NotFound`].
pub async fn linking_an_unknown_identity_is_not_found<S: IdentityStore + ?Sized>(store: Arc<S>) {
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

/// Of two tasks linking different actors of one type at once, exactly one wins
/// (five rounds, to give a race a chance to show).
pub async fn concurrent_link_actor_has_exactly_one_winner<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
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

/// Of four tasks registering one entity id at once, exactly one succeeds; the
/// others conflict.
pub async fn concurrent_registration_of_one_entity_id_has_exactly_one_winner<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
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

/// The change of the `password` hash `expected` to `replacement`, for `login`.
fn password_change(
    login: &ProviderIdentity,
    expected: Option<&str>,
    replacement: &str,
) -> CredentialChange {
    CredentialChange {
        provider_identity_id: login.id.clone(),
        credential_key: "password".into(),
        expected: expected.map(str::to_owned),
        replacement: replacement.into(),
        entity_id: None,
    }
}

/// The `password` hash stored for `entity_id` now.
async fn stored_password<S: IdentityStore + ?Sized>(store: &S, entity_id: &str) -> String {
    let login = store
        .find_provider_identity("emailpass", entity_id)
        .await
        .unwrap()
        .unwrap();
    login.provider_metadata["password"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A credential changes only from the hash the caller read: a second change
/// from that same hash is stale and writes nothing; other metadata is kept.
pub async fn credential_changes_only_from_the_expected_hash<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (_, mut login) = register(&*store, "ada@example.com").await;
    login
        .provider_metadata
        .insert("salt_hint".into(), json!("kept"));
    store
        .update_provider_metadata(&login.id, &login.provider_metadata)
        .await
        .unwrap();
    let first = password_change(&login, Some("$argon2id$stand-in"), "$argon2id$reset");
    assert_eq!(
        store.change_credential(&first).await,
        Ok(CredentialWrite::Changed)
    );
    let late = password_change(&login, Some("$argon2id$stand-in"), "$argon2id$rehash");
    assert_eq!(
        store.change_credential(&late).await,
        Ok(CredentialWrite::Stale)
    );
    assert_eq!(
        stored_password(&*store, "ada@example.com").await,
        "$argon2id$reset"
    );
    let found = store
        .find_provider_identity("emailpass", "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.provider_metadata["salt_hint"], "kept");
}

/// Changing the credential of a login that does not exist is [`StoreError::NotFound`].
pub async fn credential_change_of_an_unknown_provider_identity_is_not_found<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    let ghost = ProviderIdentity::new("emailpass", "ghost@example.com", "authid_ghost");
    let change = password_change(&ghost, None, "$argon2id$new");
    assert_eq!(
        store.change_credential(&change).await,
        Err(StoreError::NotFound(ghost.id.clone()))
    );
}

/// Of many concurrent changes from the same hash (a login's rehash racing a
/// reset), exactly one is written.
pub async fn concurrent_credential_changes_from_one_hash_have_exactly_one_winner<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    let (_, login) = register(&*store, "ada@example.com").await;
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let store = Arc::clone(&store);
            let change = password_change(
                &login,
                Some("$argon2id$stand-in"),
                &format!("$argon2id$writer-{n}"),
            );
            tokio::spawn(async move { store.change_credential(&change).await.unwrap() })
        })
        .collect();
    let mut winners = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        if task.await.unwrap() == CredentialWrite::Changed {
            winners.push(n);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(
        stored_password(&*store, "ada@example.com").await,
        format!("$argon2id$writer-{}", winners[0])
    );
}

/// A login stored with a mixed-case e-mail (by a Medusa backend) is found
/// ignoring ASCII case, and takes the lower-case entity id with its next
/// credential change.
pub async fn mixed_case_entity_id_is_found_ignoring_case_and_lower_cased_on_change<
    S: IdentityStore + ?Sized,
>(
    store: Arc<S>,
) {
    let (_, login) = register(&*store, "Ada@Example.COM").await;
    let found = store
        .find_provider_identity_ignoring_case("emailpass", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(
        found.as_ref().map(|l| l.id.as_str()),
        Some(login.id.as_str())
    );
    let other_provider = store
        .find_provider_identity_ignoring_case("google", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(other_provider, None);
    let mut change = password_change(&login, Some("$argon2id$stand-in"), "$argon2id$new");
    change.entity_id = Some("ada@example.com".into());
    assert_eq!(
        store.change_credential(&change).await,
        Ok(CredentialWrite::Changed)
    );
    assert_eq!(
        stored_password(&*store, "ada@example.com").await,
        "$argon2id$new"
    );
    let old_spelling = store
        .find_provider_identity("emailpass", "Ada@Example.COM")
        .await
        .unwrap();
    assert_eq!(old_spelling, None);
}

/// The exact spelling wins over a case twin; two twins and no exact match are
/// ambiguous (nothing is found), and lower-casing one never takes the other's id.
pub async fn exact_entity_id_wins_and_case_twins_are_ambiguous<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (_, lower) = register(&*store, "ada@example.com").await;
    let (_, upper) = register(&*store, "ADA@example.com").await;
    let (_, _mixed) = register(&*store, "Ada@example.com").await;
    let exact = store
        .find_provider_identity_ignoring_case("emailpass", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(exact.map(|l| l.id), Some(lower.id));
    let ambiguous = store
        .find_provider_identity_ignoring_case("emailpass", "aDa@example.com")
        .await
        .unwrap();
    assert_eq!(ambiguous, None);
    let mut change = password_change(&upper, Some("$argon2id$stand-in"), "$argon2id$new");
    change.entity_id = Some("ada@example.com".into());
    assert_eq!(
        store.change_credential(&change).await,
        Ok(CredentialWrite::Changed)
    );
    let kept = store
        .find_provider_identity("emailpass", "ADA@example.com")
        .await
        .unwrap();
    assert_eq!(kept.map(|l| l.id), Some(upper.id));
}

/// Identity ids that are empty or hold control characters never enter the
/// store: creating, adding a login to and linking such an identity are refused.
pub async fn identity_ids_with_control_characters_are_refused<S: IdentityStore + ?Sized>(
    store: Arc<S>,
) {
    let (identity, _) = register(&*store, "ada@example.com").await;
    for bad in ["", "authid_\0x", "authid_a\nb", "authid_\u{7f}"] {
        let forged = AuthIdentity {
            id: bad.into(),
            app_metadata: Metadata::new(),
        };
        let login = ProviderIdentity::new("emailpass", "eve@example.com", bad);
        assert_eq!(
            store.create_identity(&forged, &login).await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
        assert_eq!(
            store.add_provider_identity(&login).await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
        assert_eq!(
            store.link_actor(bad, "customer", "cus_1").await,
            Err(StoreError::InvalidIdentityId),
            "{bad:?}"
        );
    }
    let twin = ProviderIdentity::new("emailpass", "eve@example.com", "authid_a\nb");
    let clean = AuthIdentity::new();
    assert_eq!(
        store.create_identity(&clean, &twin).await,
        Err(StoreError::InvalidIdentityId)
    );
    assert_eq!(
        store
            .find_provider_identity("emailpass", "eve@example.com")
            .await
            .unwrap(),
        None
    );
    assert!(store.identity(&identity.id).await.unwrap().is_some());
}
