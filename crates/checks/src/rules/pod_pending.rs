use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::words::name_list;
use crate::workloads::{container_statuses, group_pods, no_pod_status, pods_have_status, when};
use crate::{Check, CheckInfo, Context};

/// Pods younger than this are starting, not stuck.
pub(crate) const PENDING_GRACE_SECS: i64 = 300;

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-pending",
    severity: Severity::High,
    title: "Pod Pending",
    doc: r#"## What it checks
Pods in phase `Pending` in a snapshot or the live cluster, grouped by their controller (one
finding per Deployment, StatefulSet, ..., naming a few pods). The finding says why: the
`PodScheduled` condition's reason and message when the scheduler could not place the pod
(`Unschedulable: 0/9 nodes are available: 3 Insufficient cpu ...`), otherwise the reason
its containers wait (`ImagePullBackOff`, `ContainerCreating`). Pods created less than 5
minutes before the capture (or scan) are starting and not reported. Manifests have no status
and are skipped.

## Why it matters
A pod that cannot be scheduled now will not be scheduled while nodes are drained and capacity
shrinks: the cause (no room, a taint, a volume in another zone, a missing image) also blocks
the pods the drain evicts. Pending pods also count against disruption budgets and stall
rollouts.

## Example
StatefulSet `data/postgres`: pod `postgres-2` Pending for 3 days, PodScheduled False,
`Unschedulable: 0/9 nodes are available: 1 node(s) had volume node affinity conflict, ...`.

## Fix
Resolve the reason before the upgrade: add capacity or lower requests (Insufficient cpu or
memory), fix tolerations and node selectors, bind or recreate the claim, fix the image
name or pull secret. Delete pods of workloads that are gone.
"#,
};

pub struct PodPending;

/// Why a Pending pod waits: the scheduler's verdict, or its containers' waiting reasons.
fn why(pod: &Object) -> String {
    let conditions = pod
        .raw
        .path(&["status", "conditions"])
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let scheduled = conditions
        .iter()
        .find(|c| c.get("type").and_then(Node::as_str) == Some("PodScheduled"));
    if let Some(c) = scheduled
        && c.get("status").and_then(Node::as_str) == Some("False")
    {
        let reason = c.get("reason").and_then(Node::as_str).unwrap_or("not scheduled");
        return match c.get("message").and_then(Node::as_str) {
            Some(m) if !m.is_empty() => format!("{reason}: {}", m.trim()),
            _ => reason.to_owned(),
        };
    }
    let waiting: Vec<String> = container_statuses(pod)
        .filter_map(|s| {
            let reason = s.path(&["state", "waiting", "reason"]).and_then(Node::as_str)?;
            let name = s.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            Some(format!("{name} {reason}"))
        })
        .collect();
    if !waiting.is_empty() {
        return format!("scheduled, waiting: {}", waiting.join(", "));
    }
    if scheduled.is_some() || pod.raw.path(&["spec", "nodeName"]).is_some() {
        "scheduled, containers not started".to_owned()
    } else {
        "no scheduling decision recorded".to_owned()
    }
}

impl Check for PodPending {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        match pods_have_status(ctx) {
            None => return Vec::new(),
            Some(false) => return vec![no_pod_status(&INFO, "Pending pods")],
            Some(true) => {}
        }
        let now = ctx.options.now;
        let pending = ctx.index.of_kind("Pod").iter().copied().filter(|pod| {
            if pod.raw.path(&["status", "phase"]).and_then(Node::as_str) != Some("Pending") {
                return false;
            }
            let created = pod
                .raw
                .path(&["metadata", "creationTimestamp"])
                .and_then(Node::as_str)
                .and_then(mcp_diag_model::time::parse_timestamp);
            !matches!(created, Some(t) if now > 0 && now - t < PENDING_GRACE_SECS)
        });
        group_pods(ctx, pending)
            .into_iter()
            .map(|g| {
                let mut reasons: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                for p in &g.pods {
                    reasons.entry(why(p)).or_default().push(p.name.as_str());
                }
                let shown: Vec<String> = reasons
                    .iter()
                    .map(|(reason, pods)| format!("{} ({reason})", name_list(pods, 3)))
                    .collect();
                // Only readable timestamps: an unreadable one would be printed as written.
                let since = g
                    .pods
                    .iter()
                    .filter_map(|p| p.raw.path(&["metadata", "creationTimestamp"]).and_then(Node::as_str))
                    .filter_map(|t| Some((mcp_diag_model::time::parse_timestamp(t)?, t)))
                    .min()
                    .map_or_else(String::new, |(_, t)| format!(" The oldest was created {}.", when(ctx, t)));
                let what = g.describe();
                g.about(&INFO)
                    .title(format!("{what}: {} Pending", g.count_text()))
                    .message(if g.is_lone_pod() {
                        format!(
                            "{what} is Pending ({}).{} Whatever keeps it from running now also keeps the pods a drain evicts from running, while capacity shrinks.",
                            reasons.keys().cloned().collect::<Vec<_>>().join("; "),
                            since.replace("The oldest was", "It was"),
                        )
                    } else {
                        format!(
                            "{what} has {} Pending: {}.{since} Whatever keeps them from running now also keeps the pods a drain evicts from running, while capacity shrinks.",
                            g.count_text(),
                            shown.join("; "),
                        )
                    })
                    .fix(
                        "Resolve the reason before the upgrade: add capacity or lower requests (Insufficient cpu/memory), fix tolerations, node selectors and affinity, bind or recreate the volume claim, fix the image or its pull secret; delete pods of workloads that are gone.",
                    )
                    .detail("reasons", reasons.keys().cloned().collect::<Vec<_>>().join(" | "))
                    .build()
            })
            .collect()
    }
}
