//! The store conformance kit (feature `testing`): the behaviour every store
//! must have, written once, for any implementation of the store traits to run
//! against itself.
//!
//! Each store trait has a module of behaviour tests ([`identities`],
//! [`revocations`], [`sessions`], [`reset_tokens`], [`refresh_tokens`],
//! [`api_keys`], [`invites`], [`throttle`], and [`credentials`] for a store
//! that holds all a password reset touches): public async functions that take a fresh,
//! empty store and panic when it misbehaves. The concurrency tests ("of N
//! concurrent consumers exactly one wins") spawn tasks, so they need a
//! multi-threaded Tokio runtime to race for real.
//!
//! [`store_conformance!`](crate::store_conformance) declares one
//! `#[tokio::test]` per behaviour, each on a store from a factory expression
//! (which may `.await`). A third-party store gets every test in a few lines of
//! its own test file:
//!
//! ```
//! // tests/conformance.rs of a crate with `auth-core = { features = ["testing"] }`
//! // and `tokio = { features = ["macros", "rt-multi-thread"] }` as dev-dependencies.
//! use auth_core::store::MemoryStore as MyStore; // your store here
//!
//! auth_core::store_conformance! {
//!     name: my_store,
//!     store: MyStore::new(),
//! }
//! # fn main() {}
//! ```
//!
//! A store that implements only some of the traits names them; a factory that
//! needs something kept alive for the whole test (a temporary directory, a
//! container) binds it in `setup`:
//!
//! ```
//! use auth_core::store::SqliteStore;
//!
//! auth_core::store_conformance! {
//!     name: sqlite_file_store,
//!     setup: { let dir = tempfile::tempdir().unwrap(); },
//!     store: SqliteStore::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display()))
//!         .await
//!         .unwrap(),
//!     traits: [sessions, revocations],
//! }
//! # fn main() {}
//! ```
//!
//! The tests are then named `my_store::sessions::created_session_is_found_by_its_id_hash`
//! and so on, so `cargo test my_store::refresh_tokens` runs one trait's tests.
//! [`fixtures`] holds the records the tests build, for a store's own extra tests.

// A panic is how a conformance test reports a failure.
#![allow(clippy::unwrap_used)]

pub mod api_keys;
pub mod credentials;
pub mod fixtures;
pub mod identities;
pub mod invites;
pub mod refresh_tokens;
pub mod reset_tokens;
pub mod revocations;
pub mod sessions;
pub mod throttle;

/// Declares one `#[tokio::test]` per behaviour of the [store conformance
/// kit](crate::store::testing), on a fresh store for each test.
///
/// ```text
/// store_conformance! {
///     name: <module name>,
///     setup: { <statements> },          // optional: bindings kept alive for the test
///     store: <expression>,              // evaluated in the async test, may .await
///     traits: [identities, sessions],   // optional: default is every trait
/// }
/// ```
///
/// The traits are `identities`, `revocations`, `sessions`, `reset_tokens`,
/// `refresh_tokens`, `api_keys`, `invites`, `throttle` and `credentials`
/// (the atomic password reset of a store holding all of them). The tests land in
/// `<name>::<trait>::<behaviour>`; names in scope where the macro is invoked
/// are in scope in `setup` and `store`. The calling crate needs `tokio` with
/// the `macros` and `rt-multi-thread` features: each test runs on a
/// multi-threaded runtime with two workers, so the concurrency tests race.
/// See the [kit's docs](crate::store::testing) for examples.
#[macro_export]
macro_rules! store_conformance {
    (
        name: $name:ident,
        $(setup: { $($setup:tt)* },)?
        store: $store:expr
        $(, traits: [$($trait:ident),+ $(,)?])?
        $(,)?
    ) => {
        $crate::__store_conformance!(
            @module $name [$($($setup)*)?] [$store] [$($($trait)+)?]
        );
    };
}

