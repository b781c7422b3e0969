//! The inventory read into what the simulation needs: nodes, pods, budgets, scheduling
//! constraints. Read once; bad input becomes notes and defaults, never a panic.

use rustc_hash::FxHashMap as HashMap;

use mcp_diag_checks::quantity;
use mcp_diag_checks::selector::Selector;
use mcp_diag_model::{Inventory, Known, Map, Node, Object, Seq, View};

/// Label keys that name a node pool, most specific first.
pub(crate) const POOL_LABELS: &[&str] = &[
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "karpenter.sh/nodepool",
    "node.kubernetes.io/instance-type",
];
pub(crate) const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
const MIRROR: &str = "kubernetes.io/config.mirror";
/// `allocatable.pods` when a node does not say.
const DEFAULT_PODS: u64 = 110;

#[derive(Debug)]
pub(crate) struct NodeInfo<'a> {
    pub name: &'a str,
    pub labels: Option<Node<'a>>,
    /// Taints with effect NoSchedule or NoExecute (the ones scheduling looks at).
    pub taints: Vec<Taint<'a>>,
    pub cpu: u64,
    pub mem: u64,
    pub pods: u64,
    pub ready: bool,
    /// Cordoned before the plan starts.
    pub unschedulable: bool,
    pub control_plane: bool,
    pub zone: Option<&'a str>,
    pub pool: Option<&'a str>,
    /// Nodes with the same allocatable, labels (but the hostname) and taints: scheduling
    /// constraints that do not name a node give the same answer for all of them.
    pub group: u32,
}

impl NodeInfo<'_> {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels?.get(key)?.as_str()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Taint<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub effect: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// What a pod's controller does when the pod is deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// No controller owner: `kubectl drain` refuses the node.
    None,
    /// ReplicaSet, ReplicationController: a new pod with a new name.
    Replicated,
    /// StatefulSet: a new pod with the same name and claims.
    Stateful,
    /// Stays on a drained node.
    DaemonSet,
    /// Job: evicted, not replaced.
    Job,
    /// The controller named in ownerReferences is not in the inventory: evicted, not replaced.
    Missing { kind: String, name: String },
    /// A controller kind the model does not know (a custom resource): evicted, fate unknown.
    Other { kind: String, name: String },
    /// The controller is not in the input, and the input may have left its kind out (an
    /// export without ReplicaSets): it may well exist, so whether the pod comes back is not
    /// known.
    NotInInput { kind: String, name: String },
}

#[derive(Debug)]
pub(crate) struct PodInfo<'a> {
    pub object: &'a Object,
    pub ns: &'a str,
    pub name: &'a str,
    pub labels: Option<Node<'a>>,
    pub node: Option<u32>,
    pub phase: Phase,
    pub ready: bool,
    pub terminating: bool,
    pub mirror: bool,
    pub owner: Owner,
    pub cpu: u64,
    pub mem: u64,
    /// Scheduling class (index into `Cluster::classes`); pods never rescheduled (DaemonSet,
    /// mirror) share class 0 too, it is never used for them.
    pub class: u32,
    /// Budgets whose selector matches the pod (index into `Cluster::budgets`).
    pub budgets: Vec<u32>,
    /// Anti-affinity terms whose selector and namespaces match this pod.
    pub anti_matches: Vec<u32>,
    /// The controller found in the inventory (a ReplicaSet, StatefulSet, ...), if any; for
    /// a pod whose ReplicaSet is not in the input, the Deployment inferred for it.
    pub controller: Option<&'a Object>,
    /// The controller is a Deployment inferred from the ReplicaSet's name and the pod's
    /// `pod-template-hash` (the ReplicaSet is not in the input).
    pub inferred: bool,
    /// Host ports the pod holds (port, protocol).
    pub ports: Vec<(i64, String)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// `nodeSelectorTerms`: terms ORed, each term's expressions ANDed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Terms {
    /// Each term: label expressions, and `metadata.name` field expressions.
    pub terms: Vec<(Vec<Expr>, Vec<Expr>)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Toleration {
    pub key: String,
    pub exists: bool,
    pub value: String,
    pub effect: String,
}

#[derive(Clone, Debug)]
pub(crate) struct VolumeReq {
    pub claim: String,
    pub pv: String,
    pub terms: Option<Terms>,
    /// A `local` PersistentVolume: pinned to one node.
    pub local: bool,
}

/// Everything about a pod that decides which nodes can take it, shared by the pods of a
/// template.
#[derive(Clone, Debug, Default)]
pub(crate) struct SchedClass {
    pub tolerations: Vec<Toleration>,
    pub node_selector: Vec<(String, String)>,
    pub affinity: Option<Terms>,
    pub volumes: Vec<VolumeReq>,
    /// Required anti-affinity terms (index into `Cluster::anti_terms`).
    pub anti: Vec<u32>,
    /// Constraints the model does not cover; the pod's node is then `unknown`.
    pub unknown: Vec<String>,
    /// A constraint names nodes (hostname label, `metadata.name`): no per-group answers.
    pub names_nodes: bool,
}

#[derive(Debug)]
pub(crate) struct AntiTerm {
    /// `None`: every namespace.
    pub namespaces: Option<Vec<String>>,
    pub selector: Option<Selector>,
    pub key: String,
}

#[derive(Debug)]
pub(crate) struct Budget<'a> {
    pub object: &'a Object,
    pub desired: i64,
    /// Why the disruption controller allows no disruption whatever the pods do.
    pub fail_safe: Option<String>,
    /// Why `expectedPods` is 0 or less (no field set, no selected pod has a controller, the
    /// controllers are scaled to 0): the controller then publishes 0 allowed, for Ready and
    /// (under `IfHealthyBudget`) not-Ready pods alike.
    pub no_expected: Option<String>,
    /// Why the budget's status cannot be worked out from the input (a controller not in
    /// it, and no fresh recorded status): its evictions are `unknown`.
    pub unknown: Option<String>,
    pub always_allow: bool,
    /// Pods matched at the start.
    pub matched: usize,
    /// How the budget is written, for messages (`minAvailable: 2`).
    pub rule: String,
}

#[derive(Debug)]
pub(crate) struct Cluster<'a> {
    /// Sorted by name (index order is name order, the scheduler's tie-break).
    pub nodes: Vec<NodeInfo<'a>>,
    pub pods: Vec<PodInfo<'a>>,
    pub classes: Vec<SchedClass>,
    pub budgets: Vec<Budget<'a>>,
    pub anti_terms: Vec<AntiTerm>,
    pub groups: usize,
    /// Pods whose node is not in the inventory, per node name (they are left out).
    pub node_index: HashMap<&'a str, u32>,
    /// Which kinds the input holds completely.
    pub input: InputKinds,
    /// Kinds (beyond Pod, Node and PodDisruptionBudget) whose gap changed a prediction.
    pub hit: std::collections::BTreeSet<&'static str>,
}

