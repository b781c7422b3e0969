//! End-to-end tests of the `mcp-diag` binary: exit statuses, output formats, bad input.
//! Output that is the product is kept as insta snapshots (`cargo insta review` to update).

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
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

fn mcp_diag(args: &[&str]) -> Run {
    mcp_diag_with_stdin(args, "")
}

fn mcp_diag_with_stdin(args: &[&str], stdin: &str) -> Run {
    run_in("tests", args, stdin)
}

/// Runs the binary in `dir` (relative to this crate) with a fixed terminal width, no colour
/// and a fixed scan date, so that output is stable.
fn run_in(dir: &str, args: &[&str], stdin: &str) -> Run {
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        // A pinned clock: ages in findings ("6d 4h ago") must not move between two runs.
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn scan_manifests_table() {
    let run = mcp_diag(&["scan", "--target-version", "1.32", "fixtures/manifests"]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn scan_manifests_json() {
    let run = mcp_diag(&[
        "scan",
        "--target-version",
        "1.32",
        "--output",
        "json",
        "fixtures/manifests",
    ]);
    assert_eq!(run.code, 3);
    let json = run.json();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["target_version"], "1.32");
    assert_eq!(json["clusters"][0]["name"], "manifests");
    assert_eq!(json["clusters"][0]["objects"], 6);
    assert_eq!(json["clusters"][0]["files"], 3);
    assert_eq!(json["summary"]["blocker"], 4);
    let value = json.to_string().replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    insta::assert_json_snapshot!(serde_json::from_str::<serde_json::Value>(&value).unwrap());
}

#[test]
fn scan_stdin() {
    let yaml = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n  namespace: ops\n";
    let run = mcp_diag_with_stdin(&["scan", "-t", "1.25", "-o", "json", "-"], yaml);
    assert_eq!(run.code, 3);
    let f = &run.json()["clusters"][0]["findings"][0];
    assert_eq!(f["check"], "api-removed");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(f["object"]["name"], "nightly");
}

#[test]
fn scan_snapshot_defaults_the_target_to_the_next_minor() {
    let run = mcp_diag(&["scan", "fixtures/snapshot"]);
    insta::assert_snapshot!(run.snapshot());
    let json = mcp_diag(&["scan", "-o", "json", "fixtures/snapshot"]).json();
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["name"], "fixture");
    assert_eq!(cluster["source"], "snapshot:fixtures/snapshot");
    assert_eq!(cluster["server_version"], "1.29.4-eks-1234abcd");
    assert_eq!(cluster["target_version"], "1.30");
    assert_eq!(cluster["target_version_source"], "default");
    let checks: Vec<&str> = cluster["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .filter(|c| c.starts_with("api-"))
        .collect();
    assert_eq!(checks, ["api-removed", "api-deprecated"]);
    assert_eq!(cluster["findings"][0]["evidence"], "last-applied annotation");
}

#[test]
fn scan_snapshot_across_several_hops() {
    let json = mcp_diag(&["scan", "-t", "1.32", "-o", "json", "fixtures/snapshot"]).json();
    let findings = json["clusters"][0]["findings"].as_array().unwrap();
    let flow = findings
        .iter()
        .find(|f| f["object"]["kind"] == "FlowSchema")
        .unwrap();
    assert_eq!(flow["check"], "api-removed");
    assert_eq!(flow["severity"], "blocker");
    assert!(flow["message"].as_str().unwrap().contains("1.31 → 1.32 hop"));
    assert_eq!(flow["location"]["file"], "fixtures/snapshot/flowschemas.yaml");
    assert_eq!(flow["location"]["line"], 4);
}

#[test]
fn manifests_need_a_target_version() {
    let run = mcp_diag(&["scan", "fixtures/manifests"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn bad_arguments_exit_1() {
    for args in [
        &["scan", "-t", "latest", "fixtures/clean"][..],
        &["scan", "-t", "1.32", "fixtures/does-not-exist.yaml"],
        &[
            "scan",
            "-t",
            "1.32",
            "fixtures/does-not-exist.yaml",
            "fixtures/nor-this",
        ],
        &["scan", "-t", "1.28", "fixtures/snapshot"],
        &["explain", "no-such-check"],
        &["scan"],
        &["scan", "--fail-on", "bogus", "fixtures/clean"],
        &["scan", "--output", "xml", "fixtures/clean"],
        &["no-such-command"],
    ] {
        let run = mcp_diag(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.snapshot());
        assert!(!run.stderr.is_empty());
    }
    let run = mcp_diag(&["scan", "-t", "1.28", "fixtures/snapshot"]);
    assert!(run.stderr.contains("downgrades"), "{}", run.stderr);
}

#[test]
fn exit_statuses_follow_fail_on() {
    assert_eq!(mcp_diag(&["scan", "-t", "1.32", "fixtures/clean"]).code, 0);
    // Only a medium finding (deprecated, not removed) at 1.30.
    let only_medium = ["scan", "-t", "1.30", "fixtures/manifests/legacy.yaml"];
    let run = mcp_diag(&only_medium);
    assert_eq!(
        run.code, 3,
        "the 1.16 and 1.25 removals are blockers: {}",
        run.stdout
    );
    let flow = "fixtures/snapshot";
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.29", "--fail-on", "medium", flow]).code,
        2
    );
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.29", "--fail-on", "high", flow]).code,
        2,
        "last-applied removal is high"
    );
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.29", "--fail-on", "blocker", flow]).code,
        0
    );
    assert_eq!(mcp_diag(&["--help"]).code, 0);
    assert_eq!(mcp_diag(&["--version"]).code, 0);
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.32", "--fail-on", "blocker", flow]).code,
        3
    );
}

#[test]
fn bad_input_is_reported_and_the_rest_scanned() {
    let run = mcp_diag(&["scan", "-t", "1.25", "-o", "json", "fixtures/broken"]);
    assert_eq!(run.code, 3);
    let json = run.json();
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["files"], 4);
    assert_eq!(cluster["objects"], 2);
    let invalid: Vec<&serde_json::Value> = cluster["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "input-invalid")
        .collect();
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[0]["location"]["file"], "fixtures/broken/bad.yaml");
    assert_eq!(invalid[0]["location"]["line"], 8);
    assert_eq!(invalid[0]["severity"], "high");
    assert_eq!(invalid[1]["location"]["file"], "fixtures/broken/nokind.yaml");
    assert!(
        cluster["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["object"]["name"] == "nightly")
    );
}

#[test]
fn explain_prints_the_documentation() {
    let run = mcp_diag(&["explain", "api-removed"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
    let list = mcp_diag(&["explain"]);
    for id in ["api-removed", "api-deprecated", "input-invalid", "input-skipped"] {
        assert!(list.stdout.contains(id));
    }
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let plain = mcp_diag(&["scan", "-t", "1.32", "fixtures/manifests"]);
    assert!(!plain.stdout.contains('\x1b'));
    let colored = mcp_diag(&["scan", "-t", "1.32", "--color", "always", "fixtures/manifests"]);
    assert!(colored.stdout.contains("\x1b["));
}

fn at_repo_root(args: &[&str]) -> Run {
    run_in("../..", args, "")
}

/// The README's first command: the bundled demo prints a useful report.
#[test]
fn demo_cluster_report() {
    let run = at_repo_root(&["scan", "examples/demo-cluster"]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn demo_cluster_to_1_32_finds_the_planted_removals() {
    let json = at_repo_root(&["scan", "-t", "1.32", "-o", "json", "examples/demo-cluster"]).json();
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["name"], "demo");
    assert_eq!(cluster["server_version"], "1.29.4");
    assert!(cluster["objects"].as_u64().unwrap() > 700);
    let found: Vec<(String, String, String)> = cluster["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "api-removed")
        .map(|f| {
            let o = &f["object"];
            (
                o["kind"].as_str().unwrap().to_owned(),
                o["name"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (kind, name, severity) in [
        ("FlowSchema", "platform-controllers", "blocker"),
        ("FlowSchema", "platform-api-gateway", "blocker"),
        ("PriorityLevelConfiguration", "platform-controllers", "blocker"),
        ("HorizontalPodAutoscaler", "order", "high"),
        ("PodDisruptionBudget", "payment", "high"),
        ("Ingress", "shop", "high"),
        ("CronJob", "reports", "high"),
        ("ManagedCluster", "staging", "high"),
    ] {
        assert!(
            found.contains(&(kind.into(), name.into(), severity.into())),
            "{kind} {name} missing: {found:?}"
        );
    }
    assert_eq!(found.len(), 8);
}

#[test]
fn manifests_demo() {
    let json = at_repo_root(&["scan", "-t", "1.29", "-o", "json", "examples/manifests"]).json();
    assert_eq!(json["summary"]["blocker"], 7);

    let findings = json["clusters"][0]["findings"].as_array().unwrap();
    assert_eq!(
        findings.iter().filter(|f| f["check"] == "api-deprecated").count(),
        1
    );
    assert!(
        findings.iter().all(|f| f["object"]["kind"] != "Widget"),
        "custom resources are never reported"
    );
}

#[test]
fn organisation_rules_from_a_file() {
    let json = at_repo_root(&[
        "scan",
        "--rules",
        "examples/rules.yaml",
        "-o",
        "json",
        "examples/demo-cluster",
    ])
    .json();
    let ids: Vec<&str> = json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["evidence"] == "rules file")
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["velero-csi-snapshots-broken", "coredns-ndots-regression"]);
    let broken = mcp_diag(&[
        "scan",
        "--rules",
        "fixtures/manifests/custom.yaml",
        "-t",
        "1.30",
        "fixtures/clean",
    ]);
    assert_eq!(broken.code, 1);
    assert!(broken.stderr.contains("invalid rules file"), "{}", broken.stderr);
}

#[test]
fn data_prints_the_knowledge_with_sources() {
    let list = mcp_diag(&["data"]);
    assert_eq!(list.code, 0);
    assert!(list.stdout.contains("api-removals"));
    let json: serde_json::Value =
        serde_json::from_str(&mcp_diag(&["data", "api-removals", "-o", "json"]).stdout).unwrap();
    let rows = json.as_array().unwrap();
    assert!(rows.len() > 100);
    let cronjob = rows
        .iter()
        .find(|r| r["group"] == "batch" && r["version"] == "v1beta1" && r["kind"] == "CronJob")
        .unwrap();
    assert_eq!(cronjob["removed_in"], "1.25");
    assert!(
        cronjob["source"]
            .as_str()
            .unwrap()
            .contains("kubernetes-validate")
    );
    let table = mcp_diag(&["data", "api-removals"]);
    assert!(table.stdout.contains("batch v1beta1 CronJob"));
    assert!(table.stdout.contains("source: "));
    assert_eq!(mcp_diag(&["data", "no-such-table"]).code, 1);
}

#[test]
fn every_knowledge_table_prints_with_sources() {
    let list = mcp_diag(&["data", "-o", "json"]).json();
    for table in list.as_array().unwrap() {
        let name = table["name"].as_str().unwrap();
        assert!(table["rows"].as_u64().unwrap() > 0, "{name} is empty");
        let rows = mcp_diag(&["data", name, "-o", "json"]).json();
        for row in rows.as_array().unwrap() {
            let sourced = row
                .get("source")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| !s.is_empty());
            assert!(sourced, "{name}: a row without a source: {row}");
        }
        assert_eq!(mcp_diag(&["data", name]).code, 0);
    }
}

#[test]
fn config_file_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &config,
        "target_version: '1.32'\nfail_on: blocker\nchecks:\n  api-deprecated: {severity: blocker}\n  api-removed: {enabled: false}\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let json = mcp_diag(&[
        "scan",
        "--config",
        config,
        "-o",
        "json",
        "fixtures/manifests/legacy.yaml",
    ])
    .json();
    let checks: Vec<&str> = json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(!checks.contains(&"api-removed"), "{checks:?}");
    assert_eq!(json["target_version"], "1.32");
    // The FlowSchema is removed at 1.32; at 1.31 it is deprecated, overridden to blocker.
    let run = mcp_diag(&[
        "scan",
        "--config",
        config,
        "-t",
        "1.31",
        "-o",
        "json",
        "fixtures/manifests/legacy.yaml",
    ]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let flow = run.json()["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "api-deprecated")
        .cloned()
        .unwrap();
    assert_eq!(flow["severity"], "blocker");
    // Flags win over the file.
    let run = mcp_diag(&[
        "scan",
        "--config",
        config,
        "-t",
        "1.31",
        "--severity",
        "api-deprecated=low",
        "fixtures/manifests/legacy.yaml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        mcp_diag(&[
            "scan",
            "--disable",
            "no-such-check",
            "-t",
            "1.31",
            "fixtures/clean"
        ])
        .code,
        1
    );
    assert_eq!(
        mcp_diag(&[
            "scan",
            "--severity",
            "api-removed",
            "-t",
            "1.31",
            "fixtures/clean"
        ])
        .code,
        1
    );
    assert_eq!(
        mcp_diag(&["scan", "--backup-max-age", "soon", "-t", "1.31", "fixtures/clean"]).code,
        1
    );
    std::fs::write(dir.path().join("bad.yaml"), "fail_onn: high\n").unwrap();
    let bad = mcp_diag(&[
        "scan",
        "--config",
        dir.path().join("bad.yaml").to_str().unwrap(),
        "-t",
        "1.31",
        "fixtures/clean",
    ]);
    assert_eq!(bad.code, 1);
}

#[test]
fn drift_against_the_declared_state() {
    let json = at_repo_root(&[
        "scan",
        "--desired",
        "examples/demo-desired",
        "-o",
        "json",
        "examples/demo-cluster",
    ])
    .json();
    let drift: Vec<&serde_json::Value> = json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "drift-desired")
        .collect();
    assert_eq!(drift.len(), 2, "{drift:?}");
    assert!(drift.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap()
            .contains("declared 512Mi, live 768Mi")
    }));
    assert!(
        drift
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("payment-limits"))
    );
}

