use mcp_diag_data::addons::{self, AddonSupport, Statement};
use mcp_diag_data::kubeadm::{self, Ver};
use mcp_diag_model::{Finding, KubeVersion, Minor, Severity};

use crate::components::{Sightings, group_by_version};
use crate::{Check, CheckInfo, Context, FindingBuilder};

pub static INFO: CheckInfo = CheckInfo {
    id: "addon-unsupported",
    severity: Severity::Blocker,
    title: "Add-on or CNI version not supported on the target",
    doc: r#"## What it checks
The versions of Calico, Cilium, Flannel, CoreDNS, ingress-nginx, cert-manager, Velero,
metrics-server and Istio, read from their workloads' images (`calico/node`, `cilium/cilium`,
`coredns/coredns`, `ingress-nginx/controller`, `jetstack/cert-manager-controller`,
`velero/velero`, `metrics-server/metrics-server`, `istio/pilot`, mirrors included) and from
operator resources (the Tigera operator's `Installation`, Calico's `ClusterInformation`,
`IstioOperator`), against each project's published Kubernetes support table, for every hop of
the upgrade:

- Calico: tested Kubernetes versions per minor (3.25: 1.23-1.28, 3.28: 1.27-1.30, 3.29:
  1.29-1.32, ...; docs.tigera.io system requirements).
- Cilium 1.12 (up to 1.24), 1.18 (1.30-1.33), 1.19 (1.32-1.35); other Cilium minors are unknown.
- ingress-nginx (README "Supported Versions" table, v1.3.1 to v1.15.1; the project is retired),
  cert-manager (1.5 to 1.21), Velero (1.4, 1.5, 1.8 to 1.18), metrics-server (0.3.x to
  0.9.x), Istio (1.7 to 1.30).
- Flannel publishes no table: always `info`.
- CoreDNS publishes no range either; the CoreDNS that kubeadm installs per minor is the
  reference: older than kubeadm's for a hop gives `info`.

One finding per component and version (not per pod), naming one workload and how many run it;
two versions of one component in a cluster give two findings. `blocker` when a published
range excludes a hop; `info` when no range is published for that version or the row is not
confirmed; `info` "version unknown" when the image tag is no version.

## Why it matters
A CNI outside its tested range is the classic failed upgrade: nodes go NotReady or pods lose
networking right after the control plane moves. Add-ons that call removed or changed APIs
(admission webhooks of cert-manager, the ingress controller, metrics-server behind the HPA)
fail in ways that look like application outages.

## Example
The demo cluster (1.29) runs Calico v3.25.2 (tested on 1.23-1.28), ingress-nginx v1.9.6
(1.25-1.29) and cert-manager v1.13.3 (1.21-1.27). Upgrading to 1.32: the 1.29 → 1.30 hop leaves
all three ranges. Fix: Calico 3.29 (1.29-1.32), ingress-nginx v1.12.0 (1.28-1.32),
cert-manager 1.15 (1.25-1.32), each covering the current release and every hop.

## Fix
Upgrade the add-on to the version the finding names (the lowest one, not older than what runs
now, whose published range covers the target, and every hop where one exists) before the hop
it names. For Calico installed by the Tigera operator, upgrade the operator: it upgrades
Calico. If an add-on's range is unknown, check its release notes yourself before the upgrade.
"#,
};

/// The components this check evaluates (kube-proxy has its own skew check).
const CHECKED: &[&str] = &[
    "calico",
    "cilium",
    "flannel",
    "coredns",
    "ingress-nginx",
    "cert-manager",
    "velero",
    "metrics-server",
    "istio",
];

fn display_name(name: &str) -> &str {
    match name {
        "calico" => "Calico",
        "cilium" => "Cilium",
        "flannel" => "Flannel",
        "coredns" => "CoreDNS",
        "velero" => "Velero",
        "istio" => "Istio",
        other => other,
    }
}

pub struct AddonUnsupported;

impl Check for AddonUnsupported {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let hops = ctx.hops();
        let sightings = ctx.components.iter().filter(|c| CHECKED.contains(&c.name));
        let mut out = Vec::new();
        for group in group_by_version(sightings) {
            let finding = match group.version.clone() {
                None => Some(version_unknown(&group)),
                Some(v) if group.name == "coredns" => coredns(ctx, &group, &v, &hops),
                Some(v) => against_table(ctx, &group, &v, &hops),
            };
            out.extend(finding);
        }
        out
    }
}

/// A finding about the add-on seen in `group`: where it was seen and how widely it runs.
fn about(group: &Sightings<'_, '_>) -> FindingBuilder {
    INFO.about_maybe(group.reference.object)
        .evidence(match group.reference.object {
            Some(_) if group.reference.image.is_some() => "container image",
            Some(_) => "operator resource",
            None => "cluster.yaml",
        })
        .detail("component", group.name)
        .detail(
            "version",
            group
                .version
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), ToString::to_string),
        )
        .detail("workloads", group.workloads().len())
        .detail("pods", group.pods())
}