/// The kinds the planner reads, with their API group.
pub(crate) const KINDS: &[(&str, &str)] = &[
    ("", "Node"),
    ("", "Pod"),
    ("policy", "PodDisruptionBudget"),
    ("apps", "ReplicaSet"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("", "ReplicationController"),
    ("batch", "Job"),
    ("", "PersistentVolumeClaim"),
    ("", "PersistentVolume"),
];

/// What the input says about each kind the planner reads: complete, or why not.
#[derive(Debug, Default)]
pub(crate) struct InputKinds {
    /// Kinds that may miss objects, with why, in words (`Pod: failed (HTTP 500)`, `the input
    /// holds no ReplicaSets`).
    pub gaps: Vec<(&'static str, String)>,
    /// Kinds among `gaps` that the input holds none of and does not say it read.
    pub unrecorded: Vec<&'static str>,
}

impl InputKinds {
    /// `present`: whether the input holds an object of a kind.
    pub fn read(inventory: &Inventory, present: impl Fn(&str) -> bool) -> Self {
        let mut gaps = Vec::new();
        let mut unrecorded = Vec::new();
        for &(group, kind) in KINDS {
            let present = present(kind);
            match inventory.coverage.judge(inventory.kind, group, kind, present) {
                Known::Complete => {}
                Known::Incomplete(read) => {
                    let reason = read.reason.map_or("incomplete", mcp_diag_model::ReadGap::as_str);
                    let mut why = format!(
                        "{} were {} ({reason}",
                        plural_kind(kind),
                        if read.state == mcp_diag_model::ReadState::Partial {
                            "read in part"
                        } else {
                            "not read at all"
                        }
                    );
                    if !read.detail.is_empty() {
                        why.push_str(&format!(": {}", read.detail));
                    }
                    why.push(')');
                    gaps.push((kind, why));
                }
                Known::Unrecorded => {
                    unrecorded.push(kind);
                    gaps.push((kind, format!("the input holds no {}", plural_kind(kind))));
                }
            }
        }
        Self { gaps, unrecorded }
    }

    /// Why the kind may miss objects; `None` when the input holds all of them.
    pub fn gap(&self, kind: &str) -> Option<&str> {
        self.gaps
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, w)| w.as_str())
    }

    /// Whether the kind's gap is only that the input does not say it was read.
    pub fn unrecorded(&self, kind: &str) -> bool {
        self.unrecorded.contains(&kind)
    }

    pub fn complete(&self, kind: &str) -> bool {
        self.gap(kind).is_none()
    }
}

/// `Pods`, `PodDisruptionBudgets`, `PersistentVolumeClaims`.
pub(crate) fn plural_kind(kind: &str) -> String {
    format!("{kind}s")
}

/// What to do about a kind the input left out: `include ReplicaSets (kubectl get rs -A -o
/// yaml) or ...`.
pub(crate) fn include_hint(kind: &str) -> String {
    let short = match kind {
        "ReplicaSet" => "rs",
        "Deployment" => "deploy",
        "StatefulSet" => "sts",
        "DaemonSet" => "ds",
        "ReplicationController" => "rc",
        "PodDisruptionBudget" => "pdb",
        "PersistentVolumeClaim" => "pvc",
        "PersistentVolume" => "pv",
        "Job" => "jobs",
        "Node" => "nodes",
        _ => "pods",
    };
    format!(
        "include {} (kubectl get {short} -A -o yaml) or read the cluster with `mcp-diag snapshot`, which records what it read",
        plural_kind(kind)
    )
}

/// What to do about a budget over controllers the input left out.
pub(crate) const BUDGET_HINT: &str = "include the pods' controllers, ReplicaSets above all (kubectl get rs,sts,rc -A -o yaml), or read the cluster with `mcp-diag snapshot`, which records what it read";

