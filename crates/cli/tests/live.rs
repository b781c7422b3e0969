//! Live scans, fleets and snapshots, end to end: the `mcp-diag` binary against API-server
//! emulators on loopback ports, started by each test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

#[path = "support/schema.rs"]
mod support;
use mcp_diag_emulator::{Emulator, Faults, Options};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn emulate(rt: &tokio::runtime::Runtime, snapshot: &str) -> Emulator {
    let inventory = mcp_diag_sources::read_snapshot(&repo(snapshot)).unwrap();
    rt.block_on(Emulator::start(inventory, Options::default()))
        .unwrap()
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

fn mcp_diag(args: &[&str]) -> Run {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args(args)
        .env("MCP_DIAG_TODAY", "2026-11-25")
        // A pinned clock: ages in findings ("6d 4h ago") must not move between two runs.
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .env_remove("KUBECONFIG")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let run = Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    support::check_scan_json(args, &run.stdout);
    run
}

/// What a finding says, without where it was found (files differ between live and snapshot).
fn findings(report: &serde_json::Value) -> BTreeSet<String> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap())
        .map(|f| {
            format!(
                "{} {} {} {} | {} | {}",
                f["severity"], f["check"], f["object"], f["evidence"], f["title"], f["message"]
            )
        })
        .collect()
}

fn write_kubeconfig(dir: &Path, text: &str) -> String {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A kubeconfig with one context per (name, server URL).
fn fleet_kubeconfig(servers: &[(&str, String)]) -> String {
    let mut clusters = String::new();
    let mut contexts = String::new();
    for (name, url) in servers {
        clusters.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        contexts.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: u\n"
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: {}\nusers:\n- name: u\n  user:\n    token: t\n",
        servers[0].0
    )
}

#[test]
fn a_snapshot_of_a_live_cluster_scans_the_same() {
    let rt = runtime();
    let emulator = emulate(&rt, "examples/demo-cluster");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &emulator.kubeconfig("demo"));
    let live = mcp_diag(&["scan", "--kubeconfig", &kubeconfig, "-t", "1.32", "-o", "json"]);
    assert_eq!(live.status, 3, "the demo has blockers; stderr: {}", live.stderr);
    let snap_dir = dir.path().join("snap");
    let snap = mcp_diag(&[
        "snapshot",
        "--kubeconfig",
        &kubeconfig,
        "--output",
        snap_dir.to_str().unwrap(),
    ]);
    assert_eq!(snap.status, 0, "{}", snap.stderr);
    assert!(snap.stderr.contains("wrote"), "{}", snap.stderr);
    // The capture time comes from the pinned clock, so ages in both reports are measured from
    // the same instant.
    let cluster_yaml = std::fs::read_to_string(snap_dir.join("cluster.yaml")).unwrap();
    assert!(
        cluster_yaml.contains("capturedAt: \"2026-11-26T03:00:00Z\""),
        "{cluster_yaml}"
    );
    let offline = mcp_diag(&["scan", snap_dir.to_str().unwrap(), "-t", "1.32", "-o", "json"]);
    assert_eq!(offline.status, 3, "{}", offline.stderr);
    let (live_report, offline_report) = (live.json(), offline.json());
    assert_eq!(
        live_report["clusters"][0]["objects"],
        offline_report["clusters"][0]["objects"]
    );
    let (a, b) = (findings(&live_report), findings(&offline_report));
    let only_live: Vec<_> = a.difference(&b).collect();
    let only_offline: Vec<_> = b.difference(&a).collect();
    assert!(
        only_live.is_empty() && only_offline.is_empty(),
        "live only: {only_live:#?}\nsnapshot only: {only_offline:#?}"
    );
    // And the live read saw what the files say: the planted removals are all there. (Their
    // evidence may differ: a live server returns each object at the preferred version, so
    // a FlowSchema stored as v1beta3 in the files is read as v1 and the old version shows
    // in its last-applied annotation instead.)
    let direct = mcp_diag(&[
        "scan",
        repo("examples/demo-cluster").to_str().unwrap(),
        "-t",
        "1.32",
        "-o",
        "json",
    ]);
    let removed = |r: &serde_json::Value| -> BTreeSet<String> {
        r["clusters"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == "api-removed")
            .map(|f| f["object"].to_string())
            .collect()
    };
    assert_eq!(removed(&direct.json()), removed(&live_report));
    rt.block_on(emulator.stop());
}

