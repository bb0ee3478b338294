//! The assembled auth module: what the adapters hold.
//!
//! [`AuthModule`] composes one small service per concern (the provider
//! registry and identities in [`AuthService`], [`AccessTokens`], [`Sessions`],
//! [`RefreshTokens`], [`PasswordResets`], [`ApiKeys`], [`Throttle`]) over the
//! stores and one [`Clock`], and answers the questions an adapter asks:
//!
//! - [`authorize`](AuthModule::authorize) / [`require`](AuthModule::require):
//!   does this request pass this route's [`RoutePolicy`]? (the extractor,
//!   middleware or filter of each framework)
//! - [`handle`](AuthModule::handle): what is the response to this auth route?
//!   (the `/auth/...` routes of the HTTP contract)
//! - [`error_response`](AuthModule::error_response) and
//!   [`jwks_response`](AuthModule::jwks_response).
//!
//! An application that wants one concern reaches its service directly:
//! `auth.api_keys().create(..)`, `auth.sessions().verify(..)`, ...
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use auth_core::credentials::RequestHead;
//! use auth_core::policy::RoutePolicy;
//! use auth_core::{AuthError, AuthModule};
//! use http::{HeaderMap, Method};
//!
//! let auth = AuthModule::builder()
//!     .hs256(b"an example secret of 32+ bytes!!")
//!     .issuer("https://auth.example")
//!     .audience("store")
//!     .build()?;
//!
//! let headers = HeaderMap::new();
//! let head = RequestHead::new(&Method::GET, &headers, None);
//! let policy = RoutePolicy::actor_types(["customer"]);
//! assert_eq!(auth.authorize(&policy, &head).await, Err(AuthError::MissingCredentials));
//! assert_eq!(auth.authorize(&policy.allow_unauthenticated(), &head).await, Ok(None));
//! # Ok::<(), auth_core::BuildError>(())
//! # }).unwrap();
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use tracing::Instrument as _;

use crate::access_token::AccessTokens;
use crate::api_key::ApiKeys;
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::credentials::{Credentials, RequestHead};
use crate::error::AuthError;
use crate::http::ProxyPolicy;
use crate::identity::CredentialKind;
use crate::policy::{Authenticated, RoutePolicy};
use crate::provider::{AuthProvider, ProviderRegistry};
use crate::refresh::{RefreshSettings, RefreshTokens};
use crate::reset::{MAX_RESET_TOKEN_TTL, NoNotifier, PasswordResets, ResetNotifier};
use crate::revocation::Revocations;
use crate::routes::{AuthRequest, AuthRoute, RouteServices};
use crate::service::AuthService;
use crate::session::{SessionSettings, Sessions};
use crate::store::{
    ApiKeyStore, CredentialStore, IdentityStore, MemoryStore, RefreshTokenStore, ResetTokenStore,
    RevocationStore, SessionStore, ThrottleStore,
};
use crate::telemetry;
use crate::throttle::{Throttle, ThrottleSettings};
use crate::token::{Algorithm, Key, KeyError, KeySet, TokenConfig, TokenService};

/// Settings of the module itself: challenges, which providers each actor
/// type may use, and which proxies may report the client address. The services' settings are [`SessionSettings`],
/// [`RefreshSettings`] and [`ThrottleSettings`].
///
/// ```
/// use auth_core::AuthSettings;
///
/// let settings = AuthSettings::default().realm("shop").providers_for("user", ["emailpass"]);
/// assert_eq!(settings.realm, "shop");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthSettings {
    /// The `realm` of `WWW-Authenticate` challenges (default `auth`).
    pub realm: String,
    /// Which providers each actor type may use; an actor type not listed may use all.
    pub providers_per_actor: HashMap<String, Vec<String>>,
    /// Which peers may report the client address in `Forwarded` /
    /// `X-Forwarded-For` (default: none, the peer is the client).
    pub trusted_proxies: ProxyPolicy,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            realm: "auth".into(),
            providers_per_actor: HashMap::new(),
            trusted_proxies: ProxyPolicy::default(),
        }
    }
}

