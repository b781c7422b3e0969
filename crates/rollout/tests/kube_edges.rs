//! KubeEdges against the emulator: node stages, drain, actions, verify and the Lease.
//!
//! The emulator has no kubelet that changes versions: the tests act as the kubelet by
//! writing the node's status themselves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use mcp_diag_emulator::testing::{Cluster, cordoned, node, pod};
use mcp_diag_emulator::{Emulator, Options};
use mcp_diag_rollout::config::{Action, ActionKind, GatesConfig, JobAction, RolloutConfig, UpgradeConfig};
use mcp_diag_rollout::driver::{AbortRequest, Edges, NodeOp};
use mcp_diag_rollout::kube::lease::{self, LeaseError};
use mcp_diag_rollout::kube::{KubeEdges, Timing, read_run_nodes};
use mcp_diag_rollout::model::{Direction, OpResult, Stage};
use serde_json::{Value, json};

const RUN: &str = "run-20261206-a";
const HOLDER: &str = "orchestrator-a";

async fn client(emu: &Emulator) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&emu.kubeconfig("emu")).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn edges(client: &kube::Client) -> KubeEdges {
    KubeEdges::new(client.clone(), "kube-system", HOLDER, 30_000).with_timing(Timing {
        poll: Duration::from_millis(50),
        eviction_retry: Duration::from_millis(200),
    })
}

fn config(f: impl FnOnce(&mut UpgradeConfig)) -> Arc<RolloutConfig> {
    let mut upgrade = UpgradeConfig::default();
    upgrade.drain.timeout = 5_000;
    upgrade.verify.node_ready_timeout = 1_000;
    upgrade.verify.workloads_ready_timeout = 1_000;
    f(&mut upgrade);
    Arc::new(RolloutConfig {
        upgrade,
        gates: GatesConfig::default(),
    })
}

fn op(node: &str, stage: Stage, direction: Direction) -> NodeOp {
    NodeOp {
        run_id: RUN.into(),
        node: node.into(),
        direction,
        stage,
        version: match direction {
            Direction::Upgrade => "v1.30.2".into(),
            Direction::Rollback => "v1.29.4".into(),
        },
        expect_minor: match direction {
            Direction::Upgrade => "1.30".into(),
            Direction::Rollback => "1.29".into(),
        },
        from_version: "v1.29.4".into(),
        final_step: match direction {
            Direction::Upgrade => "done",
            Direction::Rollback => "rolled-back",
        },
        cordoned_by_run: true,
    }
}

async fn get_node(client: &kube::Client, name: &str) -> Node {
    Api::<Node>::all(client.clone()).get(name).await.unwrap()
}

fn ann(n: &Node, key: &str) -> Option<String> {
    n.metadata.annotations.as_ref()?.get(key).cloned()
}

fn unschedulable(n: &Node) -> bool {
    n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false)
}

async fn pods_on(client: &kube::Client, node: &str) -> Vec<String> {
    let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
    let mut names: Vec<String> = Api::<Pod>::all(client.clone())
        .list(&lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.unwrap_or_default(),
                p.metadata.name.unwrap_or_default()
            )
        })
        .collect();
    names.sort();
    names
}

/// Acts as the kubelet: sets the node's version and Ready condition.
async fn kubelet(client: &kube::Client, name: &str, version: &str, ready: bool) {
    let api: Api<Node> = Api::all(client.clone());
    let mut n = api.get(name).await.unwrap();
    let status = n.status.get_or_insert_with(Default::default);
    status
        .node_info
        .get_or_insert_with(Default::default)
        .kubelet_version = version.into();
    for c in status.conditions.iter_mut().flatten() {
        if c.type_ == "Ready" {
            c.status = if ready { "True" } else { "False" }.into();
        }
    }
    api.replace_status(name, &PostParams::default(), &n)
        .await
        .unwrap();
}

