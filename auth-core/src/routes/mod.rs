//! The auth routes of the HTTP contract as framework-neutral handlers.
//!
//! An adapter mounts [`AuthModule::handle`] under `/auth` (every method, every
//! sub-path), hands it an [`AuthRequest`] and sends back the `http::Response` it
//! returns. Route matching, body parsing, status codes, JSON bodies and headers
//! are all decided here, so the three adapters answer byte for byte the same.
//!
//! | method, path below `/auth` | handler |
//! |---|---|
//! | `POST`/`GET /{actor_type}/{provider}` | login |
//! | `POST /{actor_type}/{provider}/register` | register |
//! | `GET`/`POST /{actor_type}/{provider}/callback` | callback |
//! | `POST /{actor_type}/{provider}/reset-password` | request a password reset |
//! | `POST /{actor_type}/{provider}/update` | set a new password with a reset token |
//! | `POST /token/refresh` | refresh (bearer, or a refresh token in the body) |
//! | `POST /session` | trade a bearer token for a session cookie |
//! | `DELETE /session` | log out: end the session, revoke the bearer token |
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::routes::AuthRequest;
//! use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
//! use auth_core::AuthModule;
//! use http::Method;
//!
//! let key = Key::hmac("k1", Algorithm::HS256, b"an example secret of 32+ bytes!!").unwrap();
//! let tokens = TokenService::new(KeySet::new(key).unwrap(), TokenConfig::new("https://auth.example", "store")).unwrap();
//! let auth = AuthModule::builder(tokens).build();
//!
//! let request = AuthRequest::new(Method::POST, "/customer/emailpass")
//!     .with_body(r#"{"email":"ada@example.com","password":"correct horse"}"#);
//! let response = auth.handle(request).await;
//! assert_eq!(response.status(), 401); // no such provider registered
//! # });
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::AuthModule;
use crate::error::AuthError;
pub use crate::http::{AuthRequest, MAX_BODY_BYTES, parse_json_body};
use crate::identity::{AuthContext, is_valid_actor_type};
use crate::policy::RoutePolicy;
use crate::provider::{AuthenticationInput, ProviderOutcome};
pub use crate::response::{json_response, token_response};

/// What a `/{actor_type}/{provider}[/...]` route asks the provider to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderAction {
    /// `POST`/`GET /{actor_type}/{provider}`: log in, or start a redirect.
    Login,
    /// `POST /{actor_type}/{provider}/register`
    Register,
    /// `GET`/`POST /{actor_type}/{provider}/callback`
    Callback,
    /// `POST /{actor_type}/{provider}/reset-password`
    ResetPassword,
    /// `POST /{actor_type}/{provider}/update`
    Update,
}

/// One auth route, resolved from method and path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRoute {
    /// A provider route: `/{actor_type}/{provider}` and its sub-paths.
    Provider {
        /// The actor type, validated.
        actor_type: String,
        /// The provider id (looked up later).
        provider: String,
        /// What the route does.
        action: ProviderAction,
    },
    /// `POST /token/refresh`
    Refresh,
    /// `POST /session`
    CreateSession,
    /// `DELETE /session`
    DestroySession,
}

impl AuthRoute {
    /// Matches a path below the mount point. Static routes win over
    /// `/{actor_type}/{provider}`; a path that matches no route is `404`, a
    /// known route with another method `405`.
    pub fn resolve(method: &Method, path: &str) -> Result<Self, AuthError> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let allowed = Self::allowed_methods(&segments).ok_or_else(route_not_found)?;
        if !allowed.contains(method) {
            return Err(AuthError::MethodNotAllowed);
        }
        let (actor, provider, action) = match segments.as_slice() {
            ["token", "refresh"] => return Ok(Self::Refresh),
            ["session"] if *method == Method::POST => return Ok(Self::CreateSession),
            ["session"] => return Ok(Self::DestroySession),
            [actor, provider] => (*actor, *provider, ProviderAction::Login),
            [actor, provider, "register"] => (*actor, *provider, ProviderAction::Register),
            [actor, provider, "callback"] => (*actor, *provider, ProviderAction::Callback),
            [actor, provider, "reset-password"] => {
                (*actor, *provider, ProviderAction::ResetPassword)
            }
            [actor, provider, "update"] => (*actor, *provider, ProviderAction::Update),
            _ => return Err(route_not_found()),
        };
        if !is_valid_actor_type(actor) {
            return Err(AuthError::InvalidData(format!(
                "Invalid actor type: {}",
                printable(actor)
            )));
        }
        if provider.is_empty() {
            return Err(route_not_found());
        }
        Ok(Self::Provider {
            actor_type: actor.to_owned(),
            provider: provider.to_owned(),
            action,
        })
    }
}

