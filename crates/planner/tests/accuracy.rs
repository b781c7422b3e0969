//! Accuracy: the plan's per-node prediction against what happens when the nodes are drained
//! in plan order against the API-server emulator (an independent implementation of
//! `docs/drain-model.md`), for seeded scenarios.
//!
//! The drain follows "Draining in plan order": per batch, cordon every node (PATCH), refuse
//! nodes with unmanaged pods, evict the other pods (node, then namespace/name) with
//! `Api::<Pod>::evict`, retrying a 429 once every replacement is Ready or unschedulable
//! (retrying longer cannot help: nothing else changes), then wait for the replacements.
//! Drained nodes are uncordoned (the upgrade brings them back), blocked ones stay cordoned.
//!
//! Compared per node: drainable or not, the kinds of blocker that can be observed (a refused
//! eviction, a node refused for unmanaged pods, a replacement without a node), the number of
//! pods evicted, and the nodes the replacements went to.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, EvictParams, ListParams, Patch, PatchParams};
use mcp_diag_emulator::{Emulator, Options};
use mcp_diag_model::{Inventory, Minor};
use mcp_diag_planner::testing::scenario;
use mcp_diag_planner::{BlockerKind, Drainable, Plan, PlanOptions, plan};
use serde_json::json;

const READY_DELAY: Duration = Duration::from_millis(30);
/// How long a batch may take to settle before the test gives up.
const SETTLE: Duration = Duration::from_secs(10);

/// What can be observed about one node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    drainable: bool,
    /// `pdb`, `unmovable` (refused for unmanaged pods) and `unschedulable` (a replacement
    /// found no node: capacity, affinity, volume zone or a local volume).
    kinds: Vec<&'static str>,
    evicted: usize,
    /// Where the replacements went, sorted (`-` for none).
    destinations: Vec<String>,
}

fn predicted(plan: &Plan) -> BTreeMap<String, Option<Observed>> {
    plan.nodes()
        .map(|n| {
            if n.drainable == Drainable::Unknown || n.blockers.iter().any(|b| b.kind == BlockerKind::Unknown)
            {
                return (n.name.clone(), None);
            }
            let mut kinds: Vec<&'static str> = n
                .blockers
                .iter()
                .map(|b| match b.kind {
                    BlockerKind::Pdb => "pdb",
                    BlockerKind::Unmovable if b.message.contains("has no controller") => "unmovable",
                    _ => "unschedulable",
                })
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            let mut destinations: Vec<String> = n
                .moves
                .iter()
                .filter(|m| m.outcome == "scheduled" || m.outcome == "unschedulable")
                .map(|m| m.to.clone().unwrap_or_else(|| "-".to_owned()))
                .collect();
            destinations.sort();
            (
                n.name.clone(),
                Some(Observed {
                    drainable: n.drainable == Drainable::Yes,
                    kinds,
                    evicted: n.pods_evicted,
                    destinations,
                }),
            )
        })
        .collect()
}

fn owner(p: &Pod) -> Option<(String, String)> {
    p.metadata
        .owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
        .map(|r| (r.kind.clone(), r.name.clone()))
}

fn is_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn is_unschedulable(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
        })
}

fn key(p: &Pod) -> (String, String) {
    (
        p.metadata.namespace.clone().unwrap_or_default(),
        p.metadata.name.clone().unwrap_or_default(),
    )
}

struct Drain {
    pods: Api<Pod>,
    nodes: Api<Node>,
    client: kube::Client,
    seen: HashSet<String>,
    /// Pods of the starting state.
    initial: HashSet<String>,
}

impl Drain {
    async fn all_pods(&self) -> Vec<Pod> {
        trace("list all pods");
        self.pods
            .list(&ListParams::default())
            .await
            .expect("list pods")
            .items
    }

