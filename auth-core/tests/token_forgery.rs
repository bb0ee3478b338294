//! Forged tokens: one test per rule of SECURITY.md "Token verification" that
//! concerns the algorithm, the keys, the header and the compact form.
#![allow(clippy::unwrap_used)]

mod fixtures;

use std::time::{Duration, Instant};

use auth_core::token::{Algorithm, TokenError};
use fixtures::*;
use jsonwebtoken::EncodingKey;
use serde_json::json;

fn hs_verify(token: &str) -> Result<(), TokenError> {
    hs256_service().verify_at(token, NOW).map(|_| ())
}

fn rs_verify(token: &str) -> Result<(), TokenError> {
    rs256_service().verify_at(token, NOW).map(|_| ())
}

#[test]
fn correctly_forged_control_token_is_accepted() {
    // The forger itself is sound: with nothing wrong, the token verifies.
    assert_eq!(hs_verify(&hs_token(&hs_header(), &valid_claims())), Ok(()));
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": RS_KID});
    assert_eq!(rs_verify(&rs_token(&header, &valid_claims())), Ok(()));
}

// --- Rule 1: the algorithm comes from the key, never from the token ---------

#[test]
fn alg_none_without_signature_is_rejected_in_every_spelling() {
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": none, "typ": "at+jwt", "kid": HS_KID});
        let token = format!(
            "{}.{}.",
            b64(header.to_string()),
            b64(valid_claims().to_string())
        );
        assert_eq!(hs_verify(&token), Err(TokenError::Malformed), "{none}");
    }
}

#[test]
fn alg_none_with_signature_is_rejected_in_every_spelling() {
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": none, "typ": "at+jwt", "kid": HS_KID});
        // Even with a valid HMAC over the input, `alg` must equal the key's algorithm.
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Err(TokenError::AlgorithmMismatch),
            "{none}"
        );
    }
}

#[test]
fn hs512_token_for_an_hs256_key_is_rejected() {
    let header = json!({"alg": "HS512", "typ": "at+jwt", "kid": HS_KID});
    let key = EncodingKey::from_secret(HMAC_SECRET);
    let token = forge_raw(
        &header.to_string(),
        &valid_claims().to_string(),
        &key,
        Algorithm::HS512,
    );
    assert_eq!(hs_verify(&token), Err(TokenError::AlgorithmMismatch));
}

#[test]
fn ps256_token_for_an_rs256_key_is_rejected() {
    let header = json!({"alg": "PS256", "typ": "at+jwt", "kid": RS_KID});
    let key = EncodingKey::from_rsa_pem(&key_file("rsa2048.pem")).unwrap();
    let token = forge_raw(
        &header.to_string(),
        &valid_claims().to_string(),
        &key,
        Algorithm::PS256,
    );
    assert_eq!(rs_verify(&token), Err(TokenError::AlgorithmMismatch));
}

#[test]
fn unknown_and_lowercase_algorithms_are_rejected() {
    for alg in ["hs256", "HS257", "ES512", "RS1", ""] {
        let header = json!({"alg": alg, "typ": "at+jwt", "kid": HS_KID});
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Err(TokenError::AlgorithmMismatch),
            "{alg}"
        );
    }
}

// --- Rule 2: no key confusion ------------------------------------------------