fn version_unknown(group: &Sightings<'_, '_>) -> Finding {
    let name = display_name(group.name);
    about(group)
        .notice(format!("{name} version unknown ({})", group.raw()))
        .message(format!(
            "The {name} version cannot be read from {:?} ({}; {}), so it was not compared with {name}'s supported Kubernetes versions.",
            group.raw(),
            group.reference.evidence(),
            group.usage(),
        ))
        .fix(format!(
            "Pin the {name} image to a version tag (or check the running version yourself) and compare it with {name}'s compatibility table before the upgrade."
        ))
        .detail("raw", group.raw())
        .build()
}

fn verb(statement: Statement) -> &'static str {
    match statement {
        Statement::Tested => "tested",
        Statement::Expected => "expected to work",
        _ => "supported",
    }
}

/// The hop before `hop` in the plan, for "the 1.29 → 1.30 hop".
fn hop_text(ctx: &Context<'_>, hops: &[Minor], hop: Minor) -> String {
    let before = hops
        .iter()
        .position(|h| *h == hop)
        .and_then(|i| i.checked_sub(1).map(|j| hops[j]))
        .or(ctx.current.filter(|c| *c < hop));
    match before {
        Some(b) => format!("the {b} → {hop} hop"),
        None => format!("Kubernetes {hop}"),
    }
}

/// The lowest version, not older than `v`, whose published (confirmed) range covers every
/// minor in `needed`; else the lowest covering `target` alone.
fn fix_for(name: &str, v: Ver, needed: &[Minor], target: Minor) -> Option<(&'static AddonSupport, bool)> {
    let candidates =
        || addons::rows_of(name).filter(move |r| r.verified && r.statement.is_support_range() && r.max >= v);
    candidates()
        .find(|r| needed.iter().all(|m| r.kubernetes.contains(*m) == Some(true)))
        .map(|r| (r, true))
        .or_else(|| {
            candidates()
                .find(|r| r.kubernetes.contains(target) == Some(true))
                .map(|r| (r, false))
        })
}

fn prefixed(raw: &str, v: Ver) -> String {
    if raw.starts_with(['v', 'V']) {
        format!("v{v}")
    } else {
        v.to_string()
    }
}

fn known_rows(name: &str, v: Ver) -> String {
    let below = addons::rows_of(name).filter(|r| r.max < v).last();
    let above = addons::rows_of(name).find(|r| r.min > v);
    let describe = |r: &AddonSupport| format!("{} ({} on {})", r.label, verb(r.statement), r.kubernetes);
    match (below, above) {
        (Some(b), Some(a)) => format!("the nearest known rows are {} and {}", describe(b), describe(a)),
        (Some(b), None) => format!("the newest known row is {}", describe(b)),
        (None, Some(a)) => format!("the oldest known row is {}", describe(a)),
        (None, None) => "the tool knows no row for it".to_owned(),
    }
}

