//! Token verification and signing cost, against `jsonwebtoken` and against the
//! floor (a pre-keyed HMAC, base64url and a serde parse, with no checks). For
//! HS256 signing the reference is the raw mint: serialize the same claims,
//! base64url, pre-keyed HMAC, base64url (the bare HMAC is shown too).
//!
//! `cargo bench -p auth-core --bench verify -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use auth_core::identity::{AuthContext, Metadata};
use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;

const NOW: u64 = 1_700_000_000;
const SECRET: &[u8] = b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG";

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn context() -> AuthContext {
    let mut app_metadata = Metadata::new();
    app_metadata.insert("customer_id".into(), "cus_01HZX3".into());
    AuthContext {
        actor_id: "cus_01HZX3".into(),
        actor_type: "customer".into(),
        auth_identity_id: "authid_01HZX4".into(),
        app_metadata,
    }
}

fn service(key: Key, cache_capacity: usize) -> TokenService {
    let mut config = TokenConfig::new("https://auth.example.com", "storefront");
    config.cache_capacity = cache_capacity;
    TokenService::new(KeySet::new(key).unwrap(), config).unwrap()
}

/// What the floor and `jsonwebtoken` deserialize into.
#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainClaims {
    actor_id: String,
    actor_type: String,
    auth_identity_id: String,
    app_metadata: Metadata,
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
}

fn verify(c: &mut Criterion) {
    let hs = service(Key::hmac("hs", Algorithm::HS256, SECRET).unwrap(), 0);
    let token = hs.issue_at(&context(), NOW).unwrap().token;
    eprintln!("HS256 token length: {} bytes", token.len());

    let mut group = c.benchmark_group("verify");
    group.bench_function("ours HS256", |b| {
        b.iter(|| hs.verify_at(black_box(&token), NOW).unwrap())
    });

    let cached = service(Key::hmac("hs", Algorithm::HS256, SECRET).unwrap(), 1024);
    cached.verify_at(&token, NOW).unwrap();
    group.bench_function("ours HS256 cache hit", |b| {
        b.iter(|| cached.verify_at(black_box(&token), NOW).unwrap())
    });

    for (alg, file) in [
        (Algorithm::RS256, "rsa2048.pem"),
        (Algorithm::ES256, "ec-p256.pem"),
        (Algorithm::EdDSA, "ed25519.pem"),
    ] {
        let tokens = service(Key::private_pem("k", alg, &key_file(file)).unwrap(), 0);
        let token = tokens.issue_at(&context(), NOW).unwrap().token;
        group.bench_function(format!("ours {alg:?}"), |b| {
            b.iter(|| tokens.verify_at(black_box(&token), NOW).unwrap())
        });
    }

    let decoding = jsonwebtoken::DecodingKey::from_secret(SECRET);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_audience(&["storefront"]);
    validation.set_issuer(&["https://auth.example.com"]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    validation.validate_exp = false; // the token is minted at a fixed past time
    group.bench_function("jsonwebtoken::decode HS256", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<PlainClaims>(black_box(&token), &decoding, &validation).unwrap()
        })
    });

    #[cfg(feature = "aws-lc-rs")]
    {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET);
        group.bench_function("floor HS256 (hmac + base64url + serde)", |b| {
            b.iter(|| {
                let token = black_box(&token);
                let (input, signature) = token.rsplit_once('.').unwrap();
                let payload = input.split_once('.').unwrap().1;
                let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
                aws_lc_rs::hmac::verify(&key, input.as_bytes(), &signature).unwrap();
                let payload = URL_SAFE_NO_PAD.decode(payload).unwrap();
                serde_json::from_slice::<PlainClaims>(&payload).unwrap()
            })
        });
    }
    group.finish();
}

fn sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");
    let context = context();
    let hs = service(Key::hmac("hs", Algorithm::HS256, SECRET).unwrap(), 0);
    group.bench_function("ours issue_at HS256", |b| {
        b.iter(|| hs.issue_at(black_box(&context), NOW).unwrap())
    });
    group.bench_function("ours issue_token_at HS256 (token only)", |b| {
        b.iter(|| hs.issue_token_at(black_box(&context), NOW).unwrap())
    });
    let rs = service(
        Key::private_pem("rs", Algorithm::RS256, &key_file("rsa2048.pem")).unwrap(),
        0,
    );
    group.bench_function("ours issue_at RS256", |b| {
        b.iter(|| rs.issue_at(black_box(&context), NOW).unwrap())
    });

    let issued = hs.issue_at(&context, NOW).unwrap();
    let token = issued.token;
    let claims = issued.claims;
    let (header, _) = token.split_once('.').unwrap();
    let header = header.to_owned();
    let input = token.rsplit_once('.').unwrap().0.to_owned();

    #[cfg(feature = "aws-lc-rs")]
    {
        use aws_lc_rs::{hmac, rand::SystemRandom, signature};
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
        group.bench_function(
            "raw HS256 HMAC only (pre-keyed HMAC of the signing input)",
            |b| b.iter(|| hmac::sign(&key, black_box(input.as_bytes()))),
        );
        // The raw mint: what any HS256 issuer must do at least. Serialize the
        // same claims (already built, jti included, no clones), base64url,
        // pre-keyed HMAC, base64url. It does not build claims from a context
        // nor generate a jti, which `issue_token_at` does.
        let mint = |claims: &auth_core::token::AccessClaims| {
            let payload = serde_json::to_vec(claims).unwrap();
            let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 50);
            token.push_str(&header);
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(payload, &mut token);
            let tag = hmac::sign(&key, token.as_bytes());
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut token);
            token
        };
        assert_eq!(mint(&claims), token, "the raw mint makes the same token");
        group.bench_function("raw HS256 mint (serde + base64url + pre-keyed HMAC)", |b| {
            b.iter(|| mint(black_box(&claims)))
        });
        // Not part of the raw mint: the 80 random bits of each jti, drawn from
        // the same CSPRNG `new_jti` uses, to show where the gap goes.
        group.bench_function(
            "jti entropy only (10 bytes from aws_lc_rs::rand::fill)",
            |b| {
                b.iter(|| {
                    let mut bytes = [0u8; 10];
                    aws_lc_rs::rand::fill(&mut bytes).unwrap();
                    bytes
                })
            },
        );

        let pem = key_file("rsa2048.pem");
        let der = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap();
        let pair = signature::RsaKeyPair::from_der(der.as_bytes()).unwrap();
        let rng = SystemRandom::new();
        group.bench_function("raw RS256 sign (pre-parsed aws-lc key pair)", |b| {
            b.iter(|| {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    black_box(input.as_bytes()),
                    &mut out,
                )
                .unwrap();
                out
            })
        });
        group.bench_function(
            "jsonwebtoken::crypto::sign RS256 (re-parses the key)",
            |b| {
                b.iter(|| {
                    jsonwebtoken::crypto::sign(black_box(input.as_bytes()), &der, Algorithm::RS256)
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, verify, sign);
criterion_main!(benches);
