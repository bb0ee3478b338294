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
//! The refusal auth-core decided, sent as given: status, headers (the
//! `WWW-Authenticate` challenge, ...) and JSON body.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;

use auth_core::routes::MAX_BODY_BYTES;
use auth_core::{AuthError, AuthModule, Authenticated};
use axum::body::{Body, HttpBody};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::request::Parts;

use crate::layer::Admitted;

/// The verified caller of a request; see the [module docs](self).
///
/// Dereferences to [`Authenticated`], and through it to the
/// [`AuthContext`](auth_core::AuthContext): `caller.actor_id`,
/// `caller.actor_type`, `caller.auth_identity_id`, `caller.app_metadata`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthUser(pub Authenticated);

impl std::ops::Deref for AuthUser {
    type Target = Authenticated;

    fn deref(&self) -> &Authenticated {
        &self.0
    }
}

/// What the route's layer admitted, or the `500` for a route without one.
fn admitted(parts: &Parts) -> Result<&Admitted, AuthRejection> {
    parts.extensions.get::<Admitted>().ok_or_else(|| {
        tracing::error!(
            method = %parts.method,
            path = %parts.uri.path(),
            "AuthUser extracted on a route without AuthLayer; add `.route_layer(AuthLayer::new(auth, policy))` to the route"
        );
        AuthRejection::missing_layer()
    })
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let admitted = admitted(parts)?;
        match &admitted.caller {
            Some(caller) => Ok(Self(caller.clone())),
            None => Err(AuthRejection::refused(
                &admitted.auth,
                AuthError::MissingCredentials,
            )),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(admitted(parts)?.caller.clone().map(Self))
    }
}

/// Why a request was refused: auth-core's response, ready to send.
///
/// Its [`IntoResponse`] sends that response unchanged.
#[derive(Debug)]
pub struct AuthRejection {
    reason: Reason,
    // Boxed: rejections travel in `Result`s, where a large error slows the happy path.
    response: Box<http::Response<Bytes>>,
}

#[derive(Debug)]
enum Reason {
    Refused(AuthError),
    MissingLayer,
}

/// The realm for errors that carry no `WWW-Authenticate` challenge (`Internal`,
/// `InvalidData`), where no [`AuthModule`] is at hand: auth-core ignores it.
const NO_CHALLENGE_REALM: &str = "";

impl AuthRejection {
    /// auth-core's refusal, with the module's realm.
    pub(crate) fn refused(auth: &AuthModule, error: AuthError) -> Self {
        Self {
            response: Box::new(auth.error_response(&error)),
            reason: Reason::Refused(error),
        }
    }

    fn missing_layer() -> Self {
        Self {
            response: Box::new(AuthError::Internal.to_response(NO_CHALLENGE_REALM)),
            reason: Reason::MissingLayer,
        }
    }

    fn unreadable_body() -> Self {
        let error = AuthError::unreadable_body();
        Self {
            response: Box::new(error.to_response(NO_CHALLENGE_REALM)),
            reason: Reason::Refused(error),
        }
    }

    /// auth-core's reason for the refusal; `None` when the route has no
    /// [`AuthLayer`](crate::AuthLayer) (a bug in the application, not in the request).
    pub fn error(&self) -> Option<&AuthError> {
        match &self.reason {
            Reason::Refused(error) => Some(error),
            Reason::MissingLayer => None,
        }
    }

    /// Whether the extractor ran on a route without an [`AuthLayer`](crate::AuthLayer).
    pub fn is_missing_layer(&self) -> bool {
        matches!(self.reason, Reason::MissingLayer)
    }

    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Refused(error) => write!(f, "request refused: {error}"),
            Reason::MissingLayer => f.write_str(
                "AuthUser extracted on a route without AuthLayer; add `.route_layer(AuthLayer::new(auth, policy))` to the route",
            ),
        }
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        crate::into_response(*self.response)
    }
}

/// The raw request body, read up to one byte past
/// [`MAX_BODY_BYTES`].
///
/// The rest of an oversized body is left unread: the bytes are handed to
/// auth-core (for instance
/// [`parse_json_body`](auth_core::routes::parse_json_body)), which refuses them
/// with `400 invalid_data`, so the size limit answers like every other bad body.
/// A body that cannot be read at all (the connection broke) is refused with `400
/// invalid_data`.
///
/// ```
/// use auth_axum::LimitedBody;
///
/// async fn create(LimitedBody(body): LimitedBody) -> String {
///     match auth_core::routes::parse_json_body(&body) {
///         Ok(json) => json.to_string(),
///         Err(error) => error.to_string(),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read_limited(request.into_body()).await.map(Self)
    }
}

/// Reads at most `MAX_BODY_BYTES + 1` bytes of `body`.
pub(crate) async fn read_limited(mut body: Body) -> Result<Bytes, AuthRejection> {
    let limit = MAX_BODY_BYTES + 1;
    let mut collected = BytesMut::new();
    while collected.len() < limit {
        let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await else {
            break;
        };
        let frame = frame.map_err(|error| {
            tracing::debug!(%error, "request body could not be read");
            AuthRejection::unreadable_body()
        })?;
        if let Ok(data) = frame.into_data() {
            let room = limit - collected.len();
            collected.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(collected.freeze())
}
