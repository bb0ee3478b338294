//! The identity model: who authenticated, through which provider, acting as whom.
//!
//! An [`AuthIdentity`] is one person or system that can authenticate. It owns one
//! [`ProviderIdentity`] per provider it can log in with (an e-mail and password, a
//! Google account, ...). The identity is linked to application actors (a customer,
//! an admin user) through `app_metadata["<actor_type>_id"]`, exactly as in the
//! Medusa Auth Module, and the verified [`AuthContext`] is what a request carries.
//!
//! ```
//! use auth_core::identity::{AuthContext, AuthIdentity};
//!
//! let mut identity = AuthIdentity::new();
//! assert!(identity.id.starts_with("authid_"));
//! identity.link_actor("customer", "cus_123").unwrap();
//! let context = AuthContext::for_identity(&identity, "customer");
//! assert_eq!(context.actor_id, "cus_123");
//! assert!(!context.is_unregistered());
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::MetadataKeys;

/// JSON object used for `app_metadata`, `user_metadata` and `provider_metadata`.
pub type Metadata = Map<String, Value>;

/// Makes a new prefixed, time-sortable identifier such as `authid_01H...`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new())
}

/// An identity that can authenticate through one or more providers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthIdentity {
    /// `authid_` followed by a ULID.
    pub id: String,
    /// Application data; holds the actor links (`customer_id`, `user_id`, ...).
    pub app_metadata: Metadata,
}

/// Why an actor link could not be changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The identity is already linked to an actor of this type.
    #[error("identity is already linked to a {0}")]
    AlreadyLinked(String),
    /// The actor type is not of the form `[a-z][a-z0-9_]{0,31}` or is reserved.
    #[error("invalid actor type")]
    InvalidActorType,
}

impl AuthIdentity {
    /// A new identity with a fresh id and no actor links.
    pub fn new() -> Self {
        Self {
            id: new_id("authid"),
            app_metadata: Metadata::new(),
        }
    }

    /// The key under which the actor of `actor_type` is linked: `<actor_type>_id`.
    pub fn actor_key(actor_type: &str) -> String {
        format!("{actor_type}_id")
    }

    /// The id of the actor of `actor_type` this identity is linked to, if any.
    pub fn actor_id(&self, actor_type: &str) -> Option<&str> {
        self.app_metadata
            .get(&Self::actor_key(actor_type))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
    }

    /// Links the identity to an actor. A second link for the same actor type is
    /// refused: unlink first.
    pub fn link_actor(&mut self, actor_type: &str, actor_id: &str) -> Result<(), LinkError> {
        if !is_valid_actor_type(actor_type) {
            return Err(LinkError::InvalidActorType);
        }
        if self.actor_id(actor_type).is_some() {
            return Err(LinkError::AlreadyLinked(actor_type.to_owned()));
        }
        self.app_metadata.insert(
            Self::actor_key(actor_type),
            Value::String(actor_id.to_owned()),
        );
        Ok(())
    }

    /// Removes the link to the actor of `actor_type`; returns the old actor id.
    pub fn unlink_actor(&mut self, actor_type: &str) -> Option<String> {
        match self.app_metadata.remove(&Self::actor_key(actor_type)) {
            Some(Value::String(id)) => Some(id),
            _ => None,
        }
    }
}

impl Default for AuthIdentity {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `id` may name an auth identity (or a login, or anything a store
/// keys by identity): not empty, and no control characters (a NUL or a
/// newline in an id could cut or forge log lines and store keys). Checked
/// where ids enter: token verification and issue, and every store write that
/// carries an identity id.
pub fn is_valid_identity_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(char::is_control)
}

/// Words that cannot be actor types because static auth routes use them.
pub const RESERVED_ACTOR_TYPES: &[&str] = &["token", "session"];

/// Whether `actor_type` matches `[a-z][a-z0-9_]{0,31}` and is not reserved.
pub fn is_valid_actor_type(actor_type: &str) -> bool {
    let bytes = actor_type.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes.len() <= 32
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
    well_formed && !RESERVED_ACTOR_TYPES.contains(&actor_type)
}

/// How one identity authenticates with one provider. Its `Debug` shows the
/// names in `provider_metadata`, not the values (a password hash).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderIdentity {
    /// `provid_` followed by a ULID.
    pub id: String,
    /// The identity's id within the provider (an e-mail, a Google `sub`); unique per provider.
    pub entity_id: String,
    /// The provider id (`emailpass`, `google`, ...).
    pub provider: String,
    /// The [`AuthIdentity`] this row belongs to.
    pub auth_identity_id: String,
    /// Data the user may see (name, picture, ...).
    pub user_metadata: Metadata,
    /// Provider-private data, such as the password hash. Never sent to clients.
    pub provider_metadata: Metadata,
}

