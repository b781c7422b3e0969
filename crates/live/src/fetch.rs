//! GET requests with retries: exponential backoff with jitter on 429 (honouring
//! `Retry-After`), 5xx, connection errors and timeouts; everything else is returned at once.
//! This is the only retry layer: kube's own (429/503/504) is turned off where the client is
//! built (`config.rs`), so that attempts, waits and messages are all counted here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
    /// The server kept answering 429 Too Many Requests for `lasted` (it answered every time:
    /// it is overloaded or rate-limits this client, it is not down).
    Throttled { lasted: Duration, attempts: u32 },
    /// The connection failed or broke.
    Transport { message: String, attempts: u32 },
    /// No answer within `waited` (the time allowed per attempt, or what was left of a
    /// deadline).
    TimedOut { waited: Duration, attempts: u32 },
}

impl Failure {
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    pub fn attempts(&self) -> u32 {
        match self {
            Self::Status { attempts, .. }
            | Self::Throttled { attempts, .. }
            | Self::Transport { attempts, .. }
            | Self::TimedOut { attempts, .. } => *attempts,
        }
    }
}

/// `45 s`, `1.5 s`, `0.2 s`: how messages give a duration.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{} s", d.as_secs_f64().round() as u64)
    } else {
        format!("{:.1} s", (s * 10.0).round() / 10.0)
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
            Self::Throttled { lasted, attempts } => write!(
                f,
                "throttled (HTTP 429) for {}{}",
                seconds(*lasted),
                tries(*attempts)
            ),
            Self::Transport { message, attempts } => write!(f, "{message}{}", tries(*attempts)),
            Self::TimedOut { attempts: 0, .. } => {
                write!(f, "out of time: the deadline passed before the request was sent")
            }
            Self::TimedOut { waited, attempts } => {
                write!(f, "no answer within {}{}", seconds(*waited), tries(*attempts))
            }
        }
    }
}

/// What a TLS failure means, in the user's terms, when the error text (rustls' through
/// hyper and kube) shows one; `None` for other errors.
pub fn tls_explanation(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let tls = t.contains("invalid peer certificate")
        || t.contains("tls")
        || t.contains("handshake")
        || t.contains("corrupt message");
    if !tls {
        return None;
    }
    // rustls' `CertificateError` variants as they are printed (Debug names, and the
    // Display texts of recent versions).
    Some(if t.contains("unknownissuer") || t.contains("unknown issuer") {
        "TLS: the server's certificate is not signed by a CA in the kubeconfig (certificate-authority-data of the cluster); check that the kubeconfig belongs to this server, or get a fresh one from the cluster's admin or cloud CLI"
    } else if t.contains("notvalidforname") || t.contains("not valid for name") {
        "TLS: the server's certificate is not valid for the server name in the kubeconfig; use the name the certificate was issued for (or set tls-server-name in the kubeconfig)"
    } else if t.contains("expired") {
        "TLS: the server's certificate has expired (or the local clock is wrong); renew the API server certificate (`kubeadm certs renew`) or fix the clock"
    } else if t.contains("notvalidyet") || t.contains("not valid yet") {
        "TLS: the server's certificate is not valid yet; check the local clock"
    } else if t.contains("invalidcertificate") || t.contains("invalid peer certificate") {
        "TLS: the server's certificate was rejected; check the cluster's certificate-authority-data in the kubeconfig"
    } else if t.contains("http request to an https server")
        || t.contains("invalidcontenttype")
        || t.contains("corrupt message")
    {
        "TLS: the server does not speak TLS where the kubeconfig says https (or the reverse); check the server URL"
    } else {
        return None;
    })
}

/// How a connection error is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// Nothing listens (connection refused): a few quick attempts cover a restarting API
    /// server; more would only make an unreachable one slow to report.
    Refused,
    /// A certificate problem: it will not change on the next attempt.
    Tls,
    /// A broken or reset connection: worth the full retries.
    Other,
}

pub(crate) fn transport_kind(text: &str) -> TransportKind {
    let t = text.to_ascii_lowercase();
    if tls_explanation(text).is_some() {
        TransportKind::Tls
    } else if t.contains("connection refused") || t.contains("os error 111") || t.contains("os error 61") {
        TransportKind::Refused
    } else {
        TransportKind::Other
    }
}

/// Attempts on a refused connection, at most.
pub const REFUSED_ATTEMPTS: u32 = 3;

