//! Password hashing: Argon2id for every new hash, and verification of the scrypt
//! hashes a Medusa backend stored, so existing users keep logging in and are
//! upgraded to Argon2id on their next login.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::password::{PasswordCheck, PasswordHasher, PasswordPolicy};
//!
//! let hasher = PasswordHasher::new(PasswordPolicy::default());
//! let stored = hasher.hash("correct horse battery staple").await.unwrap();
//! assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
//!
//! let check = hasher.verify("correct horse battery staple", &stored).await.unwrap();
//! assert_eq!(check, PasswordCheck::Valid { needs_rehash: false });
//! let check = hasher.verify("correct horse battery stapler", &stored).await.unwrap();
//! assert_eq!(check, PasswordCheck::Invalid);
//!
//! // Unknown e-mail: spend the same time as a real verification, then fail.
//! hasher.verify_dummy("correct horse battery staple").await.unwrap();
//! # });
//! ```
//!
//! What this module guarantees (SECURITY.md, "Passwords"):
//!
//! - New hashes are Argon2id PHC strings with a 16-byte random salt and at least
//!   the OWASP minimum cost (m = 19456 KiB, t = 2, p = 1).
//! - Passwords are 8 to 1024 bytes, counted in UTF-8 bytes, checked before any
//!   hashing, and never trimmed, truncated or case-changed.
//! - Hashing runs on tokio's blocking pool under a semaphore sized to the number
//!   of cores: a burst of logins cannot stall the async executor, and at most
//!   one hash per core holds memory at any time.
//! - The queue for those slots is bounded in length and in wait
//!   ([`HashingLimits`]): past either bound the answer is
//!   [`PasswordError::Busy`] (`503` with `Retry-After`), never an unbounded wait.
//! - A stored hash is untrusted input: its cost parameters are bounded before any
//!   work is done, so a hostile value cannot exhaust memory or CPU.
//! - Comparisons of secret-dependent bytes are constant time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, PasswordVerifier, Version};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

/// The shortest accepted password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;

/// The longest accepted password, in bytes. Bounds the work an attacker can
/// make the server do per request.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password could not be hashed or checked.
///
/// The messages never contain the password or the stored hash.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_BYTES`].
    #[error("password must be at least {MIN_PASSWORD_BYTES} bytes")]
    TooShort,
    /// Longer than [`MAX_PASSWORD_BYTES`].
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// The hashing machinery failed (invalid policy, RNG failure, worker panic).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// Every hashing slot is taken and the queue is full, or the wait for a
    /// slot passed [`HashingLimits::max_wait`]: try again later.
    #[error("password hashing is busy")]
    Busy,
}

/// Bounds on the queue for hashing slots: how many requests may wait, and for
/// how long.
///
/// ```
/// use std::time::Duration;
/// use auth_core::password::HashingLimits;
///
/// let limits = HashingLimits::default();
/// assert_eq!(limits.max_wait, Duration::from_secs(2));
/// let limits = limits.max_wait(Duration::from_millis(500)).max_waiting(8);
/// assert_eq!((limits.max_wait.as_millis(), limits.max_waiting), (500, 8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashingLimits {
    /// Longest wait for a slot (default 2 s, the demo's `AUTH_HASH_WAIT`).
    pub max_wait: Duration,
    /// Most requests waiting for a slot at once (default 16 per slot).
    pub max_waiting: usize,
}

/// Default queue length per hashing slot.
const WAITING_PER_SLOT: usize = 16;

impl Default for HashingLimits {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(2),
            max_waiting: WAITING_PER_SLOT * hashing_slots(),
        }
    }
}

impl HashingLimits {
    /// Sets the longest wait for a slot.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Sets how many requests may wait for a slot at once.
    pub fn max_waiting(mut self, waiting: usize) -> Self {
        self.max_waiting = waiting;
        self
    }
}

