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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::EllipticCurve;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

use super::backend::{self, HmacKey, PrivateSigner};
use super::compact;
use super::{KeyError, TokenError};

/// The name of `alg` as it appears in a JOSE header.
pub fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::EdDSA => "EdDSA",
        _ => "unsupported",
    }
}

/// The algorithm named exactly (case-sensitively) `name`, if supported.
fn algorithm_from_name(name: &str) -> Option<Algorithm> {
    const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::EdDSA,
    ];
    ALL.into_iter().find(|alg| algorithm_name(*alg) == name)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
    Unsupported,
}

fn family(alg: Algorithm) -> Family {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
        Algorithm::ES256 | Algorithm::ES384 => Family::Ec,
        Algorithm::EdDSA => Family::Ed,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => Family::Rsa,
        Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512 => Family::Rsa,
        _ => Family::Unsupported,
    }
}

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

/// Public parameters of an asymmetric key, as JWK members.
#[derive(Clone)]
enum PublicParams {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: &'static str,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
}

impl PublicParams {
    fn decoding_key(&self) -> DecodingKey {
        match self {
            Self::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
            Self::Ec { x, y, .. } => {
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                DecodingKey::from_ec_der(&point)
            }
            Self::Ed25519 { x } => DecodingKey::from_ed_der(x),
        }
    }

    fn jwk_members(&self, object: &mut Map<String, Value>) {
        let mut put = |name: &str, value: String| {
            object.insert(name.to_owned(), Value::String(value));
        };
        match self {
            Self::Rsa { n, e } => {
                put("kty", "RSA".into());
                put("n", compact::encode(n));
                put("e", compact::encode(e));
            }
            Self::Ec { curve, x, y } => {
                put("kty", "EC".into());
                put("crv", (*curve).into());
                put("x", compact::encode(x));
                put("y", compact::encode(y));
            }
            Self::Ed25519 { x } => {
                put("kty", "OKP".into());
                put("crv", "Ed25519".into());
                put("x", compact::encode(x));
            }
        }
    }
}