fn labels_of(raw: Node<'_>) -> Option<Node<'_>> {
    raw.path(&["metadata", "labels"]).filter(|l| l.as_map().is_some())
}

fn text_of(node: Node<'_>) -> Option<String> {
    match node.view() {
        View::Map(_) | View::Seq(_) | View::Null => None,
        _ => Some(
            node.as_str()
                .map_or_else(|| node.to_json().to_string(), str::to_owned),
        ),
    }
}

fn seq(node: Option<Node<'_>>) -> Seq<'_> {
    node.and_then(Node::as_seq).unwrap_or_default()
}

impl<'a> Cluster<'a> {
    pub fn read(inventory: &'a Inventory, notes: &mut Vec<String>) -> Self {
        let mut by_kind: HashMap<&str, Vec<&'a Object>> = HashMap::default();
        let mut by_uid: HashMap<&'a str, &'a Object> = HashMap::default();
        let mut by_name: HashMap<(&'a str, &'a str, &'a str), &'a Object> = HashMap::default();
        for o in &inventory.objects {
            by_kind.entry(o.kind.as_str()).or_default().push(o);
            if let Some(uid) = o.raw.path(&["metadata", "uid"]).and_then(Node::as_str) {
                by_uid.insert(uid, o);
            }
            if matches!(
                o.kind.as_str(),
                "ReplicaSet"
                    | "StatefulSet"
                    | "Deployment"
                    | "DaemonSet"
                    | "Job"
                    | "ReplicationController"
                    | "PersistentVolumeClaim"
                    | "PersistentVolume"
            ) {
                by_name.insert(
                    (
                        o.kind.as_str(),
                        o.namespace.as_deref().unwrap_or(""),
                        o.name.as_str(),
                    ),
                    o,
                );
            }
        }
        let kind = |k: &str| by_kind.get(k).map_or(&[][..], Vec::as_slice);
        let input = InputKinds::read(inventory, |k| by_kind.contains_key(k));
        let hit = std::cell::RefCell::new(std::collections::BTreeSet::new());

        // ---- nodes
        let mut nodes: Vec<NodeInfo<'a>> = Vec::new();
        let mut no_alloc = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for o in kind("Node") {
            if !seen.insert(o.name.as_str()) {
                notes.push(format!(
                    "Node {} appears twice in the input; the first is used",
                    o.name
                ));
                continue;
            }
            nodes.push(read_node(o, &mut no_alloc));
        }
        if !no_alloc.is_empty() {
            notes.push(format!(
                "{} node{} without status.allocatable or status.capacity ({}): counted as having room for no pod",
                no_alloc.len(),
                plural(no_alloc.len()),
                sample(&no_alloc)
            ));
        }
        nodes.sort_by(|a, b| a.name.cmp(b.name));
        let node_index: HashMap<&'a str, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name, i as u32))
            .collect();

        // ---- pods
        let mut classes: Vec<SchedClass> = vec![SchedClass::default()];
        let mut class_keys: HashMap<String, u32> = HashMap::default();
        let mut anti_terms: Vec<AntiTerm> = Vec::new();
        let mut anti_keys: HashMap<String, u32> = HashMap::default();
        let mut no_requests = 0usize;
        let mut unknown_node: Vec<String> = Vec::new();
        let mut missing_owner: Vec<String> = Vec::new();
        let mut inferred_owner: Vec<String> = Vec::new();
        let mut unknown_owner: Vec<String> = Vec::new();
        let mut pods = Vec::new();
        let lookup = Lookup {
            by_uid: &by_uid,
            by_name: &by_name,
            input: &input,
            hit: &hit,
        };
        for o in kind("Pod") {
            let raw = o.raw.root();
            let ns = o.namespace.as_deref().unwrap_or("default");
            let node = match raw.path(&["spec", "nodeName"]).and_then(Node::as_str) {
                Some(n) if !n.is_empty() => match node_index.get(n) {
                    Some(i) => Some(*i),
                    None => {
                        unknown_node.push(format!("{ns}/{} (node {n})", o.name));
                        continue;
                    }
                },
                _ => None,
            };
            let phase = match raw.path(&["status", "phase"]).and_then(Node::as_str) {
                Some("Pending") => Phase::Pending,
                Some("Succeeded") => Phase::Succeeded,
                Some("Failed") => Phase::Failed,
                Some("Running") => Phase::Running,
                Some(_) => Phase::Unknown,
                None if node.is_some() => Phase::Running,
                None => Phase::Pending,
            };
            let ready = seq(raw.path(&["status", "conditions"])).iter().any(|c| {
                c.get("type").and_then(Node::as_str) == Some("Ready")
                    && c.get("status").and_then(Node::as_str) == Some("True")
            });
            let terminating = raw
                .path(&["metadata", "deletionTimestamp"])
                .is_some_and(|d| !d.is_null());
            let mirror = raw.path(&["metadata", "annotations", MIRROR]).is_some();
            let (owner, controller, inferred) = lookup.owner(o);
            match &owner {
                Owner::Missing { kind, name } => {
                    missing_owner.push(format!("{ns}/{} (owner {kind} {name})", o.name));
                }
                Owner::NotInInput { kind, name } => {
                    unknown_owner.push(format!("{ns}/{} (owner {kind} {name})", o.name));
                }
                _ if inferred => inferred_owner.push(format!(
                    "{ns}/{} (Deployment {})",
                    o.name,
                    controller.map_or("", |c| c.name.as_str())
                )),
                _ => {}
            }
            let (cpu, mem, has_requests) = requests(raw);
            let movable = !mirror && owner != Owner::DaemonSet;
            if movable && !has_requests && !matches!(phase, Phase::Succeeded | Phase::Failed) {
                no_requests += 1;
            }
            let class = if movable {
                class_of(
                    o,
                    ns,
                    &lookup,
                    &mut classes,
                    &mut class_keys,
                    &mut anti_terms,
                    &mut anti_keys,
                )
            } else {
                0
            };
            pods.push(PodInfo {
                object: o,
                ns,
                name: o.name.as_str(),
                labels: labels_of(raw),
                node,
                phase,
                ready,
                terminating,
                mirror,
                owner,
                cpu,
                mem,
                class,
                budgets: Vec::new(),
                anti_matches: Vec::new(),
                ports: host_ports(raw),
                controller,
                inferred,
            });
        }
        if no_requests > 0 {
            notes.push(format!(
                "{no_requests} pod{} that may move {} for no cpu or memory (resources.requests): counted as 0, so the capacity prediction for them is optimistic",
                plural(no_requests),
                if no_requests == 1 { "asks" } else { "ask" }
            ));
        }
        if !unknown_node.is_empty() {
            notes.push(format!(
                "{} pod{} a node that is not in the input ({}): left out",
                unknown_node.len(),
                if unknown_node.len() == 1 {
                    " names"
                } else {
                    "s name"
                },
                sample(&unknown_node)
            ));
        }
        if !missing_owner.is_empty() {
            notes.push(format!(
                "{} pod{} a controller that is not in the input ({}): evicted but not replaced, and budgets over them allow no disruption when written with maxUnavailable or a percentage",
                missing_owner.len(),
                if missing_owner.len() == 1 { " names" } else { "s name" },
                sample(&missing_owner)
            ));
        }
        if !inferred_owner.is_empty() {
            notes.push(format!(
                "{} pod{} a ReplicaSet that is not in the input; {} Deployment was found from the ReplicaSet's name, the pod's pod-template-hash label and the Deployment's selector ({}): counted as replaced; budgets written with a percentage or maxUnavailable over them are taken from their recorded status when it is current, else unknown",
                inferred_owner.len(),
                if inferred_owner.len() == 1 { " names" } else { "s name" },
                if inferred_owner.len() == 1 { "its" } else { "their" },
                sample(&inferred_owner)
            ));
        }
        if !unknown_owner.is_empty() {
            notes.push(format!(
                "{} pod{} a controller that is not in the input, whose kind the input may have left out ({}): whether {} replaced is not known, so their nodes are unknown; {BUDGET_HINT}",
                unknown_owner.len(),
                if unknown_owner.len() == 1 { " names" } else { "s name" },
                sample(&unknown_owner),
                if unknown_owner.len() == 1 { "it is" } else { "they are" },
            ));
        }
        // Pods in a stable order: namespace, name (the drain order within a node).
        pods.sort_unstable_by(|a, b| (a.ns, a.name).cmp(&(b.ns, b.name)));

        // ---- anti-affinity terms: which pods each term's selector matches
        if !anti_terms.is_empty() {
            for pod in &mut pods {
                for (t, term) in anti_terms.iter().enumerate() {
                    let ns_ok = term
                        .namespaces
                        .as_ref()
                        .is_none_or(|list| list.iter().any(|n| n == pod.ns));
                    if ns_ok && term.selector.as_ref().is_some_and(|s| s.matches(pod.labels)) {
                        pod.anti_matches.push(t as u32);
                    }
                }
            }
        }

        let budgets = read_budgets(kind("PodDisruptionBudget"), &mut pods, &lookup, notes);
        // Group nodes by what the constraints look at, so that a constraint is evaluated
        // once per group rather than once per node.
        let mut keys: Vec<&str> = classes
            .iter()
            .flat_map(|c| {
                let terms = c
                    .affinity
                    .iter()
                    .chain(c.volumes.iter().filter_map(|v| v.terms.as_ref()));
                c.node_selector.iter().map(|(k, _)| k.as_str()).chain(
                    terms.flat_map(|t| t.terms.iter().flat_map(|(e, _)| e.iter().map(|e| e.key.as_str()))),
                )
            })
            .filter(|k| *k != HOSTNAME_LABEL)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut group_keys: HashMap<String, u32> = HashMap::default();
        let mut group_of = Vec::with_capacity(nodes.len());
        for n in &nodes {
            let key = group_key(n, &keys);
            let next = group_keys.len() as u32;
            group_of.push(*group_keys.entry(key).or_insert(next));
        }
        for (n, g) in nodes.iter_mut().zip(group_of) {
            n.group = g;
        }
        Self {
            groups: group_keys.len(),
            nodes,
            pods,
            classes,
            budgets,
            anti_terms,
            node_index,
            input,
            hit: hit.into_inner(),
        }
    }
}

/// `Deployment web` for a pod of web's ReplicaSet, `StatefulSet db`, ...: the workload to
/// name in advice.
pub(crate) fn workload(pod: &PodInfo<'_>) -> Option<String> {
    let c = pod.controller?;
    if c.kind == "ReplicaSet"
        && let Some(d) = seq(c.raw.path(&["metadata", "ownerReferences"]))
            .iter()
            .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        && d.get("kind").and_then(Node::as_str) == Some("Deployment")
    {
        return Some(format!(
            "Deployment {}",
            d.get("name").and_then(Node::as_str).unwrap_or("")
        ));
    }
    Some(format!("{} {}", c.kind, c.name))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The first few of a list, for a note.
fn sample(items: &[String]) -> String {
    let mut s = items.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 3 {
        s.push_str(&format!(", and {} more", items.len() - 3));
    }
    s
}

fn read_node<'a>(o: &'a Object, no_alloc: &mut Vec<String>) -> NodeInfo<'a> {
    let raw = o.raw.root();
    let labels = labels_of(raw);
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::as_str);
    let alloc = raw
        .path(&["status", "allocatable"])
        .filter(|a| a.as_map().is_some())
        .or_else(|| raw.path(&["status", "capacity"]).filter(|a| a.as_map().is_some()));
    let (cpu, mem, pods) = match alloc {
        Some(a) => (
            a.get("cpu")
                .and_then(text_of)
                .and_then(|t| quantity::cpu_millis(&t))
                .unwrap_or(0),
            a.get("memory")
                .and_then(text_of)
                .and_then(|t| quantity::bytes(&t))
                .unwrap_or(0),
            a.get("pods")
                .and_then(text_of)
                .and_then(|t| t.trim().parse::<u64>().ok())
                .unwrap_or(DEFAULT_PODS),
        ),
        None => {
            no_alloc.push(o.name.clone());
            (0, 0, 0)
        }
    };
    let ready = seq(raw.path(&["status", "conditions"])).iter().any(|c| {
        c.get("type").and_then(Node::as_str) == Some("Ready")
            && c.get("status").and_then(Node::as_str) == Some("True")
    });
    let taints = seq(raw.path(&["spec", "taints"]))
        .iter()
        .filter_map(|t| {
            let effect = t.get("effect").and_then(Node::as_str).unwrap_or("");
            if effect != "NoSchedule" && effect != "NoExecute" {
                return None;
            }
            Some(Taint {
                key: t.get("key").and_then(Node::as_str).unwrap_or(""),
                value: t.get("value").and_then(Node::as_str).unwrap_or(""),
                effect,
            })
        })
        .collect();
    let control_plane = label("node-role.kubernetes.io/control-plane").is_some()
        || label("node-role.kubernetes.io/master").is_some();
    NodeInfo {
        name: o.name.as_str(),
        labels,
        taints,
        cpu,
        mem,
        pods,
        ready,
        unschedulable: raw.path(&["spec", "unschedulable"]).and_then(Node::as_bool) == Some(true),
        control_plane,
        zone: label(ZONE_LABEL),
        pool: POOL_LABELS.iter().find_map(|k| label(k)),
        group: 0,
    }
}

fn group_key(n: &NodeInfo<'_>, keys: &[&str]) -> String {
    let mut key = format!("{}|{}|{}|", n.cpu, n.mem, n.pods);
    for k in keys {
        if let Some(v) = n.labels.and_then(|l| l.get(k)) {
            key.push_str(&format!("{k}={}\u{1}", text_of(v).unwrap_or_default()));
        }
    }
    key.push('|');
    for t in &n.taints {
        key.push_str(&format!("{}={}:{}\u{1}", t.key, t.value, t.effect));
    }
    key
}

/// The pod's request per resource: the sum over containers, or the largest init container
/// when larger. The flag says whether any request was given at all.
fn requests(raw: Node<'_>) -> (u64, u64, bool) {
    let mut given = false;
    let mut read = |c: Node<'_>| -> (u64, u64) {
        let req = c.path(&["resources", "requests"]);
        let cpu = req
            .and_then(|r| r.get("cpu"))
            .and_then(text_of)
            .and_then(|t| quantity::cpu_millis(&t));
        let mem = req
            .and_then(|r| r.get("memory"))
            .and_then(text_of)
            .and_then(|t| quantity::bytes(&t));
        given |= cpu.is_some() || mem.is_some();
        (cpu.unwrap_or(0), mem.unwrap_or(0))
    };
    let (mut cpu, mut mem) = (0u64, 0u64);
    for c in seq(raw.path(&["spec", "containers"])) {
        let (c, m) = read(c);
        cpu = cpu.saturating_add(c);
        mem = mem.saturating_add(m);
    }
    for c in seq(raw.path(&["spec", "initContainers"])) {
        let (c, m) = read(c);
        cpu = cpu.max(c);
        mem = mem.max(m);
    }
    (cpu, mem, given)
}

