//! Which resource types the server has, and which of them a scan lists.
//!
//! Aggregated discovery (`/api` and `/apis` answering `APIGroupDiscoveryList`, Kubernetes
//! 1.26 and later) takes two requests; older servers answer the classic `APIVersions` /
//! `APIGroupList`, and each group version is then asked for its resources.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::list::ListJob;

/// The `Accept` header that asks for aggregated discovery (v2, then v2beta1), or the classic
/// documents from servers that have neither.
pub const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// One resource type as the server serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: String,
    /// The plural name (`deployments`).
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    pub listable: bool,
    /// The version `kubectl get` reads: the first version, in the group's order of
    /// preference, that serves this resource.
    pub preferred_version: String,
    /// Every version serving it, most preferred first.
    pub versions: Vec<String>,
}

/// What discovery found: resource types in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovered {
    pub types: Vec<ResourceType>,
    /// Whether the server answered with aggregated discovery.
    pub aggregated: bool,
    /// Groups whose discovery failed, with why (a broken aggregated API): their kinds may be
    /// served but could not be seen.
    pub unavailable: Vec<(String, String)>,
}

/// One resource seen in one group version, in preference order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

/// Folds sightings (groups and versions in preference order) into resource types.
pub fn fold(sightings: Vec<Sighting>, aggregated: bool) -> Discovered {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by_key: BTreeMap<(String, String), ResourceType> = BTreeMap::new();
    for s in sightings {
        if s.resource.is_empty() || s.resource.contains('/') || s.kind.is_empty() {
            continue;
        }
        let key = (s.group.clone(), s.resource.clone());
        match by_key.get_mut(&key) {
            Some(t) => {
                if !t.versions.contains(&s.version) {
                    t.versions.push(s.version);
                }
            }
            None => {
                order.push(key.clone());
                by_key.insert(
                    key,
                    ResourceType {
                        group: s.group,
                        resource: s.resource,
                        kind: s.kind,
                        namespaced: s.namespaced,
                        listable: s.verbs.iter().any(|v| v == "list"),
                        preferred_version: s.version.clone(),
                        versions: vec![s.version],
                    },
                );
            }
        }
    }
    let types = order.into_iter().filter_map(|k| by_key.remove(&k)).collect();
    Discovered {
        types,
        aggregated,
        unavailable: Vec::new(),
    }
}

/// The parts of an aggregated discovery document (`APIGroupDiscoveryList`) the scan reads.
mod aggregated {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub(super) struct List {
        #[serde(default)]
        pub kind: String,
        #[serde(default)]
        pub items: Vec<Group>,
    }
    #[derive(Deserialize)]
    pub(super) struct Group {
        #[serde(default)]
        pub metadata: Meta,
        #[serde(default)]
        pub versions: Vec<Version>,
    }
    #[derive(Deserialize, Default)]
    pub(super) struct Meta {
        #[serde(default)]
        pub name: String,
    }
    #[derive(Deserialize)]
    pub(super) struct Version {
        #[serde(default)]
        pub version: String,
        #[serde(default)]
        pub resources: Vec<Resource>,
        /// `Stale` when an aggregated API server did not answer the API server.
        #[serde(default)]
        pub freshness: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Resource {
        #[serde(default)]
        pub resource: String,
        #[serde(default)]
        pub response_kind: Option<Gvk>,
        #[serde(default)]
        pub scope: String,
        #[serde(default)]
        pub verbs: Vec<String>,
    }
    #[derive(Deserialize)]
    pub(super) struct Gvk {
        #[serde(default)]
        pub kind: String,
    }
}

/// The sightings of an `APIGroupDiscoveryList`; `None` when the document is something else
/// (a classic `APIVersions` or `APIGroupList`).
pub fn parse_aggregated(body: &[u8]) -> Result<Option<Vec<Sighting>>, String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        kind: String,
    }
    let probe: Probe =
        serde_json::from_slice(body).map_err(|e| format!("invalid discovery document: {e}"))?;
    if probe.kind != "APIGroupDiscoveryList" {
        return Ok(None);
    }
    let list: aggregated::List =
        serde_json::from_slice(body).map_err(|e| format!("invalid APIGroupDiscoveryList: {e}"))?;
    debug_assert_eq!(list.kind, "APIGroupDiscoveryList");
    let mut out = Vec::new();
    for group in list.items {
        for version in group.versions {
            for r in version.resources {
                out.push(Sighting {
                    group: group.metadata.name.clone(),
                    version: version.version.clone(),
                    resource: r.resource,
                    kind: r.response_kind.map(|k| k.kind).unwrap_or_default(),
                    namespaced: r.scope == "Namespaced",
                    verbs: r.verbs,
                });
            }
        }
    }
    Ok(Some(out))
}

