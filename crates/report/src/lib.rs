//! Renderers: the JSON contract, the human table, and the file formats pipelines read
//! (SARIF, JUnit, Markdown, HTML, CSV; Markdown and HTML for plans too).

use mcp_diag_model::{Coverage, Finding, Severity};
use serde::Serialize;

mod common;
mod compact;
pub mod csv;
mod group;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod plan_html;
pub mod plan_markdown;
pub mod sarif;
mod services;
mod table;

pub use common::TableOptions;
pub use compact::render_compact;
pub use csv::render_csv;
pub use html::render_html;
pub use junit::{JunitOptions, render_junit};
pub use markdown::{MarkdownOptions, render_markdown};
pub use plan::{PlanTableOptions, render_plan_json, render_plan_table};
pub use plan_html::render_plan_html;
pub use plan_markdown::render_plan_markdown;
pub use sarif::{RuleDoc, SarifOptions, render_sarif};
pub use services::render_dependency_table;
pub use table::render_table;

/// The version of the JSON report's shape. Fields may be added freely; renaming or dropping
/// one needs a bump.
/// 2: `evidence` is one of a closed set (`mcp_diag_model::evidence::ALL`), a check's own
/// words moved to `details.seen_in`; `target_version` is null where no target is known
/// (it was the string "unknown"); `suppressed` lists ignored findings. Since added (optional
/// for readers): `coverage` per cluster.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// One scanned cluster (or the set of manifests, as the cluster `manifests`).
#[derive(Clone, Debug, Serialize)]
pub struct ClusterReport {
    pub name: String,
    pub source: String,
    pub server_version: Option<String>,
    /// Null when no target is known (a cluster that could not be read, without a flag).
    pub target_version: Option<String>,
    /// How the target was chosen: `flag`, `default` (the next minor after the server's), or
    /// `unknown`.
    pub target_version_source: &'static str,
    pub captured_at: Option<String>,
    pub objects: usize,
    pub files: usize,
    /// Why the cluster could not be scanned (fleet scans report it and go on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub findings: Vec<Finding>,
    /// What the source read of each kind: complete, partial or missing, and why. `recorded:
    /// false` for sources that record nothing (manifests, `kubectl get` exports).
    pub coverage: Coverage,
    /// Findings an ignore (annotation or ignore file) silenced: counted and listed, never
    /// dropped.
    pub suppressed: Vec<Suppressed>,
    /// `scan --target-service`: the service, how far its dependencies were followed, and
    /// the dependency table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<ServicesReport>,
}

/// The dependency table of `scan --target-service`.
#[derive(Clone, Debug, Serialize)]
pub struct ServicesReport {
    /// `NS/NAME` of the service asked for (its Service when the name was a workload's).
    pub target: String,
    /// `direct` or `all`.
    pub dependency: &'static str,
    /// Each consumer -> provider pair, its protocol and port, both versions and the risk.
    pub pairs: Vec<mcp_diag_checks::scope::Pair>,
}

/// A finding that an ignore rule silenced, with the rule's reason.
#[derive(Clone, Debug, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    /// `annotation` (mcp-diag.io/ignore on the object) or `ignore-file`.
    pub suppressed_by: &'static str,
    pub reason: String,
    /// The last day the ignore holds (ignore files), YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// One line per cluster, when a report covers several (a fleet).
#[derive(Clone, Debug, Serialize)]
pub struct FleetRow {
    pub name: String,
    pub server_version: Option<String>,
    pub target_version: Option<String>,
    /// `scanned`, `incomplete` (scanned, but some kinds were not read completely: see its
    /// `input-incomplete` finding) or `unreachable`.
    pub status: &'static str,
    /// The most severe finding, if any.
    pub worst: Option<Severity>,
    pub summary: Summary,
}

/// The fleet summary: how many clusters, how many could not be scanned or have blockers.
#[derive(Clone, Debug, Serialize)]
pub struct Fleet {
    pub clusters: usize,
    pub scanned: usize,
    pub unreachable: usize,
    /// Scanned clusters read in part (counted in `scanned` too).
    pub incomplete: usize,
    pub with_blockers: usize,
    pub rows: Vec<FleetRow>,
}

impl Fleet {
    pub fn of(clusters: &[ClusterReport]) -> Self {
        let rows: Vec<FleetRow> = clusters
            .iter()
            .map(|c| {
                let summary = Summary::of(&c.findings);
                FleetRow {
                    name: c.name.clone(),
                    server_version: c.server_version.clone(),
                    target_version: c.target_version.clone(),
                    status: if c.error.is_some() {
                        "unreachable"
                    } else if c.findings.iter().any(|f| f.check == "input-incomplete") {
                        "incomplete"
                    } else {
                        "scanned"
                    },
                    worst: summary.worst(),
                    summary,
                }
            })
            .collect();
        Self {
            clusters: rows.len(),
            scanned: rows.iter().filter(|r| r.status != "unreachable").count(),
            unreachable: rows.iter().filter(|r| r.status == "unreachable").count(),
            incomplete: rows.iter().filter(|r| r.status == "incomplete").count(),
            with_blockers: rows.iter().filter(|r| r.summary.blocker > 0).count(),
            rows,
        }
    }
}

