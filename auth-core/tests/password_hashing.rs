//! Password hashing and verification, as specified in SECURITY.md ("Passwords").
//!
//! No test asserts timings: this machine is shared.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

use argon2::password_hash::phc::PasswordHash;
use auth_core::password::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, PasswordCheck, PasswordError, PasswordHasher,
    PasswordPolicy, check_password_length,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

const PASSWORD: &str = "correct horse battery staple";

fn hasher() -> PasswordHasher {
    PasswordHasher::new(PasswordPolicy::default())
}

/// Hashes made by the npm package `scrypt-kdf` exactly as Medusa stores them.
struct ScryptFixture {
    password: String,
    hash: String,
    log_n: u64,
}

fn scrypt_fixtures() -> Vec<ScryptFixture> {
    let text = include_str!("fixtures/scrypt/medusa_scrypt_kdf.json");
    let json: serde_json::Value = serde_json::from_str(text).expect("fixture is JSON");
    json["fixtures"]
        .as_array()
        .expect("fixtures array")
        .iter()
        .map(|f| ScryptFixture {
            password: f["password"].as_str().expect("password").to_owned(),
            hash: f["hash"].as_str().expect("hash").to_owned(),
            log_n: f["params"]["logN"].as_u64().expect("logN"),
        })
        .collect()
}

fn medusa_fixture() -> ScryptFixture {
    scrypt_fixtures()
        .into_iter()
        .find(|f| f.log_n == 15)
        .expect("a logN 15 fixture, as Medusa uses")
}

/// The fixture hash with `edit` applied to its decoded bytes, re-encoded.
fn edited_scrypt_hash(hash: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = STANDARD.decode(hash).expect("base64 fixture");
    edit(&mut bytes);
    STANDARD.encode(bytes)
}

/// Recomputes the header checksum so that only the parameters are hostile.
fn fix_scrypt_checksum(bytes: &mut [u8]) {
    let digest = Sha256::digest(&bytes[..48]);
    bytes[48..64].copy_from_slice(&digest[..16]);
}

// --- length limits -------------------------------------------------------------

#[test]
fn seven_bytes_are_too_short() {
    assert_eq!(
        check_password_length("1234567"),
        Err(PasswordError::TooShort)
    );
}

#[test]
fn eight_bytes_are_accepted() {
    assert_eq!(MIN_PASSWORD_BYTES, 8);
    assert_eq!(check_password_length("12345678"), Ok(()));
}

#[test]
fn exactly_1024_bytes_are_accepted() {
    assert_eq!(MAX_PASSWORD_BYTES, 1024);
    assert_eq!(check_password_length(&"a".repeat(1024)), Ok(()));
}

#[test]
fn bytes_beyond_1024_are_too_long() {
    assert_eq!(
        check_password_length(&"a".repeat(1025)),
        Err(PasswordError::TooLong)
    );
}

#[test]
fn length_is_counted_in_utf8_bytes_not_characters() {
    // Four characters, eight bytes.
    assert_eq!(check_password_length("éééé"), Ok(()));
    // Four characters, seven bytes.
    assert_eq!(check_password_length("éééa"), Err(PasswordError::TooShort));
    // 512 two-byte characters are 1024 bytes; one more is too long.
    assert_eq!(check_password_length(&"é".repeat(512)), Ok(()));
    assert_eq!(
        check_password_length(&"é".repeat(513)),
        Err(PasswordError::TooLong)
    );
}

#[test]
fn whitespace_counts_toward_the_length() {
    assert_eq!(
        check_password_length("       "),
        Err(PasswordError::TooShort)
    );
    assert_eq!(check_password_length("        "), Ok(()));
}

#[tokio::test]
async fn too_short_password_is_refused_before_hashing() {
    assert_eq!(hasher().hash("1234567").await, Err(PasswordError::TooShort));
}

#[tokio::test]
async fn too_long_password_is_refused_before_hashing() {
    assert_eq!(
        hasher().hash(&"a".repeat(1025)).await,
        Err(PasswordError::TooLong)
    );
}

#[tokio::test]
async fn too_long_password_never_verifies() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).await.unwrap();
    let check = hasher.verify(&"a".repeat(1025), &stored).await.unwrap();
    assert_eq!(check, PasswordCheck::Invalid);
}

