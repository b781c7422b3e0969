//! The report for people: findings grouped by severity, each finding a block of its names
//! and its prose wrapped to the terminal.
//!
//! Blocks, not a table, at every width: a finding's cells hold long words that must stay
//! whole (a 100-character volume name, a path, a command to copy), so a three-column table
//! either cuts them or leaves the prose columns a few words wide; the demo fits no table
//! even at 160 columns. A block gives the prose the whole width.

use std::fmt::Write;

use mcp_diag_model::{Finding, Severity, text};

use crate::common::{Paint, TableOptions, severity_color};
use crate::group::{self, SHOWN};
use crate::{ClusterReport, Report, Summary};

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

pub fn render_table(report: &Report, options: TableOptions) -> String {
    let paint = Paint { on: options.color };
    let mut out = String::new();
    for cluster in &report.clusters {
        render_cluster(cluster, options, &paint, &mut out);
        if let Some(services) = &cluster.services {
            out.push_str(&crate::render_dependency_table(&cluster.name, services, options));
            out.push('\n');
        }
    }
    if let Some(fleet) = &report.fleet {
        render_fleet(fleet, options, &paint, &mut out);
    }
    let s = report.summary;
    let objects: usize = report.clusters.iter().map(|c| c.objects).sum();
    let files: usize = report.clusters.iter().map(|c| c.files).sum();
    let clusters = report.clusters.len();
    let from_files = if files > 0 {
        format!(" from {files} file{}", plural(files))
    } else {
        String::new()
    };
    let tail = format!(
        "in {objects} object{}{from_files} ({clusters} {})",
        plural(objects),
        if clusters == 1 { "source" } else { "sources" },
    );
    summary_line(&s, &tail, options, &paint, &mut out);
    ignored_line(report, options, &mut out);
    out
}

/// Ignored findings are counted where the summary is, never silently dropped; so are those
/// `--min-severity` left out.
pub(crate) fn ignored_line(report: &Report, options: TableOptions, out: &mut String) {
    if let (n @ 1.., Some(below)) = (report.hidden, report.hidden_below) {
        let _ = writeln!(
            out,
            "Not shown: {n} finding{} below {below} (--min-severity; counted in the summary)",
            plural(n)
        );
    }
    if report.suppressed > 0 {
        let n = report.suppressed;
        let _ = writeln!(
            out,
            "Ignored: {n} finding{} (by annotation or --ignore-file; the JSON report lists {} with the reasons)",
            plural(n),
            if n == 1 { "it" } else { "them" }
        );
        // Name what was ignored, so that a silenced blocker is seen on every run.
        const SHOWN: usize = 10;
        let all = report.clusters.iter().flat_map(|c| &c.suppressed);
        for s in all.clone().take(SHOWN) {
            let what = match &s.finding.object {
                Some(o) => format!("{} · {o}", s.finding.check),
                None => s.finding.check.to_owned(),
            };
            let line = format!(
                "{} {what} ({}: {})",
                s.finding.severity, s.suppressed_by, s.reason
            );
            for l in text::wrap_hanging(&line, usize::from(options.width), "  ", "    ") {
                let _ = writeln!(out, "{l}");
            }
        }
        if n > SHOWN {
            let _ = writeln!(out, "  {}", more(n - SHOWN));
        }
    }
}

/// `Summary: <counts> <tail>`, on two lines when one would pass the width.
pub(crate) fn summary_line(s: &Summary, tail: &str, options: TableOptions, paint: &Paint, out: &mut String) {
    let counts = counts_line(s, paint);
    let plain = format!("Summary: {} {tail}", counts_line(s, &Paint { on: false }));
    let gap = if text::width(&plain) <= usize::from(options.width) {
        " "
    } else {
        "\n  "
    };
    let _ = writeln!(out, "{} {counts}{gap}{tail}", paint.wrap(BOLD, "Summary:"));
}

