//! The demo store's actor layer, written once for every framework.
//!
//! The auth routes come from `auth-core`; this module adds what the contract's
//! "demo store" table lists: customers and admin users that an auth identity is
//! linked to, each handler a function from the verified caller and the raw body
//! to an `http::Response`. The framework modules only route to these functions
//! behind their adapter's extractor, middleware or filter, with the policies of
//! [`policies`].
//!
//! ```no_run
//! # async fn run() -> Result<(), examples::config::ConfigError> {
//! use examples::config::DemoConfig;
//! use examples::demo::Demo;
//!
//! let demo = Demo::open(&DemoConfig::from_env()?).await?;
//! let health = demo.health();
//! assert_eq!(health.status(), 200);
//! # Ok(()) }
//! ```

use auth_core::error::AuthError;
use auth_core::invite::Invites;
use auth_core::password::{HashingLimits, PasswordHasher, PasswordPolicy};
use auth_core::provider::AuthenticationInput;
use auth_core::provider::EmailPass;
use auth_core::provider::emailpass::{is_plausible_email, normalize_email};
use auth_core::refresh::RefreshSettings;
use auth_core::response::json_response;
use auth_core::routes::parse_json_body;
use auth_core::session::SessionSettings;
use auth_core::store::InviteStore;
use auth_core::store::{PostgresStore, SqliteStore, StoreError};
use auth_core::throttle::ThrottleSettings;
use auth_core::token::{Algorithm, Key, KeySet, TokenConfig};
use auth_core::{AuthModule, AuthStore, Authenticated, BuildError};
use bytes::Bytes;
use http::header::{CACHE_CONTROL, HeaderValue};
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};
use std::sync::Arc;

use crate::config::{ConfigError, DemoConfig, SigningConfig, is_postgres_url};
use crate::notifier::LogNotifier;
use crate::tables::{Actor, DemoTables};

/// The route policies of the demo store, shared by every framework.
pub mod policies {
    use auth_core::RoutePolicy;
    use auth_core::identity::CredentialKind::{ApiKey, Bearer, Session};

    /// `POST /store/customers`: bearer, actor `customer`, unregistered allowed.
    pub fn create_customer() -> RoutePolicy {
        RoutePolicy::actor_types(["customer"]).allow_unregistered()
    }

    /// `GET /store/customers/me`: bearer or session, actor `customer`.
    pub fn customer_me() -> RoutePolicy {
        RoutePolicy::actor_types(["customer"]).credentials([Bearer, Session])
    }

    /// `GET /store/whoami`: bearer or session, actor `customer`, anonymous allowed.
    pub fn whoami() -> RoutePolicy {
        customer_me().allow_unauthenticated()
    }

    /// `POST /admin/invites`: a registered admin by bearer or session, as for
    /// API keys ([`manage_api_keys`]).
    pub fn create_invite() -> RoutePolicy {
        manage_api_keys()
    }

    /// `POST /admin/invites/accept`: bearer, actor `user`, unregistered allowed
    /// (the register token of a fresh identity). The invite token is the proof.
    pub fn accept_invite() -> RoutePolicy {
        RoutePolicy::actor_types(["user"]).allow_unregistered()
    }

    /// `GET /admin/users/me`: bearer, session or secret API key, actor `user`.
    pub fn user_me() -> RoutePolicy {
        RoutePolicy::actor_types(["user"]).credentials([Bearer, Session, ApiKey])
    }

    /// `POST /admin/api-keys` and `POST /admin/api-keys/{id}/revoke`: a
    /// registered admin user by bearer or session (a key cannot mint keys),
    /// whose identity links that very user in `app_metadata.user_id`.
    ///
    /// Minting a secret key is the most powerful thing an admin does, so the
    /// route also refuses, with `403 insufficient_scope`, a validly signed
    /// token whose `actor_id` and `app_metadata` disagree (one minted by
    /// another service sharing the secret, for instance).
    pub fn manage_api_keys() -> RoutePolicy {
        RoutePolicy::actor_types(["user"])
            .credentials([Bearer, Session])
            .check("app_metadata.user_id is the caller", |caller| {
                caller
                    .app_metadata
                    .get("user_id")
                    .and_then(|id| id.as_str())
                    == Some(caller.actor_id.as_str())
            })
    }
}

