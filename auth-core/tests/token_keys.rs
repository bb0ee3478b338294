//! Keys: weak keys are refused at configuration time (rule 7), every supported
//! algorithm round-trips, rotation, and the JWKS export.
#![allow(clippy::unwrap_used)]

mod fixtures;

use auth_core::token::{Algorithm, Key, KeyError, KeySet, TokenError, TokenService};
use fixtures::*;

fn round_trip(signing: Key) {
    let alg = signing.algorithm();
    let tokens = service(KeySet::new(signing).unwrap(), config());
    let issued = tokens.issue_at(&context(), NOW).unwrap();
    let claims = tokens.verify_at(&issued.token, NOW).unwrap();
    assert_eq!(claims.context(), context(), "{alg:?}");
    let mut tampered = issued.token.clone();
    let flip = tampered
        .pop()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .unwrap();
    tampered.push(flip);
    assert!(tokens.verify_at(&tampered, NOW).is_err(), "{alg:?}");
}

#[test]
fn every_supported_algorithm_issues_and_verifies() {
    round_trip(hs256_key());
    round_trip(
        Key::hmac(
            "k",
            Algorithm::HS384,
            &[HMAC_SECRET, &HMAC_SECRET[..16]].concat(),
        )
        .unwrap(),
    );
    round_trip(Key::hmac("k", Algorithm::HS512, &[HMAC_SECRET, HMAC_SECRET].concat()).unwrap());
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::RS512] {
        round_trip(Key::private_pem("k", alg, &key_file("rsa2048.pem")).unwrap());
    }
    round_trip(Key::private_pem("k", Algorithm::ES256, &key_file("ec-p256.pem")).unwrap());
    round_trip(Key::private_pem("k", Algorithm::ES384, &key_file("ec-p384.pem")).unwrap());
    round_trip(Key::private_pem("k", Algorithm::EdDSA, &key_file("ed25519.pem")).unwrap());
}

#[test]
fn short_hmac_secret_is_refused() {
    assert_eq!(
        Key::hmac("k", Algorithm::HS256, &HMAC_SECRET[..31]).err(),
        Some(KeyError::SecretTooShort {
            alg: Algorithm::HS256,
            min_len: 32
        })
    );
    assert!(matches!(
        Key::hmac("k", Algorithm::HS512, HMAC_SECRET),
        Err(KeyError::SecretTooShort { .. })
    ));
}

#[test]
fn well_known_weak_secrets_are_refused() {
    for weak in ["secret", "supersecret", "changeme", "your-256-bit-secret"] {
        assert!(
            Key::hmac("k", Algorithm::HS256, weak.as_bytes()).is_err(),
            "{weak}"
        );
        let repeated = weak.repeat(64 / weak.len() + 1);
        assert_eq!(
            Key::hmac("k", Algorithm::HS256, repeated.as_bytes()).err(),
            Some(KeyError::WeakSecret),
            "{weak}"
        );
    }
}

#[test]
fn repeated_single_character_secret_is_refused() {
    assert_eq!(
        Key::hmac("k", Algorithm::HS256, &[b'a'; 32]).err(),
        Some(KeyError::WeakSecret)
    );
    assert_eq!(
        Key::hmac("k", Algorithm::HS256, &[0u8; 64]).err(),
        Some(KeyError::WeakSecret)
    );
}

#[test]
fn rsa_1024_key_is_refused() {
    let private = Key::private_pem("k", Algorithm::RS256, &key_file("rsa1024.pem"));
    assert_eq!(private.err(), Some(KeyError::RsaKeyTooSmall { bits: 1024 }));
    let public = Key::public_pem("k", Algorithm::RS256, &key_file("rsa1024.pub.pem"));
    assert_eq!(public.err(), Some(KeyError::RsaKeyTooSmall { bits: 1024 }));
}

#[test]
fn rsa_exponent_one_is_refused() {
    let jwks = rs256_service().jwks();
    let n = jwks["keys"][0]["n"].as_str().unwrap();
    let jwk = serde_json::json!({"kty": "RSA", "kid": "k", "alg": "RS256", "n": n, "e": "AQ"});
    assert_eq!(
        Key::from_jwk(&jwk.to_string()).err(),
        Some(KeyError::RsaBadExponent)
    );
}

#[test]
fn unsupported_ec_curves_are_refused() {
    for file in ["ec-p521.pem", "ec-secp256k1.pem"] {
        for alg in [Algorithm::ES256, Algorithm::ES384] {
            assert_eq!(
                Key::private_pem("k", alg, &key_file(file)).err(),
                Some(KeyError::UnsupportedCurve { alg }),
                "{file}"
            );
        }
    }
    for file in ["ec-p521.pub.pem", "ec-secp256k1.pub.pem"] {
        let result = Key::public_pem("k", Algorithm::ES256, &key_file(file));
        assert_eq!(
            result.err(),
            Some(KeyError::UnsupportedCurve {
                alg: Algorithm::ES256
            }),
            "{file}"
        );
    }
}

#[test]
fn ec_key_of_the_other_supported_curve_is_refused() {
    let result = Key::private_pem("k", Algorithm::ES256, &key_file("ec-p384.pem"));
    assert_eq!(
        result.err(),
        Some(KeyError::UnsupportedCurve {
            alg: Algorithm::ES256
        })
    );
}

