use mcp_diag_model::{Finding, Severity};

use crate::workloads::{plural, without_probe, workloads};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "probe-missing-liveness",
    severity: Severity::Low,
    title: "Container without a liveness probe",
    doc: r#"## What it checks
Every container of every pod template (Deployments, StatefulSets, DaemonSets, ReplicaSets and
ReplicationControllers without an owner, bare Pods) that has no `livenessProbe`, reported
once per workload with the containers named. Exempt: init containers, Jobs and CronJobs and
their pods, and mirror pods of static manifests.

## Why it matters
After a node comes back from an upgrade, or after pods move during a drain, a process that
hangs (a deadlock, a lost connection it never retries) stays Running and Ready-less for good:
without a liveness probe the kubelet never restarts it, and the upgrade leaves a silently
broken replica behind. The severity is low because a badly tuned liveness probe is worse
than none (see `probe-liveness-equals-readiness`).

## Example
DaemonSet `logging/fluent-bit`, container `fluent-bit` has only a readinessProbe: a wedged
log shipper on a freshly upgraded node is never restarted.

## Fix
Add a livenessProbe that checks only that the process is alive (a cheap `/healthz`, not its
dependencies), with a generous `failureThreshold` and `timeoutSeconds`, e.g.
`livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6}`.
"#,
};

pub struct ProbeMissingLiveness;

impl Check for ProbeMissingLiveness {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        without_probe(workloads(ctx), &INFO, "livenessProbe", |what, list, n| {
            (
                format!("No liveness probe in {what} ({list})"),
                format!(
                    "{what}: container{} {list} {} no livenessProbe; a process that hangs after the upgrade (on a restarted node or a moved pod) is never restarted by the kubelet.",
                    plural(n),
                    if n == 1 { "has" } else { "have" },
                ),
                format!(
                    "Add a livenessProbe to {list} in {what} that checks only that the process is alive (a cheap /healthz), with a generous failureThreshold and timeoutSeconds; keep it distinct from the readiness probe."
                ),
            )
        })
    }
}
