use rustc_hash::FxHashMap as HashMap;
use std::hash::{Hash, Hasher};

use mcp_diag_model::{Finding, Node, Object, Seq, Severity, View};

use super::node_not_ready::{condition, hard_taints, is_control_plane, is_cordoned, taint_text};
use crate::workloads::is_movable;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "node-taint-untolerated",
    severity: Severity::High,
    title: "Node taint that evicted pods cannot tolerate",
    doc: r#"## What it checks
Schedulable, Ready worker nodes with a `NoSchedule` or `NoExecute` taint that none of the
movable pods of the cluster tolerates (movable: scheduled, not finished, not DaemonSet or
mirror pods; those stay on their node during a drain). The finding names the taint and how
many pods on other nodes cannot use the node. Tolerations are matched as the scheduler
does (`Equal`/`Exists`, empty key with `Exists`, empty effect); toleration lists are
compared once per distinct list, not once per pod.

Not reported: taints some pod tolerates by name (a dedicated pool in use; a wildcard
`operator: Exists` toleration, as system agents carry, does not count), control-plane nodes,
cordoned nodes (`node-cordoned`), NotReady nodes (`node-not-ready`), and taints the system
manages: `node.kubernetes.io/*` (unschedulable, not-ready, unreachable, pressure),
`node.cloudprovider.kubernetes.io/*`, the cluster autoscaler's and Karpenter's deletion
taints.

Not reported when the pods were not all read (a read with a recorded gap, see
`input-incomplete`, or an export without pods): a pod not read may tolerate the taint.

## Why it matters
During a drain the evicted pods need somewhere to go. A node that nobody tolerates counts as
capacity but takes none of them, often a taint left behind from a maintenance or an
abandoned dedicated pool. The drains stall sooner than the node count suggests, and pods
that ran there before the taint was added do not come back after its own drain.

## Example
`worker-b3` carries `maintenance=true:NoSchedule`; no pod tolerates it, so the 74 pods
running on the other workers cannot use its room while they are drained.

## Fix
Remove the taint if it is a leftover (`kubectl taint nodes NODE KEY:EFFECT-`), or add the
matching toleration (and a node selector) to the workloads that should run there. Otherwise
count the node out of the capacity available for drains.
"#,
};

pub struct NodeTaintUntolerated;

/// Taints the system manages (node state, deletion), reported elsewhere or transient.
pub(crate) fn system_taint(key: &str) -> bool {
    key.starts_with("node.kubernetes.io/")
        || key.starts_with("node.cloudprovider.kubernetes.io/")
        || key.starts_with("karpenter.sh/disrupt")
        || matches!(
            key,
            "ToBeDeletedByClusterAutoscaler" | "DeletionCandidateOfClusterAutoscaler"
        )
}

/// Whether one toleration tolerates one taint, as the scheduler decides.
pub(crate) fn tolerates(toleration: Node<'_>, taint: Node<'_>) -> bool {
    let text = |n: Node<'_>, k: &str| n.get(k).and_then(Node::as_str).unwrap_or("").to_owned();
    let effect = text(toleration, "effect");
    if !effect.is_empty() && effect != text(taint, "effect") {
        return false;
    }
    let key = text(toleration, "key");
    let operator = text(toleration, "operator");
    if key.is_empty() {
        return operator == "Exists";
    }
    if key != text(taint, "key") {
        return false;
    }
    match operator.as_str() {
        "Exists" => true,
        "Equal" | "" => text(toleration, "value") == text(taint, "value"),
        _ => false,
    }
}

/// Like [`tolerates_all`], counting only tolerations that name the taint's key.
fn tolerates_all_by_key(tolerations: Seq<'_>, taints: &[Node<'_>]) -> bool {
    taints.iter().all(|taint| {
        tolerations
            .iter()
            .filter(|t| t.get("key").and_then(Node::as_str).is_some_and(|k| !k.is_empty()))
            .any(|t| tolerates(t, *taint))
    })
}

/// Feeds a node's content to a hasher (to find equal toleration lists without cloning them).
fn hash_node(node: Node<'_>, h: &mut impl Hasher) {
    match node.view() {
        View::Map(entries) => {
            h.write_u8(1);
            for (k, v) in entries.iter() {
                k.hash(h);
                hash_node(v, h);
            }
        }
        View::Seq(items) => {
            h.write_u8(2);
            items.iter().for_each(|i| hash_node(i, h));
        }
        View::Int(i) => i.hash(h),
        View::UInt(u) => u.hash(h),
        View::Bool(b) => b.hash(h),
        View::Float(f) => f.to_bits().hash(h),
        View::Null => h.write_u8(0),
        View::Str(s) => Some(s).hash(h),
    }
}