fn is_ok(r: &(OpResult, String)) -> bool {
    r.0 == OpResult::Ok
}

fn reason(r: &(OpResult, String)) -> String {
    match &r.0 {
        OpResult::Ok => String::new(),
        OpResult::NotYet { reason } | OpResult::Failed { reason } => reason.clone(),
    }
}

#[tokio::test]
async fn cordon_uncordon_keeps_an_operator_cordon() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .object(cordoned(node("n2", "4", "8Gi")))
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let cfg = config(|_| {});

    for name in ["n1", "n2"] {
        let r = e
            .node_op(op(name, Stage::Cordon, Direction::Upgrade), cfg.clone())
            .await;
        assert!(is_ok(&r), "{r:?}");
        let n = get_node(&c, name).await;
        assert!(unschedulable(&n), "{name} cordoned");
        assert_eq!(ann(&n, "upgrade.mcp-diag.io/run").as_deref(), Some(RUN));
        assert_eq!(ann(&n, "upgrade.mcp-diag.io/step").as_deref(), Some("cordoned"));
        assert_eq!(
            ann(&n, "upgrade.mcp-diag.io/from-version").as_deref(),
            Some("v1.29.4")
        );
    }
    assert_eq!(
        ann(&get_node(&c, "n1").await, "upgrade.mcp-diag.io/was-cordoned"),
        None
    );
    assert_eq!(
        ann(&get_node(&c, "n2").await, "upgrade.mcp-diag.io/was-cordoned").as_deref(),
        Some("true")
    );

    // A repeated cordon (after a crash) is recognised as the run's own.
    let again = e
        .node_op(op("n1", Stage::Cordon, Direction::Upgrade), cfg.clone())
        .await;
    assert!(is_ok(&again), "{again:?}");
    assert_eq!(
        ann(&get_node(&c, "n1").await, "upgrade.mcp-diag.io/was-cordoned"),
        None
    );

    // from-version is written once, never overwritten.
    let mut other = op("n1", Stage::Cordon, Direction::Upgrade);
    other.from_version = "v9.9.9".into();
    assert!(is_ok(&e.node_op(other, cfg.clone()).await));
    assert_eq!(
        ann(&get_node(&c, "n1").await, "upgrade.mcp-diag.io/from-version").as_deref(),
        Some("v1.29.4")
    );

    for name in ["n1", "n2"] {
        let r = e
            .node_op(op(name, Stage::Uncordon, Direction::Upgrade), cfg.clone())
            .await;
        assert!(is_ok(&r), "{r:?}");
        assert_eq!(
            ann(&get_node(&c, name).await, "upgrade.mcp-diag.io/step").as_deref(),
            Some("done")
        );
    }
    assert!(!unschedulable(&get_node(&c, "n1").await), "n1 uncordoned");
    assert!(
        unschedulable(&get_node(&c, "n2").await),
        "n2 was cordoned before the run and stays so"
    );

    let nodes = read_run_nodes(&c, RUN).await.unwrap();
    assert_eq!(
        nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["n1", "n2"]
    );
    assert!(
        nodes
            .iter()
            .all(|n| n.step == "done" && n.from_version.as_deref() == Some("v1.29.4"))
    );
    assert!(nodes[1].was_cordoned && !nodes[0].was_cordoned);
    assert!(read_run_nodes(&c, "another-run").await.unwrap().is_empty());
    emu.stop().await;
}