/// The demo application: the auth module plus the customers and users tables.
#[derive(Clone)]
pub struct Demo {
    /// The auth module the adapters mount and guard routes with.
    pub auth: AuthModule,
    invites: Invites,
    tables: DemoTables,
}

/// The signing key from the configuration.
fn signing_key(signing: &SigningConfig) -> Result<Key, ConfigError> {
    match signing {
        SigningConfig::RandomSecret => {
            tracing::warn!(
                "AUTH_JWT_SECRET is unset: signing with a random secret; tokens will not survive a restart"
            );
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|e| ConfigError::new("AUTH_JWT_SECRET", format!("no randomness: {e}")))?;
            Key::hmac("hs256-random", Algorithm::HS256, &secret)
                .map_err(|e| ConfigError::new("AUTH_JWT_SECRET", e.to_string()))
        }
        SigningConfig::Secret(secret) => Key::hmac("hs256-1", Algorithm::HS256, secret.as_bytes())
            .map_err(|e| ConfigError::new("AUTH_JWT_SECRET", e.to_string())),
        SigningConfig::PrivateKey { path, algorithm } => {
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError::new(
                    "AUTH_JWT_PRIVATE_KEY_FILE",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Key::private_pem("key-1", *algorithm, &pem)
                .map_err(|e| ConfigError::new("AUTH_JWT_PRIVATE_KEY_FILE", e.to_string()))
        }
    }
}

/// The variable to blame for a key that the token service refuses.
fn key_variable(signing: &SigningConfig) -> &'static str {
    match signing {
        SigningConfig::PrivateKey { .. } => "AUTH_JWT_PRIVATE_KEY_FILE",
        _ => "AUTH_JWT_SECRET",
    }
}

impl Demo {
    /// Opens the database, runs the migrations and assembles the auth module.
    pub async fn open(config: &DemoConfig) -> Result<Self, ConfigError> {
        let database_error = |e: StoreError| ConfigError::new("AUTH_DATABASE_URL", e.to_string());
        let (store, invite_store, tables): (Arc<dyn AuthStore>, Arc<dyn InviteStore>, _) =
            if is_postgres_url(&config.database_url) {
                let store = Arc::new(
                    PostgresStore::connect(&config.database_url)
                        .await
                        .map_err(database_error)?,
                );
                let tables = DemoTables::Postgres(store.pool().clone());
                (store.clone(), store, tables)
            } else {
                let store = Arc::new(
                    SqliteStore::connect(&config.database_url)
                        .await
                        .map_err(database_error)?,
                );
                let tables = DemoTables::Sqlite(store.pool().clone());
                (store.clone(), store, tables)
            };
        tables.create().await.map_err(|e| {
            ConfigError::new(
                "AUTH_DATABASE_URL",
                format!("cannot create demo tables: {e}"),
            )
        })?;
        let keys = KeySet::new(signing_key(&config.signing)?)
            .map_err(|e| ConfigError::new(key_variable(&config.signing), e.to_string()))?;
        let mut builder = AuthModule::builder();
        for (actor_type, providers) in &config.providers_per_actor {
            builder = builder.providers_for(actor_type.clone(), providers.clone());
        }
        let auth = builder
            .keys(keys)
            .issuer(config.issuer.clone())
            .audience(config.audience.clone())
            .token_config(TokenConfig::default().ttl(config.token_ttl))
            .store(store)
            .realm("demo-store")
            .provider(EmailPass::new(PasswordHasher::with_limits(
                PasswordPolicy::default(),
                HashingLimits::default().max_wait(config.hash_wait),
            )))
            .notifier(LogNotifier)
            .session(SessionSettings::default().secure(config.cookie_secure))
            .refresh(RefreshSettings::default().enabled(config.refresh_tokens))
            .throttle(ThrottleSettings::default().enabled(config.throttle))
            .trusted_proxies(config.trusted_proxies.clone())
            .reset_token_ttl(config.reset_token_ttl)
            .login_max_age(config.login_max_age)
            .build()
            .map_err(|error| match error {
                BuildError::MissingIssuer => ConfigError::new("AUTH_ISSUER", error.to_string()),
                BuildError::MissingAudience => ConfigError::new("AUTH_AUDIENCE", error.to_string()),
                other => ConfigError::new(key_variable(&config.signing), other.to_string()),
            })?;
        let invites = Invites::new(invite_store, auth.clock().clone());
        Ok(Self {
            auth,
            invites,
            tables,
        })
    }

