use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::workloads::{container_statuses, no_pod_status, pods_have_status, running_pods_with};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-crashloop",
    severity: Severity::High,
    title: "Pod in CrashLoopBackOff",
    doc: r#"## What it checks
Pods whose containers (or init containers) wait with reason `CrashLoopBackOff` in the
snapshot or live cluster (`status.containerStatuses[].state.waiting.reason`). Pods are
grouped by the controller that owns them (one finding per Deployment, StatefulSet, ...,
naming a few pods, the containers, their restart counts and last exit). Manifests have no
status and are skipped; a snapshot whose pods carry no status gives one `info` finding.

## Why it matters
A crash-looping workload is already below its desired replicas. Its PodDisruptionBudget
counts the crashing pods as unhealthy, so evictions of its healthy pods are refused and the
drain of their nodes stalls; or, without a budget, the drain takes the last healthy replicas.
Upgrading also makes it impossible to tell whether the upgrade broke it.

## Example
Deployment `shop/checkout`: 2 pods (of 3 replicas) in CrashLoopBackOff, container
`checkout` restarted 143 times, last exit code 1 (Error).

## Fix
Fix the workload before the upgrade: `kubectl logs POD -c CONTAINER --previous` shows why
it exits; `kubectl describe pod` shows probe failures and OOM kills. If the workload is
abandoned, scale it to zero or delete it.
"#,
};

pub struct PodCrashloop;

/// `checkout-7d-x (checkout: 143 restarts, last exit 1 Error)`.
pub(crate) fn crashing(pod: &Object) -> Vec<String> {
    container_statuses(pod)
        .filter(|s| {
            s.path(&["state", "waiting", "reason"]).and_then(Node::as_str) == Some("CrashLoopBackOff")
        })
        .map(|s| {
            let name = s.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let restarts = s.get("restartCount").and_then(Node::as_i64).unwrap_or(0);
            let last = s
                .path(&["lastState", "terminated"])
                .map_or_else(String::new, |t| {
                    let code = t.get("exitCode").and_then(Node::as_i64);
                    let reason = t.get("reason").and_then(Node::as_str);
                    match (code, reason) {
                        (Some(c), Some(r)) => format!(", last exit {c} {r}"),
                        (Some(c), None) => format!(", last exit {c}"),
                        (None, Some(r)) => format!(", last exit {r}"),
                        (None, None) => String::new(),
                    }
                });
            format!(
                "{name}: {}{last}",
                mcp_diag_model::plural(restarts, "restart", "restarts")
            )
        })
        .collect()
}

impl Check for PodCrashloop {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        match pods_have_status(ctx) {
            None => return Vec::new(),
            Some(false) => return vec![no_pod_status(&INFO, "CrashLoopBackOff")],
            Some(true) => {}
        }
        let (groups, found) = running_pods_with(ctx, |pod| Some(crashing(pod)).filter(|c| !c.is_empty()));
        groups
            .into_iter()
            .map(|g| {
                let what = g.describe();
                let listed = found.listed(&g, |c| c.join("; "));
                let n = g.pods.len();
                g.about(&INFO)
                    .title(format!("{what}: {} in CrashLoopBackOff", g.count_text()))
                    .message(if g.is_lone_pod() {
                        format!(
                            "{what} is in CrashLoopBackOff ({listed}). A disruption budget that selects it counts it as unhealthy, and nothing recreates it once a drain deletes it: it has no controller.",
                        )
                    } else {
                        format!(
                            "{what} has {} in CrashLoopBackOff: {listed}. Its disruption budget counts them as unhealthy, so evicting its healthy pods during the drain is refused or leaves it without replicas.",
                            g.count_text(),
                        )
                    })
                    .fix(format!(
                        "Fix {what} before the upgrade: `kubectl logs {} --previous` and `kubectl describe pod` show why it exits. Scale it to zero or delete it if it is abandoned.{}",
                        g.pods.first().map_or("POD", |p| p.name.as_str()),
                        if n > 1 { " All its crashing pods are named in details.pod_names." } else { "" },
                    ))
                    .build()
            })
            .collect()
    }
}
