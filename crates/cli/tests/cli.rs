//! End-to-end tests of the `mcp-diag` binary: exit statuses, output formats, bad input.
//! Output that is the product is kept as insta snapshots (`cargo insta review` to update).

use std::path::Path;

use assert_cmd::Command;

#[path = "support/schema.rs"]
mod support;

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
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    support::check_scan_json(args, &run.stdout);
    run
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
    assert_eq!(json["schema_version"], 2);
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
    // A stored object's listed version is no evidence; its managedFields are: a client
    // still writes v1beta3, and its requests fail (high, not blocker).
    assert_eq!(flow["severity"], "high");
    assert_eq!(flow["evidence"], "managed fields");
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
        0,
        "the FlowSchema removed in 1.32 is known from managedFields only: high, not blocker"
    );
    assert_eq!(
        mcp_diag(&["scan", "-t", "1.32", "--fail-on", "high", flow]).code,
        2
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
    // The example case the fixture harness runs, and the finding it recorded for it (a case
    // that is a file shows its input; one that is a snapshot directory names it).
    for (id, input) in [
        ("pdb-blocks-drain", "```yaml"),
        ("dep-missing", "```yaml"),
        ("input-skipped", "snapshot directory"),
    ] {
        let run = mcp_diag(&["explain", id]);
        assert_eq!(run.code, 0);
        let example = run.stdout.split("## Example case, as the tests run it").nth(1);
        let example = example.unwrap_or_else(|| panic!("{id}: no example case:\n{}", run.stdout));
        assert!(example.contains(input), "{id}: {example}");
        assert!(
            example.contains(&format!("What {id} reports on it:\n\n```\n{id} ")),
            "{id}: {example}"
        );
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
        // Stored at v1beta3, and last applied at it: the manifest fails (high); the stored
        // objects themselves are served at v1.
        ("FlowSchema", "platform-controllers", "high"),
        ("FlowSchema", "platform-api-gateway", "high"),
        ("PriorityLevelConfiguration", "platform-controllers", "high"),
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
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let mut roles: Vec<serde_json::Value> = Vec::new();
    for file in [
        "mcp-diag-readonly-clusterrole.yaml",
        "mcp-diag-helm-releases-clusterrole.yaml",
    ] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
        assert_eq!(docs.len(), 1, "one role per file: {file}");
        roles.extend(docs);
    }
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

// ---- the report contract, the front door's flags, ignores ---------------------------------

/// Runs with `dir` as the working directory given as an absolute path (for temp dirs).
fn run_at(dir: &Path, args: &[&str], stdin: &str) -> Run {
    run_in(dir.to_str().unwrap(), args, stdin)
}

#[test]
fn every_example_report_follows_the_schema_and_its_evidence_is_closed() {
    let known: Vec<&str> = mcp_diag_model::evidence::ALL.iter().map(|(v, _)| *v).collect();
    let mut seen = std::collections::BTreeSet::new();
    for example in ["demo-cluster", "edge-cluster", "branch-cluster"] {
        let path = format!("../../../examples/{example}");
        // run_in validates every `scan -o json` against docs/report.schema.json.
        let run = mcp_diag(&["scan", "-o", "json", &path]);
        assert!(matches!(run.code, 0 | 2 | 3), "{}", run.snapshot());
        for cluster in run.json()["clusters"].as_array().unwrap() {
            for f in cluster["findings"].as_array().unwrap() {
                let evidence = f["evidence"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no evidence: {f}"));
                assert!(known.contains(&evidence), "{evidence:?} in {f}");
                seen.insert(evidence.to_owned());
            }
        }
    }
    // The demo exercises the common kinds of evidence, not one catch-all.
    for value in [
        "manifest",
        "stored object",
        "object status",
        "last-applied annotation",
        "server version",
        "container image",
        "knowledge table",
    ] {
        if value == "manifest" {
            continue; // snapshots have no manifests; the manifests fixture covers it below
        }
        assert!(seen.contains(value), "{value} never seen: {seen:?}");
    }
    let run = mcp_diag(&[
        "scan",
        "-o",
        "json",
        "-t",
        "1.32",
        "fixtures/manifests",
        "fixtures/broken",
    ]);
    let report = run.json();
    let evidence: Vec<&str> = report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["evidence"].as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"manifest") && evidence.contains(&"input"),
        "{evidence:?}"
    );
}