enum Material {
    Hmac(Box<HmacKey>),
    Public {
        params: PublicParams,
        verifying: DecodingKey,
        signer: Option<Box<PrivateSigner>>,
    },
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
            alg: &'a str,
            typ: &'a str,
            kid: &'a str,
        }
        let header = IssuedHeader {
            alg: algorithm_name(alg),
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
    pub fn private_pem(
        kid: impl Into<String>,
        alg: Algorithm,
        pem: &[u8],
    ) -> Result<Key, KeyError> {
        let kind = "a private key";
        let (label, der) = pem_decode(pem)?;
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::InvalidKey(e.to_string());
        let utils = &backend::provider().key_utils;
        let (encoding, params) = match family(alg) {
            Family::Hmac | Family::Unsupported => {
                return Err(KeyError::AlgorithmKeyMismatch { alg, kind });
            }
            Family::Rsa => {
                expect_algorithm(
                    &label,
                    &der,
                    &["PRIVATE KEY", "RSA PRIVATE KEY"],
                    OID_RSA,
                    alg,
                    kind,
                )?;
                let encoding = EncodingKey::from_rsa_pem(pem).map_err(invalid)?;
                let (n, e) = rsa_components(encoding.as_bytes(), true)?;
                (encoding, PublicParams::Rsa { n, e })
            }
            Family::Ec => {
                expect_algorithm(&label, &der, &["PRIVATE KEY"], OID_EC, alg, kind)?;
                expect_curve(&der, alg)?;
                let encoding = EncodingKey::from_ec_pem(pem).map_err(invalid)?;
                let (curve, x, y) =
                    (utils.ec_pub_components_from_private_key)(encoding.as_bytes(), alg)
                        .map_err(invalid)?;
                let curve = match curve {
                    EllipticCurve::P256 if alg == Algorithm::ES256 => "P-256",
                    EllipticCurve::P384 if alg == Algorithm::ES384 => "P-384",
                    _ => return Err(KeyError::UnsupportedCurve { alg }),
                };
                (encoding, PublicParams::Ec { curve, x, y })
            }
            Family::Ed => {
                expect_algorithm(&label, &der, &["PRIVATE KEY"], OID_ED25519, alg, kind)?;
                let encoding = EncodingKey::from_ed_pem(pem).map_err(invalid)?;
                let x = (utils.ed_pub_components_from_private_key)(
                    encoding.as_bytes(),
                    &EllipticCurve::Ed25519,
                )
                .map_err(invalid)?;
                (encoding, PublicParams::Ed25519 { x })
            }
        };
        let signer = PrivateSigner::new(alg, &encoding).map_err(KeyError::InvalidKey)?;
        let verifying = params.decoding_key();
        // Proves the key pair is usable and consistent before the server starts.
        let probe = b"auth-core key self-test";
        let signature = signer
            .sign(probe)
            .ok_or(KeyError::InvalidKey("the key cannot sign".into()))?;
        if !backend::verify_public(alg, &verifying, probe, &signature) {
            return Err(KeyError::InvalidKey(
                "the public part does not verify the private part".into(),
            ));
        }
        Key::build(
            kid.into(),
            alg,
            Material::Public {
                params,
                verifying,
                signer: Some(Box::new(signer)),
            },
        )
    }

    /// A public key in PEM (`PUBLIC KEY`, or PKCS#1 `RSA PUBLIC KEY`), for
    /// verification only. Same algorithms and checks as [`Key::private_pem`].
    pub fn public_pem(kid: impl Into<String>, alg: Algorithm, pem: &[u8]) -> Result<Key, KeyError> {
        let kind = "a public key";
        let (label, der) = pem_decode(pem)?;
        let invalid = |e: jsonwebtoken::errors::Error| KeyError::InvalidKey(e.to_string());
        let params = match family(alg) {
            Family::Hmac | Family::Unsupported => {
                return Err(KeyError::AlgorithmKeyMismatch { alg, kind });
            }
            Family::Rsa => {
                expect_algorithm(
                    &label,
                    &der,
                    &["PUBLIC KEY", "RSA PUBLIC KEY"],
                    OID_RSA,
                    alg,
                    kind,
                )?;
                let decoding = DecodingKey::from_rsa_pem(pem).map_err(invalid)?;
                let der = decoding.try_get_as_bytes().map_err(invalid)?;
                let (n, e) = rsa_components(der, false)?;
                PublicParams::Rsa { n, e }
            }
            Family::Ec => {
                expect_algorithm(&label, &der, &["PUBLIC KEY"], OID_EC, alg, kind)?;
                expect_curve(&der, alg)?;
                let decoding = DecodingKey::from_ec_pem(pem).map_err(invalid)?;
                ec_point(decoding.try_get_as_bytes().map_err(invalid)?, alg)?
            }
            Family::Ed => {
                expect_algorithm(&label, &der, &["PUBLIC KEY"], OID_ED25519, alg, kind)?;
                let decoding = DecodingKey::from_ed_pem(pem).map_err(invalid)?;
                let x = decoding.try_get_as_bytes().map_err(invalid)?;
                if x.len() != 32 {
                    return Err(KeyError::InvalidKey(
                        "Ed25519 public key must be 32 bytes".into(),
                    ));
                }
                PublicParams::Ed25519 { x: x.to_vec() }
            }
        };
        let verifying = params.decoding_key();
        Key::build(
            kid.into(),
            alg,
            Material::Public {
                params,
                verifying,
                signer: None,
            },
        )
    }

    /// A key from one JWK (RFC 7517). `kid` and `alg` are required; `use`, when
    /// present, must be `sig`. Public keys (`RSA`, `EC`, `OKP`) become
    /// verification keys, `oct` keys HMAC keys (with the checks of
    /// [`Key::hmac`]). Private JWK members (`d`, `p`, ...) are refused.
    pub fn from_jwk(jwk_json: &str) -> Result<Key, KeyError> {
        let bad = |why: &str| KeyError::InvalidJwk(why.to_owned());
        let value = super::json::parse_value(jwk_json.as_bytes())
            .map_err(|_| bad("not a JSON object without duplicate members"))?;
        let jwk = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let text = |name: &str| -> Result<Option<&str>, KeyError> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(KeyError::InvalidJwk(format!("`{name}` must be a string"))),
            }
        };
        let required = |name: &str| {
            text(name)?.ok_or_else(|| KeyError::InvalidJwk(format!("`{name}` is required")))
        };
        let bytes = |name: &str| {
            compact::decode(required(name)?)
                .map_err(|_| KeyError::InvalidJwk(format!("`{name}` is not base64url")))
        };

        if ["d", "p", "q", "dp", "dq", "qi", "oth"]
            .iter()
            .any(|m| jwk.contains_key(*m))
        {
            return Err(bad("private JWK members are not accepted"));
        }
        let kid = required("kid")?.to_owned();
        let alg_name = required("alg")?;
        let alg = algorithm_from_name(alg_name)
            .ok_or_else(|| bad("`alg` is not a supported algorithm"))?;
        if text("use")?.is_some_and(|u| u != "sig") {
            return Err(bad("`use` must be `sig`"));
        }
        let kty = required("kty")?;
        let params = match (kty, family(alg)) {
            ("oct", Family::Hmac) => return Key::hmac(kid, alg, &bytes("k")?),
            ("RSA", Family::Rsa) => {
                let (n, e) = (strip_zeros(&bytes("n")?), strip_zeros(&bytes("e")?));
                check_rsa(&n, &e)?;
                PublicParams::Rsa { n, e }
            }
            ("EC", Family::Ec) => {
                let expected = if alg == Algorithm::ES256 {
                    "P-256"
                } else {
                    "P-384"
                };
                if required("crv")? != expected {
                    return Err(KeyError::UnsupportedCurve { alg });
                }
                let (x, y) = (bytes("x")?, bytes("y")?);
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                ec_point(&point, alg)?
            }
            ("OKP", Family::Ed) => {
                if required("crv")? != "Ed25519" {
                    return Err(bad("only the Ed25519 curve is supported"));
                }
                let x = bytes("x")?;
                if x.len() != 32 {
                    return Err(bad("Ed25519 `x` must be 32 bytes"));
                }
                PublicParams::Ed25519 { x }
            }
            _ => return Err(bad("`kty` does not match `alg`")),
        };
        let verifying = params.decoding_key();
        Key::build(
            kid,
            alg,
            Material::Public {
                params,
                verifying,
                signer: None,
            },
        )
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
        let Material::Public { params, .. } = &self.material else {
            return None;
        };
        let mut object = Map::new();
        params.jwk_members(&mut object);
        object.insert("kid".into(), Value::String(self.kid.clone()));
        object.insert("alg".into(), Value::String(algorithm_name(self.alg).into()));
        object.insert("use".into(), Value::String("sig".into()));
        Some(Value::Object(object))
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
        let keys: Vec<Value> = self.keys().filter_map(Key::public_jwk).collect();
        json!({ "keys": keys })
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

