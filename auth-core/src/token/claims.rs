//! The claims of an access token, and their strict parser.

use std::fmt;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;

use super::TokenError;
use super::json::{Reason, StrictObject, StrictValue, parse, refuse};
use crate::identity::{AuthContext, Metadata};
use crate::secret::Redacted;

/// The verified (or issued) claims of an access token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccessClaims {
    /// The actor (customer, user, ...) id; `""` while the identity is unregistered.
    pub actor_id: String,
    /// The actor type the token was issued for.
    pub actor_type: String,
    /// The auth identity id.
    pub auth_identity_id: String,
    /// The identity's `app_metadata` when the token was issued.
    pub app_metadata: Metadata,
    /// Issuer. Always present on tokens this crate issues or accepts in the strict profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Subject: the auth identity id on tokens this crate issues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The audience that matched the configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issued at (seconds since the Unix epoch).
    pub iat: u64,
    /// Not before (seconds since the Unix epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expiry (seconds since the Unix epoch).
    pub exp: u64,
    /// Token id, 128 random bits in base64url; the key for revocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The login session the token belongs to: new at each login or
    /// callback, kept by refreshes; ending it refuses every token that carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the user authenticated (seconds since the Unix epoch); refreshes
    /// keep it and stop at `auth_time` plus the login max age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
}

impl AccessClaims {
    /// The auth context the token carries.
    pub fn context(&self) -> AuthContext {
        AuthContext {
            actor_id: self.actor_id.clone(),
            actor_type: self.actor_type.clone(),
            auth_identity_id: self.auth_identity_id.clone(),
            app_metadata: self.app_metadata.clone(),
        }
    }
}

/// The login session a token is issued in: its id (the `sid` claim) and when
/// the user authenticated (the `auth_time` claim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSession {
    /// The login session id, a ULID.
    pub sid: String,
    /// When the user authenticated, seconds since the Unix epoch.
    pub auth_time: u64,
}

impl LoginSession {
    /// A new login, authenticated at `auth_time`, with a fresh random id.
    pub fn start(auth_time: u64) -> Self {
        Self {
            sid: ulid::Ulid::new().to_string(),
            auth_time,
        }
    }

    /// A new login that begins at `started_ms` (Unix milliseconds): its
    /// `auth_time` is that second, and its id is a ULID carrying that
    /// millisecond, so the identity-wide cut-off can tell a login begun just
    /// before a password reset from one begun just after it.
    pub fn start_at_ms(started_ms: u64) -> Self {
        let random: u128 = rand::random::<u128>() >> 48;
        Self {
            sid: ulid::Ulid::from_parts(started_ms, random).to_string(),
            auth_time: started_ms / 1000,
        }
    }

    /// When this login began, in Unix milliseconds: the time in its `sid`
    /// when that is a ULID of the `auth_time` second or earlier (ours are),
    /// else the start of the `auth_time` second. Never later than the login
    /// really began, so a cut-off set after it always applies.
    pub fn started_ms(&self) -> u64 {
        let auth_ms = self.auth_time.saturating_mul(1000);
        ulid::Ulid::from_string(&self.sid)
            .ok()
            .map(|ulid| ulid.timestamp_ms())
            .filter(|ms| *ms <= auth_ms.saturating_add(999))
            .unwrap_or(auth_ms)
    }

    /// The login `claims` belong to. A token without `sid` (issued before login
    /// sessions existed, or by Medusa) is its own login, named by its `jti`;
    /// without `auth_time` its `iat` stands in.
    pub fn of(claims: &AccessClaims) -> Self {
        Self {
            sid: claims
                .sid
                .clone()
                .or_else(|| claims.jti.clone())
                .unwrap_or_default(),
            auth_time: claims.auth_time.unwrap_or(claims.iat),
        }
    }
}

pub use crate::identity::is_valid_identity_id;

/// A freshly signed access token and the claims in it. Its `Debug` shows the
/// claims and the token's length, not the token.
#[derive(Clone, PartialEq)]
pub struct IssuedToken {
    /// The compact JWS. Never log it; log `claims.jti` instead.
    pub token: String,
    /// What the token says.
    pub claims: AccessClaims,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &Redacted::of(self.token.as_bytes()))
            .field("claims", &self.claims)
            .finish()
    }
}

