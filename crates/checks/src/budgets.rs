//! What each PodDisruptionBudget covers, shared by pdb-blocks-drain, pdb-no-match and
//! pdb-overlap: how budgets are matched (pods or pod templates), the workloads they cover,
//! and the budget arithmetic (`minAvailable`/`maxUnavailable`, status) a drain applies.

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use mcp_diag_model::{Node, Object, SourceKind, View};

use crate::Context;
use crate::rules::scale::{Autoscalers, autoscalers, namespace_of, scale_of};
use crate::selector::{Selector, SelectorIndex, labels_of};

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
    /// What the selector matches. The budgets of a namespace with the same selector share
    /// one: it is computed once for them (a workload is not listed again per budget).
    pub covers: Arc<Covers<'a>>,
}

/// What a budget's selector matches in its namespace.
#[derive(Debug, Default)]
pub(crate) struct Covers<'a> {
    /// How many pods (pods mode, not terminal) or templates the selector matches.
    pub matched: usize,
    pub units: Vec<Unit<'a>>,
    /// Pods mode: workloads whose template matches although no pod does (scaled to 0, pods
    /// not created yet). Filled only for budgets without pods.
    pub idle_templates: Vec<&'a Object>,
}

/// Pods (or templates) matched by more than one budget, per workload.
#[derive(Debug)]
pub(crate) struct Overlap<'a> {
    pub unit: &'a Object,
    /// The budgets, in input order. One list per set of budgets, shared by every overlap
    /// of that set: equal sets are the same allocation (pdb-overlap groups by it).
    pub budgets: Arc<[&'a Object]>,
    pub pods: usize,
    pub drain_skips: bool,
}

#[derive(Debug)]
pub(crate) struct Coverage<'a> {
    pub mode: Mode,
    pub budgets: Vec<Budget<'a>>,
    pub overlaps: Vec<Overlap<'a>>,
}

pub(crate) const SCALABLE: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"];
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

/// What the budgets cover, computed once per inventory (the three pdb checks and every
/// hop of a plan share it): one pass over the pods (or templates) of each namespace that
/// has budgets, and for each pod only the budgets filed under one of its labels (see
/// [`SelectorIndex`]), never all pods per budget.
pub(crate) fn coverage<'a>(ctx: &Context<'a>) -> &'a Coverage<'a> {
    if let Some(done) = ctx.index.budgets.get() {
        return done;
    }
    // Computed outside the cell: the computation runs on the thread pool, and a worker that
    // waits inside `get_or_init` may pick up a check that asks for the same cell (a
    // re-entrant initialisation deadlocks). Two checks starting at once may both compute;
    // the first result is kept.
    let computed = compute(ctx);
    let _ = ctx.index.budgets.set(computed);
    ctx.index.budgets.get().expect("set just above")
}

/// The budgets of one namespace that have a selector, by selector: each class (budgets
/// with equal selectors, in input order) matches the same pods.
struct Namespace<'a> {
    name: &'a str,
    /// Budget indices per class; classes in the order of their first budget.
    classes: Vec<Vec<usize>>,
    /// Each class's selector.
    selectors: Vec<Selector>,
}

impl Namespace<'_> {
    /// The selectors of `classes`, filed for lookup by label: a selector's id is its
    /// position in `classes`.
    fn index(&self, classes: impl Iterator<Item = usize>) -> SelectorIndex {
        SelectorIndex::new(classes.map(|c| self.selectors[c].clone()).collect())
    }

    /// How many budgets the classes hold together.
    fn budget_count(&self, classes: &[usize]) -> usize {
        classes.iter().map(|c| self.classes[*c].len()).sum()
    }
}

/// What one namespace's pods (or templates) give its budgets.
struct Found<'a> {
    /// Per class of the namespace, in class order.
    classes: Vec<Covers<'a>>,
    overlaps: Vec<Overlap<'a>>,
}

