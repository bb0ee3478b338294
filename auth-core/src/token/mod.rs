//! Access tokens: issue and verify signed JWTs (RFC 7519, RFC 9068 `at+jwt`)
//! that carry an [`AuthContext`].
//!
//! ```
//! use auth_core::identity::{AuthContext, Metadata};
//! use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenError, TokenService};
//!
//! let key = Key::hmac("2024-01", Algorithm::HS256, b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG")?;
//! let config = TokenConfig::new("https://auth.example.com", "storefront");
//! let tokens = TokenService::new(KeySet::new(key)?, config)?;
//!
//! let context = AuthContext {
//!     actor_id: "cus_123".into(),
//!     actor_type: "customer".into(),
//!     auth_identity_id: "authid_123".into(),
//!     app_metadata: Metadata::new(),
//! };
//! let issued = tokens.issue(&context)?;
//! let claims = tokens.verify(&issued.token)?;
//! assert_eq!(claims.context(), context);
//!
//! let mut forged = issued.token.clone();
//! forged.push('A');
//! assert!(matches!(tokens.verify(&forged), Err(TokenError::Malformed | TokenError::BadSignature)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Verification
//!
//! [`TokenService::verify`] implements every rule of SECURITY.md "Token
//! verification" itself, in this order, and stops at the first failure:
//!
//! 1. length at most [`TokenConfig::max_token_len`], before anything else;
//! 2. exactly three non-empty segments of `[A-Za-z0-9_-]`, found in one pass
//!    that allocates nothing and stops at the third dot (so JWE, the JSON
//!    serialization, padding and whitespace never get further);
//! 3. canonical unpadded base64url for every segment;
//! 4. a header with only `alg`, `typ` and `kid` (`crit`, `jku`, `x5u`, `jwk`,
//!    `x5c`, `b64`, `enc`, `zip`, `cty`, ... are refused; no key is ever fetched
//!    from a header), no duplicate members;
//! 5. `kid` looked up exactly in the configured [`KeySet`] (no `kid` only when the
//!    set has one key); `alg` equal, case-sensitively, to that key's single
//!    algorithm (so `none` in any spelling, `HS512` for an `HS256` key and `PS256`
//!    for an `RS256` key fail); HMAC and public keys are distinct types, so a
//!    public key can never be used as an HMAC secret;
//! 6. `typ` an access-token type (see [`VerificationProfile`]);
//! 7. the signature, before any claim is read;
//! 8. the claims: duplicate members refused at any depth, nesting bounded,
//!    `exp` and `iat` required integers, `nbf` checked, `iat` not in the future,
//!    `exp - iat` at most [`TokenConfig::max_lifetime`], `iss` a single string
//!    equal to the configured issuer, `aud` (a string or an array) containing
//!    the configured audience, `jti` present, `sub` (required in the strict
//!    profile) equal to `auth_identity_id`, and no control characters in
//!    `auth_identity_id` or `sid` (issuing refuses them too). Time checks allow
//!    [`TokenConfig::leeway`] (at most 60 s).
//!
//! Verified claims are kept in a bounded cache keyed by the exact token string
//! ([`TokenConfig::cache_capacity`]); a hit still re-checks `exp`, `nbf` and
//! `iat` against the current time. **Revocation is not checked here**: the
//! caller checks the `jti` deny-list and the identity's "tokens valid after"
//! time on every request, cached or not.
//!
//! Errors ([`TokenError`]) never contain token text. Never log tokens; log
//! [`AccessClaims::jti`] and the key id.
//!
//! # Crypto backend
//!
//! | Feature | Backend | Default |
//! |---|---|---|
//! | `aws-lc-rs` | AWS-LC via `aws-lc-rs` (private keys parsed once) | yes |
//! | `rust-crypto` | RustCrypto crates | no |
//!
//! With both enabled, AWS-LC is used. Key documents (PEM, PKCS#8, PKCS#1,
//! SPKI) are read by the same RustCrypto parsers on either backend, so every
//! weak-key refusal holds on both.

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "auth-core: enable a crypto backend feature: `aws-lc-rs` (default) or `rust-crypto`"
);

mod backend;
mod claims;
mod compact;
mod config;
mod error;
mod json;
mod key;
mod key_document;

use std::sync::Arc;