    /// Waits until every ReplicaSet or StatefulSet pod is Ready or cannot be scheduled.
    async fn settle(&self) {
        let start = Instant::now();
        loop {
            let pods = self.all_pods().await;
            let busy: Vec<(String, String)> = pods
                .iter()
                .filter(|p| {
                    owner(p).is_some_and(|(k, _)| k == "ReplicaSet" || k == "StatefulSet")
                        && !is_ready(p)
                        && !is_unschedulable(p)
                        // Pods of the starting state that are not Ready stay so.
                        && !self.initial.contains(p.metadata.uid.as_deref().unwrap_or_default())
                })
                .map(key)
                .collect();
            if busy.is_empty() {
                return;
            }
            trace(&format!("waiting for {busy:?}"));
            assert!(start.elapsed() < SETTLE, "replacements never settled: {busy:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn set_unschedulable(&self, node: &str, value: bool) {
        trace(&format!("node {node} unschedulable={value}"));
        self.nodes
            .patch(
                node,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"unschedulable": value}})),
            )
            .await
            .expect("patch node");
    }

    /// Evicts; `Ok(true)` done, `Ok(false)` refused (429, or 500 for several budgets).
    async fn evict(&self, ns: &str, name: &str) -> bool {
        trace(&format!("evict {ns}/{name}"));
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        match api.evict(name, &EvictParams::default()).await {
            Ok(_) => true,
            Err(kube::Error::Api(s)) if s.code == 429 || s.code == 500 => false,
            Err(kube::Error::Api(s)) if s.code == 404 => true,
            Err(e) => panic!("eviction of {ns}/{name} failed: {e}"),
        }
    }

    /// Drains the batches in order; what happened per node.
    async fn run(&mut self, batches: &[Vec<String>]) -> BTreeMap<String, Observed> {
        let mut out = BTreeMap::new();
        for p in self.all_pods().await {
            self.seen.insert(p.metadata.uid.clone().unwrap_or_default());
            self.initial.insert(p.metadata.uid.clone().unwrap_or_default());
        }
        for batch in batches {
            for n in batch {
                self.set_unschedulable(n, true).await;
            }
            let mut refused_unmanaged: HashSet<&str> = HashSet::new();
            let mut queue: Vec<(String, Pod)> = Vec::new();
            for n in batch {
                let lp = ListParams::default().fields(&format!("spec.nodeName={n}"));
                let mut here = self.pods.list(&lp).await.expect("list node pods").items;
                here.sort_by_key(key);
                let movable: Vec<Pod> = here
                    .into_iter()
                    .filter(|p| {
                        owner(p).is_none_or(|(k, _)| k != "DaemonSet")
                            && !p
                                .metadata
                                .annotations
                                .as_ref()
                                .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"))
                    })
                    .collect();
                let terminal = |p: &Pod| {
                    matches!(
                        p.status.as_ref().and_then(|s| s.phase.as_deref()),
                        Some("Succeeded" | "Failed")
                    )
                };
                if movable.iter().any(|p| owner(p).is_none() && !terminal(p)) {
                    refused_unmanaged.insert(n.as_str());
                    continue;
                }
                queue.extend(movable.into_iter().map(|p| (n.clone(), p)));
            }
            let mut refused: HashSet<String> = HashSet::new();
            let mut evicted: HashMap<String, usize> = HashMap::new();
            // Replacements: (node drained, namespace, name, uid).
            let mut replacements: Vec<(String, String, String, String)> = Vec::new();
            for (n, p) in queue {
                let (ns, name) = key(&p);
                let mut done = self.evict(&ns, &name).await;
                if !done {
                    self.settle().await;
                    done = self.evict(&ns, &name).await;
                }
                if !done {
                    refused.insert(n.clone());
                    continue;
                }
                *evicted.entry(n.clone()).or_insert(0) += 1;
                // The replacement is created with the eviction: the one pod not seen before.
                let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
                for q in api.list(&ListParams::default()).await.expect("list").items {
                    let uid = q.metadata.uid.clone().unwrap_or_default();
                    if self.seen.insert(uid.clone()) {
                        let (qns, qname) = key(&q);
                        replacements.push((n.clone(), qns, qname, uid));
                    }
                }
            }
            self.settle().await;
            let now: HashMap<String, Pod> = self
                .all_pods()
                .await
                .into_iter()
                .map(|p| (p.metadata.uid.clone().unwrap_or_default(), p))
                .collect();
            for n in batch {
                let mut kinds = Vec::new();
                if refused.contains(n) {
                    kinds.push("pdb");
                }
                if refused_unmanaged.contains(n.as_str()) {
                    kinds.push("unmovable");
                }
                let mut destinations = Vec::new();
                for (from, _, _, uid) in &replacements {
                    if from != n {
                        continue;
                    }
                    let p = now.get(uid);
                    match p.and_then(|p| p.spec.as_ref()).and_then(|s| s.node_name.clone()) {
                        Some(to) if p.is_some_and(is_ready) => destinations.push(to),
                        _ => {
                            destinations.push("-".to_owned());
                            if !kinds.contains(&"unschedulable") {
                                kinds.push("unschedulable");
                            }
                        }
                    }
                }
                destinations.sort();
                kinds.sort_unstable();
                out.insert(
                    n.clone(),
                    Observed {
                        drainable: kinds.is_empty(),
                        kinds,
                        evicted: evicted.get(n).copied().unwrap_or(0),
                        destinations,
                    },
                );
            }
            for n in batch {
                if out[n].drainable {
                    self.set_unschedulable(n, false).await;
                }
            }
            self.settle().await;
        }
        out
    }
}

