//! Writes, eviction with budgets, the controllers, the scheduler and watches, over HTTP.

use std::time::Duration;

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::{Value, json};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(emu: &Emulator) -> Self {
        Self {
            base: emu.url(),
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: &Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn evict(&self, ns: &str, name: &str) -> (u16, Value) {
        let body = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}});
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/namespaces/{ns}/pods/{name}/eviction"),
            "application/json",
            &body,
        )
        .await
    }

    async fn cordon(&self, node: &str, on: bool) {
        let patch = json!({"spec": {"unschedulable": if on { json!(true) } else { Value::Null }}});
        let (code, _) = self
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/nodes/{node}"),
                "application/strategic-merge-patch+json",
                &patch,
            )
            .await;
        assert_eq!(code, 200);
    }

    async fn pods(&self, query: &str) -> Vec<Value> {
        let (_, list) = self.get(&format!("/api/v1/pods?{query}")).await;
        list["items"].as_array().cloned().unwrap_or_default()
    }
}

fn opts() -> Options {
    Options {
        ready_delay: Duration::from_millis(300),
        seed: 7,
        ..Options::default()
    }
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

#[tokio::test]
async fn eviction_respects_budgets_and_replacements_become_ready() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2", "n3"], "4", "8Gi")
        .replicaset("shop", "web", 3, "500m", "512Mi", &["n1", "n1", "n2"])
        .pdb_min_available("shop", "web", json!(2))
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    api.cordon("n1", true).await;
    let (_, n1) = api.get("/api/v1/nodes/n1").await;
    assert_eq!(n1["spec"]["unschedulable"], true);

    let (code, body) = api.evict("shop", "web-0").await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["status"], "Success");
    // The replacement has a new name, sits on the emptiest schedulable node (n3) and is not
    // Ready yet, so the budget allows nothing now.
    let pods = api.pods("labelSelector=app%3Dweb").await;
    assert_eq!(pods.len(), 3);
    let fresh: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            !p["metadata"]["name"].as_str().unwrap().starts_with("web-")
                || p["metadata"]["name"].as_str().unwrap().len() > 6
        })
        .collect();
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0]["spec"]["nodeName"], "n3");
    assert!(!ready(fresh[0]));
    let (code, body) = api.evict("shop", "web-1").await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(body["reason"], "TooManyRequests");
    assert_eq!(
        body["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(body["details"]["causes"][0]["reason"], "DisruptionBudget");
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"
    );
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web-pdb")
        .await;
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);

    tokio::time::sleep(Duration::from_millis(600)).await;
    let fresh_name = fresh[0]["metadata"]["name"].as_str().unwrap().to_owned();
    let (_, p) = api
        .get(&format!("/api/v1/namespaces/shop/pods/{fresh_name}"))
        .await;
    assert!(ready(&p), "{p}");
    assert_eq!(p["status"]["phase"], "Running");
    let (code, _) = api.evict("shop", "web-1").await;
    assert_eq!(code, 201);
    assert!(api.pods("fieldSelector=spec.nodeName%3Dn1").await.is_empty());
    let (code, body) = api.evict("shop", "web-1").await;
    assert_eq!(code, 404);
    assert_eq!(body["message"], "pods \"web-1\" not found");
    emu.stop().await;
}