#[test]
fn the_schema_lists_exactly_the_evidence_values_and_refuses_others() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let listed: Vec<&str> = schema["$defs"]["evidence"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let model: Vec<&str> = mcp_diag_model::evidence::ALL.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        listed, model,
        "docs/report.schema.json and model::evidence::ALL differ"
    );
    // The validator really enforces it: a report with free-text evidence is refused.
    let run = mcp_diag(&["scan", "-o", "json", "-t", "1.32", "fixtures/manifests"]);
    let mut report = run.json();
    report["clusters"][0]["findings"][0]["evidence"] = "pod template".into();
    let result = std::panic::catch_unwind(|| support::assert_valid_report(&report));
    assert!(result.is_err(), "free-text evidence passed the schema");
}

#[test]
fn a_scan_that_reads_nothing_fails_and_says_what_it_looked_at() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let text = dir.path().join("text");
    std::fs::create_dir(&text).unwrap();
    std::fs::write(text.join("README.md"), "# notes\n").unwrap();
    std::fs::write(text.join("main.go"), "package main\n").unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), "replicas: 2\n").unwrap();
    std::fs::write(
        chart.join("templates/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    for (path, want) in [
        (&empty, "0 YAML/JSON files looked at"),
        (&text, "2 other files were skipped"),
        (&chart, "helm template"),
    ] {
        let run = run_at(dir.path(), &["scan", "-t", "1.32", path.to_str().unwrap()], "");
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(
            run.stderr.contains("no Kubernetes object was read"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(want), "{want}: {}", run.stderr);
    }
    // The reason of each unreadable input is in the error, at its line.
    let run = mcp_diag_with_stdin(
        &["scan", "-t", "1.32", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n",
    );
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("<stdin>:4"), "{}", run.stderr);
    assert!(run.stderr.contains("boolean true"), "{}", run.stderr);
    // An empty `helm template` output piped in is a failure too, whatever --fail-on says.
    let run = mcp_diag_with_stdin(&["scan", "-t", "1.32", "--fail-on", "none", "-"], "");
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("standard input"), "{}", run.stderr);
}