#[test]
fn edge_cluster_shows_what_the_big_demo_cannot() {
    let json = at_repo_root(&["scan", "-o", "json", "examples/edge-cluster"]).json();
    let checks: Vec<&str> = json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    for id in [
        "backup-velero-missing",
        "workload-single-replica",
        "sts-not-ready",
        "pv-pvc-mismatch",
    ] {
        assert!(checks.contains(&id), "{id} missing: {checks:?}");
    }
}

#[test]
fn branch_cluster_without_backup_schedules() {
    let json = at_repo_root(&["scan", "-o", "json", "examples/branch-cluster"]).json();
    let checks: Vec<&str> = json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"backup-no-schedule"), "{checks:?}");
    assert!(!checks.contains(&"backup-velero-missing"), "{checks:?}");
}

/// The shipped ClusterRole is read-only and keeps Secrets out of the main role.
#[test]
fn readonly_clusterrole_grants_no_writes_and_no_secrets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mcp-diag-readonly-clusterrole.yaml");
    let text = std::fs::read_to_string(&root).unwrap();
    let roles: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    assert_eq!(roles.len(), 2);
    for role in &roles {
        assert_eq!(role["kind"], "ClusterRole");
        for rule in role["rules"].as_array().unwrap() {
            for verb in rule["verbs"].as_array().unwrap() {
                assert!(["get", "list"].contains(&verb.as_str().unwrap()), "{rule}");
            }
        }
    }
    let main = &roles[0];
    assert_eq!(main["metadata"]["name"], "mcp-diag-readonly");
    for rule in main["rules"].as_array().unwrap() {
        let core = rule["apiGroups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == ""));
        if core {
            let resources = rule["resources"].as_array().unwrap();
            assert!(!resources.iter().any(|r| r == "secrets" || r == "*"), "{rule}");
        }
    }
    let metrics = main["rules"].as_array().unwrap().iter().any(|r| {
        r["nonResourceURLs"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u == "/metrics"))
    });
    assert!(metrics, "reading /metrics gives the usage evidence");
}
