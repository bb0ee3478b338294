//! `GET /hello` on actix-web 4: bare, behind our [`RequireAuth`] middleware
//! with the [`AuthUser`] extractor (the README's way), or behind a
//! hand-written `from_fn` middleware with `jsonwebtoken`.

use std::net::SocketAddr;
use std::path::Path;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpMessage, HttpServer, error, web};
use auth_actix::{AuthUser, RequireAuth};

use crate::raw_jwt::{BearerClaims, RawJwt};
use crate::{Guard, HELLO, Mode, ServeError};

async fn hello() -> &'static str {
    HELLO
}

async fn hello_user(_user: AuthUser) -> &'static str {
    HELLO
}

async fn hello_claims(_claims: web::ReqData<BearerClaims>) -> &'static str {
    HELLO
}

/// The hand-written middleware: `401` without a valid token, else the claims
/// go into the request's extensions.
async fn require_jwt(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let claims = {
        let jwt = request
            .app_data::<web::Data<RawJwt>>()
            .ok_or_else(|| error::ErrorInternalServerError("no RawJwt"))?;
        let header = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        jwt.verify(header).map_err(error::ErrorUnauthorized)?
    };
    request.extensions_mut().insert(claims);
    next.call(request).await
}

/// Serves until `SIGTERM` or Ctrl-C, with one worker.
pub fn serve(mode: Mode, addr: SocketAddr, scratch: &Path) -> Result<(), ServeError> {
    actix_web::rt::System::new().block_on(async {
        let guard = crate::guard(mode, scratch).await?;
        // Each arm's factory is its own type: bind and start in the arm.
        let (bound, server) = match guard {
            Guard::None => {
                let server = HttpServer::new(|| App::new().route("/hello", web::get().to(hello)))
                    .workers(1)
                    .disable_signals()
                    .bind(addr)?;
                (server.addrs(), server.run())
            }
            Guard::Ours(auth, policy) => {
                let server = HttpServer::new(move || {
                    let hello = web::get().to(hello_user);
                    let require = RequireAuth::new(auth.clone(), policy.clone());
                    App::new().route("/hello", hello.wrap(require))
                })
                .workers(1)
                .disable_signals()
                .bind(addr)?;
                (server.addrs(), server.run())
            }
            Guard::Raw(jwt) => {
                let jwt = web::Data::new(jwt);
                let server = HttpServer::new(move || {
                    let hello = web::get().to(hello_claims);
                    App::new()
                        .app_data(jwt.clone())
                        .route("/hello", hello.wrap(from_fn(require_jwt)))
                })
                .workers(1)
                .disable_signals()
                .bind(addr)?;
                (server.addrs(), server.run())
            }
        };
        for addr in bound {
            crate::announce(addr, mode);
        }
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            crate::stop_signal().await;
            handle.stop(true).await;
        });
        server.await?;
        Ok(())
    })
}
