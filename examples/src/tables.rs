//! The demo's own tables, customers and admin users, on the database the auth
//! store uses: SQLite (the default) or PostgreSQL, whichever
//! `AUTH_DATABASE_URL` names. Plain `IF NOT EXISTS` DDL, kept apart from
//! auth-core's migrations so the two never disagree about the migration history.
//!
//! ```no_run
//! # async fn run() -> Result<(), auth_core::store::StoreError> {
//! use auth_core::store::SqliteStore;
//! use examples::tables::{Actor, DemoTables};
//!
//! let store = SqliteStore::connect("sqlite::memory:").await?;
//! let tables = DemoTables::Sqlite(store.pool().clone());
//! tables.create().await?;
//! let id = tables.insert(Actor::Customer, Some("ada@example.com"), None, None).await?;
//! assert!(tables.load(Actor::Customer, &id).await?.is_some());
//! # Ok(()) }
//! ```

use auth_core::store::StoreError;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{PgPool, Row as _, SqlitePool};

/// Which table an actor type lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// `customer`, in `demo_customer`.
    Customer,
    /// `user` (an admin user), in `demo_user`.
    User,
}

impl Actor {
    /// The actor type of the auth module (`app_metadata.<type>_id`).
    pub fn actor_type(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::User => "user",
        }
    }

    /// The prefix of the ids of this actor's rows.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Self::Customer => "cus",
            Self::User => "user",
        }
    }
}

/// The demo's tables on the pool of the auth store.
#[derive(Clone, Debug)]
pub enum DemoTables {
    /// On a SQLite database.
    Sqlite(SqlitePool),
    /// On a PostgreSQL database.
    Postgres(PgPool),
}

/// The SQLite DDL of the demo's tables.
const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS demo_customer (
        id TEXT PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT,
        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS demo_user (
        id TEXT PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT,
        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
];

/// The PostgreSQL DDL of the demo's tables.
const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS demo_customer (
        id text PRIMARY KEY, email text, first_name text, last_name text,
        created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS demo_user (
        id text PRIMARY KEY, email text, first_name text, last_name text,
        created_at timestamptz NOT NULL DEFAULT now())",
];

impl DemoTables {
    /// Creates the tables if they do not exist.
    pub async fn create(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool) => {
                for statement in SQLITE_SCHEMA {
                    sqlx::query(*statement).execute(pool).await?;
                }
            }
            Self::Postgres(pool) => {
                for statement in POSTGRES_SCHEMA {
                    sqlx::query(*statement).execute(pool).await?;
                }
            }
        }
        Ok(())
    }

    /// Inserts a row of `actor`; returns its new id.
    pub async fn insert(
        &self,
        actor: Actor,
        email: Option<&str>,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<String, StoreError> {
        let id = auth_core::identity::new_id(actor.id_prefix());
        match (self, actor) {
            (Self::Sqlite(pool), Actor::Customer) => {
                sqlx::query(
                    "INSERT INTO demo_customer (id, email, first_name, last_name) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(email)
                .bind(first_name)
                .bind(last_name)
                .execute(pool)
                .await?;
            }
            (Self::Sqlite(pool), Actor::User) => {
                sqlx::query(
                    "INSERT INTO demo_user (id, email, first_name, last_name) VALUES (?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(email)
                .bind(first_name)
                .bind(last_name)
                .execute(pool)
                .await?;
            }
            (Self::Postgres(pool), Actor::Customer) => {
                sqlx::query(
                    "INSERT INTO demo_customer (id, email, first_name, last_name) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(email)
                .bind(first_name)
                .bind(last_name)
                .execute(pool)
                .await?;
            }
            (Self::Postgres(pool), Actor::User) => {
                sqlx::query(
                    "INSERT INTO demo_user (id, email, first_name, last_name) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(email)
                .bind(first_name)
                .bind(last_name)
                .execute(pool)
                .await?;
            }
        }
        Ok(id)
    }

    /// The row of `actor` with this id, as the demo's API shows it
    /// (`created_at` as `YYYY-MM-DD HH:MM:SS` UTC on both databases).
    pub async fn load(&self, actor: Actor, id: &str) -> Result<Option<Value>, StoreError> {
        Ok(match (self, actor) {
            (Self::Sqlite(pool), Actor::Customer) => sqlx::query(
                "SELECT id, email, first_name, last_name, created_at \
                 FROM demo_customer WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|row| sqlite_actor_json(&row)),
            (Self::Sqlite(pool), Actor::User) => sqlx::query(
                "SELECT id, email, first_name, last_name, created_at FROM demo_user WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|row| sqlite_actor_json(&row)),
            (Self::Postgres(pool), Actor::Customer) => sqlx::query(
                "SELECT id, email, first_name, last_name, \
                 to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created_at \
                 FROM demo_customer WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|row| postgres_actor_json(&row)),
            (Self::Postgres(pool), Actor::User) => sqlx::query(
                "SELECT id, email, first_name, last_name, \
                 to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created_at \
                 FROM demo_user WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|row| postgres_actor_json(&row)),
        })
    }

    /// Deletes the row of `actor` with this id (one that could not be linked).
    pub async fn delete(&self, actor: Actor, id: &str) -> Result<(), StoreError> {
        match (self, actor) {
            (Self::Sqlite(pool), Actor::Customer) => {
                sqlx::query("DELETE FROM demo_customer WHERE id = ?")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            (Self::Sqlite(pool), Actor::User) => {
                sqlx::query("DELETE FROM demo_user WHERE id = ?")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            (Self::Postgres(pool), Actor::Customer) => {
                sqlx::query("DELETE FROM demo_customer WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            (Self::Postgres(pool), Actor::User) => {
                sqlx::query("DELETE FROM demo_user WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether an admin user has this e-mail.
    pub async fn user_email_taken(&self, email: &str) -> Result<bool, StoreError> {
        let taken = match self {
            Self::Sqlite(pool) => sqlx::query("SELECT 1 FROM demo_user WHERE email = ?")
                .bind(email)
                .fetch_optional(pool)
                .await?
                .is_some(),
            Self::Postgres(pool) => sqlx::query("SELECT 1 FROM demo_user WHERE email = $1")
                .bind(email)
                .fetch_optional(pool)
                .await?
                .is_some(),
        };
        Ok(taken)
    }
}

/// An actor row as JSON; columns that cannot be read show as `null`.
fn actor_json(text: impl Fn(&str) -> Option<String>) -> Value {
    json!({
        "id": text("id"),
        "email": text("email"),
        "first_name": text("first_name"),
        "last_name": text("last_name"),
        "created_at": text("created_at"),
    })
}

fn sqlite_actor_json(row: &SqliteRow) -> Value {
    actor_json(|column| row.try_get::<Option<String>, _>(column).ok().flatten())
}

fn postgres_actor_json(row: &PgRow) -> Value {
    actor_json(|column| row.try_get::<Option<String>, _>(column).ok().flatten())
}
