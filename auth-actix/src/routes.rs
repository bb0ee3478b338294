//! Mounting auth-core's auth routes and the JWKS endpoint, and reading bodies.
//!
//! - [`auth_routes`]: the `/auth` scope; every method and every path below it go
//!   to [`AuthModule::handle`], which does the routing (including its own `404`
//!   and `405` answers, for `/auth` and `/auth/` too);
//! - [`jwks_route`]: `GET /.well-known/jwks.json`;
//! - [`configure`]: both, for `App::configure`;
//! - [`CappedBody`]: a request body read up to auth-core's limit.
//!
//! ```
//! # actix_web::rt::System::new().block_on(async {
//! use actix_web::{App, test};
//! # let auth = auth_core::AuthModule::builder()
//! #     .hs256(b"an example secret of 32+ bytes!!")
//! #     .issuer("https://auth.example")
//! #     .audience("store")
//! #     .build()
//! #     .unwrap();
//! let app = test::init_service(App::new().configure(auth_actix::configure(auth))).await;
//!
//! let request = test::TestRequest::get().uri("/.well-known/jwks.json").to_request();
//! assert_eq!(test::call_service(&app, request).await.status(), 200);
//! let request = test::TestRequest::post().uri("/auth/nowhere").to_request();
//! assert_eq!(test::call_service(&app, request).await.status(), 404);
//! # });
//! ```

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};

use actix_web::body::{BodyStream, MessageBody};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, Resource, Scope, web};
use auth_core::AuthError;
use auth_core::AuthModule;
use auth_core::routes::{AuthRequest, MAX_BODY_BYTES};
use bytes::{Bytes, BytesMut};

use crate::convert::{RequestParts, into_actix_response};
use crate::error::AuthRejection;

/// The path of the JWKS endpoint.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The `/auth` scope: every method and path below it is answered by
/// [`AuthModule::handle`].
///
/// Bodies are read by [`CappedBody`], not by actix's `Bytes` extractor, so that
/// an oversized body gets auth-core's `400 invalid_data` rather than actix's own
/// `413` page.
///
/// The client address auth-core throttles by is the TCP peer. Behind a reverse
/// proxy every request shares the proxy's address; make actix see the real
/// client there (e.g. a middleware that rewrites the peer from the one header
/// your proxy sets) rather than trusting headers clients can forge.
pub fn auth_routes(auth: AuthModule) -> Scope {
    web::scope("/auth").default_service(web::to(
        move |request: HttpRequest, CappedBody(body): CappedBody| {
            let auth = auth.clone();
            async move { into_actix_response(auth.handle(auth_request(&request, body)).await) }
        },
    ))
}

/// `GET /.well-known/jwks.json`: the public verification keys. Other methods get
/// auth-core's `405`.
pub fn jwks_route(auth: AuthModule) -> Resource {
    let refuse = auth.clone();
    web::resource(JWKS_PATH)
        .route(web::get().to(move || {
            let response = auth.jwks_response();
            async move { into_actix_response(response) }
        }))
        .default_service(web::to(move || {
            let response = refuse.error_response(&AuthError::MethodNotAllowed);
            async move { into_actix_response(response) }
        }))
}

/// Mounts [`auth_routes`] and [`jwks_route`]: `App::new().configure(configure(auth))`.
pub fn configure(auth: AuthModule) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .service(jwks_route(auth.clone()))
            .service(auth_routes(auth));
    }
}

/// Translates an actix request below the `/auth` mount into auth-core's request.
fn auth_request(request: &HttpRequest, body: Bytes) -> AuthRequest {
    let RequestParts {
        method,
        headers,
        query,
    } = RequestParts::from_request(request);
    let path = path_below_mount(request);
    AuthRequest {
        method,
        path: if path.is_empty() { "/" } else { path }.to_owned(),
        query,
        headers,
        body,
        url: request
            .uri()
            .path_and_query()
            .map_or_else(|| request.path().to_owned(), |url| url.as_str().to_owned()),
        // The connection's peer, never a `Forwarded`/`X-Forwarded-For` header a
        // client could forge; behind a proxy, see `auth_routes`.
        client_addr: request.peer_addr().map(|addr| addr.ip()),
    }
}

/// The raw (still percent-encoded) path below the scope that matched.
///
/// actix matches on a partly percent-decoded copy of the path, while the other
/// adapters hand auth-core the raw path. Decoding never creates or removes a
/// `/` (actix keeps `%2F` encoded), so skipping as many segments of the raw
/// path as the mount consumed gives the raw rest.
fn path_below_mount(request: &HttpRequest) -> &str {
    let matched = request.match_info();
    let consumed = matched.as_str().len() - matched.unprocessed().len();
    let mount_segments = matched.as_str()[..consumed].matches('/').count();
    let raw = request.uri().path();
    raw.match_indices('/')
        .nth(mount_segments)
        .map_or("", |(start, _)| &raw[start..])
}

/// A request body read up to [`MAX_BODY_BYTES`]` + 1` bytes.
///
/// Reading stops one byte past the limit: auth-core sees that the body is too
/// large and refuses it with its own `400 invalid_data`, without the server
/// buffering the rest. Unlike actix's `Bytes` extractor (256 KiB, its own `413`
/// page), every refusal is therefore auth-core's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CappedBody(pub Bytes);

impl FromRequest for CappedBody {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    fn from_request(_: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        Box::pin(async move {
            read_capped(payload).await.map(Self).map_err(|error| {
                tracing::debug!(%error, "request body could not be read");
                AuthRejection::unreadable_body()
            })
        })
    }
}

async fn read_capped(payload: Payload) -> Result<Bytes, actix_web::error::PayloadError> {
    let limit = MAX_BODY_BYTES + 1;
    // `BodyStream` lends the payload `MessageBody::poll_next`, so no stream
    // utility crate is needed to read it chunk by chunk.
    let mut stream = pin!(BodyStream::new(payload));
    let mut body = BytesMut::new();
    while body.len() < limit {
        match poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            Some(Ok(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Some(Err(error)) => return Err(error),
            None => break,
        }
    }
    Ok(body.freeze())
}
