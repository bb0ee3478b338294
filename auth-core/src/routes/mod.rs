//! The auth routes of the HTTP contract as framework-neutral handlers.
//!
//! An adapter mounts [`AuthModule::handle`](crate::AuthModule::handle) under
//! `/auth` (every method, every sub-path), hands it an [`AuthRequest`] and
//! sends back the `http::Response` it returns. Route matching, body parsing, status codes, JSON bodies and headers
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
//! use auth_core::AuthModule;
//! use http::Method;
//!
//! let auth = AuthModule::builder()
//!     .hs256(b"an example secret of 32+ bytes!!")
//!     .issuer("https://auth.example")
//!     .audience("store")
//!     .build()
//!     .unwrap();
//!
//! let request = AuthRequest::new(Method::POST, "/customer/emailpass")
//!     .with_body(r#"{"email":"ada@example.com","password":"correct horse"}"#);
//! let response = auth.handle(request).await;
//! assert_eq!(response.status(), 401); // no such provider registered
//! # });
//! ```

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::access_token::AccessTokens;
use crate::credentials::{Credentials, RequestHead};
use crate::error::AuthError;
pub use crate::http::{AuthRequest, MAX_BODY_BYTES, parse_json_body};
use crate::identity::{AuthContext, is_valid_actor_type};
use crate::policy::RoutePolicy;
use crate::provider::{AuthenticationInput, ProviderOutcome};
use crate::refresh::{RefreshTokens, Rotation};
use crate::reset::{PasswordResets, is_reset_token};
use crate::response::empty_response;
pub use crate::response::{json_response, token_response};
use crate::service::AuthService;
use crate::session::{Sessions, check_same_site};
use crate::telemetry;
use crate::throttle::{AttemptPurpose, Throttle};
use crate::token::LoginSession;

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
            // The segment is the caller's input: named by its rule, not echoed.
            return Err(AuthError::InvalidData(
                "Invalid actor type: expected [a-z][a-z0-9_]{0,31}, not `token` or `session`"
                    .into(),
            ));
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
    /// The route's kind, as the `auth.route` span records it: `login`,
    /// `register`, `callback`, `reset_password`, `update`, `refresh`,
    /// `create_session` or `destroy_session`. Never the path, which carries
    /// user input.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Provider { action, .. } => match action {
                ProviderAction::Login => "login",
                ProviderAction::Register => "register",
                ProviderAction::Callback => "callback",
                ProviderAction::ResetPassword => "reset_password",
                ProviderAction::Update => "update",
            },
            Self::Refresh => "refresh",
            Self::CreateSession => "create_session",
            Self::DestroySession => "destroy_session",
        }
    }

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

/// Decodes `a=1&b=two%20words` into a map (`application/x-www-form-urlencoded`:
/// `+` is a space, invalid UTF-8 becomes U+FFFD); a repeated name keeps its last value.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let query = query.unwrap_or_default().as_bytes();
    form_urlencoded::parse(query)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The services the auth routes run on, lent by the module for one request.
pub(crate) struct RouteServices<'a> {
    pub(crate) service: &'a AuthService,
    pub(crate) access_tokens: &'a AccessTokens,
    pub(crate) sessions: &'a Sessions,
    pub(crate) refresh_tokens: &'a RefreshTokens,
    pub(crate) password_resets: &'a PasswordResets,
    pub(crate) throttle: &'a Throttle,
    pub(crate) providers_per_actor: &'a HashMap<String, Vec<String>>,
}

