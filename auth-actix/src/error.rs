//! [`AuthRejection`]: an auth refusal as an actix [`ResponseError`].
//!
//! The response is auth-core's, rendered once by
//! [`AuthModule::error_response`](auth_core::AuthModule::error_response) and sent
//! unchanged: status, `WWW-Authenticate` challenge, JSON body and every other
//! header. Handlers can return it with `?`:
//!
//! ```
//! use actix_web::{HttpResponse, ResponseError};
//! use auth_actix::AuthRejection;
//! use auth_core::AuthError;
//! # fn module() -> auth_core::AuthModule {
//! #     auth_core::AuthModule::builder()
//! #         .hs256(b"an example secret of 32+ bytes!!")
//! #         .issuer("https://auth.example")
//! #         .audience("store")
//! #         .build()
//! #         .unwrap()
//! # }
//! let auth = module();
//!
//! fn only_even(auth: &auth_core::AuthModule, n: u32) -> Result<HttpResponse, AuthRejection> {
//!     if n % 2 == 1 {
//!         return Err(AuthRejection::new(auth, AuthError::NotFound("No such thing".into())));
//!     }
//!     Ok(HttpResponse::Ok().finish())
//! }
//!
//! let response = only_even(&auth, 1).unwrap_err().error_response();
//! assert_eq!(response.status().as_u16(), 404);
//! assert_eq!(response.headers().get("content-type").unwrap(), "application/json");
//! ```

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_core::{AuthError, AuthModule};
use bytes::Bytes;

use crate::convert::actix_response;

/// An auth refusal carrying auth-core's response for it.
#[derive(Debug)]
pub struct AuthRejection {
    reason: Reason,
    response: http::Response<Bytes>,
}

#[derive(Debug)]
enum Reason {
    /// auth-core refused the request.
    Refused(AuthError),
    /// An extractor ran on a route that no [`RequireAuth`](crate::RequireAuth) guards.
    MiddlewareMissing { extractor: &'static str },
}

impl AuthRejection {
    /// The refusal `error`, rendered with `auth`'s realm.
    pub fn new(auth: &AuthModule, error: AuthError) -> Self {
        let response = auth.error_response(&error);
        Self {
            reason: Reason::Refused(error),
            response,
        }
    }

    /// A programming error: `extractor` was used on a route without the
    /// middleware. Logged loudly; the client gets auth-core's plain `500`.
    pub(crate) fn middleware_missing(extractor: &'static str) -> Self {
        let reason = Reason::MiddlewareMissing { extractor };
        tracing::error!("{reason}");
        // An internal error carries no challenge, so the realm does not show.
        let response = AuthError::Internal.to_response("");
        Self { reason, response }
    }

    /// A body whose stream failed (client gone, broken chunked encoding): `400
    /// invalid_data`.
    pub(crate) fn unreadable_body() -> Self {
        let error = AuthError::unreadable_body();
        // `invalid_data` carries no challenge, so the realm does not show.
        let response = error.to_response("");
        Self {
            reason: Reason::Refused(error),
            response,
        }
    }

    /// The core's error behind this refusal; [`AuthError::Internal`] when the
    /// middleware was missing.
    pub fn auth_error(&self) -> &AuthError {
        match &self.reason {
            Reason::Refused(error) => error,
            Reason::MiddlewareMissing { .. } => &AuthError::Internal,
        }
    }

    /// Whether this is the "extractor used without the middleware" error.
    pub fn is_middleware_missing(&self) -> bool {
        matches!(self.reason, Reason::MiddlewareMissing { .. })
    }

    /// The response that will be sent, as auth-core built it.
    pub fn response(&self) -> &http::Response<Bytes> {
        &self.response
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(error) => write!(f, "request refused: {error}"),
            Self::MiddlewareMissing { extractor } => write!(
                f,
                "the `{extractor}` extractor needs the `auth_actix::RequireAuth` middleware: \
                 wrap this route, its scope or the app with `.wrap(RequireAuth::new(auth, policy))`"
            ),
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

impl std::error::Error for AuthRejection {}

impl From<AuthRejection> for HttpResponse {
    fn from(rejection: AuthRejection) -> Self {
        let (parts, body) = rejection.response.into_parts();
        actix_response(parts.status, &parts.headers, body)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.response.status().as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        actix_response(
            self.response.status(),
            self.response.headers(),
            self.response.body().clone(),
        )
    }
}
