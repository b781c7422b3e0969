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
    ("calico/node", "calico"),
    ("tigera/operator", "tigera-operator"),
    ("cilium/cilium", "cilium"),
    ("flannel/flannel", "flannel"),
    ("flannelcni/flannel", "flannel"),
    ("coreos/flannel", "flannel"),
    ("ingress-nginx/controller", "ingress-nginx"),
    ("jetstack/cert-manager-controller", "cert-manager"),
    ("velero/velero", "velero"),
    ("metrics-server/metrics-server", "metrics-server"),
    ("metrics-server", "metrics-server"),
    ("istio/pilot", "istio"),
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

fn is_owned(object: &Object) -> bool {
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
}
