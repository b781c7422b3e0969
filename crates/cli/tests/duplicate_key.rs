//! A document with a repeated mapping key is still scanned (the last value wins, as kubectl
//! reads it) and the repeat is an `input-duplicate-key` finding of its own, which can be
//! disabled and given another severity like any input finding.

use assert_cmd::Command;

const MANIFEST: &str = "\
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: old
    app: web
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.0
        image: nginx:2.0
";

fn scan(extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["scan", "-t", "1.29", "-o", "json"];
    args.extend_from_slice(extra);
    args.push("-");
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .args(&args)
        .write_stdin(MANIFEST)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

fn findings<'a>(json: &'a serde_json::Value, check: &str) -> Vec<&'a serde_json::Value> {
    json["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

#[test]
fn a_repeated_key_is_reported_and_the_object_still_scanned() {
    let (code, json) = scan(&[]);
    assert_eq!(code, 3, "api-removed is a blocker");
    assert_eq!(json["clusters"][0]["objects"], 1);
    let removed = findings(&json, "api-removed");
    assert_eq!(removed.len(), 1, "{json:#}");
    assert_eq!(removed[0]["object"]["name"], "web");
    assert!(findings(&json, "input-invalid").is_empty(), "{json:#}");
    let dups = findings(&json, "input-duplicate-key");
    assert_eq!(dups.len(), 2, "{json:#}");
    assert_eq!(dups[0]["severity"], "medium");
    assert_eq!(dups[0]["location"]["line"], 8);
    assert_eq!(dups[0]["location"]["column"], 5);
    assert_eq!(dups[0]["details"]["key"], "app");
    assert_eq!(dups[0]["details"]["path"], "metadata.labels");
    assert!(
        dups[0]["message"].as_str().unwrap().starts_with(
            "duplicate key `app` in metadata.labels (first at line 7): kubectl apply --validate=strict"
        ),
        "{}",
        dups[0]["message"]
    );
    assert_eq!(dups[1]["location"]["line"], 16);
    assert_eq!(dups[1]["details"]["path"], "spec.template.spec.containers[0]");
}

#[test]
fn the_finding_can_be_disabled_or_given_another_severity() {
    let (_, json) = scan(&["--disable", "input-duplicate-key"]);
    assert!(findings(&json, "input-duplicate-key").is_empty());
    assert_eq!(findings(&json, "api-removed").len(), 1);
    let (_, json) = scan(&["--severity", "input-duplicate-key=high"]);
    let dups = findings(&json, "input-duplicate-key");
    assert_eq!(dups.len(), 2);
    assert!(dups.iter().all(|f| f["severity"] == "high"));
}

#[test]
fn explain_documents_the_check() {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args(["explain", "input-duplicate-key"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("## Why it matters") && text.contains("--validate=strict"),
        "{text}"
    );
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .arg("explain")
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("input-duplicate-key")
    );
}
