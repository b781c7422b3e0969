//! The Kubernetes version skew policy as data, and small pure functions over it.
//!
//! Every rule names its source: the version skew policy page of kubernetes/website
//! (`content/en/releases/version-skew-policy.md` at commit
//! 01bc09751ea95187842d07b12453df0eba104622), collected in
//! `reference/compat/version-skew-policy.tsv`. A few node facts that decide how versions are
//! read (dockershim removal, the `kubeProxyVersion` field, cloud-controller-manager versioning)
//! are kept here too, each with its source.

use std::fmt;

use mcp_diag_model::Minor;

/// A component the skew policy speaks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum SkewComponent {
    KubeApiserver,
    Kubelet,
    KubeProxy,
    KubeControllerManager,
    KubeScheduler,
    CloudControllerManager,
    Kubectl,
}

impl SkewComponent {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KubeApiserver => "kube-apiserver",
            Self::Kubelet => "kubelet",
            Self::KubeProxy => "kube-proxy",
            Self::KubeControllerManager => "kube-controller-manager",
            Self::KubeScheduler => "kube-scheduler",
            Self::CloudControllerManager => "cloud-controller-manager",
            Self::Kubectl => "kubectl",
        }
    }

    /// Our name (`kube-scheduler`, ...) to the component, if the policy knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::KubeApiserver,
            Self::Kubelet,
            Self::KubeProxy,
            Self::KubeControllerManager,
            Self::KubeScheduler,
            Self::CloudControllerManager,
            Self::Kubectl,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }
}

impl fmt::Display for SkewComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a component's version is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum RelativeTo {
    /// The kube-apiserver (the oldest one, in an HA cluster with mixed versions).
    KubeApiserver,
    /// The other kube-apiserver instances of an HA control plane.
    OtherKubeApiservers,
    /// The kubelet on the same node.
    KubeletOnSameNode,
}

impl RelativeTo {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KubeApiserver => "kube-apiserver",
            Self::OtherKubeApiservers => "the other kube-apiserver instances",
            Self::KubeletOnSameNode => "the kubelet on the same node",
        }
    }
}

/// One rule of the skew policy: how many minors `component` may be older or newer than
/// `relative_to`, for component versions in `from..before`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkewRule {
    pub component: SkewComponent,
    pub relative_to: RelativeTo,
    /// The first component version the rule applies to (`None`: every older one too).
    pub from: Option<Minor>,
    /// The first component version the rule no longer applies to (`None`: still applies).
    pub before: Option<Minor>,
    pub max_older: u32,
    pub max_newer: u32,
    /// The rule as the policy states it.
    pub rule: &'static str,
    pub source: &'static str,
}

impl SkewRule {
    /// Whether the rule speaks about this version of its component.
    pub fn applies_to(&self, version: Minor) -> bool {
        self.from.is_none_or(|f| version >= f) && self.before.is_none_or(|b| version < b)
    }
}

/// The release from which kubelet and kube-proxy may be three minors older (two before).
pub const N3_FROM: Minor = Minor::new(1, 25);

