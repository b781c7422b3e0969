//! The probe report as a table, JSON (schema_version 1) or JUnit XML.
//!
//! JSON shape (schema_version 1; fields may be added, never renamed or dropped):
//!
//! ```json
//! { "schema_version": 1,
//!   "summary": { "probes": 2, "passed": 1, "failed": 1 },
//!   "probes": [ { "name": "orders-db", "url": "postgres://app:***@db:5432/orders", "kind": "postgres",
//!                 "count": 3, "concurrency": 1, "timeout_ms": 5000,
//!                 "attempts": 3, "successes": 3,
//!                 "latency_ms": { "p50": 1.2, "p90": 1.9, "p99": 1.9, "max": 1.9 },
//!                 "limits": [ { "name": "p99", "limit": 10.0, "value": 1.9, "ok": true } ],
//!                 "passed": true, "reasons": [], "first_error": null,
//!                 "errors": [ { "message": "connection refused", "attempts": 1 } ],
//!                 "note": "role: primary" } ] }
//! ```
//!
//! `latency_ms` is `null` when no attempt succeeded; `limits[].value` likewise; `kind` is
//! `null` for a URL of no known kind. Durations are milliseconds.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::run::ProbeResult;
use crate::stats::{format_duration, ms};

pub const SCHEMA_VERSION: u32 = 1;

/// The JSON report.
pub fn json(results: &[ProbeResult]) -> Value {
    let passed = results.iter().filter(|r| r.passed).count();
    json!({
        "schema_version": SCHEMA_VERSION,
        "summary": { "probes": results.len(), "passed": passed, "failed": results.len() - passed },
        "probes": results.iter().map(probe_json).collect::<Vec<_>>(),
    })
}

fn probe_json(r: &ProbeResult) -> Value {
    json!({
        "name": r.name,
        "url": r.url,
        "kind": r.kind,
        "count": r.count,
        "concurrency": r.concurrency,
        "timeout_ms": ms(r.timeout),
        "attempts": r.attempts,
        "successes": r.successes,
        "latency_ms": r.latency.map(|l| json!({
            "p50": ms(l.p50), "p90": ms(l.p90), "p99": ms(l.p99), "max": ms(l.max),
        })),
        "limits": r.limits,
        "passed": r.passed,
        "reasons": r.reasons,
        "first_error": r.first_error,
        "errors": r.errors.iter().map(|(m, n)| json!({"message": m, "attempts": n})).collect::<Vec<_>>(),
        "note": r.note,
    })
}

/// Reads a JSON report back (what `probe --in-cluster` gets from its Job's log), so that it
/// can be shown as a table or JUnit here. Fields this version does not know are ignored.
pub fn from_json(report: &Value) -> Result<Vec<ProbeResult>, String> {
    use crate::spec::Kind;
    use std::time::Duration;
    let version = report.get("schema_version").and_then(Value::as_u64);
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(format!(
            "the report has schema_version {}, this mcp-diag reads {SCHEMA_VERSION} (use the same version inside and outside the cluster)",
            version.map_or_else(|| "none".to_owned(), |v| v.to_string())
        ));
    }
    let dur = |v: Option<&Value>| {
        v.and_then(Value::as_f64)
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0) as u32;
    let kinds = [
        Kind::Http,
        Kind::Tcp,
        Kind::Dns,
        Kind::Grpc,
        Kind::Redis,
        Kind::Postgres,
    ];
    let limit_names = ["p50", "p90", "p99", "max"];
    let probes = report
        .get("probes")
        .and_then(Value::as_array)
        .ok_or("the report has no `probes` list")?;
    Ok(probes
        .iter()
        .map(|p| {
            let latency = p
                .get("latency_ms")
                .filter(|l| l.is_object())
                .map(|l| crate::stats::Latency {
                    p50: dur(l.get("p50")).unwrap_or_default(),
                    p90: dur(l.get("p90")).unwrap_or_default(),
                    p99: dur(l.get("p99")).unwrap_or_default(),
                    max: dur(l.get("max")).unwrap_or_default(),
                });
            ProbeResult {
                name: text(p, "name").unwrap_or_default(),
                url: text(p, "url").unwrap_or_default(),
                kind: p
                    .get("kind")
                    .and_then(Value::as_str)
                    .and_then(|k| kinds.iter().map(|k| k.name()).find(|n| *n == k)),
                count: num(p, "count"),
                concurrency: num(p, "concurrency"),
                timeout: dur(p.get("timeout_ms")).unwrap_or_default(),
                attempts: num(p, "attempts"),
                successes: num(p, "successes"),
                latency,
                limits: p
                    .get("limits")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| {
                        let name = limit_names
                            .into_iter()
                            .find(|n| l.get("name").and_then(Value::as_str) == Some(*n))?;
                        Some(crate::stats::LimitCheck {
                            name,
                            limit: dur(l.get("limit"))?,
                            value: dur(l.get("value")),
                            ok: l.get("ok").and_then(Value::as_bool).unwrap_or(false),
                        })
                    })
                    .collect(),
                passed: p.get("passed").and_then(Value::as_bool).unwrap_or(false),
                reasons: p
                    .get("reasons")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                first_error: text(p, "first_error"),
                errors: p
                    .get("errors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| Some((text(e, "message")?, num(e, "attempts"))))
                    .collect(),
                note: text(p, "note"),
            }
        })
        .collect())
}

