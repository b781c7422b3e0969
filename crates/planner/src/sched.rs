//! Scheduling as `docs/drain-model.md` fixes it: the feasibility filters and the choice of
//! the node with the highest score after placing, ties to the smallest name.
//!
//! Finding the best node must not scan every node for every pod. Nodes are kept, per group
//! of nodes that constraints cannot tell apart (same allocatable, same labels the
//! constraints look at, same taints), in an ordered set keyed by an upper bound of their
//! score; the search walks each group from the top and stops as soon as no node left can
//! reach the best score found. [`Scheduler::best_brute`] is the plain reference the tests
//! compare it with.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use crate::BlockerKind;
use crate::cluster::{Cluster, Expr, NodeInfo, Op, SchedClass, Terms};

/// The ordered-set key: score bound (high first), then free cpu, memory and pod slots
/// (nodes equal in all three give the same answer to any pod), then the node (name order).
type Key = (Reverse<u64>, Reverse<u64>, Reverse<u64>, Reverse<u64>, u32);

/// One of the score's two terms: free * 1000 / allocatable, integer division, 0 when the
/// allocatable is 0.
pub(crate) fn term(free: u64, alloc: u64) -> u64 {
    if alloc == 0 {
        0
    } else {
        (u128::from(free) * 1000 / u128::from(alloc)) as u64
    }
}

pub(crate) struct Scheduler {
    pub used_cpu: Vec<u64>,
    pub used_mem: Vec<u64>,
    pub used_pods: Vec<u64>,
    pub ports: Vec<Vec<(i64, String)>>,
    pub cordoned: Vec<bool>,
    /// Per anti-affinity term: matching pods per topology value.
    pub anti_counts: Vec<HashMap<String, u32>>,
    sets: Vec<BTreeSet<Key>>,
    keys: Vec<Option<Key>>,
    group_alloc: Vec<(u64, u64)>,
    group_rep: Vec<u32>,
    static_group: HashMap<(u32, u32), bool>,
    static_nodes: HashMap<u32, Vec<u32>>,
}

pub(crate) struct Pod<'p> {
    pub class: u32,
    pub cpu: u64,
    pub mem: u64,
    pub ports: &'p [(i64, String)],
}

impl Scheduler {
    pub fn new(cluster: &Cluster<'_>) -> Self {
        let n = cluster.nodes.len();
        let mut group_alloc = vec![(0, 0); cluster.groups];
        let mut group_rep = vec![u32::MAX; cluster.groups];
        for (i, node) in cluster.nodes.iter().enumerate() {
            let g = node.group as usize;
            if group_rep[g] == u32::MAX {
                group_rep[g] = i as u32;
                group_alloc[g] = (node.cpu, node.mem);
            }
        }
        Self {
            used_cpu: vec![0; n],
            used_mem: vec![0; n],
            used_pods: vec![0; n],
            ports: vec![Vec::new(); n],
            cordoned: cluster.nodes.iter().map(|n| n.unschedulable).collect(),
            anti_counts: vec![HashMap::new(); cluster.anti_terms.len()],
            sets: vec![BTreeSet::new(); cluster.groups],
            keys: vec![None; n],
            group_alloc,
            group_rep,
            static_group: HashMap::new(),
            static_nodes: HashMap::new(),
        }
    }

    /// Puts every schedulable node in its group's set; call once the initial pods are placed.
    pub fn index_nodes(&mut self, cluster: &Cluster<'_>) {
        for i in 0..cluster.nodes.len() {
            self.refresh(cluster, i as u32);
        }
    }

    fn key_of(&self, node: &NodeInfo<'_>, i: u32) -> Key {
        let i_ = i as usize;
        let fc = node.cpu.saturating_sub(self.used_cpu[i_]);
        let fm = node.mem.saturating_sub(self.used_mem[i_]);
        // An overcommitted node takes nothing: no pod slot.
        let over = self.used_cpu[i_] > node.cpu || self.used_mem[i_] > node.mem;
        let fp = if over {
            0
        } else {
            node.pods.saturating_sub(self.used_pods[i_])
        };
        let ub = term(fc, node.cpu) + term(fm, node.mem);
        (Reverse(ub), Reverse(fc), Reverse(fm), Reverse(fp), i)
    }

