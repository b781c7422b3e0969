//! Partial inputs: kinds not read (or left out of an export), budgets whose controllers are
//! not in the input, `expectedCount <= 0`, and every blocker of a refused node.

use mcp_diag_model::{Coverage, Inventory, KindRead, Minor, ReadGap};
use mcp_diag_planner::testing::{Builder, PodSpec};
use mcp_diag_planner::{BlockerKind, Drainable, Plan, PlanOptions, Verdict, plan};
use serde_json::{Value, json};

fn run(inv: &Inventory) -> Plan {
    let mut o = PlanOptions::new(Minor::new(1, 32));
    o.run_checks = false;
    o.waves = vec![100];
    plan(inv, &o).expect("plan")
}

fn spec() -> PodSpec {
    PodSpec {
        cpu_m: 100,
        mem_mi: 128,
        ..PodSpec::default()
    }
}

/// Three nodes; `web` (3 replicas, maxUnavailable 1: drains), `solo` (1 replica,
/// maxUnavailable 0: blocks its node), `half` (2 replicas, minAvailable 50%).
fn cluster() -> Inventory {
    let mut b = Builder::new("partial", "1.31.4");
    for k in 0..3 {
        b.node(&format!("n{k}"), "zone-a", "general", 4000, 8192, 110);
    }
    b.deployment("shop", "web", 3, &spec(), 0);
    b.deployment("shop", "solo", 1, &spec(), 1);
    b.deployment("shop", "half", 2, &spec(), 2);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    b.pdb("shop", "solo", &["solo"], None, Some(json!(0)));
    b.pdb("shop", "half", &["half"], Some(json!("50%")), None);
    b.build()
}

/// The status the disruption controller records for the budgets of [`cluster`].
fn status(name: &str) -> Value {
    let (current, desired, expected) = match name {
        "web" => (3, 2, 3),
        "solo" => (1, 1, 1),
        _ => (2, 1, 2),
    };
    let allowed: i64 = (current - desired).max(0);
    json!({"observedGeneration": 1, "currentHealthy": current, "desiredHealthy": desired,
        "expectedPods": expected, "disruptionsAllowed": allowed,
        "conditions": [{"type": "DisruptionAllowed", "status": if allowed > 0 { "True" } else { "False" },
            "reason": if allowed > 0 { "SufficientPods" } else { "InsufficientPods" }, "message": ""}]})
}

/// `kubectl get nodes,pods,deploy,pdb -A -o yaml`: no ReplicaSets, nothing recorded; each
/// budget's status as `edit` leaves it.
fn export(inv: &Inventory, edit: impl Fn(&str, &mut Value)) -> Inventory {
    let mut out = Inventory::new(inv.kind, inv.source.clone(), inv.cluster.name.clone());
    out.cluster = inv.cluster.clone();
    for o in &inv.objects {
        if o.kind == "ReplicaSet" {
            continue;
        }
        let mut value = o.raw.root().to_json();
        if o.kind == "PodDisruptionBudget" {
            value["status"] = status(&o.name);
            edit(&o.name, &mut value);
        }
        if let Some(obj) = mcp_diag_model::Object::from_node(value, None) {
            out.objects.push(obj);
        }
    }
    out.coverage = Coverage::default();
    out
}

