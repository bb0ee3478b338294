//! The extractors handlers use to read the caller [`RequireAuth`] attached.
//!
//! | extractor | verified caller | anonymous caller (policy allows it) | invalid credentials | no `RequireAuth` on the route |
//! |---|---|---|---|---|
//! | [`AuthUser`] | the caller | `401`, bare challenge | `401`/`400`/`403` from the middleware; the handler never runs | `500`, logged as a programming error |
//! | [`MaybeAuthUser`] | `Some(caller)` | `None` | same: refused by the middleware | `500`, logged |
//!
//! Invalid credentials never reach a handler: the middleware refuses them, even
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
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth_core::{AuthError, AuthModule, Authenticated};

#[cfg(doc)]
use crate::RequireAuth;
use crate::error::AuthRejection;

/// The verified caller of a route guarded by [`RequireAuth`].
///
/// Derefs to [`Authenticated`], which derefs to the
/// [`AuthContext`](auth_core::AuthContext): `user.actor_id`,
/// `user.actor_type`, `user.auth_identity_id`, `user.credential`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthUser(pub Authenticated);

impl AuthUser {
    /// The verified caller.
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

/// The caller of a route whose policy lets anonymous callers pass:
/// `Some` when verified, `None` when the request carried no credentials.
#[derive(Clone, Debug, PartialEq)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    /// The caller, if any.
    pub fn into_inner(self) -> Option<AuthUser> {
        self.0
    }
}

impl Deref for MaybeAuthUser {
    type Target = Option<AuthUser>;

    fn deref(&self) -> &Option<AuthUser> {
        &self.0
    }
}

/// Marks a request that passed [`RequireAuth`] without credentials; keeps the
/// module so that [`AuthUser`] can refuse it with the right challenge.
#[derive(Clone)]
struct Anonymous(AuthModule);

/// Records the middleware's outcome in the request extensions. The borrow ends
/// with this function, so callers may `.await` right after.
pub(crate) fn attach(request: &HttpRequest, auth: &AuthModule, caller: Option<Authenticated>) {
    let mut extensions = request.extensions_mut();
    match caller {
        Some(caller) => {
            extensions.remove::<Anonymous>();
            extensions.insert(AuthUser(caller));
        }
        None => {
            extensions.remove::<AuthUser>();
            extensions.insert(Anonymous(auth.clone()));
        }
    }
}

/// What the middleware left on a request.
enum Attached {
    User(AuthUser),
    Anonymous(AuthModule),
    Nothing,
}

fn attached(request: &HttpRequest) -> Attached {
    let extensions = request.extensions();
    if let Some(user) = extensions.get::<AuthUser>() {
        Attached::User(user.clone())
    } else if let Some(Anonymous(auth)) = extensions.get::<Anonymous>() {
        Attached::Anonymous(auth.clone())
    } else {
        Attached::Nothing
    }
}

impl FromRequest for AuthUser {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match attached(request) {
            Attached::User(user) => Ok(user),
            Attached::Anonymous(auth) => {
                Err(AuthRejection::new(&auth, AuthError::MissingCredentials))
            }
            Attached::Nothing => Err(AuthRejection::middleware_missing("AuthUser")),
        })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match attached(request) {
            Attached::User(user) => Ok(Self(Some(user))),
            Attached::Anonymous(_) => Ok(Self(None)),
            Attached::Nothing => Err(AuthRejection::middleware_missing("MaybeAuthUser")),
        })
    }
}