#[test]
fn a_fleet_scan_reports_every_cluster_and_survives_dead_and_hanging_ones() {
    let rt = runtime();
    let demo = emulate(&rt, "examples/demo-cluster");
    let edge = emulate(&rt, "examples/edge-cluster");
    let hanging = emulate(&rt, "examples/edge-cluster");
    hanging.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(
        dir.path(),
        &fleet_kubeconfig(&[
            ("demo", demo.url()),
            ("edge", edge.url()),
            ("gone", format!("http://127.0.0.1:{closed}")),
            ("stuck", hanging.url()),
        ]),
    );
    let started = std::time::Instant::now();
    let run = mcp_diag(&[
        "scan",
        "--kubeconfig",
        &kubeconfig,
        "--all-contexts",
        "--timeout",
        "3s",
        "-t",
        "1.32",
        "-o",
        "json",
    ]);
    let elapsed = started.elapsed();
    assert_eq!(
        run.status, 3,
        "blockers in demo decide the status; stderr: {}",
        run.stderr
    );
    let report = run.json();
    let clusters = report["clusters"].as_array().unwrap();
    let names: Vec<_> = clusters.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["demo", "edge", "gone", "stuck"]);
    assert_eq!(report["fleet"]["clusters"], 4);
    assert_eq!(report["fleet"]["unreachable"], 2);
    assert!(clusters[0]["findings"].as_array().unwrap().len() > 10);
    assert!(!clusters[1]["findings"].as_array().unwrap().is_empty());
    for dead in &clusters[2..] {
        assert!(dead["error"].is_string(), "{dead}");
        assert_eq!(dead["findings"][0]["check"], "cluster-unreachable");
    }
    assert!(
        clusters[3]["error"].as_str().unwrap().contains("within"),
        "the hanging cluster timed out: {}",
        clusters[3]["error"]
    );
    // The hanging cluster cost its timeout, not the others' time on top (generous bound for a
    // loaded 2-core machine; the figure that matters is that it is not 4 × 3 s of retries).
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");

    // The same fleet by name, as a table.
    let table = mcp_diag(&[
        "scan",
        "--kubeconfig",
        &kubeconfig,
        "--context",
        "edge",
        "--context",
        "gone",
        "--timeout",
        "3s",
        "-t",
        "1.32",
        "--color",
        "never",
    ]);
    assert!(
        table
            .stdout
            .contains("Fleet: 2 clusters, 1 scanned, 1 unreachable"),
        "{}",
        table.stdout
    );
    // A cluster that was never checked is not a pass: the fleet gate fails at any threshold,
    // and only a report-only run exits 0. Without a target flag, the dead one's target is null.
    let gate = |fail_on: &str| {
        mcp_diag(&[
            "scan",
            "--kubeconfig",
            &kubeconfig,
            "--context",
            "edge",
            "--context",
            "gone",
            "--timeout",
            "3s",
            "--fail-on",
            fail_on,
            "-o",
            "json",
        ])
    };
    let blocker_gate = gate("blocker");
    assert_eq!(blocker_gate.status, 3, "{}", blocker_gate.stderr);
    let report = blocker_gate.json();
    let gone = &report["clusters"][1];
    assert_eq!(gone["name"], "gone");
    assert!(gone["target_version"].is_null(), "{gone}");
    assert_eq!(gone["target_version_source"], "unknown");
    assert_eq!(gone["findings"][0]["severity"], "blocker");
    assert_eq!(gone["findings"][0]["evidence"], "API server");
    assert_eq!(gate("none").status, 0);
    for e in [demo, edge, hanging] {
        rt.block_on(e.stop());
    }
}

#[test]
fn one_unreachable_cluster_is_an_error_that_says_what_to_do() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(
        dir.path(),
        &fleet_kubeconfig(&[("gone", format!("http://127.0.0.1:{closed}"))]),
    );
    let run = mcp_diag(&["scan", "--kubeconfig", &kubeconfig, "--timeout", "3s"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    let missing = mcp_diag(&["scan", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(missing.status, 1);
    assert!(missing.stderr.contains("kubeconfig"), "{}", missing.stderr);
    let unknown = mcp_diag(&[
        "scan",
        "--kubeconfig",
        &kubeconfig,
        "--context",
        "nope",
        "--timeout",
        "3s",
    ]);
    assert_eq!(unknown.status, 1);
    assert!(unknown.stderr.contains("nope"), "{}", unknown.stderr);
}

#[test]
fn snapshot_never_overwrites() {
    let rt = runtime();
    let emulator = emulate(&rt, "examples/edge-cluster");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &emulator.kubeconfig("edge"));
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("file"), "x").unwrap();
    let run = mcp_diag(&[
        "snapshot",
        "--kubeconfig",
        &kubeconfig,
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    rt.block_on(emulator.stop());
}

#[test]
fn an_unreachable_etcd_is_a_finding_not_a_failure() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let run = mcp_diag(&[
        "scan",
        repo("examples/edge-cluster").to_str().unwrap(),
        "--etcd-endpoint",
        &url,
        "-o",
        "json",
    ]);
    assert!(run.status == 2 || run.status == 3, "{}", run.stderr);
    let report = run.json();
    let etcd: Vec<_> = report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "etcd-unhealthy")
        .collect();
    assert_eq!(etcd.len(), 1, "{report}");
    assert_eq!(etcd[0]["severity"], "high");
    let bad = mcp_diag(&[
        "scan",
        repo("examples/edge-cluster").to_str().unwrap(),
        "--etcd-endpoint",
        "10.0.0.1:2379",
    ]);
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("https://"), "{}", bad.stderr);
}

