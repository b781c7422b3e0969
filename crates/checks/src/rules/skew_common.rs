//! What the skew checks share (kubelet, kube-proxy and control plane): the versions nodes
//! report, the stages of the upgrade at which versions are compared, the first stage that
//! breaks the skew policy, and how a component sighting is read (usable version, node,
//! owning workload). Its own module so that no skew rule imports another.

use mcp_diag_data::skew::{self, RelativeTo, SkewComponent, Verdict};
use mcp_diag_model::{KubeVersion, Minor, Node, Object};

use crate::Context;
use crate::components::Component;

/// The versions a Node reports, read once for the node checks.
pub(crate) struct NodeVersions<'a> {
    pub object: &'a Object,
    /// `status.nodeInfo.kubeletVersion` as written (may be empty).
    pub kubelet_raw: &'a str,
    /// `None` when missing, unreadable or a placeholder (`v0.0.0`).
    pub kubelet: Option<KubeVersion>,
    /// `status.nodeInfo.kubeProxyVersion` as written (may be empty).
    pub kube_proxy_raw: &'a str,
    /// `status.nodeInfo.containerRuntimeVersion` as written (may be empty).
    pub runtime: &'a str,
}

/// A version string that is a real Kubernetes version, not a placeholder such as
/// `v0.0.0-master+$Format:%H$`.
pub(crate) fn real_version(raw: &str) -> Option<KubeVersion> {
    KubeVersion::parse(raw).ok().filter(|v| v.major > 0)
}

/// Every Node of the inventory with the versions it reports.
pub(crate) fn node_versions<'a>(ctx: &Context<'a>) -> Vec<NodeVersions<'a>> {
    ctx.inventory
        .objects
        .iter()
        .filter(|o| o.kind == "Node" && o.api_version == "v1")
        .map(|object| {
            let info = |key: &str| {
                object
                    .raw
                    .path(&["status", "nodeInfo", key])
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .trim()
            };
            let kubelet_raw = info("kubeletVersion");
            NodeVersions {
                object,
                kubelet_raw,
                kubelet: real_version(kubelet_raw),
                kube_proxy_raw: info("kubeProxyVersion"),
                runtime: info("containerRuntimeVersion"),
            }
        })
        .collect()
}

/// A moment at which node and control-plane versions are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The control plane as it is (its oldest kube-apiserver).
    Now(Minor),
    /// After the control plane went to `to`; `from` is unknown for manifests.
    Hop { from: Option<Minor>, to: Minor },
}

impl Stage {
    /// The kube-apiserver version at this stage.
    pub(crate) const fn apiserver(self) -> Minor {
        match self {
            Self::Now(m) | Self::Hop { to: m, .. } => m,
        }
    }

    /// `already now (control plane at 1.29)`, `when the control plane goes to 1.30 (hop 1.29 → 1.30)`.
    pub(crate) fn describe(self) -> String {
        match self {
            Self::Now(m) => format!("already now (control plane at {m})"),
            Self::Hop { from: Some(from), to } => {
                format!("when the control plane goes to {to} (hop {from} → {to})")
            }
            Self::Hop { from: None, to } => format!("with the control plane at the target {to}"),
        }
    }

    /// `now` or the hop's target minor, for `details`.
    pub(crate) fn key(self) -> String {
        match self {
            Self::Now(_) => "now".to_owned(),
            Self::Hop { to, .. } => to.to_string(),
        }
    }
}

/// The stages every node component is checked at: now (when the control-plane version is
/// known), then every hop of the upgrade.
pub(crate) fn stages(ctx: &Context<'_>) -> Vec<Stage> {
    let now = control_plane_now(ctx);
    let mut stages: Vec<Stage> = now.into_iter().map(Stage::Now).collect();
    let mut from = ctx.current;
    for to in ctx.hops() {
        if now == Some(to) && stages.len() == 1 && from.is_none_or(|f| f >= to) {
            continue; // target == current: "now" is the target
        }
        stages.push(Stage::Hop {
            from: from.filter(|f| *f < to),
            to,
        });
        from = Some(to);
    }
    stages
}

/// The first stage at which `version` of a component falls outside the skew allowed next to
/// kube-apiserver.
pub(crate) struct Violation {
    pub stage: Stage,
    pub verdict: Verdict,
    pub allowed: Option<skew::AllowedRange>,
}

pub(crate) fn first_violation(
    component: SkewComponent,
    version: Minor,
    stages: &[Stage],
) -> Option<Violation> {
    stages.iter().find_map(|stage| {
        let verdict = skew::check(component, RelativeTo::KubeApiserver, version, stage.apiserver());
        verdict.is_outside().then(|| Violation {
            stage: *stage,
            verdict,
            allowed: skew::allowed_range(component, RelativeTo::KubeApiserver, stage.apiserver()),
        })
    })
}

/// The oldest kube-apiserver minor running now: the lower of the server version and the
/// kube-apiserver images seen. `None` when the current version is unknown (manifests).
pub(crate) fn control_plane_now(ctx: &Context<'_>) -> Option<Minor> {
    let current = ctx.current?;
    let oldest_image = ctx
        .components
        .iter()
        .filter(|c| c.name == "kube-apiserver")
        .filter_map(|c| c.version.as_ref().filter(|v| v.major == current.major))
        .map(KubeVersion::minor)
        .min();
    Some(oldest_image.map_or(current, |o| o.min(current)))
}

/// `has the tag "latest"`, or `is pinned by digest (sha256:…)` when the image has no tag.
pub(crate) fn reference_words(raw: &str) -> String {
    match raw.split_once('@') {
        Some((_, digest)) => format!("is pinned by digest ({digest}) without a tag"),
        None => format!("has the tag {raw:?}"),
    }
}

pub(crate) fn usable(c: &Component<'_>) -> Option<KubeVersion> {
    c.version.clone().filter(|v| v.major > 0)
}

pub(crate) fn node_name<'a>(c: &Component<'a>) -> Option<&'a str> {
    c.object?.raw.path(&["spec", "nodeName"]).and_then(Node::as_str)
}

/// Whether the pod sighting `p` belongs to the workload `owner` (directly, as DaemonSet pods do).
pub(crate) fn owned_by(p: &Component<'_>, owner: &Object) -> bool {
    p.object.is_some_and(|pod| {
        pod.kind == "Pod"
            && pod.namespace == owner.namespace
            && pod
                .raw
                .path(&["metadata", "ownerReferences"])
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .any(|r| {
                    r.get("kind").and_then(Node::as_str) == Some(owner.kind.as_str())
                        && r.get("name").and_then(Node::as_str) == Some(owner.name.as_str())
                })
    })
}

/// The oldest kubelet a kube-proxy at `proxy` may run next to.
pub(crate) fn allowed_kubelet_min(proxy: Minor) -> Minor {
    (1..=4)
        .rev()
        .filter_map(|by| skew::shift(proxy, -by))
        .find(|k| skew::allowed(SkewComponent::KubeProxy, RelativeTo::KubeletOnSameNode, proxy, *k))
        .unwrap_or(proxy)
}
