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
    served.emulator.set_faults(on_path(
        "^/api/v1/pods$",
        Faults {
            error_share: 1.0,
            ..Faults::default()
        },
    ));
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
    served.emulator.set_faults(on_path(
        "^/version$",
        Faults {
            error_share: 1.0,
            ..Faults::default()
        },
    ));
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
}