#[tokio::test]
async fn trailing_whitespace_is_kept_not_trimmed() {
    let hasher = hasher();
    let stored = hasher.hash("password ").await.unwrap();
    assert_eq!(
        hasher.verify("password ", &stored).await.unwrap(),
        PasswordCheck::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(
        hasher.verify("password", &stored).await.unwrap(),
        PasswordCheck::Invalid
    );
}

#[tokio::test]
async fn case_is_kept_not_folded() {
    let hasher = hasher();
    let stored = hasher.hash("Password1").await.unwrap();
    assert_eq!(
        hasher.verify("password1", &stored).await.unwrap(),
        PasswordCheck::Invalid
    );
}

// --- Argon2id hashing ------------------------------------------------------------

#[tokio::test]
async fn new_hash_is_argon2id_phc_with_policy_params_and_16_byte_salt() {
    let stored = hasher().hash(PASSWORD).await.unwrap();
    let parsed = PasswordHash::new(&stored).unwrap();
    assert_eq!(parsed.algorithm.as_str(), "argon2id");
    assert_eq!(parsed.version, Some(19));
    assert_eq!(parsed.params.to_string(), "m=19456,t=2,p=1");
    assert_eq!(parsed.salt.unwrap().len(), 16);
    assert_eq!(parsed.hash.unwrap().len(), 32);
}

#[tokio::test]
async fn two_users_with_the_same_password_get_different_hashes() {
    let hasher = hasher();
    let first = hasher.hash(PASSWORD).await.unwrap();
    let second = hasher.hash(PASSWORD).await.unwrap();
    assert_ne!(first, second);
}

#[tokio::test]
async fn right_password_verifies_without_rehash() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).await.unwrap();
    assert_eq!(
        hasher.verify(PASSWORD, &stored).await.unwrap(),
        PasswordCheck::Valid {
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn wrong_password_is_invalid() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).await.unwrap();
    assert_eq!(
        hasher
            .verify("correct horse battery stapler", &stored)
            .await
            .unwrap(),
        PasswordCheck::Invalid
    );
}

#[test]
fn policy_below_the_owasp_minimum_is_raised_to_it() {
    let weak = PasswordPolicy {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 0,
    };
    assert_eq!(
        PasswordHasher::new(weak).policy(),
        PasswordPolicy::default()
    );
    assert_eq!(
        PasswordPolicy::default(),
        PasswordPolicy {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1
        }
    );
}

/// An Argon2 PHC string made directly with the `argon2` crate.
fn argon2_hash(algorithm: argon2::Algorithm, m: u32, t: u32, p: u32, password: &str) -> String {
    use argon2::PasswordHasher as _;
    let params = argon2::Params::new(m, t, p, None).unwrap();
    argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn stored_argon2_hash_with_weaker_params_needs_rehash() {
    let stored = argon2_hash(argon2::Algorithm::Argon2id, 8192, 1, 1, PASSWORD);
    assert_eq!(
        hasher().verify(PASSWORD, &stored).await.unwrap(),
        PasswordCheck::Valid { needs_rehash: true }
    );
}

#[tokio::test]
async fn stored_argon2i_hash_needs_rehash_to_argon2id() {
    let stored = argon2_hash(argon2::Algorithm::Argon2i, 19_456, 2, 1, PASSWORD);
    assert_eq!(
        hasher().verify(PASSWORD, &stored).await.unwrap(),
        PasswordCheck::Valid { needs_rehash: true }
    );
}

#[tokio::test]
async fn stored_argon2_hash_with_hostile_memory_cost_is_invalid() {
    // m = 4 GiB: refused from the parameters alone, before any allocation.
    let stored = argon2_hash(argon2::Algorithm::Argon2id, 19_456, 2, 1, PASSWORD)
        .replace("m=19456", "m=4194304");
    assert_eq!(
        hasher().verify(PASSWORD, &stored).await.unwrap(),
        PasswordCheck::Invalid
    );
}

#[tokio::test]
async fn unparseable_stored_hash_is_invalid() {
    let hasher = hasher();
    for stored in [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$!!!$???",
        "$bcrypt$whatever",
        "c2NyeXB0", // "scrypt", far too short
    ] {
        assert_eq!(
            hasher.verify(PASSWORD, stored).await.unwrap(),
            PasswordCheck::Invalid,
            "{stored:?}"
        );
    }
}

#[tokio::test]
async fn verify_dummy_runs_for_any_password() {
    // It does the work of a real verification; timing is not asserted here.
    let hasher = hasher();
    hasher.verify_dummy(PASSWORD).await.unwrap();
    hasher.verify_dummy("").await.unwrap();
    hasher.verify_dummy(&"a".repeat(2048)).await.unwrap();
}

#[tokio::test]
async fn concurrent_hashing_through_clones_succeeds() {
    let hasher = hasher();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash(PASSWORD).await })
        })
        .collect();
    for task in tasks {
        let stored = task.await.unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$"));
    }
}

