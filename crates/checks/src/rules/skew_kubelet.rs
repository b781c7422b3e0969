use std::collections::BTreeMap;

use mcp_diag_data::skew::{self, RelativeTo, SkewComponent, Verdict};
use mcp_diag_model::{Finding, KubeVersion, Minor, Node, Object, Severity};

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
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

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
    let now = super::skew_control_plane::control_plane_now(ctx);
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

/// Builds a finding about an object with the common fields filled.
#[allow(clippy::too_many_arguments, reason = "a plain record builder")]
pub(crate) fn finding(
    info: &'static CheckInfo,
    severity: Severity,
    title: String,
    object: Option<&Object>,
    message: String,
    remediation: String,
    evidence: Option<&'static str>,
    details: BTreeMap<&'static str, String>,
) -> Finding {
    Finding {
        check: info.id,
        severity,
        title,
        object: object.map(Object::object_ref),
        location: object.and_then(|o| o.location.clone()),
        message,
        remediation,
        evidence,
        details,
    }
}

/// "worker-a1, worker-a2 and 3 more".
pub(crate) fn name_list<S: AsRef<str>>(names: &[S], limit: usize) -> String {
    let shown: Vec<&str> = names.iter().take(limit).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if names.len() > limit {
        text.push_str(&format!(" and {} more", names.len() - limit));
    }
    text
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
    finding(
        &INFO,
        INFO.severity,
        title,
        Some(node.object),
        message,
        remediation,
        Some("node status"),
        details,
    )
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
    finding(
        &INFO,
        Severity::Info,
        format!("Kubelet version unknown on {name}"),
        Some(node.object),
        format!(
            "Node {name} reports {shown}: its skew against kube-apiserver {at} cannot be checked, and nothing is assumed about it."
        ),
        format!(
            "Check the kubelet version on {name} (`kubelet --version` on the node, or `kubectl get node {name} -o jsonpath='{{.status.nodeInfo.kubeletVersion}}'`) and make sure it is within the skew of every hop."
        ),
        Some("node status"),
        BTreeMap::from([
            ("node", name.clone()),
            ("kubelet_version", node.kubelet_raw.to_owned()),
        ]),
    )
}

pub(crate) const fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity};

    use crate::rules::test_support::run_check;

    fn node(name: &str, kubelet: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: \"{name}\"}}\nstatus:\n  nodeInfo:\n    kubeletVersion: \"{kubelet}\"\n    kubeProxyVersion: \"{kubelet}\"\n    containerRuntimeVersion: containerd://1.7.13\n---\n"
        )
    }

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    #[test]
    fn kubelet_four_minors_behind_at_the_first_hop() {
        let yaml = node("worker-b3", "v1.26.15");
        let f = run_check("skew-kubelet", &yaml, m(30), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Blocker);
        assert!(f[0].message.contains("worker-b3"), "{}", f[0].message);
        assert!(f[0].message.contains("1.27 to 1.30"), "{}", f[0].message);
        assert!(f[0].message.contains("hop 1.29 → 1.30"), "{}", f[0].message);
        assert_eq!(f[0].details["hop"], "1.30");
        assert_eq!(f[0].details["allowed_min"], "1.27");
        assert_eq!(f[0].details["allowed_max"], "1.30");
        assert!(f[0].remediation.contains("1.27 or newer"), "{}", f[0].remediation);
        assert_eq!(f[0].object.as_ref().unwrap().name, "worker-b3");
    }

    #[test]
    fn nearest_negative_three_minors_behind_is_allowed() {
        let yaml = node("worker-a2", "v1.27.9");
        assert!(run_check("skew-kubelet", &yaml, m(30), Some(m(29))).is_empty());
        // ... but not one hop further.
        let f = run_check("skew-kubelet", &yaml, m(32), Some(m(29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].details["hop"], "1.31");
        assert!(
            f[0].remediation.contains("1.29 or newer before the last hop"),
            "{}",
            f[0].remediation
        );
    }

    #[test]
    fn kubelets_before_1_25_are_only_allowed_two_minors() {
        let yaml = node("old", "v1.24.17");
        let f = run_check("skew-kubelet", &yaml, m(27), Some(m(26)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].details["allowed_min"], "1.25");
        assert!(run_check("skew-kubelet", &yaml, m(26), Some(m(25))).is_empty());
    }

    #[test]
    fn already_outside_now() {
        let yaml = node("ancient", "v1.25.0");
        let f = run_check("skew-kubelet", &yaml, m(30), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["hop"], "now");
        assert!(f[0].message.contains("already now"), "{}", f[0].message);
    }

    #[test]
    fn kubelet_newer_than_the_control_plane_or_target() {
        let yaml = node("fresh", "v1.31.2");
        let f = run_check("skew-kubelet", &yaml, m(32), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["direction"], "newer");
        assert_eq!(f[0].details["hop"], "now");
        // Manifests (current unknown): a kubelet newer than the target.
        let f = run_check("skew-kubelet", &node("n", "v1.33.0"), m(32), None);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].remediation.contains("newer than the target 1.32"),
            "{}",
            f[0].remediation
        );
        assert!(run_check("skew-kubelet", &node("n", "v1.32.0"), m(32), None).is_empty());
    }

    #[test]
    fn vendor_suffixes_are_read() {
        let yaml = node("eks", "v1.26.15-eks-1234abcd");
        assert_eq!(run_check("skew-kubelet", &yaml, m(30), Some(m(29))).len(), 1);
        let yaml = node("gke", "v1.27.16-gke.2703000");
        assert!(run_check("skew-kubelet", &yaml, m(30), Some(m(29))).is_empty());
    }

    #[test]
    fn unknown_versions_are_info() {
        for bad in ["latest", "", "v0.0.0-master+$Format:%H$", "sha256:abc"] {
            let f = run_check("skew-kubelet", &node("n", bad), m(30), Some(m(29)));
            assert_eq!(f.len(), 1, "{bad}: {f:#?}");
            assert_eq!(f[0].severity, Severity::Info, "{bad}");
            assert!(f[0].title.contains("version unknown"), "{bad}");
        }
        let no_status = "apiVersion: v1\nkind: Node\nmetadata: {name: bare}\n";
        let f = run_check("skew-kubelet", no_status, m(30), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn same_target_as_current_checks_now_only() {
        assert!(run_check("skew-kubelet", &node("n", "v1.26.0"), m(29), Some(m(29))).is_empty());
        let f = run_check("skew-kubelet", &node("n", "v1.25.0"), m(29), Some(m(29)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["hop"], "now");
    }
}
