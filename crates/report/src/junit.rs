//! JUnit XML, as Jenkins and GitLab read it: `<testsuites>` holding one `<testsuite>` per
//! cluster, one `<testcase>` per check and object (`classname` the check id, `name` the
//! object, else `file:line`, else the cluster). A test case fails when one of its findings is
//! at or above the `--fail-on` threshold; lower findings pass and are printed in
//! `<system-out>`, so they are still visible in the CI's test tab. A cluster without
//! findings has one passing test case, so that the suite is not empty.

use std::fmt::Write;

use mcp_diag_model::{Finding, Severity};

use crate::common::{file_line, object_name};
use crate::{ClusterReport, Report};

#[derive(Clone, Copy, Debug)]
pub struct JunitOptions {
    /// Findings at or above this severity fail their test case; `None`: nothing fails.
    pub fail_on: Option<Severity>,
}

struct Case<'a> {
    classname: &'a str,
    name: String,
    findings: Vec<&'a Finding>,
}

/// The JUnit XML document, with a trailing newline.
pub fn render_junit(report: &Report, options: JunitOptions) -> String {
    let suites: Vec<(&ClusterReport, Vec<Case<'_>>)> =
        report.clusters.iter().map(|c| (c, cases(c))).collect();
    let fails = |case: &Case<'_>| {
        options
            .fail_on
            .is_some_and(|t| case.findings.iter().any(|f| f.severity >= t))
    };
    let total: usize = suites.iter().map(|(_, cases)| cases.len()).sum();
    let failed: usize = suites
        .iter()
        .map(|(_, cases)| cases.iter().filter(|c| fails(c)).count())
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"0\">",
        xml(&format!("{} {}", report.tool.name, report.tool.version)),
    );
    for (cluster, cases) in &suites {
        let failures = cases.iter().filter(|c| fails(c)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\"{}>",
            xml(&cluster.name),
            cases.len(),
            cluster
                .captured_at
                .as_deref()
                .map(|t| format!(" timestamp=\"{}\"", xml(t)))
                .unwrap_or_default(),
        );
        let _ = writeln!(out, "    <properties>");
        let mut props = vec![
            ("source", cluster.source.clone()),
            (
                "target_version",
                cluster.target_version.clone().unwrap_or_default(),
            ),
        ];
        if let Some(v) = &cluster.server_version {
            props.push(("server_version", v.clone()));
        }
        if let Some(t) = options.fail_on {
            props.push(("fail_on", t.as_str().to_owned()));
        }
        for (name, value) in props {
            let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", xml(&value));
        }
        let _ = writeln!(out, "    </properties>");
        for case in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                xml(case.classname),
                xml(&case.name)
            );
            if case.findings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let body = case
                .findings
                .iter()
                .map(|f| describe(f))
                .collect::<Vec<_>>()
                .join("\n\n");
            if fails(case) {
                let worst = case
                    .findings
                    .iter()
                    .max_by_key(|f| f.severity)
                    .copied()
                    .unwrap_or(case.findings[0]);
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml(&format!("[{}] {}", worst.severity, worst.title)),
                    worst.severity,
                    xml(&body)
                );
            } else {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&body));
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// One test case per (check, object or place), in report order.
fn cases(cluster: &ClusterReport) -> Vec<Case<'_>> {
    let mut cases: Vec<Case<'_>> = Vec::new();
    for f in &cluster.findings {
        let name = match (&f.object, file_line(f)) {
            (Some(o), _) => format!("{} ({})", object_name(o), o.api_version),
            (None, Some(place)) => place,
            (None, None) => cluster.name.clone(),
        };
        match cases
            .iter_mut()
            .find(|c| c.classname == f.check && c.name == name)
        {
            Some(case) => case.findings.push(f),
            None => cases.push(Case {
                classname: f.check,
                name,
                findings: vec![f],
            }),
        }
    }
    if cases.is_empty() {
        cases.push(Case {
            classname: "mcp-diag",
            name: format!("{}: no findings", cluster.name),
            findings: Vec::new(),
        });
    }
    cases
}

fn describe(f: &Finding) -> String {
    let mut text = format!("[{}] {}\n{}", f.severity, f.title, f.message);
    if !f.remediation.is_empty() {
        let _ = write!(text, "\nFix: {}", f.remediation);
    }
    if let Some(place) = file_line(f) {
        let _ = write!(text, "\nAt: {place}");
    }
    text
}

/// Escapes text for XML 1.0 content and attributes. Characters XML 1.0 forbids (most C0
/// controls, U+FFFE, U+FFFF) cannot be written even as references, so they are shown as
/// `\u{..}` text instead.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
