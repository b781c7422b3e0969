use mcp_diag_data::skew::{self, RelativeTo, SkewComponent, Verdict};
use mcp_diag_model::{Finding, KubeVersion, Minor, Severity};

use super::skew_common::{Stage, Violation, first_violation};
use crate::control_plane::{Sighting, sightings};
use crate::words::plural;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "skew-control-plane",
    severity: Severity::Blocker,
    title: "Control-plane components outside the supported version skew",
    doc: r#"## What it checks
The versions of kube-apiserver, kube-controller-manager, kube-scheduler and
cloud-controller-manager, read from their pods' images (kubeadm's static/mirror pods in
kube-system, or Deployments and DaemonSets) and from `cluster.yaml` components:

- now: HA kube-apiservers more than one minor apart; kube-controller-manager, kube-scheduler
  or cloud-controller-manager newer than the oldest kube-apiserver, or more than one minor
  older than the newest;
- before the first hop (N-1 -> N): every kube-apiserver at N-1 or N, and
  kube-controller-manager, kube-scheduler and cloud-controller-manager at N-1. Static pods are
  upgraded together with each hop (as `kubeadm upgrade apply` does), so later hops are not
  held against their current version;
- components the control-plane upgrade does not move (kube-scheduler, kube-controller-manager
  or cloud-controller-manager run as Deployments or DaemonSets, such as a second scheduler or
  a cloud provider's controller manager): the first hop at which they would be left more than
  one minor behind kube-apiserver.

cloud-controller-manager images are compared only where the provider versions them after the
Kubernetes release (AWS `provider-aws/cloud-controller-manager`: its major.minor is the
Kubernetes release it supports); for other providers the finding is `info`. Unreadable
image tags (`latest`, digests) give an `info` "version unknown".

Sources: kubernetes/website `content/en/releases/version-skew-policy.md`, sections
"kube-apiserver", "kube-controller-manager, kube-scheduler, and cloud-controller-manager" and
"Supported component upgrade order"; kubernetes/cloud-provider-aws `docs/README.md`
("Compatibility with Kubernetes").

## Why it matters
kube-apiserver must not skip a minor, and the controllers must never be newer than the API
servers they talk to. A controller manager or scheduler left two minors behind reads and
writes objects with an API it was not built for: controllers stop reconciling or fight over
fields, and the cluster degrades while the upgrade looks finished.

## Example
Target 1.32 from 1.29, the DaemonSet `kube-system/aws-cloud-controller-manager` on
`provider-aws/cloud-controller-manager:v1.29.2`: fine at 1.30, but at the hop 1.30 -> 1.31 it
would be two minors older than kube-apiserver (allowed: 1.30 to 1.31).

## Fix
Bring every control-plane instance to the current minor before starting (finish any
half-done upgrade first), then upgrade kube-apiserver, then the controller managers and the
scheduler, one minor per hop. Upgrade components deployed as workloads (cloud controller
manager, extra schedulers) in every hop, right after the API servers.
"#,
};

pub struct SkewControlPlane;

impl Check for SkewControlPlane {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let sightings = sightings(ctx);
        let mut findings = Vec::new();
        let mut reported = vec![false; sightings.len()];
        let major = ctx.target.major;

        // Unknown versions and versioning schemes.
        for (i, s) in sightings.iter().enumerate() {
            if let Some(f) = unknown(s, major) {
                findings.push(f);
                reported[i] = true;
            }
        }
        let known = |i: usize| !reported[i];

