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
`timeAdded`) and how many pods still run there. When pods were not read completely (see
`input-incomplete`), or an export holds none, the count is given as a lower bound or as
unknown, never as "0 pods".

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
                // A count of pods is only a count when every pod was read.
                let unknown = ctx.unknown_of(&[("", "Pod")]);
                let plural = if pods == 1 { "" } else { "s" };
                let pods_text = match &unknown {
                    None => format!(", with {pods} pod{plural} (besides DaemonSet and static pods) still on it"),
                    Some(why) if pods == 0 => format!(
                        "; pods were not read completely ({why}): how many still run there is unknown"
                    ),
                    Some(why) => format!(
                        ", with at least {pods} pod{plural} (besides DaemonSet and static pods) still on it; pods were not read completely ({why}): how many more run there is unknown"
                    ),
                };
                let mut details = BTreeMap::from([
                    ("node", name.clone()),
                    ("pods", if unknown.is_some() && pods == 0 { "unknown".to_owned() } else { pods.to_string() }),
                ]);
                if let Some(why) = &unknown {
                    details.insert("pods_unknown", why.clone());
                }
                if let Some(t) = since {
                    details.insert("since", t.to_owned());
                }
                finding(
                    &INFO,
                    INFO.severity,
                    format!("Node {name} is cordoned"),
                    Some(node),
                    format!(
                        "Node {name} is unschedulable (cordoned){since_text}{pods_text}. Its free room does not count while other nodes are drained, and whoever cordoned it may still be working on it."
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

    use crate::rules::test_support::{live_with_gap, run_check, run_on};

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

    const CORDONED: &str = "apiVersion: v1
kind: Node
metadata: {name: worker-a3}
spec: {unschedulable: true}
";

    #[test]
    fn pods_not_read_make_the_count_unknown_not_zero() {
        let inv = live_with_gap(CORDONED, "", "Pod", 0);
        let f = run_on("node-cordoned", &inv, m(30), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(!f[0].message.contains("0 pods"), "{}", f[0].message);
        assert!(
            f[0].message.contains("how many still run there is unknown"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].details["pods"], "unknown");
        // Some pods read before the read failed: a lower bound.
        let yaml = format!(
            "{CORDONED}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: a, namespace: x, ownerReferences: [{{kind: ReplicaSet, name: r, uid: u1, controller: true}}]}}\nspec: {{nodeName: worker-a3}}\n"
        );
        let inv = live_with_gap(&yaml, "", "Pod", 1);
        let f = run_on("node-cordoned", &inv, m(30), Some(m(29)));
        assert!(f[0].message.contains("at least 1 pod "), "{}", f[0].message);
        // An export without any pod does not know either; one with pods does.
        let f = run_check("node-cordoned", CORDONED, m(30), Some(m(29)));
        assert!(f[0].message.contains("none in the input"), "{}", f[0].message);
        let f = run_check("node-cordoned", &yaml, m(30), Some(m(29)));
        assert!(f[0].message.contains("with 1 pod "), "{}", f[0].message);
        assert!(!f[0].details.contains_key("pods_unknown"));
    }
}
