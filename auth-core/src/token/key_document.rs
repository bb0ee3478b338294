//! Key documents: the PEM files (RFC 7468) that carry PKCS#8 and PKCS#1 private
//! keys and SPKI and PKCS#1 public keys, read strictly through the RustCrypto
//! crates.
//!
//! `pem-rfc7468` refuses text after the end line, an end label that differs from
//! the begin label, and encapsulated headers (encrypted legacy PEM); `der`
//! refuses non-minimal and indefinite lengths and bytes after a structure;
//! `pkcs8`, `spki` and `pkcs1` check the structures. What is left here is
//! choosing the structure by label and the key type by algorithm identifier.
//!
//! ```
//! use auth_core::token::{Algorithm, Key, KeyError};
//!
//! let pem = "-----BEGIN PUBLIC KEY-----\n\
//!            MCowBQYDK2VwAyEA2stu8TIn/LPcYlLY9LrLpxyLZuZB6yQL+GQHZuPYvOM=\n\
//!            -----END PUBLIC KEY-----\n";
//! assert!(Key::public_pem("ed", Algorithm::EdDSA, pem.as_bytes()).is_ok());
//!
//! let trailing = format!("{pem}and then some");
//! assert!(matches!(
//!     Key::public_pem("ed", Algorithm::EdDSA, trailing.as_bytes()),
//!     Err(KeyError::InvalidKey(_))
//! ));
//! ```

use der::Decode as _;
use pkcs1::{RsaPrivateKey, RsaPublicKey, UintRef};
use pkcs8::PrivateKeyInfoRef;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::KeyError;

