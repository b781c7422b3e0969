//! What runs in the cluster, and at which version: read from container images of pods and
//! workload templates, and from `components` in a snapshot's `cluster.yaml`.

use mcp_diag_model::{Inventory, KubeVersion, Location, Node, Object, ObjectRef};

/// One sighting of a component.
#[derive(Clone, Debug)]
pub struct Component<'a> {
    /// Our name for it: `etcd`, `kube-apiserver`, `calico`, `coredns`, ...
    pub name: &'static str,
    /// `None` when the tag is no version (`latest`, a digest, a branch name).
    pub version: Option<KubeVersion>,
    /// The tag or value as written, for messages.
    pub raw: String,
    /// The object whose image revealed it; `None` for `cluster.yaml`.
    pub object: Option<&'a Object>,
    /// The full image reference, when it came from an image.
    pub image: Option<String>,
}

impl Component<'_> {
    pub fn object_ref(&self) -> Option<ObjectRef> {
        self.object.map(Object::object_ref)
    }

    pub fn location(&self) -> Option<Location> {
        self.object.and_then(|o| o.location.clone())
    }

    /// Where the version was seen, for messages: `pod kube-system/etcd-cp-1 (image ...)`.
    pub fn evidence(&self) -> String {
        match (self.object, &self.image) {
            (Some(o), Some(image)) => {
                let ns = o
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                format!("{} {ns}{} (image {image})", o.kind, o.name)
            }
            (Some(o), None) => {
                let ns = o
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                format!("{} {ns}{}", o.kind, o.name)
            }
            _ => "cluster.yaml components".to_owned(),
        }
    }
}

/// Image repositories (the path after the registry host, without tag) and the component
/// each one reveals. Matched on the last one or two path segments, so that mirrors and
/// private registries (`my-registry.example.com/mirror/calico/node`) are recognised too.
#[rustfmt::skip]
const IMAGES: &[(&str, &str)] = &[
    ("etcd", "etcd"),
    ("etcd-development/etcd", "etcd"),
    ("kube-apiserver", "kube-apiserver"),
    ("kube-apiserver-amd64", "kube-apiserver"),
    ("kube-controller-manager", "kube-controller-manager"),
    ("kube-controller-manager-amd64", "kube-controller-manager"),
    ("kube-scheduler", "kube-scheduler"),
    ("kube-scheduler-amd64", "kube-scheduler"),
    ("kube-proxy", "kube-proxy"),
    ("kube-proxy-amd64", "kube-proxy"),
    ("coredns/coredns", "coredns"),
    ("coredns", "coredns"),
    ("mirrored-coredns-coredns", "coredns"),
    ("calico/node", "calico"),
    ("mirrored-calico-node", "calico"),
    ("tigera/operator", "tigera-operator"),
    ("cilium/cilium", "cilium"),
    ("mirrored-cilium-cilium", "cilium"),
    ("flannel/flannel", "flannel"),
    ("flannel-io/flannel", "flannel"),
    ("flannelcni/flannel", "flannel"),
    ("coreos/flannel", "flannel"),
    ("mirrored-flannelcni-flannel", "flannel"),
    ("ingress-nginx/controller", "ingress-nginx"),
    ("ingress-nginx/controller-chroot", "ingress-nginx"),
    ("jetstack/cert-manager-controller", "cert-manager"),
    ("velero/velero", "velero"),
    ("metrics-server/metrics-server", "metrics-server"),
    ("metrics-server", "metrics-server"),
    ("metrics-server-amd64", "metrics-server"),
    ("mirrored-metrics-server", "metrics-server"),
    ("istio/pilot", "istio"),
    ("istio-release/pilot", "istio"),
];