/// The host ports a pod asks for: `(port, protocol)`.
fn host_ports(raw: Node<'_>) -> Vec<(i64, String)> {
    seq(raw.path(&["spec", "containers"]))
        .iter()
        .flat_map(|c| seq(c.get("ports")))
        .filter_map(|p| {
            let port = p.get("hostPort").and_then(Node::as_i64).filter(|p| *p > 0)?;
            let proto = p
                .get("protocol")
                .and_then(Node::as_str)
                .unwrap_or("TCP")
                .to_owned();
            Some((port, proto))
        })
        .collect()
}

struct Lookup<'l, 'a> {
    by_uid: &'l HashMap<&'a str, &'a Object>,
    by_name: &'l HashMap<(&'a str, &'a str, &'a str), &'a Object>,
    input: &'l InputKinds,
    /// Kinds whose gap changed a prediction.
    hit: &'l std::cell::RefCell<std::collections::BTreeSet<&'static str>>,
}

impl Lookup<'_, '_> {
    /// `input.gap(kind)`, remembering that the gap mattered.
    fn gap(&self, kind: &str) -> Option<&str> {
        let (k, why) = self.input.gaps.iter().find(|(k, _)| *k == kind)?;
        self.hit.borrow_mut().insert(k);
        Some(why.as_str())
    }
}