#[tokio::test]
async fn overlapping_budgets_pending_pods_and_always_allow() {
    let mut pending = mcp_diag_emulator::testing::pod(
        "shop",
        "lonely",
        "",
        json!({"app": "web"}),
        "1",
        "1Gi",
        Some(("ReplicaSet", "web")),
    );
    pending["status"] = json!({"phase": "Pending"});
    pending["spec"].as_object_mut().unwrap().remove("nodeName");
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "4", "8Gi")
        .replicaset("shop", "web", 2, "100m", "128Mi", &["n1", "n2"])
        .pdb_min_available("shop", "web", json!(2))
        .pdb("shop", "all", json!({}), json!({"maxUnavailable": 0}))
        .object(pending)
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let (code, body) = api.evict("shop", "web-0").await;
    assert_eq!(code, 500);
    assert_eq!(body["reason"], "InternalError");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("more than one PodDisruptionBudget")
    );
    // Pending pods ignore budgets.
    let (code, _) = api.evict("shop", "lonely").await;
    assert_eq!(code, 201);
    emu.stop().await;

    let mut sick = mcp_diag_emulator::testing::pod(
        "db",
        "sick",
        "n1",
        json!({"app": "db"}),
        "100m",
        "1Mi",
        Some(("StatefulSet", "db")),
    );
    sick["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "4", "8Gi")
        .statefulset("db", "db", "100m", "1Mi", &["n1"])
        .object(sick)
        .pdb(
            "db",
            "db",
            json!({"matchLabels": {"app": "db"}}),
            json!({"minAvailable": 5}),
        )
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let (code, _) = api.evict("db", "sick").await;
    assert_eq!(
        code, 429,
        "IfHealthyBudget: an unhealthy pod waits while the budget is short"
    );
    let (code, _) = api
        .send(
            reqwest::Method::PATCH,
            "/apis/policy/v1/namespaces/db/poddisruptionbudgets/db",
            "application/merge-patch+json",
            &json!({"spec": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = api.evict("db", "sick").await;
    assert_eq!(code, 201);
    // A StatefulSet pod comes back under the same name with a new uid.
    let (_, before) = api.get("/api/v1/namespaces/db/pods/db-0").await;
    let (code, deleted) = api
        .send(
            reqwest::Method::DELETE,
            "/api/v1/namespaces/db/pods/db-0",
            "application/json",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(deleted["kind"], "Pod");
    assert!(deleted["metadata"]["deletionTimestamp"].is_string());
    let (code, after) = api.get("/api/v1/namespaces/db/pods/db-0").await;
    assert_eq!(code, 200);
    assert_ne!(before["metadata"]["uid"], after["metadata"]["uid"]);
    emu.stop().await;
}

#[tokio::test]
async fn unschedulable_replacements_wait_for_room() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "1", "1Gi")
        .replicaset("shop", "big", 1, "800m", "256Mi", &["n1"])
        .replicaset("shop", "filler", 1, "800m", "256Mi", &["n2"])
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    api.cordon("n1", true).await;
    let (code, _) = api.evict("shop", "big-0").await;
    assert_eq!(code, 201);
    let pods = api.pods("labelSelector=app%3Dbig").await;
    assert_eq!(pods.len(), 1);
    let p = &pods[0];
    assert_eq!(p["status"]["phase"], "Pending");
    assert!(p["spec"]["nodeName"].is_null());
    let cond = &p["status"]["conditions"][0];
    assert_eq!(cond["type"], "PodScheduled");
    assert_eq!(cond["reason"], "Unschedulable");
    assert!(
        cond["message"].as_str().unwrap().contains("Insufficient cpu"),
        "{cond}"
    );
    // The uncordon makes room: the pod is scheduled back on n1 and becomes Ready.
    api.cordon("n1", false).await;
    let pods = api.pods("labelSelector=app%3Dbig").await;
    assert_eq!(pods[0]["spec"]["nodeName"], "n1");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let pods = api.pods("labelSelector=app%3Dbig").await;
    assert!(ready(&pods[0]));
    emu.stop().await;
}

#[tokio::test]
async fn generic_writes() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "a"}, "data": {"k": "v", "x": "y"}}))
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let path = "/api/v1/namespaces/a/configmaps/cfg";
    let (code, cm) = api
        .send(
            reqwest::Method::PATCH,
            path,
            "application/json-patch+json",
            &json!([{"op": "replace", "path": "/data/k", "value": "w"}, {"op": "remove", "path": "/data/x"}]),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(cm["data"], json!({"k": "w"}));
    let (code, _) = api
        .send(
            reqwest::Method::PATCH,
            path,
            "application/json-patch+json",
            &json!([{"op": "test", "path": "/data/k", "value": "nope"}]),
        )
        .await;
    assert_eq!(code, 422);
    let (code, _) = api
        .send(reqwest::Method::PATCH, path, "text/plain", &json!({}))
        .await;
    assert_eq!(code, 415);
    // PUT with a stale resourceVersion conflicts.
    let mut stale = cm.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let (code, body) = api
        .send(reqwest::Method::PUT, path, "application/json", &stale)
        .await;
    assert_eq!(code, 409);
    assert_eq!(body["reason"], "Conflict");
    let (code, created) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces/a/configmaps",
            "application/json",
            &json!({"metadata": {"generateName": "gen-"}, "data": {}}),
        )
        .await;
    assert_eq!(code, 201);
    assert!(created["metadata"]["name"].as_str().unwrap().starts_with("gen-"));
    let (code, again) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces/a/configmaps",
            "application/json",
            &json!({"metadata": {"name": "cfg"}}),
        )
        .await;
    assert_eq!(code, 409);
    assert_eq!(again["reason"], "AlreadyExists");
    let (code, gone) = api
        .send(reqwest::Method::DELETE, path, "application/json", &json!({}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(gone["status"], "Success");
    assert_eq!(api.get(path).await.0, 404);
    // A created pod without a node is scheduled and becomes Ready.
    let (code, pod) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces/a/pods",
            "application/json",
            &json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(pod["spec"]["nodeName"], "n1");
    let (code, _) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces/a/pods",
            "application/json",
            &json!([1]),
        )
        .await;
    assert_eq!(code, 400);
    emu.stop().await;
}

