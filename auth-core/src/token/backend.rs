//! The crypto backend chosen by the crate feature `aws-lc-rs` (default) or
//! `rust-crypto`; with both on, `aws-lc-rs`.
//!
//! Every call names the selected `jsonwebtoken` provider ([`provider`]) rather
//! than relying on `jsonwebtoken`'s process-wide default, which is unset when
//! both of its backends are compiled in.
//!
//! `jsonwebtoken`'s factories return `Box<dyn JwtSigner>` / `Box<dyn
//! JwtVerifier>`, which are neither `Send` nor `Sync`, so a shared
//! [`TokenService`](super::TokenService) cannot keep them. Instead:
//! - HMAC keys are set up once with the backend's own keyed HMAC.
//! - Public-key verification asks the selected provider's `verifier_factory`
//!   for a verifier per call, from a `DecodingKey` parsed once (the verifier is a
//!   cheap wrapper; the signature check dominates).
//! - With `aws-lc-rs`, private keys are parsed once into AWS-LC key pairs
//!   (`jsonwebtoken` re-parses an RSA key on every signature). With
//!   `rust-crypto`, signing goes through the provider's `signer_factory`.

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey};

#[cfg(feature = "aws-lc-rs")]
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

/// The `jsonwebtoken` provider of the selected backend.
pub(crate) fn provider() -> &'static CryptoProvider {
    &DEFAULT_PROVIDER
}

/// Verifies `signature` over `message` with a public key.
pub(crate) fn verify_public(
    alg: Algorithm,
    key: &DecodingKey,
    message: &[u8],
    signature: &[u8],
) -> bool {
    match (provider().verifier_factory)(&alg, key) {
        Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
        Err(_) => false,
    }
}

#[cfg(feature = "aws-lc-rs")]
mod imp {
    use aws_lc_rs::hmac;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
    use jsonwebtoken::{Algorithm, EncodingKey};

    /// An HMAC key set up once.
    pub(crate) struct HmacKey(hmac::Key);

    impl HmacKey {
        pub(crate) fn new(alg: Algorithm, secret: &[u8]) -> Option<Self> {
            let algorithm = match alg {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            Some(Self(hmac::Key::new(algorithm, secret)))
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
            hmac::sign(&self.0, message).as_ref().to_vec()
        }

        /// Constant-time comparison.
        pub(crate) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
            hmac::verify(&self.0, message, tag).is_ok()
        }
    }

    /// A private key parsed once.
    pub(crate) enum PrivateSigner {
        Rsa(RsaKeyPair, &'static dyn sig::RsaEncoding),
        Ecdsa(EcdsaKeyPair),
        Ed25519(Ed25519KeyPair),
    }

    impl PrivateSigner {
        /// `key` is what `EncodingKey::from_*_pem` produced: PKCS#1 DER for RSA,
        /// PKCS#8 DER for EC and Ed25519.
        pub(crate) fn new(alg: Algorithm, key: &EncodingKey) -> Result<Self, String> {
            let der = key.as_bytes();
            let err = |e: aws_lc_rs::error::KeyRejected| e.to_string();
            Ok(match alg {
                Algorithm::RS256 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PKCS1_SHA256,
                ),
                Algorithm::RS384 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PKCS1_SHA384,
                ),
                Algorithm::RS512 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PKCS1_SHA512,
                ),
                Algorithm::PS256 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PSS_SHA256,
                ),
                Algorithm::PS384 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PSS_SHA384,
                ),
                Algorithm::PS512 => Self::Rsa(
                    RsaKeyPair::from_der(der).map_err(err)?,
                    &sig::RSA_PSS_SHA512,
                ),
                Algorithm::ES256 => Self::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                        .map_err(err)?,
                ),
                Algorithm::ES384 => Self::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, der)
                        .map_err(err)?,
                ),
                Algorithm::EdDSA => Self::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(err)?),
                _ => return Err("not a public-key algorithm".to_owned()),
            })
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
            match self {
                Self::Rsa(pair, encoding) => {
                    let mut signature = vec![0; pair.public_modulus_len()];
                    pair.sign(*encoding, &SystemRandom::new(), message, &mut signature)
                        .ok()?;
                    Some(signature)
                }
                Self::Ecdsa(pair) => pair
                    .sign(&SystemRandom::new(), message)
                    .ok()
                    .map(|s| s.as_ref().to_vec()),
                Self::Ed25519(pair) => Some(pair.sign(message).as_ref().to_vec()),
            }
        }
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod imp {
    use hmac::{Hmac, KeyInit as _, Mac as _};
    use jsonwebtoken::{Algorithm, EncodingKey};
    use sha2::{Sha256, Sha384, Sha512};

    /// An HMAC key set up once; each use clones the keyed state.
    pub(crate) enum HmacKey {
        Sha256(Hmac<Sha256>),
        Sha384(Hmac<Sha384>),
        Sha512(Hmac<Sha512>),
    }

    macro_rules! with_mac {
        ($key:expr, $mac:ident => $body:expr) => {
            match $key {
                HmacKey::Sha256(m) => {
                    let mut $mac = m.clone();
                    $body
                }
                HmacKey::Sha384(m) => {
                    let mut $mac = m.clone();
                    $body
                }
                HmacKey::Sha512(m) => {
                    let mut $mac = m.clone();
                    $body
                }
            }
        };
    }

    impl HmacKey {
        pub(crate) fn new(alg: Algorithm, secret: &[u8]) -> Option<Self> {
            // HMAC accepts keys of any length; `None` is not expected.
            Some(match alg {
                Algorithm::HS384 => Self::Sha384(Hmac::new_from_slice(secret).ok()?),
                Algorithm::HS512 => Self::Sha512(Hmac::new_from_slice(secret).ok()?),
                _ => Self::Sha256(Hmac::new_from_slice(secret).ok()?),
            })
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
            with_mac!(self, mac => { mac.update(message); mac.finalize().into_bytes().to_vec() })
        }

        /// Constant-time comparison.
        pub(crate) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
            with_mac!(self, mac => { mac.update(message); mac.verify_slice(tag).is_ok() })
        }
    }

    /// A private key; signing goes through the provider's `signer_factory`.
    pub(crate) struct PrivateSigner {
        alg: Algorithm,
        key: EncodingKey,
    }

    impl PrivateSigner {
        pub(crate) fn new(alg: Algorithm, key: &EncodingKey) -> Result<Self, String> {
            (super::provider().signer_factory)(&alg, key).map_err(|e| e.to_string())?;
            Ok(Self {
                alg,
                key: key.clone(),
            })
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
            let signer = (super::provider().signer_factory)(&self.alg, &self.key).ok()?;
            signer.try_sign(message).ok()
        }
    }
}

pub(crate) use imp::{HmacKey, PrivateSigner};