fn options(seed: u64) -> PlanOptions {
    let mut o = PlanOptions::new(Minor::new(1, 32));
    o.run_checks = false;
    o.max_unavailable = if seed.is_multiple_of(3) { 2 } else { 1 };
    o
}

/// The batches of a plan, by node name.
fn batches_of(plan: &Plan) -> Vec<Vec<String>> {
    let mut batches: Vec<Vec<String>> = Vec::new();
    for n in plan.nodes() {
        if batches.len() <= n.batch {
            batches.resize(n.batch + 1, Vec::new());
        }
        batches[n.batch].push(n.name.clone());
    }
    batches
}

fn client_for(emu: &Emulator) -> kube::Client {
    let mut config = kube::Config::new(emu.url().parse().expect("url"));
    // A 429 is an answer here (the budget refuses), not a reason for the client to retry.
    config.default_retry = false;
    kube::Client::try_from(config).expect("client")
}

/// What `kubectl get nodes,pods,deploy,sts,ds,pdb,pvc,pv -A -o yaml` gives of the cluster:
/// everything but the ReplicaSets, the budgets as the cluster serves them (with the status
/// its disruption controller computed), and no record of what was read.
async fn export_without_replicasets(full: &Inventory, client: &kube::Client) -> Inventory {
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    let served: Api<PodDisruptionBudget> = Api::all(client.clone());
    let served = served
        .list(&ListParams::default())
        .await
        .expect("list budgets")
        .items;
    let mut out = Inventory::new(full.kind, full.source.clone(), full.cluster.name.clone());
    out.cluster = full.cluster.clone();
    for o in &full.objects {
        if o.kind == "ReplicaSet" || o.kind == "PodDisruptionBudget" {
            continue;
        }
        out.objects.push(o.clone());
    }
    for pdb in served {
        let mut value = serde_json::to_value(&pdb).expect("budget as JSON");
        value["apiVersion"] = json!("policy/v1");
        value["kind"] = json!("PodDisruptionBudget");
        if let Some(o) = mcp_diag_model::Object::from_node(value, None) {
            out.objects.push(o);
        }
    }
    out.coverage = mcp_diag_model::Coverage::default();
    out
}

