//! Running probes: attempts with a concurrency and a timeout each, then the numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;

use crate::kinds::{Prepared, attempt, install_crypto_provider, prepare};
use crate::spec::{Probe, Target, redact};
use crate::stats::{self, Latency, LimitCheck, format_duration};

/// What one attempt gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub latency: Duration,
    pub outcome: Result<Option<String>, String>,
}

/// The result of one probe.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeResult {
    pub name: String,
    /// The URL with any password hidden.
    pub url: String,
    /// `None` when the URL names no known kind.
    pub kind: Option<&'static str>,
    pub count: u32,
    pub concurrency: u32,
    pub timeout: Duration,
    pub attempts: u32,
    pub successes: u32,
    pub latency: Option<Latency>,
    pub limits: Vec<LimitCheck>,
    pub passed: bool,
    /// Why the probe failed, in words (empty when it passed).
    pub reasons: Vec<String>,
    /// The error of the earliest failed attempt (or why the probe could not start).
    pub first_error: Option<String>,
    /// Each distinct error with how many attempts it ended.
    pub errors: Vec<(String, u32)>,
    /// What a successful attempt found (a Postgres role, DNS addresses).
    pub note: Option<String>,
}

/// Pure: the result of `probe` from its attempts (in the order they were started).
pub fn summarize(probe: &Probe, kind: Option<&'static str>, attempts: &[Attempt]) -> ProbeResult {
    let latencies: Vec<Duration> = attempts
        .iter()
        .filter(|a| a.outcome.is_ok())
        .map(|a| a.latency)
        .collect();
    let latency = stats::latency(&latencies);
    let limits = stats::check_limits(latency.as_ref(), &probe.limits);
    let total = attempts.len() as u32;
    let successes = latencies.len() as u32;
    let (passed, reasons) = stats::verdict(total, successes, &limits);
    let mut errors: Vec<(String, u32)> = Vec::new();
    for a in attempts {
        if let Err(e) = &a.outcome {
            match errors.iter_mut().find(|(m, _)| m == e) {
                Some((_, n)) => *n += 1,
                None => errors.push((e.clone(), 1)),
            }
        }
    }
    ProbeResult {
        name: probe.name.clone(),
        url: redact(&probe.url),
        kind,
        count: probe.count,
        concurrency: probe.concurrency,
        timeout: probe.timeout,
        attempts: total,
        successes,
        latency,
        limits,
        passed,
        reasons,
        first_error: errors.first().map(|(e, _)| e.clone()),
        errors,
        note: attempts.iter().find_map(|a| a.outcome.clone().ok().flatten()),
    }
}

/// A probe that could not start (bad URL, unreadable CA file, no OAuth2 token): failed, with
/// the reason.
pub fn not_run(probe: &Probe, kind: Option<&'static str>, why: String) -> ProbeResult {
    let mut r = summarize(probe, kind, &[]);
    r.reasons = vec![why.clone()];
    r.first_error = Some(why.clone());
    r.errors = vec![(why, 0)];
    r
}

/// Runs one probe: prepares it, then `count` attempts, `concurrency` at a time, each cut
/// off after the probe's timeout.
pub async fn run_probe(probe: &Probe) -> ProbeResult {
    if let Some(problem) = &probe.problem {
        return not_run(probe, None, problem.clone());
    }
    let target = match Target::parse(&probe.url) {
        Ok(t) => t,
        Err(e) => return not_run(probe, None, e),
    };
    let kind = Some(target.kind().name());
    let timeout = probe.timeout;
    let prepared = match tokio::time::timeout(timeout, prepare(probe, &target)).await {
        Ok(Ok(p)) => Arc::new(p),
        Ok(Err(e)) => return not_run(probe, kind, e),
        Err(_) => {
            return not_run(
                probe,
                kind,
                format!("timed out after {}", format_duration(timeout)),
            );
        }
    };
    let attempts = attempts(prepared, probe.count, probe.concurrency, timeout).await;
    summarize(probe, kind, &attempts)
}

