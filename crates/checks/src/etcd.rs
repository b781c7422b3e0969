//! Which etcd versions an upgrade walks through, for etcd-version: the hops whose kubeadm pin
//! is unknown, the first pin newer than the running etcd, and the steps of etcd's own upgrade
//! path as kubeadm's pins move it hop by hop. Decisions only; the words are the rule file's.

use std::collections::BTreeSet;

use mcp_diag_data::etcd::{self, EtcdUpgradeStep};
use mcp_diag_data::kubeadm::{self, KubeadmEtcd, Ver};
use mcp_diag_model::{KubeVersion, Minor, Severity};

use crate::Component;

/// The cluster's etcd: sightings named etcd, from kube-system (static pods) or cluster.yaml.
pub(crate) fn sightings<'c, 'a>(components: &'c [Component<'a>]) -> Vec<&'c Component<'a>> {
    components
        .iter()
        .filter(|c| c.name == "etcd")
        .filter(|c| {
            c.object
                .is_none_or(|o| o.namespace.as_deref() == Some("kube-system"))
        })
        .collect()
}

/// The provider whose managed control plane runs etcd, as the server version names it.
pub(crate) fn managed_by(server: Option<&KubeVersion>) -> Option<&'static str> {
    let suffix = server?.suffix.to_ascii_lowercase();
    [("eks", "EKS"), ("gke", "GKE"), ("aks", "AKS")]
        .into_iter()
        .find(|(needle, _)| suffix.contains(needle))
        .map(|(_, name)| name)
}

/// The hops for which the tool does not know kubeadm's etcd.
pub(crate) fn hops_without_pin(hops: &[Minor]) -> Vec<Minor> {
    hops.iter()
        .copied()
        .filter(|h| kubeadm::etcd_for(*h).is_none())
        .collect()
}

/// The running etcd is older than what kubeadm pins for some hops.
pub(crate) struct BehindPins {
    /// The first hop whose pin is newer (the first verified one when there is one).
    pub(crate) first: &'static KubeadmEtcd,
    /// The last hop whose pin is newer.
    pub(crate) last: &'static KubeadmEtcd,
    /// `high` when `first` is verified, else `info`.
    pub(crate) severity: Severity,
    /// kubeadm's own minimums along the hops that `v` is below (sorted, no repeats).
    pub(crate) minimums: Vec<&'static str>,
}

/// Whether etcd `v` is older than kubeadm's pin for any of `hops`.
pub(crate) fn behind_pins(v: Ver, hops: &[Minor]) -> Option<BehindPins> {
    let behind: Vec<&'static KubeadmEtcd> = hops
        .iter()
        .filter_map(|h| kubeadm::etcd_for(*h))
        .filter(|p| v < p.etcd)
        .collect();
    let first = behind.iter().find(|p| p.verified).or(behind.first()).copied()?;
    let last = behind.last().copied().unwrap_or(first);
    let minimums: BTreeSet<&'static str> = hops
        .iter()
        .filter_map(|h| etcd::kubeadm_minimum(*h))
        .filter(|m| v < m.min_etcd)
        .map(|m| m.note)
        .collect();
    Some(BehindPins {
        first,
        last,
        severity: if first.verified {
            Severity::High
        } else {
            Severity::Info
        },
        minimums: minimums.into_iter().collect(),
    })
}

/// One hop at which kubeadm's pin moves etcd to a newer minor.
pub(crate) struct PathStep {
    pub(crate) hop: Minor,
    pub(crate) pin: &'static KubeadmEtcd,
    /// The etcd running before the hop: now, or what the earlier pins leave.
    pub(crate) running: Ver,
    /// The first hop of the upgrade (so `running` is the etcd running now).
    pub(crate) first_hop: bool,
    pub(crate) from: Minor,
    pub(crate) to: Minor,
    pub(crate) kind: StepKind,
}

pub(crate) enum StepKind {
    /// More than one minor at once (or a new major): etcd cannot do it.
    Skip { severity: Severity },
    /// One minor, but `running` is below the minimum etcd documents for the step.
    BelowMinimum {
        step: &'static EtcdUpgradeStep,
        /// The previous hop's kubeadm and the later pin of its patch releases that is new
        /// enough, when there is one.
        via_patch: Option<(&'static KubeadmEtcd, Ver)>,
        severity: Severity,
    },
    /// One minor, from a new enough etcd: worth knowing.
    Moves { step: &'static EtcdUpgradeStep },
}

/// etcd's own upgrade path from `v`, following kubeadm's pins for `hops` (stops at the first
/// hop whose pin is unknown); `current` is the cluster's release, for the pin before the first
/// hop.
pub(crate) fn upgrade_path(v: Ver, current: Option<Minor>, hops: &[Minor]) -> Vec<PathStep> {
    let mut out = Vec::new();
    let mut running = v;
    let mut previous: Option<&'static KubeadmEtcd> = current.and_then(kubeadm::etcd_for);
    let mut first_hop = true;
    for &hop in hops {
        let Some(pin) = kubeadm::etcd_for(hop) else {
            break;
        };
        let (from, to) = (running.line(), pin.etcd.line());
        if to > from {
            let kind = if to.major != from.major || to.minor > from.minor + 1 {
                Some(StepKind::Skip {
                    severity: if pin.verified {
                        Severity::Blocker
                    } else {
                        Severity::Info
                    },
                })
            } else {
                etcd::upgrade_step(from).map(|step| {
                    if running < step.min_from {
                        let via_patch =
                            previous.and_then(|p| p.later.filter(|l| *l >= step.min_from).map(|l| (p, l)));
                        let severity = match (pin.verified, via_patch, first_hop) {
                            (false, _, _) => Severity::Info,
                            (true, Some(_), false) => Severity::High,
                            _ => Severity::Blocker,
                        };
                        StepKind::BelowMinimum {
                            step,
                            via_patch,
                            severity,
                        }
                    } else {
                        StepKind::Moves { step }
                    }
                })
            };
            if let Some(kind) = kind {
                out.push(PathStep {
                    hop,
                    pin,
                    running,
                    first_hop,
                    from,
                    to,
                    kind,
                });
            }
        }
        if pin.etcd > running {
            running = pin.etcd;
        }
        previous = Some(pin);
        first_hop = false;
    }
    out
}
