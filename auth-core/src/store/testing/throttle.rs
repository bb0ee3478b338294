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

/// Reservations count up to the limit; past it they are refused and the count
/// stays at the limit. A new window starts from zero.
pub async fn throttle_reserve_stops_at_the_limit_without_counting<S: ThrottleStore + ?Sized>(
    store: Arc<S>,
) {
    for expected in 1..=3 {
        assert_eq!(
            store.reserve("login:ada", WINDOW, 3).await.unwrap(),
            Some(expected)
        );
    }
    assert_eq!(store.reserve("login:ada", WINDOW, 3).await.unwrap(), None);
    assert_eq!(store.reserve("login:ada", WINDOW, 3).await.unwrap(), None);
    assert_eq!(store.count("login:ada", WINDOW).await.unwrap(), 3);
    assert_eq!(
        store.reserve("login:ada", NEXT_WINDOW, 3).await.unwrap(),
        Some(1)
    );
    assert_eq!(store.reserve("login:bob", WINDOW, 0).await.unwrap(), None);
}

/// A released reservation can be taken again; releases never go below zero
/// and leave other windows alone.
pub async fn throttle_release_gives_back_one_reservation<S: ThrottleStore + ?Sized>(store: Arc<S>) {
    store.reserve("login:ada", WINDOW, 2).await.unwrap();
    store.reserve("login:ada", WINDOW, 2).await.unwrap();
    assert_eq!(store.reserve("login:ada", WINDOW, 2).await.unwrap(), None);
    store.release("login:ada", WINDOW).await.unwrap();
    assert_eq!(store.count("login:ada", WINDOW).await.unwrap(), 1);
    assert_eq!(
        store.reserve("login:ada", WINDOW, 2).await.unwrap(),
        Some(2)
    );

    store.release("login:ada", NEXT_WINDOW).await.unwrap();
    assert_eq!(store.count("login:ada", WINDOW).await.unwrap(), 2);
    store.release("login:bob", WINDOW).await.unwrap();
    store.release("login:bob", WINDOW).await.unwrap();
    assert_eq!(store.count("login:bob", WINDOW).await.unwrap(), 0);
}

/// Of [`RACERS`] concurrent reservations against a limit of half as many,
/// exactly the limit win and the count ends at the limit.
pub async fn concurrent_reservations_admit_exactly_the_limit<S: ThrottleStore + ?Sized>(
    store: Arc<S>,
) {
    let limit = (RACERS / 2) as u64;
    let racers: Vec<_> = (0..RACERS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.reserve("login:ada", WINDOW, limit).await })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        if let Some(count) = racer.await.unwrap().unwrap() {
            winners.push(count);
        }
    }
    winners.sort_unstable();
    assert_eq!(winners, (1..=limit).collect::<Vec<_>>());
    assert_eq!(store.count("login:ada", WINDOW).await.unwrap(), limit);
}