/// How long and how often one request may be tried.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limit {
    pub attempts: u32,
    /// No attempt starts, and none waits, past this instant.
    pub deadline: Option<Instant>,
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
        self.get_within(path, accept, self.policy.max_attempts, None)
            .await
    }

    /// Like [`Fetcher::get`] with at most `max_attempts` attempts, none of which starts or
    /// waits past `deadline`.
    pub async fn get_within(
        &self,
        path: &str,
        accept: &str,
        max_attempts: u32,
        deadline: Option<Instant>,
    ) -> Result<Answer, Failure> {
        self.get_limited(
            path,
            accept,
            Limit {
                attempts: max_attempts,
                deadline,
            },
        )
        .await
    }

    pub(crate) async fn get_limited(
        &self,
        path: &str,
        accept: &str,
        limit: Limit,
    ) -> Result<Answer, Failure> {
        let max_attempts = limit.attempts.max(1);
        let mut attempt = 0u32;
        // When the current run of 429 answers began.
        let mut throttled_since: Option<Instant> = None;
        let mut last: Option<Failure> = None;
        loop {
            let now = Instant::now();
            let wait = match limit.deadline {
                Some(d) if d <= now => {
                    return Err(last.unwrap_or(Failure::TimedOut {
                        waited: Duration::ZERO,
                        attempts: attempt,
                    }));
                }
                Some(d) => self.attempt_timeout.min(d - now),
                None => self.attempt_timeout,
            };
            attempt += 1;
            Counters::add(&self.counters.requests, 1);
            let outcome = tokio::time::timeout(wait, self.once(path, accept)).await;
            let mut attempts_left = max_attempts;
            let (failure, wait_hint) = match outcome {
                Ok(Ok((status, _, body))) if status.is_success() => {
                    Counters::add(&self.counters.bytes, body.len() as u64);
                    return Ok(Answer { body });
                }
                Ok(Ok((status, headers, _))) if status == StatusCode::TOO_MANY_REQUESTS => {
                    let since = *throttled_since.get_or_insert(now);
                    (
                        Failure::Throttled {
                            lasted: since.elapsed(),
                            attempts: attempt,
                        },
                        retry_after(&headers),
                    )
                }
                Ok(Ok((status, headers, body))) => {
                    throttled_since = None;
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
                Ok(Err(message)) => {
                    throttled_since = None;
                    match transport_kind(&message) {
                        TransportKind::Tls => attempts_left = attempt,
                        TransportKind::Refused => attempts_left = max_attempts.min(REFUSED_ATTEMPTS),
                        TransportKind::Other => {}
                    }
                    (
                        Failure::Transport {
                            message,
                            attempts: attempt,
                        },
                        None,
                    )
                }
                Err(_) => {
                    throttled_since = None;
                    (
                        Failure::TimedOut {
                            waited: wait,
                            attempts: attempt,
                        },
                        None,
                    )
                }
            };
            if attempt >= attempts_left {
                return Err(failure);
            }
            let delay = self.policy.delay(attempt, wait_hint, self.unit());
            if let Some(d) = limit.deadline
                && Instant::now() + delay >= d
            {
                // Waiting would pass the deadline: what failed so far is the answer.
                return Err(failure);
            }
            Counters::add(&self.counters.retries, 1);
            tracing::debug!(path, attempt, ?delay, %failure, "retrying");
            last = Some(failure);
            tokio::time::sleep(delay).await;
        }
    }

    async fn once(&self, path: &str, accept: &str) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let request = Request::get(path)
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .map_err(|e| format!("bad request {path}: {e}"))?;
        let response = self
            .client
            .send(request)
            .await
            .map_err(|e| explain(&describe(&e)))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect_bytes()
            .await
            .map_err(|e| format!("the connection broke while reading the answer: {}", describe(&e)))?;
        Ok((parts.status, parts.headers, body))
    }
}

/// A connection error with its meaning first when it is a TLS problem; a refused
/// connection in plain words (the error chain says the same four times).
pub(crate) fn explain(text: &str) -> String {
    match tls_explanation(text) {
        Some(meaning) => format!("{meaning} ({text})"),
        None if transport_kind(text) == TransportKind::Refused => {
            "connection refused: nothing listens at the server's address (the API server stopped or is restarting, or the address is wrong)".to_owned()
        }
        None => text.to_owned(),
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
            Failure::TimedOut {
                waited: Duration::from_secs(15),
                attempts: 8
            }
            .to_string(),
            "no answer within 15 s (after 8 attempts)"
        );
        assert_eq!(
            Failure::TimedOut {
                waited: Duration::ZERO,
                attempts: 0
            }
            .to_string(),
            "out of time: the deadline passed before the request was sent"
        );
        let throttled = Failure::Throttled {
            lasted: Duration::from_millis(45_300),
            attempts: 9,
        };
        assert_eq!(
            throttled.to_string(),
            "throttled (HTTP 429) for 45 s (after 9 attempts)"
        );
        assert_eq!(throttled.code(), Some(429));
        assert_eq!(seconds(Duration::from_millis(1540)), "1.5 s");
    }

    /// The error texts as kube, hyper-util and rustls 0.23 print them (through
    /// [`describe`]), and what the user is told.
    #[test]
    fn tls_failures_say_what_is_wrong_with_the_certificate() {
        let unknown_ca = "ServiceError: client error (Connect): invalid peer certificate: UnknownIssuer";
        let text = explain(unknown_ca);
        assert!(
            text.starts_with("TLS: the server's certificate is not signed by a CA in the kubeconfig"),
            "{text}"
        );
        assert!(
            text.ends_with("(ServiceError: client error (Connect): invalid peer certificate: UnknownIssuer)")
        );
        assert_eq!(transport_kind(unknown_ca), TransportKind::Tls);
        let name = "client error (Connect): invalid peer certificate: certificate not valid for name \"10.0.0.1\"; certificate is only valid for DnsName(\"kubernetes\")";
        assert!(
            tls_explanation(name)
                .unwrap()
                .contains("not valid for the server name")
        );
        let expired = "invalid peer certificate: certificate expired: verification time 1767225600 (UNIX), but certificate is not valid after 1735689600 (UNIX)";
        assert!(tls_explanation(expired).unwrap().contains("has expired"));
        assert!(
            tls_explanation("invalid peer certificate: Expired")
                .unwrap()
                .contains("has expired")
        );
        // Not TLS: connection errors keep their text, and their own retries.
        let refused = "client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert!(explain(refused).starts_with("connection refused: nothing listens"));
        assert_eq!(transport_kind(refused), TransportKind::Refused);
        assert_eq!(transport_kind(&explain(refused)), TransportKind::Refused);
        assert_eq!(transport_kind("connection reset by peer"), TransportKind::Other);
        assert_eq!(
            tls_explanation("HTTP 500: the certificate of the pod expired"),
            None
        );
    }
}
