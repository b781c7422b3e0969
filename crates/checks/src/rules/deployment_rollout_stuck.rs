use std::collections::BTreeMap;

use mcp_diag_model::time::{format_duration, parse_timestamp};
use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::rules::workload_single_replica::namespace_of;
use crate::workloads::StatusOf;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "deployment-rollout-stuck",
    severity: Severity::High,
    title: "Deployment rollout stuck or replicas unavailable",
    doc: r#"## What it checks
The status of every Deployment in a snapshot or live cluster (manifests have no status and
are skipped):

- the `Progressing` condition is `False` with reason `ProgressDeadlineExceeded`: the last
  rollout did not progress within `progressDeadlineSeconds` (default 600);
- or `status.availableReplicas` is below `spec.replicas`.

A Deployment in the middle of a rollout is left alone: when `status.observedGeneration` is
behind `metadata.generation` (the controller has not acted on the latest spec yet), or when
`Progressing` is `True` with reason `ReplicaSetUpdated`, `NewReplicaSetCreated` or
`FoundNewReplicaSet` and its `lastUpdateTime` is within the progress deadline. Such a rollout
either finishes or is flagged `ProgressDeadlineExceeded` by the controller. A paused
Deployment is judged on its numbers. When no Deployment of a snapshot carries a status,
one `info` finding says so.

## Why it matters
A drain counts on the other replicas to carry the load and on the budget's healthy count;
a Deployment already short of available replicas loses more during the drain, and its
PodDisruptionBudget may block evictions altogether. A rollout that never finished leaves
pods on two versions, and the upgrade's own restarts mix a third.

## Example
Deployment `shop/search` with 3 replicas: `Progressing` False, `ProgressDeadlineExceeded`,
"ReplicaSet search-7d4f has timed out progressing."; 2 of 3 replicas available.

## Fix
Find why the new pods do not become ready (`kubectl rollout status`, `kubectl describe` of
the new ReplicaSet and its pods: image pull errors, failing probes, missing resources or
quota), fix it or roll back with `kubectl rollout undo`, and start the upgrade once every
replica is available.
"#,
};

pub struct DeploymentRolloutStuck;

/// Deployments as this check reads them: by their status.
const DEPLOYMENT_STATUS: StatusOf = StatusOf {
    kind: "Deployment",
    kinds: "Deployments",
    field: "status",
    unjudged: "stuck rollouts and unavailable replicas cannot be checked",
    resource: "deployments",
    evidence: "deployment status",
    count_key: "deployments",
};

const ROLLING: &[&str] = &["ReplicaSetUpdated", "NewReplicaSetCreated", "FoundNewReplicaSet"];

impl Check for DeploymentRolloutStuck {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        DEPLOYMENT_STATUS.judge_each(ctx, &INFO, |d| judge(ctx, d))
    }
}

/// The condition of `type` in `status.conditions`.
pub(crate) fn condition<'a>(raw: Node<'a>, kind: &str) -> Option<Node<'a>> {
    raw.path(&["status", "conditions"])?
        .as_seq()?
        .iter()
        .find(|c| c.get("type").and_then(Node::as_str) == Some(kind))
}

fn text<'a>(node: Node<'a>, key: &str) -> &'a str {
    node.get(key).and_then(Node::as_str).unwrap_or("")
}