/// The claims of a token being issued, serialized straight from borrowed data
/// (no clone of the context). Same members, names and order as a serialized
/// [`AccessClaims`] with every optional claim present, so an issued token has
/// the same shape either way (checked by a unit test below).
#[derive(Serialize)]
pub(crate) struct ClaimsRef<'a> {
    pub(crate) actor_id: &'a str,
    pub(crate) actor_type: &'a str,
    pub(crate) auth_identity_id: &'a str,
    pub(crate) app_metadata: &'a Metadata,
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) iat: u64,
    pub(crate) nbf: u64,
    pub(crate) exp: u64,
    pub(crate) jti: &'a str,
    pub(crate) sid: &'a str,
    pub(crate) auth_time: u64,
}

/// Claims as read from a token, before the profile's rules are applied.
#[derive(Default)]
pub(crate) struct RawClaims {
    pub(crate) actor_id: Option<String>,
    pub(crate) actor_type: Option<String>,
    pub(crate) auth_identity_id: Option<String>,
    pub(crate) app_metadata: Option<Metadata>,
    pub(crate) iss: Option<String>,
    pub(crate) sub: Option<String>,
    pub(crate) aud: Option<Value>,
    pub(crate) iat: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) exp: Option<u64>,
    pub(crate) jti: Option<String>,
    pub(crate) sid: Option<String>,
    pub(crate) auth_time: Option<u64>,
}

impl RawClaims {
    /// Parses decoded claims: duplicate members are refused at any depth,
    /// nesting is bounded, known claims must have their JSON type (a string
    /// `exp` is [`TokenError::InvalidClaims`], never skipped).
    pub(crate) fn parse(bytes: &[u8]) -> Result<RawClaims, TokenError> {
        let cell = Reason::default();
        parse(bytes, &cell, ClaimsSeed(&cell), TokenError::Malformed)
    }
}

struct ClaimsSeed<'a>(&'a Reason);

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = RawClaims;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RawClaims, D::Error> {
        d.deserialize_map(self)
    }
}

/// Reads the value of claim `name`, recording a type error as `InvalidClaims(name)`.
fn claim<'de, T: de::Deserialize<'de>, A: MapAccess<'de>>(
    map: &mut A,
    cell: &Reason,
    name: &'static str,
    seen: bool,
) -> Result<Option<T>, A::Error> {
    if seen {
        return Err(refuse(cell, TokenError::DuplicateMember));
    }
    map.next_value::<T>()
        .map(Some)
        .map_err(|_| refuse(cell, TokenError::InvalidClaims(name)))
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = RawClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims, A::Error> {
        let cell = self.0;
        let mut c = RawClaims::default();
        let mut others: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<ClaimName>()? {
            match name {
                ClaimName::ActorId => {
                    c.actor_id = claim(&mut map, cell, "actor_id", c.actor_id.is_some())?
                }
                ClaimName::ActorType => {
                    c.actor_type = claim(&mut map, cell, "actor_type", c.actor_type.is_some())?
                }
                ClaimName::AuthIdentityId => {
                    c.auth_identity_id = claim(
                        &mut map,
                        cell,
                        "auth_identity_id",
                        c.auth_identity_id.is_some(),
                    )?
                }
                ClaimName::AppMetadata => {
                    if c.app_metadata.is_some() {
                        return Err(refuse(cell, TokenError::DuplicateMember));
                    }
                    c.app_metadata = Some(
                        map.next_value_seed(StrictObject { depth: 1, cell })
                            .map_err(|_| {
                                // Keep a duplicate-member or depth reason; anything else is a type error.
                                let reason = cell
                                    .take()
                                    .unwrap_or(TokenError::InvalidClaims("app_metadata"));
                                refuse(cell, reason)
                            })?,
                    );
                }
                ClaimName::Iss => c.iss = claim(&mut map, cell, "iss", c.iss.is_some())?,
                ClaimName::Sub => c.sub = claim(&mut map, cell, "sub", c.sub.is_some())?,
                ClaimName::Aud => {
                    if c.aud.is_some() {
                        return Err(refuse(cell, TokenError::DuplicateMember));
                    }
                    c.aud = Some(map.next_value_seed(StrictValue { depth: 1, cell })?);
                }
                ClaimName::Iat => c.iat = claim(&mut map, cell, "iat", c.iat.is_some())?,
                ClaimName::Nbf => c.nbf = claim(&mut map, cell, "nbf", c.nbf.is_some())?,
                ClaimName::Exp => c.exp = claim(&mut map, cell, "exp", c.exp.is_some())?,
                ClaimName::Jti => c.jti = claim(&mut map, cell, "jti", c.jti.is_some())?,
                ClaimName::Sid => c.sid = claim(&mut map, cell, "sid", c.sid.is_some())?,
                ClaimName::AuthTime => {
                    c.auth_time = claim(&mut map, cell, "auth_time", c.auth_time.is_some())?
                }
                ClaimName::Other(other) => {
                    if others.contains(&other) {
                        return Err(refuse(cell, TokenError::DuplicateMember));
                    }
                    map.next_value_seed(StrictValue { depth: 1, cell })?;
                    others.push(other);
                }
            }
        }
        Ok(c)
    }
}

