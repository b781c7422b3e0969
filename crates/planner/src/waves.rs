//! The order nodes are drained in: control plane first, one at a time; then the workers in
//! waves of cumulative percentages, canaries spread over zones and pools and lightly loaded
//! first; `--order` puts chosen nodes first. Batches of `--max-unavailable` nodes within a
//! wave.

use std::collections::HashMap;

use crate::cluster::{Cluster, Phase};
use crate::sim::Outcome;
use crate::{Drainable, NodePlan, PlanOptions, Wave};

/// Nodes the user wants first (`--order`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// Node names, in this order.
    Names(Vec<String>),
    /// A label selector (`zone=a`, `pool!=spot,gpu`): matching nodes first.
    Selector(Vec<Requirement>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
}

impl Order {
    /// `a,b,c` (node names) or a label selector (any item with `=` or `!`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            return Err("--order is empty: give node names (a,b) or a label selector (zone=a)".into());
        }
        if !items.iter().any(|i| i.contains('=') || i.starts_with('!')) {
            return Ok(Self::Names(items.iter().map(|s| (*s).to_owned()).collect()));
        }
        let mut reqs = Vec::new();
        for item in items {
            let req = if let Some((k, v)) = item.split_once("!=") {
                Requirement::NotEquals(k.trim().to_owned(), v.trim().to_owned())
            } else if let Some((k, v)) = item.split_once("==").or_else(|| item.split_once('=')) {
                Requirement::Equals(k.trim().to_owned(), v.trim().to_owned())
            } else if let Some(k) = item.strip_prefix('!') {
                Requirement::NotExists(k.trim().to_owned())
            } else {
                Requirement::Exists(item.to_owned())
            };
            let key = match &req {
                Requirement::Equals(k, _)
                | Requirement::NotEquals(k, _)
                | Requirement::Exists(k)
                | Requirement::NotExists(k) => k,
            };
            if key.is_empty() {
                return Err(format!("--order: {item:?} has no label key"));
            }
            reqs.push(req);
        }
        Ok(Self::Selector(reqs))
    }
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Names(n) => f.write_str(&n.join(",")),
            Self::Selector(reqs) => {
                let parts: Vec<String> = reqs
                    .iter()
                    .map(|r| match r {
                        Requirement::Equals(k, v) => format!("{k}={v}"),
                        Requirement::NotEquals(k, v) => format!("{k}!={v}"),
                        Requirement::Exists(k) => k.clone(),
                        Requirement::NotExists(k) => format!("!{k}"),
                    })
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

/// `1%,10%,50%,100%` (the `%` is optional): increasing cumulative percentages; a last
/// wave of 100% is added when missing.
pub fn parse_waves(text: &str) -> Result<Vec<u32>, String> {
    let mut out: Vec<u32> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let n = item.trim_end_matches('%').trim();
        let p: u32 = n
            .parse()
            .map_err(|_| format!("--waves: {item:?} is not a percentage (write 1%,10%,50%,100%)"))?;
        if p == 0 || p > 100 {
            return Err(format!("--waves: {item:?} must be between 1% and 100%"));
        }
        if out.last().is_some_and(|last| p <= *last) {
            return Err(format!(
                "--waves: the percentages are cumulative and must increase ({item} after {}%)",
                out.last().copied().unwrap_or_default()
            ));
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err("--waves is empty: write 1%,10%,50%,100%".into());
    }
    if out.last() != Some(&100) {
        out.push(100);
    }
    Ok(out)
}

pub(crate) struct WaveSpec {
    pub name: String,
    pub percent: Option<u32>,
    pub nodes: Vec<u32>,
}

pub(crate) struct Ordered {
    pub waves: Vec<WaveSpec>,
    pub batches: Vec<Vec<u32>>,
    pub batch_of: HashMap<u32, usize>,
    pub reasons: HashMap<u32, String>,
}

/// Per node: requested cpu and memory in permille of allocatable.
fn loads(cluster: &Cluster<'_>) -> Vec<(u64, u64)> {
    let mut used = vec![(0u64, 0u64); cluster.nodes.len()];
    for p in &cluster.pods {
        if let Some(n) = p.node
            && !matches!(p.phase, Phase::Succeeded | Phase::Failed)
        {
            let u = &mut used[n as usize];
            u.0 = u.0.saturating_add(p.cpu);
            u.1 = u.1.saturating_add(p.mem);
        }
    }
    cluster
        .nodes
        .iter()
        .zip(used)
        .map(|(n, (c, m))| (crate::sched::term(c, n.cpu), crate::sched::term(m, n.mem)))
        .collect()
}

/// `literal`: whether nodes have labels literally named `zone` and `pool` (otherwise those
/// words stand for the zone label and the detected pool label).
fn matches(cluster: &Cluster<'_>, reqs: &[Requirement], i: u32, literal: (bool, bool)) -> bool {
    let node = &cluster.nodes[i as usize];
    let value = |k: &str| -> Option<String> {
        match k {
            "zone" if !literal.0 => node.zone.map(str::to_owned),
            "pool" if !literal.1 => node.pool.map(str::to_owned),
            _ => node.label(k).map(str::to_owned),
        }
    };
    reqs.iter().all(|r| match r {
        Requirement::Equals(k, v) => value(k).as_deref() == Some(v.as_str()),
        Requirement::NotEquals(k, v) => value(k).as_deref() != Some(v.as_str()),
        Requirement::Exists(k) => value(k).is_some(),
        Requirement::NotExists(k) => value(k).is_none(),
    })
}

/// Per node: how many distinct workloads it runs whose pods a drain evicts (pods of one
/// controller count once; a bare pod counts alone). DaemonSet and mirror pods stay on the
/// node and finished pods are gone, so they tell nothing about the wave.
fn workloads(cluster: &Cluster<'_>) -> Vec<usize> {
    let mut seen: Vec<std::collections::HashSet<*const mcp_diag_model::Object>> =
        vec![std::collections::HashSet::new(); cluster.nodes.len()];
    for p in &cluster.pods {
        if let Some(n) = p.node
            && !p.mirror
            && !p.terminating
            && p.owner != crate::cluster::Owner::DaemonSet
            && !matches!(p.phase, Phase::Succeeded | Phase::Failed)
        {
            // Identity of the controller (or of the pod itself), compared, never dereferenced.
            let id: *const mcp_diag_model::Object = p.controller.unwrap_or(p.object);
            seen[n as usize].insert(id);
        }
    }
    seen.into_iter().map(|s| s.len()).collect()
}

/// Why a worker would make a poor canary: a drain of it tests nothing the wave needs to know.
fn poor_canary(cluster: &Cluster<'_>, workloads: &[usize], i: u32) -> Option<&'static str> {
    let node = &cluster.nodes[i as usize];
    if !node.ready {
        Some("not Ready (its Ready condition is False or Unknown)")
    } else if node.unschedulable {
        Some("cordoned already")
    } else if workloads[i as usize] == 0 && cluster.input.complete("Pod") {
        // Without every pod, running none is not a fact: the node may well be a fair test.
        Some("runs no pod that a drain moves")
    } else {
        None
    }
}

pub(crate) fn order(cluster: &Cluster<'_>, options: &PlanOptions, notes: &mut Vec<String>) -> Ordered {
    let loads = loads(cluster);
    let workloads = workloads(cluster);
    let unfit = |i: u32| poor_canary(cluster, &workloads, i);
    let describe = |i: u32| {
        let (c, m) = loads[i as usize];
        format!("load cpu {}% / memory {}%", c / 10, m / 10)
    };
    let mut reasons: HashMap<u32, String> = HashMap::new();
    let control: Vec<u32> = (0..cluster.nodes.len() as u32)
        .filter(|&i| cluster.nodes[i as usize].control_plane)
        .collect();
    for &i in &control {
        reasons.insert(i, "control plane: drained first, one at a time".to_owned());
    }
    let workers: Vec<u32> = (0..cluster.nodes.len() as u32)
        .filter(|&i| !cluster.nodes[i as usize].control_plane)
        .collect();

    // Default order: rotate over (zone, pool) groups so that each zone and pool is reached
    // early, lightest node of a group first.
    type Place<'n> = (Option<&'n str>, Option<&'n str>);
    let mut groups: Vec<(Place<'_>, Vec<u32>)> = Vec::new();
    {
        let mut at: HashMap<(Option<&str>, Option<&str>), usize> = HashMap::new();
        for &i in &workers {
            let n = &cluster.nodes[i as usize];
            let key = (n.zone, n.pool);
            let g = *at.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
    }
    // Nodes that make poor canaries (not Ready, cordoned, nothing to move) go after all
    // others. Each group opens with its most representative node (the most distinct
    // workloads, lightest of those); the rest follow lightest first, so the early waves
    // disturb little.
    for (_, members) in &mut groups {
        members.sort_by_key(|&i| (unfit(i).is_some(), loads[i as usize].0 + loads[i as usize].1, i));
        if let Some(best) = members
            .iter()
            .enumerate()
            .filter(|&(_, &i)| unfit(i).is_none())
            .max_by_key(|&(at, &i)| (workloads[i as usize], std::cmp::Reverse(at)))
            .map(|(at, _)| at)
        {
            let head = members.remove(best);
            members.insert(0, head);
        }
        members.reverse(); // pop from the end
    }
    let all_unfit = workers.iter().all(|&i| unfit(i).is_some());
    let mut zone_count: HashMap<Option<&str>, usize> = HashMap::new();
    let mut pool_count: HashMap<Option<&str>, usize> = HashMap::new();
    let mut default_order = Vec::with_capacity(workers.len());
    let mut default_reason: HashMap<u32, String> = HashMap::new();
    loop {
        let pick = groups
            .iter()
            .enumerate()
            .filter_map(|(g, ((z, p), members))| {
                let &head = members.last()?;
                let l = loads[head as usize];
                let zones = zone_count.get(z).copied().unwrap_or(0);
                let pools = pool_count.get(p).copied().unwrap_or(0);
                // Among groups not reached yet, the one whose opening node runs the most
                // workloads goes first: that is the canary of the whole rollout.
                let opening = if zones == 0 && pools == 0 {
                    workloads[head as usize]
                } else {
                    0
                };
                Some((
                    (unfit(head).is_some(), zones, pools),
                    std::cmp::Reverse(opening),
                    l.0 + l.1,
                    head,
                    g,
                ))
            })
            .min();
        let Some((_, _, _, head, g)) = pick else { break };
        let (z, p) = groups[g].0;
        groups[g].1.pop();
        let first_zone = zone_count.get(&z).copied().unwrap_or(0) == 0;
        let first_pool = pool_count.get(&p).copied().unwrap_or(0) == 0;
        *zone_count.entry(z).or_insert(0) += 1;
        *pool_count.entry(p).or_insert(0) += 1;
        let place = match (z, p) {
            (Some(z), Some(p)) => format!("zone {z}, pool {p}"),
            (Some(z), None) => format!("zone {z}"),
            (None, Some(p)) => format!("pool {p}"),
            (None, None) => "no zone or pool label".to_owned(),
        };
        let why = match (first_zone && z.is_some(), first_pool && p.is_some()) {
            (true, true) => "first of its zone and pool",
            (true, false) => "first of its zone",
            (false, true) => "first of its pool",
            _ => "next in the rotation over zones and pools, lightest first",
        };
        let reason = match unfit(head) {
            // When no node is fit the order is the plain rotation; the notes say why.
            Some(poor) if !all_unfit => format!(
                "{place}: {poor}, so it comes after the nodes that make a fair test; {}",
                describe(head)
            ),
            // Without every pod, what the node runs is not known: no count to boast of.
            None if default_order.is_empty() && !cluster.input.complete("Pod") => format!(
                "{place}: {why}; the canary: Ready and schedulable (what it runs is not known: Pods were not read completely); {}",
                describe(head)
            ),
            None if default_order.is_empty() => format!(
                "{place}: {why}; the canary: Ready and running {} that a drain moves, the most in its zone and pool; {}",
                mcp_diag_model::plural(workloads[head as usize], "workload", "workloads"),
                describe(head)
            ),
            _ => format!("{place}: {why}; {}", describe(head)),
        };
        default_reason.insert(head, reason);
        default_order.push(head);
    }

    if !workers.is_empty() && all_unfit {
        notes.push(format!(
            "No worker node is Ready, schedulable and running pods that a drain moves, so the first wave tests nothing: \
             its canary {} {}. Bring a node back to Ready (or schedule workloads) before relying on the canary.",
            default_order
                .first()
                .map_or("", |&i| cluster.nodes[i as usize].name),
            default_order.first().and_then(|&i| unfit(i)).unwrap_or("is not a fair test")
        ));
    }
    let worker_order: Vec<u32> = match &options.order {
        None => default_order,
        Some(Order::Names(names)) => {
            let mut first = Vec::new();
            let mut missing = Vec::new();
            for name in names {
                match cluster.node_index.get(name.as_str()) {
                    Some(&i) if !cluster.nodes[i as usize].control_plane => {
                        if !first.contains(&i) {
                            first.push(i);
                            reasons.insert(i, format!("--order names it ({})", describe(i)));
                        }
                    }
                    Some(_) => {}
                    None => missing.push(name.clone()),
                }
            }
            if !missing.is_empty() {
                notes.push(format!(
                    "--order names {} that {} not in the cluster: {}",
                    if missing.len() == 1 { "a node" } else { "nodes" },
                    if missing.len() == 1 { "is" } else { "are" },
                    missing.join(", ")
                ));
            }
            let rest: Vec<u32> = default_order.into_iter().filter(|i| !first.contains(i)).collect();
            first.into_iter().chain(rest).collect()
        }
        Some(Order::Selector(reqs)) => {
            let has = |k: &str| cluster.nodes.iter().any(|n| n.label(k).is_some());
            let literal = (has("zone"), has("pool"));
            let (first, rest): (Vec<u32>, Vec<u32>) = default_order
                .into_iter()
                .partition(|&i| matches(cluster, reqs, i, literal));
            if first.is_empty() {
                notes.push(format!(
                    "--order {}: no worker node matches; the default order is used",
                    options
                        .order
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ));
            }
            for &i in &first {
                let base = default_reason.get(&i).cloned().unwrap_or_default();
                reasons.insert(
                    i,
                    format!(
                        "--order {} matches it; {base}",
                        options
                            .order
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ),
                );
            }
            first.into_iter().chain(rest).collect()
        }
    };
    for &i in &worker_order {
        if !reasons.contains_key(&i)
            && let Some(r) = default_reason.get(&i)
        {
            reasons.insert(i, r.clone());
        }
    }

    let mut waves = Vec::new();
    if !control.is_empty() {
        waves.push(WaveSpec {
            name: "control-plane".to_owned(),
            percent: None,
            nodes: control.clone(),
        });
    }
    let total = worker_order.len();
    let mut done = 0usize;
    for (k, &p) in options.waves.iter().enumerate() {
        if done >= total {
            break;
        }
        let want = (p as usize * total).div_ceil(100).max(done + 1).min(total);
        waves.push(WaveSpec {
            name: format!("wave {} ({p}%)", k + 1),
            percent: Some(p),
            nodes: worker_order[done..want].to_vec(),
        });
        done = want;
    }
    if done < total {
        waves.push(WaveSpec {
            name: "rest".to_owned(),
            percent: Some(100),
            nodes: worker_order[done..].to_vec(),
        });
    }
    let size = options.max_unavailable.max(1);
    let mut batches = Vec::new();
    let mut batch_of = HashMap::new();
    for wave in &waves {
        let chunk = if wave.percent.is_none() { 1 } else { size };
        for c in wave.nodes.chunks(chunk) {
            for &i in c {
                batch_of.insert(i, batches.len());
            }
            batches.push(c.to_vec());
        }
    }
    Ordered {
        waves,
        batches,
        batch_of,
        reasons,
    }
}

pub(crate) fn assemble(cluster: &Cluster<'_>, ordered: &Ordered, mut outcome: Outcome) -> Vec<Wave> {
    let mut index = 0;
    ordered
        .waves
        .iter()
        .map(|spec| {
            let wave_index = if spec.percent.is_none() {
                0
            } else {
                index += 1;
                index
            };
            let nodes = spec
                .nodes
                .iter()
                .map(|&i| {
                    let node = &cluster.nodes[i as usize];
                    let result = outcome.nodes[i as usize].take();
                    let drainable = result.as_ref().map_or(Drainable::Unknown, |r| r.drainable);
                    NodePlan {
                        name: node.name.to_owned(),
                        drainable,
                        status: drainable.as_str(),
                        batch: ordered.batch_of.get(&i).copied().unwrap_or(0),
                        reason: ordered.reasons.get(&i).cloned().unwrap_or_default(),
                        zone: node.zone.map(str::to_owned),
                        pool: node.pool.map(str::to_owned),
                        control_plane: node.control_plane,
                        pods_evicted: result.as_ref().map_or(0, |r| r.evicted),
                        pods_staying: result.as_ref().map_or(0, |r| r.staying),
                        blockers: result.as_ref().map(|r| r.blockers.clone()).unwrap_or_default(),
                        remaining: result.as_ref().map(|r| r.remaining.clone()).unwrap_or_default(),
                        moves: result.map(|r| r.moves).unwrap_or_default(),
                    }
                })
                .collect();
            Wave {
                index: wave_index,
                name: spec.name.clone(),
                percent: spec.percent,
                nodes,
            }
        })
        .collect()
}
