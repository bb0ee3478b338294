//! Invites: how admin users come to exist, as in Medusa.
//!
//! An admin invites an e-mail address; the invite token (`inv_...`, 256 random
//! bits) is shown once and stored only as its SHA-256 hash. Whoever holds it
//! registers an identity and accepts the invite with that identity's token:
//! the invite is spent and the identity linked to the new actor in one atomic
//! store operation ([`InviteStore::accept_invite`]), so of concurrent accepts
//! exactly one wins. An invite lives seven days ([`INVITE_TTL`]); a missing,
//! used, expired or unknown invite is `401 Invalid invite`.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::clock::SystemClock;
//! use auth_core::identity::{AuthIdentity, ProviderIdentity};
//! use auth_core::invite::Invites;
//! use auth_core::store::{IdentityStore, MemoryStore};
//!
//! let store = Arc::new(MemoryStore::new());
//! let identity = AuthIdentity::new();
//! let login = ProviderIdentity::new("emailpass", "grace@example.com", &identity.id);
//! store.create_identity(&identity, &login).await.unwrap();
//!
//! let invites = Invites::new(store.clone(), Arc::new(SystemClock));
//! let (invite, token) = invites.create("grace@example.com").await.unwrap();
//! let pending = invites.pending(token.as_str()).await.unwrap();
//! assert_eq!(pending.email, "grace@example.com");
//!
//! let accepted = invites.accept(token.as_str(), &identity.id, "user", "user_1").await.unwrap();
//! assert_eq!(accepted.id, invite.id);
//! // Single use: the second accept is refused.
//! assert!(invites.accept(token.as_str(), &identity.id, "user", "user_2").await.is_err());
//! # });
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::identity::new_id;
use crate::secret::{Secret, hash_secret};
use crate::store::{InviteRecord, InviteStore, StoreError};

/// How long an invite can be accepted: seven days, as in Medusa.
pub const INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The message of every refused invite: it does not say why.
pub const INVALID_INVITE: &str = "Invalid invite";

/// Invites in an [`InviteStore`].
#[derive(Clone)]
pub struct Invites {
    store: Arc<dyn InviteStore>,
    clock: SharedClock,
    ttl: Duration,
}

impl Invites {
    /// Invites kept in `store`, valid for [`INVITE_TTL`].
    pub fn new(store: Arc<dyn InviteStore>, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            ttl: INVITE_TTL,
        }
    }

    /// Creates an invite for `email`. The token is returned once and never stored.
    pub async fn create(&self, email: &str) -> Result<(InviteRecord, Secret), AuthError> {
        let token = Secret::generate("inv_")?;
        let now = self.clock.now_secs();
        let record = InviteRecord {
            id: new_id("invite"),
            email: email.to_owned(),
            token_hash: token.hash(),
            created_at: now,
            expires_at: now.saturating_add(self.ttl.as_secs()),
            accepted_at: None,
        };
        self.store.create_invite(&record).await?;
        tracing::info!(invite = %record.id, "invite created");
        Ok((record, token))
    }

    /// The invite `token` opens, if it can still be accepted; else `401 Invalid invite`.
    pub async fn pending(&self, token: &str) -> Result<InviteRecord, AuthError> {
        let now = self.clock.now_secs();
        self.store
            .invite_by_token_hash(&hash_secret(token))
            .await?
            .filter(|invite| invite.accepted_at.is_none() && invite.expires_at > now)
            .ok_or_else(invalid_invite)
    }

    /// Accepts the invite `token` opens: links `auth_identity_id` to the actor
    /// `actor_type`/`actor_id` and spends the invite, atomically. A missing,
    /// used or expired invite is `401 Invalid invite`; an identity that already
    /// has an actor of that type is `400`; either way nothing changes.
    pub async fn accept(
        &self,
        token: &str,
        auth_identity_id: &str,
        actor_type: &str,
        actor_id: &str,
    ) -> Result<InviteRecord, AuthError> {
        let accepted = self
            .store
            .accept_invite(
                &hash_secret(token),
                self.clock.now_secs(),
                auth_identity_id,
                actor_type,
                actor_id,
            )
            .await;
        match accepted {
            Ok(Some(invite)) => {
                tracing::info!(invite = %invite.id, actor_id, "invite accepted");
                Ok(invite)
            }
            Ok(None) => Err(invalid_invite()),
            Err(StoreError::AlreadyLinked(actor_type)) => Err(AuthError::InvalidData(format!(
                "Request already authenticated as a {actor_type}."
            ))),
            Err(other) => Err(other.into()),
        }
    }
}

fn invalid_invite() -> AuthError {
    AuthError::Unauthorized(INVALID_INVITE.into())
}