/// A claim name, matched without allocating for the known ones.
enum ClaimName {
    ActorId,
    ActorType,
    AuthIdentityId,
    AppMetadata,
    Iss,
    Sub,
    Aud,
    Iat,
    Nbf,
    Exp,
    Jti,
    Sid,
    AuthTime,
    Other(String),
}

impl<'de> de::Deserialize<'de> for ClaimName {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = ClaimName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<ClaimName, E> {
                Ok(match name {
                    "actor_id" => ClaimName::ActorId,
                    "actor_type" => ClaimName::ActorType,
                    "auth_identity_id" => ClaimName::AuthIdentityId,
                    "app_metadata" => ClaimName::AppMetadata,
                    "iss" => ClaimName::Iss,
                    "sub" => ClaimName::Sub,
                    "aud" => ClaimName::Aud,
                    "iat" => ClaimName::Iat,
                    "nbf" => ClaimName::Nbf,
                    "exp" => ClaimName::Exp,
                    "jti" => ClaimName::Jti,
                    "sid" => ClaimName::Sid,
                    "auth_time" => ClaimName::AuthTime,
                    other => ClaimName::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_exp_is_an_invalid_claim() {
        let result = RawClaims::parse(br#"{"exp":"9999999999"}"#);
        assert_eq!(result.err(), Some(TokenError::InvalidClaims("exp")));
    }

    #[test]
    fn fractional_and_negative_times_are_invalid() {
        assert_eq!(
            RawClaims::parse(br#"{"iat":1.5}"#).err(),
            Some(TokenError::InvalidClaims("iat"))
        );
        assert_eq!(
            RawClaims::parse(br#"{"nbf":-1}"#).err(),
            Some(TokenError::InvalidClaims("nbf"))
        );
    }

    #[test]
    fn duplicate_unknown_claims_are_refused() {
        assert_eq!(
            RawClaims::parse(br#"{"x":1,"x":1}"#).err(),
            Some(TokenError::DuplicateMember)
        );
    }

    #[test]
    fn borrowed_claims_serialize_like_access_claims() {
        let mut app_metadata = Metadata::new();
        app_metadata.insert("customer_id".into(), "cus_1".into());
        app_metadata.insert("tier".into(), serde_json::json!({"level": 2}));
        let owned = AccessClaims {
            actor_id: "cus_1".into(),
            actor_type: "customer".into(),
            auth_identity_id: "authid_1".into(),
            app_metadata: app_metadata.clone(),
            iss: Some("https://auth.example.com".into()),
            sub: Some("authid_1".into()),
            aud: Some("storefront".into()),
            iat: 1_700_000_000,
            nbf: Some(1_700_000_000),
            exp: 1_700_000_900,
            jti: Some("01HZX3Q8M5V2ABCDEFGHJKMNPQ".into()),
            sid: Some("01HZX3Q8M5V2ABCDEFGHJKMNPR".into()),
            auth_time: Some(1_699_999_000),
        };
        let borrowed = ClaimsRef {
            actor_id: "cus_1",
            actor_type: "customer",
            auth_identity_id: "authid_1",
            app_metadata: &app_metadata,
            iss: "https://auth.example.com",
            sub: "authid_1",
            aud: "storefront",
            iat: 1_700_000_000,
            nbf: 1_700_000_000,
            exp: 1_700_000_900,
            jti: "01HZX3Q8M5V2ABCDEFGHJKMNPQ",
            sid: "01HZX3Q8M5V2ABCDEFGHJKMNPR",
            auth_time: 1_699_999_000,
        };
        assert_eq!(
            serde_json::to_vec(&borrowed).unwrap(),
            serde_json::to_vec(&owned).unwrap()
        );
    }

    #[test]
    fn null_app_metadata_reads_as_empty() {
        let claims = RawClaims::parse(br#"{"app_metadata":null}"#).unwrap();
        assert_eq!(claims.app_metadata, Some(Metadata::new()));
    }
}
