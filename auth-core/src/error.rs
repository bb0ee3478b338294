//! One error type for every refusal, and the one place that turns it into HTTP.
//!
//! Each [`AuthError`] variant knows its status code, its RFC 6750
//! `WWW-Authenticate` challenge ([`BearerChallenge`]) and its JSON body
//! `{"type", "message"}` in Medusa's shape. Adapters call
//! [`AuthError::to_response`] and translate the resulting `http::Response`; they
//! never build an error body themselves, so all three answer byte for byte the same.
//! Details (why a token was refused) go to `tracing`, never to the client.
//!
//! ```
//! use auth_core::error::AuthError;
//!
//! let response = AuthError::InvalidToken.to_response("store");
//! assert_eq!(response.status(), 401);
//! assert_eq!(
//!     response.headers()["www-authenticate"],
//!     r#"Bearer realm="store", error="invalid_token""#
//! );
//! assert_eq!(
//!     response.body().as_ref(),
//!     br#"{"type":"unauthorized","message":"Unauthorized"}"#
//! );
//! ```

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::store::StoreError;

/// The RFC 6750 error code of a bearer challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerErrorCode {
    /// The request is malformed (two `Authorization` headers, an empty token, ...).
    InvalidRequest,
    /// The token is expired, revoked, malformed or forged.
    InvalidToken,
    /// The token is valid but does not grant this route.
    InsufficientScope,
}

impl BearerErrorCode {
    /// The code as written in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

/// A `WWW-Authenticate: Bearer` challenge (RFC 6750 section 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerChallenge<'a> {
    /// The protection space, e.g. the service name.
    pub realm: &'a str,
    /// The error code; `None` when the request simply carried no credentials.
    pub error: Option<BearerErrorCode>,
}

impl fmt::Display for BearerChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer realm=\"")?;
        // realm is a quoted-string: escape the two characters that would end it.
        for c in self.realm.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")?;
        if let Some(code) = self.error {
            write!(f, ", error=\"{}\"", code.as_str())?;
        }
        Ok(())
    }
}

/// The `type` field of an error body, as the Medusa client knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// `unauthorized`
    Unauthorized,
    /// `invalid_data`
    InvalidData,
    /// `not_allowed`
    NotAllowed,
    /// `not_found`
    NotFound,
    /// `duplicate_error`
    DuplicateError,
    /// `too_many_requests`
    TooManyRequests,
    /// `unexpected_state`
    UnexpectedState,
}

impl ErrorType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InvalidData => "invalid_data",
            Self::NotAllowed => "not_allowed",
            Self::NotFound => "not_found",
            Self::DuplicateError => "duplicate_error",
            Self::TooManyRequests => "too_many_requests",
            Self::UnexpectedState => "unexpected_state",
        }
    }
}

/// Every way a request can be refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credentials on a route that requires them: `401` with a bare challenge.
    #[error("no credentials")]
    MissingCredentials,
    /// A bearer token or session that is invalid, expired, revoked or forged:
    /// `401`, `error="invalid_token"`, even on routes open to anonymous callers.
    #[error("invalid token")]
    InvalidToken,
    /// A malformed credential request: `400`, `error="invalid_request"`.
    #[error("malformed credentials: {0}")]
    InvalidRequest(&'static str),
    /// A valid credential whose actor type or kind the route does not accept:
    /// `403`, `error="insufficient_scope"`.
    #[error("insufficient scope")]
    InsufficientScope,
    /// A session cookie that names no live session: `401`, `error="invalid_token"`;
    /// the response also clears the cookie.
    #[error("invalid session")]
    InvalidSession,
    /// A password reset token that is unknown, used, expired or for another
    /// purpose: `401`, `error="invalid_token"`, message `Invalid token`.
    #[error("invalid reset token")]
    InvalidResetToken,
    /// A cookie-authenticated unsafe request from another site: `403`.
    #[error("cross-site request")]
    CrossSiteRequest,
    /// A valid credential of an identity not yet linked to an actor, on a route
    /// that requires a registered actor: `401`.
    #[error("identity not registered")]
    Unregistered,
    /// Authentication failed with a message meant for the user, such as
    /// `Invalid email or password`: `401`.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The request body or parameters are invalid: `400 invalid_data`.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// The operation is not allowed for this actor type or provider: `400 not_allowed`.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// No such route or resource: `404 not_found`.
    #[error("not found: {0}")]
    NotFound(String),
    /// The method is not served on this route: `405`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A record that must be unique exists already: `400 duplicate_error`.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// Throttled: `429` with `Retry-After` in seconds.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until the client may try again.
        retry_after: u64,
    },
    /// A store the request needs is unreachable: `503`, failing closed.
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an unexpected state: `500`. The detail is logged, not sent.
    #[error("internal error")]
    Internal,
}

