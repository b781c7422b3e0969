use mcp_diag_model::{Finding, Severity};

use crate::words::name_list;
use crate::workloads::{Workload, plural, workloads};
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
        let mut findings = Vec::new();
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
        for w in workloads(ctx).iter().filter(|w| w.expects_probes() && served(w)) {
            let missing = w.containers_without("readinessProbe");
            if missing.is_empty() {
                continue;
            }
            let what = w.describe();
            let list = name_list(&missing, 5);
            findings.push(
                w.about(&INFO, &missing)
                    .title(format!("No readiness probe in {what} ({list})"))
                    .message(format!(
                        "{what}: container{} {list} {} no readinessProbe, so {} Ready as soon as {} started. During a drain the replacement pods get traffic before they can serve, and rolling updates and disruption budgets count them as healthy too early.",
                        plural(missing.len()),
                        if missing.len() == 1 { "has" } else { "have" },
                        if missing.len() == 1 { "it counts as" } else { "they count as" },
                        if missing.len() == 1 { "it has" } else { "they have" },
                    ))
                    .fix(format!(
                        "Add a readinessProbe to {list} in {what} that succeeds only when the container can serve (an HTTP endpoint such as /ready, or a TCP check of the serving port), distinct from the liveness probe."
                    ))
                    .build()
            );
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity, SourceKind};

    use crate::rules::test_support::{TODAY, inventory, options, run_check, scan_yaml};

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d1}
spec:
  replicas: 3
  template:
    spec:
      initContainers:
      - name: migrate
        image: migrate:1
      containers:
      - name: web
        image: web:1
        livenessProbe: {httpGet: {path: /healthz, port: 8080}, failureThreshold: 3}
      - name: sidecar
        image: proxy:1
        readinessProbe: {tcpSocket: {port: 15000}}
";

    #[test]
    fn reports_containers_without_readiness_once_per_deployment() {
        let pods = "---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d9, namespace: shop, uid: r1, ownerReferences: [{kind: Deployment, name: web, uid: d1, controller: true}]}
spec: {template: {spec: {containers: [{name: web}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-5d9-a, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: web-5d9, uid: r1, controller: true}]}
spec: {containers: [{name: web}]}
";
        let f = run_check(
            "probe-missing-readiness",
            &format!("{DEPLOY}{pods}"),
            m(30),
            Some(m(29)),
        );
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].object.as_ref().unwrap().kind, "Deployment");
        assert_eq!(f[0].details["containers"], "web");
        assert!(f[0].message.contains("Deployment shop/web"), "{}", f[0].message);
        // Manifests too (spec check).
        let f = scan_yaml(DEPLOY, m(30), None);
        assert_eq!(
            f.iter().filter(|f| f.check == "probe-missing-readiness").count(),
            1
        );
    }

    #[test]
    fn nearest_negative_readiness_present_init_containers_jobs_mirror_pods() {
        let ok = DEPLOY.replace(
            "livenessProbe: {httpGet: {path: /healthz, port: 8080}, failureThreshold: 3}",
            "readinessProbe: {httpGet: {path: /ready, port: 8080}}",
        );
        assert!(run_check("probe-missing-readiness", &ok, m(30), Some(m(29))).is_empty());
        let others = "apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: r}]}}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: etcd-cp-1, namespace: kube-system, annotations: {kubernetes.io/config.mirror: abc}}
spec: {containers: [{name: etcd}]}
---
apiVersion: v1
kind: Pod
metadata: {name: once, namespace: shop}
spec: {restartPolicy: Never, containers: [{name: once}]}
";
        assert!(run_check("probe-missing-readiness", others, m(30), Some(m(29))).is_empty());
    }

    #[test]
    fn pods_of_a_missing_controller_are_folded() {
        let mut yaml = String::new();
        for i in 0..4 {
            yaml.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: web-{i}, namespace: shop, ownerReferences: [{{kind: ReplicaSet, name: web-5d9, uid: gone, controller: true}}]}}\nspec: {{containers: [{{name: web}}]}}\n---\n"
            ));
        }
        yaml.push_str("apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\nspec: {containers: [{name: sh}]}\n");
        let f = run_check("probe-missing-readiness", &yaml, m(30), Some(m(29)));
        assert_eq!(f.len(), 2, "{f:#?}");
        let folded = f.iter().find(|f| f.details.contains_key("owner_kind")).unwrap();
        assert!(
            folded.message.contains("and 3 more (of ReplicaSet web-5d9"),
            "{}",
            folded.message
        );
    }

    #[test]
    fn bad_input_does_not_panic() {
        let yaml = "apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: x}
spec: {template: {spec: {containers: [{name: a, readinessProbe: 7}, 5, {image: b}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: x}
spec: {template: 3}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: c, namespace: x, ownerReferences: 9}
spec: {template: {spec: {containers: 1}}}
";
        let inv = inventory(yaml, SourceKind::Manifests);
        let f = crate::run_all(
            &inv,
            &crate::Settings {
                target: m(30),
                current: None,
                today: TODAY,
                rules: &[],
                options: &options(),
            },
        );
        let ours: Vec<_> = f
            .iter()
            .filter(|f| f.check == "probe-missing-readiness")
            .collect();
        assert_eq!(ours.len(), 1, "{ours:#?}");
        assert!(ours[0].message.contains("<unnamed>"), "{}", ours[0].message);
    }
}