    /// `GET /health`
    pub fn health(&self) -> Response<Bytes> {
        json_response(StatusCode::OK, &json!({"status": "ok"}))
    }

    /// `POST /store/customers`
    pub async fn create_customer(&self, caller: &Authenticated, body: &[u8]) -> Response<Bytes> {
        self.respond(self.create_actor(Actor::Customer, caller, body).await)
    }

    /// `GET /store/customers/me`
    pub async fn customer_me(&self, caller: &Authenticated) -> Response<Bytes> {
        self.respond(self.actor_me(Actor::Customer, caller).await)
    }

    /// `POST /admin/invites` `{"email"}`: an invite, its token shown once.
    pub async fn create_invite(&self, body: &[u8]) -> Response<Bytes> {
        let result = async {
            let email = required_email(&parse_json_body(body)?)?;
            let (record, token) = self.invites.create(&email).await?;
            Ok(no_store(json_response(
                StatusCode::OK,
                &json!({"invite": {
                    "id": record.id,
                    "email": record.email,
                    "token": token.as_str(),
                    "expires_at": record.expires_at,
                    "accepted": false,
                }}),
            )))
        };
        self.respond(result.await)
    }

    /// `POST /admin/invites/accept?token=`: the caller's fresh identity becomes
    /// the invited admin user. `query` is the raw query string.
    pub async fn accept_invite(
        &self,
        caller: &Authenticated,
        query: Option<&str>,
        body: &[u8],
    ) -> Response<Bytes> {
        self.respond(self.accept_invite_for(caller, query, body).await)
    }

    /// The `user --email E --password P` subcommand: an identity with that
    /// e-mail and password, linked to a new admin user. Returns the user's id.
    /// An e-mail that already has an identity or an admin user is refused.
    pub async fn create_admin(&self, email: &str, password: &str) -> Result<String, AuthError> {
        let email = self.unused_admin_email(email).await?;
        let input = AuthenticationInput::from_body(json!({"email": email, "password": password}));
        let identity = match self.auth.service().register("emailpass", &input).await? {
            auth_core::provider::ProviderOutcome::Authenticated(identity) => identity,
            auth_core::provider::ProviderOutcome::Failed(message) => {
                return Err(AuthError::InvalidData(message));
            }
            _ => return Err(AuthError::Internal),
        };
        let id = self
            .insert_actor(Actor::User, Some(&email), &ActorFields::default())
            .await?;
        let linked = self
            .auth
            .service()
            .identities()
            .link_actor(&identity.id, "user", &id)
            .await;
        if let Err(error) = linked {
            self.delete_actor(Actor::User, &id).await;
            return Err(error.into());
        }
        Ok(id)
    }

    /// The `user --email E --invite` subcommand: an invite for that e-mail;
    /// returns its token. An e-mail that already has an admin user is refused.
    pub async fn invite_admin(&self, email: &str) -> Result<String, AuthError> {
        let email = self.unused_admin_email(email).await?;
        let (_, token) = self.invites.create(&email).await?;
        Ok(token.as_str().to_owned())
    }

    /// `email` normalised, if it is an e-mail address no admin user has yet.
    async fn unused_admin_email(&self, email: &str) -> Result<String, AuthError> {
        let email = required_email(&json!({ "email": email }))?;
        let taken = self.tables.user_email_taken(&email).await?;
        if taken {
            return Err(AuthError::Duplicate(format!(
                "an admin user with e-mail {email} exists"
            )));
        }
        Ok(email)
    }