fn compute<'a>(ctx: &Context<'a>) -> Coverage<'a> {
    let mode = mode(ctx);
    let none: Arc<Covers<'a>> = Arc::default();
    // Each budget's document read on its own, in parallel (on a large inventory, reading
    // them one after the other costs as much as matching them).
    let mut budgets: Vec<Budget<'a>> = ctx
        .index
        .of_kind("PodDisruptionBudget")
        .par_iter()
        .map(|object| Budget {
            object,
            selector: BudgetSelector::read(object),
            covers: Arc::clone(&none),
        })
        .collect();
    let mut namespaces: Vec<Namespace<'a>> = Vec::new();
    {
        let mut ns_at: HashMap<&'a str, usize> = HashMap::default();
        let mut class_at: HashMap<(usize, &Selector), usize> = HashMap::default();
        for (i, b) in budgets.iter().enumerate() {
            let BudgetSelector::Parsed(selector) = &b.selector else {
                continue; // matches nothing
            };
            let name = namespace_of(b.object);
            let n = *ns_at.entry(name).or_insert_with(|| {
                namespaces.push(Namespace {
                    name,
                    classes: Vec::new(),
                    selectors: Vec::new(),
                });
                namespaces.len() - 1
            });
            let ns = &mut namespaces[n];
            let c = *class_at.entry((n, selector)).or_insert_with(|| {
                ns.classes.push(Vec::new());
                ns.selectors.push(selector.clone());
                ns.classes.len() - 1
            });
            ns.classes[c].push(i);
        }
    }
    let mut overlaps: Vec<Overlap<'a>> = Vec::new();
    if namespaces.is_empty() {
        return Coverage {
            mode,
            budgets,
            overlaps,
        };
    }
    // Templates: what manifests are matched by, and in pods mode what a budget without pods
    // may still match (read only when such a budget exists, after the pods).
    let templates = (mode == Mode::Templates).then(|| templates_by_namespace(ctx));
    let shared = Shared {
        ctx,
        mode,
        hpas: autoscalers(ctx),
        templates: templates.as_ref(),
    };
    // A budget matches only in its own namespace: the namespaces are independent, read in
    // parallel, and merged in the order their budgets appear.
    let mut found: Vec<Found<'a>> = namespaces
        .par_iter()
        .map(|ns| shared.namespace(&budgets, ns))
        .collect();
    if mode == Mode::Pods && found.iter().any(|f| f.classes.iter().any(|c| c.matched == 0)) {
        // pdb-no-match: budgets without pods may match a workload's template (scaled to 0).
        let templates = templates_by_namespace(ctx);
        found.par_iter_mut().zip(&namespaces).for_each(|(f, ns)| {
            let templates = templates.get(ns.name).map_or(&[][..], Vec::as_slice);
            f.idle(ns, templates);
        });
    }
    for (f, ns) in found.into_iter().zip(&namespaces) {
        for (covers, members) in f.classes.into_iter().zip(&ns.classes) {
            let covers = Arc::new(covers);
            for i in members {
                budgets[*i].covers = Arc::clone(&covers);
            }
        }
        overlaps.extend(f.overlaps);
    }
    Coverage {
        mode,
        budgets,
        overlaps,
    }
}

/// What every namespace's computation reads.
struct Shared<'c, 'a> {
    ctx: &'c Context<'a>,
    mode: Mode,
    hpas: Autoscalers<'a>,
    /// The workloads' templates by namespace, in templates mode.
    templates: Option<&'c HashMap<&'a str, Vec<Template<'a>>>>,
}

/// The budget lists of a namespace's overlaps, one per set of classes.
#[derive(Default)]
struct BudgetSets<'a> {
    sets: HashMap<Vec<usize>, Arc<[&'a Object]>>,
}

