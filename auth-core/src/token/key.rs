//! Keys and key sets: where signing and verification keys come from, and the
//! weak-key checks that refuse them at configuration time.
//!
//! A [`Key`] has a `kid`, exactly one [`Algorithm`] and key material. HMAC
//! secrets and public keys are different internal types: a token is checked
//! with the operation of the key its `kid` selects, so public-key bytes (PEM,
//! DER, JWK JSON, modulus) can never act as an HMAC secret.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use serde_json::Value;
use spki::ObjectIdentifier;

use super::backend::{self, HmacKey, PrivateSigner};
use super::compact;
use super::key_document::{self, P256, P384, PrivateKey, PublicKey, RsaComponents};
use super::{KeyError, TokenError};

/// Values found in tutorials, defaults and leaked configs. A secret equal to
/// one of them, or made of repetitions of one, is refused.
pub const WEAK_SECRETS: &[&str] = &[
    "secret",
    "supersecret",
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "password",
    "jwt_secret",
    "jwt-secret",
    "jwtsecret",
    "secretkey",
    "secret_key",
    "secret-key",
    "mysecret",
    "my-secret",
    "my_secret",
    "default",
    "keyboard cat",
    "shhhhh",
    "test",
    "admin",
    "medusa",
    "123456",
    "1234567890",
    "qwerty",
    "example",
];

/// Fewest distinct byte values an HMAC secret must contain.
const MIN_DISTINCT_BYTES: usize = 8;

fn is_weak_secret(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let repeats = |word: &[u8]| {
        lower
            .chunks(word.len())
            .all(|chunk| word.starts_with(chunk))
    };
    if WEAK_SECRETS.iter().any(|word| repeats(word.as_bytes())) {
        return true;
    }
    let mut seen = [false; 256];
    for byte in secret {
        seen[usize::from(*byte)] = true;
    }
    seen.iter().filter(|s| **s).count() < MIN_DISTINCT_BYTES
}

/// Members a private JWK has and a public one must not (RFC 7518 section 6).
const PRIVATE_JWK_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// What an ECDSA algorithm requires of its curve.
struct Curve {
    /// The JWK `crv`.
    jwk: EllipticCurve,
    /// The named-curve OID in PKCS#8 and SPKI.
    oid: ObjectIdentifier,
    /// Bytes per coordinate.
    coordinate_len: usize,
}

/// The one curve `alg` accepts: P-256 for ES256, P-384 for ES384.
fn required_curve(alg: Algorithm) -> Curve {
    if alg == Algorithm::ES384 {
        Curve {
            jwk: EllipticCurve::P384,
            oid: P384,
            coordinate_len: 48,
        }
    } else {
        Curve {
            jwk: EllipticCurve::P256,
            oid: P256,
            coordinate_len: 32,
        }
    }
}

/// Length of an Ed25519 public key (RFC 8032).
const ED25519_KEY_LEN: usize = 32;

/// The first byte of an uncompressed EC point (SEC1 section 2.3.3).
const UNCOMPRESSED_POINT: u8 = 4;

/// The JWK parameters of an RSA public key, after the weak-key checks.
fn rsa_parameters(public: &RsaComponents) -> Result<AlgorithmParameters, KeyError> {
    check_rsa(&public.n, &public.e)?;
    Ok(AlgorithmParameters::RSA(RSAKeyParameters {
        key_type: RSAKeyType::RSA,
        n: compact::encode(&public.n),
        e: compact::encode(&public.e),
    }))
}

/// The JWK parameters of an EC public key on the curve `alg` requires.
fn ec_parameters(alg: Algorithm, x: &[u8], y: &[u8]) -> Result<AlgorithmParameters, KeyError> {
    let curve = required_curve(alg);
    if x.len() != curve.coordinate_len || y.len() != curve.coordinate_len {
        return Err(KeyError::UnsupportedCurve { alg });
    }
    Ok(AlgorithmParameters::EllipticCurve(
        EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: curve.jwk,
            x: compact::encode(x),
            y: compact::encode(y),
        },
    ))
}

/// The JWK parameters of an Ed25519 public key.
fn ed25519_parameters(x: &[u8]) -> Result<AlgorithmParameters, KeyError> {
    if x.len() != ED25519_KEY_LEN {
        return Err(KeyError::InvalidKey(
            "Ed25519 public key must be 32 bytes".into(),
        ));
    }
    Ok(AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
        key_type: OctetKeyPairType::OctetKeyPair,
        curve: EllipticCurve::Ed25519,
        x: compact::encode(x),
    }))
}