/// The emulator runs the full cluster; the planner sees only the export. A verdict the
/// planner gives must be the one the drain gives; where it cannot know, it says `unknown`.
/// Returns (nodes compared, nodes unknown, contradictions).
async fn check_export(seed: u64, full: Inventory) -> (usize, usize, Vec<String>) {
    let emu = Emulator::start(
        full.clone(),
        Options {
            ready_delay: READY_DELAY,
            seed,
            ..Options::default()
        },
    )
    .await
    .expect("emulator");
    let client = client_for(&emu);
    let export = export_without_replicasets(&full, &client).await;
    let plan = plan(&export, &options(seed)).expect("plan");
    let mut drain = Drain {
        pods: Api::all(client.clone()),
        nodes: Api::all(client.clone()),
        client,
        seen: HashSet::new(),
        initial: HashSet::new(),
    };
    let observed = drain.run(&batches_of(&plan)).await;
    emu.stop().await;
    let mut contradictions = Vec::new();
    let (mut compared, mut unknown) = (0, 0);
    for n in plan.nodes() {
        let got = observed[&n.name].drainable;
        match n.drainable {
            Drainable::Unknown => unknown += 1,
            d => {
                compared += 1;
                if (d == Drainable::Yes) != got {
                    contradictions.push(format!(
                        "  node {}: plan of the export says {}, the drain of the full cluster {}: {:?}",
                        n.name,
                        d.as_str(),
                        if got { "drainable" } else { "blocked" },
                        n.blockers.iter().map(|b| b.message.as_str()).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    (compared, unknown, contradictions)
}

/// Plans and drains one scenario; the differences, if any, as readable lines.
async fn check(seed: u64, inventory: Inventory) -> (usize, usize, Vec<String>) {
    let plan = plan(&inventory, &options(seed)).expect("plan");
    let emu = Emulator::start(
        inventory,
        Options {
            ready_delay: READY_DELAY,
            seed,
            ..Options::default()
        },
    )
    .await
    .expect("emulator");
    trace(&format!("scenario {seed}: emulator at {}", emu.url()));
    let mut config = kube::Config::new(emu.url().parse().expect("url"));
    // A 429 is an answer here (the budget refuses), not a reason for the client to retry.
    config.default_retry = false;
    let client = kube::Client::try_from(config).expect("client");
    let mut drain = Drain {
        pods: Api::all(client.clone()),
        nodes: Api::all(client.clone()),
        client,
        seen: HashSet::new(),
        initial: HashSet::new(),
    };
    let mut batches: Vec<Vec<String>> = Vec::new();
    for n in plan.nodes() {
        if batches.len() <= n.batch {
            batches.resize(n.batch + 1, Vec::new());
        }
        batches[n.batch].push(n.name.clone());
    }
    let observed = drain.run(&batches).await;
    emu.stop().await;
    let predicted = predicted(&plan);
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut unknown = 0;
    for (name, want) in &predicted {
        let Some(want) = want else {
            unknown += 1;
            continue;
        };
        compared += 1;
        let got = &observed[name];
        if want != got {
            diffs.push(format!(
                "  node {name}:\n    plan:     {want:?}\n    emulator: {got:?}"
            ));
        }
    }
    if !diffs.is_empty() {
        let table: Vec<String> = plan
            .nodes()
            .map(|n| {
                format!(
                    "    batch {} {} {:?} {:?}",
                    n.batch,
                    n.name,
                    n.drainable,
                    n.blockers.iter().map(|b| b.message.as_str()).collect::<Vec<_>>()
                )
            })
            .collect();
        diffs.push(format!("  the plan:\n{}", table.join("\n")));
    }
    (compared, unknown, diffs)
}

const SCENARIOS: u64 = 30;

fn trace(what: &str) {
    if std::env::var_os("ACCURACY_TRACE").is_some() {
        eprintln!("[accuracy] {what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_agrees_with_the_emulator_node_by_node() {
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut unknown = 0;
    let mut blocked = 0;
    let only: Option<u64> = std::env::var("ACCURACY_SEED").ok().and_then(|s| s.parse().ok());
    for seed in (0..SCENARIOS).filter(|s| only.is_none_or(|o| o == *s)) {
        let inventory = scenario(seed);
        let plan = plan(&inventory, &options(seed)).expect("plan");
        blocked += plan.summary.blocked;
        let (c, u, diffs) = check(seed, inventory).await;
        compared += c;
        unknown += u;
        if !diffs.is_empty() {
            failures.push(format!("scenario {seed}:\n{}", diffs.join("\n")));
        }
    }
    eprintln!(
        "{SCENARIOS} scenarios, {compared} nodes compared ({blocked} predicted blocked), {unknown} unknown, {} scenarios disagree",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "the plan and the emulator disagree:\n{}",
        failures.join("\n\n")
    );
    // The scenarios must exercise blocked nodes, not only easy drains.
    if only.is_none() {
        assert!(blocked >= 10, "only {blocked} blocked nodes over the scenarios");
        // Scenarios the model cannot follow are reported, and never as drainable.
        assert!(unknown > 0, "no scenario exercised an unknown node");
    }
}

/// Partial input: the planner reads an export without ReplicaSets (budgets with the status
/// the cluster serves); the emulator drains the full cluster. Never the opposite verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_an_export_never_contradicts_the_drain_of_the_full_cluster() {
    let only: Option<u64> = std::env::var("ACCURACY_SEED").ok().and_then(|s| s.parse().ok());
    let (mut compared, mut unknown) = (0, 0);
    let mut failures = Vec::new();
    for seed in (0..SCENARIOS).filter(|s| only.is_none_or(|o| o == *s)) {
        let (c, u, diffs) = check_export(seed, scenario(seed)).await;
        compared += c;
        unknown += u;
        if !diffs.is_empty() {
            failures.push(format!("scenario {seed}:\n{}", diffs.join("\n")));
        }
    }
    eprintln!(
        "exports without ReplicaSets: {compared} nodes compared, {unknown} unknown, {} scenarios contradict",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "the plan of the export contradicts the drain:\n{}",
        failures.join("\n\n")
    );
    if only.is_none() {
        // Fresh recorded status and inferred Deployments must leave most nodes predictable.
        assert!(compared > unknown, "{compared} compared, {unknown} unknown");
    }
}
