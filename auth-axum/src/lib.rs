//! # auth-axum
//!
//! The [axum] 0.8 adapter of `auth-core`: a tower layer that evaluates a route's
//! [`RoutePolicy`](auth_core::RoutePolicy), the [`AuthUser`] extractor that hands
//! the verified caller to a handler, and the auth routes of the HTTP contract as
//! a router. Every decision (tokens, expiry, actor types, status codes, error
//! bodies) is `auth-core`'s; this crate only translates requests and responses.
//!
//! ```
//! use auth_axum::{AuthLayer, AuthUser, auth_routes, jwks_route};
//! use auth_core::{AuthModule, RoutePolicy};
//! use axum::Router;
//! use axum::body::Body;
//! use axum::routing::get;
//! use http::{Request, StatusCode};
//! use tower::ServiceExt as _;
//!
//! // Anyone.
//! async fn health() -> &'static str {
//!     "ok"
//! }
//!
//! // Anyone; a customer is greeted by id. An invalid token is still a 401.
//! async fn greeting(caller: Option<AuthUser>) -> String {
//!     match caller {
//!         Some(caller) => format!("hello, {}", caller.actor_id),
//!         None => "hello, stranger".to_owned(),
//!     }
//! }
//!
//! // Customers only.
//! async fn me(caller: AuthUser) -> String {
//!     caller.auth_identity_id.clone()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let auth = AuthModule::builder()
//!     .hs256(b"an example secret of 32+ bytes!!")
//!     .issuer("https://auth.example")
//!     .audience("store")
//!     .build()
//!     .unwrap();
//!
//! let customers = RoutePolicy::actor_types(["customer"]);
//! let app = Router::new()
//!     .route("/health", get(health))
//!     .route(
//!         "/greeting",
//!         get(greeting).route_layer(AuthLayer::new(auth.clone(), customers.clone().allow_unauthenticated())),
//!     )
//!     .route("/me", get(me).route_layer(AuthLayer::new(auth.clone(), customers)))
//!     .nest_service("/auth", auth_routes(auth.clone()))
//!     .route("/.well-known/jwks.json", jwks_route(auth));
//!
//! let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
//! let response = app.clone().oneshot(get("/greeting")).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! let response = app.clone().oneshot(get("/me")).await.unwrap();
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="auth""#);
//!
//! // To serve it:
//! // let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // axum::serve(listener, app).await?;
//! # }
//! ```
//!
//! ## How a request is checked
//!
//! The [`AuthLayer`] of a route (added with `route_layer`) evaluates the route's
//! policy with [`AuthModule::authorize`](auth_core::AuthModule::authorize) and
//! answers refusals itself: a handler behind it only runs for a request the
//! policy admits. It leaves the outcome in the request's extensions, where the
//! extractors read it:
//!
//! | request | `AuthUser` | `Option<AuthUser>` |
//! |---|---|---|
//! | valid credentials the policy admits | the caller | `Some(caller)` |
//! | no credentials, policy allows anonymous callers | `401`, bare challenge | `None` |
//! | no credentials, policy requires a caller | the layer answers `401` | the layer answers `401` |
//! | invalid, expired or forged token | the layer answers `401 invalid_token` | the layer answers `401 invalid_token` |
//! | valid token of an actor type the policy refuses | the layer answers `403` | the layer answers `403` |
//! | route without an [`AuthLayer`] | `500` (a bug in the app, logged) | `500` |
//!
//! The layer is required: an extractor never evaluates a policy of its own, so a
//! route cannot silently fall back to a default policy nobody chose. Every
//! refusal is auth-core's response, status, headers and JSON body as given.
//!
//! ## Paths and methods
//!
//! Only the canonical spelling of a path is served, on every adapter: axum
//! matches routes on the path as received, so `/store/customers/me/`,
//! `/store/customers/%6De` and `/%61uth/...` reach the router's fallback (give
//! it auth-core's `404`, as the demo store does). A `405` names exactly the
//! methods the path serves: the auth routes and [`jwks_route`] (`GET, HEAD`)
//! do it themselves; for your own routes, answer a method router's `fallback`
//! with [`auth_core::http::method_not_allowed`].
//!
//! ## Modules
//!
//! - [`layer`]: [`AuthLayer`], the per-route policy;
//! - [`extract`]: [`AuthUser`], [`AuthRejection`] and [`LimitedBody`];
//! - [`routes`]: [`auth_routes`] and [`jwks_route`].
//!
//! ## Cargo features
//!
//! | feature | what it does | default |
//! |---|---|---|
//! | `aws-lc-rs` | enables `auth-core/aws-lc-rs`: the AWS-LC crypto backend | yes |
//! | `rust-crypto` | enables `auth-core/rust-crypto`: the pure-Rust RustCrypto backend (with both on, auth-core uses AWS-LC) | no |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod extract;
pub mod layer;
pub mod routes;

pub use extract::{AuthRejection, AuthUser, LimitedBody};
pub use layer::AuthLayer;
pub use routes::{auth_routes, jwks_route};

/// Sends a response built by auth-core (or by code that, like the examples'
/// handlers, builds `http::Response<Bytes>`) through axum: status, headers and
/// body exactly as given.
///
/// ```
/// use auth_core::AuthError;
///
/// let core = AuthError::route_not_found().to_response("auth");
/// let response = auth_axum::into_response(core);
/// assert_eq!(response.status(), 404);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
pub fn into_response(response: http::Response<bytes::Bytes>) -> axum::response::Response {
    response.map(axum::body::Body::from)
}
