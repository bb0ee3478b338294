//! Auth providers and the registry that finds them by id.
//!
//! A provider turns request data into an [`ProviderOutcome`]: an authenticated
//! identity, a redirect (OAuth), or a failure with a message for the user. It
//! never panics and never sees another provider's rows: it gets a
//! [`ProviderStore`] scoped to its own id.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use auth_core::error::AuthError;
//! use auth_core::provider::{AuthProvider, AuthenticationInput, ProviderOutcome, ProviderRegistry};
//! use auth_core::store::{MemoryStore, ProviderStore};
//!
//! /// Lets in whoever knows the magic word; identities are keyed by `name`.
//! struct MagicWord;
//!
//! #[async_trait]
//! impl AuthProvider for MagicWord {
//!     fn id(&self) -> &str { "magic" }
//!
//!     async fn authenticate(
//!         &self,
//!         input: &AuthenticationInput,
//!         store: &ProviderStore,
//!     ) -> Result<ProviderOutcome, AuthError> {
//!         if input.body["word"] != "please" {
//!             return Ok(ProviderOutcome::Failed("Say the magic word".into()));
//!         }
//!         let name = input.body["name"].as_str().unwrap_or("anonymous");
//!         let identity = match store.find(name).await? {
//!             Some((_, identity)) => identity,
//!             None => store.create(name, Default::default(), Default::default()).await?.1,
//!         };
//!         Ok(ProviderOutcome::Authenticated(identity))
//!     }
//! }
//!
//! let mut registry = ProviderRegistry::new();
//! registry.register(MagicWord);
//! let provider = registry.get("magic").unwrap();
//! let store = ProviderStore::new("magic", Arc::new(MemoryStore::new()));
//! let input = AuthenticationInput::from_body(serde_json::json!({"word": "please", "name": "ada"}));
//! let outcome = provider.authenticate(&input, &store).await.unwrap();
//! assert!(matches!(outcome, ProviderOutcome::Authenticated(_)));
//! assert!(registry.get("nope").is_err());
//! # });
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use serde_json::Value;

use crate::error::AuthError;
use crate::identity::AuthIdentity;
use crate::secret::{HeaderNames, JsonKeys, url_path};
use crate::store::{CredentialChange, ProviderStore};

pub mod emailpass;

pub use emailpass::EmailPass;

/// What a provider gets from the request (Medusa's `AuthenticationInput`). Its
/// `Debug` shows the URL's path and the names of headers, query parameters and
/// body members: never a password, a token or an OAuth code.
#[derive(Clone, Default)]
pub struct AuthenticationInput {
    /// The full request URL as the server saw it (path and query).
    pub url: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The decoded query parameters (a repeated name keeps its last value).
    pub query: BTreeMap<String, String>,
    /// The JSON body; `{}` when the request had none.
    pub body: Value,
}

impl AuthenticationInput {
    /// Input with only a JSON body, for tests and direct calls.
    pub fn from_body(body: Value) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }
}

impl std::fmt::Debug for AuthenticationInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticationInput")
            .field("url", &url_path(&self.url))
            .field("headers", &HeaderNames(&self.headers))
            .field("query", &self.query.keys())
            .field("body", &JsonKeys(&self.body))
            .finish()
    }
}

/// How a provider answered.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ProviderOutcome {
    /// The caller proved who they are.
    Authenticated(AuthIdentity),
    /// The caller must continue at `location` (an OAuth authorization URL).
    Redirect {
        /// Where to send the user agent.
        location: String,
    },
    /// Authentication failed; the message is shown to the user.
    Failed(String),
}

/// A way to authenticate: e-mail and password, an OAuth provider, a custom scheme.
///
/// Only [`authenticate`](AuthProvider::authenticate) is required; the others
/// answer "not supported" unless overridden.
#[async_trait]
pub trait AuthProvider: Send + Sync + 'static {
    /// The registry id, used in routes: `/auth/{actor_type}/{id}`.
    fn id(&self) -> &str;

    /// The entity id an identifier given by a user stands for, e.g. the
    /// normalized e-mail of `" Ada@Example.com"`. Used to find the identity of
    /// a password reset request. Default: the identifier unchanged.
    fn entity_id(&self, identifier: &str) -> String {
        identifier.to_owned()
    }

    /// Whether this provider's entity ids are found ignoring ASCII case
    /// (e-mails, which a Medusa backend may have stored in mixed case).
    /// Default: no, ids are exact (an OpenID `sub` is case-sensitive).
    fn entity_ids_ignore_case(&self) -> bool {
        false
    }

    /// Who a login or registration request claims to be, for throttling
    /// failures per identifier. Default: nobody (only per-address limits apply).
    fn claimed_identifier(&self, _input: &AuthenticationInput) -> Option<String> {
        None
    }

    /// Logs a caller in, or starts a redirect flow.
    async fn authenticate(
        &self,
        input: &AuthenticationInput,
        store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError>;

    /// Creates a new identity with this provider.
    async fn register(
        &self,
        _input: &AuthenticationInput,
        _store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        Ok(ProviderOutcome::Failed(format!(
            "Provider {} does not support registration",
            self.id()
        )))
    }

    /// Changes the provider data of an identity (e.g. sets a new password).
    /// The identity comes from a verified credential, never from `data`.
    async fn update(
        &self,
        _identity: &AuthIdentity,
        _data: &Value,
        _store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        Ok(ProviderOutcome::Failed(format!(
            "Provider {} does not support updating",
            self.id()
        )))
    }

    /// The credential change `data` asks for on `identity` (a new password,
    /// checked against the policy and hashed), as a compare-and-set against
    /// the credential stored now; nothing is written. A password reset
    /// commits it together with the consumption of the reset token and the
    /// revocation of every earlier credential, atomically. A request that
    /// fails the policy is an error (`400 invalid_data`) and consumes nothing.
    ///
    /// Default `None`: the provider has no such credential, and a reset goes
    /// through [`update`](Self::update) instead.
    async fn credential_change(
        &self,
        _identity: &AuthIdentity,
        _data: &Value,
        _store: &ProviderStore,
    ) -> Result<Option<CredentialChange>, AuthError> {
        Ok(None)
    }

    /// Completes a redirect flow from the provider's callback.
    async fn validate_callback(
        &self,
        _input: &AuthenticationInput,
        _store: &ProviderStore,
    ) -> Result<ProviderOutcome, AuthError> {
        Ok(ProviderOutcome::Failed(format!(
            "Provider {} does not support callbacks",
            self.id()
        )))
    }
}

/// Providers by id.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: HashMap<String, Arc<dyn AuthProvider>>,
}

impl ProviderRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a provider under its id, replacing one with the same id.
    pub fn register(&mut self, provider: impl AuthProvider) -> &mut Self {
        let provider: Arc<dyn AuthProvider> = Arc::new(provider);
        self.providers.insert(provider.id().to_owned(), provider);
        self
    }

    /// The provider with this id, or Medusa's error
    /// ([`AuthError::unknown_provider`], which names only a well-formed id).
    pub fn get(&self, id: &str) -> Result<&Arc<dyn AuthProvider>, AuthError> {
        self.providers
            .get(id)
            .ok_or_else(|| AuthError::unknown_provider(id))
    }

    /// The registered ids, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.providers.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }
}

impl std::fmt::Debug for ProviderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderRegistry")
            .field("providers", &self.ids())
            .finish()
    }
}
