//! The axum adapter, request by request, through `Router::oneshot`: what a
//! handler sees and what a client gets back.
#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

use auth_axum::{AuthLayer, AuthUser, auth_routes, jwks_route};
use auth_core::provider::EmailPass;
use auth_core::routes::MAX_BODY_BYTES;
use auth_core::{AuthContext, AuthError, AuthModule, RoutePolicy};
use axum::Router;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::routing::get;
use http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt as _;

// --- fixtures -------------------------------------------------------------

fn module_with_secret(secret: &[u8]) -> AuthModule {
    AuthModule::builder()
        .hs256(secret)
        .issuer("http://test")
        .audience("test")
        .provider(EmailPass::default())
        .build()
        .unwrap()
}

fn module() -> AuthModule {
    module_with_secret(b"a test secret that is long enough!")
}

fn customers() -> RoutePolicy {
    RoutePolicy::actor_types(["customer"])
}

async fn actor_id(caller: AuthUser) -> String {
    caller.actor_id.clone()
}

async fn greeting(caller: Option<AuthUser>) -> String {
    match caller {
        Some(caller) => format!("hello {}", caller.actor_id),
        None => "hello stranger".to_owned(),
    }
}

/// `/public` (no layer, no extractor), `/me` (customers), `/greeting` (customers
/// or anonymous, `Option<AuthUser>`), `/anonymous-me` (customers or anonymous,
/// but `AuthUser`), `/admin` (users), `/unguarded` (`AuthUser`, no layer), the
/// auth routes and the JWKS.
fn app(auth: &AuthModule) -> Router {
    let layer = |policy: RoutePolicy| AuthLayer::new(auth.clone(), policy);
    Router::new()
        .route("/public", get(|| async { "public" }))
        .route("/me", get(actor_id).route_layer(layer(customers())))
        .route(
            "/greeting",
            get(greeting).route_layer(layer(customers().allow_unauthenticated())),
        )
        .route(
            "/anonymous-me",
            get(actor_id).route_layer(layer(customers().allow_unauthenticated())),
        )
        .route(
            "/admin",
            get(actor_id).route_layer(layer(RoutePolicy::actor_types(["user"]))),
        )
        .route("/unguarded", get(actor_id))
        .route("/unguarded-optional", get(greeting))
        .nest_service("/auth", auth_routes(auth.clone()))
        .route("/.well-known/jwks.json", jwks_route(auth.clone()))
}

fn token(auth: &AuthModule, actor_type: &str, actor_id: &str) -> String {
    auth.access_tokens()
        .issue(&AuthContext {
            actor_id: actor_id.into(),
            actor_type: actor_type.into(),
            auth_identity_id: "authid_test".into(),
            app_metadata: Default::default(),
        })
        .unwrap()
}

fn get_with(uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn challenge(&self) -> &str {
        self.headers[header::WWW_AUTHENTICATE].to_str().unwrap()
    }
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

// --- the layer and the extractors ----------------------------------------

#[tokio::test]
async fn protected_route_without_credentials_is_401_with_bare_challenge() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/me", None)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge(), r#"Bearer realm="auth""#);
    assert_eq!(
        answer.json(),
        json!({"type": "unauthorized", "message": "Unauthorized"})
    );
}

#[tokio::test]
async fn valid_token_reaches_the_handler_as_auth_user() {
    let auth = module();
    let answer = send(
        &app(&auth),
        get_with("/me", Some(&token(&auth, "customer", "cus_1"))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "cus_1");
}

#[tokio::test]
async fn forged_token_is_401_invalid_token() {
    let auth = module();
    let forger = module_with_secret(b"another secret, also long enough!!");
    let forged = token(&forger, "customer", "cus_1");
    let answer = send(&app(&auth), get_with("/me", Some(&forged))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge(),
        r#"Bearer realm="auth", error="invalid_token""#
    );
}

#[tokio::test]
async fn refusals_are_auth_core_responses_unchanged() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/me", Some("not.a.token"))).await;
    let expected = auth.error_response(&AuthError::InvalidToken);
    assert_eq!(answer.status, expected.status());
    assert_eq!(answer.body, expected.body());
    // axum adds the framing header `content-length`; every other header is the core's.
    let mut headers = answer.headers.clone();
    assert_eq!(
        headers.remove(header::CONTENT_LENGTH).unwrap(),
        answer.body.len().to_string().as_str()
    );
    assert_eq!(&headers, expected.headers());
}

#[tokio::test]
async fn malformed_authorization_is_400_invalid_request() {
    let auth = module();
    let request = Request::get("/me")
        .header(header::AUTHORIZATION, "Bearer ")
        .body(Body::empty())
        .unwrap();
    let answer = send(&app(&auth), request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.challenge(),
        r#"Bearer realm="auth", error="invalid_request""#
    );
}

#[tokio::test]
async fn optional_route_lets_anonymous_callers_pass_as_none() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/greeting", None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "hello stranger");
}

#[tokio::test]
async fn optional_route_gives_some_for_a_valid_token() {
    let auth = module();
    let bearer = token(&auth, "customer", "cus_1");
    let answer = send(&app(&auth), get_with("/greeting", Some(&bearer))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "hello cus_1");
}

#[tokio::test]
async fn optional_route_still_refuses_an_invalid_token() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/greeting", Some("not.a.token"))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge(),
        r#"Bearer realm="auth", error="invalid_token""#
    );
}

#[tokio::test]
async fn required_auth_user_refuses_an_anonymous_caller_the_policy_admitted() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/anonymous-me", None)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge(), r#"Bearer realm="auth""#);
}