async fn attempts(prepared: Arc<Prepared>, count: u32, concurrency: u32, timeout: Duration) -> Vec<Attempt> {
    // Each attempt is its own task, so TLS handshakes and parsing spread over the cores.
    let mut done: Vec<(u32, Attempt)> = futures::stream::iter(0..count)
        .map(|i| {
            let prepared = Arc::clone(&prepared);
            let task = tokio::spawn(async move {
                let start = Instant::now();
                let outcome = match tokio::time::timeout(timeout, attempt(&prepared)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("timed out after {}", format_duration(timeout))),
                };
                Attempt {
                    latency: start.elapsed(),
                    outcome,
                }
            });
            async move {
                let a = task.await.unwrap_or_else(|e| Attempt {
                    latency: Duration::ZERO,
                    outcome: Err(format!("the attempt failed unexpectedly: {e}")),
                });
                (i, a)
            }
        })
        .buffer_unordered(concurrency.max(1) as usize)
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, a)| a).collect()
}

/// Runs every probe, `parallel` probes at a time; results in the order of `probes`.
pub async fn run_all(probes: &[Probe], parallel: usize) -> Vec<ProbeResult> {
    install_crypto_provider();
    let mut results: Vec<(usize, ProbeResult)> = futures::stream::iter(probes.iter().cloned().enumerate())
        .map(|(i, p)| async move { (i, tokio::spawn(async move { run_probe(&p).await }).await) })
        .buffer_unordered(parallel.max(1))
        .filter_map(|(i, r)| async move { r.ok().map(|r| (i, r)) })
        .collect()
        .await;
    // A task that panicked leaves a gap: report it rather than lose the probe.
    if results.len() < probes.len() {
        for (i, p) in probes.iter().enumerate() {
            if !results.iter().any(|(j, _)| *j == i) {
                results.push((
                    i,
                    not_run(
                        p,
                        None,
                        "the probe failed unexpectedly (a bug: please report it)".into(),
                    ),
                ));
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Runs every probe on a runtime of its own; the seam for callers without one (the CLI, and
/// the in-cluster Job, which prints [`crate::report::json`] of the result).
pub fn run_blocking(probes: &[Probe], parallel: usize) -> Result<Vec<ProbeResult>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(run_all(probes, parallel)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Limits;

    fn a(ms: u64, outcome: Result<Option<String>, String>) -> Attempt {
        Attempt {
            latency: Duration::from_millis(ms),
            outcome,
        }
    }

    #[test]
    fn summary_counts_and_first_error() {
        let mut p = Probe::new("redis://:pw@127.0.0.1:6379");
        p.limits = Limits {
            p99: Some(Duration::from_millis(10)),
            ..Limits::default()
        };
        let r = summarize(
            &p,
            Some("redis"),
            &[
                a(2, Ok(None)),
                a(5000, Err("timed out after 5s".into())),
                a(3, Ok(Some("x".into()))),
                a(1, Err("connection refused".into())),
                a(5000, Err("timed out after 5s".into())),
            ],
        );
        assert_eq!((r.attempts, r.successes), (5, 2));
        assert_eq!(r.first_error.as_deref(), Some("timed out after 5s"));
        assert_eq!(
            r.errors,
            vec![
                ("timed out after 5s".to_owned(), 2),
                ("connection refused".to_owned(), 1)
            ]
        );
        // Failed attempts do not enter the percentiles.
        assert_eq!(r.latency.unwrap().max, Duration::from_millis(3));
        assert!(r.limits[0].ok);
        assert!(!r.passed);
        assert_eq!(r.reasons, ["3 of 5 attempts failed"]);
        assert_eq!(r.note.as_deref(), Some("x"));
        assert!(!r.url.contains("pw"));
    }

    #[test]
    fn a_probe_that_did_not_run_fails_with_its_reason() {
        let p = Probe::new("ftp://x");
        let r = not_run(&p, None, "unknown probe kind `ftp`".into());
        assert!(!r.passed);
        assert_eq!(r.reasons, ["unknown probe kind `ftp`"]);
        assert_eq!(r.attempts, 0);
    }
}
