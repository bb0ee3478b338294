//! Claim rules (SECURITY.md "Token verification", rule 6), the cache, and the
//! Medusa compatibility profile.
#![allow(clippy::unwrap_used)]

mod fixtures;

use auth_core::token::{KeySet, TokenError};
use fixtures::*;
use serde_json::{Value, json};

fn verify_claims(claims: &Value) -> Result<(), TokenError> {
    hs256_service()
        .verify_at(&hs_token(&hs_header(), claims), NOW)
        .map(|_| ())
}

#[test]
fn string_exp_is_rejected() {
    let claims = claims_with("exp", json!((NOW + 900).to_string()));
    assert_eq!(
        verify_claims(&claims),
        Err(TokenError::InvalidClaims("exp"))
    );
}

#[test]
fn missing_exp_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("exp", Value::Null)),
        Err(TokenError::MissingClaim("exp"))
    );
}

#[test]
fn missing_iat_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("iat", Value::Null)),
        Err(TokenError::MissingClaim("iat"))
    );
}

#[test]
fn iat_in_the_future_is_rejected() {
    let claims = claims_with("iat", json!(NOW + 120));
    assert_eq!(verify_claims(&claims), Err(TokenError::IssuedInFuture));
}

#[test]
fn iat_within_the_leeway_is_accepted() {
    assert_eq!(verify_claims(&claims_with("iat", json!(NOW + 20))), Ok(()));
}

#[test]
fn lifetime_longer_than_the_maximum_is_rejected() {
    let claims = claims_with("exp", json!(NOW + 2 * 24 * 3600));
    assert_eq!(verify_claims(&claims), Err(TokenError::LifetimeTooLong));
}

#[test]
fn missing_aud_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("aud", Value::Null)),
        Err(TokenError::MissingClaim("aud"))
    );
}

#[test]
fn wrong_aud_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("aud", json!("admin"))),
        Err(TokenError::WrongAudience)
    );
    assert_eq!(
        verify_claims(&claims_with("aud", json!(["admin", "other"]))),
        Err(TokenError::WrongAudience)
    );
}

#[test]
fn aud_array_containing_the_audience_is_accepted() {
    assert_eq!(
        verify_claims(&claims_with("aud", json!(["admin", AUDIENCE]))),
        Ok(())
    );
}

#[test]
fn non_string_aud_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("aud", json!(7))),
        Err(TokenError::InvalidClaims("aud"))
    );
    assert_eq!(
        verify_claims(&claims_with("aud", json!([AUDIENCE, 7]))),
        Err(TokenError::InvalidClaims("aud"))
    );
}

#[test]
fn missing_iss_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("iss", Value::Null)),
        Err(TokenError::MissingClaim("iss"))
    );
}

#[test]
fn wrong_iss_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("iss", json!("https://evil.test"))),
        Err(TokenError::WrongIssuer)
    );
}

#[test]
fn issuer_array_is_rejected() {
    assert_eq!(
        verify_claims(&claims_with("iss", json!([ISSUER]))),
        Err(TokenError::InvalidClaims("iss"))
    );
}

#[test]
fn missing_jti_is_rejected_in_the_strict_profile() {
    assert_eq!(
        verify_claims(&claims_with("jti", Value::Null)),
        Err(TokenError::MissingClaim("jti"))
    );
}

#[test]
fn missing_actor_claims_are_rejected() {
    for name in ["actor_id", "actor_type", "auth_identity_id"] {
        assert_eq!(
            verify_claims(&claims_with(name, Value::Null)),
            Err(TokenError::MissingClaim(name))
        );
    }
}

#[test]
fn expired_token_is_rejected() {
    let token = hs_token(&hs_header(), &valid_claims());
    let after_expiry = NOW + 900 + 30;
    assert_eq!(
        hs256_service().verify_at(&token, after_expiry).err(),
        Some(TokenError::Expired)
    );
    assert!(
        hs256_service().verify_at(&token, after_expiry - 1).is_ok(),
        "leeway applies"
    );
}

#[test]
fn nbf_in_the_future_is_rejected() {
    let claims = claims_with("nbf", json!(NOW + 300));
    assert_eq!(verify_claims(&claims), Err(TokenError::NotYetValid));
}

