//! Token verification and signing cost, against `jsonwebtoken` and against the
//! floor (a pre-keyed HMAC, base64url and a serde parse, with no checks). For
//! HS256 signing the reference is the raw mint: serialize the same claims,
//! base64url, pre-keyed HMAC, base64url (the bare HMAC is shown too).
//!
//! `cargo bench -p auth-core --bench verify -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use auth_core::token::{Algorithm, Key};
use criterion::{Criterion, criterion_group, criterion_main};

mod workload;

use workload::{Hs256, NOW, context, key_file, service};

fn verify(c: &mut Criterion) {
    let hs = Hs256::new();
    eprintln!("HS256 token length: {} bytes", hs.token.len());

    let mut group = c.benchmark_group("verify");
    group.bench_function("ours HS256", |b| b.iter(|| hs.ours_verify()));
    group.bench_function("ours HS256 cache hit", |b| b.iter(|| hs.cached_verify()));
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
    group.bench_function("jsonwebtoken::decode HS256", |b| {
        b.iter(|| hs.jsonwebtoken_decode())
    });
    #[cfg(feature = "aws-lc-rs")]
    group.bench_function("floor HS256 (hmac + base64url + serde)", |b| {
        b.iter(|| hs.floor())
    });
    group.finish();
}

fn sign(c: &mut Criterion) {
    let hs = Hs256::new();
    let mut group = c.benchmark_group("sign");
    group.bench_function("ours issue_at HS256", |b| {
        b.iter(|| hs.ours.issue_at(black_box(&hs.context), NOW).unwrap())
    });
    group.bench_function("ours issue_token_at HS256 (token only)", |b| {
        b.iter(|| hs.ours_issue_token())
    });
    let rs = service(
        Key::private_pem("rs", Algorithm::RS256, &key_file("rsa2048.pem")).unwrap(),
        0,
    );
    group.bench_function("ours issue_at RS256", |b| {
        b.iter(|| rs.issue_at(black_box(&hs.context), NOW).unwrap())
    });

    #[cfg(feature = "aws-lc-rs")]
    {
        use aws_lc_rs::{hmac, rand::SystemRandom, signature};
        let input = hs.token.rsplit_once('.').unwrap().0.to_owned();
        let key = hmac::Key::new(hmac::HMAC_SHA256, workload::SECRET);
        group.bench_function(
            "raw HS256 HMAC only (pre-keyed HMAC of the signing input)",
            |b| b.iter(|| hmac::sign(&key, black_box(input.as_bytes()))),
        );
        // What any HS256 issuer must do at least; it does not build claims from
        // a context nor generate a jti, which `issue_token_at` does.
        group.bench_function("raw HS256 mint (serde + base64url + pre-keyed HMAC)", |b| {
            b.iter(|| hs.raw_mint())
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
