//! The one clock of the module: every expiry (access tokens, sessions, reset
//! tokens, refresh tokens, throttle windows) reads the time from a [`Clock`].
//!
//! [`SystemClock`] is the default. [`TestClock`] stands still until it is
//! advanced by hand, so expiry logic (the module's, or your own) is tested with
//! real durations and no sleeping:
//!
//! ```
//! use std::time::Duration;
//! use auth_core::clock::{Clock, TestClock};
//!
//! let clock = TestClock::at_secs(1_700_000_000);
//! let seen_by_the_module = clock.clone(); // clones share one time
//! clock.advance(Duration::from_secs(61 * 60));
//! assert_eq!(seen_by_the_module.now_secs(), 1_700_000_000 + 61 * 60);
//! ```
//!
//! Hand a clock to the module with
//! [`AuthModuleBuilder::clock`](crate::AuthModuleBuilder::clock). Stores never
//! read a clock to decide anything: they are given `now` by the caller.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, in Unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> u64;

    /// Unix time in seconds.
    fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// The operating system's clock (0 if it is before 1970). The default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to. Clones share the same time, so a
/// test keeps one clone and gives the other to the module.
#[derive(Clone, Debug)]
pub struct TestClock {
    now_ms: Arc<AtomicU64>,
}

impl TestClock {
    /// A clock stopped at `now_ms` (Unix milliseconds).
    pub fn at_ms(now_ms: u64) -> Self {
        Self {
            now_ms: Arc::new(AtomicU64::new(now_ms)),
        }
    }

    /// A clock stopped at `now_secs` (Unix seconds).
    pub fn at_secs(now_secs: u64) -> Self {
        Self::at_ms(now_secs.saturating_mul(1000))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by_ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.now_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by_ms))
            })
            .ok();
    }

    /// Sets the clock to `now_ms` (Unix milliseconds), backwards or forwards.
    pub fn set_ms(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Default for TestClock {
    /// Stopped at 2023-11-14T22:13:20Z (Unix 1 700 000 000).
    fn default() -> Self {
        Self::at_secs(1_700_000_000)
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

/// A clock shared by the services of one module.
pub type SharedClock = Arc<dyn Clock>;

/// [`SystemClock`]'s time in seconds: for code outside a module (store tests,
/// tools). The module itself reads its injected clock.
pub fn now_secs() -> u64 {
    SystemClock.now_secs()
}

/// [`SystemClock`]'s time in milliseconds; see [`now_secs`].
pub fn now_ms() -> u64 {
    SystemClock.now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = TestClock::at_ms(1_000);
        let other = clock.clone();
        assert_eq!(other.now_ms(), 1_000);
        clock.advance(Duration::from_millis(2_500));
        assert_eq!(other.now_ms(), 3_500);
        assert_eq!(other.now_secs(), 3);
        clock.set_ms(10);
        assert_eq!(other.now_ms(), 10);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_secs() > 1_577_836_800);
    }
}
