use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Severity};

use super::node_not_ready::{is_cordoned, movable_pods_on};
use super::probe_missing_readiness::when;
use super::skew_kubelet::finding;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "node-cordoned",
    severity: Severity::Medium,
    title: "Node cordoned",
    doc: r#"## What it checks
Nodes marked unschedulable (`spec.unschedulable: true`, as `kubectl cordon` or an unfinished
drain leaves them), with since when (the `node.kubernetes.io/unschedulable` taint's
`timeAdded`) and how many pods still run there.

## Why it matters
A cordoned node takes no new pods: the room it has does not count when the other nodes are
drained, so drains stall for lack of capacity sooner. A node left cordoned by an earlier
maintenance is often forgotten; the upgrade should start from a known state, and whoever
cordoned it may still be working on it.

## Example
`worker-a3` cordoned since 2026-11-18T16:05:44Z, 22 pods still running on it.

## Fix
Find out why it was cordoned. If the maintenance is over, `kubectl uncordon NODE` before the
upgrade; if the node is being retired, drain and remove it first, and check that the
remaining nodes can take its pods (`node-headroom`).
"#,
};

pub struct NodeCordoned;

impl Check for NodeCordoned {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.index
            .of_kind("Node")
            .iter()
            .filter(|n| is_cordoned(n))
            .map(|node| {
                let name = &node.name;
                let since = node
                    .raw
                    .path(&["spec", "taints"])
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .find(|t| t.get("key").and_then(Node::as_str) == Some("node.kubernetes.io/unschedulable"))
                    .and_then(|t| t.get("timeAdded"))
                    .and_then(Node::as_str);
                let since_text = since.map_or_else(String::new, |t| format!(" since {}", when(ctx, t)));
                let pods = movable_pods_on(ctx, name);
                let mut details = BTreeMap::from([("node", name.clone()), ("pods", pods.to_string())]);
                if let Some(t) = since {
                    details.insert("since", t.to_owned());
                }
                finding(
                    &INFO,
                    INFO.severity,
                    format!("Node {name} is cordoned"),
                    Some(node),
                    format!(
                        "Node {name} is unschedulable (cordoned){since_text}, with {pods} pod{} (besides DaemonSet and static pods) still on it. Its free room does not count while other nodes are drained, and whoever cordoned it may still be working on it.",
                        if pods == 1 { "" } else { "s" }
                    ),
                    format!(
                        "Find out why {name} was cordoned. If the maintenance is over, `kubectl uncordon {name}` before the upgrade; if it is being retired, drain and remove it first and check that the other nodes can take its pods."
                    ),
                    Some("node spec"),
                    details,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity};

    use crate::rules::test_support::run_check;

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    #[test]
    fn cordoned_node() {
        let yaml = "apiVersion: v1
kind: Node
metadata: {name: worker-a3}
spec:
  unschedulable: true
  taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule, timeAdded: \"2026-11-18T16:05:44Z\"}]
";
        let f = run_check("node-cordoned", yaml, m(30), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].details["since"], "2026-11-18T16:05:44Z");
        assert!(
            f[0].message.contains("since 2026-11-18T16:05:44Z (6d 7h ago)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn nearest_negatives() {
        for spec in [
            "{unschedulable: false}",
            "{unschedulable: \"true\"}",
            "{taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule}]}",
            "7",
        ] {
            let yaml = format!("apiVersion: v1\nkind: Node\nmetadata: {{name: \"n\"}}\nspec: {spec}\n");
            assert!(
                run_check("node-cordoned", &yaml, m(30), Some(m(29))).is_empty(),
                "{spec}"
            );
        }
    }
}