impl AuthRoute {
    /// The methods served on a path, or `None` when no route matches it.
    fn allowed_methods(segments: &[&str]) -> Option<&'static [Method]> {
        Some(match segments {
            ["token", "refresh"] => &[Method::POST],
            ["session"] => &[Method::POST, Method::DELETE],
            [_, _] | [_, _, "callback"] => &[Method::GET, Method::POST],
            [_, _, "register" | "reset-password" | "update"] => &[Method::POST],
            _ => return None,
        })
    }

    /// The `Allow` header value for a path, when a route matches it.
    pub fn allow_header(path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let methods = Self::allowed_methods(&segments)?;
        Some(
            methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

fn route_not_found() -> AuthError {
    AuthError::route_not_found()
}

/// Path input echoed in a message is cut short and kept to safe characters.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(32)
        .collect()
}

/// Decodes `a=1&b=two%20words` into a map; a repeated name keeps its last value.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

impl AuthModule {
    /// Answers a request to an auth route. Never fails: every refusal becomes
    /// the error's response.
    pub async fn handle(&self, request: AuthRequest) -> Response<Bytes> {
        match self.route(&request).await {
            Ok(response) => response,
            Err(error) => {
                let mut response = self.error_response(&error);
                if error == AuthError::MethodNotAllowed
                    && let Some(allow) = AuthRoute::allow_header(&request.path)
                    && let Ok(value) = HeaderValue::from_str(&allow)
                {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            }
        }
    }

    async fn route(&self, request: &AuthRequest) -> Result<Response<Bytes>, AuthError> {
        let (actor_type, provider, action) =
            match AuthRoute::resolve(&request.method, &request.path)? {
                AuthRoute::Provider {
                    actor_type,
                    provider,
                    action,
                } => (actor_type, provider, action),
                AuthRoute::Refresh => return self.refresh(request).await,
                AuthRoute::CreateSession => return self.create_session(&request.head()).await,
                AuthRoute::DestroySession => return self.destroy_session(&request.head()).await,
            };
        match action {
            ProviderAction::Login | ProviderAction::Register => {
                self.check_provider_allowed(&actor_type, &provider)?;
                self.throttle_address(request.client_addr).await?;
                let input = provider_input(request)?;
                let claimed = self.claimed_identifier(&provider, &input);
                self.throttle_identifier(claimed.as_deref()).await?;
                let is_login = action == ProviderAction::Login;
                let outcome = if is_login {
                    self.service().authenticate(&provider, &input).await?
                } else {
                    self.service().register(&provider, &input).await?
                };
                self.answer(outcome, &actor_type, claimed.as_deref(), is_login)
                    .await
            }
            ProviderAction::Callback => {
                self.check_provider_allowed(&actor_type, &provider)?;
                let input = provider_input(request)?;
                let outcome = self.service().validate_callback(&provider, &input).await?;
                self.answer(outcome, &actor_type, None, true).await
            }
            ProviderAction::ResetPassword => {
                self.throttle_address(request.client_addr).await?;
                self.request_password_reset(&actor_type, &provider, &request.body)
                    .await
            }
            ProviderAction::Update => {
                self.throttle_address(request.client_addr).await?;
                self.update_with_reset_token(&actor_type, &provider, &request.head(), &request.body)
                    .await
            }
        }
    }

    /// Who the request claims to be, per the provider, for throttling.
    fn claimed_identifier(&self, provider: &str, input: &AuthenticationInput) -> Option<String> {
        self.service()
            .registry()
            .get(provider)
            .ok()
            .and_then(|found| found.claimed_identifier(input))
    }

    /// Medusa's `authMethodsPerActor`: `400 not_allowed` for a provider the actor
    /// type may not use.
    fn check_provider_allowed(&self, actor_type: &str, provider: &str) -> Result<(), AuthError> {
        match self.settings().providers_per_actor.get(actor_type) {
            Some(allowed) if !allowed.iter().any(|p| p == provider) => {
                Err(AuthError::NotAllowed(format!(
                    "The actor type {actor_type} is not allowed to use the auth provider {}.",
                    printable(provider)
                )))
            }
            _ => Ok(()),
        }
    }

    /// Turns a provider's outcome into the route's response. A failure counts
    /// against the claimed identifier's throttle; a login may also start a
    /// refresh-token family.
    async fn answer(
        &self,
        outcome: ProviderOutcome,
        actor_type: &str,
        claimed: Option<&str>,
        is_login: bool,
    ) -> Result<Response<Bytes>, AuthError> {
        match outcome {
            ProviderOutcome::Authenticated(identity) => {
                let context = AuthContext::for_identity(&identity, actor_type);
                let token = self.issue_token(&context)?;
                if is_login && self.settings().refresh.enabled {
                    let refresh_token = self.start_refresh_family(&context).await?;
                    return Ok(token_response(
                        &json!({ "token": token, "refresh_token": refresh_token.as_str() }),
                    ));
                }
                Ok(token_response(&json!({ "token": token })))
            }
            ProviderOutcome::Redirect { location } => Ok(json_response(
                StatusCode::OK,
                &json!({ "location": location }),
            )),
            ProviderOutcome::Failed(message) => {
                self.record_identifier_failure(claimed).await?;
                Err(AuthError::Unauthorized(message))
            }
        }
    }

    /// `POST /auth/token/refresh`: re-signs from the identity's current state, so
    /// an actor linked since the last token appears in the new one.
    async fn refresh(&self, request: &AuthRequest) -> Result<Response<Bytes>, AuthError> {
        let body = parse_json_body(&request.body)?;
        if let Some(presented) = body.get("refresh_token") {
            let presented = presented
                .as_str()
                .ok_or_else(|| AuthError::InvalidData("refresh_token must be a string".into()))?;
            return self.rotate_refresh_token(presented).await;
        }
        let policy = RoutePolicy::any_actor().allow_unregistered();
        let caller = self.require(&policy, &request.head()).await?;
        let identity = self
            .identities()
            .identity(&caller.auth_identity_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let context = AuthContext::for_identity(&identity, &caller.actor_type);
        let token = self.issue_token(&context)?;
        Ok(token_response(&json!({ "token": token })))
    }
}

/// The provider's view of a request: URL, headers, decoded query, JSON body.
fn provider_input(request: &AuthRequest) -> Result<AuthenticationInput, AuthError> {
    Ok(AuthenticationInput {
        url: request.url.clone(),
        headers: request.headers.clone(),
        query: parse_query(request.query.as_deref()),
        body: parse_json_body(&request.body)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_routes_win_over_actor_and_provider() {
        assert_eq!(
            AuthRoute::resolve(&Method::POST, "/token/refresh"),
            Ok(AuthRoute::Refresh)
        );
    }

    #[test]
    fn reserved_actor_types_are_invalid_data() {
        for path in [
            "/session/emailpass",
            "/token/emailpass/register",
            "/Customer/emailpass",
        ] {
            assert!(
                matches!(
                    AuthRoute::resolve(&Method::POST, path),
                    Err(AuthError::InvalidData(_))
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert!(matches!(
            AuthRoute::resolve(&Method::POST, "/a/b/c/d"),
            Err(AuthError::NotFound(_))
        ));
        assert!(matches!(
            AuthRoute::resolve(&Method::POST, "/"),
            Err(AuthError::NotFound(_))
        ));
        assert_eq!(
            AuthRoute::resolve(&Method::GET, "/customer/emailpass/register"),
            Err(AuthError::MethodNotAllowed)
        );
        assert_eq!(
            AuthRoute::resolve(&Method::GET, "/token/refresh"),
            Err(AuthError::MethodNotAllowed)
        );
    }

    #[test]
    fn login_route_carries_actor_type_and_provider() {
        assert_eq!(
            AuthRoute::resolve(&Method::POST, "customer/emailpass"),
            Ok(AuthRoute::Provider {
                actor_type: "customer".into(),
                provider: "emailpass".into(),
                action: ProviderAction::Login
            })
        );
        assert!(matches!(
            AuthRoute::resolve(&Method::POST, "/user/emailpass/reset-password"),
            Ok(AuthRoute::Provider {
                action: ProviderAction::ResetPassword,
                ..
            })
        ));
    }

    #[test]
    fn query_is_percent_decoded() {
        let query = parse_query(Some("code=a%2Fb&state=x+y&flag"));
        assert_eq!(query["code"], "a/b");
        assert_eq!(query["state"], "x y");
        assert_eq!(query["flag"], "");
    }

    #[test]
    fn body_must_be_json_unless_empty() {
        assert_eq!(parse_json_body(b"  ").unwrap(), json!({}));
        assert!(matches!(
            parse_json_body(b"{\"email\":"),
            Err(AuthError::InvalidData(_))
        ));
        assert!(matches!(
            parse_json_body(&vec![b' '; MAX_BODY_BYTES + 1]),
            Err(AuthError::InvalidData(_))
        ));
    }

    #[test]
    fn token_responses_are_not_cached() {
        let response = token_response(&json!({"token": "x"}));
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}
