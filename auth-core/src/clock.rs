//! The current time, in the units the stores and tokens use.
//!
//! ```
//! let seconds = auth_core::clock::now_secs();
//! let millis = auth_core::clock::now_ms();
//! assert!(millis / 1000 >= seconds);
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in seconds (0 if the system clock is before 1970).
pub fn now_secs() -> u64 {
    now_ms() / 1000
}

/// Unix time in milliseconds (0 if the system clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
