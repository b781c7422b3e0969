//! Live scans against an emulator with faults in front of it: a kind that fails, is
//! throttled to the end or is refused for expired credentials, a server that stops in the
//! middle, and a `/version` that answers only after a second of errors. The scan reports
//! what it could read and says, on stderr, which kinds it could not.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

fn demo() -> mcp_diag_model::Inventory {
    mcp_diag_sources::read_snapshot(&repo("examples/demo-cluster")).unwrap()
}

/// Objects of `kind` in the demo cluster.
fn demo_count(kind: &str) -> u64 {
    demo().objects.iter().filter(|o| o.kind == kind).count() as u64
}

struct Served {
    rt: tokio::runtime::Runtime,
    emulator: Emulator,
    kubeconfig: String,
    _dir: tempfile::TempDir,
}

fn serve() -> Served {
    let rt = runtime();
    let emulator = rt.block_on(Emulator::start(demo(), Options::default())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, emulator.kubeconfig("demo")).unwrap();
    Served {
        rt,
        emulator,
        kubeconfig: path.display().to_string(),
        _dir: dir,
    }
}

/// Every request on `path` answered 500.
fn failing(path: &str) -> Faults {
    on_path(
        path,
        Faults {
            error_share: 1.0,
            ..Faults::default()
        },
    )
}

fn on_path(path: &str, faults: Faults) -> Faults {
    Faults {
        path: Some(regex::Regex::new(path).unwrap()),
        ..faults
    }
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

    fn objects(&self) -> u64 {
        self.json()["clusters"][0]["objects"].as_u64().unwrap()
    }
}

fn mcp_diag(args: &[&str]) -> Run {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args(args)
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(120))
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

fn scan(served: &Served, extra: &[&str]) -> Run {
    let mut args = vec![
        "scan",
        "--kubeconfig",
        &served.kubeconfig,
        "-t",
        "1.32",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    mcp_diag(&args)
}

/// The number of objects a complete scan of the demo reports.
fn complete_objects(served: &Served) -> u64 {
    served.emulator.set_faults(Faults::default());
    let full = scan(served, &[]);
    assert_eq!(full.status, 3, "{}", full.stderr);
    assert!(!full.stderr.contains("warning: demo:"), "{}", full.stderr);
    full.objects()
}

#[test]
fn a_failing_pods_list_is_named_and_the_scan_still_reports() {
    let served = serve();
    let full = complete_objects(&served);
    served.emulator.set_faults(failing("^/api/v1/pods$"));
    let run = scan(&served, &["--timeout", "30s"]);
    assert_eq!(
        run.status, 3,
        "the demo's blockers are still found; stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("warning: demo: Pod not read (failed): listing pods (v1): HTTP 500"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("warning: demo:").count(), 1, "{}", run.stderr);
    assert_eq!(run.objects(), full - demo_count("Pod"), "no pod, everything else");
    let report = run.json();
    assert_eq!(
        incomplete_kinds(&report),
        ["Pod"],
        "the report says what it lacks"
    );
    assert_no_absence_claims(&report);
    // A gate on blockers must not pass on a read that could not run the drain checks: with
    // the demo's blocker checks disabled, the gap alone fails it; `--fail-on none` reports.
    let mut quiet = vec!["--timeout", "30s"];
    for f in report["clusters"][0]["findings"].as_array().unwrap() {
        if f["severity"] == "blocker" {
            quiet.extend(["--disable", f["check"].as_str().unwrap()]);
        }
    }
    let gated = scan(&served, &[quiet.as_slice(), &["--fail-on", "blocker"]].concat());
    assert_eq!(gated.json()["summary"]["blocker"], 0);
    assert_eq!(
        gated.status, 2,
        "an incomplete read is not a pass: {}",
        gated.stderr
    );
    let report_only = scan(&served, &[quiet.as_slice(), &["--fail-on", "none"]].concat());
    assert_eq!(report_only.status, 0, "{}", report_only.stderr);
    served.rt.block_on(served.emulator.stop());
}

/// The kinds the `input-incomplete` finding names; empty when there is none.
fn incomplete_kinds(report: &serde_json::Value) -> Vec<String> {
    let findings = report["clusters"][0]["findings"].as_array().unwrap();
    let incomplete: Vec<_> = findings
        .iter()
        .filter(|f| f["check"] == "input-incomplete")
        .collect();
    assert!(incomplete.len() <= 1, "one per cluster: {incomplete:#?}");
    let Some(finding) = incomplete.first() else {
        return Vec::new();
    };
    assert_eq!(finding["severity"], "high");
    let kinds: Vec<String> = finding["details"]["kinds"]
        .as_str()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let coverage: Vec<String> = report["clusters"][0]["coverage"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] != "complete" && k["reason"] != "not-served")
        .map(|k| {
            let (group, kind) = (k["group"].as_str().unwrap(), k["kind"].as_str().unwrap());
            if group.is_empty() {
                kind.to_owned()
            } else {
                format!("{kind}.{group}")
            }
        })
        .collect();
    assert_eq!(kinds, coverage, "the finding and the coverage agree");
    kinds
}

/// With pods unread, nothing may be concluded from their absence.
fn assert_no_absence_claims(report: &serde_json::Value) {
    for f in report["clusters"][0]["findings"].as_array().unwrap() {
        let text = format!("{} {}", f["title"], f["message"]);
        assert!(!text.contains("No etcd pod"), "{text}");
        assert!(!text.contains("matches no pod"), "{text}");
    }
}

/// A pods list that failed live stays a gap in the snapshot written from that read: the
/// offline scan names it and the offline plan, like the live one, drains no node on faith.
#[test]
fn a_gap_survives_the_snapshot_and_the_plan_says_unknown() {
    let served = serve();
    served.emulator.set_faults(failing("^/api/v1/pods$"));
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let snap = snap.to_str().unwrap();
    let written = mcp_diag(&[
        "snapshot",
        "--kubeconfig",
        &served.kubeconfig,
        "--timeout",
        "30s",
        "-o",
        snap,
    ]);
    assert_eq!(
        written.status, 0,
        "a partial read is still written: {}",
        written.stderr
    );
    assert!(
        written.stderr.contains("Pod not read (failed)")
            && written.stderr.contains("INCOMPLETE: Pod not read completely"),
        "{}",
        written.stderr
    );

    let offline = mcp_diag(&["scan", snap, "-t", "1.32", "-o", "json"]);
    let report = offline.json();
    assert_eq!(incomplete_kinds(&report), ["Pod"], "{}", offline.stderr);
    assert_no_absence_claims(&report);

    let live_plan = mcp_diag(&[
        "plan",
        "--kubeconfig",
        &served.kubeconfig,
        "--timeout",
        "30s",
        "-t",
        "1.30",
        "-o",
        "json",
    ]);
    let offline_plan = mcp_diag(&["plan", snap, "-t", "1.30", "-o", "json"]);
    for (name, run) in [("live", &live_plan), ("offline", &offline_plan)] {
        let plan = run.json();
        assert_eq!(plan["summary"]["drainable"], 0, "{name}: {}", run.stdout);
        assert_eq!(plan["summary"]["unknown"], plan["summary"]["nodes"], "{name}");
        assert_ne!(plan["verdict"], "ready", "{name}");
        assert!(
            plan["incomplete"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] == "Pod"),
            "{name}: {}",
            plan["incomplete"]
        );
        assert_ne!(
            run.status, 0,
            "{name}: an incomplete plan is not a pass: {}",
            run.stderr
        );
    }
    // The same plan with every pod read has drainable nodes: the gap, not the cluster, made
    // them unknown.
    served.emulator.set_faults(Faults::default());
    let full = mcp_diag(&[
        "plan",
        "--kubeconfig",
        &served.kubeconfig,
        "--timeout",
        "30s",
        "-t",
        "1.30",
        "-o",
        "json",
    ]);
    assert!(
        full.json()["summary"]["drainable"].as_u64().unwrap() > 0,
        "{}",
        full.stdout
    );
    served.rt.block_on(served.emulator.stop());
}

