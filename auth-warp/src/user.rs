//! Guarding routes: [`Auth::user`] and [`Auth::optional`] hand the request's
//! method, headers and query to [`AuthModule::authorize`] and extract the
//! verified caller, or reject with the core's refusal.
//!
//! ```
//! # fn demo(auth: auth_warp::Auth) {
//! use auth_core::RoutePolicy;
//! use auth_warp::AuthUser;
//! use warp::Filter;
//!
//! // GET /store/customers/me: the path and method first, then the caller.
//! let me = warp::path!("store" / "customers" / "me")
//!     .and(warp::get())
//!     .and(auth.user(RoutePolicy::actor_types(["customer"])))
//!     .map(|user: AuthUser| user.actor_id.clone());
//! # }
//! ```

use std::convert::Infallible;
use std::ops::Deref;
use std::sync::Arc;

use auth_core::credentials::RequestHead;
use auth_core::{AuthError, AuthModule, Authenticated, RoutePolicy};
use http::{HeaderMap, Method};
use warp::{Filter, Rejection};

use crate::{Auth, AuthRejection};

/// The verified caller of a route (Medusa's `authUser`): who, acting as which
/// actor, by which credential. Derefs to [`Authenticated`], and through it to
/// the [`AuthContext`](auth_core::AuthContext) (`actor_id`, `actor_type`,
/// `auth_identity_id`, `app_metadata`).
#[derive(Clone, Debug, PartialEq)]
pub struct AuthUser(pub Authenticated);

impl AuthUser {
    /// The verified caller, by value.
    pub fn into_inner(self) -> Authenticated {
        self.0
    }
}

impl Deref for AuthUser {
    type Target = Authenticated;

    fn deref(&self) -> &Authenticated {
        &self.0
    }
}

impl Auth {
    /// Requires a caller that passes `policy`, and extracts it.
    ///
    /// - valid credentials the policy accepts: extracts the [`AuthUser`];
    /// - no credentials: rejects with `401` and a bare `Bearer` challenge;
    /// - invalid credentials: rejects with the core's refusal (`401
    ///   invalid_token`, `400 invalid_request`, `403 insufficient_scope`, ...).
    ///
    /// Apply it after the route's path and method filters, and install
    /// [`recover`](crate::recover).
    pub fn user(
        &self,
        policy: RoutePolicy,
    ) -> impl Filter<Extract = (AuthUser,), Error = Rejection> + Clone + Send + Sync + 'static {
        let module = self.module.clone();
        self.authorized(policy)
            .and_then(move |user: Option<AuthUser>| {
                // A handler that takes an `AuthUser` cannot serve anonymous
                // callers, whatever the policy allows.
                std::future::ready(
                    user.ok_or_else(|| refuse(&module, AuthError::MissingCredentials)),
                )
            })
    }

    /// Extracts the caller if there is one.
    ///
    /// - no credentials: extracts `None` when `policy` allows unauthenticated
    ///   callers (`RoutePolicy::allow_unauthenticated`), else rejects with `401`;
    /// - invalid credentials: rejects exactly like [`user`](Self::user): an
    ///   invalid token is never downgraded to an anonymous caller;
    /// - valid credentials the policy accepts: extracts `Some(AuthUser)`.
    pub fn optional(
        &self,
        policy: RoutePolicy,
    ) -> impl Filter<Extract = (Option<AuthUser>,), Error = Rejection> + Clone + Send + Sync + 'static
    {
        self.authorized(policy)
    }

    /// The one place a request meets [`AuthModule::authorize`].
    fn authorized(
        &self,
        policy: RoutePolicy,
    ) -> impl Filter<Extract = (Option<AuthUser>,), Error = Rejection> + Clone + Send + Sync + 'static
    {
        let module = self.module.clone();
        let policy = Arc::new(policy);
        request_head().and_then(
            move |method: Method, headers: HeaderMap, query: Option<String>| {
                let module = module.clone();
                let policy = Arc::clone(&policy);
                async move {
                    let head = RequestHead::new(&method, &headers, query.as_deref());
                    match module.authorize(&policy, &head).await {
                        Ok(caller) => Ok(caller.map(AuthUser)),
                        Err(error) => Err(refuse(&module, error)),
                    }
                }
            },
        )
    }
}

/// The rejection for a refusal, carrying the module's response.
fn refuse(module: &AuthModule, error: AuthError) -> Rejection {
    warp::reject::custom(AuthRejection::new(module, error))
}

/// The method, headers and raw query (`None` without `?`) of a request.
pub(crate) fn request_head()
-> impl Filter<Extract = (Method, HeaderMap, Option<String>), Error = Infallible>
+ Clone
+ Send
+ Sync
+ 'static {
    // `query::raw` rejects a request without a query; that is `None` here.
    let query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    warp::method()
        .and(warp::header::headers_cloned())
        .and(query)
}
