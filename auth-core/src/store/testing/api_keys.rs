//! Behaviour of an [`ApiKeyStore`]: keys found by the hash of their secret.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::api_keys;
//!
//! api_keys::revoking_an_api_key_sets_revoked_at_once(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{api_key, now};
use crate::store::{ApiKeyRecord, ApiKeyStore, StoreError};

/// A created key is read back unchanged by its secret hash, and by no other.
pub async fn created_api_key_is_found_by_its_secret_hash<S: ApiKeyStore + ?Sized>(store: Arc<S>) {
    let key = api_key("apk_1", "secret-hash-1");
    store.create_api_key(&key).await.unwrap();
    assert_eq!(
        store.api_key_by_secret_hash("secret-hash-1").await.unwrap(),
        Some(key)
    );
    assert_eq!(
        store.api_key_by_secret_hash("secret-hash-2").await.unwrap(),
        None
    );
}

/// A key whose id or secret hash is taken is a conflict and is not stored.
pub async fn api_key_with_a_taken_id_or_secret_hash_conflicts<S: ApiKeyStore + ?Sized>(
    store: Arc<S>,
) {
    store
        .create_api_key(&api_key("apk_1", "secret-hash-1"))
        .await
        .unwrap();
    for duplicate in [
        api_key("apk_1", "secret-hash-2"),
        api_key("apk_2", "secret-hash-1"),
    ] {
        let result = store.create_api_key(&duplicate).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    assert_eq!(
        store.api_key_by_secret_hash("secret-hash-2").await.unwrap(),
        None
    );
}

/// Revoking a key records the time once: a second revocation keeps the first time.
pub async fn revoking_an_api_key_sets_revoked_at_once<S: ApiKeyStore + ?Sized>(store: Arc<S>) {
    let key = api_key("apk_1", "secret-hash-1");
    store.create_api_key(&key).await.unwrap();
    let now = now();

    let revoked = store.revoke_api_key("apk_1", now).await.unwrap();
    assert_eq!(
        revoked,
        ApiKeyRecord {
            revoked_at: Some(now),
            ..key
        }
    );
    assert_eq!(
        store.revoke_api_key("apk_1", now + 60).await.unwrap(),
        revoked
    );
    assert_eq!(
        store.api_key_by_secret_hash("secret-hash-1").await.unwrap(),
        Some(revoked)
    );
}

/// Revoking a key that does not exist is [`StoreError::NotFound`].
pub async fn revoking_an_unknown_api_key_is_not_found<S: ApiKeyStore + ?Sized>(store: Arc<S>) {
    assert_eq!(
        store.revoke_api_key("apk_missing", now()).await,
        Err(StoreError::NotFound("apk_missing".into()))
    );
}
