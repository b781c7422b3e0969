use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::workloads::{
    container_spec, container_statuses, no_pod_status, pods_have_status, running_pods_with, when,
};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-oomkilled",
    severity: Severity::Medium,
    title: "Container killed for memory",
    doc: r#"## What it checks
Containers whose last termination (`status.containerStatuses[].lastState.terminated`, or the
current `state.terminated`) has reason `OOMKilled`, in a snapshot or the live cluster.
Pods are grouped by their controller; the finding names a few pods, the container, its
memory limit and request, and when it was killed. Manifests have no status and are skipped.

## Why it matters
A container that ran out of memory once runs out again under load. During a drain the pods
that remain take over the evicted pods' traffic, and pods restarting on upgraded nodes warm
their caches at the same time: memory peaks, OOM kills, restarts, and the drain's disruption
budget stalls on unhealthy pods.

## Example
Deployment `shop/search`: pod `search-6f-x`, container `search` OOMKilled 5 hours before the
capture with a memory limit of 512Mi.

## Fix
Raise the container's memory limit (and its request, so the scheduler reserves it) above
its real peak (`kubectl top pod`, or the container_memory_working_set_bytes metric), or fix
the leak. Check that the nodes have room for the larger requests (`node-headroom`).
"#,
};

pub struct PodOomkilled;

fn oom_killed(ctx: &Context<'_>, pod: &Object) -> Vec<String> {
    container_statuses(pod)
        .filter_map(|s| {
            let terminated = [
                s.path(&["lastState", "terminated"]),
                s.path(&["state", "terminated"]),
            ]
            .into_iter()
            .flatten()
            .find(|t| t.get("reason").and_then(Node::as_str) == Some("OOMKilled"))?;
            let name = s.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let resources = container_spec(pod, name).and_then(|c| c.get("resources"));
            let quantity = |key: &str| {
                resources.and_then(|r| r.path(&[key, "memory"])).and_then(|q| {
                    q.as_str()
                        .map(str::to_owned)
                        .or_else(|| q.as_i64().map(|i| i.to_string()))
                })
            };
            let limit = match (quantity("limits"), quantity("requests")) {
                (Some(l), Some(r)) => format!(", memory limit {l}, request {r}"),
                (Some(l), None) => format!(", memory limit {l}"),
                (None, Some(r)) => format!(", no memory limit, request {r}"),
                (None, None) => ", no memory limit or request".to_owned(),
            };
            let at = terminated
                .get("finishedAt")
                .and_then(Node::as_str)
                .map_or_else(String::new, |t| format!(" at {}", when(ctx, t)));
            Some(format!("{name} OOMKilled{at}{limit}"))
        })
        .collect()
}

impl Check for PodOomkilled {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        match pods_have_status(ctx) {
            None => return Vec::new(),
            Some(false) => return vec![no_pod_status(&INFO, "OOM kills")],
            Some(true) => {}
        }
        let (groups, found) =
            running_pods_with(ctx, |pod| Some(oom_killed(ctx, pod)).filter(|k| !k.is_empty()));
        groups
            .into_iter()
            .map(|g| {
                let listed = found.listed(&g, |k| k.join("; "));
                let what = g.describe();
                g.about(&INFO)
                    .title(format!("{what}: {} killed for memory", g.count_text()))
                    .message(if g.is_lone_pod() {
                        format!(
                            "{what} had containers OOMKilled ({listed}). The extra load of a drain (fewer replicas elsewhere, cold caches) makes the next kill likely.",
                        )
                    } else {
                        format!(
                            "{what} has {} whose containers were OOMKilled: {listed}. The extra load of a drain (fewer replicas, cold caches) makes the next kill likely.",
                            g.count_text(),
                        )
                    })
                    .fix(format!(
                        "Raise the memory limit and request of the killed container in {what} above its real peak (kubectl top pod; container_memory_working_set_bytes), or fix the leak; check that the nodes have room for the larger requests."
                    ))
                    .build()
            })
            .collect()
    }
}
