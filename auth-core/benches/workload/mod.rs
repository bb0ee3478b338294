//! The HS256 operations both benchmarks measure, built once: our verify (with
//! and without the cache), `jsonwebtoken::decode`, the floor, our signing and
//! the raw mint. `verify.rs` times them with criterion; `instructions.rs`
//! runs one of them N times for an instruction count under callgrind. The
//! AWS-LC floors are behind `aws-lc-rs`, so on `rust-crypto` alone some imports
//! and items go unused.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::hint::black_box;

use auth_core::identity::{AuthContext, Metadata};
use auth_core::token::{AccessClaims, Algorithm, Key, KeySet, TokenConfig, TokenService};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

pub const NOW: u64 = 1_700_000_000;
pub const SECRET: &[u8] = b"k8D2JqN1xw9vL7cTzR4mB0sYp6eHfUaG";

/// A test key file from `tests/fixtures/keys`.
pub fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A registered customer with short ids, for a token of about 480 bytes.
pub fn context() -> AuthContext {
    let mut app_metadata = Metadata::new();
    app_metadata.insert("customer_id".into(), "cus_01HZX3".into());
    AuthContext {
        actor_id: "cus_01HZX3".into(),
        actor_type: "customer".into(),
        auth_identity_id: "authid_01HZX4".into(),
        app_metadata,
    }
}

/// A token service for `key`; `cache_capacity` 0 disables the verified-token cache.
pub fn service(key: Key, cache_capacity: usize) -> TokenService {
    let mut config = TokenConfig::new("https://auth.example.com", "storefront");
    config.cache_capacity = cache_capacity;
    TokenService::new(KeySet::new(key).unwrap(), config).unwrap()
}

/// What the floor and `jsonwebtoken` deserialize into.
#[derive(Deserialize)]
pub struct PlainClaims {
    pub actor_id: String,
    pub actor_type: String,
    pub auth_identity_id: String,
    pub app_metadata: Metadata,
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
}

/// Everything the HS256 measurements need, prepared once.
pub struct Hs256 {
    pub context: AuthContext,
    pub ours: TokenService,
    pub cached: TokenService,
    pub token: String,
    pub claims: AccessClaims,
    header: String,
    decoding: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
    #[cfg(feature = "aws-lc-rs")]
    hmac: aws_lc_rs::hmac::Key,
}

impl Hs256 {
    pub fn new() -> Self {
        let context = context();
        let ours = service(Key::hmac("hs", Algorithm::HS256, SECRET).unwrap(), 0);
        let cached = service(Key::hmac("hs", Algorithm::HS256, SECRET).unwrap(), 1024);
        let issued = ours.issue_at(&context, NOW).unwrap();
        cached.verify_at(&issued.token, NOW).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.set_audience(&["storefront"]);
        validation.set_issuer(&["https://auth.example.com"]);
        validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
        validation.validate_exp = false; // the token is minted at a fixed past time
        let header = issued.token.split_once('.').unwrap().0.to_owned();
        let workload = Self {
            context,
            ours,
            cached,
            token: issued.token,
            claims: issued.claims,
            header,
            decoding: jsonwebtoken::DecodingKey::from_secret(SECRET),
            validation,
            #[cfg(feature = "aws-lc-rs")]
            hmac: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET),
        };
        #[cfg(feature = "aws-lc-rs")]
        assert_eq!(
            workload.raw_mint(),
            workload.token,
            "the raw mint makes our exact token"
        );
        workload
    }

    /// Our strict verification, cache disabled.
    pub fn ours_verify(&self) {
        black_box(self.ours.verify_at(black_box(&self.token), NOW).unwrap());
    }

    /// Our verification of a token the cache holds.
    pub fn cached_verify(&self) {
        black_box(self.cached.verify_at(black_box(&self.token), NOW).unwrap());
    }

    /// `jsonwebtoken::decode` with a comparable `Validation`.
    pub fn jsonwebtoken_decode(&self) {
        black_box(
            jsonwebtoken::decode::<PlainClaims>(
                black_box(&self.token),
                &self.decoding,
                &self.validation,
            )
            .unwrap(),
        );
    }

    /// The floor: pre-keyed HMAC-SHA256 over the signing input, base64url and a
    /// serde parse of the claims, with no checks at all.
    #[cfg(feature = "aws-lc-rs")]
    pub fn floor(&self) {
        let token = black_box(&self.token);
        let (input, signature) = token.rsplit_once('.').unwrap();
        let payload = input.split_once('.').unwrap().1;
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        aws_lc_rs::hmac::verify(&self.hmac, input.as_bytes(), &signature).unwrap();
        let payload = URL_SAFE_NO_PAD.decode(payload).unwrap();
        black_box(serde_json::from_slice::<PlainClaims>(&payload).unwrap());
    }

    /// Our signing as the auth routes use it: a fresh jti, the token string.
    pub fn ours_issue_token(&self) {
        black_box(
            self.ours
                .issue_token_at(black_box(&self.context), NOW)
                .unwrap(),
        );
    }

    /// The raw mint: serialize the same claims (jti included, already made),
    /// base64url, pre-keyed HMAC, base64url.
    #[cfg(feature = "aws-lc-rs")]
    pub fn raw_mint(&self) -> String {
        let payload = serde_json::to_vec(black_box(&self.claims)).unwrap();
        let mut token = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 50);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let tag = aws_lc_rs::hmac::sign(&self.hmac, token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut token);
        token
    }
}
