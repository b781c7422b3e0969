//! The drain simulation and the waves, through the public API, on inventories built in code.

use mcp_diag_model::{Inventory, Minor, Object};
use mcp_diag_planner::testing::{Builder, POOL_LABEL, PodSpec, ZONE_LABEL};
use mcp_diag_planner::{
    BlockerKind, Drainable, NodePlan, Order, Plan, PlanOptions, Verdict, parse_waves, plan,
};
use serde_json::json;

fn options() -> PlanOptions {
    let mut o = PlanOptions::new(Minor::new(1, 32));
    o.run_checks = false;
    // One wave: every worker in one go, in default order.
    o.waves = vec![100];
    o
}

fn run(inv: &Inventory) -> Plan {
    plan(inv, &options()).expect("plan")
}

fn run_with(inv: &Inventory, f: impl FnOnce(&mut PlanOptions)) -> Plan {
    let mut o = options();
    f(&mut o);
    plan(inv, &o).expect("plan")
}

fn node<'p>(plan: &'p Plan, name: &str) -> &'p NodePlan {
    plan.nodes()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

fn kinds(n: &NodePlan) -> Vec<BlockerKind> {
    let mut k: Vec<BlockerKind> = n.blockers.iter().map(|b| b.kind).collect();
    k.sort();
    k.dedup();
    k
}

fn spec(cpu_m: u64, mem_mi: u64) -> PodSpec {
    PodSpec {
        cpu_m,
        mem_mi,
        ..PodSpec::default()
    }
}

fn nodes(b: &mut Builder, n: usize, zones: &[&str]) {
    for k in 0..n {
        b.node(
            &format!("n{k}"),
            zones[k % zones.len()],
            "general",
            4000,
            8192,
            110,
        );
    }
}

#[test]
fn budget_that_allows_nothing_blocks_the_node_with_advice() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.deployment("shop", "web", 2, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], Some(json!(2)), None);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(n0.drainable, Drainable::No);
    assert_eq!(kinds(n0), vec![BlockerKind::Pdb]);
    let msg = &n0.blockers[0].message;
    assert!(
        msg.contains("PodDisruptionBudget shop/web allows 0 disruptions: 2 of 2 healthy pods must stay up"),
        "{msg}"
    );
    assert!(msg.contains("scale Deployment web to 3"), "{msg}");
    assert_eq!(n0.blockers[0].object.kind, "PodDisruptionBudget");
    // n2 holds none of web's pods: it drains.
    assert_eq!(node(&plan, "n2").drainable, Drainable::Yes);
    assert_eq!(plan.verdict, Verdict::Blocked);
    assert_eq!(plan.worst(), Some(mcp_diag_model::Severity::Blocker));
}

#[test]
fn max_unavailable_one_lets_pods_move_one_after_another() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 4, &["a", "b"]);
    b.deployment("shop", "web", 3, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    let plan = run(&b.build());
    for n in plan.nodes() {
        assert_eq!(n.drainable, Drainable::Yes, "{n:?}");
    }
    let n0 = node(&plan, "n0");
    assert_eq!(n0.pods_evicted, 1);
    // The replacement went to the emptiest node (n3 holds nothing).
    assert_eq!(n0.moves[0].to.as_deref(), Some("n3"));
    assert_eq!(plan.verdict, Verdict::Ready);
}

#[test]
fn same_batch_budget_counts_replacements_that_never_come_back() {
    // Two nodes only, drained together: web's replacements find no node, so the second
    // eviction would take the budget below its minimum.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    b.deployment("shop", "web", 2, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    let plan = run_with(&b.build(), |o| o.max_unavailable = 2);
    let n0 = node(&plan, "n0");
    let n1 = node(&plan, "n1");
    assert_eq!(n0.batch, n1.batch);
    assert_eq!(kinds(n0), vec![BlockerKind::Capacity]);
    assert!(
        n0.blockers[0].message.contains("no node is left schedulable"),
        "{:?}",
        n0.blockers
    );
    assert_eq!(kinds(n1), vec![BlockerKind::Pdb]);
}

#[test]
fn same_batch_budget_is_fine_when_replacements_land() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 4, &["a"]);
    b.deployment("shop", "web", 2, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    let plan = run_with(&b.build(), |o| o.max_unavailable = 2);
    assert!(
        plan.nodes().all(|n| n.drainable == Drainable::Yes),
        "{:#?}",
        plan.waves
    );
}

