//! [`RequireAuth`]: the middleware that evaluates a route policy.
//!
//! Wrap an `App`, a `Scope`, a `Resource` or a single method `Route` with
//! `RequireAuth::new(auth, policy)`. Wrapping the `Route`
//! (`web::get().to(handler).wrap(..)`) keeps the resource's answer for other
//! methods (a `405`) independent of credentials, as axum's `route_layer` does.
//! For each request it asks [`AuthModule::authorize`] and then:
//!
//! | auth-core's answer | what the middleware does |
//! |---|---|
//! | a verified caller the policy accepts | attaches an [`AuthUser`] to the request, calls the route |
//! | no credentials, policy allows anonymous callers | attaches the anonymous marker, calls the route |
//! | a refusal (`401`, `400`, `403`, ...) | answers with auth-core's response; the route never runs |
//!
//! Handlers then read the caller with the [`AuthUser`] or
//! [`MaybeAuthUser`](crate::MaybeAuthUser) extractors.
//!
//! ```
//! use actix_web::{App, web};
//! use auth_actix::{AuthUser, RequireAuth};
//! use auth_core::RoutePolicy;
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
//! async fn me(user: AuthUser) -> String {
//!     user.actor_id.clone()
//! }
//!
//! let app = App::new().service(
//!     web::scope("/store")
//!         .wrap(RequireAuth::new(auth.clone(), RoutePolicy::actor_types(["customer"])))
//!         .route("/customers/me", web::get().to(me)),
//! );
//! ```
//!
//! ## Order with CORS and other middleware
//!
//! In actix-web the middleware registered **last** runs **first**. Put CORS
//! outside the auth middleware, so that browsers' preflight `OPTIONS` requests
//! (which never carry credentials) are answered by CORS before any policy is
//! evaluated, and so that CORS headers are added to auth refusals too:
//!
//! ```text
//! App::new()
//!     .service(web::scope("/store").wrap(RequireAuth::new(auth, policy)) ...)
//!     .wrap(Cors::default() ...)   // outermost: sees every request first
//! ```
//!
//! On a single scope, call `.wrap(RequireAuth::new(..))` before `.wrap(cors)`.
//! Refusals are returned as ordinary responses (not as `Err`), so outer
//! middleware such as CORS and loggers process them like any other response.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use auth_core::{AuthModule, RoutePolicy};

#[cfg(doc)]
use crate::AuthUser;
use crate::convert::{RequestParts, into_actix_response};
use crate::extract::attach;

/// Middleware factory: guards what it wraps with one [`RoutePolicy`].
#[derive(Clone)]
pub struct RequireAuth {
    auth: AuthModule,
    policy: Arc<RoutePolicy>,
}

impl RequireAuth {
    /// Guards a route, scope or app with `policy`, evaluated by `auth`.
    pub fn new(auth: AuthModule, policy: RoutePolicy) -> Self {
        Self {
            auth,
            policy: Arc::new(policy),
        }
    }

    /// The policy this middleware enforces.
    pub fn policy(&self) -> &RoutePolicy {
        &self.policy
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireAuthMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireAuthMiddleware {
            service: Rc::new(service),
            auth: self.auth.clone(),
            policy: Arc::clone(&self.policy),
        }))
    }
}

/// The service [`RequireAuth`] wraps around a route; built by actix-web.
pub struct RequireAuthMiddleware<S> {
    service: Rc<S>,
    auth: AuthModule,
    policy: Arc<RoutePolicy>,
}

/// The response future of [`RequireAuthMiddleware`].
pub type RequireAuthFuture<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

impl<S, B> Service<ServiceRequest> for RequireAuthMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = RequireAuthFuture<B>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let auth = self.auth.clone();
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let parts = RequestParts::from_request(request.request());
            match auth.authorize(&policy, &parts.head()).await {
                Ok(caller) => {
                    // `attach` borrows the extensions only inside itself: no
                    // borrow is alive across the `.await` below.
                    attach(request.request(), &auth, caller);
                    let response = service.call(request).await?;
                    Ok(response.map_into_left_body())
                }
                Err(error) => {
                    tracing::debug!(%error, path = request.path(), "request refused by RequireAuth");
                    let response = into_actix_response(auth.error_response(&error));
                    Ok(request.into_response(response).map_into_right_body())
                }
            }
        })
    }
}
