//! # auth-actix
//!
//! The actix-web 4 adapter of `auth-core`: a middleware that enforces a route
//! policy, extractors that hand the verified caller to handlers, and a scope that
//! serves the auth routes of the Medusa Auth Module's HTTP contract. Every
//! decision (tokens, expiry, actor types, error bodies, challenges of RFC 6750)
//! is auth-core's; this crate only translates actix requests and responses.
//!
//! ```
//! # actix_web::rt::System::new().block_on(async {
//! use actix_web::{App, HttpResponse, test, web};
//! use auth_actix::{AuthUser, RequireAuth};
//! use auth_core::provider::EmailPass;
//! use auth_core::{AuthModule, RoutePolicy};
//!
//! let auth = AuthModule::builder()
//!     .hs256(b"an example secret of 32+ bytes!!")
//!     .issuer("https://auth.example")
//!     .audience("store")
//!     .provider(EmailPass::default())
//!     .build()
//!     .unwrap();
//!
//! async fn whoami(user: AuthUser) -> HttpResponse {
//!     HttpResponse::Ok().body(user.auth_identity_id.clone())
//! }
//!
//! let app = test::init_service(
//!     App::new()
//!         .configure(auth_actix::configure(auth.clone())) // /auth/... and JWKS
//!         .service(
//!             web::resource("/whoami")
//!                 // any actor type, including identities not linked to an actor yet
//!                 .wrap(RequireAuth::new(auth, RoutePolicy::any_actor().allow_unregistered()))
//!                 .route(web::get().to(whoami)),
//!         ),
//! )
//! .await;
//!
//! // No credentials: auth-core's 401 with a bare `Bearer` challenge.
//! let response = test::call_service(&app, test::TestRequest::get().uri("/whoami").to_request()).await;
//! assert_eq!(response.status(), 401);
//!
//! // Register, then call the protected route with the token.
//! let register = test::TestRequest::post()
//!     .uri("/auth/customer/emailpass/register")
//!     .set_payload(r#"{"email":"ada@example.com","password":"correct horse"}"#)
//!     .to_request();
//! let body: serde_json::Value = test::call_and_read_body_json(&app, register).await;
//! let token = body["token"].as_str().unwrap();
//! let request = test::TestRequest::get()
//!     .uri("/whoami")
//!     .insert_header(("authorization", format!("Bearer {token}")))
//!     .to_request();
//! assert_eq!(test::call_service(&app, request).await.status(), 200);
//! # });
//! ```
//!
//! Serving it is ordinary actix-web; build the module once, outside the factory:
//!
//! ```no_run
//! # fn module() -> auth_core::AuthModule {
//! #     auth_core::AuthModule::builder()
//! #         .hs256(b"an example secret of 32+ bytes!!")
//! #         .issuer("http://a")
//! #         .audience("a")
//! #         .build()
//! #         .unwrap()
//! # }
//! use actix_web::{App, HttpServer};
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let auth = module();
//!     HttpServer::new(move || App::new().configure(auth_actix::configure(auth.clone())))
//!         .bind("127.0.0.1:9000")?
//!         .run()
//!         .await
//! }
//! ```
//!
//! ## Paths and methods
//!
//! Only the canonical spelling of a path is served, on every adapter. actix
//! decodes unreserved percent-escapes before matching, so [`auth_routes`] and
//! [`jwks_route`] check the path as received with auth-core's rules
//! (`/%61uth/...` is not the auth scope), and [`canonical`] does the same for
//! your resources (`/store/customers/%6De` is not `/store/customers/me`). A
//! `405` names exactly the methods the path serves: the auth routes and
//! [`jwks_route`] (`GET, HEAD`) do it themselves; for your own resources,
//! answer the `default_service` with [`auth_core::http::method_not_allowed`].
//!
//! ## Cargo features
//!
//! | feature | what it does | default |
//! |---|---|---|
//! | `aws-lc-rs` | enables `auth-core/aws-lc-rs`: the AWS-LC crypto backend | yes |
//! | `rust-crypto` | enables `auth-core/rust-crypto`: the pure-Rust RustCrypto backend (with both on, auth-core uses AWS-LC) | no |
//!
//! ## Modules, in the order a request meets them
//!
//! - [`middleware`]: [`RequireAuth`], evaluating a policy before the route runs
//!   (and where it goes relative to CORS);
//! - [`extract`]: [`AuthUser`] and [`MaybeAuthUser`], reading what it attached;
//! - [`routes`]: [`auth_routes`], [`jwks_route`], [`configure`], [`CappedBody`];
//! - [`error`]: [`AuthRejection`], auth-core's response as a `ResponseError`;
//! - [`convert`]: the `http` 0.2 / `http` 1 translation.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod convert;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod routes;

pub use error::AuthRejection;
pub use extract::{AuthUser, MaybeAuthUser};
pub use middleware::RequireAuth;
pub use routes::{CappedBody, auth_routes, canonical, configure, jwks_route};
