use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mcp_diag_model::{Finding, Severity};

use crate::budgets::{Mode, Overlap, coverage};
use crate::rules::workload_single_replica::namespace_of;
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pdb-overlap",
    severity: Severity::High,
    title: "Pod matched by more than one PodDisruptionBudget",
    doc: r#"## What it checks
Pods matched by the selectors of two or more PodDisruptionBudgets of their namespace
(snapshots), or pod templates matched by two or more budgets (manifests). One finding per
set of budgets, naming them and the workloads whose pods they cover (the controller at the
top of the pods' ownership chain, or the bare pod). A `policy/v1` budget with an empty
selector `{}` matches every pod of its namespace and overlaps with every other budget there. DaemonSet and mirror pods, which
`kubectl drain` does not evict, are reported as `low`.

## Why it matters
The Eviction API does not arbitrate between budgets: for a pod covered by more than one it
answers HTTP 500 "This pod has more than one PodDisruptionBudget, which the eviction
subresource does not support." (kube-apiserver, `pkg/registry/core/pod/storage/eviction.go`),
whatever the budgets allow. The pod can never be evicted, so `kubectl drain`, node-group
upgrades and the cluster autoscaler all stop on its node.

## Example
Deployment `shop/web` is matched by PodDisruptionBudget `shop/web` (`app: web`) and by
`shop/shop-wide` (`part-of: shop`): no web pod can be evicted.

## Fix
Make the selectors disjoint so that each pod is covered by exactly one budget: narrow the
broader budget (add a label or a `NotIn` expression that excludes the other workload), or
delete one of them.
"#,
};

pub struct PdbOverlap;

impl Check for PdbOverlap {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.index.of_kind("PodDisruptionBudget").len() < 2 {
            return Vec::new();
        }
        let coverage = coverage(ctx);
        // One finding per set of budgets (and drain treatment): the fix is on the budgets,
        // and the finding names every workload the set covers.
        let mut groups: Vec<Vec<&Overlap<'_>>> = Vec::new();
        // Overlaps of the same set of budgets share its list (see `Overlap::budgets`).
        let mut keys: HashMap<(usize, bool), usize> = HashMap::new();
        for o in &coverage.overlaps {
            let key = (Arc::as_ptr(&o.budgets).cast::<()>() as usize, o.drain_skips);
            let at = *keys.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(g) = groups.get_mut(at) {
                g.push(o);
            }
        }
        groups.iter().filter_map(|g| overlap(coverage.mode, g)).collect()
    }
}

fn overlap(mode: Mode, group: &[&Overlap<'_>]) -> Option<Finding> {
    let first = group.first()?;
    let unit = first.unit;
    let ns = namespace_of(unit);
    let count = first.budgets.len();
    let names: Vec<String> = first.budgets.iter().map(|b| format!("{ns}/{}", b.name)).collect();
    let listed = match names.as_slice() {
        [a, b] => format!("{a} and {b}"),
        _ => name_list(&names, 4),
    };
    let describe = |o: &Overlap<'_>| match (mode, o.unit.kind.as_str()) {
        (Mode::Templates, _) => format!("{} {ns}/{}", o.unit.kind, o.unit.name),
        (Mode::Pods, "Pod") => format!("Pod {ns}/{}", o.unit.name),
        (Mode::Pods, _) => format!(
            "{} pod{} of {} {ns}/{}",
            o.pods,
            if o.pods == 1 { "" } else { "s" },
            o.unit.kind,
            o.unit.name
        ),
    };
    let described: Vec<String> = group.iter().map(|o| describe(o)).collect();
    let pods: usize = group.iter().map(|o| o.pods).sum();
    let whose = match (mode, group.len()) {
        (Mode::Templates, 1) => format!("The pod template of {}", described.join("")),
        (Mode::Templates, _) => format!("The pod templates of {}", name_list(&described, 4)),
        (Mode::Pods, _) => name_list(&described, 4),
    };
    let verb = if group.len() > 1 || (mode == Mode::Pods && pods > 1) {
        "are"
    } else {
        "is"
    };
    let (severity, consequence) = if first.drain_skips {
        (
            Severity::Low,
            " kubectl drain does not evict DaemonSet and mirror pods, so drains go on, but every other eviction of these pods (cluster autoscaler, descheduler) fails.",
        )
    } else {
        (
            INFO.severity,
            " Such a pod can never be evicted: kubectl drain retries until it times out and its node never empties.",
        )
    };
    let workloads: Vec<String> = group
        .iter()
        .map(|o| format!("{} {ns}/{}", o.unit.kind, o.unit.name))
        .collect();
    let mut details = BTreeMap::from([
        ("workload", workloads.first().cloned().unwrap_or_default()),
        ("budgets", names.join(", ")),
        ("budget_count", count.to_string()),
    ]);
    if group.len() > 1 {
        details.insert("workloads", workloads.join(", "));
    }
    if mode == Mode::Pods {
        details.insert("pods", pods.to_string());
    }
    let title = if group.len() == 1 {
        format!(
            "{} {ns}/{} is covered by {count} PodDisruptionBudgets",
            unit.kind, unit.name
        )
    } else {
        format!(
            "{} {ns}/{} and {} more workload{} are covered by {count} PodDisruptionBudgets",
            unit.kind,
            unit.name,
            group.len() - 1,
            if group.len() == 2 { "" } else { "s" }
        )
    };
    let whom = if group.len() == 1 {
        format!("each pod of {} {}", unit.kind, unit.name)
    } else {
        "each pod".to_owned()
    };
    Some(
        INFO.about(unit)
            .severity(severity)
            .title(title)
            .message(format!(
                "{whose} {verb} matched by {count} PodDisruptionBudgets: {listed}. The Eviction API refuses to evict a pod covered by more than one budget, whatever they allow: \"This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.\" (HTTP 500).{consequence}"
            ))
            .fix(format!(
                "Make the selectors of {} disjoint so that {whom} is covered by exactly one budget: narrow the broader one (an extra label, or a NotIn expression excluding these pods) or delete one of them.",
                if count <= 3 {
                    listed.clone()
                } else {
                    format!("these {count} budgets")
                },
            ))
            .evidence(match mode {
                Mode::Pods => "pod labels and budget selectors",
                Mode::Templates => "pod templates and budget selectors",
            })
            .details(details)
            .build()
    )
}
