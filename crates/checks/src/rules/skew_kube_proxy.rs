use std::collections::{BTreeMap, HashMap, HashSet};

use mcp_diag_data::skew::{self, KUBE_PROXY_VERSION_FIELD, RelativeTo, SkewComponent, Verdict};
use mcp_diag_model::{Finding, KubeVersion, Severity};

use super::skew_common::{
    NodeVersions, Stage, Violation, allowed_kubelet_min, first_violation, node_name, node_versions, owned_by,
    real_version, stages, usable,
};
use crate::components::Component;
use crate::words::{name_list, plural};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "skew-kube-proxy",
    severity: Severity::Blocker,
    title: "kube-proxy outside the supported version skew",
    doc: r#"## What it checks
kube-proxy versions, read from the `kube-proxy` images of its DaemonSet and pods, against
kube-apiserver now and at every hop of the upgrade, and against the kubelet on the same
node:

- kube-proxy must not be newer than kube-apiserver, and may be up to three minors older
  (two when kube-proxy is older than 1.25);
- kube-proxy may be up to three minors older or newer than the kubelet it runs alongside
  (two when kube-proxy is older than 1.25).

The check reports the first hop at which kube-proxy falls outside, naming the DaemonSet (or
the pod and its node) and the allowed range. Where no kube-proxy pod is seen on a node,
`status.nodeInfo.kubeProxyVersion` is read, but only as `info`: the kubelet sets that field
to its own version (or leaves it empty), it never knew the kube-proxy version, and it is
deprecated. A value equal to the kubelet's is ignored (`skew-kubelet` covers it); empty
values and placeholders such as `v0.0.0` are ignored. Unreadable image tags (`latest`,
digests) give an `info` "version unknown".

Sources: kubernetes/website `content/en/releases/version-skew-policy.md`, section
"kube-proxy"; KEP-4004 (kubernetes/enhancements
`keps/sig-network/4004-deprecate-kube-proxy-version`).

## Why it matters
kube-proxy programs every node's Service rules from the API. Outside the skew it may not
understand the EndpointSlices or Service fields the new API server writes, and Services
break on the nodes it runs on, for every workload at once.

## Example
Control plane 1.29, target 1.33, DaemonSet `kube-system/kube-proxy` on
`registry.k8s.io/kube-proxy:v1.29.4`: at the hop 1.32 -> 1.33 it would be four minors older
than kube-apiserver (allowed: 1.30 to 1.33).

## Fix
Upgrade kube-proxy with the control plane in every hop (`kubeadm upgrade apply` updates the
kube-proxy DaemonSet; with other installers set its image to the hop's version), after the
API servers. Keep every node's kubelet within three minors of it: upgrade lagging nodes (or
replace them) before kube-proxy moves on.
"#,
};

pub struct SkewKubeProxy;

impl Check for SkewKubeProxy {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let stages = stages(ctx);
        let nodes = node_versions(ctx);
        let by_name: HashMap<&str, &NodeVersions<'_>> =
            nodes.iter().map(|n| (n.object.name.as_str(), n)).collect();
        let proxies: Vec<&Component<'_>> = ctx.components.iter().filter(|c| c.name == "kube-proxy").collect();
        let mut findings = Vec::new();

        // Workload templates and cluster.yaml: what the pods are (or will be) running.
        let templates: Vec<&Component<'_>> = proxies
            .iter()
            .copied()
            .filter(|c| c.object.is_none_or(|o| o.kind != "Pod"))
            .collect();
        for t in &templates {
            let mut running_on: Vec<&str> = proxies
                .iter()
                .filter(|p| p.raw == t.raw && t.object.is_some_and(|o| owned_by(p, o)))
                .filter_map(|p| node_name(p))
                .collect();
            running_on.sort_unstable();
            running_on.dedup();
            match usable(t) {
                None => findings.push(unknown(t, &running_on)),
                Some(v) => {
                    if let Some(violation) = first_violation(SkewComponent::KubeProxy, v.minor(), &stages) {
                        findings.push(against_apiserver(t, &violation, &running_on));
                    }
                }
            }
        }

        // Pods: those that differ from their template, and the kubelet next to each.
        let mut seen_nodes = HashSet::new();
        for p in proxies
            .iter()
            .filter(|c| c.object.is_some_and(|o| o.kind == "Pod"))
        {
            let node = node_name(p);
            seen_nodes.extend(node);
            let covered = templates
                .iter()
                .any(|t| t.raw == p.raw && t.object.is_some_and(|o| owned_by(p, o)));
            let Some(v) = usable(p) else {
                if !covered {
                    findings.push(unknown(p, &node.into_iter().collect::<Vec<_>>()));
                }
                continue;
            };
            if !covered && let Some(violation) = first_violation(SkewComponent::KubeProxy, v.minor(), &stages)
            {
                findings.push(against_apiserver(
                    p,
                    &violation,
                    &node.into_iter().collect::<Vec<_>>(),
                ));
            }
            if let Some(n) = node.and_then(|n| by_name.get(n))
                && let Some(kubelet) = &n.kubelet
                && let Some(f) = against_kubelet(p, &v, n, kubelet, Severity::Blocker, &p.raw)
            {
                findings.push(f);
            }
        }

