//! No value prints a token, API key, session id, password or secret through
//! `Debug`: debug output ends up in logs, traces and panic messages. Each test
//! builds a value holding known secrets, in every place a request can carry
//! them, and looks for them in `{:?}` and `{:#?}`.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod fixtures;

use std::collections::BTreeMap;
use std::fmt::Debug;

use auth_core::credentials::{Credentials, RequestHead, SessionCookie};
use auth_core::identity::ProviderIdentity;
use auth_core::provider::AuthenticationInput;
use auth_core::routes::AuthRequest;
use auth_core::secret::Secret;
use auth_core::store::testing::fixtures::{api_key, metadata, refresh_token, reset_token, session};
use auth_core::token::KeySet;
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::json;

const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.bearer-signature";
const SESSION_ID: &str = "ses_session-id-that-must-not-leak";
const API_KEY: &str = "sk_api-key-that-must-not-leak";
const PASSWORD: &str = "correct horse battery staple";
const OAUTH_CODE: &str = "oauth-code-that-must-not-leak";
const QUERY_TOKEN: &str = "query-token-that-must-not-leak";

/// Fails when `value`'s `Debug`, compact or pretty, contains any of `secrets`.
#[track_caller]
fn assert_hides(value: &impl Debug, secrets: &[&str]) {
    for printed in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(
                !printed.contains(secret),
                "`{secret}` is printed in:\n{printed}"
            );
        }
    }
}

/// Headers carrying every credential: a bearer token, and the session id in a
/// cookie between two others.
fn credential_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("bearer {BEARER}")).unwrap(),
    );
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("theme=dark; auth_session={SESSION_ID}; lang=en")).unwrap(),
    );
    headers.insert(header::USER_AGENT, HeaderValue::from_static("test"));
    headers
}

fn credential_query() -> String {
    format!("code={OAUTH_CODE}&access_token={QUERY_TOKEN}&state")
}

#[test]
fn auth_request_debug_shows_names_and_sizes_not_credentials_or_passwords() {
    let body = json!({ "email": "ada@example.com", "password": PASSWORD }).to_string();
    let mut request = AuthRequest::new(Method::POST, "/customer/emailpass")
        .with_query(credential_query())
        .with_body(body.clone());
    request.headers = credential_headers();
    request.url = format!("/customer/emailpass?{}", credential_query());

    assert_hides(
        &request,
        &[BEARER, SESSION_ID, PASSWORD, OAUTH_CODE, QUERY_TOKEN],
    );
    let printed = format!("{request:?}");
    for shown in [
        "POST",
        "/customer/emailpass",
        "\"authorization\"",
        "\"cookie\"",
        "\"code\"",
        "\"access_token\"",
        &format!("<redacted, {} bytes>", body.len()),
    ] {
        assert!(
            printed.contains(shown),
            "`{shown}` is missing from {printed}"
        );
    }
}

#[test]
fn request_head_debug_shows_header_and_query_names_only() {
    let headers = credential_headers();
    let query = credential_query();
    let head = RequestHead::new(&Method::GET, &headers, Some(&query));

    assert_hides(&head, &[BEARER, SESSION_ID, OAUTH_CODE, QUERY_TOKEN]);
    let printed = format!("{head:?}");
    assert!(printed.contains("\"authorization\"") && printed.contains("\"code\""));
}

#[test]
fn credentials_debug_shows_which_are_present_not_their_values() {
    let credentials = Credentials {
        bearer: Some(BEARER.into()),
        api_key: Some(API_KEY.into()),
        session: SessionCookie::One(SESSION_ID.into()),
    };
    assert_hides(&credentials, &[BEARER, API_KEY, SESSION_ID]);
    let several = SessionCookie::Several(vec![SESSION_ID.into(), API_KEY.into()]);
    assert_hides(&several, &[SESSION_ID, API_KEY]);
    let printed = format!("{credentials:?}");
    assert!(printed.contains(&format!("<redacted, {} bytes>", BEARER.len())));

    let parsed = Credentials::from_head(
        &RequestHead::new(&Method::GET, &credential_headers(), None),
        "auth_session",
    )
    .unwrap();
    assert_eq!(parsed.session.id().unwrap(), Some(SESSION_ID));
    assert_hides(&parsed, &[BEARER, SESSION_ID]);
    assert!(format!("{:?}", Credentials::default()).contains("bearer: None"));
}