/// One hashing slot per core.
fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Checks that a password is [`MIN_PASSWORD_BYTES`] to [`MAX_PASSWORD_BYTES`]
/// long, counted in UTF-8 bytes. The password is used exactly as given.
///
/// ```
/// use auth_core::password::{PasswordError, check_password_length};
///
/// assert_eq!(check_password_length("1234567"), Err(PasswordError::TooShort));
/// assert_eq!(check_password_length("ééé€"), Ok(())); // 3 × 2 + 3 = 9 bytes
/// ```
pub fn check_password_length(password: &str) -> Result<(), PasswordError> {
    match password.len() {
        n if n < MIN_PASSWORD_BYTES => Err(PasswordError::TooShort),
        n if n > MAX_PASSWORD_BYTES => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

/// Argon2id cost parameters for new hashes.
///
/// [`Default`] is the OWASP minimum. Values below it are raised to it by
/// [`PasswordHasher::new`]: there is deliberately no cheaper setting, not even
/// for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Memory cost in KiB (OWASP minimum 19456, i.e. 19 MiB).
    pub memory_kib: u32,
    /// Number of passes over the memory (OWASP minimum 2).
    pub iterations: u32,
    /// Degree of parallelism (lanes; OWASP minimum 1).
    pub parallelism: u32,
}

impl PasswordPolicy {
    const OWASP_MINIMUM: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// This policy with every parameter raised to at least the OWASP minimum.
    fn at_least_owasp_minimum(self) -> Self {
        let min = Self::OWASP_MINIMUM;
        Self {
            memory_kib: self.memory_kib.max(min.memory_kib),
            iterations: self.iterations.max(min.iterations),
            parallelism: self.parallelism.max(min.parallelism),
        }
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches.
    Valid {
        /// The stored hash is weaker than the current policy (older parameters,
        /// another Argon2 variant, or a legacy Medusa scrypt hash): hash the
        /// password again and store the new hash.
        needs_rehash: bool,
    },
    /// The password does not match, or the stored hash is unusable.
    Invalid,
}

/// Hashes and verifies passwords off the async executor, under a concurrency limit.
///
/// Cheap to clone: clones share the policy and the concurrency limit.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    policy: PasswordPolicy,
    limits: HashingLimits,
    permits: Arc<Semaphore>,
    /// Requests waiting for a slot now.
    waiting: AtomicUsize,
    /// An Argon2id PHC string of the current policy that no password matches.
    dummy_hash: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("policy", &self.inner.policy)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Salt of the dummy hash. Its value does not matter: the dummy output matches no password.
const DUMMY_SALT: &[u8; 16] = b"auth-core-dummy!";

/// Argon2 output length of new hashes, in bytes.
const ARGON2_OUTPUT_BYTES: usize = 32;

/// Argon2 salt length of new hashes, in bytes (what `argon2` generates).
const ARGON2_SALT_BYTES: usize = 16;

/// Bounds on the cost of a *stored* Argon2 hash, unless the policy itself is higher.
const MAX_STORED_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_STORED_ARGON2_ITERATIONS: u32 = 16;
const MAX_STORED_ARGON2_PARALLELISM: u32 = 16;

impl PasswordHasher {
    /// A hasher for `policy`, raised to the OWASP minimum where it is below it,
    /// with the default [`HashingLimits`].
    ///
    /// At most [`std::thread::available_parallelism`] hashes run at once; further
    /// calls wait for a slot, within the limits.
    pub fn new(policy: PasswordPolicy) -> Self {
        Self::with_limits(policy, HashingLimits::default())
    }

    /// A hasher for `policy` whose queue for slots is bounded by `limits`.
    pub fn with_limits(policy: PasswordPolicy, limits: HashingLimits) -> Self {
        let policy = policy.at_least_owasp_minimum();
        let slots = hashing_slots();
        let dummy_hash = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            policy.memory_kib,
            policy.iterations,
            policy.parallelism,
            STANDARD_NO_PAD.encode(DUMMY_SALT),
            STANDARD_NO_PAD.encode([0u8; ARGON2_OUTPUT_BYTES]),
        );
        Self {
            inner: Arc::new(Inner {
                policy,
                limits,
                permits: Arc::new(Semaphore::new(slots)),
                waiting: AtomicUsize::new(0),
                dummy_hash,
            }),
        }
    }

    /// The effective policy (after raising to the OWASP minimum).
    pub fn policy(&self) -> PasswordPolicy {
        self.inner.policy
    }

    /// The bounds on the queue for hashing slots.
    pub fn limits(&self) -> HashingLimits {
        self.inner.limits
    }

    /// Hashes a new password into an Argon2id PHC string with a fresh 16-byte
    /// random salt. The length is checked first; nothing is hashed when it fails.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_password_length(password)?;
        let password = password.to_owned();
        let policy = self.inner.policy;
        self.run(move |_| {
            let params = argon2::Params::new(
                policy.memory_kib,
                policy.iterations,
                policy.parallelism,
                Some(ARGON2_OUTPUT_BYTES),
            )
            .map_err(|e| PasswordError::Hashing(format!("invalid Argon2 policy: {e}")))?;
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            use argon2::PasswordHasher as _;
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| PasswordError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Checks `password` against a stored hash: an Argon2 PHC string, or the
    /// base64 `scrypt-kdf` hash of a Medusa backend (always `needs_rehash`).
    ///
    /// A stored hash that cannot be parsed, or whose cost parameters are out of
    /// bounds, gives [`PasswordCheck::Invalid`] and a `tracing` warning (without
    /// the hash). A password longer than [`MAX_PASSWORD_BYTES`] is
    /// [`PasswordCheck::Invalid`] without hashing; shorter ones are checked, since
    /// Medusa had no minimum length (rehashing them will fail with
    /// [`PasswordError::TooShort`]).
    pub async fn verify(
        &self,
        password: &str,
        stored: &str,
    ) -> Result<PasswordCheck, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(PasswordCheck::Invalid);
        }
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run(move |inner| verify_stored(&inner.policy, password.as_bytes(), &stored))
            .await
    }

    /// Does the work of a real [`verify`](Self::verify) against a dummy Argon2id
    /// hash of the current policy, and discards the result. Call it when the
    /// identity is unknown, so that its absence cannot be told by timing.
    ///
    /// Fails only with [`PasswordError::Busy`], as [`verify`](Self::verify)
    /// would under the same load; other failures are logged.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(());
        }
        let password = password.to_owned();
        let outcome = self
            .run(move |inner| verify_stored(&inner.policy, password.as_bytes(), &inner.dummy_hash))
            .await;
        match outcome {
            Err(PasswordError::Busy) => Err(PasswordError::Busy),
            Err(error) => {
                tracing::warn!(%error, "dummy password verification failed");
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// A hashing slot: at once if one is free, else after a bounded wait in a
    /// bounded queue, else [`PasswordError::Busy`].
    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, PasswordError> {
        let permits = Arc::clone(&self.inner.permits);
        match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => return Ok(permit),
            Err(tokio::sync::TryAcquireError::Closed) => {
                return Err(PasswordError::Hashing("hashing pool closed".into()));
            }
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        let _place = QueuePlace::take(&self.inner.waiting, self.inner.limits.max_waiting)
            .ok_or(PasswordError::Busy)?;
        match tokio::time::timeout(self.inner.limits.max_wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(PasswordError::Hashing("hashing pool closed".into())),
            Err(_) => Err(PasswordError::Busy),
        }
    }

    /// Runs `job` on the blocking pool once a hashing slot is free.
    ///
    /// The permit moves into the blocking task, so a slot stays taken until the
    /// hashing really ends, even if the caller's future is dropped.
    async fn run<T, F>(&self, job: F) -> Result<T, PasswordError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> T + Send + 'static,
    {
        let permit = self.slot().await?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&inner)
        })
        .await
        .map_err(|_| PasswordError::Hashing("hashing task failed".into()))
    }
}

