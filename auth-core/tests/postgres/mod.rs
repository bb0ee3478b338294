//! What the PostgreSQL test files share: a fresh schema per test on the
//! database of `AUTH_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when the test ends.
//!
//! There is no skipping: when the database cannot be reached the test fails
//! and says how to provide one, under CI as anywhere else, so a run never
//! reports a PostgreSQL test as passed that did not run.

#![allow(clippy::unwrap_used, dead_code)] // Shared fixtures: a panic reports a failure.

use std::str::FromStr;

use auth_core::store::PostgresStore;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection as _};

/// The database the tests use unless `AUTH_TEST_DATABASE_URL` names another.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema of its own for one test; dropped (with everything in it) on drop.
pub struct TestSchema {
    name: String,
    database: PgConnectOptions,
}

impl TestSchema {
    /// Creates an empty schema `t_<random>`.
    ///
    /// # Panics
    /// When the database cannot be reached, with what to do about it.
    pub async fn create() -> Self {
        let url = std::env::var("AUTH_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.into());
        let database = PgConnectOptions::from_str(&url)
            .unwrap_or_else(|e| panic!("AUTH_TEST_DATABASE_URL is not a PostgreSQL URL: {e}"));
        let mut connection = PgConnection::connect_with(&database)
            .await
            .unwrap_or_else(|e| panic!("{}", unreachable(&database, &e)));
        let name = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
        Self { name, database }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection options whose `search_path` is this schema alone.
    pub fn options(&self) -> PgConnectOptions {
        self.database
            .clone()
            .options([("search_path", self.name.as_str())])
    }

    /// A store on this schema, migrated.
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect_with(self.options()).await.unwrap()
    }

    /// A plain connection on this schema, for what the store does not do.
    pub async fn connection(&self) -> PgConnection {
        PgConnection::connect_with(&self.options()).await.unwrap()
    }

    /// Runs `sql` on this schema.
    pub async fn execute(&self, sql: &str) {
        let mut connection = self.connection().await;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        connection.close().await.unwrap();
    }
}

impl Drop for TestSchema {
    /// Drops the schema from a thread of its own (a `Drop` cannot await),
    /// ignoring failures: a leftover schema is only clutter.
    fn drop(&mut self) {
        let database = self.database.clone();
        let sql = format!(
            "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {} CASCADE",
            self.name
        );
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut connection) = PgConnection::connect_with(&database).await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql))
                        .execute(&mut connection)
                        .await;
                    let _ = connection.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// Why the tests cannot run, and what to do about it.
fn unreachable(database: &PgConnectOptions, error: &sqlx::Error) -> String {
    let under_ci = if std::env::var_os("CI").is_some() {
        "CI is set, and CI must provide PostgreSQL: this test fails rather than skips. "
    } else {
        ""
    };
    format!(
        "PostgreSQL is not reachable at {}:{} (database {:?}): {error}. {under_ci}\
         The PostgreSQL store tests need a server: set AUTH_TEST_DATABASE_URL, or start one \
         with `docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust \
         -e POSTGRES_DB=test postgres:17`.",
        database.get_host(),
        database.get_port(),
        database.get_database().unwrap_or("(default)"),
    )
}