pub use claims::{AccessClaims, IssuedToken, LoginSession, is_valid_identity_id};
pub use config::{TokenConfig, VerificationProfile};
pub use error::{KeyError, TokenError};
pub use jsonwebtoken::Algorithm;
pub use key::{Key, KeySet, WEAK_SECRETS};

use crate::clock::{SharedClock, SystemClock};
use crate::identity::AuthContext;
use claims::{ClaimsRef, RawClaims};
use compact::Header;

/// Issues and verifies access tokens. Cheap to clone (two `Arc`s), `Send + Sync`.
///
/// [`issue`](Self::issue) and [`verify`](Self::verify) read the time from the
/// service's [`Clock`](crate::clock::Clock) ([`SystemClock`] unless
/// [`with_clock`](Self::with_clock) says otherwise; a module gives its own).
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
    clock: SharedClock,
}

struct Inner {
    keys: KeySet,
    config: TokenConfig,
    leeway: u64,
    ttl: u64,
    max_lifetime: u64,
    cache: Option<quick_cache::sync::Cache<String, Arc<AccessClaims>>>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("signing_kid", &self.inner.keys.signing_kid())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A ULID: the issue time in milliseconds, then 80 random bits. The
/// millisecond time lets a password reset revoke a token issued a moment before
/// it, in the same second as `iat`, while a login a moment after it stays valid
/// (see [`Revocations`](crate::revocation::Revocations)).
///
/// The random bits come from `rand`'s thread-local CSPRNG (ChaCha, seeded and
/// periodically reseeded from the operating system): a `jti` must be unique,
/// not secret, and a system call per token cost as much as the HMAC itself.
/// After a `fork` both processes draw the same bits until the next reseed: two
/// of their tokens share an id only if also issued in the same millisecond,
/// and a shared id matters only when one of them is deny-listed.
fn new_jti(now: u64, clock_ms: u64) -> Result<String, TokenError> {
    let random: u128 = rand::random::<u128>() >> 48;
    // Tokens minted for another `now` (tests, back-dating) get that second.
    let issued_ms = if clock_ms / 1000 == now {
        clock_ms
    } else {
        now.saturating_mul(1000)
    };
    Ok(ulid::Ulid::from_parts(issued_ms, random).to_string())
}

/// A new login at `now` (seconds): at the clock's millisecond when that is
/// within `now`, else at the start of `now` (tokens minted for another time).
fn login_at(now: u64, clock_ms: u64) -> LoginSession {
    if clock_ms / 1000 == now {
        LoginSession::start_at_ms(clock_ms)
    } else {
        LoginSession::start_at_ms(now.saturating_mul(1000))
    }
}

impl TokenService {
    /// A service signing with `keys.signing_key()` and verifying with every key
    /// of `keys`. Refuses an out-of-range configuration (for example a leeway
    /// above 60 s).
    pub fn new(keys: KeySet, config: TokenConfig) -> Result<Self, KeyError> {
        config.validate()?;
        let cache = (config.cache_capacity > 0)
            .then(|| quick_cache::sync::Cache::new(config.cache_capacity));
        Ok(Self {
            inner: Arc::new(Inner {
                leeway: config.leeway.as_secs(),
                ttl: config.ttl.as_secs(),
                max_lifetime: config.max_lifetime.as_secs(),
                keys,
                config,
                cache,
            }),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same service reading the time from `clock`.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.inner.config
    }

    /// The key set.
    pub fn keys(&self) -> &KeySet {
        &self.inner.keys
    }

    /// The public keys as a JWK Set; see [`KeySet::jwks`].
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.keys.jwks()
    }

    /// Issues a token for `context`, valid from now for [`TokenConfig::ttl`].
    pub fn issue(&self, context: &AuthContext) -> Result<IssuedToken, TokenError> {
        let now_ms = self.clock.now_ms();
        self.issue_at_ms(context, now_ms / 1000, now_ms)
    }

    /// Issues a token as if the time were `now` (seconds since the Unix epoch).
    ///
    /// Header `{"alg":..,"typ":"at+jwt","kid":..}`; claims `actor_id`,
    /// `actor_type`, `auth_identity_id`, `app_metadata`, `iss`, `sub` (the auth
    /// identity id), `aud`, `iat`, `nbf`, `exp` and a random `jti`.
    pub fn issue_at(&self, context: &AuthContext, now: u64) -> Result<IssuedToken, TokenError> {
        self.issue_at_ms(context, now, self.clock.now_ms())
    }

    fn issue_at_ms(
        &self,
        context: &AuthContext,
        now: u64,
        clock_ms: u64,
    ) -> Result<IssuedToken, TokenError> {
        self.issue_in_at_ms(context, &login_at(now, clock_ms), u64::MAX, now, clock_ms)
    }

    /// Signs an access token for `context` within an existing `login` (a
    /// refresh): it keeps the login's `sid` and `auth_time` and expires at
    /// `not_after` at the latest. [`TokenError::Expired`] once `not_after` has
    /// passed.
    pub fn issue_in(
        &self,
        context: &AuthContext,
        login: &LoginSession,
        not_after: u64,
    ) -> Result<IssuedToken, TokenError> {
        let now_ms = self.clock.now_ms();
        self.issue_in_at_ms(context, login, not_after, now_ms / 1000, now_ms)
    }

    fn issue_in_at_ms(
        &self,
        context: &AuthContext,
        login: &LoginSession,
        not_after: u64,
        now: u64,
        clock_ms: u64,
    ) -> Result<IssuedToken, TokenError> {
        let (token, exp, jti) = self.inner.mint(context, login, not_after, now, clock_ms)?;
        // The owned claims are built only once the token is signed.
        let inner = &*self.inner;
        let claims = AccessClaims {
            actor_id: context.actor_id.clone(),
            actor_type: context.actor_type.clone(),
            auth_identity_id: context.auth_identity_id.clone(),
            app_metadata: context.app_metadata.clone(),
            iss: Some(inner.config.issuer.clone()),
            sub: Some(context.auth_identity_id.clone()),
            aud: Some(inner.config.audience.clone()),
            iat: now,
            nbf: Some(now),
            exp,
            jti: Some(jti),
            sid: Some(login.sid.clone()),
            auth_time: Some(login.auth_time),
        };
        Ok(IssuedToken { token, claims })
    }

    /// Issues a token for `context`, valid from now for [`TokenConfig::ttl`],
    /// and returns only the compact JWS: the same token as [`issue`](Self::issue)
    /// without building (cloning the context into) [`AccessClaims`].
    pub fn issue_token(&self, context: &AuthContext) -> Result<String, TokenError> {
        let now_ms = self.clock.now_ms();
        let now = now_ms / 1000;
        self.inner
            .mint(context, &login_at(now, now_ms), u64::MAX, now, now_ms)
            .map(|(token, _, _)| token)
    }

    /// [`issue_token`](Self::issue_token) as if the time were `now` (seconds
    /// since the Unix epoch).
    pub fn issue_token_at(&self, context: &AuthContext, now: u64) -> Result<String, TokenError> {
        self.inner
            .mint(
                context,
                &login_at(now, self.clock.now_ms()),
                u64::MAX,
                now,
                self.clock.now_ms(),
            )
            .map(|(token, _, _)| token)
    }

    /// Verifies `token` now; see the [module docs](self) for every rule.
    pub fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, TokenError> {
        self.verify_at(token, self.clock.now_secs())
    }

    /// Verifies `token` as if the time were `now` (seconds since the Unix epoch).
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Arc<AccessClaims>, TokenError> {
        let inner = &*self.inner;
        if token.len() > inner.config.max_token_len {
            return Err(TokenError::TooLong);
        }
        if let Some(cache) = &inner.cache {
            let cached = cache.get(token);
            crate::telemetry::count_token_cache(cached.is_some());
            if let Some(claims) = cached {
                inner.check_times(&claims, now)?;
                return Ok(claims);
            }
        }
        let claims = Arc::new(inner.verify_uncached(token, now)?);
        if let Some(cache) = &inner.cache {
            cache.insert(token.to_owned(), Arc::clone(&claims));
        }
        Ok(claims)
    }
}

impl Inner {
    /// Serializes the claims straight from `context` and the configuration,
    /// signs them, and returns the token with its `exp` and `jti`. `clock_ms`
    /// is the clock's time, which gives the `jti` its milliseconds.
    fn mint(
        &self,
        context: &AuthContext,
        login: &LoginSession,
        not_after: u64,
        now: u64,
        clock_ms: u64,
    ) -> Result<(String, u64, String), TokenError> {
        if !is_valid_identity_id(&context.auth_identity_id) {
            return Err(TokenError::InvalidClaims("auth_identity_id"));
        }
        if !is_valid_identity_id(&login.sid) {
            return Err(TokenError::InvalidClaims("sid"));
        }
        let exp = now
            .checked_add(self.ttl)
            .ok_or(TokenError::InvalidClaims("exp"))?
            .min(not_after);
        if exp <= now {
            return Err(TokenError::Expired);
        }
        let jti = new_jti(now, clock_ms)?;
        let claims = ClaimsRef {
            actor_id: &context.actor_id,
            actor_type: &context.actor_type,
            auth_identity_id: &context.auth_identity_id,
            app_metadata: &context.app_metadata,
            iss: &self.config.issuer,
            sub: &context.auth_identity_id,
            aud: &self.config.audience,
            iat: now,
            nbf: now,
            exp,
            jti: &jti,
            sid: &login.sid,
            auth_time: login.auth_time,
        };
        let mut payload = Vec::with_capacity(384);
        serde_json::to_writer(&mut payload, &claims).map_err(|_| TokenError::Signing)?;
        let key = self.keys.signing_key();
        let header = key.issued_header();
        let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 700);
        token.push_str(header);
        token.push('.');
        compact::encode_into(&payload, &mut token);
        let signature = key.sign(token.as_bytes())?;
        token.push('.');
        compact::encode_into(&signature, &mut token);
        Ok((token, exp, jti))
    }

