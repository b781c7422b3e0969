//! Odd requests get answers (4xx), never a dropped connection from a panic.

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::json;

#[tokio::test]
async fn odd_requests_are_answered() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .replicaset("a", "web", 1, "100m", "1Mi", &["n1"])
        .pdb_min_available("a", "web", json!("50%"))
        .object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": "not a map"}))
        .object(json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": "a"}, "spec": [1, 2]}))
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let http = reqwest::Client::new();
    let base = emu.url();
    let paths = [
        "/",
        "/api/v2",
        "/apis/",
        "/apis/apps",
        "/apis/nope",
        "/apis/apps/v9/deployments",
        "/api/v1/namespaces//pods",
        "/api/v1/namespaces/a/pods/web-0/eviction/extra/more",
        "/api/v1/pods?limit=-5",
        "/api/v1/pods?limit=abc",
        "/api/v1/pods?labelSelector=%28%28",
        "/api/v1/pods?labelSelector=a%20in%20%28",
        "/api/v1/pods?fieldSelector=%3D%3D",
        "/api/v1/pods?continue=%FF%FE",
        "/api/v1/pods?watch=1&resourceVersion=abc",
        "/api/v1/pods?watch=1&resourceVersion=1",
        "/api/v1/pods?resourceVersionMatch=Exact",
        "/api/v1/pods?resourceVersion=x",
        "/api/v1/nodes/n1/status",
        "/api/v1/namespaces/a/pods/web-0/log",
        "/api/v1/namespaces/a/pods/web-0/exec",
        "/api/v1/namespaces/a/configmaps",
        "/apis/example.com/v1/namespaces/a/things/t",
        "/apis/policy/v1/poddisruptionbudgets?includeObject=Object",
        "/%zz/%",
        "/api/v1/namespaces/a/pods/%2e%2e",
    ];
    let bodies = [
        "",
        "null",
        "[]",
        "{",
        "{\"metadata\": 5}",
        "{\"metadata\": {\"name\": 7}}",
        "{\"spec\": {\"containers\": 3}}",
        "[{\"op\": \"bogus\"}]",
        "[{\"op\": \"add\", \"path\": \"x\"}]",
        "{\"deleteOptions\": {\"dryRun\": 3}, \"metadata\": {\"name\": [1]}}",
    ];
    let types = [
        "application/json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "text/plain",
    ];
    let methods = [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ];
    let mut answered = 0;
    for (i, path) in paths.iter().enumerate() {
        for (j, method) in methods.iter().enumerate() {
            let body = bodies[(i + j) % bodies.len()];
            let ct = types[(i * 3 + j) % types.len()];
            let accept = if (i + j) % 3 == 0 {
                "application/json;as=Table;v=v1;g=meta.k8s.io"
            } else {
                "application/json"
            };
            let r = http
                .request(method.clone(), format!("{base}{path}"))
                .header("Content-Type", ct)
                .header("Accept", accept)
                .query(&[("timeoutSeconds", "1")])
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path} with {body:?} ({ct}): {e}"));
            let status = r.status().as_u16();
            assert!(
                (200..500).contains(&status) || status == 500,
                "{method} {path}: {status}"
            );
            answered += 1;
        }
    }
    // The eviction paths and writes above left the server working.
    let r = http
        .get(format!("{base}/api/v1/namespaces/a/poddisruptionbudgets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{base}/apis/policy/v1/namespaces/a/poddisruptionbudgets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(answered, paths.len() * methods.len());
    emu.stop().await;
}