        // Nodes without a kube-proxy pod: what the node status says, as a hint only.
        for n in nodes
            .iter()
            .filter(|n| !seen_nodes.contains(n.object.name.as_str()))
        {
            if let Some(f) = from_node_status(n, &stages) {
                findings.push(f);
            }
        }
        findings
    }
}

fn on_nodes(nodes: &[&str]) -> String {
    match nodes.len() {
        0 => String::new(),
        1 => format!(" on node {}", nodes[0]),
        n => format!(" on {n} nodes ({})", name_list(nodes, 5)),
    }
}

fn against_apiserver(c: &Component<'_>, v: &Violation, nodes: &[&str]) -> Finding {
    let apiserver = v.stage.apiserver();
    let range = v.allowed.map_or_else(|| "none".to_owned(), |r| r.to_string());
    let mut details = BTreeMap::from([
        ("kube_proxy_version", c.raw.clone()),
        ("apiserver_version", apiserver.to_string()),
        ("hop", v.stage.key()),
    ]);
    if let Some(r) = v.allowed {
        details.insert("allowed_min", r.min.to_string());
        details.insert("allowed_max", r.max.to_string());
    }
    if !nodes.is_empty() {
        details.insert("nodes", nodes.join(","));
    }
    let (what, fix) = match v.verdict {
        Verdict::TooNew { by, .. } => {
            details.insert("direction", "newer".to_owned());
            (
                format!("{by} minor{} newer than kube-apiserver {apiserver}", plural(by)),
                format!(
                    "Run kube-proxy at {apiserver} or older: it must never be newer than kube-apiserver. Upgrade the control plane first, then kube-proxy."
                ),
            )
        }
        _ => {
            details.insert("direction", "older".to_owned());
            let by = match v.verdict {
                Verdict::TooOld { by, .. } => by,
                _ => 0,
            };
            let min = v.allowed.map_or(apiserver, |r| r.min);
            let when = match v.stage {
                Stage::Now(_) => "now".to_owned(),
                Stage::Hop { .. } => format!("before the control plane goes to {apiserver}"),
            };
            (
                format!(
                    "{} older than kube-apiserver {apiserver}",
                    mcp_diag_model::plural(by, "minor", "minors")
                ),
                format!(
                    "Upgrade kube-proxy to {min} or newer {when}, and with every later hop: `kubeadm upgrade apply` updates the kube-proxy DaemonSet; with other installers set its image to the hop's version after the API servers. Keep it within three minors of every node's kubelet."
                ),
            )
        }
    };
    INFO.about_maybe(c.object)
        .title(format!(
            "kube-proxy {} outside the skew of kube-apiserver {apiserver}",
            c.raw,
        ))
        .message(format!(
            "kube-proxy {} in {}{} would be {what} {}. The skew policy allows kube-proxy {range} next to kube-apiserver {apiserver} (up to three minors older from kube-proxy 1.25, two before; never newer).",
            c.raw,
            c.evidence(),
            on_nodes(nodes),
            v.stage.describe(),
        ))
        .fix(fix)
        .evidence("container image")
        .details(details)
        .build()
}

fn against_kubelet(
    c: &Component<'_>,
    proxy: &KubeVersion,
    node: &NodeVersions<'_>,
    kubelet: &KubeVersion,
    severity: Severity,
    shown: &str,
) -> Option<Finding> {
    let verdict = skew::check(
        SkewComponent::KubeProxy,
        RelativeTo::KubeletOnSameNode,
        proxy.minor(),
        kubelet.minor(),
    );
    let (by, direction) = match verdict {
        Verdict::TooOld { by, .. } => (by, "older"),
        Verdict::TooNew { by, .. } => (by, "newer"),
        Verdict::Within | Verdict::Unknown => return None,
    };
    let name = &node.object.name;
    let allowed = skew::allowed_range(
        SkewComponent::KubeProxy,
        RelativeTo::KubeletOnSameNode,
        kubelet.minor(),
    );
    let range = allowed.map_or_else(|| "none".to_owned(), |r| r.to_string());
    let mut details = BTreeMap::from([
        ("node", name.clone()),
        ("kube_proxy_version", shown.to_owned()),
        ("kubelet_version", node.kubelet_raw.to_owned()),
        ("direction", direction.to_owned()),
        ("hop", "now".to_owned()),
    ]);
    if let Some(r) = allowed {
        details.insert("allowed_min", r.min.to_string());
        details.insert("allowed_max", r.max.to_string());
    }
    let fix = if direction == "newer" {
        format!(
            "Upgrade the kubelet on {name} (drain the node first) to {} or newer, or replace the node; kube-proxy may be at most three minors newer than its kubelet.",
            allowed_kubelet_min(proxy.minor())
        )
    } else {
        format!(
            "Upgrade kube-proxy on {name} to at least {}.",
            allowed.map_or(kubelet.minor(), |r| r.min)
        )
    };
    Some(
        INFO.about_maybe(c.object.or(Some(node.object)))
            .severity(severity)
            .title(format!(
                "kube-proxy {shown} and kubelet {} on {name} are {} apart",
                node.kubelet_raw,
                mcp_diag_model::plural(by, "minor", "minors"),
            ))
            .message(format!(
                "On node {name}, kube-proxy {shown} is {by} minor{} {direction} than the kubelet {}. The skew policy allows kube-proxy {range} next to a {} kubelet (up to three minors older or newer from kube-proxy 1.25, two before).",
                plural(by),
                node.kubelet_raw,
                kubelet.minor(),
            ))
            .fix(fix)
            .evidence(if c.object.is_some() {
                "container image"
            } else {
                "node status"
            })
            .details(details)
            .build()
    )
}

