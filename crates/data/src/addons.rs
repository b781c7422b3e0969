//! Which Kubernetes versions CNI plugins and add-ons support, per add-on version.
//!
//! Facts from `reference/compat/cni-k8s-compat.tsv` and `addons-k8s-compat.tsv`, each row
//! from the project's own compatibility table. CoreDNS publishes no range: its rows are the
//! versions kubeadm installs per minor ([`crate::kubeadm::KUBEADM_COREDNS`]), a reference,
//! not a support statement. Flannel publishes nothing.

use std::fmt;

use mcp_diag_model::Minor;

use crate::kubeadm::Ver;

/// The Kubernetes minors a row covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum K8sRange {
    /// Both ends included.
    Between(Minor, Minor),
    /// This minor and every later one ("1.27+", "1.18-latest").
    From(Minor),
    /// Every minor up to and including this one ("up to 1.24").
    UpTo(Minor),
    /// No published statement.
    Unknown,
}

impl K8sRange {
    /// Whether the row covers `minor`; `None` when the range is unknown.
    pub fn contains(self, minor: Minor) -> Option<bool> {
        match self {
            Self::Between(lo, hi) => Some(lo <= minor && minor <= hi),
            Self::From(lo) => Some(lo <= minor),
            Self::UpTo(hi) => Some(minor <= hi),
            Self::Unknown => None,
        }
    }

    pub const fn is_known(self) -> bool {
        !matches!(self, Self::Unknown)
    }
}

impl fmt::Display for K8sRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Between(lo, hi) if lo == hi => write!(f, "{lo}"),
            Self::Between(lo, hi) => write!(f, "{lo}-{hi}"),
            Self::From(lo) => write!(f, "{lo} and later"),
            Self::UpTo(hi) => write!(f, "up to {hi}"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

/// What the source says about the Kubernetes versions of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Statement {
    /// Tested (end to end) on these versions; others "may work".
    Tested,
    /// Supported on these versions.
    Supported,
    /// Supported up to this version.
    Max,
    /// Expected to work ("Expected Kubernetes version compatibility").
    Expected,
    /// Not a support statement: the version kubeadm installs for these minors.
    KubeadmDefault,
    /// The project publishes no Kubernetes versions.
    Unpublished,
}

impl Statement {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tested => "tested",
            Self::Supported => "supported",
            Self::Max => "max",
            Self::Expected => "expected",
            Self::KubeadmDefault => "kubeadm default",
            Self::Unpublished => "none published",
        }
    }

    /// Whether a row with this statement can exclude a Kubernetes version (and so block).
    pub const fn is_support_range(self) -> bool {
        matches!(self, Self::Tested | Self::Supported | Self::Max | Self::Expected)
    }
}

/// The Kubernetes versions one range of add-on versions supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AddonSupport {
    /// Our component name (`calico`, `ingress-nginx`, ...), as in the checks' detection.
    pub component: &'static str,
    /// The add-on versions as the source names them (`3.25`, `v1.10.1-v1.10.6`).
    pub label: &'static str,
    /// First and last add-on version of the row, inclusive; [`Ver::ANY_PATCH`] as the last
    /// patch means every patch of that minor.
    pub min: Ver,
    pub max: Ver,
    pub kubernetes: K8sRange,
    pub statement: Statement,
    /// `false` for rows a primary source did not confirm: they only ever lead to `info`.
    pub verified: bool,
    pub note: &'static str,
    pub source: &'static str,
}

impl AddonSupport {
    pub fn covers(&self, v: Ver) -> bool {
        self.min <= v && v <= self.max
    }
}

/// The components this table knows, in table order.
pub const COMPONENTS: &[&str] = &[
    "calico",
    "cert-manager",
    "cilium",
    "coredns",
    "flannel",
    "ingress-nginx",
    "istio",
    "metrics-server",
    "velero",
];

