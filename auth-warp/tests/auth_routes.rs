//! `Auth::routes`: the auth routes of the HTTP contract served through warp.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

mod common;

use auth_core::routes::MAX_BODY_BYTES;
use common::{auth, credentials, json, register};
use warp::Filter;

#[tokio::test]
async fn register_then_login_issue_tokens() {
    let auth = auth();
    let registered = register(&auth, "customer", "ada@example.com").await;
    let response = warp::test::request()
        .method("POST")
        .path("/auth/customer/emailpass")
        .body(credentials("ada@example.com"))
        .reply(&auth.routes())
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token = json(&response)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(token.split('.').count(), 3);
    assert_ne!(token, registered);
}

#[tokio::test]
async fn wrong_password_is_401_with_the_core_message() {
    let auth = auth();
    register(&auth, "customer", "ada@example.com").await;
    let response = warp::test::request()
        .method("POST")
        .path("/auth/customer/emailpass")
        .body(r#"{"email":"ada@example.com","password":"wrong password"}"#)
        .reply(&auth.routes())
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(&response)["message"], "Invalid email or password");
}

#[tokio::test]
async fn bare_auth_paths_are_the_core_404() {
    let auth = auth();
    for path in ["/auth", "/auth/"] {
        let response = warp::test::request()
            .method("POST")
            .path(path)
            .reply(&auth.routes())
            .await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(json(&response)["type"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn wrong_method_on_an_auth_route_is_the_core_405() {
    let response = warp::test::request()
        .method("GET")
        .path("/auth/customer/emailpass/register")
        .reply(&auth().routes())
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(json(&response)["type"], "not_allowed");
}

#[tokio::test]
async fn oversized_body_is_refused_by_the_core_not_with_413() {
    let body = format!(r#"{{"email":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
    let response = warp::test::request()
        .method("POST")
        .path("/auth/customer/emailpass/register")
        .body(body)
        .reply(&auth().routes())
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        json(&response),
        serde_json::json!({"type": "invalid_data", "message": "Request body is too large"})
    );
}

#[tokio::test]
async fn jwks_is_served_at_the_well_known_path() {
    let response = warp::test::request()
        .path("/.well-known/jwks.json")
        .reply(&auth().routes())
        .await;
    assert_eq!(response.status(), 200);
    assert!(json(&response)["keys"].is_array());
}

#[tokio::test]
async fn other_paths_fall_through_to_the_next_route() {
    let app = auth()
        .routes()
        .map(warp::Reply::into_response)
        .or(warp::path!("health").map(|| warp::Reply::into_response("ok")))
        .unify();
    let response = warp::test::request().path("/health").reply(&app).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), "ok");
    let response = warp::test::request().path("/authority").reply(&app).await;
    assert_eq!(response.status(), 404);
}
