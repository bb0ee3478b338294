//! What `AuthLayer` adds to a request: the same trivial handler reached
//! through `Router::oneshot` without auth, behind the layer with a valid HS256
//! bearer token (token cache on, the default, and off), and refused (a token
//! signed with another secret).
//!
//! `cargo bench -p auth-axum --bench layer -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use auth_axum::AuthLayer;
use auth_core::provider::EmailPass;
use auth_core::token::TokenConfig;
use auth_core::{AuthContext, AuthModule, RoutePolicy};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, StatusCode, header};
use tower::ServiceExt as _;

const SECRET: &[u8] = b"a bench secret that is long enough!";

/// A module like the adapter tests build, with the given token cache size.
fn module(secret: &[u8], cache_capacity: usize) -> AuthModule {
    AuthModule::builder()
        .hs256(secret)
        .issuer("http://bench")
        .audience("bench")
        .token_config(TokenConfig::default().cache_capacity(cache_capacity))
        .provider(EmailPass::default())
        .build()
        .unwrap()
}

fn token(auth: &AuthModule) -> String {
    let mut app_metadata = auth_core::identity::Metadata::new();
    app_metadata.insert("customer_id".into(), "cus_01HZX3".into());
    auth.access_tokens()
        .issue(&AuthContext {
            actor_id: "cus_01HZX3".into(),
            actor_type: "customer".into(),
            auth_identity_id: "authid_01HZX4".into(),
            app_metadata,
        })
        .unwrap()
}

async fn handler() -> &'static str {
    "ok"
}

/// `/open`: the handler alone; `/me`: the handler behind `AuthLayer` (customers).
fn app(auth: &AuthModule) -> Router {
    Router::new().route("/open", get(handler)).route(
        "/me",
        get(handler).route_layer(AuthLayer::new(
            auth.clone(),
            RoutePolicy::actor_types(["customer"]),
        )),
    )
}

/// One request through a clone of the router, body read to the end.
async fn send(app: &Router, uri: &str, bearer: Option<&str>) -> StatusCode {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    status
}

fn layer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The default capacity (10 000).
    let cached = module(
        SECRET,
        TokenConfig::new("http://bench", "bench").cache_capacity,
    );
    let uncached = module(SECRET, 0);
    let forger = module(b"another secret, also long enough!!", 0);
    let (cached_app, uncached_app) = (app(&cached), app(&uncached));
    let valid = token(&cached);
    let forged = token(&forger);
    eprintln!("bearer token length: {} bytes", valid.len());

    // Check every case once, outside the measurement.
    runtime.block_on(async {
        assert_eq!(send(&cached_app, "/open", None).await, StatusCode::OK);
        assert_eq!(send(&cached_app, "/me", Some(&valid)).await, StatusCode::OK);
        assert_eq!(
            send(&uncached_app, "/me", Some(&valid)).await,
            StatusCode::OK
        );
        assert_eq!(
            send(&uncached_app, "/me", Some(&forged)).await,
            StatusCode::UNAUTHORIZED
        );
    });

    let mut group = c.benchmark_group("axum");
    group.bench_function("no auth", |b| {
        b.iter(|| runtime.block_on(send(&cached_app, black_box("/open"), None)))
    });
    group.bench_function("AuthLayer, valid HS256 token, cache on", |b| {
        b.iter(|| runtime.block_on(send(&cached_app, "/me", Some(black_box(&valid)))))
    });
    group.bench_function("AuthLayer, valid HS256 token, cache off", |b| {
        b.iter(|| runtime.block_on(send(&uncached_app, "/me", Some(black_box(&valid)))))
    });
    group.bench_function("AuthLayer, invalid token (bad signature), refused", |b| {
        b.iter(|| runtime.block_on(send(&uncached_app, "/me", Some(black_box(&forged)))))
    });
    group.finish();
}

criterion_group!(benches, layer);
criterion_main!(benches);
