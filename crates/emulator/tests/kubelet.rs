//! Simulated kubelets through kube-rs and HTTP: the three triggers of a node upgrade (control
//! endpoint, label, Job), the per-node faults, and the writes an upgrade orchestrator makes
//! (Leases with optimistic concurrency, node patches and replaces).

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, NodeFault, Options};
use serde_json::{Value, json};

/// Generous: the kubelets restart in 300 ms; a loaded machine may take much longer.
const WITHIN: Duration = Duration::from_secs(30);
const RESTART: Duration = Duration::from_millis(300);

async fn client(emu: &Emulator) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&emu.kubeconfig("emu")).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn cluster() -> mcp_diag_model::Inventory {
    Cluster::new("1.31.4")
        .nodes(&["n1", "n2", "n3"], "8", "16Gi")
        .replicaset("shop", "web", 2, "100m", "64Mi", &["n1", "n2"])
        .daemonset("kube-system", "proxy", &["n1", "n2", "n3"])
        .build()
}

async fn start(faults: &[(&str, NodeFault)]) -> Emulator {
    let options = Options {
        ready_delay: Duration::from_millis(50),
        kubelet_restart: RESTART,
        node_faults: faults.iter().map(|(n, f)| ((*n).to_owned(), f.clone())).collect(),
        ..Options::default()
    };
    Emulator::start(cluster(), options).await.unwrap()
}

fn ready(node: &Node) -> Option<String> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.clone())
}

fn kubelet_version(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.kubelet_version.clone())
        .unwrap_or_default()
}

fn pod_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Polls `check` until it gives a value, or panics after [`WITHIN`] saying what it waited for.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the node is Ready at `version`.
async fn back_at(nodes: &Api<Node>, name: &str, version: &str) {
    eventually(&format!("{name} Ready at {version}"), || async {
        let n = nodes.get(name).await.ok()?;
        (ready(&n).as_deref() == Some("True") && kubelet_version(&n) == version).then_some(())
    })
    .await;
}

