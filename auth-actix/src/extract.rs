//! The extractors handlers use to read the caller [`RequireAuth`](crate::RequireAuth) attached.
//!
//! | extractor | verified caller | anonymous caller (policy allows it) | invalid credentials | no `RequireAuth` on the route |
//! |---|---|---|---|---|
//! | [`AuthUser`] | the caller | `401`, bare challenge | `401`/`400`/`403` from the middleware; the handler never runs | `500`, logged as a programming error |
//! | [`MaybeAuthUser`] | `Some(caller)` | `None` | same: refused by the middleware | `500`, logged |
//!
//! The middleware leaves auth-core's [`Caller`] on the request; the extractors
//! only read it, so the anonymous-caller refusal is the core's. Invalid
//! credentials never reach a handler: the middleware refuses them, even
//! on routes that let anonymous callers pass, so a forged token is never
//! downgraded to "anonymous". Use [`MaybeAuthUser`] rather than
//! `Option<AuthUser>`: actix-web's `Option<T>` turns every extractor error into
//! `None`, which would also hide a missing middleware.
//!
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use auth_actix::{MaybeAuthUser, RequireAuth};
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
//! async fn greet(MaybeAuthUser(user): MaybeAuthUser) -> HttpResponse {
//!     match user {
//!         Some(user) => HttpResponse::Ok().body(format!("hello {}", user.actor_id)),
//!         None => HttpResponse::Ok().body("hello stranger"),
//!     }
//! }
//!
//! let policy = RoutePolicy::actor_types(["customer"]).allow_unauthenticated();
//! let app = App::new().service(
//!     web::resource("/greet")
//!         .wrap(RequireAuth::new(auth, policy))
//!         .route(web::get().to(greet)),
//! );
//! ```

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth_core::Authenticated;
use auth_core::http::{Caller, Rejection};

use crate::error::AuthRejection;

auth_core::wrapper! {
    /// The verified caller of a route guarded by [`RequireAuth`](crate::RequireAuth).
    ///
    /// Derefs to [`Authenticated`], which derefs to the
    /// [`AuthContext`](auth_core::AuthContext): `user.actor_id`,
    /// `user.actor_type`, `user.auth_identity_id`, `user.credential`.
    #[derive(Clone, Debug, PartialEq)]
    pub struct AuthUser(Authenticated);
}

auth_core::wrapper! {
    /// The caller of a route whose policy lets anonymous callers pass:
    /// `Some` when verified, `None` when the request carried no credentials.
    #[derive(Clone, Debug, PartialEq)]
    pub struct MaybeAuthUser(Option<AuthUser>);
}

/// What the middleware admitted, read by `read`; the `500` naming the missing
/// middleware when none ran.
fn extract<T>(
    request: &HttpRequest,
    extractor: &str,
    read: impl FnOnce(&Caller) -> Result<T, AuthRejection>,
) -> Ready<Result<T, AuthRejection>> {
    ready(match request.extensions().get::<Caller>() {
        Some(caller) => read(caller),
        None => Err(AuthRejection(Rejection::missing_guard(format!(
            "the `{extractor}` extractor needs the `auth_actix::RequireAuth` middleware: \
             wrap this route, its scope or the app with `.wrap(RequireAuth::new(auth, policy))`"
        )))),
    })
}

impl FromRequest for AuthUser {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(request, "AuthUser", |caller| match caller.require() {
            Ok(caller) => Ok(Self(caller.clone())),
            Err(refusal) => Err(AuthRejection(refusal.clone())),
        })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(request, "MaybeAuthUser", |caller| {
            Ok(Self(caller.optional().cloned().map(AuthUser)))
        })
    }
}
