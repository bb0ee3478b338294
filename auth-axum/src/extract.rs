//! Extractors: the verified caller ([`AuthUser`]), and the request body capped
//! for auth-core ([`LimitedBody`]).
//!
//! ## `AuthUser` as an extractor
//!
//! Reads what the route's [`AuthLayer`](crate::AuthLayer) admitted. The layer has
//! already answered every invalid credential, so the extractor only sees
//! admitted requests:
//!
//! - `AuthUser`: the verified caller; an anonymous caller (admitted by a policy
//!   that allows anonymous callers) is refused with auth-core's `401` and a bare
//!   `WWW-Authenticate` challenge.
//! - `Option<AuthUser>`: `Some(caller)`, or `None` for an anonymous caller. An
//!   invalid token never becomes `None`: the layer refused it with `401
//!   invalid_token` before the handler ran.
//! - Both, on a route without an `AuthLayer`: [`AuthRejection`] with status
//!   `500`, logged with `tracing` at error level naming the missing layer. There
//!   is no fallback policy: a route is protected by the policy written next to it
//!   or by none.
//!
//! The layer leaves auth-core's [`Caller`] in the request's extensions; the
//! extractors only read it, so the anonymous-caller refusal is the core's.
//!
//! ```
//! use auth_axum::AuthUser;
//!
//! async fn whoami(caller: Option<AuthUser>) -> String {
//!     match caller {
//!         Some(caller) => format!("{} {}", caller.actor_type, caller.actor_id),
//!         None => "anonymous".to_owned(),
//!     }
//! }
//! ```
//!
//! ## `AuthRejection` as a response
//!
//! The refusal auth-core decided ([`Rejection`]), sent as given: status,
//! headers (the `WWW-Authenticate` challenge, ...) and JSON body.

use auth_core::Authenticated;
use auth_core::http::{Caller, Rejection, read_body};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;

auth_core::wrapper! {
    /// The verified caller of a request; see the [module docs](self).
    ///
    /// Dereferences to [`Authenticated`], and through it to the
    /// [`AuthContext`](auth_core::AuthContext): `caller.actor_id`,
    /// `caller.actor_type`, `caller.auth_identity_id`, `caller.app_metadata`.
    #[derive(Clone, Debug, PartialEq)]
    pub struct AuthUser(Authenticated);
}

/// What the route's layer admitted, or the `500` for a route without one.
fn admitted(parts: &Parts) -> Result<&Caller, AuthRejection> {
    parts.extensions.get::<Caller>().ok_or_else(|| {
        AuthRejection(Rejection::missing_guard(
            "AuthUser extracted on a route without AuthLayer; add `.route_layer(AuthLayer::new(auth, policy))` to the route",
        ))
    })
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match admitted(parts)?.require() {
            Ok(caller) => Ok(Self(caller.clone())),
            Err(refusal) => Err(AuthRejection(refusal.clone())),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(admitted(parts)?.optional().cloned().map(Self))
    }
}

auth_core::wrapper! {
    /// Why a request was refused: auth-core's [`Rejection`], whose accessors it
    /// dereferences to (`error()`, `is_missing_guard()`, `status()`, `response()`).
    ///
    /// Its [`IntoResponse`] sends the core's response unchanged.
    #[derive(Clone, Debug)]
    pub struct AuthRejection(Rejection) + Display;
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        crate::into_response(self.0.into_response())
    }
}

auth_core::wrapper! {
    /// The raw request body, at most
    /// [`MAX_BODY_BYTES`](auth_core::http::MAX_BODY_BYTES) long.
    ///
    /// A larger body is refused, unread past the limit, with auth-core's `400
    /// invalid_data` ("Request body is too large"), never axum's own `413`; a body
    /// that cannot be read at all (the connection broke) with `400 invalid_data`
    /// too. Parse it with [`parse_json_body`](auth_core::http::parse_json_body).
    ///
    /// ```
    /// use auth_axum::LimitedBody;
    ///
    /// async fn create(LimitedBody(body): LimitedBody) -> String {
    ///     match auth_core::http::parse_json_body(&body) {
    ///         Ok(json) => json.to_string(),
    ///         Err(error) => error.to_string(),
    ///     }
    /// }
    /// ```
    #[derive(Clone, PartialEq, Eq)]
    pub struct LimitedBody(Bytes) + RedactedDebug;
}

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read_body(request.into_body())
            .await
            .map(Self)
            .map_err(AuthRejection)
    }
}
