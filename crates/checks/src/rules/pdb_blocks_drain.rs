use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::budgets::{
    Budget, BudgetSelector, Covers, IntOrPercent, PdbStatus, SCALABLE, Unit, coverage, is_bare_pod, raw_text,
    replicas_for_percent, status_of, unit_list,
};
use crate::rules::scale::namespace_of;
use crate::words::{capitalize, plural_i64 as plural};
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
        let coverage = coverage(ctx);
        // Budgets with the same selector share what they cover: it is summed, and its
        // workloads listed, once for all of them.
        let mut at: HashMap<usize, usize> = HashMap::default();
        let mut shared: Vec<&Covers<'_>> = Vec::new();
        let class: Vec<usize> = coverage
            .budgets
            .iter()
            .map(|b| {
                *at.entry(Arc::as_ptr(&b.covers) as usize).or_insert_with(|| {
                    shared.push(&b.covers);
                    shared.len() - 1
                })
            })
            .collect();
        let drained: Vec<Drained<'_, '_>> = shared.par_iter().map(|c| Drained::new(c)).collect();
        // In parallel: on a large inventory this check would otherwise finish last, alone
        // on one core.
        coverage
            .budgets
            .par_iter()
            .zip(&class)
            .filter_map(|(b, c)| {
                let d = &drained[*c];
                verdict(ctx, b, d).map(|v| blocked(b, d, &v))
            })
            .collect()
    }
}

/// The workloads a budget covers that a drain evicts, and what it counts of them.
struct Drained<'c, 'a> {
    units: Vec<&'c Unit<'a>>,
    /// The pods they add up to (`None`: some workload's replicas are unreadable).
    expected: Option<i64>,
    /// The one workload, when it is a single scalable one (the fix names it).
    single_workload: Option<&'a Object>,
    /// Every one is a bare pod.
    all_bare: bool,
    /// [`unit_list`] of them, written the first time a budget over them blocks.
    listed: OnceLock<(String, String)>,
}

impl<'c, 'a> Drained<'c, 'a> {
    fn new(covers: &'c Covers<'a>) -> Self {
        let units: Vec<&Unit<'a>> = covers.units.iter().filter(|u| !u.drain_skips).collect();
        let expected = units
            .iter()
            .try_fold(0i64, |sum, u| u.count.map(|c| sum.saturating_add(c)));
        let single_workload = match units.as_slice() {
            [only] if SCALABLE.contains(&only.object.kind.as_str()) => Some(only.object),
            _ => None,
        };
        let all_bare = units.iter().all(|u| is_bare_pod(u.object));
        Self {
            units,
            expected,
            single_workload,
            all_bare,
            listed: OnceLock::new(),
        }
    }

    /// All of them, and the first four with how many more.
    fn listed(&self) -> &(String, String) {
        self.listed.get_or_init(|| unit_list(&self.units, 4))
    }
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

fn verdict(ctx: &Context<'_>, budget: &Budget<'_>, drained: &Drained<'_, '_>) -> Option<Verdict> {
    if !matches!(budget.selector, BudgetSelector::Parsed(_)) {
        return None;
    }
    if drained.units.is_empty() {
        return None;
    }
    let expected = drained.expected;
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
    if scaled && drained.all_bare && ctx.known("", "Pod").is_complete() {
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

fn blocked(budget: &Budget<'_>, drained: &Drained<'_, '_>, v: &Verdict) -> Finding {
    let object = budget.object;
    let ns = namespace_of(object);
    let name = &object.name;
    let spec = object.raw.get("spec");
    let (covered, covered_text) = drained.listed();
    let single_workload = drained.single_workload;
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
        ("workloads", covered.clone()),
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
