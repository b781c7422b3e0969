//! GET requests with retries: exponential backoff with jitter on 429 (honouring
//! `Retry-After`), 5xx, connection errors and timeouts; everything else is returned at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, header};
use kube::client::Body;

/// How failed requests are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The delay after the first failure; it doubles after each further failure.
    pub base: Duration,
    /// The longest delay between two attempts (before `Retry-After`).
    pub cap: Duration,
    /// The longest `Retry-After` honoured; a server asking for more is waited on this long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failed attempts (from 1). `unit` is a random number in
    /// `[0, 1)`: the wait is half the exponential delay plus a random share of the other half
    /// ("equal jitter"), so that many clients throttled at once do not retry in step. A
    /// `Retry-After` from the server is a lower bound.
    pub fn delay(&self, failures: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let shift = failures.saturating_sub(1).min(20);
        let exponential = self.base.saturating_mul(1 << shift).min(self.cap);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let jittered = exponential / 2 + exponential.mul_f64(unit) / 2;
        match retry_after {
            Some(after) => after.min(self.max_retry_after).max(jittered),
            None => jittered,
        }
    }
}

/// Whether a response status is worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the HTTP date form is not used by the API server).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: u64 = text.parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Why a request finally failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error status (`reason` from its `Status` body, if any).
    Status {
        code: u16,
        reason: String,
        message: String,
        attempts: u32,
    },
    /// The connection failed or broke.
    Transport { message: String, attempts: u32 },
    /// No answer within the time allowed per attempt.
    TimedOut { attempts: u32 },
}

impl Failure {
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tries = |n: u32| {
            if n > 1 {
                format!(" (after {n} attempts)")
            } else {
                String::new()
            }
        };
        match self {
            Self::Status {
                code,
                reason,
                message,
                attempts,
            } => {
                write!(f, "HTTP {code}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                write!(f, "{}", tries(*attempts))
            }
            Self::Transport { message, attempts } => write!(f, "{message}{}", tries(*attempts)),
            Self::TimedOut { attempts } => write!(f, "no answer{}", tries(*attempts)),
        }
    }
}

/// Reason and message of a Kubernetes `Status` body; empty when the body is something else.
pub fn status_reason(body: &[u8]) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct Status {
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    match serde_json::from_slice::<Status>(body) {
        Ok(s) => (s.reason.unwrap_or_default(), s.message.unwrap_or_default()),
        Err(_) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_owned();
            (String::new(), text)
        }
    }
}

/// What a read cost.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub pages: AtomicU64,
    pub bytes: AtomicU64,
    pub objects: AtomicU64,
    pub restarts: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: Bytes,
}

/// Sends GET requests through a kube client, with retries.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: kube::Client,
    pub policy: RetryPolicy,
    /// The longest wait for one attempt (headers and body).
    pub attempt_timeout: Duration,
    pub counters: Arc<Counters>,
    seed: Arc<AtomicU64>,
}

impl Fetcher {
    pub fn new(client: kube::Client, policy: RetryPolicy, attempt_timeout: Duration) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Self {
            client,
            policy,
            attempt_timeout,
            counters: Arc::default(),
            seed: Arc::new(AtomicU64::new(seed | 1)),
        }
    }

    /// A random number in `[0, 1)` for jitter (splitmix64 over a shared counter).
    fn unit(&self) -> f64 {
        let mut z = self.seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// GETs `path` (path and query), retrying what is worth retrying.
    pub async fn get(&self, path: &str, accept: &str) -> Result<Answer, Failure> {
        self.get_with(path, accept, self.policy.max_attempts).await
    }

    /// Like [`Fetcher::get`] with at most `max_attempts` attempts.
    pub async fn get_with(&self, path: &str, accept: &str, max_attempts: u32) -> Result<Answer, Failure> {
        let max_attempts = max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            Counters::add(&self.counters.requests, 1);
            let outcome = tokio::time::timeout(self.attempt_timeout, self.once(path, accept)).await;
            let (failure, wait_hint) = match outcome {
                Ok(Ok((status, _, body))) if status.is_success() => {
                    Counters::add(&self.counters.bytes, body.len() as u64);
                    return Ok(Answer { body });
                }
                Ok(Ok((status, headers, body))) => {
                    let (reason, message) = status_reason(&body);
                    let failure = Failure::Status {
                        code: status.as_u16(),
                        reason,
                        message,
                        attempts: attempt,
                    };
                    if !retryable_status(status.as_u16()) {
                        return Err(failure);
                    }
                    (failure, retry_after(&headers))
                }
                Ok(Err(message)) => (
                    Failure::Transport {
                        message,
                        attempts: attempt,
                    },
                    None,
                ),
                Err(_) => (Failure::TimedOut { attempts: attempt }, None),
            };
            if attempt >= max_attempts {
                return Err(failure);
            }
            Counters::add(&self.counters.retries, 1);
            let delay = self.policy.delay(attempt, wait_hint, self.unit());
            tracing::debug!(path, attempt, ?delay, %failure, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn once(&self, path: &str, accept: &str) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let request = Request::get(path)
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .map_err(|e| format!("bad request {path}: {e}"))?;
        let response = self.client.send(request).await.map_err(|e| describe(&e))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect_bytes()
            .await
            .map_err(|e| format!("the connection broke while reading the answer: {}", describe(&e)))?;
        Ok((parts.status, parts.headers, body))
    }
}

/// A kube error with its causes, on one line.
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None, 0.0), Duration::from_millis(50));
        assert_eq!(p.delay(1, None, 0.999_999).as_millis(), 99);
        assert_eq!(p.delay(2, None, 0.0), Duration::from_millis(100));
        assert_eq!(p.delay(4, None, 0.0), Duration::from_millis(400));
        // Capped at 5 s (half of it as the floor).
        assert_eq!(p.delay(30, None, 0.0), Duration::from_millis(2500));
        assert!(p.delay(30, None, 0.99) <= Duration::from_secs(5));
        assert_eq!(p.delay(u32::MAX, None, f64::NAN), Duration::from_millis(3750));
        // Retry-After is a floor, capped at max_retry_after.
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2)), 0.5),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600)), 0.5),
            Duration::from_secs(30)
        );
        assert_eq!(p.delay(8, Some(Duration::ZERO), 0.0), Duration::from_millis(2500));
    }

    #[test]
    fn which_statuses_are_retried() {
        for code in [429, 500, 502, 503, 504] {
            assert!(retryable_status(code), "{code}");
        }
        for code in [200, 400, 401, 403, 404, 409, 410, 501] {
            assert!(!retryable_status(code), "{code}");
        }
    }

    #[test]
    fn retry_after_header() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, "-1".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn status_bodies() {
        let body = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}"#;
        let (reason, message) = status_reason(body);
        assert_eq!(reason, "Expired");
        assert!(message.contains("too old"));
        assert_eq!(
            status_reason(b"<html>bad gateway</html>").1,
            "<html>bad gateway</html>"
        );
        assert_eq!(status_reason(&[0xff, 0xfe]).0, "");
        let f = Failure::Status {
            code: 403,
            reason: "Forbidden".into(),
            message: "no".into(),
            attempts: 1,
        };
        assert_eq!(f.to_string(), "HTTP 403 Forbidden: no");
        assert_eq!(
            Failure::TimedOut { attempts: 8 }.to_string(),
            "no answer (after 8 attempts)"
        );
    }
}