fn judge(ctx: &Context<'_>, d: &Object) -> Option<Finding> {
    let raw = d.raw.root();
    let replicas_node = raw.path(&["spec", "replicas"]).filter(|n| !n.is_null());
    let replicas = match replicas_node {
        None => 1,
        Some(n) => n.as_i64()?,
    };
    let status_int = |k: &str| raw.path(&["status", k]).and_then(Node::as_i64);
    // Absent means 0 (the API omits zero counts); present but not a number: no guess.
    let available = match raw
        .path(&["status", "availableReplicas"])
        .filter(|n| !n.is_null())
    {
        None => 0,
        Some(n) => n.as_i64()?,
    };
    let updated = status_int("updatedReplicas").unwrap_or(0);
    let progressing = condition(raw, "Progressing");
    let reason = progressing.map_or("", |c| text(c, "reason"));
    let deadline_exceeded =
        reason == "ProgressDeadlineExceeded" && progressing.is_some_and(|c| text(c, "status") == "False");
    let paused = raw.path(&["spec", "paused"]).and_then(Node::as_bool) == Some(true);
    let deadline = raw
        .path(&["spec", "progressDeadlineSeconds"])
        .and_then(Node::as_i64)
        .unwrap_or(600);
    if !deadline_exceeded {
        if replicas <= 0 || available >= replicas {
            return None;
        }
        let generation = raw.path(&["metadata", "generation"]).and_then(Node::as_i64);
        let observed = status_int("observedGeneration");
        if let (Some(g), Some(o)) = (generation, observed)
            && o < g
            && !paused
        {
            return None; // the controller has not acted on the latest spec yet
        }
        let rolling = progressing.is_some_and(|c| text(c, "status") == "True" && ROLLING.contains(&reason));
        if rolling && !paused {
            let updated_at = progressing
                .and_then(|c| c.get("lastUpdateTime"))
                .and_then(Node::as_str)
                .and_then(parse_timestamp);
            // Within the deadline (or unknown): the controller is still judging it.
            if updated_at.is_none_or(|t| ctx.options.now - t <= deadline) {
                return None;
            }
        }
    }
    let ns = namespace_of(d);
    let name = &d.name;
    let mut details = BTreeMap::from([
        ("replicas", replicas.to_string()),
        ("available_replicas", available.to_string()),
        ("updated_replicas", updated.to_string()),
    ]);
    if !reason.is_empty() {
        details.insert("progressing_reason", reason.to_owned());
    }
    let numbers = format!(
        "{available} of {} available, {updated} updated",
        mcp_diag_model::plural(replicas, "replica", "replicas")
    );
    let since = progressing
        .and_then(|c| c.get("lastTransitionTime").or_else(|| c.get("lastUpdateTime")))
        .and_then(Node::as_str)
        .and_then(|t| parse_timestamp(t).map(|s| (t, s)))
        .map_or_else(String::new, |(t, s)| {
            let age = u64::try_from(ctx.options.now - s).unwrap_or(0);
            format!(" since {t} ({} before the capture)", format_duration(age))
        });
    let said = progressing
        .map(|c| text(c, "message"))
        .filter(|m| !m.is_empty())
        .map_or_else(String::new, |m| format!(": \"{m}\""));
    let (title, message) = if deadline_exceeded {
        details.insert("reason", "progress-deadline-exceeded".to_owned());
        (
            format!("Deployment {ns}/{name}: rollout exceeded its progress deadline"),
            format!(
                "Deployment {ns}/{name} did not progress within its deadline (progressDeadlineSeconds: {deadline}): Progressing is False with reason ProgressDeadlineExceeded{since}{said}. Now {numbers}. The drains of the upgrade take more of its pods away while the rollout is broken."
            ),
        )
    } else {
        details.insert("reason", "replicas-unavailable".to_owned());
        let context = if paused {
            " The Deployment is paused (spec.paused: true), so its rollout does not move on.".to_owned()
        } else if reason == "NewReplicaSetAvailable" {
            " Its last rollout completed, so pods were lost or became unready since.".to_owned()
        } else if !reason.is_empty() {
            format!(" Progressing reason: {reason}{said}.")
        } else {
            String::new()
        };
        (
            format!(
                "Deployment {ns}/{name}: {available} of {} available",
                mcp_diag_model::plural(replicas, "replica", "replicas")
            ),
            format!(
                "Deployment {ns}/{name} has {numbers} ({} unavailable).{context} A drain takes away more of its pods while it is already short, and its PodDisruptionBudget may then refuse every eviction.",
                replicas - available
            ),
        )
    };
    Some(
        INFO.about(d)
            .title(title)
            .message(message)
            .fix(format!(
                "Find why the pods do not become available (kubectl rollout status deployment/{name} -n {ns}; kubectl describe of its newest ReplicaSet and pods: image pulls, probes, resources, quota), fix it or roll back (kubectl rollout undo deployment/{name} -n {ns}){}, and start the upgrade once {} available.",
                if paused {
                    format!(", resume it (kubectl rollout resume deployment/{name} -n {ns})")
                } else {
                    String::new()
                },
                if replicas == 1 {
                    "its replica is".to_owned()
                } else {
                    format!("all {replicas} replicas are")
                },
            ))
            .evidence("deployment status")
            .details(details)
            .build()
    )
}
