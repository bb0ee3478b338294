//! `Auth::user` and `Auth::optional` on a small app, through `recover`.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

mod common;

use auth_core::RoutePolicy;
use auth_warp::{Auth, AuthUser};
use common::{auth, auth_with_secret, json, register};
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

/// `Bearer <token>`
fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn customers() -> RoutePolicy {
    RoutePolicy::actor_types(["customer"]).allow_unregistered()
}

/// `GET /me` (customers), `GET /admin` (users), `GET /whoami` (anyone),
/// `POST /items` (customers), the auth routes, and `recover`.
fn app(auth: &Auth) -> BoxedFilter<(warp::reply::Response,)> {
    let me = warp::path!("me")
        .and(warp::get())
        .and(auth.user(customers()))
        .map(|user: AuthUser| user.auth_identity_id.clone());
    let admin = warp::path!("admin")
        .and(warp::get())
        .and(auth.user(RoutePolicy::actor_types(["user"]).allow_unregistered()))
        .map(|user: AuthUser| user.auth_identity_id.clone());
    let whoami = warp::path!("whoami")
        .and(warp::get())
        .and(auth.optional(customers().allow_unauthenticated()))
        .map(|user: Option<AuthUser>| match user {
            Some(user) => format!("{} {}", user.actor_type, user.auth_identity_id),
            None => "anonymous".to_owned(),
        });
    let items = warp::path!("items")
        .and(warp::post())
        .and(auth.user(customers()))
        .map(|_: AuthUser| "created".to_owned());
    auth.routes()
        .map(Reply::into_response)
        .or(me
            .or(admin)
            .unify()
            .or(whoami)
            .unify()
            .or(items)
            .unify()
            .map(Reply::into_response))
        .unify()
        .recover(auth_warp::recover)
        .map(Reply::into_response)
        .boxed()
}

#[tokio::test]
async fn protected_route_without_credentials_is_401_with_bare_challenge() {
    let response = warp::test::request().path("/me").reply(&app(&auth())).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="auth""#
    );
    assert_eq!(json(&response)["type"], "unauthorized");
}

#[tokio::test]
async fn forged_token_is_401_invalid_token() {
    let forged = register(
        &auth_with_secret(b"another secret, also long enough!"),
        "customer",
        "a@example.com",
    )
    .await;
    let response = warp::test::request()
        .path("/me")
        .header("authorization", bearer(&forged))
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="auth", error="invalid_token""#
    );
    assert_eq!(
        json(&response),
        serde_json::json!({"type": "unauthorized", "message": "Unauthorized"})
    );
}

#[tokio::test]
async fn valid_token_reaches_the_handler_as_auth_user() {
    let auth = auth();
    let token = register(&auth, "customer", "a@example.com").await;
    let response = warp::test::request()
        .path("/me")
        .header("authorization", bearer(&token))
        .reply(&app(&auth))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.body().starts_with(b"authid_"));
}

#[tokio::test]
async fn optional_route_passes_anonymous_callers_with_none() {
    let response = warp::test::request()
        .path("/whoami")
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), "anonymous");
}

#[tokio::test]
async fn optional_route_passes_a_valid_caller_with_some() {
    let auth = auth();
    let token = register(&auth, "customer", "a@example.com").await;
    let response = warp::test::request()
        .path("/whoami")
        .header("authorization", bearer(&token))
        .reply(&app(&auth))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.body().starts_with(b"customer authid_"));
}

#[tokio::test]
async fn optional_route_still_refuses_an_invalid_token() {
    let response = warp::test::request()
        .path("/whoami")
        .header("authorization", "Bearer not.a.token")
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="auth", error="invalid_token""#
    );
}

#[tokio::test]
async fn malformed_authorization_is_400_invalid_request() {
    let response = warp::test::request()
        .path("/whoami")
        .header("authorization", "Bearer ")
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="auth", error="invalid_request""#
    );
}

#[tokio::test]
async fn wrong_actor_type_is_403_insufficient_scope() {
    let auth = auth();
    let token = register(&auth, "customer", "a@example.com").await;
    let response = warp::test::request()
        .path("/admin")
        .header("authorization", bearer(&token))
        .reply(&app(&auth))
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="auth", error="insufficient_scope""#
    );
}

#[tokio::test]
async fn auth_failure_does_not_mask_the_404_of_an_unknown_path() {
    let response = warp::test::request()
        .path("/nowhere")
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        json(&response),
        serde_json::json!({"type": "not_found", "message": "Route not found"})
    );
}

#[tokio::test]
async fn auth_failure_does_not_mask_the_405_of_a_wrong_method() {
    // `/items` is POST only, `/me` GET only: neither branch may answer 401.
    for (method, path) in [("GET", "/items"), ("DELETE", "/me")] {
        let response = warp::test::request()
            .method(method)
            .path(path)
            .reply(&app(&auth()))
            .await;
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(json(&response)["type"], "not_allowed");
    }
}

#[tokio::test]
async fn token_in_the_query_is_400_even_on_optional_routes() {
    let response = warp::test::request()
        .path("/whoami?access_token=a.b.c")
        .reply(&app(&auth()))
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn rejections_recover_does_not_know_pass_through() {
    let app = warp::path!("needs-header")
        .and(warp::header::<String>("x-required"))
        .map(|value: String| value)
        .recover(auth_warp::recover);
    let response = warp::test::request()
        .path("/needs-header")
        .reply(&app)
        .await;
    assert_eq!(response.status(), 400);
    assert_ne!(response.headers()["content-type"], "application/json");
}
