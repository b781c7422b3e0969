//! Upgrade planning: control-plane hops, node waves and a drain simulation. Pure: takes an
//! inventory, returns a plan.
//!
//! The simulation follows `docs/drain-model.md` (the same rules the API-server emulator
//! implements): it cordons the nodes of each batch, evicts their pods in order through the
//! budgets that select them, schedules every replacement on the best feasible node, and
//! carries that state forward to the next batch. `docs/plan.md` describes the output.

mod cluster;
mod hops;
mod sched;
mod sim;
pub mod testing;
mod waves;

use mcp_diag_checks::{CheckOptions, UserRule};
use mcp_diag_model::{Date, Finding, Inventory, KubeVersion, Minor, ObjectRef, Severity};
use serde::{Serialize, Serializer};

pub use waves::{Order, parse_waves};

/// The version of the JSON shape of [`Plan`].
pub const SCHEMA_VERSION: u32 = 1;

/// What the user asked for, besides the inventory.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// The release the control plane is upgraded to.
    pub target: Minor,
    /// Cumulative percentages of the worker nodes, one per wave (`1,10,50,100`).
    pub waves: Vec<u32>,
    /// Nodes drained at once within a wave (a batch). At least 1.
    pub max_unavailable: usize,
    /// Nodes the user wants first.
    pub order: Option<Order>,
    /// Run the scan checks per hop (off for drain-only benchmarks and tests).
    pub run_checks: bool,
    pub today: Date,
    pub rules: Vec<UserRule>,
    pub check_options: CheckOptions,
    /// Ignore-file rules; annotations on objects apply too, as in `scan`.
    pub ignores: Vec<mcp_diag_checks::suppress::Ignore>,
}

impl PlanOptions {
    /// Defaults: waves 1%, 10%, 50%, 100%; one node at a time; checks on.
    pub fn new(target: Minor) -> Self {
        Self {
            target,
            waves: vec![1, 10, 50, 100],
            max_unavailable: 1,
            order: None,
            run_checks: true,
            today: Date::from_unix_days(0),
            rules: Vec::new(),
            check_options: CheckOptions::default(),
            ignores: Vec::new(),
        }
    }
}

/// The whole plan. Its JSON form is a contract (`schema_version`).
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub cluster: String,
    pub source: String,
    pub current_version: Option<String>,
    pub target_version: String,
    pub verdict: Verdict,
    pub summary: Summary,
    pub hops: Vec<Hop>,
    pub waves: Vec<Wave>,
    /// Kinds the input may not hold completely, where that changes the plan (empty when
    /// the input is complete): what is missing and what it hides. Nodes whose verdict
    /// depends on them are `unknown`, never drainable.
    pub incomplete: Vec<InputGap>,
    /// Things about the input the reader should know (pods without requests, budgets with
    /// percentages, selectors that match nothing, ...), one line each.
    pub notes: Vec<String>,
    /// Every scan finding's severity, worst first, counted (for the exit status).
    #[serde(skip)]
    pub worst_finding: Option<Severity>,
}

/// A kind the input may not hold completely.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputGap {
    /// `Pod`, `ReplicaSet`, ...
    pub kind: String,
    /// Why it may be incomplete: `Pods were not read at all (failed: HTTP 500)`, `the input
    /// holds no ReplicaSets`.
    pub why: String,
    /// What the plan cannot tell because of it.
    pub hides: String,
    /// The input does not say whether it read the kind (an export without it), as opposed
    /// to a read recorded as failed, denied or partial.
    #[serde(skip)]
    pub unrecorded: bool,
}

impl InputGap {
    /// One line for notes and summaries.
    pub fn sentence(&self) -> String {
        format!("{}: {}", self.why, self.hides)
    }