impl RouteServices<'_> {
    /// Answers a request to an auth route, or says why not. Records the
    /// route's kind and actor type on the current span (the module's
    /// `auth.route` span).
    pub(crate) async fn route(&self, request: &AuthRequest) -> Result<Response<Bytes>, AuthError> {
        let route = AuthRoute::resolve(&request.method, &request.path)?;
        let span = tracing::Span::current();
        span.record("route", route.kind());
        if let AuthRoute::Provider { actor_type, .. } = &route {
            // Validated by `resolve`: a short name of safe characters.
            span.record("actor_type", actor_type.as_str());
        }
        let (actor_type, provider, action) = match route {
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
                self.throttle.hit_address(request.client_addr).await?;
                let input = provider_input(request)?;
                let claimed = self.claimed_identifier(&provider, &input);
                let is_login = action == ProviderAction::Login;
                let purpose = if is_login {
                    AttemptPurpose::Login
                } else {
                    AttemptPurpose::Register
                };
                // Reserved before any hashing; only a failed attempt keeps it.
                let reservation = self
                    .throttle
                    .reserve(purpose, &actor_type, &provider, claimed.as_deref())
                    .await?;
                // The login begins before the provider reads the credential.
                let login = self.access_tokens.begin_login();
                let outcome = if is_login {
                    self.service.authenticate(&provider, &input).await
                } else {
                    self.service.register(&provider, &input).await
                };
                if !matches!(outcome, Ok(ProviderOutcome::Failed(_))) {
                    self.throttle.release(reservation).await;
                }
                self.answer(outcome?, &actor_type, is_login, &login).await
            }
            ProviderAction::Callback => {
                self.check_provider_allowed(&actor_type, &provider)?;
                let input = provider_input(request)?;
                let login = self.access_tokens.begin_login();
                let outcome = self.service.validate_callback(&provider, &input).await?;
                self.answer(outcome, &actor_type, true, &login).await
            }
            ProviderAction::ResetPassword => {
                self.check_provider_allowed(&actor_type, &provider)?;
                self.throttle.hit_address(request.client_addr).await?;
                self.request_password_reset(&actor_type, &provider, &request.body)
                    .await
            }
            ProviderAction::Update => {
                self.check_provider_allowed(&actor_type, &provider)?;
                self.throttle.hit_address(request.client_addr).await?;
                self.update_with_reset_token(&actor_type, &provider, &request.head(), &request.body)
                    .await
            }
        }
    }

    /// The request's credentials, with this module's session cookie name.
    fn credentials(&self, head: &RequestHead<'_>) -> Result<Credentials, AuthError> {
        Credentials::from_head(head, &self.sessions.settings().effective_cookie_name())
    }

    /// Who the request claims to be, per the provider, for throttling.
    fn claimed_identifier(&self, provider: &str, input: &AuthenticationInput) -> Option<String> {
        self.service
            .registry()
            .get(provider)
            .ok()
            .and_then(|found| found.claimed_identifier(input))
    }

    /// Medusa's `authMethodsPerActor`: `400 not_allowed` for a provider the actor
    /// type may not use.
    fn check_provider_allowed(&self, actor_type: &str, provider: &str) -> Result<(), AuthError> {
        match self.providers_per_actor.get(actor_type) {
            Some(allowed) if !allowed.iter().any(|p| p == provider) => {
                // Name the provider only when it is one we have: the path
                // segment is the caller's input, never echoed.
                Err(AuthError::NotAllowed(
                    if self.service.registry().get(provider).is_ok() {
                        format!(
                            "The actor type {actor_type} is not allowed to use the auth provider {provider}."
                        )
                    } else {
                        format!(
                            "The actor type {actor_type} is not allowed to use this auth provider."
                        )
                    },
                ))
            }
            _ => Ok(()),
        }
    }

    /// Turns a provider's outcome into the route's response: the first token
    /// of `login` (begun before the provider read the credential); a login
    /// may also start a refresh-token family.
    async fn answer(
        &self,
        outcome: ProviderOutcome,
        actor_type: &str,
        is_login: bool,
        login: &LoginSession,
    ) -> Result<Response<Bytes>, AuthError> {
        match outcome {
            ProviderOutcome::Authenticated(identity) => {
                telemetry::count_provider_answer(!is_login, true);
                let context = AuthContext::for_identity(&identity, actor_type);
                let issued = self.access_tokens.sign_first(&context, login)?;
                let token = issued.token;
                if is_login && self.refresh_tokens.settings().enabled {
                    let sid = issued.claims.sid.as_deref().ok_or(AuthError::Internal)?;
                    let refresh_token = self.refresh_tokens.start_family(&context, sid).await?;
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
                telemetry::count_provider_answer(!is_login, false);
                Err(AuthError::Unauthorized(message))
            }
        }
    }

    /// `POST /auth/token/refresh`: re-signs from the identity's current state, so
    /// an actor linked since the last token appears in the new one. With
    /// `{"refresh_token"}` in the body, rotates that token instead.
    async fn refresh(&self, request: &AuthRequest) -> Result<Response<Bytes>, AuthError> {
        let body = parse_json_body(&request.body)?;
        if let Some(presented) = body.get("refresh_token") {
            let presented = presented
                .as_str()
                .ok_or_else(|| AuthError::InvalidData("refresh_token must be a string".into()))?;
            let (record, successor) = match self.refresh_tokens.rotate(presented).await? {
                Rotation::Rotated { record, successor } => (record, successor),
                Rotation::Reused {
                    sid,
                    family_expires_at,
                } => {
                    self.access_tokens
                        .revocations()
                        .end_login(&sid, self.login_refused_until(family_expires_at))
                        .await?;
                    return Err(AuthError::InvalidToken);
                }
            };
            let revocations = self.access_tokens.revocations();
            revocations.check_login(&record.family_id).await?;
            let context = self
                .current_context(&record.auth_identity_id, &record.actor_type)
                .await?;
            let absolute = self.refresh_tokens.settings().absolute_timeout.as_secs();
            let login = LoginSession {
                sid: record.family_id.clone(),
                auth_time: record.family_expires_at.saturating_sub(absolute),
            };
            let token = self.access_tokens.continue_login_until(
                &context,
                &login,
                record.family_expires_at,
            )?;
            return Ok(token_response(&json!({
                "token": token,
                "refresh_token": successor.as_str(),
            })));
        }
        let credentials = self.credentials(&request.head())?;
        let bearer = credentials
            .bearer
            .as_deref()
            .ok_or(AuthError::MissingCredentials)?;
        let (caller, claims) = self.access_tokens.verify_claims(bearer).await?;
        RoutePolicy::any_actor()
            .allow_unregistered()
            .admit(&caller.context)?;
        let context = self
            .current_context(&caller.auth_identity_id, &caller.actor_type)
            .await?;
        let token = self.access_tokens.continue_login(&context, &claims)?;
        Ok(token_response(&json!({ "token": token })))
    }

    /// The identity's current auth context, for a refreshed token.
    async fn current_context(
        &self,
        auth_identity_id: &str,
        actor_type: &str,
    ) -> Result<AuthContext, AuthError> {
        let identity = self
            .service
            .identities()
            .identity(auth_identity_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        Ok(AuthContext::for_identity(&identity, actor_type))
    }

    /// Until when an ended login must stay refused: past the latest `exp`
    /// any of its tokens can have, for a login whose tokens stop being issued
    /// at `last_issue` (Unix seconds).
    fn last_expiry_until(&self, last_issue: u64) -> u64 {
        let config = self.access_tokens.tokens().config();
        last_issue
            .saturating_add(config.max_lifetime.as_secs())
            .saturating_add(config.leeway.as_secs())
    }

    /// Until when an ended login must stay refused: past the latest `exp`
    /// of its tokens ([`last_expiry_until`](Self::last_expiry_until)) and
    /// past the end of any session made from them.
    fn login_refused_until(&self, last_issue: u64) -> u64 {
        self.last_expiry_until(last_issue)
            .max(self.sessions.latest_expiry_of_current_sessions())
    }

    /// The last moment a token of a login authenticated at `auth_time` can
    /// be issued: its max age, or its refresh family's end when longer.
    fn login_last_issue(&self, auth_time: u64) -> u64 {
        let mut age = self.access_tokens.login_max_age();
        if self.refresh_tokens.settings().enabled {
            age = age.max(self.refresh_tokens.settings().absolute_timeout);
        }
        auth_time.saturating_add(age.as_secs())
    }

    /// `POST /auth/session`: a registered caller's bearer token becomes a
    /// new session of the token's login (`sid`); any session the request
    /// carried is destroyed (all of them, when it carried several).
    async fn create_session(&self, head: &RequestHead<'_>) -> Result<Response<Bytes>, AuthError> {
        let credentials = self.credentials(head)?;
        let token = credentials
            .bearer
            .as_deref()
            .ok_or(AuthError::MissingCredentials)?;
        let (caller, claims) = self.access_tokens.verify_claims(token).await?;
        RoutePolicy::any_actor().admit(&caller.context)?;
        let session_id = self
            .sessions
            .create(
                &caller.context,
                claims.sid.as_deref(),
                credentials.session.ids(),
            )
            .await?;
        // A reset that completed between the check above and the session's
        // creation has already deleted the identity's sessions: checking
        // the token again after the session exists leaves no gap.
        if let Err(error) = self.access_tokens.revocations().check_token(&claims).await {
            self.sessions.destroy(session_id.as_str()).await?;
            return Err(error);
        }
        let mut response = token_response(&json!({ "user": caller.context }));
        let cookie = self.sessions.settings().set_cookie(session_id.as_str());
        let cookie = HeaderValue::from_str(&cookie).map_err(|_| AuthError::Internal)?;
        response.headers_mut().insert(header::SET_COOKIE, cookie);
        Ok(response)
    }

    /// `DELETE /auth/session`: destroys the cookie's session (every one, when
    /// the request carries several cookies of the name: ending a session
    /// needs no choice between them) and, when a bearer token is presented,
    /// deny-lists it until it expires and ends its whole login (`sid`): every
    /// token of the login, and every session made from one, is refused from
    /// now on.
    async fn destroy_session(&self, head: &RequestHead<'_>) -> Result<Response<Bytes>, AuthError> {
        let credentials = self.credentials(head)?;
        if credentials.bearer.is_none() && credentials.session.is_absent() {
            return Err(AuthError::MissingCredentials);
        }
        let mut ended_something = false;
        if let Some(token) = credentials.bearer.as_deref() {
            let (caller, claims) = self.access_tokens.verify_claims(token).await?;
            let revocations = self.access_tokens.revocations();
            if let (Some(jti), Some(exp)) = (caller.token_id.as_deref(), caller.expires_at) {
                revocations.revoke_token(jti, exp).await?;
                tracing::info!(jti, "access token revoked at logout");
            }
            let login = LoginSession::of(&claims);
            let until = self.login_refused_until(self.login_last_issue(login.auth_time));
            revocations.end_login(&login.sid, until).await?;
            ended_something = true;
        }
        if !credentials.session.is_absent() {
            check_same_site(head.method, head.headers)?;
        }
        for session_id in credentials.session.ids() {
            ended_something |= self.sessions.destroy(session_id).await?;
        }
        if !ended_something {
            return Err(AuthError::InvalidSession);
        }
        let mut response = token_response(&json!({ "success": true }));
        let clear = HeaderValue::from_str(&self.sessions.settings().clear_cookie())
            .map_err(|_| AuthError::Internal)?;
        response.headers_mut().insert(header::SET_COOKIE, clear);
        Ok(response)
    }

    /// `POST /auth/{actor_type}/{provider}/reset-password`: `201` at once for
    /// every well-formed request; the lookup and the notification run after
    /// the answer, so known and unknown identifiers cannot be told apart by
    /// status, body or timing.
    async fn request_password_reset(
        &self,
        actor_type: &str,
        provider: &str,
        body: &[u8],
    ) -> Result<Response<Bytes>, AuthError> {
        let body = parse_json_body(body)?;
        let Some(identifier) = body.get("identifier").and_then(Value::as_str) else {
            return Err(AuthError::InvalidData("identifier must be a string".into()));
        };
        let entity_id = self.password_resets.entity_id(provider, identifier);
        // Reset requests have their own counter: they never count as login
        // failures. Past its limit the answer is still `201` (it must not
        // reveal anything), but no further notification is sent.
        match self
            .throttle
            .reserve(
                AttemptPurpose::ResetRequest,
                actor_type,
                provider,
                Some(&entity_id),
            )
            .await
        {
            Ok(_kept) => self
                .password_resets
                .request(actor_type, provider, &entity_id),
            Err(AuthError::TooManyRequests { .. }) => {}
            Err(other) => return Err(other),
        }
        Ok(empty_response(StatusCode::CREATED))
    }

    /// `POST /auth/{actor_type}/{provider}/update`: the reset token from
    /// `Authorization: Bearer` must have been issued for this actor type and
    /// provider; the identity comes from it, never from the body. A new
    /// password the policy refuses is `400 invalid_data` and keeps the token;
    /// otherwise the token is consumed (single use), and every earlier
    /// credential of the identity is revoked with the password write.
    async fn update_with_reset_token(
        &self,
        actor_type: &str,
        provider: &str,
        head: &RequestHead<'_>,
        body: &[u8],
    ) -> Result<Response<Bytes>, AuthError> {
        let credentials = self.credentials(head)?;
        let token = credentials
            .bearer
            .as_deref()
            .filter(|token| is_reset_token(token))
            .ok_or(AuthError::InvalidResetToken)?;
        let data = parse_json_body(body)?;
        self.password_resets
            .complete(actor_type, provider, token, &data)
            .await?;
        Ok(token_response(&json!({ "success": true })))
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
    fn repeated_query_name_keeps_the_last_value() {
        let query = parse_query(Some("state=first&&state=last"));
        assert_eq!(query.len(), 1);
        assert_eq!(query["state"], "last");
    }

    #[test]
    fn query_with_invalid_utf8_is_decoded_lossily() {
        let query = parse_query(Some("code=%FF%FE&%C3=x"));
        assert_eq!(query["code"], "\u{FFFD}\u{FFFD}");
        assert_eq!(query["\u{FFFD}"], "x");
        assert!(parse_query(None).is_empty());
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