fn tolerations_of(pod: &Object) -> Seq<'_> {
    pod.raw
        .path(&["spec", "tolerations"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

impl Check for NodeTaintUntolerated {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        // "No pod tolerates" needs every pod: an export without pods, or a pods read with a
        // recorded gap, cannot tell.
        if !ctx.known("", "Pod").is_complete() {
            return Vec::new();
        }
        let candidates: Vec<(&Object, Vec<Node<'_>>)> = ctx
            .index
            .of_kind("Node")
            .iter()
            .filter(|n| !is_control_plane(n) && !is_cordoned(n))
            .filter(|n| {
                condition(n, "Ready")
                    .and_then(|c| c.get("status"))
                    .and_then(Node::as_str)
                    .is_none_or(|s| s == "True")
            })
            .filter_map(|n| {
                let taints: Vec<Node<'_>> = hard_taints(n)
                    .filter(|t| !system_taint(t.get("key").and_then(Node::as_str).unwrap_or("")))
                    .collect();
                (!taints.is_empty()).then_some((*n, taints))
            })
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        // One pass over the pods: distinct toleration lists of movable, scheduled pods.
        let mut lists: HashMap<u64, Vec<Seq<'_>>> = HashMap::default();
        let mut total = 0usize;
        let mut on_node: HashMap<&str, usize> = HashMap::default();
        for &pod in ctx.index.of_kind("Pod") {
            let Some(node) = pod.raw.path(&["spec", "nodeName"]).and_then(Node::as_str) else {
                continue;
            };
            if !is_movable(pod) {
                continue;
            }
            total += 1;
            *on_node.entry(node).or_default() += 1;
            let tolerations = tolerations_of(pod);
            if !tolerations.is_empty() {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                tolerations.iter().for_each(|t| hash_node(t, &mut hasher));
                let same = lists.entry(hasher.finish()).or_default();
                if !same.contains(&tolerations) {
                    same.push(tolerations);
                }
            }
        }
        let mut findings = Vec::new();
        for (node, taints) in candidates {
            // A pod that tolerates everything (`operator: Exists` without a key: system
            // agents, operators) says nothing about whether a pool is meant to be used.
            if lists
                .values()
                .flatten()
                .any(|tols| tolerates_all_by_key(*tols, &taints))
            {
                continue;
            }
            let here = on_node.get(node.name.as_str()).copied().unwrap_or(0);
            let others = total.saturating_sub(here);
            if others == 0 {
                continue;
            }
            let name = &node.name;
            let texts: Vec<String> = taints.iter().map(|t| taint_text(*t)).collect();
            let shown = texts.join(", ");
            let own = if here > 0 {
                format!(
                    " The {here} pod{} already on it do{} not tolerate it either and will not come back after its own drain.",
                    if here == 1 { "" } else { "s" },
                    if here == 1 { "es" } else { "" }
                )
            } else {
                String::new()
            };
            findings.push(
                INFO.about(node)
                    .title(format!("No pod tolerates the taint {shown} of node {name}"))
                    .message(format!(
                        "Node {name} is schedulable and Ready but carries {shown}, which none of the cluster's movable pods tolerates: the {others} pod{} a drain of the other nodes would move cannot use its room.{own}",
                        if others == 1 { "" } else { "s" },
                    ))
                    .fix(format!(
                        "If the taint is a leftover, remove it (kubectl taint nodes {name} {}); if {name} is a dedicated pool, add the matching toleration and node selector to the workloads meant for it. Otherwise do not count {name} as room for drains.",
                        taints
                        .iter()
                        .map(|t| {
                            let key = t.get("key").and_then(Node::as_str).unwrap_or("");
                            let effect = t.get("effect").and_then(Node::as_str).unwrap_or("");
                            format!("{key}:{effect}-")
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    ))
                    .evidence("node spec and pod tolerations")
                    .detail("node", name)
                    .detail("taints", texts.join(","))
                    .detail("pods_that_cannot_use_it", others)
                    .detail("pods_on_node", here)
                    .build()
            );
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::tolerates;

    #[test]
    fn toleration_matching() {
        let n = |j: serde_json::Value| mcp_diag_model::Doc::from(j);
        let taint = n(serde_json::json!({"key": "gpu", "value": "a100", "effect": "NoSchedule"}));
        assert!(tolerates(
            n(serde_json::json!({"key": "gpu", "value": "a100"})).root(),
            taint.root()
        ));
        assert!(!tolerates(
            n(serde_json::json!({"key": "gpu", "value": "t4"})).root(),
            taint.root()
        ));
        assert!(tolerates(
            n(serde_json::json!({"key": "gpu", "operator": "Exists", "effect": "NoSchedule"})).root(),
            taint.root()
        ));
        assert!(!tolerates(
            n(serde_json::json!({"key": "gpu", "operator": "Exists", "effect": "NoExecute"})).root(),
            taint.root()
        ));
        assert!(!tolerates(
            n(serde_json::json!({"operator": "Equal"})).root(),
            taint.root()
        ));
        assert!(!tolerates(
            n(serde_json::json!({"key": "gpu", "operator": "Lt", "value": "1"})).root(),
            taint.root()
        ));
    }
}