enum Material {
    Hmac(Box<HmacKey>),
    Public {
        /// The public key as JWK parameters: what the JWKS publishes.
        params: AlgorithmParameters,
        verifying: DecodingKey,
        signer: Option<Box<PrivateSigner>>,
    },
}

impl Material {
    /// Public-key material that verifies with `params`, and signs when given a signer.
    fn public(
        params: AlgorithmParameters,
        signer: Option<Box<PrivateSigner>>,
    ) -> Result<Material, KeyError> {
        let jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: params,
        };
        let verifying =
            DecodingKey::from_jwk(&jwk).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        Ok(Material::Public {
            params: jwk.algorithm,
            verifying,
            signer,
        })
    }
}

/// One key: a `kid`, exactly one [`Algorithm`] and its key material.
///
/// ```
/// use auth_core::token::{Algorithm, Key, KeyError};
///
/// let key = Key::hmac("2024-01", Algorithm::HS256, b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG")?;
/// assert_eq!(key.kid(), "2024-01");
/// assert!(matches!(
///     Key::hmac("weak", Algorithm::HS256, b"secret"),
///     Err(KeyError::SecretTooShort { .. })
/// ));
/// # Ok::<(), KeyError>(())
/// ```
pub struct Key {
    kid: String,
    alg: Algorithm,
    material: Material,
    /// The base64url header this key puts on the tokens it signs.
    issued_header: String,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}

/// Longest accepted `kid`, in bytes.
const MAX_KID_LEN: usize = 128;

