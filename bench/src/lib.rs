//! # bench: the servers of the HTTP ratio benchmark
//!
//! `scripts/bench-http` measures what our auth costs on a real HTTP server,
//! as a ratio to the same server without auth (issue 11, item 7). This crate
//! is its server: one `GET /hello` route answering `hello`, on each adapter
//! ([`Adapter`]) in each [`Mode`]:
//!
//! - `none`: no auth at all, the floor;
//! - `memory`: our layer, middleware or filter with a [`RoutePolicy`] for
//!   customers by bearer token, an [`AuthModule`] on a `MemoryStore`, set up
//!   as the README does it (revocation is checked on every request);
//! - `sqlite`: the same on a `SqliteStore` in a temporary file (the demo's
//!   and the README's default store);
//! - `jwt-raw`: what a user writes without our crates: a hand-written
//!   middleware calling `jsonwebtoken::decode` (HS256, `iss`, `aud`, `exp`)
//!   and attaching the claims to the request ([`raw_jwt`]).
//!
//! Every mode that checks a token checks the one [`mint_token`] signs: the
//! same secret, issuer and audience everywhere. The arithmetic of the
//! report (wrk's figures, paired ratios, medians) is in [`report`].
//!
//! ```no_run
//! use bench::{Adapter, Mode};
//!
//! // What `bench-hello serve axum memory 18080` does:
//! bench::serve(Adapter::Axum, Mode::Memory, 18080).unwrap();
//! ```
//!
//! Each server runs on one core's worth of threads (one tokio worker, one
//! actix worker), binds `127.0.0.1` only, and stops on `SIGTERM` or Ctrl-C.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;

use auth_core::module::IntoSharedStore;
use auth_core::provider::EmailPass;
use auth_core::store::{MemoryStore, SqliteStore, StoreError};
use auth_core::{AuthContext, AuthError, AuthModule, AuthStore, BuildError, RoutePolicy};

pub mod actix_hello;
pub mod axum_hello;
pub mod raw_jwt;
pub mod report;
pub mod warp_hello;

/// The HS256 secret every mode signs and verifies with. A benchmark on the
/// loopback interface only; never a secret to deploy.
pub const SECRET: &str = "bench-hello: HS256 secret of the loopback benchmark, 2026";
/// The `iss` of the bench tokens, required on verify.
pub const ISSUER: &str = "http://127.0.0.1/bench";
/// The `aud` of the bench tokens, required on verify.
pub const AUDIENCE: &str = "bench";
/// The actor type the `/hello` route accepts.
pub const ACTOR_TYPE: &str = "customer";
/// What `GET /hello` answers, in every mode.
pub const HELLO: &str = "hello";

/// The web framework a server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adapter {
    /// axum 0.8 with `auth-axum`.
    Axum,
    /// actix-web 4 with `auth-actix`.
    Actix,
    /// warp 0.4 with `auth-warp`.
    Warp,
}

/// What stands in front of the `/hello` route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing.
    None,
    /// Our adapter, `AuthModule` on a `MemoryStore`.
    Memory,
    /// Our adapter, `AuthModule` on a `SqliteStore` in a temporary file.
    Sqlite,
    /// A hand-written `jsonwebtoken` middleware.
    JwtRaw,
}

/// An adapter or mode name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} {name:?} (expected one of: {expected})")]
pub struct UnknownName {
    kind: &'static str,
    name: String,
    expected: &'static str,
}

impl FromStr for Adapter {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "axum" => Ok(Self::Axum),
            "actix" => Ok(Self::Actix),
            "warp" => Ok(Self::Warp),
            _ => Err(UnknownName {
                kind: "adapter",
                name: name.to_owned(),
                expected: "axum, actix, warp",
            }),
        }
    }
}

