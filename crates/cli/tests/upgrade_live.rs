//! `mcp-diag upgrade` end to end: the binary against an API-server emulator whose simulated
//! kubelets take the upgrades, and for the metric gates a real Prometheus scraping the
//! emulator's application metrics. Each test starts its own emulator (and Prometheus).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use mcp_diag_emulator::{AppModel, Emulator, NodeFault, Options, VersionEffect};
use mcp_diag_prom::testing::{Prometheus, Target};
use serde_json::{Value, json};

const FIXTURE: &str = "crates/cli/tests/fixtures/upgrade-small";
const WORKERS: [&str; 4] = ["worker-1", "worker-2", "worker-3", "worker-4"];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// One test's cluster: a runtime serving the emulator, a scratch directory with the
/// kubeconfig, configs and state.
struct Env {
    rt: tokio::runtime::Runtime,
    emu: Option<Emulator>,
    dir: tempfile::TempDir,
    client: kube::Client,
}

impl Env {
    fn start(options: Options) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let inventory = mcp_diag_sources::read_snapshot(&repo(FIXTURE)).unwrap();
        let emu = rt.block_on(Emulator::start(inventory, options)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kc"), emu.kubeconfig("emu")).unwrap();
        let kc = Kubeconfig::from_yaml(&emu.kubeconfig("emu")).unwrap();
        let client = rt.block_on(async {
            let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .unwrap();
            kube::Client::try_from(config).unwrap()
        });
        Env {
            rt,
            emu: Some(emu),
            dir,
            client,
        }
    }

    fn emu(&self) -> &Emulator {
        self.emu.as_ref().unwrap()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn config(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `upgrade SUB... --config CONFIG --kubeconfig KC --state-dir STATE ARGS`.
    fn args(&self, sub: &[&str], config: &str, state: &str, rest: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec!["upgrade".into()];
        v.extend(sub.iter().map(|s| s.to_string()));
        v.extend(
            [
                "--config",
                config,
                "--kubeconfig",
                &self.path("kc"),
                "--state-dir",
                &self.path(state),
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    }

    fn run(&self, sub: &[&str], config: &str, state: &str, rest: &[&str]) -> Run {
        mcp_diag(&self.args(sub, config, state, rest), &[])
    }

    fn spawn(&self, sub: &[&str], config: &str, state: &str, rest: &[&str]) -> Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("mcp-diag"))
            .args(self.args(sub, config, state, rest))
            .env("MCP_DIAG_POLL_MS", "200")
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn nodes(&self) -> BTreeMap<String, Node> {
        let api: Api<Node> = Api::all(self.client.clone());
        let list = self.rt.block_on(api.list(&Default::default())).unwrap();
        list.items
            .into_iter()
            .map(|n| (n.metadata.name.clone().unwrap(), n))
            .collect()
    }

    fn journal(&self, state: &str) -> Option<(PathBuf, Vec<Value>)> {
        let dir = self.dir.path().join(state);
        let path = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "jsonl"))?;
        let text = std::fs::read_to_string(&path).ok()?;
        let events = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        Some((path, events))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.stop());
        }
    }
}

fn annotation(node: &Node, key: &str) -> Option<String> {
    node.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key).cloned())
}

fn kubelet(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.kubelet_version.clone())
        .unwrap_or_default()
}

fn cordoned(node: &Node) -> bool {
    node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false)
}

