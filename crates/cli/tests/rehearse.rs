//! `mcp-diag rehearse` on the demo cluster: the timeline a user reads, as snapshots.

use std::path::Path;

use assert_cmd::Command;

fn mcp_diag(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("NO_COLOR", "1")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The starter that `init --upgrade` prints, in a file.
fn starter(dir: &tempfile::TempDir) -> String {
    let (code, text, err) = mcp_diag(&["init", "--upgrade"]);
    assert_eq!(code, 0, "{err}");
    let path = dir.path().join("upgrade.yaml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const SKIP_NODE: &str = "crates/cli/tests/fixtures/rehearse/skip-node.yaml";

#[test]
fn the_starter_rehearses_the_demo_and_stops_where_the_plan_said() {
    let dir = tempfile::tempdir().unwrap();
    let config = starter(&dir);
    let (code, out, err) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--config",
        &config,
        "--inject",
        "errors=8%@wave2",
        "--inject",
        "node-hang=worker-a2",
        "--timeline",
        "200",
    ]);
    // The real run would be refused at pre-flight (3); the rehearsal says so and goes on.
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("`mcp-diag upgrade --execute` would not start"),
        "{out}"
    );
    insta::assert_snapshot!("demo_starter", out);
}

#[test]
fn errors_in_the_last_wave_roll_it_back() {
    let (code, out, err) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--config",
        SKIP_NODE,
        "--inject",
        "errors=8%@wave4",
        "--timeline",
        "200",
        "-o",
        "json",
    ]);
    assert_eq!(code, 3, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["outcome"], "rolled-back");
    let fired: Vec<&serde_json::Value> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["fired_at"].is_null())
        .collect();
    assert_eq!(fired.len(), 1, "{out}");
    assert_eq!(fired[0]["name"], "error-rate");
    let b2 = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "worker-b2")
        .unwrap();
    assert_eq!(b2["state"], "rolled-back");
    assert_eq!(b2["final_version"], b2["from_version"]);
    assert_eq!(b2["cordoned"], false);
    assert!(!report["rollback"]["finished_at"].is_null());
    assert_eq!(report["preflight"]["would_start"], false);
    let (_, table, _) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--config",
        SKIP_NODE,
        "--inject",
        "errors=8%@wave4",
        "--timeline",
        "200",
    ]);
    insta::assert_snapshot!("demo_rolled_back", table);
}

#[test]
fn a_crash_mid_upgrade_is_resumed_to_the_same_end() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "rehearse",
            "examples/demo-cluster",
            "-t",
            "1.32",
            "--config",
            SKIP_NODE,
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        let (_, out, err) = mcp_diag(&args);
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{e}: {err}"))
    };
    let clean = run(&[]);
    let crashed = run(&["--inject", "crash@upgrading:worker-b2"]);
    assert_eq!(crashed["crashes"], 1);
    assert_eq!(crashed["outcome"], clean["outcome"]);
    assert_eq!(crashed["nodes"], clean["nodes"]);
    let steps: Vec<&str> = crashed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"resumed"), "{steps:?}");
}

#[test]
fn bad_faults_and_configs_are_errors_with_their_place() {
    let (code, _, err) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--inject",
        "node-hang=nosuchnode",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("nosuchnode") && err.contains("worker-a1"), "{err}");
    let (code, _, err) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--inject",
        "errors=8@wave2",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("percentage"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "upgrade:\n  waves: [10%, 50%]\n  drain:\n    timeout: -5m\ngates:\n  prometheus: {url: http://p:9090}\n  rules:\n    - {name: x, query: up}\n").unwrap();
    for command in ["rehearse", "upgrade"] {
        let mut args = vec![command];
        if command == "rehearse" {
            args.push("examples/demo-cluster");
        }
        args.extend(["-t", "1.32", "--config", path.to_str().unwrap()]);
        let (code, out, err) = mcp_diag(&args);
        assert_eq!(code, 1, "{command}: {out}{err}");
        assert!(
            err.contains("bad.yaml:2:") && err.contains("upgrade.waves"),
            "{command}: {err}"
        );
        assert!(
            err.contains("bad.yaml:4:") && err.contains("upgrade.drain.timeout"),
            "{command}: {err}"
        );
        assert!(err.contains("gates.rules[0]"), "{command}: {err}");
    }
}

#[test]
fn a_paced_rehearsal_ends_as_an_instant_one() {
    let run = |speed: &str| {
        let (code, out, err) = mcp_diag(&[
            "rehearse",
            "crates/cli/tests/fixtures/upgrade-small",
            "-t",
            "1.32",
            "--config",
            SKIP_NODE,
            "--speed",
            speed,
            "-o",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    // 3000 simulated seconds a second: the simulated hour takes about 1.2 s.
    let started = std::time::Instant::now();
    let paced = run("3000");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let instant = run("0");
    assert_eq!(paced["outcome"], "succeeded");
    assert_eq!(paced["nodes"], instant["nodes"]);
}

#[test]
fn the_demo_without_faults_skips_what_the_plan_found_blocked() {
    let (code, out, err) = mcp_diag(&[
        "rehearse",
        "examples/demo-cluster",
        "-t",
        "1.32",
        "--config",
        SKIP_NODE,
        "--timeline",
        "200",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(out.contains(": succeeded"), "{out}");
    insta::assert_snapshot!("demo_no_faults", out);
}