    /// A few words for a summary: `the input may lack ReplicaSets` when nothing says whether
    /// they were read, else what happened to the read (`Pods were not read at all (failed:
    /// HTTP 500)`).
    pub fn short(&self) -> String {
        if self.unrecorded {
            format!("the input may lack {}s", self.kind)
        } else {
            self.why.clone()
        }
    }
}

impl Summary {
    /// Whether the eviction counts mean anything: not when no node could be predicted.
    pub fn evictions_predicted(&self) -> bool {
        self.nodes == 0 || self.unknown < self.nodes
    }
}

/// The plan's conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every hop is free of blockers and every node drains.
    Ready,
    /// Nothing blocks, but some nodes could not be modelled.
    Unknown,
    /// A hop has a blocker finding or a node does not drain.
    Blocked,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub nodes: usize,
    pub drainable: usize,
    pub blocked: usize,
    pub unknown: usize,
    pub batches: usize,
    /// Pods evicted over the whole rollout (a pod moved twice counts twice).
    pub pods_evicted: usize,
    /// Replacements that found no node when their batch ended.
    pub pods_unschedulable: usize,
    pub hop_blockers: usize,
}

/// One control-plane hop (one minor).
#[derive(Clone, Debug, Serialize)]
pub struct Hop {
    pub from: String,
    pub to: String,
    /// Blocker findings of `scan` for this hop's target that earlier hops did not have.
    pub blockers: Vec<Finding>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Wave {
    /// 0 for the control-plane wave when there is one, then 1, 2, ...
    pub index: usize,
    pub name: String,
    /// The cumulative share of worker nodes this wave reaches (`None` for control plane).
    pub percent: Option<u32>,
    pub nodes: Vec<NodePlan>,
}

impl Wave {
    /// The heading people read: `Wave 1 (1%)`, `Wave control-plane` (the JSON keeps `name`).
    pub fn title(&self) -> String {
        match self.name.strip_prefix("wave ") {
            Some(rest) => format!("Wave {rest}"),
            None => format!("Wave {}", self.name),
        }
    }
}

/// Whether a node drains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drainable {
    Yes,
    No,
    Unknown,
}

impl Drainable {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "drainable",
            Self::No => "blocked",
            Self::Unknown => "unknown",
        }
    }
}

/// `true`, `false` or `"unknown"`.
impl Serialize for Drainable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Yes => s.serialize_bool(true),
            Self::No => s.serialize_bool(false),
            Self::Unknown => s.serialize_str("unknown"),
        }
    }
}

/// One node's place in the plan and what the simulation predicts for it.
#[derive(Clone, Debug, Serialize)]
pub struct NodePlan {
    pub name: String,
    /// `true`, `false` or `"unknown"`.
    pub drainable: Drainable,
    /// `drainable`, `blocked` or `unknown` (the same as `drainable`, as text).
    pub status: &'static str,
    /// The batch (nodes drained together), counted over the whole plan from 0.
    pub batch: usize,
    /// Why the node has this place in the order.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    pub control_plane: bool,
    pub blockers: Vec<Blocker>,
    /// Pods evicted from this node.
    pub pods_evicted: usize,
    /// Pods that stay (DaemonSet, mirror) or are refused.
    pub pods_staying: usize,
    /// What else blocks the node once `blockers` are fixed: the other pods' evictions,
    /// evaluated without changing the simulated state (a node refused for an unmanaged
    /// pod still lists the budget that would refuse its next pod). The verdict does not
    /// depend on them.
    pub remaining: Vec<Blocker>,
    /// Where each evicted pod's replacement went (`to: null`: nowhere, or not replaced).
    pub moves: Vec<Move>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Move {
    /// `namespace/name` of the evicted pod.
    pub pod: String,
    /// The node its replacement was scheduled on; `None` when it was not replaced or found
    /// no node.
    pub to: Option<String>,
    /// `scheduled`, `unschedulable`, `not-replaced` or `deleted` (finished pods).
    pub outcome: &'static str,
}

/// Why a node does not drain (or cannot be predicted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub kind: BlockerKind,
    /// The object to act on: the budget for `pdb`, otherwise the pod.
    pub object: ObjectRef,
    /// `namespace/name` of the pod concerned.
    pub pod: String,
    /// A sentence a person can act on.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockerKind {
    /// An eviction the budgets refuse.
    Pdb,
    /// No node has cpu, memory, pod slots or the host port left for a replacement.
    Capacity,
    /// A pod without a controller (nothing is evicted), or on a local volume.
    Unmovable,
    /// Node selector, node affinity, pod anti-affinity or taints leave no node.
    Affinity,
    /// The pod's volume is pinned to a zone (or node) with no room.
    VolumeZone,
    /// The simulation cannot model this (the node is never reported drainable).
    Unknown,
}