fn unknown(c: &Component<'_>, nodes: &[&str]) -> Finding {
    INFO.about_maybe(c.object)
        .notice("kube-proxy version unknown")
        .message(format!(
            "kube-proxy in {}{} {}, which is no version: its skew against kube-apiserver and the kubelets cannot be checked, and nothing is assumed about it.",
            c.evidence(),
            on_nodes(nodes),
            crate::rules::skew_common::reference_words(&c.raw),
        ))
        .fix(
            "Pin kube-proxy to a versioned image tag (for example v1.29.4), or check the running version (`kube-proxy --version`) against the skew of every hop.",
        )
        .evidence("container image")
        .detail("kube_proxy_version", c.raw.clone())
        .build()
}

/// `status.nodeInfo.kubeProxyVersion`, used only where no kube-proxy pod was seen, and only
/// when it differs from the kubelet's version (else it is the kubelet's own version).
fn from_node_status(n: &NodeVersions<'_>, stages: &[Stage]) -> Option<Finding> {
    let raw = n.kube_proxy_raw;
    if raw.is_empty() || raw == n.kubelet_raw {
        return None;
    }
    let name = &n.object.name;
    let caveat = format!(
        "No kube-proxy pod was seen on {name}; the version comes from status.nodeInfo.kubeProxyVersion, which {} ({})",
        KUBE_PROXY_VERSION_FIELD
            .text
            .trim_start_matches("status.nodeInfo.kubeProxyVersion "),
        KUBE_PROXY_VERSION_FIELD.source
    );
    let Some(v) = real_version(raw) else {
        // Placeholders (`v0.0.0-master+$Format:%H$`) say nothing; other text is unreadable.
        if KubeVersion::parse(raw).is_ok() {
            return None;
        }
        return Some(
            INFO.about(n.object)
                .notice(format!("kube-proxy version unknown on {name}"))
                .message(format!(
                    "Node {name} reports kube-proxy version {raw:?}, which is no Kubernetes release. {caveat}."
                ))
                .fix(format!(
                    "Check the kube-proxy version on {name} (`kube-proxy --version`) against the skew of every hop."
                ))
                .evidence("node status")
                .detail("node", name)
                .detail("kube_proxy_version", raw)
                .build()
        );
    };
    let mut f = if let Some(violation) = first_violation(SkewComponent::KubeProxy, v.minor(), stages) {
        let apiserver = violation.stage.apiserver();
        let range = violation
            .allowed
            .map_or_else(|| "none".to_owned(), |r| r.to_string());
        let mut details = BTreeMap::from([
            ("node", name.clone()),
            ("kube_proxy_version", raw.to_owned()),
            ("hop", violation.stage.key()),
            ("apiserver_version", apiserver.to_string()),
        ]);
        if let Some(r) = violation.allowed {
            details.insert("allowed_min", r.min.to_string());
            details.insert("allowed_max", r.max.to_string());
        }
        INFO.about(n.object)
            .notice(format!(
                "Node {name} reports kube-proxy {raw}, outside the skew of kube-apiserver {apiserver}"
            ))
            .message(format!(
                "Node {name} reports kube-proxy {raw}: {} it would be outside the skew (allowed: kube-proxy {range} next to kube-apiserver {apiserver}).",
                violation.stage.describe(),
            ))
            .fix(format!(
                "Check the kube-proxy version on {name} (`kube-proxy --version`); if it is {raw}, upgrade it to {} or newer before the control plane goes to {apiserver}.",
                violation.allowed.map_or(apiserver, |r| r.min),
            ))
            .evidence("node status")
            .details(details)
            .build()
    } else {
        let kubelet = n.kubelet.as_ref()?;
        let probe = Component {
            name: "kube-proxy",
            version: Some(v.clone()),
            raw: raw.to_owned(),
            object: None,
            image: None,
        };
        against_kubelet(&probe, &v, n, kubelet, Severity::Info, raw)?
    };
    f.message = format!("{} {caveat}.", f.message);
    Some(f)
}