#[test]
fn authentication_input_debug_shows_names_not_passwords_or_codes() {
    let input = AuthenticationInput {
        url: format!("/auth/customer/google/callback?{}", credential_query()),
        headers: credential_headers(),
        query: BTreeMap::from([
            ("code".to_owned(), OAUTH_CODE.to_owned()),
            ("access_token".to_owned(), QUERY_TOKEN.to_owned()),
        ]),
        body: json!({ "email": "ada@example.com", "password": PASSWORD,
                      "nested": { "password": PASSWORD } }),
    };
    assert_hides(
        &input,
        &[BEARER, SESSION_ID, PASSWORD, OAUTH_CODE, QUERY_TOKEN],
    );
    let printed = format!("{input:?}");
    assert!(printed.contains("/auth/customer/google/callback") && printed.contains("\"password\""));

    // A body that is not an object is not shown either.
    assert_hides(
        &AuthenticationInput::from_body(json!(PASSWORD)),
        &[PASSWORD],
    );
}

#[test]
fn generated_secrets_are_not_printed() {
    let secret = Secret::generate("ses_").unwrap();
    assert_hides(&secret, &[secret.as_str(), &secret.as_str()[4..]]);
}

#[test]
fn provider_identity_debug_hides_the_password_hash() {
    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$hash-that-must-not-leak";
    let mut login = ProviderIdentity::new("emailpass", "ada@example.com", "authid_a");
    login.provider_metadata = metadata(json!({ "password": HASH }));

    assert_hides(&login, &[HASH, "hash-that-must-not-leak"]);
    let printed = format!("{login:?}");
    assert!(printed.contains("ada@example.com") && printed.contains("\"password\""));
}

#[test]
fn store_records_do_not_print_secret_hashes() {
    const HASH: &str = "hash-of-a-secret-that-must-not-leak";
    assert_hides(&session(HASH, "authid_a"), &[HASH]);
    assert_hides(&reset_token(HASH, "authid_a"), &[HASH]);
    assert_hides(&refresh_token(HASH, "family-1", "authid_a"), &[HASH]);
    let key = api_key("apk_1", HASH);
    assert_hides(&key, &[HASH]);
    assert!(format!("{key:?}").contains(&key.redacted));
}

#[test]
fn issued_tokens_do_not_print_the_token() {
    let issued = fixtures::hs256_service()
        .issue(&fixtures::context())
        .unwrap();
    let signature = issued.token.rsplit('.').next().unwrap();
    assert_hides(&issued, &[&issued.token, signature]);
    assert!(format!("{issued:?}").contains(issued.claims.jti.as_deref().unwrap()));
}

#[test]
fn keys_and_token_services_do_not_print_key_material() {
    let secret = std::str::from_utf8(fixtures::HMAC_SECRET).unwrap();
    let secret_bytes = format!("{:?}", &fixtures::HMAC_SECRET[..4]);
    let secret_bytes = secret_bytes.trim_matches(['[', ']']);
    let hs256 = [secret, secret_bytes];

    assert_hides(&fixtures::hs256_key(), &hs256);
    assert_hides(&KeySet::new(fixtures::hs256_key()).unwrap(), &hs256);
    assert_hides(&fixtures::hs256_service(), &hs256);

    let pem = String::from_utf8(fixtures::key_file("rsa2048.pem")).unwrap();
    let private_line = pem.lines().nth(2).unwrap();
    assert_hides(&fixtures::rs256_service(), &[private_line]);
}