/// The steps of [`store_conformance!`]: one module per trait, one test per
/// behaviour. The setup and the store expression travel as one bracketed token
/// tree each, so that they can be repeated once per test.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance {
    (@module $name:ident $setup:tt $store:tt []) => {
        $crate::__store_conformance!(
            @module $name $setup $store
            [identities revocations sessions reset_tokens refresh_tokens api_keys invites throttle credentials]
        );
    };
    (@module $name:ident $setup:tt $store:tt [$($trait:ident)+]) => {
        mod $name {
            $($crate::__store_conformance!(@trait $trait $setup $store);)+
        }
    };
    (@trait identities $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests identities $setup $store [
            created_identity_is_found_by_id_and_by_provider_entity_id,
            unknown_identity_and_login_are_absent,
            duplicate_provider_entity_id_conflicts_and_creates_nothing,
            same_entity_id_under_another_provider_is_allowed,
            added_provider_identities_are_listed_for_their_identity,
            added_provider_identity_with_a_taken_entity_id_conflicts,
            provider_identity_for_an_unknown_identity_is_not_found,
            provider_metadata_is_replaced,
            updating_metadata_of_an_unknown_provider_identity_is_not_found,
            linked_actor_is_stored_and_a_second_link_of_the_type_is_refused,
            link_with_an_invalid_or_reserved_actor_type_is_refused,
            one_identity_links_several_actor_types,
            unlink_then_relink_works,
            linking_an_unknown_identity_is_not_found,
            concurrent_link_actor_has_exactly_one_winner,
            concurrent_registration_of_one_entity_id_has_exactly_one_winner,
            credential_changes_only_from_the_expected_hash,
            credential_change_of_an_unknown_provider_identity_is_not_found,
            concurrent_credential_changes_from_one_hash_have_exactly_one_winner,
            mixed_case_entity_id_is_found_ignoring_case_and_lower_cased_on_change,
            exact_entity_id_wins_and_case_twins_are_ambiguous,
            identity_ids_with_control_characters_are_refused,
        ]);
    };
    (@trait credentials $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests credentials $setup $store [
            completed_reset_consumes_the_token_and_revokes_every_credential,
            reset_with_a_stale_hash_changes_nothing_and_keeps_the_token,
            reset_with_an_unusable_token_changes_nothing,
            concurrent_resets_with_one_token_complete_exactly_once,
            identity_ids_with_control_characters_are_refused_by_every_store,
        ]);
    };
    (@trait revocations $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests revocations $setup $store [
            revoked_token_is_revoked_and_others_are_not,
            identity_revocation_keeps_the_latest_time,
            live_revocations_outlast_a_flood_of_expired_ones,
            live_revocations_hold_what_is_in_force,
        ]);
    };
    (@trait sessions $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests sessions $setup $store [
            created_session_is_found_by_its_id_hash,
            unknown_session_is_absent,
            second_session_with_the_same_id_hash_conflicts,
            touching_a_session_moves_last_seen_forward_only,
            touching_an_unknown_session_is_not_an_error,
            deleted_session_is_gone_and_deleting_it_again_is_not_an_error,
            deleting_identity_sessions_keeps_other_identities_sessions,
            session_without_a_login_reads_back_without_one,
            creating_past_the_per_identity_limit_ends_that_identitys_oldest_sessions,
            concurrent_creations_never_leave_an_identity_over_the_limit,
        ]);
    };
    (@trait reset_tokens $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests reset_tokens $setup $store [
            new_reset_token_supersedes_the_identitys_earlier_ones,
            reset_token_is_consumed_only_once,
            expired_reset_token_is_still_returned_for_the_caller_to_check,
            concurrent_consumers_of_one_reset_token_get_it_exactly_once,
            deleting_identity_reset_tokens_keeps_other_identities_tokens,
        ]);
    };
    (@trait refresh_tokens $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests refresh_tokens $setup $store [
            current_refresh_token_rotates_and_then_its_successor_rotates,
            successor_refresh_token_expires_no_later_than_its_family,
            reused_refresh_token_revokes_its_whole_family,
            expired_refresh_token_is_unknown_and_left_unchanged,
            unknown_refresh_token_is_unknown,
            second_refresh_token_with_the_same_hash_conflicts,
            concurrent_rotations_of_one_refresh_token_rotate_exactly_once,
            revoking_identity_refresh_tokens_makes_them_unknown,
        ]);
    };
    (@trait api_keys $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests api_keys $setup $store [
            created_api_key_is_found_by_its_secret_hash,
            api_key_with_a_taken_id_or_secret_hash_conflicts,
            revoking_an_api_key_sets_revoked_at_once,
            revoking_an_unknown_api_key_is_not_found,
        ]);
    };
    (@trait invites $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests invites $setup $store [
            created_invite_is_found_by_its_token_hash,
            invite_with_a_taken_id_or_token_hash_conflicts,
            invite_is_accepted_only_once,
            expired_or_unknown_invite_is_not_accepted,
            refused_link_leaves_the_invite_pending,
            concurrent_accepts_of_one_invite_have_exactly_one_winner,
        ]);
    };
    (@trait throttle $setup:tt $store:tt) => {
        $crate::__store_conformance!(@tests throttle $setup $store [
            throttle_hits_count_up_within_a_window,
            throttle_hit_in_a_new_window_restarts_the_count,
            throttle_count_does_not_hit,
            throttle_keys_are_counted_separately,
            concurrent_throttle_hits_are_all_counted,
            throttle_reserve_stops_at_the_limit_without_counting,
            throttle_release_gives_back_one_reservation,
            concurrent_reservations_admit_exactly_the_limit,
        ]);
    };
    (@tests $trait:ident $setup:tt $store:tt [$($behaviour:ident),+ $(,)?]) => {
        mod $trait {
            // The caller's names, for its setup and store expressions.
            #[allow(unused_imports)]
            use super::super::*;
            $($crate::__store_conformance!(@test $trait $behaviour $setup $store);)+
        }
    };
    (@test $trait:ident $behaviour:ident [$($setup:tt)*] [$store:expr]) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $behaviour() {
            $($setup)*
            let store = ::std::sync::Arc::new($store);
            $crate::store::testing::$trait::$behaviour(store).await;
        }
    };
}