impl AuthSettings {
    /// Sets the `realm` of challenges.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Restricts `actor_type` to these providers (Medusa's `authMethodsPerActor`).
    pub fn providers_for<I, S>(mut self, actor_type: impl Into<String>, providers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.providers_per_actor.insert(
            actor_type.into(),
            providers.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Sets the proxies trusted to report the client address.
    pub fn trusted_proxies(mut self, proxies: ProxyPolicy) -> Self {
        self.trusted_proxies = proxies;
        self
    }
}

/// Every store the module uses, as one type: implemented by [`MemoryStore`]
/// and [`SqliteStore`](crate::store::SqliteStore).
pub trait AuthStore:
    IdentityStore
    + CredentialStore
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
        + CredentialStore
        + RevocationStore
        + SessionStore
        + ResetTokenStore
        + RefreshTokenStore
        + ApiKeyStore
        + ThrottleStore
{
}

/// A store as the builder's setters take it: by value, or already in an
/// `Arc` (to keep a handle on it).
///
/// `T` is the store trait object (`dyn SessionStore`, `dyn AuthStore`, ...).
pub trait IntoSharedStore<T: ?Sized> {
    /// The store, shared.
    fn into_shared(self) -> Arc<T>;
}

macro_rules! shared_store {
    ($($store:ident),* $(,)?) => {$(
        impl<S: $store> IntoSharedStore<dyn $store> for S {
            fn into_shared(self) -> Arc<dyn $store> {
                Arc::new(self)
            }
        }
        impl<S: $store> IntoSharedStore<dyn $store> for Arc<S> {
            fn into_shared(self) -> Arc<dyn $store> {
                self
            }
        }
        impl IntoSharedStore<dyn $store> for Arc<dyn $store> {
            fn into_shared(self) -> Arc<dyn $store> {
                self
            }
        }
    )*};
}

shared_store!(
    AuthStore,
    IdentityStore,
    RevocationStore,
    SessionStore,
    ResetTokenStore,
    RefreshTokenStore,
    ApiKeyStore,
    ThrottleStore,
);

/// Why [`AuthModuleBuilder::build`] refused to build a module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No signing key: call `.hs256(secret)`, `.keys(KeySet)` or `.tokens(TokenService)`.
    #[error("no signing key: call .hs256(secret), .keys(KeySet) or .tokens(TokenService)")]
    MissingKey,
    /// No issuer: call `.issuer(..)`.
    #[error("no token issuer: call .issuer(..)")]
    MissingIssuer,
    /// No audience: call `.audience(..)`.
    #[error("no token audience: call .audience(..)")]
    MissingAudience,
    /// The key or the token configuration was refused (a weak secret, a leeway
    /// over 60 s, ...).
    #[error("token keys or configuration refused: {0}")]
    Tokens(#[from] KeyError),
    /// Two setters say different things about the same part.
    #[error("conflicting setup: {0}")]
    Conflict(&'static str),
}

/// Where the token service comes from.
enum Signing {
    Missing,
    Keys(Result<KeySet, KeyError>),
    Tokens(TokenService),
}

/// The key id [`AuthModuleBuilder::hs256`] gives its key.
pub const HS256_KID: &str = "hs256";

/// Builds an [`AuthModule`]; see [`AuthModule::builder`].
#[must_use]
pub struct AuthModuleBuilder {
    signing: Signing,
    token_config: TokenConfig,
    issuer: Option<String>,
    audience: Option<String>,
    registry: ProviderRegistry,
    store: Option<Arc<dyn AuthStore>>,
    identities: Option<Arc<dyn IdentityStore>>,
    revocations: Option<Arc<dyn RevocationStore>>,
    sessions: Option<Arc<dyn SessionStore>>,
    reset_tokens: Option<Arc<dyn ResetTokenStore>>,
    refresh_tokens: Option<Arc<dyn RefreshTokenStore>>,
    api_keys: Option<Arc<dyn ApiKeyStore>>,
    throttle_store: Option<Arc<dyn ThrottleStore>>,
    notifier: Arc<dyn ResetNotifier>,
    clock: SharedClock,
    settings: AuthSettings,
    session: SessionSettings,
    refresh: RefreshSettings,
    throttle: ThrottleSettings,
    reset_token_ttl: Duration,
    login_max_age: Duration,
    conflict: Option<&'static str>,
}

impl AuthModuleBuilder {
    fn sign_with(mut self, signing: Signing) -> Self {
        if !matches!(self.signing, Signing::Missing) {
            self.conflict
                .get_or_insert("the signing key is set twice (.hs256, .keys or .tokens)");
        }
        self.signing = signing;
        self
    }

    /// Signs and verifies with one HS256 secret (at least 32 bytes, not a
    /// known weak secret), under the key id [`HS256_KID`]. For several keys,
    /// other algorithms or rotation, use [`keys`](Self::keys).
    pub fn hs256(self, secret: impl AsRef<[u8]>) -> Self {
        let keys = Key::hmac(HS256_KID, Algorithm::HS256, secret.as_ref()).and_then(KeySet::new);
        self.sign_with(Signing::Keys(keys))
    }

    /// Signs with `keys.signing_key()` and verifies with every key of the set.
    pub fn keys(self, keys: KeySet) -> Self {
        self.sign_with(Signing::Keys(Ok(keys)))
    }

    /// A token service built by hand; it carries its own issuer, audience and
    /// [`TokenConfig`], so `.issuer`, `.audience` and `.token_config` do not go
    /// with it. The module's clock replaces the service's.
    pub fn tokens(self, tokens: TokenService) -> Self {
        self.sign_with(Signing::Tokens(tokens))
    }

    /// The `iss` of issued tokens, required of verified ones. Required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `aud` of issued tokens, required of verified ones. Required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Lifetimes, leeway and limits of access tokens (default
    /// [`TokenConfig::default`]). Its issuer and audience are used unless
    /// [`issuer`](Self::issuer) and [`audience`](Self::audience) are called,
    /// in any order.
    pub fn token_config(mut self, config: TokenConfig) -> Self {
        self.token_config = config;
        self
    }

    /// Adds a provider to the registry.
    pub fn provider(mut self, provider: impl AuthProvider) -> Self {
        self.registry.register(provider);
        self
    }

    /// One store for everything but the throttle counters, by value (or an
    /// `Arc` of it); default a [`MemoryStore`]. The per-concern setters below
    /// override it.
    pub fn store(mut self, store: impl IntoSharedStore<dyn AuthStore>) -> Self {
        self.store = Some(store.into_shared());
        self
    }

    /// A separate identity store (e.g. a shared database while sessions stay local).
    pub fn identities(mut self, store: impl IntoSharedStore<dyn IdentityStore>) -> Self {
        self.identities = Some(store.into_shared());
        self
    }

    /// A separate revocation store.
    pub fn revocations(mut self, store: impl IntoSharedStore<dyn RevocationStore>) -> Self {
        self.revocations = Some(store.into_shared());
        self
    }

    /// A separate session store.
    pub fn sessions(mut self, store: impl IntoSharedStore<dyn SessionStore>) -> Self {
        self.sessions = Some(store.into_shared());
        self
    }

    /// A separate password reset token store.
    pub fn reset_tokens(mut self, store: impl IntoSharedStore<dyn ResetTokenStore>) -> Self {
        self.reset_tokens = Some(store.into_shared());
        self
    }

    /// A separate refresh token store.
    pub fn refresh_tokens(mut self, store: impl IntoSharedStore<dyn RefreshTokenStore>) -> Self {
        self.refresh_tokens = Some(store.into_shared());
        self
    }

    /// A separate API key store.
    pub fn api_keys(mut self, store: impl IntoSharedStore<dyn ApiKeyStore>) -> Self {
        self.api_keys = Some(store.into_shared());
        self
    }

    /// The store of the throttle counters. Default: an in-process
    /// [`MemoryStore`] of their own, whatever [`store`](Self::store) is, so a
    /// login flood never waits on the database's write lock. Set a shared
    /// store here when several nodes must count together.
    pub fn throttle_store(mut self, store: impl IntoSharedStore<dyn ThrottleStore>) -> Self {
        self.throttle_store = Some(store.into_shared());
        self
    }

    /// Where password reset tokens are sent (default: nowhere, with a warning).
    pub fn notifier(mut self, notifier: impl ResetNotifier) -> Self {
        self.notifier = Arc::new(notifier);
        self
    }

    /// The clock every service reads (default [`SystemClock`]); a
    /// [`TestClock`](crate::clock::TestClock) in tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The `realm` of challenges (default `auth`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.settings = self.settings.realm(realm);
        self
    }

    /// Restricts `actor_type` to these providers (Medusa's `authMethodsPerActor`).
    pub fn providers_for<I, S>(mut self, actor_type: impl Into<String>, providers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings = self.settings.providers_for(actor_type, providers);
        self
    }

    /// The proxies trusted to report the client address (default none): the
    /// client address of an auth route's request is read from `Forwarded` /
    /// `X-Forwarded-For` only when its peer is one of them (see [`ProxyPolicy`]).
    ///
    /// ```
    /// # fn build() -> Result<(), Box<dyn std::error::Error>> {
    /// let auth = auth_core::AuthModule::builder()
    ///     .hs256(b"an example secret of 32+ bytes!!")
    ///     .issuer("https://auth.example")
    ///     .audience("store")
    ///     .trusted_proxies("10.0.0.0/8, fd00::/8".parse()?)
    ///     .build()?;
    /// assert!(auth.settings().trusted_proxies.trusts_any());
    /// # Ok(()) }
    /// # build().unwrap();
    /// ```
    pub fn trusted_proxies(mut self, proxies: ProxyPolicy) -> Self {
        self.settings = self.settings.trusted_proxies(proxies);
        self
    }

    /// Sessions and their cookie (default [`SessionSettings::default`]).
    pub fn session(mut self, settings: SessionSettings) -> Self {
        self.session = settings;
        self
    }

    /// Refresh tokens (default off; see [`RefreshSettings`]).
    pub fn refresh(mut self, settings: RefreshSettings) -> Self {
        self.refresh = settings;
        self
    }

    /// Throttling of the credential routes (default on; see [`ThrottleSettings`]).
    pub fn throttle(mut self, settings: ThrottleSettings) -> Self {
        self.throttle = settings;
        self
    }

    /// How long a login lasts: a bearer refresh never issues a token past
    /// `auth_time` plus this (default 7 days, `AUTH_LOGIN_MAX_AGE` in the demo).
    pub fn login_max_age(mut self, max_age: Duration) -> Self {
        self.login_max_age = max_age;
        self
    }

    /// How long a password reset token lives (default and maximum 30 minutes;
    /// a longer value is cut to 30 minutes).
    pub fn reset_token_ttl(mut self, ttl: Duration) -> Self {
        self.reset_token_ttl = ttl;
        self
    }

    /// The token service the setters describe.
    fn token_service(&mut self) -> Result<TokenService, BuildError> {
        let signing = std::mem::replace(&mut self.signing, Signing::Missing);
        let keys = match signing {
            Signing::Missing => return Err(BuildError::MissingKey),
            Signing::Tokens(tokens) => {
                if self.issuer.is_some() || self.audience.is_some() {
                    return Err(BuildError::Conflict(
                        ".tokens(..) carries its own issuer and audience",
                    ));
                }
                return Ok(tokens);
            }
            Signing::Keys(keys) => keys?,
        };
        let mut config = self.token_config.clone();
        if let Some(issuer) = self.issuer.take() {
            config.issuer = issuer;
        }
        if let Some(audience) = self.audience.take() {
            config.audience = audience;
        }
        if config.issuer.is_empty() {
            return Err(BuildError::MissingIssuer);
        }
        if config.audience.is_empty() {
            return Err(BuildError::MissingAudience);
        }
        Ok(TokenService::new(keys, config)?)
    }

    /// Builds the module, or says what is missing or wrong.
    pub fn build(mut self) -> Result<AuthModule, BuildError> {
        if let Some(conflict) = self.conflict {
            return Err(BuildError::Conflict(conflict));
        }
        let clock = self.clock.clone();
        let tokens = self.token_service()?.with_clock(clock.clone());
        let store: Arc<dyn AuthStore> = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new().with_clock(clock.clone())));
        // A reset is atomic when the one store holds everything it touches.
        let atomic_resets = self.identities.is_none()
            && self.revocations.is_none()
            && self.sessions.is_none()
            && self.reset_tokens.is_none()
            && self.refresh_tokens.is_none();
        let identities = self.identities.unwrap_or_else(|| store.clone());
        let revocations = Revocations::new(
            self.revocations.unwrap_or_else(|| store.clone()),
            clock.clone(),
        );
        let service = AuthService::new(self.registry, identities);
        let sessions = Sessions::new(
            self.sessions.unwrap_or_else(|| store.clone()),
            self.session,
            revocations.clone(),
            clock.clone(),
        );
        let refresh_tokens = RefreshTokens::new(
            self.refresh_tokens.unwrap_or_else(|| store.clone()),
            self.refresh,
            clock.clone(),
        );
        let password_resets = PasswordResets::new(
            self.reset_tokens.unwrap_or_else(|| store.clone()),
            self.notifier,
            self.reset_token_ttl,
            service.clone(),
            sessions.clone(),
            refresh_tokens.clone(),
            clock.clone(),
        );
        let password_resets = if atomic_resets {
            let credentials: Arc<dyn CredentialStore> = store.clone();
            password_resets.with_atomic_store(credentials)
        } else {
            password_resets
        };
        let api_keys = ApiKeys::new(
            self.api_keys.unwrap_or_else(|| store.clone()),
            clock.clone(),
        );
        let throttle = Throttle::new(
            self.throttle_store
                .unwrap_or_else(|| Arc::new(MemoryStore::new().with_clock(clock.clone()))),
            self.throttle,
            clock.clone(),
        );
        Ok(AuthModule {
            inner: Arc::new(Inner {
                access_tokens: AccessTokens::new(tokens, revocations)
                    .with_login_max_age(self.login_max_age),
                service,
                sessions,
                refresh_tokens,
                password_resets,
                api_keys,
                throttle,
                settings: self.settings,
                clock,
                warned_without_peer: AtomicBool::new(false),
            }),
        })
    }
}

