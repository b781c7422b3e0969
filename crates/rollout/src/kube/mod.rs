//! The live edges: [`KubeEdges`] carries the core's commands out on a cluster through kube-rs,
//! and [`lease`] makes one orchestrator the holder of a cluster.
//!
//! Every API call goes through [`call`], which retries what a server or the network may
//! answer for a moment (429, 5xx, a timeout) and nothing else, so a step is reported done
//! only after the server confirmed the write.

mod action;
mod drain;
mod edges;
pub mod lease;
pub mod plan_store;
mod select;

use std::future::Future;
use std::time::Duration;

pub use action::job_name;
pub use edges::{KubeEdges, RunNode, Timing, read_run_nodes};
pub use lease::{LeaseError, LeaseInfo};

/// Annotations and labels the orchestrator writes (all under one prefix, so `kubectl get
/// nodes -o yaml` shows what a run did).
pub const ANNOTATION_RUN: &str = "upgrade.mcp-diag.io/run";
pub const ANNOTATION_STEP: &str = "upgrade.mcp-diag.io/step";
pub const ANNOTATION_FROM_VERSION: &str = "upgrade.mcp-diag.io/from-version";
/// The node was unschedulable before the run: Uncordon leaves it cordoned.
pub const ANNOTATION_WAS_CORDONED: &str = "upgrade.mcp-diag.io/was-cordoned";
/// The run that cordoned the node, written with the cordon itself, so a repeated Cordon
/// after a crash knows the cordon is its own and not the operator's.
pub const ANNOTATION_CORDONED_BY: &str = "upgrade.mcp-diag.io/cordoned-by";
/// On the Lease: `stop` or `rollback`, left by `upgrade abort`.
pub const ANNOTATION_ABORT: &str = "upgrade.mcp-diag.io/abort";
/// The Lease that makes one orchestrator the holder.
pub const LEASE_NAME: &str = "mcp-diag-upgrade";

/// A failed API call: the server's Status when it answered, else what went wrong on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// The HTTP code of the server's answer; `None` when there was none (network, timeout).
    pub code: Option<u16>,
    /// The Status reason (`NotFound`, `Conflict`, `AlreadyExists`, `TooManyRequests`).
    pub reason: String,
    pub message: String,
    /// The messages of the Status's causes (an eviction's 429 names the budget there).
    pub causes: Vec<String>,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} ({code} {})", self.message, self.reason),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    pub fn is_not_found(&self) -> bool {
        self.code == Some(404)
    }

    pub fn is_conflict(&self) -> bool {
        self.code == Some(409) && self.reason != "AlreadyExists"
    }

    pub fn already_exists(&self) -> bool {
        self.code == Some(409) && self.reason == "AlreadyExists"
    }

    fn transient(&self) -> bool {
        match self.code {
            None => true,
            Some(code) => code == 429 || code >= 500,
        }
    }

    pub(crate) fn from_kube(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(status) => CallError {
                code: Some(status.code),
                reason: status.reason.clone(),
                message: status.message.clone(),
                causes: status
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().map(|c| c.message.clone()).collect())
                    .unwrap_or_default(),
            },
            other => CallError {
                code: None,
                reason: String::new(),
                message: error_chain(&other),
                causes: Vec::new(),
            },
        }
    }
}

/// An error and its causes on one line (kube's top-level messages alone are vague).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Tries per call, and the first pause (doubled after each try): 5 tries over about 6 s.
const TRIES: u32 = 5;
const FIRST_PAUSE: Duration = Duration::from_millis(400);
/// One attempt that takes longer is abandoned (and retried): a server that hangs.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one API call, retrying 429, 5xx, connection failures and timeouts with back-off.
/// `what` names the call in the error ("patch node n1").
pub(crate) async fn call<T, F, Fut>(what: &str, f: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    call_retrying(what, true, f).await
}

/// [`call`], with 429 retried or not: an eviction's 429 is a budget's answer, which the drain
/// handles itself (kubectl waits 5 s and tries again until its timeout).
pub(crate) async fn call_retrying<T, F, Fut>(what: &str, retry_429: bool, mut f: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        let error = match tokio::time::timeout(ATTEMPT_TIMEOUT, f()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => CallError::from_kube(e),
            Err(_) => CallError {
                code: None,
                reason: "Timeout".into(),
                message: format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
                causes: Vec::new(),
            },
        };
        let retried = error.transient() && (retry_429 || error.code != Some(429));
        if !retried || attempt >= TRIES {
            let tries = if attempt > 1 {
                format!(" (after {attempt} tries)")
            } else {
                String::new()
            };
            return Err(CallError {
                message: format!("{what}: {}{tries}", error.message),
                ..error
            });
        }
        tracing::debug!(what, %error, attempt, "retrying");
        tokio::time::sleep(pause).await;
        pause *= 2;
        attempt += 1;
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `15m`, `1m30s`, `3s`, `250ms`: a duration as a person reads it.
pub fn human_duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// rustls needs one process-wide crypto provider; only aws-lc-rs is built in (as in
/// crates/live).
pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only when another provider was installed first, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human_duration(15 * 60_000), "15m");
        assert_eq!(human_duration(90_000), "1m30s");
        assert_eq!(human_duration(3_000), "3s");
        assert_eq!(human_duration(250), "250ms");
        assert_eq!(human_duration(3_600_000), "1h");
    }

    #[test]
    fn transient_errors_are_the_retried_ones() {
        let e = |code: Option<u16>, reason: &str| CallError {
            code,
            reason: reason.into(),
            message: String::new(),
            causes: Vec::new(),
        };
        assert!(e(Some(429), "TooManyRequests").transient());
        assert!(e(Some(503), "ServiceUnavailable").transient());
        assert!(e(None, "").transient());
        assert!(!e(Some(404), "NotFound").transient());
        assert!(!e(Some(409), "Conflict").transient());
        assert!(e(Some(409), "AlreadyExists").already_exists());
        assert!(!e(Some(409), "AlreadyExists").is_conflict());
    }
}