/// A place in the queue for hashing slots, given back when dropped (also when
/// the waiting request is cancelled).
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    /// A place if fewer than `max` requests wait now.
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Verifies against whichever format `stored` is in. Runs on the blocking pool.
fn verify_stored(policy: &PasswordPolicy, password: &[u8], stored: &str) -> PasswordCheck {
    let outcome = if stored.starts_with('$') {
        verify_argon2(policy, password, stored)
    } else {
        verify_scrypt_kdf(password, stored)
    };
    outcome.unwrap_or_else(|reason| {
        tracing::warn!(
            reason,
            "stored password hash is unusable; treating as invalid"
        );
        PasswordCheck::Invalid
    })
}

/// Why a stored hash cannot be used. Static strings only: nothing of the hash.
type Unusable = &'static str;

fn verify_argon2(
    policy: &PasswordPolicy,
    password: &[u8],
    stored: &str,
) -> Result<PasswordCheck, Unusable> {
    let hash = PasswordHash::new(stored).map_err(|_| "malformed PHC string")?;
    if !matches!(hash.algorithm.as_str(), "argon2id" | "argon2i" | "argon2d") {
        return Err("unsupported PHC algorithm");
    }
    let params = argon2::Params::try_from(&hash).map_err(|_| "invalid Argon2 parameters")?;
    if params.m_cost() > MAX_STORED_ARGON2_MEMORY_KIB.max(policy.memory_kib)
        || params.t_cost() > MAX_STORED_ARGON2_ITERATIONS.max(policy.iterations)
        || params.p_cost() > MAX_STORED_ARGON2_PARALLELISM.max(policy.parallelism)
    {
        return Err("Argon2 parameters above the accepted bounds");
    }
    let (Some(salt), Some(output)) = (&hash.salt, &hash.hash) else {
        return Err("PHC string without salt or hash");
    };
    let needs_rehash = hash.algorithm != ARGON2ID_IDENT
        || hash.version != Some(Version::V0x13.into())
        || params.m_cost() < policy.memory_kib
        || params.t_cost() < policy.iterations
        || params.p_cost() < policy.parallelism
        || salt.len() < ARGON2_SALT_BYTES
        || output.len() < ARGON2_OUTPUT_BYTES;
    // Uses the algorithm, version and parameters of `hash`; the output
    // comparison inside is constant time.
    match Argon2::default().verify_password(password, &hash) {
        Ok(()) => Ok(PasswordCheck::Valid { needs_rehash }),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(PasswordCheck::Invalid),
        Err(_) => Err("Argon2 verification error"),
    }
}