/// Custom resources through which an operator installs a component, and the field that
/// holds the installed version: (apiVersion group, kind, path, component).
#[rustfmt::skip]
const OPERATOR_RESOURCES: &[(&str, &str, &[&str], &str)] = &[
    // Written by Calico itself: "CalicoVersion is the version of Calico that the cluster is running".
    ("crd.projectcalico.org", "ClusterInformation", &["spec", "calicoVersion"], "calico"),
    ("projectcalico.org", "ClusterInformation", &["spec", "calicoVersion"], "calico"),
    // The Tigera operator reports the Calico it runs (variant Calico; Enterprise has other versions).
    ("operator.tigera.io", "Installation", &["status", "calicoVersion"], "calico"),
    // Istio's operator API and the Sail operator.
    ("install.istio.io", "IstioOperator", &["spec", "tag"], "istio"),
    ("sailoperator.io", "Istio", &["spec", "version"], "istio"),
];

/// Splits an image reference into (repository path without registry, tag).
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (without_digest, None),
    };
    // The first segment is a registry host when it has a dot or a port, or is localhost.
    let path = match repo.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => repo,
    };
    (path, tag)
}

/// The component an image reveals, if any.
pub fn component_of_image(image: &str) -> Option<&'static str> {
    let (path, _) = split_image(image);
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.last().copied()?;
    let last_two = (segments.len() >= 2).then(|| format!("{}/{}", segments[segments.len() - 2], last));
    IMAGES
        .iter()
        .find(|(repo, _)| last_two.as_deref() == Some(*repo))
        .or_else(|| IMAGES.iter().find(|(repo, _)| *repo == last))
        .map(|(_, name)| *name)
}

/// Reads a version from an image tag: `v1.29.4`, `3.5.10-0`, `v3.25.2`; `None` for `latest`,
/// digests and other tags that are no version.
pub fn version_of_tag(tag: &str) -> Option<KubeVersion> {
    KubeVersion::parse(tag).ok()
}

fn images_of(object: &Object) -> Vec<&str> {
    let spec = match object.kind.as_str() {
        "Pod" => object.raw.get("spec"),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" => {
            object.raw.path(&["spec", "template", "spec"])
        }
        "CronJob" => object
            .raw
            .path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    };
    let Some(spec) = spec else { return Vec::new() };
    ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Node::as_seq))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Node::as_str))
        .collect()
}

/// Every component sighting in the inventory. ReplicaSets are skipped when their
/// Deployment is present (old ReplicaSets keep old images and would report stale versions).
pub fn detect(inventory: &Inventory) -> Vec<Component<'_>> {
    let mut found = Vec::new();
    for object in &inventory.objects {
        if object.kind == "ReplicaSet" && is_owned(object) {
            continue;
        }
        if object.kind == "Pod"
            && object.raw.path(&["status", "phase"]).and_then(Node::as_str) == Some("Succeeded")
        {
            continue;
        }
        for image in images_of(object) {
            let Some(name) = component_of_image(image) else {
                continue;
            };
            let tag = split_image(image).1.unwrap_or("");
            found.push(Component {
                name,
                version: version_of_tag(tag),
                raw: if tag.is_empty() {
                    image.to_owned()
                } else {
                    tag.to_owned()
                },
                object: Some(object),
                image: Some(image.to_owned()),
            });
        }
    }
    for object in &inventory.objects {
        if let Some(c) = operator_component(object) {
            found.push(c);
        }
    }
    for (name, value) in &inventory.cluster.components {
        let Some(known) = known_name(name) else { continue };
        found.push(Component {
            name: known,
            version: KubeVersion::parse(value).ok(),
            raw: value.clone(),
            object: None,
            image: None,
        });
    }
    found
}

/// The component version an operator resource records, if `object` is one.
fn operator_component(object: &Object) -> Option<Component<'_>> {
    let group = object.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let (_, _, path, name) = OPERATOR_RESOURCES
        .iter()
        .find(|(g, kind, _, _)| *g == group && *kind == object.kind)?;
    if object.kind == "Installation"
        && object
            .raw
            .path(&["status", "variant"])
            .and_then(Node::as_str)
            .is_some_and(|v| v != "Calico")
    {
        return None;
    }
    let value = object.raw.path(path).and_then(Node::as_str)?.trim();
    if value.is_empty() {
        return None;
    }
    Some(Component {
        name,
        version: version_of_tag(value),
        raw: value.to_owned(),
        object: Some(object),
        image: None,
    })
}