impl FromStr for Mode {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "none" => Ok(Self::None),
            "memory" => Ok(Self::Memory),
            "sqlite" => Ok(Self::Sqlite),
            "jwt-raw" => Ok(Self::JwtRaw),
            _ => Err(UnknownName {
                kind: "mode",
                name: name.to_owned(),
                expected: "none, memory, sqlite, jwt-raw",
            }),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
            Self::JwtRaw => "jwt-raw",
        })
    }
}

/// Why a server did not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The runtime, the listener or the temporary directory failed.
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
    /// The SQLite store did not open.
    #[error("cannot open the SQLite store: {0}")]
    Store(#[from] StoreError),
    /// The auth module refused its settings.
    #[error("cannot build the auth module: {0}")]
    Build(#[from] BuildError),
    /// The bench token could not be signed.
    #[error("cannot sign the bench token: {0}")]
    Token(#[from] AuthError),
}

/// What guards `/hello`, ready for an adapter to wrap the route in.
pub enum Guard {
    /// No auth.
    None,
    /// Our module and the route's policy.
    Ours(AuthModule, RoutePolicy),
    /// The hand-written middleware's key and validation.
    Raw(raw_jwt::RawJwt),
}

/// Builds what `mode` puts in front of `/hello`. For [`Mode::Sqlite`] the
/// database lives in `scratch`, which must outlive the server.
pub async fn guard(mode: Mode, scratch: &std::path::Path) -> Result<Guard, ServeError> {
    let policy = RoutePolicy::actor_types([ACTOR_TYPE]);
    Ok(match mode {
        Mode::None => Guard::None,
        Mode::Memory => Guard::Ours(module(MemoryStore::new())?, policy),
        Mode::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", scratch.join("auth.db").display());
            Guard::Ours(module(SqliteStore::connect(&url).await?)?, policy)
        }
        Mode::JwtRaw => Guard::Raw(raw_jwt::RawJwt::new(SECRET, ISSUER, AUDIENCE)),
    })
}

/// The module as the README sets it up: HS256, issuer, audience, a store, the
/// `emailpass` provider.
fn module(store: impl IntoSharedStore<dyn AuthStore>) -> Result<AuthModule, BuildError> {
    AuthModule::builder()
        .hs256(SECRET)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .store(store)
        .provider(EmailPass::default())
        .build()
}

/// A bearer token for the run: an access token of a registered customer,
/// signed by our module with [`SECRET`], [`ISSUER`] and [`AUDIENCE`] (valid
/// for the module's default lifetime, 15 minutes).
pub fn mint_token() -> Result<String, ServeError> {
    let context = AuthContext {
        actor_id: "cus_bench".into(),
        actor_type: ACTOR_TYPE.into(),
        auth_identity_id: "authid_bench".into(),
        app_metadata: Default::default(),
    };
    let auth = module(MemoryStore::new())?;
    Ok(auth.access_tokens().issue(&context)?)
}

/// The address a server on `port` binds: the loopback interface only.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Serves `GET /hello` on `adapter` in `mode` at `127.0.0.1:port` until
/// `SIGTERM` or Ctrl-C. Prints `listening http://127.0.0.1:<port> <mode>` on
/// standard output once bound.
pub fn serve(adapter: Adapter, mode: Mode, port: u16) -> Result<(), ServeError> {
    let scratch = tempfile::TempDir::new()?;
    let addr = loopback(port);
    match adapter {
        Adapter::Axum => axum_hello::serve(mode, addr, scratch.path()),
        Adapter::Actix => actix_hello::serve(mode, addr, scratch.path()),
        Adapter::Warp => warp_hello::serve(mode, addr, scratch.path()),
    }
}

/// A tokio runtime with one worker: the server gets one core's worth of
/// threads whatever the machine has (the script pins it to one core).
fn one_worker_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

/// Resolves on `SIGTERM` or Ctrl-C.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The line the script waits for.
fn announce(addr: SocketAddr, mode: Mode) {
    println!("listening http://{addr} {mode}");
}