fn mirror_pod(node_name: &str) -> Value {
    let mut p = pod(
        "kube-system",
        &format!("etcd-{node_name}"),
        node_name,
        json!({"component": "etcd"}),
        "10m",
        "16Mi",
        None,
    );
    p["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "abc"});
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": "uid-node", "controller": true}]);
    p
}

#[tokio::test]
async fn a_whole_node_upgrade_with_annotations_per_stage() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "8", "16Gi")
        .replicaset("shop", "web", 2, "100m", "64Mi", &["n1", "n1"])
        .daemonset("kube-system", "proxy", &["n1", "n2"])
        .object(mirror_pod("n1"))
        .build();
    // The test plays the kubelet itself (it writes the node's status), so the emulator's
    // simulated kubelet is told to ignore the label.
    let options = Options {
        node_faults: [("n1".to_owned(), mcp_diag_emulator::NodeFault::Hang)].into(),
        ..Options::default()
    };
    let emu = Emulator::start(inv, options).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let cfg = config(|_| {});
    let step = |n: &Node| ann(n, "upgrade.mcp-diag.io/step").unwrap_or_default();

    for stage in [Stage::Precheck, Stage::Cordon, Stage::Drain, Stage::Action] {
        let r = e.node_op(op("n1", stage, Direction::Upgrade), cfg.clone()).await;
        assert!(is_ok(&r), "{stage:?}: {r:?}");
        assert_eq!(
            step(&get_node(&c, "n1").await),
            stage.annotation(Direction::Upgrade),
            "{stage:?}"
        );
    }
    // The drain left the DaemonSet and mirror pods and nothing else.
    assert_eq!(
        pods_on(&c, "n1").await,
        ["kube-system/etcd-n1", "kube-system/proxy-n1"]
    );
    // The default action labels the node with the target version.
    let labels = get_node(&c, "n1").await.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get("upgrade.mcp-diag.io/version").map(String::as_str),
        Some("v1.30.2")
    );

    // The kubelet still reports the old version: Verify gives up naming it.
    let r = e
        .node_op(op("n1", Stage::Verify, Direction::Upgrade), cfg.clone())
        .await;
    assert!(
        reason(&r).contains("kubelet reports v1.29.4, expected 1.30"),
        "{r:?}"
    );
    kubelet(&c, "n1", "v1.30.2", false).await;
    let r = e
        .node_op(op("n1", Stage::Verify, Direction::Upgrade), cfg.clone())
        .await;
    assert!(reason(&r).contains("NotReady"), "{r:?}");
    kubelet(&c, "n1", "v1.30.2", true).await;
    // The node is fine but the ReplicaSet whose pods were evicted reports none Ready (the
    // emulator keeps no ReplicaSet status: the test writes it).
    let r = e
        .node_op(op("n1", Stage::Verify, Direction::Upgrade), cfg.clone())
        .await;
    assert!(reason(&r).contains("ReplicaSet shop/web: 0 of 2 Ready"), "{r:?}");
    let rs: Api<ReplicaSet> = Api::namespaced(c.clone(), "shop");
    let mut web = rs.get("web").await.unwrap();
    web.status = Some(k8s_openapi::api::apps::v1::ReplicaSetStatus {
        replicas: 2,
        ready_replicas: Some(2),
        ..Default::default()
    });
    rs.replace_status("web", &PostParams::default(), &web)
        .await
        .unwrap();
    let r = e
        .node_op(op("n1", Stage::Verify, Direction::Upgrade), cfg.clone())
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert_eq!(step(&get_node(&c, "n1").await), "verifying");

    let r = e
        .node_op(op("n1", Stage::Uncordon, Direction::Upgrade), cfg.clone())
        .await;
    assert!(is_ok(&r), "{r:?}");
    let n = get_node(&c, "n1").await;
    assert_eq!(step(&n), "done");
    assert!(!unschedulable(&n));

    // And back: the rollback's stages carry their own words and end `rolled-back`.
    let cordon = e
        .node_op(op("n1", Stage::Cordon, Direction::Rollback), cfg.clone())
        .await;
    assert!(is_ok(&cordon), "{cordon:?}");
    assert_eq!(step(&get_node(&c, "n1").await), "rollback-draining");
    assert!(is_ok(
        &e.node_op(op("n1", Stage::Action, Direction::Rollback), cfg.clone())
            .await
    ));
    let n = get_node(&c, "n1").await;
    assert_eq!(step(&n), "rolling-back");
    assert_eq!(
        n.metadata
            .labels
            .unwrap_or_default()
            .get("upgrade.mcp-diag.io/version")
            .map(String::as_str),
        Some("v1.29.4")
    );
    assert!(is_ok(
        &e.node_op(op("n1", Stage::Uncordon, Direction::Rollback), cfg.clone())
            .await
    ));
    assert_eq!(step(&get_node(&c, "n1").await), "rolled-back");
    emu.stop().await;
}

