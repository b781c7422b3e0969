//! The drain simulation: batches in plan order, as "Draining in plan order" in
//! `docs/drain-model.md` describes, with state carried from batch to batch.
//!
//! Within a batch, an eviction the budget refuses is retried while replacements become
//! Ready; the simulation therefore counts a replacement as Ready as soon as it is scheduled,
//! and a replacement with no node as never Ready ("pods not yet back"). A refusal that
//! remains once every scheduled replacement is Ready is final for the batch.

use crate::cluster::{Cluster, Owner, Phase};
use crate::sched::{Pod, Scheduler};
use crate::{Blocker, BlockerKind, Drainable, Move};
use mcp_diag_model::ObjectRef;

pub(crate) struct NodeOutcome {
    pub drainable: Drainable,
    pub blockers: Vec<Blocker>,
    /// What still blocks once `blockers` are fixed (evaluated without changing the state).
    pub remaining: Vec<Blocker>,
    pub evicted: usize,
    pub staying: usize,
    pub moves: Vec<Move>,
}

pub(crate) struct Outcome {
    /// Per node index; `None` for nodes not in the plan.
    pub nodes: Vec<Option<NodeOutcome>>,
    pub notes: Vec<String>,
}

/// A pod during the simulation: one from the inventory, or a replacement.
struct Live {
    /// The inventory pod whose template it has.
    base: usize,
    /// A replacement's name (ReplicaSet pods get new names).
    name: Option<String>,
    node: Option<u32>,
    ready: bool,
    alive: bool,
    phase: Phase,
    /// Comes from a pod the model could not follow.
    unknown: bool,
    /// Had no node in the input (Pending): the simulation may place it, but a drain of
    /// that node does not count it as evicted from there (it never ran there).
    unplaced: bool,
}

struct Sim<'c, 'a> {
    cluster: &'c Cluster<'a>,
    sched: Scheduler,
    live: Vec<Live>,
    on_node: Vec<Vec<usize>>,
    healthy: Vec<i64>,
    /// Replacements with no node.
    pending: Vec<usize>,
    /// How many of them have required anti-affinity (only those can use a pod going away).
    pending_anti: usize,
    counter: usize,
}

pub(crate) fn simulate(cluster: &Cluster<'_>, batches: &[Vec<u32>]) -> Outcome {
    let mut sim = Sim::new(cluster);
    let mut nodes: Vec<Option<NodeOutcome>> = (0..cluster.nodes.len()).map(|_| None).collect();
    for batch in batches {
        sim.batch(batch, &mut nodes);
    }
    Outcome {
        nodes,
        notes: Vec::new(),
    }
}

impl<'c, 'a> Sim<'c, 'a> {
    fn new(cluster: &'c Cluster<'a>) -> Self {
        let mut sched = Scheduler::new(cluster);
        let mut live = Vec::with_capacity(cluster.pods.len());
        let mut on_node = vec![Vec::new(); cluster.nodes.len()];
        let mut healthy = vec![0i64; cluster.budgets.len()];
        let mut pending = Vec::new();
        for (i, p) in cluster.pods.iter().enumerate() {
            let terminal = matches!(p.phase, Phase::Succeeded | Phase::Failed);
            if let Some(n) = p.node {
                on_node[n as usize].push(i);
                if !terminal {
                    sched.place(cluster, i, n);
                }
            } else if !terminal && !p.terminating && matches!(p.owner, Owner::Replicated | Owner::Stateful) {
                pending.push(i);
            }
            if p.ready && !p.terminating {
                for &b in &p.budgets {
                    healthy[b as usize] += 1;
                }
            }
            live.push(Live {
                base: i,
                name: None,
                node: p.node,
                ready: p.ready,
                alive: true,
                phase: p.phase,
                unknown: false,
                unplaced: p.node.is_none(),
            });
        }
        sched.index_nodes(cluster);
        Self {
            cluster,
            sched,
            live,
            on_node,
            healthy,
            pending_anti: pending
                .iter()
                .filter(|&&i| !cluster.classes[cluster.pods[i].class as usize].anti.is_empty())
                .count(),
            pending,
            counter: 0,
        }
    }

