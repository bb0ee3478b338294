//! The records the conformance tests build, for a store's own extra tests too.
//!
//! Times are relative to the system clock, since a store may prune what
//! expired long ago by its own clock.
//!
//! ```
//! use auth_core::store::testing::fixtures::{now, session};
//!
//! let record = session("sess-hash-1", "authid_a");
//! assert!(record.expires_at > now());
//! ```

use serde_json::json;

use crate::identity::{AuthContext, AuthIdentity, Metadata, ProviderIdentity};
use crate::store::{
    ApiKeyRecord, IdentityStore, InviteRecord, RefreshRotation, RefreshTokenRecord,
    RefreshTokenStore, ResetTokenRecord, SessionRecord,
};

/// How many tasks race in the concurrency tests.
pub const RACERS: usize = 8;

/// The per-identity session limit the session tests pass, unless they test it.
pub const SESSION_LIMIT: usize = 16;

/// A throttle window start, Unix seconds.
pub const WINDOW: u64 = 1_700_000_000;

/// The throttle window after [`WINDOW`] (15 minutes later).
pub const NEXT_WINDOW: u64 = WINDOW + 900;

/// The current time, Unix seconds: the `now` the tests pass to a store.
pub fn now() -> u64 {
    crate::clock::now_secs()
}

/// The JSON object `value` as metadata.
///
/// # Panics
/// If `value` is not an object.
pub fn metadata(value: serde_json::Value) -> Metadata {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Creates an identity with an `emailpass` login for `email`, with a password
/// hash in its provider metadata and nested user metadata.
pub async fn register<S: IdentityStore + ?Sized>(
    store: &S,
    email: &str,
) -> (AuthIdentity, ProviderIdentity) {
    let identity = AuthIdentity::new();
    let mut login = ProviderIdentity::new("emailpass", email, &identity.id);
    login.provider_metadata = metadata(json!({ "password": "$argon2id$stand-in" }));
    login.user_metadata = metadata(json!({ "name": "Ada", "tags": ["a", 1, null] }));
    store.create_identity(&identity, &login).await.unwrap();
    (identity, login)
}

/// A customer context of `auth_identity_id`, with nested app metadata.
pub fn context(auth_identity_id: &str) -> AuthContext {
    AuthContext {
        actor_id: "cus_1".into(),
        actor_type: "customer".into(),
        auth_identity_id: auth_identity_id.into(),
        app_metadata: metadata(json!({ "customer_id": "cus_1", "tags": ["a", 1, null] })),
    }
}

/// A session of `auth_identity_id`, valid for the next hour, in the login
/// `login-of-<auth_identity_id>`.
pub fn session(id_hash: &str, auth_identity_id: &str) -> SessionRecord {
    let now = now();
    SessionRecord {
        id_hash: id_hash.into(),
        context: context(auth_identity_id),
        sid: Some(format!("login-of-{auth_identity_id}")),
        created_at_ms: now * 1000 + 123,
        last_seen_at: now,
        expires_at: now + 3600,
    }
}

/// A reset token of `auth_identity_id`, valid for the next 30 minutes.
pub fn reset_token(token_hash: &str, auth_identity_id: &str) -> ResetTokenRecord {
    ResetTokenRecord {
        token_hash: token_hash.into(),
        auth_identity_id: auth_identity_id.into(),
        actor_type: "customer".into(),
        provider: "emailpass".into(),
        expires_at: now() + 1800,
    }
}

/// The first refresh token of family `family_id`: idle expiry in an hour,
/// family expiry in a day.
pub fn refresh_token(
    token_hash: &str,
    family_id: &str,
    auth_identity_id: &str,
) -> RefreshTokenRecord {
    let now = now();
    RefreshTokenRecord {
        token_hash: token_hash.into(),
        family_id: family_id.into(),
        auth_identity_id: auth_identity_id.into(),
        actor_type: "customer".into(),
        expires_at: now + 3600,
        family_expires_at: now + 86_400,
    }
}

/// An unrevoked API key of `user_1`, created now.
pub fn api_key(id: &str, secret_hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        secret_hash: secret_hash.into(),
        redacted: "sk_1234…cdef".into(),
        title: "CI deploys".into(),
        actor_id: "user_1".into(),
        created_at: now(),
        revoked_at: None,
    }
}

/// Rotates `presented` into `successor` (idle expiry an hour after `now`) at `now`.
pub async fn rotate<S: RefreshTokenStore + ?Sized>(
    store: &S,
    presented: &str,
    successor: &str,
    now: u64,
) -> RefreshRotation {
    store
        .rotate_refresh_token(presented, successor, now + 3600, now)
        .await
        .unwrap()
}

/// A pending invite for `invite@example.com` that expires at `expires_at`.
pub fn invite(id: &str, token_hash: &str, expires_at: u64) -> InviteRecord {
    InviteRecord {
        id: id.into(),
        email: "invite@example.com".into(),
        token_hash: token_hash.into(),
        created_at: expires_at.saturating_sub(600),
        expires_at,
        accepted_at: None,
    }
}
