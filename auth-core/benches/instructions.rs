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
    let mut pairs: [(
        &str,
        Box<dyn Fn() + '_>,
        &str,
        Box<dyn Fn() + '_>,
        Duration,
        Duration,
    ); 2] = [
        (
            "ours verify",
            Box::new(|| hs.ours_verify()),
            "floor",
            Box::new(|| hs.floor()),
            Duration::ZERO,
            Duration::ZERO,
        ),
        (
            "ours issue_token",
            Box::new(|| hs.ours_issue_token()),
            "raw mint",
            Box::new(|| {
                std::hint::black_box(hs.raw_mint());
            }),
            Duration::ZERO,
            Duration::ZERO,
        ),
    ];
    for _ in 0..rounds {
        for (_, ours, _, reference, ours_total, reference_total) in &mut pairs {
            let start = Instant::now();
            for _ in 0..BATCH {
                ours();
            }
            let middle = Instant::now();
            for _ in 0..BATCH {
                reference();
            }
            *ours_total += middle - start;
            *reference_total += middle.elapsed();
        }
    }
    let per_op = |total: Duration| total.as_nanos() as f64 / (rounds as f64 * f64::from(BATCH));
    for (ours_name, _, reference_name, _, ours_total, reference_total) in &pairs {
        println!(
            "{ours_name}: {:.0} ns, {reference_name}: {:.0} ns, ratio {:.2}",
            per_op(*ours_total),
            per_op(*reference_total),
            ours_total.as_secs_f64() / reference_total.as_secs_f64()
        );
    }
}
