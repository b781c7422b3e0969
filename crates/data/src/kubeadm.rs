//! What kubeadm installs per Kubernetes minor: the etcd image (`SupportedEtcdVersion` in
//! `cmd/kubeadm/app/constants/constants.go`) and CoreDNS (`CoreDNSVersion`).
//!
//! Facts from `reference/compat/kubeadm-etcd-versions.tsv` and
//! `kubeadm-coredns-versions.tsv`. kubeadm also edits its etcd map in release branches, so the
//! etcd a cluster gets depends on the kubeadm patch release: `at_x0` is the value when the
//! minor shipped, `later` a verified later bump on that release branch.

use std::cmp::Ordering;
use std::fmt;

use mcp_diag_model::{KubeVersion, Minor};

/// A three-number version (etcd 3.5.10, Calico 3.25.2), usable in `const` tables. Ordered by
/// number. [`Ver::ANY_PATCH`] as the patch stands for "every patch of this minor".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ver {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Ver {
    /// The highest patch, for ranges such as "every 3.25 release" (`3.25.0..=3.25.MAX`).
    pub const ANY_PATCH: u32 = u32::MAX;
    /// The lowest and highest possible versions, for rows that cover every release.
    pub const MIN: Self = Self::new(0, 0, 0);
    pub const MAX: Self = Self::new(u32::MAX, u32::MAX, u32::MAX);

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self { major, minor, patch }
    }

    /// The numbers of a version read from a tag; a missing patch counts as 0. Suffixes
    /// (`-0` of etcd images, `-eksbuild.1`, `-rc.0`) are ignored.
    pub fn of(v: &KubeVersion) -> Self {
        Self::new(v.major, v.minor, v.patch.unwrap_or(0))
    }

    /// The `major.minor` part, as a [`Minor`] (3.5 for etcd 3.5.10).
    pub const fn line(self) -> Minor {
        Minor::new(self.major, self.minor)
    }
}

