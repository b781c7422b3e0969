use std::collections::BTreeMap;

use mcp_diag_data::skew::{self, RelativeTo, SkewComponent, Verdict};
use mcp_diag_model::{Finding, KubeVersion, Severity};

use super::skew_common::{NodeVersions, Stage, Violation, first_violation, node_versions, stages};
use crate::words::plural;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "skew-kubelet",
    severity: Severity::Blocker,
    title: "Kubelet outside the supported version skew",
    doc: r#"## What it checks
Every Node's kubelet (`status.nodeInfo.kubeletVersion`) against the kube-apiserver version now
and at every hop of the upgrade (1.29 -> 1.30 -> 1.31 -> 1.32: each minor the control plane
passes through). The version skew policy allows a kubelet to be up to three minors older
than kube-apiserver when the kubelet is 1.25 or newer, two minors when it is older than 1.25,
and never newer. The check reports the first hop at which a node's kubelet falls outside
that range, names the node and gives the allowed range.

A kubelet whose version cannot be read (empty, `latest`, a placeholder such as `v0.0.0`) is
reported as `info` "version unknown": nothing is assumed about it.

Source: kubernetes/website `content/en/releases/version-skew-policy.md`, section "kubelet"
(the n-3 rule holds from kubelet 1.25; before, n-2).

## Why it matters
The control plane is upgraded first. A kubelet outside the skew is an unsupported
combination: it may fail to register, lose its lease, or mishandle API fields it does not
know, and the node goes NotReady in the middle of the upgrade. Nodes that already lag three
minors behind block the next control-plane upgrade.

## Example
Control plane 1.29, target 1.32, node `worker-b3` on kubelet v1.26.15: at the hop
1.29 -> 1.30 the kubelet would be four minors older than kube-apiserver (allowed: 1.27 to
1.30). Nodes on v1.27.9 survive 1.30 but not 1.31.

## Fix
Before the control plane goes to the reported hop, upgrade the node's kubelet to at least the
allowed minimum (drain the node first; replacing the node with one built on a newer image is
often simpler). Upgrading kubelets to the current control-plane minor before starting keeps
them inside the skew for up to three further hops. Never run a kubelet newer than the API
server: upgrade the control plane first.
"#,
};

pub struct SkewKubelet;

impl Check for SkewKubelet {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let stages = stages(ctx);
        let mut findings = Vec::new();
        for node in node_versions(ctx) {
            let Some(kubelet) = &node.kubelet else {
                findings.push(unknown_kubelet(&node, &stages));
                continue;
            };
            if let Some(v) = first_violation(SkewComponent::Kubelet, kubelet.minor(), &stages) {
                findings.push(outside(ctx, &node, kubelet, &v));
            } else if stages.iter().any(|s| {
                skew::check(
                    SkewComponent::Kubelet,
                    RelativeTo::KubeApiserver,
                    kubelet.minor(),
                    s.apiserver(),
                ) == Verdict::Unknown
            }) {
                findings.push(unknown_kubelet(&node, &stages));
            }
        }
        findings
    }
}

