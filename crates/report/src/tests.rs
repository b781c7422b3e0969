use mcp_diag_model::{Location, ObjectRef};

use super::*;

fn finding(severity: Severity, line: u64) -> Finding {
    Finding {
        check: "api-removed",
        severity,
        title: "policy/v1beta1 PodDisruptionBudget removed in 1.25".into(),
        object: Some(ObjectRef {
            api_version: "policy/v1beta1".into(),
            kind: "PodDisruptionBudget".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
        }),
        location: Some(Location::new("k8s/pdb.yaml", line)),
        message: "PodDisruptionBudget policy/v1beta1 (beta) was removed in Kubernetes 1.25.".into(),
        remediation: "Migrate to policy/v1.".into(),
        evidence: Some("manifest"),
        details: Default::default(),
    }
}

fn report() -> Report {
    let mut no_location = finding(Severity::Medium, 1);
    no_location.location = None;
    Report::new(
        "0.1.0",
        vec![ClusterReport {
            name: "manifests".into(),
            source: "manifests:k8s".into(),
            server_version: None,
            target_version: Some("1.32".into()),
            target_version_source: "flag",
            captured_at: None,
            objects: 3,
            files: 1,
            error: None,
            findings: vec![finding(Severity::Blocker, 12), no_location],
            coverage: Default::default(),
            suppressed: Vec::new(),
            services: None,
        }],
    )
}

#[test]
fn json_has_the_contract_shape() {
    let value: serde_json::Value = serde_json::from_str(&render_json(&report())).unwrap();
    assert_eq!(value["schema_version"], 2);
    assert_eq!(value["tool"]["name"], "mcp-diag");
    assert_eq!(value["target_version"], "1.32");
    let cluster = &value["clusters"][0];
    assert_eq!(cluster["name"], "manifests");
    assert_eq!(cluster["objects"], 3);
    assert!(cluster["server_version"].is_null());
    let f = &cluster["findings"][0];
    assert_eq!(f["check"], "api-removed");
    assert_eq!(f["severity"], "blocker");
    assert_eq!(f["object"]["api_version"], "policy/v1beta1");
    assert_eq!(f["object"]["namespace"], "shop");
    assert_eq!(f["location"]["file"], "k8s/pdb.yaml");
    assert_eq!(f["location"]["line"], 12);
    assert!(cluster["findings"][1]["location"].is_null());
    for key in ["title", "message", "remediation"] {
        assert!(f[key].is_string(), "{key}");
    }
    assert_eq!(
        value["summary"],
        serde_json::json!({"blocker": 1, "high": 0, "medium": 1, "low": 0, "info": 0})
    );
}

#[test]
fn summary_worst() {
    assert_eq!(report().summary.worst(), Some(Severity::Blocker));
    assert_eq!(Summary::default().worst(), None);
}

#[test]
fn table_without_color_has_no_escape_codes() {
    let text = render_table(
        &report(),
        TableOptions {
            color: false,
            width: 120,
        },
    );
    assert!(!text.contains('\x1b'));
    assert!(text.contains("BLOCKER (1)"));
    assert!(text.contains("Summary: 1 blocker, 0 high, 1 medium, 0 low, 0 info in 3 objects from 1 file"));
    let colored = render_table(
        &report(),
        TableOptions {
            color: true,
            width: 120,
        },
    );
    assert!(colored.contains("\x1b[1;31m"));
}

/// `n` Deployments without a readiness probe: the same finding on each.
fn many_alike(n: usize) -> Report {
    let findings = (0..n)
        .map(|i| {
            let name = format!("app-{i}");
            Finding {
                check: "probe-missing-readiness",
                severity: Severity::Medium,
                title: "no readinessProbe".into(),
                object: Some(ObjectRef {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    namespace: Some("shop".into()),
                    name: name.clone(),
                }),
                location: Some(Location::new("k8s/apps.yaml", 10 * i as u64 + 1)),
                message: format!("Deployment shop/{name}: container {name} has no readinessProbe."),
                remediation: format!("Add a readinessProbe to {name} in Deployment shop/{name}."),
                evidence: Some("manifest"),
                details: Default::default(),
            }
        })
        .collect();
    Report::new(
        "0.1.0",
        vec![ClusterReport {
            name: "manifests".into(),
            source: "manifests:k8s".into(),
            server_version: None,
            target_version: Some("1.32".into()),
            target_version_source: "flag",
            captured_at: None,
            objects: n,
            files: 1,
            error: None,
            findings,
            coverage: Default::default(),
            suppressed: Vec::new(),
            services: None,
        }],
    )
}

const PLAIN_80: TableOptions = TableOptions {
    color: false,
    width: 80,
};