/// The skew policy, sorted by component, then what it is relative to, then version range.
#[rustfmt::skip]
pub const SKEW_RULES: &[SkewRule] = &[
    SkewRule { component: SkewComponent::KubeApiserver, relative_to: RelativeTo::OtherKubeApiservers, from: None, before: None, max_older: 1, max_newer: 1, rule: "in an HA cluster, the newest and oldest kube-apiserver instances must be within one minor version", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"Supported version skew > kube-apiserver\"" },
    SkewRule { component: SkewComponent::Kubelet, relative_to: RelativeTo::KubeApiserver, from: None, before: Some(N3_FROM), max_older: 2, max_newer: 0, rule: "kubelet must not be newer than kube-apiserver; kubelet older than 1.25 may be up to two minor versions older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kubelet\"" },
    SkewRule { component: SkewComponent::Kubelet, relative_to: RelativeTo::KubeApiserver, from: Some(N3_FROM), before: None, max_older: 3, max_newer: 0, rule: "kubelet must not be newer than kube-apiserver, and may be up to three minor versions older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kubelet\"" },
    SkewRule { component: SkewComponent::KubeProxy, relative_to: RelativeTo::KubeApiserver, from: None, before: Some(N3_FROM), max_older: 2, max_newer: 0, rule: "kube-proxy must not be newer than kube-apiserver; kube-proxy older than 1.25 may be up to two minor versions older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-proxy\"" },
    SkewRule { component: SkewComponent::KubeProxy, relative_to: RelativeTo::KubeApiserver, from: Some(N3_FROM), before: None, max_older: 3, max_newer: 0, rule: "kube-proxy must not be newer than kube-apiserver, and may be up to three minor versions older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-proxy\"" },
    SkewRule { component: SkewComponent::KubeProxy, relative_to: RelativeTo::KubeletOnSameNode, from: None, before: Some(N3_FROM), max_older: 2, max_newer: 2, rule: "kube-proxy older than 1.25 may be up to two minor versions older or newer than the kubelet instance it runs alongside", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-proxy\"" },
    SkewRule { component: SkewComponent::KubeProxy, relative_to: RelativeTo::KubeletOnSameNode, from: Some(N3_FROM), before: None, max_older: 3, max_newer: 3, rule: "kube-proxy may be up to three minor versions older or newer than the kubelet instance it runs alongside", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-proxy\"" },
    SkewRule { component: SkewComponent::KubeControllerManager, relative_to: RelativeTo::KubeApiserver, from: None, before: None, max_older: 1, max_newer: 0, rule: "kube-controller-manager must not be newer than the kube-apiserver instances it talks to; expected to match, may be one minor version older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-controller-manager, kube-scheduler, and cloud-controller-manager\"" },
    SkewRule { component: SkewComponent::KubeScheduler, relative_to: RelativeTo::KubeApiserver, from: None, before: None, max_older: 1, max_newer: 0, rule: "kube-scheduler must not be newer than the kube-apiserver instances it talks to; expected to match, may be one minor version older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-controller-manager, kube-scheduler, and cloud-controller-manager\"" },
    SkewRule { component: SkewComponent::CloudControllerManager, relative_to: RelativeTo::KubeApiserver, from: None, before: None, max_older: 1, max_newer: 0, rule: "cloud-controller-manager must not be newer than the kube-apiserver instances it talks to; expected to match, may be one minor version older", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kube-controller-manager, kube-scheduler, and cloud-controller-manager\"" },
    SkewRule { component: SkewComponent::Kubectl, relative_to: RelativeTo::KubeApiserver, from: None, before: None, max_older: 1, max_newer: 1, rule: "kubectl is supported within one minor version (older or newer) of kube-apiserver", source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"kubectl\"" },
];

/// A fact about upgrades that is no skew rule but decides how the checks read versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fact {
    pub id: &'static str,
    pub text: &'static str,
    pub source: &'static str,
}

/// kube-apiserver goes one minor at a time.
pub const NO_SKIPPED_MINORS: Fact = Fact {
    id: "no-skipped-minors",
    text: "kube-apiserver must not skip minor versions when upgrading, even in single-instance clusters",
    source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"Supported component upgrade order > kube-apiserver\"",
};

/// What must hold before kube-apiserver goes from N-1 to N.
pub const APISERVER_PREREQUISITES: Fact = Fact {
    id: "apiserver-upgrade-prerequisites",
    text: "before upgrading kube-apiserver from N-1 to N: all kube-apiserver instances at N-1 or N; kube-controller-manager, kube-scheduler and cloud-controller-manager at N-1; kubelets and kube-proxy within the supported skew of N",
    source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"Supported component upgrade order > kube-apiserver\"",
};

/// The order in which components are upgraded.
pub const UPGRADE_ORDER: Fact = Fact {
    id: "upgrade-order",
    text: "kube-apiserver first; then kube-controller-manager, kube-scheduler and cloud-controller-manager; then kubelets (drain each node first, in-place minor upgrades of the kubelet are not supported); then kube-proxy. Upgrade to the latest patch of the current minor first",
    source: "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622), section \"Supported component upgrade order\"",
};

/// `status.nodeInfo.kubeProxyVersion` is set by the kubelet, not by kube-proxy.
pub const KUBE_PROXY_VERSION_FIELD: Fact = Fact {
    id: "node-kube-proxy-version-field",
    text: "status.nodeInfo.kubeProxyVersion is set by the kubelet, which does not know the kube-proxy version: it holds the kubelet's own version, or is empty where the kubelet's DisableNodeKubeProxyVersion feature gate is on; the field is deprecated",
    source: "kubernetes/enhancements keps/sig-network/4004-deprecate-kube-proxy-version/README.md (Motivation; Test Plan); kubernetes/website content/en/docs/reference/command-line-tools-reference/feature-gates/DisableNodeKubeProxyVersion.md",
};

/// The release whose kubelet no longer has dockershim.
pub const DOCKERSHIM_REMOVED_IN: Minor = Minor::new(1, 24);

