use std::collections::BTreeMap;

use crate::{Doc, Finding, KubeVersion, Location, Node, ObjectRef, SourceKind, View};

/// One Kubernetes object, kept dynamic: removed API versions have no typed structs.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub location: Option<Location>,
    /// The apiVersion recorded by `kubectl apply` in the last-applied-configuration
    /// annotation, when it names the same kind; read once, since several checks ask.
    pub applied_api_version: Option<String>,
    /// apiVersions other than the stored one that clients wrote the object with, from
    /// `metadata.managedFields` (manager and apiVersion), first manager per apiVersion.
    pub managed_api_versions: Vec<ManagedWrite>,
    pub raw: Doc,
}

/// A client that wrote an object with a given apiVersion (a `managedFields` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedWrite {
    pub manager: String,
    pub api_version: String,
    pub time: Option<String>,
}

/// The annotation `kubectl apply` keeps the applied manifest in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

impl Object {
    /// Builds an object from its document (a [`Doc`], or a [`crate::Tree`] or JSON value to
    /// pack); `None` when apiVersion or kind is missing.
    pub fn from_node(raw: impl Into<Doc>, location: Option<Location>) -> Option<Self> {
        let raw: Doc = raw.into();
        let api_version = raw.get("apiVersion")?.as_str()?.to_owned();
        let kind = raw.get("kind")?.as_str()?.to_owned();
        let meta = raw.get("metadata");
        // Names are text, but YAML turns `name: 0123` or `name: true` into other scalars;
        // show them as written rather than as nothing.
        let text = |key: &str| {
            meta.and_then(|m| m.get(key)).and_then(|v| match v.view() {
                View::Map(_) | View::Seq(_) | View::Null => None,
                _ => Some(v.as_str().map_or_else(|| v.to_json().to_string(), str::to_owned)),
            })
        };
        let name = text("name").or_else(|| text("generateName")).unwrap_or_default();
        let namespace = text("namespace");
        let applied_api_version = meta
            .and_then(|m| m.path(&["annotations", LAST_APPLIED]))
            .and_then(Node::as_str)
            .and_then(applied_identity)
            .filter(|(_, applied_kind)| *applied_kind == kind)
            .map(|(av, _)| av);
        let managed_api_versions = managed_writes(meta, &api_version);
        Some(Self {
            api_version,
            kind,
            namespace,
            name,
            location,
            applied_api_version,
            managed_api_versions,
            raw,
        })
    }

    /// `(group, version)`; the core group is `""`.
    pub fn group_version(&self) -> (&str, &str) {
        match self.api_version.rsplit_once('/') {
            Some((group, version)) => (group, version),
            None => ("", self.api_version.as_str()),
        }
    }

    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.raw.path(&["metadata", "annotations", key])?.as_str()
    }
}

/// The managers that wrote the object with an apiVersion other than `stored`.
fn managed_writes(meta: Option<Node<'_>>, stored: &str) -> Vec<ManagedWrite> {
    let Some(entries) = meta.and_then(|m| m.get("managedFields")).and_then(Node::as_seq) else {
        return Vec::new();
    };
    let mut writes: Vec<ManagedWrite> = Vec::new();
    for entry in entries {
        let Some(api_version) = entry.get("apiVersion").and_then(Node::as_str) else {
            continue;
        };
        if api_version == stored || writes.iter().any(|w| w.api_version == api_version) {
            continue;
        }
        writes.push(ManagedWrite {
            manager: entry
                .get("manager")
                .and_then(Node::as_str)
                .unwrap_or("unknown")
                .to_owned(),
            api_version: api_version.to_owned(),
            time: entry.get("time").and_then(Node::as_str).map(str::to_owned),
        });
    }
    writes
}

/// apiVersion and kind of an applied manifest, without building the rest of it.
fn applied_identity(json: &str) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Identity {
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
        kind: Option<String>,
    }
    let id: Identity = serde_json::from_str(json).ok()?;
    Some((id.api_version?, id.kind?))
}

