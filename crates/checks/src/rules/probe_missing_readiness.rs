use mcp_diag_model::{Finding, Severity};

use crate::workloads::{Workload, plural, without_probe, workloads};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "probe-missing-readiness",
    severity: Severity::Medium,
    title: "Container without a readiness probe",
    doc: r#"## What it checks
Every container of every pod template (Deployments, StatefulSets, DaemonSets, ReplicaSets and
ReplicationControllers without an owner, bare Pods) that has no `readinessProbe`. A workload
is reported once, naming its containers, not once per pod. Exempt: init containers (native
sidecars too), Jobs and CronJobs and the pods they run (run to completion, nobody routes
traffic to them), and mirror pods of static manifests (kubeadm writes etcd,
kube-controller-manager and kube-scheduler without one). When the input holds Services, only
workloads some Service selects are reported: readiness decides where a Service sends traffic,
and operators or controllers that serve nothing do not need it.

## Why it matters
Without a readiness probe a pod counts as Ready the moment its containers start. During a
drain, the replacement of an evicted pod receives traffic before the application listens,
the Deployment's rolling update and the PodDisruptionBudget count it as healthy, and the
next eviction proceeds while nothing serves: errors during every node upgrade.

## Example
Deployment `shop/cart`, container `cart` has a livenessProbe but no readinessProbe: the
drain of its node sends requests to a replacement still loading its caches.

## Fix
Add a readinessProbe that answers only when the container can serve, e.g.
`readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5, failureThreshold: 3}`,
distinct from the liveness probe (which should check only that the process is alive).
"#,
};

pub struct ProbeMissingReadiness;

impl Check for ProbeMissingReadiness {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        // Readiness decides which pods a Service sends traffic to. When the input has
        // Services, workloads no Service selects (operators, controllers) are not asked for
        // one; without Services in the input there is no telling, so every workload is.
        let served = |w: &Workload<'_>| {
            if ctx.index.of_kind("Service").is_empty() {
                return true;
            }
            let labels = if w.object.kind == "Pod" {
                w.object.raw.path(&["metadata", "labels"])
            } else {
                w.object.raw.path(&["spec", "template", "metadata", "labels"])
            };
            let ns = w.object.namespace.as_deref().unwrap_or("default");
            !ctx.index.services_selecting(ns, labels).is_empty()
        };
        let candidates = workloads(ctx).iter().filter(|w| served(w));
        without_probe(candidates, &INFO, "readinessProbe", |what, list, n| {
            (
                format!("No readiness probe in {what} ({list})"),
                format!(
                    "{what}: container{} {list} {} no readinessProbe, so {} Ready as soon as {} started. During a drain the replacement pods get traffic before they can serve, and rolling updates and disruption budgets count them as healthy too early.",
                    plural(n),
                    if n == 1 { "has" } else { "have" },
                    if n == 1 { "it counts as" } else { "they count as" },
                    if n == 1 { "it has" } else { "they have" },
                ),
                format!(
                    "Add a readinessProbe to {list} in {what} that succeeds only when the container can serve (an HTTP endpoint such as /ready, or a TCP check of the serving port), distinct from the liveness probe."
                ),
            )
        })
    }
}