impl<'a> BudgetSets<'a> {
    /// The budgets of `classes` (ascending), in input order.
    fn of(&mut self, budgets: &[Budget<'a>], ns: &Namespace<'_>, classes: &[usize]) -> Arc<[&'a Object]> {
        if let Some(set) = self.sets.get(classes) {
            return Arc::clone(set);
        }
        let mut members: Vec<usize> = classes
            .iter()
            .flat_map(|c| ns.classes[*c].iter().copied())
            .collect();
        members.sort_unstable();
        let set: Arc<[&'a Object]> = members.iter().map(|i| budgets[*i].object).collect();
        self.sets.insert(classes.to_vec(), Arc::clone(&set));
        set
    }
}

impl<'a> Shared<'_, 'a> {
    /// The coverage of the budgets of `ns`, per class.
    fn namespace(&self, budgets: &[Budget<'a>], ns: &Namespace<'a>) -> Found<'a> {
        let ctx = self.ctx;
        let hpas = &self.hpas;
        let mut found = Found {
            classes: ns.classes.iter().map(|_| Covers::default()).collect(),
            overlaps: Vec::new(),
        };
        // The classes whose selector matches.
        let mut matched: Vec<usize> = Vec::new();
        let mut sets = BudgetSets::default();
        let index = ns.index(0..ns.classes.len());
        if self.mode == Mode::Templates {
            let templates = self
                .templates
                .and_then(|m| m.get(ns.name))
                .map_or(&[][..], Vec::as_slice);
            for t in templates {
                index.matching_into(t.labels, &mut matched);
                if matched.is_empty() {
                    continue;
                }
                let count = t.count(hpas);
                for c in &matched {
                    let covers = &mut found.classes[*c];
                    covers.matched += 1;
                    covers.units.push(Unit {
                        object: t.object,
                        pods: 0,
                        count,
                        drain_skips: t.drain_skips,
                    });
                }
                if ns.budget_count(&matched) > 1 {
                    found.overlaps.push(Overlap {
                        unit: t.object,
                        budgets: sets.of(budgets, ns, &matched),
                        pods: 0,
                        drain_skips: t.drain_skips,
                    });
                }
            }
            return found;
        }
        // (owner, classes) -> index in the overlaps.
        let mut overlap_keys: HashMap<(usize, Vec<usize>), usize> = HashMap::default();
        // (class, owner) -> index in the class's units, so that many pods stay linear.
        let mut unit_at: HashMap<(usize, usize), usize> = HashMap::default();
        for pod in ctx.index.pods_in(ns.name) {
            if is_terminal(pod) {
                continue;
            }
            index.matching_into(labels_of(pod.raw.root()), &mut matched);
            if matched.is_empty() {
                continue;
            }
            let (owner, drain_skips) = pod_owner(ctx, pod);
            let scalable = SCALABLE.contains(&owner.kind.as_str());
            for c in &matched {
                let covers = &mut found.classes[*c];
                covers.matched += 1;
                let units = &mut covers.units;
                let key = (*c, std::ptr::from_ref(owner) as usize);
                match unit_at.get(&key).and_then(|at| units.get_mut(*at)) {
                    Some(u) => {
                        u.pods += 1;
                        if !scalable {
                            u.count = u.count.map(|c| c + 1);
                        }
                    }
                    None => {
                        unit_at.insert(key, units.len());
                        units.push(Unit {
                            object: owner,
                            pods: 1,
                            count: if scalable {
                                scale_of(owner, hpas).replicas
                            } else {
                                Some(1)
                            },
                            drain_skips,
                        });
                    }
                }
            }
            if ns.budget_count(&matched) > 1 {
                let key = (std::ptr::from_ref(owner) as usize, matched.clone());
                let overlaps = &mut found.overlaps;
                let at = *overlap_keys.entry(key).or_insert_with(|| {
                    overlaps.push(Overlap {
                        unit: owner,
                        budgets: sets.of(budgets, ns, &matched),
                        pods: 0,
                        drain_skips,
                    });
                    overlaps.len() - 1
                });
                if let Some(o) = overlaps.get_mut(at) {
                    o.pods += 1;
                }
            }
        }
        found
    }
}

impl<'a> Found<'a> {
    /// The templates that the namespace's classes without pods match.
    fn idle(&mut self, ns: &Namespace<'_>, templates: &[Template<'a>]) {
        let idle: Vec<usize> = (0..self.classes.len())
            .filter(|c| self.classes[*c].matched == 0)
            .collect();
        if idle.is_empty() {
            return;
        }
        let index = ns.index(idle.iter().copied());
        let mut matched = Vec::new();
        for t in templates {
            index.matching_into(t.labels, &mut matched);
            for at in &matched {
                self.classes[idle[*at]].idle_templates.push(t.object);
            }
        }
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
    // Each workload read on its own, in parallel; filed by namespace in input order.
    let read: Vec<Vec<Template<'a>>> = WORKLOADS
        .par_iter()
        .map(|kind| {
            ctx.index
                .of_kind(kind)
                .par_iter()
                .filter_map(|object| template_of(ctx, kind, object))
                .collect()
        })
        .collect();
    let mut map: HashMap<&'a str, Vec<Template<'a>>> = HashMap::default();
    for t in read.into_iter().flatten() {
        map.entry(namespace_of(t.object)).or_default().push(t);
    }
    map
}

/// A workload's pod template as budgets match it; `None` for what its owner stands for
/// (ReplicaSets of a Deployment, Jobs of a CronJob, pods of any controller) and for pods
/// that have ended.
fn template_of<'a>(ctx: &Context<'a>, kind: &str, object: &'a Object) -> Option<Template<'a>> {
    if ctx
        .index
        .controller_of(object)
        .is_some_and(|o| WORKLOADS.contains(&o.kind.as_str()))
    {
        return None;
    }
    if kind == "Pod" && is_terminal(object) {
        return None;
    }
    let labels = match kind {
        "Pod" => labels_of(object.raw.root()),
        "CronJob" => object
            .raw
            .path(&["spec", "jobTemplate", "spec", "template", "metadata", "labels"]),
        _ => object.raw.path(&["spec", "template", "metadata", "labels"]),
    };
    Some(Template {
        object,
        labels,
        drain_skips: kind == "DaemonSet" || (kind == "Pod" && object.annotation(MIRROR).is_some()),
    })
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
fn push_unit_name(text: &mut String, object: &Object) {
    text.push_str(&object.kind);
    text.push(' ');
    text.push_str(&object.name);
}

/// The covered workloads as a list, each with what a drain counts of it (`Deployment web
/// (3 replicas)`, `Pod db-0`): all of them, and the first `limit` with how many more (`A, B
/// and 1 more`). Written into one buffer without `format!`: a budget over many workloads
/// lists each of them, and on a large inventory this was most of pdb-blocks-drain's time.
pub(crate) fn unit_list(units: &[&Unit<'_>], limit: usize) -> (String, String) {
    // Sized for the usual `Deployment name (3 replicas), ` so that it rarely grows.
    let mut all = String::with_capacity(
        units
            .iter()
            .map(|u| u.object.kind.len() + u.object.name.len() + 18)
            .sum(),
    );
    let mut shown = 0;
    for (i, unit) in units.iter().enumerate() {
        if i > 0 {
            all.push_str(", ");
        }
        push_unit_text(&mut all, unit);
        if i < limit {
            shown = all.len();
        }
    }
    let mut short = all[..shown].to_owned();
    if units.len() > limit {
        short.push_str(" and ");
        short.push_str(itoa::Buffer::new().format(units.len() - limit));
        short.push_str(" more");
    }
    (all, short)
}

fn push_unit_text(text: &mut String, unit: &Unit<'_>) {
    let object = unit.object;
    push_unit_name(text, object);
    let mut number = itoa::Buffer::new();
    match (SCALABLE.contains(&object.kind.as_str()), unit.count) {
        (true, Some(n)) => {
            text.push_str(" (");
            text.push_str(number.format(n));
            text.push_str(if n == 1 { " replica)" } else { " replicas)" });
        }
        (true, None) => text.push_str(" (replicas unreadable)"),
        (false, _) if unit.pods > 1 => {
            text.push_str(" (");
            text.push_str(number.format(unit.pods));
            text.push_str(" pods)");
        }
        _ => {}
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// `None` when absent; `Some(None)` when unreadable (`"abc"`, `"50.5%"`, `-1`).
    pub(crate) fn read(node: Option<Node<'_>>) -> Option<Option<Self>> {
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
    pub(crate) fn scaled(self, total: i64) -> i64 {
        match self {
            Self::Int(v) => v,
            Self::Percent(p) => (p.saturating_mul(total) + 99) / 100,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PdbStatus {
    pub allowed: i64,
    pub current: Option<i64>,
    pub desired: Option<i64>,
    pub expected: Option<i64>,
}

pub(crate) fn status_of(budget: &Object) -> Option<PdbStatus> {
    let status = budget.raw.get("status")?;
    let get = |k: &str| status.get(k).and_then(Node::as_i64);
    Some(PdbStatus {
        allowed: get("disruptionsAllowed")?,
        current: get("currentHealthy"),
        desired: get("desiredHealthy"),
        expected: get("expectedPods"),
    })
}

/// A pod without a controller owner reference: read from the pod itself, not from the
/// inventory, so that a pod whose ReplicaSet is only missing from an export still counts
/// as managed.
pub(crate) fn is_bare_pod(object: &Object) -> bool {
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
pub(crate) fn replicas_for_percent(p: i64, from: i64) -> Option<i64> {
    (from + 1..=from + 1000).find(|n| IntOrPercent::Percent(p).scaled(*n) < *n)
}

/// A field as written: a string quoted, anything else as JSON; empty when absent.
pub(crate) fn raw_text(node: Option<Node<'_>>) -> String {
    node.map_or_else(String::new, |n| {
        n.as_str()
            .map_or_else(|| n.to_json().to_string(), |s| format!("\"{s}\""))
    })
}

#[cfg(test)]
mod tests;