/// A Helm 3 release Secret as the API server stores it, with `manifest` inside.
fn helm_secret(manifest: &str) -> mcp_diag_model::Object {
    let release = serde_json::json!({"name": "shop", "namespace": "web", "version": 4,
        "info": {"status": "deployed"}, "chart": {"metadata": {"name": "shop", "version": "2.1.0"}},
        "config": {"dbPassword": "s3cr3t-value"}, "manifest": manifest})
    .to_string();
    let data = mcp_diag_live::helm::encode_release(release.as_bytes());
    let json = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.shop.v4", "namespace": "web",
                     "labels": {"owner": "helm", "name": "shop", "status": "deployed", "version": "4"}},
        "data": {"release": data}});
    mcp_diag_model::Object::from_node(json, None).unwrap()
}

#[test]
fn helm_releases_are_checked_when_asked_and_survive_a_snapshot() {
    let rt = runtime();
    let mut inventory = mcp_diag_sources::read_snapshot(&repo("examples/edge-cluster")).unwrap();
    inventory.objects.push(helm_secret(
        "---\n# Source: shop/templates/ingress.yaml\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: shop\nspec:\n  backend:\n    serviceName: shop\n    servicePort: 80\n",
    ));
    let emulator = rt
        .block_on(Emulator::start(inventory, Options::default()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &emulator.kubeconfig("edge"));
    let helm_findings = |report: &serde_json::Value| -> Vec<serde_json::Value> {
        report["clusters"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["evidence"] == "Helm release")
            .cloned()
            .collect()
    };
    let without = mcp_diag(&["scan", "--kubeconfig", &kubeconfig, "-o", "json"]);
    assert!(
        helm_findings(&without.json()).is_empty(),
        "Secrets are not read unless asked"
    );
    let with = mcp_diag(&[
        "scan",
        "--kubeconfig",
        &kubeconfig,
        "--helm-releases",
        "-o",
        "json",
    ]);
    assert_eq!(with.status, 3, "{}", with.stderr);
    let found = helm_findings(&with.json());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["check"], "api-removed");
    assert_eq!(found[0]["severity"], "blocker");
    assert_eq!(found[0]["object"]["kind"], "Ingress");
    assert!(
        found[0]["location"]["file"]
            .as_str()
            .unwrap()
            .starts_with("helm:web/shop (revision 4"),
        "{}",
        found[0]["location"]
    );
    assert!(
        !with.stdout.contains("s3cr3t"),
        "no value of the release is printed"
    );

    let snap_dir = dir.path().join("snap");
    let snap = mcp_diag(&[
        "snapshot",
        "--kubeconfig",
        &kubeconfig,
        "--helm-releases",
        "-o",
        snap_dir.to_str().unwrap(),
    ]);
    assert_eq!(snap.status, 0, "{}", snap.stderr);
    assert!(snap_dir.join("helm-releases").is_dir());
    let on_disk: String = std::fs::read_dir(&snap_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        !on_disk.contains("s3cr3t") && !on_disk.contains("\"Secret\""),
        "no Secret in a snapshot"
    );
    let offline = mcp_diag(&["scan", snap_dir.to_str().unwrap(), "-o", "json"]);
    let again = helm_findings(&offline.json());
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["object"], found[0]["object"]);
    assert_eq!(again[0]["severity"], "blocker");
    rt.block_on(emulator.stop());
}

#[test]
fn a_live_plan_equals_the_plan_of_its_snapshot() {
    let rt = runtime();
    let emulator = emulate(&rt, "examples/demo-cluster");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &emulator.kubeconfig("demo"));
    let live = mcp_diag(&["plan", "--kubeconfig", &kubeconfig, "-t", "1.32", "-o", "json"]);
    assert_eq!(live.status, 3, "the demo's drains are blocked: {}", live.stderr);
    let snap_dir = dir.path().join("snap");
    let snap = mcp_diag(&[
        "snapshot",
        "--kubeconfig",
        &kubeconfig,
        "-o",
        snap_dir.to_str().unwrap(),
    ]);
    assert_eq!(snap.status, 0, "{}", snap.stderr);
    let offline = mcp_diag(&["plan", snap_dir.to_str().unwrap(), "-t", "1.32", "-o", "json"]);
    let (a, b) = (live.json(), offline.json());
    assert_eq!(a["waves"], b["waves"], "same waves, nodes, blockers and moves");
    assert_eq!(a["verdict"], b["verdict"]);
    let blocked = a["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .filter(|n| n["drainable"] == false)
        .count();
    assert!(blocked > 0);
    rt.block_on(emulator.stop());
}
