//! The caller a route's guard admitted, and the refusal an adapter sends.
//!
//! A framework's layer or middleware evaluates the route's policy with
//! `AuthModule::authorize` and turns the outcome into a [`Caller`] with
//! [`Caller::admit`]; it leaves the caller in the request's extensions, where
//! the extractors read it: [`Caller::require`] for a handler that needs a
//! caller, [`Caller::optional`] for one that serves anonymous callers too.
//! Every refusal is a [`Rejection`]: the core's response, ready to send, and
//! the reason.
//!
//! ```
//! use auth_core::AuthError;
//! use auth_core::http::Caller;
//!
//! // What the policy said: no credentials, and the route lets anonymous callers pass.
//! let caller = Caller::admit(Ok(None), |error| error.to_response("store")).unwrap();
//! assert!(caller.optional().is_none());
//! let refusal = caller.require().unwrap_err();
//! assert_eq!(refusal.error(), Some(&AuthError::MissingCredentials));
//! assert_eq!(refusal.response().headers()["www-authenticate"], r#"Bearer realm="store""#);
//! ```

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{Method, Response, StatusCode};

use crate::error::AuthError;
use crate::policy::Authenticated;

/// The realm of responses that carry no `WWW-Authenticate` challenge (`500`,
/// `400 invalid_data`, `405`): the core ignores it there.
const NO_CHALLENGE: &str = "";

/// A refused request: the core's response (status, headers, JSON body) and why.
#[derive(Clone, Debug)]
pub struct Rejection {
    reason: Reason,
    // Boxed: rejections travel in `Result`s, where a large error slows the happy path.
    response: Box<Response<Bytes>>,
}

#[derive(Clone, Debug)]
enum Reason {
    Refused(AuthError),
    MissingGuard(Cow<'static, str>),
}

impl Rejection {
    /// The refusal `error`, answered with `response` (usually
    /// `AuthModule::error_response(&error)`, which knows the realm).
    pub fn new(error: AuthError, response: Response<Bytes>) -> Self {
        Self {
            reason: Reason::Refused(error),
            response: Box::new(response),
        }
    }

    /// An extractor ran on a route its guard does not wrap: a bug in the
    /// application, logged at error level with `fix`; the client gets a plain
    /// `500`. There is no fallback policy.
    pub fn missing_guard(fix: impl Into<Cow<'static, str>>) -> Self {
        let fix = fix.into();
        tracing::error!("{fix}");
        Self {
            reason: Reason::MissingGuard(fix),
            response: Box::new(AuthError::Internal.to_response(NO_CHALLENGE)),
        }
    }

    /// `405`: the path serves only `allowed`, named in the `Allow` header.
    pub fn method_not_allowed(allowed: &[Method]) -> Self {
        Self::new(
            AuthError::MethodNotAllowed,
            super::method_not_allowed(allowed),
        )
    }

    /// `400 invalid_data`: the body could not be read (a broken connection, a
    /// malformed chunked encoding).
    pub fn unreadable_body(cause: &dyn fmt::Display) -> Self {
        tracing::debug!(%cause, "request body could not be read");
        Self::plain(AuthError::unreadable_body())
    }

    /// `400 invalid_data`: the adapter could not translate the request into
    /// `http` types (its method, URI or a header did not convert). The
    /// request is refused, never replaced by a default one: a `GET` with no
    /// headers in its place would pass the CSRF check and drop the credentials.
    ///
    /// ```
    /// use auth_core::http::Rejection;
    ///
    /// let refusal = Rejection::untranslatable(&"header name not valid in http 1");
    /// assert_eq!(refusal.status(), 400);
    /// assert_eq!(refusal.error().map(|error| error.reason()), Some("invalid_data"));
    /// ```
    pub fn untranslatable(cause: &dyn fmt::Display) -> Self {
        tracing::debug!(%cause, "request could not be translated for auth-core");
        Self::plain(AuthError::InvalidData("Request could not be read".into()))
    }

    /// A refusal whose response needs no realm.
    pub(crate) fn plain(error: AuthError) -> Self {
        let response = error.to_response(NO_CHALLENGE);
        Self::new(error, response)
    }

    /// The core's reason; `None` when the route has no guard.
    pub fn error(&self) -> Option<&AuthError> {
        match &self.reason {
            Reason::Refused(error) => Some(error),
            Reason::MissingGuard(_) => None,
        }
    }

    /// Whether an extractor ran on a route without its guard.
    pub fn is_missing_guard(&self) -> bool {
        matches!(self.reason, Reason::MissingGuard(_))
    }

    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The response, as the core built it.
    pub fn response(&self) -> &Response<Bytes> {
        &self.response
    }

    /// The response, to send.
    pub fn into_response(self) -> Response<Bytes> {
        *self.response
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Refused(error) => write!(f, "request refused: {error}"),
            Reason::MissingGuard(fix) => f.write_str(fix),
        }
    }
}

impl std::error::Error for Rejection {}

/// Who a guarded request comes from, as the route's guard admitted it.
#[derive(Clone, Debug)]
pub struct Caller(Admitted);

#[derive(Clone, Debug)]
enum Admitted {
    Verified(Authenticated),
    /// No credentials, and the policy lets anonymous callers pass; holds the
    /// refusal for handlers that need a caller all the same.
    Anonymous(Rejection),
}

impl Caller {
    /// Turns the outcome of `AuthModule::authorize` into the admitted caller
    /// or the refusal; `respond` renders an error (`AuthModule::error_response`).
    pub fn admit(
        outcome: Result<Option<Authenticated>, AuthError>,
        respond: impl Fn(&AuthError) -> Response<Bytes>,
    ) -> Result<Self, Rejection> {
        let reject = |error: AuthError| Rejection::new(error.clone(), respond(&error));
        match outcome {
            Ok(Some(caller)) => Ok(Self(Admitted::Verified(caller))),
            // The same refusal `AuthModule::require` gives an anonymous caller.
            Ok(None) => Ok(Self(Admitted::Anonymous(reject(
                AuthError::MissingCredentials,
            )))),
            Err(error) => Err(reject(error)),
        }
    }

    /// The verified caller, or `401` with a bare challenge for an anonymous one.
    pub fn require(&self) -> Result<&Authenticated, &Rejection> {
        match &self.0 {
            Admitted::Verified(caller) => Ok(caller),
            Admitted::Anonymous(refusal) => Err(refusal),
        }
    }

    /// The verified caller, `None` for an anonymous one.
    pub fn optional(&self) -> Option<&Authenticated> {
        self.require().ok()
    }
}