/// The whole report: the JSON contract other tools read.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// The target of every cluster when they share one; otherwise null (see each cluster).
    pub target_version: Option<String>,
    pub clusters: Vec<ClusterReport>,
    /// Present when the report covers more than one cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Fleet>,
    pub summary: Summary,
    /// How many findings ignores silenced, over every cluster.
    pub suppressed: usize,
    /// Findings left out of what is printed by `--min-severity` (still in `summary`).
    #[serde(skip)]
    pub hidden: usize,
    #[serde(skip)]
    pub hidden_below: Option<Severity>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub blocker: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut s = Self::default();
        for f in findings {
            *s.slot(f.severity) += 1;
        }
        s
    }

    fn slot(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Blocker => &mut self.blocker,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Blocker => self.blocker,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// The most severe level with at least one finding.
    pub fn worst(&self) -> Option<Severity> {
        Severity::DESCENDING.into_iter().find(|&s| self.get(s) > 0)
    }
}

impl Report {
    pub fn new(version: &'static str, clusters: Vec<ClusterReport>) -> Self {
        let summary = Summary::of(clusters.iter().flat_map(|c| &c.findings));
        let first = clusters.first().and_then(|c| c.target_version.clone());
        let target_version = first.filter(|t| clusters.iter().all(|c| c.target_version.as_ref() == Some(t)));
        let suppressed = clusters.iter().map(|c| c.suppressed.len()).sum();
        let fleet = (clusters.len() > 1).then(|| Fleet::of(&clusters));
        Self {
            fleet,
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "mcp-diag",
                version,
            },
            target_version,
            clusters,
            summary,
            suppressed,
            hidden: 0,
            hidden_below: None,
        }
    }
}

/// The JSON report, pretty-printed, with a trailing newline.
pub fn render_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// [`render_json`] written to `out` as it is produced: a large report is never held whole in
/// memory (tens of MB at 100,000 objects). The findings, most of a large report, are
/// rendered on every core a batch at a time. `report` is as it was afterwards (its findings
/// are taken out while the rest is rendered).
pub fn write_json(report: &mut Report, out: impl std::io::Write) -> std::io::Result<()> {
    write_json_batched(report, out, PARALLEL_FINDINGS)
}

/// Below this many findings the report is rendered in one go.
const PARALLEL_FINDINGS: usize = 2_000;

/// How the pretty printer indents a cluster's `findings` key (depth 3: the report, its
/// `clusters` list, the cluster) and each finding in the list (depth 4).
const FINDINGS_KEY: &str = "\n      \"findings\": []";
const FINDING_INDENT: &[u8] = b"        ";

fn write_json_batched(
    report: &mut Report,
    mut out: impl std::io::Write,
    least: usize,
) -> std::io::Result<()> {
    let total: usize = report.clusters.iter().map(|c| c.findings.len()).sum();
    if total < least {
        serde_json::to_writer_pretty(&mut out, &*report).map_err(std::io::Error::other)?;
        return out.write_all(b"\n");
    }
    // The report without its findings, then each cluster's list put in place of its empty
    // one (the key at the cluster's depth occurs once per cluster, in order).
    let lists: Vec<Vec<Finding>> = report
        .clusters
        .iter_mut()
        .map(|c| std::mem::take(&mut c.findings))
        .collect();
    let rest = serde_json::to_string_pretty(&*report);
    for (cluster, list) in report.clusters.iter_mut().zip(lists) {
        cluster.findings = list;
    }
    let rest = rest.map_err(std::io::Error::other)?;
    let pieces: Vec<&str> = rest.split(FINDINGS_KEY).collect();
    if pieces.len() != report.clusters.len() + 1 {
        // Not the shape expected (cannot happen with these types): the plain way.
        serde_json::to_writer_pretty(&mut out, &*report).map_err(std::io::Error::other)?;
        return out.write_all(b"\n");
    }
    out.write_all(pieces[0].as_bytes())?;
    for (cluster, piece) in report.clusters.iter().zip(&pieces[1..]) {
        out.write_all(FINDINGS_KEY.strip_suffix("[]").unwrap_or(FINDINGS_KEY).as_bytes())?;
        write_findings(&cluster.findings, &mut out)?;
        out.write_all(piece.as_bytes())?;
    }
    out.write_all(b"\n")
}

/// The pretty layout (two spaces a level, `": "` after a key, empty lists and objects as
/// `[]` and `{}`) starting at a given depth, so that a finding printed on its own lines up
/// with the report around it. The test `batched_json_equals_the_plain_rendering` holds it
/// to `serde_json`'s own pretty printer.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

impl PrettyAt {
    fn line<W: ?Sized + std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b"\n")?;
        for _ in 0..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + std::io::Write>(&self, out: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.line(out)
    }
}

impl serde_json::ser::Formatter for PrettyAt {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A list of findings as the pretty printer writes it at depth 3: each finding printed on
/// its own (in parallel, a batch at a time so that memory stays bounded) and indented.
/// Strings escape their line breaks, so every line break in a printed finding is layout.
fn write_findings(findings: &[Finding], out: &mut impl std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (b, batch) in findings.chunks(4096).enumerate() {
        let texts: Vec<serde_json::Result<Vec<u8>>> = batch
            .par_chunks(256)
            .enumerate()
            .map(|(c, chunk)| {
                let mut text = Vec::with_capacity(chunk.len() * 1024);
                for (i, finding) in chunk.iter().enumerate() {
                    if b + c + i > 0 {
                        text.push(b',');
                    }
                    text.push(b'\n');
                    text.extend_from_slice(FINDING_INDENT);
                    let layout = PrettyAt {
                        depth: FINDING_INDENT.len() / 2,
                        has_value: false,
                    };
                    finding.serialize(&mut serde_json::Serializer::with_formatter(&mut text, layout))?;
                }
                Ok(text)
            })
            .collect();
        for text in texts {
            out.write_all(&text.map_err(std::io::Error::other)?)?;
        }
    }
    out.write_all(b"\n      ]")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod format_tests;