impl BlockerKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pdb => "pdb",
            Self::Capacity => "capacity",
            Self::Unmovable => "unmovable",
            Self::Affinity => "affinity",
            Self::VolumeZone => "volume-zone",
            Self::Unknown => "unknown",
        }
    }
}

/// Why a plan could not be made (bad options, not bad input: bad input is explained in the
/// plan).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "the target {target} is older than the cluster's {current}; Kubernetes does not support downgrades"
    )]
    Downgrade { current: Minor, target: Minor },
}

/// Plans the upgrade of the cluster in `inventory`.
pub fn plan(inventory: &Inventory, options: &PlanOptions) -> Result<Plan, PlanError> {
    let current = inventory.cluster.server_version.as_ref().map(KubeVersion::minor);
    if let Some(c) = current.filter(|c| *c > options.target) {
        return Err(PlanError::Downgrade {
            current: c,
            target: options.target,
        });
    }
    let mut notes = Vec::new();
    // The hop's scan checks and the drain simulation read the inventory independently:
    // run them side by side (the checks spread over the parser pool's threads as well).
    let ((hops, worst_finding), (cluster, order, mut outcome)) = std::thread::scope(|scope| {
        let checks = scope.spawn(|| hops::hops(inventory, current, options));
        let cluster = cluster::Cluster::read(inventory, &mut notes);
        let order = waves::order(&cluster, options, &mut notes);
        let outcome = sim::simulate(&cluster, &order.batches);
        let hops = checks
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (hops, (cluster, order, outcome))
    });
    notes.append(&mut outcome.notes);
    let mut waves = waves::assemble(&cluster, &order, outcome);
    let incomplete = incomplete(&cluster);
    apply_gaps(&incomplete, &mut waves);
    notes.splice(
        0..0,
        incomplete.iter().map(|g| {
            format!(
                "Input incomplete: {}; {}",
                g.sentence(),
                cluster::include_hint(&g.kind)
            )
        }),
    );
    let mut summary = Summary {
        nodes: cluster.nodes.len(),
        batches: order.batches.len(),
        hop_blockers: hops.iter().map(|h| h.blockers.len()).sum(),
        ..Summary::default()
    };
    for node in waves.iter().flat_map(|w| &w.nodes) {
        match node.drainable {
            Drainable::Yes => summary.drainable += 1,
            Drainable::No => summary.blocked += 1,
            Drainable::Unknown => summary.unknown += 1,
        }
        summary.pods_evicted += node.pods_evicted;
        summary.pods_unschedulable += node.moves.iter().filter(|m| m.outcome == "unschedulable").count();
    }
    let verdict = if summary.blocked > 0 || summary.hop_blockers > 0 {
        Verdict::Blocked
    } else if summary.unknown > 0 || !incomplete.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Ready
    };
    Ok(Plan {
        schema_version: SCHEMA_VERSION,
        cluster: inventory.cluster.name.clone(),
        source: inventory.source.clone(),
        current_version: inventory.cluster.server_version.as_ref().map(ToString::to_string),
        target_version: options.target.to_string(),
        verdict,
        summary,
        hops,
        waves,
        incomplete,
        notes,
        worst_finding,
    })
}

