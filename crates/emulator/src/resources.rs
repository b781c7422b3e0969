//! Which resources the emulator serves, and at which versions (the discovery documents).

use std::collections::{BTreeMap, BTreeSet};

use mcp_diag_data::{API_PLANNED_REMOVALS, API_REMOVALS, API_SERVED, Stability};
use mcp_diag_model::{Inventory, Minor, Node};

/// One built-in resource.
pub(crate) struct BuiltIn {
    pub group: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// The versions served when the data tables say nothing (current GA).
    pub versions: &'static [&'static str],
    pub subresources: &'static [&'static str],
}

const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

macro_rules! r {
    ($g:expr, $k:expr, $p:expr, $ns:expr, [$($s:expr),*], [$($v:expr),*], [$($sub:expr),*]) => {
        BuiltIn { group: $g, kind: $k, plural: $p, namespaced: $ns, short_names: &[$($s),*],
            versions: &[$($v),*], subresources: &[$($sub),*] }
    };
}

/// The common built-in resources. Source: the Kubernetes API reference
/// (kubernetes.io/docs/reference/kubernetes-api/, v1.33) and `kubectl api-resources` of a
/// 1.33 cluster for plural, short names and scope.
#[rustfmt::skip]
pub(crate) const BUILT_IN: &[BuiltIn] = &[
    r!("", "Binding", "bindings", true, [], ["v1"], []),
    r!("", "ComponentStatus", "componentstatuses", false, ["cs"], ["v1"], []),
    r!("", "ConfigMap", "configmaps", true, ["cm"], ["v1"], []),
    r!("", "Endpoints", "endpoints", true, ["ep"], ["v1"], []),
    r!("", "Event", "events", true, ["ev"], ["v1"], []),
    r!("", "LimitRange", "limitranges", true, ["limits"], ["v1"], []),
    r!("", "Namespace", "namespaces", false, ["ns"], ["v1"], ["finalize", "status"]),
    r!("", "Node", "nodes", false, ["no"], ["v1"], ["proxy", "status"]),
    r!("", "PersistentVolumeClaim", "persistentvolumeclaims", true, ["pvc"], ["v1"], ["status"]),
    r!("", "PersistentVolume", "persistentvolumes", false, ["pv"], ["v1"], ["status"]),
    r!("", "Pod", "pods", true, ["po"], ["v1"], ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"]),
    r!("", "PodTemplate", "podtemplates", true, [], ["v1"], []),
    r!("", "ReplicationController", "replicationcontrollers", true, ["rc"], ["v1"], ["scale", "status"]),
    r!("", "ResourceQuota", "resourcequotas", true, ["quota"], ["v1"], ["status"]),
    r!("", "Secret", "secrets", true, [], ["v1"], []),
    r!("", "ServiceAccount", "serviceaccounts", true, ["sa"], ["v1"], ["token"]),
    r!("", "Service", "services", true, ["svc"], ["v1"], ["proxy", "status"]),
    r!("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, [], ["v1"], []),
    r!("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, [], ["v1"], []),
    r!("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", false, [], ["v1"], ["status"]),
    r!("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", false, [], ["v1"], []),
    r!("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", false, ["crd", "crds"], ["v1"], ["status"]),
    r!("apiregistration.k8s.io", "APIService", "apiservices", false, [], ["v1"], ["status"]),
    r!("apps", "ControllerRevision", "controllerrevisions", true, [], ["v1"], []),
    r!("apps", "DaemonSet", "daemonsets", true, ["ds"], ["v1"], ["status"]),
    r!("apps", "Deployment", "deployments", true, ["deploy"], ["v1"], ["scale", "status"]),
    r!("apps", "ReplicaSet", "replicasets", true, ["rs"], ["v1"], ["scale", "status"]),
    r!("apps", "StatefulSet", "statefulsets", true, ["sts"], ["v1"], ["scale", "status"]),
    r!("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ["hpa"], ["v2", "v1"], ["status"]),
    r!("batch", "CronJob", "cronjobs", true, ["cj"], ["v1"], ["status"]),
    r!("batch", "Job", "jobs", true, [], ["v1"], ["status"]),
    r!("certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests", false, ["csr"], ["v1"], ["approval", "status"]),
    r!("coordination.k8s.io", "Lease", "leases", true, [], ["v1"], []),
    r!("discovery.k8s.io", "EndpointSlice", "endpointslices", true, [], ["v1"], []),
    r!("events.k8s.io", "Event", "events", true, ["ev"], ["v1"], []),
    r!("extensions", "Ingress", "ingresses", true, ["ing"], [], ["status"]),
    r!("extensions", "DaemonSet", "daemonsets", true, ["ds"], [], ["status"]),
    r!("extensions", "Deployment", "deployments", true, ["deploy"], [], ["scale", "status"]),
    r!("extensions", "ReplicaSet", "replicasets", true, ["rs"], [], ["scale", "status"]),
    r!("extensions", "NetworkPolicy", "networkpolicies", true, ["netpol"], [], []),
    r!("extensions", "PodSecurityPolicy", "podsecuritypolicies", false, ["psp"], [], []),
    r!("flowcontrol.apiserver.k8s.io", "FlowSchema", "flowschemas", false, [], ["v1"], ["status"]),
    r!("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", "prioritylevelconfigurations", false, [], ["v1"], ["status"]),
    r!("networking.k8s.io", "IngressClass", "ingressclasses", false, [], ["v1"], []),
    r!("networking.k8s.io", "Ingress", "ingresses", true, ["ing"], ["v1"], ["status"]),
    r!("networking.k8s.io", "NetworkPolicy", "networkpolicies", true, ["netpol"], ["v1"], []),
    r!("node.k8s.io", "RuntimeClass", "runtimeclasses", false, [], ["v1"], []),
    r!("policy", "PodDisruptionBudget", "poddisruptionbudgets", true, ["pdb"], ["v1"], ["status"]),
    r!("policy", "PodSecurityPolicy", "podsecuritypolicies", false, ["psp"], [], []),
    r!("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false, [], ["v1"], []),
    r!("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false, [], ["v1"], []),
    r!("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true, [], ["v1"], []),
    r!("rbac.authorization.k8s.io", "Role", "roles", true, [], ["v1"], []),
    r!("scheduling.k8s.io", "PriorityClass", "priorityclasses", false, ["pc"], ["v1"], []),
    r!("storage.k8s.io", "CSIDriver", "csidrivers", false, [], ["v1"], []),
    r!("storage.k8s.io", "CSINode", "csinodes", false, [], ["v1"], []),
    r!("storage.k8s.io", "CSIStorageCapacity", "csistoragecapacities", true, [], ["v1"], []),
    r!("storage.k8s.io", "StorageClass", "storageclasses", false, ["sc"], ["v1"], []),
    r!("storage.k8s.io", "VolumeAttachment", "volumeattachments", false, [], ["v1"], ["status"]),
];

/// A served resource (all its versions).
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub group: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// Served versions, preferred first.
    pub versions: Vec<String>,
    pub subresources: Vec<String>,
    pub categories: Vec<String>,
}

impl Resource {
    /// The verbs discovery lists (and the server allows) on the main resource.
    pub fn verbs(&self) -> &'static [&'static str] {
        match (self.group.as_str(), self.plural.as_str()) {
            ("", "bindings") => &["create"],
            ("", "componentstatuses") => &["get", "list"],
            _ => RW,
        }
    }
}

/// Every served resource, keyed by (group, plural).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub resources: BTreeMap<(String, String), Resource>,
    /// (group, kind) -> plural, to place snapshot objects.
    pub by_kind: BTreeMap<(String, String), String>,
    pub minor: Option<Minor>,
}

/// API versions ordered as Kubernetes prefers them: GA, then beta, then alpha, newer first.
pub(crate) fn version_priority(version: &str) -> (u8, u32, u32) {
    let rest = version.strip_prefix('v').unwrap_or(version);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (level, sub) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n.parse().unwrap_or(0))
    } else if tail.is_empty() {
        (2, 0)
    } else {
        (0, 0)
    };
    (level, major, sub)
}

fn sort_versions(versions: &mut Vec<String>) {
    versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
    versions.dedup();
}

/// Resources of aggregated APIs whose names are not their kind's plural: metrics-server serves
/// NodeMetrics as `nodes` and PodMetrics as `pods` (`kubectl get --raw /apis/metrics.k8s.io/v1beta1`).
const AGGREGATED_PLURALS: &[(&str, &str, &str)] = &[
    ("metrics.k8s.io", "NodeMetrics", "nodes"),
    ("metrics.k8s.io", "PodMetrics", "pods"),
];

/// The resource name of a kind that neither the built-in table nor a CRD names.
pub(crate) fn plural_for(group: &str, kind: &str) -> String {
    AGGREGATED_PLURALS
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map_or_else(|| guess_plural(kind), |(_, _, p)| (*p).to_owned())
}

/// Plural of a kind by the usual English rules (what the API server's default RESTMapper does).
pub(crate) fn guess_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') || lower.ends_with("ch") || lower.ends_with('x') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// A deprecated API version as the server reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deprecated {
    pub deprecated_in: Option<Minor>,
    pub removed_in: Minor,
    pub replacement: Option<&'static str>,
}

/// Was (group, version, kind) deprecated by `minor`, and when is it removed?
pub(crate) fn deprecation(group: &str, version: &str, kind: &str, minor: Minor) -> Option<Deprecated> {
    if let Some(r) = API_REMOVALS
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)
    {
        // Served APIs the release still has: a request for one means it is deprecated by then
        // (every removed API was deprecated before removal, even when the tag came late).
        if r.deprecated_in.is_none_or(|d| d <= minor) {
            return Some(Deprecated {
                deprecated_in: r.deprecated_in,
                removed_in: r.removed_in,
                replacement: r.replacement,
            });
        }
    }
    API_PLANNED_REMOVALS
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind && r.deprecated_in <= minor)
        .map(|r| Deprecated {
            deprecated_in: Some(r.deprecated_in),
            removed_in: r.planned_removal,
            replacement: r.replacement,
        })
}

