use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};

use crate::rules::pdb_blocks_drain::{Mode, Overlap, coverage};
use crate::rules::skew_kubelet::finding;
use crate::rules::workload_single_replica::namespace_of;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pdb-overlap",
    severity: Severity::High,
    title: "Pod matched by more than one PodDisruptionBudget",
    doc: r#"## What it checks
Pods matched by the selectors of two or more PodDisruptionBudgets of their namespace
(snapshots), or pod templates matched by two or more budgets (manifests). One finding per
workload (the controller at the top of the pods' ownership chain, or the bare pod), naming
the budgets. A `policy/v1` budget with an empty selector `{}` matches every pod of its
namespace and overlaps with every other budget there. DaemonSet and mirror pods, which
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
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.index.of_kind("PodDisruptionBudget").len() < 2 {
            return Vec::new();
        }
        let coverage = coverage(ctx);
        coverage
            .overlaps
            .iter()
            .map(|o| overlap(coverage.mode, o))
            .collect()
    }
}

fn overlap(mode: Mode, o: &Overlap<'_>) -> Finding {
    let unit = o.unit;
    let ns = namespace_of(unit);
    let names: Vec<String> = o.budgets.iter().map(|b| format!("{ns}/{}", b.name)).collect();
    let listed = match names.as_slice() {
        [a, b] => format!("{a} and {b}"),
        _ => names.join(", "),
    };
    let whose = match (mode, unit.kind.as_str()) {
        (Mode::Templates, _) => format!("The pod template of {} {ns}/{}", unit.kind, unit.name),
        (Mode::Pods, "Pod") => format!("Pod {ns}/{}", unit.name),
        (Mode::Pods, _) => format!(
            "{} pod{} of {} {ns}/{}",
            o.pods,
            if o.pods == 1 { "" } else { "s" },
            unit.kind,
            unit.name
        ),
    };
    let verb = if mode == Mode::Pods && o.pods > 1 {
        "are"
    } else {
        "is"
    };
    let (severity, consequence) = if o.drain_skips {
        (
            Severity::Low,
            " kubectl drain does not evict DaemonSet and mirror pods, so drains go on, but every other eviction of these pods (cluster autoscaler, descheduler) fails.".to_owned(),
        )
    } else {
        (
            INFO.severity,
            " Such a pod can never be evicted: kubectl drain retries until it times out and its node never empties.".to_owned(),
        )
    };
    let details = BTreeMap::from([
        ("workload", format!("{} {ns}/{}", unit.kind, unit.name)),
        ("budgets", names.join(", ")),
        ("pods", o.pods.to_string()),
    ]);
    finding(
        &INFO,
        severity,
        format!(
            "{} {ns}/{} is covered by {} PodDisruptionBudgets",
            unit.kind,
            unit.name,
            o.budgets.len()
        ),
        Some(unit),
        format!(
            "{whose} {verb} matched by {} PodDisruptionBudgets: {listed}. The Eviction API refuses to evict a pod covered by more than one budget, whatever they allow: \"This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.\" (HTTP 500).{consequence}",
            o.budgets.len()
        ),
        format!(
            "Make the selectors of {listed} disjoint so that each pod of {} {} is covered by exactly one budget: narrow the broader one (an extra label, or a NotIn expression excluding this workload) or delete one of them.",
            unit.kind, unit.name
        ),
        Some(match mode {
            Mode::Pods => "pod labels and budget selectors",
            Mode::Templates => "pod templates and budget selectors",
        }),
        details,
    )
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity, SourceKind};

    use super::*;
    use crate::rules::pdb_blocks_drain::test_util::{budget, deployment, run_on};
    use crate::rules::test_support::run_check;

    fn snapshot(yaml: &str) -> Vec<Finding> {
        run_check(INFO.id, yaml, Minor::new(1, 30), Some(Minor::new(1, 29)))
    }

    const SHOP_WIDE: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: shop-wide, namespace: shop}\nspec: {maxUnavailable: 1, selector: {}}\n---\n";

    #[test]
    fn two_budgets_over_one_deployment() {
        let yaml = deployment("shop", "web", "  replicas: 3\n", 3)
            + &budget("shop", "web", "web", "maxUnavailable: 1", "")
            + SHOP_WIDE;
        let f = snapshot(&yaml);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::High);
        assert!(
            f[0].message.starts_with(
                "3 pods of Deployment shop/web are matched by 2 PodDisruptionBudgets: shop/web and shop/shop-wide."
            ),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("more than one PodDisruptionBudget"));
        assert_eq!(f[0].object.as_ref().unwrap().kind, "Deployment");
        assert_eq!(f[0].details["budgets"], "shop/web, shop/shop-wide");
        let f = run_on(&PdbOverlap, &yaml, SourceKind::Manifests);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("The pod template of Deployment shop/web"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn nearest_negative_disjoint_budgets() {
        let yaml = deployment("shop", "web", "  replicas: 3\n", 3)
            + &deployment("shop", "api", "  replicas: 3\n", 3)
            + &budget("shop", "web", "web", "maxUnavailable: 1", "")
            + &budget("shop", "api", "api", "maxUnavailable: 1", "");
        assert!(snapshot(&yaml).is_empty());
        assert!(run_on(&PdbOverlap, &yaml, SourceKind::Manifests).is_empty());
        // The same budget twice in another namespace does not overlap.
        let yaml = deployment("shop", "web", "  replicas: 3\n", 3)
            + &budget("shop", "web", "web", "maxUnavailable: 1", "")
            + &budget("other", "web", "web", "maxUnavailable: 1", "");
        assert!(snapshot(&yaml).is_empty());
    }

    #[test]
    fn bare_pods_daemonsets_and_bad_selectors() {
        let pod =
            "apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: shop, labels: {app: web}}\n---\n";
        let yaml = pod.to_owned() + &budget("shop", "web", "web", "maxUnavailable: 1", "") + SHOP_WIDE;
        let f = snapshot(&yaml);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("Pod shop/lonely is matched"),
            "{}",
            f[0].message
        );
        let ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop, uid: ds1}\nspec: {template: {metadata: {labels: {app: agent}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: agent-x\n  namespace: shop\n  labels: {app: agent}\n  ownerReferences: [{kind: DaemonSet, name: agent, uid: ds1, controller: true}]\n---\n";
        let yaml = ds.to_owned() + &budget("shop", "agent", "agent", "maxUnavailable: 1", "") + SHOP_WIDE;
        let f = snapshot(&yaml);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        // Budgets without usable selectors match nothing, so they overlap with nothing.
        let broken = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: b, namespace: shop}\nspec: {selector: [1]}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: c, namespace: shop}\n";
        let yaml = pod.to_owned() + &budget("shop", "web", "web", "maxUnavailable: 1", "") + broken;
        assert!(snapshot(&yaml).is_empty());
    }
}