#[test]
fn hmac_algorithm_with_a_pem_key_is_refused() {
    assert!(matches!(
        Key::public_pem("k", Algorithm::HS256, &key_file("rsa2048.pub.pem")),
        Err(KeyError::AlgorithmKeyMismatch { .. })
    ));
    assert!(matches!(
        Key::private_pem("k", Algorithm::ES256, &key_file("rsa2048.pem")),
        Err(KeyError::AlgorithmKeyMismatch { .. })
    ));
}

#[test]
fn public_key_cannot_be_the_signing_key() {
    let public = Key::public_pem("k", Algorithm::RS256, &key_file("rsa2048.pub.pem")).unwrap();
    assert_eq!(
        KeySet::new(public).err(),
        Some(KeyError::NotASigningKey("k".into()))
    );
}

#[test]
fn duplicate_kids_are_refused() {
    let again = Key::public_pem(HS_KID, Algorithm::RS256, &key_file("rsa2048.pub.pem")).unwrap();
    let result = KeySet::new(hs256_key())
        .unwrap()
        .with_verification_key(again);
    assert_eq!(result.err(), Some(KeyError::DuplicateKid(HS_KID.into())));
}

#[test]
fn rotation_keeps_old_tokens_valid_and_signs_with_the_new_key() {
    let old_tokens = rs256_service();
    let old_token = old_tokens.issue_at(&context(), NOW).unwrap().token;

    let new_key =
        Key::private_pem("rs-2", Algorithm::RS256, &key_file("rsa2048-next.pem")).unwrap();
    let old_public =
        Key::public_pem(RS_KID, Algorithm::RS256, &key_file("rsa2048.pub.pem")).unwrap();
    let rotated = service(
        KeySet::new(new_key)
            .unwrap()
            .with_verification_key(old_public)
            .unwrap(),
        config(),
    );

    assert!(rotated.verify_at(&old_token, NOW).is_ok());
    let new_token = rotated.issue_at(&context(), NOW).unwrap().token;
    let header = jsonwebtoken::decode_header(&new_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some("rs-2"));
    assert!(rotated.verify_at(&new_token, NOW).is_ok());
    assert_eq!(
        old_tokens.verify_at(&new_token, NOW).err(),
        Some(TokenError::UnknownKid)
    );
}

#[test]
fn jwks_has_public_keys_only_and_round_trips() {
    let signing = Key::private_pem("es", Algorithm::ES256, &key_file("ec-p256.pem")).unwrap();
    let keys = KeySet::new(signing)
        .unwrap()
        .with_verification_key(rs256_key())
        .unwrap()
        .with_verification_key(
            Key::private_pem("ed", Algorithm::EdDSA, &key_file("ed25519.pem")).unwrap(),
        )
        .unwrap()
        .with_verification_key(Key::hmac("hs", Algorithm::HS256, HMAC_SECRET).unwrap())
        .unwrap();
    let tokens = service(keys, config());
    let jwks = tokens.jwks();
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 3, "the HMAC key is never published");
    for jwk in published {
        let object = jwk.as_object().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(!object.contains_key(private), "{private} in {jwk}");
        }
        assert_eq!(jwk["use"], "sig");
        let key = Key::from_jwk(&jwk.to_string()).unwrap();
        assert_eq!(key.public_jwk().as_ref(), Some(jwk));
    }

    // A verifier built from the JWKS alone accepts the issuer's tokens.
    let issued = tokens.issue_at(&context(), NOW).unwrap();
    let es = Key::from_jwk(&published[0].to_string()).unwrap();
    let rs = Key::from_jwk(&published[1].to_string()).unwrap();
    let verifier_keys = KeySet::new(hs256_key())
        .unwrap()
        .with_verification_key(es)
        .unwrap()
        .with_verification_key(rs)
        .unwrap();
    assert!(
        service(verifier_keys, config())
            .verify_at(&issued.token, NOW)
            .is_ok()
    );
}

#[test]
fn jwks_of_an_hmac_key_set_is_empty() {
    assert_eq!(hs256_service().jwks(), serde_json::json!({"keys": []}));
}

#[test]
fn jwk_without_kid_or_alg_is_refused() {
    let jwks = rs256_service().jwks();
    for missing in ["kid", "alg"] {
        let mut jwk = jwks["keys"][0].clone();
        jwk.as_object_mut().unwrap().remove(missing);
        assert!(
            matches!(
                Key::from_jwk(&jwk.to_string()),
                Err(KeyError::InvalidJwk(_))
            ),
            "{missing}"
        );
    }
}

#[test]
fn private_jwk_is_refused() {
    let mut jwk = rs256_service().jwks()["keys"][0].clone();
    jwk["d"] = serde_json::json!("AQAB");
    assert!(matches!(
        Key::from_jwk(&jwk.to_string()),
        Err(KeyError::InvalidJwk(_))
    ));
}

#[test]
fn key_error_display_is_one_line() {
    let error = Key::hmac("k", Algorithm::HS256, b"secret")
        .unwrap_err()
        .to_string();
    assert!(!error.contains('\n'));
    assert_eq!(error, "HMAC secret for HS256 must be at least 32 bytes");
}

#[test]
fn token_service_is_cheap_to_clone_and_shareable() {
    fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    let tokens: TokenService = hs256_service();
    shareable(&tokens);
    let issued = tokens.issue_at(&context(), NOW).unwrap();
    let clone = tokens.clone();
    std::thread::spawn(move || assert!(clone.verify_at(&issued.token, NOW).is_ok()))
        .join()
        .unwrap();
}
