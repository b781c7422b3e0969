//! An application whose metrics react to the cluster: `GET /mcp-diag/v1/app/metrics` serves
//! `http_requests_total{code}` and `http_request_duration_seconds` (a histogram) in the
//! Prometheus text format, for the upgrade gates to watch.
//!
//! The model: the application receives `rps` requests a second, shared equally by the Ready
//! workers (nodes without the control-plane taint; every Ready node when all have it). A node's requests fail with the error share, and take the latency, of its kubelet's
//! minor in `by_version` when set there, else `base_error` and `base_latency`. With no node
//! Ready, every request fails. At each scrape the requests since the previous scrape are added
//! at the rates of that moment, so the counters only grow.
//!
//! Every request of a node lands in the one histogram bucket of its latency: the first `le`
//! at or above it (50 ms → `le="0.05"`, 2 s → `le="2.5"`), so a 2 s version pushes
//! `histogram_quantile(0.99, ...)` into (1, 2.5] once it serves more than 1% of the requests.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::kubelet_state::minor_of;
use crate::store::{Entry, State};

/// Upper bounds of the histogram buckets, in seconds (`+Inf` follows).
pub const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How the emulated application behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct AppModel {
    /// Requests a second, over the whole cluster.
    pub rps: f64,
    /// Share of requests that fail (code 500) on a node whose version has no entry.
    pub base_error: f64,
    /// Latency of a request on a node whose version has no entry.
    pub base_latency: Duration,
    /// By kubelet minor (`"1.32"`): what changes on nodes running it.
    pub by_version: BTreeMap<String, VersionEffect>,
}

/// The error share and latency of the nodes of one kubelet minor (each `None`: the base one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionEffect {
    pub error: Option<f64>,
    pub latency: Option<Duration>,
}

impl Default for AppModel {
    fn default() -> Self {
        Self {
            rps: 100.0,
            base_error: 0.001,
            base_latency: Duration::from_millis(50),
            by_version: BTreeMap::new(),
        }
    }
}

/// `8%` or `0.08`, a share in [0, 1].
pub fn parse_share(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    match number.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&(x / scale)) => Ok(x / scale),
        _ => Err(format!(
            "{t:?} is not an error share: write a percentage such as 8% or a number from 0 to 1"
        )),
    }
}

/// `50ms`, `2s`, `1.5s` or a bare number of seconds.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x >= 0.0 && x * scale <= 3600.0 => Ok(Duration::from_secs_f64(x * scale)),
        _ => Err(format!(
            "{t:?} is not a latency: write a duration such as 50ms or 2s (at most an hour)"
        )),
    }
}

/// `1.32` from `1.32`, `v1.32` or `1.32.0`; `base` stays `base`.
fn version_key(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t == "base" {
        return Ok(t.to_owned());
    }
    let bare = t.strip_prefix('v').unwrap_or(t);
    let parts: Vec<&str> = bare.split('.').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    match (ok, minor_of(bare)) {
        (true, Some(m)) => Ok(m),
        _ => Err(format!(
            "{t:?} is not a kubelet minor: write it as 1.32 (or base for nodes of any other version)"
        )),
    }
}

