//! Why a token was refused ([`TokenError`]) and why a key or configuration was
//! refused ([`KeyError`]).

use jsonwebtoken::Algorithm;

/// Why a token could not be verified or issued.
///
/// Each rule of the verification is its own variant so that callers and tests can
/// tell them apart. `Display` never contains any part of the token; member and
/// claim names shown are fixed strings chosen by this crate. All variants other
/// than [`TokenError::Signing`] mean "invalid token" (`401`,
/// `error="invalid_token"`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than [`TokenConfig::max_token_len`](super::TokenConfig::max_token_len).
    #[error("token is longer than the configured maximum")]
    TooLong,
    /// Not a compact JWS: not exactly three non-empty segments of
    /// `[A-Za-z0-9_-]`, non-canonical base64url, or JSON that does not parse.
    #[error("token is not a well-formed compact JWS")]
    Malformed,
    /// The header has a member outside the allowlist `alg`, `typ`, `kid`.
    #[error("token header member `{0}` is not supported")]
    UnsupportedHeader(&'static str),
    /// A JSON object in the header or claims has the same member twice.
    #[error("token JSON has a duplicate member")]
    DuplicateMember,
    /// The header or claims JSON is nested deeper than allowed.
    #[error("token JSON is nested too deeply")]
    TooDeep,
    /// `alg` differs from the single algorithm of the selected key.
    #[error("token algorithm does not match the key")]
    AlgorithmMismatch,
    /// `kid` names no configured key, or is missing while several keys are configured.
    #[error("token key id is unknown")]
    UnknownKid,
    /// The signature does not verify with the selected key.
    #[error("token signature is invalid")]
    BadSignature,
    /// `typ` is not an access token type for the verification profile.
    #[error("token type is not an access token")]
    WrongType,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// `exp - iat` exceeds [`TokenConfig::max_lifetime`](super::TokenConfig::max_lifetime).
    #[error("token lifetime is longer than allowed")]
    LifetimeTooLong,
    /// `iss` differs from the configured issuer.
    #[error("token issuer is not accepted")]
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    #[error("token audience is not accepted")]
    WrongAudience,
    /// A required claim is absent.
    #[error("token is missing the `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value (a string `exp`,
    /// an `iss` array, ...).
    #[error("token claim `{0}` is invalid")]
    InvalidClaims(&'static str),
    /// Issuing failed in the crypto backend.
    #[error("token could not be signed")]
    Signing,
}

/// Why a key, key set or token configuration was refused. These are
/// configuration-time errors: the server should refuse to start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The HMAC secret is shorter than the hash output of its algorithm.
    #[error("HMAC secret for {alg:?} must be at least {min_len} bytes")]
    SecretTooShort {
        /// The algorithm the secret was meant for.
        alg: Algorithm,
        /// The minimum length in bytes.
        min_len: usize,
    },
    /// The HMAC secret is a well-known or low-entropy value.
    #[error("HMAC secret is a well-known or low-entropy value; generate 32+ random bytes")]
    WeakSecret,
    /// The RSA modulus is below 2048 bits.
    #[error("RSA key has {bits} bits; at least 2048 are required")]
    RsaKeyTooSmall {
        /// Size of the modulus in bits.
        bits: usize,
    },
    /// The RSA public exponent is 1, even, or otherwise unusable.
    #[error("RSA public exponent must be odd and at least 3")]
    RsaBadExponent,
    /// The EC key is not on the curve its algorithm requires (only P-256 for
    /// ES256 and P-384 for ES384 are accepted).
    #[error("EC key is not on the curve required by {alg:?} (P-256 for ES256, P-384 for ES384)")]
    UnsupportedCurve {
        /// The requested algorithm.
        alg: Algorithm,
    },
    /// The algorithm cannot be used with this kind of key (for example `HS256`
    /// with a PEM key, or `RS256` with an HMAC secret).
    #[error("algorithm {alg:?} cannot be used with {kind}")]
    AlgorithmKeyMismatch {
        /// The requested algorithm.
        alg: Algorithm,
        /// What was given.
        kind: &'static str,
    },
    /// The key material could not be parsed.
    #[error("key material is invalid: {0}")]
    InvalidKey(String),
    /// The JWK is not an acceptable key description.
    #[error("JWK is invalid: {0}")]
    InvalidJwk(String),
    /// The key id is empty or longer than 128 bytes.
    #[error("key id must be 1 to 128 bytes long")]
    InvalidKid,
    /// Two keys of one key set share a key id.
    #[error("duplicate key id `{0}` in the key set")]
    DuplicateKid(String),
    /// The signing key of a key set has no private part.
    #[error("key `{0}` cannot sign: it is a public key")]
    NotASigningKey(String),
    /// A [`TokenConfig`](super::TokenConfig) value is out of range.
    #[error("invalid token configuration: {0}")]
    InvalidConfig(&'static str),
}