    /// `GET /admin/users/me`
    pub async fn user_me(&self, caller: &Authenticated) -> Response<Bytes> {
        self.respond(self.actor_me(Actor::User, caller).await)
    }

    /// `POST /admin/api-keys` `{"title"}`: a secret key acting as the caller.
    /// The secret is in the answer once, as `token`, as Medusa returns it.
    pub async fn create_api_key(&self, caller: &Authenticated, body: &[u8]) -> Response<Bytes> {
        let result = async {
            let body = parse_json_body(body)?;
            let title = match body.get("title") {
                Some(Value::String(title)) if !title.trim().is_empty() && title.len() <= 256 => {
                    title.clone()
                }
                _ => {
                    return Err(AuthError::InvalidData(
                        "title must be a non-empty string".into(),
                    ));
                }
            };
            let (record, secret) = self
                .auth
                .api_keys()
                .create(&caller.actor_id, &title)
                .await?;
            let mut key = api_key_json(&record);
            key["token"] = json!(secret.as_str());
            Ok(no_store(json_response(
                StatusCode::OK,
                &json!({ "api_key": key }),
            )))
        };
        self.respond(result.await)
    }

    /// `POST /admin/api-keys/{id}/revoke`: any admin user may revoke a key.
    pub async fn revoke_api_key(&self, id: &str) -> Response<Bytes> {
        let result = async {
            let record = self.auth.api_keys().revoke(id).await?;
            Ok(json_response(
                StatusCode::OK,
                &json!({ "api_key": api_key_json(&record) }),
            ))
        };
        self.respond(result.await)
    }

    /// `GET /store/whoami`: the verified caller, or `{"actor_id": null}`.
    pub fn whoami(&self, caller: Option<&Authenticated>) -> Response<Bytes> {
        let body = match caller {
            Some(caller) => json!({
                "actor_id": caller.actor_id,
                "actor_type": caller.actor_type,
                "auth_identity_id": caller.auth_identity_id,
            }),
            None => json!({"actor_id": null}),
        };
        json_response(StatusCode::OK, &body)
    }

    /// The response for an error, with the auth module's realm.
    pub fn error(&self, error: &AuthError) -> Response<Bytes> {
        self.auth.error_response(error)
    }

    fn respond(&self, result: Result<Response<Bytes>, AuthError>) -> Response<Bytes> {
        result.unwrap_or_else(|error| self.error(&error))
    }

