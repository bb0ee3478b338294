//! Guarding routes: [`Auth::user`] and [`Auth::optional`] hand the request's
//! method, headers and query to [`AuthModule::require`] and
//! [`AuthModule::authorize`] and extract the verified caller, or reject with
//! the core's refusal.
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
use std::sync::Arc;

use auth_core::http::AuthRequest;
use auth_core::{AuthModule, Authenticated, RoutePolicy};
use http::{HeaderMap, Method};
use warp::{Filter, Rejection};

use crate::{Auth, AuthRejection};

auth_core::wrapper! {
    /// The verified caller of a route (Medusa's `authUser`): who, acting as which
    /// actor, by which credential. Derefs to [`Authenticated`], and through it to
    /// the [`AuthContext`](auth_core::AuthContext) (`actor_id`, `actor_type`,
    /// `auth_identity_id`, `app_metadata`).
    #[derive(Clone, Debug, PartialEq)]
    pub struct AuthUser(Authenticated);
}

impl Auth {
    /// Requires a caller that passes `policy`, and extracts it
    /// ([`AuthModule::require`]).
    ///
    /// - valid credentials the policy accepts: extracts the [`AuthUser`];
    /// - no credentials: rejects with `401` and a bare `Bearer` challenge, even
    ///   when the policy lets anonymous callers pass;
    /// - invalid credentials: rejects with the core's refusal (`401
    ///   invalid_token`, `400 invalid_request`, `403 insufficient_scope`, ...).
    ///
    /// Apply it after the route's path and method filters, and install
    /// [`recover`](crate::recover).
    pub fn user(
        &self,
        policy: RoutePolicy,
    ) -> impl Filter<Extract = (AuthUser,), Error = Rejection> + Clone + Send + Sync + 'static {
        self.guarded(policy, |module, policy, request| async move {
            module.require(&policy, &request.head()).await.map(AuthUser)
        })
    }

    /// Extracts the caller if there is one ([`AuthModule::authorize`]).
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
        self.guarded(policy, |module, policy, request| async move {
            let caller = module.authorize(&policy, &request.head()).await;
            caller.map(|caller| caller.map(AuthUser))
        })
    }

    /// Runs `decide` on each request's method, headers and query; a refusal
    /// becomes an [`AuthRejection`].
    fn guarded<T, F, Fut>(
        &self,
        policy: RoutePolicy,
        decide: F,
    ) -> impl Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync + 'static
    where
        T: Send + 'static,
        F: Fn(AuthModule, Arc<RoutePolicy>, AuthRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T, auth_core::AuthError>> + Send,
    {
        let module = self.module.clone();
        let policy = Arc::new(policy);
        request_head().and_then(
            move |method: Method, headers: HeaderMap, query: Option<String>| {
                let (module, policy, decide) =
                    (module.clone(), Arc::clone(&policy), decide.clone());
                let mut request = AuthRequest::new(method, "");
                (request.headers, request.query) = (headers, query);
                async move {
                    decide(module.clone(), policy, request)
                        .await
                        .map_err(|error| warp::reject::custom(AuthRejection::new(&module, error)))
                }
            },
        )
    }
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
