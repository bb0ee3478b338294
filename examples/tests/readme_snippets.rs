//! The README's "Protecting routes" snippets, compiled and run: each framework's
//! lines stand here exactly as the README prints them, and each protected route
//! refuses an anonymous caller and greets a customer by actor id.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

use auth_core::{AuthContext, AuthModule, RoutePolicy};

const SECRET: &str = "a README secret that is long enough!";

fn module() -> AuthModule {
    AuthModule::builder()
        .hs256(SECRET)
        .issuer("https://auth.example")
        .audience("store")
        .build()
        .unwrap()
}

/// A bearer token for a registered customer `cus_1`.
fn customer_token(auth: &AuthModule) -> String {
    let context = AuthContext {
        actor_id: "cus_1".into(),
        actor_type: "customer".into(),
        auth_identity_id: "authid_readme".into(),
        app_metadata: Default::default(),
    };
    auth.access_tokens().issue(&context).unwrap()
}

#[tokio::test]
async fn axum_snippet_protects_the_route() {
    use auth_axum::{AuthLayer, AuthUser, auth_routes};
    use axum::{Router, body::Body, routing::get};
    use tower::ServiceExt as _;

    let auth = module();
    let token = customer_token(&auth);
    // README, axum:
    let guard = AuthLayer::new(auth.clone(), RoutePolicy::actor_types(["customer"]));
    let me = get(|user: AuthUser| async move { user.actor_id.clone() });
    let app = Router::new()
        .route("/me", me.route_layer(guard))
        .nest_service("/auth", auth_routes(auth));

    let anonymous = http::Request::get("/me").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(anonymous).await.unwrap().status(), 401);
    let request = http::Request::get("/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"cus_1");
}

#[actix_web::test]
async fn actix_snippet_protects_the_route() {
    use actix_web::{App, test, web};
    use auth_actix::{AuthUser, RequireAuth, configure};

    let auth = module();
    let token = customer_token(&auth);
    // README, actix-web:
    let customers = RoutePolicy::actor_types(["customer"]);
    let me = web::get().to(|user: AuthUser| async move { user.actor_id.clone() });
    let app = App::new()
        .configure(configure(auth.clone()))
        .route("/me", me.wrap(RequireAuth::new(auth, customers)));

    let app = test::init_service(app).await;
    let anonymous = test::TestRequest::get().uri("/me").to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
    let request = test::TestRequest::get()
        .uri("/me")
        .insert_header(("authorization", format!("Bearer {token}")))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(&test::read_body(response).await[..], b"cus_1");
}

#[tokio::test]
async fn warp_snippet_protects_the_route() {
    use auth_warp::{Auth, AuthUser, recover};
    use warp::Filter as _;

    let module = module();
    let token = customer_token(&module);
    // README, warp:
    let auth = Auth::new(module);
    let customers = RoutePolicy::actor_types(["customer"]);
    let me = warp::path!("me").and(warp::get()).and(auth.user(customers));
    let me = me.map(|user: AuthUser| user.actor_id.clone());
    let app = auth.routes().or(me).recover(recover);

    let anonymous = warp::test::request().path("/me").reply(&app).await;
    assert_eq!(anonymous.status(), 401);
    let response = warp::test::request()
        .path("/me")
        .header("authorization", format!("Bearer {token}"))
        .reply(&app)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(&response.body()[..], b"cus_1");
}
