use mcp_diag_model::{Finding, Node, Severity};

use super::node_not_ready::condition;
use crate::workloads::when;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "node-pressure",
    severity: Severity::High,
    title: "Node under pressure",
    doc: r#"## What it checks
Nodes whose `MemoryPressure`, `DiskPressure` or `PIDPressure` condition is `True`, or whose
`NetworkUnavailable` condition is `True`, with the condition's reason, message and since when.
Conditions in state `Unknown` (the kubelet stopped reporting) are left to `node-not-ready`.

## Why it matters
A node under pressure evicts pods on its own and refuses new ones (the scheduler adds the
`node.kubernetes.io/*-pressure` taints): it is no place for the pods that drains of other
nodes move, and its own pods are already being disrupted. Disk pressure also means image
garbage collection, so the new images of the upgrade may not fit. A node with its network
unavailable runs pods that nothing can reach.

## Example
`worker-a2`: DiskPressure `True` since 2026-11-20T08:10:00Z, reason `KubeletHasDiskPressure`.

## Fix
Relieve the node before the upgrade: free or grow the disk (old images, logs, emptyDir
volumes), move memory-hungry pods or set memory limits, raise the pid limit, fix the CNI on
it; or drain and replace it.
"#,
};

pub struct NodePressure;

const CONDITIONS: &[&str] = &[
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
];

impl Check for NodePressure {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for &node in ctx.index.of_kind("Node") {
            let mut found = Vec::new();
            let mut types = Vec::new();
            for type_ in CONDITIONS {
                let Some(c) = condition(node, type_) else {
                    continue;
                };
                if c.get("status").and_then(Node::as_str) != Some("True") {
                    continue;
                }
                let reason = c
                    .get("reason")
                    .and_then(Node::as_str)
                    .map_or_else(String::new, |r| format!(", reason {r}"));
                let said = c
                    .get("message")
                    .and_then(Node::as_str)
                    .filter(|m| !m.is_empty())
                    .map_or_else(String::new, |m| format!(" (\"{}\")", m.trim()));
                let since = c
                    .get("lastTransitionTime")
                    .and_then(Node::as_str)
                    .map_or_else(String::new, |t| format!(" since {}", when(ctx, t)));
                found.push(format!("{type_} True{since}{reason}{said}"));
                types.push(*type_);
            }
            if found.is_empty() {
                continue;
            }
            let name = &node.name;
            findings.push(
                INFO.about(node)
                    .title(format!("Node {name} under pressure: {}", types.join(", ")))
                    .message(format!(
                        "Node {name} reports {}. It evicts pods on its own and takes no new ones, so it is no place for the pods that drains of other nodes move.",
                        found.join("; "),
                    ))
                    .fix(format!(
                        "Relieve {name} before the upgrade: free or grow the disk (unused images, logs, emptyDir volumes), move memory-hungry pods or set memory limits, raise the pid limit, or fix the CNI on it; otherwise drain and replace it."
                    ))
                    .evidence("node status")
                    .detail("node", name)
                    .detail("conditions", types.join(","))
                    .build()
            );
        }
        findings
    }
}
