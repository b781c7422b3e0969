use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::rules::sts_ondelete::{replicas, strategy};
use crate::rules::sts_partition::partition;
use crate::rules::workload_single_replica::namespace_of;
use crate::workloads::StatusOf;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "sts-not-ready",
    severity: Severity::High,
    title: "StatefulSet not ready or with a half-finished rollout",
    doc: r#"## What it checks
The status of every StatefulSet in a snapshot or live cluster (manifests have no status and
are skipped):

- `status.readyReplicas` below `spec.replicas`;
- a rollout left half-finished: `status.currentRevision` differs from
  `status.updateRevision`, with `status.updatedReplicas` below the replicas.

The revision comparison is made only for `RollingUpdate` without a partition: with
`OnDelete` the controller never moves `currentRevision` forward (kubernetes/kubernetes#73492),
and pending pods are reported by `sts-ondelete`; a partition holds pods back on purpose and
is reported by `sts-partition`. A StatefulSet whose `status.observedGeneration` is behind its
`metadata.generation` is skipped (the controller has not acted on the latest spec). When no
StatefulSet of a snapshot carries a status, one `info` finding says so.

## Why it matters
StatefulSets restart one pod at a time and wait for it to be Ready. One that is already
short of ready replicas loses quorum or capacity when the drain takes another pod, and a
stalled rollout (usually a pod of the new revision that never becomes Ready) stalls again
when the drains recreate its pods, now with the node upgrade in the way.

## Example
StatefulSet `data/postgres` with 3 replicas: 2 ready, current revision `postgres-6d9f`,
update revision `postgres-7b4c` with 1 updated pod: `postgres-2` runs the new image and
crash-loops.

## Fix
Find the pod that is not Ready (`kubectl get pods -n NS -l ...`, `kubectl describe pod`),
fix its cause, or roll the template back so the rollout completes
(`kubectl rollout undo statefulset/NAME`); start the upgrade when all replicas are ready on
one revision. If a rollout is running right now, let it finish and scan again.
"#,
};

pub struct StsNotReady;

/// StatefulSets as this check reads them: by their status.
const STATEFULSET_STATUS: StatusOf = StatusOf {
    kind: "StatefulSet",
    kinds: "StatefulSets",
    field: "status",
    unjudged: "readiness and unfinished rollouts cannot be checked",
    resource: "statefulsets",
    evidence: "statefulset status",
    count_key: "statefulsets",
};

impl Check for StsNotReady {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        STATEFULSET_STATUS.judge_each(ctx, &INFO, judge)
    }
}

fn judge(sts: &Object) -> Option<Finding> {
    let replicas = replicas(sts)?;
    if replicas <= 0 {
        return None;
    }
    let status = |k: &str| sts.raw.path(&["status", k]);
    // Absent counts are 0 (the API omits them); present but unreadable: no guess.
    let count = |k: &str| match status(k).filter(|n| !n.is_null()) {
        None => Some(0),
        Some(n) => n.as_i64(),
    };
    let generation = sts.raw.path(&["metadata", "generation"]).and_then(Node::as_i64);
    let observed = status("observedGeneration").and_then(Node::as_i64);
    if let (Some(g), Some(o)) = (generation, observed)
        && o < g
    {
        return None;
    }
    let ready = count("readyReplicas")?;
    let current = status("currentRevision").and_then(Node::as_str);
    let update = status("updateRevision").and_then(Node::as_str);
    let plain_rolling = strategy(sts).is_none_or(|t| t == "RollingUpdate") && partition(sts).is_none();
    let half_finished = match (plain_rolling, current, update) {
        (true, Some(c), Some(u)) if c != u => {
            let updated = count("updatedReplicas")?;
            (updated < replicas).then_some((c, u, updated))
        }
        _ => None,
    };
    if ready >= replicas && half_finished.is_none() {
        return None;
    }
    let ns = namespace_of(sts);
    let name = &sts.name;
    let mut details = BTreeMap::from([
        ("replicas", replicas.to_string()),
        ("ready_replicas", ready.to_string()),
    ]);
    let mut problems = Vec::new();
    if ready < replicas {
        problems.push(format!(
            "{ready} of {} {} ready",
            mcp_diag_model::plural(replicas, "replica", "replicas"),
            if ready == 1 { "is" } else { "are" }
        ));
    }
    if let Some((c, u, updated)) = half_finished {
        details.insert("current_revision", c.to_owned());
        details.insert("update_revision", u.to_owned());
        details.insert("updated_replicas", updated.to_string());
        problems.push(format!(
            "its rollout is half-finished: {updated} of {} {} the update revision {u}, the others still {c}",
            mcp_diag_model::plural(replicas, "pod", "pods"),
            if updated == 1 { "runs" } else { "run" }
        ));
    }
    let title = if ready < replicas {
        format!(
            "StatefulSet {ns}/{name}: {ready} of {} ready",
            mcp_diag_model::plural(replicas, "replica", "replicas")
        )
    } else {
        format!("StatefulSet {ns}/{name}: rollout half-finished")
    };
    let rollout_hint = if half_finished.is_some() {
        " If a rollout is running right now, let it finish and scan again."
    } else {
        ""
    };
    Some(
        INFO.about(sts)
            .title(title)
            .message(format!(
                "StatefulSet {ns}/{name}: {}. A StatefulSet restarts one pod at a time and waits for it to be Ready; the drains of the upgrade take another pod while it is already short, and a stalled rollout stalls again when drains recreate its pods.{rollout_hint}",
                problems.join("; "),
            ))
            .fix(format!(
                "Find the pod of StatefulSet {ns}/{name} that is not Ready or not updated (kubectl get pods -n {ns} -l <its selector>; kubectl describe pod), fix its cause or roll the template back (kubectl rollout undo statefulset/{name} -n {ns}), and start the upgrade when all {replicas} replicas are ready on one revision."
            ))
            .evidence("statefulset status")
            .details(details)
            .build()
    )
}
