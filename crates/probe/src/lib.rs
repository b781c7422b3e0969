//! Connectivity probes: HTTP(S), TCP, DNS, gRPC health, Redis and Postgres, each attempted a
//! number of times with a concurrency and a timeout, judged against latency limits.
//!
//! The I/O is in [`kinds`] (one attempt of each kind, with well-kept client crates) and
//! [`run`] (attempts, timeouts, concurrency). Everything else is pure: [`stats`]
//! (percentiles, limits, verdict), [`report`] (table, JSON, JUnit), [`config`] (the `probes:`
//! section with located errors), [`spec`] (URLs and kinds).
//!
//! TLS is rustls with the aws-lc-rs provider only (kube's client panics when two providers
//! are compiled in).

pub mod config;
pub mod kinds;
pub mod report;
pub mod run;
pub mod spec;
pub mod stats;
pub mod words;

#[cfg(feature = "testing")]
pub mod testing;

pub use run::{ProbeResult, run_all, run_blocking};
pub use spec::{Kind, OAuth2, Probe, Target};
pub use stats::Limits;

/// Runs `probes` and returns the JSON report: what an in-cluster Job prints for the CLI to
/// collect from its log.
pub fn run_to_json(probes: &[Probe], parallel: usize) -> Result<serde_json::Value, String> {
    run_blocking(probes, parallel).map(|r| report::json(&r))
}