/// The gaps of the input that matter to this plan, with what each hides.
fn incomplete(cluster: &cluster::Cluster<'_>) -> Vec<InputGap> {
    cluster
        .input
        .gaps
        .iter()
        .filter_map(|(kind, why)| {
            let hides = match *kind {
                "Pod" => "what runs on each node is not known, so no node's drain can be predicted",
                "Node" => "replacements may go to nodes not in the input, so no node's drain can be predicted",
                "PodDisruptionBudget" => {
                    "a budget not in the input may refuse any eviction, so no node with pods to evict is predicted drainable"
                }
                "PersistentVolumeClaim" | "PersistentVolume" if cluster.hit.contains(kind) => {
                    "where pods mounting the missing volumes may run is not known"
                }
                k if cluster.hit.contains(k) => {
                    "pods whose controller is not in the input are replaced only when their Deployment can be inferred, and budgets over them (percentages, maxUnavailable) are taken from their recorded status when it is current, else unknown"
                }
                _ => return None,
            };
            Some(InputGap {
                kind: (*kind).to_owned(),
                why: why.clone(),
                hides: hides.to_owned(),
                unrecorded: cluster.input.unrecorded(kind),
            })
        })
        .collect()
}

/// Nodes whose verdict depends on a missing kind become `unknown`, with the gap as their
/// first blocker; what the simulation found stays listed after it.
fn apply_gaps(gaps: &[InputGap], waves: &mut [Wave]) {
    let everything = gaps.iter().find(|g| g.kind == "Pod" || g.kind == "Node");
    let budgets = gaps.iter().find(|g| g.kind == "PodDisruptionBudget");
    for node in waves.iter_mut().flat_map(|w| &mut w.nodes) {
        let gap = match (everything, budgets) {
            (Some(g), _) => g,
            // Budgets can only refuse more: a node already blocked stays blocked.
            (None, Some(g)) if node.drainable == Drainable::Yes && node.pods_evicted > 0 => g,
            (None, Some(g)) if node.drainable != Drainable::Yes => {
                // Fixing what blocks it may only lead to a budget nobody read: say so now.
                node.remaining.push(Blocker {
                    kind: BlockerKind::Unknown,
                    object: node_ref(&node.name),
                    pod: String::new(),
                    message: format!(
                        "the PodDisruptionBudgets over this node's pods {} ({}): once the blockers above are fixed, a budget may still refuse their evictions; {}",
                        if g.unrecorded { "may not have been read" } else { "were not read" },
                        g.why,
                        cluster::include_hint("PodDisruptionBudget")
                    ),
                });
                continue;
            }
            _ => continue,
        };
        node.drainable = Drainable::Unknown;
        node.status = Drainable::Unknown.as_str();
        node.blockers.insert(
            0,
            Blocker {
                kind: BlockerKind::Unknown,
                object: node_ref(&node.name),
                pod: String::new(),
                message: format!("input incomplete: {}", gap.sentence()),
            },
        );
    }
}

fn node_ref(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Node".into(),
        namespace: None,
        name: name.to_owned(),
    }
}

impl Plan {
    /// The worst severity the plan carries: blocked nodes and hop blockers are blockers,
    /// unknown nodes are `high`, and every scan finding counts with its own severity.
    pub fn worst(&self) -> Option<Severity> {
        let nodes = if self.summary.blocked > 0 {
            Some(Severity::Blocker)
        } else if self.summary.unknown > 0 {
            Some(Severity::High)
        } else {
            None
        };
        nodes.max(self.worst_finding)
    }

    /// Whether the input lacked something the plan depends on.
    pub fn is_incomplete(&self) -> bool {
        !self.incomplete.is_empty()
    }

    /// Every node, in plan order.
    pub fn nodes(&self) -> impl Iterator<Item = &NodePlan> {
        self.waves.iter().flat_map(|w| &w.nodes)
    }
}