#[test]
fn fail_on_none_reports_without_failing_and_min_severity_filters_only_the_output() {
    let run = mcp_diag(&["scan", "-t", "1.32", "--fail-on", "none", "fixtures/manifests"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout.contains("BLOCKER"),
        "a blocker still shows:\n{}",
        run.stdout
    );

    // The JSON keeps every finding (machines filter for themselves)...
    let all = mcp_diag(&["scan", "-t", "1.32", "-o", "json", "fixtures/manifests"]);
    let filtered = mcp_diag(&[
        "scan",
        "-t",
        "1.32",
        "-o",
        "json",
        "--min-severity",
        "blocker",
        "fixtures/manifests",
    ]);
    assert_eq!(all.stdout, filtered.stdout);
    let summary = &all.json()["summary"];
    let below = summary["high"].as_u64().unwrap()
        + summary["medium"].as_u64().unwrap()
        + summary["low"].as_u64().unwrap()
        + summary["info"].as_u64().unwrap();
    assert!(below > 0);
    // ...while the table shows only blockers, keeps the real totals, and says what it hid.
    let run = mcp_diag(&[
        "scan",
        "-t",
        "1.32",
        "--min-severity",
        "blocker",
        "fixtures/manifests",
    ]);
    assert_eq!(run.code, 3, "the status still counts every finding");
    assert!(
        run.stdout.contains("BLOCKER") && !run.stdout.contains("MEDIUM"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("Not shown: {below} finding")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{} medium", summary["medium"])),
        "{}",
        run.stdout
    );
}

#[test]
fn namespace_keeps_findings_of_those_namespaces_and_cluster_wide_ones() {
    let all = mcp_diag(&["scan", "-o", "json", "../../../examples/demo-cluster"]).json();
    let run = mcp_diag(&[
        "scan",
        "-o",
        "json",
        "-n",
        "shop",
        "../../../examples/demo-cluster",
    ]);
    let some = run.json();
    let namespaces = |r: &serde_json::Value| -> std::collections::BTreeSet<String> {
        r["clusters"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["object"]["namespace"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(namespaces(&all).len() > 1, "{:?}", namespaces(&all));
    assert_eq!(namespaces(&some).into_iter().collect::<Vec<_>>(), ["shop"]);
    let cluster_wide = |r: &serde_json::Value| {
        r["clusters"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["object"]["namespace"].is_null())
            .count()
    };
    assert_eq!(cluster_wide(&some), cluster_wide(&all));
    assert!(cluster_wide(&all) > 0);
}

#[test]
fn ignores_by_annotation_and_file_are_listed_never_dropped_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    mcp-diag.io/ignore: \"probe-missing-liveness: restarts are handled by the app's supervisor\"\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ignore.yaml"),
        "- check: workload-single-replica\n  object: Deployment/shop/*\n  reason: a dev namespace, one replica on purpose\n  until: 2099-01-01\n- check: api-removed\n  object: PodDisruptionBudget/shop/web\n  reason: migrated in the next release\n  until: 2026-01-31\n",
    )
    .unwrap();
    let args = [
        "scan",
        "-t",
        "1.32",
        "-o",
        "json",
        "--ignore-file",
        "ignore.yaml",
        "app.yaml",
    ];
    let run = run_at(dir.path(), &args, "");
    let report = run.json();
    let cluster = &report["clusters"][0];
    let suppressed: Vec<(&str, &str)> = cluster["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["check"].as_str().unwrap(), s["suppressed_by"].as_str().unwrap()))
        .collect();
    assert!(
        suppressed.contains(&("probe-missing-liveness", "annotation")),
        "{suppressed:?}"
    );
    assert!(
        suppressed.contains(&("workload-single-replica", "ignore-file")),
        "{suppressed:?}"
    );
    assert_eq!(report["suppressed"], suppressed.len());
    let checks: Vec<&str> = cluster["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(!checks.contains(&"probe-missing-liveness") && !checks.contains(&"workload-single-replica"));
    // The expired ignore holds no longer: the blocker is back, and the expiry is reported.
    assert!(
        checks.contains(&"api-removed") && checks.contains(&"ignore-expired"),
        "{checks:?}"
    );
    assert_eq!(run.code, 3);

    let table = run_at(
        dir.path(),
        &["scan", "-t", "1.32", "--ignore-file", "ignore.yaml", "app.yaml"],
        "",
    );
    assert!(table.stdout.contains("Ignored: 2 findings"), "{}", table.stdout);

    let bad = run_at(
        dir.path(),
        &["scan", "-t", "1.32", "--ignore-file", "app.yaml", "app.yaml"],
        "",
    );
    assert_eq!(bad.code, 1, "{}", bad.snapshot());
    assert!(bad.stderr.contains("app.yaml"), "{}", bad.stderr);
}

#[test]
fn explain_takes_any_case_and_suggests_near_misses() {
    let run = mcp_diag(&["explain", "API-Removed"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(run.stdout.starts_with("# api-removed"));
    let run = mcp_diag(&["explain", "pdb-block-drain"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("did you mean pdb-blocks-drain"),
        "{}",
        run.stderr
    );
    let run = mcp_diag(&[
        "scan",
        "--disable",
        "probe-missing-livenes",
        "-t",
        "1.32",
        "fixtures/manifests",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("did you mean probe-missing-liveness"),
        "{}",
        run.stderr
    );
    let run = mcp_diag(&["data", "api-removal"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("did you mean api-removals"), "{}", run.stderr);
    // The list's columns line up: every title starts at the same column.
    let run = mcp_diag(&["explain"]);
    let columns: std::collections::BTreeSet<usize> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| {
            let id_end = 2 + l[2..].find(' ').unwrap();
            id_end + l[id_end..].find(|c: char| c != ' ').unwrap()
        })
        .collect();
    assert_eq!(columns.len(), 1, "{}", run.stdout);
}

#[test]
fn targets_beyond_what_the_tool_knows_are_refused_unless_allowed() {
    for target in ["2.0", "1.300", "1.39"] {
        let run = mcp_diag(&["scan", "-t", target, "fixtures/manifests"]);
        assert_eq!(run.code, 1, "{target}: {}", run.snapshot());
        assert!(run.stderr.contains("--allow-unknown-target"), "{}", run.stderr);
    }
    let run = mcp_diag(&["scan", "-t", "1.38", "fixtures/manifests"]);
    assert_ne!(run.code, 1, "one minor ahead is allowed: {}", run.snapshot());
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    let run = mcp_diag(&[
        "scan",
        "-t",
        "1.39",
        "--allow-unknown-target",
        "fixtures/manifests",
    ]);
    assert_ne!(run.code, 1, "{}", run.snapshot());
    let run = mcp_diag(&["plan", "-t", "2.0", "../../../examples/demo-cluster"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
}

#[test]
fn a_kubeconfig_beside_a_path_is_refused() {
    for command in ["scan", "plan"] {
        let run = mcp_diag(&[
            command,
            "--kubeconfig",
            "/nonexistent/config",
            "-t",
            "1.32",
            "../../../examples/demo-cluster",
        ]);
        assert_eq!(run.code, 1, "{}", run.snapshot());
        assert!(run.stderr.contains("would not be read"), "{}", run.stderr);
    }
}

#[test]
fn plan_help_offers_only_what_plan_accepts() {
    let run = mcp_diag(&["plan", "--help"]);
    assert_eq!(run.code, 0);
    for refused in ["--all-contexts", "--parallel", "context to read (repeatable"] {
        assert!(
            !run.stdout.contains(refused),
            "{refused} in plan --help:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("--context"));
}

#[test]
fn completions_and_the_manual_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = mcp_diag(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(
            run.stdout.contains("min-severity"),
            "{shell} completions lack a flag"
        );
    }
    let run = mcp_diag(&["man"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with(".ie") || run.stdout.contains(".TH mcp-diag 1"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = mcp_diag(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in ["mcp-diag.1", "mcp-diag-scan.1", "mcp-diag-plan.1"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn plan_without_nodes_and_a_namespace_that_matches_nothing_say_so() {
    let run = mcp_diag(&["plan", "-t", "1.32", "fixtures/manifests"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stderr.contains("no Node objects"), "{}", run.stderr);
    let run = mcp_diag(&[
        "scan",
        "-n",
        "no-such-namespace",
        "../../../examples/demo-cluster",
    ]);
    assert!(
        run.stderr
            .contains("--namespace \"no-such-namespace\": no object"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_ready_plan_that_exits_2_says_which_findings_count() {
    let run = mcp_diag(&["plan", "../../../examples/edge-cluster"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("the scan of the hops also finds high findings"),
        "{}",
        run.stdout
    );
}

#[test]
fn plan_applies_ignores_to_its_hop_blockers_as_scan_does() {
    let demo = "../../../examples/demo-cluster";
    let before = mcp_diag(&["plan", "-t", "1.30", "-o", "json", demo]);
    assert!(before.stdout.contains("skew-kubelet"), "{}", before.stdout);
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "- check: skew-kubelet\n  object: Node/worker-b3\n  reason: replaced by a new node pool before the upgrade\n",
    )
    .unwrap();
    let after = mcp_diag(&[
        "plan",
        "-t",
        "1.30",
        "-o",
        "json",
        "--ignore-file",
        ignore.to_str().unwrap(),
        demo,
    ]);
    assert!(!after.stdout.contains("\"skew-kubelet\""), "{}", after.stdout);
    // Only the ignored blocker went: the others of the hop are still there.
    assert!(before.stdout.contains("\"addon-unsupported\""));
    assert!(after.stdout.contains("\"addon-unsupported\""), "{}", after.stdout);
}