// --- PEM and the little DER needed to check key sizes and curves ---------------

const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];

/// The label and DER body of the first PEM block.
fn pem_decode(pem: &[u8]) -> Result<(String, Vec<u8>), KeyError> {
    let bad = || KeyError::InvalidKey("not a PEM document".into());
    let text = std::str::from_utf8(pem).map_err(|_| bad())?;
    let start = text.find("-----BEGIN ").ok_or_else(bad)?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----").ok_or_else(bad)?;
    let label = rest[..label_end].to_owned();
    let body_and_end = &rest[label_end + 5..];
    let end = body_and_end.find("-----END ").ok_or_else(bad)?;
    let body: String = body_and_end[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = STANDARD.decode(body).map_err(|_| bad())?;
    Ok((label, der))
}

/// One DER element: tag, contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let mut len = 0usize;
        for byte in input.get(2..2 + count)? {
            len = (len << 8) | usize::from(*byte);
        }
        (len, 2 + count)
    };
    let contents = input.get(header..header.checked_add(len)?)?;
    Some((tag, contents, &input[header + len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;

/// The algorithm OID and its parameter OID (the curve) of a PKCS#8 private key
/// or an SPKI public key.
fn algorithm_identifier(der: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (SEQUENCE, body, _) = der_element(der)? else {
        return None;
    };
    let (mut tag, mut contents, mut rest) = der_element(body)?;
    if tag == INTEGER {
        (tag, contents, rest) = der_element(rest)?;
    }
    let _ = rest;
    if tag != SEQUENCE {
        return None;
    }
    let (OID, alg, rest) = der_element(contents)? else {
        return None;
    };
    let param = match der_element(rest) {
        Some((OID, curve, _)) => Some(curve),
        _ => None,
    };
    Some((alg, param))
}

fn expect_algorithm(
    label: &str,
    der: &[u8],
    labels: &[&str],
    oid: &[u8],
    alg: Algorithm,
    kind: &'static str,
) -> Result<(), KeyError> {
    if !labels.contains(&label) {
        return Err(KeyError::AlgorithmKeyMismatch { alg, kind });
    }
    if label.starts_with("RSA ") {
        return Ok(()); // PKCS#1 carries no algorithm identifier.
    }
    match algorithm_identifier(der) {
        Some((found, _)) if found == oid => Ok(()),
        Some(_) => Err(KeyError::AlgorithmKeyMismatch { alg, kind }),
        None => Err(KeyError::InvalidKey("unreadable key structure".into())),
    }
}

fn expect_curve(der: &[u8], alg: Algorithm) -> Result<(), KeyError> {
    let expected = if alg == Algorithm::ES256 {
        OID_P256
    } else {
        OID_P384
    };
    match algorithm_identifier(der) {
        Some((_, Some(curve))) if curve == expected => Ok(()),
        _ => Err(KeyError::UnsupportedCurve { alg }),
    }
}

/// Splits an uncompressed EC point of the curve `alg` requires.
fn ec_point(point: &[u8], alg: Algorithm) -> Result<PublicParams, KeyError> {
    let (curve, coordinate) = if alg == Algorithm::ES256 {
        ("P-256", 32)
    } else {
        ("P-384", 48)
    };
    if point.len() != 1 + 2 * coordinate || point[0] != 0x04 {
        return Err(KeyError::UnsupportedCurve { alg });
    }
    let (x, y) = point[1..].split_at(coordinate);
    Ok(PublicParams::Ec {
        curve,
        x: x.to_vec(),
        y: y.to_vec(),
    })
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// `n` and `e` of a PKCS#1 `RSAPrivateKey` or `RSAPublicKey`, checked.
fn rsa_components(pkcs1: &[u8], private: bool) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let parse = || -> Option<(Vec<u8>, Vec<u8>)> {
        let (SEQUENCE, mut body, _) = der_element(pkcs1)? else {
            return None;
        };
        if private {
            let (INTEGER, _, rest) = der_element(body)? else {
                return None;
            };
            body = rest;
        }
        let (INTEGER, n, rest) = der_element(body)? else {
            return None;
        };
        let (INTEGER, e, _) = der_element(rest)? else {
            return None;
        };
        Some((strip_zeros(n), strip_zeros(e)))
    };
    let (n, e) = parse().ok_or_else(|| KeyError::InvalidKey("unreadable RSA key".into()))?;
    check_rsa(&n, &e)?;
    Ok((n, e))
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
    fn algorithm_names_round_trip() {
        for name in ["HS256", "RS256", "PS256", "ES256", "EdDSA"] {
            assert_eq!(algorithm_from_name(name).map(algorithm_name), Some(name));
        }
        for name in ["none", "None", "hs256", "RS1", "ES512"] {
            assert_eq!(algorithm_from_name(name), None);
        }
    }
}
