//! The dependency table of `scan --target-service`, printed after the findings.

use std::fmt::Write;

use crate::ServicesReport;
use crate::common::{Paint, TableOptions, severity_color};

/// One aligned row per pair: consumer, provider, protocol and port, both versions, and the
/// risk (`blocker dep-api-mismatch`, `none`, `unknown`); the reasons for `unknown` follow the
/// table as numbered notes.
pub fn render_dependency_table(cluster: &str, services: &ServicesReport, options: TableOptions) -> String {
    let paint = Paint { on: options.color };
    let mut out = String::new();
    let scope = match services.dependency {
        "all" => "all dependencies",
        _ => "direct dependencies",
    };
    let _ = writeln!(out, "Dependencies of {} in {cluster} ({scope})", services.target);
    if services.pairs.is_empty() {
        let _ = writeln!(
            out,
            "  no dependency found (no address, route or declaration names another service)"
        );
        return out;
    }
    let header = [
        "CONSUMER",
        "PROVIDER",
        "PROTOCOL",
        "PORT",
        "CONSUMER VERSION",
        "PROVIDER VERSION",
        "RISK",
    ];
    let mut notes = Vec::new();
    let rows: Vec<([String; 6], String, String)> = services
        .pairs
        .iter()
        .map(|p| {
            let dash = || "-".to_owned();
            let provider = if p.provider_kind == "service" {
                p.provider.clone()
            } else {
                format!("{} ({})", p.provider, p.provider_kind)
            };
            let (plain, painted) = if p.findings.is_empty() {
                let mut text = p.risk.clone();
                if let Some(why) = &p.unknown {
                    notes.push(why.clone());
                    text.push_str(&format!(" [{}]", notes.len()));
                }
                (text.clone(), text)
            } else {
                let mut plain = Vec::new();
                let mut painted = Vec::new();
                for f in &p.findings {
                    plain.push(format!("{} {}", f.severity, f.check));
                    painted.push(format!(
                        "{} {}",
                        paint.wrap(severity_color(f.severity), f.severity.as_str()),
                        f.check
                    ));
                }
                (plain.join(", "), painted.join(", "))
            };
            (
                [
                    p.consumer.clone(),
                    provider,
                    p.protocol.clone().unwrap_or_else(dash),
                    p.port.map_or_else(dash, |n| n.to_string()),
                    p.consumer_version.clone().unwrap_or_else(|| "unknown".to_owned()),
                    p.provider_version.clone().unwrap_or_else(|| "unknown".to_owned()),
                ],
                plain,
                painted,
            )
        })
        .collect();
    let mut widths = [0usize; 6];
    for (i, w) in widths.iter_mut().enumerate() {
        *w = header[i].len();
        for (cells, _, _) in &rows {
            *w = (*w).max(cells[i].chars().count());
        }
    }
    let mut line = String::new();
    for (i, h) in header.iter().take(6).enumerate() {
        let _ = write!(line, "  {h:<w$}", w = widths[i]);
    }
    let _ = write!(line, "  {}", header[6]);
    let _ = writeln!(out, "{}", line.trim_end());
    for (cells, _, painted) in &rows {
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            let _ = write!(line, "  {c}{}", " ".repeat(pad));
        }
        let _ = write!(line, "  {painted}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for (i, note) in notes.iter().enumerate() {
        let _ = writeln!(out, "  [{}] unknown: {note}", i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use mcp_diag_checks::scope::{Pair, PairRisk};
    use mcp_diag_model::Severity;
    use mcp_diag_services::EdgeSource;

    use super::*;

    fn pair(provider: &str, risk: &str, findings: Vec<PairRisk>, unknown: Option<&str>) -> Pair {
        Pair {
            consumer: "shop/user-auth".into(),
            provider: provider.into(),
            provider_kind: "service",
            protocol: Some("http".into()),
            port: Some(80),
            consumer_version: Some("2.1.0".into()),
            provider_version: None,
            risk: risk.into(),
            findings,
            unknown: unknown.map(str::to_owned),
            source: EdgeSource::Env,
            evidence: "env X=http://x".into(),
        }
    }

    #[test]
    fn rows_are_aligned_with_risks_and_unknown_notes() {
        let services = ServicesReport {
            target: "shop/user-auth".into(),
            dependency: "all",
            pairs: vec![
                pair(
                    "shop/profile-svc",
                    "blocker",
                    vec![PairRisk {
                        check: "dep-api-mismatch",
                        severity: Severity::Blocker,
                        title: String::new(),
                    }],
                    None,
                ),
                pair(
                    "data/redis",
                    "unknown",
                    Vec::new(),
                    Some("the running version of data/redis is unknown"),
                ),
                pair("shop/catalog", "none", Vec::new(), None),
            ],
        };
        let text = render_dependency_table(
            "demo",
            &services,
            TableOptions {
                color: false,
                width: 120,
            },
        );
        let expected = "\
Dependencies of shop/user-auth in demo (all dependencies)
  CONSUMER        PROVIDER          PROTOCOL  PORT  CONSUMER VERSION  PROVIDER VERSION  RISK
  shop/user-auth  shop/profile-svc  http      80    2.1.0             unknown           blocker dep-api-mismatch
  shop/user-auth  data/redis        http      80    2.1.0             unknown           unknown [1]
  shop/user-auth  shop/catalog      http      80    2.1.0             unknown           none
  [1] unknown: the running version of data/redis is unknown
";
        assert_eq!(text, expected);
    }
}