/// Length of a decoded `scrypt-kdf` hash.
const SCRYPT_KDF_BYTES: usize = 96;

/// Largest accepted `logN` of a stored scrypt hash (Medusa uses 15).
const MAX_SCRYPT_LOG_N: u8 = 20;
/// Largest accepted scrypt memory, `128 · r · N` bytes (Medusa: 32 MiB).
const MAX_SCRYPT_MEMORY_BYTES: u64 = 256 << 20;
/// Largest accepted scrypt work, `128 · r · N · p` bytes mixed.
const MAX_SCRYPT_WORK_BYTES: u64 = 1 << 30;

/// Verifies a hash made by the npm package `scrypt-kdf`, as Medusa stores it:
/// `(await Scrypt.kdf(password, { logN: 15, r: 8, p: 1 })).toString("base64")`.
///
/// The 96 bytes are Colin Percival's scrypt header: `"scrypt"`, version 0, logN,
/// r (u32 BE), p (u32 BE), a 32-byte salt, the first 16 bytes of SHA-256 of bytes
/// 0..48, and HMAC-SHA256 of bytes 0..64 keyed with bytes 32..64 of
/// `scrypt(password, salt, N = 2^logN, r, p, 64 bytes)`.
fn verify_scrypt_kdf(password: &[u8], stored: &str) -> Result<PasswordCheck, Unusable> {
    let bytes = STANDARD
        .decode(stored.trim_end())
        .map_err(|_| "neither a PHC string nor base64")?;
    let bytes: &[u8; SCRYPT_KDF_BYTES] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| "scrypt-kdf hash of the wrong length")?;
    let (header, rest) = bytes.split_at(48);
    let (checksum, mac) = rest.split_at(16);
    if &header[..6] != b"scrypt" || header[6] != 0 {
        return Err("not a scrypt-kdf hash");
    }
    let log_n = header[7];
    let r = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    let p = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
    let salt = &header[16..48];

    // Bound the cost before doing any work: the stored value may be hostile.
    if !(1..=MAX_SCRYPT_LOG_N).contains(&log_n) || r == 0 || p == 0 {
        return Err("scrypt parameters out of bounds");
    }
    let memory = 128 * u64::from(r) * (1u64 << log_n);
    if memory > MAX_SCRYPT_MEMORY_BYTES || memory * u64::from(p) > MAX_SCRYPT_WORK_BYTES {
        return Err("scrypt parameters out of bounds");
    }

    let expected_checksum = Sha256::digest(header);
    if !bool::from(expected_checksum[..16].ct_eq(checksum)) {
        return Ok(PasswordCheck::Invalid);
    }

    let params = scrypt::Params::new(log_n, r, p).map_err(|_| "invalid scrypt parameters")?;
    let mut derived = [0u8; 64];
    scrypt::scrypt(password, salt, &params, &mut derived).map_err(|_| "scrypt failed")?;
    let mut hmac = hmac::Hmac::<Sha256>::new_from_slice(&derived[32..])
        .map_err(|_| "invalid HMAC key length")?;
    hmac.update(&bytes[..64]);
    let expected_mac = hmac.finalize().into_bytes();
    if bool::from(expected_mac.as_slice().ct_eq(mac)) {
        Ok(PasswordCheck::Valid { needs_rehash: true })
    } else {
        Ok(PasswordCheck::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_busy_at_once_and_a_long_wait_is_busy_at_the_bound() {
        let limits = HashingLimits::default()
            .max_wait(Duration::from_millis(50))
            .max_waiting(1);
        let hasher = PasswordHasher::with_limits(PasswordPolicy::default(), limits);
        // Hold every slot, as a flood of long hashes would.
        let slots = hashing_slots() as u32;
        let _held = Arc::clone(&hasher.inner.permits)
            .acquire_many_owned(slots)
            .await
            .unwrap();

        let waiter = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                (hasher.hash("correct horse").await, started.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        // The one place in the queue is taken: refused without waiting.
        let started = std::time::Instant::now();
        assert_eq!(
            hasher.verify_dummy("correct horse").await,
            Err(PasswordError::Busy)
        );
        assert!(started.elapsed() < Duration::from_millis(40));

        let (outcome, waited) = waiter.await.unwrap();
        assert_eq!(outcome, Err(PasswordError::Busy));
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        assert!(waited < Duration::from_secs(1), "{waited:?}");
        assert_eq!(hasher.inner.waiting.load(Ordering::Acquire), 0);
    }

    #[test]
    fn dummy_hash_is_a_well_formed_policy_hash_that_matches_nothing() {
        // verify_dummy only resists timing if the dummy takes the full Argon2 path
        // rather than failing early as unusable.
        let hasher = PasswordHasher::new(PasswordPolicy::default());
        let dummy = &hasher.inner.dummy_hash;
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            verify_argon2(&hasher.policy(), b"correct horse battery staple", dummy),
            Ok(PasswordCheck::Invalid)
        );
    }
}
