//! `scan` on inputs that do not hold everything (issue 12): no claim of absence from a kind
//! the input may have left out, and no removed-API verdict from the version a stored object
//! was listed at.

use std::path::Path;

use assert_cmd::Command;

#[path = "support/schema.rs"]
mod support;

struct Run {
    code: i32,
    stdout: String,
}

fn mcp_diag(args: &[&str]) -> Run {
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
    };
    support::check_scan_json(args, &run.stdout);
    run
}

fn findings(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["clusters"][0]["findings"].as_array().unwrap()
}

/// An export without pods (`kubectl get nodes,deploy,pdb -o yaml`).
const EXPORT: &str = "fixtures/partial-export";

fn scan_json(args: &[&str]) -> serde_json::Value {
    let run = mcp_diag(args);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

#[test]
fn etcd_version_does_not_claim_absence_from_an_export_without_pods() {
    let json = scan_json(&["scan", "-t", "1.30", "-o", "json", EXPORT]);
    let etcd: Vec<&serde_json::Value> = findings(&json)
        .iter()
        .filter(|f| f["check"] == "etcd-version")
        .collect();
    assert_eq!(etcd.len(), 1, "{etcd:#?}");
    let message = etcd[0]["message"].as_str().unwrap();
    assert!(!message.contains("No etcd pod in kube-system"), "{message}");
    assert!(message.contains("Could not tell"), "{message}");
    assert!(
        etcd[0]["details"]["undecided"]
            .as_str()
            .unwrap()
            .starts_with("Pod "),
        "{:#?}",
        etcd[0]
    );
    // Neither does any other check that would need the pods: no taint "nobody tolerates",
    // no budget that "matches no pod" on the strength of pods that were never exported.
    for check in ["node-taint-untolerated", "pdb-no-match"] {
        assert!(
            findings(&json).iter().all(|f| f["check"] != check),
            "{check}: {:#?}",
            findings(&json)
        );
    }
    // The export records nothing: coverage says so, and no line claims a failed read.
    assert_eq!(
        json["clusters"][0]["coverage"],
        serde_json::json!({"recorded": false, "kinds": []})
    );
    let table = mcp_diag(&["scan", "-t", "1.30", EXPORT]);
    assert!(!table.stdout.contains("Incomplete read"), "{}", table.stdout);
    assert!(!table.stdout.contains("No etcd pod"), "{}", table.stdout);
}

#[test]
fn a_stored_flowschema_listed_at_v1beta2_is_not_api_removed() {
    // Issue 12, item 6: v1beta2 was removed in 1.29; the object is served at v1 as well.
    let json = scan_json(&["scan", "-t", "1.30", "-o", "json", EXPORT]);
    let flow: Vec<&serde_json::Value> = findings(&json)
        .iter()
        .filter(|f| f["object"]["kind"] == "FlowSchema" && f["check"].as_str().unwrap().starts_with("api-"))
        .collect();
    assert!(flow.is_empty(), "{flow:#?}");
    assert_eq!(json["summary"]["blocker"], 0, "{:#?}", findings(&json));
    // The same document as a manifest is what gets applied: still a blocker.
    let manifest = scan_json(&[
        "scan",
        "-t",
        "1.30",
        "-o",
        "json",
        "fixtures/partial-export/export.yaml",
    ]);
    let removed: Vec<&serde_json::Value> = findings(&manifest)
        .iter()
        .filter(|f| f["object"]["kind"] == "FlowSchema" && f["check"] == "api-removed")
        .collect();
    assert_eq!(removed.len(), 1, "{:#?}", findings(&manifest));
    assert_eq!(removed[0]["severity"], "blocker");
    assert_eq!(removed[0]["evidence"], "manifest");
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.30", "fixtures/partial-export/export.yaml"]).code,
        3
    );
}

#[test]
fn every_kind_a_check_declares_is_one_the_live_source_lists() {
    use mcp_diag_live::discovery::{CHECKED_GROUPS, CHECKED_KINDS};
    let listed = |group: &str, kind: &str| {
        CHECKED_KINDS.contains(&(group, kind))
            || CHECKED_GROUPS.iter().any(|g| match g.strip_prefix('.') {
                Some(suffix) => group.ends_with(&format!(".{suffix}")),
                None => *g == group,
            })
    };
    for (check, kinds) in mcp_diag_checks::reads::READS {
        for (group, kind) in *kinds {
            assert!(
                listed(group, kind),
                "{check} declares {kind}.{group}, which the live source never lists"
            );
        }
    }
}

#[test]
fn input_incomplete_is_explained() {
    let run = mcp_diag(&["explain", "input-incomplete"]);
    assert_eq!(run.code, 0);
    for words in [
        "mcp-diag-readonly-clusterrole.yaml",
        "not-in-input",
        "mcp-diag snapshot",
    ] {
        assert!(run.stdout.contains(words), "{words}: {}", run.stdout);
    }
}

/// The demo's kinds as `kubectl get KIND -A -o yaml` prints them, concatenated into one file:
/// the common way to hand a cluster to a tool, without a cluster.yaml.
fn demo_export(kinds: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cluster");
    let text: Vec<String> = kinds
        .iter()
        .map(|k| std::fs::read_to_string(demo.join(format!("{k}.yaml"))).unwrap())
        .collect();
    std::fs::write(dir.path().join("export.yaml"), text.join("\n---\n")).unwrap();
    dir
}

/// Issue 12's export, given as one file: nodes, pods and workloads but no budgets. The plan
/// must not call a node drainable that the full cluster blocks, and must say what it lacks.
#[test]
fn a_single_export_file_is_an_export_not_manifests() {
    let dir = demo_export(&[
        "nodes",
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
    ]);
    let file = dir.path().join("export.yaml");
    let file = file.to_str().unwrap();
    let full = mcp_diag(&[
        "plan",
        "-t",
        "1.30",
        "-o",
        "json",
        "../../../examples/demo-cluster",
    ]);
    let full: serde_json::Value = serde_json::from_str(&full.stdout).unwrap();
    let run = mcp_diag(&["plan", "-t", "1.30", "-o", "json", file]);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        plan["source"].as_str().unwrap().starts_with("export:"),
        "{}",
        plan["source"]
    );
    assert!(
        plan["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "PodDisruptionBudget"),
        "{}",
        plan["incomplete"]
    );
    let status = |p: &serde_json::Value| -> std::collections::BTreeMap<String, String> {
        p["waves"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|w| w["nodes"].as_array().unwrap())
            .map(|n| {
                (
                    n["name"].as_str().unwrap().to_owned(),
                    n["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (full, partial) = (status(&full), status(&plan));
    for (node, verdict) in &partial {
        assert!(
            verdict != "drainable" || full[node] == "drainable",
            "{node} is drainable from the export but {} in the full cluster",
            full[node]
        );
    }
    assert!(partial.values().any(|v| v == "unknown"), "{partial:?}");

    // The FlowSchemas as exported: listed at whatever the client asked for, not evidence.
    let dir = demo_export(&["flowschemas"]);
    let file = dir.path().join("export.yaml");
    let json = scan_json(&["scan", "-t", "1.32", "-o", "json", file.to_str().unwrap()]);
    let removed = findings(&json)
        .iter()
        .filter(|f| f["check"] == "api-removed" && f["evidence"] == "stored object")
        .count();
    assert_eq!(removed, 0, "{:#?}", findings(&json));
}