impl Key {
    fn build(kid: String, alg: Algorithm, material: Material) -> Result<Key, KeyError> {
        if kid.is_empty() || kid.len() > MAX_KID_LEN {
            return Err(KeyError::InvalidKid);
        }
        #[derive(serde::Serialize)]
        struct IssuedHeader<'a> {
            alg: Algorithm,
            typ: &'a str,
            kid: &'a str,
        }
        let header = IssuedHeader {
            alg,
            typ: "at+jwt",
            kid: &kid,
        };
        let header =
            serde_json::to_vec(&header).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        let issued_header = compact::encode(&header);
        Ok(Key {
            kid,
            alg,
            material,
            issued_header,
        })
    }

    /// An HMAC key (`HS256`, `HS384` or `HS512`).
    ///
    /// Refuses secrets shorter than the hash output (32, 48, 64 bytes), secrets
    /// that are or repeat a [well-known weak value](WEAK_SECRETS), and secrets
    /// with fewer than 8 distinct byte values (`"aaaa..."`, `"abab..."`).
    pub fn hmac(kid: impl Into<String>, alg: Algorithm, secret: &[u8]) -> Result<Key, KeyError> {
        let min_len = match alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => {
                return Err(KeyError::AlgorithmKeyMismatch {
                    alg,
                    kind: "an HMAC secret",
                });
            }
        };
        if secret.len() < min_len {
            return Err(KeyError::SecretTooShort { alg, min_len });
        }
        if is_weak_secret(secret) {
            return Err(KeyError::WeakSecret);
        }
        let key = HmacKey::new(alg, secret)
            .ok_or(KeyError::InvalidKey("HMAC key setup failed".into()))?;
        Key::build(kid.into(), alg, Material::Hmac(Box::new(key)))
    }

    /// A private key in PEM (PKCS#8 `PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`)
    /// for signing and verification: `RS256/384/512` and `PS256/384/512` (RSA of
    /// at least 2048 bits, odd exponent >= 3), `ES256` (P-256), `ES384` (P-384),
    /// `EdDSA` (Ed25519).
    ///
    /// The document must be exactly one PEM block of strict DER: text after the
    /// end line, another label, or a non-minimal DER length is refused with
    /// [`KeyError::InvalidKey`]; a key of another type than `alg` needs with
    /// [`KeyError::AlgorithmKeyMismatch`].
    pub fn private_pem(
        kid: impl Into<String>,
        alg: Algorithm,
        pem: &[u8],
    ) -> Result<Key, KeyError> {
        let mismatch = KeyError::AlgorithmKeyMismatch {
            alg,
            kind: "a private key",
        };
        if alg.family() == AlgorithmFamily::Hmac {
            return Err(mismatch);
        }
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::InvalidKey(e.to_string());
        let utils = &backend::provider().key_utils;
        let (encoding, params) = match (alg.family(), key_document::private_key(pem)?) {
            (AlgorithmFamily::Rsa, PrivateKey::Rsa { pkcs1, public }) => {
                let params = rsa_parameters(&public)?;
                (EncodingKey::from_rsa_der(&pkcs1), params)
            }
            (AlgorithmFamily::Ec, PrivateKey::Ec { pkcs8, curve }) => {
                if curve != Some(required_curve(alg).oid) {
                    return Err(KeyError::UnsupportedCurve { alg });
                }
                let encoding = EncodingKey::from_ec_der(&pkcs8);
                let (_, x, y) =
                    (utils.ec_pub_components_from_private_key)(&pkcs8, alg).map_err(invalid)?;
                (encoding, ec_parameters(alg, &x, &y)?)
            }
            (AlgorithmFamily::Ed, PrivateKey::Ed25519 { pkcs8 }) => {
                let x = (utils.ed_pub_components_from_private_key)(&pkcs8, &EllipticCurve::Ed25519)
                    .map_err(invalid)?;
                (EncodingKey::from_ed_der(&pkcs8), ed25519_parameters(&x)?)
            }
            _ => return Err(mismatch),
        };
        let signer = PrivateSigner::new(alg, &encoding).map_err(KeyError::InvalidKey)?;
        let material = Material::public(params, Some(Box::new(signer)))?;
        let key = Key::build(kid.into(), alg, material)?;
        // Proves the key pair is usable and consistent before the server starts.
        let probe = b"auth-core key self-test";
        let signature = key
            .sign(probe)
            .map_err(|_| KeyError::InvalidKey("the key cannot sign".into()))?;
        if !key.verify(probe, &signature) {
            return Err(KeyError::InvalidKey(
                "the public part does not verify the private part".into(),
            ));
        }
        Ok(key)
    }

    /// A public key in PEM (`PUBLIC KEY`, or PKCS#1 `RSA PUBLIC KEY`), for
    /// verification only. Same algorithms and checks as [`Key::private_pem`].
    pub fn public_pem(kid: impl Into<String>, alg: Algorithm, pem: &[u8]) -> Result<Key, KeyError> {
        let mismatch = KeyError::AlgorithmKeyMismatch {
            alg,
            kind: "a public key",
        };
        if alg.family() == AlgorithmFamily::Hmac {
            return Err(mismatch);
        }
        let params = match (alg.family(), key_document::public_key(pem)?) {
            (AlgorithmFamily::Rsa, PublicKey::Rsa(public)) => rsa_parameters(&public)?,
            (AlgorithmFamily::Ec, PublicKey::Ec { curve, point }) => {
                let required = required_curve(alg);
                if curve != Some(required.oid) {
                    return Err(KeyError::UnsupportedCurve { alg });
                }
                match point.split_first() {
                    Some((&UNCOMPRESSED_POINT, xy)) if xy.len() == 2 * required.coordinate_len => {
                        let (x, y) = xy.split_at(required.coordinate_len);
                        ec_parameters(alg, x, y)?
                    }
                    _ => return Err(KeyError::UnsupportedCurve { alg }),
                }
            }
            (AlgorithmFamily::Ed, PublicKey::Ed25519 { x }) => ed25519_parameters(&x)?,
            _ => return Err(mismatch),
        };
        Key::build(kid.into(), alg, Material::public(params, None)?)
    }

    /// A key from one JWK (RFC 7517). `kid` and `alg` are required; `use`, when
    /// present, must be `sig`. Public keys (`RSA`, `EC`, `OKP`) become
    /// verification keys, `oct` keys HMAC keys (with the checks of
    /// [`Key::hmac`]). Private JWK members (`d`, `p`, ...) and duplicate members
    /// are refused.
    pub fn from_jwk(jwk_json: &str) -> Result<Key, KeyError> {
        let bad = |why: &str| KeyError::InvalidJwk(why.to_owned());
        let value = super::json::parse_value(jwk_json.as_bytes())
            .map_err(|_| bad("not a JSON object without duplicate members"))?;
        let object = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        if PRIVATE_JWK_MEMBERS.iter().any(|m| object.contains_key(*m)) {
            return Err(bad("private JWK members are not accepted"));
        }
        let jwk: Jwk = serde_json::from_value(value)
            .map_err(|_| bad("members have the wrong JSON types for a JWK"))?;
        let kid = jwk.common.key_id.ok_or_else(|| bad("`kid` is required"))?;
        let alg = jwk
            .common
            .key_algorithm
            .ok_or_else(|| bad("`alg` is required"))?;
        let alg =
            Algorithm::try_from(alg).map_err(|_| bad("`alg` is not a supported algorithm"))?;
        if jwk
            .common
            .public_key_use
            .is_some_and(|u| u != PublicKeyUse::Signature)
        {
            return Err(bad("`use` must be `sig`"));
        }
        let bytes = |name: &str, text: &str| {
            compact::decode(text)
                .map_err(|_| KeyError::InvalidJwk(format!("`{name}` is not base64url")))
        };
        let params = match (jwk.algorithm, alg.family()) {
            (AlgorithmParameters::OctetKey(oct), AlgorithmFamily::Hmac) => {
                return Key::hmac(kid, alg, &bytes("k", &oct.value)?);
            }
            (AlgorithmParameters::RSA(rsa), AlgorithmFamily::Rsa) => {
                rsa_parameters(&RsaComponents {
                    n: strip_zeros(&bytes("n", &rsa.n)?),
                    e: strip_zeros(&bytes("e", &rsa.e)?),
                })?
            }
            (AlgorithmParameters::EllipticCurve(ec), AlgorithmFamily::Ec) => {
                if ec.curve != required_curve(alg).jwk {
                    return Err(KeyError::UnsupportedCurve { alg });
                }
                ec_parameters(alg, &bytes("x", &ec.x)?, &bytes("y", &ec.y)?)?
            }
            (AlgorithmParameters::OctetKeyPair(okp), AlgorithmFamily::Ed) => {
                if okp.curve != EllipticCurve::Ed25519 {
                    return Err(bad("only the Ed25519 curve is supported"));
                }
                ed25519_parameters(&bytes("x", &okp.x)?)
                    .map_err(|_| bad("Ed25519 `x` must be 32 bytes"))?
            }
            (AlgorithmParameters::Other(_), _) => {
                return Err(bad("unsupported `kty` or `crv`, or key parameters missing"));
            }
            _ => return Err(bad("`kty` does not match `alg`")),
        };
        Key::build(kid, alg, Material::public(params, None)?)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key signs and verifies with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Whether the key can sign (an HMAC key or a private key).
    pub fn can_sign(&self) -> bool {
        match &self.material {
            Material::Hmac(_) => true,
            Material::Public { signer, .. } => signer.is_some(),
        }
    }

    /// The public JWK (`kty`, key parameters, `kid`, `alg`, `use: "sig"`), or
    /// `None` for an HMAC key, whose secret is never exported.
    pub fn public_jwk(&self) -> Option<Value> {
        // Cannot fail: a JWK serializes to a string-keyed map.
        serde_json::to_value(self.jwk()?).ok()
    }

    /// The public JWK as `jsonwebtoken`'s type.
    fn jwk(&self) -> Option<Jwk> {
        let Material::Public { params, .. } = &self.material else {
            return None;
        };
        Some(Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(self.alg.into()),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: params.clone(),
        })
    }

    pub(crate) fn issued_header(&self) -> &str {
        &self.issued_header
    }

    /// Verifies a decoded signature over `message` with this key's one algorithm.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(key) => key.verify(message, signature),
            Material::Public { verifying, .. } => {
                backend::verify_public(self.alg, verifying, message, signature)
            }
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TokenError> {
        match &self.material {
            Material::Hmac(key) => Ok(key.sign(message)),
            Material::Public {
                signer: Some(signer),
                ..
            } => signer.sign(message).ok_or(TokenError::Signing),
            Material::Public { signer: None, .. } => Err(TokenError::Signing),
        }
    }
}