impl AuthError {
    /// `404`: no route matches the path. The one body every adapter sends for
    /// unknown paths.
    pub fn route_not_found() -> Self {
        Self::NotFound("Route not found".into())
    }

    /// `401` with Medusa's message for a provider id the registry does not
    /// know: `Could not find a auth provider with id: <id>`, naming the id
    /// only when it looks like one (`[a-z0-9_-]{1,64}`); any other path
    /// segment gets `Could not find a auth provider`, nothing of it echoed.
    ///
    /// ```
    /// use auth_core::AuthError;
    ///
    /// let named = AuthError::unknown_provider("google");
    /// assert_eq!(named.message(), "Could not find a auth provider with id: google");
    /// let unnamed = AuthError::unknown_provider("%3Cscript%3E");
    /// assert_eq!(unnamed.message(), "Could not find a auth provider");
    /// ```
    pub fn unknown_provider(id: &str) -> Self {
        let looks_like_an_id = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        Self::Unauthorized(if looks_like_an_id {
            format!("Could not find a auth provider with id: {id}")
        } else {
            "Could not find a auth provider".into()
        })
    }

    /// `400`: the request body could not be read (a broken connection, a
    /// malformed chunked encoding).
    pub fn unreadable_body() -> Self {
        Self::InvalidData("Request body could not be read".into())
    }

    /// A stable `snake_case` code for the variant, one per variant:
    /// `missing_credentials`, `invalid_token`, `invalid_request`,
    /// `insufficient_scope`, `invalid_session`, `invalid_reset_token`,
    /// `cross_site_request`, `unregistered`, `unauthorized`, `invalid_data`,
    /// `not_allowed`, `not_found`, `method_not_allowed`, `duplicate`,
    /// `too_many_requests`, `unavailable`, `internal`.
    ///
    /// It names the kind of refusal and carries nothing from the request (no
    /// message, no token), so it is safe to log and to use as a metric label:
    /// the [`telemetry`](crate::telemetry) spans and counters use it.
    ///
    /// ```
    /// use auth_core::AuthError;
    ///
    /// assert_eq!(AuthError::InvalidToken.reason(), "invalid_token");
    /// assert_eq!(AuthError::Unauthorized("Invalid email or password".into()).reason(), "unauthorized");
    /// ```
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingCredentials => "missing_credentials",
            Self::InvalidToken => "invalid_token",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidSession => "invalid_session",
            Self::InvalidResetToken => "invalid_reset_token",
            Self::CrossSiteRequest => "cross_site_request",
            Self::Unregistered => "unregistered",
            Self::Unauthorized(_) => "unauthorized",
            Self::InvalidData(_) => "invalid_data",
            Self::NotAllowed(_) => "not_allowed",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Duplicate(_) => "duplicate",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingCredentials
            | Self::InvalidToken
            | Self::InvalidSession
            | Self::InvalidResetToken
            | Self::Unregistered
            | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest(_)
            | Self::InvalidData(_)
            | Self::NotAllowed(_)
            | Self::Duplicate(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope | Self::CrossSiteRequest => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `WWW-Authenticate` challenge this error carries, if any.
    pub fn challenge<'a>(&self, realm: &'a str) -> Option<BearerChallenge<'a>> {
        let error = match self {
            Self::MissingCredentials | Self::Unregistered | Self::Unauthorized(_) => None,
            Self::InvalidToken | Self::InvalidSession | Self::InvalidResetToken => {
                Some(BearerErrorCode::InvalidToken)
            }
            Self::InvalidRequest(_) => Some(BearerErrorCode::InvalidRequest),
            Self::InsufficientScope => Some(BearerErrorCode::InsufficientScope),
            _ => return None,
        };
        Some(BearerChallenge { realm, error })
    }

    /// The `type` of the JSON body.
    pub fn error_type(&self) -> ErrorType {
        match self {
            Self::MissingCredentials
            | Self::InvalidToken
            | Self::InvalidSession
            | Self::InvalidResetToken
            | Self::Unregistered
            | Self::Unauthorized(_) => ErrorType::Unauthorized,
            Self::InvalidRequest(_) | Self::InvalidData(_) => ErrorType::InvalidData,
            Self::InsufficientScope
            | Self::CrossSiteRequest
            | Self::NotAllowed(_)
            | Self::MethodNotAllowed => ErrorType::NotAllowed,
            Self::NotFound(_) => ErrorType::NotFound,
            Self::Duplicate(_) => ErrorType::DuplicateError,
            Self::TooManyRequests { .. } => ErrorType::TooManyRequests,
            Self::Unavailable | Self::Internal => ErrorType::UnexpectedState,
        }
    }

    /// The `message` of the JSON body: safe to show, never token contents.
    pub fn message(&self) -> &str {
        match self {
            Self::MissingCredentials
            | Self::InvalidToken
            | Self::InvalidSession
            | Self::Unregistered => "Unauthorized",
            Self::CrossSiteRequest => "Cross-site request refused",
            Self::InvalidResetToken => "Invalid token",
            Self::InvalidRequest(reason) => reason,
            Self::InsufficientScope => "Forbidden",
            Self::Unauthorized(message)
            | Self::InvalidData(message)
            | Self::NotAllowed(message)
            | Self::NotFound(message)
            | Self::Duplicate(message) => message,
            Self::MethodNotAllowed => "Method not allowed",
            Self::TooManyRequests { .. } => "Too many requests, please try again later",
            Self::Unavailable => "Service temporarily unavailable, please try again",
            Self::Internal => "An unknown error occurred.",
        }
    }

    /// The complete response: status, challenge, `Retry-After`, JSON body.
    ///
    /// A `405` gets no `Allow` here: only the route knows its methods. The
    /// auth routes add theirs (`AuthModule::handle`), other routes answer with
    /// [`http::method_not_allowed`](crate::http::method_not_allowed).
    pub fn to_response(&self, realm: &str) -> Response<Bytes> {
        let body = ErrorBody {
            error_type: self.error_type().as_str(),
            message: self.message(),
        };
        let mut response = crate::response::json_response(self.status(), &body);
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge(realm)
            && let Ok(value) = HeaderValue::from_str(&challenge.to_string())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        match self {
            Self::TooManyRequests { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            // A busy or unreachable dependency: worth retrying shortly.
            Self::Unavailable => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_AFTER),
                );
            }
            _ => {}
        }
        response
    }
}