    /// Re-keys a node after its usage or schedulability changed.
    fn refresh(&mut self, cluster: &Cluster<'_>, i: u32) {
        let node = &cluster.nodes[i as usize];
        if let Some(old) = self.keys[i as usize].take() {
            self.sets[node.group as usize].remove(&old);
        }
        if node.ready && !self.cordoned[i as usize] {
            let key = self.key_of(node, i);
            self.sets[node.group as usize].insert(key);
            self.keys[i as usize] = Some(key);
        }
    }

    pub fn cordon(&mut self, cluster: &Cluster<'_>, i: u32) {
        self.cordoned[i as usize] = true;
        self.refresh(cluster, i);
    }

    pub fn uncordon(&mut self, cluster: &Cluster<'_>, i: u32) {
        self.cordoned[i as usize] = false;
        self.refresh(cluster, i);
    }

    /// Records a pod on a node (its requests, ports and anti-affinity matches).
    pub fn place(&mut self, cluster: &Cluster<'_>, pod: usize, i: u32) {
        let p = &cluster.pods[pod];
        self.add(cluster, i, p.cpu, p.mem, &p.ports, &p.anti_matches, true);
    }

    pub fn remove(&mut self, cluster: &Cluster<'_>, pod: usize, i: u32) {
        let p = &cluster.pods[pod];
        self.add(cluster, i, p.cpu, p.mem, &p.ports, &p.anti_matches, false);
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        cluster: &Cluster<'_>,
        i: u32,
        cpu: u64,
        mem: u64,
        ports: &[(i64, String)],
        anti: &[u32],
        add: bool,
    ) {
        let n = i as usize;
        if add {
            self.used_cpu[n] = self.used_cpu[n].saturating_add(cpu);
            self.used_mem[n] = self.used_mem[n].saturating_add(mem);
            self.used_pods[n] += 1;
            self.ports[n].extend(ports.iter().cloned());
        } else {
            self.used_cpu[n] = self.used_cpu[n].saturating_sub(cpu);
            self.used_mem[n] = self.used_mem[n].saturating_sub(mem);
            self.used_pods[n] = self.used_pods[n].saturating_sub(1);
            for p in ports {
                if let Some(at) = self.ports[n].iter().position(|q| q == p) {
                    self.ports[n].swap_remove(at);
                }
            }
        }
        let node = &cluster.nodes[n];
        for &t in anti {
            let key = &cluster.anti_terms[t as usize].key;
            if let Some(v) = node.label(key) {
                let counts = &mut self.anti_counts[t as usize];
                if add {
                    *counts.entry(v.to_owned()).or_insert(0) += 1;
                } else if let Some(c) = counts.get_mut(v) {
                    *c = c.saturating_sub(1);
                }
            }
        }
        self.refresh(cluster, i);
    }

    /// The score of a node after placing the pod.
    fn score(&self, node: &NodeInfo<'_>, i: usize, pod: &Pod<'_>) -> u64 {
        let fc = node.cpu.saturating_sub(self.used_cpu[i] + pod.cpu);
        let fm = node.mem.saturating_sub(self.used_mem[i] + pod.mem);
        term(fc, node.cpu) + term(fm, node.mem)
    }

    fn fits(&self, node: &NodeInfo<'_>, i: usize, pod: &Pod<'_>) -> bool {
        self.used_cpu[i].saturating_add(pod.cpu) <= node.cpu
            && self.used_mem[i].saturating_add(pod.mem) <= node.mem
            && self.used_pods[i] < node.pods
    }

    fn ports_free(&self, i: usize, pod: &Pod<'_>) -> bool {
        pod.ports.iter().all(|p| !self.ports[i].contains(p))
    }

    fn anti_ok(&self, cluster: &Cluster<'_>, class: &SchedClass, node: &NodeInfo<'_>) -> bool {
        class.anti.iter().all(|&t| {
            let term = &cluster.anti_terms[t as usize];
            node.label(&term.key)
                .is_none_or(|v| self.anti_counts[t as usize].get(v).copied().unwrap_or(0) == 0)
        })
    }

    fn dynamic_ok(&self, cluster: &Cluster<'_>, i: u32, pod: &Pod<'_>) -> bool {
        let node = &cluster.nodes[i as usize];
        let class = &cluster.classes[pod.class as usize];
        node.ready
            && !self.cordoned[i as usize]
            && self.fits(node, i as usize, pod)
            && self.ports_free(i as usize, pod)
            && self.anti_ok(cluster, class, node)
    }