/// The auth module. Cheap to clone; share one per application.
#[derive(Clone)]
pub struct AuthModule {
    inner: Arc<Inner>,
}

struct Inner {
    service: AuthService,
    access_tokens: AccessTokens,
    sessions: Sessions,
    refresh_tokens: RefreshTokens,
    password_resets: PasswordResets,
    api_keys: ApiKeys,
    throttle: Throttle,
    settings: AuthSettings,
    clock: SharedClock,
    /// Whether a request without a peer address was logged (once per module).
    warned_without_peer: AtomicBool,
}

impl AuthModule {
    /// Starts building a module:
    ///
    /// ```
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use auth_core::provider::EmailPass;
    /// use auth_core::store::SqliteStore;
    /// use auth_core::AuthModule;
    ///
    /// let auth = AuthModule::builder()
    ///     .hs256(std::env::var("AUTH_JWT_SECRET")?)
    ///     .issuer("https://auth.example")
    ///     .audience("store")
    ///     .store(SqliteStore::connect("sqlite://auth.db?mode=rwc").await?)
    ///     .provider(EmailPass::default())
    ///     .build()?;
    /// # let _ = auth; Ok(()) }
    /// ```
    pub fn builder() -> AuthModuleBuilder {
        AuthModuleBuilder {
            signing: Signing::Missing,
            token_config: TokenConfig::default(),
            issuer: None,
            audience: None,
            registry: ProviderRegistry::new(),
            store: None,
            identities: None,
            revocations: None,
            sessions: None,
            reset_tokens: None,
            refresh_tokens: None,
            api_keys: None,
            throttle_store: None,
            notifier: Arc::new(NoNotifier),
            clock: Arc::new(SystemClock),
            settings: AuthSettings::default(),
            session: SessionSettings::default(),
            refresh: RefreshSettings::default(),
            throttle: ThrottleSettings::default(),
            reset_token_ttl: MAX_RESET_TOKEN_TTL,
            login_max_age: crate::access_token::DEFAULT_LOGIN_MAX_AGE,
            conflict: None,
        }
    }

