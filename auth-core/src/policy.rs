//! What a route accepts, and the decision whether a verified caller passes.
//!
//! A [`RoutePolicy`] names the actor types a route serves (or any), the kinds of
//! credential it takes, and whether anonymous or unregistered callers may pass.
//! [`AuthModule::authorize`](crate::AuthModule::authorize) evaluates it on a
//! request; this module holds the rules that do not need any I/O.
//!
//! ```
//! use auth_core::identity::CredentialKind;
//! use auth_core::policy::RoutePolicy;
//!
//! // GET /store/customers/me: customers, by bearer token or session.
//! let me = RoutePolicy::actor_types(["customer"])
//!     .credentials([CredentialKind::Bearer, CredentialKind::Session]);
//! assert!(me.accepts_actor_type("customer"));
//! assert!(!me.accepts_actor_type("user"));
//!
//! // GET /store/whoami: anonymous callers pass too.
//! let whoami = me.clone().allow_unauthenticated();
//! assert!(whoami.allows_unauthenticated());
//! ```

use std::sync::Arc;

use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};

/// Which actor types a route serves.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ActorTypes {
    Any,
    Listed(Arc<[String]>),
}

/// What a route accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePolicy {
    actor_types: ActorTypes,
    credentials: Vec<CredentialKind>,
    allow_unauthenticated: bool,
    allow_unregistered: bool,
}

impl RoutePolicy {
    /// A route for the listed actor types, by bearer token only, requiring a
    /// registered caller.
    pub fn actor_types<I, S>(actor_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let listed: Vec<String> = actor_types.into_iter().map(Into::into).collect();
        let actor_types = if listed.iter().any(|t| t == "*") {
            ActorTypes::Any
        } else {
            ActorTypes::Listed(listed.into())
        };
        Self {
            actor_types,
            credentials: vec![CredentialKind::Bearer],
            allow_unauthenticated: false,
            allow_unregistered: false,
        }
    }

    /// A route for any actor type (Medusa's `"*"`), by bearer token only.
    pub fn any_actor() -> Self {
        Self::actor_types(["*"])
    }

    /// Sets the credential kinds the route accepts.
    pub fn credentials(mut self, kinds: impl IntoIterator<Item = CredentialKind>) -> Self {
        self.credentials = kinds.into_iter().collect();
        self
    }

    /// Lets callers without credentials pass, with no auth context. Invalid
    /// credentials are still refused.
    pub fn allow_unauthenticated(mut self) -> Self {
        self.allow_unauthenticated = true;
        self
    }

    /// Lets identities not yet linked to an actor pass (e.g. to create the actor).
    pub fn allow_unregistered(mut self) -> Self {
        self.allow_unregistered = true;
        self
    }

    /// Whether the route serves `actor_type`.
    pub fn accepts_actor_type(&self, actor_type: &str) -> bool {
        match &self.actor_types {
            ActorTypes::Any => true,
            ActorTypes::Listed(types) => types.iter().any(|t| t == actor_type),
        }
    }

    /// Whether the route takes credentials of this kind.
    pub fn accepts(&self, kind: CredentialKind) -> bool {
        self.credentials.contains(&kind)
    }

    /// Whether anonymous callers pass.
    pub fn allows_unauthenticated(&self) -> bool {
        self.allow_unauthenticated
    }

    /// Whether unregistered identities pass.
    pub fn allows_unregistered(&self) -> bool {
        self.allow_unregistered
    }

    /// The checks on a verified caller: actor type, then registration.
    pub fn admit(&self, context: &AuthContext) -> Result<(), AuthError> {
        if !self.accepts_actor_type(&context.actor_type) {
            return Err(AuthError::InsufficientScope);
        }
        if context.is_unregistered() && !self.allow_unregistered {
            return Err(AuthError::Unregistered);
        }
        Ok(())
    }
}

/// A caller that passed a route's policy: who, and by what credential.
#[derive(Clone, Debug, PartialEq)]
pub struct Authenticated {
    /// The verified auth context.
    pub context: AuthContext,
    /// How the caller authenticated.
    pub credential: CredentialKind,
    /// The access token's id (`jti`), when authenticated by a bearer token.
    pub token_id: Option<String>,
    /// When the credential expires, in Unix seconds, when known.
    pub expires_at: Option<u64>,
}

impl std::ops::Deref for Authenticated {
    type Target = AuthContext;

    fn deref(&self) -> &AuthContext {
        &self.context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(actor_type: &str, actor_id: &str) -> AuthContext {
        AuthContext {
            actor_id: actor_id.into(),
            actor_type: actor_type.into(),
            auth_identity_id: "authid_1".into(),
            app_metadata: Default::default(),
        }
    }

    #[test]
    fn wrong_actor_type_is_insufficient_scope() {
        let policy = RoutePolicy::actor_types(["user"]);
        assert_eq!(
            policy.admit(&context("customer", "cus_1")),
            Err(AuthError::InsufficientScope)
        );
    }

    #[test]
    fn star_accepts_every_actor_type() {
        let policy = RoutePolicy::any_actor();
        assert_eq!(policy.admit(&context("vendor", "ven_1")), Ok(()));
    }

    #[test]
    fn unregistered_identity_needs_allow_unregistered() {
        let strict = RoutePolicy::actor_types(["customer"]);
        assert_eq!(
            strict.admit(&context("customer", "")),
            Err(AuthError::Unregistered)
        );
        let open = strict.allow_unregistered();
        assert_eq!(open.admit(&context("customer", "")), Ok(()));
    }

    #[test]
    fn bearer_is_the_default_credential_kind() {
        let policy = RoutePolicy::any_actor();
        assert!(policy.accepts(CredentialKind::Bearer));
        assert!(!policy.accepts(CredentialKind::Session));
        assert!(!policy.accepts(CredentialKind::ApiKey));
    }
}