async fn post_upgrade(emu: &Emulator, node: &str, version: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/mcp-diag/v1/nodes/{node}/upgrade", emu.url()))
        .query(&[("version", version)])
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_control_endpoint_upgrades_a_node_and_reboots_its_pods() {
    let emu = start(&[]).await;
    let client = client(&emu).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let pods: Api<Pod> = Api::all(client.clone());
    assert_eq!(kubelet_version(&nodes.get("n1").await.unwrap()), "v1.29.4");

    let (code, body) = post_upgrade(&emu, "n1", "1.30.2").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["version"], "v1.30.2");
    assert_eq!(body["from_version"], "v1.29.4");
    assert_eq!(body["started"], true);
    // NotReady at once, with the kubelet's reason and the lifecycle controller's taint.
    let n1 = nodes.get("n1").await.unwrap();
    assert_eq!(ready(&n1).as_deref(), Some("False"));
    let cond = n1.status.as_ref().unwrap().conditions.as_ref().unwrap();
    assert_eq!(cond[0].reason.as_deref(), Some("KubeletNotReady"));
    assert!(cond[0].last_transition_time.is_some());
    assert!(n1.spec.as_ref().unwrap().taints.as_ref().unwrap()[0].key == "node.kubernetes.io/not-ready");
    // The same version again while in flight: accepted, nothing new.
    let (code, body) = post_upgrade(&emu, "n1", "v1.30.2").await;
    assert_eq!((code, &body["started"]), (202, &json!(false)), "{body}");
    assert_eq!(emu.node_state("n1").unwrap().upgrades, 1);
    assert_eq!(
        emu.node_state("n1").unwrap().upgrading_to.as_deref(),
        Some("v1.30.2")
    );
    // The DaemonSet's pod stays, not Ready; the ReplicaSet's pod is replaced elsewhere.
    let ds = Api::<Pod>::namespaced(client.clone(), "kube-system");
    assert!(!pod_ready(&ds.get("proxy-n1").await.unwrap()));
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    assert!(shop.get("web-0").await.is_err(), "web-0 was on n1: gone");
    let web = shop.list(&Default::default()).await.unwrap();
    assert_eq!(web.items.len(), 2, "the ReplicaSet replaced it");
    assert!(
        web.items
            .iter()
            .all(|p| p.spec.as_ref().unwrap().node_name.as_deref() != Some("n1"))
    );

    back_at(&nodes, "n1", "v1.30.2").await;
    let n1 = nodes.get("n1").await.unwrap();
    assert_eq!(
        n1.status
            .as_ref()
            .unwrap()
            .node_info
            .as_ref()
            .unwrap()
            .kube_proxy_version,
        "v1.30.2"
    );
    assert!(n1.spec.as_ref().unwrap().taints.is_none(), "taint removed");
    eventually("proxy-n1 Ready again", || async {
        pod_ready(&ds.get("proxy-n1").await.ok()?).then_some(())
    })
    .await;
    assert_eq!(emu.node_state("n1").unwrap().upgrading_to, None);
    assert!(pods.list(&Default::default()).await.unwrap().items.len() >= 5);

    // A rollback is an upgrade to the older version.
    assert_eq!(post_upgrade(&emu, "n1", "v1.29.4").await.0, 202);
    back_at(&nodes, "n1", "v1.29.4").await;
    assert_eq!(emu.node_state("n1").unwrap().upgrades, 2);

    // Bad requests.
    let (code, body) = post_upgrade(&emu, "nope", "v1.30.0").await;
    assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")), "{body}");
    let (code, body) = post_upgrade(&emu, "n1", "1.30").await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (400, Some("BadRequest")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("vMAJOR.MINOR.PATCH"));
    let r = reqwest::Client::new()
        .post(format!("{}/mcp-diag/v1/nodes/n1/upgrade", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = reqwest::get(format!("{}/mcp-diag/v1/nodes/n1/upgrade", emu.url()))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let state: Value = reqwest::get(format!("{}/mcp-diag/v1/nodes/n1", emu.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["kubelet_version"], "v1.29.4");
    assert_eq!(state["ready"], true);
    emu.stop().await;
}

#[tokio::test]
async fn the_label_starts_an_upgrade_once() {
    let emu = start(&[]).await;
    let nodes: Api<Node> = Api::all(client(&emu).await);
    let label = |v: &str| json!({"metadata": {"labels": {"upgrade.mcp-diag.io/version": v}}});
    // The label at the kubelet's own version does nothing.
    nodes
        .patch("n2", &PatchParams::default(), &Patch::Merge(label("v1.29.4")))
        .await
        .unwrap();
    assert_eq!(emu.node_state("n2").unwrap().upgrades, 0);

    nodes
        .patch("n2", &PatchParams::default(), &Patch::Merge(label("v1.30.0")))
        .await
        .unwrap();
    assert_eq!(ready(&nodes.get("n2").await.unwrap()).as_deref(), Some("False"));
    back_at(&nodes, "n2", "v1.30.0").await;
    // Later writes of the node that do not set the label again start nothing.
    nodes.cordon("n2").await.unwrap();
    nodes.uncordon("n2").await.unwrap();
    assert_eq!(emu.node_state("n2").unwrap().upgrades, 1);

    // A PUT changing the label (strategic merge too) starts the rollback.
    let mut n2 = nodes.get("n2").await.unwrap();
    n2.metadata
        .labels
        .as_mut()
        .unwrap()
        .insert("upgrade.mcp-diag.io/version".to_owned(), "1.29.4".to_owned());
    nodes.replace("n2", &PostParams::default(), &n2).await.unwrap();
    back_at(&nodes, "n2", "v1.29.4").await;
    assert_eq!(emu.node_state("n2").unwrap().upgrades, 2);
    emu.stop().await;
}

fn upgrade_job(name: &str, node: &str, version: &str) -> Job {
    serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "nodeName": node, "restartPolicy": "Never",
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "upgrade", "image": "registry.example/kubelet-upgrade:1",
                "env": [{"name": "MCP_DIAG_TARGET_VERSION", "value": version}]}]}}}
    }))
    .unwrap()
}

