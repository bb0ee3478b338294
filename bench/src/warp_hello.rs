//! `GET /hello` on warp 0.4: bare, behind our `auth.user(policy)` filter
//! with [`recover`] (the README's way), or behind a hand-written filter with
//! `jsonwebtoken` and its own rejection.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use auth_warp::{Auth, AuthUser, recover};
use warp::http::StatusCode;
use warp::{Filter, Rejection, Reply};

use crate::raw_jwt::{BearerClaims, RawJwt};
use crate::{Guard, HELLO, Mode, ServeError};

/// The hand-written filter's refusal.
#[derive(Debug)]
struct Unauthorized;

impl warp::reject::Reject for Unauthorized {}

/// The hand-written filter: extracts the claims, or rejects.
fn require_jwt(
    jwt: RawJwt,
) -> impl Filter<Extract = (BearerClaims,), Error = Rejection> + Clone + Send + Sync + 'static {
    let jwt = Arc::new(jwt);
    warp::header::optional::<String>("authorization").and_then(move |header: Option<String>| {
        let jwt = jwt.clone();
        async move {
            jwt.verify(header.as_deref())
                .map_err(|_| warp::reject::custom(Unauthorized))
        }
    })
}

/// Turns the hand-written filter's rejection into a bare `401`.
async fn unauthorized(rejection: Rejection) -> Result<warp::reply::Response, Rejection> {
    if rejection.find::<Unauthorized>().is_some() {
        Ok(StatusCode::UNAUTHORIZED.into_response())
    } else {
        Err(rejection)
    }
}

/// Serves until `SIGTERM` or Ctrl-C.
pub fn serve(mode: Mode, addr: SocketAddr, scratch: &Path) -> Result<(), ServeError> {
    crate::one_worker_runtime()?.block_on(async {
        let hello = warp::path!("hello").and(warp::get());
        let guard = crate::guard(mode, scratch).await?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        crate::announce(listener.local_addr()?, mode);
        match guard {
            Guard::None => run(hello.map(|| HELLO), listener).await,
            Guard::Ours(auth, policy) => {
                let auth = Auth::new(auth);
                let route = hello.and(auth.user(policy)).map(|_user: AuthUser| HELLO);
                run(route.recover(recover), listener).await
            }
            Guard::Raw(jwt) => {
                let route = hello
                    .and(require_jwt(jwt))
                    .map(|_claims: BearerClaims| HELLO);
                run(route.recover(unauthorized), listener).await
            }
        }
        Ok(())
    })
}

/// Serves `routes` on `listener` until `SIGTERM` or Ctrl-C.
async fn run<F>(routes: F, listener: tokio::net::TcpListener)
where
    F: Filter<Error = Rejection> + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    warp::serve(routes)
        .incoming(listener)
        .graceful(crate::stop_signal())
        .run()
        .await;
}