pub(crate) fn render_fleet(fleet: &crate::Fleet, options: TableOptions, paint: &Paint, out: &mut String) {
    let _ = writeln!(
        out,
        "{} {} clusters, {} scanned{}, {} unreachable, {} with blockers",
        paint.wrap(BOLD, "Fleet:"),
        fleet.clusters,
        fleet.scanned,
        if fleet.incomplete > 0 {
            format!(" ({} in part)", fleet.incomplete)
        } else {
            String::new()
        },
        fleet.unreachable,
        fleet.with_blockers
    );
    // One line per cluster, in columns when they fit the width; otherwise each line wraps
    // at spaces on its own, so that a long cluster name is never cut.
    let rows: Vec<[String; 4]> = fleet
        .rows
        .iter()
        .map(|row| {
            let status = match row.worst {
                _ if row.status == "unreachable" => "unreachable".to_owned(),
                // A read with gaps is never "clean": what was not read was not checked.
                Some(worst) if row.status == "incomplete" => format!("{} (read in part)", worst.as_str()),
                None if row.status == "incomplete" => "read in part".to_owned(),
                Some(worst) => worst.as_str().to_owned(),
                None => "clean".to_owned(),
            };
            let version = row.server_version.as_deref().unwrap_or("?");
            [
                row.name.clone(),
                format!("{version} → {}", row.target_version.as_deref().unwrap_or("?")),
                status,
                nonzero_counts(&row.summary),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..3)
        .map(|i| rows.iter().map(|r| text::width(&r[i])).max().unwrap_or(0))
        .collect();
    let longest = rows.iter().map(|r| text::width(&r[3])).max().unwrap_or(0);
    let aligned = 2 + widths.iter().map(|w| w + 2).sum::<usize>() + longest <= usize::from(options.width);
    for (row, fleet_row) in rows.iter().zip(&fleet.rows) {
        let color = match fleet_row.worst {
            _ if fleet_row.status == "unreachable" => Some(severity_color(Severity::High)),
            Some(worst) => Some(severity_color(worst)),
            None => None,
        };
        let paint_status = |status: &str| match color {
            Some(code) => paint.wrap(code, status),
            None => status.to_owned(),
        };
        if aligned {
            let [name, versions, status, counts] = row;
            let pad = |text: &str, width: usize| {
                format!("{text}{}", " ".repeat(width.saturating_sub(text::width(text))))
            };
            let line = format!(
                "  {}  {}  {}  {counts}",
                pad(name, widths[0]),
                pad(versions, widths[1]),
                paint_status(&pad(status, widths[2])),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        } else {
            let plain = row.join(" · ");
            let marked = format!(" · {} ·", row[2]);
            for line in text::wrap_hanging(&plain, usize::from(options.width), "  ", "    ") {
                // Painted after wrapping, so that escape codes do not count as width.
                let line = line.replacen(&marked, &format!(" · {} ·", paint_status(&row[2])), 1);
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out.push('\n');
}

/// `2 blocker, 1 high`: the levels with findings, most severe first; `no findings` if none.
fn nonzero_counts(s: &Summary) -> String {
    let counts: Vec<String> = Severity::DESCENDING
        .iter()
        .filter(|&&sev| s.get(sev) > 0)
        .map(|&sev| format!("{} {sev}", s.get(sev)))
        .collect();
    if counts.is_empty() {
        "no findings".to_owned()
    } else {
        counts.join(", ")
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
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

/// The cluster's name, versions and what was read.
pub(crate) fn render_cluster_head(
    cluster: &ClusterReport,
    options: TableOptions,
    paint: &Paint,
    out: &mut String,
) {
    let from = match &cluster.server_version {
        Some(v) => format!("Kubernetes {v}"),
        None if cluster.source.starts_with("manifests") => "manifests".to_owned(),
        None => "Kubernetes (version unknown)".to_owned(),
    };
    let width = usize::from(options.width);
    let source = format!("({})", cluster.source);
    let gap = if text::width(&cluster.name) + 1 + text::width(&source) <= width {
        " "
    } else {
        "\n  "
    };
    let _ = writeln!(
        out,
        "{}{gap}{}",
        paint.wrap(BOLD, &cluster.name),
        paint.wrap(DIM, &source)
    );
    let target_note = if cluster.target_version_source == "default" {
        " (no --target-version given: defaulted to the next minor release)"
    } else {
        ""
    };
    let versions = format!(
        "{from} → Kubernetes {}{target_note}",
        cluster.target_version.as_deref().unwrap_or("(unknown)")
    );
    for line in text::wrap_hanging(&versions, width, "  ", "    ") {
        let _ = writeln!(out, "{line}");
    }
    if let Some(error) = &cluster.error {
        for line in text::wrap_hanging(&format!("not scanned: {error}"), width, "  ", "    ") {
            let _ = writeln!(out, "{}", paint.wrap(severity_color(Severity::High), &line));
        }
    }
    if let Some(at) = &cluster.captured_at {
        let _ = writeln!(out, "  captured at {at}");
    }
    if let Some(line) = crate::common::incomplete_line(&cluster.coverage) {
        for line in text::wrap_hanging(&line, width, "  ", "    ") {
            let _ = writeln!(out, "{}", paint.wrap(severity_color(Severity::High), &line));
        }
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
}

fn render_cluster(cluster: &ClusterReport, options: TableOptions, paint: &Paint, out: &mut String) {
    render_cluster_head(cluster, options, paint, out);
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
        render_blocks(&group::fold(&group), options, paint, out);
    }
    out.push('\n');
}

/// The header of a folded entry, naming how many it stands for.
fn alike(entry: &[&Finding]) -> String {
    format!("the same on {} objects (text of the first)", entry.len())
}

/// The objects of a folded entry that are named; the rest are counted.
fn shown<'a, 'b>(entry: &'b [&'a Finding]) -> (&'b [&'a Finding], usize) {
    // "and 1 more" takes the line the one object would.
    if entry.len() <= SHOWN + 1 {
        (entry, 0)
    } else {
        (&entry[..SHOWN], entry.len() - SHOWN)
    }
}

fn more(hidden: usize) -> String {
    format!("and {hidden} more (-o json lists each)")
}

/// Each finding as a block: its check and object, its location, then the message and the
/// fix wrapped to the width.
fn render_blocks(entries: &[Vec<&Finding>], options: TableOptions, paint: &Paint, out: &mut String) {
    let width = usize::from(options.width);
    for entry in entries {
        let Some(head) = entry.first() else { continue };
        out.push('\n');
        let title = if entry.len() > 1 {
            format!("{} · {}", head.check, alike(entry))
        } else {
            match &head.object {
                Some(object) => format!("{} · {object}", head.check),
                None => head.check.to_owned(),
            }
        };
        for line in text::wrap_hanging(&title, width, "", "    ") {
            let _ = writeln!(out, "{}", paint.wrap(BOLD, &line));
        }
        let mut lines = Vec::new();
        if entry.len() > 1 {
            let (named, hidden) = shown(entry);
            let names: Vec<[Option<String>; 2]> = named
                .iter()
                .map(|f| {
                    [
                        f.object.as_ref().map(ToString::to_string),
                        f.location.as_ref().map(ToString::to_string),
                    ]
                })
                .collect();
            // Object and location side by side when every pair fits, so that the list
            // reads as one column either way.
            let side_by_side = names.iter().all(|[o, l]| {
                let o = o.as_deref().map_or(0, text::width);
                let l = l.as_deref().map_or(0, text::width);
                2 + o + 2 + l <= width
            });
            for [object, location] in names {
                if side_by_side {
                    let both: Vec<String> = [object, location].into_iter().flatten().collect();
                    lines.push(format!("  {}", both.join("  ")));
                } else {
                    for part in [object, location].into_iter().flatten() {
                        lines.extend(text::wrap_hanging(&part, width, "  ", "    "));
                    }
                }
            }
            if hidden > 0 {
                lines.extend(text::wrap_hanging(&more(hidden), width, "  ", "    "));
            }
        } else if let Some(location) = &head.location {
            lines.extend(text::wrap_hanging(&location.to_string(), width, "  ", "    "));
        }
        lines.extend(text::wrap_hanging(&head.message, width, "  ", "  "));
        lines.extend(text::wrap_hanging(
            &format!("Fix: {}", head.remediation),
            width,
            "  ",
            "       ",
        ));
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
}
