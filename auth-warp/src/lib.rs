//! # auth-warp
//!
//! [warp] 0.4 filters for [`auth_core`]: a route declares a [`RoutePolicy`] and
//! its handler receives the verified [`AuthUser`]; the auth routes of the HTTP
//! contract are one combined filter; refusals become the core's responses
//! through [`recover`]. Every decision (tokens, expiry, actor types, error
//! bodies) is `auth-core`'s; this crate only translates.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::provider::EmailPass;
//! use auth_core::{AuthModule, RoutePolicy};
//! use auth_warp::{Auth, AuthUser};
//! use warp::Filter;
//!
//! let auth = Auth::new(
//!     AuthModule::builder()
//!         .hs256(b"an example secret of 32+ bytes!!")
//!         .issuer("https://auth.example")
//!         .audience("store")
//!         .provider(EmailPass::default())
//!         .build()
//!         .unwrap(),
//! );
//! let customers = RoutePolicy::actor_types(["customer"]);
//!
//! // Path and method filters first, the auth filter last (see "Filter order").
//! let health = warp::path!("health").and(warp::get()).map(|| "ok");
//! let whoami = warp::path!("whoami")
//!     .and(warp::get())
//!     .and(auth.optional(customers.clone().allow_unauthenticated()))
//!     .map(|user: Option<AuthUser>| match user {
//!         Some(user) => user.actor_id.clone(),
//!         None => "anonymous".to_owned(),
//!     });
//! let me = warp::path!("me")
//!     .and(warp::get())
//!     .and(auth.user(customers))
//!     .map(|user: AuthUser| user.auth_identity_id.clone());
//! let app = auth
//!     .routes() // POST /auth/customer/emailpass, ..., GET /.well-known/jwks.json
//!     .or(health)
//!     .or(whoami)
//!     .or(me)
//!     .recover(auth_warp::recover);
//!
//! // Serve it with `warp::serve(app).run(([127, 0, 0, 1], 3030)).await`; here we
//! // ask it directly.
//! let anonymous = warp::test::request().path("/whoami").reply(&app).await;
//! assert_eq!(anonymous.body(), "anonymous");
//! let refused = warp::test::request().path("/me").reply(&app).await;
//! assert_eq!(refused.status(), 401);
//! assert_eq!(refused.headers()["www-authenticate"], r#"Bearer realm="auth""#);
//! let unknown = warp::test::request().path("/nowhere").reply(&app).await;
//! assert_eq!(unknown.status(), 404);
//! assert_eq!(unknown.headers()["content-type"], "application/json");
//! # });
//! ```
//!
//! ## What each filter does
//!
//! | filter | no credentials | invalid credentials | valid credentials |
//! |---|---|---|---|
//! | [`Auth::user`] | rejects: `401` bare challenge | rejects: `401 invalid_token` (`400`, `403` as the core decides) | extracts [`AuthUser`] |
//! | [`Auth::optional`] | extracts `None` if the policy allows anonymous callers, else rejects `401` | rejects, never `None` | extracts `Some(AuthUser)` |
//! | [`Auth::routes`] | serves `/auth/...` (any method) and `GET /.well-known/jwks.json` with the core's answers | | |
//! | [`Auth::body`] | extracts the raw body, read up to the core's limit (larger: rejects `400`) | | |
//! | [`canonical`] | passes the canonical spelling of a path, rejects others `404` | | |
//! | [`methods`] | passes the listed methods, rejects others `405` with their `Allow` | | |
//!
//! ## Filter order
//!
//! Apply [`Auth::user`] and [`Auth::optional`] **after** the path and method
//! filters of their route. A refusal is a custom [`Rejection`](warp::Rejection),
//! which warp ranks above its own `404` and `405` when it combines the
//! rejections of `or` branches. Applied last, the auth filter only runs on the
//! route a request was meant for, so an unknown path still answers `404` and a
//! wrong method `405`; applied first, every branch would answer `401`.
//!
//! ## Paths and methods
//!
//! Only the canonical spelling of a path is served, on every adapter. warp's
//! `path!` also matches one trailing slash (`/store/customers/me/`): put
//! [`canonical`] before your routes for the core's answer, a `404`. Filter
//! methods with [`methods`] rather than `warp::get()`: its `405` names exactly
//! the methods the route serves, as the auth routes and the JWKS route
//! (`GET, HEAD`) do.
//!
//! ## Errors: install [`recover`]
//!
//! warp answers a custom rejection it does not know with `500`. End the filter
//! chain with `.recover(auth_warp::recover)`: it turns an [`AuthRejection`] into
//! the core's response (status, `WWW-Authenticate`, JSON body), and warp's
//! `404` and `405` into the core's JSON `not_found` and `405` bodies, so a warp
//! service answers exactly like the axum and actix-web ones. Other rejections
//! pass through unchanged; recover your own rejections before this one.
//!
//! ## Cargo features
//!
//! | feature | what it does | default |
//! |---|---|---|
//! | `aws-lc-rs` | enables `auth-core/aws-lc-rs`: the AWS-LC crypto backend | yes |
//! | `rust-crypto` | enables `auth-core/rust-crypto`: the pure-Rust RustCrypto backend (with both on, auth-core uses AWS-LC) | no |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod rejection;
mod routes;
mod user;

use auth_core::AuthModule;
#[doc(no_inline)]
pub use auth_core::{AuthError, Authenticated, RoutePolicy};

pub use rejection::{AuthRejection, recover, rejection_response};
pub use routes::{canonical, methods};
pub use user::AuthUser;

/// The warp face of an [`AuthModule`]: builds the filters. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    module: AuthModule,
}

impl Auth {
    /// Wraps the module the filters consult.
    pub fn new(module: AuthModule) -> Self {
        Self { module }
    }

    /// The wrapped module.
    pub fn module(&self) -> &AuthModule {
        &self.module
    }
}

impl From<AuthModule> for Auth {
    fn from(module: AuthModule) -> Self {
        Self::new(module)
    }
}