#[test]
fn error_messages_are_one_line_without_secrets() {
    for error in [
        PasswordError::TooShort,
        PasswordError::TooLong,
        PasswordError::Hashing("hashing task failed".into()),
    ] {
        let message = error.to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(!message.is_empty());
    }
}

// --- Medusa's legacy scrypt-kdf hashes ---------------------------------------------

#[tokio::test]
async fn medusa_scrypt_hashes_verify_with_the_right_password_and_need_rehash() {
    let hasher = hasher();
    let fixtures = scrypt_fixtures();
    assert!(fixtures.iter().any(|f| f.log_n == 15));
    assert!(fixtures.iter().any(|f| f.log_n != 15));
    for fixture in fixtures {
        assert_eq!(
            hasher
                .verify(&fixture.password, &fixture.hash)
                .await
                .unwrap(),
            PasswordCheck::Valid { needs_rehash: true },
            "logN {}",
            fixture.log_n
        );
    }
}

#[tokio::test]
async fn medusa_scrypt_hashes_fail_with_a_wrong_password() {
    let hasher = hasher();
    for fixture in scrypt_fixtures() {
        let wrong = format!("{}x", fixture.password);
        assert_eq!(
            hasher.verify(&wrong, &fixture.hash).await.unwrap(),
            PasswordCheck::Invalid,
            "logN {}",
            fixture.log_n
        );
    }
}

#[tokio::test]
async fn scrypt_hash_with_a_flipped_checksum_byte_fails() {
    let fixture = medusa_fixture();
    let tampered = edited_scrypt_hash(&fixture.hash, |bytes| bytes[50] ^= 0x01);
    assert_eq!(
        hasher().verify(&fixture.password, &tampered).await.unwrap(),
        PasswordCheck::Invalid
    );
}

#[tokio::test]
async fn scrypt_hash_with_a_flipped_hmac_byte_fails() {
    let fixture = medusa_fixture();
    let tampered = edited_scrypt_hash(&fixture.hash, |bytes| bytes[95] ^= 0x80);
    assert_eq!(
        hasher().verify(&fixture.password, &tampered).await.unwrap(),
        PasswordCheck::Invalid
    );
}

#[tokio::test]
async fn scrypt_hash_with_a_changed_salt_and_valid_checksum_fails() {
    let fixture = medusa_fixture();
    let tampered = edited_scrypt_hash(&fixture.hash, |bytes| {
        bytes[20] ^= 0x01;
        fix_scrypt_checksum(bytes);
    });
    assert_eq!(
        hasher().verify(&fixture.password, &tampered).await.unwrap(),
        PasswordCheck::Invalid
    );
}

#[tokio::test]
async fn scrypt_hash_with_hostile_params_fails_without_doing_the_work() {
    // logN 40 would need 128 · 8 · 2^40 bytes: refused from the header alone.
    // A huge r or p, each with a consistent checksum, is refused the same way.
    let fixture = medusa_fixture();
    let hostile_edits: [fn(&mut Vec<u8>); 4] = [
        |bytes| bytes[7] = 40,
        |bytes| bytes[7] = 0,
        |bytes| bytes[8..12].copy_from_slice(&0x3fff_ffffu32.to_be_bytes()),
        |bytes| bytes[12..16].copy_from_slice(&0x3fff_ffffu32.to_be_bytes()),
    ];
    let hasher = hasher();
    for edit in hostile_edits {
        let hostile = edited_scrypt_hash(&fixture.hash, |bytes| {
            edit(bytes);
            fix_scrypt_checksum(bytes);
        });
        assert_eq!(
            hasher.verify(&fixture.password, &hostile).await.unwrap(),
            PasswordCheck::Invalid
        );
    }
}

#[tokio::test]
async fn scrypt_hash_of_the_wrong_length_is_invalid() {
    let fixture = medusa_fixture();
    let truncated = edited_scrypt_hash(&fixture.hash, |bytes| bytes.truncate(95));
    assert_eq!(
        hasher()
            .verify(&fixture.password, &truncated)
            .await
            .unwrap(),
        PasswordCheck::Invalid
    );
}