/// A table for a terminal: one line per probe, then the reasons of the failed ones.
pub fn table(results: &[ProbeResult]) -> String {
    let header = [
        "PROBE", "KIND", "OK", "P50", "P90", "P99", "MAX", "LIMITS", "RESULT",
    ];
    let rows: Vec<[String; 9]> = results
        .iter()
        .map(|r| {
            let l = |f: fn(&crate::stats::Latency) -> std::time::Duration| {
                r.latency
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |l| format_duration(f(l)))
            };
            let limits = if r.limits.is_empty() {
                "-".to_owned()
            } else {
                r.limits
                    .iter()
                    .map(|c| format!("{}<={}", c.name, format_duration(c.limit)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            [
                r.name.clone(),
                r.kind.unwrap_or("?").to_owned(),
                format!("{}/{}", r.successes, r.attempts),
                l(|l| l.p50),
                l(|l| l.p90),
                l(|l| l.p99),
                l(|l| l.max),
                limits,
                if r.passed { "pass" } else { "FAIL" }.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                let _ = write!(s, "{cell:<w$}  ");
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut out, &header);
    for row in &rows {
        line(&mut out, &row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let failed: Vec<&ProbeResult> = results.iter().filter(|r| !r.passed).collect();
    for r in &failed {
        let _ = writeln!(out, "\n{} ({}): {}", r.name, r.url, r.reasons.join("; "));
        if let Some(e) = &r.first_error
            && !r.reasons.contains(e)
        {
            let _ = writeln!(out, "  first error: {e}");
        }
        for (m, n) in r.errors.iter().skip(1) {
            let _ = writeln!(out, "  also: {m} ({n} attempt{})", if *n == 1 { "" } else { "s" });
        }
    }
    let _ = writeln!(
        out,
        "\n{} of {} probes passed",
        results.len() - failed.len(),
        results.len()
    );
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one testcase per probe, failed probes as failures.
pub fn junit(results: &[ProbeResult]) -> String {
    let failures = results.iter().filter(|r| !r.passed).count();
    let total: f64 = results
        .iter()
        .filter_map(|r| r.latency.map(|l| l.max.as_secs_f64()))
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"mcp-diag probe\" tests=\"{}\" failures=\"{failures}\">",
        results.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"probes\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">",
        results.len()
    );
    for r in results {
        let time = r.latency.map_or(0.0, |l| l.max.as_secs_f64());
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"probe.{}\" time=\"{time:.3}\"",
            xml_escape(&r.name),
            r.kind.unwrap_or("unknown")
        );
        let mut body = format!("{} {}/{} attempts succeeded", r.url, r.successes, r.attempts);
        if let Some(l) = &r.latency {
            let _ = write!(
                body,
                "; p50 {} p90 {} p99 {} max {}",
                format_duration(l.p50),
                format_duration(l.p90),
                format_duration(l.p99),
                format_duration(l.max)
            );
        }
        if r.passed {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml_escape(&body)
            );
        } else {
            let message = r.reasons.join("; ");
            if let Some(e) = &r.first_error {
                let _ = write!(body, "\nfirst error: {e}");
            }
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"probe\">{}</failure>\n    </testcase>",
                xml_escape(&message),
                xml_escape(&body)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::run::{Attempt, summarize};
    use crate::spec::Probe;
    use crate::stats::Limits;

    fn results() -> Vec<ProbeResult> {
        let mut ok = Probe::new("http://127.0.0.1:8080/healthz");
        ok.name = "api".into();
        ok.limits = Limits {
            p99: Some(Duration::from_millis(100)),
            ..Limits::default()
        };
        let good = summarize(
            &ok,
            Some("http"),
            &[Attempt {
                latency: Duration::from_micros(1500),
                outcome: Ok(None),
            }],
        );
        let mut bad = Probe::new("postgres://app:pw@127.0.0.1:5432/orders");
        bad.name = "orders <db>".into();
        let bad = summarize(
            &bad,
            Some("postgres"),
            &[Attempt {
                latency: Duration::from_millis(3),
                outcome: Err("Postgres: password authentication failed for user app".into()),
            }],
        );
        vec![good, bad]
    }

    #[test]
    fn a_json_report_reads_back_as_it_was() {
        let r = results();
        assert_eq!(from_json(&json(&r)).unwrap(), r);
        // The table of a report read back is the table of the results.
        assert_eq!(table(&from_json(&json(&r)).unwrap()), table(&r));
        let err = from_json(&json!({"schema_version": 7, "probes": []})).unwrap_err();
        assert!(err.contains("schema_version 7"), "{err}");
    }

    #[test]
    fn json_report_shape() {
        let v = json(&results());
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["summary"], json!({"probes": 2, "passed": 1, "failed": 1}));
        let p = &v["probes"][0];
        assert_eq!(p["latency_ms"]["p99"], 1.5);
        assert_eq!(
            p["limits"][0],
            json!({"name": "p99", "limit": 100.0, "value": 1.5, "ok": true})
        );
        let q = &v["probes"][1];
        assert_eq!(q["latency_ms"], Value::Null);
        assert_eq!(
            q["first_error"],
            "Postgres: password authentication failed for user app"
        );
        assert_eq!(q["url"], "postgres://app:***@127.0.0.1:5432/orders");
    }

    #[test]
    fn table_names_the_failure() {
        let t = table(&results());
        assert!(t.starts_with("PROBE"), "{t}");
        assert!(t.contains("api"));
        assert!(t.contains("p99<=100ms"));
        assert!(t.contains("1 of 1 attempts failed"), "{t}");
        assert!(
            t.contains("first error: Postgres: password authentication failed for user app"),
            "{t}"
        );
        assert!(t.contains("1 of 2 probes passed"));
        assert!(!t.contains(":pw@"));
    }

    #[test]
    fn junit_one_testcase_per_probe() {
        let x = junit(&results());
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("name=\"orders &lt;db&gt;\""));
        assert!(x.contains("classname=\"probe.postgres\""));
    }
}
