use mcp_diag_model::{Finding, Severity};

use crate::workloads::{Timings, handler, probe, with_probe};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "probe-liveness-equals-readiness",
    severity: Severity::Medium,
    title: "Liveness probe identical to the readiness probe",
    doc: r#"## What it checks
Containers (once per workload; Jobs, CronJobs, init containers and mirror pods exempt) whose
liveness and readiness probes are the same: the same handler (`httpGet` scheme, host, path
and port; `tcpSocket` port; `exec` command; `grpc` port and service; named ports resolved
against the container's ports) and the same timings (`initialDelaySeconds`,
`periodSeconds`, `timeoutSeconds`, `failureThreshold`, `successThreshold`, with the
Kubernetes defaults 0, 10, 1, 3 and 1 applied where a field is absent). Probes that share
an endpoint but differ in timings are not reported.

## Why it matters
Readiness takes an overloaded pod out of rotation; liveness kills it. When both are the
same, the moment a pod stops being ready it is also restarted. During a drain the remaining
pods take the evicted pods' load; when they slow down they are killed instead of shedding
traffic, and the restarts cascade through the whole Deployment.

## Example
`livenessProbe` and `readinessProbe` both `{httpGet: {path: /health, port: 8080}}` with
defaults: after 30 s of slow answers the container is removed from the Service and
restarted at the same time.

## Fix
Keep readiness as it is and make liveness more tolerant: a cheaper endpoint that checks only
that the process is alive (`/livez`, not the database), and a longer window (e.g.
`failureThreshold: 6`, `timeoutSeconds: 5`), so a busy pod is taken out of rotation long
before it would be killed.
"#,
};

pub struct ProbeLivenessEqualsReadiness;

impl Check for ProbeLivenessEqualsReadiness {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        with_probe(ctx, "livenessProbe")
            .filter_map(|p| {
                let readiness = probe(p.container, "readinessProbe")?;
                let lh = handler(p.probe, p.container)?;
                let rh = handler(readiness, p.container)?;
                let (lt, rt) = (Timings::of(p.probe), Timings::of(readiness));
                if lh != rh || lt != rt {
                    return None;
                }
                let (name, what) = (p.name, p.workload.describe());
                let endpoint = lh.describe();
                let finding = p.about(&INFO)
                    .title(format!("Liveness probe equals readiness probe in {what} ({name})"))
                    .message(format!(
                        "{what}, container {name}: livenessProbe and readinessProbe are both {endpoint} with {}. When the container is too busy to answer it is taken out of rotation and killed at the same moment, so the extra load of a drain restarts pods instead of slowing them down.",
                        lt.describe(),
                    ))
                    .fix(format!(
                        "Make the livenessProbe of {name} in {what} more tolerant than its readiness probe: a cheaper endpoint that checks only that the process is alive, and a longer window (e.g. timeoutSeconds: 5, failureThreshold: 6)."
                    ))
                    .detail("endpoint", endpoint)
                    .detail("timings", lt.describe())
                    .build();
                Some(finding)
            })
            .collect()
    }
}
