//! The binaries' `user` subcommand, run as an operator runs it: exit codes and
//! the one line each outcome prints.

#![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

use std::process::{Command, Output};

/// Runs `<binary> user <args>` on `database` with a fixed secret.
fn user(binary: &str, database: &std::path::Path, args: &[&str]) -> Output {
    Command::new(binary)
        .arg("user")
        .args(args)
        .env(
            "AUTH_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        )
        .env("AUTH_JWT_SECRET", "a test secret that is long enough, 32+")
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn database(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("user-subcommand-{tag}-{}.db", std::process::id()))
}

fn each_binary() -> [(&'static str, &'static str); 3] {
    [
        ("axum", env!("CARGO_BIN_EXE_axum-store")),
        ("actix", env!("CARGO_BIN_EXE_actix-store")),
        ("warp", env!("CARGO_BIN_EXE_warp-store")),
    ]
}

#[test]
fn password_form_creates_an_admin_and_a_second_run_is_refused() {
    for (name, binary) in each_binary() {
        let db = database(name);
        let email = "root@example.com";
        let created = user(
            binary,
            &db,
            &["--email", email, "--password", "a long password"],
        );
        assert!(created.status.success(), "{name}: {created:?}");
        let out = lines(&created.stdout);
        assert_eq!(out.len(), 1, "{name}: {out:?}");
        assert!(
            out[0].starts_with("user user_") && out[0].ends_with(email),
            "{out:?}"
        );

        let again = user(
            binary,
            &db,
            &["--email", email, "--password", "a long password"],
        );
        assert!(!again.status.success(), "{name}: {again:?}");
        assert!(again.stdout.is_empty());
        assert_eq!(lines(&again.stderr).len(), 1, "{name}: {again:?}");

        // An invite for an e-mail that already has an admin is refused too.
        let invite = user(binary, &db, &["--email", email, "--invite"]);
        assert!(!invite.status.success(), "{name}: {invite:?}");
        assert_eq!(lines(&invite.stderr).len(), 1, "{name}: {invite:?}");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
}

#[test]
fn invite_form_prints_one_invite_line() {
    for (name, binary) in each_binary() {
        let db = database(&format!("invite-{name}"));
        let invited = user(binary, &db, &["--email", "new@example.com", "--invite"]);
        assert!(invited.status.success(), "{name}: {invited:?}");
        let out = lines(&invited.stdout);
        assert_eq!(out.len(), 1, "{name}: {out:?}");
        let token = out[0].strip_prefix("invite inv_").unwrap();
        assert_eq!(token.len(), 43, "256 bits, base64url: {token}");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
}

#[test]
fn bad_arguments_exit_non_zero_with_one_line() {
    let db = database("bad");
    for args in [
        &[][..],
        &["--email", "a@example.com"][..],
        &["--email", "not-an-email", "--invite"][..],
        &["--email", "a@example.com", "--password", "short"][..],
        &["--email", "a@example.com", "--invite", "--password", "x"][..],
    ] {
        let output = user(env!("CARGO_BIN_EXE_axum-store"), &db, args);
        assert!(!output.status.success(), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
        assert_eq!(lines(&output.stderr).len(), 1, "{args:?}: {output:?}");
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