#[test]
fn no_room_is_a_capacity_blocker() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("n0", "a", "general", 1000, 2048, 110);
    b.node("n1", "a", "general", 1000, 2048, 110);
    b.deployment("shop", "big", 2, &spec(700, 256), 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Capacity]);
    assert!(
        n0.blockers[0].message.contains("requests cpu 700m"),
        "{}",
        n0.blockers[0].message
    );
    assert_eq!(n0.moves[0].outcome, "unschedulable");
}

#[test]
fn taints_and_selectors_are_affinity_blockers() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("n0", "a", "compute", 4000, 8192, 110);
    b.node("n1", "a", "general", 4000, 8192, 110);
    b.node("n2", "a", "compute", 4000, 8192, 110);
    b.taint_last("dedicated", "batch", "NoSchedule");
    let s = PodSpec {
        node_selector: vec![(POOL_LABEL.into(), "compute".into())],
        ..spec(100, 128)
    };
    b.deployment("batch", "job", 1, &s, 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Affinity], "{:?}", n0.blockers);
    assert!(n0.blockers[0].message.contains("nodeSelector"));
}

#[test]
fn toleration_opens_the_tainted_node() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("n0", "a", "compute", 4000, 8192, 110);
    b.node("n1", "a", "compute", 4000, 8192, 110);
    b.taint_last("dedicated", "batch", "NoSchedule");
    let s = PodSpec {
        tolerations: vec![("dedicated".into(), "batch".into(), "NoSchedule".into())],
        ..spec(100, 128)
    };
    b.deployment("batch", "job", 1, &s, 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(n0.drainable, Drainable::Yes);
    assert_eq!(n0.moves[0].to.as_deref(), Some("n1"));
}

#[test]
fn zonal_volume_stays_in_its_zone() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("n0", "a", "general", 4000, 8192, 110);
    b.node("n1", "b", "general", 4000, 8192, 110);
    b.node("n2", "b", "general", 4000, 8192, 110);
    b.statefulset("data", "db", 1, &spec(100, 128), 0, false);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::VolumeZone], "{:?}", n0.blockers);
    assert!(n0.blockers[0].message.contains("claim data-db-0"));
}

#[test]
fn zonal_volume_moves_within_its_zone() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("n0", "a", "general", 4000, 8192, 110);
    b.node("n1", "b", "general", 4000, 8192, 110);
    b.node("n2", "a", "general", 4000, 8192, 110);
    b.statefulset("data", "db", 1, &spec(100, 128), 0, false);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(n0.drainable, Drainable::Yes);
    assert_eq!(n0.moves[0].to.as_deref(), Some("n2"));
    // A StatefulSet pod keeps its name.
    assert_eq!(n0.moves[0].pod, "data/db-0");
}

#[test]
fn local_volume_is_unmovable() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.statefulset("data", "cache", 1, &spec(100, 128), 0, true);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Unmovable], "{:?}", n0.blockers);
    assert!(n0.blockers[0].message.contains("local PersistentVolume"));
}

#[test]
fn unmanaged_pod_refuses_the_node_and_nothing_moves() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.deployment("shop", "web", 1, &spec(100, 128), 0);
    b.bare_pod("default", "debug", &spec(10, 16), 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Unmovable]);
    assert_eq!(n0.pods_evicted, 0);
    assert_eq!(n0.pods_staying, 2);
    assert!(n0.blockers[0].message.contains("default/debug has no controller"));
}

#[test]
fn overlapping_budgets_refuse_the_eviction() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.deployment("shop", "web", 3, &spec(100, 128), 0);
    b.pdb("shop", "web-a", &["web"], None, Some(json!(1)));
    b.pdb("shop", "web-b", &["web"], None, Some(json!(1)));
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Pdb]);
    assert!(
        n0.blockers[0].message.contains("more than one budget"),
        "{}",
        n0.blockers[0].message
    );
}

#[test]
fn percentage_budgets_round_up_and_are_noted() {
    // minAvailable 50% of 3 = 2 (rounded up): one disruption at a time.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 4, &["a"]);
    b.deployment("shop", "web", 3, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], Some(json!("50%")), None);
    let plan = run(&b.build());
    assert!(plan.nodes().all(|n| n.drainable == Drainable::Yes));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("uses percentages (shop/web)")),
        "{:?}",
        plan.notes
    );
    // 100% allows nothing.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 4, &["a"]);
    b.deployment("shop", "web", 3, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], Some(json!("100%")), None);
    let plan = run(&b.build());
    assert_eq!(node(&plan, "n0").drainable, Drainable::No);
    // maxUnavailable 34% of 3 = ceil(1.02) = 2 unavailable: desired 1.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    b.deployment("shop", "web", 3, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!("34%")));
    let plan = run_with(&b.build(), |o| o.max_unavailable = 2);
    // n0 holds 2 pods, n1 one; all three replacements find no node; 2 evictions allowed.
    let evicted: usize = plan.nodes().map(|n| n.pods_evicted).sum();
    assert_eq!(evicted, 2, "{:#?}", plan.waves);
}