#[tokio::test]
async fn an_unmanaged_pod_blocks_the_drain_without_force() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "8", "16Gi")
        .replicaset("shop", "web", 1, "100m", "64Mi", &["n1"])
        .bare_pod("ops", "debug", "n1")
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);

    let r = e
        .node_op(op("n1", Stage::Drain, Direction::Upgrade), config(|_| {}))
        .await;
    let why = reason(&r);
    assert!(matches!(r.0, OpResult::Failed { .. }), "{r:?}");
    assert!(why.contains("ops/debug") && why.contains("drain.force"), "{why}");
    // Nothing was evicted: kubectl refuses the whole drain first.
    assert_eq!(pods_on(&c, "n1").await, ["ops/debug", "shop/web-0"]);

    assert!(is_ok(
        &e.node_op(op("n1", Stage::Cordon, Direction::Upgrade), config(|_| {}))
            .await
    ));
    let r = e
        .node_op(
            op("n1", Stage::Drain, Direction::Upgrade),
            config(|u| u.drain.force = true),
        )
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert!(pods_on(&c, "n1").await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn a_budget_that_keeps_refusing_fails_the_drain_by_name() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "8", "16Gi")
        .replicaset("shop", "web", 2, "100m", "64Mi", &["n1", "n2"])
        .pdb_min_available("shop", "web", json!(2))
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let cfg = config(|u| u.drain.timeout = 1_500);

    let pre = e
        .node_op(op("n1", Stage::Precheck, Direction::Upgrade), cfg.clone())
        .await;
    assert!(
        matches!(&pre.0, OpResult::NotYet { reason } if reason.contains("shop/web-pdb")),
        "{pre:?}"
    );

    let started = Instant::now();
    let r = e
        .node_op(op("n1", Stage::Drain, Direction::Upgrade), cfg.clone())
        .await;
    let why = reason(&r);
    assert!(matches!(r.0, OpResult::Failed { .. }), "{r:?}");
    assert!(
        why.contains("eviction of shop/web-0 refused by budget shop/web-pdb (429) for"),
        "{why}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "gave up at the drain timeout"
    );
    assert_eq!(pods_on(&c, "n1").await, ["shop/web-0"]);
    emu.stop().await;
}

#[tokio::test]
async fn exec_actions_substitute_report_and_time_out() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let exec = |argv: &[&str], shell: bool, timeout: u64| {
        config(move |u| {
            u.node_action = Action {
                kind: ActionKind::Exec {
                    argv: argv.iter().map(|s| (*s).to_owned()).collect(),
                    shell,
                },
                timeout,
            }
        })
    };

    let r = e
        .node_op(
            op("n1", Stage::Action, Direction::Upgrade),
            exec(
                &["echo", "node={node}", "to={version}", "from={from_version}"],
                false,
                10_000,
            ),
        )
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert!(r.1.contains("node=n1 to=v1.30.2 from=v1.29.4"), "{}", r.1);

    let r = e
        .node_op(
            op("n1", Stage::Action, Direction::Upgrade),
            exec(
                &["echo upgrading $MCP_DIAG_NODE to {version}; echo broken >&2; exit 3"],
                true,
                10_000,
            ),
        )
        .await;
    let why = reason(&r);
    assert!(matches!(r.0, OpResult::Failed { .. }), "{r:?}");
    assert!(why.contains("exit status 3"), "{why}");
    assert!(
        why.contains("upgrading n1 to v1.30.2") && why.contains("stderr: broken"),
        "{why}"
    );

    let started = Instant::now();
    let r = e
        .node_op(
            op("n1", Stage::Action, Direction::Upgrade),
            exec(&["sleep 30"], true, 300),
        )
        .await;
    assert!(reason(&r).contains("did not finish within 300ms"), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout killed it"
    );

    let r = e
        .node_op(
            op("n1", Stage::Action, Direction::Upgrade),
            exec(&["/nonexistent/upgrade-tool"], false, 1_000),
        )
        .await;
    assert!(reason(&r).contains("cannot run"), "{r:?}");
    emu.stop().await;
}

