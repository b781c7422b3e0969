use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Severity};

use super::node_not_ready::condition;
use super::probe_missing_readiness::when;
use super::skew_kubelet::finding;
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
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

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
            findings.push(finding(
                &INFO,
                INFO.severity,
                format!("Node {name} under pressure: {}", types.join(", ")),
                Some(node),
                format!(
                    "Node {name} reports {}. It evicts pods on its own and takes no new ones, so it is no place for the pods that drains of other nodes move.",
                    found.join("; ")
                ),
                format!(
                    "Relieve {name} before the upgrade: free or grow the disk (unused images, logs, emptyDir volumes), move memory-hungry pods or set memory limits, raise the pid limit, or fix the CNI on it; otherwise drain and replace it."
                ),
                Some("node status"),
                BTreeMap::from([("node", name.clone()), ("conditions", types.join(","))]),
            ));
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity};

    use crate::rules::test_support::run_check;

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    fn node(disk: &str, network: &str) -> String {
        format!(
            "apiVersion: v1
kind: Node
metadata: {{name: worker-a2}}
status:
  conditions:
  - {{type: NetworkUnavailable, status: \"{network}\", reason: CalicoIsUp}}
  - {{type: MemoryPressure, status: \"False\"}}
  - {{type: DiskPressure, status: \"{disk}\", reason: KubeletHasDiskPressure, message: kubelet has disk pressure, lastTransitionTime: \"2026-11-24T23:00:00Z\"}}
  - {{type: Ready, status: \"True\"}}
"
        )
    }

    #[test]
    fn disk_pressure_and_network() {
        let f = run_check("node-pressure", &node("True", "False"), m(30), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].details["conditions"], "DiskPressure");
        assert!(f[0].message.contains("DiskPressure True since 2026-11-24T23:00:00Z (1h ago), reason KubeletHasDiskPressure (\"kubelet has disk pressure\")"), "{}", f[0].message);
        let f = run_check("node-pressure", &node("True", "True"), m(30), Some(m(29)));
        assert_eq!(f[0].details["conditions"], "DiskPressure,NetworkUnavailable");
    }

    #[test]
    fn nearest_negatives() {
        assert!(run_check("node-pressure", &node("False", "False"), m(30), Some(m(29))).is_empty());
        assert!(run_check("node-pressure", &node("Unknown", "False"), m(30), Some(m(29))).is_empty());
        let odd =
            "apiVersion: v1\nkind: Node\nmetadata: {name: \"n\"}\nstatus: {conditions: [1, {type: 2}]}\n";
        assert!(run_check("node-pressure", odd, m(30), Some(m(29))).is_empty());
    }
}