#[test]
fn missing_owner_is_noted_and_budget_fails_safe() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.deployment("shop", "web", 2, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], None, Some(json!(1)));
    let mut inv = b.build();
    // The ReplicaSet disappears: the pods point at a missing owner.
    inv.objects.retain(|o| o.kind != "ReplicaSet");
    let plan = run(&inv);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("names a controller that is not in the input")
                || n.contains("name a controller that is not in the input")),
        "{:?}",
        plan.notes
    );
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Pdb]);
    assert!(
        n0.blockers[0].message.contains("does not exist"),
        "{}",
        n0.blockers[0].message
    );
    // Without the budget, the pod is evicted and not replaced.
    inv.objects.retain(|o| o.kind != "PodDisruptionBudget");
    let plan = run(&inv);
    let n0 = node(&plan, "n0");
    assert_eq!(n0.drainable, Drainable::Yes);
    assert_eq!(n0.moves[0].outcome, "not-replaced");
}

#[test]
fn nodes_without_allocatable_and_pods_without_requests_are_explained_once() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    let s = PodSpec {
        no_requests: true,
        ..spec(0, 0)
    };
    b.deployment("shop", "web", 3, &s, 0);
    b.deployment("shop", "api", 2, &s, 0);
    let mut inv = b.build();
    for o in &mut inv.objects {
        if o.kind == "Node" && o.name == "n2" {
            let mut v = o.raw.to_json();
            v["status"].as_object_mut().unwrap().remove("allocatable");
            v["status"].as_object_mut().unwrap().remove("capacity");
            *o = Object::from_node(v, None).unwrap();
        }
    }
    let plan = run(&inv);
    let req: Vec<&String> = plan
        .notes
        .iter()
        .filter(|n| n.contains("for no cpu or memory"))
        .collect();
    assert_eq!(req.len(), 1, "{:?}", plan.notes);
    assert!(req[0].starts_with("5 pods"), "{}", req[0]);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("without status.allocatable") && n.contains("n2"))
    );
    // n2 takes nothing: n0's pods go to n1.
    for m in &node(&plan, "n0").moves {
        assert_eq!(m.to.as_deref(), Some("n1"));
    }
}

#[test]
fn selectors_that_match_nothing_are_noted() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    b.pdb("shop", "ghost", &["nothing-here"], Some(json!(1)), None);
    let inv = b.build();
    let plan = run_with(&inv, |o| o.order = Some(Order::parse("zone=nowhere").unwrap()));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("selects no pod (shop/ghost)")),
        "{:?}",
        plan.notes
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("no worker node matches")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn pod_affinity_and_spread_are_unknown_never_drainable() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    let s = PodSpec {
        pod_affinity: true,
        ..spec(100, 128)
    };
    b.deployment("shop", "web", 1, &s, 0);
    let t = PodSpec {
        spread: true,
        ..spec(100, 128)
    };
    b.deployment("shop", "api", 1, &t, 1);
    // The empty n2 first (the default order puts it last, as it tests nothing): drained
    // before any unknown, it is known to be drainable.
    let plan = run_with(&b.build(), |o| o.order = Some(Order::parse("n2").unwrap()));
    for name in ["n0", "n1"] {
        let n = node(&plan, name);
        assert_eq!(n.drainable, Drainable::Unknown, "{n:?}");
        assert_eq!(n.status, "unknown");
        assert_eq!(kinds(n), vec![BlockerKind::Unknown]);
    }
    assert!(
        node(&plan, "n0").blockers[0]
            .message
            .contains("required pod affinity")
    );
    assert!(node(&plan, "n1").blockers[0].message.contains("DoNotSchedule"));
    assert_eq!(plan.verdict, Verdict::Unknown);
    let json = serde_json::to_value(&plan).unwrap();
    let nodes = json["waves"][0]["nodes"].as_array().unwrap();
    let n0 = nodes.iter().find(|n| n["name"] == "n0").unwrap();
    assert_eq!(n0["drainable"], json!("unknown"));
    assert_eq!(n0["status"], json!("unknown"));
    let n2 = nodes.iter().find(|n| n["name"] == "n2").unwrap();
    assert_eq!(n2["drainable"], json!(true));
}

