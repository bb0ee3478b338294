//! The demo store on axum: the routing, and the server around it.
//!
//! Every route that needs a caller carries an [`AuthLayer`] with its policy from
//! [`policies`] (as a `route_layer`, so unknown paths and wrong methods are not
//! mistaken for auth failures); the handlers extract [`AuthUser`] and call the
//! shared [`Demo`]. Bodies are read with [`LimitedBody`] and parsed by the demo,
//! so that a bad body gets auth-core's `400 invalid_data`, not axum's `Json`
//! rejection. Unknown paths get auth-core's `404`, wrong methods its `405` with
//! the route's own methods in `Allow` ([`method_not_allowed`]).
//!
//! ```no_run
//! use examples::config::DemoConfig;
//!
//! let server = examples::axum_app::start(DemoConfig::from_env().unwrap()).unwrap();
//! println!("{}", server.url());
//! server.wait();
//! ```

use std::net::SocketAddr;

use auth_axum::{AuthLayer, AuthUser, LimitedBody, auth_routes, jwks_route};
use auth_core::http::method_not_allowed;
use auth_core::{AuthError, RoutePolicy};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use http::Method;

use crate::config::DemoConfig;
use crate::demo::{Demo, policies};
use crate::server::{RunningServer, StartError};

/// What `get` serves: `GET` and, as HTTP requires, `HEAD`.
const GET: &[Method] = &[Method::GET, Method::HEAD];
/// What `post` serves.
const POST: &[Method] = &[Method::POST];

/// The demo store's routes.
pub fn router(demo: Demo) -> Router {
    let guarded = |methods: &'static [Method], route: MethodRouter<Demo>, policy: RoutePolicy| {
        served(
            methods,
            route.route_layer(AuthLayer::new(demo.auth.clone(), policy)),
        )
    };
    Router::new()
        .route("/health", served(GET, get(health)))
        .route(
            "/store/customers",
            guarded(POST, post(create_customer), policies::create_customer()),
        )
        .route(
            "/store/customers/me",
            guarded(GET, get(customer_me), policies::customer_me()),
        )
        .route(
            "/store/whoami",
            guarded(GET, get(whoami), policies::whoami()),
        )
        .route(
            "/admin/invites",
            guarded(POST, post(create_invite), policies::create_invite()),
        )
        .route(
            "/admin/invites/accept",
            guarded(POST, post(accept_invite), policies::accept_invite()),
        )
        .route(
            "/admin/users/me",
            guarded(GET, get(user_me), policies::user_me()),
        )
        .route(
            "/admin/api-keys",
            guarded(POST, post(create_api_key), policies::manage_api_keys()),
        )
        .route(
            "/admin/api-keys/{id}/revoke",
            guarded(POST, post(revoke_api_key), policies::manage_api_keys()),
        )
        .route("/.well-known/jwks.json", jwks_route(demo.auth.clone()))
        .nest_service("/auth", auth_routes(demo.auth.clone()))
        .fallback(not_found)
        .with_state(demo)
}

/// `route`, which serves `methods`, answering other methods with auth-core's
/// `405` naming them (outside the route's layer, so before any policy runs).
fn served(methods: &'static [Method], route: MethodRouter<Demo>) -> MethodRouter<Demo> {
    route.fallback(move || async move { auth_axum::into_response(method_not_allowed(methods)) })
}

async fn health(State(demo): State<Demo>) -> Response {
    auth_axum::into_response(demo.health())
}

async fn create_customer(
    State(demo): State<Demo>,
    AuthUser(caller): AuthUser,
    LimitedBody(body): LimitedBody,
) -> Response {
    auth_axum::into_response(demo.create_customer(&caller, &body).await)
}

async fn customer_me(State(demo): State<Demo>, AuthUser(caller): AuthUser) -> Response {
    auth_axum::into_response(demo.customer_me(&caller).await)
}

async fn whoami(State(demo): State<Demo>, caller: Option<AuthUser>) -> Response {
    auth_axum::into_response(demo.whoami(caller.as_deref()))
}

async fn create_invite(
    State(demo): State<Demo>,
    AuthUser(_admin): AuthUser,
    LimitedBody(body): LimitedBody,
) -> Response {
    auth_axum::into_response(demo.create_invite(&body).await)
}

async fn accept_invite(
    State(demo): State<Demo>,
    AuthUser(caller): AuthUser,
    RawQuery(query): RawQuery,
    LimitedBody(body): LimitedBody,
) -> Response {
    auth_axum::into_response(demo.accept_invite(&caller, query.as_deref(), &body).await)
}

async fn user_me(State(demo): State<Demo>, AuthUser(caller): AuthUser) -> Response {
    auth_axum::into_response(demo.user_me(&caller).await)
}

async fn create_api_key(
    State(demo): State<Demo>,
    AuthUser(caller): AuthUser,
    LimitedBody(body): LimitedBody,
) -> Response {
    auth_axum::into_response(demo.create_api_key(&caller, &body).await)
}

async fn revoke_api_key(
    State(demo): State<Demo>,
    Path(id): Path<String>,
    AuthUser(_admin): AuthUser,
) -> Response {
    auth_axum::into_response(demo.revoke_api_key(&id).await)
}

async fn not_found(State(demo): State<Demo>) -> Response {
    auth_axum::into_response(demo.error(&AuthError::route_not_found()))
}

/// Starts the axum demo store on its own thread; see [`crate::server`].
pub fn start(config: DemoConfig) -> Result<RunningServer, StartError> {
    crate::server::spawn_tokio(
        "axum-store",
        config,
        |demo, listener, shutdown| async move {
            // Connect info: the client address auth-core throttles by.
            let app = router(demo).into_make_service_with_connect_info::<SocketAddr>();
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "the axum demo store stopped with an error");
            }
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

    use std::io::{Read as _, Write as _};

    use super::*;

    #[test]
    fn server_starts_answers_and_stops() {
        let database = std::env::temp_dir().join(format!("axum-store-{}.db", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", database.display());
        let config = DemoConfig::from_lookup(|name| match name {
            "AUTH_ADDR" => Some("127.0.0.1:0".into()),
            "AUTH_DATABASE_URL" => Some(url.clone()),
            _ => None,
        })
        .unwrap();
        let server = start(config).unwrap();
        let addr = server.addr();

        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");

        server.stop();
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "still listening after stop"
        );
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
        }
    }
}