    fn verify_uncached(&self, token: &str, now: u64) -> Result<AccessClaims, TokenError> {
        let parts = compact::split(token)?;
        let key = self.header_key(parts.header)?;
        let signature = compact::decode(parts.signature)?;
        if !key.verify(parts.signing_input.as_bytes(), &signature) {
            return Err(TokenError::BadSignature);
        }
        let payload = compact::decode(parts.payload)?;
        let raw = RawClaims::parse(&payload)?;
        let claims = self.accept_claims(raw)?;
        self.check_times(&claims, now)?;
        Ok(claims)
    }

    /// The key the header selects, after every header rule.
    fn header_key(&self, header_segment: &str) -> Result<&key::Key, TokenError> {
        // Fast path: byte-for-byte the header one of our keys issues, whose
        // content is known to pass every header rule.
        if let Some(key) = self
            .keys
            .keys()
            .find(|key| key.issued_header() == header_segment)
        {
            return Ok(key);
        }
        let header = Header::parse(&compact::decode(header_segment)?)?;
        let key = self.keys.select(header.kid.as_deref())?;
        if header.alg.parse::<Algorithm>().ok() != Some(key.algorithm()) {
            return Err(TokenError::AlgorithmMismatch);
        }
        if !self.typ_accepted(header.typ.as_deref()) {
            return Err(TokenError::WrongType);
        }
        Ok(key)
    }