    fn name(&self, l: usize) -> &str {
        let live = &self.live[l];
        live.name.as_deref().unwrap_or(self.cluster.pods[live.base].name)
    }

    /// `namespace/name` of the inventory pod: a replacement's invented name is never shown.
    fn who(&self, l: usize) -> String {
        let p = &self.cluster.pods[self.live[l].base];
        format!("{}/{}", p.ns, p.name)
    }

    /// The pod in a sentence: `pod ns/name`, or `the replacement of pod ns/name` for a pod
    /// the simulation created (its real name is not known in advance).
    fn said(&self, l: usize) -> String {
        if l >= self.cluster.pods.len() && !self.live[l].unplaced {
            format!("the replacement of pod {}", self.who(l))
        } else {
            format!("pod {}", self.who(l))
        }
    }

    fn sched_pod(&self, l: usize) -> Pod<'c> {
        let p = &self.cluster.pods[self.live[l].base];
        Pod {
            class: p.class,
            cpu: p.cpu,
            mem: p.mem,
            ports: &p.ports,
        }
    }

    /// Tries to schedule a pod without a node; true when it got one.
    fn try_schedule(&mut self, l: usize) -> bool {
        let pod = self.sched_pod(l);
        let Some(n) = self.sched.best(self.cluster, &pod) else {
            return false;
        };
        let base = self.live[l].base;
        self.sched.place(self.cluster, base, n);
        self.on_node[n as usize].push(l);
        let live = &mut self.live[l];
        live.node = Some(n);
        live.ready = true;
        live.phase = Phase::Running;
        for &b in &self.cluster.pods[base].budgets {
            self.healthy[b as usize] += 1;
        }
        true
    }

    /// Retries pods without a node, in namespace/name order; `anti_only`: only those a pod
    /// going away can help (their anti-affinity), as other room freed is on cordoned nodes.
    fn retry_pending(&mut self, anti_only: bool) {
        if self.pending.is_empty() || (anti_only && self.pending_anti == 0) {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by(|&a, &b| {
            (self.cluster.pods[self.live[a].base].ns, self.name(a))
                .cmp(&(self.cluster.pods[self.live[b].base].ns, self.name(b)))
        });
        let mut still = Vec::with_capacity(pending.len());
        for l in pending {
            let class = &self.cluster.classes[self.cluster.pods[self.live[l].base].class as usize];
            if !self.live[l].alive || (anti_only && class.anti.is_empty()) {
                if self.live[l].alive {
                    still.push(l);
                }
                continue;
            }
            if !self.try_schedule(l) {
                still.push(l);
            }
        }
        self.pending_anti = still
            .iter()
            .filter(|&&l| {
                !self.cluster.classes[self.cluster.pods[self.live[l].base].class as usize]
                    .anti
                    .is_empty()
            })
            .count();
        self.pending = still;
    }

    /// Queues a pod without a node.
    fn wait(&mut self, l: usize) {
        if !self.cluster.classes[self.cluster.pods[self.live[l].base].class as usize]
            .anti
            .is_empty()
        {
            self.pending_anti += 1;
        }
        self.pending.push(l);
    }

    /// Takes a pod the input had Pending off the node the simulation gave it, and lets it
    /// wait again under its own name.
    fn requeue(&mut self, l: usize) {
        self.delete(l);
        let old = &self.live[l];
        let again = Live {
            base: old.base,
            name: old.name.clone(),
            node: None,
            ready: false,
            alive: true,
            phase: Phase::Pending,
            unknown: old.unknown,
            unplaced: true,
        };
        let r = self.live.len();
        self.live.push(again);
        self.wait(r);
    }

    fn delete(&mut self, l: usize) {
        let base = self.live[l].base;
        let live = &mut self.live[l];
        live.alive = false;
        let was_ready = live.ready;
        if let Some(n) = live.node
            && !matches!(live.phase, Phase::Succeeded | Phase::Failed)
        {
            self.sched.remove(self.cluster, base, n);
        }
        if was_ready && !self.cluster.pods[base].terminating {
            for &b in &self.cluster.pods[base].budgets {
                self.healthy[b as usize] -= 1;
            }
        }
    }

    /// Whether the budgets let the pod go (`Ok(Some(why))`: they let it go as far as the
    /// input tells, but the budget's status is not known); the blocker when they do not.
    fn eviction(&self, l: usize) -> Result<Option<String>, Box<Blocker>> {
        let live = &self.live[l];
        let p = &self.cluster.pods[live.base];
        if matches!(live.phase, Phase::Pending | Phase::Succeeded | Phase::Failed) || p.terminating {
            return Ok(None);
        }
        let who = self.who(l);
        let pod_ref = ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some(p.ns.to_owned()),
            name: p.name.to_owned(),
        };
        let said = self.said(l);
        match p.budgets.as_slice() {
            [] => Ok(None),
            [b] => {
                let budget = &self.cluster.budgets[*b as usize];
                let bref = budget.object.object_ref();
                let bname = format!("{}/{}", p.ns, budget.object.name);
                let healthy = self.healthy[*b as usize];
                if let Some(why) = &budget.unknown {
                    return Ok(Some(format!(
                        "PodDisruptionBudget {bname} ({}) cannot be computed: {why}; {}",
                        budget.rule,
                        crate::cluster::BUDGET_HINT
                    )));
                }
                // expectedPods <= 0: the controller publishes 0 allowed. A not-Ready pod only
                // skips the budget when desiredHealthy > 0, which it is not here.
                if let Some(why) = &budget.no_expected
                    && budget.fail_safe.is_none()
                    && (live.ready || !budget.always_allow)
                {
                    // The rule in brackets, unless the reason already says it.
                    let rule = if why.contains(budget.rule.as_str()) {
                        String::new()
                    } else {
                        format!(" ({})", budget.rule)
                    };
                    return Err(Box::new(Blocker {
                        kind: BlockerKind::Pdb,
                        object: bref,
                        pod: who,
                        message: format!(
                            "PodDisruptionBudget {bname} allows 0 disruptions: {why}, and the disruption controller allows none then{rule}; set minAvailable as an integer, or maxUnavailable over pods run by a Deployment, ReplicaSet or StatefulSet"
                        ),
                    }));
                }
                if let Some(why) = &budget.fail_safe {
                    return Err(Box::new(Blocker {
                        kind: BlockerKind::Pdb,
                        object: bref,
                        pod: who,
                        message: format!(
                            "PodDisruptionBudget {bname} allows 0 disruptions: {why}, so the disruption controller falls back to allowing none ({}); write the budget as an integer minAvailable, or give the pods a ReplicaSet, StatefulSet or Deployment",
                            budget.rule
                        ),
                    }));
                }
                if live.ready {
                    if healthy - budget.desired > 0 {
                        return Ok(None);
                    }
                    let message = if healthy < budget.matched as i64 {
                        let down = budget.matched as i64 - healthy;
                        format!(
                            "PodDisruptionBudget {bname} allows 0 disruptions: {} must stay up ({}) and only {healthy} {} healthy, as {down} of its {} {} not Ready or found no node after earlier evictions; make room for them first (see the other blockers) or relax the budget",
                            mcp_diag_model::plural(budget.desired, "pod", "pods"),
                            budget.rule,
                            if healthy == 1 { "is" } else { "are" },
                            mcp_diag_model::plural(budget.matched, "pod", "pods"),
                            if down == 1 { "is" } else { "are" }
                        )
                    } else {
                        let scale = match crate::cluster::workload(p) {
                            Some(w) => format!("scale {w} to {}", budget.desired + 1),
                            None => "add a replica".to_owned(),
                        };
                        let stay = if healthy == 1 && budget.desired == 1 {
                            "its only healthy pod".to_owned()
                        } else {
                            format!(
                                "{} of {healthy} healthy {}",
                                budget.desired,
                                mcp_diag_model::noun(healthy, "pod", "pods")
                            )
                        };
                        format!(
                            "PodDisruptionBudget {bname} allows 0 disruptions: {stay} must stay up ({}); {scale} or relax the budget",
                            budget.rule
                        )
                    };
                    Err(Blocker {
                        kind: BlockerKind::Pdb,
                        object: bref,
                        pod: who,
                        message,
                    })
                } else if budget.always_allow
                    || (healthy >= budget.desired && budget.desired > 0)
                    // Under IfHealthyBudget with desiredHealthy 0 the unhealthy pod goes
                    // through the budget's allowance like a Ready one: healthy - 0.
                    || (budget.desired <= 0 && healthy > 0)
                {
                    Ok(None)
                } else if budget.desired <= 0 {
                    Err(Blocker {
                        kind: BlockerKind::Pdb,
                        object: bref,
                        pod: who.clone(),
                        message: format!(
                            "{said} is not Ready and PodDisruptionBudget {bname} ({}) has no healthy pod, so it allows 0 disruptions and the unhealthy pod may not be evicted either (the eviction API lets unhealthy pods skip a budget only when desiredHealthy is above 0); fix the pod, or set unhealthyPodEvictionPolicy: AlwaysAllow",
                            budget.rule
                        ),
                    })
                } else {
                    Err(Blocker {
                        kind: BlockerKind::Pdb,
                        object: bref,
                        pod: who.clone(),
                        message: format!(
                            "{said} is not Ready and PodDisruptionBudget {bname} has {healthy} healthy pods of the {} it needs, so the unhealthy pod may not be evicted either; fix the pod, or set unhealthyPodEvictionPolicy: AlwaysAllow",
                            budget.desired
                        ),
                    })
                }
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|b| self.cluster.budgets[*b as usize].object.name.clone())
                    .collect();
                Err(Blocker {
                    kind: BlockerKind::Pdb,
                    object: self.cluster.budgets[many[0] as usize].object.object_ref(),
                    pod: who.clone(),
                    message: format!(
                        "{said} is selected by {} PodDisruptionBudgets ({}): the eviction API refuses a pod with more than one budget; make their selectors disjoint",
                        many.len(),
                        names.join(", ")
                    ),
                })
            }
        }
        .map_err(|mut b: Blocker| {
            if b.kind != BlockerKind::Pdb {
                b.object = pod_ref;
            }
            Box::new(b)
        })
    }

    /// What the evictions of `pods` would run into if they were tried now, one after the
    /// other: budgets that refuse, budgets that cannot be known, replacements that find
    /// no node. The simulated state is left as it was.
    fn remaining(&mut self, pods: &[usize]) -> Vec<Blocker> {
        let saved = self.healthy.clone();
        let mut out = Vec::new();
        for &l in pods {
            match self.eviction(l) {
                Err(blocker) => push_once(&mut out, *blocker),
                Ok(Some(why)) => push_once(
                    &mut out,
                    Blocker {
                        kind: BlockerKind::Unknown,
                        object: self.pod_ref(l),
                        pod: self.who(l),
                        message: format!("{} cannot be predicted: {why}", self.said(l)),
                    },
                ),
                Ok(None) => {
                    let p = &self.cluster.pods[self.live[l].base];
                    let terminal = matches!(self.live[l].phase, Phase::Succeeded | Phase::Failed);
                    let replaced = !terminal
                        && !p.terminating
                        && matches!(p.owner, Owner::Replicated | Owner::Stateful)
                        && self.cluster.classes[p.class as usize].unknown.is_empty();
                    let mut back = false;
                    if replaced {
                        let pod = self.sched_pod(l);
                        if self.sched.best(self.cluster, &pod).is_some() {
                            back = true;
                        } else {
                            let who = self.who(l);
                            let (kind, message) = self.sched.explain(self.cluster, &pod, &who);
                            out.push(Blocker {
                                kind,
                                object: self.pod_ref(l),
                                pod: who,
                                message,
                            });
                        }
                    }
                    // The disruption this eviction spends, for the next pods' budgets,
                    // unless a replacement comes back Ready (as the drain waits for it).
                    if !back && self.live[l].ready && !p.terminating {
                        for &b in &p.budgets {
                            self.healthy[b as usize] -= 1;
                        }
                    }
                }
            }
        }
        self.healthy = saved;
        out
    }

    fn pod_ref(&self, l: usize) -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some(self.cluster.pods[self.live[l].base].ns.to_owned()),
            name: self.cluster.pods[self.live[l].base].name.to_owned(),
        }
    }

    fn batch(&mut self, batch: &[u32], out: &mut [Option<NodeOutcome>]) {
        let cluster = self.cluster;
        for &n in batch {
            self.sched.cordon(cluster, n);
        }
        struct Work {
            node: u32,
            blockers: Vec<Blocker>,
            remaining: Vec<Blocker>,
            unknown: Vec<Blocker>,
            evicted: usize,
            staying: usize,
            moves: Vec<Move>,
            /// Replacements created for this node's pods.
            replacements: Vec<(usize, usize)>,
            refused: bool,
        }
        let mut work: Vec<Work> = Vec::with_capacity(batch.len());
        let mut queue: Vec<(usize, usize)> = Vec::new(); // (work index, live pod)
        for (w, &n) in batch.iter().enumerate() {
            let mut here: Vec<usize> = self.on_node[n as usize]
                .iter()
                .copied()
                .filter(|&l| self.live[l].alive)
                .collect();
            self.on_node[n as usize] = here.clone();
            here.sort_by(|&a, &b| {
                (self.cluster.pods[self.live[a].base].ns, self.name(a))
                    .cmp(&(self.cluster.pods[self.live[b].base].ns, self.name(b)))
            });
            let mut item = Work {
                node: n,
                blockers: Vec::new(),
                remaining: Vec::new(),
                unknown: Vec::new(),
                evicted: 0,
                staying: 0,
                moves: Vec::new(),
                replacements: Vec::new(),
                refused: false,
            };
            let mut to_evict = Vec::new();
            for l in here {
                if self.live[l].unplaced {
                    // Pending in the input and placed here by the simulation: it goes back
                    // to waiting, unreported, as the drain did not make it Pending.
                    self.requeue(l);
                    continue;
                }
                let p = &cluster.pods[self.live[l].base];
                if p.mirror || p.owner == Owner::DaemonSet {
                    item.staying += 1;
                    continue;
                }
                let terminal = matches!(self.live[l].phase, Phase::Succeeded | Phase::Failed);
                if p.owner == Owner::None && !terminal {
                    item.refused = true;
                    item.staying += 1;
                    item.blockers.push(Blocker {
                        kind: BlockerKind::Unmovable,
                        object: self.pod_ref(l),
                        pod: self.who(l),
                        message: format!(
                            "pod {} has no controller: kubectl drain refuses the node without --force, and the pod would be gone for good; run it under a Deployment or StatefulSet, or delete it first",
                            self.who(l)
                        ),
                    });
                    continue;
                }
                to_evict.push(l);
            }
            if item.refused {
                item.staying += to_evict.len();
                // The user fixes the unmanaged pod and meets the next blocker on the day:
                // say now what the other pods' evictions would run into.
                item.remaining = self.remaining(&to_evict);
            } else {
                queue.extend(to_evict.into_iter().map(|l| (w, l)));
            }
            work.push(item);
        }
        for (w, l) in queue {
            let budget_unknown = match self.eviction(l) {
                Ok(why) => why,
                Err(blocker) => {
                    let item = &mut work[w];
                    item.staying += 1;
                    push_once(&mut item.blockers, *blocker);
                    continue;
                }
            };
            let base = self.live[l].base;
            let p = &cluster.pods[base];
            let who = self.who(l);
            let terminal = matches!(self.live[l].phase, Phase::Succeeded | Phase::Failed);
            let class = &cluster.classes[p.class as usize];
            let mut unknown: Option<String> = None;
            if let Some(why) = budget_unknown {
                unknown = Some(why);
            } else if let Owner::NotInInput { kind, name } = &p.owner {
                unknown = Some(format!(
                    "its controller {kind} {name} is not in the input ({}): whether and where it comes back is not known; {}",
                    cluster.input.gap(kind).unwrap_or(""),
                    crate::cluster::include_hint(kind)
                ));
            } else if !class.unknown.is_empty() {
                unknown = Some(class.unknown.join("; "));
            } else if let Owner::Other { kind, name } = &p.owner {
                unknown = Some(format!(
                    "it is controlled by {kind} {name}, a controller the model does not know: whether and where it comes back is not simulated"
                ));
            } else if self.live[l].unknown {
                unknown = Some("it replaces a pod the model could not follow".to_owned());
            }
            let was_terminating = p.terminating;
            self.delete(l);
            work[w].evicted += 1;
            if let Some(why) = &unknown {
                work[w].unknown.push(Blocker {
                    kind: BlockerKind::Unknown,
                    object: self.pod_ref(l),
                    pod: who.clone(),
                    message: format!("{} cannot be predicted: {why}", self.said(l)),
                });
            }
            let replaced =
                !terminal && !was_terminating && matches!(p.owner, Owner::Replicated | Owner::Stateful);
            if !replaced {
                work[w].moves.push(Move {
                    pod: who,
                    to: None,
                    outcome: if terminal { "deleted" } else { "not-replaced" },
                });
                // The pod going away may lift an anti-affinity conflict.
                self.retry_pending(true);
                continue;
            }
            self.counter += 1;
            let name = match p.owner {
                Owner::Stateful => None,
                _ => Some(replacement_name(p.object, self.counter)),
            };
            let r = self.live.len();
            self.live.push(Live {
                base,
                name,
                node: None,
                ready: false,
                alive: true,
                phase: Phase::Pending,
                unknown: unknown.is_some() || self.live[l].unknown,
                unplaced: false,
            });
            if !self.try_schedule(r) {
                self.wait(r);
            }
            // Then every pod still without a node tries again (the controller creates the
            // replacement first, as the drain model's controllers do).
            self.retry_pending(true);
            let at = work[w].moves.len();
            work[w].replacements.push((at, r));
            work[w].moves.push(Move {
                pod: who,
                to: None,
                outcome: "scheduled",
            });
        }
        // The batch ends: where did the replacements go?
        for item in &mut work {
            for &(m, r) in &item.replacements {
                match self.live[r].node {
                    Some(n) => item.moves[m].to = Some(cluster.nodes[n as usize].name.to_owned()),
                    None => {
                        item.moves[m].outcome = "unschedulable";
                        let who = item.moves[m].pod.clone();
                        let (kind, message) = self.sched.explain(cluster, &self.sched_pod(r), &who);
                        let blocker = Blocker {
                            kind,
                            object: self.pod_ref(r),
                            pod: who,
                            message,
                        };
                        item.blockers.push(blocker);
                    }
                }
            }
        }
        for item in work {
            let Work {
                node,
                blockers,
                remaining,
                unknown,
                evicted,
                staying,
                moves,
                ..
            } = item;
            let drainable = if !blockers.is_empty() {
                Drainable::No
            } else if !unknown.is_empty() {
                Drainable::Unknown
            } else {
                Drainable::Yes
            };
            if drainable != Drainable::No && !cluster.nodes[node as usize].unschedulable {
                // Upgraded and back in service; pods that found no node may now fit. (A node
                // the model cannot predict is assumed drained: nothing known blocks it.)
                self.sched.uncordon(cluster, node);
                self.retry_pending(false);
            }
            let mut all = blockers;
            all.extend(unknown);
            out[node as usize] = Some(NodeOutcome {
                drainable,
                blockers: all,
                remaining,
                evicted,
                staying,
                moves,
            });
        }
    }
}

/// Adds a blocker unless the same budget already refuses the node with the same words (one
/// blocker per budget and node is enough to act on).
fn push_once(blockers: &mut Vec<Blocker>, blocker: Blocker) {
    if !blockers.iter().any(|b| {
        b.kind == blocker.kind
            && b.kind == BlockerKind::Pdb
            && b.object == blocker.object
            && b.message == blocker.message
    }) {
        blockers.push(blocker);
    }
}

/// `<replicaset>-<n>`: a new name, in the ReplicaSet's place in name order.
fn replacement_name(pod: &mcp_diag_model::Object, n: usize) -> String {
    let owner = pod
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(mcp_diag_model::Node::as_seq)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(mcp_diag_model::Node::as_bool) == Some(true))
        })
        .and_then(|r| r.get("name"))
        .and_then(mcp_diag_model::Node::as_str)
        .unwrap_or(pod.name.as_str());
    format!("{owner}-r{n:04}")
}
