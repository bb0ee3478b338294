//! # auth-core
//!
//! The framework-agnostic core of the auth workspace, modelled on the Medusa v2
//! Auth Module: a registry of auth providers, auth identities, JSON Web Tokens,
//! route policies, stores, and the auth routes as neutral handlers. The adapters
//! `auth-axum`, `auth-actix` and `auth-warp` only translate their framework's
//! requests into the types here and back.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::provider::EmailPass;
//! use auth_core::routes::AuthRequest;
//! use auth_core::store::SqliteStore;
//! use auth_core::AuthModule;
//! use http::Method;
//!
//! let auth = AuthModule::builder()
//!     .hs256(b"an example secret of 32+ bytes!!")
//!     .issuer("https://auth.example")
//!     .audience("store")
//!     .store(SqliteStore::connect("sqlite::memory:").await?)
//!     .provider(EmailPass::default())
//!     .build()?;
//!
//! let body = r#"{"email":"ada@example.com","password":"correct horse"}"#;
//! let registered = auth
//!     .handle(AuthRequest::new(Method::POST, "/customer/emailpass/register").with_body(body))
//!     .await;
//! assert_eq!(registered.status(), 200);
//! let logged_in = auth
//!     .handle(AuthRequest::new(Method::POST, "/customer/emailpass").with_body(body))
//!     .await;
//! let token: serde_json::Value = serde_json::from_slice(logged_in.body()).unwrap();
//! let caller = auth.verify_bearer(token["token"].as_str().unwrap()).await.unwrap();
//! assert_eq!(caller.actor_type, "customer");
//! assert_eq!(caller.actor_id, ""); // not linked to a customer yet
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! The long form, for several keys, other algorithms and rotation, builds a
//! [`token::KeySet`] and hands it to [`AuthModuleBuilder::keys`]. Every
//! expiry reads one [`clock::Clock`], which tests replace with a
//! [`clock::TestClock`].
//!
//! ## Cargo features
//!
//! | feature | what it does | default |
//! |---|---|---|
//! | `aws-lc-rs` | crypto backend: AWS-LC; used whenever it is on, also with `rust-crypto` | yes |
//! | `rust-crypto` | crypto backend: pure-Rust RustCrypto crates; used when `aws-lc-rs` is off | no |
//! | `sqlite` | [`store::SqliteStore`], the embedded default store | yes |
//! | `postgres` | [`store::PostgresStore`], one database for several instances, on Medusa's schema | no |
//! | `testing` | the store conformance kit `store::testing` and `store_conformance!`, for a store's tests | no |
//!
//! The features are additive: at least one backend must be on, and with both
//! the core uses AWS-LC. The core hands `jsonwebtoken` its provider explicitly;
//! `jsonwebtoken` itself has no process-wide default while both of its backends
//! are compiled in, so code of yours that calls `jsonwebtoken::encode` or
//! `decode` directly then needs `CryptoProvider::install_default` first.
//!
//! ## Modules, in the order a request meets them
//!
//! - [`credentials`]: reading `Authorization` and cookies from headers;
//! - [`token`]: signing and strictly verifying access tokens;
//! - [`policy`]: what a route accepts;
//! - [`module`]: [`AuthModule`], the assembled module adapters hold;
//! - [`access_token`], [`revocation`], [`session`], [`api_key`]: the
//!   credentials a request can carry, one service each;
//! - [`routes`]: the auth routes of the HTTP contract, over [`refresh`],
//!   [`reset`] and [`throttle`];
//! - [`clock`]: the one clock every expiry reads;
//! - [`http`]: the neutral request, body cap, caller and rejection adapters share;
//! - [`service`], [`provider`], [`password`]: Medusa's operations, providers, hashing;
//! - [`identity`], [`store`]: the data model and its storage;
//! - [`error`]: [`AuthError`], status codes, challenges and bodies;
//! - [`telemetry`]: the `tracing` spans and `metrics` counters of every decision.
#![forbid(unsafe_code)]

pub mod access_token;
pub mod api_key;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod http;
pub mod identity;
pub mod invite;
pub mod module;
pub mod password;
pub mod policy;
pub mod provider;
pub mod refresh;
pub mod reset;
pub mod response;
pub mod revocation;
pub mod routes;
pub mod secret;
pub mod service;
pub mod session;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod token;

pub use error::AuthError;
pub use identity::{AuthContext, CredentialKind};
pub use module::{AuthModule, AuthModuleBuilder, AuthSettings, AuthStore, BuildError};
pub use policy::{Authenticated, RoutePolicy};
