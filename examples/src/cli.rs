//! The demo binaries' `user` subcommand (Medusa's `medusa user`): the first
//! admin comes from the command line, never from an HTTP route.
//!
//! ```text
//! axum-store user --email admin@example.com --password '...'   # identity + admin user
//! axum-store user --email admin@example.com --invite            # prints: invite <token>
//! ```
//!
//! It runs against the database of `AUTH_DATABASE_URL`, before or beside the
//! server. [`user_command`] returns the one line to print, or the one line of
//! error; the binaries print it and exit `0` or `1`.
//!
//! ```no_run
//! use examples::cli::user_command;
//! use examples::config::DemoConfig;
//!
//! let config = DemoConfig::from_env().unwrap();
//! let args = ["--email", "admin@example.com", "--invite"].map(String::from);
//! let line = user_command(&args, &config).unwrap();
//! assert!(line.starts_with("invite inv_"));
//! ```

use crate::config::DemoConfig;
use crate::demo::Demo;

/// What the `user` subcommand was asked to do.
#[derive(Debug, PartialEq, Eq)]
enum UserCommand {
    /// `--email E --password P`
    Create { email: String, password: String },
    /// `--email E --invite`
    Invite { email: String },
}

/// The usage line shown with every argument error.
const USAGE: &str = "usage: user --email <email> (--password <password> | --invite)";

impl UserCommand {
    fn parse(args: &[String]) -> Result<Self, String> {
        let (mut email, mut password, mut invite) = (None, None, false);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--email" if email.is_none() => email = args.next().cloned(),
                "--password" if password.is_none() => password = args.next().cloned(),
                "--invite" if !invite => invite = true,
                other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
            }
        }
        let email = email.ok_or_else(|| format!("--email is required; {USAGE}"))?;
        match (password, invite) {
            (Some(password), false) => Ok(Self::Create { email, password }),
            (None, true) => Ok(Self::Invite { email }),
            _ => Err(format!(
                "give exactly one of --password and --invite; {USAGE}"
            )),
        }
    }
}

/// Runs `user <args>` against `config`'s database: `Ok(line)` to print on
/// success (`user <id> <email>` or `invite <token>`), `Err(line)` otherwise.
pub fn user_command(args: &[String], config: &DemoConfig) -> Result<String, String> {
    let command = UserCommand::parse(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start: {error}"))?;
    runtime.block_on(async {
        let demo = Demo::open(config)
            .await
            .map_err(|error| format!("invalid configuration: {error}"))?;
        let refused = |error: auth_core::AuthError| format!("user not created: {error}");
        match command {
            UserCommand::Create { email, password } => {
                let id = demo
                    .create_admin(&email, &password)
                    .await
                    .map_err(refused)?;
                Ok(format!("user {id} {email}"))
            }
            UserCommand::Invite { email } => {
                let token = demo.invite_admin(&email).await.map_err(refused)?;
                Ok(format!("invite {token}"))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // In tests a panic is a failure report.

    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn password_and_invite_forms_parse() {
        assert_eq!(
            UserCommand::parse(&args(&["--email", "a@b.c", "--password", "pw"])),
            Ok(UserCommand::Create {
                email: "a@b.c".into(),
                password: "pw".into()
            })
        );
        assert_eq!(
            UserCommand::parse(&args(&["--invite", "--email", "a@b.c"])),
            Ok(UserCommand::Invite {
                email: "a@b.c".into()
            })
        );
    }

    #[test]
    fn bad_arguments_are_one_line_errors() {
        for bad in [
            &[][..],
            &["--email"][..],
            &["--email", "a@b.c"][..],
            &["--email", "a@b.c", "--invite", "--password", "pw"][..],
            &["--email", "a@b.c", "--invite", "--invite"][..],
            &["--mail", "a@b.c", "--invite"][..],
        ] {
            let error = UserCommand::parse(&args(bad)).unwrap_err();
            assert!(
                !error.contains('\n') && error.contains("usage"),
                "{bad:?}: {error}"
            );
        }
    }
}