fn job_condition(job: &Job, ty: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == ty && c.status == "True"))
}

#[tokio::test]
async fn a_pinned_job_upgrades_its_node_and_reports_how_it_went() {
    let emu = start(&[("n3", NodeFault::Fail)]).await;
    let client = client(&emu).await;
    let nodes: Api<Node> = Api::all(client.clone());
    // A namespace the snapshot has no Job in.
    let jobs: Api<Job> = Api::namespaced(client.clone(), "upgrades");
    jobs.create(&PostParams::default(), &upgrade_job("up-n1", "n1", "v1.30.0"))
        .await
        .unwrap();
    let j = jobs.get("up-n1").await.unwrap();
    assert_eq!(j.status.as_ref().and_then(|s| s.active), Some(1));
    assert_eq!(ready(&nodes.get("n1").await.unwrap()).as_deref(), Some("False"));
    let done = eventually("up-n1 Complete", || async {
        let j = jobs.get("up-n1").await.ok()?;
        job_condition(&j, "Complete").then_some(j)
    })
    .await;
    let st = done.status.unwrap();
    assert_eq!((st.succeeded, st.active.unwrap_or(0)), (Some(1), 0));
    assert!(st.completion_time.is_some());
    let n1 = nodes.get("n1").await.unwrap();
    assert_eq!(
        (ready(&n1).as_deref(), kubelet_version(&n1).as_str()),
        (Some("True"), "v1.30.0")
    );

    // nodeSelector on the hostname pins it too; fault `fail`: the Job fails, the node stays.
    let mut by_selector = upgrade_job("up-n3", "", "v1.30.0");
    let spec = by_selector.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
    spec.node_name = None;
    spec.node_selector = Some([("kubernetes.io/hostname".to_owned(), "n3".to_owned())].into());
    jobs.create(&PostParams::default(), &by_selector).await.unwrap();
    let failed = eventually("up-n3 Failed", || async {
        let j = jobs.get("up-n3").await.ok()?;
        job_condition(&j, "Failed").then_some(j)
    })
    .await;
    assert_eq!(failed.status.as_ref().unwrap().failed, Some(1));
    let n3 = nodes.get("n3").await.unwrap();
    assert_eq!(
        (ready(&n3).as_deref(), kubelet_version(&n3).as_str()),
        (Some("True"), "v1.29.4")
    );

    // Fault `hang`: active, and it stays so.
    emu.set_node_fault("n2", Some(NodeFault::Hang));
    jobs.create(&PostParams::default(), &upgrade_job("up-n2", "n2", "v1.30.0"))
        .await
        .unwrap();
    tokio::time::sleep(RESTART * 4).await;
    let j = jobs.get("up-n2").await.unwrap();
    assert_eq!(j.status.as_ref().and_then(|s| s.active), Some(1));
    assert!(!job_condition(&j, "Complete") && !job_condition(&j, "Failed"));
    assert_eq!(ready(&nodes.get("n2").await.unwrap()).as_deref(), Some("True"));

    // Another Job is stored and left alone; Jobs delete like anything else.
    let other: Job = serde_json::from_value(json!({"metadata": {"name": "backup"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "b", "image": "busybox"}]}}}}))
    .unwrap();
    jobs.create(&PostParams::default(), &other).await.unwrap();
    assert!(jobs.get("backup").await.unwrap().status.is_none());
    jobs.delete("up-n1", &DeleteParams::background()).await.unwrap();
    match jobs.get("up-n1").await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (404, "NotFound")),
        other => panic!("expected 404, got {other:?}"),
    }
    assert_eq!(jobs.list(&Default::default()).await.unwrap().items.len(), 3);
    emu.stop().await;
}