#[test]
fn issued_token_round_trips_and_carries_the_context() {
    let tokens = hs256_service();
    let issued = tokens.issue_at(&context(), NOW).unwrap();
    let claims = tokens.verify_at(&issued.token, NOW).unwrap();
    assert_eq!(claims.context(), context());
    assert_eq!(*claims, issued.claims);
    assert_eq!(claims.sub.as_deref(), Some("authid_123"));
    assert_eq!(
        (claims.iat, claims.nbf, claims.exp),
        (NOW, Some(NOW), NOW + 900)
    );
}

#[test]
fn issued_token_has_the_at_jwt_header_and_a_ulid_jti_of_its_issue_time() {
    let issued = hs256_service().issue_at(&context(), NOW).unwrap();
    let header = issued.token.split('.').next().unwrap();
    let header =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap();
    assert_eq!(
        String::from_utf8(header).unwrap(),
        format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{HS_KID}"}}"#)
    );
    let jti = issued.claims.jti.unwrap();
    let ulid = ulid::Ulid::from_string(&jti).expect("jti is a ULID");
    assert_eq!(
        ulid.timestamp_ms() / 1000,
        NOW,
        "its time is the token's iat"
    );
    assert_ne!(
        Some(jti),
        hs256_service()
            .issue_at(&context(), NOW)
            .unwrap()
            .claims
            .jti
    );
}

#[test]
fn cache_hit_still_rejects_once_expired() {
    let mut config = config();
    config.cache_capacity = 100;
    let tokens = service(KeySet::new(hs256_key()).unwrap(), config);
    let issued = tokens.issue_at(&context(), NOW).unwrap();
    let first = tokens.verify_at(&issued.token, NOW).unwrap();
    let second = tokens.verify_at(&issued.token, NOW + 1).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "second verification is a cache hit"
    );
    assert_eq!(
        tokens.verify_at(&issued.token, NOW + 900 + 30).err(),
        Some(TokenError::Expired)
    );
    assert_eq!(
        tokens.verify_at(&issued.token, NOW - 300).err(),
        Some(TokenError::NotYetValid)
    );
}

#[test]
fn leeway_above_sixty_seconds_is_refused() {
    let mut config = config();
    config.leeway = std::time::Duration::from_secs(61);
    assert!(
        auth_core::token::TokenService::new(KeySet::new(hs256_key()).unwrap(), config).is_err()
    );
}

// --- Medusa compatibility ---------------------------------------------------------

/// What Medusa's `jsonwebtoken` npm package mints.
fn medusa_token() -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let claims = json!({
        "actor_id": "cus_123",
        "actor_type": "customer",
        "auth_identity_id": "authid_123",
        "app_metadata": {"customer_id": "cus_123"},
        "iat": NOW,
        "exp": NOW + 86_400,
    });
    hs_token(&header, &claims)
}

#[test]
fn medusa_compat_accepts_a_medusa_token() {
    let claims = medusa_service().verify_at(&medusa_token(), NOW).unwrap();
    assert_eq!(claims.context(), context());
    assert_eq!(claims.jti, None);
}

#[test]
fn strict_profile_refuses_a_medusa_token() {
    assert_eq!(
        hs256_service().verify_at(&medusa_token(), NOW).err(),
        Some(TokenError::WrongType)
    );
}

#[test]
fn medusa_compat_still_checks_iss_and_aud_when_present() {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let wrong_iss = hs_token(&header, &claims_with("iss", json!("https://evil.test")));
    assert_eq!(
        medusa_service().verify_at(&wrong_iss, NOW).err(),
        Some(TokenError::WrongIssuer)
    );
    let wrong_aud = hs_token(&header, &claims_with("aud", json!("admin")));
    assert_eq!(
        medusa_service().verify_at(&wrong_aud, NOW).err(),
        Some(TokenError::WrongAudience)
    );
}

#[test]
fn medusa_compat_still_refuses_alg_confusion_and_expiry() {
    let header = json!({"alg": "none", "typ": "JWT"});
    assert_eq!(
        medusa_service()
            .verify_at(&hs_token(&header, &valid_claims()), NOW)
            .err(),
        Some(TokenError::AlgorithmMismatch)
    );
    assert_eq!(
        medusa_service()
            .verify_at(&medusa_token(), NOW + 86_400 + 30)
            .err(),
        Some(TokenError::Expired)
    );
}
