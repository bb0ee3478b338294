//! Behaviour of a [`ThrottleStore`]: fixed-window hit counters.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use auth_core::store::MemoryStore;
//! use auth_core::store::testing::throttle;
//!
//! throttle::throttle_count_does_not_hit(Arc::new(MemoryStore::new())).await;
//! # });
//! ```

use std::sync::Arc;

use super::fixtures::{NEXT_WINDOW, RACERS, WINDOW};
use crate::store::ThrottleStore;

/// Each hit in a window returns the count so far.
pub async fn throttle_hits_count_up_within_a_window<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    for expected in 1..=3 {
        assert_eq!(store.hit("ip:192.0.2.1", WINDOW).await.unwrap(), expected);
    }
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 3);
}

/// The first hit in a new window counts from one again.
pub async fn throttle_hit_in_a_new_window_restarts_the_count<S: ThrottleStore + ?Sized>(
    store: Arc<S>,
) {
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();

    assert_eq!(store.hit("ip:192.0.2.1", NEXT_WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", NEXT_WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 0);
}

/// Reading a count does not add a hit.
pub async fn throttle_count_does_not_hit<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 0);
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.1", WINDOW).await.unwrap(), 1);
    assert_eq!(store.hit("ip:192.0.2.1", WINDOW).await.unwrap(), 2);
}

/// Hits of one key do not count for another.
pub async fn throttle_keys_are_counted_separately<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    store.hit("ip:192.0.2.1", WINDOW).await.unwrap();
    assert_eq!(store.hit("login:ada@example.com", WINDOW).await.unwrap(), 1);
    assert_eq!(store.count("ip:192.0.2.2", WINDOW).await.unwrap(), 0);
}

/// [`RACERS`] concurrent hits are each counted once: they return 1 to N.
pub async fn concurrent_throttle_hits_are_all_counted<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    let racers: Vec<_> = (0..RACERS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.hit("ip:192.0.2.1", WINDOW).await })
        })
        .collect();
    let mut counts = Vec::new();
    for racer in racers {
        counts.push(racer.await.unwrap().unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=RACERS as u64).collect::<Vec<_>>());
    assert_eq!(
        store.count("ip:192.0.2.1", WINDOW).await.unwrap(),
        RACERS as u64
    );
}