#[test]
fn anti_affinity_and_host_ports() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    let s = PodSpec {
        anti_affinity: Some("kubernetes.io/hostname".into()),
        ..spec(100, 128)
    };
    b.deployment("shop", "web", 3, &s, 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Affinity], "{:?}", n0.blockers);
    assert!(n0.blockers[0].message.contains("anti-affinity"));

    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    let s = PodSpec {
        host_port: Some(9100),
        ..spec(100, 128)
    };
    b.deployment("mon", "exporter", 2, &s, 0);
    let plan = run(&b.build());
    let n0 = node(&plan, "n0");
    assert_eq!(kinds(n0), vec![BlockerKind::Capacity], "{:?}", n0.blockers);
    assert!(n0.blockers[0].message.contains("host port 9100/TCP"));
}

#[test]
fn replacements_are_evicted_again_and_blocked_nodes_stay_cordoned() {
    // n0 drains into n2 (emptiest); n1 is blocked by a budget and stays cordoned, so it
    // receives nothing afterwards; n2's pods (the replacement included) move on.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    b.deployment("shop", "web", 1, &spec(100, 128), 0);
    b.deployment("shop", "solo", 1, &spec(100, 128), 1);
    b.pdb("shop", "solo", &["solo"], Some(json!(1)), None);
    let plan = run_with(&b.build(), |o| o.order = Some(Order::parse("n0,n1,n2").unwrap()));
    assert_eq!(node(&plan, "n0").moves[0].to.as_deref(), Some("n2"));
    assert_eq!(node(&plan, "n1").drainable, Drainable::No);
    let n2 = node(&plan, "n2");
    assert_eq!(n2.pods_evicted, 1, "the replacement from n0 is evicted again");
    // n1 is cordoned and n0 was upgraded and is back: the pod goes to n0.
    assert_eq!(n2.moves[0].to.as_deref(), Some("n0"));
}

#[test]
fn waves_percentages_control_plane_and_batches() {
    let mut b = Builder::new("t", "1.31.0");
    b.node("cp-0", "a", "cp", 4000, 8192, 110);
    b.control_plane_last();
    b.node("cp-1", "b", "cp", 4000, 8192, 110);
    b.control_plane_last();
    for k in 0..100 {
        b.node(
            &format!("w{k:03}"),
            ["a", "b", "c"][k % 3],
            ["p1", "p2"][k % 2],
            4000,
            8192,
            110,
        );
    }
    let inv = b.build();
    let plan = run_with(&inv, |o| {
        o.waves = parse_waves("1%,10%,50%,100%").unwrap();
        o.max_unavailable = 3;
    });
    let sizes: Vec<usize> = plan.waves.iter().map(|w| w.nodes.len()).collect();
    assert_eq!(sizes, vec![2, 1, 9, 40, 50]);
    assert_eq!(plan.waves[0].name, "control-plane");
    assert!(plan.waves[0].nodes.iter().all(|n| n.control_plane));
    // Control plane one at a time, then batches of 3 inside a wave.
    assert_eq!(plan.waves[0].nodes[0].batch, 0);
    assert_eq!(plan.waves[0].nodes[1].batch, 1);
    assert_eq!(plan.waves[1].nodes[0].batch, 2);
    let w2: Vec<usize> = plan.waves[2].nodes.iter().map(|n| n.batch).collect();
    assert_eq!(w2, vec![3, 3, 3, 4, 4, 4, 5, 5, 5]);
    // The first ten workers cover every zone and pool.
    let first: Vec<&NodePlan> = plan.waves[1..3].iter().flat_map(|w| &w.nodes).collect();
    for z in ["a", "b", "c"] {
        assert!(
            first.iter().take(3).any(|n| n.zone.as_deref() == Some(z)),
            "zone {z} in the first three"
        );
    }
    assert!(
        first[0].reason.contains("first of its zone and pool"),
        "{}",
        first[0].reason
    );
    // Stable: the same plan twice.
    let again = run_with(&inv, |o| {
        o.waves = parse_waves("1%,10%,50%,100%").unwrap();
        o.max_unavailable = 3;
    });
    let names = |p: &Plan| p.nodes().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&plan), names(&again));
    // At least one node per wave when the percentages are small.
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 3, &["a"]);
    let plan = run_with(&b.build(), |o| o.waves = vec![1, 2, 3, 100]);
    let sizes: Vec<usize> = plan.waves.iter().map(|w| w.nodes.len()).collect();
    assert_eq!(sizes, vec![1, 1, 1]);
}

