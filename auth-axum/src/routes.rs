//! The auth routes of the HTTP contract (`/auth/...`) and the JWKS document.
//!
//! [`auth_routes`] is one catch-all: it hands every request below its mount
//! point to [`AuthModule::handle`], which does the routing (`404`, `405`), the
//! body parsing and the answers. Mount it with `nest_service`, which serves the
//! mount point itself, its trailing-slash form and everything below: `/auth`,
//! `/auth/` and `/auth/...` all reach auth-core (axum's `nest` would leave
//! `/auth/` to the application's fallback). The router needs no state, so it
//! mounts in an application of any state type.
//!
//! Request bodies are read up to
//! [`MAX_BODY_BYTES`](auth_core::http::MAX_BODY_BYTES); a larger one gets
//! auth-core's `400 invalid_data`. Only the canonical spelling of a path is
//! served: axum matches routes on the path as received, so `/%61uth/...` and
//! `/.well-known/jwks%2Ejson` reach the application's fallback (`404`), as they
//! do on every adapter (see [`is_canonical_path`](auth_core::http::is_canonical_path)).
//!
//! auth-core throttles per client address too. The peer comes from axum's
//! [`ConnectInfo`]: serve the application with
//! `into_make_service_with_connect_info::<SocketAddr>()`; without it the core
//! gets no address, does not throttle per address, and logs a warning once.
//! The core reads the client address from the peer, and from `Forwarded` /
//! `X-Forwarded-For` only when the peer is a trusted proxy of the module's
//! [`ProxyPolicy`](auth_core::http::ProxyPolicy).
//!
//! ```
//! use auth_axum::{auth_routes, jwks_route};
//! use auth_core::AuthModule;
//! use axum::Router;
//!
//! fn app(auth: AuthModule) -> Router {
//!     Router::new()
//!         .nest_service("/auth", auth_routes(auth.clone()))
//!         .route("/.well-known/jwks.json", jwks_route(auth))
//! }
//! ```

use std::net::SocketAddr;

use auth_core::AuthModule;
use auth_core::http::{AuthRequest, jwks_answer, read_body};
use axum::Router;
use axum::extract::{ConnectInfo, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any};
use http::Method;

use crate::AuthRejection;

/// The auth routes, to mount at `/auth` with `nest_service`; see the
/// [module docs](self).
pub fn auth_routes(auth: AuthModule) -> Router {
    Router::new().fallback(move |request: Request| {
        let auth = auth.clone();
        async move { handle(&auth, request).await }
    })
}

/// Translates one request for [`AuthModule::handle`].
async fn handle(auth: &AuthModule, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refusal) => return AuthRejection(refusal).into_response(),
    };
    // `nest_service` stripped the mount point from `parts.uri`; providers get the URL as received.
    let received = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let request = AuthRequest::received(parts.method, received, parts.headers)
        .below(parts.uri.path())
        .from_peer(peer)
        .with_body(body);
    crate::into_response(auth.handle(request).await)
}

/// `/.well-known/jwks.json`: the public verification keys for `GET` and
/// `HEAD`, auth-core's `405` with `Allow: GET, HEAD` for other methods
/// ([`jwks_answer`]).
///
/// ```
/// # fn app(auth: auth_core::AuthModule) -> axum::Router {
/// axum::Router::new().route("/.well-known/jwks.json", auth_axum::jwks_route(auth))
/// # }
/// ```
pub fn jwks_route<S>(auth: AuthModule) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    any(move |method: Method| {
        let auth = auth.clone();
        async move { crate::into_response(jwks_answer(&method, || auth.jwks_response())) }
    })
}