fn verdicts(plan: &Plan) -> Vec<(String, Drainable)> {
    let mut v: Vec<(String, Drainable)> = plan.nodes().map(|n| (n.name.clone(), n.drainable)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn the_full_cluster_drains_two_nodes_and_blocks_one() {
    let plan = run(&cluster());
    let v = verdicts(&plan);
    assert_eq!(v.iter().filter(|(_, d)| *d == Drainable::Yes).count(), 2, "{v:?}");
    assert_eq!(v.iter().filter(|(_, d)| *d == Drainable::No).count(), 1, "{v:?}");
    assert!(plan.incomplete.is_empty(), "{:?}", plan.incomplete);
}

#[test]
fn an_export_without_replicasets_with_fresh_status_gives_the_same_verdicts() {
    let full = run(&cluster());
    let partial = run(&export(&cluster(), |_, _| {}));
    assert_eq!(verdicts(&partial), verdicts(&full));
    // The pods of the missing ReplicaSets are replaced (their Deployment is inferred).
    let not_replaced = partial
        .nodes()
        .flat_map(|n| &n.moves)
        .filter(|m| m.outcome == "not-replaced")
        .count();
    assert_eq!(not_replaced, 0);
    assert!(
        partial
            .notes
            .iter()
            .any(|n| n.contains("recorded status is used")),
        "{:?}",
        partial.notes
    );
    assert!(
        partial.notes.iter().any(|n| n.contains("pod-template-hash")),
        "{:?}",
        partial.notes
    );
}

#[test]
fn stale_recorded_status_makes_the_nodes_unknown_never_the_opposite() {
    let full = run(&cluster());
    for edit in [
        |_: &str, v: &mut Value| v["metadata"]["generation"] = json!(2),
        |_: &str, v: &mut Value| v["status"]["currentHealthy"] = json!(7),
        |_: &str, v: &mut Value| {
            v.as_object_mut().unwrap().remove("status");
        },
    ] {
        let partial = run(&export(&cluster(), edit));
        for ((name, want), (_, got)) in verdicts(&full).iter().zip(verdicts(&partial)) {
            // An integer minAvailable needs no controller; everything here needs one.
            assert_eq!(got, Drainable::Unknown, "node {name}: full says {want:?}");
        }
        let node = partial.nodes().next().unwrap();
        let message = &node
            .blockers
            .iter()
            .find(|b| b.kind == BlockerKind::Unknown)
            .unwrap()
            .message;
        assert!(message.contains("kubectl get rs"), "{message}");
        assert!(message.contains("mcp-diag snapshot"), "{message}");
        assert_eq!(partial.verdict, Verdict::Unknown);
        assert!(partial.incomplete.iter().any(|g| g.kind == "ReplicaSet"));
    }
}

#[test]
fn a_recorded_sync_failure_blocks() {
    let partial = run(&export(&cluster(), |name, v| {
        if name == "web" {
            v["status"]["conditions"] = json!([{"type": "DisruptionAllowed", "status": "False",
                "reason": "SyncFailed", "message": "found no controllers for pod \"web-x\""}]);
            v["status"]["disruptionsAllowed"] = json!(0);
        }
    }));
    let blocked_by_web = partial.nodes().filter(|n| {
        n.drainable == Drainable::No
            && n.blockers
                .iter()
                .any(|b| b.kind == BlockerKind::Pdb && b.object.name == "web")
    });
    assert!(blocked_by_web.count() >= 1);
}

#[test]
fn budgets_whose_expected_count_is_zero_block() {
    let mut b = Builder::new("zero", "1.31.4");
    for k in 0..2 {
        b.node(&format!("n{k}"), "zone-a", "general", 4000, 8192, 110);
    }
    b.deployment("shop", "web", 2, &spec(), 0);
    b.pdb("shop", "web", &["web"], None, None);
    let plan = run(&b.build());
    for n in plan.nodes() {
        assert_eq!(n.drainable, Drainable::No, "{}", n.name);
        let message = &n.blockers[0].message;
        assert!(
            message.contains("neither minAvailable nor maxUnavailable"),
            "{message}"
        );
        assert!(message.contains("expected pod count is 0"), "{message}");
    }

    // A Deployment scaled to 0 whose pods are still there: maxUnavailable counts 0.
    let mut b = Builder::new("zero", "1.31.4");
    b.node("n0", "zone-a", "general", 4000, 8192, 110);
    b.node("n1", "zone-a", "general", 4000, 8192, 110);
    b.deployment("shop", "web", 2, &spec(), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    let mut inv = b.build();
    for o in &mut inv.objects {
        if o.kind == "Deployment" {
            let mut v = o.raw.root().to_json();
            v["spec"]["replicas"] = json!(0);
            *o = mcp_diag_model::Object::from_node(v, None).unwrap();
        }
    }
    let plan = run(&inv);
    assert!(plan.nodes().all(|n| n.drainable == Drainable::No));
}

#[test]
fn a_node_refused_for_an_unmanaged_pod_lists_the_budget_too() {
    let mut b = Builder::new("both", "1.31.4");
    b.node("n0", "zone-a", "general", 4000, 8192, 110);
    b.node("n1", "zone-a", "general", 4000, 8192, 110);
    b.deployment("shop", "solo", 1, &spec(), 0);
    b.pdb("shop", "solo", &["solo"], Some(json!(1)), None);
    b.bare_pod("shop", "debug", &spec(), 0);
    let plan = run(&b.build());
    let n0 = plan.nodes().find(|n| n.name == "n0").unwrap();
    assert_eq!(n0.drainable, Drainable::No);
    let first: Vec<BlockerKind> = n0.blockers.iter().map(|b| b.kind).collect();
    assert_eq!(first, vec![BlockerKind::Unmovable]);
    let then: Vec<BlockerKind> = n0.remaining.iter().map(|b| b.kind).collect();
    assert_eq!(then, vec![BlockerKind::Pdb], "{:?}", n0.remaining);
    assert!(n0.remaining[0].message.contains("solo"));
    // Nothing was evicted: the state is as before.
    assert_eq!(n0.pods_evicted, 0);
}

#[test]
fn pods_not_read_make_every_node_unknown() {
    let mut inv = cluster();
    inv.objects.retain(|o| o.kind != "Pod");
    inv.coverage.record(KindRead::gap(
        "",
        "Pod",
        ReadGap::Failed,
        "HTTP 500 after 3 attempts",
        0,
    ));
    let plan = run(&inv);
    assert_eq!(plan.summary.drainable, 0);
    assert_eq!(plan.summary.unknown, 3);
    assert_eq!(plan.verdict, Verdict::Unknown);
    assert_eq!(plan.incomplete[0].kind, "Pod");
    assert!(
        plan.incomplete[0].why.contains("HTTP 500"),
        "{:?}",
        plan.incomplete
    );
    assert!(
        plan.notes[0].starts_with("Input incomplete: Pods were not read at all"),
        "{:?}",
        plan.notes
    );
    for n in plan.nodes() {
        assert_eq!(n.blockers[0].kind, BlockerKind::Unknown);
        assert!(
            n.blockers[0]
                .message
                .contains("what runs on each node is not known")
        );
    }

    // An export that holds nodes and no pod at all says the same, unrecorded.
    let mut inv = cluster();
    inv.objects.retain(|o| o.kind != "Pod");
    inv.coverage = Coverage::default();
    let plan = run(&inv);
    assert_eq!(plan.summary.drainable, 0);
    assert!(
        plan.incomplete
            .iter()
            .any(|g| g.kind == "Pod" && g.why.contains("no Pods"))
    );
}

#[test]
fn budgets_not_read_make_nodes_with_evictions_unknown() {
    let mut inv = cluster();
    inv.objects.retain(|o| o.kind != "PodDisruptionBudget");
    inv.coverage.record(KindRead::gap(
        "policy",
        "PodDisruptionBudget",
        ReadGap::Denied,
        "HTTP 403",
        0,
    ));
    let plan = run(&inv);
    assert_eq!(plan.summary.drainable, 0);
    assert!(plan.nodes().all(|n| n.drainable == Drainable::Unknown));
    assert_eq!(plan.verdict, Verdict::Unknown);
}

#[test]
fn a_partial_claims_read_makes_pods_with_volumes_unknown() {
    let mut b = Builder::new("vol", "1.31.4");
    b.node("n0", "zone-a", "general", 4000, 8192, 110);
    b.node("n1", "zone-b", "general", 4000, 8192, 110);
    b.statefulset("data", "db", 1, &spec(), 0, false);
    let mut inv = b.build();
    inv.objects.retain(|o| o.kind != "PersistentVolumeClaim");
    inv.coverage.record(KindRead::gap(
        "",
        "PersistentVolumeClaim",
        ReadGap::TimedOut,
        "no answer in 30 s",
        0,
    ));
    let plan = run(&inv);
    let n0 = plan.nodes().find(|n| n.name == "n0").unwrap();
    assert_eq!(n0.drainable, Drainable::Unknown, "{:?}", n0.blockers);
    assert!(plan.incomplete.iter().any(|g| g.kind == "PersistentVolumeClaim"));
}

#[test]
fn an_unhealthy_pod_under_a_budget_wanting_no_healthy_pod_needs_a_healthy_one() {
    // maxUnavailable 1 over 1 replica: desiredHealthy 0. The eviction API lets an unhealthy
    // pod skip the budget only when desiredHealthy > 0; otherwise it spends the budget's
    // allowance, currentHealthy - 0, which is 0 here.
    let build = |always: bool| {
        let mut b = Builder::new("unready", "1.31.4");
        b.node("n0", "zone-a", "general", 4000, 8192, 110);
        b.node("n1", "zone-a", "general", 4000, 8192, 110);
        b.deployment("shop", "web", 1, &spec(), 0);
        b.pdb("shop", "web", &["web"], None, Some(json!(1)));
        let mut inv = b.build();
        for o in &mut inv.objects {
            let mut v = o.raw.root().to_json();
            match o.kind.as_str() {
                "Pod" => v["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]),
                "PodDisruptionBudget" if always => {
                    v["spec"]["unhealthyPodEvictionPolicy"] = json!("AlwaysAllow");
                }
                _ => continue,
            }
            *o = mcp_diag_model::Object::from_node(v, None).unwrap();
        }
        inv
    };
    let plan = run(&build(false));
    let n0 = plan.nodes().find(|n| n.name == "n0").unwrap();
    assert_eq!(n0.drainable, Drainable::No);
    assert!(
        n0.blockers[0].message.contains("has no healthy pod"),
        "{:?}",
        n0.blockers
    );
    let plan = run(&build(true));
    let n0 = plan.nodes().find(|n| n.name == "n0").unwrap();
    assert_eq!(n0.drainable, Drainable::Yes, "{:?}", n0.blockers);
}