/// An HS256 token for the RS256 key id, HMAC-signed with `secret`.
fn hs256_signed_with(secret: &[u8]) -> String {
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": RS_KID});
    forge_raw(
        &header.to_string(),
        &valid_claims().to_string(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
}

#[test]
fn hs256_token_signed_with_the_public_key_pem_is_rejected() {
    assert_eq!(
        rs_verify(&hs256_signed_with(&key_file("rsa2048.pub.pem"))),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn hs256_token_signed_with_the_public_key_der_is_rejected() {
    assert_eq!(
        rs_verify(&hs256_signed_with(&key_file("rsa2048.pub.der"))),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn hs256_token_signed_with_the_public_jwk_json_is_rejected() {
    let jwks = rs256_service().jwks();
    let jwk = jwks["keys"][0].to_string();
    assert_eq!(
        rs_verify(&hs256_signed_with(jwk.as_bytes())),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn hs256_token_signed_with_the_modulus_is_rejected() {
    let jwks = rs256_service().jwks();
    let modulus_b64 = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    let modulus = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &modulus_b64,
    )
    .unwrap();
    assert_eq!(
        rs_verify(&hs256_signed_with(&modulus)),
        Err(TokenError::AlgorithmMismatch)
    );
    assert_eq!(
        rs_verify(&hs256_signed_with(modulus_b64.as_bytes())),
        Err(TokenError::AlgorithmMismatch)
    );
}

// --- Rule 3: keys only from configuration; exact kid lookup --------------------

#[test]
fn embedded_key_headers_are_rejected() {
    let cases = [
        ("jwk", json!({"kty": "oct", "k": b64(b"attacker")})),
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("x5c", json!(["MIIBszCCAVmgAwIBAgIU"])),
    ];
    for (name, value) in cases {
        let mut header = hs_header();
        header[name] = value;
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Err(TokenError::UnsupportedHeader(name)),
            "{name}"
        );
    }
}

#[test]
fn unknown_kid_is_rejected() {
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "hs-2"});
    assert_eq!(
        hs_verify(&hs_token(&header, &valid_claims())),
        Err(TokenError::UnknownKid)
    );
}

#[test]
fn malicious_kids_are_only_looked_up_and_rejected() {
    for kid in [
        "../../etc/passwd",
        "' OR 1=1 --",
        "$(id)",
        "hs-1\u{0}",
        "HS-1",
        " hs-1",
    ] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Err(TokenError::UnknownKid),
            "{kid:?}"
        );
    }
}

#[test]
fn missing_kid_is_accepted_only_with_a_single_key() {
    let header = json!({"alg": "HS256", "typ": "at+jwt"});
    let token = hs_token(&header, &valid_claims());
    assert_eq!(hs_verify(&token), Ok(()));

    let other = auth_core::token::Key::hmac(
        "hs-0",
        Algorithm::HS256,
        b"Xv3nQ8pL2wZr7Tb0Mc5Ky9Jd4Hs6Fg1A",
    )
    .unwrap();
    let keys = auth_core::token::KeySet::new(hs256_key())
        .unwrap()
        .with_verification_key(other)
        .unwrap();
    assert_eq!(
        service(keys, config()).verify_at(&token, NOW).err(),
        Some(TokenError::UnknownKid)
    );
}

// --- Rule 5: header allowlist and typ ----------------------------------------

#[test]
fn crit_b64_zip_enc_cty_headers_are_rejected() {
    let cases = [
        ("crit", json!(["exp"])),
        ("crit", json!([])),
        ("b64", json!(false)),
        ("zip", json!("DEF")),
        ("enc", json!("A256GCM")),
        ("cty", json!("JWT")),
    ];
    for (name, value) in cases {
        let mut header = hs_header();
        header[name] = value;
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Err(TokenError::UnsupportedHeader(name)),
            "{name}"
        );
    }
}

#[test]
fn unknown_header_member_is_rejected_without_echoing_its_name() {
    let mut header = hs_header();
    header["x-attacker-secret"] = json!(1);
    let error = hs_verify(&hs_token(&header, &valid_claims())).unwrap_err();
    assert_eq!(error, TokenError::UnsupportedHeader("unknown"));
    assert!(!error.to_string().contains("attacker"));
}

#[test]
fn typ_jwt_is_rejected_in_the_strict_profile() {
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": HS_KID});
    assert_eq!(
        hs_verify(&hs_token(&header, &valid_claims())),
        Err(TokenError::WrongType)
    );
}

#[test]
fn refresh_token_typ_is_rejected_as_an_access_token() {
    let header = json!({"alg": "HS256", "typ": "refresh+jwt", "kid": HS_KID});
    assert_eq!(
        hs_verify(&hs_token(&header, &valid_claims())),
        Err(TokenError::WrongType)
    );
}

#[test]
fn missing_typ_is_rejected() {
    let header = json!({"alg": "HS256", "kid": HS_KID});
    assert_eq!(
        hs_verify(&hs_token(&header, &valid_claims())),
        Err(TokenError::WrongType)
    );
}

#[test]
fn typ_is_case_insensitive_with_optional_application_prefix() {
    for typ in ["AT+JWT", "application/at+jwt", "Application/At+Jwt"] {
        let header = json!({"alg": "HS256", "typ": typ, "kid": HS_KID});
        assert_eq!(
            hs_verify(&hs_token(&header, &valid_claims())),
            Ok(()),
            "{typ}"
        );
    }
}

// --- Rule 6 (JSON): duplicate members ------------------------------------------

#[test]
fn duplicate_header_member_is_rejected() {
    let header = format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{HS_KID}","kid":"{HS_KID}"}}"#);
    assert_eq!(
        hs_verify(&hs_raw(&header, &valid_claims().to_string())),
        Err(TokenError::DuplicateMember)
    );
}

#[test]
fn duplicate_claim_is_rejected() {
    let claims = valid_claims().to_string();
    let claims = format!(r#"{{"exp":{},{}"#, NOW + 900, &claims[1..]);
    assert_eq!(
        hs_verify(&hs_raw(&hs_header().to_string(), &claims)),
        Err(TokenError::DuplicateMember)
    );
}

#[test]
fn duplicate_member_nested_in_app_metadata_is_rejected() {
    let claims = valid_claims().to_string().replace(
        r#""app_metadata":{"customer_id":"cus_123"}"#,
        r#""app_metadata":{"customer_id":"cus_123","nested":{"role":"user","role":"admin"}}"#,
    );
    assert!(claims.contains(r#""role":"admin""#));
    assert_eq!(
        hs_verify(&hs_raw(&hs_header().to_string(), &claims)),
        Err(TokenError::DuplicateMember)
    );
}

#[test]
fn deeply_nested_claims_are_rejected() {
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let claims = valid_claims()
        .to_string()
        .replacen('{', &format!(r#"{{"deep":{deep},"#), 1);
    assert_eq!(
        hs_verify(&hs_raw(&hs_header().to_string(), &claims)),
        Err(TokenError::TooDeep)
    );
}

// --- Rule 4 and 8: strict compact form and resource limits ----------------------

fn valid_hs_token() -> String {
    hs_token(&hs_header(), &valid_claims())
}

#[test]
fn padded_base64_is_rejected() {
    let token = valid_hs_token();
    let (header, rest) = token.split_once('.').unwrap();
    assert_eq!(
        hs_verify(&format!("{header}=.{rest}")),
        Err(TokenError::Malformed)
    );
    assert_eq!(hs_verify(&format!("{token}=")), Err(TokenError::Malformed));
}

#[test]
fn whitespace_in_a_token_is_rejected() {
    let token = valid_hs_token();
    for ws in [" ", "\n", "\t", "\r\n"] {
        let (header, rest) = token.split_once('.').unwrap();
        assert_eq!(
            hs_verify(&format!("{header}.{ws}{rest}")),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            hs_verify(&format!("{token}{ws}")),
            Err(TokenError::Malformed)
        );
    }
}

#[test]
fn non_canonical_base64_signature_is_rejected() {
    // A 32-byte HMAC is 43 characters; the last one carries 2 unused bits. Setting
    // them decodes to the same bytes, so only the canonical-form check refuses it.
    let token = valid_hs_token();
    let last = token.chars().last().unwrap();
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = ALPHABET.find(last).unwrap();
    assert_eq!(index % 4, 0, "unused bits of a canonical encoding are zero");
    let sibling = ALPHABET.as_bytes()[index + 1] as char;
    let forged = format!("{}{sibling}", &token[..token.len() - 1]);
    assert_eq!(hs_verify(&forged), Err(TokenError::Malformed));
}

#[test]
fn two_segment_token_is_rejected() {
    let token = valid_hs_token();
    let two = &token[..token.rfind('.').unwrap()];
    assert_eq!(hs_verify(two), Err(TokenError::Malformed));
}

#[test]
fn four_segment_token_is_rejected() {
    assert_eq!(
        hs_verify(&format!("{}.AAAA", valid_hs_token())),
        Err(TokenError::Malformed)
    );
}

#[test]
fn jwe_shaped_five_segment_token_is_rejected() {
    let header = b64(r#"{"alg":"dir","enc":"A256GCM","kid":"hs-1"}"#);
    let jwe = format!(
        "{header}..{iv}.{ct}.{tag}",
        iv = b64("123456789012"),
        ct = b64("ciphertext"),
        tag = b64("0123456789abcdef")
    );
    assert_eq!(hs_verify(&jwe), Err(TokenError::Malformed));
}

#[test]
fn nested_jwt_is_rejected() {
    let mut header = hs_header();
    header["cty"] = json!("JWT");
    let inner = valid_hs_token();
    let token = hs_raw(&header.to_string(), &format!("\"{inner}\""));
    assert_eq!(hs_verify(&token), Err(TokenError::UnsupportedHeader("cty")));
}

#[test]
fn json_serialization_token_is_rejected() {
    let token = valid_hs_token();
    let parts: Vec<&str> = token.split('.').collect();
    let json_form =
        json!({"payload": parts[1], "protected": parts[0], "signature": parts[2]}).to_string();
    assert_eq!(hs_verify(&json_form), Err(TokenError::Malformed));
}

#[test]
fn oversized_token_is_rejected_before_decoding() {
    let token = "A".repeat(8193);
    assert_eq!(hs_verify(&token), Err(TokenError::TooLong));
}

#[test]
fn token_of_100k_dots_is_rejected_fast() {
    let dots = ".".repeat(100_000);
    assert_eq!(hs_verify(&dots), Err(TokenError::TooLong));

    // Even with the length cap lifted, splitting stops at the third dot.
    let mut config = config();
    config.max_token_len = 1_000_000;
    let tokens = service(auth_core::token::KeySet::new(hs256_key()).unwrap(), config);
    let started = Instant::now();
    for _ in 0..1000 {
        assert_eq!(
            tokens.verify_at(&dots, NOW).err(),
            Some(TokenError::Malformed)
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn tampered_payload_fails_the_signature() {
    let token = valid_hs_token();
    let parts: Vec<&str> = token.split('.').collect();
    let claims = claims_with("actor_id", json!("cus_admin"));
    let forged = format!("{}.{}.{}", parts[0], b64(claims.to_string()), parts[2]);
    assert_eq!(hs_verify(&forged), Err(TokenError::BadSignature));
}

#[test]
fn error_messages_never_contain_token_text() {
    let token = valid_hs_token();
    let forged = format!("{token}x");
    let error = hs_verify(&forged).unwrap_err().to_string();
    for part in token.split('.') {
        assert!(!error.contains(part));
    }
}
