use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Severity};

use super::node_not_ready::{is_cordoned, movable_pods_on};
use crate::workloads::when;
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
    info_from!(INFO);

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
                INFO.about(node)
                    .title(format!("Node {name} is cordoned"))
                    .message(format!(
                        "Node {name} is unschedulable (cordoned){since_text}{pods_text}. Its free room does not count while other nodes are drained, and whoever cordoned it may still be working on it."
                    ))
                    .fix(format!(
                        "Find out why {name} was cordoned. If the maintenance is over, `kubectl uncordon {name}` before the upgrade; if it is being retired, drain and remove it first and check that the other nodes can take its pods."
                    ))
                    .evidence("node spec")
                    .details(details)
                    .build()
            })
            .collect()
    }
}
