use mcp_diag_model::{Finding, Node, Object, Severity};

use super::pod_crashloop::crashing;
use crate::words::name_list;
use crate::workloads::{container_statuses, no_pod_status, pods_have_status, running_pods_with, when};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-restarts",
    severity: Severity::Medium,
    title: "Container restarting often",
    doc: r#"## What it checks
Containers whose `restartCount` is above the restart threshold (5 by default; `restart_threshold`
in `--config`), in a snapshot or the live cluster. Pods are grouped by their controller
(one finding per Deployment, StatefulSet, ..., naming a few pods with the highest count,
the last termination reason and when it happened). Pods currently in CrashLoopBackOff are
left to `pod-crashloop`. Manifests have no status and are skipped.

## Why it matters
A container that restarts often is fragile: its probes or memory limits are too tight, or it
loses a dependency. The upgrade restarts the control plane, DNS and the network, and moves
every pod at least once; a container that restarts on its own will fail again then, and its
restarts hide whether the upgrade broke something.

## Example
StatefulSet `data/redis`: pod `redis-1`, container `sentinel` restarted 27 times, last
terminated with `Error` (exit 1) 2 hours before the capture.

## Fix
Find the cause before the upgrade: `kubectl describe pod` (probe failures, OOMKilled) and
`kubectl logs --previous`. Loosen liveness probes that kill busy containers, raise memory
limits of OOM-killed ones, make the application retry its dependencies.
"#,
};

pub struct PodRestarts;

struct Restarting {
    max: i64,
    text: String,
}

fn restarting(ctx: &Context<'_>, pod: &Object) -> Option<Restarting> {
    let threshold = ctx.options.restart_threshold;
    let mut max = 0;
    let mut parts = Vec::new();
    for s in container_statuses(pod) {
        let count = s.get("restartCount").and_then(Node::as_i64).unwrap_or(0);
        if count <= threshold {
            continue;
        }
        max = max.max(count);
        let name = s.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
        let last = s
            .path(&["lastState", "terminated"])
            .map_or_else(String::new, |t| {
                let reason = t.get("reason").and_then(Node::as_str).unwrap_or("unknown reason");
                let code = t
                    .get("exitCode")
                    .and_then(Node::as_i64)
                    .map_or_else(String::new, |c| format!(" (exit {c})"));
                let at = t
                    .get("finishedAt")
                    .and_then(Node::as_str)
                    .map_or_else(String::new, |at| format!(" at {}", when(ctx, at)));
                format!(", last {reason}{code}{at}")
            });
        parts.push(format!(
            "{name}: {}{last}",
            mcp_diag_model::plural(count, "restart", "restarts")
        ));
    }
    (!parts.is_empty()).then(|| Restarting {
        max,
        text: parts.join("; "),
    })
}

impl Check for PodRestarts {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        match pods_have_status(ctx) {
            None => return Vec::new(),
            Some(false) => return vec![no_pod_status(&INFO, "restart counts")],
            Some(true) => {}
        }
        let threshold = ctx.options.restart_threshold;
        // Crash-looping pods are pod-crashloop's.
        let (groups, found) = running_pods_with(ctx, |pod| {
            if crashing(pod).is_empty() {
                restarting(ctx, pod)
            } else {
                None
            }
        });
        groups
            .into_iter()
            .map(|mut g| {
                let key = |p: &&Object| found.of(p).map_or(0, |r| r.max);
                g.pods.sort_by_key(|p| std::cmp::Reverse(key(p)));
                let max = g.pods.first().map_or(0, key);
                let shown = found.shown(&g, |r| r.text.clone());
                let what = g.describe();
                g.about(&INFO)
                    .title(format!(
                        "{what}: {} restarted more than {} (up to {max})",
                        g.count_text(),
                        mcp_diag_model::plural(threshold, "time", "times"),
                    ))
                    .message(format!(
                        "{what} has {} whose containers restarted more than {}: {}. A container that restarts on its own will fail again when the upgrade restarts DNS and the network and moves it.",
                        g.count_text(),
                        mcp_diag_model::plural(threshold, "time", "times"),
                        name_list(&shown, 3),
                    ))
                    .fix(format!(
                        "Find the cause before the upgrade (`kubectl describe pod {}`, `kubectl logs --previous`): loosen liveness probes that kill busy containers, raise memory limits of OOM-killed ones, make the application retry its dependencies.",
                        g.pods.first().map_or("POD", |p| p.name.as_str()),
                    ))
                    .detail("max_restarts", max.to_string())
                    .detail("threshold", threshold.to_string())
                    .build()
            })
            .collect()
    }
}
