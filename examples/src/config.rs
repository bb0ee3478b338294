//! The demo servers' configuration, read from the environment.
//!
//! Every variable of the contract's "Example server configuration" table is read
//! here, once, for all three frameworks. A missing or invalid value stops
//! start-up with one line naming the variable ([`ConfigError`]); nothing starts
//! half-configured.
//!
//! ```
//! use examples::config::DemoConfig;
//!
//! let config = DemoConfig::from_lookup(|name| match name {
//!     "AUTH_TOKEN_TTL" => Some("30m".into()),
//!     _ => None,
//! })
//! .unwrap();
//! assert_eq!(config.token_ttl.as_secs(), 1800);
//! assert_eq!(config.addr.to_string(), "127.0.0.1:9000");
//!
//! let error = DemoConfig::from_lookup(|name| (name == "AUTH_TOKEN_TTL").then(|| "soon".into()))
//!     .unwrap_err();
//! assert!(error.to_string().starts_with("AUTH_TOKEN_TTL:"));
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use auth_core::http::ProxyPolicy;
use auth_core::token::Algorithm;

/// One invalid setting: which variable, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong, without echoing secrets.
    pub message: String,
}

impl ConfigError {
    /// An error naming `variable`.
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// How access tokens are signed. Its `Debug` shows a secret's length, not the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum SigningConfig {
    /// No secret configured: a random HS256 secret for this run (with a warning).
    RandomSecret,
    /// `AUTH_JWT_SECRET`, HS256.
    Secret(String),
    /// `AUTH_JWT_PRIVATE_KEY_FILE` with `AUTH_JWT_ALG`.
    PrivateKey {
        /// The PEM file.
        path: PathBuf,
        /// `RS256`, `ES256` or `EdDSA`.
        algorithm: Algorithm,
    },
}

impl std::fmt::Debug for SigningConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RandomSecret => f.write_str("RandomSecret"),
            Self::Secret(secret) => write!(f, "Secret(<redacted, {} bytes>)", secret.len()),
            Self::PrivateKey { path, algorithm } => f
                .debug_struct("PrivateKey")
                .field("path", path)
                .field("algorithm", algorithm)
                .finish(),
        }
    }
}

/// Where reset tokens go (issue of the credential lifecycle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notifier {
    /// One line `password-reset <actor_type> <identifier> <token>` on standard output.
    Log,
}

/// The demo's settings. Its `Debug` shows neither the JWT secret nor a
/// password in a database URL.
#[derive(Clone)]
pub struct DemoConfig {
    /// `AUTH_ADDR`
    pub addr: SocketAddr,
    /// `AUTH_DATABASE_URL`
    pub database_url: String,
    /// `AUTH_REDIS_URL`
    pub redis_url: Option<String>,
    /// `AUTH_JWT_SECRET`, `AUTH_JWT_PRIVATE_KEY_FILE`, `AUTH_JWT_ALG`
    pub signing: SigningConfig,
    /// `AUTH_ISSUER`
    pub issuer: String,
    /// `AUTH_AUDIENCE`
    pub audience: String,
    /// `AUTH_TOKEN_TTL`
    pub token_ttl: Duration,
    /// `AUTH_COOKIE_SECURE`
    pub cookie_secure: bool,
    /// `AUTH_REFRESH_TOKENS`
    pub refresh_tokens: bool,
    /// `AUTH_THROTTLE`
    pub throttle: bool,
    /// `AUTH_NOTIFY`
    pub notify: Notifier,
    /// `AUTH_RESET_TOKEN_TTL`: how long a password reset token lives (default
    /// and maximum 30 minutes).
    pub reset_token_ttl: Duration,
    /// `AUTH_LOGIN_MAX_AGE`: how long after the user authenticated a bearer
    /// refresh may still issue tokens (default 7 days).
    pub login_max_age: Duration,
    /// `AUTH_HASH_WAIT`: the longest wait for a password-hashing slot before
    /// `503` (default 2 s, at most 1 minute).
    pub hash_wait: Duration,
    /// The providers each listed actor type may use (Medusa's
    /// `authMethodsPerActor`); actor types not listed may use every provider.
    /// Set in code (the conformance suite does); no environment variable,
    /// empty by default.
    pub providers_per_actor: BTreeMap<String, Vec<String>>,
    /// `AUTH_TRUSTED_PROXIES`: the peers whose `Forwarded` / `X-Forwarded-For`
    /// name the client address (default none).
    pub trusted_proxies: ProxyPolicy,
}

