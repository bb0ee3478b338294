//! The per-route policy: a tower layer that lets through only what the route's
//! [`RoutePolicy`] admits.
//!
//! Add an [`AuthLayer`] to a route with `route_layer` (so that unmatched paths
//! keep their `404` and wrong methods their `405`). For each request it asks
//! [`AuthModule::authorize`] and either answers the refusal (auth-core's response:
//! `401`, `400`, `403`, ... with challenge and JSON body) or calls the handler with
//! the admitted caller in the request's extensions, where
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
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::credentials::RequestHead;
use auth_core::{AuthModule, Authenticated, RoutePolicy};
use axum::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::AuthRejection;

/// Evaluates a [`RoutePolicy`] before the handler runs; see the [module docs](self).
#[derive(Clone)]
pub struct AuthLayer {
    auth: AuthModule,
    policy: Arc<RoutePolicy>,
}

impl AuthLayer {
    /// A layer that admits what `policy` admits, verified by `auth`.
    pub fn new(auth: AuthModule, policy: RoutePolicy) -> Self {
        Self {
            auth,
            policy: Arc::new(policy),
        }
    }

    /// The policy this layer evaluates.
    pub fn policy(&self) -> &RoutePolicy {
        &self.policy
    }
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthMiddleware<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthMiddleware {
            inner,
            auth: self.auth.clone(),
            policy: self.policy.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around a route.
#[derive(Clone)]
pub struct AuthMiddleware<S> {
    inner: S,
    auth: AuthModule,
    policy: Arc<RoutePolicy>,
}

impl<S> std::fmt::Debug for AuthMiddleware<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What the layer leaves in the request's extensions for the extractors: the
/// admitted caller (`None`: anonymous, and the policy allows it), and the module
/// that admitted it, for the realm of any later refusal.
#[derive(Clone)]
pub(crate) struct Admitted {
    pub(crate) auth: AuthModule,
    pub(crate) caller: Option<Authenticated>,
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
        let auth = self.auth.clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            let outcome = {
                let head =
                    RequestHead::new(request.method(), request.headers(), request.uri().query());
                auth.authorize(&policy, &head).await
            };
            match outcome {
                Ok(caller) => {
                    request.extensions_mut().insert(Admitted { auth, caller });
                    inner.call(request).await.map(IntoResponse::into_response)
                }
                Err(error) => Ok(AuthRejection::refused(&auth, error).into_response()),
            }
        })
    }
}