impl AppModel {
    /// `1.32=8%`: nodes whose kubelet runs 1.32 fail 8% of their requests (`base=1%`: the rest).
    pub fn set_errors(&mut self, spec: &str) -> Result<(), String> {
        let (key, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not MINOR=SHARE, such as 1.32=8%"))?;
        let (key, share) = (version_key(key)?, parse_share(value)?);
        if key == "base" {
            self.base_error = share;
        } else {
            self.by_version.entry(key).or_default().error = Some(share);
        }
        Ok(())
    }

    /// `1.32=2s`: requests on nodes whose kubelet runs 1.32 take 2 s (`base=50ms`: the rest).
    pub fn set_latency(&mut self, spec: &str) -> Result<(), String> {
        let (key, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not MINOR=DURATION, such as 1.32=2s"))?;
        let (key, latency) = (version_key(key)?, parse_seconds(value)?);
        if key == "base" {
            self.base_latency = latency;
        } else {
            self.by_version.entry(key).or_default().latency = Some(latency);
        }
        Ok(())
    }

    /// The model as `PUT /mcp-diag/v1/app` takes it and `GET` shows it: latencies in seconds.
    pub fn to_json(&self) -> Value {
        let by_version: Map<String, Value> = self
            .by_version
            .iter()
            .map(|(k, e)| {
                let mut o = Map::new();
                if let Some(x) = e.error {
                    o.insert("error".to_owned(), json!(x));
                }
                if let Some(l) = e.latency {
                    o.insert("latency".to_owned(), json!(l.as_secs_f64()));
                }
                (k.clone(), Value::Object(o))
            })
            .collect();
        json!({"rps": self.rps, "base_error": self.base_error,
            "base_latency": self.base_latency.as_secs_f64(), "by_version": by_version})
    }

    /// Reads `{"rps": 100, "base_error": 0.001, "base_latency": "50ms", "by_version":
    /// {"1.32": {"error": "8%", "latency": 2}}}`; keys left out keep their defaults, shares
    /// are numbers or percentages, latencies seconds or durations.
    pub fn from_json(v: &Value) -> Result<AppModel, String> {
        let Some(obj) = v.as_object() else {
            return Err(
                "the app model is a JSON object, such as {\"by_version\": {\"1.32\": {\"error\": \"8%\"}}}"
                    .to_owned(),
            );
        };
        let share = |k: &str, v: &Value| match v {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| format!("{k}: a share is from 0 to 1")),
            Value::String(s) => parse_share(s).map_err(|e| format!("{k}: {e}")),
            _ => Err(format!("{k}: a share is a number or a percentage such as \"8%\"")),
        };
        let latency = |k: &str, v: &Value| match v {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| (0.0..=3600.0).contains(x))
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{k}: a latency is from 0 to 3600 seconds")),
            Value::String(s) => parse_seconds(s).map_err(|e| format!("{k}: {e}")),
            _ => Err(format!("{k}: a latency is seconds or a duration such as \"2s\"")),
        };
        let mut m = AppModel::default();
        for (k, v) in obj {
            match k.as_str() {
                "rps" => {
                    m.rps = v
                        .as_f64()
                        .filter(|x| (0.0..=1e9).contains(x))
                        .ok_or("rps: requests a second, a number from 0 to 1e9")?;
                }
                "base_error" => m.base_error = share(k, v)?,
                "base_latency" => m.base_latency = latency(k, v)?,
                "by_version" => {
                    let Some(versions) = v.as_object() else {
                        return Err(
                            "by_version: an object by kubelet minor, such as {\"1.32\": {\"error\": \"8%\"}}"
                                .to_owned(),
                        );
                    };
                    for (minor, e) in versions {
                        let key = version_key(minor).map_err(|e| format!("by_version: {e}"))?;
                        let Some(fields) = e.as_object() else {
                            return Err(format!("by_version.{minor}: an object with error and/or latency"));
                        };
                        let mut effect = VersionEffect::default();
                        for (f, x) in fields {
                            let path = format!("by_version.{minor}.{f}");
                            match f.as_str() {
                                "error" => effect.error = Some(share(&path, x)?),
                                "latency" => effect.latency = Some(latency(&path, x)?),
                                _ => {
                                    return Err(format!("{path}: unknown key (the keys are error, latency)"));
                                }
                            }
                        }
                        m.by_version.insert(key, effect);
                    }
                }
                _ => {
                    return Err(format!(
                        "unknown key {k:?} (the keys are rps, base_error, base_latency, by_version)"
                    ));
                }
            }
        }
        Ok(m)
    }
}

/// The application's behaviour now, from the cluster's state.
#[derive(Clone, Debug, PartialEq)]
pub struct AppRates {
    pub ready_nodes: usize,
    /// Share of requests failing (1.0 with no node Ready).
    pub error_share: f64,
    /// Each Ready node's latency with its share of the requests (equal shares).
    pub latencies: Vec<(Duration, f64)>,
}

impl AppRates {
    /// The latency below which `q` of the requests are served (exact, from the node shares).
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_by_key(|a| a.0);
        let mut seen = 0.0;
        for (l, share) in &sorted {
            seen += share;
            if seen + 1e-12 >= q {
                return Some(*l);
            }
        }
        sorted.last().map(|(l, _)| *l)
    }
}

/// A control-plane node (tainted so): the application does not run there.
fn control_plane(e: &Entry) -> bool {
    e.node.as_ref().is_some_and(|f| {
        f.taints.iter().any(|t| {
            matches!(
                t.get("key").and_then(Value::as_str),
                Some("node-role.kubernetes.io/control-plane" | "node-role.kubernetes.io/master")
            )
        })
    })
}

pub(crate) fn rates(model: &AppModel, state: &State) -> AppRates {
    let mut behaviours = Vec::new();
    if let Some(nodes) = state.col("", "nodes") {
        // The application runs on the workers; a cluster of control-plane nodes only runs it there.
        let workers_exist = nodes.values().any(|e| !control_plane(e));
        let serving = |e: &&std::sync::Arc<Entry>| {
            e.node.as_ref().is_some_and(|f| f.ready) && !(workers_exist && control_plane(e))
        };
        for e in nodes.values().filter(serving) {
            let minor = e.node.as_ref().and_then(|f| minor_of(&f.kubelet_version));
            let effect = minor.and_then(|m| model.by_version.get(&m));
            behaviours.push((
                effect.and_then(|x| x.error).unwrap_or(model.base_error),
                effect.and_then(|x| x.latency).unwrap_or(model.base_latency),
            ));
        }
    }
    let n = behaviours.len();
    if n == 0 {
        return AppRates {
            ready_nodes: 0,
            error_share: 1.0,
            latencies: vec![(model.base_latency, 1.0)],
        };
    }
    #[allow(clippy::cast_precision_loss)]
    let share = 1.0 / n as f64;
    AppRates {
        ready_nodes: n,
        error_share: behaviours.iter().map(|(e, _)| e).sum::<f64>() * share,
        latencies: behaviours.iter().map(|(_, l)| (*l, share)).collect(),
    }
}

