//! Throttling of the credential routes: login, register, reset-password, update.
//!
//! Two kinds of fixed-window counters: requests per client address (IPv6
//! clients per /64, see [`address_key`]), and
//! attempts per identifier (the e-mail, whether or not an identity has it, so
//! the answer does not reveal which exist). Over a limit the route answers
//! `429` with `Retry-After` before doing any work, password hashing included.
//!
//! Attempt counters belong to one [`AttemptPurpose`] and are keyed by purpose,
//! actor type, provider and identifier: reset requests and registrations never
//! count as login failures, so nobody can lock another person out. An attempt
//! is reserved before the password is hashed, in one atomic store operation
//! ([`ThrottleStore::reserve`]), so parallel guesses cannot overshoot the limit.
//! An attempt that was not a guess (a successful login, a request refused
//! before any password was checked) gives its reservation back
//! ([`Throttle::release`]); a failed one keeps it until the window ends.
//!
//! [`Throttle`] is the service: it counts in a [`ThrottleStore`] under
//! [`ThrottleSettings`], in windows of its clock's time.
//!
//! ```
//! use auth_core::throttle::ThrottleSettings;
//!
//! let settings = ThrottleSettings::default();
//! assert!(!settings.clone().enabled(false).enabled);
//! assert_eq!(settings.failures_per_identifier, 10);
//! assert_eq!(settings.requests_per_address, 100);
//! assert_eq!(settings.window.as_secs(), 15 * 60);
//! ```

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::error::AuthError;
use crate::secret::hash_secret;
use crate::store::ThrottleStore;
use crate::telemetry::{self, ThrottleScope};

/// Throttling limits.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ThrottleSettings {
    /// Whether throttling is on (default on).
    pub enabled: bool,
    /// Failed attempts allowed per identifier and window (default 10).
    pub failures_per_identifier: u64,
    /// Requests allowed per client address and window (default 100).
    pub requests_per_address: u64,
    /// The window (default 15 minutes).
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            failures_per_identifier: 10,
            requests_per_address: 100,
            window: Duration::from_secs(15 * 60),
        }
    }
}

impl ThrottleSettings {
    /// Sets whether throttling is on.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Sets the failures allowed per identifier and window.
    pub fn failures_per_identifier(mut self, failures: u64) -> Self {
        self.failures_per_identifier = failures;
        self
    }

    /// Sets the requests allowed per client address and window.
    pub fn requests_per_address(mut self, requests: u64) -> Self {
        self.requests_per_address = requests;
        self
    }

    /// Sets the window.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }
}

/// Fixed-window throttling: a [`ThrottleStore`] under [`ThrottleSettings`].
#[derive(Clone)]
pub struct Throttle {
    store: Arc<dyn ThrottleStore>,
    settings: ThrottleSettings,
    clock: SharedClock,
}

