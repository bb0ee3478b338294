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
//! auth-core throttles per client address too. The address comes from axum's
//! [`ConnectInfo`]: serve the application with
//! `into_make_service_with_connect_info::<SocketAddr>()`, otherwise the core gets
//! no address.
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

use auth_core::routes::AuthRequest;
use auth_core::{AuthError, AuthModule};
use axum::Router;
use axum::extract::{ConnectInfo, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::extract::read_limited;

/// The auth routes, to mount at `/auth` with `nest_service`; see the
/// [module docs](self).
///
/// Request bodies are read up to one byte past
/// [`MAX_BODY_BYTES`](auth_core::routes::MAX_BODY_BYTES), so that auth-core
/// refuses an oversized body with its `400 invalid_data`.
pub fn auth_routes(auth: AuthModule) -> Router {
    Router::new().fallback(move |request: Request| {
        let auth = auth.clone();
        async move { handle(&auth, request).await }
    })
}

/// Translates one request for [`AuthModule::handle`].
async fn handle(auth: &AuthModule, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_limited(body).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    // `nest_service` stripped the mount point from `parts.uri`; providers get the URL as received.
    let received = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let url = received
        .path_and_query()
        .map_or_else(|| received.path().to_owned(), |pq| pq.as_str().to_owned());
    let mut request = AuthRequest::new(parts.method, parts.uri.path());
    request.query = parts.uri.query().map(str::to_owned);
    request.url = url;
    request.client_addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    request.headers = parts.headers;
    request.body = body;
    crate::into_response(auth.handle(request).await)
}

/// `GET /.well-known/jwks.json`: the public verification keys, as
/// [`AuthModule::jwks_response`] gives them. Other methods get auth-core's `405`.
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
    let refuse = auth.clone();
    get(move || {
        let auth = auth.clone();
        async move { crate::into_response(auth.jwks_response()) }
    })
    .fallback(move || {
        let auth = refuse.clone();
        async move { crate::into_response(auth.error_response(&AuthError::MethodNotAllowed)) }
    })
}
