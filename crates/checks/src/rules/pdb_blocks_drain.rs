use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind, View};

use crate::rules::scale::{Autoscalers, autoscalers, namespace_of, scale_of};
use crate::selector::{Selector, labels_of};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pdb-blocks-drain",
    severity: Severity::Blocker,
    title: "PodDisruptionBudget that allows no disruption",
    doc: r#"## What it checks
Every PodDisruptionBudget, against the pods its selector matches in its namespace (snapshots)
or the pod templates of the Deployments, StatefulSets and other workloads it matches
(manifests). A budget blocks drains when it allows no disruption even with every pod healthy:

- `maxUnavailable: 0` or `"0%"`;
- `minAvailable` equal to or above the replicas it covers (`minAvailable: 3` over 3
  replicas, `"100%"`, or a single-replica workload with `minAvailable: 1`). Percentages are
  rounded up, as the disruption controller does: `minAvailable: "50%"` of 7 pods is 4, and
  `maxUnavailable: "10%"` of 3 pods is 1 (kubernetes/website
  `content/en/docs/tasks/run-application/configure-pdb.md`, "Rounding logic when specifying
  percentages");
- neither `minAvailable` nor `maxUnavailable`: the disruption controller's expected pod
  count is then 0, and with `expectedCount <= 0` it publishes `disruptionsAllowed: 0`
  (kubernetes/kubernetes `pkg/controller/disruption`, `getExpectedPodCount` and
  `updatePdbStatus`), so no eviction is ever allowed;
- `maxUnavailable`, or a percentage `minAvailable`, over pods none of which has a controller
  owner (bare pods): the controller scales those by the controllers' replicas and leaves
  unmanaged pods out, so the expected count is again 0. An integer `minAvailable` counts
  the selected pods themselves and is not affected. A pod whose controller is only missing
  from the input (an export without ReplicaSets) still names it, and is not counted here;
- in a snapshot, `status.disruptionsAllowed: 0` while `currentHealthy` reaches `expectedPods`
  (every pod is healthy, so this is no transient state).

The number of pods is the replicas of the workloads that own the matched pods (an
autoscaler's `minReplicas` counts for manifests). When the status says disruptions are
allowed now (`disruptionsAllowed` > 0, status current), the budget is not reported. DaemonSet
and mirror pods are left out: `kubectl drain` does not evict them.

## Why it matters
Draining a node evicts its pods through the Eviction API, which refuses any eviction the
budget does not allow ("Cannot evict pod as it would violate the pod's disruption budget.",
HTTP 429). `kubectl drain` retries until it times out, managed node-group upgrades stop, and
the node keeps running the old version.

## Example
PodDisruptionBudget `shop/payment` with `minAvailable: 3` over Deployment `payment` with 3
replicas: 3 of 3 pods must stay up, so no payment pod can ever be evicted.

## Fix
Let the budget allow at least one disruption. A budget without `minAvailable` and
`maxUnavailable` needs one of them (`maxUnavailable: 1`); one over bare pods needs the pods
run by a controller, or an integer `minAvailable`. Otherwise scale the workload above
`minAvailable` (payment to 4 replicas), or express the budget as `maxUnavailable: 1`. A
single-replica workload needs a second replica (on another node) or a budget that accepts
its downtime.
"#,
};

pub struct PdbBlocksDrain;

impl Check for PdbBlocksDrain {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let coverage = coverage(ctx, Want::Units);
        coverage
            .budgets
            .iter()
            .filter_map(|b| verdict(ctx, b).map(|v| blocked(b, &v)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// What each budget covers, shared by pdb-blocks-drain, pdb-no-match and pdb-overlap.

/// How budgets are matched: against pods (snapshots and live clusters that hold pods), or
/// against the pod templates of workloads (manifests, or inventories without pods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Pods,
    Templates,
}

/// A budget's `spec.selector`, read as the API server reads it.
#[derive(Clone, Debug)]
pub(crate) enum BudgetSelector {
    Parsed(Selector),
    /// No selector (or null): matches no pod.
    Missing,
    /// `{}` in `policy/v1beta1`: matches no pod there (in `policy/v1` it matches all).
    EmptyBeta,
    /// Not a label selector (unknown operator, wrong type): matches no pod.
    Invalid(String),
}

impl BudgetSelector {
    fn read(budget: &Object) -> Self {
        let Some(node) = budget.raw.path(&["spec", "selector"]).filter(|n| !n.is_null()) else {
            return Self::Missing;
        };
        if node.as_map().is_none() {
            return Self::Invalid(format!("spec.selector is a {}, not a mapping", node.type_name()));
        }
        match Selector::from_label_selector(node) {
            Ok(s) if s.is_empty() && budget.api_version == "policy/v1beta1" => Self::EmptyBeta,
            Ok(s) => Self::Parsed(s),
            Err(e) => Self::Invalid(e),
        }
    }

    pub(crate) fn matches(&self, labels: Option<Node<'_>>) -> bool {
        matches!(self, Self::Parsed(s) if s.matches(labels))
    }
}

/// A workload a budget covers: the controller at the top of its pods' ownership chain (or a
/// bare or mirror pod), or, for templates, the workload whose pod template matches.
#[derive(Debug)]
pub(crate) struct Unit<'a> {
    pub object: &'a Object,
    /// Matched pods (pods mode); 0 for templates.
    pub pods: usize,
    /// The pods a drain has to account for: the effective replicas of a scalable workload,
    /// else the matched pods (1 for a template); `None` when the replicas are unreadable.
    pub count: Option<i64>,
    /// `kubectl drain` does not evict its pods (DaemonSet, mirror pod).
    pub drain_skips: bool,
}

#[derive(Debug)]
pub(crate) struct Budget<'a> {
    pub object: &'a Object,
    pub selector: BudgetSelector,
    /// How many pods (pods mode, not terminal) or templates the selector matches.
    pub matched: usize,
    /// Matched pods (pods mode, [`Want::Units`]).
    pub pods: Vec<&'a Object>,
    pub units: Vec<Unit<'a>>,
    /// Pods mode, [`Want::Counts`]: workloads whose template matches although no pod does
    /// (scaled to 0, pods not created yet). Filled only for budgets without pods.
    pub idle_templates: Vec<&'a Object>,
}

/// Pods (or templates) matched by more than one budget, per workload.
#[derive(Debug)]
pub(crate) struct Overlap<'a> {
    pub unit: &'a Object,
    pub budgets: Vec<&'a Object>,
    pub pods: usize,
    pub drain_skips: bool,
}

