//! The credential lifecycle through the core API: sessions, logout that
//! revokes, password reset, rotating refresh tokens, API keys, throttling.
//! Each test tries to break the rule it names.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auth_core::clock::TestClock;
use auth_core::credentials::RequestHead;
use auth_core::identity::CredentialKind;
use auth_core::provider::EmailPass;
use auth_core::refresh::RefreshSettings;
use auth_core::reset::{PasswordReset, ResetNotifier};
use auth_core::routes::AuthRequest;
use auth_core::session::SessionSettings;
use auth_core::store::MemoryStore;
use auth_core::throttle::ThrottleSettings;
use auth_core::token::TokenConfig;
use auth_core::{AuthError, AuthModule, AuthModuleBuilder, RoutePolicy};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, header};
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse";

/// Keeps every reset it is asked to send, like a test mail catcher.
#[derive(Clone, Default)]
struct Outbox(Arc<Mutex<Vec<PasswordReset>>>);

#[async_trait]
impl ResetNotifier for Outbox {
    async fn send(&self, reset: PasswordReset) {
        self.0.lock().unwrap().push(reset);
    }
}

impl Outbox {
    /// Waits for the reset sent to `identifier` (resets are sent after the answer).
    async fn token_for(&self, identifier: &str) -> String {
        self.token_other_than(identifier, None).await
    }