#[tokio::test]
async fn wrong_actor_type_is_403_insufficient_scope() {
    let auth = module();
    let answer = send(
        &app(&auth),
        get_with("/admin", Some(&token(&auth, "customer", "cus_1"))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge(),
        r#"Bearer realm="auth", error="insufficient_scope""#
    );
}

#[tokio::test]
async fn unregistered_identity_is_401_where_not_allowed() {
    let auth = module();
    let answer = send(
        &app(&auth),
        get_with("/me", Some(&token(&auth, "customer", ""))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn route_layer_keeps_404_for_unmatched_paths() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/no-such-route", None)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn route_layer_keeps_405_for_wrong_methods() {
    let auth = module();
    let answer = send(&app(&auth), post("/me", "")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn public_route_needs_no_layer() {
    let auth = module();
    let answer = send(&app(&auth), get_with("/public", None)).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn extractor_without_layer_is_500_not_401() {
    let auth = module();
    let bearer = token(&auth, "customer", "cus_1");
    for uri in ["/unguarded", "/unguarded-optional"] {
        for credentials in [None, Some(bearer.as_str())] {
            let answer = send(&app(&auth), get_with(uri, credentials)).await;
            assert_eq!(
                answer.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{uri} {credentials:?}"
            );
            assert_eq!(answer.json()["type"], "unexpected_state");
            assert!(answer.headers.get(header::WWW_AUTHENTICATE).is_none());
        }
    }
}

#[tokio::test]
async fn extractor_without_layer_names_the_missing_layer() {
    let (mut parts, ()) = Request::get("/unguarded").body(()).unwrap().into_parts();
    let rejection = AuthUser::from_request_parts(&mut parts, &())
        .await
        .unwrap_err();
    assert!(rejection.is_missing_guard());
    assert!(rejection.error().is_none());
    assert!(
        rejection.to_string().contains("without AuthLayer"),
        "{rejection}"
    );
    let optional = <Option<AuthUser>>::from_request_parts(&mut parts, &()).await;
    assert!(optional.unwrap_err().is_missing_guard());
}

// --- the auth routes --------------------------------------------------------

const CREDENTIALS: &str = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;

#[tokio::test]
async fn register_and_login_with_emailpass_through_the_router() {
    let auth = module();
    let app = app(&auth);

    let registered = send(&app, post("/auth/customer/emailpass/register", CREDENTIALS)).await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.text());
    assert_eq!(registered.headers[header::CACHE_CONTROL], "no-store");

    let logged_in = send(&app, post("/auth/customer/emailpass", CREDENTIALS)).await;
    assert_eq!(logged_in.status, StatusCode::OK, "{}", logged_in.text());
    let token = logged_in.json()["token"].as_str().unwrap().to_owned();
    let caller = auth.verify_bearer(&token).await.unwrap();
    assert_eq!(caller.actor_type, "customer");
    assert_eq!(caller.actor_id, "");

    let wrong = r#"{"email":"ada@example.com","password":"not the password"}"#;
    let refused = send(&app, post("/auth/customer/emailpass", wrong)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["message"], "Invalid email or password");
}

#[tokio::test]
async fn mount_point_itself_answers_auth_core_404() {
    let auth = module();
    for uri in ["/auth", "/auth/", "/auth/a/b/c/d"] {
        let answer = send(&app(&auth), post(uri, "")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            answer.json(),
            json!({"type": "not_found", "message": "Route not found"}),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn wrong_method_on_an_auth_route_is_auth_core_405() {
    let auth = module();
    let answer = send(
        &app(&auth),
        get_with("/auth/customer/emailpass/register", None),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["type"], "not_allowed");
}

#[tokio::test]
async fn oversized_body_is_400_invalid_data() {
    let auth = module();
    let body = format!(
        r#"{{"email":"ada@example.com","password":"{}"}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    let answer = send(&app(&auth), post("/auth/customer/emailpass", body)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json(),
        json!({"type": "invalid_data", "message": "Request body is too large"})
    );
}

#[tokio::test]
async fn refresh_reads_the_bearer_token_through_the_router() {
    let auth = module();
    let app = app(&auth);
    let refused = send(&app, post("/auth/token/refresh", "")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.challenge(), r#"Bearer realm="auth""#);
}

#[tokio::test]
async fn jwks_route_serves_the_key_set_and_refuses_other_methods() {
    let auth = module();
    let app = app(&auth);
    let answer = send(&app, get_with("/.well-known/jwks.json", None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, auth.jwks_response().body());
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/.well-known/jwks.json")
        .body(Body::empty())
        .unwrap();
    let answer = send(&app, request).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["type"], "not_allowed");
    assert_eq!(answer.headers[header::ALLOW], "GET, HEAD");
}

#[tokio::test]
async fn jwks_head_is_the_get_answer_without_a_body() {
    let auth = module();
    let request = Request::head("/.well-known/jwks.json")
        .body(Body::empty())
        .unwrap();
    let answer = send(&app(&auth), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["cache-control"], "public, max-age=300");
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn debug_of_a_limited_body_shows_its_length_not_the_password() {
    use axum::extract::FromRequest as _;

    let body = auth_axum::LimitedBody::from_request(post("/any", CREDENTIALS), &())
        .await
        .unwrap();
    let printed = format!("{body:?} {body:#?}");
    assert!(!printed.contains("correct horse"), "{printed}");
    assert!(
        printed.contains(&format!("{} bytes", CREDENTIALS.len())),
        "{printed}"
    );
}