#[derive(Debug)]
pub(crate) struct Coverage<'a> {
    pub mode: Mode,
    pub budgets: Vec<Budget<'a>>,
    pub overlaps: Vec<Overlap<'a>>,
}

const SCALABLE: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"];
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
];
const MIRROR: &str = "kubernetes.io/config.mirror";

pub(crate) fn mode(ctx: &Context<'_>) -> Mode {
    if ctx.inventory.kind != SourceKind::Manifests && !ctx.index.of_kind("Pod").is_empty() {
        Mode::Pods
    } else {
        Mode::Templates
    }
}

/// What a check needs from [`coverage`]; the rest is not computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// Pods and units per budget (pdb-blocks-drain).
    Units,
    /// Only how many pods (or templates) each budget matches (pdb-no-match).
    Counts,
    /// Objects matched by several budgets (pdb-overlap).
    Overlaps,
}

/// Matches every budget against the pods (or templates) of its namespace: one pass over
/// the pods of each namespace that has budgets, and for each pod only the budgets keyed by
/// one of its labels (see [`Keyed`]), never all pods per budget.
pub(crate) fn coverage<'a>(ctx: &Context<'a>, want: Want) -> Coverage<'a> {
    let mode = mode(ctx);
    let mut budgets: Vec<Budget<'a>> = ctx
        .index
        .of_kind("PodDisruptionBudget")
        .iter()
        .map(|object| Budget {
            object,
            selector: BudgetSelector::read(object),
            matched: 0,
            pods: Vec::new(),
            units: Vec::new(),
            idle_templates: Vec::new(),
        })
        .collect();
    let mut by_namespace: HashMap<&'a str, Vec<usize>> = HashMap::default();
    let mut namespaces: Vec<&'a str> = Vec::new();
    for (i, b) in budgets.iter().enumerate() {
        if !matches!(b.selector, BudgetSelector::Parsed(_)) {
            continue; // matches nothing
        }
        let ns = namespace_of(b.object);
        by_namespace
            .entry(ns)
            .or_insert_with(|| {
                namespaces.push(ns);
                Vec::new()
            })
            .push(i);
    }
    let mut overlaps: Vec<Overlap<'a>> = Vec::new();
    if namespaces.is_empty() {
        return Coverage {
            mode,
            budgets,
            overlaps,
        };
    }
    let hpas = if want == Want::Units {
        autoscalers(ctx)
    } else {
        Default::default()
    };
    let mut candidates: Vec<(usize, bool)> = Vec::new();
    let mut matched: Vec<usize> = Vec::new();
    let mut overlap_keys: HashMap<(usize, Vec<usize>), usize> = HashMap::default();
    // (budget, owner) -> index in the budget's units, so that many pods stay linear.
    let mut unit_at: HashMap<(usize, usize), usize> = HashMap::default();
    let templates = (mode == Mode::Templates).then(|| templates_by_namespace(ctx));
    for ns in &namespaces {
        let keyed = Keyed::new(&budgets, by_namespace.get(ns).map_or(&[][..], Vec::as_slice));
        match &templates {
            None => {
                for pod in ctx.index.pods_in(ns) {
                    if is_terminal(pod) {
                        continue;
                    }
                    let labels = labels_of(pod.raw.root());
                    keyed.matching(&budgets, labels, &mut candidates, &mut matched);
                    if matched.is_empty() {
                        continue;
                    }
                    for i in &matched {
                        budgets[*i].matched += 1;
                    }
                    match want {
                        Want::Counts => {}
                        Want::Units => {
                            let (owner, drain_skips) = pod_owner(ctx, pod);
                            let scalable = SCALABLE.contains(&owner.kind.as_str());
                            for i in &matched {
                                let b = &mut budgets[*i];
                                b.pods.push(pod);
                                let key = (*i, std::ptr::from_ref(owner) as usize);
                                match unit_at.get(&key).and_then(|at| b.units.get_mut(*at)) {
                                    Some(u) => {
                                        u.pods += 1;
                                        if !scalable {
                                            u.count = u.count.map(|c| c + 1);
                                        }
                                    }
                                    None => {
                                        unit_at.insert(key, b.units.len());
                                        b.units.push(Unit {
                                            object: owner,
                                            pods: 1,
                                            count: if scalable {
                                                scale_of(owner, &hpas).replicas
                                            } else {
                                                Some(1)
                                            },
                                            drain_skips,
                                        });
                                    }
                                }
                            }
                        }
                        Want::Overlaps if matched.len() > 1 => {
                            let (owner, drain_skips) = pod_owner(ctx, pod);
                            let key = (std::ptr::from_ref(owner) as usize, matched.clone());
                            let at = *overlap_keys.entry(key).or_insert_with(|| {
                                overlaps.push(Overlap {
                                    unit: owner,
                                    budgets: matched.iter().map(|i| budgets[*i].object).collect(),
                                    pods: 0,
                                    drain_skips,
                                });
                                overlaps.len() - 1
                            });
                            if let Some(o) = overlaps.get_mut(at) {
                                o.pods += 1;
                            }
                        }
                        Want::Overlaps => {}
                    }
                }
            }
            Some(templates) => {
                for t in templates.get(ns).map_or(&[][..], Vec::as_slice) {
                    keyed.matching(&budgets, t.labels, &mut candidates, &mut matched);
                    if matched.is_empty() {
                        continue;
                    }
                    for i in &matched {
                        budgets[*i].matched += 1;
                    }
                    match want {
                        Want::Counts => {}
                        Want::Units => {
                            let count = t.count(&hpas);
                            for i in &matched {
                                budgets[*i].units.push(Unit {
                                    object: t.object,
                                    pods: 0,
                                    count,
                                    drain_skips: t.drain_skips,
                                });
                            }
                        }
                        Want::Overlaps if matched.len() > 1 => overlaps.push(Overlap {
                            unit: t.object,
                            budgets: matched.iter().map(|i| budgets[*i].object).collect(),
                            pods: 0,
                            drain_skips: t.drain_skips,
                        }),
                        Want::Overlaps => {}
                    }
                }
            }
        }
    }
    // pdb-no-match: budgets without pods may match a workload's template (scaled to 0).
    if want == Want::Counts && mode == Mode::Pods {
        let mut idle_by_ns: HashMap<&'a str, Vec<usize>> = HashMap::default();
        for i in by_namespace.values().flatten() {
            if budgets[*i].matched == 0 {
                idle_by_ns
                    .entry(namespace_of(budgets[*i].object))
                    .or_default()
                    .push(*i);
            }
        }
        if !idle_by_ns.is_empty() {
            let templates = templates_by_namespace(ctx);
            for (ns, idxs) in &idle_by_ns {
                let keyed = Keyed::new(&budgets, idxs);
                for t in templates.get(ns).map_or(&[][..], Vec::as_slice) {
                    keyed.matching(&budgets, t.labels, &mut candidates, &mut matched);
                    for i in &matched {
                        budgets[*i].idle_templates.push(t.object);
                    }
                }
            }
        }
    }
    Coverage {
        mode,
        budgets,
        overlaps,
    }
}

