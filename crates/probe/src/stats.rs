//! The numbers of a probe and its verdict: pure functions over attempt outcomes.
//!
//! Percentiles use the nearest-rank method over the **successful** attempts (a failed attempt
//! has no meaningful latency: a refused connection is fast, a timeout is the timeout); failures
//! are counted separately and fail the probe on their own.

use std::time::Duration;

use serde::Serialize;

/// The latency limits of a probe; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub p50: Option<Duration>,
    pub p90: Option<Duration>,
    pub p99: Option<Duration>,
    pub max: Option<Duration>,
}

/// Latency percentiles of the successful attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// One limit compared with its measurement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitCheck {
    /// `p50`, `p90`, `p99` or `max`.
    pub name: &'static str,
    #[serde(serialize_with = "ser_ms")]
    pub limit: Duration,
    /// `None` when no attempt succeeded (nothing to measure).
    #[serde(serialize_with = "ser_opt_ms")]
    pub value: Option<Duration>,
    pub ok: bool,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ms(*d))
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(ms(*d)),
        None => s.serialize_none(),
    }
}

/// Milliseconds with microsecond precision (JSON numbers).
pub fn ms(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

/// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending); `None` if empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// The percentiles of `latencies` (any order); `None` if empty.
pub fn latency(latencies: &[Duration]) -> Option<Latency> {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    Some(Latency {
        p50: percentile(&sorted, 50.0)?,
        p90: percentile(&sorted, 90.0)?,
        p99: percentile(&sorted, 99.0)?,
        max: *sorted.last()?,
    })
}

/// Every limit that is set, against the measurement. With no measurement (no success) a limit
/// is not met: nothing proves the target is fast enough.
pub fn check_limits(latency: Option<&Latency>, limits: &Limits) -> Vec<LimitCheck> {
    let pairs = [
        ("p50", limits.p50, latency.map(|l| l.p50)),
        ("p90", limits.p90, latency.map(|l| l.p90)),
        ("p99", limits.p99, latency.map(|l| l.p99)),
        ("max", limits.max, latency.map(|l| l.max)),
    ];
    pairs
        .into_iter()
        .filter_map(|(name, limit, value)| {
            let limit = limit?;
            Some(LimitCheck {
                name,
                limit,
                value,
                ok: value.is_some_and(|v| v <= limit),
            })
        })
        .collect()
}

/// Pass or fail, with the reasons for a failure in words (empty when it passes).
pub fn verdict(attempts: u32, successes: u32, checks: &[LimitCheck]) -> (bool, Vec<String>) {
    let mut reasons = Vec::new();
    if attempts == 0 {
        reasons.push("no attempt was made".to_owned());
    } else if successes < attempts {
        reasons.push(format!("{} of {attempts} attempts failed", attempts - successes));
    }
    for c in checks.iter().filter(|c| !c.ok) {
        match c.value {
            Some(v) => reasons.push(format!(
                "latency {} {} is above the limit {}",
                c.name,
                format_duration(v),
                format_duration(c.limit)
            )),
            None => reasons.push(format!(
                "latency {} not measured (no attempt succeeded); limit {}",
                c.name,
                format_duration(c.limit)
            )),
        }
    }
    (reasons.is_empty(), reasons)
}

/// A short human duration: `850us`, `12.3ms`, `1.25s`.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}us")
    } else if us < 1_000_000 {
        trim(format!("{:.1}", us as f64 / 1_000.0)) + "ms"
    } else {
        trim(format!("{:.2}", us as f64 / 1_000_000.0)) + "s"
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Parses `250us`, `100ms`, `5s`, `1.5s`, `2m`; a bare number is refused (the unit matters).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit: write it as 100ms, 5s or 2m"))?;
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write it as 100ms, 5s or 2m"))?;
    let scale = match unit.trim() {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use us, ms, s, m or h)"
            ));
        }
    };
    let secs = n * scale;
    if !secs.is_finite() || secs > 86_400.0 * 365.0 {
        return Err(format!("`{text}` is too long a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(ms_).collect();
        assert_eq!(percentile(&v, 50.0), Some(ms_(50)));
        assert_eq!(percentile(&v, 90.0), Some(ms_(90)));
        assert_eq!(percentile(&v, 99.0), Some(ms_(99)));
        assert_eq!(percentile(&v, 100.0), Some(ms_(100)));
        assert_eq!(percentile(&[], 50.0), None);
        // One sample is every percentile.
        assert_eq!(percentile(&[ms_(7)], 1.0), Some(ms_(7)));
        // Small sets: p99 of 10 samples is the largest, p50 the fifth.
        let ten: Vec<Duration> = (1..=10).map(ms_).collect();
        assert_eq!(percentile(&ten, 99.0), Some(ms_(10)));
        assert_eq!(percentile(&ten, 50.0), Some(ms_(5)));
    }

    #[test]
    fn latency_sorts_its_input() {
        let l = latency(&[ms_(30), ms_(10), ms_(20)]).unwrap();
        assert_eq!(l.p50, ms_(20));
        assert_eq!(l.max, ms_(30));
        assert_eq!(latency(&[]), None);
    }

    #[test]
    fn limits_are_checked_only_when_set() {
        let l = latency(&[ms_(5), ms_(15)]).unwrap();
        let limits = Limits {
            p99: Some(ms_(10)),
            p50: Some(ms_(10)),
            ..Limits::default()
        };
        let checks = check_limits(Some(&l), &limits);
        assert_eq!(checks.len(), 2);
        assert_eq!((checks[0].name, checks[0].ok), ("p50", true));
        assert_eq!((checks[1].name, checks[1].ok), ("p99", false));
        // At the limit is within it.
        let at = check_limits(
            Some(&l),
            &Limits {
                max: Some(ms_(15)),
                ..Limits::default()
            },
        );
        assert!(at[0].ok);
        // Nothing measured: the limit is not met.
        let none = check_limits(None, &limits);
        assert!(none.iter().all(|c| !c.ok && c.value.is_none()));
    }

    #[test]
    fn verdicts_and_their_reasons() {
        assert_eq!(verdict(3, 3, &[]), (true, vec![]));
        let (ok, why) = verdict(50, 47, &[]);
        assert!(!ok);
        assert_eq!(why, ["3 of 50 attempts failed"]);
        let slow = LimitCheck {
            name: "p99",
            limit: ms_(10),
            value: Some(Duration::from_micros(12_300)),
            ok: false,
        };
        let (ok, why) = verdict(5, 5, &[slow]);
        assert!(!ok);
        assert_eq!(why, ["latency p99 12.3ms is above the limit 10ms"]);
        assert!(!verdict(0, 0, &[]).0);
    }

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("100ms"), Ok(ms_(100)));
        assert_eq!(parse_duration("1.5s"), Ok(ms_(1500)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("100").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("x1s").is_err());
        assert_eq!(format_duration(Duration::from_micros(850)), "850us");
        assert_eq!(format_duration(ms_(10)), "10ms");
        assert_eq!(format_duration(ms_(1250)), "1.25s");
        assert_eq!(format_duration(ms_(5000)), "5s");
    }
}