#[tokio::test]
async fn watch_streams_changes() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "4", "8Gi")
        .replicaset("shop", "web", 1, "100m", "128Mi", &["n1"])
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let (_, list) = api.get("/api/v1/namespaces/shop/pods").await;
    let rv = list["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
    let mut resp = reqwest::get(format!(
        "{}/api/v1/namespaces/shop/pods?watch=1&resourceVersion={rv}&timeoutSeconds=5",
        emu.url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let (code, _) = api.evict("shop", "web-0").await;
    assert_eq!(code, 201);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while text.lines().count() < 4 && tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(2), resp.chunk()).await {
            Ok(Ok(Some(c))) => text.push_str(&String::from_utf8_lossy(&c)),
            _ => break,
        }
    }
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // DELETED web-0, ADDED its replacement, MODIFIED when the replacement becomes Ready.
    assert_eq!(kinds[..2], ["DELETED", "ADDED"], "{text}");
    assert_eq!(events[0]["object"]["metadata"]["name"], "web-0");
    assert!(kinds.contains(&"MODIFIED"), "{text}");
    // Without a resourceVersion, a watch starts with the current objects as ADDED.
    let mut resp = reqwest::get(format!("{}/api/v1/nodes?watch=true&timeoutSeconds=1", emu.url()))
        .await
        .unwrap();
    let mut text = String::new();
    while let Ok(Some(c)) = resp.chunk().await {
        text.push_str(&String::from_utf8_lossy(&c));
    }
    assert_eq!(text.lines().filter(|l| l.contains("\"ADDED\"")).count(), 2);
    emu.stop().await;
}

#[tokio::test]
async fn tables_for_kubectl() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .replicaset("shop", "web", 1, "100m", "128Mi", &["n1"])
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let http = reqwest::Client::new();
    let table: Value = http
        .get(format!("{}/api/v1/pods?limit=500", emu.url()))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(table["kind"], "Table");
    let names: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..5], ["Name", "Ready", "Status", "Restarts", "Age"]);
    let row = &table["rows"][0];
    assert_eq!(row["cells"][0], "web-0");
    assert_eq!(row["cells"][1], "1/1");
    assert_eq!(row["cells"][2], "Running");
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["metadata"]["namespace"], "shop");
    emu.stop().await;
}

#[tokio::test]
async fn v1beta1_empty_selectors_select_nothing_and_terminal_pods_stay_gone() {
    let mut done = mcp_diag_emulator::testing::pod(
        "shop",
        "web-done",
        "n1",
        json!({"app": "web"}),
        "1m",
        "1Mi",
        Some(("ReplicaSet", "web")),
    );
    done["status"] = json!({"phase": "Succeeded"});
    let inv = Cluster::new("1.24.3")
        .nodes(&["n1", "n2"], "4", "8Gi")
        .replicaset("shop", "web", 2, "100m", "128Mi", &["n1", "n2"])
        .object(json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "legacy", "namespace": "shop"}, "spec": {"selector": {}, "minAvailable": 5}}))
        .object(done)
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/legacy")
        .await;
    assert_eq!(pdb["apiVersion"], "policy/v1");
    assert_eq!(pdb["status"]["currentHealthy"], 0);
    let (code, _) = api.evict("shop", "web-0").await;
    assert_eq!(code, 201, "an empty v1beta1 selector guards no pod");
    let (code, _) = api.evict("shop", "web-done").await;
    assert_eq!(code, 201);
    let pods = api.pods("labelSelector=app%3Dweb").await;
    assert_eq!(pods.len(), 2, "web-0 replaced, the finished pod not");
    emu.stop().await;
}

