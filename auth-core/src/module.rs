//! The assembled auth module: what the adapters hold.
//!
//! [`AuthModule`] joins the provider registry, the token service and the stores,
//! and answers the two questions an adapter asks:
//!
//! - [`authorize`](AuthModule::authorize): does this request pass this route's
//!   [`RoutePolicy`]? (the extractor, middleware or filter of each framework)
//! - [`handle`](AuthModule::handle): what is the response to this auth route?
//!   (the `/auth/...` routes of the HTTP contract)
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::credentials::RequestHead;
//! use auth_core::policy::RoutePolicy;
//! use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
//! use auth_core::{AuthError, AuthModule};
//! use http::{HeaderMap, Method};
//!
//! let key = Key::hmac("k1", Algorithm::HS256, b"an example secret of 32+ bytes!!").unwrap();
//! let tokens = TokenService::new(KeySet::new(key).unwrap(), TokenConfig::new("https://auth.example", "store")).unwrap();
//! let auth = AuthModule::builder(tokens).build();
//!
//! let headers = HeaderMap::new();
//! let head = RequestHead::new(&Method::GET, &headers, None);
//! let policy = RoutePolicy::actor_types(["customer"]);
//! assert_eq!(auth.authorize(&policy, &head).await, Err(AuthError::MissingCredentials));
//! assert_eq!(auth.authorize(&policy.allow_unauthenticated(), &head).await, Ok(None));
//! # });
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;

use crate::credentials::{Credentials, RequestHead};
use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};
use crate::policy::{Authenticated, RoutePolicy};
use crate::provider::{AuthProvider, ProviderRegistry};
use crate::refresh::RefreshSettings;
use crate::reset::ResetNotifier;
use crate::service::AuthService;
use crate::session::SessionSettings;
use crate::store::{
    ApiKeyStore, IdentityStore, MemoryStore, RefreshTokenStore, ResetTokenStore, RevocationStore,
    SessionStore, ThrottleStore,
};
use crate::throttle::ThrottleSettings;
use crate::token::{AccessClaims, TokenError, TokenService};

/// Settings that shape responses and route checks.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// The `realm` of `WWW-Authenticate` challenges.
    pub realm: String,
    /// Which providers each actor type may use; an actor type not listed may use all.
    pub providers_per_actor: HashMap<String, Vec<String>>,
    /// Server-side sessions and their cookie.
    pub session: SessionSettings,
    /// Rotating refresh tokens (off by default).
    pub refresh: RefreshSettings,
    /// Throttling of login, register, reset-password and update.
    pub throttle: ThrottleSettings,
    /// How long a password reset token lives (at most 30 minutes).
    pub reset_token_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            realm: "auth".into(),
            providers_per_actor: HashMap::new(),
            session: SessionSettings::default(),
            refresh: RefreshSettings::default(),
            throttle: ThrottleSettings::default(),
            reset_token_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// The auth module. Cheap to clone; share one per application.
#[derive(Clone)]
pub struct AuthModule {
    inner: Arc<Inner>,
}

struct Inner {
    service: AuthService,
    tokens: TokenService,
    revocations: Arc<dyn RevocationStore>,
    sessions: Arc<dyn SessionStore>,
    reset_tokens: Arc<dyn ResetTokenStore>,
    refresh_tokens: Arc<dyn RefreshTokenStore>,
    api_keys: Arc<dyn ApiKeyStore>,
    throttle: Arc<dyn ThrottleStore>,
    notifier: Arc<dyn ResetNotifier>,
    settings: AuthSettings,
}

/// Every store the module uses, as one type: implemented by [`MemoryStore`]
/// and [`SqliteStore`](crate::store::SqliteStore).
pub trait AuthStore:
    IdentityStore
    + RevocationStore
    + SessionStore
    + ResetTokenStore
    + RefreshTokenStore
    + ApiKeyStore
    + ThrottleStore
{
}

impl<T> AuthStore for T where
    T: IdentityStore
        + RevocationStore
        + SessionStore
        + ResetTokenStore
        + RefreshTokenStore
        + ApiKeyStore
        + ThrottleStore
{
}