    async fn accept_invite_for(
        &self,
        caller: &Authenticated,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Response<Bytes>, AuthError> {
        if !caller.actor_id.is_empty() {
            return Err(AuthError::InvalidData(
                "Request already authenticated as a user.".into(),
            ));
        }
        let token = query
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == "token")
                    .map(|(_, token)| token.into_owned())
            })
            .unwrap_or_default();
        let invite = self.invites.pending(&token).await?;
        let fields = ActorFields::from_body(&parse_json_body(body)?)?;
        let id = self
            .insert_actor(Actor::User, Some(&invite.email), &fields)
            .await?;
        // The invite is spent and the identity linked in one store transaction;
        // the demo's own row is written first and removed if that fails, so a
        // refused accept leaves nothing behind.
        let accepted = self
            .invites
            .accept(&token, &caller.auth_identity_id, "user", &id)
            .await;
        if let Err(error) = accepted {
            self.delete_actor(Actor::User, &id).await;
            return Err(error);
        }
        let record = self
            .load(Actor::User, &id)
            .await?
            .ok_or(AuthError::Internal)?;
        Ok(json_response(StatusCode::OK, &json!({ "user": record })))
    }

    /// Inserts an actor row; returns its new id.
    async fn insert_actor(
        &self,
        actor: Actor,
        email: Option<&str>,
        fields: &ActorFields,
    ) -> Result<String, AuthError> {
        Ok(self
            .tables
            .insert(
                actor,
                email,
                fields.first_name.as_deref(),
                fields.last_name.as_deref(),
            )
            .await?)
    }

    /// Removes an actor row that could not be linked.
    async fn delete_actor(&self, actor: Actor, id: &str) {
        if let Err(error) = self.tables.delete(actor, id).await {
            tracing::error!(%error, actor_id = id, "removing an unlinked actor failed");
        }
    }

    async fn create_actor(
        &self,
        actor: Actor,
        caller: &Authenticated,
        body: &[u8],
    ) -> Result<Response<Bytes>, AuthError> {
        let actor_type = actor.actor_type();
        if !caller.actor_id.is_empty() {
            return Err(AuthError::InvalidData(format!(
                "Request already authenticated as a {actor_type}."
            )));
        }
        let fields = ActorFields::from_body(&parse_json_body(body)?)?;
        let id = self
            .insert_actor(actor, fields.email.as_deref(), &fields)
            .await?;
        match self
            .auth
            .service()
            .identities()
            .link_actor(&caller.auth_identity_id, actor_type, &id)
            .await
        {
            Ok(_) => {}
            Err(error) => {
                // Keep no orphan actor behind; report the link failure.
                self.delete_actor(actor, &id).await;
                return Err(match error {
                    StoreError::AlreadyLinked(_) => AuthError::InvalidData(format!(
                        "Request already authenticated as a {actor_type}."
                    )),
                    other => other.into(),
                });
            }
        }
        let record = self.load(actor, &id).await?.ok_or(AuthError::Internal)?;
        Ok(json_response(
            StatusCode::OK,
            &json!({ actor_type: record }),
        ))
    }

    async fn actor_me(
        &self,
        actor: Actor,
        caller: &Authenticated,
    ) -> Result<Response<Bytes>, AuthError> {
        let actor_type = actor.actor_type();
        let record = self
            .load(actor, &caller.actor_id)
            .await?
            .ok_or_else(|| AuthError::NotFound(format!("{actor_type} not found")))?;
        Ok(json_response(
            StatusCode::OK,
            &json!({ actor_type: record }),
        ))
    }

    async fn load(&self, actor: Actor, id: &str) -> Result<Option<Value>, AuthError> {
        Ok(self.tables.load(actor, id).await?)
    }
}

/// An API key as the admin API shows it: never the secret or its hash.
fn api_key_json(record: &auth_core::store::ApiKeyRecord) -> Value {
    json!({
        "id": record.id,
        "title": record.title,
        "type": "secret",
        "redacted": record.redacted,
        "created_by": record.actor_id,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
    })
}

/// `response` marked `Cache-Control: no-store`: it shows a secret once.
fn no_store(mut response: Response<Bytes>) -> Response<Bytes> {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The required `email` of a body, normalised as the emailpass provider does.
fn required_email(body: &Value) -> Result<String, AuthError> {
    match body
        .get("email")
        .and_then(Value::as_str)
        .map(normalize_email)
    {
        Some(email) if is_plausible_email(&email) => Ok(email),
        _ => Err(AuthError::InvalidData(
            "email must be an e-mail address".into(),
        )),
    }
}

/// The optional `email`, `first_name`, `last_name` of a create request.
#[derive(Default)]
struct ActorFields {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

impl ActorFields {
    fn from_body(body: &Value) -> Result<Self, AuthError> {
        let Value::Object(map) = body else {
            return Err(AuthError::InvalidData(
                "Request body must be a JSON object".into(),
            ));
        };
        Ok(Self {
            email: optional_string(map, "email")?,
            first_name: optional_string(map, "first_name")?,
            last_name: optional_string(map, "last_name")?,
        })
    }
}

fn optional_string(map: &Map<String, Value>, field: &str) -> Result<Option<String>, AuthError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.len() <= 256 => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(AuthError::InvalidData(format!("{field} is too long"))),
        Some(_) => Err(AuthError::InvalidData(format!("{field} must be a string"))),
    }
}
