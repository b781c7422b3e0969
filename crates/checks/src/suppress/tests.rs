use mcp_diag_model::{Inventory, Severity, SourceKind};

use super::*;

fn inventory(yaml: &str) -> Inventory {
    let parsed = mcp_diag_sources::parse_bytes("k8s/app.yaml", yaml.as_bytes());
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let mut inventory = Inventory::new(SourceKind::Manifests, "manifests:k8s", "manifests");
    inventory.objects = parsed.objects;
    inventory
}

fn finding(check: &'static str, kind: &str, ns: Option<&str>, name: &str, file: &str) -> Finding {
    Finding {
        check,
        severity: Severity::High,
        title: String::new(),
        object: Some(ObjectRef {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        }),
        location: Some(Location::new(file, 3)),
        message: format!("{check} on {name}"),
        remediation: String::new(),
        evidence: None,
        details: BTreeMap::new(),
    }
}

const TODAY: Date = Date::new(2026, 12, 6);

#[test]
fn annotation_suppresses_only_the_named_checks_with_the_reason() {
    let inv = inventory(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    mcp-diag.io/ignore: \"probe-missing-liveness, probe-no-startup: batch-like, restarts are cheap\"\n",
    );
    let findings = vec![
        finding(
            "probe-missing-liveness",
            "Deployment",
            Some("shop"),
            "web",
            "k8s/app.yaml",
        ),
        finding(
            "probe-missing-readiness",
            "Deployment",
            Some("shop"),
            "web",
            "k8s/app.yaml",
        ),
        finding(
            "probe-missing-liveness",
            "Deployment",
            Some("shop"),
            "other",
            "k8s/app.yaml",
        ),
    ];
    let Applied { kept, suppressed, .. } = apply(findings, &inv, &[], TODAY);
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].by, "annotation");
    assert_eq!(suppressed[0].reason, "batch-like, restarts are cheap");
    assert_eq!(suppressed[0].finding.check, "probe-missing-liveness");
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter()
            .all(|f| f.object.as_ref().unwrap().name != "web" || f.check == "probe-missing-readiness")
    );
}

#[test]
fn an_annotation_without_reason_or_with_an_unknown_id_ignores_nothing_and_is_reported() {
    for text in [
        "probe-missing-liveness",
        "probe-missing-livenes: typo",
        "probe-missing-liveness:   ",
    ] {
        let inv = inventory(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    mcp-diag.io/ignore: \"{text}\"\n"
        ));
        let findings = vec![finding(
            "probe-missing-liveness",
            "Deployment",
            Some("shop"),
            "web",
            "k8s/app.yaml",
        )];
        let Applied { kept, suppressed, .. } = apply(findings, &inv, &[], TODAY);
        assert!(suppressed.is_empty(), "{text}");
        let invalid: Vec<_> = kept.iter().filter(|f| f.check == "ignore-invalid").collect();
        assert_eq!(invalid.len(), 1, "{text}: {kept:?}");
        assert_eq!(invalid[0].object.as_ref().unwrap().name, "web");
        assert_eq!(invalid[0].location.as_ref().unwrap().file, "k8s/app.yaml");
        assert!(kept.iter().any(|f| f.check == "probe-missing-liveness"));
    }
}

