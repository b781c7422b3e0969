//! `mcp-diag plan`: exit statuses, the JSON contract, the table, bad arguments.

use std::path::Path;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.snapshot()))
    }
}

/// Runs the binary from the repository root (so that `examples/` resolves), with a fixed
/// width, no colour and a fixed date.
fn mcp_diag(args: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        // A pinned clock: ages in findings ("6d 4h ago") must not move between two runs.
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

const SMALL: &str = "crates/cli/tests/fixtures/plan-small";

fn node<'v>(json: &'v serde_json::Value, name: &str) -> &'v serde_json::Value {
    json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

#[test]
fn demo_cluster_is_blocked_by_its_budget() {
    let run = mcp_diag(&[
        "plan",
        "--target-version",
        "1.32",
        "examples/demo-cluster",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    let json = run.json();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["verdict"], "blocked");
    let hops: Vec<String> = json["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}->{}", h["from"].as_str().unwrap(), h["to"].as_str().unwrap()))
        .collect();
    assert_eq!(hops, vec!["1.29->1.30", "1.30->1.31", "1.31->1.32"]);
    // Each hop only lists what appears at that hop: the control-plane skew is 1.31's. (The
    // v1beta3 flow-control removal at 1.32 is high, not a blocker: its evidence is the
    // last-applied annotation, and the stored objects are served at v1 whatever they were
    // listed at.)
    let checks = |i: usize| -> Vec<String> {
        json["hops"][i]["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["check"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(checks(1).iter().any(|c| c == "skew-control-plane"));
    assert!(!checks(0).iter().any(|c| c == "skew-control-plane"));
    assert!(!checks(2).iter().any(|c| c == "api-removed"));
    assert!(checks(0).iter().any(|c| c == "pdb-blocks-drain"));
    // The planted budget: payment's minAvailable 3 over 3 replicas.
    let blocked = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .find(|n| {
            n["blockers"].as_array().unwrap().iter().any(|b| {
                b["kind"] == "pdb" && b["object"]["name"] == "payment" && b["object"]["namespace"] == "shop"
            })
        })
        .expect("a node blocked by shop/payment");
    assert_eq!(blocked["drainable"], false);
    assert_eq!(blocked["status"], "blocked");
    let message = blocked["blockers"][0]["message"].as_str().unwrap();
    assert!(message.contains("allows 0 disruptions"), "{message}");
    // Control plane first, one per batch.
    let cp = &json["waves"][0];
    assert_eq!(cp["name"], "control-plane");
    assert!(
        cp["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["control_plane"] == true)
    );
    // Bad input in the demo is explained once, not per pod.
    let notes = json["notes"].as_array().unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.as_str().unwrap().contains("cpu or memory"))
            .count(),
        1
    );
}

#[test]
fn demo_cluster_table() {
    let run = mcp_diag(&["plan", "--target-version", "1.32", "examples/demo-cluster"]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    assert!(run.stdout.contains("Upgrade plan for demo"));
    assert!(run.stdout.contains("1.31 → 1.32"));
    assert!(
        run.stdout
            .contains("[pdb] PodDisruptionBudget shop/payment allows 0")
    );
    assert!(run.stdout.contains("Summary:"));
}

#[test]
fn small_cluster_json_snapshot() {
    let run = mcp_diag(&["plan", SMALL, "--output", "json"]);
    assert_eq!(run.code, 3);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn small_cluster_table_snapshot() {
    let run = mcp_diag(&["plan", "--target-version", "1.32", SMALL]);
    assert_eq!(run.code, 3);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn small_cluster_waves_batches_and_order() {
    let run = mcp_diag(&[
        "plan",
        SMALL,
        "-o",
        "json",
        "--waves",
        "50%,100%",
        "--max-unavailable",
        "2",
        "--order",
        "zone=eu-1a",
    ]);
    let json = run.json();
    let waves = json["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 3, "{}", run.snapshot());
    // The zone=eu-1a workers first (worker-1, worker-3), in one batch of two.
    let first: Vec<&str> = waves[1]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(first, vec!["worker-1", "worker-3"]);
    assert_eq!(waves[1]["nodes"][0]["batch"], waves[1]["nodes"][1]["batch"]);
    assert!(
        waves[1]["nodes"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--order zone=eu-1a")
    );
    // Named order.
    let run = mcp_diag(&["plan", SMALL, "-o", "json", "--order", "worker-3,worker-2"]);
    let json = run.json();
    let workers: Vec<&str> = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(workers, vec!["worker-3", "worker-2", "worker-1"]);
    // worker-2 holds checkout alone under minAvailable 1: blocked, with advice.
    let w2 = node(&json, "worker-2");
    assert_eq!(w2["drainable"], false);
    assert!(
        w2["blockers"][0]["message"]
            .as_str()
            .unwrap()
            .contains("scale Deployment checkout to 2")
    );
}

#[test]
fn bad_arguments_exit_1_with_a_hint() {
    for (args, want) in [
        (vec!["plan", SMALL, "--waves", "50%,10%"], "must increase"),
        (vec!["plan", SMALL, "--waves", "lots"], "not a percentage"),
        (vec!["plan", SMALL, "--order", "=x"], "no label key"),
        (
            vec!["plan", SMALL, "--target-version", "banana"],
            "--target-version",
        ),
        (vec!["plan", SMALL, "--target-version", "1.30"], "downgrades"),
        (
            vec!["plan", "does/not/exist", "--target-version", "1.32"],
            "does/not/exist",
        ),
        (
            vec![
                "plan",
                "--target-version",
                "1.32",
                "--kubeconfig",
                "/nonexistent/kubeconfig",
            ],
            "kubeconfig",
        ),
        (vec!["plan", SMALL, "--context", "prod"], "one cluster"),
    ] {
        let run = mcp_diag(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.snapshot());
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("hint:") || run.stderr.contains("error:"),
            "{}",
            run.stderr
        );
    }
    let run = mcp_diag(&["plan", SMALL, "--max-unavailable", "0"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
}

#[test]
fn fail_on_blocker_still_fails_on_a_blocked_node() {
    let run = mcp_diag(&["plan", SMALL, "--fail-on", "blocker", "-o", "json"]);
    assert_eq!(run.code, 3);
}
