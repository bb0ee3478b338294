//! The assembled module through its public API: the auth routes as neutral
//! handlers, route policies on neutral requests, and revocation on every check.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use std::sync::Arc;

use async_trait::async_trait;
use auth_core::credentials::RequestHead;
use auth_core::provider::{AuthProvider, AuthenticationInput, EmailPass, ProviderOutcome};
use auth_core::routes::AuthRequest;
use auth_core::store::{
    MemoryStore, ProviderStore, RevocationSnapshot, RevocationStore, StoreError,
};
use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
use auth_core::{AuthError, AuthModule, AuthModuleBuilder, BuildError, RoutePolicy};
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::{Value, json};

const BODY: &str = r#"{"email":"ada@example.com","password":"correct horse"}"#;

/// A redirect provider standing in for OAuth: login answers a location, the
/// callback authenticates whoever brings `code=good`.
struct FakeOAuth;

#[async_trait]
impl AuthProvider for FakeOAuth {
    fn id(&self) -> &str {
        "fake-oauth"
    }

    async fn authenticate(
        &self,
        _input: &AuthenticationInput,
        _store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        Ok(ProviderOutcome::Redirect {
            location: "https://idp.example/authorize?state=xyz".into(),
        })
    }

    async fn validate_callback(
        &self,
        input: &AuthenticationInput,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        if input.query.get("code").map(String::as_str) != Some("good") {
            return Ok(ProviderOutcome::Failed("No code provided".into()));
        }
        let identity = match store.find("subject-1").await? {
            Some((_, identity)) => identity,
            None => {
                store
                    .create("subject-1", Default::default(), Default::default())
                    .await?
                    .1
            }
        };
        Ok(ProviderOutcome::Authenticated(identity))
    }
}

struct Fixture {
    auth: AuthModule,
    store: Arc<MemoryStore>,
}

const SECRET: &[u8] = b"module test secret, long enough!!";

/// A module with the test's key, issuer and audience, before its stores.
fn builder() -> AuthModuleBuilder {
    AuthModule::builder()
        .hs256(SECRET)
        .issuer("http://test")
        .audience("test")
}

fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let auth = builder()
        .identities(store.clone())
        .revocations(store.clone())
        .provider(EmailPass::default())
        .provider(FakeOAuth)
        .providers_for("user", ["emailpass"])
        .realm("test")
        .build()
        .unwrap();
    Fixture { auth, store }
}

async fn call(auth: &AuthModule, request: AuthRequest) -> (u16, Value) {
    let response = auth.handle(request).await;
    let body = serde_json::from_slice(response.body()).unwrap();
    (response.status().as_u16(), body)
}

