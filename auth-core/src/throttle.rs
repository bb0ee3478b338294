//! Throttling of the credential routes: login, register, reset-password, update.
//!
//! Two fixed-window counters: requests per client address, and failures per
//! identifier (the e-mail, whether or not an identity has it, so the answer
//! does not reveal which exist). Over a limit the route answers `429` with
//! `Retry-After` before doing any work, password hashing included.
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

use std::net::IpAddr;
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
    pub async fn hit_address(&self, addr: Option<IpAddr>) -> Result<(), AuthError> {
        let Some(addr) = addr.filter(|_| self.settings.enabled) else {
            return Ok(());
        };
        let (start, retry_after) = self.window();
        let count = self.store.hit(&format!("addr:{addr}"), start).await?;
        if count > self.settings.requests_per_address {
            tracing::warn!(%addr, "client address throttled");
            telemetry::count_throttled(ThrottleScope::Address);
            return Err(AuthError::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// `429` when `identifier` has used up its failures in this window.
    pub async fn check_identifier(&self, identifier: Option<&str>) -> Result<(), AuthError> {
        let Some(identifier) = identifier.filter(|_| self.settings.enabled) else {
            return Ok(());
        };
        let (start, retry_after) = self.window();
        let count = self.store.count(&identifier_key(identifier), start).await?;
        if count >= self.settings.failures_per_identifier {
            tracing::warn!("identifier throttled");
            telemetry::count_throttled(ThrottleScope::Identifier);
            return Err(AuthError::TooManyRequests { retry_after });
        }
        Ok(())
    }

    /// Counts one failure (or, for reset requests, one attempt) of `identifier`.
    pub async fn record_failure(&self, identifier: Option<&str>) -> Result<(), AuthError> {
        if let Some(identifier) = identifier.filter(|_| self.settings.enabled) {
            let (start, _) = self.window();
            self.store.hit(&identifier_key(identifier), start).await?;
        }
        Ok(())
    }
}

/// Identifiers are hashed into the key, so the counters hold no e-mails.
fn identifier_key(identifier: &str) -> String {
    format!("id:{}", hash_secret(identifier))
}