    /// Medusa's operations over the provider registry and the identity store.
    pub fn service(&self) -> &AuthService {
        &self.inner.service
    }

    /// The token service (signing, verification without revocation, JWKS).
    pub fn tokens(&self) -> &TokenService {
        self.inner.access_tokens.tokens()
    }

    /// Access tokens as credentials: issue, and verify with revocation.
    pub fn access_tokens(&self) -> &AccessTokens {
        &self.inner.access_tokens
    }

    /// Revocation: deny-listed tokens and identity cut-offs.
    pub fn revocations(&self) -> &Revocations {
        self.inner.access_tokens.revocations()
    }

    /// Server-side sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Rotating refresh tokens.
    pub fn refresh_tokens(&self) -> &RefreshTokens {
        &self.inner.refresh_tokens
    }

    /// Password resets.
    pub fn password_resets(&self) -> &PasswordResets {
        &self.inner.password_resets
    }

    /// Secret API keys.
    pub fn api_keys(&self) -> &ApiKeys {
        &self.inner.api_keys
    }

    /// Throttling of the credential routes.
    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// The module's own settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.inner.settings
    }

    /// The clock every service reads.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Answers a request to an auth route (see [`routes`](crate::routes)).
    /// Never fails: every refusal becomes the error's response.
    ///
    /// Each answer is one `auth.route` span (see [`telemetry`]): the route
    /// kind, the actor type, the status and the refusal's reason, never the
    /// path, body or credentials as received.
    ///
    /// The request's client address, unless already set, is resolved from its
    /// peer with the module's [`ProxyPolicy`]; see [`client_addr`](Self::client_addr).
    pub async fn handle(&self, mut request: AuthRequest) -> Response<Bytes> {
        request.client_addr = self.client_addr(&request);
        let span = telemetry::route_span();
        self.answer_route(&request, &span)
            .instrument(span.clone())
            .await
    }

    /// The address `request` counts against in per-address throttling: its
    /// `client_addr` when set, else its peer through the module's
    /// [`ProxyPolicy`] (`AuthSettings::trusted_proxies`).
    ///
    /// A request with neither (axum served without `ConnectInfo`, say) is not
    /// throttled per address; the first one is logged as a warning, never
    /// silently.
    pub fn client_addr(&self, request: &AuthRequest) -> Option<IpAddr> {
        let inner = &*self.inner;
        let resolved = request.client_addr.or_else(|| {
            inner
                .settings
                .trusted_proxies
                .client_addr(request.peer, &request.headers)
        });
        if resolved.is_none()
            && inner.throttle.settings().enabled
            && !inner.warned_without_peer.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                "a request reached the auth routes without a peer address, so per-address \
                 throttling is off for it; the adapter must pass the peer (axum: serve with \
                 `into_make_service_with_connect_info::<SocketAddr>()`)"
            );
        }
        resolved
    }

    /// [`handle`](Self::handle) inside its span, which it records the answer on.
    async fn answer_route(&self, request: &AuthRequest, span: &tracing::Span) -> Response<Bytes> {
        let inner = &*self.inner;
        let services = RouteServices {
            service: &inner.service,
            access_tokens: &inner.access_tokens,
            sessions: &inner.sessions,
            refresh_tokens: &inner.refresh_tokens,
            password_resets: &inner.password_resets,
            throttle: &inner.throttle,
            providers_per_actor: &inner.settings.providers_per_actor,
        };
        match services.route(request).await {
            Ok(response) => {
                telemetry::record_route_answer(span, response.status(), None);
                response
            }
            Err(error) => {
                telemetry::record_route_answer(span, error.status(), Some(&error));
                let mut response = self.error_response(&error);
                if error == AuthError::MethodNotAllowed
                    && let Some(allow) = AuthRoute::allow_header(&request.path)
                    && let Ok(value) = http::HeaderValue::from_str(&allow)
                {
                    response.headers_mut().insert(http::header::ALLOW, value);
                }
                response
            }
        }
    }

    /// The response for an error, with this module's realm.
    pub fn error_response(&self, error: &AuthError) -> Response<Bytes> {
        let mut response = error.to_response(&self.inner.settings.realm);
        if *error == AuthError::InvalidSession
            && let Ok(clear) =
                http::HeaderValue::from_str(&self.inner.sessions.settings().clear_cookie())
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
            crate::response::json_response(http::StatusCode::OK, &self.tokens().jwks());
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
    /// downgraded to anonymous. Two session cookies are `400` where the route
    /// accepts sessions, and ignored where it does not. A bearer token and a session of two different
    /// identities are refused together rather than mixed. Precedence: bearer,
    /// then API key, then session.
    ///
    /// Each decision is one `auth.authorize` span (see [`telemetry`]) with
    /// its outcome, reason, credential kind and actor type, and each refusal
    /// counts in [`REFUSALS_TOTAL`](telemetry::REFUSALS_TOTAL).
    pub async fn authorize(
        &self,
        policy: &RoutePolicy,
        head: &RequestHead<'_>,
    ) -> Result<Option<Authenticated>, AuthError> {
        let span = telemetry::authorize_span();
        let decision = self
            .decide(policy, head, &span)
            .instrument(span.clone())
            .await;
        telemetry::record_authorization(&span, &decision);
        decision
    }

    /// [`authorize`](Self::authorize) inside its span; records on `span`
    /// which credential decided, as soon as it is known.
    async fn decide(
        &self,
        policy: &RoutePolicy,
        head: &RequestHead<'_>,
        span: &tracing::Span,
    ) -> Result<Option<Authenticated>, AuthError> {
        let credentials = Credentials::from_head(
            head,
            &self.inner.sessions.settings().effective_cookie_name(),
        )?;
        let presented = if credentials.bearer.is_some() {
            Some(CredentialKind::Bearer)
        } else if credentials.api_key.is_some() && policy.accepts(CredentialKind::ApiKey) {
            Some(CredentialKind::ApiKey)
        } else if !credentials.session.is_absent() && policy.accepts(CredentialKind::Session) {
            Some(CredentialKind::Session)
        } else {
            None
        };
        if let Some(kind) = presented {
            span.record("credential", telemetry::credential_label(kind));
        }
        let bearer = match credentials.bearer.as_deref() {
            Some(token) => Some(self.verify_bearer(token).await?),
            None => None,
        };
        let api_key = match credentials.api_key.as_deref() {
            Some(secret) if policy.accepts(CredentialKind::ApiKey) => {
                Some(self.inner.api_keys.verify(secret).await?)
            }
            _ => None,
        };
        // Two session cookies are refused only where a session counts.
        let session_id = if policy.accepts(CredentialKind::Session) {
            credentials.session.id()?
        } else {
            None
        };
        let session = match session_id {
            Some(id) => Some(self.inner.sessions.verify(id, head).await?),
            None => None,
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
        self.inner.access_tokens.verify(token).await
    }
}