/// The signing key and every key that verifies: the current key plus the
/// previous ones during a rotation.
///
/// ```
/// use auth_core::token::{Algorithm, Key, KeySet};
///
/// let old = Key::hmac("2024-01", Algorithm::HS256, b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG")?;
/// let new = Key::hmac("2024-02", Algorithm::HS256, b"Xv3nQ8pL2wZr7Tb0Mc5Ky9Jd4Hs6Fg1A")?;
/// let keys = KeySet::new(new)?.with_verification_key(old)?;
/// assert_eq!(keys.signing_key().kid(), "2024-02");
/// assert!(keys.get("2024-01").is_some());
/// assert_eq!(keys.jwks()["keys"].as_array().map(Vec::len), Some(0)); // HMAC: nothing to publish
/// # Ok::<(), auth_core::token::KeyError>(())
/// ```
#[derive(Debug)]
pub struct KeySet {
    signing_kid: String,
    /// Insertion order, for a stable JWKS.
    keys: Vec<Arc<Key>>,
    by_kid: HashMap<String, Arc<Key>>,
}

impl KeySet {
    /// A set whose signing key is `signing` (which must be able to sign); it also verifies.
    pub fn new(signing: Key) -> Result<KeySet, KeyError> {
        if !signing.can_sign() {
            return Err(KeyError::NotASigningKey(signing.kid));
        }
        let signing = Arc::new(signing);
        Ok(KeySet {
            signing_kid: signing.kid.clone(),
            by_kid: HashMap::from([(signing.kid.clone(), Arc::clone(&signing))]),
            keys: vec![signing],
        })
    }

