//! The file formats on small constructed reports: escaping, counts, no findings, a finding
//! without a location, a finding without an object.

use mcp_diag_model::{Finding, Location, ObjectRef, Severity};
use serde_json::Value;

use crate::*;

fn object(kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "policy/v1beta1".into(),
        kind: kind.into(),
        namespace: ns.map(Into::into),
        name: name.into(),
    }
}

fn finding(check: &'static str, severity: Severity, message: &str) -> Finding {
    Finding {
        check,
        severity,
        title: format!("{check} title"),
        object: Some(object("PodDisruptionBudget", Some("shop"), "web")),
        location: Some(Location::new("k8s/pdb.yaml", 12)),
        message: message.into(),
        remediation: "Migrate to policy/v1.".into(),
        evidence: Some("manifest"),
        details: Default::default(),
    }
}

fn cluster(name: &str, findings: Vec<Finding>) -> ClusterReport {
    ClusterReport {
        name: name.into(),
        source: format!("snapshot:{name}"),
        server_version: Some("1.29.4".into()),
        target_version: Some("1.30".into()),
        target_version_source: "default",
        captured_at: Some("2026-11-20T09:30:00Z".into()),
        objects: 10,
        files: 2,
        error: None,
        findings,
        coverage: Default::default(),
        suppressed: Vec::new(),
        services: None,
    }
}

/// Four shapes: file and object, object only (live), file only, neither.
fn mixed() -> Report {
    let full = finding("api-removed", Severity::Blocker, "Removed in 1.25.");
    let mut live = finding("pod-restarts", Severity::Medium, "Restarted 9 times");
    live.location = None;
    live.object = Some(object("Pod", Some("shop"), "web-1"));
    let mut file_only = finding("input-invalid", Severity::High, "Cannot read: bad | pipe");
    file_only.object = None;
    file_only.location = Some(Location::new("k8s/bad file.yaml", 3));
    let mut nowhere = finding("custom-rule", Severity::Info, "Org rule <b>fired</b>");
    nowhere.object = None;
    nowhere.location = None;
    Report::new(
        "9.9.9",
        vec![cluster("prod", vec![full, live, file_only, nowhere])],
    )
}

fn docs() -> Vec<RuleDoc> {
    vec![RuleDoc {
        id: "api-removed".into(),
        title: "API version removed by the target release".into(),
        default_severity: Severity::Blocker,
        doc_markdown: "## What it checks\nEvery object whose API\nis gone.\n\n## Fix\nMigrate.\n".into(),
    }]
}

fn sarif(report: &Report) -> Value {
    let rules = docs();
    serde_json::from_str(&render_sarif(
        report,
        &SarifOptions {
            rules: &rules,
            information_uri: Some("https://example.invalid/mcp-diag"),
            root: None,
        },
    ))
    .unwrap()
}

// ---- SARIF --------------------------------------------------------------------------------

#[test]
fn sarif_rules_are_the_used_checks_and_results_point_at_them() {
    let log = sarif(&mixed());
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "mcp-diag");
    assert_eq!(driver["version"], "9.9.9");
    assert_eq!(driver["informationUri"], "https://example.invalid/mcp-diag");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["api-removed", "custom-rule", "input-invalid", "pod-restarts"]
    );
    for r in run["results"].as_array().unwrap() {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    // The documented rule carries its documentation; the others a stand-in from the title.
    let removed = &rules[0];
    assert_eq!(removed["name"], "ApiRemoved");
    assert_eq!(
        removed["fullDescription"]["text"],
        "Every object whose API is gone."
    );
    assert!(removed["help"]["markdown"].as_str().unwrap().contains("## Fix"));
    assert_eq!(removed["help"]["text"], removed["help"]["markdown"]);
    assert_eq!(removed["defaultConfiguration"]["level"], "error");
    assert_eq!(removed["properties"]["security-severity"], "9.0");
    assert_eq!(rules[1]["shortDescription"]["text"], "custom-rule title.");
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "note");
}

