//! What a route accepts, and the decision whether a verified caller passes.
//!
//! A [`RoutePolicy`] names the actor types a route serves (or any), the kinds of
//! credential it takes, whether anonymous or unregistered callers may pass, and
//! any further [checks](RoutePolicy::check) on the verified caller (refused with
//! `403 insufficient_scope`).
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
//!
//! // A route for staff only: a condition on the verified caller's `app_metadata`.
//! let staff = RoutePolicy::actor_types(["user"])
//!     .check("staff", |caller| caller.app_metadata.get("staff") == Some(&true.into()));
//! assert!(format!("{staff:?}").contains("staff"));
//! ```

use std::fmt;
use std::sync::Arc;

use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};

/// Which actor types a route serves.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ActorTypes {
    Any,
    Listed(Arc<[String]>),
}

/// The condition of a [`RoutePolicy::check`].
type Predicate = dyn Fn(&AuthContext) -> bool + Send + Sync;

/// A named condition on the verified caller. Shared, not copied, by clones.
#[derive(Clone)]
struct Check {
    name: Arc<str>,
    predicate: Arc<Predicate>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Check").field(&self.name).finish()
    }
}

/// What a route accepts.
///
/// Cheap to clone: the checks are shared behind an `Arc`. `Debug` shows every
/// rule, naming each check.
#[derive(Clone, Debug)]
pub struct RoutePolicy {
    actor_types: ActorTypes,
    credentials: Vec<CredentialKind>,
    allow_unauthenticated: bool,
    allow_unregistered: bool,
    checks: Arc<[Check]>,
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
            checks: Arc::new([]),
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

    /// Adds a condition the verified caller must meet, like jwt-authorizer's
    /// `check`: a caller it refuses gets `403 insufficient_scope`
    /// ([`AuthError::InsufficientScope`]).
    ///
    /// Checks run after the actor-type and registration rules, in the order
    /// they were added, and every one must pass. Anonymous callers on a route
    /// that [allows them](Self::allow_unauthenticated) have no context to
    /// check and pass as before. `name` says what the check asks for: it is
    /// what `Debug` shows and what the refusal logs at `debug` level.
    ///
    /// ```
    /// use auth_core::policy::RoutePolicy;
    ///
    /// // Only identities whose app_metadata says they verified their e-mail.
    /// let checkout = RoutePolicy::actor_types(["customer"]).check("email verified", |caller| {
    ///     caller.app_metadata.get("email_verified") == Some(&true.into())
    /// });
    /// # let _ = checkout;
    /// ```
    pub fn check<F>(mut self, name: impl Into<Arc<str>>, predicate: F) -> Self
    where
        F: Fn(&AuthContext) -> bool + Send + Sync + 'static,
    {
        let check = Check {
            name: name.into(),
            predicate: Arc::new(predicate),
        };
        self.checks = self.checks.iter().cloned().chain([check]).collect();
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

    /// The checks on a verified caller: actor type, then registration, then
    /// each [`check`](Self::check) in order.
    pub fn admit(&self, context: &AuthContext) -> Result<(), AuthError> {
        if !self.accepts_actor_type(&context.actor_type) {
            return Err(AuthError::InsufficientScope);
        }
        if context.is_unregistered() && !self.allow_unregistered {
            return Err(AuthError::Unregistered);
        }
        if let Some(refused) = self.checks.iter().find(|check| !(check.predicate)(context)) {
            tracing::debug!(
                check = &*refused.name,
                actor_type = %context.actor_type,
                "route check refused the caller"
            );
            return Err(AuthError::InsufficientScope);
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

    fn has_flag(flag: &'static str) -> impl Fn(&AuthContext) -> bool + Send + Sync {
        move |caller| caller.app_metadata.get(flag) == Some(&true.into())
    }

    fn with_flags(flags: &[&str]) -> AuthContext {
        let mut caller = context("user", "user_1");
        for flag in flags {
            caller.app_metadata.insert((*flag).into(), true.into());
        }
        caller
    }

    #[test]
    fn caller_meeting_the_check_is_admitted() {
        let policy = RoutePolicy::actor_types(["user"]).check("staff", has_flag("staff"));
        assert_eq!(policy.admit(&with_flags(&["staff"])), Ok(()));
    }

    #[test]
    fn caller_failing_the_check_is_insufficient_scope() {
        let policy = RoutePolicy::actor_types(["user"]).check("staff", has_flag("staff"));
        assert_eq!(
            policy.admit(&with_flags(&[])),
            Err(AuthError::InsufficientScope)
        );
        assert_eq!(
            policy.admit(&with_flags(&["staffer"])),
            Err(AuthError::InsufficientScope)
        );
    }

    #[test]
    fn every_check_must_pass() {
        let policy = RoutePolicy::any_actor()
            .check("staff", has_flag("staff"))
            .check("owner", has_flag("owner"));
        assert_eq!(policy.admit(&with_flags(&["staff", "owner"])), Ok(()));
        for partial in [&["staff"][..], &["owner"], &[]] {
            assert_eq!(
                policy.admit(&with_flags(partial)),
                Err(AuthError::InsufficientScope),
                "{partial:?}"
            );
        }
    }

    #[test]
    fn checks_run_only_after_actor_type_and_registration_pass() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let policy = RoutePolicy::actor_types(["user"]).check("counted", move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            true
        });
        assert_eq!(
            policy.admit(&context("customer", "cus_1")),
            Err(AuthError::InsufficientScope)
        );
        assert_eq!(
            policy.admit(&context("user", "")),
            Err(AuthError::Unregistered)
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(policy.admit(&context("user", "user_1")), Ok(()));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn adding_a_check_leaves_the_original_policy_alone() {
        let open = RoutePolicy::any_actor();
        let guarded = open.clone().check("staff", has_flag("staff"));
        assert_eq!(open.admit(&with_flags(&[])), Ok(()));
        assert_eq!(
            guarded.admit(&with_flags(&[])),
            Err(AuthError::InsufficientScope)
        );
    }

    #[test]
    fn clones_share_the_checks_and_debug_names_them() {
        let policy = RoutePolicy::any_actor().check("staff", has_flag("staff"));
        let copy = policy.clone();
        assert!(Arc::ptr_eq(&policy.checks, &copy.checks));
        let debug = format!("{copy:?}");
        assert!(debug.contains(r#"Check("staff")"#), "{debug}");
    }

    #[test]
    fn bearer_is_the_default_credential_kind() {
        let policy = RoutePolicy::any_actor();
        assert!(policy.accepts(CredentialKind::Bearer));
        assert!(!policy.accepts(CredentialKind::Session));
        assert!(!policy.accepts(CredentialKind::ApiKey));
    }
}
