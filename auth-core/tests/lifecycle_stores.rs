//! Credential lifecycle stores (sessions, reset tokens, refresh tokens, API
//! keys, throttle counters), written once and run against every implementation
//! (`MemoryStore`, `SqliteStore` on a file, `SqliteStore` in memory), then what
//! only a database can do: survive a restart, prune what expired long ago.
//!
//! The file database runs concurrent tests on several pooled connections, so
//! "exactly one of N concurrent calls wins" is tested against real locking.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod stores;

use std::sync::Arc;

use auth_core::clock::now_secs;
use auth_core::identity::{AuthContext, Metadata};
use auth_core::store::{
    ApiKeyRecord, ApiKeyStore, RefreshRotation, RefreshTokenRecord, RefreshTokenStore,
    ResetTokenRecord, ResetTokenStore, SessionRecord, SessionStore, StoreError, ThrottleStore,
};
use serde_json::json;

/// Every lifecycle store trait at once, so one behaviour test covers an implementation.
trait Store: SessionStore + ResetTokenStore + RefreshTokenStore + ApiKeyStore + ThrottleStore {}
impl<S: SessionStore + ResetTokenStore + RefreshTokenStore + ApiKeyStore + ThrottleStore> Store
    for S
{
}

/// How many tasks race in the concurrency tests.
const RACERS: usize = 8;

behaviour_tests!(
    created_session_is_found_by_its_id_hash,
    unknown_session_is_absent,
    second_session_with_the_same_id_hash_conflicts,
    touching_a_session_moves_last_seen_forward_only,
    touching_an_unknown_session_is_not_an_error,
    deleted_session_is_gone_and_deleting_it_again_is_not_an_error,
    deleting_identity_sessions_keeps_other_identities_sessions,
    new_reset_token_supersedes_the_identitys_earlier_ones,
    reset_token_is_consumed_only_once,
    expired_reset_token_is_still_returned_for_the_caller_to_check,
    concurrent_consumers_of_one_reset_token_get_it_exactly_once,
    deleting_identity_reset_tokens_keeps_other_identities_tokens,
    current_refresh_token_rotates_and_then_its_successor_rotates,
    successor_refresh_token_expires_no_later_than_its_family,
    reused_refresh_token_revokes_its_whole_family,
    expired_refresh_token_is_unknown_and_left_unchanged,
    unknown_refresh_token_is_unknown,
    second_refresh_token_with_the_same_hash_conflicts,
    concurrent_rotations_of_one_refresh_token_rotate_exactly_once,
    revoking_identity_refresh_tokens_makes_them_unknown,
    created_api_key_is_found_by_its_secret_hash,
    api_key_with_a_taken_id_or_secret_hash_conflicts,
    revoking_an_api_key_sets_revoked_at_once,
    revoking_an_unknown_api_key_is_not_found,
    throttle_hits_count_up_within_a_window,
    throttle_hit_in_a_new_window_restarts_the_count,
    throttle_count_does_not_hit,
    throttle_keys_are_counted_separately,
    concurrent_throttle_hits_are_all_counted,
);

// ---------------------------------------------------------------- fixtures

fn metadata(value: serde_json::Value) -> Metadata {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn context(auth_identity_id: &str) -> AuthContext {
    AuthContext {
        actor_id: "cus_1".into(),
        actor_type: "customer".into(),
        auth_identity_id: auth_identity_id.into(),
        app_metadata: metadata(json!({ "customer_id": "cus_1", "tags": ["a", 1, null] })),
    }
}

/// A session of `auth_identity_id`, valid for the next hour.
fn session(id_hash: &str, auth_identity_id: &str) -> SessionRecord {
    let now = now_secs();
    SessionRecord {
        id_hash: id_hash.into(),
        context: context(auth_identity_id),
        created_at_ms: now * 1000 + 123,
        last_seen_at: now,
        expires_at: now + 3600,
    }
}

/// A reset token of `auth_identity_id`, valid for the next 30 minutes.
fn reset_token(token_hash: &str, auth_identity_id: &str) -> ResetTokenRecord {
    ResetTokenRecord {
        token_hash: token_hash.into(),
        auth_identity_id: auth_identity_id.into(),
        actor_type: "customer".into(),
        provider: "emailpass".into(),
        expires_at: now_secs() + 1800,
    }
}

/// The first refresh token of family `family_id`: idle expiry in an hour,
/// family expiry in a day.
fn refresh_token(token_hash: &str, family_id: &str, auth_identity_id: &str) -> RefreshTokenRecord {
    let now = now_secs();
    RefreshTokenRecord {
        token_hash: token_hash.into(),
        family_id: family_id.into(),
        auth_identity_id: auth_identity_id.into(),
        actor_type: "customer".into(),
        expires_at: now + 3600,
        family_expires_at: now + 86_400,
    }
}

fn api_key(id: &str, secret_hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        secret_hash: secret_hash.into(),
        redacted: "sk_1234…cdef".into(),
        title: "CI deploys".into(),
        actor_id: "user_1".into(),
        created_at: now_secs(),
        revoked_at: None,
    }
}