/// What is known about the cluster behind an inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    pub name: String,
    pub server_version: Option<KubeVersion>,
    pub captured_at: Option<String>,
    /// Component versions given by the user (`etcd`, `calico`, ...).
    pub components: BTreeMap<String, String>,
    /// Deprecated APIs clients actually requested, from the API server's
    /// `apiserver_requested_deprecated_apis` metric (live clusters, or recorded in a snapshot).
    pub requested_apis: Vec<RequestedApi>,
}

/// One series of `apiserver_requested_deprecated_apis`: a deprecated API that some client
/// requested since the API server started.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestedApi {
    /// The API group; `""` for the core group.
    #[serde(default)]
    pub group: String,
    pub version: String,
    /// The resource's plural name, such as `flowschemas`.
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    /// The release that removes it, as the metric says (`1.32`); empty when not planned.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub removed_release: String,
}

/// Everything read from one source: the objects plus what could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct Inventory {
    pub kind: SourceKind,
    /// How the user named the source, such as `snapshot:examples/demo-cluster`.
    pub source: String,
    pub cluster: ClusterInfo,
    pub objects: Vec<Object>,
    /// Objects rendered inside Helm releases (the `manifest` of each deployed release). Kept
    /// apart from `objects`: they describe what Helm will apply next, not what is stored, so
    /// only the API-version checks read them (a Deployment would otherwise count twice).
    pub helm_objects: Vec<Object>,
    pub files_scanned: usize,
    /// `input-invalid` findings raised while reading.
    pub input_problems: Vec<Finding>,
    /// Which kinds were read completely, in part, or not at all.
    pub coverage: crate::Coverage,
}

impl Inventory {
    pub fn new(kind: SourceKind, source: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            source: source.into(),
            cluster: ClusterInfo {
                name: name.into(),
                ..ClusterInfo::default()
            },
            objects: Vec::new(),
            helm_objects: Vec::new(),
            files_scanned: 0,
            input_problems: Vec::new(),
            coverage: crate::Coverage::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_from_value() {
        let node = |v: serde_json::Value| Doc::from(v);
        let raw = node(serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "annotations": {"a": "b"}}}));
        let o = Object::from_node(raw, None).unwrap();
        assert_eq!(o.group_version(), ("apps", "v1"));
        assert_eq!(o.namespace.as_deref(), Some("shop"));
        assert_eq!(o.annotation("a"), Some("b"));
        assert_eq!(o.applied_api_version, None);
        let applied = node(
            serde_json::json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "annotations": {LAST_APPLIED:
                "{\"apiVersion\":\"autoscaling/v2beta2\",\"kind\":\"HorizontalPodAutoscaler\"}\n"}}}),
        );
        let o = Object::from_node(applied, None).unwrap();
        assert_eq!(o.applied_api_version.as_deref(), Some("autoscaling/v2beta2"));
        let managed = node(
            serde_json::json!({"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema",
            "metadata": {"name": "f", "managedFields": [
                {"manager": "apf-operator", "operation": "Update", "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3", "time": "2026-11-01T00:00:00Z"},
                {"manager": "kube-apiserver", "operation": "Update", "apiVersion": "flowcontrol.apiserver.k8s.io/v1"}]}}),
        );
        let o = Object::from_node(managed, None).unwrap();
        assert_eq!(o.managed_api_versions.len(), 1);
        assert_eq!(o.managed_api_versions[0].manager, "apf-operator");
        let core =
            Object::from_node(node(serde_json::json!({"apiVersion": "v1", "kind": "Pod"})), None).unwrap();
        assert_eq!(core.group_version(), ("", "v1"));
        assert_eq!(core.name, "");
        let odd = node(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": true}}));
        assert_eq!(Object::from_node(odd, None).unwrap().name, "true");
        assert!(Object::from_node(node(serde_json::json!({"kind": "Pod"})), None).is_none());
        assert!(Object::from_node(node(serde_json::json!({"apiVersion": 3, "kind": "Pod"})), None).is_none());
    }
}
