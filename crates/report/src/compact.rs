//! The compact view (`scan --compact`): one line per finding, grouped by check with counts,
//! for a chat message or a quick look at a large cluster.

use std::collections::HashMap;
use std::fmt::Write;

use mcp_diag_model::{Finding, ObjectRef, Severity, text};

use crate::common::{Paint, severity_color};
use crate::table::{plural, render_cluster_head, render_fleet, summary_line};
use crate::{ClusterReport, Report, TableOptions};

/// Every cluster's findings as `check (severity, count)` headings, each followed by one line
/// per finding: object, location and message, cut at the width with `…`.
pub fn render_compact(report: &Report, options: TableOptions) -> String {
    let paint = Paint { on: options.color };
    let mut out = String::new();
    for cluster in &report.clusters {
        render_cluster_head(cluster, options, &paint, &mut out);
        out.push('\n');
        if cluster.findings.is_empty() {
            let _ = writeln!(out, "  No findings.");
        }
        render_checks(cluster, options, &paint, &mut out);
        out.push('\n');
        if let Some(services) = &cluster.services {
            out.push_str(&crate::render_dependency_table(&cluster.name, services, options));
            out.push('\n');
        }
    }
    if let Some(fleet) = &report.fleet {
        render_fleet(fleet, options, &paint, &mut out);
    }
    let objects: usize = report.clusters.iter().map(|c| c.objects).sum();
    let clusters = report.clusters.len();
    let tail = format!(
        "in {objects} object{} ({clusters} {})",
        plural(objects),
        if clusters == 1 { "source" } else { "sources" },
    );
    summary_line(&report.summary, &tail, options, &paint, &mut out);
    crate::table::ignored_line(report, options, &mut out);
    out
}

fn render_checks(cluster: &ClusterReport, options: TableOptions, paint: &Paint, out: &mut String) {
    let width = usize::from(options.width);
    for severity in Severity::DESCENDING {
        // Checks in the order their first finding comes, as in the full table.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut checks: Vec<(&str, Vec<&Finding>)> = Vec::new();
        for f in cluster.findings.iter().filter(|f| f.severity == severity) {
            let slot = *index.entry(f.check).or_insert_with(|| {
                checks.push((f.check, Vec::new()));
                checks.len() - 1
            });
            checks[slot].1.push(f);
        }
        for (check, findings) in checks {
            let heading = format!("{check} ({severity}, {})", findings.len());
            let _ = writeln!(out, "{}", paint.wrap(severity_color(severity), &heading));
            for f in findings {
                for line in finding_lines(f, &cluster.source, width) {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
}

/// `  Kind ns/name  file:line  message`, the message without the object it starts with.
/// One line per finding: the object and its file:line whole, then the message cut to what
/// is left with `…`. Only the message is ever cut: a location cut short reads as another line
/// (`pvcs.yaml:37…` for line 378). When a very long name leaves no room, the message goes on
/// an indented line of its own.
fn finding_lines(f: &Finding, source: &str, width: usize) -> Vec<String> {
    let mut parts = Vec::with_capacity(2);
    if let Some(object) = &f.object {
        parts.push(short_object(object));
    }
    if let Some(location) = &f.location {
        parts.push(short_location(&location.to_string(), source));
    }
    let message = f.message.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = without_object(&message, f.object.as_ref());
    if parts.is_empty() {
        return vec![text::truncate(&format!("  {message}"), width)];
    }
    let head = format!("  {}", parts.join("  "));
    // At least this much of the message on the same line, or it goes below.
    const ROOM: usize = 12;
    let used = text::width(&head) + 2;
    if used + ROOM <= width {
        return vec![format!("{head}  {}", text::truncate(message, width - used))];
    }
    let mut lines = text::wrap_hanging(&parts.join("  "), width, "  ", "    ");
    lines.push(text::truncate(&format!("      {message}"), width));
    lines
}

/// `Kind namespace/name`: the API version is in the message where it matters.
fn short_object(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// The location without the scanned directory, which the cluster's heading names already.
fn short_location(location: &str, source: &str) -> String {
    let dir = source.split_once(':').map_or(source, |(_, dir)| dir);
    let dir = dir.trim_end_matches('/');
    match location.strip_prefix(dir).and_then(|rest| rest.strip_prefix('/')) {
        Some(rest) if !dir.is_empty() && !rest.is_empty() => rest.to_owned(),
        _ => location.to_owned(),
    }
}

/// Most messages start by naming their object, which the line shows already.
fn without_object<'a>(message: &'a str, object: Option<&ObjectRef>) -> &'a str {
    let Some(o) = object else { return message };
    for prefix in [o.to_string(), short_object(o)] {
        // Only when the name stands apart ("web:", "web carries"), not inside a longer word.
        if let Some(rest) = message
            .strip_prefix(&prefix)
            .filter(|r| r.starts_with([':', ',', ' ']))
        {
            let rest = rest.trim_start_matches([':', ',']).trim_start();
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::Location;

    use super::*;

    fn object() -> ObjectRef {
        ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
        }
    }

    #[test]
    fn the_object_is_taken_off_the_message() {
        let o = object();
        assert_eq!(
            without_object("Deployment shop/web: container web has no probe.", Some(&o)),
            "container web has no probe."
        );
        assert_eq!(
            without_object("Deployment shop/web carries no labels.", Some(&o)),
            "carries no labels."
        );
        // A longer name that starts like the object's is not cut.
        assert_eq!(
            without_object("Deployment shop/webhook is old.", Some(&o)),
            "Deployment shop/webhook is old."
        );
        assert_eq!(without_object("Calico is old.", Some(&o)), "Calico is old.");
    }

    #[test]
    fn locations_lose_the_scanned_directory() {
        assert_eq!(
            short_location("examples/demo/deployments.yaml:12", "snapshot:examples/demo"),
            "deployments.yaml:12"
        );
        assert_eq!(short_location("k8s/a.yaml:1", "manifests:other"), "k8s/a.yaml:1");
        assert_eq!(short_location("<stdin>:3", "manifests:<stdin>"), "<stdin>:3");
    }

    #[test]
    fn a_line_holds_object_location_and_message() {
        let f = Finding {
            check: "probe-missing-liveness",
            severity: Severity::Low,
            title: "no livenessProbe".into(),
            object: Some(object()),
            location: Some(Location::new("k8s/web.yaml", 4)),
            message: "Deployment shop/web: container web\nhas no livenessProbe.".into(),
            remediation: "Add one.".into(),
            evidence: None,
            details: Default::default(),
        };
        assert_eq!(
            finding_lines(&f, "manifests:k8s", 120),
            ["  Deployment shop/web  web.yaml:4  container web has no livenessProbe."]
        );
        // Narrow: the message is cut, the place never is.
        assert_eq!(
            finding_lines(&f, "manifests:k8s", 50),
            ["  Deployment shop/web  web.yaml:4  container web…"]
        );
        // Too narrow for any message beside the place: it goes below.
        let lines = finding_lines(&f, "manifests:k8s", 40);
        assert_eq!(lines[0], "  Deployment shop/web web.yaml:4");
        assert!(lines[1].starts_with("      container"), "{lines:?}");
    }
}
