//! The auth routes as one filter: [`Auth::routes`] serves `/auth/...` through
//! [`AuthModule::handle`](auth_core::AuthModule::handle) and
//! `/.well-known/jwks.json`; [`Auth::body`] reads a request body up to the
//! core's limit; [`canonical`] and [`methods`] give a route the answers the
//! core decides for other spellings of its path (`404`) and other methods
//! (`405` with the exact `Allow`).
//!
//! ```
//! # fn demo(auth: auth_warp::Auth) {
//! use warp::Filter;
//!
//! let app = auth
//!     .routes()
//!     .or(warp::path!("health").and(warp::get()).map(|| "ok"))
//!     .recover(auth_warp::recover);
//! # }
//! ```

use std::net::SocketAddr;

use auth_core::http::{
    AuthRequest, BodyCap, JWKS_PATH, Rejection as CoreRejection, below_mount, is_canonical_path,
    jwks_answer,
};
use bytes::{Buf, Bytes};
use http::{HeaderMap, Method, Response, Uri};
use warp::path::FullPath;
use warp::{Filter, Rejection, Stream};

use crate::user::request_head;
use crate::{Auth, AuthRejection};

/// Where [`Auth::routes`] mounts the auth routes.
const MOUNT: &str = "/auth";

impl Auth {
    /// Serves the auth routes of the HTTP contract:
    ///
    /// - `/auth` and everything below it, every method: the request (path below
    ///   `/auth`, query, headers, body) goes to the core, which routes it and
    ///   answers, `404` and `405` included;
    /// - `/.well-known/jwks.json`: the public verification keys for `GET` and
    ///   `HEAD`, the core's `405` with `Allow: GET, HEAD` for other methods.
    ///
    /// Other paths are rejected as not found, so `or` tries the next route.
    /// The filter passes the peer; the core reads the client address it
    /// throttles by from it, through the module's
    /// [`ProxyPolicy`](auth_core::http::ProxyPolicy).
    pub fn routes(
        &self,
    ) -> impl Filter<Extract = (Response<Bytes>,), Error = Rejection> + Clone + Send + Sync + 'static
    {
        let module = self.module.clone();
        let auth_routes = path_where(|path| below_mount(path, MOUNT).is_some())
            .and(warp::path::full())
            .and(request_head())
            .and(warp::addr::remote())
            .and(warp::body::stream().then(read_capped))
            .then(
                move |full: FullPath,
                      method: Method,
                      headers: HeaderMap,
                      query: Option<String>,
                      peer: Option<SocketAddr>,
                      body: Result<Bytes, CoreRejection>| {
                    let module = module.clone();
                    let received = match &query {
                        Some(query) => format!("{}?{query}", full.as_str()),
                        None => full.as_str().to_owned(),
                    };
                    // Refused, never replaced by a default URI, if it does not parse again.
                    let request = Uri::try_from(received).map(|received| {
                        AuthRequest::received(method, &received, headers)
                            .mounted_at(MOUNT)
                            .from_peer(peer)
                    });
                    async move {
                        match (request, body) {
                            (Ok(request), Ok(body)) => module.handle(request.with_body(body)).await,
                            (Err(error), _) => {
                                CoreRejection::untranslatable(&error).into_response()
                            }
                            (_, Err(refusal)) => refusal.into_response(),
                        }
                    }
                },
            );
        let module = self.module.clone();
        let jwks = path_where(|path| path == JWKS_PATH)
            .and(warp::method())
            .map(move |method: Method| jwks_answer(&method, || module.jwks_response()));
        auth_routes.or(jwks).unify()
    }

    /// Extracts the raw request body, at most
    /// [`MAX_BODY_BYTES`](auth_core::http::MAX_BODY_BYTES) long: a larger body
    /// is rejected, unread past the limit, with the core's `400 invalid_data`
    /// (never warp's plain-text `413`), and so is a body that cannot be read.
    /// Works without `Content-Length` (chunked bodies).
    pub fn body(
        &self,
    ) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone + Send + Sync + 'static {
        let body = warp::body::stream().then(read_capped);
        body.and_then(|body: Result<Bytes, CoreRejection>| async move {
            body.map_err(|refusal| warp::reject::custom(AuthRejection(refusal)))
        })
    }
}

/// The body read into a [`BodyCap`], or the core's refusal of it.
async fn read_capped<S, B>(stream: S) -> Result<Bytes, CoreRejection>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut stream = std::pin::pin!(stream);
    let mut cap = BodyCap::default();
    while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        let mut chunk = chunk.map_err(|error| CoreRejection::unreadable_body(&error))?;
        cap.push(&chunk.copy_to_bytes(chunk.remaining()))?;
    }
    Ok(cap.finish())
}

/// Passes requests whose path is the canonical spelling
/// ([`is_canonical_path`]) and rejects the others as not found: warp's
/// `path!` also matches a trailing slash (`/store/customers/me/`), which no
/// other adapter serves. Put it before a route's path filters.
///
/// ```
/// use warp::Filter;
///
/// let me = auth_warp::canonical()
///     .and(warp::path!("store" / "customers" / "me"))
///     .map(|| "me")
///     .recover(auth_warp::recover);
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let response = warp::test::request().path("/store/customers/me/").reply(&me).await;
/// assert_eq!(response.status(), 404);
/// # });
/// ```
pub fn canonical() -> impl Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static {
    path_where(is_canonical_path)
}

/// Passes requests whose path as received passes `test`; rejects the others as
/// not found.
fn path_where(
    test: fn(&str) -> bool,
) -> impl Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::path::full()
        .and_then(move |full: FullPath| async move {
            test(full.as_str())
                .then_some(())
                .ok_or_else(warp::reject::not_found)
        })
        .untuple_one()
}

/// Passes requests with one of `allowed` methods and rejects the others with
/// the core's `405`, whose `Allow` names exactly `allowed`: use it after a
/// route's path filters, where warp's `get()`, `post()` ... would give a `405`
/// that names no methods.
///
/// ```
/// use http::Method;
/// use warp::Filter;
///
/// let health = warp::path!("health")
///     .and(auth_warp::methods(&[Method::GET, Method::HEAD]))
///     .map(|| "ok")
///     .recover(auth_warp::recover);
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let response = warp::test::request().method("DELETE").path("/health").reply(&health).await;
/// assert_eq!(response.status(), 405);
/// assert_eq!(response.headers()["allow"], "GET, HEAD");
/// # });
/// ```
pub fn methods(
    allowed: &'static [Method],
) -> impl Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::method()
        .and_then(move |method: Method| async move {
            if allowed.contains(&method) {
                Ok(())
            } else {
                let refusal = CoreRejection::method_not_allowed(allowed);
                Err(warp::reject::custom(AuthRejection(refusal)))
            }
        })
        .untuple_one()
}