/// Dockershim was removed from the kubelet in 1.24.
pub const DOCKERSHIM_REMOVAL: Fact = Fact {
    id: "dockershim-removed",
    text: "dockershim was removed from the kubelet in Kubernetes 1.24 (deprecated in 1.20): from 1.24 on, nodes need a CRI runtime such as containerd or CRI-O, or Docker Engine through the cri-dockerd adapter. Nodes already using Docker Engine through cri-dockerd are not affected",
    source: "kubernetes/website content/en/blog/_posts/2022-05-03-kubernetes-1-24-release-announcement.md (\"Dockershim Removed from kubelet\"); content/en/blog/_posts/2022-02-17-updated-dockershim-faq.md; content/en/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use.md (cri-dockerd users are not affected; check --container-runtime-endpoint)",
};

/// How a cloud-controller-manager image is versioned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CcmImage {
    /// The image path after the registry host, without tag.
    pub repository: &'static str,
    pub provider: &'static str,
    /// Whether the image's major.minor is the Kubernetes release it is built for.
    pub tracks_kubernetes_minor: bool,
    pub source: &'static str,
}

/// cloud-controller-manager images whose versioning is known, sorted by repository.
#[rustfmt::skip]
pub const CCM_IMAGES: &[CcmImage] = &[
    CcmImage { repository: "provider-aws/cloud-controller-manager", provider: "AWS", tracks_kubernetes_minor: true, source: "kubernetes/cloud-provider-aws docs/README.md, section \"Compatibility with Kubernetes\" (major and minor equal the compatible Kubernetes release; upgrade it every time you upgrade Kubernetes, like kube-controller-manager)" },
];

/// The known cloud-controller-manager image for a repository path (registry host removed).
pub fn ccm_image(repository: &str) -> Option<&'static CcmImage> {
    CCM_IMAGES
        .iter()
        .find(|c| repository == c.repository || repository.ends_with(&format!("/{}", c.repository)))
}

/// How many minors `version` is older than `reference` (negative when newer); `None`
/// across major versions, which the policy does not cover.
pub fn minors_older(version: Minor, reference: Minor) -> Option<i64> {
    (version.major == reference.major).then(|| i64::from(reference.minor) - i64::from(version.minor))
}

/// The minor `by` releases before or after `m` (within its major); `None` below x.0.
pub fn shift(m: Minor, by: i64) -> Option<Minor> {
    let minor = u32::try_from(i64::from(m.minor) + by).ok()?;
    Some(Minor::new(m.major, minor))
}

/// The rule for `component` at `version` compared with `relative_to`.
pub fn rule(component: SkewComponent, relative_to: RelativeTo, version: Minor) -> Option<&'static SkewRule> {
    SKEW_RULES
        .iter()
        .find(|r| r.component == component && r.relative_to == relative_to && r.applies_to(version))
}

/// What the policy says about one pair of versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    Within,
    /// `version` is `by` minors older than the rule allows (`by` counts all minors of skew).
    TooOld {
        by: u32,
        rule: &'static SkewRule,
    },
    TooNew {
        by: u32,
        rule: &'static SkewRule,
    },
    /// Different major versions, or no rule: the policy says nothing.
    Unknown,
}

impl Verdict {
    pub const fn is_outside(self) -> bool {
        matches!(self, Self::TooOld { .. } | Self::TooNew { .. })
    }
}

/// Compares `version` of `component` with `reference` (the version of `relative_to`).
pub fn check(component: SkewComponent, relative_to: RelativeTo, version: Minor, reference: Minor) -> Verdict {
    let (Some(older), Some(rule)) = (
        minors_older(version, reference),
        rule(component, relative_to, version),
    ) else {
        return Verdict::Unknown;
    };
    let by = u32::try_from(older.unsigned_abs()).unwrap_or(u32::MAX);
    if older >= 0 && by > rule.max_older {
        Verdict::TooOld { by, rule }
    } else if older < 0 && by > rule.max_newer {
        Verdict::TooNew { by, rule }
    } else {
        Verdict::Within
    }
}

/// Whether `version` of `component` is within the policy relative to `reference`.
pub fn allowed(component: SkewComponent, relative_to: RelativeTo, version: Minor, reference: Minor) -> bool {
    check(component, relative_to, version, reference) == Verdict::Within
}

/// The versions of a component the policy allows next to one reference version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AllowedRange {
    pub min: Minor,
    pub max: Minor,
}

impl fmt::Display for AllowedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{} to {}", self.min, self.max)
        }
    }
}

/// The widest skew any rule allows; candidates further away are never allowed.
const MAX_SKEW: i64 = 4;

