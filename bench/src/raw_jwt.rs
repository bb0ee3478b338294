//! The `jwt-raw` mode: bearer tokens checked the way a user would without our
//! crates, with plain `jsonwebtoken::decode`.
//!
//! One [`DecodingKey`] and one [`Validation`] (HS256 only, `iss`, `aud` and
//! `exp` required and checked), built once; per request the `Authorization`
//! header is split at `Bearer `, the token decoded into [`BearerClaims`] and
//! the actor type compared, as the `memory` and `sqlite` modes' policy does.
//! No revocation: a hand-written middleware has nowhere to look it up. Each
//! adapter's middleware attaches the claims to the request and its handler
//! extracts them.
//!
//! ```
//! use bench::raw_jwt::RawJwt;
//!
//! let jwt = RawJwt::new(bench::SECRET, bench::ISSUER, bench::AUDIENCE);
//! let token = bench::mint_token().unwrap();
//! let claims = jwt.verify(Some(&format!("Bearer {token}"))).unwrap();
//! assert_eq!(claims.actor_id, "cus_bench");
//! assert!(jwt.verify(None).is_err());
//! ```

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The claims the middleware attaches to the request.
#[derive(Clone, Debug, Deserialize)]
pub struct BearerClaims {
    /// The actor id.
    pub actor_id: String,
    /// The actor type.
    pub actor_type: String,
    /// The auth identity id.
    pub auth_identity_id: String,
    /// The identity's `app_metadata`.
    #[serde(default)]
    pub app_metadata: serde_json::Map<String, serde_json::Value>,
    /// Expiry, seconds since the Unix epoch (checked by `jsonwebtoken`).
    pub exp: u64,
}

/// Why the middleware refused a request (answered with a bare `401`).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// The token failed `jsonwebtoken`'s checks.
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// A valid token of another actor type.
    #[error("actor type not allowed")]
    ActorType,
}

/// The key and validation, built once and shared by every request.
#[derive(Clone)]
pub struct RawJwt {
    key: DecodingKey,
    validation: Validation,
}

impl RawJwt {
    /// HS256 tokens signed with `secret`, from `issuer`, for `audience`.
    pub fn new(secret: &str, issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// Checks the value of an `Authorization` header.
    pub fn verify(&self, authorization: Option<&str>) -> Result<BearerClaims, Refused> {
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(Refused::Missing)?;
        let claims = jsonwebtoken::decode::<BearerClaims>(token, &self.key, &self.validation)?;
        if claims.claims.actor_type != crate::ACTOR_TYPE {
            return Err(Refused::ActorType);
        }
        Ok(claims.claims)
    }
}
