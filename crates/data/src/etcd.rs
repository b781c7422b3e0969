//! etcd releases known to be broken, and etcd's own upgrade path.
//!
//! Facts from `reference/compat/etcd-known-issues.tsv`.

use mcp_diag_model::{Minor, Severity};

use crate::kubeadm::Ver;

/// A range of etcd releases with a known defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EtcdIssue {
    pub id: &'static str,
    /// First and last affected release, inclusive.
    pub first: Ver,
    pub last: Ver,
    /// The first release of the same minor with the fix.
    pub fixed_in: Ver,
    /// How bad running an affected release into an upgrade is.
    pub severity: Severity,
    pub summary: &'static str,
    pub source: &'static str,
}

impl EtcdIssue {
    pub fn affects(&self, v: Ver) -> bool {
        self.first <= v && v <= self.last
    }
}

/// Known-bad etcd releases, sorted by first affected release; ranges never overlap.
#[rustfmt::skip]
pub const ETCD_ISSUES: &[EtcdIssue] = &[
    EtcdIssue { id: "etcd-3.4.21-inconsistency", first: Ver::new(3, 4, 21), last: Ver::new(3, 4, 21), fixed_in: Ver::new(3, 4, 22), severity: Severity::High, summary: "etcd 3.4.21 has a data inconsistency issue; 3.4.22 or later is the minimum recommended version", source: "kubernetes/website PR #40816 (description by ahrtr, 2023-04-23; etcd-dev post 8S7u6NqW6C4; etcd PR #15761)" },
    EtcdIssue { id: "etcd-3.5-data-inconsistency", first: Ver::new(3, 5, 0), last: Ver::new(3, 5, 2), fixed_in: Ver::new(3, 5, 3), severity: Severity::Blocker, summary: "etcd 3.5.0 to 3.5.2 do not save the consistent index atomically: a member that crashes under load (SIGKILL, OOM) can come back with committed writes missing, and members disagree", source: "etcd-io/etcd Documentation/postmortems/v3.5-data-inconsistency.md @300a3b51164d339f1f3d51e389c6567a67b3d0a8; etcd-io/etcd issue #13766" },
    EtcdIssue { id: "etcd-3.5.5-inconsistency", first: Ver::new(3, 5, 5), last: Ver::new(3, 5, 5), fixed_in: Ver::new(3, 5, 6), severity: Severity::High, summary: "etcd 3.5.5 has a data inconsistency issue; 3.5.6 or later is the minimum recommended version", source: "kubernetes/website PR #40816 (description by ahrtr, 2023-04-23; etcd-dev post 8S7u6NqW6C4; etcd PR #15761)" },
];

/// One step of etcd's upgrade path: a running `from` cluster at `min_from` or later can be
/// upgraded to the next minor, `to`. etcd only upgrades one minor at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EtcdUpgradeStep {
    pub from: Minor,
    pub to: Minor,
    /// Every member must run this release (or later) before the step.
    pub min_from: Ver,
    pub note: &'static str,
    pub source: &'static str,
}

/// etcd's supported upgrade steps, by `from`.
#[rustfmt::skip]
pub const ETCD_UPGRADE_PATH: &[EtcdUpgradeStep] = &[
    EtcdUpgradeStep { from: Minor::new(3, 4), to: Minor::new(3, 5), min_from: Ver::new(3, 4, 0), note: "a rolling upgrade from 3.4 is not supported with auth enabled (3.5 changed the WAL auth entry format, etcd PR #11943); once every member runs 3.5 there is no downgrade by binary swap", source: "etcd-io/website content/en/docs/v3.6/upgrades/upgrade_3_5.md @0390e64f1d9a958e0add4eae822c20fd9d3b6504 (Upgrade requirements)" },
    EtcdUpgradeStep { from: Minor::new(3, 5), to: Minor::new(3, 6), min_from: Ver::new(3, 5, 24), note: "every 3.5 member must run 3.5.24 or later first, or the upgrade can fail with 'too many learner members' (etcd issues #19557, #20793; the etcd 3.6 announcement said 3.5.20). 3.6 removes the v2 store flags (--enable-v2, --experimental-enable-v2v3) and the --proxy flags, and lowers --snapshot-count to 10000", source: "etcd-io/website content/en/docs/v3.6/upgrades/upgrade_3_6.md @3dc885fb13ac9560ad2549d2e4c1c874577c94db; kubernetes/kubeadm issue #3247" },
    EtcdUpgradeStep { from: Minor::new(3, 6), to: Minor::new(3, 7), min_from: Ver::new(3, 6, 11), note: "the running cluster must be 3.6.11 or later", source: "etcd-io/website content/en/docs/v3.7/upgrades/upgrade_3_7.md @61f70a01a74e62acc0704ba5951a35876a12b877 (Upgrade requirements)" },
];

/// The source of "one minor at a time" (3.4 cannot go straight to 3.6).
pub const ONE_MINOR_AT_A_TIME_SOURCE: &str = "etcd-io/website content/en/docs/v3.6/upgrades/upgrade_3_6.md @3dc885fb ('the running cluster must be v3.5 or greater'); content/en/docs/v3.7/upgrades/upgrade_3_7.md @61f70a01 ('etcd only supports upgrading one minor version at a time')";