impl ProviderIdentity {
    /// A new provider identity with a fresh id.
    pub fn new(
        provider: impl Into<String>,
        entity_id: impl Into<String>,
        auth_identity_id: impl Into<String>,
    ) -> Self {
        Self {
            id: new_id("provid"),
            entity_id: entity_id.into(),
            provider: provider.into(),
            auth_identity_id: auth_identity_id.into(),
            user_metadata: Metadata::new(),
            provider_metadata: Metadata::new(),
        }
    }
}

impl std::fmt::Debug for ProviderIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderIdentity")
            .field("id", &self.id)
            .field("entity_id", &self.entity_id)
            .field("provider", &self.provider)
            .field("auth_identity_id", &self.auth_identity_id)
            .field("user_metadata", &self.user_metadata)
            .field("provider_metadata", &MetadataKeys(&self.provider_metadata))
            .finish()
    }
}

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// `Authorization: Bearer <access token>`.
    Bearer,
    /// A server-side session referenced by a cookie.
    Session,
    /// A secret API key (`Authorization: Basic`).
    ApiKey,
}

/// The verified auth user of a request: what middleware attaches and what
/// `POST /auth/session` returns as `user`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthContext {
    /// `app_metadata["<actor_type>_id"]`, or `""` while the identity is unregistered.
    pub actor_id: String,
    /// The actor type the credential was issued for.
    pub actor_type: String,
    /// The [`AuthIdentity`] id.
    pub auth_identity_id: String,
    /// The identity's `app_metadata` at the time the credential was issued.
    pub app_metadata: Metadata,
}

impl AuthContext {
    /// The context of `identity` acting as `actor_type`.
    pub fn for_identity(identity: &AuthIdentity, actor_type: &str) -> Self {
        Self {
            actor_id: identity.actor_id(actor_type).unwrap_or_default().to_owned(),
            actor_type: actor_type.to_owned(),
            auth_identity_id: identity.id.clone(),
            app_metadata: identity.app_metadata.clone(),
        }
    }

    /// Whether the identity is not yet linked to an actor of its type.
    pub fn is_unregistered(&self) -> bool {
        self.actor_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_link_for_the_same_actor_type_is_refused() {
        let mut identity = AuthIdentity::new();
        identity.link_actor("customer", "cus_1").unwrap();
        assert_eq!(
            identity.link_actor("customer", "cus_2"),
            Err(LinkError::AlreadyLinked("customer".into()))
        );
        assert_eq!(identity.actor_id("customer"), Some("cus_1"));
    }

    #[test]
    fn one_identity_links_to_several_actor_types() {
        let mut identity = AuthIdentity::new();
        identity.link_actor("customer", "cus_1").unwrap();
        identity.link_actor("user", "user_1").unwrap();
        assert_eq!(identity.actor_id("user"), Some("user_1"));
        assert_eq!(identity.unlink_actor("customer").as_deref(), Some("cus_1"));
        assert_eq!(identity.actor_id("customer"), None);
        identity.link_actor("customer", "cus_3").unwrap();
        assert_eq!(identity.actor_id("customer"), Some("cus_3"));
    }

    #[test]
    fn reserved_and_malformed_actor_types_are_invalid() {
        for bad in [
            "token",
            "session",
            "",
            "Customer",
            "1abc",
            "a-b",
            &"a".repeat(33),
        ] {
            assert!(!is_valid_actor_type(bad), "{bad:?}");
        }
        for good in ["customer", "user", "vendor_2", &"a".repeat(32)] {
            assert!(is_valid_actor_type(good), "{good:?}");
        }
    }

    #[test]
    fn unregistered_context_has_empty_actor_id() {
        let identity = AuthIdentity::new();
        let context = AuthContext::for_identity(&identity, "customer");
        assert_eq!(context.actor_id, "");
        assert!(context.is_unregistered());
    }

    #[test]
    fn ids_carry_their_prefix() {
        assert!(AuthIdentity::new().id.starts_with("authid_"));
        assert!(
            ProviderIdentity::new("emailpass", "a@b.c", "authid_x")
                .id
                .starts_with("provid_")
        );
    }
}
