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
            suppressed: Vec::new(),
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