    /// `at+jwt` or `application/at+jwt` (case-insensitive); also `JWT` in the
    /// Medusa profile.
    fn typ_accepted(&self, typ: Option<&str>) -> bool {
        let Some(typ) = typ else { return false };
        let bare = match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
            _ => typ,
        };
        bare.eq_ignore_ascii_case("at+jwt")
            || (self.config.profile == VerificationProfile::MedusaCompat
                && typ.eq_ignore_ascii_case("JWT"))
    }

    /// Applies the claim rules of the profile (times are checked separately).
    fn accept_claims(&self, raw: RawClaims) -> Result<AccessClaims, TokenError> {
        let strict = self.config.profile == VerificationProfile::Strict;
        let required = |value: Option<String>, name| value.ok_or(TokenError::MissingClaim(name));
        let exp = raw.exp.ok_or(TokenError::MissingClaim("exp"))?;
        let iat = raw.iat.ok_or(TokenError::MissingClaim("iat"))?;
        match &raw.iss {
            Some(iss) if *iss != self.config.issuer => return Err(TokenError::WrongIssuer),
            None if strict => return Err(TokenError::MissingClaim("iss")),
            _ => {}
        }
        let aud = match raw.aud {
            Some(aud) => Some(self.matching_audience(&aud)?),
            None if strict => return Err(TokenError::MissingClaim("aud")),
            None => None,
        };
        match &raw.jti {
            Some(jti) if jti.is_empty() => return Err(TokenError::InvalidClaims("jti")),
            None if strict => return Err(TokenError::MissingClaim("jti")),
            _ => {}
        }
        if exp <= iat {
            return Err(TokenError::InvalidClaims("exp"));
        }
        let auth_identity_id = required(raw.auth_identity_id, "auth_identity_id")?;
        if !is_valid_identity_id(&auth_identity_id) {
            return Err(TokenError::InvalidClaims("auth_identity_id"));
        }
        match &raw.sub {
            Some(sub) if *sub != auth_identity_id => return Err(TokenError::InvalidClaims("sub")),
            None if strict => return Err(TokenError::MissingClaim("sub")),
            _ => {}
        }
        if raw
            .sid
            .as_deref()
            .is_some_and(|sid| !is_valid_identity_id(sid))
        {
            return Err(TokenError::InvalidClaims("sid"));
        }
        if exp - iat > self.max_lifetime {
            return Err(TokenError::LifetimeTooLong);
        }
        Ok(AccessClaims {
            actor_id: required(raw.actor_id, "actor_id")?,
            actor_type: required(raw.actor_type, "actor_type")?,
            auth_identity_id,
            app_metadata: raw.app_metadata.unwrap_or_default(),
            iss: raw.iss,
            sub: raw.sub,
            aud,
            iat,
            nbf: raw.nbf,
            exp,
            jti: raw.jti,
            sid: raw.sid,
            auth_time: raw.auth_time,
        })
    }

