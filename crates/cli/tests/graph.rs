//! `mcp-diag graph` on a small fixture cluster (tests/fixtures/services): formats, the
//! upgrade order, --target-service, declared services, bad input.

use std::path::Path;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

const CLUSTER: &str = "crates/cli/tests/fixtures/services/shop.yaml";
const CONFIG: &str = "crates/cli/tests/fixtures/services/config.yaml";

fn mcp_diag(args: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn table_lists_every_edge_with_evidence() {
    let run = mcp_diag(&["graph", CLUSTER]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("graph_table", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn mermaid_and_dot() {
    let run = mcp_diag(&["graph", CLUSTER, "--output", "mermaid", "--config", CONFIG]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("graph_mermaid", run.stdout);
    assert_eq!(
        run.stderr,
        "warning: config services.shop/web (crates/cli/tests/fixtures/services/config.yaml:7): depends on data/cache: no Service or workload data/cache in the input\n"
    );
    let run = mcp_diag(&["graph", CLUSTER, "-o", "dot"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("graph_dot", run.stdout);
}

#[test]
fn json_shape() {
    let run = mcp_diag(&["graph", CLUSTER, "-o", "json", "--config", CONFIG]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["cycles"], serde_json::json!([["cp/registry", "cp/sync"]]));
    let postgres = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "postgres")
        .unwrap();
    assert_eq!(postgres["version"], "16.4.0", "the config's version wins");
    assert_eq!(postgres["version_source"], "config");
    let to_missing = doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to_name"] == "data/cache")
        .unwrap();
    assert_eq!(to_missing["protocol"], "redis");
    assert_eq!(
        to_missing["evidence"][0]["object"], "Deployment shop/web",
        "the workload that loads the ConfigMap"
    );
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1);
}

#[test]
fn order_and_target_service() {
    let run = mcp_diag(&["graph", CLUSTER, "--order"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "1. cp/registry v0.14.2, cp/sync v2.3.1  (a cycle: upgrade together, or keep both versions compatible)\n\
         2. data/postgres v16.4\n\
         3. shop/payment-gw v1.9.4\n\
         4. shop/web v1.4.0\n\
         5. shop/nightly-report v0.3.0\n"
    );
    // A workload name maps to the Service selecting it; direct cuts to one hop.
    let run = mcp_diag(&[
        "graph",
        CLUSTER,
        "--target-service",
        "shop/nightly-report",
        "--dependency",
        "direct",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nightly-report", "web"]);
    let run = mcp_diag(&[
        "graph",
        CLUSTER,
        "--target-service",
        "shop/nightly-report",
        "-o",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["nightly-report", "web", "postgres", "payment-gw", "cache"]
    );
    let run = mcp_diag(&["graph", CLUSTER, "--target-service", "shop/payment", "--order"]);
    assert_eq!(run.stdout, "(no service dependencies found: no order to give)\n");
}

#[test]
fn a_directory_of_manifests_reads_like_its_files() {
    // The fixture directory (with its two config files, which hold no Kubernetes objects and
    // are skipped as such) gives the same graph as the one manifest file.
    let file = mcp_diag(&["graph", CLUSTER, "-o", "json"]);
    let dir = mcp_diag(&["graph", "crates/cli/tests/fixtures/services", "-o", "json"]);
    assert_eq!(dir.code, 0, "{}", dir.stderr);
    assert_eq!(file.stdout, dir.stdout);
}

#[test]
fn bad_input_exits_1_with_advice() {
    let run = mcp_diag(&["graph", CLUSTER, "--target-service", "shop/wbe"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("--target-service shop/wbe: no Service or workload of that name"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did you mean shop/web"), "{}", run.stderr);
    let run = mcp_diag(&["graph", CLUSTER, "--target-service", "web"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("expected NS/NAME"), "{}", run.stderr);
    let run = mcp_diag(&[
        "graph",
        CLUSTER,
        "--config",
        "crates/cli/tests/fixtures/services/bad-config.yaml",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "crates/cli/tests/fixtures/services/bad-config.yaml:4:20: services.shop/web.requires.payment-gw: unknown key \"apii\" (did you mean api?)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn plan_notes_the_service_upgrade_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    for file in ["cluster.yaml", "objects.yaml"] {
        std::fs::copy(
            root.join("crates/cli/tests/fixtures/plan-small").join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    let notes = |path: &str| -> Vec<String> {
        let run = mcp_diag(&["plan", path, "-o", "json", "--fail-on", "none"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .filter(|n| n.starts_with("service upgrade order"))
            .map(str::to_owned)
            .collect()
    };
    let path = dir.path().to_str().unwrap().to_owned();
    assert!(notes(&path).is_empty(), "no service edges, no note");
    std::fs::copy(root.join(CLUSTER), dir.path().join("shop.yaml")).unwrap();
    assert_eq!(
        notes(&path),
        [
            "service upgrade order (providers first): {cp/registry, cp/sync} -> data/postgres -> shop/payment-gw -> shop/web -> shop/nightly-report"
        ]
    );
}
