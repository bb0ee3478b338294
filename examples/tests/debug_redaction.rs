//! The demo's configuration never prints its secrets through `Debug`: it ends
//! up in start-up logs and panic messages.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

use examples::config::{DemoConfig, SigningConfig};

const JWT_SECRET: &str = "jwt-secret-that-must-not-be-printed-0123456789";

fn config(pairs: &[(&'static str, &'static str)]) -> DemoConfig {
    let pairs = pairs.to_vec();
    DemoConfig::from_lookup(move |name| {
        pairs
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap()
}

#[test]
fn demo_config_debug_hides_the_jwt_secret() {
    let config = config(&[("AUTH_JWT_SECRET", JWT_SECRET)]);
    assert_eq!(config.signing, SigningConfig::Secret(JWT_SECRET.into()));

    for printed in [format!("{config:?}"), format!("{config:#?}")] {
        assert!(!printed.contains(JWT_SECRET), "{printed}");
        assert!(!printed.contains("jwt-secret"), "{printed}");
        assert!(printed.contains(&format!("<redacted, {} bytes>", JWT_SECRET.len())));
    }
}

#[test]
fn demo_config_debug_hides_a_database_password() {
    let config = config(&[(
        "AUTH_DATABASE_URL",
        "sqlite://admin:hunter2-db-password@localhost/auth.db?mode=rwc",
    )]);

    let printed = format!("{config:?}");
    assert!(!printed.contains("hunter2-db-password"), "{printed}");
    assert!(!printed.contains("admin"), "{printed}");
    assert!(printed.contains("sqlite://<redacted>@localhost/auth.db?mode=rwc"));
}

#[test]
fn demo_config_debug_still_shows_the_settings() {
    let printed = format!("{:?}", config(&[("AUTH_TOKEN_TTL", "30m")]));
    assert!(printed.contains("token_ttl: 1800s"), "{printed}");
    assert!(
        printed.contains("database_url: \"sqlite://auth.db?mode=rwc\""),
        "{printed}"
    );
}