    /// `aud` is the configured audience, or an array of strings containing it.
    fn matching_audience(&self, aud: &serde_json::Value) -> Result<String, TokenError> {
        use serde_json::Value;
        let wanted = &self.config.audience;
        let found = match aud {
            Value::String(one) => one == wanted,
            Value::Array(many) => {
                let mut found = false;
                for item in many {
                    let Value::String(item) = item else {
                        return Err(TokenError::InvalidClaims("aud"));
                    };
                    found |= item == wanted;
                }
                found
            }
            _ => return Err(TokenError::InvalidClaims("aud")),
        };
        if found {
            Ok(wanted.clone())
        } else {
            Err(TokenError::WrongAudience)
        }
    }

    /// `exp`, `nbf` and `iat` against `now`, with the leeway; run on every
    /// verification, cache hits included.
    fn check_times(&self, claims: &AccessClaims, now: u64) -> Result<(), TokenError> {
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(TokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(TokenError::NotYetValid);
        }
        if claims.iat > now.saturating_add(self.leeway) {
            return Err(TokenError::IssuedInFuture);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn token_service_is_send_sync_and_clone() {
        assert_send_sync::<TokenService>();
    }

    #[test]
    fn issue_token_mints_what_issue_at_does() {
        const NOW: u64 = 1_700_000_000;
        let key = Key::hmac("k1", Algorithm::HS256, b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG")
            .expect("hmac key");
        let tokens = TokenService::new(
            KeySet::new(key).expect("key set"),
            TokenConfig::new("https://auth.example.com", "storefront"),
        )
        .expect("service");
        let mut app_metadata = crate::identity::Metadata::new();
        app_metadata.insert("customer_id".into(), "cus_1".into());
        let context = AuthContext {
            actor_id: "cus_1".into(),
            actor_type: "customer".into(),
            auth_identity_id: "authid_1".into(),
            app_metadata,
        };
        let issued = tokens.issue_at(&context, NOW).expect("issue_at");
        assert_eq!(
            *tokens.verify_at(&issued.token, NOW).expect("verify"),
            issued.claims
        );
        let token = tokens
            .issue_token_at(&context, NOW)
            .expect("issue_token_at");
        let claims = tokens.verify_at(&token, NOW).expect("verify");
        assert!(claims.jti.as_ref().is_some_and(|jti| jti.len() == 26));
        assert_ne!(claims.jti, issued.claims.jti);
        let same_jti = AccessClaims {
            jti: claims.jti.clone(),
            sid: claims.sid.clone(),
            ..issued.claims.clone()
        };
        assert_eq!(*claims, same_jti);
        // Same header and the same payload length (only the random jti differs).
        let (header, rest) = token.split_once('.').expect("dot");
        assert_eq!(issued.token.split_once('.').map(|(h, _)| h), Some(header));
        assert_eq!(rest.len(), issued.token.len() - header.len() - 1);
    }
}