/// `Retry-After` seconds of a `503`.
const UNAVAILABLE_RETRY_AFTER: u64 = 1;

/// The JSON body of every error, `type` first as Medusa sends it. A struct, not
/// a map: its field order holds whatever features `serde_json` is built with.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    error_type: &'a str,
    message: &'a str,
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "store unavailable; failing closed");
                Self::Unavailable
            }
            StoreError::InvalidIdentityId => Self::InvalidData("Invalid auth identity id".into()),
            other => {
                tracing::error!(error = %other, "unexpected store error");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_credentials_get_a_bare_challenge() {
        let response = AuthError::MissingCredentials.to_response("auth");
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="auth""#
        );
    }

    #[test]
    fn malformed_request_is_400_invalid_request() {
        let response =
            AuthError::InvalidRequest("Malformed Authorization header").to_response("auth");
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="auth", error="invalid_request""#
        );
    }

    #[test]
    fn insufficient_scope_is_403() {
        let response = AuthError::InsufficientScope.to_response("auth");
        assert_eq!(response.status(), 403);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="auth", error="insufficient_scope""#
        );
    }

    #[test]
    fn realm_quotes_are_escaped() {
        let challenge = BearerChallenge {
            realm: r#"a"b\c"#,
            error: None,
        };
        assert_eq!(challenge.to_string(), r#"Bearer realm="a\"b\\c""#);
    }

    #[test]
    fn method_not_allowed_names_no_methods_it_does_not_know() {
        let response = AuthError::MethodNotAllowed.to_response("auth");
        assert_eq!(response.status(), 405);
        assert!(response.headers().get("allow").is_none());
    }

    #[test]
    fn throttling_sends_retry_after() {
        let response = AuthError::TooManyRequests { retry_after: 42 }.to_response("auth");
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "42");
        assert!(response.headers().get("www-authenticate").is_none());
    }

    #[test]
    fn store_outage_fails_closed_with_503() {
        let error: AuthError = StoreError::Unavailable("connection refused".into()).into();
        let response = error.to_response("auth");
        assert_eq!(response.status(), 503);
        assert!(!String::from_utf8_lossy(response.body()).contains("connection refused"));
        assert_eq!(response.headers()["retry-after"], "1");
    }

    #[test]
    fn every_error_body_has_type_and_message() {
        for error in [
            AuthError::MissingCredentials,
            AuthError::InvalidToken,
            AuthError::Unregistered,
            AuthError::InvalidData("bad".into()),
            AuthError::NotFound("x".into()),
            AuthError::Internal,
        ] {
            let response = error.to_response("auth");
            let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert!(
                body["type"].is_string() && body["message"].is_string(),
                "{error:?}"
            );
            assert_eq!(response.headers()["content-type"], "application/json");
        }
    }
}
