//! The per-route policy: a tower layer that lets through only what the route's
//! [`RoutePolicy`](auth_core::RoutePolicy) admits.
//!
//! Add an [`AuthLayer`] to a route with `route_layer` (so that unmatched paths
//! keep their `404` and wrong methods their `405`). For each request it asks
//! [`AuthModule::authorize`] and either answers the refusal (auth-core's response:
//! `401`, `400`, `403`, ... with challenge and JSON body) or calls the handler with
//! the admitted [`Caller`] in the request's extensions, where
//! [`AuthUser`](crate::AuthUser) reads it.
//!
//! ```
//! use auth_axum::{AuthLayer, AuthUser};
//! use auth_core::identity::CredentialKind;
//! use auth_core::{AuthModule, RoutePolicy};
//! use axum::Router;
//! use axum::routing::{get, post};
//!
//! fn admin(auth: AuthModule) -> Router {
//!     let users = RoutePolicy::actor_types(["user"]);
//!     Router::new()
//!         // One policy per route ...
//!         .route(
//!             "/admin/users/me",
//!             get(|caller: AuthUser| async move { caller.actor_id.clone() }).route_layer(
//!                 AuthLayer::new(auth.clone(), users.clone().credentials([CredentialKind::Bearer, CredentialKind::Session])),
//!             ),
//!         )
//!         // ... or one for every route of a router.
//!         .merge(
//!             Router::new()
//!                 .route("/admin/products", post(|| async { "created" }))
//!                 .route_layer(AuthLayer::new(auth, users)),
//!         )
//! }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use auth_core::AuthModule;
use auth_core::credentials::RequestHead;
use auth_core::http::{Caller, Guard};
use axum::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::AuthRejection;

auth_core::wrapper! {
    /// Evaluates a [`RoutePolicy`](auth_core::RoutePolicy) before the handler runs; see the [module docs](self).
    ///
    /// Dereferences to auth-core's [`Guard`]: `policy()`, `module()`.
    /// `new(auth, policy)` guards with `policy`, evaluated by `auth`.
    #[derive(Clone, Debug)]
    pub struct AuthLayer(Guard<AuthModule>) + new;
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthMiddleware<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthMiddleware {
            inner,
            guard: self.0.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around a route.
#[derive(Clone, Debug)]
pub struct AuthMiddleware<S> {
    inner: S,
    guard: Guard<AuthModule>,
}

/// The response future of [`AuthMiddleware`].
pub type ResponseFuture<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send + 'static>>;

impl<S, B> Service<Request<B>> for AuthMiddleware<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The service polled ready is the one that must be called: keep it, leave a clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            let auth = guard.module();
            let outcome = {
                let head =
                    RequestHead::new(request.method(), request.headers(), request.uri().query());
                auth.authorize(guard.policy(), &head).await
            };
            match Caller::admit(outcome, |error| auth.error_response(error)) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await.map(IntoResponse::into_response)
                }
                Err(refusal) => Ok(AuthRejection(refusal).into_response()),
            }
        })
    }
}