impl Registry {
    pub fn build(inventory: &Inventory) -> Self {
        let minor = inventory
            .cluster
            .server_version
            .as_ref()
            .map(|v| Minor::new(v.major, v.minor));
        let at = minor.unwrap_or(mcp_diag_data::NEWEST_KNOWN_MINOR);
        let mut reg = Registry {
            minor,
            ..Registry::default()
        };
        for b in BUILT_IN {
            // Versions the data tables say this release serves: GA ones, and pre-GA ones that
            // were on by default (the deprecated ones the removal tables list).
            let mut versions: Vec<String> = API_SERVED
                .iter()
                .filter(|s| s.group == b.group && s.kind == b.kind && s.first <= at && at <= s.last)
                .filter(|s| {
                    Stability::of(s.version) == Stability::Stable
                        || deprecation(s.group, s.version, s.kind, Minor::new(1, 99)).is_some()
                })
                .map(|s| s.version.to_owned())
                .collect();
            // The built-in default only for kinds the tables do not know at all: a kind they
            // know but not at this release (ValidatingAdmissionPolicy on 1.15) is not served.
            let known = API_SERVED.iter().any(|s| s.group == b.group && s.kind == b.kind);
            if versions.is_empty() && !known {
                versions = b.versions.iter().map(|v| (*v).to_owned()).collect();
            }
            sort_versions(&mut versions);
            if versions.is_empty() {
                // A group the release no longer serves (extensions): only the snapshot adds it.
                reg.by_kind
                    .insert((b.group.to_owned(), b.kind.to_owned()), b.plural.to_owned());
            }
            let categories = match b.plural {
                "pods"
                | "services"
                | "deployments"
                | "daemonsets"
                | "replicasets"
                | "statefulsets"
                | "jobs"
                | "cronjobs"
                | "replicationcontrollers"
                | "horizontalpodautoscalers" => {
                    vec!["all".to_owned()]
                }
                _ => Vec::new(),
            };
            reg.insert(Resource {
                group: b.group.to_owned(),
                kind: b.kind.to_owned(),
                plural: b.plural.to_owned(),
                singular: b.kind.to_ascii_lowercase(),
                namespaced: b.namespaced,
                short_names: b.short_names.iter().map(|s| (*s).to_owned()).collect(),
                versions,
                subresources: b.subresources.iter().map(|s| (*s).to_owned()).collect(),
                categories,
            });
        }
        // Custom resources, from the snapshot's CRDs.
        for o in &inventory.objects {
            if o.kind != "CustomResourceDefinition" {
                continue;
            }
            if let Some(r) = crd_resource(o.raw.root()) {
                reg.insert(r);
            }
        }
        // Versions and kinds the snapshot's objects use.
        for o in &inventory.objects {
            let (group, version) = o.group_version();
            let key = (group.to_owned(), o.kind.clone());
            let plural = reg
                .by_kind
                .get(&key)
                .cloned()
                .unwrap_or_else(|| plural_for(group, &o.kind));
            let rkey = (group.to_owned(), plural.clone());
            if let Some(r) = reg.resources.get_mut(&rkey) {
                if !r.versions.iter().any(|v| v == version) {
                    r.versions.push(version.to_owned());
                    sort_versions(&mut r.versions);
                }
            } else {
                reg.insert(Resource {
                    group: group.to_owned(),
                    kind: o.kind.clone(),
                    singular: o.kind.to_ascii_lowercase(),
                    plural,
                    namespaced: o.namespace.is_some(),
                    short_names: Vec::new(),
                    versions: vec![version.to_owned()],
                    subresources: Vec::new(),
                    categories: Vec::new(),
                });
            }
        }
        reg.resources.retain(|_, r| !r.versions.is_empty());
        reg
    }