impl std::fmt::Debug for DemoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoConfig")
            .field("addr", &self.addr)
            .field("database_url", &without_userinfo(&self.database_url))
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(without_userinfo),
            )
            .field("signing", &self.signing)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl", &self.token_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("refresh_tokens", &self.refresh_tokens)
            .field("throttle", &self.throttle)
            .field("notify", &self.notify)
            .field("reset_token_ttl", &self.reset_token_ttl)
            .field("login_max_age", &self.login_max_age)
            .field("hash_wait", &self.hash_wait)
            .field("providers_per_actor", &self.providers_per_actor)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or
/// `postgresql://`); any other accepted URL is a SQLite one.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with the user and password of `scheme://user:password@host/...`
/// replaced, for display.
pub fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://<redacted>{}", &rest[at..]),
        None => url.to_owned(),
    }
}

impl DemoConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(name) {
                Some(value) if value.trim().is_empty() => {
                    Err(ConfigError::new(name, "is set but empty"))
                }
                other => Ok(other),
            }
        };
        let addr = match get("AUTH_ADDR")? {
            Some(value) => value.trim().parse().map_err(|_| {
                ConfigError::new("AUTH_ADDR", "expected an address like 127.0.0.1:9000")
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 9000)),
        };
        let database_url =
            get("AUTH_DATABASE_URL")?.unwrap_or_else(|| "sqlite://auth.db?mode=rwc".into());
        if !database_url.starts_with("sqlite:") && !is_postgres_url(&database_url) {
            return Err(ConfigError::new(
                "AUTH_DATABASE_URL",
                "expected a sqlite: or postgres:// URL",
            ));
        }
        let redis_url = get("AUTH_REDIS_URL")?;
        if redis_url.is_some() {
            return Err(ConfigError::new(
                "AUTH_REDIS_URL",
                "Redis stores are not supported by this build; unset it",
            ));
        }
        let signing = match (
            get("AUTH_JWT_SECRET")?,
            get("AUTH_JWT_PRIVATE_KEY_FILE")?,
            get("AUTH_JWT_ALG")?,
        ) {
            (Some(_), Some(_), _) => {
                return Err(ConfigError::new(
                    "AUTH_JWT_SECRET",
                    "set either AUTH_JWT_SECRET or AUTH_JWT_PRIVATE_KEY_FILE, not both",
                ));
            }
            (Some(secret), None, None) => SigningConfig::Secret(secret),
            (Some(_), None, Some(_)) => {
                return Err(ConfigError::new(
                    "AUTH_JWT_ALG",
                    "only used with AUTH_JWT_PRIVATE_KEY_FILE (AUTH_JWT_SECRET is always HS256)",
                ));
            }
            (None, Some(path), alg) => {
                let alg = alg.ok_or_else(|| {
                    ConfigError::new("AUTH_JWT_ALG", "required with AUTH_JWT_PRIVATE_KEY_FILE")
                })?;
                let algorithm = match alg.trim() {
                    "RS256" => Algorithm::RS256,
                    "PS256" => Algorithm::PS256,
                    "ES256" => Algorithm::ES256,
                    "EdDSA" => Algorithm::EdDSA,
                    _ => {
                        return Err(ConfigError::new(
                            "AUTH_JWT_ALG",
                            "expected RS256, PS256, ES256 or EdDSA",
                        ));
                    }
                };
                SigningConfig::PrivateKey {
                    path: path.into(),
                    algorithm,
                }
            }
            (None, None, Some(_)) => {
                return Err(ConfigError::new(
                    "AUTH_JWT_ALG",
                    "set AUTH_JWT_PRIVATE_KEY_FILE too, or unset it",
                ));
            }
            (None, None, None) => SigningConfig::RandomSecret,
        };
        let issuer = get("AUTH_ISSUER")?.unwrap_or_else(|| format!("http://{addr}"));
        let audience = get("AUTH_AUDIENCE")?.unwrap_or_else(|| "auth".into());
        let token_ttl = match get("AUTH_TOKEN_TTL")? {
            Some(value) => parse_duration(&value).ok_or_else(|| {
                ConfigError::new("AUTH_TOKEN_TTL", "expected a duration like 15m, 900s or 1h")
            })?,
            None => Duration::from_secs(15 * 60),
        };
        if token_ttl.is_zero() || token_ttl > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::new(
                "AUTH_TOKEN_TTL",
                "must be between 1s and 24h",
            ));
        }
        let cookie_secure = parse_bool("AUTH_COOKIE_SECURE", get("AUTH_COOKIE_SECURE")?, true)?;
        let refresh_tokens = parse_bool("AUTH_REFRESH_TOKENS", get("AUTH_REFRESH_TOKENS")?, false)?;
        let throttle = match get("AUTH_THROTTLE")?.as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::new("AUTH_THROTTLE", "expected on or off")),
        };
        let notify = match get("AUTH_NOTIFY")?.as_deref().map(str::trim) {
            None | Some("log") => Notifier::Log,
            Some(_) => return Err(ConfigError::new("AUTH_NOTIFY", "expected log")),
        };
        let reset_token_ttl = match get("AUTH_RESET_TOKEN_TTL")? {
            Some(value) => parse_duration(&value)
                .filter(|ttl| !ttl.is_zero() && *ttl <= Duration::from_secs(30 * 60))
                .ok_or_else(|| {
                    ConfigError::new("AUTH_RESET_TOKEN_TTL", "expected a duration from 1s to 30m")
                })?,
            None => Duration::from_secs(30 * 60),
        };
        let login_max_age = match get("AUTH_LOGIN_MAX_AGE")? {
            Some(value) => parse_duration(&value)
                .filter(|age| !age.is_zero())
                .ok_or_else(|| {
                    ConfigError::new(
                        "AUTH_LOGIN_MAX_AGE",
                        "expected a duration like 7d, 12h or 3600s, at least 1s",
                    )
                })?,
            None => auth_core::access_token::DEFAULT_LOGIN_MAX_AGE,
        };
        let hash_wait = match get("AUTH_HASH_WAIT")? {
            Some(value) => parse_duration(&value)
                .filter(|wait| !wait.is_zero() && *wait <= Duration::from_secs(60))
                .ok_or_else(|| {
                    ConfigError::new("AUTH_HASH_WAIT", "expected a duration from 1s to 1m")
                })?,
            None => Duration::from_secs(2),
        };
        let trusted_proxies = match get("AUTH_TRUSTED_PROXIES")? {
            Some(value) => value
                .parse()
                .map_err(|error: auth_core::http::InvalidProxy| {
                    ConfigError::new("AUTH_TRUSTED_PROXIES", error.to_string())
                })?,
            None => ProxyPolicy::default(),
        };
        Ok(Self {
            addr,
            database_url,
            redis_url,
            signing,
            issuer,
            audience,
            token_ttl,
            cookie_secure,
            refresh_tokens,
            throttle,
            notify,
            reset_token_ttl,
            login_max_age,
            hash_wait,
            providers_per_actor: BTreeMap::new(),
            trusted_proxies,
        })
    }
}

