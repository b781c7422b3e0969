//! `probe --in-cluster` end to end: the emulator runs the Job of the mcp-diag image with this
//! build's binary (as a kubelet would run the image), the report comes back through the pod's
//! log, and the Job and its ConfigMap are cleaned up.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin;
use mcp_diag_emulator::{Emulator, Options, jobs::JobRunner};
use mcp_diag_probe::testing::HttpServer;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

struct Cluster {
    rt: tokio::runtime::Runtime,
    emu: Option<Emulator>,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let inventory =
            mcp_diag_sources::read_snapshot(&repo("crates/cli/tests/fixtures/upgrade-small")).unwrap();
        let options = Options {
            job_runner: Some(JobRunner {
                binary: cargo_bin("mcp-diag"),
            }),
            ..Options::default()
        };
        let emu = rt.block_on(Emulator::start(inventory, options)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kc"), emu.kubeconfig("emu")).unwrap();
        Cluster {
            rt,
            emu: Some(emu),
            dir,
        }
    }

    fn kubeconfig(&self) -> String {
        self.dir.path().join("kc").display().to_string()
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = std::process::Command::new(cargo_bin("mcp-diag"))
            .env("NO_COLOR", "1")
            .env("MCP_DIAG_POLL_MS", "50")
            .args(args)
            .args(["--kubeconfig", &self.kubeconfig()])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Objects of a kind in the default namespace, by name, through the emulator's API.
    fn names(&self, plural: &str) -> Vec<String> {
        let url = format!(
            "{}/{}/namespaces/default/{plural}",
            self.emu.as_ref().unwrap().url(),
            if plural == "jobs" {
                "apis/batch/v1"
            } else {
                "api/v1"
            }
        );
        let body: serde_json::Value = self
            .rt
            .block_on(async { reqwest::get(&url).await.unwrap().json().await.unwrap() });
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.stop());
        }
    }
}

#[test]
fn the_probes_run_in_a_job_and_the_report_comes_back_from_its_log() {
    let cluster = Cluster::start();
    let server = HttpServer::start();
    let config = cluster.dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &config,
        format!(
            "probes:\n  - name: ok\n    url: {}\n    count: 4\n    concurrency: 2\n  - name: missing\n    url: {}\n    expect: 200\n    count: 1\n",
            server.url("/healthz"),
            server.url("/status/404")
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let (code, stdout, stderr) = cluster.run(&["probe", "--config", config, "--in-cluster", "-o", "json"]);
    assert_eq!(code, 2, "one probe fails: {stderr}\n{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["probes"], 2, "{stdout}");
    assert_eq!(report["probes"][0]["name"], "ok");
    assert_eq!(report["probes"][0]["successes"], 4, "{stdout}");
    assert_eq!(report["probes"][0]["passed"], true);
    assert_eq!(report["probes"][1]["passed"], false);
    // The Job and its ConfigMap are gone afterwards.
    assert!(
        cluster
            .names("jobs")
            .iter()
            .all(|n| !n.starts_with("mcp-diag-probe-"))
    );
    assert!(
        cluster
            .names("configmaps")
            .iter()
            .all(|n| !n.starts_with("mcp-diag-probe-"))
    );

    // The table of the same run names the failure; --keep leaves the Job to look at.
    let (code, stdout, stderr) = cluster.run(&["probe", "--config", config, "--in-cluster", "--keep"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.contains("missing"), "{stdout}");
    assert!(stdout.contains("404"), "{stdout}");
    assert!(
        cluster
            .names("jobs")
            .iter()
            .any(|n| n.starts_with("mcp-diag-probe-"))
    );
}

#[test]
fn dry_run_prints_the_job_and_creates_nothing() {
    let cluster = Cluster::start();
    let (code, stdout, stderr) = cluster.run(&[
        "probe",
        "http://user-auth.shop.svc.cluster.local/readyz",
        "--count",
        "5",
        "--in-cluster",
        "--dry-run",
        "--image",
        "registry.example.com/mcp-diag:0.1.0",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"kind\": \"Job\""), "{stdout}");
    assert!(stdout.contains("registry.example.com/mcp-diag:0.1.0"), "{stdout}");
    assert!(
        stdout.contains("user-auth.shop.svc.cluster.local/readyz"),
        "{stdout}"
    );
    assert!(stdout.contains("count: 5"), "{stdout}");
    assert!(cluster.names("jobs").is_empty());
}

#[test]
fn probes_that_need_local_files_are_refused_in_the_cluster() {
    let cluster = Cluster::start();
    let (code, _, stderr) = cluster.run(&[
        "probe",
        "https://127.0.0.1:1/",
        "--ca",
        "/etc/ssl/ca.pem",
        "--in-cluster",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("(ca, cert, key, oauth2)"), "{stderr}");
    assert!(cluster.names("jobs").is_empty());
}