async fn register(auth: &AuthModule) -> String {
    let (status, body) = call(
        auth,
        AuthRequest::new(Method::POST, "/customer/emailpass/register").with_body(BODY),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

#[tokio::test(flavor = "multi_thread")]
async fn registration_token_verifies_as_an_unregistered_customer() {
    let Fixture { auth, .. } = fixture();
    let token = register(&auth).await;
    let caller = auth.verify_bearer(&token).await.unwrap();
    assert_eq!(caller.actor_type, "customer");
    assert!(caller.is_unregistered());
    assert!(caller.token_id.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_reflects_an_actor_linked_after_registration() {
    let Fixture { auth, .. } = fixture();
    let token = register(&auth).await;
    let caller = auth.verify_bearer(&token).await.unwrap();
    auth.service()
        .identities()
        .link_actor(&caller.auth_identity_id, "customer", "cus_1")
        .await
        .unwrap();
    let mut request = AuthRequest::new(Method::POST, "/token/refresh");
    request.headers = bearer(&token);
    let (status, body) = call(&auth, request).await;
    assert_eq!(status, 200);
    let refreshed = auth
        .verify_bearer(body["token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.actor_id, "cus_1");
    assert_eq!(refreshed.app_metadata["customer_id"], "cus_1");
}

#[tokio::test(flavor = "multi_thread")]
async fn deny_listed_jti_is_refused_on_the_next_request() {
    let Fixture { auth, .. } = fixture();
    let token = register(&auth).await;
    let caller = auth.verify_bearer(&token).await.unwrap();
    auth.revocations()
        .revoke_token(
            caller.token_id.as_deref().unwrap(),
            caller.expires_at.unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        auth.verify_bearer(&token).await,
        Err(AuthError::InvalidToken)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_wide_revocation_refuses_earlier_tokens() {
    let Fixture { auth, .. } = fixture();
    let token = register(&auth).await;
    let caller = auth.verify_bearer(&token).await.unwrap();
    // The cut-off is in milliseconds: be sure it falls after the login began.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    auth.revocations()
        .revoke_identity_tokens(&caller.auth_identity_id)
        .await
        .unwrap();
    assert_eq!(
        auth.verify_bearer(&token).await,
        Err(AuthError::InvalidToken)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn actor_type_restricted_to_other_providers_is_not_allowed() {
    let Fixture { auth, .. } = fixture();
    let (status, body) = call(&auth, AuthRequest::new(Method::POST, "/user/fake-oauth")).await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "not_allowed");
    assert_eq!(
        body["message"],
        "The actor type user is not allowed to use the auth provider fake-oauth."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_provider_answers_a_location_and_its_callback_a_token() {
    let Fixture { auth, .. } = fixture();
    let (status, body) = call(&auth, AuthRequest::new(Method::GET, "/customer/fake-oauth")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"location": "https://idp.example/authorize?state=xyz"})
    );

    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::GET, "/customer/fake-oauth/callback").with_query("state=xyz"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "No code provided");

    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::GET, "/customer/fake-oauth/callback")
            .with_query("code=good&state=xyz"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        auth.verify_bearer(body["token"].as_str().unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_without_registration_say_so() {
    let Fixture { auth, .. } = fixture();
    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/fake-oauth/register"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["message"],
        "Provider fake-oauth does not support registration"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_token_is_refused_even_where_anonymous_callers_pass() {
    let Fixture { auth, .. } = fixture();
    let headers = bearer("not.a.token");
    let head = RequestHead::new(&Method::GET, &headers, None);
    let policy = RoutePolicy::any_actor().allow_unauthenticated();
    assert_eq!(
        auth.authorize(&policy, &head).await,
        Err(AuthError::InvalidToken)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_on_a_route_that_takes_no_bearer_is_insufficient_scope() {
    let Fixture { auth, .. } = fixture();
    let token = register(&auth).await;
    let headers = bearer(&token);
    let head = RequestHead::new(&Method::GET, &headers, None);
    let policy = RoutePolicy::any_actor()
        .allow_unregistered()
        .credentials([auth_core::CredentialKind::Session]);
    assert_eq!(
        auth.authorize(&policy, &head).await,
        Err(AuthError::InsufficientScope)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn error_responses_carry_the_configured_realm() {
    let Fixture { auth, .. } = fixture();
    let response = auth.error_response(&AuthError::InvalidToken);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="test", error="invalid_token""#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_of_a_registered_email_authenticates_and_wrong_password_fails() {
    let Fixture { auth, .. } = fixture();
    register(&auth).await;
    let (status, _) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/emailpass").with_body(BODY),
    )
    .await;
    assert_eq!(status, 200);
    let wrong = r#"{"email":"ada@example.com","password":"wrong horse"}"#;
    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/emailpass").with_body(wrong),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"type": "unauthorized", "message": "Invalid email or password"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_migrated_from_medusa_logs_in_and_is_rehashed_to_argon2id() {
    let Fixture { auth, store } = fixture();
    let fixtures: Value =
        serde_json::from_str(include_str!("fixtures/scrypt/medusa_scrypt_kdf.json")).unwrap();
    let medusa = &fixtures["fixtures"][0];
    let (password, hash) = (
        medusa["password"].as_str().unwrap(),
        medusa["hash"].as_str().unwrap(),
    );
    // The rows a Medusa backend left behind, as ProviderStore would find them.
    let provider = ProviderStore::new("emailpass", store.clone());
    let metadata = serde_json::Map::from_iter([("password".to_owned(), json!(hash))]);
    provider
        .create("migrated@example.com", metadata, Default::default())
        .await
        .unwrap();

    let body = json!({"email": "migrated@example.com", "password": password}).to_string();
    let (status, _) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/emailpass").with_body(body.clone()),
    )
    .await;
    assert_eq!(status, 200);
    let (login, _) = provider
        .find("migrated@example.com")
        .await
        .unwrap()
        .unwrap();
    let stored = login.provider_metadata["password"].as_str().unwrap();
    assert!(
        stored.starts_with("$argon2id$"),
        "rehashed, got {stored:.12}"
    );
    // The new hash verifies the same password; a wrong one still fails.
    let (status, _) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/emailpass").with_body(body),
    )
    .await;
    assert_eq!(status, 200);
    let wrong = json!({"email": "migrated@example.com", "password": "not it at all"}).to_string();
    let (status, _) = call(
        &auth,
        AuthRequest::new(Method::POST, "/customer/emailpass").with_body(wrong),
    )
    .await;
    assert_eq!(status, 401);
}

/// A revocation store whose backing service is down.
struct UnreachableRevocations;

#[async_trait]
impl RevocationStore for UnreachableRevocations {
    async fn revoke_token(&self, _jti: &str, _expires_at: u64) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn is_token_revoked(&self, _jti: &str) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn revoke_identity_tokens(&self, _id: &str, _before_ms: u64) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn tokens_valid_after(&self, _id: &str) -> Result<Option<u64>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn live_revocations(&self, _now: u64) -> Result<RevocationSnapshot, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_revocation_store_fails_closed_with_503() {
    let Fixture {
        auth: working,
        store,
    } = fixture();
    let token = register(&working).await;
    let broken = builder()
        .identities(store)
        .revocations(UnreachableRevocations)
        .build()
        .unwrap();
    // A valid token must not pass unchecked when revocation cannot be checked.
    let headers = bearer(&token);
    let head = RequestHead::new(&Method::GET, &headers, None);
    let policy = RoutePolicy::any_actor()
        .allow_unregistered()
        .allow_unauthenticated();
    let refused = broken.authorize(&policy, &head).await.unwrap_err();
    assert_eq!(refused, AuthError::Unavailable);
    let response = broken.error_response(&refused);
    assert_eq!(response.status(), 503);
    assert!(!String::from_utf8_lossy(response.body()).contains("connection refused"));
    // Anonymous callers on an open route do not need the store and still pass.
    let empty = HeaderMap::new();
    let anonymous = RequestHead::new(&Method::GET, &empty, None);
    assert_eq!(broken.authorize(&policy, &anonymous).await, Ok(None));
}

#[test]
fn build_names_what_is_missing_instead_of_panicking() {
    let error = |builder: AuthModuleBuilder| builder.build().err().unwrap().to_string();
    assert!(error(AuthModule::builder().issuer("i").audience("a")).contains(".hs256(secret)"));
    assert!(error(AuthModule::builder().hs256(SECRET).audience("a")).contains(".issuer("));
    assert!(error(AuthModule::builder().hs256(SECRET).issuer("i")).contains(".audience("));
}

#[test]
fn build_refuses_a_weak_secret_and_a_key_set_twice() {
    let weak = AuthModule::builder()
        .hs256(b"short")
        .issuer("i")
        .audience("a")
        .build();
    assert!(matches!(weak, Err(BuildError::Tokens(_))));
    let twice = builder().hs256(SECRET).build();
    assert!(matches!(twice, Err(BuildError::Conflict(_))));
    let out_of_range = builder()
        .token_config(TokenConfig::default().leeway(std::time::Duration::from_secs(61)))
        .build();
    assert!(matches!(out_of_range, Err(BuildError::Tokens(_))));
}

#[test]
fn a_hand_built_token_service_carries_its_own_issuer() {
    let key = Key::hmac("k1", Algorithm::HS256, SECRET).unwrap();
    let tokens = TokenService::new(
        KeySet::new(key).unwrap(),
        TokenConfig::new("http://test", "test"),
    )
    .unwrap();
    assert!(AuthModule::builder().tokens(tokens.clone()).build().is_ok());
    let both = AuthModule::builder().tokens(tokens).issuer("http://other");
    assert!(matches!(both.build(), Err(BuildError::Conflict(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_provider_is_named_only_when_it_exists() {
    let Fixture { auth, .. } = fixture();
    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::POST, "/user/fake-oauth").with_body(BODY),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "The actor type user is not allowed to use the auth provider fake-oauth."
    );
    let (status, body) = call(
        &auth,
        AuthRequest::new(Method::POST, "/user/nosuch-provider").with_body(BODY),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["type"], "not_allowed");
    assert!(
        !body["message"].as_str().unwrap().contains("nosuch"),
        "the path segment is echoed: {body}"
    );
}
