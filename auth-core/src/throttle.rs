//! Throttling of the credential routes: login, register, reset-password, update.
//!
//! Two fixed-window counters: requests per client address, and failures per
//! identifier (the e-mail, whether or not an identity has it, so the answer
//! does not reveal which exist). Over a limit the route answers `429` with
//! `Retry-After` before doing any work, password hashing included.
//!
//! ```
//! use auth_core::throttle::ThrottleSettings;
//!
//! let settings = ThrottleSettings::default();
//! assert_eq!(settings.failures_per_identifier, 10);
//! assert_eq!(settings.requests_per_address, 100);
//! assert_eq!(settings.window.as_secs(), 15 * 60);
//! ```

use std::time::Duration;

/// Throttling limits.
#[derive(Clone, Debug)]
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

mod checks {
    use std::net::IpAddr;

    use crate::AuthModule;
    use crate::clock::now_secs;
    use crate::error::AuthError;

    impl AuthModule {
        fn throttle_window(&self) -> (u64, u64) {
            let window = self.settings().throttle.window.as_secs().max(1);
            let now = now_secs();
            let start = now - now % window;
            (start, start + window - now)
        }

        /// Counts a request from `addr`; `429` once the address is over its limit.
        pub(crate) async fn throttle_address(&self, addr: Option<IpAddr>) -> Result<(), AuthError> {
            let settings = &self.settings().throttle;
            let Some(addr) = addr.filter(|_| settings.enabled) else {
                return Ok(());
            };
            let (start, retry_after) = self.throttle_window();
            let count = self
                .throttle_store()
                .hit(&format!("addr:{addr}"), start)
                .await?;
            if count > settings.requests_per_address {
                tracing::warn!(%addr, "client address throttled");
                return Err(AuthError::TooManyRequests { retry_after });
            }
            Ok(())
        }

        /// `429` when `identifier` has used up its failures in this window.
        pub(crate) async fn throttle_identifier(
            &self,
            identifier: Option<&str>,
        ) -> Result<(), AuthError> {
            let settings = &self.settings().throttle;
            let Some(identifier) = identifier.filter(|_| settings.enabled) else {
                return Ok(());
            };
            let (start, retry_after) = self.throttle_window();
            let count = self
                .throttle_store()
                .count(&identifier_key(identifier), start)
                .await?;
            if count >= settings.failures_per_identifier {
                tracing::warn!("identifier throttled");
                return Err(AuthError::TooManyRequests { retry_after });
            }
            Ok(())
        }

        /// Counts one failure (or, for reset requests, one attempt) of `identifier`.
        pub(crate) async fn record_identifier_failure(
            &self,
            identifier: Option<&str>,
        ) -> Result<(), AuthError> {
            if let Some(identifier) = identifier.filter(|_| self.settings().throttle.enabled) {
                let (start, _) = self.throttle_window();
                self.throttle_store()
                    .hit(&identifier_key(identifier), start)
                    .await?;
            }
            Ok(())
        }
    }

    /// Identifiers are hashed into the key, so the counters hold no e-mails.
    fn identifier_key(identifier: &str) -> String {
        format!("id:{}", crate::secret::hash_secret(identifier))
    }
}