        // Now: HA API servers, then the controllers against them.
        let apiservers: Vec<(usize, Minor)> = sightings
            .iter()
            .enumerate()
            .filter(|(i, s)| known(*i) && s.component == SkewComponent::KubeApiserver)
            .filter_map(|(i, s)| Some((i, s.minor()?)))
            .collect();
        let oldest = apiservers.iter().min_by_key(|(_, m)| *m).copied();
        let newest = apiservers.iter().max_by_key(|(_, m)| *m).copied();
        if let (Some((old_i, old)), Some((_, new))) = (oldest, newest)
            && skew::check(
                SkewComponent::KubeApiserver,
                RelativeTo::OtherKubeApiservers,
                old,
                new,
            )
            .is_outside()
        {
            findings.push(ha_apart(&sightings, &apiservers, old, new, old_i));
            for (i, _) in &apiservers {
                reported[*i] = true;
            }
        }
        let current = ctx.current.filter(|c| c.major == major);
        let oldest_now = [oldest.map(|(_, m)| m), current].into_iter().flatten().min();
        let newest_now = [newest.map(|(_, m)| m), current].into_iter().flatten().max();
        if let (Some(oldest_now), Some(newest_now)) = (oldest_now, newest_now) {
            for (i, s) in sightings.iter().enumerate() {
                if reported[i] || s.component == SkewComponent::KubeApiserver {
                    continue;
                }
                let Some(v) = s.minor() else { continue };
                let too_new = skew::check(s.component, RelativeTo::KubeApiserver, v, oldest_now);
                let too_old = skew::check(s.component, RelativeTo::KubeApiserver, v, newest_now);
                let verdict = if too_new.is_outside() { too_new } else { too_old };
                if verdict.is_outside() {
                    let reference = if too_new.is_outside() {
                        oldest_now
                    } else {
                        newest_now
                    };
                    findings.push(outside_now(s, verdict, reference));
                    reported[i] = true;
                }
            }
        }

        // The first hop's prerequisites, for everything the hop upgrades.
        let first_hop = ctx
            .hops()
            .first()
            .copied()
            .filter(|h| current.is_some_and(|c| c < *h));
        if let (Some(hop), Some(need)) = (first_hop, first_hop.and_then(|h| skew::shift(h, -1))) {
            for (i, s) in sightings.iter().enumerate() {
                if reported[i] || !s.upgraded_with_hop {
                    continue;
                }
                if let Some(v) = s.minor().filter(|v| *v < need) {
                    findings.push(prerequisite(s, v, need, hop, current));
                    reported[i] = true;
                }
            }
        }

        // Components the hops do not move: the first hop that leaves them behind.
        let mut from = current;
        let mut stages = Vec::new();
        for to in ctx.hops() {
            if from.is_some_and(|f| f >= to) {
                continue;
            }
            stages.push(Stage::Hop { from, to });
            from = Some(to);
        }
        for (i, s) in sightings.iter().enumerate() {
            if reported[i] || s.upgraded_with_hop || s.component == SkewComponent::KubeApiserver {
                continue;
            }
            let Some(v) = s.minor() else { continue };
            if let Some(violation) = first_violation(s.component, v, &stages) {
                findings.push(left_behind(s, &violation));
            }
        }
        findings
    }
}

fn unknown(s: &Sighting<'_>, major: u32) -> Option<Finding> {
    let name = s.component.as_str();
    let (title, message, remediation) = match (&s.version, s.component, s.ccm) {
        (None, ..) => (
            format!("{name} version unknown"),
            format!(
                "{name} in {} {}, which is no version: its skew against {} cannot be checked, and nothing is assumed about it.",
                s.where_(),
                crate::rules::skew_common::reference_words(&s.raw),
                // kube-apiserver's own skew is against the other control-plane components
                // and the kubelets.
                if s.component == SkewComponent::KubeApiserver {
                    "the other control-plane components and the kubelets"
                } else {
                    "kube-apiserver"
                }
            ),
            format!(
                "Pin {name} to a versioned image tag (for example v1.29.4), or check the running version (`{name} --version`) against the skew of every hop."
            ),
        ),
        (Some(v), SkewComponent::CloudControllerManager, ccm)
            if !ccm.is_some_and(|c| c.tracks_kubernetes_minor) =>
        {
            (
                "cloud-controller-manager version scheme unknown".to_owned(),
                format!(
                    "{} runs a cloud controller manager at {v}. Its provider's versions are not known to follow Kubernetes releases, so its skew against kube-apiserver cannot be checked.",
                    s.where_()
                ),
                "Check the provider's compatibility table for every hop of the upgrade, and upgrade the cloud controller manager right after the API servers in each hop.".to_owned(),
            )
        }
        (Some(v), ..) if v.major != major => (
            format!("{name} version unknown"),
            format!(
                "{name} in {} reports {v}, a different major version than the target: the skew policy says nothing about it.",
                s.where_()
            ),
            format!("Check which Kubernetes release this {name} is built for."),
        ),
        _ => return None,
    };
    let mut details = s.details();
    if let Some(ccm) = s.ccm {
        details.insert("versioning_source", ccm.source.to_owned());
    }
    Some(
        INFO.about_maybe(s.object)
            .severity(Severity::Info)
            .words(title, message, remediation)
            .evidence(evidence(s))
            .details(details)
            .build(),
    )
}