    fn static_group_ok(&mut self, cluster: &Cluster<'_>, class: u32, g: u32) -> bool {
        if let Some(ok) = self.static_group.get(&(class, g)) {
            return *ok;
        }
        let rep = &cluster.nodes[self.group_rep[g as usize] as usize];
        let ok = static_ok(&cluster.classes[class as usize], rep);
        self.static_group.insert((class, g), ok);
        ok
    }

    /// The node the scheduler picks for the pod, if any.
    pub fn best(&mut self, cluster: &Cluster<'_>, pod: &Pod<'_>) -> Option<u32> {
        let class = &cluster.classes[pod.class as usize];
        let mut best: Option<(u64, u32)> = None;
        let better = |best: Option<(u64, u32)>, s: u64, i: u32| match best {
            None => true,
            Some((bs, bi)) => s > bs || (s == bs && i < bi),
        };
        if class.names_nodes {
            let list = self
                .static_nodes
                .entry(pod.class)
                .or_insert_with(|| {
                    (0..cluster.nodes.len() as u32)
                        .filter(|&i| static_ok(class, &cluster.nodes[i as usize]))
                        .collect()
                })
                .clone();
            for i in list {
                if self.dynamic_ok(cluster, i, pod) {
                    let s = self.score(&cluster.nodes[i as usize], i as usize, pod);
                    if better(best, s, i) {
                        best = Some((s, i));
                    }
                }
            }
            return best.map(|(_, i)| i);
        }
        for g in 0..self.sets.len() as u32 {
            if self.sets[g as usize].is_empty() || !self.static_group_ok(cluster, pod.class, g) {
                continue;
            }
            let (ac, am) = self.group_alloc[g as usize];
            let d = term(pod.cpu, ac) + term(pod.mem, am);
            let set = &self.sets[g as usize];
            let mut iter = set.range::<Key, _>(..);
            while let Some(&key) = iter.next() {
                let (Reverse(ub), Reverse(fc), Reverse(fm), Reverse(fp), i) = key;
                if let Some((bs, _)) = best
                    && ub < bs.saturating_add(d)
                {
                    break;
                }
                let node = &cluster.nodes[i as usize];
                let resources = pod.cpu <= fc && pod.mem <= fm && fp >= 1;
                let run_end = (Reverse(ub), Reverse(fc), Reverse(fm), Reverse(fp), u32::MAX);
                if !resources {
                    // Every node of this run has the same free resources.
                    iter = set.range((Bound::Excluded(run_end), Bound::Unbounded));
                    continue;
                }
                if self.ports_free(i as usize, pod) && self.anti_ok(cluster, class, node) {
                    let s = self.score(node, i as usize, pod);
                    if better(best, s, i) {
                        best = Some((s, i));
                    }
                    // The rest of the run scores the same with larger names.
                    iter = set.range((Bound::Excluded(run_end), Bound::Unbounded));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// The same choice by looking at every node (the reference for tests).
    #[cfg(test)]
    pub fn best_brute(&self, cluster: &Cluster<'_>, pod: &Pod<'_>) -> Option<u32> {
        let class = &cluster.classes[pod.class as usize];
        let mut best: Option<(u64, u32)> = None;
        for (i, node) in cluster.nodes.iter().enumerate() {
            if static_ok(class, node) && self.dynamic_ok(cluster, i as u32, pod) {
                let s = self.score(node, i, pod);
                if best.is_none_or(|(bs, _)| s > bs) {
                    best = Some((s, i as u32));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// Why no node takes the pod, as a blocker kind and a sentence.
    pub fn explain(&self, cluster: &Cluster<'_>, pod: &Pod<'_>, who: &str) -> (BlockerKind, String) {
        let class = &cluster.classes[pod.class as usize];
        let open: Vec<u32> = (0..cluster.nodes.len() as u32)
            .filter(|&i| cluster.nodes[i as usize].ready && !self.cordoned[i as usize])
            .collect();
        if open.is_empty() {
            return (
                BlockerKind::Capacity,
                format!(
                    "no node is left schedulable for the replacement of {who}; keep fewer nodes cordoned at once (--max-unavailable) or add nodes first"
                ),
            );
        }
        let on_volume: Vec<u32> = open
            .iter()
            .copied()
            .filter(|&i| volumes_ok(class, &cluster.nodes[i as usize]))
            .collect();
        if on_volume.is_empty() {
            let v = class.volumes.iter().find(|v| {
                !open.iter().any(|&i| {
                    v.terms
                        .as_ref()
                        .is_none_or(|t| terms_match(t, &cluster.nodes[i as usize]))
                })
            });
            let (claim, pv, local) =
                v.map_or(("?", "?", false), |v| (v.claim.as_str(), v.pv.as_str(), v.local));
            if local {
                return (
                    BlockerKind::Unmovable,
                    format!(
                        "{who} keeps its data on local PersistentVolume {pv} (claim {claim}), which exists on one node only: the pod cannot run elsewhere; move the data to network storage, or accept the downtime and delete the claim"
                    ),
                );
            }
            return (
                BlockerKind::VolumeZone,
                format!(
                    "{who} mounts claim {claim}, bound to PersistentVolume {pv} whose node affinity no schedulable node satisfies (a zonal disk stays in its zone); keep a node of that zone schedulable with room, or drain that zone's nodes one at a time"
                ),
            );
        }
        let placeable: Vec<u32> = on_volume
            .iter()
            .copied()
            .filter(|&i| {
                let node = &cluster.nodes[i as usize];
                taints_ok(class, node) && selector_ok(class, node)
            })
            .collect();
        if placeable.is_empty() {
            return (
                BlockerKind::Affinity,
                format!(
                    "the replacement of {who} fits no schedulable node: its nodeSelector, node affinity or tolerations exclude all {} of them; widen them or add a matching node",
                    on_volume.len()
                ),
            );
        }
        let apart: Vec<u32> = placeable
            .iter()
            .copied()
            .filter(|&i| self.anti_ok(cluster, class, &cluster.nodes[i as usize]))
            .collect();
        if apart.is_empty() {
            let key = class
                .anti
                .first()
                .map_or("", |&t| cluster.anti_terms[t as usize].key.as_str());
            return (
                BlockerKind::Affinity,
                format!(
                    "the replacement of {who} has required pod anti-affinity (topologyKey {key}) that {} it could use violates; add a node in a new {key}, or make the anti-affinity preferred",
                    if placeable.len() == 1 {
                        "the one node".to_owned()
                    } else {
                        format!("every one of the {} nodes", placeable.len())
                    }
                ),
            );
        }
        let ported: Vec<u32> = apart
            .iter()
            .copied()
            .filter(|&i| self.ports_free(i as usize, pod))
            .collect();
        if ported.is_empty() {
            let ports: Vec<String> = pod
                .ports
                .iter()
                .map(|(p, proto)| format!("{p}/{proto}"))
                .collect();
            return (
                BlockerKind::Capacity,
                format!(
                    "the replacement of {who} needs host port {} which every node it could use has taken; free the port or add a node",
                    ports.join(", ")
                ),
            );
        }
        let most_cpu = ported
            .iter()
            .map(|&i| {
                cluster.nodes[i as usize]
                    .cpu
                    .saturating_sub(self.used_cpu[i as usize])
            })
            .max()
            .unwrap_or(0);
        let most_mem = ported
            .iter()
            .map(|&i| {
                cluster.nodes[i as usize]
                    .mem
                    .saturating_sub(self.used_mem[i as usize])
            })
            .max()
            .unwrap_or(0);
        (
            BlockerKind::Capacity,
            format!(
                "no room for the replacement of {who} (requests cpu {}m, memory {}): the {} it could use {} at most {}m cpu and {} memory free (or no pod slot); add capacity before draining, or lower the requests",
                pod.cpu,
                mib(pod.mem),
                if ported.len() == 1 {
                    "1 node".to_owned()
                } else {
                    format!("{} nodes", ported.len())
                },
                if ported.len() == 1 { "has" } else { "have" },
                most_cpu,
                mib(most_mem)
            ),
        )
    }
}

fn mib(bytes: u64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

/// Taints, node selector, node affinity and volume node affinity.
pub(crate) fn static_ok(class: &SchedClass, node: &NodeInfo<'_>) -> bool {
    taints_ok(class, node) && selector_ok(class, node) && volumes_ok(class, node)
}

fn taints_ok(class: &SchedClass, node: &NodeInfo<'_>) -> bool {
    node.taints.iter().all(|t| {
        class.tolerations.iter().any(|tol| {
            (tol.effect.is_empty() || tol.effect == t.effect)
                && if tol.key.is_empty() {
                    tol.exists
                } else {
                    tol.key == t.key && (tol.exists || tol.value == t.value)
                }
        })
    })
}

fn selector_ok(class: &SchedClass, node: &NodeInfo<'_>) -> bool {
    class
        .node_selector
        .iter()
        .all(|(k, v)| node.label(k) == Some(v.as_str()))
        && class.affinity.as_ref().is_none_or(|t| terms_match(t, node))
}

fn volumes_ok(class: &SchedClass, node: &NodeInfo<'_>) -> bool {
    class
        .volumes
        .iter()
        .all(|v| v.terms.as_ref().is_none_or(|t| terms_match(t, node)))
}

pub(crate) fn terms_match(terms: &Terms, node: &NodeInfo<'_>) -> bool {
    if terms.terms.is_empty() {
        return true;
    }
    terms.terms.iter().any(|(exprs, fields)| {
        (!exprs.is_empty() || !fields.is_empty())
            && exprs.iter().all(|e| expr_match(e, node.label(&e.key)))
            && fields.iter().all(|e| expr_match(e, Some(node.name)))
    })
}

fn expr_match(e: &Expr, value: Option<&str>) -> bool {
    let int = |s: &str| s.trim().parse::<i64>().ok();
    match e.op {
        Op::In => value.is_some_and(|v| e.values.iter().any(|x| x == v)),
        Op::NotIn => value.is_none_or(|v| !e.values.iter().any(|x| x == v)),
        Op::Exists => value.is_some(),
        Op::DoesNotExist => value.is_none(),
        Op::Gt | Op::Lt => {
            let (Some(v), Some(limit)) = (value.and_then(int), e.values.first().and_then(|x| int(x))) else {
                return false;
            };
            if e.op == Op::Gt { v > limit } else { v < limit }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Owner, Phase};
    use crate::testing::{Rng, bench_inventory, scenario};

    /// The indexed search picks exactly the node the plain scan picks, while pods are
    /// placed and nodes cordoned and uncordoned.
    #[test]
    fn indexed_search_agrees_with_the_plain_scan() {
        let mut inventories: Vec<_> = (0..40).map(scenario).collect();
        inventories.push(bench_inventory(60, 20, 7));
        for (k, inv) in inventories.iter().enumerate() {
            let mut notes = Vec::new();
            let cluster = Cluster::read(inv, &mut notes);
            let mut s = Scheduler::new(&cluster);
            for (i, p) in cluster.pods.iter().enumerate() {
                if let Some(n) = p.node
                    && !matches!(p.phase, Phase::Succeeded | Phase::Failed)
                {
                    s.place(&cluster, i, n);
                }
            }
            s.index_nodes(&cluster);
            let movable: Vec<usize> = (0..cluster.pods.len())
                .filter(|&i| matches!(cluster.pods[i].owner, Owner::Replicated | Owner::Stateful))
                .collect();
            if movable.is_empty() {
                continue;
            }
            let mut rng = Rng::new(k as u64);
            for step in 0..300 {
                if rng.chance(10) {
                    let n = rng.below(cluster.nodes.len() as u64) as u32;
                    if s.cordoned[n as usize] {
                        s.uncordon(&cluster, n);
                    } else {
                        s.cordon(&cluster, n);
                    }
                }
                let i = *rng.pick(&movable);
                let p = &cluster.pods[i];
                let pod = Pod {
                    class: p.class,
                    cpu: p.cpu,
                    mem: p.mem,
                    ports: &p.ports,
                };
                let fast = s.best(&cluster, &pod);
                let slow = s.best_brute(&cluster, &pod);
                assert_eq!(fast, slow, "inventory {k}, step {step}, pod {}", p.name);
                if let Some(n) = fast {
                    s.place(&cluster, i, n);
                }
            }
        }
    }

    #[test]
    fn score_terms() {
        assert_eq!(term(500, 1000), 500);
        assert_eq!(term(1, 3), 333);
        assert_eq!(term(5, 0), 0);
        assert_eq!(term(u64::MAX, u64::MAX), 1000);
    }
}