#[test]
fn order_by_names_and_selector() {
    let mut b = Builder::new("t", "1.31.0");
    for k in 0..6 {
        b.node(&format!("n{k}"), ["a", "b"][k % 2], "general", 4000, 8192, 110);
    }
    let inv = b.build();
    let plan = run_with(&inv, |o| o.order = Some(Order::parse("n5,n3,ghost").unwrap()));
    let names: Vec<String> = plan.nodes().map(|n| n.name.clone()).collect();
    assert_eq!(&names[..2], &["n5", "n3"]);
    assert!(plan.notes.iter().any(|n| n.contains("ghost")));
    let plan = run_with(&inv, |o| o.order = Some(Order::parse("zone=b").unwrap()));
    let zones: Vec<&str> = plan.nodes().map(|n| n.zone.as_deref().unwrap()).collect();
    assert_eq!(zones, vec!["b", "b", "b", "a", "a", "a"]);
    let plan = run_with(&inv, |o| {
        o.order = Some(Order::parse(&format!("{ZONE_LABEL}!=b")).unwrap())
    });
    assert_eq!(plan.nodes().next().unwrap().zone.as_deref(), Some("a"));
    assert!(Order::parse(" , ").is_err());
    assert!(Order::parse("=x").is_err());
}

#[test]
fn parse_waves_rejects_nonsense() {
    assert_eq!(parse_waves("1%,10%,50%,100%").unwrap(), vec![1, 10, 50, 100]);
    assert_eq!(parse_waves("5,25").unwrap(), vec![5, 25, 100]);
    assert!(parse_waves("10%,5%").is_err());
    assert!(parse_waves("0%").is_err());
    assert!(parse_waves("150%").is_err());
    assert!(parse_waves("lots").is_err());
    assert!(parse_waves("").is_err());
}

#[test]
fn downgrade_is_refused() {
    let b = Builder::new("t", "1.33.0");
    let err = plan(&b.build(), &options()).unwrap_err();
    assert!(err.to_string().contains("does not support downgrades"));
}

#[test]
fn garbage_never_panics() {
    let docs = [
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n0"}, "status": {"allocatable": "lots", "conditions": "yes"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"taints": [{"effect": 3}]},
            "status": {"allocatable": {"cpu": "-1", "memory": "many", "pods": "x"}, "conditions": [{"type": "Ready", "status": "True"}]}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "gone", "controller": true}]},
            "spec": {"nodeName": "n1", "containers": {"oops": 1}, "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "k", "operator": "Near"}]}]}},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": ""}, {"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}, "topologyKey": "zone"}]}},
                "volumes": [{"persistentVolumeClaim": {"claimName": "missing"}}]},
            "status": {"phase": 7}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q", "namespace": "x"}, "spec": {"nodeName": "nowhere"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "r"}, "spec": {"nodeName": "n0", "containers": [{"resources": {"requests": {"cpu": "2x", "memory": []}}}]}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "b", "namespace": "x"}, "spec": {"minAvailable": "abc", "selector": {}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "c", "namespace": "x"}, "spec": {"maxUnavailable": "50%", "minAvailable": 1, "selector": {"matchLabels": {"a": ["b"]}}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "d", "namespace": "x"}, "spec": {"maxUnavailable": "x%", "selector": "everything"}}),
    ];
    let mut inv = Inventory::new(mcp_diag_model::SourceKind::Snapshot, "t", "t");
    for d in docs {
        inv.objects.push(Object::from_node(d, None).unwrap());
    }
    for mu in [1, 2, 5] {
        let plan = run_with(&inv, |o| o.max_unavailable = mu);
        assert_eq!(plan.summary.nodes, 2);
        assert!(plan.notes.iter().any(|n| n.contains("twice")));
        assert!(plan.notes.iter().any(|n| n.contains("nowhere")));
    }
}

/// Sets the Ready condition of node `name` (`True`, `False`, `Unknown`).
fn set_ready(inv: &mut Inventory, name: &str, status: &str) {
    let at = inv
        .objects
        .iter()
        .position(|o| o.kind == "Node" && o.name == name)
        .unwrap_or_else(|| panic!("no node {name}"));
    let mut v = inv.objects[at].raw.to_json();
    v["status"]["conditions"] = json!([{"type": "Ready", "status": status}]);
    inv.objects[at] = Object::from_node(v, None).unwrap();
}