fn against_table(
    ctx: &Context<'_>,
    group: &Sightings<'_, '_>,
    version: &KubeVersion,
    hops: &[Minor],
) -> Option<Finding> {
    let name = display_name(group.name);
    let raw = group.raw();
    let v = Ver::of(version);
    let Some(row) = addons::support_of(group.name, v) else {
        return Some(
            about(group)
                .notice(format!("{name} {raw}: supported Kubernetes versions unknown"))
                .message(format!(
                    "The tool knows no published Kubernetes range for {name} {raw} ({}); {}. It does not assume {raw} works on Kubernetes {}.",
                    group.usage(),
                    known_rows(group.name, v),
                    ctx.target,
                ))
                .fix(format!(
                    "Check {name}'s release notes or compatibility table for Kubernetes {} before the upgrade, or move to a version with a published range.",
                    ctx.target,
                ))
                .detail("supported", "unknown")
                .build()
        );
    };
    if !row.kubernetes.is_known() {
        return Some(
            about(group)
                .notice(format!("{name} {raw}: no published Kubernetes support range"))
                .message(format!(
                    "{name} publishes no Kubernetes compatibility table ({}): {}. {}.",
                    row.source,
                    row.note,
                    group.usage(),
                ))
                .fix(format!(
                    "Test {name} {raw} on a Kubernetes {} cluster (or follow its release notes) before upgrading production.",
                    ctx.target,
                ))
                .detail("supported", "unknown")
                .detail("source", row.source)
                .build()
        );
    }
    let leaving = hops
        .iter()
        .copied()
        .find(|h| row.kubernetes.contains(*h) == Some(false))?;
    let blocking = row.verified && row.statement.is_support_range();
    let severity = if blocking {
        Severity::Blocker
    } else {
        Severity::Info
    };
    let current_note = match ctx.current {
        Some(c) if row.kubernetes.contains(c) == Some(false) => {
            format!(" The current release, {c}, is already outside it.")
        }
        _ => String::new(),
    };
    let unverified = if row.verified {
        String::new()
    } else {
        " The row is not confirmed by a primary source, so this is only informational.".to_owned()
    };
    let note = if row.note.is_empty() {
        String::new()
    } else {
        format!(" Note: {}.", row.note)
    };
    let mut needed: Vec<Minor> = ctx.current.into_iter().collect();
    needed.extend(hops.iter().copied());
    let fix = fix_for(group.name, v, &needed, ctx.target);
    let operator = (group.name == "calico")
        .then(|| ctx.components.iter().find(|c| c.name == "tigera-operator"))
        .flatten()
        .map(|op| {
            let at = op
                .object
                .map(|o| format!("{} {}/{}, ", o.kind, o.namespace.as_deref().unwrap_or(""), o.name))
                .unwrap_or_default();
            format!(
                " Calico is installed by the Tigera operator ({at}{}): upgrade the operator to the release that ships that Calico version, and it upgrades Calico.",
                op.raw
            )
        })
        .unwrap_or_default();
    let remediation = match fix {
        Some((r, true)) => format!(
            "Upgrade {name} to {} or later before {} ({name} {} is {} on Kubernetes {}, the current release and every hop included).{operator}",
            prefixed(raw, r.min),
            hop_text(ctx, hops, leaving),
            r.label,
            verb(r.statement),
            r.kubernetes
        ),
        Some((r, false)) => format!(
            "No single {name} version in the table covers the current release and every hop: upgrade {name} during the upgrade, reaching {} or later ({} on Kubernetes {}) by the {} hop.{operator}",
            prefixed(raw, r.min),
            verb(r.statement),
            r.kubernetes,
            ctx.target
        ),
        None => format!(
            "No {name} version in the tool's table is {} on Kubernetes {}: check {name}'s current compatibility table before upgrading.{operator}",
            verb(row.statement),
            ctx.target
        ),
    };
    let mut f = about(group)
        .severity(severity)
        .title(format!(
            "{name} {raw} is not {} on Kubernetes {leaving}",
            verb(row.statement),
        ))
        .message(format!(
            "{name} {raw} ({}) is {} on Kubernetes {} ({name} {}); {} leaves that range.{current_note}{unverified}{note}",
            group.usage(),
            verb(row.statement),
            row.kubernetes,
            row.label,
            hop_text(ctx, hops, leaving),
        ))
        .fix(remediation)
        .detail("hop", leaving)
        .detail("supported", row.kubernetes)
        .detail("statement", row.statement.as_str())
        .detail("source", row.source);
    if let Some((r, _)) = fix {
        f = f
            .detail("fix_version", prefixed(raw, r.min))
            .detail("fix_supported", r.kubernetes);
    }
    Some(f.build())
}

/// CoreDNS publishes no range: kubeadm's CoreDNS per minor is the reference, and only `info`.
fn coredns(
    ctx: &Context<'_>,
    group: &Sightings<'_, '_>,
    version: &KubeVersion,
    hops: &[Minor],
) -> Option<Finding> {
    let v = Ver::of(version);
    let raw = group.raw();
    let pin = hops
        .iter()
        .filter_map(|h| kubeadm::coredns_for(*h))
        .find(|p| v < p.coredns)?;
    let along = hops
        .iter()
        .map(|h| match kubeadm::coredns_for(*h) {
            Some(p) => format!("{h}: {}{}", p.tag, if p.verified { "" } else { " (unverified)" }),
            None => format!("{h}: unknown"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let target_pin = kubeadm::coredns_for(ctx.target).unwrap_or(pin);
    let f = about(group)
        .notice(format!(
            "CoreDNS {raw} is older than kubeadm's {} for Kubernetes {}",
            pin.tag,
            pin.kubernetes,
        ))
        .message(format!(
            "CoreDNS publishes no Kubernetes support range; the CoreDNS kubeadm installs per minor is the reference. CoreDNS {raw} ({}) is older than the {} kubeadm installs for Kubernetes {} ({}). kubeadm's CoreDNS per hop: {along}.",
            group.usage(),
            pin.tag,
            pin.kubernetes,
            hop_text(ctx, hops, pin.kubernetes),
        ))
        .fix(format!(
            "If kubeadm manages CoreDNS, `kubeadm upgrade apply` replaces it at each hop (it migrates a Corefile it recognises; review custom changes). If you manage CoreDNS yourself (Helm chart, a provider add-on), upgrade it to {} or later by the {} hop.",
            target_pin.tag,
            target_pin.kubernetes,
        ))
        .detail("hop", pin.kubernetes)
        .detail("kubeadm_coredns", pin.tag)
        .detail("supported", "unknown (no published range)")
        .detail("source", pin.source)
        .build();
    Some(f)
}