#[test]
fn a_kind_throttled_to_the_end_gives_a_partial_report_in_time() {
    let served = serve();
    let full = complete_objects(&served);
    served.emulator.set_faults(on_path(
        "^/api/v1/nodes$",
        Faults {
            throttle_share: 1.0,
            ..Faults::default()
        },
    ));
    let started = Instant::now();
    let run = scan(&served, &["--timeout", "40s", "--list-timeout", "3s"]);
    // Well before the cluster's time ran out: the list's own deadline ended it.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: demo: Node not read (throttled)")
            && run.stderr.contains("throttled (HTTP 429) for"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("no answer"), "{}", run.stderr);
    assert_eq!(run.objects(), full - demo_count("Node"));
    assert_eq!(incomplete_kinds(&run.json()), ["Node"]);
    served.rt.block_on(served.emulator.stop());
}

#[test]
fn credentials_rejected_mid_scan_are_reported_as_expired_not_as_rbac() {
    let served = serve();
    served.emulator.set_faults(on_path(
        "^/apis/apps/v1/deployments$",
        Faults {
            unauthorized: true,
            ..Faults::default()
        },
    ));
    let run = scan(&served, &["--timeout", "30s"]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: demo: Deployment.apps not read (unauthorized)")
            && run.stderr.contains("expired or revoked")
            && run.stderr.contains("log in again"),
        "{}",
        run.stderr
    );
    let report = run.json();
    let checks: Vec<&str> = report["clusters"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["check"].as_str())
        .collect();
    assert!(!checks.contains(&"access-denied"), "{checks:?}");
    served.rt.block_on(served.emulator.stop());
}