/// Whether a controller (or any owner) owns the object.
pub(crate) fn is_owned(object: &Object) -> bool {
    object
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .is_some_and(|o| !o.is_empty())
}

/// Every component name detection can report, sorted.
pub fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = IMAGES.iter().map(|(_, n)| *n).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Every sighting of one component at one version: checks report once per group, not once
/// per pod.
#[derive(Debug)]
pub struct Sightings<'c, 'a> {
    pub name: &'static str,
    /// The version, `None` when the tag is no version (then `raw` tells them apart).
    pub version: Option<KubeVersion>,
    /// The object the finding names: a workload before an operator resource before a pod
    /// before `cluster.yaml`.
    pub reference: &'c Component<'a>,
    pub all: Vec<&'c Component<'a>>,
}

const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

fn reference_rank(c: &Component<'_>) -> u8 {
    match c.object {
        Some(o) if WORKLOAD_KINDS.contains(&o.kind.as_str()) => 0,
        Some(o) if o.kind != "Pod" => 1,
        Some(_) => 2,
        None => 3,
    }
}

impl Sightings<'_, '_> {
    /// The version as written in the reference sighting (`v3.25.2`, `3.5.10-0`, `latest`).
    pub fn raw(&self) -> &str {
        &self.reference.raw
    }

    /// Workload objects (Deployments, DaemonSets, ...) that run this version.
    pub fn workloads(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .all
            .iter()
            .filter_map(|c| c.object)
            .filter(|o| WORKLOAD_KINDS.contains(&o.kind.as_str()))
            .map(|o| match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                None => format!("{} {}", o.kind, o.name),
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// How many pods run this version.
    pub fn pods(&self) -> usize {
        self.all
            .iter()
            .filter(|c| c.object.is_some_and(|o| o.kind == "Pod"))
            .count()
    }

    /// "used by DaemonSet calico-system/calico-node and 9 pods", for messages.
    pub fn usage(&self) -> String {
        let workloads = self.workloads();
        let pods = self.pods();
        let mut parts = Vec::new();
        match workloads.len() {
            0 => {}
            1..=3 => parts.push(workloads.join(", ")),
            n => parts.push(format!("{n} workloads ({}, ...)", workloads[..2].join(", "))),
        }
        match pods {
            0 => {}
            1 => parts.push("1 pod".to_owned()),
            n => parts.push(format!("{n} pods")),
        }
        let others = self
            .all
            .iter()
            .filter_map(|c| c.object)
            .filter(|o| o.kind != "Pod" && !WORKLOAD_KINDS.contains(&o.kind.as_str()))
            .map(|o| o.kind.clone())
            .collect::<std::collections::BTreeSet<_>>();
        if !others.is_empty() {
            parts.push(others.into_iter().collect::<Vec<_>>().join(", "));
        }
        if self.all.iter().any(|c| c.object.is_none()) {
            parts.push("cluster.yaml".to_owned());
        }
        format!("seen in {}", parts.join(" and "))
    }
}

/// Groups sightings of the same component by version (numbers only: `3.5.10` and
/// `3.5.10-0` are one group; unparseable tags group by their text). Ordered by name, then
/// version (unknown versions last).
pub fn group_by_version<'c, 'a>(
    components: impl IntoIterator<Item = &'c Component<'a>>,
) -> Vec<Sightings<'c, 'a>> {
    type Key = (&'static str, Option<(u32, u32, u32)>, String);
    let mut groups: std::collections::BTreeMap<Key, Vec<&'c Component<'a>>> = Default::default();
    for c in components {
        let key = match &c.version {
            Some(v) => (
                c.name,
                Some((v.major, v.minor, v.patch.unwrap_or(0))),
                String::new(),
            ),
            None => (c.name, None, c.raw.clone()),
        };
        groups.entry(key).or_default().push(c);
    }
    let mut out: Vec<Sightings<'c, 'a>> = groups
        .into_values()
        .filter_map(|all| {
            let reference = *all.iter().min_by_key(|c| reference_rank(c))?;
            Some(Sightings {
                name: reference.name,
                version: reference.version.clone(),
                reference,
                all,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.name, a.version.is_none()).cmp(&(b.name, b.version.is_none())));
    out
}

/// Maps a `cluster.yaml` component key onto our names (`etcd`, `calico`, ...).
fn known_name(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    IMAGES.iter().map(|(_, n)| *n).find(|n| *n == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_tags() {
        assert_eq!(
            split_image("registry.k8s.io/etcd:3.5.10-0"),
            ("etcd", Some("3.5.10-0"))
        );
        assert_eq!(
            split_image("localhost:5000/calico/node:v3.25.2"),
            ("calico/node", Some("v3.25.2"))
        );
        assert_eq!(split_image("calico/node@sha256:abc"), ("calico/node", None));
        assert_eq!(split_image("nginx"), ("nginx", None));
        assert_eq!(
            component_of_image("registry.k8s.io/coredns/coredns:v1.11.1"),
            Some("coredns")
        );
        assert_eq!(
            component_of_image("mirror.example.com/team/calico/node:v3.27.0"),
            Some("calico")
        );
        assert_eq!(
            component_of_image("quay.io/cilium/cilium:v1.18.2@sha256:abc"),
            Some("cilium")
        );
        assert_eq!(component_of_image("docker.io/library/nginx:1.25"), None);
        assert_eq!(version_of_tag("v1.29.4").unwrap().to_string(), "1.29.4");
        assert_eq!(version_of_tag("3.5.10-0").unwrap().minor().to_string(), "3.5");
        assert!(version_of_tag("latest").is_none());
        assert!(version_of_tag("").is_none());
    }

    #[test]
    fn more_image_spellings() {
        for (image, name) in [
            ("ghcr.io/flannel-io/flannel:v0.25.1", "flannel"),
            ("docker.io/rancher/mirrored-flannelcni-flannel:v0.24.2", "flannel"),
            (
                "registry.k8s.io/ingress-nginx/controller-chroot:v1.11.2",
                "ingress-nginx",
            ),
            ("k8s.gcr.io/metrics-server-amd64:v0.3.6", "metrics-server"),
            ("gcr.io/istio-release/pilot:1.22.3", "istio"),
            ("rancher/mirrored-cilium-cilium:v1.18.2", "cilium"),
            (
                "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4",
                "coredns",
            ),
        ] {
            assert_eq!(component_of_image(image), Some(name), "{image}");
        }
        assert_eq!(component_of_image("velero/velero-plugin-for-aws:v1.8.2"), None);
    }

    #[test]
    fn operator_resources_reveal_versions() {
        let yaml = r#"
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: default}
status: {variant: Calico, calicoVersion: v3.28.1}
---
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: enterprise}
status: {variant: TigeraSecureEnterprise, calicoVersion: v3.19.0}
---
apiVersion: crd.projectcalico.org/v1
kind: ClusterInformation
metadata: {name: default}
spec: {calicoVersion: v3.28.1, clusterType: "k8s,operator,bgp"}
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec: {tag: 1.22.3-distroless}
---
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {name: default}
spec: {version: latest}
"#;
        let parsed = mcp_diag_sources::parse_bytes("t.yaml", yaml.as_bytes());
        let mut inventory = Inventory::new(mcp_diag_model::SourceKind::Snapshot, "t", "t");
        inventory.objects = parsed.objects;
        let found: Vec<_> = detect(&inventory)
            .into_iter()
            .map(|c| (c.name, c.version.as_ref().map(ToString::to_string), c.evidence()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "calico",
                    Some("3.28.1".to_owned()),
                    "Installation default".to_owned()
                ),
                (
                    "calico",
                    Some("3.28.1".to_owned()),
                    "ClusterInformation default".to_owned()
                ),
                (
                    "istio",
                    Some("1.22.3-distroless".to_owned()),
                    "IstioOperator istio-system/control-plane".to_owned()
                ),
                ("istio", None, "Istio default".to_owned()),
            ]
        );
    }
}