struct Run {
    status: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

fn mcp_diag(args: &[String], env: &[(&str, String)]) -> Run {
    let mut cmd = Command::cargo_bin("mcp-diag").unwrap();
    cmd.args(args)
        .env("MCP_DIAG_POLL_MS", "200")
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(120));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        status: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn finish(child: Child, within: Duration) -> Run {
    let start = Instant::now();
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("the run did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `upgrade:` section shared by the tests; `extra` adds keys (indented by two spaces).
fn upgrade_yaml(waves: &str, soak: &str, extra: &str) -> String {
    format!(
        "upgrade:
  waves: {waves}
  soak: {soak}
  control_plane: {{soak: 0s}}
  lease: {{namespace: default, duration: 2s}}
  drain: {{timeout: 20s}}
  verify: {{node_ready_timeout: 20s, workloads_ready_timeout: 20s}}
  node_action: {{label: {{key: upgrade.mcp-diag.io/version, value: \"{{version}}\"}}, timeout: 20s}}
  rollback_action: {{label: {{key: upgrade.mcp-diag.io/version, value: \"{{from_version}}\"}}, timeout: 20s}}
{extra}"
    )
}

fn ms(at: &Value) -> i64 {
    // RFC 3339 with milliseconds, UTC: "2026-12-06T19:40:06.371Z".
    let s = at.as_str().unwrap_or_else(|| panic!("not a time: {at}"));
    let (date, time) = s.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    let frac: i64 = format!("{frac:0<3}")[..3].parse().unwrap();
    // Days are only compared within one run: day-of-month is enough unless a run spans a month.
    ((d[2] * 24 + t[0]) * 60 + t[1]) * 60_000 + t[2] * 1000 + frac
}

fn prometheus_for(env: &Env, interval: Duration) -> Prometheus {
    // A missing Prometheus fails the test with the install hint, as kubectl does elsewhere.
    mcp_diag_prom::testing::binary().unwrap_or_else(|e| panic!("{e}"));
    let target = Target {
        job: "app".into(),
        addr: env.emu().addr(),
        metrics_path: "/mcp-diag/v1/app/metrics".into(),
    };
    let prom = env
        .rt
        .block_on(Prometheus::start(&[target], interval))
        .unwrap_or_else(|e| panic!("{e}"));
    env.rt
        .block_on(prom.wait_scraped("app", 5, Duration::from_secs(30)))
        .unwrap_or_else(|e| panic!("{e}"));
    prom
}

fn timed(name: &str, start: Instant) {
    eprintln!("TIME {name}: {:.1} s", start.elapsed().as_secs_f64());
}

#[test]
fn clean_run_upgrades_every_wave() {
    let t0 = Instant::now();
    let env = Env::start(Options::default());
    let config = env.config(
        "up.yaml",
        &upgrade_yaml(
            "[34%, 67%, 100%]",
            "1s",
            "gates: {interval: 250ms, nodes_lost: {above: 3}}\n",
        ),
    );
    let run = env.run(
        &[],
        &config,
        "state",
        &["-t", "1.32.0", "--execute", "-o", "json"],
    );
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["outcome"], "succeeded", "{report:#}");
    let waves: Vec<i64> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["wave"].as_i64().unwrap())
        .collect();
    assert_eq!(
        waves,
        [0, 1, 1, 2, 3],
        "cp-1 first, then 34%/67%/100% of four workers"
    );
    for n in report["nodes"].as_array().unwrap() {
        assert_eq!(n["final_version"], "v1.32.0", "{n}");
        assert_eq!(n["cordoned"], false, "{n}");
        assert_eq!(n["state"], "upgraded", "{n}");
    }
    let run_id = report["run_id"].as_str().unwrap().to_owned();
    for (name, node) in env.nodes() {
        assert_eq!(kubelet(&node), "v1.32.0", "{name}");
        assert!(!cordoned(&node), "{name} is cordoned");
        assert_eq!(
            annotation(&node, "upgrade.mcp-diag.io/step").as_deref(),
            Some("done"),
            "{name}"
        );
        assert_eq!(
            annotation(&node, "upgrade.mcp-diag.io/run").as_deref(),
            Some(&*run_id),
            "{name}"
        );
        assert_eq!(env.emu().node_state(&name).unwrap().upgrades, 1, "{name}");
    }
    let (path, events) = env.journal("state").expect("a journal in the state dir");
    assert!(path.file_name().unwrap().to_string_lossy().contains(&run_id));
    assert_eq!(events.first().unwrap()["event"], "run-started");
    assert_eq!(events.last().unwrap()["event"], "run-finished");
    assert_eq!(events.last().unwrap()["outcome"], "succeeded");
    timed("clean_run_upgrades_every_wave", t0);
}

#[test]
fn error_rate_breach_in_wave_two_rolls_that_wave_back_fast() {
    let t0 = Instant::now();
    // 12% errors on 1.32 nodes, 0.1% elsewhere, shared equally by the Ready workers:
    // wave 1 (1 of 4 on 1.32) gives (0.12 + 3 * 0.001) / 4 = 3.1%, 4.1% while a wave-2 node
    // restarts, and wave 2 (2 of 4) gives 6.05%: only wave 2 breaches the 5% bound.
    let mut by_version = BTreeMap::new();
    by_version.insert(
        "1.32".to_owned(),
        VersionEffect {
            error: Some(0.12),
            latency: None,
        },
    );
    let options = Options {
        app: AppModel {
            rps: 2000.0,
            by_version,
            ..AppModel::default()
        },
        ..Options::default()
    };
    let env = Env::start(options);
    let prom = prometheus_for(&env, Duration::from_millis(200));
    let gates = format!(
        "gates:
  interval: 250ms
  nodes_lost: {{above: 3}}
  prometheus: {{url: \"{}\"}}
  rules:
    - name: error-rate
      query: 'sum(rate(http_requests_total{{code=~\"5..\"}}[2s])) / sum(rate(http_requests_total[2s]))'
      above: 0.05
      for: 1s
",
        prom.url()
    );
    let config = env.config("up.yaml", &upgrade_yaml("[25%, 50%, 100%]", "6s", &gates));
    let run = env.run(
        &[],
        &config,
        "state",
        &["-t", "1.32.0", "--execute", "-o", "json"],
    );
    let report = run.json();
    assert_eq!(report["outcome"], "rolled-back", "{report:#}\n{}", run.stderr);
    assert_ne!(run.status, Some(0));
    let gate = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "error-rate")
        .unwrap_or_else(|| panic!("no error-rate gate: {report:#}"));
    let fired = ms(&gate["fired_at"]);
    let finished = ms(&report["rollback"]["finished_at"]);
    let took = finished - fired;
    eprintln!("MEASURED error-rate fired -> rollback finished: {took} ms");
    assert!((0..=5000).contains(&took), "fired to rolled back took {took} ms");
    let nodes: BTreeMap<String, Value> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap().to_owned(), n.clone()))
        .collect();
    let live = env.nodes();
    for (name, n) in &nodes {
        match n["wave"].as_i64().unwrap() {
            // rollback: wave (the default) leaves earlier waves upgraded.
            0 | 1 => {
                assert_eq!(n["final_version"], "v1.32.0", "{n}");
                assert_eq!(kubelet(&live[name]), "v1.32.0", "{name}");
            }
            2 => {
                assert_eq!(n["final_version"], "v1.31.4", "{n}");
                assert_eq!(kubelet(&live[name]), "v1.31.4", "{name}");
                let rolled = report["rollback"]["nodes"].to_string();
                assert!(rolled.contains(name.as_str()), "{name} not in {rolled}");
            }
            _ => {
                assert_eq!(kubelet(&live[name]), "v1.31.4", "{name} was never started");
                assert_eq!(env.emu().node_state(name).unwrap().upgrades, 0, "{name}");
            }
        }
        assert!(!cordoned(&live[name]), "{name} left cordoned");
        assert_eq!(n["cordoned"], false, "{n}");
    }
    assert_eq!(
        nodes.values().filter(|n| n["wave"] == 2).count(),
        1,
        "25%/50% of four workers: wave 2 is one node"
    );
    timed("error_rate_breach_in_wave_two_rolls_that_wave_back_fast", t0);
}

fn ghost_gates(url: &str, policy: &str) -> String {
    format!(
        "gates:
  interval: 250ms
  nodes_lost: {{above: 3}}
  prometheus: {{url: \"{url}\", timeout: 2s}}
  rules:
    - {{name: ghost, query: 'no_such_metric_total', above: 1, on_no_data: {policy}, on_error: {policy}}}
"
    )
}

#[test]
fn no_data_and_error_policies() {
    let t0 = Instant::now();
    let env = Env::start(Options {
        kubelet_restart: Duration::from_millis(300),
        ..Options::default()
    });
    let prom = prometheus_for(&env, Duration::from_millis(200));
    let exec = [
        "-t",
        "1.32.0",
        "--execute",
        "-o",
        "json",
        "--accept",
        "gate/ghost",
    ];

    // Pre-flight: a dry run with a gate that answers nothing exits 3 and names it.
    let hold = env.config(
        "hold.yaml",
        &upgrade_yaml("[50%, 100%]", "0s", &ghost_gates(prom.url(), "hold")),
    );
    let dry = env.run(&[], &hold, "dry", &["-t", "1.32.0"]);
    assert_eq!(dry.status, Some(3), "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("ghost"), "{}", dry.stdout);
    assert!(dry.stdout.contains("no-data"), "{}", dry.stdout);

    // on_no_data: fail fires at the first evaluation: nothing is upgraded past what was in flight.
    let fail = env.config(
        "fail.yaml",
        &upgrade_yaml("[50%, 100%]", "0s", &ghost_gates(prom.url(), "fail")),
    );
    let run = env.run(&[], &fail, "fail", &exec);
    let report = run.json();
    let ghost = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "ghost")
        .cloned();
    assert!(
        ghost.as_ref().is_some_and(|g| !g["fired_at"].is_null()),
        "the ghost gate did not fire: {report:#}"
    );
    assert_ne!(report["outcome"], "succeeded", "{report:#}");
    let upgraded = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["state"] == "upgraded")
        .count();
    assert!(
        upgraded <= 1,
        "{upgraded} nodes upgraded past a firing gate: {report:#}"
    );

    // on_error: fail with Prometheus on a closed port fires as well.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let env2 = Env::start(Options {
        kubelet_restart: Duration::from_millis(300),
        ..Options::default()
    });
    let err = env2.config(
        "err.yaml",
        &upgrade_yaml(
            "[50%, 100%]",
            "0s",
            &ghost_gates(&format!("http://127.0.0.1:{port}"), "fail"),
        ),
    );
    let run = env2.run(&[], &err, "err", &exec);
    let report = run.json();
    let ghost = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "ghost")
        .cloned();
    assert!(
        ghost.as_ref().is_some_and(|g| !g["fired_at"].is_null()),
        "the ghost gate did not fire on a closed port: {report:#}"
    );
    assert_ne!(report["outcome"], "succeeded", "{report:#}");

    // on_no_data: hold: the run starts at most one node, then waits; abort stops it.
    let child = env.spawn(&[], &hold, "hold", &exec);
    std::thread::sleep(Duration::from_secs(6));
    let (_, events) = env.journal("hold").expect("the held run has a journal");
    let started: std::collections::BTreeSet<String> = events
        .iter()
        .filter(|e| e["event"] == "op-started")
        .map(|e| e["node"].to_string())
        .collect();
    assert!(
        started.len() <= 1,
        "{started:?} started under a holding gate: {events:?}"
    );
    assert!(events.iter().all(|e| e["event"] != "run-finished"), "{events:?}");
    let status = env.run(&["status"], &hold, "hold", &["-o", "json"]);
    assert_eq!(status.status, Some(0), "{}", status.stderr);
    let (path, _) = env.journal("hold").unwrap();
    let run_id = path.file_stem().unwrap().to_string_lossy().into_owned();
    assert_eq!(status.json()["run_id"], run_id.as_str(), "{}", status.stdout);
    let abort = env.run(&["abort"], &hold, "hold", &[]);
    assert_eq!(abort.status, Some(0), "{}\n{}", abort.stdout, abort.stderr);
    let end = finish(child, Duration::from_secs(60));
    let report = end.json();
    assert_eq!(report["outcome"], "stopped", "{report:#}\n{}", end.stderr);
    for (name, node) in env.nodes() {
        assert!(!cordoned(&node), "{name} left cordoned after abort");
    }
    timed("no_data_and_error_policies", t0);
}

#[test]
fn nodes_lost_fires_when_a_bystander_goes_not_ready() {
    let t0 = Instant::now();
    let env = Env::start(Options::default());
    let gates = "gates: {interval: 250ms, nodes_lost: {above: 0}}\n";
    let config = env.config("up.yaml", &upgrade_yaml("[25%, 50%, 100%]", "4s", gates));
    let child = env.spawn(
        &[],
        &config,
        "state",
        &["-t", "1.32.0", "--execute", "-o", "json"],
    );
    // Wait until worker-1 (wave 1) has started, then take worker-4 (wave 3) down.
    let start = Instant::now();
    loop {
        let events = env.journal("state").map(|(_, e)| e).unwrap_or_default();
        if events
            .iter()
            .any(|e| e["event"] == "op-started" && e["stage"] == "action" && e["node"] == "worker-1")
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "worker-1 never started: {events:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let api: Api<Node> = Api::all(env.client.clone());
    let patch = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletStopped",
        "message": "test: the node went away", "lastHeartbeatTime": "2026-12-06T00:00:00Z", "lastTransitionTime": "2026-12-06T00:00:00Z"}]}});
    env.rt
        .block_on(api.patch_status("worker-4", &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap();
    let run = finish(child, Duration::from_secs(90));
    let report = run.json();
    let gate = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "nodes-lost")
        .cloned();
    assert!(
        gate.as_ref().is_some_and(|g| !g["fired_at"].is_null()),
        "nodes-lost did not fire: {report:#}\n{}",
        run.stderr
    );
    assert_ne!(report["outcome"], "succeeded");
    let w4 = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "worker-4")
        .unwrap();
    assert_ne!(w4["state"], "upgraded", "{w4}");
    assert_eq!(env.emu().node_state("worker-4").unwrap().upgrades, 0);
    timed("nodes_lost_fires_when_a_bystander_goes_not_ready", t0);
}

#[test]
fn a_node_that_never_returns_fails_the_run_and_stays_cordoned() {
    let t0 = Instant::now();
    let mut node_faults = BTreeMap::new();
    node_faults.insert("worker-1".to_owned(), NodeFault::NeverReady);
    let env = Env::start(Options {
        node_faults,
        ..Options::default()
    });
    let config = env.config(
        "up.yaml",
        &upgrade_yaml(
            "[25%, 50%, 100%]",
            "0s",
            "gates: {interval: 250ms, nodes_lost: {above: 3}}\n",
        )
        .replace("node_ready_timeout: 20s", "node_ready_timeout: 3s"),
    );
    let run = env.run(
        &[],
        &config,
        "state",
        &["-t", "1.32.0", "--execute", "-o", "json"],
    );
    let report = run.json();
    assert_eq!(report["outcome"], "failed", "{report:#}\n{}", run.stderr);
    assert_ne!(run.status, Some(0));
    assert!(
        report["reason"].as_str().unwrap().contains("worker-1"),
        "{}",
        report["reason"]
    );
    let w1 = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "worker-1")
        .unwrap();
    assert_eq!(w1["state"], "failed", "{w1}");
    assert_eq!(w1["cordoned"], true, "{w1}");
    let live = env.nodes();
    assert!(
        cordoned(&live["worker-1"]),
        "worker-1 must stay cordoned for a human"
    );
    for name in ["worker-2", "worker-3", "worker-4"] {
        assert_eq!(
            env.emu().node_state(name).unwrap().upgrades,
            0,
            "{name} started after a failure"
        );
        assert!(!cordoned(&live[name]), "{name}");
    }
    timed("a_node_that_never_returns_fails_the_run_and_stays_cordoned", t0);
}

#[test]
fn a_drain_blocked_by_a_budget_stops_and_uncordons() {
    let t0 = Instant::now();
    let env = Env::start(Options::default());
    // worker-1 runs one web and one api pod; a budget that wants every web pod available
    // refuses every eviction.
    let pdbs: Api<k8s_openapi::api::policy::v1::PodDisruptionBudget> =
        Api::namespaced(env.client.clone(), "shop");
    let patch = json!({"spec": {"maxUnavailable": null, "minAvailable": 3}});
    env.rt
        .block_on(pdbs.patch("web", &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap();
    let config = env.config(
        "up.yaml",
        &upgrade_yaml(
            "[25%, 50%, 100%]",
            "0s",
            "gates: {interval: 250ms, nodes_lost: {above: 3}}\n",
        )
        .replace("drain: {timeout: 20s}", "drain: {timeout: 3s, on_timeout: stop}"),
    );
    // Pre-flight sees the budget too; accepting it is how an operator goes ahead anyway.
    let mut args = vec![
        "-t",
        "1.32.0",
        "--execute",
        "-o",
        "json",
        "--accept",
        "pdb-blocks-drain/shop/web",
    ];
    let accepts: Vec<String> = WORKERS
        .iter()
        .map(|w| format!("node-drain-blocked/{w}"))
        .collect();
    for a in &accepts {
        args.extend(["--accept", a.as_str()]);
    }
    let run = env.run(&[], &config, "state", &args);
    let report = run.json();
    assert_eq!(report["outcome"], "stopped", "{report:#}\n{}", run.stderr);
    let reason = report["reason"].as_str().unwrap();
    eprintln!("REASON blocked drain: {reason}");
    assert!(
        reason.contains("shop/web"),
        "the reason must name the budget: {reason}"
    );
    for (name, node) in env.nodes() {
        assert!(!cordoned(&node), "{name} left cordoned");
    }
    assert_eq!(env.emu().node_state("worker-1").unwrap().upgrades, 0);
    timed("a_drain_blocked_by_a_budget_stops_and_uncordons", t0);
}

#[test]
fn a_second_orchestrator_is_refused_and_abort_stops_the_first() {
    let t0 = Instant::now();
    let env = Env::start(Options {
        kubelet_restart: Duration::from_millis(300),
        ..Options::default()
    });
    let config = env.config(
        "up.yaml",
        &upgrade_yaml(
            "[25%, 50%, 100%]",
            "60s",
            "gates: {interval: 250ms, nodes_lost: {above: 3}}\n",
        ),
    );
    let first = env.spawn(&[], &config, "one", &["-t", "1.32.0", "--execute", "-o", "json"]);
    let pid = first.id();
    let start = Instant::now();
    while !env.journal("one").is_some_and(|(_, e)| {
        e.iter()
            .any(|e| e["event"] == "soak-started" || e["event"] == "upgrade-done")
    }) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first run did not get going"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = env.run(&[], &config, "two", &["-t", "1.32.0", "--execute", "-o", "json"]);
    assert_eq!(second.status, Some(1), "{}\n{}", second.stdout, second.stderr);
    assert!(
        second.stderr.contains(&format!("/{pid}")),
        "stderr must name the holder (pid {pid}): {}",
        second.stderr
    );
    let abort = env.run(&["abort"], &config, "one", &[]);
    assert_eq!(abort.status, Some(0), "{}\n{}", abort.stdout, abort.stderr);
    let end = finish(first, Duration::from_secs(60));
    let report = end.json();
    assert_eq!(report["outcome"], "stopped", "{report:#}\n{}", end.stderr);
    for (name, node) in env.nodes() {
        assert!(!cordoned(&node), "{name} left cordoned");
    }
    timed("a_second_orchestrator_is_refused_and_abort_stops_the_first", t0);
}

/// What a finished run leaves on a node: kubelet version, step, from-version, cordon, and
/// whether the run annotation is the run's own.
type Outcome = BTreeMap<String, (String, Option<String>, Option<String>, bool, bool)>;

fn outcome(env: &Env, run_id: &str) -> Outcome {
    env.nodes()
        .into_iter()
        .map(|(name, n)| {
            let own = annotation(&n, "upgrade.mcp-diag.io/run").as_deref() == Some(run_id);
            (
                name,
                (
                    kubelet(&n),
                    annotation(&n, "upgrade.mcp-diag.io/step"),
                    annotation(&n, "upgrade.mcp-diag.io/from-version"),
                    cordoned(&n),
                    own,
                ),
            )
        })
        .collect()
}

fn crash_env() -> Env {
    let env = Env::start(Options {
        kubelet_restart: Duration::from_millis(100),
        ready_delay: Duration::from_millis(50),
        ..Options::default()
    });
    // Three nodes to upgrade: cp-1 and worker-4 already at the target.
    {
        // The simulated kubelet finishes on the runtime's timer: without a runtime context
        // the node would stay NotReady.
        let _rt = env.rt.enter();
        for n in ["cp-1", "worker-4"] {
            env.emu().upgrade_node(n, "v1.32.0").unwrap();
        }
    }
    let start = Instant::now();
    while ["cp-1", "worker-4"].iter().any(|n| {
        env.emu().node_state(n).unwrap().kubelet_version != "v1.32.0"
            || !env.emu().node_state(n).unwrap().ready
    }) {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    env
}

fn crash_config(env: &Env) -> String {
    env.config(
        "up.yaml",
        &upgrade_yaml(
            "[34%, 100%]",
            "0s",
            "gates: {interval: 100ms, nodes_lost: {above: 3}}\n",
        )
        .replace("duration: 2s", "duration: 1s"),
    )
}

fn run_id_of(env: &Env, state: &str) -> String {
    let (path, _) = env.journal(state).unwrap();
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn kill_nine_at_every_journal_step_then_resume() {
    let t0 = Instant::now();
    let exec = ["-t", "1.32.0", "--execute", "-o", "json"];
    let reference = {
        let env = crash_env();
        let config = crash_config(&env);
        let run = env.run(&[], &config, "state", &exec);
        assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
        let (_, events) = env.journal("state").unwrap();
        let upgrades: BTreeMap<String, u32> = WORKERS
            .iter()
            .map(|n| (n.to_string(), env.emu().node_state(n).unwrap().upgrades))
            .collect();
        (events.len(), outcome(&env, &run_id_of(&env, "state")), upgrades)
    };
    let (lines, want, want_upgrades) = reference;
    assert!(lines > 10, "a journal of {lines} lines");
    assert!(want.values().all(|v| v.0 == "v1.32.0" && !v.3), "{want:?}");
    for n in ["worker-1", "worker-2", "worker-3"] {
        assert!(want[n].4 && want[n].1.as_deref() == Some("done"), "{n}: {want:?}");
    }
    let mut slowest = Duration::ZERO;
    for k in 1..=lines {
        let t = Instant::now();
        let env = crash_env();
        let config = crash_config(&env);
        let crashed = mcp_diag(
            &env.args(&[], &config, "state", &exec),
            &[("MCP_DIAG_CRASH_AT", k.to_string())],
        );
        assert_eq!(
            crashed.signal,
            Some(6),
            "k={k}: the process must die by SIGABRT: status {:?}\n{}",
            crashed.status,
            crashed.stderr
        );
        let (_, events) = env.journal("state").unwrap();
        assert_eq!(events.len(), k, "k={k}: the journal ends at the crash line");
        let run_id = run_id_of(&env, "state");
        // resume: refused while the dead holder's Lease (1 s) is fresh, then carries on.
        let start = Instant::now();
        let resumed = loop {
            let r = env.run(&["resume"], &config, "state", &["-o", "json"]);
            if r.status != Some(1) || start.elapsed() > Duration::from_secs(20) {
                break r;
            }
            std::thread::sleep(Duration::from_millis(300));
        };
        if k < lines {
            assert_eq!(
                resumed.status,
                Some(0),
                "k={k}: resume\n{}\n{}",
                resumed.stdout,
                resumed.stderr
            );
            assert_eq!(resumed.json()["outcome"], "succeeded", "k={k}");
        }
        let got = outcome(&env, &run_id);
        assert_eq!(got, want, "k={k}: the nodes differ from the uninterrupted run");
        for n in WORKERS {
            let ups = env.emu().node_state(n).unwrap().upgrades;
            assert!(ups <= want_upgrades[n], "k={k}: {n} upgraded {ups} times");
        }
        let (_, events) = env.journal("state").unwrap();
        assert_eq!(events.last().unwrap()["event"], "run-finished", "k={k}");
        slowest = slowest.max(t.elapsed());
    }
    eprintln!(
        "MEASURED {lines} crash points, slowest {:.1} s",
        slowest.as_secs_f64()
    );
    timed("kill_nine_at_every_journal_step_then_resume", t0);
}

/// A lost laptop: the orchestrator dies and its journal with it; `resume` on another machine
/// (another --state-dir) rebuilds the run from the plan saved on the cluster and the node
/// annotations, and ends as the uninterrupted run did.
#[test]
fn resume_from_another_machine_without_the_journal() {
    let t0 = Instant::now();
    let exec = ["-t", "1.32.0", "--execute", "-o", "json"];
    let (lines, want) = {
        let env = crash_env();
        let config = crash_config(&env);
        let run = env.run(&[], &config, "state", &exec);
        assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
        let (_, events) = env.journal("state").unwrap();
        (events.len(), outcome(&env, &run_id_of(&env, "state")))
    };
    for k in [2, lines / 3, lines / 2, 2 * lines / 3, lines - 2] {
        let env = crash_env();
        let config = crash_config(&env);
        let crashed = mcp_diag(
            &env.args(&[], &config, "state", &exec),
            &[("MCP_DIAG_CRASH_AT", k.to_string())],
        );
        assert_eq!(crashed.signal, Some(6), "k={k}: {}", crashed.stderr);
        let run_id = run_id_of(&env, "state");
        let start = Instant::now();
        let resumed = loop {
            let r = env.run(&["resume"], &config, "other-laptop", &["-o", "json"]);
            let held = r.stderr.contains("another orchestrator holds");
            if !held || start.elapsed() > Duration::from_secs(20) {
                break r;
            }
            std::thread::sleep(Duration::from_millis(300));
        };
        assert_eq!(
            resumed.status,
            Some(0),
            "k={k}: resume\n{}\n{}",
            resumed.stdout,
            resumed.stderr
        );
        assert!(
            resumed
                .stderr
                .contains("rebuilt from the plan saved on the cluster"),
            "k={k}: {}",
            resumed.stderr
        );
        assert_eq!(resumed.json()["outcome"], "succeeded", "k={k}");
        assert_eq!(
            outcome(&env, &run_id),
            want,
            "k={k}: the nodes differ from the uninterrupted run"
        );
        let (_, events) = env.journal("other-laptop").unwrap();
        assert_eq!(events.first().unwrap()["event"], "run-started", "k={k}");
        assert_eq!(events.last().unwrap()["event"], "run-finished", "k={k}");
    }
    timed("resume_from_another_machine_without_the_journal", t0);
}
