use mcp_diag_model::{Finding, Severity};

use crate::workloads::{Timings, has, with_probe};
use crate::{Check, CheckInfo, Context};

/// A liveness `initialDelaySeconds` above this many seconds calls for a startup probe.
pub(crate) const LONG_INITIAL_DELAY_SECS: i64 = 30;

pub static INFO: CheckInfo = CheckInfo {
    id: "probe-no-startup",
    severity: Severity::Low,
    title: "Long initial delay without a startup probe",
    doc: r#"## What it checks
Containers (once per workload; Jobs, CronJobs, init containers and mirror pods exempt) whose
livenessProbe waits more than 30 seconds (`initialDelaySeconds` > 30) and that have no
`startupProbe`.

## Why it matters
A long initial delay is a guess at the slowest start. During an upgrade, pods start on fresh
nodes with cold image caches and busy disks: when the start takes longer than the guess, the
liveness probe kills the container in the middle of its start, again and again
(CrashLoopBackOff). When it starts faster, the pod waits for nothing, and every drain takes
longer. A startupProbe holds the liveness probe back exactly until the container has started.

## Example
CoreDNS with `livenessProbe: {httpGet: {path: /health, port: 8080}, initialDelaySeconds: 60}`
and no startupProbe.

## Fix
Add a startupProbe on the same endpoint with a window that covers the slowest start
(`periodSeconds: 5, failureThreshold: 30` allows 150 s), and drop the liveness probe's
`initialDelaySeconds` to 0.
"#,
};

pub struct ProbeNoStartup;

impl Check for ProbeNoStartup {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        with_probe(ctx, "livenessProbe")
            .filter_map(|p| {
                let delay = Timings::of(p.probe).initial_delay;
                if delay <= LONG_INITIAL_DELAY_SECS || has(p.container, "startupProbe") {
                    return None;
                }
                let (name, what) = (p.name, p.workload.describe());
                let finding = p.about(&INFO)
                    .title(format!(
                        "{what} ({name}) delays its liveness probe {delay} s without a startup probe"
                    ))
                    .message(format!(
                        "{what}, container {name}: the livenessProbe waits initialDelaySeconds {delay} (more than {LONG_INITIAL_DELAY_SECS} s) and there is no startupProbe. A start slower than {delay} s on a freshly upgraded node is killed mid-start; a faster one waits for nothing and slows every drain."
                    ))
                    .fix(format!(
                        "Add a startupProbe to {name} in {what} on the liveness endpoint with a window covering the slowest start (e.g. periodSeconds: 5, failureThreshold: 30 for 150 s), and set the livenessProbe's initialDelaySeconds to 0."
                    ))
                    .detail("initial_delay_seconds", delay.to_string())
                    .build();
                Some(finding)
            })
            .collect()
    }
}
