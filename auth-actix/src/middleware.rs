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
//! | a verified caller the policy accepts | attaches auth-core's [`Caller`] to the request, calls the route |
//! | no credentials, policy allows anonymous callers | attaches the anonymous [`Caller`], calls the route |
//! | a refusal (`401`, `400`, `403`, ...) | answers with auth-core's response; the route never runs |
//! | a request `http` 1 cannot represent | auth-core's `400` ([`Rejection::untranslatable`](auth_core::http::Rejection::untranslatable)), never a default request; the route never runs |
//!
//! Handlers then read the caller with the [`AuthUser`](crate::AuthUser) or
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

use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use auth_core::AuthModule;
use auth_core::credentials::RequestHead;
use auth_core::http::{Caller, Guard};

use crate::convert::{into_actix_response, request_parts};

auth_core::wrapper! {
    /// Middleware factory: guards what it wraps with one [`RoutePolicy`](auth_core::RoutePolicy).
    ///
    /// Dereferences to auth-core's [`Guard`]: `policy()`, `module()`.
    /// `new(auth, policy)` guards with `policy`, evaluated by `auth`.
    #[derive(Clone, Debug)]
    pub struct RequireAuth(Guard<AuthModule>) + new;
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
            guard: self.0.clone(),
        }))
    }
}

/// The service [`RequireAuth`] wraps around a route; built by actix-web.
pub struct RequireAuthMiddleware<S> {
    service: Rc<S>,
    guard: Guard<AuthModule>,
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
        let guard = self.guard.clone();
        Box::pin(async move {
            let auth = guard.module();
            let admitted = match request_parts(request.request()) {
                Ok(parts) => {
                    let head = RequestHead::new(&parts.method, &parts.headers, parts.uri.query());
                    let outcome = auth.authorize(guard.policy(), &head).await;
                    Caller::admit(outcome, |error| auth.error_response(error))
                }
                Err(refusal) => Err(refusal),
            };
            match admitted {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    let response = service.call(request).await?;
                    Ok(response.map_into_left_body())
                }
                Err(refusal) => {
                    tracing::debug!(%refusal, path = request.path(), "request refused by RequireAuth");
                    let response = into_actix_response(refusal.into_response());
                    Ok(request.into_response(response).map_into_right_body())
                }
            }
        })
    }
}
