//! `scan` on a small cluster whose services call each other (tests/fixtures/services-scan,
//! see its README): the five `dep-*` checks, `--target-service` with its dependency table,
//! `--config` with a `services:` section, and an unknown service.

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
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the binary in the fixture directory, with a fixed width, date and no colour.
fn scan(args: &[&str]) -> Run {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/services-scan");
    let mut all = vec!["scan", "."];
    all.extend_from_slice(args);
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "140")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(&all)
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    support::check_scan_json(&all, &run.stdout);
    run
}

/// `(check, severity, object name)` of the `dep-*` findings of a JSON report.
fn dep_findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"].as_str().unwrap().starts_with("dep-"))
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["object"]["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn checks(report: &serde_json::Value) -> Vec<String> {
    report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_full_scan_finds_each_planted_dependency_problem_once() {
    let run = scan(&["-o", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let found = dep_findings(&report);
    let expected: Vec<(String, String, String)> = [
        ("dep-api-mismatch", "blocker", "user-auth"),
        ("dep-cycle", "medium", "registry"),
        ("dep-missing", "high", "recommendation"),
        ("dep-protocol-mismatch", "high", "order"),
        ("dep-undeclared-egress", "low", "checkout"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(found, expected);
    assert!(
        report["clusters"][0].get("services").is_none(),
        "no services without --target-service"
    );
    // The evidence is in the words.
    let findings = report["clusters"][0]["findings"].as_array().unwrap();
    let protocol = findings
        .iter()
        .find(|f| f["check"] == "dep-protocol-mismatch")
        .unwrap();
    assert!(
        protocol["message"]
            .as_str()
            .unwrap()
            .contains("env PAYMENT_URL=http://payment-gw.shop.svc:9090"),
        "{protocol}"
    );
}

#[test]
fn target_service_with_all_dependencies_prints_the_table() {
    let run = scan(&["--target-service", "shop/user-auth", "--dependency", "all"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn target_service_keeps_its_own_findings_and_the_cluster_wide_ones() {
    let run = scan(&["--target-service", "shop/order-svc", "-o", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    let found = dep_findings(&report);
    assert_eq!(
        found,
        [(
            "dep-protocol-mismatch".to_owned(),
            "high".to_owned(),
            "order".to_owned()
        )]
    );
    let checks = checks(&report);
    // The control plane's findings stay; backups are about the whole cluster too.
    assert!(checks.contains(&"version-hops".to_owned()), "{checks:?}");
    let services = &report["clusters"][0]["services"];
    assert_eq!(services["target"], "shop/order-svc");
    assert_eq!(services["dependency"], "direct");
    let pairs: Vec<(String, String, String)> = services["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap().to_owned(),
                p["port"].to_string(),
                p["risk"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("data/postgres".to_owned(), "5432".to_owned(), "none".to_owned()),
            ("shop/payment-gw".to_owned(), "9090".to_owned(), "high".to_owned()),
        ]
    );
    let payment = &services["pairs"][1];
    assert_eq!(payment["protocol"], "http");
    assert_eq!(payment["consumer_version"], "3.4.0");
    assert_eq!(payment["provider_version"], "5.0.1");
    assert_eq!(payment["findings"][0]["check"], "dep-protocol-mismatch");
}

#[test]
fn direct_and_all_differ_by_the_closure() {
    // checkout -> order-svc -> payment-gw: direct stops at order-svc.
    let direct = scan(&["--target-service", "shop/checkout", "-o", "json"]).json();
    let all = scan(&[
        "--target-service",
        "shop/checkout",
        "--dependency",
        "all",
        "-o",
        "json",
    ])
    .json();
    let providers = |r: &serde_json::Value| -> Vec<String> {
        r["clusters"][0]["services"]["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} -> {}",
                    p["consumer"].as_str().unwrap(),
                    p["provider"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        providers(&direct),
        [
            "shop/checkout -> shop/order-svc",
            "shop/checkout -> shop/payment-gw"
        ]
    );
    assert_eq!(
        providers(&all),
        [
            "shop/checkout -> shop/order-svc",
            "shop/checkout -> shop/payment-gw",
            "shop/order-svc -> data/postgres",
            "shop/order-svc -> shop/payment-gw",
        ]
    );
    // The order's protocol mismatch is in the closure, not among the direct findings.
    assert!(
        !dep_findings(&direct)
            .iter()
            .any(|f| f.0 == "dep-protocol-mismatch")
    );
    assert!(dep_findings(&all).iter().any(|f| f.0 == "dep-protocol-mismatch"));
    assert!(
        dep_findings(&direct)
            .iter()
            .any(|f| f.0 == "dep-undeclared-egress")
    );
}

#[test]
fn a_workload_name_finds_its_service() {
    let run = scan(&["--target-service", "shop/order", "-o", "json"]);
    assert_eq!(run.json()["clusters"][0]["services"]["target"], "shop/order-svc");
}

#[test]
fn an_unknown_service_is_an_error_with_did_you_mean() {
    let run = scan(&["--target-service", "shop/user-auht"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "--target-service shop/user-auht: services-scan has no Service or workload of that name"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean shop/user-auth"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_config_services_section_reaches_the_checks() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &config,
        "fail_on: high\nservices:\n  shop/order:\n    requires:\n      payment-gw: {version: \">=6.0\"}\n",
    )
    .unwrap();
    let run = scan(&[
        "--config",
        config.to_str().unwrap(),
        "--target-service",
        "shop/order-svc",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let found = dep_findings(&report);
    assert!(
        found.contains(&(
            "dep-api-mismatch".to_owned(),
            "blocker".to_owned(),
            "order".to_owned()
        )),
        "{found:?}"
    );
    // A config whose services: section does not read is exit 1 with its line.
    std::fs::write(
        &config,
        "services:\n  shop/order:\n    requires:\n      payment-gw: {apii: v1}\n",
    )
    .unwrap();
    let run = scan(&["--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("mcp-diag.yaml:4"), "{}", run.stderr);
}

#[test]
fn dependency_needs_a_target_service() {
    let run = scan(&["--dependency", "all"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--target-service"), "{}", run.stderr);
}

#[test]
fn a_cycle_made_by_the_config_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp-diag.yaml");
    // order calls payment-gw (env); the config says payment-gw calls order back.
    std::fs::write(
        &config,
        "fail_on: high\nservices:\n  shop/payment-gw:\n    depends_on: [shop/order-svc]\n",
    )
    .unwrap();
    let run = scan(&["--config", config.to_str().unwrap(), "-o", "json"]);
    assert_ne!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let cycle = report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "dep-cycle" && f["message"].as_str().unwrap_or("").contains("order"))
        .unwrap_or_else(|| panic!("no dep-cycle with order: {}", run.stdout));
    let message = cycle["message"].as_str().unwrap();
    assert!(message.contains("mcp-diag.yaml:3"), "{message}");
}
