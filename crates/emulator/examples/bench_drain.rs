//! Cordons nodes of a generated cluster and evicts their pods, reporting the time per eviction.
//!
//! `cargo run --release -p mcp-diag-emulator --example bench_drain -- [NODES] [PODS] [DRAINED]`
//! (defaults: 5000 nodes, 150000 pods, 3 nodes drained).

use std::time::{Duration, Instant};

use mcp_diag_emulator::testing::{inventory, node, pod};
use mcp_diag_emulator::{Emulator, Options};
use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let nodes = args.first().copied().unwrap_or(5000).max(2);
    let pods = args.get(1).copied().unwrap_or(150_000);
    let drained = args.get(2).copied().unwrap_or(3).min(nodes - 1);
    let mut objects = Vec::new();
    for n in 0..nodes {
        objects.push(node(&format!("node-{n:05}"), "64", "256Gi"));
    }
    for a in 0..1000 {
        objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("app-{a}"), "namespace": format!("ns-{:03}", a % 200)},
            "spec": {"replicas": pods / 1000}}));
    }
    for p in 0..pods {
        let a = p % 1000;
        objects.push(pod(
            &format!("ns-{:03}", a % 200),
            &format!("app-{a}-{p:06}"),
            &format!("node-{:05}", p % nodes),
            json!({"app": format!("app-{a}")}),
            "100m",
            "128Mi",
            Some(("ReplicaSet", &format!("app-{a}"))),
        ));
    }
    let emu = Emulator::start(
        inventory("1.29.4", objects),
        Options {
            ready_delay: Duration::from_millis(50),
            ..Options::default()
        },
    )
    .await
    .expect("start");
    let http = reqwest::Client::new();
    let base = emu.url();
    let mut evictions = 0u32;
    let started = Instant::now();
    for n in 0..drained {
        let name = format!("node-{n:05}");
        let r = http
            .patch(format!("{base}/api/v1/nodes/{name}"))
            .header("Content-Type", "application/strategic-merge-patch+json")
            .body(r#"{"spec":{"unschedulable":true}}"#)
            .send()
            .await
            .expect("cordon");
        assert!(r.status().is_success());
        let list: Value = http
            .get(format!("{base}/api/v1/pods?fieldSelector=spec.nodeName%3D{name}"))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for p in list["items"].as_array().into_iter().flatten() {
            let (ns, pn) = (
                p["metadata"]["namespace"].as_str().unwrap_or(""),
                p["metadata"]["name"].as_str().unwrap_or(""),
            );
            let r = http
                .post(format!("{base}/api/v1/namespaces/{ns}/pods/{pn}/eviction"))
                .header("Content-Type", "application/json")
                .body(json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pn, "namespace": ns}}).to_string())
                .send()
                .await
                .expect("evict");
            assert_eq!(r.status().as_u16(), 201);
            evictions += 1;
        }
    }
    let total = started.elapsed();
    println!(
        "{nodes} nodes, {pods} pods: {drained} nodes drained, {evictions} evictions in {total:?} ({:.2} ms each, cordon and list included)",
        total.as_secs_f64() * 1000.0 / f64::from(evictions.max(1))
    );
    emu.stop().await;
}