/// The index of the bucket a latency lands in (`BUCKETS.len()` is `+Inf`).
pub(crate) fn bucket_of(latency: Duration) -> usize {
    let s = latency.as_secs_f64();
    BUCKETS
        .iter()
        .position(|le| s <= *le + 1e-12)
        .unwrap_or(BUCKETS.len())
}

/// The counters, fractional inside (served as whole requests).
#[derive(Debug)]
pub(crate) struct Meter {
    pub model: AppModel,
    last: Instant,
    ok: f64,
    errors: f64,
    /// Requests per bucket (not cumulative), `+Inf` last.
    buckets: [f64; 12],
    sum: f64,
}

impl Meter {
    pub fn new(model: AppModel) -> Self {
        Self {
            model,
            last: Instant::now(),
            ok: 0.0,
            errors: 0.0,
            buckets: [0.0; 12],
            sum: 0.0,
        }
    }

    /// Adds the requests since the last call at `rates`.
    pub fn advance(&mut self, rates: &AppRates, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        let requests = self.model.rps * dt;
        if !(requests.is_finite() && requests > 0.0) {
            return;
        }
        self.errors += requests * rates.error_share;
        self.ok += requests * (1.0 - rates.error_share);
        for (latency, share) in &rates.latencies {
            let n = requests * share;
            self.buckets[bucket_of(*latency)] += n;
            self.sum += n * latency.as_secs_f64();
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP http_requests_total Requests served by the emulated application, by status code.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        let _ = writeln!(out, "http_requests_total{{code=\"200\"}} {}", self.ok.floor());
        let _ = writeln!(out, "http_requests_total{{code=\"500\"}} {}", self.errors.floor());
        out.push_str(
            "# HELP http_request_duration_seconds Latency of the emulated application's requests.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        let mut cumulative = 0.0;
        for (i, n) in self.buckets.iter().enumerate() {
            cumulative += n;
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                cumulative.floor()
            );
        }
        let _ = writeln!(out, "http_request_duration_seconds_sum {}", self.sum);
        let _ = writeln!(out, "http_request_duration_seconds_count {}", cumulative.floor());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let mut m = AppModel::default();
        m.set_errors("1.32=8%").unwrap();
        m.set_latency("v1.32=2s").unwrap();
        m.set_errors("base=0.5%").unwrap();
        assert_eq!(m.by_version["1.32"].error, Some(0.08));
        assert_eq!(m.by_version["1.32"].latency, Some(Duration::from_secs(2)));
        assert!((m.base_error - 0.005).abs() < 1e-12);
        assert!(m.set_errors("1.32=120%").unwrap_err().contains("percentage"));
        assert!(m.set_errors("1.32").unwrap_err().contains("MINOR=SHARE"));
        assert!(m.set_latency("latest=2s").unwrap_err().contains("kubelet minor"));
        assert!(m.set_latency("1.32=fast").unwrap_err().contains("duration"));
        let back = AppModel::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
        let j = json!({"by_version": {"1.32": {"error": "8%", "latency": "2s"}}, "rps": 10});
        let m = AppModel::from_json(&j).unwrap();
        assert_eq!((m.rps, m.by_version["1.32"].error), (10.0, Some(0.08)));
        assert!(
            AppModel::from_json(&json!({"rpz": 1}))
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(AppModel::from_json(&json!({"by_version": {"1.32": {"errors": 1}}})).is_err());
    }

    #[test]
    fn buckets_are_the_first_bound_at_or_above() {
        assert_eq!(BUCKETS[bucket_of(Duration::from_millis(50))], 0.05);
        assert_eq!(BUCKETS[bucket_of(Duration::from_secs(2))], 2.5);
        assert_eq!(BUCKETS[bucket_of(Duration::from_millis(51))], 0.1);
        assert_eq!(bucket_of(Duration::from_secs(11)), BUCKETS.len());
    }

    #[test]
    fn counters_grow_at_the_current_rates() {
        let mut meter = Meter::new(AppModel::default());
        let t0 = meter.last;
        let half = AppRates {
            ready_nodes: 2,
            error_share: 0.5,
            latencies: vec![(Duration::from_millis(50), 0.5), (Duration::from_secs(2), 0.5)],
        };
        meter.advance(&half, t0 + Duration::from_secs(10));
        let text = meter.render();
        assert!(text.contains("http_requests_total{code=\"500\"} 500\n"), "{text}");
        assert!(text.contains("http_requests_total{code=\"200\"} 500\n"), "{text}");
        assert!(
            text.contains("http_request_duration_seconds_bucket{le=\"0.05\"} 500\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{le=\"1\"} 500\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{le=\"2.5\"} 1000\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{le=\"+Inf\"} 1000\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_count 1000\n"),
            "{text}"
        );
        // Time going backwards adds nothing.
        meter.advance(&half, t0);
        assert_eq!(meter.render(), text);
        assert_eq!(half.quantile(0.99), Some(Duration::from_secs(2)));
        assert_eq!(half.quantile(0.5), Some(Duration::from_millis(50)));
    }
}