fn outside(ctx: &Context<'_>, node: &NodeVersions<'_>, kubelet: &KubeVersion, v: &Violation) -> Finding {
    let name = &node.object.name;
    let apiserver = v.stage.apiserver();
    let allowed = v
        .allowed
        .map_or_else(|| "none known".to_owned(), |r| r.to_string());
    let mut details = BTreeMap::from([
        ("node", name.clone()),
        ("kubelet_version", node.kubelet_raw.to_owned()),
        ("apiserver_version", apiserver.to_string()),
        ("hop", v.stage.key()),
    ]);
    if let Some(r) = v.allowed {
        details.insert("allowed_min", r.min.to_string());
        details.insert("allowed_max", r.max.to_string());
    }
    let rule = match v.verdict {
        Verdict::TooOld { rule, .. } | Verdict::TooNew { rule, .. } => rule.rule,
        Verdict::Within | Verdict::Unknown => "",
    };
    let (title, message, remediation) = match v.verdict {
        Verdict::TooNew { by, .. } => {
            details.insert("direction", "newer".to_owned());
            let remediation = if kubelet.minor() > ctx.target {
                format!(
                    "The kubelet on {name} is newer than the target {target}: upgrade to at least {kminor} instead, or reinstall the node with a kubelet of {target} or older. Never run a kubelet newer than the API server.",
                    target = ctx.target,
                    kminor = kubelet.minor()
                )
            } else {
                format!(
                    "Upgrade the control plane to {kminor} before this node joins it, or reinstall the node with a kubelet of {apiserver} or older. Never run a kubelet newer than the API server.",
                    kminor = kubelet.minor()
                )
            };
            (
                format!(
                    "Kubelet {} on {name} is newer than kube-apiserver {apiserver}",
                    node.kubelet_raw
                ),
                format!(
                    "Node {name} runs kubelet {} ({by} minor{} newer than kube-apiserver {apiserver}) {}. The skew policy allows kubelets {allowed} next to kube-apiserver {apiserver}: {rule}.",
                    node.kubelet_raw,
                    plural(by),
                    v.stage.describe()
                ),
                remediation,
            )
        }
        _ => {
            details.insert("direction", "older".to_owned());
            let oldest_for_target = skew::oldest_kubelet_for(ctx.target);
            let survives = skew::newest_apiserver_for_kubelet(kubelet.minor());
            let ceiling = match v.stage {
                Stage::Now(now) => now,
                Stage::Hop { from, to } => from.unwrap_or(to),
            };
            let min = v.allowed.map_or(apiserver, |r| r.min);
            let mut remediation = match v.stage {
                Stage::Now(_) => format!(
                    "Upgrade the kubelet on {name} to {min} or newer (at most {ceiling}) now: drain the node, upgrade kubelet and kube-proxy, uncordon; or replace the node with one on a newer image."
                ),
                Stage::Hop { .. } => format!(
                    "Before the control plane goes to {apiserver}, upgrade the kubelet on {name} to {min} or newer (at most {ceiling}, the control plane before that hop): drain the node, upgrade kubelet and kube-proxy, uncordon; or replace the node with one on a newer image."
                ),
            };
            if let Some(oldest) = oldest_for_target.filter(|o| *o > min) {
                remediation.push_str(&format!(
                    " To reach the target {}, kubelets must be at {oldest} or newer before the last hop.",
                    ctx.target
                ));
            }
            let survives = survives.map_or_else(String::new, |s| {
                format!(
                    " A {} kubelet is supported up to a {s} control plane.",
                    kubelet.minor()
                )
            });
            (
                format!(
                    "Kubelet {} on {name} too old for kube-apiserver {apiserver}",
                    node.kubelet_raw
                ),
                format!(
                    "Node {name} runs kubelet {}: {} it would be {} older than kube-apiserver {apiserver}. The skew policy allows kubelets {allowed} next to kube-apiserver {apiserver} ({rule}).{survives}",
                    node.kubelet_raw,
                    v.stage.describe(),
                    mcp_diag_model::plural(
                        match v.verdict {
                            Verdict::TooOld { by, .. } => by,
                            _ => 0,
                        },
                        "minor",
                        "minors"
                    ),
                ),
                remediation,
            )
        }
    };
    INFO.about(node.object)
        .words(title, message, remediation)
        .evidence("node status")
        .details(details)
        .build()
}

fn unknown_kubelet(node: &NodeVersions<'_>, stages: &[Stage]) -> Finding {
    let name = &node.object.name;
    let shown = if node.kubelet_raw.is_empty() {
        "no kubelet version (status.nodeInfo.kubeletVersion is missing or empty)".to_owned()
    } else {
        format!(
            "kubelet version {:?}, which is no Kubernetes release",
            node.kubelet_raw
        )
    };
    let at = stages
        .iter()
        .map(|s| s.apiserver().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    INFO.about(node.object)
        .notice(format!("Kubelet version unknown on {name}"))
        .message(format!(
            "Node {name} reports {shown}: its skew against kube-apiserver {at} cannot be checked, and nothing is assumed about it."
        ))
        .fix(format!(
            "Check the kubelet version on {name} (`kubelet --version` on the node, or `kubectl get node {name} -o jsonpath='{{.status.nodeInfo.kubeletVersion}}'`) and make sure it is within the skew of every hop."
        ))
        .evidence("node status")
        .detail("node", name)
        .detail("kubelet_version", node.kubelet_raw)
        .build()
}
