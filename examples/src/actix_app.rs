//! The demo store on actix-web 4, through `auth-actix`.
//!
//! Each route is a resource whose one method route is wrapped in
//! [`RequireAuth`] with the route's policy from [`policies`], calling the
//! [`Demo`] handler; the resource's default service gives the core's `405`,
//! naming the route's methods in `Allow`, for other methods (before any policy
//! runs, as on axum and warp). Each resource is guarded by
//! [`auth_actix::canonical`], so that only the canonical spelling of its path
//! is served (actix would match `/store/customers/%6De` too). The auth routes
//! and JWKS come from [`auth_actix::configure`], and unknown paths get the core's
//! `404`.
//!
//! ```no_run
//! use examples::config::DemoConfig;
//!
//! let server = examples::actix_app::start(DemoConfig::from_env().unwrap()).unwrap();
//! println!("listening on {}", server.url());
//! server.wait();
//! ```

use actix_web::{HttpResponse, HttpServer, Resource, Route, web};
use auth_actix::convert::into_actix_response;
use auth_actix::{AuthUser, CappedBody, MaybeAuthUser, RequireAuth};
use auth_core::http::method_not_allowed;
use auth_core::{AuthError, RoutePolicy};
use http::Method;

use crate::config::DemoConfig;
use crate::demo::{Demo, policies};
use crate::server::{RunningServer, StartError};

/// The demo store's routes, for `App::new().configure(routes(demo))`.
pub fn routes(demo: Demo) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let guard = |policy: RoutePolicy| RequireAuth::new(demo.auth.clone(), policy);
        config
            .app_data(web::Data::new(demo.clone()))
            .configure(auth_actix::configure(demo.auth.clone()))
            .service(resource("/health", GET, get_or_head().to(health)))
            .service(resource(
                "/store/customers",
                POST,
                web::post()
                    .to(create_customer)
                    .wrap(guard(policies::create_customer())),
            ))
            .service(resource(
                "/store/customers/me",
                GET,
                get_or_head()
                    .to(customer_me)
                    .wrap(guard(policies::customer_me())),
            ))
            .service(resource(
                "/store/whoami",
                GET,
                get_or_head().to(whoami).wrap(guard(policies::whoami())),
            ))
            .service(resource(
                "/admin/invites",
                POST,
                web::post()
                    .to(create_invite)
                    .wrap(guard(policies::create_invite())),
            ))
            .service(resource(
                "/admin/invites/accept",
                POST,
                web::post()
                    .to(accept_invite)
                    .wrap(guard(policies::accept_invite())),
            ))
            .service(resource(
                "/admin/users/me",
                GET,
                get_or_head().to(user_me).wrap(guard(policies::user_me())),
            ))
            .service(resource(
                "/admin/api-keys",
                POST,
                web::post()
                    .to(create_api_key)
                    .wrap(guard(policies::manage_api_keys())),
            ))
            .service(resource(
                "/admin/api-keys/{id}/revoke",
                POST,
                web::post()
                    .to(revoke_api_key)
                    .wrap(guard(policies::manage_api_keys())),
            ))
            .default_service(web::to(not_found));
    }
}

/// What [`get_or_head`] serves.
const GET: &[Method] = &[Method::GET, Method::HEAD];
/// What `web::post()` serves.
const POST: &[Method] = &[Method::POST];

/// A `GET` route that answers `HEAD` too, as HTTP requires and axum does.
fn get_or_head() -> Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// A path served by one method route that serves `methods`; other methods get
/// the core's `405` naming them, other spellings of the path the app's `404`.
fn resource(path: &str, methods: &'static [Method], route: Route) -> Resource {
    web::resource(path)
        .guard(auth_actix::canonical())
        .route(route)
        .default_service(web::to(move || async move {
            into_actix_response(method_not_allowed(methods))
        }))
}

async fn health(demo: web::Data<Demo>) -> HttpResponse {
    into_actix_response(demo.health())
}

async fn create_customer(
    demo: web::Data<Demo>,
    user: AuthUser,
    CappedBody(body): CappedBody,
) -> HttpResponse {
    into_actix_response(demo.create_customer(&user, &body).await)
}

async fn customer_me(demo: web::Data<Demo>, user: AuthUser) -> HttpResponse {
    into_actix_response(demo.customer_me(&user).await)
}

async fn whoami(demo: web::Data<Demo>, MaybeAuthUser(user): MaybeAuthUser) -> HttpResponse {
    into_actix_response(demo.whoami(user.as_deref()))
}

async fn create_invite(
    demo: web::Data<Demo>,
    _admin: AuthUser,
    CappedBody(body): CappedBody,
) -> HttpResponse {
    into_actix_response(demo.create_invite(&body).await)
}

async fn accept_invite(
    demo: web::Data<Demo>,
    request: actix_web::HttpRequest,
    user: AuthUser,
    CappedBody(body): CappedBody,
) -> HttpResponse {
    let query = Some(request.query_string()).filter(|query| !query.is_empty());
    into_actix_response(demo.accept_invite(&user, query, &body).await)
}

async fn user_me(demo: web::Data<Demo>, user: AuthUser) -> HttpResponse {
    into_actix_response(demo.user_me(&user).await)
}

async fn create_api_key(
    demo: web::Data<Demo>,
    user: AuthUser,
    CappedBody(body): CappedBody,
) -> HttpResponse {
    into_actix_response(demo.create_api_key(&user, &body).await)
}

async fn revoke_api_key(
    demo: web::Data<Demo>,
    id: web::Path<String>,
    _admin: AuthUser,
) -> HttpResponse {
    into_actix_response(demo.revoke_api_key(&id).await)
}

async fn not_found(demo: web::Data<Demo>) -> HttpResponse {
    into_actix_response(demo.error(&AuthError::route_not_found()))
}

/// Starts the actix demo store on its own thread (see [`crate::server`]).
pub fn start(config: DemoConfig) -> Result<RunningServer, StartError> {
    crate::server::spawn("actix-store", move |control| {
        actix_web::rt::System::new().block_on(async move {
            let demo = match Demo::open(&config).await {
                Ok(demo) => demo,
                Err(error) => return control.fail(error.into()),
            };
            let server =
                HttpServer::new(move || actix_web::App::new().configure(routes(demo.clone())))
                    .workers(2)
                    .disable_signals();
            let server = match server.bind(config.addr) {
                Ok(server) => server,
                Err(error) => return control.fail(error.into()),
            };
            let Some(addr) = server.addrs().first().copied() else {
                return control.fail(std::io::Error::other("no address was bound").into());
            };
            let server = server.run();
            let handle = server.handle();
            let shutdown = control.ready(addr);
            actix_web::rt::spawn(async move {
                shutdown.await;
                handle.stop(true).await;
            });
            if let Err(error) = server.await {
                tracing::error!(%error, "actix demo server stopped with an error");
            }
        });
    })
}