#[tokio::test]
async fn node_faults_fail_hang_never_ready_and_wrong_version() {
    let emu = start(&[("n1", NodeFault::Fail)]).await;
    let nodes: Api<Node> = Api::all(client(&emu).await);
    let http = reqwest::Client::new();

    // fail: a 500 with a message; the node is untouched; the label does nothing.
    let (code, body) = post_upgrade(&emu, "n1", "v1.30.0").await;
    assert_eq!(code, 500, "{body}");
    assert!(body["message"].as_str().unwrap().contains("failed"), "{body}");
    nodes
        .patch(
            "n1",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"upgrade.mcp-diag.io/version": "v1.30.0"}}})),
        )
        .await
        .unwrap();
    assert_eq!(ready(&nodes.get("n1").await.unwrap()).as_deref(), Some("True"));
    assert_eq!(emu.node_state("n1").unwrap().upgrades, 0);

    // hang, set through the control endpoint: that request never answers, others do.
    let r = http
        .put(format!("{}/mcp-diag/v1/nodes/n2/fault", emu.url()))
        .body("hang")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let hung = http
        .post(format!(
            "{}/mcp-diag/v1/nodes/n2/upgrade?version=v1.30.0",
            emu.url()
        ))
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()), "the hung action timed out");
    assert!(nodes.get("n2").await.is_ok(), "the server still answers");
    assert_eq!(emu.node_state("n2").unwrap().fault, Some(NodeFault::Hang));
    let r = http
        .delete(format!("{}/mcp-diag/v1/nodes/n2/fault", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(emu.node_state("n2").unwrap().fault, None);

    // never-ready: NotReady for good.
    emu.set_node_fault("n2", Some(NodeFault::NeverReady));
    assert_eq!(post_upgrade(&emu, "n2", "v1.30.0").await.0, 202);
    tokio::time::sleep(RESTART * 5).await;
    assert_eq!(ready(&nodes.get("n2").await.unwrap()).as_deref(), Some("False"));
    // Cleared, the same action again brings it back.
    emu.set_node_fault("n2", None);
    assert_eq!(post_upgrade(&emu, "n2", "v1.30.0").await.1["started"], true);
    back_at(&nodes, "n2", "v1.30.0").await;

    // wrong-version: back Ready at another version.
    let r = http
        .put(format!("{}/mcp-diag/v1/nodes/n3/fault", emu.url()))
        .body("\"wrong-version=v1.29.9\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(post_upgrade(&emu, "n3", "v1.30.0").await.0, 202);
    back_at(&nodes, "n3", "v1.29.9").await;

    // Bad fault requests.
    let r = http
        .put(format!("{}/mcp-diag/v1/nodes/n3/fault", emu.url()))
        .body("explode")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .put(format!("{}/mcp-diag/v1/nodes/nope/fault", emu.url()))
        .body("fail")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    emu.stop().await;
}

#[tokio::test]
async fn the_control_endpoints_ignore_the_api_servers_faults() {
    let emu = start(&[]).await;
    emu.set_faults(mcp_diag_emulator::Faults {
        error_share: 1.0,
        ..Default::default()
    });
    let r = reqwest::get(format!("{}/api/v1/nodes", emu.url())).await.unwrap();
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(post_upgrade(&emu, "n1", "v1.30.0").await.0, 202);
    let r = reqwest::get(format!("{}/mcp-diag/v1/app/metrics", emu.url()))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    emu.stop().await;
}

fn lease(name: &str, holder: &str) -> Lease {
    serde_json::from_value(json!({"metadata": {"name": name},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15,
            "renewTime": "2026-12-06T10:00:00.000000Z"}}))
    .unwrap()
}

fn api_error(r: Result<impl std::fmt::Debug, kube::Error>) -> (u16, String) {
    match r {
        Err(kube::Error::Api(s)) => (s.code, s.reason),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn leases_are_created_once_and_replaced_only_at_their_version() {
    let emu = start(&[]).await;
    let leases: Api<Lease> = Api::namespaced(client(&emu).await, "mcp-diag-system");
    assert_eq!(
        api_error(leases.get("mcp-diag-upgrade").await),
        (404, "NotFound".to_owned())
    );
    let created = leases
        .create(&PostParams::default(), &lease("mcp-diag-upgrade", "alice"))
        .await
        .unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    assert_eq!(
        api_error(
            leases
                .create(&PostParams::default(), &lease("mcp-diag-upgrade", "bob"))
                .await
        ),
        (409, "AlreadyExists".to_owned())
    );
    // Renewal at the current version succeeds; one from a stale read is a Conflict.
    let mut renew = created.clone();
    renew.spec.as_mut().unwrap().lease_duration_seconds = Some(30);
    let renewed = leases
        .replace("mcp-diag-upgrade", &PostParams::default(), &renew)
        .await
        .unwrap();
    assert_ne!(renewed.metadata.resource_version.as_deref(), Some(rv.as_str()));
    let mut stale = created;
    stale.spec.as_mut().unwrap().holder_identity = Some("bob".to_owned());
    assert_eq!(
        api_error(
            leases
                .replace("mcp-diag-upgrade", &PostParams::default(), &stale)
                .await
        ),
        (409, "Conflict".to_owned())
    );
    let now = leases.get("mcp-diag-upgrade").await.unwrap();
    assert_eq!(
        (
            now.spec.as_ref().unwrap().holder_identity.as_deref(),
            now.spec.as_ref().unwrap().lease_duration_seconds
        ),
        (Some("alice"), Some(30))
    );
    // The raw answer to a create is 201.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/apis/coordination.k8s.io/v1/namespaces/other/leases",
            emu.url()
        ))
        .json(&json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "x"}, "spec": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    emu.stop().await;
}

#[tokio::test]
async fn nodes_patch_and_replace_as_the_orchestrator_writes_them() {
    let emu = start(&[]).await;
    let nodes: Api<Node> = Api::all(client(&emu).await);
    let merge = json!({"spec": {"unschedulable": true},
        "metadata": {"labels": {"tier": "canary"}, "annotations": {"upgrade.mcp-diag.io/step": "cordoned"}}});
    let n = nodes
        .patch("n1", &PatchParams::default(), &Patch::Merge(merge))
        .await
        .unwrap();
    assert_eq!(n.spec.as_ref().unwrap().unschedulable, Some(true));
    assert_eq!(n.metadata.labels.as_ref().unwrap()["tier"], "canary");
    assert_eq!(
        n.metadata.labels.as_ref().unwrap()["kubernetes.io/hostname"],
        "n1",
        "other labels kept"
    );
    let strategic = json!({"spec": {"unschedulable": null},
        "metadata": {"annotations": {"upgrade.mcp-diag.io/step": "done", "upgrade.mcp-diag.io/run": "r1"}}});
    let n = nodes
        .patch("n1", &PatchParams::default(), &Patch::Strategic(strategic))
        .await
        .unwrap();
    assert_eq!(n.spec.as_ref().unwrap().unschedulable, None);
    let ann = n.metadata.annotations.as_ref().unwrap();
    assert_eq!((ann["upgrade.mcp-diag.io/step"].as_str(), ann.len()), ("done", 2));

    // PUT: at the current version it is stored; from a stale read it is a Conflict.
    let mut fresh = nodes.get("n1").await.unwrap();
    let stale = fresh.clone();
    fresh.spec.as_mut().unwrap().unschedulable = Some(true);
    nodes.replace("n1", &PostParams::default(), &fresh).await.unwrap();
    assert_eq!(
        api_error(nodes.replace("n1", &PostParams::default(), &stale).await),
        (409, "Conflict".to_owned())
    );
    assert_eq!(
        nodes.get("n1").await.unwrap().spec.unwrap().unschedulable,
        Some(true)
    );
    emu.stop().await;
}
