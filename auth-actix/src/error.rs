//! [`AuthRejection`]: an auth refusal as an actix [`ResponseError`].
//!
//! The response is auth-core's [`Rejection`], rendered once by
//! [`AuthModule::error_response`](auth_core::AuthModule::error_response) and sent
//! unchanged: status, `WWW-Authenticate` challenge, JSON body and every other
//! header. Handlers can return it with `?`:
//!
//! ```
//! use actix_web::{HttpResponse, ResponseError};
//! use auth_actix::AuthRejection;
//! use auth_core::AuthError;
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
//! fn only_even(auth: &auth_core::AuthModule, n: u32) -> Result<HttpResponse, AuthRejection> {
//!     if n % 2 == 1 {
//!         return Err(AuthRejection::new(auth, AuthError::NotFound("No such thing".into())));
//!     }
//!     Ok(HttpResponse::Ok().finish())
//! }
//!
//! let response = only_even(&auth, 1).unwrap_err().error_response();
//! assert_eq!(response.status().as_u16(), 404);
//! assert_eq!(response.headers().get("content-type").unwrap(), "application/json");
//! ```

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_core::http::Rejection;
use auth_core::{AuthError, AuthModule};

use crate::convert::into_actix_response;

auth_core::wrapper! {
    /// An auth refusal: auth-core's [`Rejection`], whose accessors it
    /// dereferences to (`error()`, `is_missing_guard()`, `status()`, `response()`).
    #[derive(Clone, Debug)]
    pub struct AuthRejection(Rejection) + Display;
}

impl AuthRejection {
    /// The refusal `error`, rendered with `auth`'s realm.
    pub fn new(auth: &AuthModule, error: AuthError) -> Self {
        let response = auth.error_response(&error);
        Self(Rejection::new(error, response))
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        into_actix_response(self.response().clone())
    }
}