/// Builds an [`AuthModule`]; see [`AuthModule::builder`].
#[must_use]
pub struct AuthModuleBuilder {
    tokens: TokenService,
    registry: ProviderRegistry,
    store: Arc<dyn StoreSet>,
    revocations: Option<Arc<dyn RevocationStore>>,
    identities: Option<Arc<dyn IdentityStore>>,
    notifier: Arc<dyn ResetNotifier>,
    settings: AuthSettings,
}

/// [`AuthStore`] as a trait object that can hand out each part.
trait StoreSet: Send + Sync {
    fn identities(self: Arc<Self>) -> Arc<dyn IdentityStore>;
    fn revocations(self: Arc<Self>) -> Arc<dyn RevocationStore>;
    fn sessions(self: Arc<Self>) -> Arc<dyn SessionStore>;
    fn reset_tokens(self: Arc<Self>) -> Arc<dyn ResetTokenStore>;
    fn refresh_tokens(self: Arc<Self>) -> Arc<dyn RefreshTokenStore>;
    fn api_keys(self: Arc<Self>) -> Arc<dyn ApiKeyStore>;
    fn throttle(self: Arc<Self>) -> Arc<dyn ThrottleStore>;
}

impl<T: AuthStore> StoreSet for T {
    fn identities(self: Arc<Self>) -> Arc<dyn IdentityStore> {
        self
    }
    fn revocations(self: Arc<Self>) -> Arc<dyn RevocationStore> {
        self
    }
    fn sessions(self: Arc<Self>) -> Arc<dyn SessionStore> {
        self
    }
    fn reset_tokens(self: Arc<Self>) -> Arc<dyn ResetTokenStore> {
        self
    }
    fn refresh_tokens(self: Arc<Self>) -> Arc<dyn RefreshTokenStore> {
        self
    }
    fn api_keys(self: Arc<Self>) -> Arc<dyn ApiKeyStore> {
        self
    }
    fn throttle(self: Arc<Self>) -> Arc<dyn ThrottleStore> {
        self
    }
}

impl AuthModuleBuilder {
    /// Adds a provider to the registry.
    pub fn provider(mut self, provider: impl AuthProvider) -> Self {
        self.registry.register(provider);
        self
    }

    /// One store for everything (default: a [`MemoryStore`]).
    pub fn store<S: AuthStore>(mut self, store: Arc<S>) -> Self {
        self.store = store;
        self
    }

    /// A separate identity store (e.g. a shared database while sessions stay local).
    pub fn identities(mut self, store: Arc<dyn IdentityStore>) -> Self {
        self.identities = Some(store);
        self
    }

    /// A separate revocation store.
    pub fn revocations(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = Some(store);
        self
    }

    /// Where password reset tokens are sent (default: nowhere, with a warning).
    pub fn notifier(mut self, notifier: impl ResetNotifier) -> Self {
        self.notifier = Arc::new(notifier);
        self
    }

