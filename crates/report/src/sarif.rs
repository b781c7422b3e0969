//! SARIF 2.1.0, as GitHub code scanning reads it.
//!
//! Facts from GitHub's "SARIF support for code scanning" page
//! (docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
//! a rule (`reportingDescriptor`) needs `id`, `shortDescription.text`, `fullDescription.text`
//! and `help.text`, and may give `help.markdown`, `defaultConfiguration.level` and
//! `properties.tags`; `properties.security-severity` is a string holding a number from 0.0 to
//! 10.0 (9.0 and above shows as critical, 7.0-8.9 high, 4.0-6.9 medium, below that low);
//! a result is shown in the code view only through a `physicalLocation` whose
//! `artifactLocation.uri` is relative to the repository root, and GitHub matches results across
//! runs through `partialFingerprints`. The schema is OASIS SARIF 2.1.0 (errata 01).
//!
//! Choices made here:
//! - one run per report: GitHub refuses several runs of the same tool and category in one
//!   upload, and a fleet's clusters are told apart by the logical location
//!   (`cluster/namespace/Kind/name`) and by the fingerprint;
//! - only the rules that results use are listed (a file with 59 rules of which 3 are used
//!   buries the ones that matter); a check missing from the given docs (an organisation rule)
//!   gets a rule made from its finding's title;
//! - a finding with a file (manifests, and the List files of a snapshot) gets a
//!   `physicalLocation` at its file and line; a finding on an object gets a `logicalLocation`
//!   (`cluster/namespace/Kind/name`, kind `resource`) as well;
//! - a finding without a file (a live object, standard input, an unreachable cluster) still
//!   gets a `physicalLocation`: GitHub refuses the whole upload when one result has no
//!   location ("locationFromSarifResult: expected at least one location",
//!   github/codeql-action issue 1738) or only a logical one ("expected artifact location",
//!   forcedotcom/code-analyzer issue 1970). Its URI is the object's path
//!   `cluster/namespace/Kind/name` (or the cluster's name) at line 1, as image scanners give
//!   the image name: GitHub shows the alert without a code view.
//! - `security-severity` on a rule makes GitHub treat it as a security rule and show
//!   critical/high/medium/low (github/docs issue 21221); it is per rule, so a result also
//!   carries its own in `properties` (GitHub staff say results may override it there), and
//!   its `level` always follows the finding's own severity.

use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};
use serde_json::{Value, json};

use crate::common::fnv1a;
use crate::{ClusterReport, Report};

/// The OASIS schema of SARIF 2.1.0 (errata 01), the one the file claims to follow.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The documentation of one check, as `mcp-diag explain` prints it. The report crate does
/// not know the checks; the caller passes these in.
#[derive(Clone, Debug)]
pub struct RuleDoc {
    pub id: String,
    pub title: String,
    pub default_severity: Severity,
    /// Markdown with the sections `## What it checks`, `## Why it matters`, `## Example`,
    /// `## Fix`.
    pub doc_markdown: String,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SarifOptions<'a> {
    /// Documentation for the rules; checks not found here get a minimal rule.
    pub rules: &'a [RuleDoc],
    /// The tool's home page (`tool.driver.informationUri`); left out when unknown.
    pub information_uri: Option<&'a str>,
    /// The directory the scan ran in, absolute; absolute file paths below it are written
    /// relative to it, as GitHub resolves paths from the repository root.
    pub root: Option<&'a str>,
}

/// The SARIF `level` and GitHub's `security-severity` for a severity.
pub fn level_and_score(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Blocker => ("error", "9.0"),
        Severity::High => ("error", "7.0"),
        Severity::Medium => ("warning", "5.0"),
        Severity::Low => ("note", "3.0"),
        Severity::Info => ("note", "1.0"),
    }
}