/// `rsaEncryption` (RFC 8017).
const RSA_ENCRYPTION: ObjectIdentifier = pkcs1::ALGORITHM_OID;
/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `id-Ed25519` (RFC 8410).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `secp256r1`, the NIST P-256 curve (RFC 5480).
pub(super) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1`, the NIST P-384 curve (RFC 5480).
pub(super) const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// PEM label of a PKCS#8 private key.
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// PEM label of a PKCS#1 RSA private key.
const PKCS1_PRIVATE_LABEL: &str = "RSA PRIVATE KEY";
/// PEM label of an SPKI public key.
const SPKI_LABEL: &str = "PUBLIC KEY";
/// PEM label of a PKCS#1 RSA public key.
const PKCS1_PUBLIC_LABEL: &str = "RSA PUBLIC KEY";

/// The public part of an RSA key: big-endian `n` and `e` without leading zeros.
pub(super) struct RsaComponents {
    pub(super) n: Vec<u8>,
    pub(super) e: Vec<u8>,
}

impl From<RsaPublicKey<UintRef<'_>>> for RsaComponents {
    fn from(key: RsaPublicKey<UintRef<'_>>) -> Self {
        // `UintRef` has already dropped the sign byte and any leading zeros.
        RsaComponents {
            n: key.modulus.as_bytes().to_vec(),
            e: key.public_exponent.as_bytes().to_vec(),
        }
    }
}

/// A private key document, by key type.
pub(super) enum PrivateKey {
    /// An RSA key: its PKCS#1 `RSAPrivateKey` DER (unwrapped from PKCS#8 when
    /// needed) and its public part.
    Rsa {
        pkcs1: Vec<u8>,
        public: RsaComponents,
    },
    /// An EC key: its PKCS#8 DER and the OID of its named curve, if it names one.
    Ec {
        pkcs8: Vec<u8>,
        curve: Option<ObjectIdentifier>,
    },
    /// An Ed25519 key: its PKCS#8 DER.
    Ed25519 { pkcs8: Vec<u8> },
    /// A well-formed key of a type this crate does not sign with (RSA-PSS
    /// parameters, Ed448, X25519, ...).
    Unsupported,
}

/// A public key document, by key type.
pub(super) enum PublicKey {
    /// An RSA key.
    Rsa(RsaComponents),
    /// An EC key: the OID of its named curve, if it names one, and its encoded
    /// point (SEC1 section 2.3.3).
    Ec {
        curve: Option<ObjectIdentifier>,
        point: Vec<u8>,
    },
    /// An Ed25519 key: its 32-byte encoding (RFC 8032).
    Ed25519 { x: Vec<u8> },
    /// A well-formed key of a type this crate does not verify with.
    Unsupported,
}

/// Reads a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM document.
pub(super) fn private_key(pem: &[u8]) -> Result<PrivateKey, KeyError> {
    let (label, der) = decode_pem(pem)?;
    match label.as_str() {
        PKCS1_PRIVATE_LABEL => {
            let public = rsa_private_components(&der)?;
            Ok(PrivateKey::Rsa { pkcs1: der, public })
        }
        PKCS8_LABEL => {
            let info = PrivateKeyInfoRef::from_der(&der).map_err(malformed("PKCS#8 key"))?;
            let oid = info.algorithm.oid;
            if oid == RSA_ENCRYPTION {
                let pkcs1 = info.private_key.as_bytes();
                let public = rsa_private_components(pkcs1)?;
                Ok(PrivateKey::Rsa {
                    pkcs1: pkcs1.to_vec(),
                    public,
                })
            } else if oid == EC_PUBLIC_KEY {
                let curve = info.algorithm.parameters_oid().ok();
                Ok(PrivateKey::Ec { pkcs8: der, curve })
            } else if oid == ED25519 {
                Ok(PrivateKey::Ed25519 { pkcs8: der })
            } else {
                Ok(PrivateKey::Unsupported)
            }
        }
        other => Err(wrong_label(
            other,
            "a private key",
            PKCS8_LABEL,
            PKCS1_PRIVATE_LABEL,
        )),
    }
}

/// Reads an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM document.
pub(super) fn public_key(pem: &[u8]) -> Result<PublicKey, KeyError> {
    let (label, der) = decode_pem(pem)?;
    match label.as_str() {
        PKCS1_PUBLIC_LABEL => Ok(PublicKey::Rsa(rsa_public_components(&der)?)),
        SPKI_LABEL => {
            let info = SubjectPublicKeyInfoRef::from_der(&der).map_err(malformed("SPKI key"))?;
            let key = info.subject_public_key.as_bytes().ok_or_else(|| {
                KeyError::InvalidKey("the SPKI public key is not a whole number of bytes".into())
            })?;
            let oid = info.algorithm.oid;
            if oid == RSA_ENCRYPTION {
                Ok(PublicKey::Rsa(rsa_public_components(key)?))
            } else if oid == EC_PUBLIC_KEY {
                let curve = info.algorithm.parameters_oid().ok();
                Ok(PublicKey::Ec {
                    curve,
                    point: key.to_vec(),
                })
            } else if oid == ED25519 {
                Ok(PublicKey::Ed25519 { x: key.to_vec() })
            } else {
                Ok(PublicKey::Unsupported)
            }
        }
        other => Err(wrong_label(
            other,
            "a public key",
            SPKI_LABEL,
            PKCS1_PUBLIC_LABEL,
        )),
    }
}

/// The label and DER body of a document holding exactly one PEM block.
fn decode_pem(pem: &[u8]) -> Result<(String, Vec<u8>), KeyError> {
    let not_pem = |e: pem_rfc7468::Error| KeyError::InvalidKey(format!("not a PEM document: {e}"));
    // Line width as found, not only the 64 of RFC 7468: some tools wrap at 76.
    let mut decoder = pem_rfc7468::Decoder::new_detect_wrap(pem).map_err(not_pem)?;
    let label = decoder.type_label().to_owned();
    let mut der = Vec::new();
    decoder.decode_to_end(&mut der).map_err(not_pem)?;
    Ok((label, der))
}

fn rsa_private_components(pkcs1: &[u8]) -> Result<RsaComponents, KeyError> {
    let key =
        RsaPrivateKey::<UintRef<'_>>::from_der(pkcs1).map_err(malformed("RSA private key"))?;
    Ok(key.public_key().into())
}

fn rsa_public_components(pkcs1: &[u8]) -> Result<RsaComponents, KeyError> {
    let key = RsaPublicKey::<UintRef<'_>>::from_der(pkcs1).map_err(malformed("RSA public key"))?;
    Ok(key.into())
}

fn malformed(what: &'static str) -> impl Fn(der::Error) -> KeyError {
    move |e| KeyError::InvalidKey(format!("malformed {what}: {e}"))
}

fn wrong_label(found: &str, kind: &str, one: &str, other: &str) -> KeyError {
    KeyError::InvalidKey(format!(
        "a PEM `{found}` block is not {kind}; expected `{one}` or `{other}`"
    ))
}