#[tokio::test]
async fn metadata_only_lists_and_table_watches() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .replicaset("shop", "web", 2, "100m", "128Mi", &["n1", "n1"])
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let http = reqwest::Client::new();
    let list: Value = http
        .get(format!("{}/api/v1/pods?limit=1", emu.url()))
        .header(
            "Accept",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
    assert_eq!(list["items"][0]["metadata"]["name"], "web-0");
    assert!(list["items"][0].get("spec").is_none());
    assert!(list["metadata"]["continue"].is_string());

    let mut resp = http
        .get(format!(
            "{}/api/v1/namespaces/shop/pods?watch=1&timeoutSeconds=1",
            emu.url()
        ))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while let Ok(Some(c)) = resp.chunk().await {
        text.push_str(&String::from_utf8_lossy(&c));
    }
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["object"]["kind"], "Table");
    assert!(events[0]["object"]["columnDefinitions"].is_array());
    assert!(
        events[1]["object"]["columnDefinitions"].is_null(),
        "column definitions come once"
    );
    assert_eq!(events[1]["object"]["rows"][0]["cells"][0], "web-1");
    emu.stop().await;
}

#[tokio::test]
async fn deployment_budgets_count_the_deployment_scale() {
    use mcp_diag_emulator::testing::{cordoned, with_label, with_taint};
    let inv = Cluster::new("1.29.4")
        .object(cordoned(mcp_diag_emulator::testing::node("n1", "4", "8Gi")))
        .object(with_taint(
            mcp_diag_emulator::testing::node("n2", "4", "8Gi"),
            "dedicated",
            "db",
            "NoSchedule",
        ))
        .object(with_label(
            mcp_diag_emulator::testing::node("n3", "4", "8Gi"),
            "zone",
            "b",
        ))
        // Scale 4 but only 2 pods exist: maxUnavailable 1 needs 3 healthy, so nothing may go.
        .deployment("shop", "web", 4, "100m", "128Mi", &["n1", "n3"])
        .pdb_max_unavailable("shop", "web", json!(1))
        .build();
    let emu = Emulator::start(inv, opts()).await.unwrap();
    let api = Api::new(&emu);
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web-pdb")
        .await;
    assert_eq!(pdb["status"]["expectedPods"], 4);
    assert_eq!(pdb["status"]["desiredHealthy"], 3);
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);
    let (code, _) = api.evict("shop", "web-rs-0").await;
    assert_eq!(code, 429);
    // With the Deployment gone (no garbage collector here, its ReplicaSet stays), the
    // controller's scale finder reads the ReplicaSet's own scale (4): still 0 allowed.
    let (code, _) = api
        .send(
            reqwest::Method::DELETE,
            "/apis/apps/v1/namespaces/shop/deployments/web",
            "application/json",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web-pdb")
        .await;
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);
    assert_eq!(pdb["status"]["expectedPods"], 4);
    assert_eq!(pdb["status"]["conditions"][0]["reason"], "InsufficientPods");
    emu.stop().await;
}

/// Fidelity details the planner's author found by reading the emulator: a pod Pending in the
/// snapshot is placed once room appears, ReplicationController pods are replaced, and a
/// ReplicaSet owned by something other than a Deployment counts its own scale for budgets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_pods_rc_replacements_and_foreign_owned_replicasets() {
    use mcp_diag_emulator::testing::{cordoned, node, pod};
    let mut waiting = pod("web", "late", "", json!({"app": "late"}), "100m", "64Mi", None);
    waiting["spec"].as_object_mut().unwrap().remove("nodeName");
    waiting["status"] = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]});
    let rollout_rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "canary", "namespace": "web", "uid": "uid-canary",
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "canary", "uid": "r", "controller": true}]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "canary"}}}});
    let mut cluster = Cluster::new("v1.31.2")
        .object(cordoned(node("only", "4", "8Gi")))
        .object(node("busy", "1", "1Gi"))
        .object(json!({"apiVersion": "v1", "kind": "ReplicationController",
            "metadata": {"name": "legacy", "namespace": "web", "uid": "uid-legacy"},
            "spec": {"replicas": 1, "selector": {"app": "legacy"}}}))
        .object(pod(
            "web",
            "legacy-abcde",
            "busy",
            json!({"app": "legacy"}),
            "100m",
            "64Mi",
            Some(("ReplicationController", "legacy")),
        ))
        .object(rollout_rs)
        .pdb_max_unavailable("web", "canary", json!(1));
    for i in 0..3 {
        cluster = cluster.object(pod(
            "web",
            &format!("canary-{i}"),
            "busy",
            json!({"app": "canary"}),
            "10m",
            "8Mi",
            Some(("ReplicaSet", "canary")),
        ));
    }
    cluster.objects_mut().push(waiting);
    let emu = Emulator::start(cluster.build(), opts()).await.unwrap();
    let api = Api::new(&emu);
    // The foreign-owned ReplicaSet's own scale (3) with maxUnavailable 1: one disruption.
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/web/poddisruptionbudgets/canary-pdb")
        .await;
    assert_eq!(pdb["status"]["expectedPods"], 3, "{pdb}");
    assert_eq!(pdb["status"]["disruptionsAllowed"], 1, "{pdb}");
    // The Pending pod waits; uncordoning the big node places it.
    let (_, late) = api.get("/api/v1/namespaces/web/pods/late").await;
    assert!(late["spec"]["nodeName"].is_null(), "{late}");
    api.cordon("only", false).await;
    let (_, late) = api.get("/api/v1/namespaces/web/pods/late").await;
    assert_eq!(late["spec"]["nodeName"], "only", "{late}");
    // An evicted ReplicationController pod comes back under a new name.
    let (code, _) = api.evict("web", "legacy-abcde").await;
    assert!(code == 200 || code == 201, "{code}");
    let legacy = api.pods("labelSelector=app%3Dlegacy").await;
    assert_eq!(legacy.len(), 1, "{legacy:?}");
    assert_ne!(legacy[0]["metadata"]["name"], "legacy-abcde");
    emu.stop().await;
}