/// The SARIF log as pretty JSON with a trailing newline.
pub fn render_sarif(report: &Report, options: &SarifOptions<'_>) -> String {
    let mut text = serde_json::to_string_pretty(&sarif_value(report, options))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The SARIF log as a JSON value (tests read it).
pub fn sarif_value(report: &Report, options: &SarifOptions<'_>) -> Value {
    // Rules in id order, each used id once; results point at them by index.
    let mut used: BTreeMap<&str, &Finding> = BTreeMap::new();
    let suppressed = report
        .clusters
        .iter()
        .flat_map(|c| &c.suppressed)
        .map(|s| &s.finding);
    for f in report.clusters.iter().flat_map(|c| &c.findings).chain(suppressed) {
        used.entry(f.check).or_insert(f);
    }
    let index: BTreeMap<&str, usize> = used.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = used
        .iter()
        .map(|(id, first)| {
            let doc = options.rules.iter().find(|r| r.id == *id);
            rule(id, doc, first)
        })
        .collect();

    let mut results = Vec::new();
    for cluster in &report.clusters {
        for f in &cluster.findings {
            results.push(result(cluster, f, index[f.check], options.root));
        }
        // Ignored findings are results too, marked suppressed with the reason (SARIF 2.1.0
        // §3.27.23 and §3.35): code scanning shows them as dismissed, never as missing.
        for s in &cluster.suppressed {
            let mut r = result(cluster, &s.finding, index[s.finding.check], options.root);
            let kind = if s.suppressed_by == "annotation" {
                "inSource"
            } else {
                "external"
            };
            let mut justification = s.reason.clone();
            if let Some(until) = &s.until {
                justification.push_str(&format!(" (until {until})"));
            }
            r["suppressions"] = json!([{"kind": kind, "status": "accepted", "justification": justification}]);
            results.push(r);
        }
    }

    let mut driver = json!({
        "name": report.tool.name,
        "version": report.tool.version,
        "semanticVersion": report.tool.version,
    });
    if let Some(uri) = options.information_uri {
        driver["informationUri"] = json!(uri);
    }
    driver["rules"] = Value::Array(rules);
    json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            // No `automationDetails`: GitHub keeps one set of alerts per category, and the
            // upload step's `category` input names it (one per cluster or pipeline).
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule(id: &str, doc: Option<&RuleDoc>, first: &Finding) -> Value {
    let (title, severity, markdown) = match doc {
        Some(d) => (d.title.clone(), d.default_severity, d.doc_markdown.clone()),
        // An organisation rule or a check the caller did not document: its finding's title
        // is all there is to say.
        None => (
            first.title.clone(),
            first.severity,
            format!("## What it checks\n{}\n", first.title),
        ),
    };
    let full = first_paragraph(&markdown).unwrap_or_else(|| title.clone());
    let (level, score) = level_and_score(severity);
    json!({
        "id": id,
        "name": pascal_case(id),
        "shortDescription": {"text": ensure_period(&title)},
        "fullDescription": {"text": ensure_period(&full)},
        "help": {"text": markdown, "markdown": markdown},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["kubernetes", "upgrade"],
            "security-severity": score,
        },
    })
}

fn result(report: &ClusterReport, f: &Finding, rule_index: usize, root: Option<&str>) -> Value {
    let cluster = report.name.as_str();
    let (level, _) = level_and_score(f.severity);
    let mut text = ensure_period(f.message.trim());
    if !f.remediation.trim().is_empty() {
        text.push_str(" Fix: ");
        text.push_str(&ensure_period(f.remediation.trim()));
    }
    let object_path = f.object.as_ref().map(|o| {
        let mut path = vec![cluster.to_owned()];
        path.extend(o.namespace.clone());
        path.push(o.kind.clone());
        path.push(if o.name.is_empty() {
            "<unnamed>".to_owned()
        } else {
            o.name.clone()
        });
        path.join("/")
    });
    let file = f
        .location
        .as_ref()
        .and_then(|l| artifact_uri(&l.file, root).map(|uri| (uri, l)));
    let physical = match file {
        Some((uri, l)) => {
            let mut region = json!({"startLine": l.line.max(1)});
            if let Some(c) = l.column {
                region["startColumn"] = json!(c.max(1));
            }
            json!({"artifactLocation": {"uri": uri}, "region": region})
        }
        // No file: the object's path stands for one (see above); a finding on the cluster
        // itself points at a snapshot's cluster.yaml, a real file, or else at its name.
        None => {
            let uri = match (&object_path, report.source.strip_prefix("snapshot:")) {
                (Some(path), _) => percent_encode(path),
                (None, Some(dir)) => artifact_uri(&format!("{dir}/cluster.yaml"), root)
                    .unwrap_or_else(|| percent_encode(cluster)),
                (None, None) => percent_encode(cluster),
            };
            json!({"artifactLocation": {"uri": uri}, "region": {"startLine": 1}})
        }
    };
    let mut location = serde_json::Map::new();
    location.insert("physicalLocation".into(), physical);
    if let (Some(o), Some(path)) = (&f.object, &object_path) {
        location.insert(
            "logicalLocations".into(),
            json!([{"name": o.name, "fullyQualifiedName": path, "kind": "resource"}]),
        );
    }
    let (_, score) = level_and_score(f.severity);
    json!({
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": [Value::Object(location)],
        "partialFingerprints": {"mcpDiagFinding/v1": fingerprint(cluster, f)},
        "properties": {
            "severity": f.severity.as_str(),
            "security-severity": score,
            "cluster": cluster,
        },
    })
}

/// Stable across runs: the cluster, the check and the object (or the file and title when
/// there is no object). Lines and message text are left out: they move when a file is
/// edited above the object, or when an age in the message grows.
fn fingerprint(cluster: &str, f: &Finding) -> String {
    match &f.object {
        Some(o) => fnv1a(&[
            cluster,
            f.check,
            &o.api_version,
            &o.kind,
            o.namespace.as_deref().unwrap_or(""),
            &o.name,
            f.evidence.unwrap_or(""),
        ]),
        None => fnv1a(&[
            cluster,
            f.check,
            f.location.as_ref().map_or("", |l| l.file.as_str()),
            &f.title,
        ]),
    }
}

/// A relative URI reference with forward slashes, percent-encoded where URIs need it; `None`
/// for input that is not a file (standard input).
fn artifact_uri(file: &str, root: Option<&str>) -> Option<String> {
    if file.is_empty() || file == "-" || file.starts_with('<') {
        return None;
    }
    let mut path = file.replace('\\', "/");
    if let Some(root) = root.map(|r| r.replace('\\', "/")) {
        let root = root.trim_end_matches('/');
        if let Some(rest) = path.strip_prefix(&format!("{root}/")) {
            path = rest.to_owned();
        }
    }
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_owned();
    }
    let encoded = percent_encode(&path);
    // An absolute path outside the root stays absolute, as a file URI.
    Some(if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    })
}

