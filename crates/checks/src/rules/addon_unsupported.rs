use std::collections::BTreeMap;

use mcp_diag_data::addons::{self, AddonSupport, Statement};
use mcp_diag_data::kubeadm::{self, Ver};
use mcp_diag_model::{Finding, KubeVersion, Minor, Severity};

use crate::components::{Sightings, group_by_version};
use crate::{Check, CheckInfo, Context};

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
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

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

fn base(
    group: &Sightings<'_, '_>,
    severity: Severity,
    title: String,
    message: String,
    remediation: String,
) -> Finding {
    let mut details = BTreeMap::new();
    details.insert("component", group.name.to_owned());
    details.insert(
        "version",
        group
            .version
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string),
    );
    details.insert("workloads", group.workloads().len().to_string());
    details.insert("pods", group.pods().to_string());
    Finding {
        check: INFO.id,
        severity,
        title,
        object: group.reference.object_ref(),
        location: group.reference.location(),
        message,
        remediation,
        evidence: Some(match group.reference.object {
            Some(_) if group.reference.image.is_some() => "container image",
            Some(_) => "operator resource",
            None => "cluster.yaml",
        }),
        details,
    }
}

fn version_unknown(group: &Sightings<'_, '_>) -> Finding {
    let name = display_name(group.name);
    let mut f = base(
        group,
        Severity::Info,
        format!("{name} version unknown ({})", group.raw()),
        format!(
            "The {name} version cannot be read from {:?} ({}; {}), so it was not compared with {name}'s supported Kubernetes versions.",
            group.raw(),
            group.reference.evidence(),
            group.usage()
        ),
        format!(
            "Pin the {name} image to a version tag (or check the running version yourself) and compare it with {name}'s compatibility table before the upgrade."
        ),
    );
    f.details.insert("raw", group.raw().to_owned());
    f
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
        let mut f = base(
            group,
            Severity::Info,
            format!("{name} {raw}: supported Kubernetes versions unknown"),
            format!(
                "The tool knows no published Kubernetes range for {name} {raw} ({}); {}. It does not assume {raw} works on Kubernetes {}.",
                group.usage(),
                known_rows(group.name, v),
                ctx.target
            ),
            format!(
                "Check {name}'s release notes or compatibility table for Kubernetes {} before the upgrade, or move to a version with a published range.",
                ctx.target
            ),
        );
        f.details.insert("supported", "unknown".to_owned());
        return Some(f);
    };
    if !row.kubernetes.is_known() {
        let mut f = base(
            group,
            Severity::Info,
            format!("{name} {raw}: no published Kubernetes support range"),
            format!(
                "{name} publishes no Kubernetes compatibility table ({}): {}. {}.",
                row.source,
                row.note,
                group.usage()
            ),
            format!(
                "Test {name} {raw} on a Kubernetes {} cluster (or follow its release notes) before upgrading production.",
                ctx.target
            ),
        );
        f.details.insert("supported", "unknown".to_owned());
        f.details.insert("source", row.source.to_owned());
        return Some(f);
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
    let mut f = base(
        group,
        severity,
        format!(
            "{name} {raw} is not {} on Kubernetes {leaving}",
            verb(row.statement)
        ),
        format!(
            "{name} {raw} ({}) is {} on Kubernetes {} ({name} {}); {} leaves that range.{current_note}{unverified}{note}",
            group.usage(),
            verb(row.statement),
            row.kubernetes,
            row.label,
            hop_text(ctx, hops, leaving)
        ),
        remediation,
    );
    f.details.insert("hop", leaving.to_string());
    f.details.insert("supported", row.kubernetes.to_string());
    f.details.insert("statement", row.statement.as_str().to_owned());
    f.details.insert("source", row.source.to_owned());
    if let Some((r, _)) = fix {
        f.details.insert("fix_version", prefixed(raw, r.min));
        f.details.insert("fix_supported", r.kubernetes.to_string());
    }
    Some(f)
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
    let mut f = base(
        group,
        Severity::Info,
        format!(
            "CoreDNS {raw} is older than kubeadm's {} for Kubernetes {}",
            pin.tag, pin.kubernetes
        ),
        format!(
            "CoreDNS publishes no Kubernetes support range; the CoreDNS kubeadm installs per minor is the reference. CoreDNS {raw} ({}) is older than the {} kubeadm installs for Kubernetes {} ({}). kubeadm's CoreDNS per hop: {along}.",
            group.usage(),
            pin.tag,
            pin.kubernetes,
            hop_text(ctx, hops, pin.kubernetes)
        ),
        format!(
            "If kubeadm manages CoreDNS, `kubeadm upgrade apply` replaces it at each hop (it migrates a Corefile it recognises; review custom changes). If you manage CoreDNS yourself (Helm chart, a provider add-on), upgrade it to {} or later by the {} hop.",
            target_pin.tag, target_pin.kubernetes
        ),
    );
    f.details.insert("hop", pin.kubernetes.to_string());
    f.details.insert("kubeadm_coredns", pin.tag.to_owned());
    f.details
        .insert("supported", "unknown (no published range)".to_owned());
    f.details.insert("source", pin.source.to_owned());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run_check;

    const M: fn(u32) -> Minor = |m| Minor::new(1, m);

    fn daemonset(ns: &str, name: &str, image: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: {image}\n"
        )
    }

    fn deployment(ns: &str, name: &str, image: &str) -> String {
        daemonset(ns, name, image).replace("kind: DaemonSet", "kind: Deployment")
    }

    fn pod(ns: &str, name: &str, image: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  containers:\n  - name: main\n    image: {image}\n"
        )
    }

    fn run(yaml: &str, target: u32, current: u32) -> Vec<Finding> {
        run_check("addon-unsupported", yaml, M(target), Some(M(current)))
    }

    fn titles(fs: &[Finding]) -> Vec<(Severity, String)> {
        fs.iter().map(|f| (f.severity, f.title.clone())).collect()
    }

    #[test]
    fn calico_outside_its_tested_range_blocks_at_the_first_hop() {
        let yaml = daemonset("calico-system", "calico-node", "docker.io/calico/node:v3.25.2");
        let fs = run(&yaml, 30, 28);
        assert_eq!(fs.len(), 1, "{:?}", titles(&fs));
        let f = &fs[0];
        assert_eq!(f.severity, Severity::Blocker);
        assert_eq!(f.details["hop"], "1.29");
        assert_eq!(f.details["supported"], "1.23-1.28");
        assert!(f.message.contains("the 1.28 → 1.29 hop"), "{}", f.message);
        // Lowest Calico covering 1.28, 1.29 and 1.30: 3.28 (1.27-1.30).
        assert_eq!(f.details["fix_version"], "v3.28.0");
        assert_eq!(f.object.as_ref().unwrap().name, "calico-node");
    }

    #[test]
    fn calico_just_inside_its_range_passes() {
        let yaml = daemonset("calico-system", "calico-node", "docker.io/calico/node:v3.25.2");
        assert!(run(&yaml, 28, 27).is_empty());
        let yaml = daemonset("calico-system", "calico-node", "docker.io/calico/node:v3.29.0");
        assert!(run(&yaml, 32, 29).is_empty());
        assert_eq!(run(&yaml, 33, 32)[0].severity, Severity::Blocker);
    }

    #[test]
    fn ingress_nginx_patch_rows() {
        let yaml = deployment(
            "ingress-nginx",
            "ingress-nginx-controller",
            "registry.k8s.io/ingress-nginx/controller:v1.9.6",
        );
        assert!(run(&yaml, 29, 28).is_empty());
        let fs = run(&yaml, 32, 29);
        assert_eq!(fs[0].severity, Severity::Blocker);
        assert_eq!(fs[0].details["hop"], "1.30");
        assert_eq!(fs[0].details["fix_version"], "v1.12.0");
        assert!(fs[0].message.contains("retired"), "{}", fs[0].message);
        // v1.9.5 is in another row (1.25-1.28).
        let yaml = yaml.replace("v1.9.6", "v1.9.5");
        assert_eq!(run(&yaml, 29, 28)[0].details["supported"], "1.25-1.28");
        // A patch the table does not list: info, with the nearest rows.
        let yaml = yaml.replace("v1.9.5", "v1.8.1");
        let fs = run(&yaml, 29, 28);
        assert_eq!(fs[0].severity, Severity::Info);
        assert!(
            fs[0].message.contains("v1.7.1") && fs[0].message.contains("v1.8.4"),
            "{}",
            fs[0].message
        );
    }

    #[test]
    fn open_ended_ranges_and_the_fix_never_downgrades() {
        let yaml = deployment(
            "kube-system",
            "metrics-server",
            "registry.k8s.io/metrics-server/metrics-server:v0.7.0",
        );
        assert!(run(&yaml, 37, 36).is_empty());
        let yaml = yaml.replace("v0.7.0", "v0.6.4");
        assert!(run(&yaml, 30, 29).is_empty());
        // 0.3.x stops at 1.21; 0.4.x (1.8+) is the lowest that covers 1.22.
        let yaml = yaml.replace("v0.6.4", "v0.3.6");
        let fs = run(&yaml, 22, 21);
        assert_eq!(fs[0].severity, Severity::Blocker);
        assert_eq!(fs[0].details["fix_version"], "v0.4.0");
        // cert-manager 1.13 -> target 1.32: 1.12 LTS covers 1.32 but is older; 1.15 is the fix.
        let yaml = deployment(
            "cert-manager",
            "cert-manager",
            "quay.io/jetstack/cert-manager-controller:v1.13.3",
        );
        let fs = run(&yaml, 32, 29);
        assert_eq!(fs[0].details["fix_version"], "v1.15.0");
        assert!(fs[0].message.contains("already outside"), "{}", fs[0].message);
    }

    #[test]
    fn cilium_max_and_unknown_minors() {
        let yaml = daemonset("kube-system", "cilium", "quay.io/cilium/cilium:v1.12.19");
        assert!(run(&yaml, 24, 23).is_empty());
        let fs = run(&yaml, 25, 24);
        assert_eq!(fs[0].severity, Severity::Blocker);
        assert_eq!(fs[0].details["supported"], "up to 1.24");
        let yaml = yaml.replace("v1.12.19", "v1.16.3");
        let fs = run(&yaml, 30, 29);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::Info);
        assert_eq!(fs[0].details["supported"], "unknown");
    }

    #[test]
    fn flannel_is_always_info() {
        let yaml = daemonset(
            "kube-flannel",
            "kube-flannel-ds",
            "ghcr.io/flannel-io/flannel:v0.25.1",
        );
        let fs = run(&yaml, 30, 29);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::Info);
        assert!(fs[0].title.contains("no published"), "{}", fs[0].title);
    }

    #[test]
    fn coredns_is_compared_with_kubeadm_and_only_informs() {
        let yaml = deployment(
            "kube-system",
            "coredns",
            "registry.k8s.io/coredns/coredns:v1.11.1",
        );
        assert!(run(&yaml, 30, 29).is_empty());
        let fs = run(&yaml, 32, 29);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::Info);
        assert_eq!(fs[0].details["hop"], "1.31");
        assert_eq!(fs[0].details["kubeadm_coredns"], "v1.11.3");
        // Newer than kubeadm's: nothing.
        let yaml = yaml.replace("v1.11.1", "v1.12.0");
        assert!(run(&yaml, 32, 29).is_empty());
    }

    #[test]
    fn one_finding_per_version_with_the_workload_as_reference() {
        let yaml = [
            pod("velero", "node-agent-abc", "velero/velero:v1.5.4"),
            daemonset("velero", "node-agent", "velero/velero:v1.5.4"),
            deployment("velero", "velero", "velero/velero:v1.5.4"),
            pod("velero", "velero-xyz", "velero/velero:v1.5.4"),
            deployment("backup2", "velero", "velero/velero:v1.4.2"),
        ]
        .join("---\n");
        let fs = run(&yaml, 22, 21);
        assert_eq!(fs.len(), 2, "{:?}", titles(&fs));
        let v15 = fs.iter().find(|f| f.details["version"] == "1.5.4").unwrap();
        assert_eq!(v15.object.as_ref().unwrap().kind, "DaemonSet");
        assert_eq!(v15.details["workloads"], "2");
        assert_eq!(v15.details["pods"], "2");
        assert!(
            v15.message
                .contains("DaemonSet velero/node-agent, Deployment velero/velero"),
            "{}",
            v15.message
        );
        assert!(fs.iter().all(|f| f.severity == Severity::Blocker));
        // Velero 1.8+ is expected on 1.18 and later: nothing.
        let yaml = deployment("velero", "velero", "velero/velero:v1.12.3");
        assert!(run(&yaml, 32, 29).is_empty());
    }

    #[test]
    fn istio_supported_range() {
        let yaml = deployment(
            "istio-system",
            "istiod",
            "docker.io/istio/pilot:1.20.1-distroless",
        );
        assert!(run(&yaml, 29, 28).is_empty());
        let fs = run(&yaml, 30, 29);
        assert_eq!(fs[0].severity, Severity::Blocker);
        assert_eq!(fs[0].details["fix_version"], "1.22.0"); // 1.21 stops at 1.29
    }

    #[test]
    fn unverified_rows_only_inform() {
        // CoreDNS 1.35's kubeadm pin is unverified; CoreDNS is info anyway. cert-manager 1.22
        // has no range yet.
        let yaml = deployment(
            "cert-manager",
            "cert-manager",
            "quay.io/jetstack/cert-manager-controller:v1.22.0",
        );
        let fs = run(&yaml, 36, 35);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::Info);
    }

    #[test]
    fn bad_tags_are_info_version_unknown() {
        for image in [
            "docker.io/calico/node:latest",
            "docker.io/calico/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "docker.io/calico/node:master",
        ] {
            let yaml = daemonset("calico-system", "calico-node", image);
            let fs = run(&yaml, 30, 29);
            assert_eq!(fs.len(), 1, "{image}");
            assert_eq!(fs[0].severity, Severity::Info);
            assert!(fs[0].title.contains("version unknown"), "{}", fs[0].title);
        }
        // A vendor suffix still reads.
        let yaml = deployment(
            "kube-system",
            "coredns",
            "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.2",
        );
        assert!(run(&yaml, 32, 31).is_empty());
    }

    #[test]
    fn tigera_operator_is_named_in_the_fix() {
        let yaml = [
            daemonset("calico-system", "calico-node", "docker.io/calico/node:v3.25.2"),
            deployment(
                "tigera-operator",
                "tigera-operator",
                "quay.io/tigera/operator:v1.29.6",
            ),
        ]
        .join("---\n");
        let fs = run(&yaml, 30, 29);
        assert_eq!(fs.len(), 1);
        assert!(
            fs[0].remediation.contains("Tigera operator"),
            "{}",
            fs[0].remediation
        );
    }

    #[test]
    fn operator_resource_versions_are_checked() {
        let yaml = "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {name: default}\nstatus: {variant: Calico, calicoVersion: v3.25.2}\n";
        let fs = run(yaml, 30, 29);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::Blocker);
        assert_eq!(fs[0].details["seen_in"], "operator resource");
    }
}
