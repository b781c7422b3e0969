use mcp_diag_model::{Finding, Severity};

use crate::workloads::{Timings, has, with_probe};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "probe-liveness-no-failure-threshold",
    severity: Severity::Medium,
    title: "Liveness probe with an implicit failureThreshold",
    doc: r#"## What it checks
Every liveness probe of every container in a pod template (once per workload; Jobs,
CronJobs, init containers and mirror pods exempt) that does not set `failureThreshold`.
The finding gives the restart window that results: `failureThreshold` (3 by default) times
`periodSeconds` (10 by default), with the probe's `timeoutSeconds` (1 by default).

## Why it matters
Left implicit, Kubernetes kills the container after 3 failed probes: with the defaults,
30 seconds of failure and one-second timeouts. During an upgrade the control plane, DNS and
the CNI restart; a dependency check or a slow answer under the extra load of evicted pods
fails three probes in a row and the kubelet restarts healthy containers, which then all start
at once. An explicit threshold shows the window was chosen.

## Example
Deployment `shop/profile`, container `profile`:
`livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 10}` with no
`failureThreshold`: 30 s of failed (or slow, over 1 s) answers restarts it.

## Fix
Set `failureThreshold` (and `timeoutSeconds`) explicitly, sized so that the probe tolerates a
blip of a minute or more, e.g. `periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6`.
"#,
};

pub struct ProbeLivenessNoFailureThreshold;

impl Check for ProbeLivenessNoFailureThreshold {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        with_probe(ctx, "livenessProbe")
            .filter(|p| !has(p.probe, "failureThreshold"))
            .map(|p| {
                let (name, what) = (p.name, p.workload.describe());
                let t = Timings::of(p.probe);
                let window = t.failure_threshold.saturating_mul(t.period);
                p.about(&INFO)
                    .title(format!("Liveness probe of {what} ({name}) leaves failureThreshold implicit"))
                    .message(format!(
                        "{what}, container {name}: the livenessProbe sets no failureThreshold, so Kubernetes restarts the container after {} failed probes: {window} s of failures at periodSeconds {}, each failing after timeoutSeconds {}. A short blip during the upgrade (DNS, network, a slow dependency) restarts healthy containers.",
                        t.failure_threshold,
                        t.period,
                        t.timeout,
                    ))
                    .fix(format!(
                        "Set failureThreshold (and timeoutSeconds) on the livenessProbe of {name} in {what} explicitly, so that it tolerates a blip of a minute or more, e.g. periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6."
                    ))
                    .detail("restart_window_seconds", window.to_string())
                    .detail("period_seconds", t.period.to_string())
                    .detail("timeout_seconds", t.timeout.to_string())
                    .build()
            })
            .collect()
    }
}
