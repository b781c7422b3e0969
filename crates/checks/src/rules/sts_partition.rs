use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::rules::sts_ondelete::{replicas, strategy};
use crate::rules::workload_single_replica::namespace_of;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "sts-partition",
    severity: Severity::High,
    title: "StatefulSet rolling update held by a partition",
    doc: r#"## What it checks
Every StatefulSet with a `RollingUpdate` strategy (the default) whose
`spec.updateStrategy.rollingUpdate.partition` is above 0 (manifests and snapshots). Pods
with an ordinal below the partition are not updated. When the partition is at or above the
replicas, no pod is ever updated: `blocker`. In a snapshot the finding adds how many pods run
the update revision.

## Why it matters
A partition is a tool for staged (canary) rollouts; left in place it freezes part of the
StatefulSet on the old template. Changes needed for the upgrade (a new image that supports
the target release, a fixed probe) never reach those pods, and the drains recreate them from
the old revision. With the partition at or above the replicas nothing rolls out at all.

## Example
StatefulSet `data/postgres` with 3 replicas and `partition: 3`: the new image applied last
week runs on no pod.

## Fix
Finish the staged rollout: lower the partition step by step to 0
(`kubectl patch sts postgres -n data -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'`),
watching each updated pod become Ready, before the upgrade starts.
"#,
};

pub struct StsPartition;

impl Check for StsPartition {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.index
            .of_kind("StatefulSet")
            .iter()
            .filter_map(|s| partitioned(ctx, s))
            .collect()
    }
}

/// The partition of a RollingUpdate StatefulSet, when above 0.
pub(crate) fn partition(sts: &Object) -> Option<i64> {
    if strategy(sts).is_some_and(|t| t != "RollingUpdate") {
        return None;
    }
    sts.raw
        .path(&["spec", "updateStrategy", "rollingUpdate", "partition"])
        .and_then(Node::as_i64)
        .filter(|p| *p > 0)
}

fn partitioned(ctx: &Context<'_>, sts: &Object) -> Option<Finding> {
    let partition = partition(sts)?;
    let replicas = replicas(sts)?;
    if replicas <= 0 {
        return None;
    }
    let ns = namespace_of(sts);
    let name = &sts.name;
    let mut details = BTreeMap::from([
        ("partition", partition.to_string()),
        ("replicas", replicas.to_string()),
    ]);
    let all = partition >= replicas;
    let held = partition.min(replicas);
    let ordinals = if held == 1 {
        format!("{name}-0")
    } else {
        format!("{name}-0 to {name}-{}", held - 1)
    };
    let mut state = String::new();
    if ctx.inventory.kind != SourceKind::Manifests
        && let Some(updated) = sts
            .raw
            .path(&["status", "updatedReplicas"])
            .and_then(Node::as_i64)
    {
        details.insert("updated_replicas", updated.to_string());
        let current = sts
            .raw
            .path(&["status", "currentRevision"])
            .and_then(Node::as_str);
        let update = sts.raw.path(&["status", "updateRevision"]).and_then(Node::as_str);
        state = match (current, update) {
            (Some(c), Some(u)) if c != u => format!(
                " Right now {updated} of {} {} the update revision {u}; the others stay on {c}.",
                mcp_diag_model::plural(replicas, "pod", "pods"),
                if updated == 1 { "runs" } else { "run" }
            ),
            (Some(_), Some(_)) => {
                " Right now no change is pending, but the next one will be held the same way.".to_owned()
            }
            _ => format!(
                " Right now {updated} of {} {} the update revision.",
                mcp_diag_model::plural(replicas, "pod", "pods"),
                if updated == 1 { "runs" } else { "run" }
            ),
        };
    }
    let (severity, effect) = if all {
        (
            Severity::Blocker,
            format!(
                "the partition is at or above the {}, so no pod is ever updated",
                mcp_diag_model::plural(replicas, "replica", "replicas")
            ),
        )
    } else {
        (
            INFO.severity,
            format!("pods {ordinals} keep the old template; only ordinals {partition} and above are updated"),
        )
    };
    Some(
        INFO.about(sts)
            .severity(severity)
            .title(format!("StatefulSet {ns}/{name}: rolling update held by partition {partition}"))
            .message(format!(
                "StatefulSet {ns}/{name} has updateStrategy.rollingUpdate.partition: {partition} with {}: {effect}.{state} Template changes the upgrade needs do not reach these pods, and drains recreate them from the old revision.",
                mcp_diag_model::plural(replicas, "replica", "replicas")
            ))
            .fix(format!(
                "Finish the staged rollout before the upgrade: lower the partition of StatefulSet {ns}/{name} step by step to 0 (kubectl patch sts {name} -n {ns} -p '{{\"spec\":{{\"updateStrategy\":{{\"rollingUpdate\":{{\"partition\":0}}}}}}}}'), watching each updated pod become Ready."
            ))
            .evidence("spec.updateStrategy")
            .details(details)
            .build()
    )
}
