//! The auth routes as one filter: [`Auth::routes`] serves `/auth/...` through
//! [`AuthModule::handle`](auth_core::AuthModule::handle) and `GET
//! /.well-known/jwks.json`; [`Auth::body`] reads a request body up to the core's
//! limit.
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

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::pin;

use auth_core::routes::{AuthRequest, MAX_BODY_BYTES};
use auth_core::{AuthError, AuthModule};
use bytes::{Buf, Bytes};
use http::{HeaderMap, Method, Response};
use warp::path::{FullPath, Tail};
use warp::{Filter, Rejection, Stream};

use crate::Auth;
use crate::user::request_head;

/// The most bytes [`Auth::body`] reads: one past the core's limit, so the core
/// sees that a body is too large and refuses it with its own answer.
const BODY_READ_LIMIT: usize = MAX_BODY_BYTES + 1;

impl Auth {
    /// Serves the auth routes of the HTTP contract:
    ///
    /// - `/auth` and everything below it, every method: the request (path below
    ///   `/auth`, query, headers, body) goes to the core, which routes it and
    ///   answers, `404` and `405` included;
    /// - `GET /.well-known/jwks.json`: the public verification keys.
    ///
    /// Other paths are rejected as not found, so `or` tries the next route.
    pub fn routes(
        &self,
    ) -> impl Filter<Extract = (Response<Bytes>,), Error = Rejection> + Clone + Send + Sync + 'static
    {
        let module = self.module.clone();
        let auth_routes = warp::path("auth")
            .and(warp::path::tail())
            .and(warp::path::full())
            .and(request_head())
            .and(warp::addr::remote())
            .and(self.body())
            .then(
                move |tail: Tail,
                      full: FullPath,
                      method: Method,
                      headers: HeaderMap,
                      query: Option<String>,
                      peer: Option<SocketAddr>,
                      body: Bytes| {
                    let module = module.clone();
                    let mut request = AuthRequest::new(method, format!("/{}", tail.as_str()));
                    request.url = match &query {
                        Some(query) => format!("{}?{query}", full.as_str()),
                        None => full.as_str().to_owned(),
                    };
                    request.query = query;
                    request.headers = headers;
                    request.body = body;
                    request.client_addr = peer.map(|peer| peer.ip());
                    async move { module.handle(request).await }
                },
            );
        let module = self.module.clone();
        let jwks = warp::path!(".well-known" / "jwks.json")
            .and(warp::get())
            .map(move || module.jwks_response());
        auth_routes.or(jwks).unify()
    }

    /// Extracts the raw request body, reading at most one byte more than
    /// [`MAX_BODY_BYTES`]: a larger body reaches the handler cut at that length,
    /// and `auth_core::routes::parse_json_body` refuses it with the core's
    /// `400`, never warp's plain-text `413`. Works without `Content-Length`
    /// (chunked bodies) and never buffers more than the limit.
    pub fn body(
        &self,
    ) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone + Send + Sync + 'static {
        let module = self.module.clone();
        warp::body::stream().and_then(move |stream| {
            let module = module.clone();
            async move { read_capped(stream, &module).await }
        })
    }
}

/// Reads `stream` until it ends or [`BODY_READ_LIMIT`] bytes are in.
async fn read_capped<S, B>(stream: S, module: &AuthModule) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut stream = pin!(stream);
    let mut body = Vec::new();
    while body.len() < BODY_READ_LIMIT {
        let Some(chunk) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await else {
            break;
        };
        let mut chunk = chunk.map_err(|error| {
            tracing::debug!(%error, "reading the request body failed");
            warp::reject::custom(crate::AuthRejection::new(
                module,
                AuthError::unreadable_body(),
            ))
        })?;
        while chunk.has_remaining() && body.len() < BODY_READ_LIMIT {
            let part = chunk.chunk();
            let take = part.len().min(BODY_READ_LIMIT - body.len());
            body.extend_from_slice(&part[..take]);
            chunk.advance(take);
        }
    }
    Ok(Bytes::from(body))
}