#[test]
fn sarif_levels_and_locations() {
    let log = sarif(&mixed());
    let results = log["runs"][0]["results"].as_array().unwrap();
    let levels: Vec<&str> = results.iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["error", "warning", "error", "note"]);

    let full = &results[0]["locations"][0];
    assert_eq!(
        full["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/pdb.yaml"
    );
    assert_eq!(full["physicalLocation"]["region"]["startLine"], 12);
    assert!(full["physicalLocation"]["region"].get("startColumn").is_none());
    assert_eq!(
        full["logicalLocations"][0]["fullyQualifiedName"],
        "prod/shop/PodDisruptionBudget/web"
    );
    assert_eq!(
        results[0]["message"]["text"],
        "Removed in 1.25. Fix: Migrate to policy/v1."
    );

    // A live object: GitHub refuses results without a physical location, so the object's
    // path stands for a file.
    let live = &results[1]["locations"][0];
    assert_eq!(
        live["physicalLocation"]["artifactLocation"]["uri"],
        "prod/shop/Pod/web-1"
    );
    assert_eq!(live["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(
        live["logicalLocations"][0]["fullyQualifiedName"],
        "prod/shop/Pod/web-1"
    );
    assert_eq!(live["logicalLocations"][0]["kind"], "resource");
    assert_eq!(results[1]["properties"]["security-severity"], "5.0");

    let file_only = &results[2]["locations"][0];
    assert_eq!(
        file_only["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/bad%20file.yaml"
    );
    assert!(file_only.get("logicalLocations").is_none());

    // Neither: the cluster stands as the place, so that no result lacks a location.
    let nowhere = &results[3]["locations"][0];
    // (the snapshot's cluster.yaml; a live cluster's name).
    assert_eq!(
        nowhere["physicalLocation"]["artifactLocation"]["uri"],
        "prod/cluster.yaml"
    );
    assert!(nowhere.get("logicalLocations").is_none());
    let mut live_cluster = mixed();
    live_cluster.clusters[0].source = "context:prod".into();
    let log = sarif(&live_cluster);
    assert_eq!(
        log["runs"][0]["results"][3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "prod"
    );
    // Every result has exactly one location, with a file (or its stand-in) and a line.
    for r in results {
        let locations = r["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        assert!(physical["artifactLocation"]["uri"].is_string());
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn sarif_fingerprints_are_stable_and_tell_objects_apart() {
    let a = sarif(&mixed());
    let mut moved = mixed();
    // The same object on another line, with a message that grew (an age): same fingerprint.
    moved.clusters[0].findings[0].location = Some(Location::new("k8s/pdb.yaml", 40));
    moved.clusters[0].findings[0].message = "Removed in 1.25, seen 3d ago.".into();
    let b = sarif(&moved);
    let fp = |log: &Value, i: usize| log["runs"][0]["results"][i]["partialFingerprints"].clone();
    assert_eq!(fp(&a, 0), fp(&b, 0));
    assert_ne!(fp(&a, 0), fp(&a, 1));
    // The same object in another cluster of a fleet is another alert.
    let mut other = mixed();
    other.clusters[0].name = "staging".into();
    assert_ne!(fp(&a, 0), fp(&sarif(&other), 0));
}

#[test]
fn sarif_without_findings_has_an_empty_run() {
    let log = sarif(&Report::new("1.0.0", vec![cluster("empty", vec![])]));
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

// ---- JUnit --------------------------------------------------------------------------------

fn junit(report: &Report, fail_on: Option<Severity>) -> String {
    render_junit(report, JunitOptions { fail_on })
}

#[test]
fn junit_counts_failures_at_the_threshold() {
    let text = junit(&mixed(), Some(Severity::High));
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let suite = root.children().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("name"), Some("prod"));
    assert_eq!(suite.attribute("tests"), Some("4"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.attribute("classname").unwrap(), c.attribute("name").unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("api-removed", "PodDisruptionBudget shop/web (policy/v1beta1)"),
            ("pod-restarts", "Pod shop/web-1 (policy/v1beta1)"),
            ("input-invalid", "k8s/bad file.yaml:3"),
            ("custom-rule", "prod"),
        ]
    );
    let failed: Vec<bool> = cases
        .iter()
        .map(|c| c.children().any(|n| n.has_tag_name("failure")))
        .collect();
    assert_eq!(failed, [true, false, true, false]);
    // A passing case still shows its finding.
    let out = cases[1]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(out.text().unwrap().contains("Restarted 9 times"));

    let none = junit(&mixed(), None);
    assert!(none.contains("failures=\"0\""));
    assert!(!none.contains("<failure"));
}

#[test]
fn junit_escapes_markup_and_forbidden_control_characters() {
    let mut report = mixed();
    report.clusters[0].findings[0].message = "a <b> & \"q\" 'x' \u{1b}[31m\u{0} ]]> end".into();
    report.clusters[0].name = "prod<&>".into();
    let text = junit(&report, Some(Severity::Blocker));
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    let body = failure.text().unwrap();
    assert!(
        body.contains("a <b> & \"q\" 'x' \\u{1b}[31m\\u{0} ]]> end"),
        "{body}"
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\u{0}'));
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("name"), Some("prod<&>"));
}

#[test]
fn junit_same_check_and_object_is_one_case() {
    let twice = vec![
        finding("api-removed", Severity::High, "Stored version."),
        finding("api-removed", Severity::Blocker, "Last applied."),
    ];
    let text = junit(
        &Report::new("1", vec![cluster("c", twice)]),
        Some(Severity::Blocker),
    );
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().attribute("tests"), Some("1"));
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("blocker"));
    let body = failure.text().unwrap();
    assert!(body.contains("Stored version.") && body.contains("Last applied."));
}

#[test]
fn junit_clean_cluster_has_one_passing_case() {
    let text = junit(
        &Report::new(
            "1",
            vec![
                cluster("a", vec![]),
                cluster("b", mixed().clusters[0].findings.clone()),
            ],
        ),
        Some(Severity::Low),
    );
    let doc = roxmltree::Document::parse(&text).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attribute("tests"), Some("1"));
    assert_eq!(suites[0].attribute("failures"), Some("0"));
    assert_eq!(suites[1].attribute("failures"), Some("3"));
    assert_eq!(doc.root_element().attribute("tests"), Some("5"));
    assert_eq!(doc.root_element().attribute("failures"), Some("3"));
}

// ---- Markdown -----------------------------------------------------------------------------

#[test]
fn markdown_has_summary_sections_and_escaped_cells() {
    let mut report = mixed();
    report.clusters[0].findings[0].message = "line one\nline | two <script>".into();
    let text = render_markdown(&report, MarkdownOptions::default());
    assert!(text.starts_with("## mcp-diag scan: blocked\n"));
    assert!(text.contains("| prod | 1.29.4 → 1.30 | 10 | 1 | 1 | 1 | 0 | 1 |"));
    assert!(text.contains("<details open>\n<summary><b>Blocker (1)</b></summary>"));
    assert!(text.contains("<details>\n<summary><b>Medium (1)</b></summary>"));
    assert!(!text.contains("Low ("), "no section without findings");
    assert!(text.contains("line one<br>line \\| two &lt;script&gt;"));
    assert!(!text.contains("<script>"));
    // Every table row has the header's number of cells (escaped pipes do not count).
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 6, "{line}");
    }
    // The finding without an object or file leaves those cells empty.
    assert!(text.contains("| `custom-rule` |  |  | Org rule &lt;b&gt;fired&lt;/b&gt; |"));
}

#[test]
fn markdown_truncates_to_the_limit_and_says_how_many_rows() {
    let many: Vec<Finding> = (0..500)
        .map(|i| {
            let mut f = finding("api-removed", Severity::High, &"long message ".repeat(20));
            f.object = Some(object("Deployment", Some("shop"), &format!("web-{i}")));
            f
        })
        .collect();
    let report = Report::new("1", vec![cluster("big", many)]);
    let full = render_markdown(
        &report,
        MarkdownOptions {
            max_chars: usize::MAX,
        },
    );
    assert!(full.chars().count() > GITHUB_LIMIT);
    let cut = render_markdown(&report, MarkdownOptions::default());
    assert!(cut.chars().count() <= GITHUB_LIMIT, "{}", cut.chars().count());
    let shown = cut.lines().filter(|l| l.starts_with("| `api-removed`")).count();
    assert!(shown > 50 && shown < 500);
    let left = 500 - shown;
    assert!(cut.contains(&format!("**{left} rows left out**")), "{left}");
    assert!(cut.contains(&format!("_{left} more rows left out")));
    assert!(cut.trim_end().ends_with("comment limit."));
}

const GITHUB_LIMIT: usize = markdown::GITHUB_COMMENT_LIMIT;

#[test]
fn markdown_without_findings() {
    let text = render_markdown(
        &Report::new("1", vec![cluster("ok", vec![])]),
        MarkdownOptions::default(),
    );
    assert!(text.starts_with("## mcp-diag scan: no findings"));
    assert!(!text.contains("<details"));
}

// ---- CSV ----------------------------------------------------------------------------------

#[test]
fn csv_rows_and_quoting() {
    let mut report = mixed();
    report.clusters[0].findings[0].message = "has, comma and \"quotes\"\nand a newline".into();
    let text = render_csv(&report);
    assert!(text.ends_with("\r\n"));
    let records: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(records.len(), 5, "a header and four findings");
    assert_eq!(
        records[0],
        "cluster,severity,check,kind,namespace,name,api_version,file,line,message,remediation,evidence"
    );
    assert_eq!(
        records[1],
        "prod,blocker,api-removed,PodDisruptionBudget,shop,web,policy/v1beta1,k8s/pdb.yaml,12,\"has, comma and \"\"quotes\"\"\nand a newline\",Migrate to policy/v1.,manifest"
    );
    // No object and no location: those fields are empty, the count of fields is kept.
    assert_eq!(
        records[4],
        "prod,info,custom-rule,,,,,,,Org rule <b>fired</b>,Migrate to policy/v1.,manifest"
    );
    let header_only = render_csv(&Report::new("1", vec![cluster("ok", vec![])]));
    assert_eq!(header_only.matches("\r\n").count(), 1);
}

// ---- HTML ---------------------------------------------------------------------------------

#[test]
fn html_is_self_contained_and_escapes_everything() {
    let mut report = mixed();
    report.clusters[0].findings[0].message =
        "</script><script>alert(1)</script><img src=x onerror=alert(2)>".into();
    report.clusters[0].findings[1].check = "pod-restarts";
    let text = render_html(&report);
    assert!(text.starts_with("<!DOCTYPE html>"));
    // Exactly the two scripts the page brings: the data and its own code.
    assert_eq!(text.matches("<script").count(), 2);
    assert_eq!(text.matches("</script>").count(), 2);
    assert!(!text.contains("<img"));
    assert!(text.contains("&lt;img src=x onerror=alert(2)&gt;"));
    // Nothing is loaded from anywhere.
    for needle in ["src=\"http", "href=\"http", "url(", "@import", "<link", "<iframe"] {
        assert!(!text.contains(needle), "{needle}");
    }
    assert!(text.contains("default-src 'none'"));
    // The embedded data reads back as the report.
    let start = text.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
    let end = start + text[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&text[start..end]).unwrap();
    assert_eq!(
        data["clusters"][0]["findings"][0]["message"],
        report.clusters[0].findings[0].message
    );
    // One row per finding, each with its severity and check for the filters.
    assert_eq!(text.matches("<tr class=\"finding ").count(), 4);
    assert!(text.contains("data-severity=\"medium\" data-check=\"pod-restarts\""));
    assert!(text.contains("<option value=\"pod-restarts\">pod-restarts (1)</option>"));
}

#[test]
fn html_without_findings_and_unreachable_cluster() {
    let mut down = cluster("down", vec![]);
    down.error = Some("connection refused <x>".into());
    let text = render_html(&Report::new("1", vec![cluster("ok", vec![]), down]));
    assert!(text.contains("<p>No findings.</p>"));
    assert!(text.contains("Not scanned: connection refused &lt;x&gt;"));
    assert_eq!(text.matches("<tr class=\"finding ").count(), 0);
}

// ---- plans --------------------------------------------------------------------------------

mod plans {
    use mcp_diag_planner::{
        Blocker, BlockerKind, Drainable, Hop, NodePlan, Plan, Summary as PlanSummary, Verdict, Wave,
    };

    use super::*;

    fn node(name: &str, drainable: Drainable, batch: usize) -> NodePlan {
        NodePlan {
            name: name.into(),
            drainable,
            status: drainable.as_str(),
            batch,
            reason: "zone a | pool <big>".into(),
            zone: Some("eu-1a".into()),
            pool: None,
            control_plane: false,
            blockers: if drainable == Drainable::No {
                vec![Blocker {
                    kind: BlockerKind::Pdb,
                    object: object("PodDisruptionBudget", Some("shop"), "pay"),
                    pod: "shop/pay-1".into(),
                    message: "allows 0 <script>x</script>".into(),
                }]
            } else {
                Vec::new()
            },
            pods_evicted: 2,
            pods_staying: 1,
            remaining: Vec::new(),
            moves: Vec::new(),
        }
    }

    fn plan(nodes: usize) -> Plan {
        let mut workers: Vec<NodePlan> = (0..nodes)
            .map(|i| node(&format!("worker-{i}"), Drainable::Yes, i))
            .collect();
        workers[0] = node("worker-0", Drainable::No, 0);
        Plan {
            schema_version: 1,
            cluster: "demo".into(),
            source: "snapshot:demo".into(),
            current_version: Some("1.29.4".into()),
            target_version: "1.31".into(),
            verdict: Verdict::Blocked,
            incomplete: Vec::new(),
            summary: PlanSummary {
                nodes,
                drainable: nodes - 1,
                blocked: 1,
                ..PlanSummary::default()
            },
            hops: vec![
                Hop {
                    from: "1.29".into(),
                    to: "1.30".into(),
                    blockers: vec![finding("api-removed", Severity::Blocker, "Gone | now.")],
                },
                Hop {
                    from: "1.30".into(),
                    to: "1.31".into(),
                    blockers: Vec::new(),
                },
            ],
            waves: vec![Wave {
                index: 1,
                name: "wave 1 (100%)".into(),
                percent: Some(100),
                nodes: workers,
            }],
            notes: vec!["a note with | and <b>".into()],
            worst_finding: Some(Severity::Blocker),
        }
    }

    #[test]
    fn plan_markdown_escapes_and_opens_blocked_waves() {
        let text = render_plan_markdown(&plan(3), MarkdownOptions::default());
        assert!(text.starts_with("## Upgrade plan for demo: blocked\n"));
        assert!(text.contains("| 3 | 2 | 1 | 0 |"));
        assert!(text.contains("| 1.29 → 1.30 | `api-removed` PodDisruptionBudget shop/web: Gone \\| now. |"));
        assert!(text.contains("| 1.30 → 1.31 | none |"));
        assert!(text.contains("<details open>\n<summary><b>Wave 1 (100%)</b> (3 nodes, not all drainable)"));
        assert!(text.contains("**pdb** allows 0 &lt;script&gt;x&lt;/script&gt;"));
        assert!(text.contains("zone a \\| pool &lt;big&gt;"));
        assert!(text.contains("- a note with \\| and &lt;b&gt;"));
        assert!(!text.contains("<script>") && !text.contains("<big>"));
    }

    #[test]
    fn plan_markdown_truncates_nodes() {
        let big = plan(2_000);
        let text = render_plan_markdown(&big, MarkdownOptions::default());
        assert!(text.chars().count() <= markdown::GITHUB_COMMENT_LIMIT);
        let shown = text.lines().filter(|l| l.contains("| worker-")).count();
        assert!(shown > 10 && shown < 2_000, "{shown}");
        let left = 2_000 - shown;
        assert!(text.contains(&format!("**{left} node rows left out**")), "{left}");
    }

    #[test]
    fn plan_html_is_self_contained_and_escaped() {
        let text = render_plan_html(&plan(3));
        assert_eq!(text.matches("<script").count(), 2);
        assert!(!text.contains("<script>x"));
        assert!(text.contains("allows 0 &lt;script&gt;x&lt;/script&gt;"));
        assert!(text.contains("default-src 'none'"));
        assert_eq!(text.matches("<tr class=\"node\"").count(), 3);
        assert_eq!(text.matches("data-status=\"blocked\"").count(), 1);
        let start = text.find("id=\"plan-data\">").unwrap() + "id=\"plan-data\">".len();
        let end = start + text[start..].find("</script>").unwrap();
        let data: Value = serde_json::from_str(&text[start..end]).unwrap();
        assert_eq!(data["summary"]["blocked"], 1);
        assert_eq!(
            data["waves"][0]["nodes"][0]["blockers"][0]["message"],
            "allows 0 <script>x</script>"
        );
    }
}

#[test]
fn markdown_cells_show_input_as_written_never_as_links_or_images() {
    let text = crate::markdown::cell("![t](http://e.x/a.png) [x](y) *b* _i_ `c` ~s~ a|b");
    assert_eq!(
        text,
        "\\!\\[t\\](http://e.x/a.png) \\[x\\](y) \\*b\\* \\_i\\_ \\`c\\` \\~s\\~ a\\|b"
    );
}

#[test]
fn sarif_lists_ignored_findings_as_suppressed_results_with_the_reason() {
    let mut c = cluster(
        "demo",
        vec![finding("api-removed", Severity::Blocker, "Removed.")],
    );
    c.suppressed.push(Suppressed {
        finding: finding("pod-restarts", Severity::Medium, "Restarted 9 times."),
        suppressed_by: "annotation",
        reason: "a batch job".into(),
        until: None,
    });
    c.suppressed.push(Suppressed {
        finding: finding("api-removed", Severity::Blocker, "Removed too."),
        suppressed_by: "ignore-file",
        reason: "migrated in 4.2".into(),
        until: Some("2027-01-31".into()),
    });
    let report = Report::new("0.1.0", vec![c]);
    let log = sarif(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(results[1]["ruleId"], "pod-restarts");
    assert_eq!(results[1]["suppressions"][0]["kind"], "inSource");
    assert_eq!(results[1]["suppressions"][0]["justification"], "a batch job");
    assert_eq!(results[2]["suppressions"][0]["kind"], "external");
    assert_eq!(
        results[2]["suppressions"][0]["justification"],
        "migrated in 4.2 (until 2027-01-31)"
    );
    // Every result's rule is listed, the suppressed ones' too.
    let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["api-removed", "pod-restarts"]);
}

#[test]
fn markdown_and_html_list_ignored_findings_with_their_reasons() {
    let mut c = cluster(
        "demo",
        vec![finding("api-removed", Severity::Blocker, "Removed.")],
    );
    c.suppressed.push(Suppressed {
        finding: finding("pod-restarts", Severity::Medium, "Restarted 9 times."),
        suppressed_by: "ignore-file",
        reason: "a <batch> job".into(),
        until: Some("2027-01-31".into()),
    });
    let report = Report::new("0.1.0", vec![c]);
    let md = render_markdown(&report, MarkdownOptions::default());
    assert!(md.contains("<summary><b>Ignored (1)</b></summary>"), "{md}");
    assert!(md.contains("| `pod-restarts` | medium |"), "{md}");
    assert!(
        md.contains("| ignore-file | a &lt;batch&gt; job | 2027-01-31 |"),
        "{md}"
    );
    let html = render_html(&report);
    assert!(html.contains("<h3>Ignored (1)</h3>"), "{html}");
    assert!(html.contains("a &lt;batch&gt; job"));
    // The ignored row is not a finding row: the page's counts speak of what is reported.
    assert_eq!(html.matches("class=\"finding ").count(), 1);
}

#[test]
fn coverage_is_in_the_json_and_a_gap_is_one_line_near_the_top() {
    use mcp_diag_model::{Coverage, KindRead, ReadGap};
    let mut c = cluster(
        "prod",
        vec![finding("api-removed", Severity::Blocker, "Removed in 1.25.")],
    );
    c.coverage = Coverage::recorded();
    c.coverage.record(KindRead::complete("", "Node", 3));
    c.coverage.record(KindRead::gap(
        "",
        "Pod",
        ReadGap::Failed,
        "HTTP 500 Internal Server Error after 3 attempts",
        0,
    ));
    let report = Report::new("0.1.0", vec![c]);
    let json: serde_json::Value = serde_json::from_str(&crate::render_json(&report)).unwrap();
    let kinds = &json["clusters"][0]["coverage"]["kinds"];
    assert_eq!(json["clusters"][0]["coverage"]["recorded"], true);
    assert_eq!(kinds[1]["kind"], "Pod");
    assert_eq!(kinds[1]["state"], "missing");
    assert_eq!(kinds[1]["reason"], "failed");
    let line = "Incomplete read: Pod (failed: HTTP 500 Internal Server Error after 3 attempts)";
    let table = crate::render_table(
        &report,
        crate::TableOptions {
            color: false,
            width: 200,
        },
    );
    let at = table.find(line).unwrap_or_else(|| panic!("{table}"));
    assert!(
        at < table.find("BLOCKER").unwrap(),
        "the line comes before the findings:\n{table}"
    );
    assert!(render_markdown(&report, MarkdownOptions::default()).contains(line));
    assert!(crate::render_html(&report).contains(line));
    // Nothing missing: no line.
    let complete = Report::new("0.1.0", vec![cluster("prod", Vec::new())]);
    assert!(
        !crate::render_table(
            &complete,
            crate::TableOptions {
                color: false,
                width: 200
            }
        )
        .contains("Incomplete read")
    );
}

#[test]
fn input_incomplete_reaches_sarif_and_junit_like_any_finding() {
    let mut f = finding(
        "input-incomplete",
        Severity::High,
        "Not read completely: Pod (failed: HTTP 500).",
    );
    f.object = None;
    f.location = None;
    let report = Report::new("0.1.0", vec![cluster("prod", vec![f])]);
    let log = sarif(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "input-incomplete");
    assert_eq!(results[0]["level"], "error");
    let xml = junit(&report, Some(Severity::High));
    assert!(xml.contains("input-incomplete"), "{xml}");
    assert!(xml.contains("failures=\"1\""), "{xml}");
}
