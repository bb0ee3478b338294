//! The demo store on warp 0.4, through `auth-warp`.
//!
//! Each route is its path and method filters, then the auth filter with the
//! route's policy from [`policies`], then the [`Demo`] handler; the auth routes
//! come from [`Auth::routes`], and [`auth_warp::recover`] turns every refusal
//! (and warp's own `404`) into the core's JSON answer. Methods are filtered
//! with [`auth_warp::methods`], so a `405` names the route's methods, and the
//! demo's routes sit behind [`auth_warp::canonical`], so that
//! `/store/customers/me/` is a `404` as on axum and actix-web.
//!
//! ```no_run
//! use examples::config::DemoConfig;
//!
//! let server = examples::warp_app::start(DemoConfig::from_env().unwrap()).unwrap();
//! println!("listening on {}", server.url());
//! server.wait();
//! ```

use auth_warp::{Auth, AuthUser, methods};
use bytes::Bytes;
use http::Method;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

use crate::config::DemoConfig;
use crate::demo::{Demo, policies};
use crate::server::{RunningServer, StartError};

/// The demo store's routes, ending in [`auth_warp::recover`].
pub fn routes(demo: Demo) -> BoxedFilter<(warp::reply::Response,)> {
    let auth = Auth::new(demo.auth.clone());
    let with_demo = warp::any().map(move || demo.clone());

    let health = warp::path!("health")
        .and(methods(GET))
        .and(with_demo.clone())
        .map(|demo: Demo| demo.health());
    let create_customer = warp::path!("store" / "customers")
        .and(methods(POST))
        .and(auth.user(policies::create_customer()))
        .and(auth.body())
        .and(with_demo.clone())
        .then(|user: AuthUser, body: Bytes, demo: Demo| async move {
            demo.create_customer(&user, &body).await
        });
    let customer_me = warp::path!("store" / "customers" / "me")
        .and(methods(GET))
        .and(auth.user(policies::customer_me()))
        .and(with_demo.clone())
        .then(|user: AuthUser, demo: Demo| async move { demo.customer_me(&user).await });
    let whoami = warp::path!("store" / "whoami")
        .and(methods(GET))
        .and(auth.optional(policies::whoami()))
        .and(with_demo.clone())
        .map(|user: Option<AuthUser>, demo: Demo| demo.whoami(user.as_deref()));
    let create_invite = warp::path!("admin" / "invites")
        .and(methods(POST))
        .and(auth.user(policies::create_invite()))
        .and(auth.body())
        .and(with_demo.clone())
        .then(|_admin: AuthUser, body: Bytes, demo: Demo| async move {
            demo.create_invite(&body).await
        });
    let accept_invite = warp::path!("admin" / "invites" / "accept")
        .and(methods(POST))
        .and(auth.user(policies::accept_invite()))
        .and(
            warp::query::raw()
                .map(Some)
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and(auth.body())
        .and(with_demo.clone())
        .then(
            |user: AuthUser, query: Option<String>, body: Bytes, demo: Demo| async move {
                demo.accept_invite(&user, query.as_deref(), &body).await
            },
        );
    let user_me = warp::path!("admin" / "users" / "me")
        .and(methods(GET))
        .and(auth.user(policies::user_me()))
        .and(with_demo.clone())
        .then(|user: AuthUser, demo: Demo| async move { demo.user_me(&user).await });
    let create_api_key = warp::path!("admin" / "api-keys")
        .and(methods(POST))
        .and(auth.user(policies::manage_api_keys()))
        .and(auth.body())
        .and(with_demo.clone())
        .then(|user: AuthUser, body: Bytes, demo: Demo| async move {
            demo.create_api_key(&user, &body).await
        });
    let revoke_api_key =
        warp::path!("admin" / "api-keys" / String / "revoke")
            .and(methods(POST))
            .and(auth.user(policies::manage_api_keys()))
            .and(with_demo)
            .then(|id: String, _admin: AuthUser, demo: Demo| async move {
                demo.revoke_api_key(&id).await
            });

    let store = health
        .or(create_customer)
        .unify()
        .or(customer_me)
        .unify()
        .or(whoami)
        .unify()
        .or(create_invite)
        .unify()
        .or(accept_invite)
        .unify()
        .or(user_me)
        .unify()
        .or(create_api_key)
        .unify()
        .or(revoke_api_key)
        .unify();
    auth.routes()
        .or(auth_warp::canonical().and(store))
        .unify()
        .recover(auth_warp::recover)
        .map(Reply::into_response)
        .boxed()
}

/// What a `GET` route serves: `HEAD` too, as HTTP requires and axum does.
const GET: &[Method] = &[Method::GET, Method::HEAD];
/// What a `POST` route serves.
const POST: &[Method] = &[Method::POST];

/// Starts the warp demo store on its own thread (see [`crate::server`]).
pub fn start(config: DemoConfig) -> Result<RunningServer, StartError> {
    crate::server::spawn_tokio("warp-store", config, |demo, listener, shutdown| {
        warp::serve(routes(demo))
            .incoming(listener)
            .graceful(shutdown)
            .run()
    })
}