/// The lowest etcd a kubeadm release accepts, from that Kubernetes minor on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KubeadmEtcdMinimum {
    pub from_kubernetes: Minor,
    pub min_etcd: Ver,
    pub note: &'static str,
    pub source: &'static str,
}

/// kubeadm's own minimum etcd versions, by Kubernetes minor.
#[rustfmt::skip]
pub const KUBEADM_ETCD_MINIMUMS: &[KubeadmEtcdMinimum] = &[
    KubeadmEtcdMinimum { from_kubernetes: Minor::new(1, 31), min_etcd: Ver::new(3, 5, 11), note: "kubeadm 1.31 probes etcd on /livez and /readyz (added in etcd 3.5.11) and can no longer deploy a custom etcd older than 3.5.11 (#124465)", source: "kubernetes/sig-release releases/release-1.31/release-notes/release-notes-draft.md line 256" },
    KubeadmEtcdMinimum { from_kubernetes: Minor::new(1, 36), min_etcd: Ver::new(3, 6, 0), note: "kubeadm 1.36 no longer supports etcd < 3.6.0 in its Kubernetes/etcd version mapping (#135701)", source: "kubernetes/sig-release releases/release-1.36/release-notes/release-notes-draft.md line 359" },
];

/// The upgrade step out of the etcd minor `from`, if etcd documents one.
pub fn upgrade_step(from: Minor) -> Option<&'static EtcdUpgradeStep> {
    ETCD_UPGRADE_PATH.iter().find(|s| s.from == from)
}

/// The known issues affecting `v`.
pub fn issues_of(v: Ver) -> impl Iterator<Item = &'static EtcdIssue> {
    ETCD_ISSUES.iter().filter(move |i| i.affects(v))
}

/// kubeadm's minimum etcd for a control plane at `kubernetes`, if any.
pub fn kubeadm_minimum(kubernetes: Minor) -> Option<&'static KubeadmEtcdMinimum> {
    KUBEADM_ETCD_MINIMUMS
        .iter()
        .rev()
        .find(|m| m.from_kubernetes <= kubernetes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_sorted_disjoint_sourced_and_fixed_later() {
        for pair in ETCD_ISSUES.windows(2) {
            assert!(
                pair[0].last < pair[1].first,
                "overlap or disorder: {:?} / {:?}",
                pair[0],
                pair[1]
            );
        }
        for i in ETCD_ISSUES {
            assert!(i.first <= i.last, "{i:?}");
            assert!(i.fixed_in > i.last, "{i:?}");
            assert_eq!(i.fixed_in.line(), i.last.line(), "{i:?}");
            assert!(!i.source.is_empty() && !i.summary.is_empty(), "{i:?}");
            assert!(i.severity >= Severity::High, "{i:?}");
        }
    }

    #[test]
    fn upgrade_path_goes_one_minor_at_a_time() {
        for pair in ETCD_UPGRADE_PATH.windows(2) {
            assert_eq!(pair[0].to, pair[1].from, "{:?}", pair[1]);
        }
        for s in ETCD_UPGRADE_PATH {
            assert_eq!(s.from.next(), s.to, "{s:?}");
            assert_eq!(s.min_from.line(), s.from, "{s:?}");
            assert!(!s.source.is_empty(), "{s:?}");
        }
        assert_eq!(
            upgrade_step(Minor::new(3, 5)).unwrap().min_from,
            Ver::new(3, 5, 24)
        );
        assert_eq!(
            upgrade_step(Minor::new(3, 6)).unwrap().min_from,
            Ver::new(3, 6, 11)
        );
        assert!(upgrade_step(Minor::new(3, 7)).is_none());
    }

    #[test]
    fn known_bad_releases() {
        let sev = |v| issues_of(v).map(|i| i.severity).max();
        assert_eq!(sev(Ver::new(3, 5, 0)), Some(Severity::Blocker));
        assert_eq!(sev(Ver::new(3, 5, 2)), Some(Severity::Blocker));
        assert_eq!(sev(Ver::new(3, 5, 3)), None);
        assert_eq!(sev(Ver::new(3, 5, 4)), None);
        assert_eq!(sev(Ver::new(3, 5, 5)), Some(Severity::High));
        assert_eq!(sev(Ver::new(3, 5, 6)), None);
        assert_eq!(sev(Ver::new(3, 4, 21)), Some(Severity::High));
        assert_eq!(sev(Ver::new(3, 4, 22)), None);
    }

    #[test]
    fn kubeadm_minimums_are_sorted_and_sourced() {
        for pair in KUBEADM_ETCD_MINIMUMS.windows(2) {
            assert!(pair[0].from_kubernetes < pair[1].from_kubernetes);
            assert!(pair[0].min_etcd < pair[1].min_etcd);
        }
        assert!(KUBEADM_ETCD_MINIMUMS.iter().all(|m| !m.source.is_empty()));
        assert!(kubeadm_minimum(Minor::new(1, 30)).is_none());
        assert_eq!(
            kubeadm_minimum(Minor::new(1, 33)).unwrap().min_etcd,
            Ver::new(3, 5, 11)
        );
        assert_eq!(
            kubeadm_minimum(Minor::new(1, 37)).unwrap().min_etcd,
            Ver::new(3, 6, 0)
        );
    }
}
