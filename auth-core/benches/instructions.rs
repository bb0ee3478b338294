//! Instruction counts of the HS256 operations: ratios that do not move with the
//! load of a shared machine. Runs one operation N times; `callgrind` counts the
//! instructions, and the difference between two values of N removes set-up.
//!
//! `bash scripts/instruction-ratios.sh` builds this and prints the table.
#![allow(missing_docs, clippy::unwrap_used)]

mod workload;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (Some(operation), Some(count)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: instructions <operation> <count>");
        std::process::exit(2);
    };
    let hs = workload::Hs256::new();
    #[cfg(feature = "aws-lc-rs")]
    if operation == "interleaved" {
        interleaved(&hs, count);
        return;
    }
    let run: Box<dyn Fn()> = match operation.as_str() {
        "ours-verify" => Box::new(|| hs.ours_verify()),
        "ours-verify-cached" => Box::new(|| hs.cached_verify()),
        "jsonwebtoken-decode" => Box::new(|| hs.jsonwebtoken_decode()),
        #[cfg(feature = "aws-lc-rs")]
        "floor" => Box::new(|| hs.floor()),
        "ours-issue-token" => Box::new(|| hs.ours_issue_token()),
        #[cfg(feature = "aws-lc-rs")]
        "raw-mint" => Box::new(|| {
            std::hint::black_box(hs.raw_mint());
        }),
        other => {
            eprintln!("unknown operation {other}");
            std::process::exit(2);
        }
    };
    for _ in 0..count {
        run();
    }
}

/// Wall-clock ratios with the two sides of each pair run in alternating
/// batches, so that a load spike on the shared machine hits both alike.
#[cfg(feature = "aws-lc-rs")]
fn interleaved(hs: &workload::Hs256, rounds: u64) {
    use std::time::{Duration, Instant};
    const BATCH: u32 = 200;
    let mut pairs = [
        Pair::new("ours verify", || hs.ours_verify(), "floor", || hs.floor()),
        Pair::new(
            "ours issue_token",
            || hs.ours_issue_token(),
            "raw mint",
            || {
                std::hint::black_box(hs.raw_mint());
            },
        ),
    ];
    for _ in 0..rounds {
        for pair in &mut pairs {
            let start = Instant::now();
            for _ in 0..BATCH {
                (pair.ours)();
            }
            let middle = Instant::now();
            for _ in 0..BATCH {
                (pair.reference)();
            }
            pair.ours_total += middle - start;
            pair.reference_total += middle.elapsed();
        }
    }
    let per_op = |total: Duration| total.as_nanos() as f64 / (rounds as f64 * f64::from(BATCH));
    for pair in &pairs {
        println!(
            "{}: {:.0} ns, {}: {:.0} ns, ratio {:.2}",
            pair.ours_name,
            per_op(pair.ours_total),
            pair.reference_name,
            per_op(pair.reference_total),
            pair.ours_total.as_secs_f64() / pair.reference_total.as_secs_f64()
        );
    }
}

/// One of our operations and its reference, with the time each has taken.
#[cfg(feature = "aws-lc-rs")]
struct Pair<'a> {
    ours_name: &'static str,
    ours: Box<dyn Fn() + 'a>,
    reference_name: &'static str,
    reference: Box<dyn Fn() + 'a>,
    ours_total: std::time::Duration,
    reference_total: std::time::Duration,
}

#[cfg(feature = "aws-lc-rs")]
impl<'a> Pair<'a> {
    fn new(
        ours_name: &'static str,
        ours: impl Fn() + 'a,
        reference_name: &'static str,
        reference: impl Fn() + 'a,
    ) -> Self {
        Self {
            ours_name,
            ours: Box::new(ours),
            reference_name,
            reference: Box::new(reference),
            ours_total: std::time::Duration::ZERO,
            reference_total: std::time::Duration::ZERO,
        }
    }
}
