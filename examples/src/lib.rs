//! # examples: the demo store, once per framework
//!
//! The same application (the contract's "demo store") served by axum, actix-web
//! and warp: the auth routes, customers and admin users linked to auth
//! identities, all persisted in SQLite or PostgreSQL (`AUTH_DATABASE_URL`).
//! Everything but the routing is shared:
//!
//! - [`config`]: the environment variables, read once;
//! - [`demo`]: the actor layer's handlers and route policies;
//! - [`tables`]: the demo's own tables (customers, admin users), on either database;
//! - [`server`]: starting a server on its own thread;
//! - [`cli`]: the binaries' `user` subcommand (the first admin, invites);
//! - [`notifier`]: where the demo sends reset tokens (a line on standard output);
//! - [`axum_app`], [`actix_app`], [`warp_app`]: the routing, one file each.
//!
//! Run one with `cargo run -p examples --bin axum-store` (or `actix-store`,
//! `warp-store`).
//!
//! ```no_run
//! use examples::config::DemoConfig;
//!
//! let mut config = DemoConfig::from_env().unwrap();
//! config.addr = "127.0.0.1:0".parse().unwrap();
//! for start in [examples::axum_app::start, examples::actix_app::start, examples::warp_app::start] {
//!     let server = start(config.clone()).unwrap();
//!     println!("{}", server.url());
//! }
//! ```

pub mod actix_app;
pub mod axum_app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod notifier;
pub mod server;
pub mod tables;
pub mod warp_app;

/// Logs to standard error, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