    fn insert(&mut self, r: Resource) {
        self.by_kind
            .insert((r.group.clone(), r.kind.clone()), r.plural.clone());
        self.resources.insert((r.group.clone(), r.plural.clone()), r);
    }

    pub fn get(&self, group: &str, plural: &str) -> Option<&Resource> {
        self.resources.get(&(group.to_owned(), plural.to_owned()))
    }

    /// The resource serving (group, version, plural), if that version is served.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&Resource> {
        self.get(group, plural)
            .filter(|r| r.versions.iter().any(|v| v == version))
    }

    pub fn plural_of(&self, group: &str, kind: &str) -> Option<&str> {
        self.by_kind
            .get(&(group.to_owned(), kind.to_owned()))
            .map(String::as_str)
    }

    /// Groups with their versions, preferred first; the core group is `""`.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in self.resources.values() {
            groups
                .entry(r.group.clone())
                .or_default()
                .extend(r.versions.iter().cloned());
        }
        groups
            .into_iter()
            .map(|(g, vs)| {
                let mut vs: Vec<String> = vs.into_iter().collect();
                sort_versions(&mut vs);
                (g, vs)
            })
            .collect()
    }

    /// Resources of one group/version.
    pub fn in_version<'a>(&'a self, group: &'a str, version: &'a str) -> impl Iterator<Item = &'a Resource> {
        self.resources
            .values()
            .filter(move |r| r.group == group && r.versions.iter().any(|v| v == version))
    }
}