#[test]
fn version_errors_for_a_second_then_an_answer_is_a_scan() {
    let served = serve();
    served.emulator.set_faults(failing("^/version$"));
    let emulator = &served.emulator;
    let run = std::thread::scope(|s| {
        let scanning = s.spawn(|| scan(&served, &["--timeout", "30s"]));
        std::thread::sleep(Duration::from_secs(1));
        emulator.set_faults(Faults::default());
        scanning.join().unwrap()
    });
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(!run.stderr.contains("warning: demo:"), "{}", run.stderr);
    assert_eq!(run.json()["clusters"][0]["server_version"], "1.29.4");
}

#[test]
fn a_server_that_stops_mid_read_names_the_unfinished_kinds() {
    let Served {
        rt,
        emulator,
        kubeconfig,
        _dir,
    } = serve();
    // Slow pages of five objects, so that the read is still listing when the server stops.
    emulator.set_faults(on_path(
        "^/api",
        Faults {
            latency: Duration::from_millis(150),
            ..Faults::default()
        },
    ));
    let before = emulator.requests();
    let run = std::thread::scope(|s| {
        let scanning = s.spawn(|| {
            mcp_diag(&[
                "scan",
                "--kubeconfig",
                &kubeconfig,
                "-t",
                "1.32",
                "-o",
                "json",
                "--timeout",
                "30s",
                "--page-size",
                "5",
            ])
        });
        // Discovery and the first pages are in when a dozen requests were answered.
        for _ in 0..1000 {
            if emulator.requests() > before + 12 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        rt.block_on(emulator.stop());
        scanning.join().unwrap()
    });
    assert_ne!(
        run.status, 1,
        "a partial read is a report, not an error: {}",
        run.stderr
    );
    let named: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| {
            l.starts_with("warning: demo: ") && (l.contains(" not read (") || l.contains(" read in part ("))
        })
        .collect();
    assert!(!named.is_empty(), "{}", run.stderr);
    assert!(
        named
            .iter()
            .all(|l| l.contains("(failed") || l.contains("; failed)") || l.contains("timed-out")),
        "{named:#?}"
    );
    assert!(run.objects() < demo().objects.len() as u64, "{}", run.stderr);
    // stderr names the first ten; the finding names them all.
    let kinds = incomplete_kinds(&run.json());
    assert!(kinds.len() >= named.len(), "{kinds:?} vs {named:#?}");
    for line in &named {
        assert!(
            kinds
                .iter()
                .any(|k| line.starts_with(&format!("warning: demo: {k} "))),
            "{line} is on stderr but not in input-incomplete: {kinds:?}"
        );
    }
}

/// A plan whose Nodes could not be read says so, not "no Node objects", and honours
/// `--list-timeout` like `scan`.
#[test]
fn a_plan_without_its_nodes_says_why() {
    let served = serve();
    served.emulator.set_faults(on_path(
        "^/api/v1/nodes$",
        Faults {
            throttle_share: 1.0,
            ..Faults::default()
        },
    ));
    let started = Instant::now();
    let run = mcp_diag(&[
        "plan",
        "--kubeconfig",
        &served.kubeconfig,
        "-t",
        "1.30",
        "--timeout",
        "40s",
        "--list-timeout",
        "3s",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the Nodes could not be read (throttled")
            && !run.stderr.contains("no Node objects"),
        "{}",
        run.stderr
    );
    served.rt.block_on(served.emulator.stop());
}

/// In a fleet, a cluster read in part is marked so in the fleet summary (JSON and table),
/// never shown as a cluster that merely has findings.
#[test]
fn a_fleet_marks_the_cluster_read_in_part() {
    let bad = serve();
    bad.emulator.set_faults(failing("^/api/v1/pods$"));
    let good = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet");
    let mut clusters = String::new();
    let mut contexts = String::new();
    for (name, url) in [("bad", bad.emulator.url()), ("good", good.emulator.url())] {
        clusters.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        contexts.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: u\n"
        ));
    }
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: bad\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    let kubeconfig = path.to_str().unwrap();
    let common = [
        "scan",
        "--kubeconfig",
        kubeconfig,
        "--all-contexts",
        "-t",
        "1.30",
        "--timeout",
        "30s",
    ];
    let json = mcp_diag(&[common.as_slice(), &["-o", "json"]].concat()).json();
    let rows = json["fleet"]["rows"].as_array().unwrap();
    assert_eq!(
        (rows[0]["name"].as_str(), rows[0]["status"].as_str()),
        (Some("bad"), Some("incomplete"))
    );
    assert_eq!(rows[1]["status"], "scanned");
    assert_eq!(
        (
            json["fleet"]["scanned"].as_u64(),
            json["fleet"]["incomplete"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let table = mcp_diag(&[common.as_slice(), &["--color", "never"]].concat());
    assert!(table.stdout.contains("2 scanned (1 in part)"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("bad ") && l.contains("(read in part)")),
        "{}",
        table.stdout
    );
    for served in [bad, good] {
        served.rt.block_on(served.emulator.stop());
    }
}