impl Throttle {
    /// Counters kept in `store`.
    pub fn new(
        store: Arc<dyn ThrottleStore>,
        settings: ThrottleSettings,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            settings,
            clock,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ThrottleSettings {
        &self.settings
    }

    /// The current window's start and the seconds until it ends.
    fn window(&self) -> (u64, u64) {
        let window = self.settings.window.as_secs().max(1);
        let now = self.clock.now_secs();
        let start = now - now % window;
        (start, start + window - now)
    }

    /// Counts a request from `addr`; `429` once the address is over its limit.
    /// IPv6 addresses are counted per /64 (see [`address_key`]).
    pub async fn hit_address(&self, addr: Option<IpAddr>) -> Result<(), AuthError> {
        let Some(addr) = addr.filter(|_| self.settings.enabled) else {
            return Ok(());
        };
        let (start, retry_after) = self.window();
        let key = format!("addr:{}", address_key(addr));
        let count = self.store.hit(&key, start).await?;
        if count > self.settings.requests_per_address {
            tracing::warn!(%addr, "client address throttled");
            telemetry::count_throttled(ThrottleScope::Address);
            return Err(AuthError::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// Reserves one attempt of `identifier` for `purpose` under `actor_type`
    /// and `provider`, before any password is hashed: `429` when the window's
    /// attempts are used up. `None` when throttling is off or there is no
    /// identifier. Give the reservation back with [`release`](Self::release)
    /// when the attempt turns out not to be a failed guess.
    pub async fn reserve(
        &self,
        purpose: AttemptPurpose,
        actor_type: &str,
        provider: &str,
        identifier: Option<&str>,
    ) -> Result<Option<Reservation>, AuthError> {
        let Some(identifier) = identifier.filter(|_| self.settings.enabled) else {
            return Ok(None);
        };
        let (window_start, retry_after) = self.window();
        let key = attempt_key(purpose, actor_type, provider, identifier);
        let limit = self.settings.failures_per_identifier;
        match self.store.reserve(&key, window_start, limit).await? {
            Some(_) => Ok(Some(Reservation { key, window_start })),
            None => {
                tracing::warn!(purpose = purpose.as_str(), "identifier throttled");
                telemetry::count_throttled(ThrottleScope::Identifier);
                Err(AuthError::TooManyRequests { retry_after })
            }
        }
    }

    /// Gives back a reservation whose attempt was not a failed guess. A store
    /// error is logged, not returned: the attempt stays counted, which errs on
    /// the side of throttling.
    pub async fn release(&self, reservation: Option<Reservation>) {
        let Some(Reservation { key, window_start }) = reservation else {
            return;
        };
        if let Err(error) = self.store.release(&key, window_start).await {
            tracing::warn!(%error, "throttle reservation not released");
        }
    }
}

/// What a client address is counted as: an IPv4 address by itself (an
/// IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address by its /64
/// network, the block one subscriber is given and can rotate through at will.
///
/// ```
/// use auth_core::throttle::address_key;
///
/// assert_eq!(address_key("2001:db8:1:2:aaaa::1".parse().unwrap()), "2001:db8:1:2::/64");
/// assert_eq!(address_key("2001:db8:1:2::ffff".parse().unwrap()), "2001:db8:1:2::/64");
/// assert_eq!(address_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
/// assert_eq!(address_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
/// ```
pub fn address_key(addr: IpAddr) -> String {
    match addr.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX));
            format!("{network}/64")
        }
    }
}

/// What an attempt counter counts. Each purpose has its own counters, so
/// attempts of one kind never use up another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptPurpose {
    /// A login with a password: a guess.
    Login,
    /// A registration.
    Register,
    /// A password reset request (bounds the notifications one identifier gets).
    ResetRequest,
}

impl AttemptPurpose {
    /// The purpose's name in counter keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::ResetRequest => "reset",
        }
    }
}

/// One reserved attempt, to give back with [`Throttle::release`] when it was
/// not a failed guess.
#[derive(Debug)]
#[must_use = "a reservation is kept unless it is released"]
pub struct Reservation {
    key: String,
    window_start: u64,
}

/// The counter key of an attempt. The identifier is hashed (with the actor type
/// and provider), so the counters hold no e-mails.
fn attempt_key(
    purpose: AttemptPurpose,
    actor_type: &str,
    provider: &str,
    identifier: &str,
) -> String {
    // Length-prefixed, so the three parts cannot run into each other.
    let scope = format!(
        "{}:{actor_type}{}:{provider}{identifier}",
        actor_type.len(),
        provider.len()
    );
    format!("{}:{}", purpose.as_str(), hash_secret(&scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;
    use crate::store::MemoryStore;

    fn throttle(requests_per_address: u64) -> Throttle {
        Throttle::new(
            Arc::new(MemoryStore::new()),
            ThrottleSettings::default().requests_per_address(requests_per_address),
            Arc::new(TestClock::at_secs(1_700_000_000)),
        )
    }

    #[tokio::test]
    async fn ipv6_addresses_of_one_64_share_one_budget() {
        let throttle = throttle(2);
        for addr in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
            throttle
                .hit_address(Some(addr.parse().unwrap()))
                .await
                .unwrap();
        }
        let rotated = throttle
            .hit_address(Some("2001:db8:1:2:ffff::3".parse().unwrap()))
            .await;
        assert!(matches!(rotated, Err(AuthError::TooManyRequests { .. })));
        let other_network = throttle
            .hit_address(Some("2001:db8:1:3::1".parse().unwrap()))
            .await;
        assert_eq!(other_network, Ok(()));
    }

    #[tokio::test]
    async fn an_ipv4_mapped_address_shares_the_ipv4_budget() {
        let throttle = throttle(1);
        throttle
            .hit_address(Some("192.0.2.7".parse().unwrap()))
            .await
            .unwrap();
        let mapped = throttle
            .hit_address(Some("::ffff:192.0.2.7".parse().unwrap()))
            .await;
        assert!(matches!(mapped, Err(AuthError::TooManyRequests { .. })));
    }
}
