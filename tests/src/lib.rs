//! The conformance harness: start an adapter's demo store on a loopback port
//! with its own SQLite file, and talk to it over real HTTP.
//!
//! The cases live in `tests/conformance.rs` and are written once; a macro
//! there runs every case against every adapter in [`ADAPTERS`].
//!
//! ```no_run
//! # async fn run() {
//! use conformance::{App, ADAPTERS};
//!
//! let app = App::start(&ADAPTERS[0]);
//! let reply = app.get("/health", &[]).await;
//! assert_eq!(reply.status, 200);
//! # }
//! ```

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::AuthContext;
use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
use examples::config::{DemoConfig, SigningConfig};
use examples::server::{RunningServer, StartError};
use http::{HeaderMap, Method};
use serde_json::{Value, json};

/// The HS256 secret every test server signs with.
pub const TEST_SECRET: &str = "conformance-suite-secret-0123456789abcdef";
/// The issuer every test server uses.
pub const TEST_ISSUER: &str = "http://conformance.test";
/// The audience every test server uses.
pub const TEST_AUDIENCE: &str = "conformance";
/// The password used by the fixtures.
pub const PASSWORD: &str = "correct horse battery";

/// A demo store implementation under test.
pub struct Adapter {
    /// `axum`, `actix` or `warp`.
    pub name: &'static str,
    /// Starts its demo server.
    pub start: fn(DemoConfig) -> Result<RunningServer, StartError>,
}

/// Every adapter the suite runs against.
pub const ADAPTERS: &[Adapter] = &[
    Adapter {
        name: "axum",
        start: examples::axum_app::start,
    },
    Adapter {
        name: "actix",
        start: examples::actix_app::start,
    },
    Adapter {
        name: "warp",
        start: examples::warp_app::start,
    },
];

/// A running demo store with its own database file.
pub struct App {
    server: Option<RunningServer>,
    adapter: &'static Adapter,
    config: DemoConfig,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

/// One HTTP answer, fully read.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body text if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "status {} body is not JSON: {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `body.token`, which must be a string.
    pub fn token(&self) -> String {
        let body = self.json();
        body["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {body}"))
            .to_owned()
    }
}

/// The configuration of a test server storing in `database`.
pub fn test_config(database: &std::path::Path) -> DemoConfig {
    let mut config = DemoConfig::from_lookup(|_| None).expect("defaults are valid");
    config.addr = "127.0.0.1:0".parse().expect("loopback address");
    config.database_url = format!("sqlite://{}?mode=rwc", database.display());
    config.signing = SigningConfig::Secret(TEST_SECRET.into());
    config.issuer = TEST_ISSUER.into();
    config.audience = TEST_AUDIENCE.into();
    config.cookie_secure = false;
    config
}

impl App {
    /// Starts `adapter`'s demo store on a fresh database.
    pub fn start(adapter: &'static Adapter) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = test_config(&dir.path().join("auth.db"));
        let server = (adapter.start)(config.clone())
            .unwrap_or_else(|e| panic!("{} demo did not start: {e}", adapter.name));
        Self {
            server: Some(server),
            adapter,
            config,
            client: reqwest::Client::new(),
            dir,
        }
    }

