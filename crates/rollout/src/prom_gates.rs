//! The PromQL gates' edge: readings from a real Prometheus, and the one-shot check that
//! pre-flight and `mcp-diag gates check` print.

use std::time::Duration;

use mcp_diag_prom::{Client, QueryResult};
use serde::Serialize;

use crate::config::{Bound, GateRule, Policy, PrometheusConfig};
use crate::driver::{BoxFuture, GateSource};
use crate::gates::{Reading, format_value};

/// Gate readings from Prometheus.
pub struct PromGates {
    client: Client,
}

impl PromGates {
    pub fn new(config: &PrometheusConfig) -> Result<Self, String> {
        let prom = mcp_diag_prom::Config {
            url: config.url.clone(),
            timeout: Duration::from_millis(config.timeout.max(1)),
            bearer_token: None,
            bearer_token_file: config.bearer_token_file.clone(),
            basic_auth: config.basic_auth.as_ref().map(|b| mcp_diag_prom::BasicAuth {
                username: b.username.clone(),
                password: None,
                password_file: b.password_file.clone(),
            }),
            ca_file: config.ca_file.clone(),
        };
        Ok(Self {
            client: Client::new(&prom).map_err(|e| format!("gates.prometheus: {e}"))?,
        })
    }
}

/// `{code="500", zone="a"}` (without `__name__`), or empty for an unlabelled value.
pub fn series_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    let parts: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(", "))
    }
}

pub fn reading_of(result: Result<QueryResult, mcp_diag_prom::QueryError>) -> Reading {
    match result {
        Ok(r) if r.samples.is_empty() => Reading::NoData,
        Ok(r) => Reading::Values(
            r.samples
                .iter()
                .map(|s| (series_text(&s.labels), s.value))
                .collect(),
        ),
        Err(e) => Reading::Error(e.to_string()),
    }
}

impl GateSource for PromGates {
    fn query<'a>(&'a self, rules: &'a [GateRule]) -> BoxFuture<'a, Vec<(String, Reading)>> {
        Box::pin(async move {
            let queries = rules.iter().map(|rule| async move {
                (
                    rule.name.clone(),
                    reading_of(self.client.query(&rule.query).await),
                )
            });
            futures::future::join_all(queries).await
        })
    }
}

/// One gate evaluated once.
#[derive(Clone, Debug, Serialize)]
pub struct GateCheck {
    pub name: String,
    pub query: String,
    /// `above 0.05`.
    pub bound: String,
    /// `ok`, `breach`, `no-data`, `error`.
    pub status: String,
    /// What a run would do with it now: `go`, `hold` (no new node would start), `fire`
    /// (after its window).
    pub effect: String,
    pub values: Vec<CheckValue>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckValue {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub series: String,
    pub value: Option<f64>,
}

/// Judges one reading of one rule as a run would, without a window: a breach now fires once
/// it has lasted the rule's `for`.
pub fn judge(rule: &GateRule, reading: &Reading) -> GateCheck {
    let policy_effect = |policy: Policy| match policy {
        Policy::Hold => "hold",
        Policy::Fail => "fire",
        Policy::Pass => "go",
    };
    let (status, effect, values, detail) = match reading {
        Reading::Values(values) => {
            let real: Vec<&(String, f64)> = values.iter().filter(|(_, v)| !v.is_nan()).collect();
            let shown = values
                .iter()
                .map(|(s, v)| CheckValue {
                    series: s.clone(),
                    value: v.is_finite().then_some(*v),
                })
                .collect();
            if real.is_empty() {
                (
                    "no-data",
                    policy_effect(rule.on_no_data),
                    shown,
                    "the query returned NaN (no traffic?)".to_owned(),
                )
            } else {
                let breaching: Vec<&&(String, f64)> =
                    real.iter().filter(|(_, v)| rule.bound.breached_by(*v)).collect();
                if breaching.is_empty() {
                    ("ok", "go", shown, String::new())
                } else {
                    let (series, value) = breaching[0];
                    let window = if rule.window > 0 {
                        format!(
                            "; a run fires it once this lasts {}",
                            crate::text::human_duration(rule.window)
                        )
                    } else {
                        String::new()
                    };
                    (
                        "breach",
                        "fire",
                        shown,
                        format!(
                            "{}{} is {}{window}",
                            format_value(*value),
                            if series.is_empty() {
                                String::new()
                            } else {
                                format!(" {series}")
                            },
                            rule.bound.describe()
                        ),
                    )
                }
            }
        }
        Reading::NoData => (
            "no-data",
            policy_effect(rule.on_no_data),
            Vec::new(),
            "the query returned no series".to_owned(),
        ),
        Reading::Error(e) => ("error", policy_effect(rule.on_error), Vec::new(), e.clone()),
    };
    GateCheck {
        name: rule.name.clone(),
        query: rule.query.clone(),
        bound: match rule.bound {
            Bound::Above(x) => format!("above {}", format_value(x)),
            Bound::Below(x) => format!("below {}", format_value(x)),
        },
        status: status.into(),
        effect: effect.into(),
        values,
        detail,
    }
}

/// The checks as a table for people.
pub fn render_checks(checks: &[GateCheck]) -> String {
    let mut out = String::new();
    if !checks.is_empty() {
        out.push_str(&format!(
            "{:<20} {:<8} {:<5} {}\n",
            "GATE", "STATUS", "RUN", "VALUES (BOUND)"
        ));
    }
    for c in checks {
        let values: Vec<String> = c
            .values
            .iter()
            .map(|v| {
                let value = v.value.map_or("NaN".into(), format_value);
                if v.series.is_empty() {
                    value
                } else {
                    format!("{value} {}", v.series)
                }
            })
            .collect();
        out.push_str(&format!(
            "{:<20} {:<8} {:<5} {}  ({})\n",
            c.name,
            c.status,
            c.effect,
            if values.is_empty() {
                "-".to_owned()
            } else {
                values.join(", ")
            },
            c.bound
        ));
        if !c.detail.is_empty() {
            out.push_str(&format!("{:<20} {}\n", "", c.detail));
        }
    }
    out
}