/// How the disruption controller would count a pod's controller for `expectedPods`.
pub(crate) enum Scale<'a> {
    /// The controller and its `spec.replicas`.
    Of(&'a Object, i64),
    /// No controller owner: left out of the count.
    Unmanaged,
    /// The controller's fail-safe: no disruption allowed, for this reason.
    FailSafe(String),
    /// Not computable from the input (a controller the input may have left out), why.
    NotInInput(String),
}

impl<'a> Lookup<'_, 'a> {
    /// The object an ownerReference (or a controller's `ownerReferences`) points at.
    fn controller_ref(object: &Object) -> Option<Node<'_>> {
        seq(object.raw.path(&["metadata", "ownerReferences"]))
            .iter()
            .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
    }

    fn resolve(&self, object: &Object, r: Node<'_>) -> Option<&'a Object> {
        let kind = r.get("kind").and_then(Node::as_str).unwrap_or("");
        let name = r.get("name").and_then(Node::as_str).unwrap_or("");
        let ns = object.namespace.as_deref().unwrap_or("");
        if let Some(uid) = r.get("uid").and_then(Node::as_str)
            && let Some(o) = self.by_uid.get(uid)
        {
            return Some(o);
        }
        self.by_name.get(&(kind, ns, name)).copied()
    }

    /// The Deployment of a pod whose ReplicaSet `rs` is not in the input: a Deployment
    /// `D` such that `rs` is `D-H`, the pod carries `pod-template-hash: H` (the Deployment
    /// controller names its ReplicaSets so and labels their pods so), and D's selector
    /// selects the pod.
    fn infer_deployment(&self, pod: &Object, rs: &str) -> Option<&'a Object> {
        let hash = pod
            .raw
            .path(&["metadata", "labels", "pod-template-hash"])?
            .as_str()?;
        let deployment = rs.strip_suffix(hash)?.strip_suffix('-')?;
        let ns = pod.namespace.as_deref().unwrap_or("");
        let d = self.by_name.get(&("Deployment", ns, deployment)).copied()?;
        let selector = d.raw.path(&["spec", "selector"])?;
        let selector = Selector::from_label_selector(selector).ok()?;
        selector.matches(labels_of(pod.raw.root())).then_some(d)
    }

    /// The pod's owner, the controller object found (or inferred), and whether it was
    /// inferred.
    fn owner(&self, pod: &Object) -> (Owner, Option<&'a Object>, bool) {
        let Some(r) = Self::controller_ref(pod) else {
            return (Owner::None, None, false);
        };
        let kind = r.get("kind").and_then(Node::as_str).unwrap_or("");
        let name = r.get("name").and_then(Node::as_str).unwrap_or("");
        match kind {
            "DaemonSet" => (Owner::DaemonSet, None, false),
            "ReplicaSet" | "ReplicationController" | "StatefulSet" | "Job" => {
                let Some(found) = self.resolve(pod, r) else {
                    if kind == "ReplicaSet"
                        && self.gap(kind).is_some()
                        && let Some(d) = self.infer_deployment(pod, name)
                    {
                        return (Owner::Replicated, Some(d), true);
                    }
                    // A Job's pod is not replaced whether or not the Job is in the input.
                    let owner = if kind == "Job" || self.gap(kind).is_none() {
                        Owner::Missing {
                            kind: kind.to_owned(),
                            name: name.to_owned(),
                        }
                    } else {
                        Owner::NotInInput {
                            kind: kind.to_owned(),
                            name: name.to_owned(),
                        }
                    };
                    return (owner, None, false);
                };
                let owner = match kind {
                    "StatefulSet" => Owner::Stateful,
                    "Job" => Owner::Job,
                    _ => Owner::Replicated,
                };
                (owner, Some(found), false)
            }
            _ => (
                Owner::Other {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                },
                None,
                false,
            ),
        }
    }

    /// The controller that scales a pod, as the disruption controller finds it, with its
    /// scale: a Deployment for a ReplicaSet it owns, else the ReplicaSet, StatefulSet or
    /// ReplicationController (`getExpectedScale` and its finders in
    /// `pkg/controller/disruption/disruption.go`).
    fn scale_of(&self, pod: &Object) -> Scale<'a> {
        let Some(r) = Self::controller_ref(pod) else {
            return Scale::Unmanaged;
        };
        let kind = r.get("kind").and_then(Node::as_str).unwrap_or("");
        let name = r.get("name").and_then(Node::as_str).unwrap_or("");
        let replicas = |o: &Object| {
            o.raw
                .path(&["spec", "replicas"])
                .and_then(Node::as_i64)
                .unwrap_or(1)
        };
        if !matches!(kind, "ReplicaSet" | "StatefulSet" | "ReplicationController") {
            return match kind {
                // Known kinds without a scale subresource: the controller's fail-safe.
                "Job" | "DaemonSet" => Scale::FailSafe(format!(
                    "pod {} is controlled by {kind} {name}, which has no scale the disruption controller knows",
                    pod.name
                )),
                // A custom controller counts when its resource has a scale subresource,
                // which the input does not say.
                _ => Scale::NotInInput(format!(
                    "pod {} is controlled by {kind} {name}; whether that resource has a scale subresource (which the disruption controller counts) is not in the input",
                    pod.name
                )),
            };
        }
        let Some(owner) = self.resolve(pod, r) else {
            return if self.input.complete(kind) {
                Scale::FailSafe(format!(
                    "the controller {kind} {name} of pod {} does not exist",
                    pod.name
                ))
            } else {
                Scale::NotInInput(format!(
                    "the controller {kind} {name} of pod {} is not in the input ({})",
                    pod.name,
                    self.gap(kind).unwrap_or("")
                ))
            };
        };
        if kind == "ReplicaSet"
            && let Some(dr) = Self::controller_ref(owner)
            && dr.get("kind").and_then(Node::as_str) == Some("Deployment")
        {
            return match self.resolve(owner, dr) {
                Some(d) => Scale::Of(d, replicas(d)),
                // A ReplicaSet whose Deployment is gone is counted through its own scale
                // subresource (the last finder, getScaleController).
                None if self.input.complete("Deployment") => Scale::Of(owner, replicas(owner)),
                None => Scale::NotInInput(format!(
                    "the Deployment {} owning ReplicaSet {name} of pod {} is not in the input ({})",
                    dr.get("name").and_then(Node::as_str).unwrap_or(""),
                    pod.name,
                    self.gap("Deployment").unwrap_or("")
                )),
            };
        }
        Scale::Of(owner, replicas(owner))
    }
}