    /// The adapter's name.
    pub fn adapter(&self) -> &'static str {
        self.adapter.name
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server
            .as_ref()
            .map(RunningServer::url)
            .unwrap_or_default()
    }

    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("auth.db")
    }

    /// Runs `sql` on the server's database from a connection of the test's
    /// own (as an operator, another process or a failing disk would), with
    /// `binds` bound in order as `?1`, `?2`, ...; returns the rows changed.
    pub async fn execute_sql(&self, sql: &'static str, binds: &[&str]) -> u64 {
        let side = self.side_database().await;
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(bind.to_string());
        }
        let done = query
            .execute(side.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        side.pool().close().await;
        done.rows_affected()
    }

    /// One number from the server's database: `sql` with `binds` bound.
    pub async fn count_sql(&self, sql: &'static str, binds: &[&str]) -> i64 {
        let side = self.side_database().await;
        let mut query = sqlx::query_scalar(sql);
        for bind in binds {
            query = query.bind(bind.to_string());
        }
        let count = query
            .fetch_one(side.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        side.pool().close().await;
        count
    }

    /// A second connection to the server's database.
    async fn side_database(&self) -> auth_core::store::SqliteStore {
        let url = format!("sqlite://{}", self.database().display());
        auth_core::store::SqliteStore::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"))
    }

    /// Stops the server and starts it again on the same database.
    pub fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let server = (self.adapter.start)(self.config.clone())
            .unwrap_or_else(|e| panic!("{} demo did not restart: {e}", self.adapter.name));
        self.server = Some(server);
    }

    /// Stops the server, changes its configuration, and starts it again on the
    /// same database (e.g. to turn refresh tokens on).
    pub fn restart_with(&mut self, change: impl FnOnce(&mut DemoConfig)) {
        change(&mut self.config);
        self.restart();
    }

    /// Sends a request with raw headers and body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.url()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `GET path` with headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, path, headers, None).await
    }

    /// `POST path` with a JSON body and headers.
    pub async fn post(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(
            Method::POST,
            path,
            &all,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// `GET path` with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.get(path, &[("authorization", &auth)]).await
    }

    /// `POST path` with a bearer token and a JSON body.
    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {token}");
        self.post(path, body, &[("authorization", &auth)]).await
    }

    /// Registers `email` as `actor_type` with emailpass; returns the reply.
    pub async fn register(&self, actor_type: &str, email: &str) -> Reply {
        self.post(
            &format!("/auth/{actor_type}/emailpass/register"),
            &json!({"email": email, "password": PASSWORD}),
            &[],
        )
        .await
    }

    /// Logs in `email` as `actor_type` with `password`; returns the reply.
    pub async fn login(&self, actor_type: &str, email: &str, password: &str) -> Reply {
        self.post(
            &format!("/auth/{actor_type}/emailpass"),
            &json!({"email": email, "password": password}),
            &[],
        )
        .await
    }

    /// Creates an admin user for `email` (password [`PASSWORD`]) as an operator
    /// would, with the demo binary's `user` subcommand on this server's
    /// database, and logs in: returns the admin's token.
    pub async fn admin_token(&self, email: &str) -> String {
        let args = ["--email", email, "--password", PASSWORD].map(String::from);
        let config = self.config.clone();
        let line = tokio::task::spawn_blocking(move || examples::cli::user_command(&args, &config))
            .await
            .expect("the user subcommand ran")
            .unwrap_or_else(|error| panic!("user subcommand failed: {error}"));
        assert!(line.starts_with("user user_"), "{line}");
        let login = self.login("user", email, PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.text());
        login.token()
    }

    /// Invites `email` with `admin`'s token; returns the invite token.
    pub async fn invite(&self, admin: &str, email: &str) -> String {
        let invited = self
            .post_as("/admin/invites", admin, &json!({"email": email}))
            .await;
        assert_eq!(invited.status, 200, "{}", invited.text());
        invited.json()["invite"]["token"]
            .as_str()
            .expect("invite token")
            .to_owned()
    }

    /// Accepts `invite` with `token` (a fresh identity's register token).
    pub async fn accept_invite(&self, token: &str, invite: &str) -> Reply {
        let path = format!("/admin/invites/accept?token={invite}");
        self.post_as(&path, token, &json!({})).await
    }

    /// Registers a customer, creates the customer actor, and logs in again:
    /// returns a registered customer's token.
    pub async fn customer_token(&self, email: &str) -> String {
        let registration = self.register("customer", email).await;
        assert_eq!(registration.status, 200, "{}", registration.text());
        let created = self
            .post_as(
                "/store/customers",
                &registration.token(),
                &json!({"email": email}),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        let login = self.login("customer", email, PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.text());
        login.token()
    }
}

/// The newest reset token the demo's notifier printed for `email` as
/// `actor_type`, other than `not`. Reads the lines a user would find in the
/// development mail catcher: `password-reset <actor_type> <email> <token>`.
pub fn find_reset_token(actor_type: &str, email: &str, not: Option<&str>) -> Option<String> {
    examples::notifier::sent_resets()
        .into_iter()
        .rev()
        .find_map(|line| {
            let mut words = line.split(' ');
            let (kind, actor, who, token) =
                (words.next()?, words.next()?, words.next()?, words.next()?);
            (kind == "password-reset" && actor == actor_type && who == email && Some(token) != not)
                .then(|| token.to_owned())
        })
}

/// [`find_reset_token`], waiting up to 3 s for it (resets are sent after the `201`).
pub async fn reset_token_for(actor_type: &str, email: &str, not: Option<&str>) -> String {
    for _ in 0..300 {
        if let Some(token) = find_reset_token(actor_type, email, not) {
            return token;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no password-reset line for {actor_type} {email}");
}

/// [`reset_token_for`] for blocking code (the SDK script's driver thread).
pub fn reset_token_for_blocking(actor_type: &str, email: &str) -> Option<String> {
    (0..300).find_map(|_| {
        let found = find_reset_token(actor_type, email, None);
        if found.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        found
    })
}

/// An e-mail no other test uses (the reset outbox is shared by the process).
pub fn unique_email(tag: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{tag}-{}-{n}@example.com", std::process::id())
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A token service with the test servers' issuer and audience and `secret`:
/// with [`TEST_SECRET`] it mints tokens the servers accept (to make expired
/// ones), with any other it mints forgeries.
pub fn minter(secret: &[u8]) -> TokenService {
    let key = Key::hmac("hs256-1", Algorithm::HS256, secret).expect("test secret is strong");
    TokenService::new(
        KeySet::new(key).expect("one signing key makes a key set"),
        TokenConfig::new(TEST_ISSUER, TEST_AUDIENCE),
    )
    .expect("token service")
}

/// An auth context of a registered customer that exists nowhere.
pub fn some_customer() -> AuthContext {
    AuthContext {
        actor_id: "cus_forged".into(),
        actor_type: "customer".into(),
        auth_identity_id: "authid_forged".into(),
        app_metadata: Default::default(),
    }
}
