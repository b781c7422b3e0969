use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

pub(crate) use crate::rules::scale::namespace_of;
use crate::rules::scale::{Scale, autoscalers, scale_of};
use crate::workloads::describe_object;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "workload-single-replica",
    severity: Severity::Medium,
    title: "Deployment or StatefulSet with a single replica",
    doc: r#"## What it checks
Every Deployment and StatefulSet whose `spec.replicas` is 1, or absent (the API server
defaults it to 1; the finding says so). A HorizontalPodAutoscaler that targets the workload
is taken into account: with `minReplicas` of 2 or more the workload never runs alone and is
not reported; with `minReplicas: 1` the finding names the autoscaler. Workloads scaled to 0
are left alone (scaled down on purpose). Applies to manifests and snapshots.

Not reported when the HorizontalPodAutoscalers were not read completely (see
`input-incomplete`): one not read may raise the replicas. An export without autoscalers is
taken to have none. With Services not read completely, no workload is lowered to `low` for
being selected by no Service.

## Why it matters
An upgrade drains every node. The only pod of a single-replica workload is evicted, and the
service is down until a replacement is scheduled elsewhere, has pulled its image and passed
its readiness probe (for a StatefulSet, until its volume is detached and attached again).
With a PodDisruptionBudget of `minAvailable: 1` on top, the drain does not take it down but
blocks instead (see `pdb-blocks-drain`).

## Example
Deployment `shop/checkout` without `replicas:` runs one pod; draining its node stops checkout
for the 30 to 90 seconds the new pod needs to become ready.

## Fix
Run at least two replicas (`replicas: 2`, or `minReplicas: 2` on the autoscaler), spread them
over nodes (`topologySpreadConstraints` or pod anti-affinity), and protect them with a
PodDisruptionBudget of `maxUnavailable: 1`. For a workload that cannot run two replicas
(a singleton database), plan the downtime window of the drain explicitly.
"#,
};

pub struct WorkloadSingleReplica;

impl Check for WorkloadSingleReplica {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        // An autoscaler not read may raise the replicas: no verdict (input-incomplete names
        // this check).
        if ctx.read_gap("autoscaling", "HorizontalPodAutoscaler") {
            return Vec::new();
        }
        let services_read = !ctx.read_gap("", "Service");
        let hpas = autoscalers(ctx);
        let any_service = !ctx.index.of_kind("Service").is_empty();
        let mut findings = Vec::new();
        for kind in ["Deployment", "StatefulSet"] {
            for object in ctx.index.of_kind(kind) {
                let scale = scale_of(object, &hpas);
                if scale.replicas != Some(1) {
                    continue;
                }
                let mut finding = single(object, &scale);
                // Controllers and operators that no Service selects (leader-elected, often
                // single by design) only pause during a drain; nothing they serve goes down.
                if services_read && any_service && !selected_by_a_service(ctx, object) {
                    finding.severity = Severity::Low;
                    finding.message.push_str(
                        " No Service selects it (a controller or operator), so a drain pauses its work rather than an outage.",
                    );
                }
                findings.push(finding);
            }
        }
        findings
    }
}

/// Whether a Service that carries traffic (not only metrics for Prometheus) selects the
/// workload's pods.
fn selected_by_a_service(ctx: &Context<'_>, object: &Object) -> bool {
    let labels = object.raw.path(&["spec", "template", "metadata", "labels"]);
    let metrics_only = |svc: &Object| {
        let ports = svc
            .raw
            .path(&["spec", "ports"])
            .and_then(Node::as_seq)
            .unwrap_or_default();
        !ports.is_empty()
            && ports.iter().all(|p| {
                p.get("name")
                    .and_then(Node::as_str)
                    .is_some_and(|n| n.contains("metrics") || n.contains("monitoring"))
            })
    };
    ctx.index
        .services_selecting(namespace_of(object), labels)
        .into_iter()
        .any(|svc| !metrics_only(svc))
}

fn single(object: &Object, scale: &Scale<'_>) -> Finding {
    // Named as the finding's object is: a manifest without a namespace names none (it goes
    // where it is applied, not necessarily to `default`).
    let what = describe_object(object);
    let kind = &object.kind;
    let mut details = BTreeMap::from([
        ("replicas", "1".to_owned()),
        ("replicas_defaulted", scale.defaulted.to_string()),
    ]);
    let why = if scale.defaulted {
        " (`replicas` is not set, so the API server defaults it to 1)"
    } else {
        ""
    };
    let (hpa_note, remediation) = match scale.hpa {
        Some((hpa, min)) => {
            details.insert("hpa", hpa.name.clone());
            details.insert("hpa_min_replicas", min.to_string());
            (
                format!(
                    " Its {} has minReplicas: {min}, so it may run alone whenever load is low.",
                    describe_object(hpa)
                ),
                format!(
                    "Raise minReplicas of {} to 2, spread the replicas over nodes (topologySpreadConstraints or pod anti-affinity) and add a PodDisruptionBudget with maxUnavailable: 1.",
                    describe_object(hpa)
                ),
            )
        }
        None => (
            String::new(),
            format!(
                "Set replicas: 2 or more on {what}, spread the replicas over nodes (topologySpreadConstraints or pod anti-affinity) and add a PodDisruptionBudget with maxUnavailable: 1. If it cannot run two replicas, plan the downtime of each drain."
            ),
        ),
    };
    let extra = if kind == "StatefulSet" {
        " For a StatefulSet the replacement also waits for its volume to be detached from the old node and attached to the new one."
    } else {
        ""
    };
    INFO.about(object)
        .title(format!("{what} runs a single replica"))
        .message(format!(
            "{what} runs 1 replica{why}: every drain of its node during the upgrade takes it down until a replacement is scheduled on another node and ready.{extra}{hpa_note}"
        ))
        .fix(remediation)
        .evidence("spec.replicas")
        .details(details)
        .build()
}