/// Group versions an aggregated discovery answer marks `freshness: Stale` (an aggregated
/// API server that did not answer the API server, as metrics-server down): `(group,
/// version)`. Their resources may be missing from the answer although they exist.
pub fn stale_group_versions(body: &[u8]) -> Vec<(String, String)> {
    let Ok(list) = serde_json::from_slice::<aggregated::List>(body) else {
        return Vec::new();
    };
    list.items
        .into_iter()
        .flat_map(|g| {
            let name = g.metadata.name;
            g.versions
                .into_iter()
                .filter(|v| v.freshness == "Stale")
                .map(move |v| (name.clone(), v.version))
        })
        .collect()
}

/// The group versions of a classic `/api` (`APIVersions`) or `/apis` (`APIGroupList`)
/// answer, preferred version first within each group: `(group, version)`.
pub fn parse_classic_groups(body: &[u8], core: bool) -> Result<Vec<(String, String)>, String> {
    #[derive(Deserialize)]
    struct ApiVersions {
        #[serde(default)]
        versions: Vec<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct GroupList {
        #[serde(default)]
        groups: Vec<Group>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Group {
        name: String,
        #[serde(default)]
        versions: Vec<Gv>,
        #[serde(default)]
        preferred_version: Option<Gv>,
    }
    #[derive(Deserialize)]
    struct Gv {
        version: String,
    }
    if core {
        let v: ApiVersions = serde_json::from_slice(body).map_err(|e| format!("invalid /api answer: {e}"))?;
        return Ok(v.versions.into_iter().map(|v| (String::new(), v)).collect());
    }
    let list: GroupList = serde_json::from_slice(body).map_err(|e| format!("invalid /apis answer: {e}"))?;
    let mut out = Vec::new();
    for g in list.groups {
        let preferred = g.preferred_version.map(|p| p.version);
        if let Some(p) = &preferred {
            out.push((g.name.clone(), p.clone()));
        }
        for v in g.versions {
            if Some(&v.version) != preferred.as_ref() {
                out.push((g.name.clone(), v.version));
            }
        }
    }
    Ok(out)
}

/// The resources of one classic group version document (`APIResourceList`).
pub fn parse_resource_list(body: &[u8], group: &str, version: &str) -> Result<Vec<Sighting>, String> {
    #[derive(Deserialize)]
    struct List {
        #[serde(default)]
        resources: Vec<Resource>,
    }
    #[derive(Deserialize)]
    struct Resource {
        name: String,
        #[serde(default)]
        kind: String,
        #[serde(default)]
        namespaced: bool,
        #[serde(default)]
        verbs: Vec<String>,
    }
    let list: List = serde_json::from_slice(body).map_err(|e| format!("invalid APIResourceList: {e}"))?;
    Ok(list
        .resources
        .into_iter()
        .map(|r| Sighting {
            group: group.to_owned(),
            version: version.to_owned(),
            resource: r.name,
            kind: r.kind,
            namespaced: r.namespaced,
            verbs: r.verbs,
        })
        .collect())
}

/// Built-in kinds the checks read: `(group, kind)`.
#[rustfmt::skip]
pub const CHECKED_KINDS: &[(&str, &str)] = &[
    ("", "ConfigMap"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"),
    ("", "Pod"),
    ("", "ReplicationController"),
    ("", "Service"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apps", "DaemonSet"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("batch", "CronJob"),
    ("batch", "Job"),
    ("metrics.k8s.io", "NodeMetrics"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "StorageClass"),
];

/// API groups of custom resources the checks read (backups, operators that install
/// components, GitOps): every kind of the group is listed. A leading dot matches a suffix.
#[rustfmt::skip]
pub const CHECKED_GROUPS: &[&str] = &[
    ".kio.kasten.io",
    "cert-manager.io",
    "core.kubestash.com",
    "crd.projectcalico.org",
    "gateway.networking.k8s.io",
    "gkebackup.gke.io",
    "helm.toolkit.fluxcd.io",
    "install.istio.io",
    "kustomize.toolkit.fluxcd.io",
    "networking.istio.io",
    "oadp.openshift.io",
    "operator.tigera.io",
    "projectcalico.org",
    "sailoperator.io",
    "security.istio.io",
    "stash.appscode.com",
    "stork.libopenstorage.org",
    "storage.kubestash.com",
    "triliovault.trilio.io",
    "velero.io",
];

/// Kinds never listed, whatever else says so: Secrets hold credentials (Helm release
/// Secrets are read on their own, by label); Events and Leases are many, short-lived and say
/// nothing about an upgrade; the others are written by controllers and kubelets, never
/// applied by people, so they carry no evidence of old API versions in manifests, while a
/// big cluster holds thousands of them (an EndpointSlice per Service, a ControllerRevision
/// per workload revision, an IPAddress per Service IP). Since the version an object is listed
/// at is no evidence of use, such kinds would only cost time.
const NEVER: &[(&str, &str)] = &[
    ("", "Endpoints"),
    ("", "Event"),
    ("", "Secret"),
    ("apps", "ControllerRevision"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("coordination.k8s.io", "Lease"),
    ("coordination.k8s.io", "LeaseCandidate"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("events.k8s.io", "Event"),
    ("metrics.k8s.io", "PodMetrics"),
    ("networking.k8s.io", "IPAddress"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "CSIStorageCapacity"),
    ("storage.k8s.io", "VolumeAttachment"),
];

/// Calico's `crd.projectcalico.org` group holds per-node and per-IP objects in the tens of
/// thousands; only these kinds of it matter.
const CALICO_KINDS: &[&str] = &["ClusterInformation"];

/// Why a type is listed (for `-v` output and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A check reads this kind.
    Checked,
    /// A custom resource group a check reads.
    CheckedGroup,
    /// A version of this kind was removed or is deprecated in some release.
    ApiLifecycle,
    /// The server serves it at more than one version (a migration is under way).
    SeveralVersions,
    /// Asked for by the caller (`extra_kinds`).
    Requested,
    /// Its CustomResourceDefinition has a deprecated version or several stored versions.
    CrdVersions,
}

/// Decides which types to list. `extra` names kinds (`Kind` or `group/Kind`) the caller wants
/// too (for user rules).
pub fn select(discovered: &Discovered, extra: &[String]) -> Vec<(ListJob, Reason)> {
    let lifecycle = lifecycle_kinds();
    let non_extension_kinds: BTreeSet<&str> = discovered
        .types
        .iter()
        .filter(|t| t.group != "extensions")
        .map(|t| t.kind.as_str())
        .collect();
    let mut jobs = Vec::new();
    for t in &discovered.types {
        if !t.listable || NEVER.contains(&(t.group.as_str(), t.kind.as_str())) {
            continue;
        }
        // `extensions` serves the same objects as apps, networking.k8s.io and policy.
        if t.group == "extensions" && non_extension_kinds.contains(t.kind.as_str()) {
            continue;
        }
        let key = (t.group.as_str(), t.kind.as_str());
        let requested = extra.iter().any(|e| match e.rsplit_once('/') {
            Some((group, kind)) => group == t.group && kind == t.kind,
            None => *e == t.kind,
        });
        let reason = if CHECKED_KINDS.contains(&key) {
            Some(Reason::Checked)
        } else if group_checked(&t.group, &t.kind) {
            Some(Reason::CheckedGroup)
        } else if lifecycle.contains(&key) {
            Some(Reason::ApiLifecycle)
        } else if t.versions.len() > 1 && t.group != "crd.projectcalico.org" {
            Some(Reason::SeveralVersions)
        } else if requested {
            Some(Reason::Requested)
        } else {
            None
        };
        if let Some(reason) = reason {
            jobs.push((job_of(t), reason));
        }
    }
    jobs
}

/// The kinds the checks read that discovery did not show, `(group, kind, why)`: not served
/// (nothing to read, nothing hidden), or in a group whose discovery failed (`why` is the
/// failure; the kind may exist).
pub fn unseen_checked_kinds(discovered: &Discovered) -> Vec<(&'static str, &'static str, Option<String>)> {
    let seen: BTreeSet<(&str, &str)> = discovered
        .types
        .iter()
        .filter(|t| t.listable)
        .map(|t| (t.group.as_str(), t.kind.as_str()))
        .collect();
    CHECKED_KINDS
        .iter()
        .filter(|key| !seen.contains(*key))
        .map(|&(group, kind)| {
            let why = discovered
                .unavailable
                .iter()
                .find(|(g, _)| g == group)
                .map(|(_, why)| why.clone());
            (group, kind, why)
        })
        .collect()
}

pub fn job_of(t: &ResourceType) -> ListJob {
    ListJob {
        group: t.group.clone(),
        version: t.preferred_version.clone(),
        resource: t.resource.clone(),
        kind: t.kind.clone(),
        namespaced: t.namespaced,
    }
}

fn group_checked(group: &str, kind: &str) -> bool {
    if group == "crd.projectcalico.org" {
        return CALICO_KINDS.contains(&kind);
    }
    CHECKED_GROUPS.iter().any(|g| match g.strip_prefix('.') {
        Some(suffix) => group.ends_with(g) || group == suffix,
        None => group == *g,
    })
}

/// `(group, kind)` of every kind with a removed or deprecated version, and of the groups
/// that replace them (`extensions` Ingress also names `networking.k8s.io` Ingress).
fn lifecycle_kinds() -> BTreeSet<(&'static str, &'static str)> {
    let mut set = BTreeSet::new();
    let replacement_group = |r: Option<&'static str>| r.map(|av| av.rsplit_once('/').map_or("", |(g, _)| g));
    for r in mcp_diag_data::API_REMOVALS {
        set.insert((r.group, r.kind));
        if let Some(g) = replacement_group(r.replacement) {
            set.insert((g, r.kind));
        }
    }
    for r in mcp_diag_data::API_PLANNED_REMOVALS {
        set.insert((r.group, r.kind));
        if let Some(g) = replacement_group(r.replacement) {
            set.insert((g, r.kind));
        }
    }
    set
}

/// Custom resource types to list once the CRDs are known: those whose CRD marks a served
/// version deprecated, or records more than one stored version, or a stored version it no
/// longer serves (the `crd-*` checks count and inspect these objects).
pub fn crd_followups(crds: &[mcp_diag_model::Object], discovered: &Discovered) -> Vec<ListJob> {
    use mcp_diag_model::Node;
    let mut out = Vec::new();
    for crd in crds {
        let Some(spec) = crd.raw.get("spec") else { continue };
        let (Some(group), Some(plural)) = (
            spec.get("group").and_then(Node::as_str),
            spec.path(&["names", "plural"]).and_then(Node::as_str),
        ) else {
            continue;
        };
        let versions = spec.get("versions").and_then(Node::as_seq).unwrap_or_default();
        let served: Vec<&str> = versions
            .iter()
            .filter(|v| v.get("served").and_then(Node::as_bool) != Some(false))
            .filter_map(|v| v.get("name").and_then(Node::as_str))
            .collect();
        let deprecated = versions
            .iter()
            .any(|v| v.get("deprecated").and_then(Node::as_bool) == Some(true));
        let stored: Vec<&str> = crd
            .raw
            .path(&["status", "storedVersions"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let odd_storage = stored.len() > 1 || stored.iter().any(|s| !served.contains(s));
        if !(deprecated || odd_storage) {
            continue;
        }
        if let Some(t) = discovered
            .types
            .iter()
            .find(|t| t.group == group && t.resource == plural && t.listable)
        {
            out.push(job_of(t));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_groups_of_aggregated_discovery() {
        let body = br#"{"kind":"APIGroupDiscoveryList","items":[
            {"metadata":{"name":"metrics.k8s.io"},"versions":[{"version":"v1beta1","freshness":"Stale","resources":[]}]},
            {"metadata":{"name":"apps"},"versions":[{"version":"v1","freshness":"Current","resources":[]}]},
            {"metadata":{"name":"batch"},"versions":[{"version":"v1"}]}]}"#;
        assert_eq!(
            stale_group_versions(body),
            [("metrics.k8s.io".to_owned(), "v1beta1".to_owned())]
        );
        assert!(stale_group_versions(b"not json").is_empty());
        let mut discovered = fold(Vec::new(), true);
        discovered.unavailable = vec![("metrics.k8s.io".to_owned(), "stale".to_owned())];
        let unseen = unseen_checked_kinds(&discovered);
        let metrics = unseen
            .iter()
            .find(|(g, k, _)| *g == "metrics.k8s.io" && *k == "NodeMetrics")
            .unwrap();
        assert_eq!(metrics.2.as_deref(), Some("stale"));
        let pods = unseen
            .iter()
            .find(|(g, k, _)| g.is_empty() && *k == "Pod")
            .unwrap();
        assert_eq!(
            pods.2, None,
            "a kind of a group that answered is simply not served"
        );
    }

    const AGGREGATED: &str = r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
      {"metadata":{"creationTimestamp":null},"versions":[{"version":"v1","resources":[
        {"resource":"pods","responseKind":{"group":"","version":"v1","kind":"Pod"},"scope":"Namespaced","singularResource":"pod","verbs":["get","list","watch"],
         "subresources":[{"subresource":"status","responseKind":{"kind":"Pod"},"verbs":["get"]}]},
        {"resource":"secrets","responseKind":{"kind":"Secret"},"scope":"Namespaced","verbs":["get","list"]},
        {"resource":"serviceaccounts","responseKind":{"kind":"ServiceAccount"},"scope":"Namespaced","verbs":["get","list"]},
        {"resource":"nodes","responseKind":{"kind":"Node"},"scope":"Cluster","verbs":["get","list"]},
        {"resource":"bindings","responseKind":{"kind":"Binding"},"scope":"Namespaced","verbs":["create"]}]}]},
      {"metadata":{"name":"autoscaling"},"versions":[
        {"version":"v2","resources":[{"resource":"horizontalpodautoscalers","responseKind":{"kind":"HorizontalPodAutoscaler"},"scope":"Namespaced","verbs":["list"]}]},
        {"version":"v1","resources":[{"resource":"horizontalpodautoscalers","responseKind":{"kind":"HorizontalPodAutoscaler"},"scope":"Namespaced","verbs":["list"]}]}]},
      {"metadata":{"name":"extensions"},"versions":[{"version":"v1beta1","resources":[
        {"resource":"ingresses","responseKind":{"kind":"Ingress"},"scope":"Namespaced","verbs":["list"]},
        {"resource":"podsecuritypolicies","responseKind":{"kind":"PodSecurityPolicy"},"scope":"Cluster","verbs":["list"]}]}]},
      {"metadata":{"name":"networking.k8s.io"},"versions":[{"version":"v1","resources":[
        {"resource":"ingresses","responseKind":{"kind":"Ingress"},"scope":"Namespaced","verbs":["list"]}]}]},
      {"metadata":{"name":"flowcontrol.apiserver.k8s.io"},"versions":[{"version":"v1","resources":[
        {"resource":"flowschemas","responseKind":{"kind":"FlowSchema"},"scope":"Cluster","verbs":["list"]}]}]},
      {"metadata":{"name":"velero.io"},"versions":[{"version":"v1","resources":[
        {"resource":"backups","responseKind":{"kind":"Backup"},"scope":"Namespaced","verbs":["list"]}]}]},
      {"metadata":{"name":"widgets.example.com"},"versions":[
        {"version":"v2","resources":[{"resource":"widgets","responseKind":{"kind":"Widget"},"scope":"Namespaced","verbs":["list"]}]},
        {"version":"v1","resources":[{"resource":"widgets","responseKind":{"kind":"Widget"},"scope":"Namespaced","verbs":["list"]}]}]},
      {"metadata":{"name":"single.example.com"},"versions":[
        {"version":"v1","resources":[{"resource":"gadgets","responseKind":{"kind":"Gadget"},"scope":"Cluster","verbs":["list"]}]}]},
      {"metadata":{"name":"discovery.k8s.io"},"versions":[
        {"version":"v1","resources":[{"resource":"endpointslices","responseKind":{"kind":"EndpointSlice"},"scope":"Namespaced","verbs":["list"]}]}]},
      {"metadata":{"name":"coordination.k8s.io"},"versions":[
        {"version":"v1","resources":[{"resource":"leases","responseKind":{"kind":"Lease"},"scope":"Namespaced","verbs":["list"]}]}]}
    ]}"#;

    fn discovered() -> Discovered {
        fold(parse_aggregated(AGGREGATED.as_bytes()).unwrap().unwrap(), true)
    }

    #[test]
    fn aggregated_discovery_preferred_versions() {
        let d = discovered();
        let hpa = d
            .types
            .iter()
            .find(|t| t.kind == "HorizontalPodAutoscaler")
            .unwrap();
        assert_eq!(hpa.preferred_version, "v2");
        assert_eq!(hpa.versions, ["v2", "v1"]);
        let pods = d.types.iter().find(|t| t.resource == "pods").unwrap();
        assert_eq!((pods.group.as_str(), pods.namespaced), ("", true));
        assert!(!d.types.iter().any(|t| t.resource.contains('/')));
        assert!(
            !d.types
                .iter()
                .find(|t| t.resource == "bindings")
                .unwrap()
                .listable
        );
        assert!(!d.types.iter().find(|t| t.resource == "nodes").unwrap().namespaced);
    }

    #[test]
    fn selection() {
        let jobs = select(&discovered(), &[]);
        let names: Vec<String> = jobs.iter().map(|(j, _)| j.display()).collect();
        let has = |n: &str| names.iter().any(|x| x == n);
        for expected in [
            "pods (v1)",
            "nodes (v1)",
            "horizontalpodautoscalers.autoscaling (autoscaling/v2)",
            "ingresses.networking.k8s.io (networking.k8s.io/v1)",
            "podsecuritypolicies.extensions (extensions/v1beta1)",
            "flowschemas.flowcontrol.apiserver.k8s.io (flowcontrol.apiserver.k8s.io/v1)",
            "backups.velero.io (velero.io/v1)",
            "widgets.widgets.example.com (widgets.example.com/v2)",
        ] {
            assert!(has(expected), "{expected} missing from {names:?}");
        }
        for absent in [
            "secrets (v1)",
            "serviceaccounts (v1)",
            "bindings (v1)",
            "ingresses.extensions (extensions/v1beta1)",
            "gadgets.single.example.com (single.example.com/v1)",
            "leases.coordination.k8s.io (coordination.k8s.io/v1)",
            "endpointslices.discovery.k8s.io (discovery.k8s.io/v1)",
        ] {
            assert!(!has(absent), "{absent} listed: {names:?}");
        }
        let extra = select(
            &discovered(),
            &["ServiceAccount".into(), "single.example.com/Gadget".into()],
        );
        assert_eq!(extra.len(), jobs.len() + 2);
        // Secrets stay out even when asked for.
        assert_eq!(select(&discovered(), &["Secret".into()]).len(), jobs.len());
    }

    #[test]
    fn classic_discovery() {
        let apis = br#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"autoscaling","versions":[{"groupVersion":"autoscaling/v1","version":"v1"},{"groupVersion":"autoscaling/v2beta2","version":"v2beta2"}],"preferredVersion":{"groupVersion":"autoscaling/v2beta2","version":"v2beta2"}}]}"#;
        assert_eq!(parse_aggregated(apis).unwrap(), None);
        let gvs = parse_classic_groups(apis, false).unwrap();
        assert_eq!(
            gvs,
            [
                ("autoscaling".to_owned(), "v2beta2".to_owned()),
                ("autoscaling".to_owned(), "v1".to_owned())
            ]
        );
        let core = parse_classic_groups(br#"{"kind":"APIVersions","versions":["v1"]}"#, true).unwrap();
        assert_eq!(core, [(String::new(), "v1".to_owned())]);
        let list = br#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"","namespaced":true,"kind":"Pod","verbs":["list"]},{"name":"pods/log","namespaced":true,"kind":"Pod","verbs":["get"]}]}"#;
        let d = fold(parse_resource_list(list, "", "v1").unwrap(), false);
        assert_eq!(d.types.len(), 1);
        assert!(parse_resource_list(b"\"x\"", "", "v1").is_err());
        assert!(parse_aggregated(b"{").is_err());
    }

    #[test]
    fn crds_with_deprecated_or_several_stored_versions() {
        let d = discovered();
        let crd = |stored: &str, deprecated: bool| {
            let yaml = format!(
                "{{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{{\"name\":\"gadgets.single.example.com\"}},\
                 \"spec\":{{\"group\":\"single.example.com\",\"names\":{{\"plural\":\"gadgets\",\"kind\":\"Gadget\"}},\
                 \"versions\":[{{\"name\":\"v1\",\"served\":true,\"storage\":true,\"deprecated\":{deprecated}}}]}},\
                 \"status\":{{\"storedVersions\":{stored}}}}}"
            );
            let node: mcp_diag_model::Doc = serde_json::from_str(&yaml).unwrap();
            mcp_diag_model::Object::from_node(node, None).unwrap()
        };
        assert!(crd_followups(&[crd("[\"v1\"]", false)], &d).is_empty());
        assert_eq!(crd_followups(&[crd("[\"v1\"]", true)], &d).len(), 1);
        assert_eq!(
            crd_followups(&[crd("[\"v1alpha1\",\"v1\"]", false)], &d)[0].resource,
            "gadgets"
        );
    }
}