fn parse_bool(
    variable: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(ConfigError::new(variable, "expected true or false")),
    }
}

/// `900`, `900s`, `15m`, `1h`, `1d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        "d" => number.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<DemoConfig, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DemoConfig::from_lookup(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_follow_the_contract() {
        let config = with(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:9000");
        assert_eq!(config.database_url, "sqlite://auth.db?mode=rwc");
        assert_eq!(config.issuer, "http://127.0.0.1:9000");
        assert_eq!(config.audience, "auth");
        assert_eq!(config.token_ttl, Duration::from_secs(900));
        assert_eq!(config.login_max_age, Duration::from_secs(7 * 86_400));
        assert!(config.cookie_secure && config.throttle && !config.refresh_tokens);
        assert_eq!(config.signing, SigningConfig::RandomSecret);
        assert_eq!(config.hash_wait, Duration::from_secs(2));
    }

    #[test]
    fn database_url_is_sqlite_or_postgres() {
        for url in [
            "sqlite::memory:",
            "postgres://postgres@127.0.0.1:5432/test",
            "postgresql://auth:secret@db.internal/shop",
        ] {
            let config = with(&[("AUTH_DATABASE_URL", url)]).unwrap();
            assert_eq!(config.database_url, url);
        }
        assert!(
            !format!(
                "{:?}",
                with(&[("AUTH_DATABASE_URL", "postgres://auth:secret@db/shop")]).unwrap()
            )
            .contains("secret")
        );
    }

    #[test]
    fn each_invalid_value_names_its_variable() {
        for (name, value) in [
            ("AUTH_ADDR", "nowhere"),
            ("AUTH_TOKEN_TTL", "15 minutes"),
            ("AUTH_TOKEN_TTL", "0s"),
            ("AUTH_COOKIE_SECURE", "yes"),
            ("AUTH_REFRESH_TOKENS", "1"),
            ("AUTH_THROTTLE", "maybe"),
            ("AUTH_NOTIFY", "smtp"),
            ("AUTH_DATABASE_URL", "mysql://x"),
            ("AUTH_JWT_ALG", "RS256"),
            ("AUTH_ISSUER", " "),
            ("AUTH_RESET_TOKEN_TTL", "2h"),
            ("AUTH_LOGIN_MAX_AGE", "a week"),
            ("AUTH_LOGIN_MAX_AGE", "0s"),
            ("AUTH_HASH_WAIT", "0s"),
            ("AUTH_HASH_WAIT", "2 seconds"),
            ("AUTH_HASH_WAIT", "2m"),
            ("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("AUTH_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("AUTH_TRUSTED_PROXIES", "10.0.0.0/8,"),
        ] {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!(error.variable, name, "{name}={value}");
            assert!(!error.to_string().contains('\n'));
        }
    }

    #[test]
    fn trusted_proxies_are_comma_separated_cidrs() {
        assert!(!with(&[]).unwrap().trusted_proxies.trusts_any());
        let config = with(&[("AUTH_TRUSTED_PROXIES", "127.0.0.1/32, fd00::/8")]).unwrap();
        assert!(config.trusted_proxies.trusts("127.0.0.1".parse().unwrap()));
        assert!(config.trusted_proxies.trusts("fd00::1".parse().unwrap()));
        assert!(!config.trusted_proxies.trusts("127.0.0.2".parse().unwrap()));
        let error = with(&[("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"AUTH_TRUSTED_PROXIES: not a CIDR like 10.0.0.0/8 or ::1/128: "proxy.internal""#
        );
    }

    #[test]
    fn login_max_age_reads_like_the_token_ttl() {
        let config = with(&[("AUTH_LOGIN_MAX_AGE", "12h")]).unwrap();
        assert_eq!(config.login_max_age, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn private_key_needs_an_algorithm() {
        let error = with(&[("AUTH_JWT_PRIVATE_KEY_FILE", "/k.pem")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_JWT_ALG");
        let config = with(&[
            ("AUTH_JWT_PRIVATE_KEY_FILE", "/k.pem"),
            ("AUTH_JWT_ALG", "ES256"),
        ])
        .unwrap();
        assert!(matches!(
            config.signing,
            SigningConfig::PrivateKey {
                algorithm: Algorithm::ES256,
                ..
            }
        ));
    }

    #[test]
    fn durations_accept_the_usual_units() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
