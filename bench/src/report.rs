//! The arithmetic of `scripts/bench-http`: one line per wrk run in, the
//! ratios to `none` of the same round and their medians out.
//!
//! The script writes one `run` line per wrk run, with wrk's own figures:
//!
//! ```text
//! run adapter=axum round=1 mode=memory rps=98765.43 p99=1.23ms non2xx=0 socket_errors=0
//! ```
//!
//! [`rounds`] pairs each run with the `none` run of the same adapter and
//! round (the rounds rotate the order of the modes, so a drift in the
//! machine's load hits every mode alike), and [`medians`] takes, per adapter
//! and mode, the median of those paired ratios over the rounds.
//!
//! ```
//! use bench::report::{Run, medians, rounds};
//!
//! let runs: Vec<Run> = [
//!     "run adapter=axum round=1 mode=none rps=1000 p99=100us non2xx=0 socket_errors=0",
//!     "run adapter=axum round=1 mode=memory rps=800 p99=0.12ms non2xx=0 socket_errors=0",
//! ]
//! .iter()
//! .map(|line| line.parse().unwrap())
//! .collect();
//! assert_eq!(
//!     rounds(&runs)[1],
//!     "round adapter=axum round=1 mode=memory rps=800 p99_us=120 rps_ratio=0.800 p99_ratio=1.200 socket_errors=0"
//! );
//! assert_eq!(medians(&runs)[1], "median adapter=axum mode=memory rounds=1 rps_ratio=0.800 p99_ratio=1.200");
//! ```

use std::str::FromStr;

/// The mode every other mode is divided by.
pub const FLOOR: &str = "none";

/// One wrk run, as the script reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// `axum`, `actix` or `warp`.
    pub adapter: String,
    /// The round, from 1.
    pub round: u32,
    /// `none`, `memory`, `sqlite` or `jwt-raw`.
    pub mode: String,
    /// wrk's `Requests/sec`.
    pub rps: f64,
    /// wrk's 99th percentile latency, in microseconds.
    pub p99_us: f64,
    /// wrk's socket errors (connect, read, write, timeout), summed.
    pub socket_errors: u64,
}

/// A line the report cannot read.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// Not a `run ...` line.
    #[error("not a run line: {0:?}")]
    NotARun(String),
    /// A field is missing.
    #[error("missing field {0:?}")]
    Missing(&'static str),
    /// A field does not parse.
    #[error("field {field:?} has an unreadable value {value:?}")]
    Unreadable {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// Responses other than `2xx`/`3xx`: the run did not measure the route.
    #[error("{0} responses were not 2xx or 3xx: the run measured refusals, not the route")]
    Refused(u64),
}

/// A wrk latency (`812.00us`, `1.23ms`, `2.00s`, `1.00m`) in microseconds.
pub fn parse_latency(text: &str) -> Result<f64, ReportError> {
    let unreadable = || ReportError::Unreadable {
        field: "p99",
        value: text.to_owned(),
    };
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e6)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60e6)
    } else {
        return Err(unreadable());
    };
    let value: f64 = number.parse().map_err(|_| unreadable())?;
    if value.is_finite() && value >= 0.0 {
        Ok(value * scale)
    } else {
        Err(unreadable())
    }
}

/// The value of `name` among a line's `key=value` fields.
fn field<'a>(fields: &[(&'a str, &'a str)], name: &'static str) -> Result<&'a str, ReportError> {
    fields
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .ok_or(ReportError::Missing(name))
}

/// The value of `name`, parsed.
fn parsed<T: FromStr>(fields: &[(&str, &str)], name: &'static str) -> Result<T, ReportError> {
    let value = field(fields, name)?;
    value.parse().map_err(|_| ReportError::Unreadable {
        field: name,
        value: value.to_owned(),
    })
}

impl FromStr for Run {
    type Err = ReportError;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        let mut words = line.split_whitespace();
        if words.next() != Some("run") {
            return Err(ReportError::NotARun(line.to_owned()));
        }
        let fields: Vec<(&str, &str)> = words.filter_map(|word| word.split_once('=')).collect();
        let non2xx: u64 = parsed(&fields, "non2xx")?;
        if non2xx > 0 {
            return Err(ReportError::Refused(non2xx));
        }
        let rps: f64 = parsed(&fields, "rps")?;
        if !(rps.is_finite() && rps >= 0.0) {
            return Err(ReportError::Unreadable {
                field: "rps",
                value: rps.to_string(),
            });
        }
        Ok(Self {
            adapter: field(&fields, "adapter")?.to_owned(),
            round: parsed(&fields, "round")?,
            mode: field(&fields, "mode")?.to_owned(),
            rps,
            p99_us: parse_latency(field(&fields, "p99")?)?,
            socket_errors: parsed(&fields, "socket_errors")?,
        })
    }
}

/// `part / whole`, or `None` when `whole` is zero.
fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The median: the middle value, or the mean of the two middle values.
/// `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// The `none` run of `run`'s adapter and round.
fn floor_of<'a>(runs: &'a [Run], run: &Run) -> Option<&'a Run> {
    runs.iter()
        .find(|r| r.adapter == run.adapter && r.round == run.round && r.mode == FLOOR)
}

/// `(rps ratio, p99 ratio)` of `run` to the `none` run of its round.
fn paired(runs: &[Run], run: &Run) -> Option<(f64, f64)> {
    let floor = floor_of(runs, run)?;
    Some((ratio(run.rps, floor.rps)?, ratio(run.p99_us, floor.p99_us)?))
}

