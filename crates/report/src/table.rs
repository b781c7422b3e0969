//! The report for people: findings grouped by severity, one table per group.

use std::fmt::Write;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, TableStyle, Width};
use mcp_diag_model::Severity;

use crate::{ClusterReport, Report, Summary};

#[derive(Clone, Copy, Debug)]
pub struct TableOptions {
    pub color: bool,
    /// Total width in columns.
    pub width: u16,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

const STYLE: TableStyle = comfy_table::presets::UTF8_HORIZONTAL_ONLY;

pub fn render_table(report: &Report, options: TableOptions) -> String {
    let paint = Paint { on: options.color };
    let mut out = String::new();
    for cluster in &report.clusters {
        render_cluster(cluster, options, &paint, &mut out);
    }
    if let Some(fleet) = &report.fleet {
        render_fleet(fleet, options, &paint, &mut out);
    }
    let s = report.summary;
    let objects: usize = report.clusters.iter().map(|c| c.objects).sum();
    let files: usize = report.clusters.iter().map(|c| c.files).sum();
    let counts = counts_line(&s, &paint);
    let clusters = report.clusters.len();
    let from_files = if files > 0 {
        format!(" from {files} file{}", plural(files))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {counts} in {objects} object{}{from_files} ({clusters} {})",
        paint.wrap(BOLD, "Summary:"),
        plural(objects),
        if clusters == 1 { "source" } else { "sources" },
    );
    out
}

fn render_fleet(fleet: &crate::Fleet, options: TableOptions, paint: &Paint, out: &mut String) {
    let _ = writeln!(
        out,
        "{} {} clusters, {} scanned, {} unreachable, {} with blockers",
        paint.wrap(BOLD, "Fleet:"),
        fleet.clusters,
        fleet.scanned,
        fleet.unreachable,
        fleet.with_blockers
    );
    let mut table = Table::new();
    table
        .load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(options.width)
        .set_header(vec![
            "Cluster", "Version", "Target", "Status", "Blocker", "High", "Medium", "Low", "Info",
        ]);
    for row in &fleet.rows {
        let status = match row.worst {
            _ if row.status == "unreachable" => paint.wrap(severity_color(Severity::High), "unreachable"),
            Some(worst) => paint.wrap(severity_color(worst), worst.as_str()),
            None => "clean".to_owned(),
        };
        let s = &row.summary;
        table.add_row(vec![
            row.name.clone(),
            row.server_version.clone().unwrap_or_else(|| "?".to_owned()),
            row.target_version.clone().unwrap_or_else(|| "?".to_owned()),
            status,
            s.blocker.to_string(),
            s.high.to_string(),
            s.medium.to_string(),
            s.low.to_string(),
            s.info.to_string(),
        ]);
    }
    let _ = writeln!(out, "{table}\n");
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn counts_line(s: &Summary, paint: &Paint) -> String {
    Severity::DESCENDING
        .iter()
        .map(|&sev| {
            let n = s.get(sev);
            let text = format!("{n} {sev}");
            if n > 0 {
                paint.wrap(severity_color(sev), &text)
            } else {
                text
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_cluster(cluster: &ClusterReport, options: TableOptions, paint: &Paint, out: &mut String) {
    let from = match &cluster.server_version {
        Some(v) => format!("Kubernetes {v}"),
        None if cluster.source.starts_with("manifests") => "manifests".to_owned(),
        None => "Kubernetes (version unknown)".to_owned(),
    };
    let _ = writeln!(
        out,
        "{} {}",
        paint.wrap(BOLD, &cluster.name),
        paint.wrap(DIM, &format!("({})", cluster.source))
    );
    let target_note = if cluster.target_version_source == "default" {
        " (no --target-version given: defaulted to the next minor release)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  {from} → Kubernetes {}{target_note}",
        cluster.target_version.as_deref().unwrap_or("(unknown)")
    );
    if let Some(error) = &cluster.error {
        let _ = writeln!(
            out,
            "  {}",
            paint.wrap(severity_color(Severity::High), &format!("not scanned: {error}"))
        );
    }
    if let Some(at) = &cluster.captured_at {
        let _ = writeln!(out, "  captured at {at}");
    }
    if cluster.error.is_none() {
        let _ = if cluster.source.starts_with("context:") {
            writeln!(
                out,
                "  {} object{} read from the API server",
                cluster.objects,
                plural(cluster.objects)
            )
        } else {
            writeln!(
                out,
                "  {} object{} from {} file{}",
                cluster.objects,
                plural(cluster.objects),
                cluster.files,
                plural(cluster.files)
            )
        };
    }
    if cluster.findings.is_empty() {
        let _ = writeln!(out, "\n  No findings.\n");
        return;
    }
    for severity in Severity::DESCENDING {
        let group: Vec<_> = cluster
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        let heading = format!("{} ({})", severity.as_str().to_uppercase(), group.len());
        let _ = writeln!(out, "\n{}", paint.wrap(severity_color(severity), &heading));
        let mut table = Table::new();
        table
            .load_style(STYLE)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(options.width)
            .set_header(vec!["Check / object / location", "Message", "Fix"]);
        for f in &group {
            // One cell names the finding, so that the prose columns get the width.
            let mut what = f.check.to_owned();
            if let Some(object) = &f.object {
                let _ = write!(what, "\n{object}");
            }
            if let Some(location) = &f.location {
                let _ = write!(what, "\n{location}");
            }
            table.add_row(vec![what, f.message.clone(), f.remediation.clone()]);
        }
        // Keep file:line in one piece where the width allows: a path broken across lines
        // cannot be copied.
        let widest = group
            .iter()
            .filter_map(|f| f.location.as_ref())
            .map(|l| l.to_string().chars().count())
            .max()
            .unwrap_or(0);
        let limit = usize::from(options.width) * 2 / 5;
        if let (Ok(width), Some(column)) = (u16::try_from(widest.min(limit)), table.column_mut(0)) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
        }
        let _ = writeln!(out, "{table}");
    }
    out.push('\n');
}
