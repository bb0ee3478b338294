//! Mounting auth-core's auth routes and the JWKS endpoint, and reading bodies.
//!
//! - [`auth_routes`]: the `/auth` scope; every method and every path below it go
//!   to [`AuthModule::handle`], which does the routing (including its own `404`
//!   and `405` answers, for `/auth` and `/auth/` too);
//! - [`jwks_route`]: `/.well-known/jwks.json`, `GET` and `HEAD`;
//! - [`configure`]: both, for `App::configure`;
//! - [`CappedBody`]: a request body read up to auth-core's limit.
//!
//! Only the canonical spelling of a path is served, as on every adapter. actix
//! matches routes on a copy of the path with unreserved percent-escapes
//! decoded, so `/%61uth/...` would reach the `/auth` scope and
//! `/.well-known/jwks%2Ejson` the JWKS; guards apply auth-core's
//! [`below_mount`] and [`is_canonical_path`] to the path as received, and such
//! spellings get the application's `404`. Use [`canonical`] on your own
//! resources for the same answer.
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
//! let request = test::TestRequest::post().uri("/.well-known/jwks.json").to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), 405);
//! assert_eq!(response.headers().get("allow").unwrap(), "GET, HEAD");
//! # });
//! ```

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};

use actix_web::body::{BodyStream, MessageBody};
use actix_web::dev::Payload;
use actix_web::guard::{Guard, GuardContext, fn_guard};
use actix_web::{FromRequest, HttpRequest, Resource, Scope, web};
use auth_core::AuthModule;
pub use auth_core::http::JWKS_PATH;
use auth_core::http::{
    AuthRequest, BodyCap, JWKS_METHODS, Rejection, below_mount, is_canonical_path, jwks_answer,
    method_not_allowed,
};
use bytes::Bytes;

use crate::convert::{into_actix_response, method, request_parts};
use crate::error::AuthRejection;

/// Where [`auth_routes`] is mounted.
const MOUNT: &str = "/auth";

/// The `/auth` scope: every method and path below it is answered by
/// [`AuthModule::handle`].
///
/// Bodies are read by [`CappedBody`], not by actix's `Bytes` extractor, so that
/// an oversized body gets auth-core's `400 invalid_data` rather than actix's own
/// `413` page.
///
/// The adapter passes the TCP peer; auth-core reads the client address it
/// throttles by from it, and from `Forwarded` / `X-Forwarded-For` only when the
/// peer is a trusted proxy of the module's
/// [`ProxyPolicy`](auth_core::http::ProxyPolicy) (`trusted_proxies` on the
/// builder).
pub fn auth_routes(auth: AuthModule) -> Scope {
    let mounted = fn_guard(|context| below_mount(raw_path(context), MOUNT).is_some());
    web::scope(MOUNT).guard(mounted).default_service(web::to(
        move |request: HttpRequest, CappedBody(body): CappedBody| {
            let auth = auth.clone();
            let parts = request_parts(&request);
            let peer = request.peer_addr();
            async move {
                let parts = match parts {
                    Ok(parts) => parts,
                    Err(refusal) => return into_actix_response(refusal.into_response()),
                };
                let request = AuthRequest::received(parts.method, &parts.uri, parts.headers)
                    .mounted_at(MOUNT)
                    .from_peer(peer)
                    .with_body(body);
                into_actix_response(auth.handle(request).await)
            }
        },
    ))
}

/// `/.well-known/jwks.json`: the public verification keys for `GET` and
/// `HEAD`, auth-core's `405` with `Allow: GET, HEAD` for other methods.
pub fn jwks_route(auth: AuthModule) -> Resource {
    web::resource(JWKS_PATH)
        .guard(canonical())
        .to(move |request: HttpRequest| {
            // A method that does not convert is none the document is served with.
            let response = match method(request.method()) {
                Ok(method) => jwks_answer(&method, || auth.jwks_response()),
                Err(_) => method_not_allowed(JWKS_METHODS),
            };
            async move { into_actix_response(response) }
        })
}

/// A guard that admits only the canonical spelling of a path
/// ([`is_canonical_path`]): `.guard(auth_actix::routes::canonical())` on a
/// resource makes `/store/customers/%6De` and `/store/customers/me/` the
/// application's `404`, as axum and warp answer them.
pub fn canonical() -> impl Guard {
    fn_guard(|context| is_canonical_path(raw_path(context)))
}

/// The path as received, before actix decodes it for matching.
fn raw_path<'a>(context: &'a GuardContext<'_>) -> &'a str {
    context.head().uri.path()
}

/// Mounts [`auth_routes`] and [`jwks_route`]: `App::new().configure(configure(auth))`.
pub fn configure(auth: AuthModule) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .service(jwks_route(auth.clone()))
            .service(auth_routes(auth));
    }
}

auth_core::wrapper! {
    /// A request body of at most [`MAX_BODY_BYTES`](auth_core::http::MAX_BODY_BYTES).
    ///
    /// A larger body is refused as soon as it passes the limit, with auth-core's
    /// `400 invalid_data`, without the server buffering the rest; a body whose
    /// stream fails with `400 invalid_data` too. Unlike actix's `Bytes` extractor
    /// (256 KiB, its own `413` page), every refusal is auth-core's.
    #[derive(Clone, Default, PartialEq, Eq)]
    pub struct CappedBody(Bytes) + RedactedDebug;
}

impl FromRequest for CappedBody {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    fn from_request(_: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = payload.take();
        Box::pin(async move {
            // `BodyStream` lends the payload `MessageBody::poll_next`, so no
            // stream utility crate is needed to read it chunk by chunk.
            let mut stream = pin!(BodyStream::new(payload));
            let mut cap = BodyCap::default();
            while let Some(chunk) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
                let chunk = chunk.map_err(|error| Rejection::unreadable_body(&error));
                cap.push(&chunk.map_err(AuthRejection)?)
                    .map_err(AuthRejection)?;
            }
            Ok(Self(cap.finish()))
        })
    }
}