/// Support ranges by component, then add-on version (Kubernetes ranges inclusive, as the
/// sources print them). Versions of a component never overlap.
#[rustfmt::skip]
pub const ADDON_SUPPORT: &[AddonSupport] = &[
    AddonSupport { component: "calico", label: "3.19", min: Ver::new(3, 19, 0), max: Ver::new(3, 19, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 19), Minor::new(1, 21)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "projectcalico/calico branch release-v3.19 @d31183f89ba4bcfc9ca68f5ae5a0ad111046bba6 getting-started/kubernetes/requirements.md" },
    AddonSupport { component: "calico", label: "3.20", min: Ver::new(3, 20, 0), max: Ver::new(3, 20, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 19), Minor::new(1, 21)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "projectcalico/calico branch release-v3.20 @f3df1d606fb9913c0287773e8227afe6fbb75c82 getting-started/kubernetes/requirements.md" },
    AddonSupport { component: "calico", label: "3.21", min: Ver::new(3, 21, 0), max: Ver::new(3, 21, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 20), Minor::new(1, 22)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "projectcalico/calico branch release-v3.21 @da6ba054ac02928a4c4f8a975508235c719d8c84 calico/getting-started/kubernetes/requirements.md" },
    AddonSupport { component: "calico", label: "3.22", min: Ver::new(3, 22, 0), max: Ver::new(3, 22, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 23)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "projectcalico/calico branch release-v3.22 @aaee80d6e09254dc8c045136c9b31114b5aea9a9 calico/getting-started/kubernetes/requirements.md" },
    AddonSupport { component: "calico", label: "3.23", min: Ver::new(3, 23, 0), max: Ver::new(3, 23, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 23)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "projectcalico/calico branch release-v3.23 @ba2024f730dbb24753f198f730583294733a7122 calico/getting-started/kubernetes/requirements.md" },
    AddonSupport { component: "calico", label: "3.24", min: Ver::new(3, 24, 0), max: Ver::new(3, 24, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 25)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "tigera/docs calico_versioned_docs/version-3.24/getting-started/kubernetes/requirements.mdx @ac907188f47d983c6e002095b6ba0a9ef5867c2c" },
    AddonSupport { component: "calico", label: "3.25", min: Ver::new(3, 25, 0), max: Ver::new(3, 25, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 23), Minor::new(1, 28)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "tigera/docs calico_versioned_docs/version-3.25/getting-started/kubernetes/requirements.mdx @cd3b45c09679a25c6ea66c549ea70b4f36396ffe" },
    AddonSupport { component: "calico", label: "3.26", min: Ver::new(3, 26, 0), max: Ver::new(3, 26, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 24), Minor::new(1, 28)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "tigera/docs calico_versioned_docs/version-3.26/getting-started/kubernetes/requirements.mdx @4be19e59ee414f059ec6a0231576ace08b4f3f4a" },
    AddonSupport { component: "calico", label: "3.27", min: Ver::new(3, 27, 0), max: Ver::new(3, 27, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 27), Minor::new(1, 29)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "tigera/docs calico_versioned_docs/version-3.27/_includes/partials/_system-requirements.mdx @1cbc40acccc558050b3e87293d489d1a25fbf251" },
    AddonSupport { component: "calico", label: "3.28", min: Ver::new(3, 28, 0), max: Ver::new(3, 28, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 27), Minor::new(1, 30)), statement: Statement::Tested, verified: true, note: "tested versions; the docs say other versions may work but are not tested", source: "tigera/docs calico_versioned_docs/version-3.28/_includes/partials/_system-requirements.mdx @6f8ea13d3ed5a22ed72f8f13fa6f99837e7a674e" },
    AddonSupport { component: "calico", label: "3.29", min: Ver::new(3, 29, 0), max: Ver::new(3, 29, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 32)), statement: Statement::Tested, verified: true, note: "tested versions; nftables data plane needs Kubernetes 1.31+", source: "tigera/docs calico_versioned_docs/version-3.29/_includes/partials/_system-requirements.mdx @f2a2762432b54f20274d42c67bfa828d82872498" },
    AddonSupport { component: "calico", label: "3.30", min: Ver::new(3, 30, 0), max: Ver::new(3, 30, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 31), Minor::new(1, 35)), statement: Statement::Tested, verified: true, note: "tested versions (list extended after the release, docs of 2026-08-21); nftables needs Kubernetes 1.31+", source: "tigera/docs calico_versioned_docs/version-3.30/_includes/partials/_system-requirements.mdx @f2a2762432b54f20274d42c67bfa828d82872498" },
    AddonSupport { component: "calico", label: "3.31", min: Ver::new(3, 31, 0), max: Ver::new(3, 31, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 32), Minor::new(1, 35)), statement: Statement::Tested, verified: true, note: "tested versions; nftables needs Kubernetes 1.31+", source: "tigera/docs calico_versioned_docs/version-3.31/_includes/partials/_system-requirements.mdx @f2a2762432b54f20274d42c67bfa828d82872498" },
    AddonSupport { component: "calico", label: "3.32", min: Ver::new(3, 32, 0), max: Ver::new(3, 32, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 34), Minor::new(1, 36)), statement: Statement::Tested, verified: true, note: "tested versions; nftables needs Kubernetes 1.31+", source: "tigera/docs calico_versioned_docs/version-3.32/_includes/partials/_system-requirements.mdx @f2a2762432b54f20274d42c67bfa828d82872498" },
    AddonSupport { component: "cert-manager", label: "1.5", min: Ver::new(1, 5, 0), max: Ver::new(1, 5, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 16), Minor::new(1, 22)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.6", min: Ver::new(1, 6, 0), max: Ver::new(1, 6, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 17), Minor::new(1, 22)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.7", min: Ver::new(1, 7, 0), max: Ver::new(1, 7, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 18), Minor::new(1, 23)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.8", min: Ver::new(1, 8, 0), max: Ver::new(1, 8, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 19), Minor::new(1, 24)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.9", min: Ver::new(1, 9, 0), max: Ver::new(1, 9, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 20), Minor::new(1, 24)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.10", min: Ver::new(1, 10, 0), max: Ver::new(1, 10, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 20), Minor::new(1, 26)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.11", min: Ver::new(1, 11, 0), max: Ver::new(1, 11, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 27)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.12", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 32)), statement: Statement::Supported, verified: true, note: "1.12 is an LTS release (end of life 2025-05-19)", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.13", min: Ver::new(1, 13, 0), max: Ver::new(1, 13, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 27)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.14", min: Ver::new(1, 14, 0), max: Ver::new(1, 14, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 24), Minor::new(1, 31)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.15", min: Ver::new(1, 15, 0), max: Ver::new(1, 15, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 32)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.16", min: Ver::new(1, 16, 0), max: Ver::new(1, 16, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 32)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.17", min: Ver::new(1, 17, 0), max: Ver::new(1, 17, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 33)), statement: Statement::Supported, verified: true, note: "a vendor LTS of 1.17 exists", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.18", min: Ver::new(1, 18, 0), max: Ver::new(1, 18, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 33)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.19", min: Ver::new(1, 19, 0), max: Ver::new(1, 19, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 31), Minor::new(1, 35)), statement: Statement::Supported, verified: true, note: "", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.20", min: Ver::new(1, 20, 0), max: Ver::new(1, 20, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 32), Minor::new(1, 35)), statement: Statement::Supported, verified: true, note: "currently supported; tested 1.32-1.35", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.21", min: Ver::new(1, 21, 0), max: Ver::new(1, 21, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 33), Minor::new(1, 36)), statement: Statement::Supported, verified: true, note: "currently supported; tested 1.33-1.36", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cert-manager", label: "1.22", min: Ver::new(1, 22, 0), max: Ver::new(1, 22, Ver::ANY_PATCH), kubernetes: K8sRange::Unknown, statement: Statement::Unpublished, verified: true, note: "upcoming release: Kubernetes versions 'TBD' in the table", source: "cert-manager/website content/docs/releases/README.md @776e5dba56510fc9de84206b806b568447077f25" },
    AddonSupport { component: "cilium", label: "1.12", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, Ver::ANY_PATCH), kubernetes: K8sRange::UpTo(Minor::new(1, 24)), statement: Statement::Max, verified: true, note: "'Cilium 1.12 only supports K8s up to 1.24'", source: "cilium/cilium commit 0b041faacb5727a11946b993defd652262f7a515 (commit message, citing docs.cilium.io/en/v1.12/concepts/kubernetes/compatibility/)" },
    AddonSupport { component: "cilium", label: "1.18", min: Ver::new(1, 18, 0), max: Ver::new(1, 18, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 30), Minor::new(1, 33)), statement: Statement::Tested, verified: true, note: "e2e tested; other Kubernetes versions 'depend on the forward / backward compatibility offered by Kubernetes'", source: "cilium/cilium tag v1.18.14 Documentation/network/kubernetes/compatibility.rst" },
    AddonSupport { component: "cilium", label: "1.19", min: Ver::new(1, 19, 0), max: Ver::new(1, 19, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 32), Minor::new(1, 35)), statement: Statement::Tested, verified: true, note: "e2e tested; same wording as 1.18", source: "cilium/cilium 1.19.3 Documentation/network/kubernetes/compatibility.rst (mirror: contextqmd.com/libraries/cilium/versions/1.19.3)" },
    AddonSupport { component: "coredns", label: "v1.7.0", min: Ver::new(1, 7, 0), max: Ver::new(1, 7, 0), kubernetes: K8sRange::Between(Minor::new(1, 19), Minor::new(1, 20)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.8.0", min: Ver::new(1, 8, 0), max: Ver::new(1, 8, 0), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 21)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.8.4", min: Ver::new(1, 8, 4), max: Ver::new(1, 8, 4), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 22)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.8.6", min: Ver::new(1, 8, 6), max: Ver::new(1, 8, 6), kubernetes: K8sRange::Between(Minor::new(1, 23), Minor::new(1, 24)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.9.3", min: Ver::new(1, 9, 3), max: Ver::new(1, 9, 3), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 26)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.10.1", min: Ver::new(1, 10, 1), max: Ver::new(1, 10, 1), kubernetes: K8sRange::Between(Minor::new(1, 27), Minor::new(1, 28)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.11.1", min: Ver::new(1, 11, 1), max: Ver::new(1, 11, 1), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 30)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.11.3", min: Ver::new(1, 11, 3), max: Ver::new(1, 11, 3), kubernetes: K8sRange::Between(Minor::new(1, 31), Minor::new(1, 32)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.12.0", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, 0), kubernetes: K8sRange::Between(Minor::new(1, 33), Minor::new(1, 33)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.12.1", min: Ver::new(1, 12, 1), max: Ver::new(1, 12, 1), kubernetes: K8sRange::Between(Minor::new(1, 34), Minor::new(1, 34)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.12.4", min: Ver::new(1, 12, 4), max: Ver::new(1, 12, 4), kubernetes: K8sRange::Between(Minor::new(1, 35), Minor::new(1, 35)), statement: Statement::KubeadmDefault, verified: false, note: "UNVERIFIED (see the kubeadm CoreDNS table)", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.14.2", min: Ver::new(1, 14, 2), max: Ver::new(1, 14, 2), kubernetes: K8sRange::Between(Minor::new(1, 36), Minor::new(1, 36)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "coredns", label: "v1.14.6", min: Ver::new(1, 14, 6), max: Ver::new(1, 14, 6), kubernetes: K8sRange::Between(Minor::new(1, 37), Minor::new(1, 37)), statement: Statement::KubeadmDefault, verified: true, note: "the CoreDNS kubeadm installs; CoreDNS publishes no support range", source: "kubeadm CoreDNS table (crate::kubeadm::KUBEADM_COREDNS): coredns/deployment kubernetes/CoreDNS-k8s_version.md @7853d4a1 and kubernetes/sig-release release notes" },
    AddonSupport { component: "flannel", label: "all", min: Ver::MIN, max: Ver::MAX, kubernetes: K8sRange::Unknown, statement: Statement::Unpublished, verified: true, note: "no compatibility table; README deploy instructions say 'For Kubernetes v1.17+', and Documentation/kubernetes.md says flanneld 'should work with any version of Kubernetes'", source: "flannel-io/flannel README.md and Documentation/kubernetes.md @cdf760595c23292fd03ff4daf03638ac1ceef417" },
    AddonSupport { component: "ingress-nginx", label: "v1.3.1", min: Ver::new(1, 3, 1), max: Ver::new(1, 3, 1), kubernetes: K8sRange::Between(Minor::new(1, 20), Minor::new(1, 24)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.4.0", min: Ver::new(1, 4, 0), max: Ver::new(1, 4, 0), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 25)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.5.1", min: Ver::new(1, 5, 1), max: Ver::new(1, 5, 1), kubernetes: K8sRange::Between(Minor::new(1, 23), Minor::new(1, 25)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.6.4", min: Ver::new(1, 6, 4), max: Ver::new(1, 6, 4), kubernetes: K8sRange::Between(Minor::new(1, 23), Minor::new(1, 26)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.7.1", min: Ver::new(1, 7, 1), max: Ver::new(1, 7, 1), kubernetes: K8sRange::Between(Minor::new(1, 24), Minor::new(1, 27)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.8.4", min: Ver::new(1, 8, 4), max: Ver::new(1, 8, 4), kubernetes: K8sRange::Between(Minor::new(1, 24), Minor::new(1, 27)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.9.0-v1.9.5", min: Ver::new(1, 9, 0), max: Ver::new(1, 9, 5), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 28)), statement: Statement::Tested, verified: true, note: "E2E tested (v1.9.2 not listed); the project is retired (no releases or security fixes after March 2026)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.9.6", min: Ver::new(1, 9, 6), max: Ver::new(1, 9, 6), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 29)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.10.0", min: Ver::new(1, 10, 0), max: Ver::new(1, 10, 0), kubernetes: K8sRange::Between(Minor::new(1, 26), Minor::new(1, 29)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.10.1-v1.10.6", min: Ver::new(1, 10, 1), max: Ver::new(1, 10, 6), kubernetes: K8sRange::Between(Minor::new(1, 26), Minor::new(1, 30)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.11.0-v1.11.8", min: Ver::new(1, 11, 0), max: Ver::new(1, 11, 8), kubernetes: K8sRange::Between(Minor::new(1, 26), Minor::new(1, 30)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.12.0-beta.0-v1.12.8", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, 8), kubernetes: K8sRange::Between(Minor::new(1, 28), Minor::new(1, 32)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.13.0-v1.13.9", min: Ver::new(1, 13, 0), max: Ver::new(1, 13, 9), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 33)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.14.0-v1.14.5", min: Ver::new(1, 14, 0), max: Ver::new(1, 14, 5), kubernetes: K8sRange::Between(Minor::new(1, 30), Minor::new(1, 34)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "ingress-nginx", label: "v1.15.0-v1.15.1", min: Ver::new(1, 15, 0), max: Ver::new(1, 15, 1), kubernetes: K8sRange::Between(Minor::new(1, 31), Minor::new(1, 35)), statement: Statement::Tested, verified: true, note: "E2E tested; the project is retired (best-effort maintenance until March 2026, then no releases or security fixes)", source: "kubernetes/ingress-nginx README.md @dbb11b92ddb77bee9c35e462479129354c84f939 (Supported Versions table)" },
    AddonSupport { component: "istio", label: "1.7", min: Ver::new(1, 7, 0), max: Ver::new(1, 7, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 16), Minor::new(1, 18)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.15", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.8", min: Ver::new(1, 8, 0), max: Ver::new(1, 8, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 16), Minor::new(1, 19)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.15", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.9", min: Ver::new(1, 9, 0), max: Ver::new(1, 9, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 17), Minor::new(1, 20)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.15-1.16", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.10", min: Ver::new(1, 10, 0), max: Ver::new(1, 10, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 18), Minor::new(1, 21)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16, 1.17, 1.22", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.11", min: Ver::new(1, 11, 0), max: Ver::new(1, 11, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 18), Minor::new(1, 22)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.17", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.12", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 19), Minor::new(1, 22)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.18", source: "istio/istio.io data/compatibility/supportStatus.yaml @d50db04b21113cc48d71b26c691cdc52a051096f" },
    AddonSupport { component: "istio", label: "1.13", min: Ver::new(1, 13, 0), max: Ver::new(1, 13, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 20), Minor::new(1, 23)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.19", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.14", min: Ver::new(1, 14, 0), max: Ver::new(1, 14, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 21), Minor::new(1, 24)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.20", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.15", min: Ver::new(1, 15, 0), max: Ver::new(1, 15, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 25)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.21", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.16", min: Ver::new(1, 16, 0), max: Ver::new(1, 16, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 22), Minor::new(1, 25)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.21", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.17", min: Ver::new(1, 17, 0), max: Ver::new(1, 17, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 23), Minor::new(1, 26)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.16-1.22", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.18", min: Ver::new(1, 18, 0), max: Ver::new(1, 18, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 24), Minor::new(1, 27)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.20-1.23", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.19", min: Ver::new(1, 19, 0), max: Ver::new(1, 19, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 28)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.21-1.24", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.20", min: Ver::new(1, 20, 0), max: Ver::new(1, 20, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 25), Minor::new(1, 29)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.23-1.24", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.21", min: Ver::new(1, 21, 0), max: Ver::new(1, 21, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 26), Minor::new(1, 29)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.23-1.25", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.22", min: Ver::new(1, 22, 0), max: Ver::new(1, 22, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 27), Minor::new(1, 30)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.23-1.26", source: "istio/istio.io data/compatibility/supportStatus.yml @0a759c7fabfea45ce4e62701df28f684a96987cc" },
    AddonSupport { component: "istio", label: "1.23", min: Ver::new(1, 23, 0), max: Ver::new(1, 23, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 27), Minor::new(1, 30)), statement: Statement::Supported, verified: true, note: "tested but not supported: (truncated in the source excerpt)", source: "istio.io/latest/zh/docs/releases/supported-releases/ (rendered support status table)" },
    AddonSupport { component: "istio", label: "1.24", min: Ver::new(1, 24, 0), max: Ver::new(1, 24, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 28), Minor::new(1, 31)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.23-1.27", source: "istio.io/latest/zh/docs/releases/supported-releases/ (rendered support status table)" },
    AddonSupport { component: "istio", label: "1.25", min: Ver::new(1, 25, 0), max: Ver::new(1, 25, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 32)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.24-1.28", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy); istio.io/latest/zh/docs/releases/supported-releases/ (rendered support status table)" },
    AddonSupport { component: "istio", label: "1.26", min: Ver::new(1, 26, 0), max: Ver::new(1, 26, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 33)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.24-1.28", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy)" },
    AddonSupport { component: "istio", label: "1.27", min: Ver::new(1, 27, 0), max: Ver::new(1, 27, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 29), Minor::new(1, 33)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.24-1.28", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy)" },
    AddonSupport { component: "istio", label: "1.28", min: Ver::new(1, 28, 0), max: Ver::new(1, 28, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 30), Minor::new(1, 34)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.25-1.29", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy)" },
    AddonSupport { component: "istio", label: "1.29", min: Ver::new(1, 29, 0), max: Ver::new(1, 29, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 31), Minor::new(1, 35)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.26-1.30", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy)" },
    AddonSupport { component: "istio", label: "1.30", min: Ver::new(1, 30, 0), max: Ver::new(1, 30, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 32), Minor::new(1, 36)), statement: Statement::Supported, verified: true, note: "tested but not supported: 1.27-1.31", source: "istio/istio.io data/compatibility/supportStatus.yml (master copy)" },
    AddonSupport { component: "metrics-server", label: "0.3.x", min: Ver::new(0, 3, 0), max: Ver::new(0, 3, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 8), Minor::new(1, 21)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.4.x", min: Ver::new(0, 4, 0), max: Ver::new(0, 4, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 8)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1; Kubernetes < 1.16 needs --authorization-always-allow-paths=/livez,/readyz", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.5.x", min: Ver::new(0, 5, 0), max: Ver::new(0, 5, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 8)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1; Kubernetes < 1.16 needs --authorization-always-allow-paths=/livez,/readyz", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.6.x", min: Ver::new(0, 6, 0), max: Ver::new(0, 6, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 25)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.7.x", min: Ver::new(0, 7, 0), max: Ver::new(0, 7, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 27)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.8.x", min: Ver::new(0, 8, 0), max: Ver::new(0, 8, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 31)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "metrics-server", label: "0.9.x", min: Ver::new(0, 9, 0), max: Ver::new(0, 9, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 34)), statement: Statement::Supported, verified: true, note: "serves metrics.k8s.io/v1beta1", source: "kubernetes-sigs/metrics-server README.md @5ed5d3a2cf940a8c7541cfbac19af822f4c97844 (Compatibility Matrix)" },
    AddonSupport { component: "velero", label: "1.4", min: Ver::new(1, 4, 0), max: Ver::new(1, 4, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 10), Minor::new(1, 21)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility'", source: "vmware-tanzu/velero README.md at tag v1.10.0 (@367f563072659f0bcd809bc33507fd75cd722344)" },
    AddonSupport { component: "velero", label: "1.5", min: Ver::new(1, 5, 0), max: Ver::new(1, 5, Ver::ANY_PATCH), kubernetes: K8sRange::Between(Minor::new(1, 12), Minor::new(1, 21)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility'", source: "vmware-tanzu/velero README.md at tag v1.10.0 (@367f563072659f0bcd809bc33507fd75cd722344)" },
    AddonSupport { component: "velero", label: "1.8", min: Ver::new(1, 8, 0), max: Ver::new(1, 8, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest' (the README at v1.10.0 said 1.16-latest)", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352); vmware-tanzu/velero README.md at tag v1.10.0 (@367f563072659f0bcd809bc33507fd75cd722344)" },
    AddonSupport { component: "velero", label: "1.9", min: Ver::new(1, 9, 0), max: Ver::new(1, 9, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest' (the README at v1.10.0 said 1.16-latest)", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352); vmware-tanzu/velero README.md at tag v1.10.0 (@367f563072659f0bcd809bc33507fd75cd722344)" },
    AddonSupport { component: "velero", label: "1.10", min: Ver::new(1, 10, 0), max: Ver::new(1, 10, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest' (the README at v1.10.0 said 1.16-latest)", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352); vmware-tanzu/velero README.md at tag v1.10.0 (@367f563072659f0bcd809bc33507fd75cd722344)" },
    AddonSupport { component: "velero", label: "1.11", min: Ver::new(1, 11, 0), max: Ver::new(1, 11, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352)" },
    AddonSupport { component: "velero", label: "1.12", min: Ver::new(1, 12, 0), max: Ver::new(1, 12, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352)" },
    AddonSupport { component: "velero", label: "1.13", min: Ver::new(1, 13, 0), max: Ver::new(1, 13, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md at tag v1.13.0 (@76670e940c52880a18dbbc59e3cbee7b94cd3352)" },
    AddonSupport { component: "velero", label: "1.14", min: Ver::new(1, 14, 0), max: Ver::new(1, 14, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md @d30d389b56068eebd675d9953492183cb7b58a78 (Velero compatibility matrix)" },
    AddonSupport { component: "velero", label: "1.15", min: Ver::new(1, 15, 0), max: Ver::new(1, 15, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md @d30d389b56068eebd675d9953492183cb7b58a78 (Velero compatibility matrix)" },
    AddonSupport { component: "velero", label: "1.16", min: Ver::new(1, 16, 0), max: Ver::new(1, 16, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md @d30d389b56068eebd675d9953492183cb7b58a78 (Velero compatibility matrix)" },
    AddonSupport { component: "velero", label: "1.17", min: Ver::new(1, 17, 0), max: Ver::new(1, 17, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md @d30d389b56068eebd675d9953492183cb7b58a78 (Velero compatibility matrix)" },
    AddonSupport { component: "velero", label: "1.18", min: Ver::new(1, 18, 0), max: Ver::new(1, 18, Ver::ANY_PATCH), kubernetes: K8sRange::From(Minor::new(1, 18)), statement: Statement::Expected, verified: true, note: "'Expected Kubernetes version compatibility: 1.18-latest'", source: "vmware-tanzu/velero README.md @d30d389b56068eebd675d9953492183cb7b58a78 (Velero compatibility matrix)" },
];

/// The rows of `component`, oldest add-on version first.
pub fn rows_of(component: &str) -> impl Iterator<Item = &'static AddonSupport> + '_ {
    ADDON_SUPPORT.iter().filter(move |r| r.component == component)
}

/// The row covering version `v` of `component`, if the table has one.
pub fn support_of(component: &str, v: Ver) -> Option<&'static AddonSupport> {
    rows_of(component).find(|r| r.covers(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeadm::KUBEADM_COREDNS;

    #[test]
    fn sorted_without_overlaps_and_sourced() {
        for pair in ADDON_SUPPORT.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                (a.component, a.min) < (b.component, b.min),
                "not sorted at {} {} / {} {}",
                a.component,
                a.label,
                b.component,
                b.label
            );
            if a.component == b.component {
                assert!(a.max < b.min, "{} {} overlaps {}", a.component, a.label, b.label);
            }
        }
        for r in ADDON_SUPPORT {
            assert!(r.min <= r.max, "{r:?}");
            assert!(!r.source.is_empty() && !r.label.is_empty(), "{r:?}");
            assert!(COMPONENTS.contains(&r.component), "{r:?}");
            assert_eq!(r.verified, !r.note.contains("UNVERIFIED"), "{r:?}");
            assert_eq!(
                r.kubernetes.is_known(),
                r.statement != Statement::Unpublished,
                "{r:?}"
            );
            if let K8sRange::Between(lo, hi) = r.kubernetes {
                assert!(lo <= hi, "{r:?}");
            }
        }
        for c in COMPONENTS {
            assert!(rows_of(c).next().is_some(), "{c} has no row");
        }
    }

    #[test]
    fn coredns_rows_match_the_kubeadm_table() {
        for k in KUBEADM_COREDNS {
            let row = support_of("coredns", k.coredns).unwrap_or_else(|| panic!("{k:?}"));
            assert_eq!(row.statement, Statement::KubeadmDefault);
            assert_eq!(row.kubernetes.contains(k.kubernetes), Some(true), "{k:?}");
            assert_eq!(row.verified, k.verified, "{k:?}");
            assert_eq!(row.label, k.tag);
        }
        assert_eq!(rows_of("coredns").count(), 13);
    }

    #[test]
    fn known_ranges() {
        let calico = support_of("calico", Ver::new(3, 25, 2)).unwrap();
        assert_eq!(
            calico.kubernetes,
            K8sRange::Between(Minor::new(1, 23), Minor::new(1, 28))
        );
        assert_eq!(calico.kubernetes.contains(Minor::new(1, 29)), Some(false));
        let ingress = support_of("ingress-nginx", Ver::new(1, 9, 6)).unwrap();
        assert_eq!(ingress.kubernetes.contains(Minor::new(1, 29)), Some(true));
        assert_eq!(ingress.kubernetes.contains(Minor::new(1, 30)), Some(false));
        assert!(support_of("ingress-nginx", Ver::new(1, 8, 1)).is_none());
        let ms = support_of("metrics-server", Ver::new(0, 7, 0)).unwrap();
        assert_eq!(ms.kubernetes, K8sRange::From(Minor::new(1, 27)));
        assert_eq!(ms.kubernetes.contains(Minor::new(1, 37)), Some(true));
        let flannel = support_of("flannel", Ver::new(0, 25, 1)).unwrap();
        assert_eq!(flannel.kubernetes.contains(Minor::new(1, 30)), None);
        assert_eq!(
            support_of("cilium", Ver::new(1, 12, 9))
                .unwrap()
                .kubernetes
                .contains(Minor::new(1, 25)),
            Some(false)
        );
        assert!(support_of("cilium", Ver::new(1, 15, 0)).is_none());
        assert!(support_of("velero", Ver::new(1, 6, 0)).is_none());
        assert_eq!(
            support_of("cert-manager", Ver::new(1, 13, 3))
                .unwrap()
                .kubernetes
                .to_string(),
            "1.21-1.27"
        );
    }
}