fn read_terms(node: Node<'_>, names_nodes: &mut bool, unknown: &mut Vec<String>) -> Terms {
    let mut terms = Vec::new();
    for term in seq(node.get("nodeSelectorTerms")) {
        let mut read = |field: &str, unknown: &mut Vec<String>| -> Vec<Expr> {
            seq(term.get(field))
                .iter()
                .filter_map(|e| {
                    let key = e.get("key").and_then(Node::as_str)?.to_owned();
                    let op = match e.get("operator").and_then(Node::as_str).unwrap_or("") {
                        "In" => Op::In,
                        "NotIn" => Op::NotIn,
                        "Exists" => Op::Exists,
                        "DoesNotExist" => Op::DoesNotExist,
                        "Gt" => Op::Gt,
                        "Lt" => Op::Lt,
                        other => {
                            unknown.push(format!("node affinity operator {other:?} is not modelled"));
                            return None;
                        }
                    };
                    if key == HOSTNAME_LABEL || field == "matchFields" {
                        *names_nodes = true;
                    }
                    let values = seq(e.get("values")).iter().filter_map(text_of).collect();
                    Some(Expr { key, op, values })
                })
                .collect()
        };
        let exprs = read("matchExpressions", unknown);
        let fields = read("matchFields", unknown);
        if fields.iter().any(|f| f.key != "metadata.name") {
            unknown.push("node affinity matchFields other than metadata.name are not modelled".into());
        }
        terms.push((exprs, fields));
    }
    Terms { terms }
}

#[allow(clippy::too_many_arguments)]
fn class_of(
    pod: &Object,
    ns: &str,
    lookup: &Lookup<'_, '_>,
    classes: &mut Vec<SchedClass>,
    keys: &mut HashMap<String, u32>,
    anti_terms: &mut Vec<AntiTerm>,
    anti_keys: &mut HashMap<String, u32>,
) -> u32 {
    let spec = pod.raw.field("spec");
    let tolerations = spec.get("tolerations");
    let node_selector = spec.get("nodeSelector");
    let affinity = spec.get("affinity");
    let spread = spec.get("topologySpreadConstraints");
    let claims: Vec<&str> = seq(spec.get("volumes"))
        .iter()
        .filter_map(|v| {
            v.path(&["persistentVolumeClaim", "claimName"])
                .and_then(Node::as_str)
        })
        .collect();
    let ports = host_ports(pod.raw.root());
    if tolerations.is_none()
        && node_selector.is_none()
        && affinity.is_none()
        && spread.is_none()
        && claims.is_empty()
        && ports.is_empty()
    {
        return 0;
    }
    let json = |n: Option<Node<'_>>| n.and_then(|n| serde_json::to_string(&n).ok()).unwrap_or_default();
    let key = format!(
        "{ns}|{}|{}|{}|{}|{}|{:?}",
        json(tolerations),
        json(node_selector),
        json(affinity),
        json(spread),
        claims.join(","),
        ports
    );
    if let Some(c) = keys.get(&key) {
        return *c;
    }
    let mut class = SchedClass::default();
    for t in seq(tolerations) {
        let op = t.get("operator").and_then(Node::as_str).unwrap_or("Equal");
        class.tolerations.push(Toleration {
            key: t.get("key").and_then(Node::as_str).unwrap_or("").to_owned(),
            exists: op == "Exists",
            value: t.get("value").and_then(text_of).unwrap_or_default(),
            effect: t.get("effect").and_then(Node::as_str).unwrap_or("").to_owned(),
        });
    }
    if let Some(map) = node_selector.and_then(Node::as_map) {
        for (k, v) in map {
            if k == HOSTNAME_LABEL {
                class.names_nodes = true;
            }
            class
                .node_selector
                .push((k.to_string(), text_of(v).unwrap_or_default()));
        }
    }
    let mut unknown = Vec::new();
    if let Some(aff) = affinity {
        if let Some(req) = aff.path(&["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]) {
            class.affinity = Some(read_terms(req, &mut class.names_nodes, &mut unknown));
        }
        if !seq(aff.path(&["podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"])).is_empty() {
            unknown.push("required pod affinity is not modelled".to_owned());
        }
        for term in seq(aff.path(&[
            "podAntiAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
        ])) {
            let key = term.get("topologyKey").and_then(Node::as_str).unwrap_or("");
            if key.is_empty() {
                unknown.push("a required pod anti-affinity term without topologyKey".to_owned());
                continue;
            }
            if term.get("matchLabelKeys").is_some() || term.get("mismatchLabelKeys").is_some() {
                unknown.push(
                    "pod anti-affinity with matchLabelKeys/mismatchLabelKeys is not modelled".to_owned(),
                );
            }
            let namespaces = match term.get("namespaceSelector") {
                Some(sel) if sel.as_map().is_some_and(Map::is_empty) => None,
                Some(sel) if !sel.is_null() => {
                    unknown.push("pod anti-affinity with a namespaceSelector is not modelled".to_owned());
                    Some(vec![ns.to_owned()])
                }
                _ => {
                    let list: Vec<String> = seq(term.get("namespaces")).iter().filter_map(text_of).collect();
                    Some(if list.is_empty() {
                        vec![ns.to_owned()]
                    } else {
                        list
                    })
                }
            };
            let selector = match term.get("labelSelector").filter(|s| !s.is_null()) {
                None => None,
                Some(s) => match Selector::from_label_selector(s) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        unknown.push(format!("pod anti-affinity label selector: {e}"));
                        None
                    }
                },
            };
            let term_key = format!(
                "{:?}|{}|{key}",
                namespaces,
                term.get("labelSelector")
                    .map(|s| s.to_json().to_string())
                    .unwrap_or_default()
            );
            let next = anti_terms.len() as u32;
            let id = *anti_keys.entry(term_key).or_insert_with(|| {
                anti_terms.push(AntiTerm {
                    namespaces,
                    selector,
                    key: key.to_owned(),
                });
                next
            });
            class.anti.push(id);
        }
    }
    for c in seq(spread) {
        if c.get("whenUnsatisfiable").and_then(Node::as_str) != Some("ScheduleAnyway") {
            unknown.push(
                "a topology spread constraint with whenUnsatisfiable: DoNotSchedule is not modelled"
                    .to_owned(),
            );
            break;
        }
    }
    for claim in claims {
        // A claim or volume missing from a complete read does not exist (the pod waits
        // for it anyway); missing from a partial one, its node affinity is unknown.
        let Some(pvc) = lookup.by_name.get(&("PersistentVolumeClaim", ns, claim)) else {
            if let Some(gap) = lookup.gap("PersistentVolumeClaim") {
                unknown.push(format!(
                    "its PersistentVolumeClaim {claim} is not in the input ({gap}), so where its volume lets it run is not known"
                ));
            }
            continue;
        };
        let Some(pv_name) = pvc.raw.path(&["spec", "volumeName"]).and_then(Node::as_str) else {
            continue;
        };
        let Some(pv) = lookup.by_name.get(&("PersistentVolume", "", pv_name)) else {
            if let Some(gap) = lookup.gap("PersistentVolume") {
                unknown.push(format!(
                    "its PersistentVolume {pv_name} is not in the input ({gap}), so where it lets the pod run is not known"
                ));
            }
            continue;
        };
        let local = pv.raw.path(&["spec", "local"]).is_some();
        let terms = pv
            .raw
            .path(&["spec", "nodeAffinity", "required"])
            .map(|req| read_terms(req, &mut class.names_nodes, &mut unknown));
        if terms.is_some() || local {
            class.volumes.push(VolumeReq {
                claim: claim.to_owned(),
                pv: pv_name.to_owned(),
                terms,
                local,
            });
        }
    }
    unknown.dedup();
    class.unknown = unknown;
    let id = classes.len() as u32;
    classes.push(class);
    keys.insert(key, id);
    id
}