/// The budgets of one namespace, keyed for candidate lookup: a budget with `matchLabels` can
/// only match objects that carry its first `matchLabels` pair, so it is looked up by that
/// pair; budgets without `matchLabels` (expressions only, or `{}`) are candidates for all.
struct Keyed {
    /// label key -> label value -> (budget index, the pair is the budget's whole selector).
    keyed: HashMap<String, HashMap<String, Vec<(usize, bool)>>>,
    unkeyed: Vec<(usize, bool)>,
}

impl Keyed {
    fn new(budgets: &[Budget<'_>], idxs: &[usize]) -> Self {
        let mut keyed: HashMap<String, HashMap<String, Vec<(usize, bool)>>> = HashMap::default();
        let mut unkeyed = Vec::new();
        for i in idxs {
            let Some(b) = budgets.get(*i) else {
                continue;
            };
            let selector = b.object.raw.path(&["spec", "selector"]);
            let labels = selector
                .and_then(|s| s.get("matchLabels"))
                .and_then(Node::as_map)
                .unwrap_or_default();
            let expressions = selector
                .and_then(|s| s.get("matchExpressions"))
                .and_then(Node::as_seq)
                .is_some_and(|e| !e.is_empty());
            let first = labels
                .iter()
                .next()
                .and_then(|(k, v)| Some((k.to_string(), label_text(v)?.into_owned())));
            match first {
                Some((k, v)) => {
                    let whole = labels.len() == 1 && !expressions;
                    keyed
                        .entry(k)
                        .or_default()
                        .entry(v)
                        .or_default()
                        .push((*i, whole));
                }
                None => unkeyed.push((*i, false)),
            }
        }
        Self { keyed, unkeyed }
    }

    /// The budgets whose selector matches `labels`, in input order: candidates by label,
    /// checked with the full selector unless the label pair is the whole selector.
    fn matching(
        &self,
        budgets: &[Budget<'_>],
        labels: Option<Node<'_>>,
        candidates: &mut Vec<(usize, bool)>,
        out: &mut Vec<usize>,
    ) {
        candidates.clear();
        candidates.extend_from_slice(&self.unkeyed);
        if !self.keyed.is_empty() {
            for (k, _) in labels.and_then(Node::as_map).unwrap_or_default() {
                if let Some(by_value) = self.keyed.get(k)
                    // The effective value (the last of duplicate keys), as selectors read it.
                    && let Some(text) = labels.and_then(|l| l.get(k)).and_then(label_text)
                    && let Some(list) = by_value.get(text.as_ref())
                {
                    candidates.extend_from_slice(list);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        out.clear();
        out.extend(
            candidates
                .iter()
                .filter(|(i, whole)| *whole || budgets[*i].selector.matches(labels))
                .map(|(i, _)| *i),
        );
    }
}

/// A label value as text, as selectors compare it (YAML may have made `true` or `1` of it).
fn label_text(node: Node<'_>) -> Option<std::borrow::Cow<'_, str>> {
    match node.view() {
        View::Map(_) | View::Seq(_) | View::Null => None,
        _ => Some(node.as_str().map_or_else(
            || std::borrow::Cow::Owned(node.to_json().to_string()),
            std::borrow::Cow::Borrowed,
        )),
    }
}

/// A workload's pod template, for manifests.
struct Template<'a> {
    object: &'a Object,
    labels: Option<Node<'a>>,
    drain_skips: bool,
}

impl Template<'_> {
    fn count(&self, hpas: &Autoscalers<'_>) -> Option<i64> {
        if SCALABLE.contains(&self.object.kind.as_str()) {
            scale_of(self.object, hpas).replicas
        } else {
            Some(1)
        }
    }
}

fn templates_by_namespace<'a>(ctx: &Context<'a>) -> HashMap<&'a str, Vec<Template<'a>>> {
    let mut map: HashMap<&'a str, Vec<Template<'a>>> = HashMap::default();
    for kind in WORKLOADS {
        for object in ctx.index.of_kind(kind) {
            // ReplicaSets of a Deployment, Jobs of a CronJob, pods of any controller are
            // represented by their owner.
            if ctx
                .index
                .controller_of(object)
                .is_some_and(|o| WORKLOADS.contains(&o.kind.as_str()))
            {
                continue;
            }
            if *kind == "Pod" && is_terminal(object) {
                continue;
            }
            let labels = match *kind {
                "Pod" => labels_of(object.raw.root()),
                "CronJob" => {
                    object
                        .raw
                        .path(&["spec", "jobTemplate", "spec", "template", "metadata", "labels"])
                }
                _ => object.raw.path(&["spec", "template", "metadata", "labels"]),
            };
            map.entry(namespace_of(object)).or_default().push(Template {
                object,
                labels,
                drain_skips: *kind == "DaemonSet" || (*kind == "Pod" && object.annotation(MIRROR).is_some()),
            });
        }
    }
    map
}

/// Succeeded and Failed pods are deleted by a drain without asking any budget.
fn is_terminal(pod: &Object) -> bool {
    matches!(
        pod.raw.path(&["status", "phase"]).and_then(Node::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// The object a pod is reported under, and whether a drain skips the pod.
pub(crate) fn pod_owner<'a>(ctx: &Context<'a>, pod: &'a Object) -> (&'a Object, bool) {
    if pod.annotation(MIRROR).is_some() {
        return (pod, true);
    }
    let owner = ctx.index.top_owner_of(pod);
    if owner.kind == "Node" {
        return (pod, true);
    }
    let daemon = owner.kind == "DaemonSet"
        || pod
            .raw
            .path(&["metadata", "ownerReferences"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .any(|r| r.get("kind").and_then(Node::as_str) == Some("DaemonSet"));
    (owner, daemon)
}

/// `Deployment payment`, or `Pod payment-0` for a bare pod.
pub(crate) fn unit_name(object: &Object) -> String {
    format!("{} {}", object.kind, object.name)
}

// ---------------------------------------------------------------------------------------
// pdb-blocks-drain

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// `None` when absent; `Some(None)` when unreadable (`"abc"`, `"50.5%"`, `-1`).
    fn read(node: Option<Node<'_>>) -> Option<Option<Self>> {
        let node = node.filter(|n| !n.is_null())?;
        Some(match node.view() {
            View::Int(_) | View::UInt(_) => node.as_i64().filter(|v| *v >= 0).map(Self::Int),
            _ => node
                .as_str()
                .and_then(|s| s.trim().strip_suffix('%'))
                .and_then(|p| p.parse::<i64>().ok())
                .filter(|v| *v >= 0)
                .map(Self::Percent),
        })
    }

    /// The number of pods for `total`, rounded up as the disruption controller does.
    fn scaled(self, total: i64) -> i64 {
        match self {
            Self::Int(v) => v,
            Self::Percent(p) => (p.saturating_mul(total) + 99) / 100,
        }
    }
}

fn raw_text(node: Option<Node<'_>>) -> String {
    node.map_or_else(String::new, |n| {
        n.as_str()
            .map_or_else(|| n.to_json().to_string(), |s| format!("\"{s}\""))
    })
}

#[derive(Debug)]
enum Reason {
    /// Neither minAvailable nor maxUnavailable: the controller's expectedCount is 0.
    NoRule,
    /// maxUnavailable or a percentage minAvailable over pods none of which has a controller:
    /// expectedCount is 0 (unmanaged pods are left out of the scale).
    NoController,
    MaxUnavailableZero,
    MinAvailable(IntOrPercent),
    Status,
}

#[derive(Debug)]
struct Verdict {
    reason: Reason,
    /// Pods the budget covers (None: unknown).
    expected: Option<i64>,
    /// Pods that must stay up.
    required: Option<i64>,
    status: Option<PdbStatus>,
}

#[derive(Clone, Copy, Debug)]
struct PdbStatus {
    allowed: i64,
    current: Option<i64>,
    desired: Option<i64>,
    expected: Option<i64>,
}

fn status_of(budget: &Object) -> Option<PdbStatus> {
    let status = budget.raw.get("status")?;
    let get = |k: &str| status.get(k).and_then(Node::as_i64);
    Some(PdbStatus {
        allowed: get("disruptionsAllowed")?,
        current: get("currentHealthy"),
        desired: get("desiredHealthy"),
        expected: get("expectedPods"),
    })
}

fn verdict(ctx: &Context<'_>, budget: &Budget<'_>) -> Option<Verdict> {
    if !matches!(budget.selector, BudgetSelector::Parsed(_)) {
        return None;
    }
    let drained: Vec<&Unit<'_>> = budget.units.iter().filter(|u| !u.drain_skips).collect();
    if drained.is_empty() {
        return None;
    }
    let expected = drained
        .iter()
        .try_fold(0i64, |sum, u| u.count.map(|c| sum.saturating_add(c)));
    if expected == Some(0) {
        return None; // scaled to 0: nothing to evict
    }
    let status = (ctx.inventory.kind != SourceKind::Manifests)
        .then(|| status_of(budget.object))
        .flatten();
    let generation = budget
        .object
        .raw
        .path(&["metadata", "generation"])
        .and_then(Node::as_i64);
    let observed = budget
        .object
        .raw
        .path(&["status", "observedGeneration"])
        .and_then(Node::as_i64);
    let fresh = match (generation, observed) {
        (Some(g), Some(o)) => o >= g,
        _ => true,
    };
    if status.is_some_and(|s| s.allowed > 0) && fresh {
        return None; // the disruption controller allows disruptions now
    }
    let spec = budget.object.raw.get("spec");
    let max = IntOrPercent::read(spec.and_then(|s| s.get("maxUnavailable")));
    let min = IntOrPercent::read(spec.and_then(|s| s.get("minAvailable")));
    // The disruption controller publishes 0 allowed when expectedCount <= 0
    // (pkg/controller/disruption, updatePdbStatus). expectedCount is 0 without either field
    // (getExpectedPodCount sets nothing), and for maxUnavailable or a percentage
    // minAvailable when no selected pod has a controller (getExpectedScale skips them).
    if max.is_none() && min.is_none() {
        return Some(Verdict {
            reason: Reason::NoRule,
            expected: Some(0),
            required: Some(0),
            status,
        });
    }
    let scaled = max.is_some() || matches!(min, Some(Some(IntOrPercent::Percent(_))));
    // Only with every pod read: a selected pod not read may have a controller.
    if scaled && drained.iter().all(|u| is_bare_pod(u.object)) && ctx.known("", "Pod").is_complete() {
        return Some(Verdict {
            reason: Reason::NoController,
            expected: Some(0),
            required: Some(0),
            status,
        });
    }
    if let Some(Some(max)) = max
        && max.scaled(expected.unwrap_or(1)) == 0
    {
        return Some(Verdict {
            reason: Reason::MaxUnavailableZero,
            expected,
            required: expected,
            status,
        });
    }
    if let (Some(Some(min)), Some(expected)) = (min, expected) {
        let required = min.scaled(expected);
        if required >= expected {
            return Some(Verdict {
                reason: Reason::MinAvailable(min),
                expected: Some(expected),
                required: Some(required),
                status,
            });
        }
    }
    let s = status?;
    let all_healthy = match (s.current, s.expected) {
        (Some(c), Some(e)) => e > 0 && c >= e && s.desired.is_none_or(|d| c >= d),
        _ => false,
    };
    (s.allowed == 0 && all_healthy && fresh).then_some(Verdict {
        reason: Reason::Status,
        expected: s.expected,
        required: s.desired,
        status,
    })
}

/// A pod without a controller owner reference: read from the pod itself, not from the
/// inventory, so that a pod whose ReplicaSet is only missing from an export still counts
/// as managed.
fn is_bare_pod(object: &Object) -> bool {
    object.kind == "Pod"
        && !object
            .raw
            .path(&["metadata", "ownerReferences"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .any(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
}

/// The replicas at which `min` (a percentage below 100) lets one pod go.
fn replicas_for_percent(p: i64, from: i64) -> Option<i64> {
    (from + 1..=from + 1000).find(|n| IntOrPercent::Percent(p).scaled(*n) < *n)
}

fn blocked(budget: &Budget<'_>, v: &Verdict) -> Finding {
    let object = budget.object;
    let ns = namespace_of(object);
    let name = &object.name;
    let spec = object.raw.get("spec");
    let drained: Vec<&Unit<'_>> = budget.units.iter().filter(|u| !u.drain_skips).collect();
    let covered: Vec<String> = drained
        .iter()
        .map(|u| match (SCALABLE.contains(&u.object.kind.as_str()), u.count) {
            (true, Some(n)) => format!("{} ({n} replica{})", unit_name(u.object), plural(n)),
            (true, None) => format!("{} (replicas unreadable)", unit_name(u.object)),
            (false, _) if u.pods > 1 => format!("{} ({} pods)", unit_name(u.object), u.pods),
            _ => unit_name(u.object),
        })
        .collect();
    let covered_text = name_list(&covered, 4);
    let scalable: Vec<&Unit<'_>> = drained
        .iter()
        .copied()
        .filter(|u| SCALABLE.contains(&u.object.kind.as_str()))
        .collect();
    let single_workload = match (drained.len(), scalable.as_slice()) {
        (1, [only]) => Some(only.object),
        _ => None,
    };
    let expected = v.expected.map_or_else(|| "all".to_owned(), |e| e.to_string());
    // "2 of 3 pods", "1 of 1 pod": the noun agrees with the total.
    let pods_of_expected = format!(
        "{expected} {}",
        if v.expected == Some(1) { "pod" } else { "pods" }
    );
    let required = v.required.map_or_else(|| "all".to_owned(), |r| r.to_string());
    let evictions = " The Eviction API refuses every eviction of these pods (\"Cannot evict pod as it would violate the pod's disruption budget.\"): kubectl drain retries until it times out and the node never empties.";
    let mut details = BTreeMap::from([
        ("budget", format!("{ns}/{name}")),
        ("workloads", covered.join(", ")),
        ("expected_pods", expected.clone()),
        ("must_stay_up", required.clone()),
    ]);
    for (key, field) in [
        ("min_available", "minAvailable"),
        ("max_unavailable", "maxUnavailable"),
    ] {
        if let Some(n) = spec.and_then(|s| s.get(field)).filter(|n| !n.is_null()) {
            details.insert(key, raw_text(Some(n)).trim_matches('"').to_owned());
        }
    }
    if let Some(s) = v.status {
        details.insert("disruptions_allowed", s.allowed.to_string());
        if let Some(c) = s.current {
            details.insert("current_healthy", c.to_string());
        }
        if let Some(d) = s.desired {
            details.insert("desired_healthy", d.to_string());
        }
    }
    let scale_hint = |to: i64| match single_workload {
        Some(w) => format!("scale {} {ns}/{} to {to} replica{}", w.kind, w.name, plural(to)),
        None => format!("add replicas so that at least {to} pod{} run", plural(to)),
    };
    let none_at_all =
        " (the disruption controller's expected pod count is 0, and it publishes disruptionsAllowed: 0 then)";
    let (reason, message, remediation) = match &v.reason {
        Reason::NoRule => (
            "no-min-or-max",
            format!(
                "PodDisruptionBudget {ns}/{name} sets neither minAvailable nor maxUnavailable, so it allows no eviction at all of {covered_text}{none_at_all}.{evictions}"
            ),
            format!(
                "Set minAvailable or maxUnavailable on PodDisruptionBudget {ns}/{name} (maxUnavailable: 1 lets one pod go at a time), or delete the budget if nothing needs it."
            ),
        ),
        Reason::NoController => {
            let (field, raw) = match spec
                .and_then(|s| s.get("maxUnavailable"))
                .filter(|n| !n.is_null())
            {
                Some(n) => ("maxUnavailable", raw_text(Some(n))),
                None => ("minAvailable", raw_text(spec.and_then(|s| s.get("minAvailable")))),
            };
            (
                "no-controller",
                format!(
                    "PodDisruptionBudget {ns}/{name} has {field}: {}, which is counted against the replicas of the selected pods' controllers, but none of its pods ({covered_text}) has a controller: it allows no eviction at all{none_at_all}.{evictions}",
                    raw.trim_matches('"')
                ),
                format!(
                    "Run the pods from a controller (a Deployment or StatefulSet), or {} on PodDisruptionBudget {ns}/{name} (an integer minAvailable counts the selected pods themselves).",
                    if field == "minAvailable" {
                        "make its minAvailable an integer below the number of pods instead of a percentage"
                            .to_owned()
                    } else {
                        format!("set an integer minAvailable below the number of pods instead of {field}")
                    }
                ),
            )
        }
        Reason::MaxUnavailableZero => (
            "max-unavailable-zero",
            format!(
                "PodDisruptionBudget {ns}/{name} allows 0 disruptions: maxUnavailable: {} lets no pod of {covered_text} be evicted, so {} must stay up.{evictions}",
                raw_text(spec.and_then(|s| s.get("maxUnavailable"))).trim_matches('"'),
                // "all pods" when the count is unknown, not "all of all pods".
                if v.required.is_some() && v.expected.is_some() {
                    format!("{required} of {pods_of_expected}")
                } else {
                    "all of them".to_owned()
                }
            ),
            format!(
                "Set maxUnavailable: 1 on PodDisruptionBudget {ns}/{name} (a percentage such as \"25%\" works too: Kubernetes rounds it up to at least one pod)."
            ),
        ),
        Reason::MinAvailable(min) => {
            let raw = raw_text(spec.and_then(|s| s.get("minAvailable")));
            let raw = raw.trim_matches('"');
            let rounding = match min {
                IntOrPercent::Percent(p) => format!(
                    " ({p}% of {expected}, rounded up as the disruption controller does, is {required})"
                ),
                IntOrPercent::Int(_) => String::new(),
            };
            if v.expected == Some(1) {
                let remediation = match single_workload {
                    Some(w) => format!(
                        "Scale {} {ns}/{} to 2 replicas on different nodes (keeping minAvailable: 1), or set maxUnavailable: 1 on PodDisruptionBudget {ns}/{name} to accept its downtime while its node drains.",
                        w.kind, w.name
                    ),
                    None => format!(
                        "Run a second replica on another node, or set maxUnavailable: 1 on PodDisruptionBudget {ns}/{name} to accept the downtime while its node drains."
                    ),
                };
                (
                    "single-replica",
                    format!(
                        "PodDisruptionBudget {ns}/{name} allows 0 disruptions: minAvailable: {raw}{rounding} covers a single replica ({covered_text}), so its only pod must stay up.{evictions}"
                    ),
                    remediation,
                )
            } else {
                let target = match min {
                    IntOrPercent::Int(m) => Some(m.saturating_add(1)),
                    IntOrPercent::Percent(p) if *p < 100 => replicas_for_percent(*p, v.expected.unwrap_or(1)),
                    IntOrPercent::Percent(_) => None,
                };
                let remediation = match target {
                    Some(to) => format!(
                        "{} or set maxUnavailable: 1 instead of minAvailable: {raw} on PodDisruptionBudget {ns}/{name}.",
                        capitalize(&scale_hint(to))
                    ),
                    None => format!(
                        "Lower minAvailable below 100% or set maxUnavailable: 1 instead of minAvailable: {raw} on PodDisruptionBudget {ns}/{name}."
                    ),
                };
                (
                    "min-available",
                    format!(
                        "PodDisruptionBudget {ns}/{name} allows 0 disruptions: minAvailable: {raw}{rounding} over {covered_text}, so {required} of {pods_of_expected} must stay up.{evictions}"
                    ),
                    remediation,
                )
            }
        }
        Reason::Status => (
            "status",
            format!(
                "PodDisruptionBudget {ns}/{name} allows 0 disruptions (status.disruptionsAllowed: 0) although {} healthy: the disruption controller wants {required} of {pods_of_expected} up ({covered_text}).{evictions}",
                if v.expected == Some(1) {
                    "its only pod is".to_owned()
                } else {
                    format!("all {expected} of its pods are")
                }
            ),
            match spec
                .and_then(|s| s.get("maxUnavailable"))
                .filter(|n| !n.is_null())
            {
                // Already relaxed: then the controller could not count the pods' controller.
                Some(n) => format!(
                    "PodDisruptionBudget {ns}/{name} already sets maxUnavailable: {}, yet allows nothing: the disruption controller counts maxUnavailable against the replicas of the pods' controller, which it cannot read when that controller is a custom resource without a scale subresource. See its events (kubectl describe pdb {name} -n {ns}); an integer minAvailable below the number of pods counts the pods themselves.",
                    raw_text(Some(n)).trim_matches('"')
                ),
                None => format!(
                    "Relax PodDisruptionBudget {ns}/{name} (maxUnavailable: 1) or add replicas so that more pods are healthy than the budget requires."
                ),
            },
        ),
    };
    details.insert("reason", reason.to_owned());
    INFO.about(object)
        .title(format!("PodDisruptionBudget {ns}/{name} blocks drains"))
        .message(message)
        .fix(remediation)
        .evidence(if matches!(v.reason, Reason::Status) {
            "budget status"
        } else {
            "budget spec"
        })
        .details(details)
        .build()
}

const fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}
