use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Severity};

use crate::workloads::{has_owner, is_mirror_pod, is_terminated, object_details};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-unmanaged",
    severity: Severity::High,
    title: "Pod without a controller",
    doc: r#"## What it checks
Pods with no `ownerReferences` (created directly, not by a Deployment, StatefulSet,
DaemonSet, Job or operator), in manifests, snapshots and live clusters. Mirror pods of static
manifests (annotation `kubernetes.io/config.mirror`) are exempt: the kubelet recreates them
from the file. Pods that already finished (`Succeeded`, `Failed`) are exempt too.

## Why it matters
A drain deletes such a pod and nothing recreates it: the workload is gone after the node's
upgrade. `kubectl drain` refuses to go on without `--force` because of it, so the drain of
the node stalls until someone decides; automated upgrades that pass `--force` delete it
silently.

## Example
Pod `shop/debug-shell` (created with `kubectl run`), on `worker-a1`: draining `worker-a1`
deletes it for good.

## Fix
If the pod is needed, run it from a controller (a Deployment with `replicas: 1`, or a Job
for one-off work) and delete the bare pod; if it is a leftover (a debug shell, a manual test),
delete it before the upgrade.
"#,
};

pub struct PodUnmanaged;

impl Check for PodUnmanaged {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.index
            .of_kind("Pod")
            .iter()
            .filter(|p| !has_owner(p) && !is_mirror_pod(p) && !is_terminated(p))
            .map(|pod| {
                let ns = pod.namespace.as_deref().unwrap_or("default");
                let name = &pod.name;
                let node = pod.raw.path(&["spec", "nodeName"]).and_then(Node::as_str);
                let on = node.map_or_else(String::new, |n| format!(" on node {n}"));
                let mut details: BTreeMap<&'static str, String> = object_details(pod);
                if let Some(n) = node {
                    details.insert("node", n.to_owned());
                }
                INFO.about(pod)
                    .title(format!("Pod {ns}/{name} has no controller"))
                    .message(format!(
                        "Pod {ns}/{name}{on} has no ownerReferences: no Deployment, StatefulSet, DaemonSet, Job or operator recreates it. Draining its node deletes it for good, and `kubectl drain` stops at it unless run with --force."
                    ))
                    .fix(format!(
                        "If {name} is needed, run it from a controller (a Deployment with replicas: 1, or a Job for one-off work) and delete the bare pod; if it is a leftover, delete it before the upgrade (`kubectl delete pod -n {ns} {name}`)."
                    ))
                    .evidence(if ctx.inventory.kind == mcp_diag_model::SourceKind::Manifests {
                        "manifest"
                    } else {
                        "pod metadata"
                    })
                    .details(details)
                    .build()
            })
            .collect()
    }
}