/// Reads the budgets, matches them against the pods of their namespace (through one
/// label of the selector where there is one) and works out `desiredHealthy`.
fn read_budgets<'a>(
    objects: &[&'a Object],
    pods: &mut [PodInfo<'a>],
    lookup: &Lookup<'_, 'a>,
    notes: &mut Vec<String>,
) -> Vec<Budget<'a>> {
    // Pods by namespace, and by label within a namespace.
    let mut by_ns: HashMap<&str, Vec<u32>> = HashMap::default();
    for (i, p) in pods.iter().enumerate() {
        by_ns.entry(p.ns).or_default().push(i as u32);
    }
    let mut by_label: HashMap<(&str, &str, &str), Vec<u32>> = HashMap::default();
    let budget_ns: std::collections::HashSet<&str> = objects
        .iter()
        .map(|o| o.namespace.as_deref().unwrap_or("default"))
        .collect();
    for (i, p) in pods.iter().enumerate() {
        if !budget_ns.contains(p.ns) {
            continue;
        }
        for (k, v) in p.labels.and_then(Node::as_map).unwrap_or_default() {
            if let Some(v) = v.as_str() {
                by_label.entry((p.ns, k, v)).or_default().push(i as u32);
            }
        }
    }
    let mut budgets = Vec::new();
    let mut no_match = Vec::new();
    let mut percent = Vec::new();
    let mut recorded = Vec::new();
    for o in objects {
        let ns = o.namespace.as_deref().unwrap_or("default");
        let spec = o.raw.field("spec");
        let selector = match spec.get("selector").filter(|s| !s.is_null()) {
            None => {
                notes.push(format!(
                    "PodDisruptionBudget {ns}/{} has no selector: it selects no pod",
                    o.name
                ));
                None
            }
            Some(s) => match Selector::from_label_selector(s) {
                Ok(sel) => Some(sel),
                Err(e) => {
                    notes.push(format!(
                        "PodDisruptionBudget {ns}/{}: {e}; it is treated as selecting no pod",
                        o.name
                    ));
                    None
                }
            },
        };
        let index = budgets.len() as u32;
        let mut matched: Vec<u32> = Vec::new();
        if let Some(sel) = &selector {
            let narrow = spec
                .path(&["selector", "matchLabels"])
                .and_then(Node::as_map)
                .and_then(|m| m.iter().next())
                .and_then(|(k, v)| Some((k, v.as_str()?)));
            let candidates: &[u32] = match narrow {
                Some((k, v)) => by_label.get(&(ns, k, v)).map_or(&[], Vec::as_slice),
                None => by_ns.get(ns).map_or(&[], Vec::as_slice),
            };
            for &i in candidates {
                let p = &pods[i as usize];
                if !p.terminating && sel.matches(p.labels) {
                    matched.push(i);
                }
            }
        }
        if matched.is_empty() {
            no_match.push(format!("{ns}/{}", o.name));
        }
        for &i in &matched {
            pods[i as usize].budgets.push(index);
        }
        let min = spec.get("minAvailable").filter(|n| !n.is_null());
        let max = spec.get("maxUnavailable").filter(|n| !n.is_null());
        let always_allow =
            spec.get("unhealthyPodEvictionPolicy").and_then(Node::as_str) == Some("AlwaysAllow");
        let plain_int = min.and_then(|m| match m.view() {
            View::Int(n) => Some(n),
            _ => m
                .as_str()
                .filter(|t| !t.contains('%'))
                .and_then(|t| t.trim().parse().ok()),
        });
        let mut budget = Budget {
            object: o,
            desired: 0,
            fail_safe: None,
            no_expected: None,
            unknown: None,
            always_allow,
            matched: matched.len(),
            rule: String::new(),
        };
        match (min, max) {
            (Some(_), _) if plain_int.is_some() => {
                // expectedPods is the number of pods selected, at least the one evicted.
                let n = plain_int.unwrap_or(0);
                budget.desired = n;
                budget.rule = format!("minAvailable: {n}");
            }
            (None, None) => {
                budget.rule = "neither minAvailable nor maxUnavailable".to_owned();
                budget.no_expected = Some(
                    "it sets neither minAvailable nor maxUnavailable, so its expected pod count is 0"
                        .to_owned(),
                );
            }
            (min, max) => {
                if min.is_some() && max.is_some() {
                    notes.push(format!(
                        "PodDisruptionBudget {ns}/{} sets both minAvailable and maxUnavailable (the API server refuses that); minAvailable is used",
                        o.name
                    ));
                }
                // Percentages and maxUnavailable count the controllers' scale.
                let mut expected = 0i64;
                let mut seen = std::collections::HashSet::new();
                let mut unmanaged = 0usize;
                let mut not_in_input: Option<String> = None;
                for &i in &matched {
                    let pod = &pods[i as usize];
                    // A Deployment inferred for a missing ReplicaSet is a good guess for
                    // replacing the pod, not for the budget's arithmetic.
                    let scale = if pod.inferred {
                        Scale::NotInInput(format!(
                            "the ReplicaSet of pod {} is not in the input ({})",
                            pod.name,
                            lookup.gap("ReplicaSet").unwrap_or("")
                        ))
                    } else {
                        lookup.scale_of(pod.object)
                    };
                    match scale {
                        Scale::Of(c, scale) => {
                            if seen.insert(std::ptr::from_ref(c)) {
                                expected += scale;
                            }
                        }
                        Scale::Unmanaged => unmanaged += 1,
                        Scale::FailSafe(why) => {
                            budget.fail_safe.get_or_insert(why);
                        }
                        Scale::NotInInput(why) => {
                            not_in_input.get_or_insert(why);
                        }
                    }
                }
                let (field, value) = match min {
                    Some(m) => ("minAvailable", m),
                    None => ("maxUnavailable", max.unwrap_or(Node::null())),
                };
                let amount = match value.view() {
                    View::Int(n) => Some((n, false)),
                    _ => value.as_str().and_then(|t| {
                        let t = t.trim();
                        match t.strip_suffix('%') {
                            Some(p) => p.trim().parse::<i64>().ok().map(|p| (p, true)),
                            None => t.parse::<i64>().ok().map(|n| (n, false)),
                        }
                    }),
                };
                budget.rule = format!(
                    "{field}: {}",
                    text_of(value).unwrap_or_else(|| value.to_json().to_string())
                );
                let Some((n, is_percent)) = amount else {
                    budget
                        .fail_safe
                        .get_or_insert(format!("{} is not an integer or a percentage", budget.rule));
                    budgets.push(budget);
                    continue;
                };
                if is_percent {
                    percent.push(format!("{ns}/{}", o.name));
                }
                if budget.fail_safe.is_none()
                    && let Some(why) = not_in_input
                {
                    // The controller computes this budget from objects the input lacks:
                    // its recorded status is the best witness, when it is current.
                    match recorded_status(o, pods, &matched) {
                        Recorded::Fresh { desired, expected } => {
                            budget.desired = desired;
                            if expected <= 0 {
                                budget.no_expected =
                                    Some(format!("its recorded status counts {expected} expected pods"));
                            }
                            recorded.push(format!("{ns}/{}", o.name));
                        }
                        Recorded::SyncFailed(message) => {
                            budget.fail_safe = Some(format!(
                                "its recorded status says the disruption controller could not compute it (DisruptionAllowed=False, SyncFailed{})",
                                if message.is_empty() {
                                    String::new()
                                } else {
                                    format!(": {message}")
                                }
                            ));
                        }
                        Recorded::Stale(stale) => {
                            budget.unknown = Some(format!("{why}, and {stale}"));
                        }
                    }
                    budgets.push(budget);
                    continue;
                }
                let count = if is_percent {
                    // ceil(n * expected / 100)
                    (n.max(0) * expected + 99) / 100
                } else {
                    n
                };
                budget.desired = if field == "minAvailable" {
                    count
                } else {
                    (expected - count).max(0)
                };
                if expected <= 0 && budget.fail_safe.is_none() {
                    budget.no_expected = Some(if unmanaged > 0 && unmanaged == matched.len() {
                        "none of the pods it selects has a controller, so its expected pod count is 0"
                            .to_owned()
                    } else {
                        format!(
                            "the controllers of the pods it selects are scaled to {expected}, so its expected pod count is {expected}"
                        )
                    });
                }
            }
        }
        budgets.push(budget);
    }
    if !no_match.is_empty() && !lookup.input.complete("Pod") {
        // Without every pod, "selects no pod" is not a fact.
        notes.push(format!(
            "{} PodDisruptionBudget{} no pod among those in the input ({}); as Pods were not read completely, whether {} anything is not known",
            no_match.len(),
            if no_match.len() == 1 { " selects" } else { "s select" },
            sample(&no_match),
            if no_match.len() == 1 { "it protects" } else { "they protect" }
        ));
    } else if !no_match.is_empty() {
        notes.push(format!(
            "{} PodDisruptionBudget{} no pod ({}): {} nothing",
            no_match.len(),
            if no_match.len() == 1 {
                " selects"
            } else {
                "s select"
            },
            sample(&no_match),
            if no_match.len() == 1 {
                "it protects"
            } else {
                "they protect"
            }
        ));
    }
    if !percent.is_empty() {
        notes.push(format!(
            "{} PodDisruptionBudget{} percentages ({}): counted against the scale of the controllers covered, rounded up",
            percent.len(),
            if percent.len() == 1 { " uses" } else { "s use" },
            sample(&percent)
        ));
    }
    if !recorded.is_empty() {
        notes.push(format!(
            "{} PodDisruptionBudget{} over pods whose controllers are not in the input ({}): {} recorded status is used, as it is current (observedGeneration matches, currentHealthy equals the Ready pods in the input)",
            recorded.len(),
            if recorded.len() == 1 { "" } else { "s" },
            sample(&recorded),
            if recorded.len() == 1 { "its" } else { "their" }
        ));
    }
    budgets
}

