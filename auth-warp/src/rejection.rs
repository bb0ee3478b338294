//! Refusals as warp rejections, and [`recover`], which turns them back into the
//! core's responses.
//!
//! warp answers a custom rejection it does not know with `500`, so a service
//! ends its filter chain with `.recover(auth_warp::recover)`:
//!
//! ```
//! use warp::Filter;
//!
//! let app = warp::path!("health")
//!     .and(warp::get())
//!     .map(|| "ok")
//!     .recover(auth_warp::recover);
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let response = warp::test::request().method("POST").path("/health").reply(&app).await;
//! assert_eq!(response.status(), 405);
//! assert_eq!(response.headers()["content-type"], "application/json");
//! # });
//! ```

use auth_core::http::Rejection as CoreRejection;
use auth_core::{AuthError, AuthModule};
use bytes::Bytes;
use http::Response;
use warp::reject::{self, Reject};
use warp::{Rejection, Reply};

auth_core::wrapper! {
    /// A request refused by the core: auth-core's
    /// [`Rejection`](auth_core::http::Rejection), whose accessors it
    /// dereferences to (`error()`, `status()`, `response()`).
    #[derive(Clone, Debug)]
    pub struct AuthRejection(CoreRejection);
}

impl AuthRejection {
    /// The rejection for `error`, answered with `module`'s realm.
    pub fn new(module: &AuthModule, error: AuthError) -> Self {
        let response = module.error_response(&error);
        Self(CoreRejection::new(error, response))
    }
}

impl Reject for AuthRejection {}

/// Answers the rejections this crate knows with the core's responses:
///
/// - an [`AuthRejection`]: its response, exactly as the core built it;
/// - warp's `404` (no route matched): the core's `404 not_found` JSON;
/// - warp's `405` (a route matched the path, not the method): the core's `405`
///   JSON, unless warp holds a rejection it ranks higher. warp does not say
///   which methods the path serves, so this answer has no `Allow`: use
///   [`methods`](crate::methods) instead of `warp::get()` and friends for a
///   `405` that names them.
///
/// Any other rejection is returned unchanged, for warp's default answer or a
/// later `recover`.
pub async fn recover(rejection: Rejection) -> Result<warp::reply::Response, Rejection> {
    match rejection_response(&rejection) {
        Some(response) => Ok(response.into_response()),
        None => Err(rejection),
    }
}

/// The core's response for `rejection`, as [`recover`] answers it; `None` for
/// rejections this crate does not answer.
pub fn rejection_response(rejection: &Rejection) -> Option<Response<Bytes>> {
    if let Some(refusal) = rejection.find::<AuthRejection>() {
        return Some(refusal.response().clone());
    }
    // Routing errors carry no challenge, so the realm does not show.
    routing_error(rejection).map(|error| error.to_response(""))
}

/// warp's routing rejections in the core's terms: the one place they are mapped.
fn routing_error(rejection: &Rejection) -> Option<AuthError> {
    if rejection.is_not_found() {
        return Some(AuthError::route_not_found());
    }
    let wrong_method = rejection.find::<reject::MethodNotAllowed>().is_some();
    (wrong_method && !outranks_wrong_method(rejection)).then_some(AuthError::MethodNotAllowed)
}

/// Whether `rejection` also holds one of warp's own rejections that warp
/// prefers to `405` (every status but `404` ranks above it): a route matched
/// path and method, then refused the request for another reason.
fn outranks_wrong_method(rejection: &Rejection) -> bool {
    rejection.find::<reject::InvalidHeader>().is_some()
        || rejection.find::<reject::MissingHeader>().is_some()
        || rejection.find::<reject::MissingCookie>().is_some()
        || rejection.find::<reject::InvalidQuery>().is_some()
        || rejection.find::<reject::LengthRequired>().is_some()
        || rejection.find::<reject::PayloadTooLarge>().is_some()
        || rejection.find::<reject::UnsupportedMediaType>().is_some()
        || rejection
            .find::<warp::body::BodyDeserializeError>()
            .is_some()
}
