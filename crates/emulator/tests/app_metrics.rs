//! The emulated application's metrics: counters that only grow, and an error rate and latency
//! that follow the kubelet versions of the Ready nodes.

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{AppModel, Emulator, Options};
use serde_json::{Value, json};

/// Every sample of an exposition text, by its series name with labels.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').expect("NAME VALUE");
            (k.to_owned(), v.parse::<f64>().expect("a number"))
        })
        .collect()
}

async fn scrape(emu: &Emulator) -> BTreeMap<String, f64> {
    let r = reqwest::get(format!("{}/mcp-diag/v1/app/metrics", emu.url()))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    samples(&r.text().await.unwrap())
}

const OK: &str = "http_requests_total{code=\"200\"}";
const ERR: &str = "http_requests_total{code=\"500\"}";

/// The error share and the share of requests above 1 s between two scrapes.
fn window(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> (f64, f64) {
    let d = |k: &str| b[k] - a[k];
    let total = d(OK) + d(ERR);
    let count = d("http_request_duration_seconds_count");
    let slow = count - d("http_request_duration_seconds_bucket{le=\"1\"}");
    (d(ERR) / total, slow / count)
}

#[tokio::test]
async fn the_error_rate_and_latency_follow_the_upgraded_nodes() {
    let mut app = AppModel {
        rps: 100_000.0,
        ..AppModel::default()
    };
    app.set_errors("1.30=8%").unwrap();
    app.set_latency("1.30=2s").unwrap();
    let options = Options {
        kubelet_restart: Duration::from_millis(200),
        app,
        ..Options::default()
    };
    let inv = Cluster::new("1.30.1").nodes(&["n1", "n2"], "4", "8Gi").build();
    let emu = Emulator::start(inv, options).await.unwrap();

    let s0 = scrape(&emu).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s1 = scrape(&emu).await;
    let (errors, slow) = window(&s0, &s1);
    assert!((errors - 0.001).abs() < 0.0005, "base error share: {errors}");
    assert_eq!(slow, 0.0);
    assert!(s1[OK] > s0[OK]);
    // Every series is there, buckets cumulative up to +Inf = count.
    assert_eq!(
        s1["http_request_duration_seconds_bucket{le=\"+Inf\"}"],
        s1["http_request_duration_seconds_count"]
    );
    assert_eq!(
        s1["http_request_duration_seconds_bucket{le=\"0.05\"}"], s1["http_request_duration_seconds_count"],
        "50 ms lands in le=0.05"
    );
    assert!(s1["http_request_duration_seconds_sum"] > 0.0);

    emu.upgrade_node("n1", "v1.30.0").unwrap();
    // One node Ready (n2, still 1.29): all the traffic at the base rates.
    assert_eq!(emu.app_rates().ready_nodes, 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !emu.node_state("n1").unwrap().ready {
        assert!(tokio::time::Instant::now() < deadline, "n1 never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rates = emu.app_rates();
    assert_eq!(rates.ready_nodes, 2);
    assert!((rates.error_share - 0.0405).abs() < 1e-9, "{rates:?}");
    assert_eq!(rates.quantile(0.99), Some(Duration::from_secs(2)));
    let s2 = scrape(&emu).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s3 = scrape(&emu).await;
    let (errors, slow) = window(&s2, &s3);
    // Half the requests on a 1.30 node: (8% + 0.1%) / 2 fail, half take 2 s (le=2.5).
    assert!(
        (errors - 0.0405).abs() < 0.002,
        "error share with n1 at 1.30: {errors}"
    );
    assert!((slow - 0.5).abs() < 0.01, "share above 1 s: {slow}");
    for (k, v) in &s3 {
        assert!(*v >= s0[k], "{k} went down: {} then {v}", s0[k]);
    }

    // With no node Ready, every request fails.
    emu.set_node_fault("n1", Some(mcp_diag_emulator::NodeFault::NeverReady));
    emu.set_node_fault("n2", Some(mcp_diag_emulator::NodeFault::NeverReady));
    emu.upgrade_node("n1", "v1.31.0").unwrap();
    emu.upgrade_node("n2", "v1.31.0").unwrap();
    assert_eq!(emu.app_rates().error_share, 1.0);
    emu.stop().await;
}

#[tokio::test]
async fn the_model_is_read_and_replaced_over_http() {
    let inv = Cluster::new("1.30.1").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/mcp-diag/v1/app", emu.url());
    let model: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(model["rps"], 100.0);
    assert_eq!(model["base_latency"], 0.05);

    let r = http
        .put(&url)
        .json(&json!({"rps": 10, "by_version": {"1.29": {"error": "50%", "latency": "300ms"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let model: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(model["by_version"]["1.29"], json!({"error": 0.5, "latency": 0.3}));
    assert_eq!(model["base_error"], 0.001, "left out: the default");
    // n1's kubelet is 1.29 (the test node's): half of its requests fail now.
    assert_eq!(emu.app_rates().error_share, 0.5);

    for bad in [
        json!({"rps": -1}),
        json!({"by_version": {"1.29": {"error": 2}}}),
        json!([1]),
    ] {
        let r = http.put(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["reason"], "BadRequest");
    }
    let r = http.put(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // The API server's own /metrics is unchanged.
    let text = reqwest::get(format!("{}/metrics", emu.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("apiserver_requested_deprecated_apis"));
    assert!(!text.contains("http_requests_total"));
    emu.stop().await;
}

#[tokio::test]
async fn control_plane_nodes_serve_no_application_traffic() {
    use mcp_diag_emulator::testing::{node, with_taint};
    let cp = with_taint(
        node("cp-1", "4", "8Gi"),
        "node-role.kubernetes.io/control-plane",
        "",
        "NoSchedule",
    );
    let mut app = AppModel::default();
    app.set_errors("1.30=10%").unwrap();
    let options = Options {
        kubelet_restart: Duration::from_millis(100),
        app,
        ..Options::default()
    };
    let inv = Cluster::new("1.30.1")
        .object(cp)
        .nodes(&["w1"], "4", "8Gi")
        .build();
    let emu = Emulator::start(inv, options).await.unwrap();
    assert_eq!(emu.app_rates().ready_nodes, 1, "only the worker");
    // The control plane at 1.30 changes nothing; the worker at 1.30 does.
    emu.upgrade_node("cp-1", "v1.30.0").unwrap();
    emu.upgrade_node("w1", "v1.30.0").unwrap();
    assert_eq!(emu.app_rates().error_share, 1.0, "the only worker is restarting");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(emu.node_state("w1").unwrap().ready && emu.node_state("cp-1").unwrap().ready) {
        assert!(tokio::time::Instant::now() < deadline, "nodes never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!((emu.app_rates().error_share - 0.1).abs() < 1e-9);
    emu.stop().await;
}
