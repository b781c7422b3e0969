//! Lists every pod of a generated cluster in pages of 500 and reports the time per page.
//!
//! `cargo run --release -p mcp-diag-emulator --example bench_list -- [NODES] [PODS] [LATENCY_MS]`
//! (defaults: 5000 nodes, 150000 pods, 0 ms).

use std::time::{Duration, Instant};

use mcp_diag_emulator::testing::{inventory, node, pod};
use mcp_diag_emulator::{Emulator, Faults, Options};
use serde_json::json;

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let nodes = args.first().copied().unwrap_or(5000);
    let pods = args.get(1).copied().unwrap_or(150_000);
    let latency = Duration::from_millis(args.get(2).copied().unwrap_or(0));

    let started = Instant::now();
    let mut objects = Vec::new();
    for n in 0..nodes {
        objects.push(node(&format!("node-{n:05}"), "16", "64Gi"));
    }
    for p in 0..pods {
        let ns = format!("ns-{:03}", p % 200);
        let owner = format!("app-{}", p % 1000);
        objects.push(pod(
            &ns,
            &format!("{owner}-{p:06}"),
            &format!("node-{:05}", p % nodes.max(1)),
            json!({"app": owner}),
            "100m",
            "128Mi",
            Some(("ReplicaSet", &owner)),
        ));
    }
    let inv = inventory("1.29.4", objects);
    let built = started.elapsed();
    let started = Instant::now();
    let emu = Emulator::start(inv, Options::default()).await.expect("start");
    let loaded = started.elapsed();
    emu.set_faults(Faults {
        latency,
        ..Faults::default()
    });
    println!("{nodes} nodes, {pods} pods: inventory built in {built:?}, emulator loaded in {loaded:?}");

    let http = reqwest::Client::new();
    let mut token: Option<String> = None;
    let mut pages = 0u32;
    let mut items = 0usize;
    let mut bytes = 0usize;
    let mut slowest = Duration::ZERO;
    let mut fetching = Duration::ZERO;
    let started = Instant::now();
    loop {
        let url = match &token {
            Some(t) => format!("{}/api/v1/pods?limit=500&continue={t}", emu.url()),
            None => format!("{}/api/v1/pods?limit=500", emu.url()),
        };
        let t0 = Instant::now();
        let body = http
            .get(url)
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("body");
        slowest = slowest.max(t0.elapsed());
        fetching += t0.elapsed();
        bytes += body.len();
        let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
        pages += 1;
        items += page["items"].as_array().map_or(0, Vec::len);
        match page["metadata"]["continue"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let total = started.elapsed();
    println!(
        "{items} pods in {pages} pages, {:.1} MB, {total:?} in all; per page: {:.2} ms request and body (latency {latency:?} included), {:.2} ms with the client's JSON parse; slowest request {slowest:?}",
        bytes as f64 / 1e6,
        fetching.as_secs_f64() * 1000.0 / f64::from(pages),
        total.as_secs_f64() * 1000.0 / f64::from(pages)
    );
    emu.stop().await;
}
