use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::words::name_list;
use crate::workloads::{is_movable, when};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "node-not-ready",
    severity: Severity::High,
    title: "Node not Ready",
    doc: r#"## What it checks
Nodes whose `Ready` condition is `False` or `Unknown` (the kubelet reports a problem, or
stopped posting status), with the condition's reason, message and since when. Nodes without
any conditions in a snapshot or live cluster give one `info` finding (status missing:
nothing is assumed); manifests carry no node status and give none.

## Why it matters
A NotReady node cannot be drained cleanly: its pods cannot be told to stop, so evictions hang
or leave pods `Terminating` until the node comes back or is deleted, and disruption budgets
count those pods as unavailable, which blocks drains of other nodes. Its capacity is also
missing while other nodes are drained, and upgrading its kubelet needs the node itself to
work.

## Example
`worker-b2`: Ready `Unknown` since 2026-11-19T22:41:47Z, reason `NodeStatusUnknown`,
"Kubelet stopped posting node status."

## Fix
Bring the node back before the upgrade (check the kubelet and container runtime,
`journalctl -u kubelet`, disk, network), or remove it: `kubectl drain NODE
--ignore-daemonsets --delete-emptydir-data --force`, `kubectl delete node NODE`, and replace
the machine.
"#,
};

pub struct NodeNotReady;

/// The condition of `type_` in a node's (or pod's) `status.conditions`.
pub(crate) fn condition<'a>(object: &'a Object, type_: &str) -> Option<Node<'a>> {
    object
        .raw
        .path(&["status", "conditions"])
        .and_then(Node::as_seq)?
        .iter()
        .find(|c| c.get("type").and_then(Node::as_str) == Some(type_))
}

/// Whether the node has any status conditions.
pub(crate) fn has_conditions(node: &Object) -> bool {
    node.raw
        .path(&["status", "conditions"])
        .and_then(Node::as_seq)
        .is_some_and(|c| !c.is_empty())
}

/// A control-plane node (role label `control-plane` or the older `master`).
pub(crate) fn is_control_plane(node: &Object) -> bool {
    let labels = node.raw.path(&["metadata", "labels"]);
    [
        "node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master",
    ]
    .iter()
    .any(|l| labels.and_then(|m| m.get(l)).is_some())
}

/// `spec.unschedulable: true` (cordoned).
pub(crate) fn is_cordoned(node: &Object) -> bool {
    node.raw.path(&["spec", "unschedulable"]).and_then(Node::as_bool) == Some(true)
}

/// A node's taints with effect `NoSchedule` or `NoExecute` (they keep pods off).
pub(crate) fn hard_taints(node: &Object) -> impl Iterator<Item = Node<'_>> {
    node.raw
        .path(&["spec", "taints"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|t| {
            matches!(
                t.get("effect").and_then(Node::as_str),
                Some("NoSchedule" | "NoExecute")
            )
        })
}

/// `key=value:Effect` (or `key:Effect`).
pub(crate) fn taint_text(taint: Node<'_>) -> String {
    let key = taint.get("key").and_then(Node::as_str).unwrap_or("");
    let effect = taint.get("effect").and_then(Node::as_str).unwrap_or("");
    match taint
        .get("value")
        .and_then(Node::as_str)
        .filter(|v| !v.is_empty())
    {
        Some(v) => format!("{key}={v}:{effect}"),
        None => format!("{key}:{effect}"),
    }
}

/// How many pods a drain of `node` would evict (not DaemonSet, mirror or finished pods).
pub(crate) fn movable_pods_on(ctx: &Context<'_>, node: &str) -> usize {
    ctx.index.pods_on(node).iter().filter(|p| is_movable(p)).count()
}

impl Check for NodeNotReady {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut no_status = Vec::new();
        for &node in ctx.index.of_kind("Node") {
            if !has_conditions(node) {
                no_status.push(node.name.as_str());
                continue;
            }
            let Some(ready) = condition(node, "Ready") else {
                no_status.push(node.name.as_str());
                continue;
            };
            let status = ready.get("status").and_then(Node::as_str).unwrap_or("");
            if status == "True" {
                continue;
            }
            let status = if status.is_empty() { "missing" } else { status };
            let name = &node.name;
            let reason = ready
                .get("reason")
                .and_then(Node::as_str)
                .unwrap_or("no reason given");
            let said = ready
                .get("message")
                .and_then(Node::as_str)
                .filter(|m| !m.is_empty())
                .map_or_else(String::new, |m| format!(": \"{}\"", m.trim()));
            let since = ready
                .get("lastTransitionTime")
                .and_then(Node::as_str)
                .map_or_else(String::new, |t| format!(" since {}", when(ctx, t)));
            let heartbeat = ready
                .get("lastHeartbeatTime")
                .and_then(Node::as_str)
                .map_or_else(String::new, |t| format!(" Last heartbeat: {}.", when(ctx, t)));
            let pods = movable_pods_on(ctx, name);
            let unknown = ctx.unknown_of(&[("", "Pod")]);
            let pods_text = match (pods, &unknown) {
                (0, Some(why)) => format!(
                    " Pods were not read completely ({why}): how many are bound to it is unknown."
                ),
                (n, Some(why)) => format!(
                    " At least {n} pod{} (besides DaemonSet and static pods) {} bound to it; pods were not read completely ({why}), so there may be more. Their evictions cannot complete while the kubelet does not answer.",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "is" } else { "are" }
                ),
                (0, None) => String::new(),
                (1, None) => " 1 pod (besides DaemonSet and static pods) is bound to it; its eviction cannot complete while the kubelet does not answer.".to_owned(),
                (n, None) => format!(" {n} pods (besides DaemonSet and static pods) are bound to it; their evictions cannot complete while the kubelet does not answer."),
            };
            findings.push(
                INFO.about(node)
                    .title(format!("Node {name} is not Ready (Ready {status})"))
                    .message(format!(
                        "Node {name} reports Ready {status}{since}, reason {reason}{said}.{heartbeat}{pods_text} Draining and upgrading it will not go cleanly, and its capacity is missing while other nodes are drained."
                    ))
                    .fix(format!(
                        "Bring {name} back before the upgrade (kubelet and container runtime logs: journalctl -u kubelet; disk, memory, network), or remove it: kubectl drain {name} --ignore-daemonsets --delete-emptydir-data --force, kubectl delete node {name}, and replace the machine."
                    ))
                    .evidence("node status")
                    .detail("node", name)
                    .detail("ready", status)
                    .detail("reason", reason)
                    .detail("pods", if unknown.is_some() && pods == 0 {
                                "unknown".to_owned()
                            } else {
                                pods.to_string()
                            })
                    .build()
            );
        }
        if !no_status.is_empty() && ctx.inventory.kind != SourceKind::Manifests {
            findings.push(
                INFO.finding()
                    .notice(format!(
                        "Node status missing for {} node{}",
                        no_status.len(),
                        if no_status.len() == 1 { "" } else { "s" },
                    ))
                    .message(format!(
                        "Nodes {} carry no Ready condition in the input, so whether they are Ready cannot be checked. Nothing is assumed.",
                        name_list(&no_status, 5),
                    ))
                    .fix(
                        "Capture the snapshot with node status (`kubectl get nodes -o yaml`), or scan the live cluster.",
                    )
                    .evidence("node status")
                    .detail("nodes", no_status.join(","))
                    .build()
            );
        }
        findings
    }
}
