//! What a [`TokenService`](super::TokenService) issues and accepts.

use std::time::Duration;

/// How strictly tokens are verified.
///
/// Both profiles enforce every rule of SECURITY.md "Token verification" that
/// concerns the signature and the header (algorithm pinned to the key, header
/// allowlist, exact `kid` lookup, canonical compact form, duplicate members,
/// time claims and lifetime bound).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationProfile {
    /// Only tokens shaped like the ones this crate issues: `typ` must be
    /// `at+jwt` (RFC 9068, case-insensitive, optionally `application/at+jwt`),
    /// and `iss`, `aud` and `jti` are required.
    #[default]
    Strict,
    /// Additionally accepts access tokens minted by a Medusa server (the
    /// `jsonwebtoken` npm package): header `{"alg":"HS256","typ":"JWT"}` without
    /// `kid`, claims `actor_id`, `actor_type`, `auth_identity_id`,
    /// `app_metadata`, `iat`, `exp` and no `iss`/`aud`/`jti`. Differences from
    /// [`Strict`](Self::Strict): `typ` may also be `JWT`; `iss`, `aud` and `jti`
    /// may be absent but are checked when present. Use it while migrating from
    /// Medusa; tokens without `jti` cannot be revoked individually.
    MedusaCompat,
}

/// Issuer, audience, lifetimes and limits of access tokens.
///
/// ```
/// use std::time::Duration;
/// use auth_core::token::TokenConfig;
///
/// let config = TokenConfig::new("https://auth.example.com", "storefront")
///     .ttl(Duration::from_secs(5 * 60))
///     .leeway(Duration::from_secs(10));
/// assert_eq!(config.ttl, Duration::from_secs(5 * 60));
/// assert_eq!(TokenConfig::default().max_lifetime, Duration::from_secs(24 * 60 * 60));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenConfig {
    /// `iss` of issued tokens; verified tokens must carry exactly this string.
    pub issuer: String,
    /// `aud` of issued tokens; verified tokens must name it (as the string or in an array).
    pub audience: String,
    /// Lifetime of issued tokens. Default 15 minutes.
    pub ttl: Duration,
    /// Clock skew tolerated for `exp`, `nbf` and `iat`. Default 30 s; more than
    /// 60 s is refused by [`TokenService::new`](super::TokenService::new).
    pub leeway: Duration,
    /// Tokens longer than this are refused before any decoding. Default 8192.
    pub max_token_len: usize,
    /// Upper bound on `exp - iat` of accepted tokens. Default 24 hours.
    pub max_lifetime: Duration,
    /// Which tokens are accepted.
    pub profile: VerificationProfile,
    /// Number of verified tokens kept in memory; 0 disables the cache.
    /// Default 10 000. Memory is bounded by `cache_capacity * max_token_len`.
    pub cache_capacity: usize,
}

impl Default for TokenConfig {
    /// The defaults, with no issuer and no audience yet (both are required:
    /// set them before the config is used).
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: String::new(),
            ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(30),
            max_token_len: 8192,
            max_lifetime: Duration::from_secs(24 * 60 * 60),
            profile: VerificationProfile::Strict,
            cache_capacity: 10_000,
        }
    }
}

impl TokenConfig {
    /// The defaults for `issuer` and `audience`.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self::default().issuer(issuer).audience(audience)
    }

    /// Sets `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets `audience`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets `ttl`.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets `leeway`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Sets `max_token_len`.
    pub fn max_token_len(mut self, max_token_len: usize) -> Self {
        self.max_token_len = max_token_len;
        self
    }

    /// Sets `max_lifetime`.
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// Sets `profile`.
    pub fn profile(mut self, profile: VerificationProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Sets `cache_capacity`.
    pub fn cache_capacity(mut self, cache_capacity: usize) -> Self {
        self.cache_capacity = cache_capacity;
        self
    }

    /// The largest accepted [`leeway`](Self::leeway).
    pub const MAX_LEEWAY: Duration = Duration::from_secs(60);

    pub(super) fn validate(&self) -> Result<(), super::KeyError> {
        use super::KeyError::InvalidConfig;
        if self.issuer.is_empty() {
            return Err(InvalidConfig("issuer must not be empty"));
        }
        if self.audience.is_empty() {
            return Err(InvalidConfig("audience must not be empty"));
        }
        if self.leeway > Self::MAX_LEEWAY {
            return Err(InvalidConfig("leeway must be at most 60 seconds"));
        }
        if self.ttl.as_secs() == 0 {
            return Err(InvalidConfig("ttl must be at least one second"));
        }
        if self.ttl > self.max_lifetime {
            return Err(InvalidConfig("ttl must not exceed max_lifetime"));
        }
        if self.max_token_len < 64 {
            return Err(InvalidConfig("max_token_len must be at least 64"));
        }
        Ok(())
    }
}