    /// Adds a key that only verifies (for example the previous signing key, or
    /// its public half). Key ids must be unique.
    pub fn with_verification_key(mut self, key: Key) -> Result<KeySet, KeyError> {
        if self.by_kid.contains_key(&key.kid) {
            return Err(KeyError::DuplicateKid(key.kid));
        }
        let key = Arc::new(key);
        self.by_kid.insert(key.kid.clone(), Arc::clone(&key));
        self.keys.push(key);
        Ok(self)
    }

    /// The key new tokens are signed with.
    pub fn signing_key(&self) -> &Key {
        // `new` inserted it and keys are never removed.
        &self.keys[0]
    }

    /// The key with exactly this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.by_kid.get(kid).map(|key| &**key)
    }

    /// All keys, the signing key first.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter().map(|key| &**key)
    }

    /// The JWK Set (RFC 7517) of the public keys, for `/.well-known/jwks.json`:
    /// `{"keys":[{"kty":..,"kid":..,"alg":..,"use":"sig",..}]}`. HMAC keys are
    /// never included, so a set of HMAC keys publishes `{"keys":[]}`.
    pub fn jwks(&self) -> Value {
        // Cannot fail: a JWK set serializes to string-keyed maps only.
        serde_json::to_value(self.jwk_set()).unwrap_or_else(|_| serde_json::json!({ "keys": [] }))
    }

    /// The JWK Set of [`KeySet::jwks`] as `jsonwebtoken`'s type.
    pub fn jwk_set(&self) -> JwkSet {
        JwkSet {
            keys: self.keys().filter_map(Key::jwk).collect(),
        }
    }

    /// The key a token's `kid` selects: an exact lookup; without a `kid` only
    /// when the set holds exactly one key.
    pub(crate) fn select(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match kid {
            Some(kid) => self.get(kid).ok_or(TokenError::UnknownKid),
            None if self.keys.len() == 1 => Ok(self.signing_key()),
            None => Err(TokenError::UnknownKid),
        }
    }

    pub(crate) fn signing_kid(&self) -> &str {
        &self.signing_kid
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// At least 2048 bits; an odd exponent of at least 3 that fits in 64 bits.
fn check_rsa(n: &[u8], e: &[u8]) -> Result<(), KeyError> {
    let bits = match n.first() {
        Some(top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    };
    if bits < 2048 {
        return Err(KeyError::RsaKeyTooSmall { bits });
    }
    if e.is_empty() || e.len() > 8 {
        return Err(KeyError::RsaBadExponent);
    }
    let exponent = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if exponent < 3 || exponent % 2 == 0 {
        return Err(KeyError::RsaBadExponent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use super::*;

    #[test]
    fn weak_secret_detection() {
        assert!(is_weak_secret(b"supersecretsupersecretsupersecret"));
        assert!(is_weak_secret(b"SECRETSECRETSECRETSECRETSECRETSECRET"));
        assert!(is_weak_secret(&[b'a'; 64]));
        assert!(is_weak_secret(b"abababababababababababababababab"));
        assert!(!is_weak_secret(b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG"));
    }

    #[test]
    fn issued_header_names_the_algorithm_as_jose_spells_it() {
        let secret = b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaGk8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG";
        for (alg, name) in [
            (Algorithm::HS256, "HS256"),
            (Algorithm::HS384, "HS384"),
            (Algorithm::HS512, "HS512"),
        ] {
            let key = Key::hmac("k", alg, secret).unwrap();
            let header = compact::decode(key.issued_header()).unwrap();
            let header: Value = serde_json::from_slice(&header).unwrap();
            assert_eq!(header["alg"], name);
            assert_eq!(Algorithm::from_str(name).ok(), Some(alg));
        }
    }
}
