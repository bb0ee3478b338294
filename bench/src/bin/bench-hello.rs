//! The server and the arithmetic of `scripts/bench-http`.
//!
//! ```text
//! bench-hello serve <axum|actix|warp> <none|memory|sqlite|jwt-raw> <port>
//! bench-hello token                 # a bearer token every auth mode accepts, for 15 minutes
//! bench-hello report rounds|medians # `run ...` lines on stdin, ratios to `none` on stdout
//! ```
//!
//! A bad argument prints the usage and exits with 2; a failure prints one line
//! and exits with 1.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use bench::report::{self, Run};
use bench::{Adapter, Mode};

const USAGE: &str = "usage: bench-hello serve <axum|actix|warp> <none|memory|sqlite|jwt-raw> <port>
       bench-hello token
       bench-hello report <rounds|medians>   (run lines on stdin)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match words.as_slice() {
        ["serve", adapter, mode, port] => serve(adapter, mode, port),
        ["token"] => bench::mint_token()
            .map(|token| println!("{token}"))
            .map_err(|e| e.to_string()),
        ["report", "rounds"] => report_lines(report::rounds),
        ["report", "medians"] => report_lines(report::medians),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-hello: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(adapter: &str, mode: &str, port: &str) -> Result<(), String> {
    let adapter: Adapter = adapter.parse().map_err(|e| format!("{e}"))?;
    let mode: Mode = mode.parse().map_err(|e| format!("{e}"))?;
    let port: u16 = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
    bench::serve(adapter, mode, port).map_err(|e| e.to_string())
}

/// Reads the `run` lines of standard input (other lines are skipped) and
/// prints what `lines` makes of them.
fn report_lines(lines: fn(&[Run]) -> Vec<String>) -> Result<(), String> {
    let mut runs = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
        if line.starts_with("run ") {
            runs.push(line.parse::<Run>().map_err(|e| format!("{e}: {line}"))?);
        }
    }
    let mut out = std::io::stdout().lock();
    for line in lines(&runs) {
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}