fn names(plan: &Plan) -> Vec<String> {
    plan.nodes().map(|n| n.name.clone()).collect()
}

#[test]
fn the_canary_is_a_ready_node_running_the_most_workloads() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 4, &["a"]);
    // DaemonSet pods stay on a drained node: they make no node a fair test.
    b.daemonset("kube-system", "proxy", 10, 16);
    // n1 runs the most workloads but its kubelet stopped answering; n3 runs two, n2 one,
    // n0 nothing but the DaemonSet pod (the lightest node, the old canary).
    for app in ["web", "api", "cache"] {
        b.deployment("shop", app, 1, &spec(100, 128), 1);
    }
    b.deployment("shop", "db", 1, &spec(100, 128), 3);
    b.deployment("shop", "queue", 1, &spec(100, 128), 3);
    b.deployment("shop", "auth", 1, &spec(100, 128), 2);
    let mut inv = b.build();
    set_ready(&mut inv, "n1", "Unknown");
    let plan = run(&inv);
    assert_eq!(names(&plan), vec!["n3", "n2", "n0", "n1"], "{:#?}", plan.waves);
    assert!(
        node(&plan, "n3").reason.contains("canary"),
        "{}",
        node(&plan, "n3").reason
    );
    assert!(
        node(&plan, "n3").reason.contains("2 workloads"),
        "{}",
        node(&plan, "n3").reason
    );
    assert!(
        node(&plan, "n1").reason.contains("not Ready"),
        "{}",
        node(&plan, "n1").reason
    );
    assert!(
        node(&plan, "n0").reason.contains("runs no pod"),
        "{}",
        node(&plan, "n0").reason
    );
    assert!(
        !plan.notes.iter().any(|n| n.contains("tests nothing")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn the_canary_wave_opens_in_the_zone_with_the_most_workloads() {
    let mut b = Builder::new("t", "1.31.0");
    // n0 (zone a) and n1 (zone b); cordoned n2 (zone a) runs the most.
    nodes(&mut b, 3, &["a", "b"]);
    b.deployment("shop", "web", 1, &spec(100, 128), 0);
    for app in ["api", "cache"] {
        b.deployment("shop", app, 1, &spec(100, 128), 1);
    }
    for app in ["x", "y", "z"] {
        b.deployment("shop", app, 1, &spec(100, 128), 2);
    }
    let mut inv = b.build();
    let at = inv
        .objects
        .iter()
        .position(|o| o.kind == "Node" && o.name == "n2")
        .unwrap();
    let mut v = inv.objects[at].raw.to_json();
    v["spec"]["unschedulable"] = json!(true);
    inv.objects[at] = Object::from_node(v, None).unwrap();
    let plan = run_with(&inv, |o| o.waves = parse_waves("1%,100%").unwrap());
    assert_eq!(plan.waves[0].nodes.len(), 1);
    assert_eq!(plan.waves[0].nodes[0].name, "n1", "{:#?}", plan.waves);
    assert_eq!(names(&plan), vec!["n1", "n0", "n2"]);
    assert!(
        node(&plan, "n2").reason.contains("cordoned"),
        "{}",
        node(&plan, "n2").reason
    );
}

#[test]
fn a_canary_that_tests_nothing_is_said_in_the_notes() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    b.deployment("shop", "web", 1, &spec(100, 128), 1);
    let mut inv = b.build();
    set_ready(&mut inv, "n1", "False");
    let plan = run(&inv);
    let note = plan
        .notes
        .iter()
        .find(|n| n.contains("tests nothing"))
        .unwrap_or_else(|| panic!("no note: {:?}", plan.notes));
    // n0 runs no pod, n1 is not Ready: the first is named with its reason.
    assert!(note.contains("n0 runs no pod"), "{note}");
    assert_eq!(names(&plan), vec!["n0", "n1"]);
}

#[test]
fn budget_messages_agree_with_a_count_of_one() {
    let mut b = Builder::new("t", "1.31.0");
    nodes(&mut b, 2, &["a"]);
    b.deployment("shop", "web", 1, &spec(100, 128), 0);
    b.pdb("shop", "web", &["web"], Some(json!(1)), None);
    let plan = run(&b.build());
    let msg = &node(&plan, "n0").blockers[0].message;
    assert!(
        msg.contains("allows 0 disruptions: its only healthy pod must stay up (minAvailable: 1)"),
        "{msg}"
    );
    assert!(
        !msg.contains("1 pods") && !msg.contains("1 healthy pods"),
        "{msg}"
    );
}