#[tokio::test]
async fn a_job_action_is_created_once_and_attached_to_after() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = Arc::new(edges(&c));
    let cfg = config(|u| {
        u.node_action = Action {
            kind: ActionKind::Job(JobAction {
                namespace: "kube-system".into(),
                image: "registry.example/upgrader:{version}".into(),
                command: vec!["/upgrade".into(), "{node}".into()],
                service_account: Some("upgrader".into()),
                privileged: true,
                env: vec![("CHANNEL".into(), "stable-{version}".into())],
            }),
            timeout: 20_000,
        }
    });
    let jobs: Api<Job> = Api::namespaced(c.clone(), "kube-system");

    let first = {
        let (e, cfg) = (e.clone(), cfg.clone());
        tokio::spawn(async move { e.node_op(op("n1", Stage::Action, Direction::Upgrade), cfg).await })
    };
    let job = loop {
        let list = jobs.list(&ListParams::default()).await.unwrap();
        if let Some(j) = list.items.into_iter().next() {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let spec = job.spec.clone().unwrap().template.spec.unwrap();
    assert_eq!(spec.node_name.as_deref(), Some("n1"));
    let tolerations = spec.tolerations.unwrap_or_default();
    assert!(
        tolerations
            .iter()
            .any(|t| t.operator.as_deref() == Some("Exists") && t.key.is_none()),
        "tolerates every taint: {tolerations:?}"
    );
    let container = &spec.containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example/upgrader:v1.30.2")
    );
    assert_eq!(container.command.clone().unwrap_or_default(), ["/upgrade", "n1"]);
    let env: Vec<(String, String)> = container
        .env
        .iter()
        .flatten()
        .map(|v| (v.name.clone(), v.value.clone().unwrap_or_default()))
        .collect();
    for pair in [
        ("MCP_DIAG_NODE", "n1"),
        ("MCP_DIAG_TARGET_VERSION", "v1.30.2"),
        ("MCP_DIAG_FROM_VERSION", "v1.29.4"),
        ("CHANNEL", "stable-v1.30.2"),
    ] {
        assert!(
            env.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} in {env:?}"
        );
    }

    // Act as the Job controller: the Job succeeded.
    let name = job.metadata.name.clone().unwrap();
    let mut done = jobs.get(&name).await.unwrap();
    done.status = Some(k8s_openapi::api::batch::v1::JobStatus {
        succeeded: Some(1),
        ..Default::default()
    });
    jobs.replace_status(&name, &PostParams::default(), &done)
        .await
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(30), first)
        .await
        .unwrap()
        .unwrap();
    assert!(is_ok(&r), "{r:?}");
    assert!(r.1.contains("created Job"), "{}", r.1);

    // The same stage again (a resumed run): the same Job, not a second one.
    let r = e
        .node_op(op("n1", Stage::Action, Direction::Upgrade), cfg.clone())
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert!(r.1.contains("attached to the existing Job"), "{}", r.1);
    assert_eq!(jobs.list(&ListParams::default()).await.unwrap().items.len(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn control_plane_without_an_action_must_already_be_there() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let r = e.control_plane("v1.30".into(), config(|_| {})).await;
    assert!(
        matches!(&r, OpResult::Failed { reason } if reason.contains("no control_plane.action configured and the control plane is at v1.29")),
        "{r:?}"
    );
    assert_eq!(
        e.control_plane("v1.29".into(), config(|_| {})).await,
        OpResult::Ok
    );
    let label = config(|u| {
        u.control_plane.action = Some(Action {
            kind: ActionKind::Label {
                key: "k".into(),
                value: "v".into(),
            },
            timeout: 1_000,
        })
    });
    let r = e.control_plane("v1.30".into(), label).await;
    assert!(
        matches!(&r, OpResult::Failed { reason } if reason.contains("must be an exec action")),
        "{r:?}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn the_lease_is_held_refused_taken_over_and_carries_an_abort() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let ns = "kube-system";

    let held = lease::acquire(&c, ns, HOLDER, RUN, 30_000).await.unwrap();
    assert_eq!(held.holder, HOLDER);
    assert_eq!(held.run_id.as_deref(), Some(RUN));
    assert_eq!(held.transitions, 0);
    // The same holder again (a resumed run) keeps it.
    assert!(lease::acquire(&c, ns, HOLDER, RUN, 30_000).await.is_ok());

    let refused = lease::acquire(&c, ns, "orchestrator-b", "run-b", 30_000)
        .await
        .unwrap_err();
    match &refused {
        LeaseError::Held {
            holder,
            renewed_ago_ms,
            ..
        } => {
            assert_eq!(holder, HOLDER);
            assert!(renewed_ago_ms.is_some_and(|ms| ms < 60_000), "{refused}");
        }
        other => panic!("{other}"),
    }
    assert!(
        refused
            .to_string()
            .contains("orchestrator-a (run run-20261206-a), last renewed"),
        "{refused}"
    );

    let a = edges(&c);
    assert_eq!(a.heartbeat(RUN.into()).await, Ok(None));

    // A holder that stopped renewing long ago can be replaced.
    let leases: Api<Lease> = Api::namespaced(c.clone(), ns);
    let mut stale = leases.get("mcp-diag-upgrade").await.unwrap();
    let old = k8s_openapi::jiff::Timestamp::from_second(1_700_000_000).unwrap();
    stale.spec.as_mut().unwrap().renew_time =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(old));
    leases
        .replace("mcp-diag-upgrade", &PostParams::default(), &stale)
        .await
        .unwrap();
    let taken = lease::acquire(&c, ns, "orchestrator-b", "run-b", 30_000)
        .await
        .unwrap();
    assert_eq!(taken.holder, "orchestrator-b");
    assert_eq!(taken.transitions, 1);
    assert_eq!(taken.run_id.as_deref(), Some("run-b"));

    // The old holder's heartbeat learns it lost the Lease.
    let lost = a.heartbeat(RUN.into()).await.unwrap_err();
    assert!(lost.contains("held by orchestrator-b"), "{lost}");

    // `upgrade abort --rollback` reaches the new holder's heartbeat.
    let b = KubeEdges::new(c.clone(), ns, "orchestrator-b", 30_000);
    assert_eq!(b.heartbeat("run-b".into()).await, Ok(None));
    lease::request_abort(&c, ns, true).await.unwrap();
    assert_eq!(
        b.heartbeat("run-b".into()).await,
        Ok(Some(AbortRequest { rollback: true }))
    );
    let seen = lease::read(&c, ns).await.unwrap().unwrap();
    assert_eq!(seen.abort, Some(AbortRequest { rollback: true }));
    assert_eq!(seen.holder, "orchestrator-b");

    assert!(matches!(
        lease::release(&c, ns, HOLDER).await,
        Err(LeaseError::Held { .. })
    ));
    lease::release(&c, ns, "orchestrator-b").await.unwrap();
    assert_eq!(lease::read(&c, ns).await.unwrap(), None);
    assert!(matches!(
        lease::request_abort(&c, ns, false).await,
        Err(LeaseError::Missing { .. })
    ));
    emu.stop().await;
}

#[tokio::test]
async fn observe_reads_nodes_and_unschedulable_pods() {
    let mut pending = pod("shop", "big", "", json!({"app": "big"}), "100", "1Gi", None);
    pending["spec"].as_object_mut().unwrap().remove("nodeName");
    pending["status"] = json!({"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]});
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1"], "4", "8Gi")
        .object(cordoned(node("n2", "4", "8Gi")))
        .object(pending)
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let view = edges(&c).observe().await.unwrap();
    assert_eq!(view.nodes.len(), 2);
    assert!(view.nodes["n1"].ready && !view.nodes["n1"].unschedulable);
    assert!(view.nodes["n2"].unschedulable);
    assert_eq!(view.nodes["n1"].version, "v1.29.4");
    assert_eq!(view.pods_unschedulable, 1);
    emu.stop().await;
}

#[tokio::test]
async fn precheck_reads_cpu_from_the_metrics_api_when_there_is_one() {
    let metrics = |name: &str, cpu: &str| {
        json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
            "metadata": {"name": name}, "timestamp": "2026-11-01T00:00:00Z", "window": "20s",
            "usage": {"cpu": cpu, "memory": "1Gi"}})
    };
    let inv = Cluster::new("1.29.4")
        .nodes(&["busy", "calm"], "4", "8Gi")
        .object(metrics("busy", "3600m"))
        .object(metrics("calm", "400000000n"))
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let cfg = config(|u| u.precheck.cpu_below_percent = Some(80));
    let busy = e
        .node_op(op("busy", Stage::Precheck, Direction::Upgrade), cfg.clone())
        .await;
    assert!(
        matches!(&busy.0, OpResult::NotYet { reason } if reason.contains("90%")),
        "{busy:?}"
    );
    let calm = e
        .node_op(op("calm", Stage::Precheck, Direction::Upgrade), cfg.clone())
        .await;
    assert!(is_ok(&calm), "{calm:?}");
    assert!(calm.1.contains("CPU 10%"), "{}", calm.1);
    emu.stop().await;

    // No metrics API: the pre-check says so and does not block.
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let r = edges(&c)
        .node_op(op("n1", Stage::Precheck, Direction::Upgrade), cfg)
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert!(r.1.contains("CPU not checked"), "{}", r.1);
    emu.stop().await;
}

#[tokio::test]
async fn a_node_deleted_mid_drain_fails_the_drain() {
    let inv = Cluster::new("1.29.4")
        .nodes(&["n1", "n2"], "8", "16Gi")
        .replicaset("shop", "web", 2, "100m", "64Mi", &["n1", "n2"])
        .pdb_min_available("shop", "web", json!(2))
        .build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = Arc::new(edges(&c));
    let cfg = config(|u| u.drain.timeout = 60_000);
    let drain = {
        let e = e.clone();
        tokio::spawn(async move { e.node_op(op("n1", Stage::Drain, Direction::Upgrade), cfg).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    Api::<Node>::all(c.clone())
        .delete("n1", &Default::default())
        .await
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(30), drain)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reason(&r), "node disappeared during the drain", "{r:?}");
    emu.stop().await;
}

/// An etcd stand-in answering every request with `body`.
async fn fake_etcd(body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(answer.as_bytes()).await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_control_plane_hop_runs_its_action_then_checks_version_and_etcd() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let healthy = fake_etcd(r#"{"health":"true","reason":""}"#).await;
    let sick = fake_etcd(r#"{"health":"false","reason":"NOSPACE"}"#).await;
    let with = |etcd: Vec<String>, argv: &'static str| {
        config(move |u| {
            u.control_plane.ready_timeout = 500;
            u.control_plane.etcd_endpoints = etcd;
            u.control_plane.action = Some(Action {
                kind: ActionKind::Exec {
                    argv: vec![argv.into()],
                    shell: true,
                },
                timeout: 5_000,
            });
        })
    };
    assert_eq!(
        e.control_plane("v1.29".into(), with(vec![healthy.clone()], "true"))
            .await,
        OpResult::Ok
    );
    let r = e
        .control_plane("v1.29".into(), with(vec![healthy.clone(), sick], "true"))
        .await;
    assert!(
        matches!(&r, OpResult::Failed { reason } if reason.contains("reports health false")),
        "{r:?}"
    );
    // The action "ran" but the API server still reports the old minor.
    let r = e
        .control_plane("v1.30".into(), with(vec![healthy.clone()], "true"))
        .await;
    assert!(
        matches!(&r, OpResult::Failed { reason } if reason.contains("/version reports v1.29.4, expected 1.30")),
        "{r:?}"
    );
    let r = e
        .control_plane("v1.30".into(), with(vec![healthy], "exit 7"))
        .await;
    assert!(
        matches!(&r, OpResult::Failed { reason } if reason.contains("exit status 7")),
        "{r:?}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn calls_ride_out_throttling_and_a_short_outage_keeps_the_lease() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let options = Options {
        seed: 42,
        ..Options::default()
    };
    let emu = Emulator::start(inv, options).await.unwrap();
    let c = client(&emu).await;
    let e = edges(&c);
    let cfg = config(|_| {});
    lease::acquire(&c, "kube-system", HOLDER, RUN, 30_000)
        .await
        .unwrap();

    // Three requests in ten answered 429 or 500: every step still ends confirmed.
    emu.set_faults(mcp_diag_emulator::Faults::parse("throttle=0.2,error=0.1").unwrap());
    for stage in [Stage::Cordon, Stage::Uncordon].repeat(5) {
        let r = e.node_op(op("n1", stage, Direction::Upgrade), cfg.clone()).await;
        assert!(is_ok(&r), "{stage:?}: {r:?}");
    }
    assert_eq!(e.heartbeat(RUN.into()).await, Ok(None));
    emu.set_faults(mcp_diag_emulator::Faults::default());
    let refused = emu
        .request_log()
        .iter()
        .filter(|r| r.status == 429 || r.status == 500)
        .count();
    assert!(
        refused > 0,
        "the faults were served (and retried): {:?}",
        emu.request_log().iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let n = get_node(&c, "n1").await;
    assert!(!unschedulable(&n));
    assert_eq!(ann(&n, "upgrade.mcp-diag.io/step").as_deref(), Some("done"));

    // The Lease's API failing for a moment does not stop the run ...
    let mut outage = mcp_diag_emulator::Faults::parse("error=1").unwrap();
    outage.set_path("coordination.k8s.io").unwrap();
    emu.set_faults(outage.clone());
    assert_eq!(e.heartbeat(RUN.into()).await, Ok(None));
    // ... but failing for longer than the Lease's duration does.
    let short = KubeEdges::new(c.clone(), "kube-system", HOLDER, 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let lost = short.heartbeat(RUN.into()).await.unwrap_err();
    assert!(lost.contains("cannot read the Lease"), "{lost}");
    emu.stop().await;
}

#[tokio::test]
async fn verify_after_a_restart_cannot_know_the_evicted_workloads() {
    let inv = Cluster::new("1.29.4").nodes(&["n1"], "4", "8Gi").build();
    let emu = Emulator::start(inv, Options::default()).await.unwrap();
    let c = client(&emu).await;
    kubelet(&c, "n1", "v1.30.2", true).await;
    // A fresh KubeEdges: the drain happened in an earlier process.
    let r = edges(&c)
        .node_op(op("n1", Stage::Verify, Direction::Upgrade), config(|_| {}))
        .await;
    assert!(is_ok(&r), "{r:?}");
    assert!(r.1.contains("not known"), "{}", r.1);
    emu.stop().await;
}