fn evidence(s: &Sighting<'_>) -> &'static str {
    if s.object.is_some() {
        "container image"
    } else {
        "cluster.yaml"
    }
}

fn ha_apart(
    sightings: &[Sighting<'_>],
    apiservers: &[(usize, Minor)],
    old: Minor,
    new: Minor,
    oldest: usize,
) -> Finding {
    let list = apiservers
        .iter()
        .map(|(i, _)| format!("{} ({})", sightings[*i].where_(), sightings[*i].raw))
        .collect::<Vec<_>>()
        .join("; ");
    let mut details = sightings[oldest].details();
    details.insert("oldest", old.to_string());
    details.insert("newest", new.to_string());
    details.insert("allowed_min", skew::shift(new, -1).unwrap_or(new).to_string());
    details.insert("allowed_max", new.to_string());
    details.insert("hop", "now".to_owned());
    INFO.about_maybe(sightings[oldest].object)
        .title(format!("HA kube-apiservers {old} and {new} are more than one minor apart"))
        .message(format!(
            "The kube-apiserver instances run {old} to {new}: {list}. The skew policy allows the newest and oldest kube-apiserver to be at most one minor apart."
        ))
        .fix(format!(
            "Finish the interrupted upgrade first: bring every kube-apiserver to {new}, one minor at a time (kube-apiserver must not skip minors), before the next hop."
        ))
        .evidence(evidence(&sightings[oldest]))
        .details(details)
        .build()
}

fn outside_now(s: &Sighting<'_>, verdict: Verdict, reference: Minor) -> Finding {
    let name = s.component.as_str();
    let allowed = skew::allowed_range(s.component, RelativeTo::KubeApiserver, reference);
    let mut details = s.details();
    details.insert("hop", "now".to_owned());
    details.insert("apiserver_version", reference.to_string());
    if let Some(r) = allowed {
        details.insert("allowed_min", r.min.to_string());
        details.insert("allowed_max", r.max.to_string());
    }
    let range = allowed.map_or_else(|| "none".to_owned(), |r| r.to_string());
    let (what, fix) = match verdict {
        Verdict::TooNew { by, .. } => (
            format!(
                "{by} minor{} newer than the oldest kube-apiserver {reference}",
                plural(by)
            ),
            format!(
                "Upgrade every kube-apiserver to at least {} first, or roll {name} back to {reference}: controllers must never be newer than the API servers they talk to.",
                s.version.as_ref().map_or(reference, KubeVersion::minor)
            ),
        ),
        Verdict::TooOld { by, .. } => (
            format!(
                "{} older than kube-apiserver {reference}",
                mcp_diag_model::plural(by, "minor", "minors")
            ),
            format!(
                "Upgrade {name} to {reference} (the version of the API servers) before anything else; upgrade it right after the API servers in every hop."
            ),
        ),
        Verdict::Within | Verdict::Unknown => (String::new(), String::new()),
    };
    INFO.about_maybe(s.object)
        .title(format!("{name} {} outside the skew of kube-apiserver {reference}", s.raw))
        .message(format!(
            "{name} in {} is {what} already now. The skew policy allows {name} {range} next to kube-apiserver {reference} (same minor, or one older; never newer).",
            s.where_(),
        ))
        .fix(fix)
        .evidence(evidence(s))
        .details(details)
        .build()
}

fn prerequisite(s: &Sighting<'_>, v: Minor, need: Minor, hop: Minor, current: Option<Minor>) -> Finding {
    let name = s.component.as_str();
    let mut details = s.details();
    details.insert("hop", hop.to_string());
    details.insert("allowed_min", need.to_string());
    details.insert("allowed_max", hop.to_string());
    let rule = if s.component == SkewComponent::KubeApiserver {
        "every kube-apiserver must be at N-1 or N before one goes to N, and kube-apiserver must not skip minors"
    } else {
        "kube-controller-manager, kube-scheduler and cloud-controller-manager must be at N-1 before kube-apiserver goes to N"
    };
    INFO.about_maybe(s.object)
        .title(format!(
            "{name} {} must reach {need} before the control plane goes to {hop}",
            s.raw,
        ))
        .message(format!(
            "{name} in {} runs {v}{}. Before the hop {need} → {hop}, {rule} (version skew policy, \"Supported component upgrade order\"); at {v} it would be {} behind kube-apiserver {hop}.",
            s.where_(),
            current
            .map(|c| format!(" while the cluster reports {c}"))
            .unwrap_or_default(),
            mcp_diag_model::plural(hop.minor.saturating_sub(v.minor), "minor", "minors"),
        ))
        .fix(format!(
            "Upgrade {name} in {} to {need} first (finish the previous upgrade), then start the hop to {hop}.",
            s.where_(),
        ))
        .evidence(evidence(s))
        .details(details)
        .build()
}

fn left_behind(s: &Sighting<'_>, v: &Violation) -> Finding {
    let name = s.component.as_str();
    let apiserver = v.stage.apiserver();
    let mut details = s.details();
    details.insert("hop", v.stage.key());
    details.insert("apiserver_version", apiserver.to_string());
    if let Some(r) = v.allowed {
        details.insert("allowed_min", r.min.to_string());
        details.insert("allowed_max", r.max.to_string());
    }
    let range = v.allowed.map_or_else(|| "none".to_owned(), |r| r.to_string());
    let (what, fix) = match v.verdict {
        Verdict::TooNew { by, .. } => (
            format!("{by} minor{} newer than kube-apiserver {apiserver}", plural(by)),
            format!(
                "Run {name} at {apiserver} or older until the control plane reaches its version; it must never be newer than the API servers."
            ),
        ),
        Verdict::TooOld { by, .. } => (
            format!(
                "{} older than kube-apiserver {apiserver}",
                mcp_diag_model::plural(by, "minor", "minors")
            ),
            format!(
                "The control-plane upgrade does not move this workload: upgrade {name} in {} in every hop, right after the API servers, and to {} or newer at the latest before the control plane goes to {apiserver}.",
                s.where_(),
                v.allowed.map_or(apiserver, |r| r.min),
            ),
        ),
        Verdict::Within | Verdict::Unknown => (String::new(), String::new()),
    };
    let source = s
        .ccm
        .map(|c| {
            format!(
                " Its major.minor is the Kubernetes release it supports (source: {}).",
                c.source
            )
        })
        .unwrap_or_default();
    INFO.about_maybe(s.object)
        .title(format!(
            "{name} {} left outside the skew at kube-apiserver {apiserver}",
            s.raw,
        ))
        .message(format!(
            "{name} in {} would be {what} {}, unless it is upgraded along with the control plane. The skew policy allows {name} {range} next to kube-apiserver {apiserver} (same minor, or one older; never newer).{source}",
            s.where_(),
            v.stage.describe(),
        ))
        .fix(fix)
        .evidence(evidence(s))
        .details(details)
        .build()
}