/// The versions of `component` allowed next to `reference`: 1.30 gives kubelets 1.27 to
/// 1.30; 1.27 gives kubelets 1.25 to 1.27 (a 1.24 kubelet may only be two minors older).
pub fn allowed_range(
    component: SkewComponent,
    relative_to: RelativeTo,
    reference: Minor,
) -> Option<AllowedRange> {
    let mut candidates = (-MAX_SKEW..=MAX_SKEW)
        .filter_map(|by| shift(reference, by))
        .filter(|v| allowed(component, relative_to, *v, reference));
    let min = candidates.next()?;
    let max = candidates.next_back().unwrap_or(min);
    Some(AllowedRange { min, max })
}

/// The oldest kubelet (and kube-proxy) the control plane at `apiserver` supports.
pub fn oldest_kubelet_for(apiserver: Minor) -> Option<Minor> {
    allowed_range(SkewComponent::Kubelet, RelativeTo::KubeApiserver, apiserver).map(|r| r.min)
}

/// The newest control plane a kubelet at `kubelet` supports (the last hop it survives).
pub fn newest_apiserver_for_kubelet(kubelet: Minor) -> Option<Minor> {
    (0..=MAX_SKEW)
        .filter_map(|by| shift(kubelet, by))
        .take_while(|a| allowed(SkewComponent::Kubelet, RelativeTo::KubeApiserver, kubelet, *a))
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "kubernetes/website content/en/releases/version-skew-policy.md (commit 01bc09751ea95187842d07b12453df0eba104622)";

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    #[test]
    fn rules_are_sorted_sourced_and_do_not_overlap() {
        for pair in SKEW_RULES.windows(2) {
            let key = |r: &SkewRule| (r.component, r.relative_to, r.from);
            assert!(
                key(&pair[0]) < key(&pair[1]),
                "not sorted: {:?} / {:?}",
                pair[0],
                pair[1]
            );
        }
        for r in SKEW_RULES {
            assert!(r.source.starts_with(POLICY), "{r:?}");
            assert!(!r.rule.is_empty());
            if let (Some(from), Some(before)) = (r.from, r.before) {
                assert!(from < before, "{r:?}");
            }
        }
        // For every component version, exactly one rule per (component, relative_to).
        for r in SKEW_RULES {
            for minor in 0..=40 {
                let matching = SKEW_RULES
                    .iter()
                    .filter(|o| o.component == r.component && o.relative_to == r.relative_to)
                    .filter(|o| o.applies_to(m(minor)))
                    .count();
                assert_eq!(
                    matching, 1,
                    "{:?} vs {:?} at 1.{minor}",
                    r.component, r.relative_to
                );
            }
        }
    }

    #[test]
    fn nothing_may_be_newer_than_the_apiserver_except_kubectl() {
        for r in SKEW_RULES
            .iter()
            .filter(|r| r.relative_to == RelativeTo::KubeApiserver)
        {
            assert_eq!(
                r.max_newer,
                u32::from(r.component == SkewComponent::Kubectl),
                "{r:?}"
            );
            assert!(r.max_older <= 3, "{r:?}");
        }
    }

    #[test]
    fn kubelet_n3_from_1_25_and_n2_before() {
        use SkewComponent::Kubelet;
        let api = RelativeTo::KubeApiserver;
        assert!(allowed(Kubelet, api, m(25), m(28)));
        assert!(!allowed(Kubelet, api, m(24), m(27)), "a 1.24 kubelet is only n-2");
        assert!(allowed(Kubelet, api, m(24), m(26)));
        assert!(allowed(Kubelet, api, m(27), m(30)));
        assert!(!allowed(Kubelet, api, m(26), m(30)));
        assert!(!allowed(Kubelet, api, m(30), m(29)), "never newer");
        assert_eq!(
            check(Kubelet, api, m(26), m(30)),
            Verdict::TooOld {
                by: 4,
                rule: rule(Kubelet, api, m(26)).unwrap()
            }
        );
        assert!(matches!(
            check(Kubelet, api, m(31), m(30)),
            Verdict::TooNew { by: 1, .. }
        ));
        assert_eq!(check(Kubelet, api, Minor::new(2, 0), m(30)), Verdict::Unknown);
    }

    #[test]
    fn allowed_ranges() {
        use RelativeTo as R;
        use SkewComponent as C;
        let r = |c, rel, reference| allowed_range(c, rel, m(reference)).unwrap().to_string();
        assert_eq!(r(C::Kubelet, R::KubeApiserver, 30), "1.27 to 1.30");
        assert_eq!(r(C::Kubelet, R::KubeApiserver, 28), "1.25 to 1.28");
        assert_eq!(r(C::Kubelet, R::KubeApiserver, 27), "1.25 to 1.27");
        assert_eq!(r(C::Kubelet, R::KubeApiserver, 26), "1.24 to 1.26");
        assert_eq!(r(C::Kubelet, R::KubeApiserver, 23), "1.21 to 1.23");
        assert_eq!(r(C::KubeProxy, R::KubeApiserver, 32), "1.29 to 1.32");
        assert_eq!(r(C::KubeProxy, R::KubeletOnSameNode, 29), "1.26 to 1.32");
        // The rule follows the kube-proxy version: a 1.26 kube-proxy may be three newer.
        assert_eq!(r(C::KubeProxy, R::KubeletOnSameNode, 23), "1.21 to 1.26");
        assert_eq!(r(C::KubeControllerManager, R::KubeApiserver, 30), "1.29 to 1.30");
        assert_eq!(r(C::KubeScheduler, R::KubeApiserver, 30), "1.29 to 1.30");
        assert_eq!(r(C::CloudControllerManager, R::KubeApiserver, 30), "1.29 to 1.30");
        assert_eq!(r(C::KubeApiserver, R::OtherKubeApiservers, 30), "1.29 to 1.31");
        assert_eq!(r(C::Kubectl, R::KubeApiserver, 30), "1.29 to 1.31");
        assert_eq!(
            allowed_range(C::Kubelet, R::KubeApiserver, Minor::new(1, 0))
                .unwrap()
                .min,
            Minor::new(1, 0)
        );
    }

    #[test]
    fn allowed_ranges_are_contiguous_and_contain_the_reference() {
        use RelativeTo as R;
        use SkewComponent as C;
        let pairs = [
            (C::KubeApiserver, R::OtherKubeApiservers),
            (C::Kubelet, R::KubeApiserver),
            (C::KubeProxy, R::KubeApiserver),
            (C::KubeProxy, R::KubeletOnSameNode),
            (C::KubeControllerManager, R::KubeApiserver),
            (C::KubeScheduler, R::KubeApiserver),
            (C::CloudControllerManager, R::KubeApiserver),
            (C::Kubectl, R::KubeApiserver),
        ];
        for (c, rel) in pairs {
            for reference in 10..=40 {
                let range = allowed_range(c, rel, m(reference)).unwrap();
                assert!(range.min <= m(reference) && m(reference) <= range.max);
                for minor in 0..=50 {
                    let inside = range.min <= m(minor) && m(minor) <= range.max;
                    assert_eq!(
                        allowed(c, rel, m(minor), m(reference)),
                        inside,
                        "{c} {rel:?} {minor} vs {reference}"
                    );
                }
            }
        }
    }

    #[test]
    fn oldest_kubelet_and_last_hop() {
        assert_eq!(oldest_kubelet_for(m(30)), Some(m(27)));
        assert_eq!(oldest_kubelet_for(m(27)), Some(m(25)));
        assert_eq!(newest_apiserver_for_kubelet(m(26)), Some(m(29)));
        assert_eq!(newest_apiserver_for_kubelet(m(27)), Some(m(30)));
        assert_eq!(newest_apiserver_for_kubelet(m(24)), Some(m(26)));
        // Consistency: a kubelet survives exactly the hops whose oldest kubelet it is at least.
        for kubelet in 15..=40 {
            let last = newest_apiserver_for_kubelet(m(kubelet)).unwrap();
            assert!(oldest_kubelet_for(last).unwrap() <= m(kubelet));
            assert!(oldest_kubelet_for(last.next()).unwrap() > m(kubelet));
        }
    }

    #[test]
    fn facts_and_ccm_images_are_sourced() {
        for fact in [
            NO_SKIPPED_MINORS,
            APISERVER_PREREQUISITES,
            UPGRADE_ORDER,
            KUBE_PROXY_VERSION_FIELD,
            DOCKERSHIM_REMOVAL,
        ] {
            assert!(!fact.source.is_empty() && !fact.text.is_empty(), "{fact:?}");
        }
        for pair in CCM_IMAGES.windows(2) {
            assert!(pair[0].repository < pair[1].repository);
        }
        for c in CCM_IMAGES {
            assert!(!c.source.is_empty());
        }
        assert!(ccm_image("provider-aws/cloud-controller-manager").is_some());
        assert!(ccm_image("mirror/provider-aws/cloud-controller-manager").is_some());
        assert!(ccm_image("hetznercloud/hcloud-cloud-controller-manager").is_none());
        assert_eq!(DOCKERSHIM_REMOVED_IN, m(24));
    }

    #[test]
    fn names_round_trip() {
        for r in SKEW_RULES {
            assert_eq!(SkewComponent::from_name(r.component.as_str()), Some(r.component));
        }
        assert_eq!(SkewComponent::from_name("etcd"), None);
    }
}
