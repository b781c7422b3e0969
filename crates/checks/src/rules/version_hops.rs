use mcp_diag_data::skew::{self, NO_SKIPPED_MINORS, RelativeTo, SkewComponent, UPGRADE_ORDER};
use mcp_diag_model::{Finding, Minor, Severity};

use super::skew_common::node_versions;
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "version-hops",
    severity: Severity::Info,
    title: "Upgrade hops, one minor at a time",
    doc: r#"## What it checks
The control-plane minors the upgrade passes through: from 1.29 to 1.32 the control plane
goes 1.29 -> 1.30 -> 1.31 -> 1.32, because kube-apiserver must not skip a minor. The finding
lists the hops and, for each, what must hold before it starts: every kube-apiserver at the
previous minor; kube-controller-manager, kube-scheduler and cloud-controller-manager at the
previous minor and upgraded right after the API servers; kubelets and kube-proxy no more than
three minors older than the hop's kube-apiserver (two for those older than 1.25), with the
nodes that are not there yet.

It is `info` for a single hop (given only when the inventory holds nodes or control-plane
or kube-proxy images, which the prerequisites apply to) and `high` when the target is more
than one minor ahead. With
the current version unknown (manifests), the hops cannot be computed: it says so when the
manifests hold Nodes or control-plane or kube-proxy images, whose checks depend on the hops
(plain application manifests get no such note). A target equal to the current version has no
hop and gives no finding.

Every other version check evaluates every hop, not just the end point.

Sources: kubernetes/website `content/en/releases/version-skew-policy.md`, sections
"Supported version skew" and "Supported component upgrade order".

## Why it matters
Each hop is a full control-plane upgrade with its own prerequisites, API removals and add-on
ranges. Jumping straight to the target is not supported: a multi-minor upgrade is several
upgrades in a row, and nodes that were fine for the first hop can block the third.

## Example
Cluster 1.29, target 1.32 (high): hops 1.30, 1.31, 1.32; before the control plane goes to
1.30 kubelets must be 1.27 or newer (now: worker-b3 at v1.26.15), before 1.31 at 1.28 or
newer, before 1.32 at 1.29 or newer.

## Fix
Plan one control-plane upgrade per hop, upgrading to the latest patch of each minor; check
each hop's prerequisites before starting it, and upgrade lagging nodes first.
"#,
};

pub struct VersionHops;

impl Check for VersionHops {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let target = ctx.target;
        let Some(current) = ctx.current else {
            // Said only where hops would change the verdict (nodes, control-plane or
            // kube-proxy versions): for plain application manifests every removal up to the
            // target is found anyway, and the note would be noise on every CI run.
            return if hop_sensitive(ctx) {
                vec![unknown_current(target)]
            } else {
                Vec::new()
            };
        };
        if current == target {
            return Vec::new();
        }
        if current.major != target.major {
            return vec![
                INFO.finding()
                    .notice(format!("Upgrade path from {current} to {target} unknown"))
                    .message(format!(
                        "The cluster runs {current} and the target is {target}: a different major version, for which no upgrade path is known."
                    ))
                    .fix("Check the target version.")
                    .detail("current", current)
                    .detail("target", target)
                    .build()
            ];
        }
        if target < current {
            return vec![
                INFO.finding()
                    .severity(Severity::High)
                    .title(format!("Target {target} is older than the cluster's {current}"))
                    .message(format!(
                        "The cluster runs {current} and the target is {target}: that is a downgrade. Kubernetes does not support downgrading the control plane to an earlier minor (objects stored by {current} may not be readable by {target})."
                    ))
                    .fix(format!(
                        "Choose a target of {current} or later; to go back, restore from a backup taken before the upgrade."
                    ))
                    .detail("current", current)
                    .detail("target", target)
                    .build()
            ];
        }
        let hops = ctx.hops();
        if hops.len() == 1 && !hop_sensitive(ctx) {
            // One hop and nothing its prerequisites apply to (no nodes, no control plane).
            return Vec::new();
        }
        let path = std::iter::once(current)
            .chain(hops.iter().copied())
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(" → ");
        let nodes = node_versions(ctx);
        let mut from = current;
        let mut steps = Vec::new();
        for hop in &hops {
            steps.push(format!("{from} → {hop}: {}", needs(*hop, from, &nodes)));
            from = *hop;
        }
        let count = hops.len();
        let severity = if count > 1 { Severity::High } else { Severity::Info };
        let message = format!(
            "The control plane goes one minor at a time ({}): {path}, {count} hop{}. Per hop: {}",
            NO_SKIPPED_MINORS.text,
            if count == 1 { "" } else { "s" },
            steps.join(" | ")
        );
        let remediation = if count > 1 {
            format!(
                "Plan {count} control-plane upgrades in a row, each to the latest patch of its minor, and check each hop's prerequisites before starting it. Order within a hop: {}.",
                UPGRADE_ORDER.text
            )
        } else {
            format!("Order within the hop: {}.", UPGRADE_ORDER.text)
        };
        vec![
            INFO.finding()
                .severity(severity)
                .title(format!(
                    "Upgrade {current} → {target}: {count} hop{} ({path})",
                    if count == 1 { "" } else { "s" },
                ))
                .message(message)
                .fix(remediation)
                .detail("current", current)
                .detail("target", target)
                .detail(
                    "hops",
                    hops.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
                )
                .detail("hop_count", count)
                .detail("source", NO_SKIPPED_MINORS.source)
                .build(),
        ]
    }
}

/// What the hop `from` -> `hop` needs, with the nodes that are not there yet.
fn needs(hop: Minor, from: Minor, nodes: &[super::skew_common::NodeVersions<'_>]) -> String {
    let mut parts = vec![
        format!("all kube-apiservers at {from} first"),
        format!(
            "kube-controller-manager, kube-scheduler and cloud-controller-manager at {from}, upgraded to {hop} right after the API servers"
        ),
    ];
    if let Some(oldest) = skew::oldest_kubelet_for(hop) {
        let behind: Vec<String> = nodes
            .iter()
            .filter_map(|n| {
                let k = n.kubelet.as_ref()?;
                (!skew::allowed(SkewComponent::Kubelet, RelativeTo::KubeApiserver, k.minor(), hop))
                    .then(|| format!("{} at {}", n.object.name, n.kubelet_raw))
            })
            .collect();
        let now = if behind.is_empty() {
            String::new()
        } else {
            format!(" (not yet: {})", name_list(&behind, 4))
        };
        parts.push(format!(
            "kubelets and kube-proxy at {oldest} or newer before the control plane goes to {hop}{now}"
        ));
    }
    parts.join("; ")
}

/// Whether the inventory holds versions that are checked per hop.
fn hop_sensitive(ctx: &Context<'_>) -> bool {
    ctx.inventory.objects.iter().any(|o| o.kind == "Node")
        || ctx.components.iter().any(|c| {
            matches!(
                c.name,
                "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kube-proxy"
            )
        })
}

fn unknown_current(target: Minor) -> Finding {
    INFO.finding()
        .notice(format!("Upgrade hops to {target} cannot be computed"))
        .message(format!(
            "The current Kubernetes version is unknown (manifests carry no cluster version), so the hops to {target} cannot be computed; the version checks compare with {target} only. The control plane must still go one minor at a time."
        ))
        .fix(
            "Scan a snapshot or the live cluster to see every hop, or pass the current version if your source supports it.",
        )
        .detail("target", target)
        .build()
}
