use std::collections::BTreeMap;

use mcp_diag_data::etcd::{self, EtcdIssue};
use mcp_diag_data::kubeadm::{self, Ver};
use mcp_diag_model::{Finding, Minor, Severity, SourceKind};

use crate::components::{Sightings, group_by_version};
use crate::etcd::{PathStep, StepKind};
use crate::{Check, CheckInfo, Context, FindingBuilder};

pub static INFO: CheckInfo = CheckInfo {
    id: "etcd-version",
    severity: Severity::Blocker,
    title: "etcd version unsupported, known-bad or on a broken upgrade path",
    doc: r#"## What it checks
The etcd version of the cluster, read from the image of the etcd pods in `kube-system`
(kubeadm's static pods) or from `components.etcd` in a snapshot's `cluster.yaml`, against:

- **known-bad releases**: etcd 3.5.0 to 3.5.2 can lose committed writes when a member crashes
  (`blocker`, fixed in 3.5.3; etcd's v3.5 data-inconsistency postmortem); 3.4.21 and 3.5.5
  have another data-inconsistency issue (`high`, use 3.4.22+ / 3.5.6+; kubernetes/website
  PR #40816).
- **what kubeadm pins for every hop** of the upgrade (`SupportedEtcdVersion` in kubeadm's
  constants: 3.5.10-0 for 1.29, 3.5.12-0 for 1.30, 3.6.4-0 for 1.34, 3.7.0 for 1.37, ...):
  an etcd older than the pin is `high`; a pin the tool could not confirm only gives `info`.
  kubeadm 1.31 cannot deploy a custom etcd older than 3.5.11, and kubeadm 1.36 no longer maps
  etcd older than 3.6.0.
- **etcd's own upgrade path**: one minor at a time, and every member at 3.5.24 or later
  before 3.6 (etcd's upgrade_3_6 guide), at 3.6.11 or later before 3.7. When a hop's pin moves
  etcd to a new minor and the etcd running before that hop is too old, or a minor would be
  skipped, the finding is a `blocker` (`high` when a later kubeadm patch release of the
  previous hop is known to pin a new enough etcd).

No etcd in the inventory (managed control planes such as EKS, GKE, AKS, or external etcd) gives
one `info`. When the pods were not all read (a failed or denied list, see `input-incomplete`,
or an export without pods), the absence proves nothing: the `info` says the version could not
be decided instead of "no etcd pod". An image tag that is no version (`latest`, a digest) gives an `info` "version
unknown".

## Why it matters
kubeadm upgrades stacked etcd at each hop to the version it pins; external etcd is yours to
upgrade. An etcd upgrade that skips a minor, or that starts from a 3.5 patch below 3.5.24,
can leave the cluster without quorum ("too many learner members") in the middle of the
control-plane upgrade, the worst place to be. A known-bad etcd can silently lose writes.

## Example
A kubeadm cluster at 1.29 runs `registry.k8s.io/etcd:3.5.10-0`. Upgrading to 1.32, kubeadm
moves etcd to 3.5.12-0 at the 1.30 hop, 3.5.15-0 at 1.31 and 3.5.16-0 at 1.32: `high`, so
that each member's etcd upgrade is planned and its health checked after every hop. The same
cluster going to 1.34 would reach etcd 3.6 from 3.5.21 (the 1.33 pin at 1.33.0): `high`
with the fix "use a kubeadm 1.33 patch release that pins 3.5.24-0".

## Fix
Stacked etcd: let `kubeadm upgrade apply` upgrade etcd at each hop (do not pass
`--etcd-upgrade=false`) and check `etcdctl endpoint health --cluster` after each one. External
etcd: upgrade every member, one etcd minor at a time, to at least the version the finding
names before the hop it names; take a snapshot (`etcdctl snapshot save`) first. Replace a
known-bad etcd before anything else.
"#,
};

pub struct EtcdVersion;

impl Check for EtcdVersion {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let sightings = crate::etcd::sightings(ctx.components);
        if sightings.is_empty() {
            return match ctx.inventory.kind {
                // A set of manifests says nothing about the cluster's etcd.
                SourceKind::Manifests => Vec::new(),
                SourceKind::Snapshot | SourceKind::Live => vec![not_visible(ctx)],
            };
        }
        let hops = ctx.hops();
        let mut out = Vec::new();
        for group in group_by_version(sightings) {
            let Some(version) = group.version.clone() else {
                out.push(version_unknown(ctx, &group));
                continue;
            };
            let v = Ver::of(&version);
            for issue in etcd::issues_of(v) {
                out.push(known_bad(ctx, &group, v, issue));
            }
            out.extend(behind_pins(&group, v, &hops));
            out.extend(upgrade_path(ctx, &group, v, &hops));
        }
        out
    }
}

/// A finding about the etcd seen in `group`, at its object when it came from an image.
fn about(group: &Sightings<'_, '_>) -> FindingBuilder {
    INFO.about_maybe(group.reference.object)
        .evidence(if group.reference.object.is_some() {
            "container image"
        } else {
            "cluster.yaml"
        })
}

fn pins_along(hops: &[Minor]) -> String {
    hops.iter()
        .map(|h| match kubeadm::etcd_for(*h) {
            Some(p) => format!(
                "{h}: {}{}",
                p.image,
                if p.verified { "" } else { " (unverified)" }
            ),
            None => format!("{h}: unknown"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_visible(ctx: &Context<'_>) -> Finding {
    let provider = crate::etcd::managed_by(ctx.inventory.cluster.server_version.as_ref());
    // "No etcd pod" holds only if every pod was read: the provider's name in the server
    // version answers without pods, the absence of a pod does not.
    if provider.is_none()
        && let Some(unknown) = ctx.unknown_of(&[("", "Pod")])
    {
        return undecided(&unknown);
    }
    let (title, why) = match provider {
        Some(p) => (
            format!("etcd is managed by the provider ({p})"),
            format!(
                "The server version says {p}: the provider runs etcd and upgrades it with the control plane."
            ),
        ),
        None => (
            "etcd not visible".to_owned(),
            "The control plane is managed (EKS, GKE, AKS, ...) or etcd runs outside the cluster.".to_owned(),
        ),
    };
    let target_pin = kubeadm::etcd_for(ctx.target)
        .map(|p| format!(" (kubeadm pins {} for {})", p.image, ctx.target))
        .unwrap_or_default();
    let mut f = INFO.finding()
        .notice(title)
        .message(format!(
            "No etcd pod in kube-system and no `components.etcd` in cluster.yaml. {why} The etcd version was not checked against kubeadm's pins{target_pin}, known-bad releases or etcd's upgrade path."
        ))
        .fix(
            "Nothing to do on a managed control plane. For external etcd, add its version to cluster.yaml (`components: {etcd: 3.5.x}`) and scan again, or check it yourself: `etcdctl version` on each member.",
        )
        .build();
    if let Some(p) = provider {
        f.details.insert("provider", p.to_owned());
    }
    f
}

/// No etcd in the inventory, but the pods were not all read: it may be there.
fn undecided(unknown: &str) -> Finding {
    let mut details = BTreeMap::new();
    details.insert("undecided", unknown.to_owned());
    INFO.finding()
        .notice("etcd version not decided: pods not read completely")
        .message(format!(
            "Could not tell whether etcd runs in kube-system: {unknown}. That the input holds no etcd pod proves nothing here. The etcd version was not checked."
        ))
        .fix(
            "Scan again with every pod read (see input-incomplete, or include pods in the export / use `mcp-diag snapshot`), or give etcd's version in cluster.yaml (`components: {etcd: 3.5.x}`).",
        )
        .details(details)
        .build()
}

fn version_unknown(ctx: &Context<'_>, group: &Sightings<'_, '_>) -> Finding {
    let pin = kubeadm::etcd_for(ctx.target);
    about(group)
        .notice(format!("etcd version unknown ({})", group.raw()))
        .message(format!(
            "The etcd version cannot be read from {:?} ({}; {}), so it was not compared with kubeadm's pins, known-bad releases or etcd's upgrade path.",
            group.raw(),
            group.reference.evidence(),
            group.usage(),
        ))
        .fix(format!(
            "Run `etcdctl version` on a member, or use an image tag with the version{}; then scan again.",
            pin.map(|p| format!(
                " (kubeadm pins registry.k8s.io/etcd:{} for {})",
                p.image, ctx.target
            ))
            .unwrap_or_default(),
        ))
        .detail("version", "unknown")
        .detail("raw", group.raw())
        .build()
}

fn known_bad(ctx: &Context<'_>, group: &Sightings<'_, '_>, v: Ver, issue: &EtcdIssue) -> Finding {
    let pin = kubeadm::etcd_for(ctx.target).filter(|p| p.verified && p.etcd > issue.fixed_in);
    about(group)
        .severity(issue.severity)
        .title(format!("etcd {v} is a known-bad release (fixed in {})", issue.fixed_in))
        .message(format!(
            "{} (affected: {} to {}; {}). Running it into a control-plane upgrade, where members restart one after the other, is when it bites.",
            issue.summary,
            issue.first,
            issue.last,
            group.usage(),
        ))
        .fix(format!(
            "Upgrade etcd to {} or later before the upgrade{}, one member at a time, and check that the members agree (`etcdctl endpoint hashkv --cluster`); take a snapshot first.",
            issue.fixed_in,
            pin.map(|p| format!(" (kubeadm pins {} for {})", p.image, p.kubernetes))
            .unwrap_or_default(),
        ))
        .detail("etcd", v)
        .detail("issue", issue.id)
        .detail("fixed_in", issue.fixed_in)
        .detail("source", issue.source)
        .build()
}

/// (a): an etcd older than what kubeadm pins for a hop.
fn behind_pins(group: &Sightings<'_, '_>, v: Ver, hops: &[Minor]) -> Vec<Finding> {
    let mut out = Vec::new();
    let unknown: Vec<String> = crate::etcd::hops_without_pin(hops)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !unknown.is_empty() {
        out.push(
            about(group)
                .notice(format!("kubeadm's etcd for {} unknown", unknown.join(", ")))
                .message(format!(
                    "The tool does not know which etcd kubeadm pins for Kubernetes {} (it knows 1.22 to 1.37), so etcd {v} was not compared with it.",
                    unknown.join(", "),
                ))
                .fix(
                    "Look up `SupportedEtcdVersion` in cmd/kubeadm/app/constants/constants.go of the kubeadm release you will use.",
                )
                .detail("etcd", v)
                .detail("hops_unknown", unknown.join(","))
                .build()
        );
    }
    let Some(crate::etcd::BehindPins {
        first,
        last,
        severity,
        minimums,
    }) = crate::etcd::behind_pins(v, hops)
    else {
        return out;
    };
    let unverified = if first.verified {
        String::new()
    } else {
        format!(
            " The {} pin is unverified, so this is only informational.",
            first.kubernetes
        )
    };
    let minimums = if minimums.is_empty() {
        String::new()
    } else {
        format!(" Also: {}.", minimums.join("; "))
    };
    let later = last
        .later
        .map(|l| format!(" (later kubeadm {} patch releases pin {l})", last.kubernetes))
        .unwrap_or_default();
    out.push(
        about(group)
            .severity(severity)
            .title(format!(
                "etcd {v} is older than kubeadm's {} for Kubernetes {}",
                first.image,
                first.kubernetes,
            ))
            .message(format!(
                "etcd {v} ({}) is older than the etcd {} that kubeadm pins for Kubernetes {}, {} of this upgrade. kubeadm's etcd per hop: {}.{minimums}{unverified}",
                group.usage(),
                first.image,
                first.kubernetes,
                if hops.first() == Some(&first.kubernetes) {
                    "the first hop"
                } else {
                    "a hop"
                },
                pins_along(hops),
            ))
            .fix(format!(
                "Stacked etcd: let `kubeadm upgrade apply` upgrade etcd at each hop (keep `--etcd-upgrade` on) and check `etcdctl endpoint health --cluster` after each. External etcd: upgrade every member to {} or later before the {} hop{}.",
                first.etcd,
                first.kubernetes,
                if last.kubernetes == first.kubernetes {
                    later
                } else {
                    format!(", and to {}{later} by the {} hop", last.etcd, last.kubernetes)
                },
            ))
            .detail("etcd", v)
            .detail("hop", first.kubernetes)
            .detail("pinned", first.image)
            .detail("allowed_min", first.etcd)
            .detail("pins", pins_along(hops))
            .detail("source", first.source)
            .build(),
    );
    out
}

/// (c): etcd's own upgrade path, following kubeadm's pins hop by hop.
fn upgrade_path(ctx: &Context<'_>, group: &Sightings<'_, '_>, v: Ver, hops: &[Minor]) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in crate::etcd::upgrade_path(v, ctx.current, hops) {
        let PathStep {
            hop,
            pin,
            running,
            from,
            to,
            ..
        } = s;
        let before = if s.first_hop {
            format!("the etcd running now, {running}")
        } else {
            format!("the etcd that kubeadm's earlier pins leave, {running}")
        };
        out.push(match s.kind {
            StepKind::Skip { severity } => about(group)
                .severity(severity)
                .title(format!("etcd would skip from {from} to {to} at the {hop} hop"))
                .message(format!(
                    "kubeadm pins etcd {} for Kubernetes {hop}, but {before}, is {from}: etcd upgrades one minor at a time, so {from} cannot go to {to} directly ({}).",
                    pin.image,
                    etcd::ONE_MINOR_AT_A_TIME_SOURCE,
                ))
                .fix(format!(
                    "Before the {hop} hop, upgrade every etcd member one minor at a time to the latest {}.x, then let the hop move it to {to}.",
                    Minor::new(to.major, to.minor.saturating_sub(1)),
                ))
                .detail("etcd", v)
                .detail("hop", hop)
                .detail("pinned", pin.image)
                .build(),
            StepKind::BelowMinimum {
                step,
                via_patch,
                severity,
            } => {
                let fix = match via_patch {
                    Some((p, l)) => format!(
                        "Before the {hop} hop, bring every etcd member to {} or later: a kubeadm {} patch release with the later pin ({l}) does it for stacked etcd (`kubeadm upgrade apply` to the newest {} patch); external etcd you upgrade yourself.",
                        step.min_from, p.kubernetes, p.kubernetes
                    ),
                    None => format!(
                        "Before the {hop} hop, upgrade every etcd member to {} or later (a newer {from} patch), one member at a time, with a snapshot first.",
                        step.min_from
                    ),
                };
                about(group)
                    .severity(severity)
                    .title(format!(
                        "etcd {running} is below {} needed before {to} (the {hop} hop)",
                        step.min_from,
                    ))
                    .message(format!(
                        "kubeadm pins etcd {} for Kubernetes {hop}, a move from {from} to {to}; {before}, is below {}, the minimum etcd documents before that step: {}.",
                        pin.image,
                        step.min_from,
                        step.note,
                    ))
                    .fix(fix)
                    .detail("etcd", v)
                    .detail("hop", hop)
                    .detail("pinned", pin.image)
                    .detail("allowed_min", step.min_from)
                    .detail("source", step.source)
                    .build()
            }
            StepKind::Moves { step } => about(group)
                .notice(format!("etcd moves from {from} to {to} at the {hop} hop"))
                .message(format!(
                    "kubeadm pins etcd {} for Kubernetes {hop}; {before}, meets etcd's minimum for that step ({}). Mind the changes: {}.",
                    pin.image,
                    step.min_from,
                    step.note,
                ))
                .fix(format!(
                    "Review custom etcd flags (extraArgs in the kubeadm ClusterConfiguration) against the etcd {to} upgrade guide and take a snapshot before the {hop} hop."
                ))
                .detail("hop", hop)
                .detail("pinned", pin.image)
                .build(),
        });
    }
    out
}
