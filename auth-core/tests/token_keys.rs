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

// --- Key documents are read strictly -------------------------------------------

/// `der` as a PEM document with `label`.
fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .unwrap()
        .into_bytes()
}

/// The DER body of a PEM fixture.
fn der_of(file: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(&key_file(file)).unwrap().1
}

fn is_invalid_key<T>(result: Result<T, KeyError>) -> bool {
    matches!(result, Err(KeyError::InvalidKey(_)))
}

#[test]
fn der_with_a_non_minimal_length_is_refused() {
    // Ed25519 SPKI: `30 2a ...`; the same length in long form is `30 81 2a`.
    let der = der_of("ed25519.pub.pem");
    assert_eq!(&der[..2], &[0x30, 0x2a]);
    assert!(Key::public_pem("k", Algorithm::EdDSA, &pem("PUBLIC KEY", &der)).is_ok());
    let long_form = [&[0x30, 0x81, 0x2a][..], &der[2..]].concat();
    assert!(is_invalid_key(Key::public_pem(
        "k",
        Algorithm::EdDSA,
        &pem("PUBLIC KEY", &long_form)
    )));

    // RSA SPKI: `30 82 01 22 ...`; padded to three length bytes, `30 83 00 01 22`.
    let der = key_file("rsa2048.pub.der");
    assert_eq!(&der[..4], &[0x30, 0x82, 0x01, 0x22]);
    assert!(Key::public_pem("k", Algorithm::RS256, &pem("PUBLIC KEY", &der)).is_ok());
    let padded = [&[0x30, 0x83, 0x00, 0x01, 0x22][..], &der[4..]].concat();
    assert!(is_invalid_key(Key::public_pem(
        "k",
        Algorithm::RS256,
        &pem("PUBLIC KEY", &padded)
    )));

    // PKCS#8 RSA private key: `30 82 04 be ...`.
    let der = der_of("rsa2048.pem");
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let padded = [&[0x30, 0x83, 0x00][..], &der[2..]].concat();
    assert!(is_invalid_key(Key::private_pem(
        "k",
        Algorithm::RS256,
        &pem("PRIVATE KEY", &padded)
    )));
}

#[test]
fn der_with_bytes_after_the_key_is_refused() {
    let mut der = der_of("ec-p256.pub.pem");
    der.push(0);
    assert!(is_invalid_key(Key::public_pem(
        "k",
        Algorithm::ES256,
        &pem("PUBLIC KEY", &der)
    )));
    let mut der = der_of("ed25519.pem");
    der.extend_from_slice(&[0x05, 0x00]);
    assert!(is_invalid_key(Key::private_pem(
        "k",
        Algorithm::EdDSA,
        &pem("PRIVATE KEY", &der)
    )));
}

#[test]
fn pem_with_text_after_the_end_line_is_refused() {
    for (file, alg) in [
        ("rsa2048.pub.pem", Algorithm::RS256),
        ("ec-p256.pub.pem", Algorithm::ES256),
    ] {
        let mut garbage = key_file(file);
        garbage.extend_from_slice(b"trailing garbage\n");
        assert!(
            is_invalid_key(Key::public_pem("k", alg, &garbage)),
            "{file}"
        );

        // A second key after the first is not silently ignored either.
        let twice = [key_file(file), key_file("rsa2048-next.pub.pem")].concat();
        assert!(is_invalid_key(Key::public_pem("k", alg, &twice)), "{file}");
    }
    let mut garbage = key_file("rsa2048.pem");
    garbage.extend_from_slice(b"-----END PRIVATE KEY-----\n");
    assert!(is_invalid_key(Key::private_pem(
        "k",
        Algorithm::RS256,
        &garbage
    )));
}

#[test]
fn pem_with_a_wrong_label_is_refused() {
    let public = der_of("rsa2048.pub.pem");
    for label in ["CERTIFICATE", "PRIVATE KEY", "RSA PUBLIC KEY", "public key"] {
        assert!(
            is_invalid_key(Key::public_pem("k", Algorithm::RS256, &pem(label, &public))),
            "{label}"
        );
    }
    let private = der_of("ec-p256.pem");
    for label in ["EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY"] {
        assert!(
            is_invalid_key(Key::private_pem(
                "k",
                Algorithm::ES256,
                &pem(label, &private)
            )),
            "{label}"
        );
    }
    // A public key where a private key is expected, and the other way round.
    assert!(is_invalid_key(Key::private_pem(
        "k",
        Algorithm::RS256,
        &key_file("rsa2048.pub.pem")
    )));
    assert!(is_invalid_key(Key::public_pem(
        "k",
        Algorithm::RS256,
        &key_file("rsa2048.pem")
    )));
    // Begin and end labels that differ.
    let text = String::from_utf8(key_file("ed25519.pub.pem")).unwrap();
    let mismatched = text.replace("END PUBLIC KEY", "END PRIVATE KEY");
    assert!(is_invalid_key(Key::public_pem(
        "k",
        Algorithm::EdDSA,
        mismatched.as_bytes()
    )));
}