/// Written as text (`3.5.12`), as people read versions.
impl serde::Serialize for Ver {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Ver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == Self::ANY_PATCH {
            write!(f, "{}.{}.x", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl PartialEq<Ver> for KubeVersion {
    fn eq(&self, other: &Ver) -> bool {
        Ver::of(self) == *other
    }
}

impl PartialOrd<Ver> for KubeVersion {
    fn partial_cmp(&self, other: &Ver) -> Option<Ordering> {
        Some(Ver::of(self).cmp(other))
    }
}

/// The etcd version kubeadm deploys for a Kubernetes minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KubeadmEtcd {
    pub kubernetes: Minor,
    /// The image tag (`3.5.10-0`) kubeadm pinned when the minor shipped (x.0).
    pub image: &'static str,
    /// The version in `image`.
    pub etcd: Ver,
    /// A later bump on the release branch (newer kubeadm patch releases deploy it), when a
    /// merged change confirms it.
    pub later: Option<Ver>,
    /// `false` when the value at the x.0 tag could not be confirmed from a primary source:
    /// such rows only ever lead to `info` findings.
    pub verified: bool,
    pub note: &'static str,
    pub source: &'static str,
}

/// The etcd image kubeadm deploys, per Kubernetes minor (1.22-1.37).
#[rustfmt::skip]
pub const KUBEADM_ETCD: &[KubeadmEtcd] = &[
    KubeadmEtcd { kubernetes: Minor::new(1, 22), image: "3.5.0-0", etcd: Ver::new(3, 5, 0), later: None, verified: true, note: "1.22 theme 'etcd moves to version 3.5.0'. etcd 3.5.0-3.5.2 can lose writes after a crash (see etcd known issues). Master later moved key 22 to newer 3.5 patches; those edits concern newer kubeadm binaries, not release-1.22", source: "kubernetes/sig-release releases/release-1.22/release-notes/release-notes-draft.md @e8dfc805; kubernetes/kubernetes PR #102062" },
    KubeadmEtcd { kubernetes: Minor::new(1, 23), image: "3.5.1-0", etcd: Ver::new(3, 5, 1), later: None, verified: true, note: "1.23 notes: 'Upgrade etcd to 3.5.1 (#105706)'; PR #109471 diff context shows 23: \"3.5.1-0\". Backports of 3.5.3 (#109532/#109533) not confirmed merged", source: "kubernetes/sig-release releases/release-1.23/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #105706, PR #109471" },
    KubeadmEtcd { kubernetes: Minor::new(1, 24), image: "3.5.3-0", etcd: Ver::new(3, 5, 3), later: None, verified: true, note: "first 3.5 release with the data-inconsistency fix", source: "kubernetes/sig-release releases/release-1.24/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #109471" },
    KubeadmEtcd { kubernetes: Minor::new(1, 25), image: "3.5.4-0", etcd: Ver::new(3, 5, 4), later: None, verified: true, note: "1.25 notes: 'Etcd: Update to v3.5.4 (#110033)'", source: "kubernetes/sig-release releases/release-1.25/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #110033, PR #112489" },
    KubeadmEtcd { kubernetes: Minor::new(1, 26), image: "3.5.5-0", etcd: Ver::new(3, 5, 5), later: Some(Ver::new(3, 5, 10)), verified: false, note: "UNVERIFIED at the v1.26.0 tag: 3.5.5-0 (release notes) or 3.5.6-0 (PR #114093, merge date not confirmed). release-1.26 later got 3.5.10 (cherry-pick #121803)", source: "kubernetes/sig-release releases/release-1.26/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #112489, PR #115310, PR #121803" },
    KubeadmEtcd { kubernetes: Minor::new(1, 27), image: "3.5.7-0", etcd: Ver::new(3, 5, 7), later: None, verified: true, note: "1.27 notes: 'etcd: Updated to v3.5.7 (#115310)'", source: "kubernetes/sig-release releases/release-1.27/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #115310" },
    KubeadmEtcd { kubernetes: Minor::new(1, 28), image: "3.5.9-0", etcd: Ver::new(3, 5, 9), later: None, verified: true, note: "1.28 notes: 'Updated etcd image to 3.5.9-0 (#117999)'", source: "kubernetes/sig-release releases/release-1.28/release-notes/release-notes-draft.md" },
    KubeadmEtcd { kubernetes: Minor::new(1, 29), image: "3.5.10-0", etcd: Ver::new(3, 5, 10), later: None, verified: true, note: "1.29 notes: 'etcd: updated to v3.5.10 (#121566)'; PR #122265 diff context shows 29: \"3.5.10-0\"", source: "kubernetes/sig-release releases/release-1.29/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #121566, PR #122265" },
    KubeadmEtcd { kubernetes: Minor::new(1, 30), image: "3.5.12-0", etcd: Ver::new(3, 5, 12), later: Some(Ver::new(3, 5, 15)), verified: true, note: "release-1.30 later moved to 3.5.15-0 (cherry-pick #126395)", source: "kubernetes/sig-release releases/release-1.30/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #126395" },
    KubeadmEtcd { kubernetes: Minor::new(1, 31), image: "3.5.15-0", etcd: Ver::new(3, 5, 15), later: Some(Ver::new(3, 5, 24)), verified: true, note: "value on release-1.31 (PR #127955 diff, Oct 2024; the v1.31.0 tag itself was not read). kubeadm 1.31 probes etcd on /livez and /readyz and cannot deploy a custom etcd older than 3.5.11 (#124465). release-1.31 later got 3.5.24-0 (#135020)", source: "kubernetes/kubernetes PR #126240, PR #126395, PR #127955, PR #135020; kubernetes/sig-release releases/release-1.31/release-notes/release-notes-draft.md" },
    KubeadmEtcd { kubernetes: Minor::new(1, 32), image: "3.5.16-0", etcd: Ver::new(3, 5, 16), later: Some(Ver::new(3, 5, 24)), verified: true, note: "release-1.32 later got 3.5.24-0 (#135019); the branch's constants.go then has MinExternalEtcdVersion 3.5.24-0", source: "kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go @00886ac01fec1c8432967e8bb597828f46a9ba8b (release-1.32); PR #127955, PR #135019" },
    KubeadmEtcd { kubernetes: Minor::new(1, 33), image: "3.5.21-0", etcd: Ver::new(3, 5, 21), later: Some(Ver::new(3, 5, 24)), verified: true, note: "maintainer statement on PR #131501: versions <= 1.33.0 depend on etcd 3.5.21. release-1.33 later got 3.5.24-0 (#135018), the minimum before etcd 3.6", source: "kubernetes/kubernetes PR #131501, PR #135018; kubernetes/kubeadm issue #3247" },
    KubeadmEtcd { kubernetes: Minor::new(1, 34), image: "3.6.4-0", etcd: Ver::new(3, 6, 4), later: None, verified: true, note: "first minor on etcd 3.6. kubeadm 1.34 deploys 3.5.24-0 for a 1.33 control plane (#134861)", source: "kubernetes/kubernetes PR #133245, PR #134861; kubernetes/sig-release releases/release-1.34/release-notes/release-notes-draft.md" },
    KubeadmEtcd { kubernetes: Minor::new(1, 35), image: "3.6.6-0", etcd: Ver::new(3, 6, 6), later: None, verified: true, note: "1.35 notes: 'Updated etcd to v3.6.6 (#135271)'", source: "kubernetes/sig-release releases/release-1.35/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #135271" },
    KubeadmEtcd { kubernetes: Minor::new(1, 36), image: "3.6.8-0", etcd: Ver::new(3, 6, 8), later: None, verified: true, note: "1.36 notes: 'Updated etcd images to v3.6.8 (#137107)'; a later bump to 3.6.9-0 (#137956) may or may not predate v1.36.0, so 3.6.8 is a lower bound. kubeadm 1.36 no longer maps etcd < 3.6.0 (#135701)", source: "kubernetes/sig-release releases/release-1.36/release-notes/release-notes-draft.md; kubernetes/kubernetes PR #137107, PR #137956" },
    KubeadmEtcd { kubernetes: Minor::new(1, 37), image: "3.7.0", etcd: Ver::new(3, 7, 0), later: None, verified: true, note: "1.37 notes: 'Updated the default etcd version to v3.7.0 (#140333)' (notes draft of 2026-08-13; image tag suffix not read). etcd needs a running 3.6.11+ cluster before 3.7", source: "kubernetes/sig-release releases/release-1.37/release-notes/release-notes-draft.md @e8dfc805; kubernetes/kubernetes PR #139427, PR #140333" },
];

/// The CoreDNS version kubeadm installs for a Kubernetes minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KubeadmCoreDns {
    pub kubernetes: Minor,
    /// As written (`v1.11.1`).
    pub tag: &'static str,
    pub coredns: Ver,
    /// `false` when the value could not be confirmed: such rows only lead to `info` findings.
    pub verified: bool,
    pub note: &'static str,
    pub source: &'static str,
}

const COREDNS_TABLE: &str =
    "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a19c9c3463044a5e39f8de3c9a48691854";

/// The CoreDNS version kubeadm installs, per Kubernetes minor (1.19-1.37).
#[rustfmt::skip]
pub const KUBEADM_COREDNS: &[KubeadmCoreDns] = &[
    KubeadmCoreDns { kubernetes: Minor::new(1, 19), tag: "v1.7.0", coredns: Ver::new(1, 7, 0), verified: true, note: "federation plugin removed; many Prometheus metric names changed", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 20), tag: "v1.7.0", coredns: Ver::new(1, 7, 0), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 21), tag: "v1.8.0", coredns: Ver::new(1, 8, 0), verified: true, note: "'transfer' option removed from the kubernetes plugin (use the transfer plugin)", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 22), tag: "v1.8.4", coredns: Ver::new(1, 8, 4), verified: true, note: "CoreDNS must be granted list/watch on EndpointSlices", source: "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1; kubernetes/sig-release releases/release-1.22/release-notes/release-notes-draft.md (#102466)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 23), tag: "v1.8.6", coredns: Ver::new(1, 8, 6), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 24), tag: "v1.8.6", coredns: Ver::new(1, 8, 6), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 25), tag: "v1.9.3", coredns: Ver::new(1, 9, 3), verified: true, note: "", source: "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1; kubernetes/sig-release releases/release-1.25/release-notes/release-notes-draft.md (#110489)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 26), tag: "v1.9.3", coredns: Ver::new(1, 9, 3), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 27), tag: "v1.10.1", coredns: Ver::new(1, 10, 1), verified: true, note: "", source: "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1; kubernetes/sig-release releases/release-1.27/release-notes/release-notes-draft.md (#115603)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 28), tag: "v1.10.1", coredns: Ver::new(1, 10, 1), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 29), tag: "v1.11.1", coredns: Ver::new(1, 11, 1), verified: true, note: "", source: "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1; kubernetes/sig-release releases/release-1.29/release-notes/release-notes-draft.md (#120116)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 30), tag: "v1.11.1", coredns: Ver::new(1, 11, 1), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 31), tag: "v1.11.3", coredns: Ver::new(1, 11, 3), verified: true, note: "", source: COREDNS_TABLE },
    KubeadmCoreDns { kubernetes: Minor::new(1, 32), tag: "v1.11.3", coredns: Ver::new(1, 11, 3), verified: true, note: "", source: "coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1; kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go @00886ac01fec1c8432967e8bb597828f46a9ba8b (release-1.32)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 33), tag: "v1.12.0", coredns: Ver::new(1, 12, 0), verified: true, note: "", source: "kubernetes/sig-release releases/release-1.33/release-notes/release-notes-draft.md @e8dfc805 (#128926); coredns/deployment PR #306" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 34), tag: "v1.12.1", coredns: Ver::new(1, 12, 1), verified: true, note: "", source: "kubernetes/sig-release releases/release-1.34/release-notes/release-notes-draft.md (#131151)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 35), tag: "v1.12.4", coredns: Ver::new(1, 12, 4), verified: false, note: "UNVERIFIED: the notes say v1.12.4 (#133968) but that PR was later titled 'Update coredns to v1.13.1'; build/dependencies.yaml at v1.35.0 not read", source: "kubernetes/sig-release releases/release-1.35/release-notes/release-notes-draft.md; kubernetes/k8s.io PR #8652; kubernetes/kubernetes PR #135814" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 36), tag: "v1.14.2", coredns: Ver::new(1, 14, 2), verified: true, note: "", source: "kubernetes/sig-release releases/release-1.36/release-notes/release-notes-draft.md (#137605)" },
    KubeadmCoreDns { kubernetes: Minor::new(1, 37), tag: "v1.14.6", coredns: Ver::new(1, 14, 6), verified: true, note: "per the 1.37 notes draft of 2026-08-13 (#140497). kubeadm uses one CoreDNS version for every control plane it deploys (kubeadm issue #3322)", source: "kubernetes/sig-release releases/release-1.37/release-notes/release-notes-draft.md @e8dfc805; kubernetes/kubeadm issue #3322" },
];

/// kubeadm's etcd pin for `kubernetes`, if the table knows the minor.
pub fn etcd_for(kubernetes: Minor) -> Option<&'static KubeadmEtcd> {
    KUBEADM_ETCD.iter().find(|r| r.kubernetes == kubernetes)
}

/// kubeadm's CoreDNS version for `kubernetes`, if the table knows the minor.
pub fn coredns_for(kubernetes: Minor) -> Option<&'static KubeadmCoreDns> {
    KUBEADM_COREDNS.iter().find(|r| r.kubernetes == kubernetes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_rows_are_sorted_contiguous_sourced_and_monotonic() {
        for pair in KUBEADM_ETCD.windows(2) {
            assert_eq!(
                pair[0].kubernetes.next(),
                pair[1].kubernetes,
                "gap or disorder at {:?}",
                pair[1]
            );
            assert!(
                pair[0].etcd <= pair[1].etcd,
                "etcd went backwards at {:?}",
                pair[1]
            );
        }
        for r in KUBEADM_ETCD {
            assert!(!r.source.is_empty(), "{r:?}");
            assert!(
                r.image.starts_with(&r.etcd.to_string()),
                "image and version disagree: {r:?}"
            );
            if let Some(later) = r.later {
                assert!(later > r.etcd, "{r:?}");
                assert_eq!(
                    later.line(),
                    r.etcd.line(),
                    "a later bump changed the etcd minor: {r:?}"
                );
            }
            assert_eq!(r.verified, !r.note.contains("UNVERIFIED"), "{r:?}");
        }
    }

    #[test]
    fn coredns_rows_are_sorted_contiguous_sourced_and_monotonic() {
        for pair in KUBEADM_COREDNS.windows(2) {
            assert_eq!(
                pair[0].kubernetes.next(),
                pair[1].kubernetes,
                "gap or disorder at {:?}",
                pair[1]
            );
            assert!(pair[0].coredns <= pair[1].coredns, "{:?}", pair[1]);
        }
        for r in KUBEADM_COREDNS {
            assert!(!r.source.is_empty(), "{r:?}");
            assert_eq!(r.tag, format!("v{}", r.coredns), "{r:?}");
            assert_eq!(r.verified, !r.note.contains("UNVERIFIED"), "{r:?}");
        }
    }

    #[test]
    fn known_pins() {
        let e = etcd_for(Minor::new(1, 29)).unwrap();
        assert_eq!((e.image, e.verified), ("3.5.10-0", true));
        assert_eq!(etcd_for(Minor::new(1, 34)).unwrap().etcd.line(), Minor::new(3, 6));
        assert!(!etcd_for(Minor::new(1, 26)).unwrap().verified);
        assert!(etcd_for(Minor::new(1, 21)).is_none());
        assert_eq!(coredns_for(Minor::new(1, 32)).unwrap().tag, "v1.11.3");
        assert!(!coredns_for(Minor::new(1, 35)).unwrap().verified);
    }

    #[test]
    fn versions_compare_by_number() {
        let v = KubeVersion::parse("3.5.10-0").unwrap();
        assert!(v < Ver::new(3, 5, 12));
        assert!(v > Ver::new(3, 5, 9));
        assert!(v == Ver::new(3, 5, 10));
        assert_eq!(Ver::new(3, 25, Ver::ANY_PATCH).to_string(), "3.25.x");
        assert_eq!(Ver::of(&KubeVersion::parse("v3.25").unwrap()), Ver::new(3, 25, 0));
    }
}
