//! Request and response plumbing shared by every adapter, framework-free: the
//! neutral request, the body cap, the caller and its rejection, the client
//! address behind trusted proxies ([`ProxyPolicy`]), and the answers whose methods the core decides (the JWKS document,
//! `405` with its exact `Allow`).
//!
//! An adapter converts its framework's request into these types, asks the
//! module (`authorize`, `handle`, `jwks_response`, `error_response`), and
//! converts the `http::Response<Bytes>` it gets back. Nothing here decides for
//! one framework only, so the three adapters answer byte for byte alike.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::http::{AuthRequest, JWKS_PATH, jwks_answer, read_body};
//! use http::{Method, Request};
//! use http_body_util::Full;
//!
//! // An adapter's auth route: the request as received, the body capped.
//! let request = Request::post("/auth/customer/emailpass")
//!     .body(Full::new(bytes::Bytes::from_static(br#"{"email":"a@b.c"}"#)))
//!     .unwrap();
//! let (parts, body) = request.into_parts();
//! let neutral = AuthRequest::received(parts.method, &parts.uri, parts.headers)
//!     .below("/customer/emailpass")
//!     .with_body(read_body(body).await.unwrap());
//! assert_eq!(neutral.path, "/customer/emailpass");
//! // ... then `auth.handle(neutral).await` answers it.
//!
//! // The JWKS route, for any method.
//! let document = || http::Response::new(bytes::Bytes::from_static(b"{\"keys\":[]}"));
//! assert_eq!(JWKS_PATH, "/.well-known/jwks.json");
//! let refused = jwks_answer(&Method::POST, document);
//! assert_eq!(refused.status(), 405);
//! assert_eq!(refused.headers()["allow"], "GET, HEAD");
//! assert!(jwks_answer(&Method::HEAD, document).body().is_empty());
//! # });
//! ```

mod body;
mod caller;
mod proxy;
mod request;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, header};

pub use body::{BodyCap, read_body};
pub use caller::{Caller, Rejection};
pub use proxy::{InvalidProxy, ProxyPolicy};
pub use request::{AuthRequest, MAX_BODY_BYTES, below_mount, is_canonical_path, parse_json_body};

use crate::error::AuthError;
use crate::policy::RoutePolicy;
/// For the `Debug` of an adapter's secret-bearing type: a body's length, not its content.
pub use crate::secret::Redacted;

/// A route's policy with the module that evaluates it: what a framework's
/// layer or middleware holds, cheap to clone into every request.
///
/// `M` is the `AuthModule`; this plumbing takes it as a parameter so that it
/// does not depend on the module it serves.
#[derive(Clone)]
pub struct Guard<M> {
    module: M,
    policy: Arc<RoutePolicy>,
}

impl<M> Guard<M> {
    /// Guards with `policy`, evaluated by `module`.
    pub fn new(module: M, policy: RoutePolicy) -> Self {
        Self {
            module,
            policy: Arc::new(policy),
        }
    }

    /// The module that evaluates the policy.
    pub fn module(&self) -> &M {
        &self.module
    }

    /// The policy.
    pub fn policy(&self) -> &RoutePolicy {
        &self.policy
    }
}

/// Shows the policy; the module holds keys and stores.
impl<M> std::fmt::Debug for Guard<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Declares an adapter's own wrapper around a core type, dereferencing to it.
///
/// A framework's traits (`FromRequestParts`, `ResponseError`, `Reject`, ...)
/// can only be implemented on a type of the adapter's own (the orphan rule),
/// so each adapter wraps `Authenticated` as its `AuthUser` and [`Rejection`]
/// as its `AuthRejection`. This declares the tuple struct, with its field
/// public, and its `Deref`; with `+ Display` also `Display` and `Error`,
/// forwarded to the wrapped value; for a [`Guard`] with `+ new` also the
/// constructor `new(module, policy)`; for a request body with `+ RedactedDebug`
/// a `Debug` that shows the length only (a login body holds a password).
///
/// ```
/// auth_core::wrapper! {
///     /// Why a request was refused.
///     #[derive(Clone, Debug)]
///     pub struct AuthRejection(auth_core::http::Rejection) + Display;
/// }
///
/// let refusal = AuthRejection(auth_core::http::Rejection::method_not_allowed(&[http::Method::GET]));
/// assert_eq!(refusal.status(), 405);
/// assert_eq!(refusal.to_string(), "request refused: method not allowed");
/// ```
#[macro_export]
macro_rules! wrapper {
    ($(#[$meta:meta])* $vis:vis struct $name:ident(Guard<$module:ty>) + new;) => {
        $crate::wrapper! { $(#[$meta])* $vis struct $name($crate::http::Guard<$module>); }

        impl $name {
            /// Guards with `policy`, evaluated by `module`.
            pub fn new(module: $module, policy: $crate::RoutePolicy) -> Self {
                Self($crate::http::Guard::new(module, policy))
            }
        }
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident($inner:ty);) => {
        $(#[$meta])*
        $vis struct $name(pub $inner);

        impl ::std::ops::Deref for $name {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident($inner:ty) + Display;) => {
        $crate::wrapper! { $(#[$meta])* $vis struct $name($inner); }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::error::Error for $name {}
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident($inner:ty) + RedactedDebug;) => {
        $crate::wrapper! { $(#[$meta])* $vis struct $name($inner); }

        /// Shows the length, never the content: a body may hold a password.
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(::std::stringify!($name))
                    .field(&$crate::http::Redacted::of(&self.0))
                    .finish()
            }
        }
    };
}

/// The path of the JWKS document.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The methods the JWKS document is served with.
pub const JWKS_METHODS: &[Method] = &[Method::GET, Method::HEAD];

/// The answer of the JWKS route to any method: `document()` for `GET`, its
/// headers with an empty body for `HEAD`, `405` with `Allow: GET, HEAD` for
/// the rest. `document` is usually `|| auth.jwks_response()`.
pub fn jwks_answer(method: &Method, document: impl FnOnce() -> Response<Bytes>) -> Response<Bytes> {
    match *method {
        Method::GET => document(),
        Method::HEAD => document().map(|_| Bytes::new()),
        _ => method_not_allowed(JWKS_METHODS),
    }
}

/// `405` with the core's JSON body and an `Allow` header naming exactly
/// `allowed`, in the given order (`GET, HEAD`).
pub fn method_not_allowed(allowed: &[Method]) -> Response<Bytes> {
    let mut response = AuthError::MethodNotAllowed.to_response("");
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(allow) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}