#[test]
fn key_of_another_type_than_the_algorithm_is_refused() {
    let private_cases = [
        ("ed25519.pem", Algorithm::ES256),
        ("ed25519.pem", Algorithm::RS256),
        ("ec-p256.pem", Algorithm::RS256),
        ("ec-p256.pem", Algorithm::EdDSA),
        ("rsa2048.pem", Algorithm::EdDSA),
        ("rsa2048.pem", Algorithm::HS256),
    ];
    for (file, alg) in private_cases {
        assert!(
            matches!(
                Key::private_pem("k", alg, &key_file(file)),
                Err(KeyError::AlgorithmKeyMismatch { .. })
            ),
            "{file} {alg:?}"
        );
    }
    let public_cases = [
        ("ed25519.pub.pem", Algorithm::ES256),
        ("ec-p256.pub.pem", Algorithm::PS256),
        ("rsa2048.pub.pem", Algorithm::EdDSA),
        ("rsa2048.pub.pem", Algorithm::ES384),
    ];
    for (file, alg) in public_cases {
        assert!(
            matches!(
                Key::public_pem("k", alg, &key_file(file)),
                Err(KeyError::AlgorithmKeyMismatch { .. })
            ),
            "{file} {alg:?}"
        );
    }
}

#[test]
fn public_pem_gives_the_public_half_of_the_private_key() {
    for (stem, alg) in [
        ("rsa2048", Algorithm::RS256),
        ("ec-p256", Algorithm::ES256),
        ("ec-p384", Algorithm::ES384),
        ("ed25519", Algorithm::EdDSA),
    ] {
        let private = Key::private_pem("k", alg, &key_file(&format!("{stem}.pem"))).unwrap();
        let public = Key::public_pem("k", alg, &key_file(&format!("{stem}.pub.pem"))).unwrap();
        assert_eq!(private.public_jwk(), public.public_jwk(), "{stem}");
        assert!(public.public_jwk().is_some());
    }
}

#[test]
fn pkcs1_rsa_documents_are_accepted() {
    use pkcs8::der::Decode as _;

    let pkcs8 = der_of("rsa2048.pem");
    let info = pkcs8::PrivateKeyInfoRef::from_der(&pkcs8).unwrap();
    let pkcs1 = pem("RSA PRIVATE KEY", info.private_key.as_bytes());
    let from_pkcs1 = Key::private_pem("k", Algorithm::RS256, &pkcs1).unwrap();
    let from_pkcs8 = Key::private_pem("k", Algorithm::RS256, &key_file("rsa2048.pem")).unwrap();
    assert_eq!(from_pkcs1.public_jwk(), from_pkcs8.public_jwk());
    round_trip(from_pkcs1);

    let spki = key_file("rsa2048.pub.der");
    let info = spki::SubjectPublicKeyInfoRef::from_der(&spki).unwrap();
    let pkcs1 = pem(
        "RSA PUBLIC KEY",
        info.subject_public_key.as_bytes().unwrap(),
    );
    let public = Key::public_pem("k", Algorithm::RS256, &pkcs1).unwrap();
    assert_eq!(public.public_jwk(), from_pkcs8.public_jwk());
}

#[test]
fn jwk_on_an_unsupported_curve_is_refused() {
    let jwks = rs256_service().jwks();
    let n = jwks["keys"][0]["n"].as_str().unwrap();
    let x = b64([7u8; 32]);
    for crv in ["P-521", "secp256k1"] {
        let jwk = serde_json::json!({
            "kty": "EC", "kid": "k", "alg": "ES256", "crv": crv, "x": x, "y": x,
        });
        assert!(Key::from_jwk(&jwk.to_string()).is_err(), "{crv}");
    }
    // `kty` must match `alg`.
    let jwk = serde_json::json!({"kty": "RSA", "kid": "k", "alg": "ES256", "n": n, "e": "AQAB"});
    assert_eq!(
        Key::from_jwk(&jwk.to_string()).err(),
        Some(KeyError::InvalidJwk("`kty` does not match `alg`".into()))
    );
}