/// A resource from a CustomResourceDefinition document (v1 or v1beta1).
fn crd_resource(raw: Node<'_>) -> Option<Resource> {
    let spec = raw.get("spec")?;
    let group = spec.get("group")?.as_str()?.to_owned();
    let names = spec.get("names")?;
    let plural = names.get("plural")?.as_str()?.to_owned();
    let kind = names.get("kind")?.as_str()?.to_owned();
    let singular = names
        .get("singular")
        .and_then(Node::as_str)
        .map_or_else(|| kind.to_ascii_lowercase(), str::to_owned);
    let strings = |n: Option<Node<'_>>| -> Vec<String> {
        n.and_then(Node::as_seq)
            .map(|s| s.iter().filter_map(Node::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let short_names = strings(names.get("shortNames"));
    let categories = strings(names.get("categories"));
    let namespaced = spec.get("scope").and_then(Node::as_str) != Some("Cluster");
    let mut versions: Vec<String> = spec
        .get("versions")
        .and_then(Node::as_seq)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("served").and_then(Node::as_bool) != Some(false))
                .filter_map(|v| v.get("name").and_then(Node::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(v) = spec.get("version").and_then(Node::as_str)
        && !versions.iter().any(|x| x == v)
    {
        versions.push(v.to_owned());
    }
    sort_versions(&mut versions);
    Some(Resource {
        group,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        versions,
        subresources: vec!["status".to_owned()],
        categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_priorities() {
        assert_eq!(guess_plural("Policy"), "policies");
        assert_eq!(guess_plural("Gateway"), "gateways");
        assert_eq!(guess_plural("Ingress"), "ingresses");
        assert_eq!(guess_plural("Widget"), "widgets");
        assert_eq!(plural_for("metrics.k8s.io", "NodeMetrics"), "nodes");
        assert_eq!(plural_for("example.com", "NodeMetrics"), "nodemetricses");
        let mut v = vec![
            "v1beta1".to_owned(),
            "v2".to_owned(),
            "v1".to_owned(),
            "v2alpha1".to_owned(),
        ];
        sort_versions(&mut v);
        assert_eq!(v, ["v2", "v1", "v1beta1", "v2alpha1"]);
    }

    #[test]
    fn served_versions_follow_the_release() {
        let mut inv = Inventory::new(mcp_diag_model::SourceKind::Snapshot, "t", "t");
        inv.cluster.server_version = mcp_diag_model::KubeVersion::parse("1.24.3").ok();
        let reg = Registry::build(&inv);
        let pdb = reg.get("policy", "poddisruptionbudgets").unwrap();
        assert_eq!(pdb.versions, ["v1", "v1beta1"]);
        assert!(reg.get("extensions", "ingresses").is_none());
        assert_eq!(
            deprecation("policy", "v1beta1", "PodDisruptionBudget", Minor::new(1, 24)).map(|d| d.removed_in),
            Some(Minor::new(1, 25))
        );
        inv.cluster.server_version = mcp_diag_model::KubeVersion::parse("1.29.0").ok();
        let reg = Registry::build(&inv);
        assert_eq!(
            reg.get("policy", "poddisruptionbudgets").unwrap().versions,
            ["v1"]
        );
    }
}