/// Budgets the disruption controller allows 0 for refuse with the eviction handler's words,
/// and a snapshot without ReplicaSets evicts by its budgets' recorded status.
#[tokio::test]
async fn eviction_follows_expected_count_and_recorded_status() {
    let mut c = Cluster::new("1.31.0")
        .nodes(&["n1", "n2"], "8", "16Gi")
        .deployment("shop", "web", 3, "100m", "128Mi", &["n1", "n1", "n2"])
        .pdb_max_unavailable("shop", "web", json!(1))
        .deployment("shop", "api", 2, "100m", "128Mi", &["n1", "n2"])
        .pdb(
            "shop",
            "api-pdb",
            json!({"matchLabels": {"app": "api"}}),
            json!({}),
        )
        .deployment("shop", "old", 2, "100m", "128Mi", &["n1", "n2"])
        .pdb_max_unavailable("shop", "old", json!(1));
    for o in c.objects_mut() {
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_owned();
        if o["kind"] == "PodDisruptionBudget" {
            // web: fresh; old: recorded before its last spec change.
            let observed = if name == "old-pdb" { 0 } else { 1 };
            o["status"] = json!({"observedGeneration": observed, "disruptionsAllowed": 1,
                "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3});
        }
    }
    // An export without ReplicaSets (the web and old ones; api keeps its own).
    c.objects_mut()
        .retain(|o| !(o["kind"] == "ReplicaSet" && o["metadata"]["name"] != "api-rs"));
    let emu = Emulator::start(c.build(), opts()).await.unwrap();
    let api = Api::new(&emu);

    // No minAvailable nor maxUnavailable: expectedCount 0, nothing allowed.
    let (code, body) = api.evict("shop", "api-rs-0").await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(
        body["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "The disruption budget api-pdb needs 0 healthy pods and has 2 currently"
    );

    // The recorded status (1 allowed) stands for the missing ReplicaSet; once one pod is
    // gone, 2 healthy for 2 desired allow nothing more.
    let path = "/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web-pdb";
    let (_, pdb) = api.get(path).await;
    assert_eq!(pdb["status"]["disruptionsAllowed"], 1, "{pdb}");
    let (code, body) = api.evict("shop", "web-rs-0").await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = api.evict("shop", "web-rs-1").await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"
    );

    // A stale recorded status and no controller: fail-safe, and the handler sees a budget
    // the controller has not observed.
    let (_, pdb) = api
        .get("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/old-pdb")
        .await;
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0, "{pdb}");
    assert_eq!(pdb["status"]["conditions"][0]["reason"], "SyncFailed");
    assert_eq!(
        pdb["status"]["conditions"][0]["message"],
        "found no controllers for pod \"old-rs-0\""
    );
    let (code, body) = api.evict("shop", "old-rs-0").await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "The disruption budget old-pdb is still being processed by the server."
    );
    assert_eq!(body["details"]["retryAfterSeconds"], 10);
    emu.stop().await;
}