    /// The `realm` of challenges (default `auth`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.settings.realm = realm.into();
        self
    }

    /// Replaces all settings.
    pub fn settings(mut self, settings: AuthSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Changes the settings in place.
    pub fn configure(mut self, change: impl FnOnce(&mut AuthSettings)) -> Self {
        change(&mut self.settings);
        self
    }

    /// Restricts `actor_type` to these providers (Medusa's `authMethodsPerActor`).
    pub fn providers_for<I, S>(mut self, actor_type: impl Into<String>, providers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.providers_per_actor.insert(
            actor_type.into(),
            providers.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Builds the module.
    pub fn build(self) -> AuthModule {
        let store = self.store;
        let identities = self
            .identities
            .unwrap_or_else(|| store.clone().identities());
        let revocations = self
            .revocations
            .unwrap_or_else(|| store.clone().revocations());
        AuthModule {
            inner: Arc::new(Inner {
                service: AuthService::new(self.registry, identities),
                tokens: self.tokens,
                revocations,
                sessions: store.clone().sessions(),
                reset_tokens: store.clone().reset_tokens(),
                refresh_tokens: store.clone().refresh_tokens(),
                api_keys: store.clone().api_keys(),
                throttle: store.throttle(),
                notifier: self.notifier,
                settings: self.settings,
            }),
        }
    }
}

/// Logs why a token was refused (never the token) and gives the one answer the
/// client sees.
pub(crate) fn refuse_token(reason: TokenError) -> AuthError {
    tracing::debug!(%reason, "bearer token refused");
    AuthError::InvalidToken
}

/// When a token was issued, in milliseconds: from its `jti` when that is a
/// ULID (ours are), whose first 48 bits are the issue time, else from `iat`.
/// Millisecond precision lets a password reset revoke a token issued in the
/// same second just before it while a login just after it stays valid.
fn issued_at_ms(claims: &AccessClaims) -> u64 {
    claims
        .jti
        .as_deref()
        .and_then(|jti| ulid::Ulid::from_string(jti).ok())
        .map(|ulid| ulid.timestamp_ms())
        .filter(|ms| ms / 1000 == claims.iat)
        .unwrap_or(claims.iat.saturating_mul(1000))
}

impl AuthModule {
    /// Starts building a module around a token service.
    pub fn builder(tokens: TokenService) -> AuthModuleBuilder {
        AuthModuleBuilder {
            tokens,
            registry: ProviderRegistry::new(),
            store: Arc::new(MemoryStore::new()),
            identities: None,
            revocations: None,
            notifier: Arc::new(crate::reset::NoNotifier),
            settings: AuthSettings::default(),
        }
    }

    /// Medusa's operations over the registry.
    pub fn service(&self) -> &AuthService {
        &self.inner.service
    }

    /// The token service.
    pub fn tokens(&self) -> &TokenService {
        &self.inner.tokens
    }

    /// The identity store.
    pub fn identities(&self) -> &Arc<dyn IdentityStore> {
        self.inner.service.identities()
    }

    /// The revocation store.
    pub fn revocations(&self) -> &Arc<dyn RevocationStore> {
        &self.inner.revocations
    }

    /// The session store.
    pub fn sessions(&self) -> &Arc<dyn SessionStore> {
        &self.inner.sessions
    }

    /// The password reset token store.
    pub fn reset_tokens(&self) -> &Arc<dyn ResetTokenStore> {
        &self.inner.reset_tokens
    }

    /// The refresh token store.
    pub fn refresh_tokens(&self) -> &Arc<dyn RefreshTokenStore> {
        &self.inner.refresh_tokens
    }

    /// The API key store.
    pub fn api_keys(&self) -> &Arc<dyn ApiKeyStore> {
        &self.inner.api_keys
    }

    /// The throttle counters.
    pub fn throttle_store(&self) -> &Arc<dyn ThrottleStore> {
        &self.inner.throttle
    }

    /// Where reset tokens are sent.
    pub fn notifier(&self) -> &Arc<dyn ResetNotifier> {
        &self.inner.notifier
    }

    /// The settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.inner.settings
    }

    /// The response for an error, with this module's realm.
    pub fn error_response(&self, error: &AuthError) -> Response<Bytes> {
        let mut response = error.to_response(&self.inner.settings.realm);
        if *error == AuthError::InvalidSession
            && let Ok(clear) =
                http::HeaderValue::from_str(&self.inner.settings.session.clear_cookie())
        {
            // A dead session cookie is removed, so the next request is anonymous.
            response
                .headers_mut()
                .insert(http::header::SET_COOKIE, clear);
        }
        response
    }

    /// `GET /.well-known/jwks.json`: the public verification keys (empty for
    /// HMAC-only key sets), cacheable for five minutes.
    pub fn jwks_response(&self) -> Response<Bytes> {
        let mut response =
            crate::response::json_response(http::StatusCode::OK, &self.inner.tokens.jwks());
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("public, max-age=300"),
        );
        response
    }

    /// Evaluates `policy` on a request.
    ///
    /// - `Ok(Some(_))`: a verified caller the route accepts;
    /// - `Ok(None)`: no credentials, and the route allows anonymous callers;
    /// - `Err(_)`: the refusal, ready for [`error_response`](Self::error_response).
    ///
    /// A bearer token is always verified when present, and a session cookie or
    /// API key when the route accepts that kind: a credential that is present
    /// but invalid is refused even where anonymous callers pass, never
    /// downgraded to anonymous. A bearer token and a session of two different
    /// identities are refused together rather than mixed. Precedence: bearer,
    /// then API key, then session.
    pub async fn authorize(
        &self,
        policy: &RoutePolicy,
        head: &RequestHead<'_>,
    ) -> Result<Option<Authenticated>, AuthError> {
        let credentials = Credentials::from_head(head, &self.inner.settings.session.cookie_name)?;
        let bearer = match credentials.bearer.as_deref() {
            Some(token) => Some(self.verify_bearer(token).await?),
            None => None,
        };
        let api_key = match credentials.api_key.as_deref() {
            Some(secret) if policy.accepts(CredentialKind::ApiKey) => {
                Some(self.verify_api_key(secret).await?)
            }
            _ => None,
        };
        let session = match credentials.session_id.as_deref() {
            Some(id) if policy.accepts(CredentialKind::Session) => {
                Some(self.verify_session(id, head).await?)
            }
            _ => None,
        };
        if let (Some(bearer), Some(session)) = (&bearer, &session)
            && bearer.auth_identity_id != session.auth_identity_id
        {
            return Err(AuthError::InvalidRequest("Conflicting credentials"));
        }
        let caller = match (bearer, api_key, session) {
            (Some(_), _, _) if !policy.accepts(CredentialKind::Bearer) => {
                return Err(AuthError::InsufficientScope);
            }
            (Some(caller), _, _) | (None, Some(caller), _) | (None, None, Some(caller)) => caller,
            (None, None, None) if policy.allows_unauthenticated() => return Ok(None),
            (None, None, None) => return Err(AuthError::MissingCredentials),
        };
        policy.admit(&caller.context)?;
        Ok(Some(caller))
    }

    /// Like [`authorize`](Self::authorize), for handlers that need a caller:
    /// an anonymous request is refused with [`AuthError::MissingCredentials`]
    /// even when the policy lets anonymous callers through.
    pub async fn require(
        &self,
        policy: &RoutePolicy,
        head: &RequestHead<'_>,
    ) -> Result<Authenticated, AuthError> {
        self.authorize(policy, head)
            .await?
            .ok_or(AuthError::MissingCredentials)
    }

    /// Verifies a bearer access token: signature and claims, then revocation
    /// (deny-listed `jti`, identity-wide "tokens valid after") on every call.
    pub async fn verify_bearer(&self, token: &str) -> Result<Authenticated, AuthError> {
        let claims = self.inner.tokens.verify(token).map_err(refuse_token)?;
        let revocations = &self.inner.revocations;
        if let Some(jti) = claims.jti.as_deref()
            && revocations.is_token_revoked(jti).await?
        {
            tracing::debug!(jti, "revoked token presented");
            return Err(AuthError::InvalidToken);
        }
        self.check_identity_cutoff(&claims.auth_identity_id, issued_at_ms(&claims))
            .await
            .inspect_err(|_| tracing::debug!(jti = ?claims.jti, "token issued before identity-wide revocation"))?;
        Ok(Authenticated {
            context: claims.context(),
            credential: CredentialKind::Bearer,
            token_id: claims.jti.clone(),
            expires_at: Some(claims.exp),
        })
    }

    /// Refuses a credential of `auth_identity_id` issued (Unix milliseconds)
    /// before the identity's "tokens valid after" time.
    pub(crate) async fn check_identity_cutoff(
        &self,
        auth_identity_id: &str,
        issued_at_ms: u64,
    ) -> Result<(), AuthError> {
        match self
            .inner
            .revocations
            .tokens_valid_after(auth_identity_id)
            .await?
        {
            Some(valid_after_ms) if issued_at_ms < valid_after_ms => Err(AuthError::InvalidToken),
            _ => Ok(()),
        }
    }

    /// Revokes every credential of an identity: access tokens issued until now,
    /// sessions, refresh tokens and pending reset tokens. Used after a password
    /// change or reset.
    pub async fn revoke_all_credentials(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        self.inner
            .revocations
            .revoke_identity_tokens(auth_identity_id, crate::clock::now_ms())
            .await?;
        self.inner
            .sessions
            .delete_identity_sessions(auth_identity_id)
            .await?;
        self.inner
            .refresh_tokens
            .revoke_identity_refresh_tokens(auth_identity_id)
            .await?;
        self.inner
            .reset_tokens
            .delete_identity_reset_tokens(auth_identity_id)
            .await?;
        tracing::info!(auth_identity_id, "all credentials of the identity revoked");
        Ok(())
    }

    /// Signs an access token for `context`.
    pub fn issue_token(&self, context: &AuthContext) -> Result<String, AuthError> {
        self.inner.tokens.issue_token(context).map_err(|error| {
            tracing::error!(%error, "signing an access token failed");
            AuthError::Internal
        })
    }
}