/// One `round` line per run, in input order: its figures and its ratios to
/// `none` of the same adapter and round (`rps_ratio=-` when that round has no
/// `none` run).
pub fn rounds(runs: &[Run]) -> Vec<String> {
    runs.iter()
        .map(|run| {
            let (rps_ratio, p99_ratio) = match paired(runs, run) {
                Some((rps, p99)) => (format!("{rps:.3}"), format!("{p99:.3}")),
                None => ("-".to_owned(), "-".to_owned()),
            };
            format!(
                "round adapter={} round={} mode={} rps={:.0} p99_us={:.0} rps_ratio={rps_ratio} p99_ratio={p99_ratio} socket_errors={}",
                run.adapter, run.round, run.mode, run.rps, run.p99_us, run.socket_errors
            )
        })
        .collect()
}

/// One `median` line per adapter and mode, in order of first appearance: the
/// median over the rounds of the paired ratios to `none`.
pub fn medians(runs: &[Run]) -> Vec<String> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for run in runs {
        let key = (run.adapter.as_str(), run.mode.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .filter_map(|(adapter, mode)| {
            let pairs: Vec<(f64, f64)> = runs
                .iter()
                .filter(|run| run.adapter == adapter && run.mode == mode)
                .filter_map(|run| paired(runs, run))
                .collect();
            let rps: Vec<f64> = pairs.iter().map(|(rps, _)| *rps).collect();
            let p99: Vec<f64> = pairs.iter().map(|(_, p99)| *p99).collect();
            Some(format!(
                "median adapter={adapter} mode={mode} rounds={} rps_ratio={:.3} p99_ratio={:.3}",
                pairs.len(),
                median(&rps)?,
                median(&p99)?
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(adapter: &str, round: u32, mode: &str, rps: f64, p99_us: f64) -> Run {
        Run {
            adapter: adapter.into(),
            round,
            mode: mode.into(),
            rps,
            p99_us,
            socket_errors: 0,
        }
    }

    #[test]
    fn latency_units_of_wrk_become_microseconds() {
        assert_eq!(parse_latency("812.00us"), Ok(812.0));
        assert_eq!(parse_latency("1.23ms"), Ok(1230.0));
        assert_eq!(parse_latency("2.00s"), Ok(2_000_000.0));
        assert_eq!(parse_latency("1.00m"), Ok(60_000_000.0));
        assert!(parse_latency("1.23").is_err());
        assert!(parse_latency("msms").is_err());
        assert!(parse_latency("-1ms").is_err());
    }

    #[test]
    fn a_run_line_is_read_field_by_field_in_any_order() {
        let line =
            "run mode=sqlite round=2 adapter=warp p99=1.5ms rps=1234.5 socket_errors=3 non2xx=0";
        assert_eq!(
            line.parse(),
            Ok(Run {
                socket_errors: 3,
                ..run("warp", 2, "sqlite", 1234.5, 1500.0)
            })
        );
    }

    #[test]
    fn a_run_with_refused_responses_is_not_a_measurement() {
        let line = "run adapter=axum round=1 mode=memory rps=9 p99=1ms non2xx=5 socket_errors=0";
        assert_eq!(line.parse::<Run>(), Err(ReportError::Refused(5)));
    }

    #[test]
    fn a_run_line_without_a_field_is_refused_naming_it() {
        let line = "run adapter=axum round=1 mode=memory p99=1ms non2xx=0 socket_errors=0";
        assert_eq!(line.parse::<Run>(), Err(ReportError::Missing("rps")));
        assert!(matches!(
            "round adapter=axum".parse::<Run>(),
            Err(ReportError::NotARun(_))
        ));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.7]), Some(0.7));
        assert_eq!(median(&[0.9, 0.1, 0.5]), Some(0.5));
        assert_eq!(median(&[0.9, 0.1, 0.5, 0.7]), Some(0.6));
    }

    #[test]
    fn each_ratio_is_paired_with_none_of_the_same_round_and_adapter() {
        let runs = [
            run("axum", 1, "memory", 80.0, 200.0),
            run("axum", 1, "none", 100.0, 100.0),
            run("axum", 2, "none", 200.0, 100.0),
            run("axum", 2, "memory", 100.0, 300.0),
            run("warp", 1, "none", 1000.0, 100.0),
        ];
        let lines = rounds(&runs);
        assert!(
            lines[0].contains("rps_ratio=0.800 p99_ratio=2.000"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("rps_ratio=1.000 p99_ratio=1.000"),
            "{}",
            lines[1]
        );
        assert!(
            lines[3].contains("rps_ratio=0.500 p99_ratio=3.000"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn the_median_is_of_the_paired_ratios_not_of_the_raw_figures() {
        // Medians of raw rps would give 300 / 200 = 1.5; the paired ratios
        // are 0.5, 0.8 and 0.9.
        let runs = [
            run("actix", 1, "none", 100.0, 100.0),
            run("actix", 1, "memory", 50.0, 100.0),
            run("actix", 2, "none", 1000.0, 100.0),
            run("actix", 2, "memory", 800.0, 110.0),
            run("actix", 3, "none", 200.0, 100.0),
            run("actix", 3, "memory", 180.0, 150.0),
        ];
        assert_eq!(
            medians(&runs),
            [
                "median adapter=actix mode=none rounds=3 rps_ratio=1.000 p99_ratio=1.000",
                "median adapter=actix mode=memory rounds=3 rps_ratio=0.800 p99_ratio=1.100",
            ]
        );
    }

    #[test]
    fn a_round_without_none_gives_no_ratio() {
        let runs = [run("axum", 1, "memory", 80.0, 200.0)];
        assert!(rounds(&runs)[0].contains("rps_ratio=- p99_ratio=-"));
        assert!(medians(&runs).is_empty());
    }
}