#[test]
fn ignore_file_rules_match_by_check_object_and_file_and_expire() {
    let text = "ignores:\n  - check: probe-missing-liveness\n    object: Deployment/shop/*\n    reason: shop team accepted, OPS-1\n    until: 2027-01-31\n  - check: \"*\"\n    file: vendor/**\n    reason: vendored charts are checked upstream\n  - check: api-deprecated\n    object: FlowSchema/*\n    reason: operator moves in 4.2\n    until: 2026-09-30\n";
    let rules = parse_ignore_file(text, "ignore.yaml").unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].location.line, 2);
    assert_eq!(rules[2].location.line, 9);
    let inv = inventory("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
    let findings = vec![
        finding(
            "probe-missing-liveness",
            "Deployment",
            Some("shop"),
            "web",
            "k8s/app.yaml",
        ),
        finding(
            "probe-missing-liveness",
            "Deployment",
            Some("pay"),
            "web",
            "k8s/app.yaml",
        ),
        finding(
            "pod-unmanaged",
            "Pod",
            Some("x"),
            "p",
            "vendor/chart/templates/p.yaml",
        ),
        finding("api-deprecated", "FlowSchema", None, "f", "k8s/f.yaml"),
    ];
    let Applied {
        kept,
        suppressed,
        unused,
    } = apply(findings, &inv, &rules, TODAY);
    assert!(unused.is_empty(), "{unused:?}");
    let names: Vec<_> = suppressed.iter().map(|s| (s.by, s.finding.check)).collect();
    assert_eq!(
        names,
        [
            ("ignore-file", "probe-missing-liveness"),
            ("ignore-file", "pod-unmanaged")
        ]
    );
    assert_eq!(suppressed[0].until, Some(Date::new(2027, 1, 31)));
    // The expired rule applies no longer: its finding is back, and the rule is reported.
    assert!(kept.iter().any(|f| f.check == "api-deprecated"));
    let expired: Vec<_> = kept.iter().filter(|f| f.check == "ignore-expired").collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].location.as_ref().unwrap().to_string(), "ignore.yaml:9");
    assert!(
        expired[0]
            .message
            .contains("1 finding it matched is reported again"),
        "{}",
        expired[0].message
    );
    assert!(kept.iter().any(|f| {
        f.object
            .as_ref()
            .is_some_and(|o| o.namespace.as_deref() == Some("pay"))
    }));
}

#[test]
fn bad_ignore_files_are_errors_that_say_where() {
    for (text, want) in [
        (
            "- check: probe-missing-livenes\n  reason: r\n",
            "ignore.yaml:1: unknown check id",
        ),
        (
            "- check: pod-unmanaged\n",
            "ignore.yaml:1: an ignore needs a reason",
        ),
        (
            "- check: pod-unmanaged\n  reason: ok\n- check: \"*\"\n  reason: everything\n",
            "ignore.yaml:3: `check: \"*\"` without",
        ),
        (
            "- check: pod-unmanaged\n  reason: r\n  until: soon\n",
            "until: cannot read",
        ),
        (
            "- check: pod-unmanaged\n  reason: r\n  objekt: Pod/x/y\n",
            "objekt",
        ),
        ("check: [", "ignore.yaml"),
    ] {
        let error = parse_ignore_file(text, "ignore.yaml").unwrap_err();
        assert!(error.contains(want), "{text:?}: {error}");
    }
    assert!(parse_ignore_file("", "ignore.yaml").unwrap().is_empty());
}

#[test]
fn globs() {
    assert!(glob("Deployment/shop/*", "Deployment/shop/web"));
    assert!(!glob("Deployment/shop/*", "Deployment/shopx/web"));
    assert!(!glob("Deployment/*", "Deployment/shop/web"));
    assert!(glob("*/shop/*", "Service/shop/web"));
    assert!(glob("vendor/**", "vendor/a/b/c.yaml"));
    assert!(glob("**/values-*.yaml", "a/b/values-prod.yaml"));
    assert!(!glob("web", "web2"));
}

#[test]
fn kinds_match_in_any_case_paths_with_or_without_dot_slash_and_unused_rules_are_named() {
    let text = "- check: probe-missing-liveness\n  object: deployment/shop/*\n  reason: r\n- check: pod-unmanaged\n  file: ./vendor/**\n  reason: r\n- check: pdb-overlap\n  object: \"*\"\n  reason: a pattern of the wrong shape\n";
    let rules = parse_ignore_file(text, "ignore.yaml").unwrap();
    let inv = inventory("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
    let findings = vec![
        finding(
            "probe-missing-liveness",
            "Deployment",
            Some("shop"),
            "web",
            "k8s/app.yaml",
        ),
        finding("pod-unmanaged", "Pod", Some("x"), "p", "vendor/p.yaml"),
        finding("pdb-overlap", "PodDisruptionBudget", Some("x"), "b", "k8s/b.yaml"),
    ];
    let Applied {
        kept,
        suppressed,
        unused,
    } = apply(findings, &inv, &rules, TODAY);
    assert_eq!(suppressed.len(), 2, "{suppressed:?}");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        unused.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["ignore.yaml:7"]
    );
}