/// What a budget's recorded `status` says, when the input cannot recompute it.
enum Recorded {
    /// Current: written for this generation, without a failed sync, and counting as many
    /// healthy pods as the input holds Ready.
    Fresh { desired: i64, expected: i64 },
    /// The disruption controller recorded its fail-safe (with its message).
    SyncFailed(String),
    /// Missing or out of date: why, in words.
    Stale(String),
}

fn recorded_status(pdb: &Object, pods: &[PodInfo<'_>], matched: &[u32]) -> Recorded {
    let raw = pdb.raw.root();
    let Some(status) = raw
        .get("status")
        .filter(|s| s.as_map().is_some_and(|m| !m.is_empty()))
    else {
        return Recorded::Stale("it carries no recorded status".to_owned());
    };
    let condition = seq(status.get("conditions"))
        .iter()
        .find(|c| c.get("type").and_then(Node::as_str) == Some("DisruptionAllowed"));
    if let Some(c) = condition
        && c.get("status").and_then(Node::as_str) == Some("False")
        && c.get("reason").and_then(Node::as_str) == Some("SyncFailed")
    {
        return Recorded::SyncFailed(c.get("message").and_then(Node::as_str).unwrap_or("").to_owned());
    }
    // The API server sets generation 1 on create; an export always carries it.
    let generation = raw
        .path(&["metadata", "generation"])
        .and_then(Node::as_i64)
        .unwrap_or(1);
    let observed = status.get("observedGeneration").and_then(Node::as_i64);
    if observed != Some(generation) {
        return Recorded::Stale(format!(
            "its recorded status is for generation {} of the budget, not {generation}",
            observed.map_or_else(|| "(none)".to_owned(), |g| g.to_string())
        ));
    }
    let int = |k: &str| status.get(k).and_then(Node::as_i64);
    let (Some(current), Some(desired), Some(expected)) =
        (int("currentHealthy"), int("desiredHealthy"), int("expectedPods"))
    else {
        return Recorded::Stale(
            "its recorded status lacks currentHealthy, desiredHealthy or expectedPods".to_owned(),
        );
    };
    let ready = matched
        .iter()
        .filter(|&&i| pods[i as usize].ready && !pods[i as usize].terminating)
        .count() as i64;
    if current != ready {
        return Recorded::Stale(format!(
            "its recorded status counts {current} healthy pods where the input has {ready} Ready"
        ));
    }
    Recorded::Fresh { desired, expected }
}