    /// Waits for the newest reset sent to `identifier` whose token is not `not`.
    async fn token_other_than(&self, identifier: &str, not: Option<&str>) -> String {
        for _ in 0..200 {
            if let Some(reset) = self
                .0
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|r| r.identifier == identifier && Some(r.token.as_str()) != not)
            {
                return reset.token.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no reset sent to {identifier}");
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

struct Fixture {
    auth: AuthModule,
    outbox: Outbox,
}

/// Throttle limits low enough to reach in a test.
fn test_throttle() -> ThrottleSettings {
    ThrottleSettings::default()
        .failures_per_identifier(3)
        .requests_per_address(6)
}

fn fixture_with(refresh: bool, throttle: bool) -> Fixture {
    fixture_configured(|builder| {
        builder
            .refresh(RefreshSettings::default().enabled(refresh))
            .throttle(test_throttle().enabled(throttle))
    })
}

fn fixture_configured(change: impl FnOnce(AuthModuleBuilder) -> AuthModuleBuilder) -> Fixture {
    let outbox = Outbox::default();
    let builder = AuthModule::builder()
        .hs256(b"lifecycle test secret, long enough")
        .issuer("http://test")
        .audience("test")
        .store(MemoryStore::new())
        .provider(EmailPass::default())
        .notifier(outbox.clone())
        .throttle(test_throttle());
    let auth = change(builder).build().unwrap();
    Fixture { auth, outbox }
}

fn fixture() -> Fixture {
    fixture_with(false, false)
}

fn json_body(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

fn credentials_body(password: &str) -> String {
    json!({"email": EMAIL, "password": password}).to_string()
}

async fn register_and_login(auth: &AuthModule) -> String {
    let registered = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass/register")
                .with_body(credentials_body(PASSWORD)),
        )
        .await;
    assert_eq!(registered.status(), 200);
    let caller = auth
        .verify_bearer(json_body(&registered)["token"].as_str().unwrap())
        .await
        .unwrap();
    auth.service()
        .identities()
        .link_actor(&caller.auth_identity_id, "customer", "cus_1")
        .await
        .unwrap();
    login(auth, PASSWORD).await
}

async fn login(auth: &AuthModule, password: &str) -> String {
    let response = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass")
                .with_body(credentials_body(password)),
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    json_body(&response)["token"].as_str().unwrap().to_owned()
}

fn bearer(token: &str) -> (header::HeaderName, HeaderValue) {
    (
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    )
}

fn cookie_of(response: &Response<Bytes>) -> String {
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    map
}

fn session_policy() -> RoutePolicy {
    RoutePolicy::actor_types(["customer"])
        .credentials([CredentialKind::Bearer, CredentialKind::Session])
}

async fn create_session(auth: &AuthModule, token: &str) -> Response<Bytes> {
    let (name, value) = bearer(token);
    auth.handle(AuthRequest::new(Method::POST, "/session").with_header(name, value))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_authenticates_and_logout_ends_it() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let created = create_session(&auth, &token).await;
    assert_eq!(created.status(), 200);
    assert_eq!(json_body(&created)["user"]["actor_id"], "cus_1");
    let set_cookie = created.headers()[header::SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"));
    let cookie = cookie_of(&created);

    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    let caller = auth
        .authorize(&session_policy(), &head)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(caller.credential, CredentialKind::Session);

    let logout = auth
        .handle(
            AuthRequest::new(Method::DELETE, "/session")
                .with_header(header::COOKIE, HeaderValue::from_str(&cookie).unwrap()),
        )
        .await;
    assert_eq!(logout.status(), 200);
    assert_eq!(json_body(&logout), json!({"success": true}));
    assert!(
        logout.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::InvalidSession)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_is_ignored_by_routes_that_do_not_accept_sessions() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    let bearer_only = RoutePolicy::actor_types(["customer"]);
    assert_eq!(
        auth.authorize(&bearer_only, &head).await,
        Err(AuthError::MissingCredentials)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_session_creation_issues_a_new_id_and_ends_the_old_one() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let first = cookie_of(&create_session(&auth, &token).await);
    let (name, value) = bearer(&token);
    let second_response = auth
        .handle(
            AuthRequest::new(Method::POST, "/session")
                .with_header(name, value)
                .with_header(header::COOKIE, HeaderValue::from_str(&first).unwrap()),
        )
        .await;
    let second = cookie_of(&second_response);
    assert_ne!(first, second);
    let old_headers = headers(&[(header::COOKIE, &first)]);
    let head = RequestHead::new(&Method::GET, &old_headers, None);
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::InvalidSession)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_cookie_post_is_refused_but_bearer_post_is_not() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let cross = headers(&[
        (header::COOKIE, &cookie),
        (header::ORIGIN, "https://evil.example"),
        (header::HOST, "shop.example"),
    ]);
    let head = RequestHead::new(&Method::POST, &cross, None);
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::CrossSiteRequest)
    );
    let (name, value) = bearer(&token);
    let mut bearer_headers = headers(&[
        (header::ORIGIN, "https://evil.example"),
        (header::HOST, "shop.example"),
    ]);
    bearer_headers.insert(name, value);
    let head = RequestHead::new(&Method::POST, &bearer_headers, None);
    assert!(auth.authorize(&session_policy(), &head).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn session_and_bearer_of_different_identities_are_refused() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let other = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass/register")
                .with_body(json!({"email": "eve@example.com", "password": PASSWORD}).to_string()),
        )
        .await;
    let other_token = json_body(&other)["token"].as_str().unwrap().to_owned();
    let (name, value) = bearer(&other_token);
    let mut mixed = headers(&[(header::COOKIE, &cookie)]);
    mixed.insert(name, value);
    let head = RequestHead::new(&Method::GET, &mixed, None);
    let policy = session_policy().allow_unregistered();
    assert_eq!(
        auth.authorize(&policy, &head).await,
        Err(AuthError::InvalidRequest("Conflicting credentials"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_with_a_bearer_token_revokes_it() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    assert!(auth.verify_bearer(&token).await.is_ok());
    let (name, value) = bearer(&token);
    let logout = auth
        .handle(AuthRequest::new(Method::DELETE, "/session").with_header(name, value))
        .await;
    assert_eq!(logout.status(), 200);
    assert_eq!(
        auth.verify_bearer(&token).await,
        Err(AuthError::InvalidToken)
    );
    // A second logout with the revoked token is a 401, not a success.
    let (name, value) = bearer(&token);
    let again = auth
        .handle(AuthRequest::new(Method::DELETE, "/session").with_header(name, value))
        .await;
    assert_eq!(again.status(), 401);
}

async fn request_reset(auth: &AuthModule, identifier: &str) -> Response<Bytes> {
    auth.handle(
        AuthRequest::new(Method::POST, "/customer/emailpass/reset-password")
            .with_body(json!({"identifier": identifier}).to_string()),
    )
    .await
}

async fn update_password(
    auth: &AuthModule,
    path: &str,
    reset_token: &str,
    password: &str,
) -> Response<Bytes> {
    let (name, value) = bearer(reset_token);
    auth.handle(
        AuthRequest::new(Method::POST, path)
            .with_header(name, value)
            .with_body(json!({"password": password}).to_string()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_answers_201_for_known_and_unknown_identifiers_alike() {
    let Fixture { auth, outbox } = fixture();
    register_and_login(&auth).await;
    let known = request_reset(&auth, EMAIL).await;
    let unknown = request_reset(&auth, "nobody@example.com").await;
    assert_eq!(known.status(), 201);
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers(), unknown.headers());
    assert_eq!(known.body(), unknown.body());
    outbox.token_for(EMAIL).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(outbox.count(), 1, "only the known identifier gets a token");
    let bad = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass/reset-password")
                .with_body(r#"{"identifier": 5}"#),
        )
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_sets_the_password_and_revokes_every_earlier_credential() {
    let Fixture { auth, outbox } = fixture();
    let old_token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &old_token).await);
    request_reset(&auth, " ADA@example.com").await;
    let reset_token = outbox.token_for(EMAIL).await;
    assert!(reset_token.len() >= 40);

    let updated = update_password(
        &auth,
        "/customer/emailpass/update",
        &reset_token,
        "a brand new password",
    )
    .await;
    assert_eq!(updated.status(), 200, "{:?}", updated.body());
    assert_eq!(json_body(&updated), json!({"success": true}));

    assert_eq!(
        auth.verify_bearer(&old_token).await,
        Err(AuthError::InvalidToken)
    );
    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::InvalidSession)
    );

    let wrong = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass")
                .with_body(credentials_body(PASSWORD)),
        )
        .await;
    assert_eq!(wrong.status(), 401, "the old password no longer works");
    let fresh = login(&auth, "a brand new password").await;
    assert!(
        auth.verify_bearer(&fresh).await.is_ok(),
        "a login right after the reset is valid"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_token_is_single_use() {
    let Fixture { auth, outbox } = fixture();
    register_and_login(&auth).await;
    request_reset(&auth, EMAIL).await;
    let reset_token = outbox.token_for(EMAIL).await;
    let first = update_password(
        &auth,
        "/customer/emailpass/update",
        &reset_token,
        "first new password",
    )
    .await;
    assert_eq!(first.status(), 200);
    let replay = update_password(
        &auth,
        "/customer/emailpass/update",
        &reset_token,
        "second new password",
    )
    .await;
    assert_eq!(replay.status(), 401);
    assert_eq!(
        json_body(&replay),
        json!({"type": "unauthorized", "message": "Invalid token"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn newer_reset_request_supersedes_the_older_token() {
    let Fixture { auth, outbox } = fixture();
    register_and_login(&auth).await;
    request_reset(&auth, EMAIL).await;
    let older = outbox.token_for(EMAIL).await;
    request_reset(&auth, EMAIL).await;
    let newer = outbox.token_other_than(EMAIL, Some(&older)).await;
    assert_ne!(older, newer);
    let stale = update_password(
        &auth,
        "/customer/emailpass/update",
        &older,
        "some new password",
    )
    .await;
    assert_eq!(stale.status(), 401);
    let current = update_password(
        &auth,
        "/customer/emailpass/update",
        &newer,
        "some new password",
    )
    .await;
    assert_eq!(current.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_token_is_bound_to_its_actor_type_and_provider() {
    let Fixture { auth, outbox } = fixture();
    register_and_login(&auth).await;
    request_reset(&auth, EMAIL).await;
    let reset_token = outbox.token_for(EMAIL).await;
    let other_actor = update_password(
        &auth,
        "/user/emailpass/update",
        &reset_token,
        "some new password",
    )
    .await;
    assert_eq!(other_actor.status(), 401);
    // Consumed by the failed attempt: single use means any use.
    let retry = update_password(
        &auth,
        "/customer/emailpass/update",
        &reset_token,
        "some new password",
    )
    .await;
    assert_eq!(retry.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn access_token_cannot_be_used_as_reset_token() {
    let Fixture { auth, .. } = fixture();
    let access = register_and_login(&auth).await;
    let response = update_password(
        &auth,
        "/customer/emailpass/update",
        &access,
        "some new password",
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(json_body(&response)["message"], "Invalid token");
    let missing = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass/update")
                .with_body(r#"{"password":"some new password"}"#),
        )
        .await;
    assert_eq!(missing.status(), 401);
}

async fn login_with_refresh(auth: &AuthModule) -> (String, String) {
    register_and_login(auth).await;
    let response = auth
        .handle(
            AuthRequest::new(Method::POST, "/customer/emailpass")
                .with_body(credentials_body(PASSWORD)),
        )
        .await;
    let body = json_body(&response);
    (
        body["token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh_with(auth: &AuthModule, refresh_token: &str) -> Response<Bytes> {
    auth.handle(
        AuthRequest::new(Method::POST, "/token/refresh")
            .with_body(json!({"refresh_token": refresh_token}).to_string()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_token_rotates_and_yields_a_fresh_access_token() {
    let Fixture { auth, .. } = fixture_with(true, false);
    let (_, refresh_token) = login_with_refresh(&auth).await;
    let rotated = refresh_with(&auth, &refresh_token).await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(rotated.headers()[header::CACHE_CONTROL], "no-store");
    let body = json_body(&rotated);
    assert_ne!(body["refresh_token"], refresh_token.as_str());
    let caller = auth
        .verify_bearer(body["token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(caller.actor_id, "cus_1");
}

#[tokio::test(flavor = "multi_thread")]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let Fixture { auth, .. } = fixture_with(true, false);
    let (_, first) = login_with_refresh(&auth).await;
    let second = json_body(&refresh_with(&auth, &first).await)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let replay = refresh_with(&auth, &first).await;
    assert_eq!(replay.status(), 401);
    let after_theft = refresh_with(&auth, &second).await;
    assert_eq!(
        after_theft.status(),
        401,
        "the legitimate successor dies with its family"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_refreshes_with_one_token_succeed_at_most_once() {
    let Fixture { auth, .. } = fixture_with(true, false);
    let (_, refresh_token) = login_with_refresh(&auth).await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let auth = auth.clone();
            let refresh_token = refresh_token.clone();
            tokio::spawn(async move { refresh_with(&auth, &refresh_token).await.status().as_u16() })
        })
        .collect();
    let mut successes = 0;
    for attempt in attempts {
        if attempt.await.unwrap() == 200 {
            successes += 1;
        }
    }
    assert_eq!(successes, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn password_reset_revokes_refresh_tokens() {
    let Fixture { auth, outbox } = fixture_with(true, false);
    let (_, refresh_token) = login_with_refresh(&auth).await;
    request_reset(&auth, EMAIL).await;
    let reset_token = outbox.token_for(EMAIL).await;
    assert_eq!(
        update_password(
            &auth,
            "/customer/emailpass/update",
            &reset_token,
            "a new password!"
        )
        .await
        .status(),
        200
    );
    assert_eq!(refresh_with(&auth, &refresh_token).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_tokens_are_refused_when_disabled() {
    let Fixture { auth, .. } = fixture();
    let response = refresh_with(&auth, "rft_whatever").await;
    assert_eq!(response.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_is_accepted_only_where_listed_and_stops_when_revoked() {
    let Fixture { auth, .. } = fixture();
    let (record, secret) = auth.api_keys().create("user_1", "deploys").await.unwrap();
    let basic = format!("Basic {}", secret.as_str());
    let request_headers = headers(&[(header::AUTHORIZATION, &basic)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    let listed = RoutePolicy::actor_types(["user"])
        .credentials([CredentialKind::Bearer, CredentialKind::ApiKey]);
    let caller = auth.authorize(&listed, &head).await.unwrap().unwrap();
    assert_eq!(caller.credential, CredentialKind::ApiKey);
    assert_eq!(caller.actor_id, "user_1");
    let unlisted = RoutePolicy::actor_types(["user"]);
    assert_eq!(
        auth.authorize(&unlisted, &head).await,
        Err(AuthError::MissingCredentials)
    );
    auth.api_keys().revoke(&record.id).await.unwrap();
    assert_eq!(
        auth.authorize(&listed, &head).await,
        Err(AuthError::InvalidToken)
    );
    assert!(matches!(
        auth.api_keys().revoke("apk_unknown").await,
        Err(AuthError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_throttle_the_identifier_whether_or_not_it_exists() {
    let Fixture { auth, .. } = fixture_with(false, true);
    for email in [EMAIL, "nobody@example.com"] {
        let body = json!({"email": email, "password": "wrong password"}).to_string();
        for _ in 0..3 {
            let response = auth
                .handle(
                    AuthRequest::new(Method::POST, "/customer/emailpass").with_body(body.clone()),
                )
                .await;
            assert_eq!(response.status(), 401);
        }
        let throttled = auth
            .handle(AuthRequest::new(Method::POST, "/customer/emailpass").with_body(body))
            .await;
        assert_eq!(throttled.status(), 429, "{email}");
        let retry_after: u64 = throttled.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry_after));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_address_is_throttled_across_identifiers() {
    let Fixture { auth, .. } = fixture_with(false, true);
    let addr: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let mut statuses = Vec::new();
    for n in 0..7 {
        let body = json!({"email": format!("user{n}@example.com"), "password": "wrong password"})
            .to_string();
        let response = auth
            .handle(
                AuthRequest::new(Method::POST, "/customer/emailpass")
                    .with_body(body)
                    .with_client_addr(addr),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_session_is_refused_and_removed() {
    let Fixture { auth, .. } = fixture_configured(|builder| {
        builder.session(SessionSettings::default().idle_timeout(Duration::ZERO))
    });
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::InvalidSession)
    );
    let id_hash = auth_core::secret::hash_secret(cookie.split_once('=').unwrap().1);
    assert_eq!(
        auth.sessions().store().session(&id_hash).await.unwrap(),
        None,
        "expired sessions are deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_past_its_absolute_timeout_is_refused() {
    let Fixture { auth, .. } = fixture_configured(|builder| {
        builder.session(SessionSettings::default().absolute_timeout(Duration::ZERO))
    });
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    assert_eq!(
        auth.authorize(&session_policy(), &head).await,
        Err(AuthError::InvalidSession)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_session_cookie_is_cleared_in_the_response() {
    let Fixture { auth, .. } = fixture();
    let response = auth.error_response(&AuthError::InvalidSession);
    assert_eq!(response.status(), 401);
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.starts_with("__Host-auth_session=;") && set_cookie.contains("Max-Age=0"),
        "{set_cookie}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_reset_token_is_refused_and_the_password_kept() {
    let Fixture { auth, outbox } =
        fixture_configured(|builder| builder.reset_token_ttl(Duration::ZERO));
    register_and_login(&auth).await;
    request_reset(&auth, EMAIL).await;
    let reset_token = outbox.token_for(EMAIL).await;
    let response = update_password(
        &auth,
        "/customer/emailpass/update",
        &reset_token,
        "too late a password",
    )
    .await;
    assert_eq!(response.status(), 401);
    login(&auth, PASSWORD).await;
}

// Expiry on a test clock, with real durations: each limit is probed just
// before and just after it.

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A module reading `clock`, with the default settings except `change`.
fn fixture_at(
    clock: &TestClock,
    change: impl FnOnce(AuthModuleBuilder) -> AuthModuleBuilder,
) -> Fixture {
    let clock = clock.clone();
    fixture_configured(move |builder| change(builder.clock(clock)))
}

/// Whether the session `cookie` authenticates a `GET` now.
async fn session_works(auth: &AuthModule, cookie: &str) -> bool {
    let request_headers = headers(&[(header::COOKIE, cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    auth.authorize(&session_policy(), &head).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn session_idle_for_59_minutes_works_and_for_61_minutes_is_refused() {
    let clock = TestClock::default();
    let Fixture { auth, .. } = fixture_at(&clock, |builder| {
        builder.session(SessionSettings::default().idle_timeout(60 * MINUTE))
    });
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    clock.advance(59 * MINUTE);
    assert!(session_works(&auth, &cookie).await, "idle 59 minutes");
    clock.advance(59 * MINUTE);
    assert!(
        session_works(&auth, &cookie).await,
        "the last use restarts the idle clock"
    );
    clock.advance(61 * MINUTE);
    assert!(!session_works(&auth, &cookie).await, "idle 61 minutes");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_in_use_ends_at_its_absolute_timeout() {
    let clock = TestClock::default();
    let Fixture { auth, .. } = fixture_at(&clock, |builder| {
        builder.session(
            SessionSettings::default()
                .idle_timeout(60 * MINUTE)
                .absolute_timeout(120 * MINUTE),
        )
    });
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    for _ in 0..2 {
        clock.advance(59 * MINUTE);
        assert!(session_works(&auth, &cookie).await);
    }
    clock.advance(MINUTE);
    assert!(session_works(&auth, &cookie).await, "119 minutes old");
    clock.advance(2 * MINUTE);
    assert!(!session_works(&auth, &cookie).await, "121 minutes old");
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_token_works_for_29_minutes_and_is_refused_at_31() {
    let clock = TestClock::default();
    let Fixture { auth, outbox } = fixture_at(&clock, |builder| builder);
    register_and_login(&auth).await;
    let path = "/customer/emailpass/update";

    request_reset(&auth, EMAIL).await;
    let late = outbox.token_for(EMAIL).await;
    clock.advance(31 * MINUTE);
    let refused = update_password(&auth, path, &late, "too late a password").await;
    assert_eq!(refused.status(), 401);
    login(&auth, PASSWORD).await;

    request_reset(&auth, EMAIL).await;
    let in_time = outbox.token_other_than(EMAIL, Some(&late)).await;
    clock.advance(29 * MINUTE);
    let accepted = update_password(&auth, path, &in_time, "a new password!").await;
    assert_eq!(accepted.status(), 200);
    login(&auth, "a new password!").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_token_unused_past_its_idle_timeout_is_refused() {
    let clock = TestClock::default();
    let Fixture { auth, .. } = fixture_at(&clock, |builder| {
        builder.refresh(RefreshSettings::default().enabled(true))
    });
    let (_, first) = login_with_refresh(&auth).await;
    clock.advance(13 * DAY);
    let rotated = refresh_with(&auth, &first).await;
    assert_eq!(rotated.status(), 200, "unused for 13 of 14 days");
    let second = json_body(&rotated)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    clock.advance(15 * DAY);
    assert_eq!(
        refresh_with(&auth, &second).await.status(),
        401,
        "unused for 15 days"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_family_in_use_ends_at_its_absolute_timeout() {
    let clock = TestClock::default();
    let Fixture { auth, .. } = fixture_at(&clock, |builder| {
        builder.refresh(RefreshSettings::default().enabled(true))
    });
    let (_, mut current) = login_with_refresh(&auth).await;
    for _ in 0..3 {
        clock.advance(9 * DAY + 23 * 60 * MINUTE);
        let rotated = refresh_with(&auth, &current).await;
        assert_eq!(rotated.status(), 200, "a family younger than 30 days");
        let body = json_body(&rotated);
        assert!(
            auth.verify_bearer(body["token"].as_str().unwrap())
                .await
                .is_ok()
        );
        current = body["refresh_token"].as_str().unwrap().to_owned();
    }
    clock.advance(DAY);
    assert_eq!(
        refresh_with(&auth, &current).await.status(),
        401,
        "a family of 30 days and 21 hours"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_token_works_until_its_ttl_and_leeway_have_passed() {
    let clock = TestClock::default();
    let Fixture { auth, .. } = fixture_at(&clock, |builder| {
        builder.token_config(
            TokenConfig::default()
                .ttl(15 * MINUTE)
                .leeway(Duration::from_secs(30)),
        )
    });
    let token = register_and_login(&auth).await;
    clock.advance(15 * MINUTE + Duration::from_secs(29));
    assert!(auth.verify_bearer(&token).await.is_ok(), "15 min 29 s old");
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        auth.verify_bearer(&token).await,
        Err(AuthError::InvalidToken),
        "15 min 31 s old"
    );
}

/// A revocation store that fails every call while `down` is set.
struct FlakyRevocations {
    inner: Arc<MemoryStore>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl FlakyRevocations {
    fn check(&self) -> Result<(), auth_core::store::StoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(auth_core::store::StoreError::Unavailable(
                "revocations down".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl auth_core::store::RevocationStore for FlakyRevocations {
    async fn revoke_token(
        &self,
        jti: &str,
        expires_at: u64,
    ) -> Result<(), auth_core::store::StoreError> {
        self.check()?;
        self.inner.revoke_token(jti, expires_at).await
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool, auth_core::store::StoreError> {
        self.check()?;
        self.inner.is_token_revoked(jti).await
    }

    async fn revoke_identity_tokens(
        &self,
        auth_identity_id: &str,
        issued_before_ms: u64,
    ) -> Result<(), auth_core::store::StoreError> {
        self.check()?;
        self.inner
            .revoke_identity_tokens(auth_identity_id, issued_before_ms)
            .await
    }

    async fn tokens_valid_after(
        &self,
        auth_identity_id: &str,
    ) -> Result<Option<u64>, auth_core::store::StoreError> {
        self.check()?;
        self.inner.tokens_valid_after(auth_identity_id).await
    }

    async fn live_revocations(
        &self,
        now: u64,
    ) -> Result<auth_core::store::RevocationSnapshot, auth_core::store::StoreError> {
        self.check()?;
        self.inner.live_revocations(now).await
    }
}

/// Two modules on one store, the second started while the revocation store
/// is down: its view cannot load, so a session check is `503` (the session
/// is kept), and the same cookie passes once the store is back.
#[tokio::test(flavor = "multi_thread")]
async fn revocation_store_error_in_a_session_check_is_503_and_keeps_the_session() {
    let store = Arc::new(MemoryStore::new());
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let module = || {
        let revocations = FlakyRevocations {
            inner: Arc::clone(&store),
            down: Arc::clone(&down),
        };
        let store = Arc::clone(&store);
        fixture_configured(move |builder| builder.store(store).revocations(revocations)).auth
    };
    let first = module();
    let token = register_and_login(&first).await;
    let cookie = cookie_of(&create_session(&first, &token).await);
    let request_headers = headers(&[(header::COOKIE, &cookie)]);
    let head = RequestHead::new(&Method::GET, &request_headers, None);
    down.store(true, std::sync::atomic::Ordering::SeqCst);
    let restarted = module();
    assert_eq!(
        restarted.authorize(&session_policy(), &head).await,
        Err(AuthError::Unavailable)
    );
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(restarted.authorize(&session_policy(), &head).await.is_ok());
}

/// Revocation checks read the in-memory view: once it is loaded, a store
/// that stops answering changes no verdict, and a revocation written by
/// this module is in force the moment the write returns.
#[tokio::test(flavor = "multi_thread")]
async fn checks_read_the_loaded_view_and_own_writes_land_in_it_at_once() {
    let store = Arc::new(MemoryStore::new());
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let revocations = FlakyRevocations {
        inner: Arc::clone(&store),
        down: Arc::clone(&down),
    };
    let Fixture { auth, .. } =
        fixture_configured(|builder| builder.store(Arc::clone(&store)).revocations(revocations));
    let kept = register_and_login(&auth).await;
    let ended = login(&auth, PASSWORD).await;
    let (name, value) = bearer(&ended);
    let logout = auth
        .handle(AuthRequest::new(Method::DELETE, "/session").with_header(name, value))
        .await;
    assert_eq!(logout.status(), 200);
    down.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        auth.verify_bearer(&kept).await.is_ok(),
        "a live token is refused"
    );
    assert_eq!(
        auth.verify_bearer(&ended).await,
        Err(AuthError::InvalidToken),
        "a logged-out token passes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_logout_ends_the_sessions_made_from_its_login() {
    let Fixture { auth, .. } = fixture();
    let token = register_and_login(&auth).await;
    let cookie = cookie_of(&create_session(&auth, &token).await);
    let other = login(&auth, PASSWORD).await;
    let other_cookie = cookie_of(&create_session(&auth, &other).await);
    let (name, value) = bearer(&token);
    let logout = auth
        .handle(AuthRequest::new(Method::DELETE, "/session").with_header(name, value))
        .await;
    assert_eq!(logout.status(), 200);
    for (cookie, expected) in [(cookie, false), (other_cookie, true)] {
        let request_headers = headers(&[(header::COOKIE, &cookie)]);
        let head = RequestHead::new(&Method::GET, &request_headers, None);
        let verdict = auth.authorize(&session_policy(), &head).await;
        assert_eq!(verdict.is_ok(), expected, "{verdict:?}");
    }
}