/// Rotates `presented` into `successor` (idle expiry in an hour) at `now`.
async fn rotate(store: &impl Store, presented: &str, successor: &str, now: u64) -> RefreshRotation {
    store
        .rotate_refresh_token(presented, successor, now + 3600, now)
        .await
        .unwrap()
}

// ---------------------------------------------------------------- sessions

async fn created_session_is_found_by_its_id_hash(store: Arc<impl Store>) {
    let created = session("sess-hash-1", "authid_a");
    store.create_session(&created).await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(created));
}

async fn unknown_session_is_absent(store: Arc<impl Store>) {
    store
        .create_session(&session("sess-hash-1", "authid_a"))
        .await
        .unwrap();
    assert_eq!(store.session("sess-hash-2").await.unwrap(), None);
}

async fn second_session_with_the_same_id_hash_conflicts(store: Arc<impl Store>) {
    let first = session("sess-hash-1", "authid_a");
    store.create_session(&first).await.unwrap();
    let result = store
        .create_session(&session("sess-hash-1", "authid_b"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.session("sess-hash-1").await.unwrap(), Some(first));
}

async fn touching_a_session_moves_last_seen_forward_only(store: Arc<impl Store>) {
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

async fn touching_an_unknown_session_is_not_an_error(store: Arc<impl Store>) {
    store.touch_session("missing", now_secs()).await.unwrap();
    assert_eq!(store.session("missing").await.unwrap(), None);
}

async fn deleted_session_is_gone_and_deleting_it_again_is_not_an_error(store: Arc<impl Store>) {
    store
        .create_session(&session("sess-hash-1", "authid_a"))
        .await
        .unwrap();
    store.delete_session("sess-hash-1").await.unwrap();
    assert_eq!(store.session("sess-hash-1").await.unwrap(), None);
    store.delete_session("sess-hash-1").await.unwrap();
}

async fn deleting_identity_sessions_keeps_other_identities_sessions(store: Arc<impl Store>) {
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

// ---------------------------------------------------------------- reset tokens

async fn new_reset_token_supersedes_the_identitys_earlier_ones(store: Arc<impl Store>) {
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

async fn reset_token_is_consumed_only_once(store: Arc<impl Store>) {
    let token = reset_token("reset-a", "authid_a");
    store.replace_reset_token(&token).await.unwrap();
    assert_eq!(
        store.consume_reset_token("reset-a").await.unwrap(),
        Some(token)
    );
    assert_eq!(store.consume_reset_token("reset-a").await.unwrap(), None);
}

async fn expired_reset_token_is_still_returned_for_the_caller_to_check(store: Arc<impl Store>) {
    let token = ResetTokenRecord {
        expires_at: now_secs() - 1,
        ..reset_token("reset-a", "authid_a")
    };
    store.replace_reset_token(&token).await.unwrap();
    assert_eq!(
        store.consume_reset_token("reset-a").await.unwrap(),
        Some(token)
    );
}

async fn concurrent_consumers_of_one_reset_token_get_it_exactly_once(store: Arc<impl Store>) {
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

async fn deleting_identity_reset_tokens_keeps_other_identities_tokens(store: Arc<impl Store>) {
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

// ---------------------------------------------------------------- refresh tokens

async fn current_refresh_token_rotates_and_then_its_successor_rotates(store: Arc<impl Store>) {
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    let now = now_secs();

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

async fn successor_refresh_token_expires_no_later_than_its_family(store: Arc<impl Store>) {
    let first = refresh_token("refresh-1", "family-1", "authid_a");
    store.create_refresh_token(&first).await.unwrap();
    let now = now_secs();

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

async fn reused_refresh_token_revokes_its_whole_family(store: Arc<impl Store>) {
    let other_family = refresh_token("refresh-x", "family-2", "authid_a");
    store.create_refresh_token(&other_family).await.unwrap();
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let now = now_secs();
    rotate(&*store, "refresh-1", "refresh-2", now).await;

    assert_eq!(
        rotate(&*store, "refresh-1", "refresh-3", now).await,
        RefreshRotation::Reused
    );
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

async fn expired_refresh_token_is_unknown_and_left_unchanged(store: Arc<impl Store>) {
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
    let now = now_secs();
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

async fn unknown_refresh_token_is_unknown(store: Arc<impl Store>) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    assert_eq!(
        rotate(&*store, "refresh-missing", "refresh-2", now_secs()).await,
        RefreshRotation::Unknown
    );
    assert_eq!(
        rotate(&*store, "refresh-2", "refresh-3", now_secs()).await,
        RefreshRotation::Unknown
    );
}

async fn second_refresh_token_with_the_same_hash_conflicts(store: Arc<impl Store>) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let result = store
        .create_refresh_token(&refresh_token("refresh-1", "family-2", "authid_b"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
}

async fn concurrent_rotations_of_one_refresh_token_rotate_exactly_once(store: Arc<impl Store>) {
    store
        .create_refresh_token(&refresh_token("refresh-1", "family-1", "authid_a"))
        .await
        .unwrap();
    let now = now_secs();

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
            (_, RefreshRotation::Reused) => reused += 1,
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

async fn revoking_identity_refresh_tokens_makes_them_unknown(store: Arc<impl Store>) {
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
    let now = now_secs();
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

// ---------------------------------------------------------------- API keys

async fn created_api_key_is_found_by_its_secret_hash(store: Arc<impl Store>) {
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

async fn api_key_with_a_taken_id_or_secret_hash_conflicts(store: Arc<impl Store>) {
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

async fn revoking_an_api_key_sets_revoked_at_once(store: Arc<impl Store>) {
    let key = api_key("apk_1", "secret-hash-1");
    store.create_api_key(&key).await.unwrap();
    let now = now_secs();

    let revoked = store.revoke_api_key("apk_1", now).await.unwrap();
    assert_eq!(
        revoked,
        ApiKeyRecord {
            revoked_at: Some(now),
            ..key
        }
    );
    // A second revocation keeps the first time.
    assert_eq!(
        store.revoke_api_key("apk_1", now + 60).await.unwrap(),
        revoked
    );
    assert_eq!(
        store.api_key_by_secret_hash("secret-hash-1").await.unwrap(),
        Some(revoked)
    );
}

async fn revoking_an_unknown_api_key_is_not_found(store: Arc<impl Store>) {
    assert_eq!(
        store.revoke_api_key("apk_missing", now_secs()).await,
        Err(StoreError::NotFound("apk_missing".into()))
    );
}

// ---------------------------------------------------------------- throttle

const WINDOW: u64 = 1_700_000_000;
const NEXT_WINDOW: u64 = WINDOW + 900;

async fn throttle_hits_count_up_within_a_window(store: Arc<impl Store>) {
    for expected in 1..=3 {
        assert_eq!(store.hit("ip:192.0.2.1", WINDOW).await.unwrap(), expected);
    }
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 3);
}

async fn throttle_hit_in_a_new_window_restarts_the_count(store: Arc<impl Store>) {
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();

    assert_eq!(store.hit("ip:192.0.2.1", NEXT_WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", NEXT_WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 0);
}

async fn throttle_count_does_not_hit(store: Arc<impl Store>) {
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 0);
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 1);
    assert_eq!(store.hit("ip:192.0.2.1", WINDOW).await.unwrap(), 2);
}

async fn throttle_keys_are_counted_separately(store: Arc<impl Store>) {
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    assert_eq!(store.hit("login:ada@example.com", WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.2", WINDOW).await.unwrap(), 0);
}

async fn concurrent_throttle_hits_are_all_counted(store: Arc<impl Store>) {
    let racers: Vec<_> = (0..RACERS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.hit("ip:192.0.2.1", WINDOW).await })
        })
        .collect();
    let mut counts = Vec::new();
    for racer in racers {
        counts.push(racer.await.unwrap().unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=RACERS as u64).collect::<Vec<_>>());
    assert_eq!(
        store.count("ip:192.0.2.1", WINDOW).await.unwrap(),
        RACERS as u64
    );
}

// ---------------------------------------------------------------- SQLite only

#[tokio::test]
async fn lifecycle_records_survive_closing_and_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = stores::open_file_store(dir.path()).await;
    let now = now_secs();
    let kept_session = session("sess-hash-1", "authid_a");
    store.create_session(&kept_session).await.unwrap();
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
    assert_eq!(
        rotate(&reopened, "refresh-1", "refresh-3", now).await,
        RefreshRotation::Reused
    );
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
    let long_ago = now_secs() - 86_400;
    store
        .create_session(&SessionRecord {
            expires_at: long_ago,
            ..session("sess-old", "authid_a")
        })
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