#[test]
fn findings_alike_fold_into_one_entry_naming_the_first_objects() {
    let report = many_alike(8);
    let text = render_table(&report, PLAIN_80);
    assert!(text.contains("MEDIUM (8)"), "{text}");
    assert_eq!(text.matches("probe-missing-readiness").count(), 1, "{text}");
    assert!(text.contains("the same on 8 objects"), "{text}");
    for i in 0..5 {
        assert!(
            text.contains(&format!("Deployment shop/app-{i} (apps/v1)")),
            "{text}"
        );
    }
    assert!(!text.contains("shop/app-5"), "{text}");
    assert!(text.contains("and 3 more"), "{text}");
    // The message and fix are shown once, for the first.
    assert_eq!(text.matches("has no readinessProbe").count(), 1, "{text}");
    // The JSON keeps one finding per object.
    let value: serde_json::Value = serde_json::from_str(&render_json(&report)).unwrap();
    assert_eq!(value["clusters"][0]["findings"].as_array().unwrap().len(), 8);
}

#[test]
fn a_fold_of_one_more_than_shown_names_them_all() {
    let text = render_table(&many_alike(6), PLAIN_80);
    assert!(text.contains("shop/app-5"), "{text}");
    assert!(!text.contains("more"), "{text}");
}

#[test]
fn compact_groups_by_check_with_one_short_line_each() {
    let text = render_compact(&many_alike(8), PLAIN_80);
    assert!(text.contains("\nprobe-missing-readiness (medium, 8)\n"), "{text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  Deployment shop/app-"))
        .collect();
    assert_eq!(lines.len(), 8, "{text}");
    // The object is not repeated at the start of the message, and the directory scanned is
    // not repeated in the location.
    assert_eq!(
        lines[1],
        "  Deployment shop/app-1  apps.yaml:11  container app-1 has no readinessProbe."
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("Summary: 0 blocker, 0 high, 8 medium, 0 low, 0 info in 8 objects"));
    let narrow = render_compact(
        &many_alike(2),
        TableOptions {
            color: false,
            width: 40,
        },
    );
    // At 40 columns the object and place leave too little room: the message goes below,
    // and the place is never cut.
    assert!(
        narrow.contains("  Deployment shop/app-0 apps.yaml:1\n      container app-0"),
        "{narrow}"
    );
}

#[test]
fn blocks_fit_the_width_and_keep_words_whole() {
    let mut report = report();
    let long = "x".repeat(100);
    report.clusters[0].findings[0].message = format!("A word {long} longer than the line.");
    let text = render_table(&report, PLAIN_80);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80 || line.trim() == long,
            "{line:?} in\n{text}"
        );
    }
    assert!(text.lines().any(|l| l.trim() == long), "{text}");
}

fn fleet_report(names: [&str; 2]) -> Report {
    let scanned = report().clusters.remove(0);
    let mut first = scanned.clone();
    first.name = names[0].into();
    let mut down = scanned;
    down.name = names[1].into();
    down.findings.clear();
    down.error = Some("connection refused".into());
    Report::new("0.1.0", vec![first, down])
}

#[test]
fn fleet_lines_align_and_name_each_cluster_whole() {
    let text = render_table(&fleet_report(["prod-eu", "staging"]), PLAIN_80);
    assert!(
        text.contains("Fleet: 2 clusters, 1 scanned, 1 unreachable, 1 with blockers"),
        "{text}"
    );
    assert!(
        text.contains("\n  prod-eu  ? → 1.32  blocker      1 blocker, 1 medium\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  staging  ? → 1.32  unreachable  no findings\n"),
        "{text}"
    );
    // A name too long for columns: the line wraps at spaces, the name stays whole.
    let long = "arn:aws:eks:eu-west-1:123456789012:cluster/production-payments-primary";
    let narrow = render_table(
        &fleet_report([long, "b"]),
        TableOptions {
            color: false,
            width: 60,
        },
    );
    assert!(narrow.lines().any(|l| l.trim() == long), "{narrow}");
    assert!(
        narrow.contains("\n  b · ? → 1.32 · unreachable · no findings\n"),
        "{narrow}"
    );
}

/// The batched writer puts each cluster's findings where the pretty printer would: the bytes
/// equal one `to_writer_pretty` of the whole report, for several clusters (one without
/// findings, one with suppressed entries and multi-line text), across batch and chunk edges.
#[test]
fn batched_json_equals_the_plain_rendering() {
    let first = report().clusters[0].clone();
    let mut second = first.clone();
    second.name = "second".into();
    second.findings = (0..4_500)
        .map(|i| {
            let mut f = finding(Severity::High, i);
            f.message = format!("line one\nline two \"quoted\" {i}");
            f.details
                .insert("workloads", format!("Deployment a-{i}, Pod b-{i}"));
            f
        })
        .collect();
    second.suppressed = vec![Suppressed {
        finding: finding(Severity::Low, 3),
        suppressed_by: "ignore file",
        reason: "known".into(),
        until: Some("2027-01-01".into()),
    }];
    let mut empty = first.clone();
    empty.name = "empty".into();
    empty.findings.clear();
    // Several clusters: a fleet report, with its rows.
    let mut many = Report::new("0.1.0", vec![first, second, empty]);
    assert!(many.fleet.is_some());
    let plain = render_json(&many);
    for least in [0, 1, 2_000, usize::MAX] {
        let mut out = Vec::new();
        write_json_batched(&mut many, &mut out, least).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), plain, "least {least}");
    }
    // The report is as it was.
    assert_eq!(many.clusters[1].findings.len(), 4_500);
    assert_eq!(render_json(&many), plain);
}
