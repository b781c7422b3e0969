//! Times `Graph::build` on a big cluster: a synthetic one made here (150,000 pods: 300
//! namespaces x 10 Deployments x 50 pods, each Deployment behind a Service, calling two
//! others by URL and loading a ConfigMap), or a snapshot directory given as argument (such as
//! the plan benchmark's: `python3 bench/gen-big-cluster.py /tmp/big`).
//!
//! cargo run --release -p mcp-diag-services --example graph_big [SNAPSHOT_DIR]

use std::time::Instant;

use mcp_diag_model::{Doc, Inventory, KindRead, Object, SourceKind};
use mcp_diag_services::{Declared, Graph};
use serde_json::json;

const NAMESPACES: usize = 300;
const DEPLOYMENTS: usize = 10;
const PODS: usize = 50;

fn object(value: serde_json::Value) -> Object {
    Object::from_node(Doc::from(value), None).expect("apiVersion and kind")
}

fn synthetic() -> Inventory {
    let mut inventory = Inventory::new(SourceKind::Snapshot, "synthetic", "big");
    let mut coverage = mcp_diag_model::Coverage::recorded();
    for ns_i in 0..NAMESPACES {
        let ns = format!("team-{ns_i}");
        inventory
            .objects
            .push(object(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"istio-injection": "enabled"}}})));
        for d in 0..DEPLOYMENTS {
            let app = format!("svc-{d}");
            let next = format!("http://svc-{}.{ns}.svc.cluster.local:80", (d + 1) % DEPLOYMENTS);
            let other = format!("grpc://svc-{d}.team-{}.svc:9090", (ns_i + 1) % NAMESPACES);
            inventory
                .objects
                .push(object(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": app, "namespace": ns},
                "spec": {"selector": {"app": app}, "ports": [
                    {"name": "http", "port": 80, "targetPort": 8080},
                    {"name": "grpc", "port": 9090, "appProtocol": "grpc"}]}})));
            inventory
                .objects
                .push(object(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("{app}-config"), "namespace": ns},
                "data": {"app.yaml": format!("upstream: {other}\ncache: redis://redis.{ns}.svc:6379\n")}})));
            inventory.objects.push(object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns, "labels": {"app.kubernetes.io/version": "1.2.3"}},
                "spec": {"replicas": PODS, "selector": {"matchLabels": {"app": app}}, "template": {
                    "metadata": {"labels": {"app": app, "tier": "backend"}},
                    "spec": {"containers": [{"name": "app", "image": format!("registry.example.com/{app}:1.2.3"),
                        "env": [{"name": "NEXT_URL", "value": next}],
                        "envFrom": [{"configMapRef": {"name": format!("{app}-config")}}]}]}}}})));
            for p in 0..PODS {
                inventory
                    .objects
                    .push(object(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{app}-abc-{p}"), "namespace": ns,
                        "labels": {"app": app, "tier": "backend", "pod-template-hash": "abc"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "name": format!("{app}-abc"), "uid": format!("{ns}-{app}"), "controller": true}]},
                    "spec": {"nodeName": format!("node-{}", p % 100), "containers": [{"name": "app",
                        "image": format!("registry.example.com/{app}:1.2.3")}]},
                    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})));
            }
        }
    }
    coverage.record(KindRead::complete("", "Pod", NAMESPACES * DEPLOYMENTS * PODS));
    coverage.record(KindRead::complete("", "Service", NAMESPACES * DEPLOYMENTS));
    inventory.coverage = coverage;
    inventory
}

fn main() {
    let started = Instant::now();
    let inventory = match std::env::args().nth(1) {
        Some(dir) => mcp_diag_sources::read_snapshot(std::path::Path::new(&dir)).unwrap_or_else(|e| {
            eprintln!("cannot read {dir}: {e}");
            std::process::exit(1);
        }),
        None => synthetic(),
    };
    let pods = inventory.objects.iter().filter(|o| o.kind == "Pod").count();
    eprintln!(
        "input: {} objects, {pods} pods, made or read in {:.2} s",
        inventory.objects.len(),
        started.elapsed().as_secs_f64()
    );
    let mut best = f64::MAX;
    let mut graph = Graph::default();
    for _ in 0..5 {
        let started = Instant::now();
        graph = Graph::build(&inventory, &Declared::default());
        best = best.min(started.elapsed().as_secs_f64());
    }
    let started = Instant::now();
    let order = graph.upgrade_order();
    let cycles = graph.cycles();
    println!(
        "Graph::build: {:.3} s (best of 5) for {pods} pods: {} nodes, {} edges; order {} steps and {} cycles in {:.3} s",
        best,
        graph.nodes.len(),
        graph.edges.len(),
        order.len(),
        cycles.len(),
        started.elapsed().as_secs_f64()
    );
    std::mem::forget(inventory);
}
