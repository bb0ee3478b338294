//! The store conformance kit run against every store of this crate: in memory,
//! SQLite on a file (several pooled connections, so the concurrency tests race
//! against real locking) and SQLite in memory.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

mod stores;

use std::sync::Arc;

use auth_core::store::testing::reset_tokens;
use auth_core::store::{MemoryStore, ResetTokenRecord, ResetTokenStore, SqliteStore, StoreError};

auth_core::store_conformance! {
    name: memory_store,
    store: MemoryStore::new(),
}

auth_core::store_conformance! {
    name: sqlite_file_store,
    setup: { let dir = tempfile::tempdir().unwrap(); },
    store: stores::open_file_store(dir.path()).await,
}

auth_core::store_conformance! {
    name: sqlite_in_memory_store,
    store: SqliteStore::connect("sqlite::memory:").await.unwrap(),
}

// ---------------------------------------------------------------- the kit itself

/// A broken store: it hands out a reset token and keeps it, so the token can
/// be used again.
struct ReusableResetTokens(MemoryStore);

#[async_trait::async_trait]
impl ResetTokenStore for ReusableResetTokens {
    async fn replace_reset_token(&self, record: &ResetTokenRecord) -> Result<(), StoreError> {
        self.0.replace_reset_token(record).await
    }

    async fn reset_token(&self, token_hash: &str) -> Result<Option<ResetTokenRecord>, StoreError> {
        self.0.reset_token(token_hash).await
    }

    async fn consume_reset_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ResetTokenRecord>, StoreError> {
        let consumed = self.0.consume_reset_token(token_hash).await?;
        if let Some(record) = &consumed {
            self.0.replace_reset_token(record).await?;
        }
        Ok(consumed)
    }

    async fn delete_identity_reset_tokens(&self, auth_identity_id: &str) -> Result<(), StoreError> {
        self.0.delete_identity_reset_tokens(auth_identity_id).await
    }
}

/// Runs a behaviour on its own task: `true` when it panicked, i.e. failed the store.
async fn fails(behaviour: impl Future<Output = ()> + Send + 'static) -> bool {
    tokio::spawn(behaviour)
        .await
        .is_err_and(|error| error.is_panic())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kit_fails_a_store_that_hands_out_a_reset_token_twice() {
    let broken = || Arc::new(ReusableResetTokens(MemoryStore::new()));
    assert!(fails(reset_tokens::reset_token_is_consumed_only_once(broken())).await);
    assert!(
        fails(reset_tokens::concurrent_consumers_of_one_reset_token_get_it_exactly_once(broken()))
            .await
    );
    // The behaviours it does not break still pass.
    assert!(
        !fails(reset_tokens::new_reset_token_supersedes_the_identitys_earlier_ones(broken())).await
    );
}

/// `store_conformance!` lists the behaviours by name (a declarative macro
/// cannot read a module); a behaviour added to a module but not to the list
/// would silently never run.
#[test]
fn kit_macro_runs_every_public_behaviour() {
    let macro_source = include_str!("../src/store/testing/mod.rs");
    for (store_trait, module_source) in [
        (
            "identities",
            include_str!("../src/store/testing/identities.rs"),
        ),
        (
            "revocations",
            include_str!("../src/store/testing/revocations.rs"),
        ),
        ("sessions", include_str!("../src/store/testing/sessions.rs")),
        (
            "reset_tokens",
            include_str!("../src/store/testing/reset_tokens.rs"),
        ),
        (
            "refresh_tokens",
            include_str!("../src/store/testing/refresh_tokens.rs"),
        ),
        ("api_keys", include_str!("../src/store/testing/api_keys.rs")),
        ("invites", include_str!("../src/store/testing/invites.rs")),
        ("throttle", include_str!("../src/store/testing/throttle.rs")),
        (
            "credentials",
            include_str!("../src/store/testing/credentials.rs"),
        ),
    ] {
        let arm = macro_source
            .split_once(&format!("(@trait {store_trait} "))
            .and_then(|(_, rest)| rest.split_once("]);"))
            .map(|(arm, _)| arm)
            .unwrap_or_else(|| panic!("no macro arm for {store_trait}"));
        let behaviours: Vec<&str> = module_source
            .split("pub async fn ")
            .skip(1)
            .map(|rest| rest.split(['<', '(']).next().unwrap())
            .collect();
        assert!(!behaviours.is_empty(), "{store_trait}");
        for behaviour in behaviours {
            assert!(
                arm.contains(&format!("{behaviour},")),
                "{store_trait}::{behaviour} is not in store_conformance!"
            );
        }
    }
}
