use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::words::name_list;
use crate::workloads::{container_statuses, group_pods, is_terminated, no_pod_status, pods_have_status};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-crashloop",
    severity: Severity::High,
    title: "Pod in CrashLoopBackOff",
    doc: r#"## What it checks
Pods whose containers (or init containers) wait with reason `CrashLoopBackOff` in the
snapshot or live cluster (`status.containerStatuses[].state.waiting.reason`). Pods are
grouped by the controller that owns them (one finding per Deployment, StatefulSet, ...,
naming a few pods, the containers, their restart counts and last exit). Manifests have no
status and are skipped; a snapshot whose pods carry no status gives one `info` finding.

## Why it matters
A crash-looping workload is already below its desired replicas. Its PodDisruptionBudget
counts the crashing pods as unhealthy, so evictions of its healthy pods are refused and the
drain of their nodes stalls; or, without a budget, the drain takes the last healthy replicas.
Upgrading also makes it impossible to tell whether the upgrade broke it.

## Example
Deployment `shop/checkout`: 2 pods (of 3 replicas) in CrashLoopBackOff, container
`checkout` restarted 143 times, last exit code 1 (Error).

## Fix
Fix the workload before the upgrade: `kubectl logs POD -c CONTAINER --previous` shows why
it exits; `kubectl describe pod` shows probe failures and OOM kills. If the workload is
abandoned, scale it to zero or delete it.
"#,
};

pub struct PodCrashloop;

/// `checkout-7d-x (checkout: 143 restarts, last exit 1 Error)`.
pub(crate) fn crashing(pod: &Object) -> Vec<String> {
    container_statuses(pod)
        .filter(|s| {
            s.path(&["state", "waiting", "reason"]).and_then(Node::as_str) == Some("CrashLoopBackOff")
        })
        .map(|s| {
            let name = s.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let restarts = s.get("restartCount").and_then(Node::as_i64).unwrap_or(0);
            let last = s
                .path(&["lastState", "terminated"])
                .map_or_else(String::new, |t| {
                    let code = t.get("exitCode").and_then(Node::as_i64);
                    let reason = t.get("reason").and_then(Node::as_str);
                    match (code, reason) {
                        (Some(c), Some(r)) => format!(", last exit {c} {r}"),
                        (Some(c), None) => format!(", last exit {c}"),
                        (None, Some(r)) => format!(", last exit {r}"),
                        (None, None) => String::new(),
                    }
                });
            format!(
                "{name}: {}{last}",
                mcp_diag_model::plural(restarts, "restart", "restarts")
            )
        })
        .collect()
}

impl Check for PodCrashloop {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        match pods_have_status(ctx) {
            None => return Vec::new(),
            Some(false) => return vec![no_pod_status(&INFO, "CrashLoopBackOff")],
            Some(true) => {}
        }
        let mut detail: Vec<(&Object, Vec<String>)> = Vec::new();
        for &pod in ctx.index.of_kind("Pod") {
            if is_terminated(pod) {
                continue;
            }
            let c = crashing(pod);
            if !c.is_empty() {
                detail.push((pod, c));
            }
        }
        let by_pod: std::collections::HashMap<*const Object, &Vec<String>> =
            detail.iter().map(|(p, c)| (std::ptr::from_ref(*p), c)).collect();
        group_pods(ctx, detail.iter().map(|(p, _)| *p))
            .into_iter()
            .map(|g| {
                let what = g.describe();
                let shown: Vec<String> = g
                    .pods
                    .iter()
                    .map(|p| {
                        let c = by_pod
                            .get(&std::ptr::from_ref(*p))
                            .map_or_else(String::new, |c| c.join("; "));
                        format!("{} ({c})", p.name)
                    })
                    .collect();
                let n = g.pods.len();
                g.about(&INFO)
                    .title(format!("{what}: {} in CrashLoopBackOff", g.count_text()))
                    .message(format!(
                        "{what} has {} in CrashLoopBackOff: {}. Its disruption budget counts them as unhealthy, so evicting its healthy pods during the drain is refused or leaves it without replicas.",
                        g.count_text(),
                        name_list(&shown, 3),
                    ))
                    .fix(format!(
                        "Fix {what} before the upgrade: `kubectl logs {} --previous` and `kubectl describe pod` show why it exits. Scale it to zero or delete it if it is abandoned.{}",
                        g.pods.first().map_or("POD", |p| p.name.as_str()),
                        if n > 1 { " All its crashing pods are named in details.pod_names." } else { "" },
                    ))
                    .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity};

    use crate::rules::test_support::{run_check, scan_yaml};

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    fn pod(name: &str, waiting: &str) -> String {
        format!(
            "apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: shop, ownerReferences: [{{kind: ReplicaSet, name: checkout-7d, uid: rs1, controller: true}}]}}
spec: {{containers: [{{name: checkout}}]}}
status:
  phase: Running
  containerStatuses:
  - name: checkout
    restartCount: 143
    state: {{waiting: {{reason: {waiting}}}}}
    lastState: {{terminated: {{exitCode: 1, reason: Error}}}}
---
"
        )
    }

    const OWNERS: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: checkout-7d, namespace: shop, uid: rs1, ownerReferences: [{kind: Deployment, name: checkout, uid: d1, controller: true}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop, uid: d1}
spec: {replicas: 3}
---
";

    #[test]
    fn one_finding_per_controller() {
        let yaml = format!(
            "{OWNERS}{}{}{}",
            pod("checkout-7d-a", "CrashLoopBackOff"),
            pod("checkout-7d-b", "CrashLoopBackOff"),
            pod("checkout-7d-c", "ContainerCreating")
        );
        let f = run_check("pod-crashloop", &yaml, m(30), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].object.as_ref().unwrap().kind, "Deployment");
        assert_eq!(f[0].details["pods"], "2");
        assert!(f[0].title.contains("2 pods (of 3 replicas)"), "{}", f[0].title);
        assert!(
            f[0].message
                .contains("checkout-7d-a (checkout: 143 restarts, last exit 1 Error)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn nearest_negative_and_missing_status() {
        let yaml = format!("{OWNERS}{}", pod("checkout-7d-c", "ImagePullBackOff"));
        assert!(run_check("pod-crashloop", &yaml, m(30), Some(m(29))).is_empty());
        // Manifests: skipped silently.
        let f = scan_yaml(&format!("{OWNERS}{}", pod("a", "CrashLoopBackOff")), m(30), None);
        assert!(f.iter().all(|f| f.check != "pod-crashloop"));
        // A snapshot without pod status: one info.
        let bare =
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: [{name: a}]}\n";
        let f = run_check("pod-crashloop", bare, m(30), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        // Wrong types: no panic.
        let odd = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nstatus: {containerStatuses: [3, {state: 4}, {state: {waiting: {reason: CrashLoopBackOff}}, restartCount: x}]}\n";
        let f = run_check("pod-crashloop", odd, m(30), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("<unnamed>: 0 restarts"), "{}", f[0].message);
    }
}