/// RFC 3986: keep unreserved characters and the path's `/`; encode every other byte.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `api-removed` → `ApiRemoved` (SARIF rule names are conventionally Pascal case).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The first paragraph under `## What it checks`, lines joined.
fn first_paragraph(markdown: &str) -> Option<String> {
    let start = markdown.find("## What it checks")?;
    let body = &markdown[start..];
    let body = &body[body.find('\n')? + 1..];
    let paragraph: Vec<&str> = body
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::trim)
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

/// SARIF messages are sentences (the Multitool warns otherwise).
fn ensure_period(text: &str) -> String {
    let text = text.trim_end().trim_end_matches([':', ';', ',']);
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_with_forward_slashes_and_encoded() {
        assert_eq!(artifact_uri("k8s/a b.yaml", None).unwrap(), "k8s/a%20b.yaml");
        assert_eq!(artifact_uri("./k8s/x.yaml", None).unwrap(), "k8s/x.yaml");
        assert_eq!(artifact_uri("k8s\\win.yaml", None).unwrap(), "k8s/win.yaml");
        assert_eq!(
            artifact_uri("/repo/k8s/x.yaml", Some("/repo")).unwrap(),
            "k8s/x.yaml"
        );
        assert_eq!(
            artifact_uri("/elsewhere/x.yaml", Some("/repo")).unwrap(),
            "file:///elsewhere/x.yaml"
        );
        assert_eq!(artifact_uri("<stdin>", None), None);
    }

    #[test]
    fn names_and_descriptions() {
        assert_eq!(pascal_case("api-removed"), "ApiRemoved");
        assert_eq!(
            first_paragraph("## What it checks\nOne\ntwo.\n\nMore.\n## Fix\nx").unwrap(),
            "One two."
        );
        assert_eq!(first_paragraph("no sections"), None);
        assert_eq!(ensure_period("Done"), "Done.");
        assert_eq!(ensure_period("Done."), "Done.");
    }
}
