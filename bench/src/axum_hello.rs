//! `GET /hello` on axum 0.8: bare, behind our [`AuthLayer`] with the
//! [`AuthUser`] extractor (the README's way), or behind a hand-written
//! `from_fn` middleware with `jsonwebtoken`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use auth_axum::{AuthLayer, AuthUser};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use crate::raw_jwt::{BearerClaims, RawJwt};
use crate::{Guard, HELLO, Mode, ServeError};

/// The router of `mode`.
async fn app(mode: Mode, scratch: &Path) -> Result<Router, ServeError> {
    Ok(match crate::guard(mode, scratch).await? {
        Guard::None => Router::new().route("/hello", get(|| async { HELLO })),
        Guard::Ours(auth, policy) => {
            let hello = get(|_user: AuthUser| async { HELLO });
            Router::new().route("/hello", hello.route_layer(AuthLayer::new(auth, policy)))
        }
        Guard::Raw(jwt) => {
            let hello = get(|Extension(_claims): Extension<BearerClaims>| async { HELLO });
            let require = middleware::from_fn_with_state(Arc::new(jwt), require_jwt);
            Router::new().route("/hello", hello.route_layer(require))
        }
    })
}

/// The hand-written middleware: `401` without a valid token, else the claims
/// go into the request's extensions.
async fn require_jwt(State(jwt): State<Arc<RawJwt>>, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match jwt.verify(header) {
        Ok(claims) => {
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Serves until `SIGTERM` or Ctrl-C.
pub fn serve(mode: Mode, addr: SocketAddr, scratch: &Path) -> Result<(), ServeError> {
    crate::one_worker_runtime()?.block_on(async {
        let app = app(mode, scratch).await?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        crate::announce(listener.local_addr()?, mode);
        axum::serve(listener, app)
            .with_graceful_shutdown(crate::stop_signal())
            .await?;
        Ok(())
    })
}
