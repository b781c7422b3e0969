//! An owned document tree, for building documents: parsers and tests build a [`Tree`], which
//! is then packed into a [`crate::Doc`], the form objects are kept and read in.
//!
//! `serde_json::Value` spends a B-tree node (over 600 bytes) on every mapping, however small;
//! `Tree` stores mappings and sequences as exactly sized boxed slices.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A mapping key. The field names Kubernetes objects repeat millions of times are shared
/// static strings; others are owned.
pub type Key = Cow<'static, str>;

/// Field names common enough to share (sorted, for binary search).
#[rustfmt::skip]
pub(crate) const KNOWN_KEYS: &[&str] = &[
    ".",
    "Port",
    "accessModes",
    "add",
    "address",
    "addresses",
    "affinity",
    "allocatable",
    "allowPrivilegeEscalation",
    "annotations",
    "apiVersion",
    "app",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/name",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    "architecture",
    "args",
    "availableReplicas",
    "averageUtilization",
    "backend",
    "backoffLimit",
    "behavior",
    "binaryData",
    "blockOwnerDeletion",
    "bootID",
    "ca.crt",
    "capabilities",
    "capacity",
    "claimName",
    "clusterIP",
    "clusterIPs",
    "collisionCount",
    "command",
    "completions",
    "component",
    "concurrencyPolicy",
    "conditions",
    "configMap",
    "configMapKeyRef",
    "containerID",
    "containerPort",
    "containerRuntimeVersion",
    "containerStatuses",
    "containers",
    "controller",
    "controller-revision-hash",
    "cpu",
    "creationTimestamp",
    "currentHealthy",
    "currentNumberScheduled",
    "currentReplicas",
    "currentRevision",
    "daemonEndpoints",
    "data",
    "defaultMode",
    "deletionTimestamp",
    "deployment.kubernetes.io/revision",
    "desiredHealthy",
    "desiredNumberScheduled",
    "disruptionsAllowed",
    "dnsPolicy",
    "drop",
    "effect",
    "emptyDir",
    "enableServiceLinks",
    "env",
    "envFrom",
    "ephemeral-storage",
    "exec",
    "exitCode",
    "expectedPods",
    "expirationSeconds",
    "externalTrafficPolicy",
    "f:annotations",
    "f:conditions",
    "f:containers",
    "f:image",
    "f:labels",
    "f:metadata",
    "f:name",
    "f:phase",
    "f:ports",
    "f:replicas",
    "f:resources",
    "f:selector",
    "f:spec",
    "f:status",
    "f:template",
    "failedJobsHistoryLimit",
    "failureThreshold",
    "fieldPath",
    "fieldRef",
    "fieldsType",
    "fieldsV1",
    "finalizers",
    "finishedAt",
    "fsGroup",
    "generateName",
    "generation",
    "grpc",
    "helm.sh/chart",
    "holderIdentity",
    "host",
    "hostIP",
    "hostIPs",
    "hostNetwork",
    "hostPath",
    "hostPort",
    "hosts",
    "http",
    "httpGet",
    "image",
    "imageID",
    "imagePullPolicy",
    "images",
    "ingress",
    "ingressClassName",
    "initContainerStatuses",
    "initContainers",
    "initialDelaySeconds",
    "internalTrafficPolicy",
    "ip",
    "ipFamilies",
    "ipFamilyPolicy",
    "items",
    "jobTemplate",
    "k8s-app",
    "kernelVersion",
    "key",
    "kind",
    "kubeProxyVersion",
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubeletEndpoint",
    "kubeletVersion",
    "kubernetes.io/arch",
    "kubernetes.io/hostname",
    "kubernetes.io/metadata.name",
    "kubernetes.io/os",
    "labelSelector",
    "labels",
    "lastHeartbeatTime",
    "lastProbeTime",
    "lastState",
    "lastTransitionTime",
    "lastUpdateTime",
    "limits",
    "livenessProbe",
    "loadBalancer",
    "machineID",
    "managedFields",
    "manager",
    "matchExpressions",
    "matchLabels",
    "maxReplicas",
    "maxSkew",
    "maxSurge",
    "maxUnavailable",
    "memory",
    "message",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
    "metadata",
    "metrics",
    "minAvailable",
    "minReadySeconds",
    "minReplicas",
    "mountPath",
    "name",
    "names",
    "namespace",
    "node.alpha.kubernetes.io/ttl",
    "node.kubernetes.io/instance-type",
    "nodeAffinity",
    "nodeInfo",
    "nodeName",
    "nodePort",
    "nodeSelector",
    "nodeSelectorTerms",
    "number",
    "numberAvailable",
    "numberMisscheduled",
    "numberReady",
    "numberUnavailable",
    "observedGeneration",
    "operatingSystem",
    "operation",
    "operator",
    "osImage",
    "ownerReferences",
    "parallelism",
    "part-of",
    "partition",
    "path",
    "pathType",
    "paths",
    "periodSeconds",
    "persistentVolumeClaim",
    "phase",
    "pod-template-hash",
    "podAffinity",
    "podAffinityTerm",
    "podAntiAffinity",
    "podCIDR",
    "podCIDRs",
    "podIP",
    "podIPs",
    "podManagementPolicy",
    "pods",
    "port",
    "ports",
    "preemptionPolicy",
    "preferredDuringSchedulingIgnoredDuringExecution",
    "priority",
    "priorityClassName",
    "privileged",
    "progressDeadlineSeconds",
    "projected",
    "protocol",
    "providerID",
    "qosClass",
    "readOnly",
    "readOnlyRootFilesystem",
    "readinessProbe",
    "ready",
    "readyReplicas",
    "reason",
    "release",
    "replicas",
    "requests",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "resourceVersion",
    "resources",
    "restartCount",
    "restartPolicy",
    "revisionHistoryLimit",
    "rollingUpdate",
    "rules",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "running",
    "scaleTargetRef",
    "schedule",
    "schedulerName",
    "scheme",
    "seccompProfile",
    "secret",
    "secretKeyRef",
    "secretName",
    "securityContext",
    "selector",
    "selfLink",
    "service",
    "serviceAccount",
    "serviceAccountName",
    "serviceAccountToken",
    "serviceName",
    "sessionAffinity",
    "sizeBytes",
    "sources",
    "spec",
    "startTime",
    "started",
    "startedAt",
    "startupProbe",
    "state",
    "statefulset.kubernetes.io/pod-name",
    "status",
    "storage",
    "storageClassName",
    "strategy",
    "stringData",
    "subPath",
    "successThreshold",
    "successfulJobsHistoryLimit",
    "suspend",
    "systemUUID",
    "taints",
    "target",
    "targetPort",
    "tcpSocket",
    "template",
    "terminated",
    "terminationGracePeriodSeconds",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tier",
    "time",
    "timeoutSeconds",
    "tls",
    "tolerationSeconds",
    "tolerations",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topologyKey",
    "topologySpreadConstraints",
    "type",
    "uid",
    "unschedulable",
    "updateRevision",
    "updateStrategy",
    "updatedNumberScheduled",
    "updatedReplicas",
    "value",
    "valueFrom",
    "values",
    "version",
    "volumeClaimTemplates",
    "volumeMode",
    "volumeMounts",
    "volumeName",
    "volumes",
    "volumes.kubernetes.io/controller-managed-attach-detach",
    "waiting",
    "weight",
    "whenUnsatisfiable",
    "workingDir",
];

/// FNV-1a: for a handful of short keys it hashes several times faster than SipHash, and
/// the set is fixed, so flooding is not a concern.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type KnownSet = std::collections::HashSet<&'static str, std::hash::BuildHasherDefault<Fnv>>;

pub(crate) fn known(text: &str) -> Option<&'static str> {
    static SET: std::sync::OnceLock<KnownSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| KNOWN_KEYS.iter().copied().collect())
        .get(text)
        .copied()
}

/// The key for `text`, shared when it is a well-known field name.
pub fn key(text: &str) -> Key {
    known(text).map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed)
}

/// Like [`key`], reusing `text`'s buffer when the key is not a shared one.
pub fn key_from_string(text: String) -> Key {
    known(&text).map_or(Cow::Owned(text), Cow::Borrowed)
}

/// One value of a Kubernetes object.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Tree {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    /// Integers above `i64::MAX`.
    UInt(u64),
    Float(f64),
    /// Text longer than [`INLINE_TEXT`] bytes. Build text with [`Tree::text`], which picks
    /// the representation, so that equal texts compare equal.
    Str(Box<str>),
    /// Short text stored inline: most values in manifests (`TCP`, `100m`, `backend`) are
    /// short, and this saves an allocation for each.
    ShortStr {
        len: u8,
        bytes: [u8; INLINE_TEXT],
    },
    Seq(Box<[Tree]>),
    /// Entries in document order. Lookups take the last of duplicate keys, as JSON does.
    Map(Box<[(Key, Tree)]>),
}

static NULL: Tree = Tree::Null;

/// The longest text kept inline in a [`Tree`].
pub const INLINE_TEXT: usize = 22;

impl Tree {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Self::Map(entries) => entries.iter().rev().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of mapping keys: `node.path(&["metadata", "name"])`.
    pub fn path(&self, keys: &[&str]) -> Option<&Self> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Like [`Tree::get`], but a missing key reads as null.
    pub fn field(&self, key: &str) -> &Self {
        self.get(key).unwrap_or(&NULL)
    }

    /// A text node.
    pub fn text(text: &str) -> Self {
        if text.len() <= INLINE_TEXT {
            let mut bytes = [0u8; INLINE_TEXT];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self::ShortStr {
                len: text.len() as u8,
                bytes,
            }
        } else {
            Self::Str(text.into())
        }
    }

    /// A text node, reusing the buffer of long text.
    pub fn text_owned(text: String) -> Self {
        if text.len() <= INLINE_TEXT {
            Self::text(&text)
        } else {
            Self::Str(text.into_boxed_str())
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            // Always valid: built from a &str by `Tree::text`.
            Self::ShortStr { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            Self::UInt(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::UInt(u) => Some(*u as f64),
            Self::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Self]> {
        match self {
            Self::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Self)]> {
        match self {
            Self::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub const fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// A short name of the node's type, for messages.
    pub const fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "boolean",
            Self::Int(_) | Self::UInt(_) | Self::Float(_) => "number",
            Self::Str(_) | Self::ShortStr { .. } => "string",
            Self::Seq(_) => "sequence",
            Self::Map(_) => "mapping",
        }
    }

    /// Builds a mapping from entries.
    pub fn map(entries: Vec<(Key, Self)>) -> Self {
        Self::Map(entries.into_boxed_slice())
    }

    /// The JSON form, for code that wants `serde_json` (typed views, output).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Int(i) => (*i).into(),
            Self::UInt(u) => (*u).into(),
            Self::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            Self::Str(_) | Self::ShortStr { .. } => {
                serde_json::Value::String(self.as_str().unwrap_or_default().to_owned())
            }
            Self::Seq(items) => serde_json::Value::Array(items.iter().map(Self::to_json).collect()),
            Self::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl From<serde_json::Value> for Tree {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Self::UInt(u)
                } else {
                    Self::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Self::text_owned(s),
            serde_json::Value::Array(items) => Self::Seq(items.into_iter().map(Self::from).collect()),
            serde_json::Value::Object(map) => Self::Map(
                map.into_iter()
                    .map(|(k, v)| (key_from_string(k), Self::from(v)))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Int(i) => s.serialize_i64(*i),
            Self::UInt(u) => s.serialize_u64(*u),
            Self::Float(f) => s.serialize_f64(*f),
            Self::Str(_) | Self::ShortStr { .. } => s.serialize_str(self.as_str().unwrap_or_default()),
            Self::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(i64::try_from(v).map_or(Tree::UInt(v), Tree::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::text(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::text_owned(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Tree, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = access.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Tree, A::Error> {
        let mut entries: Vec<(Key, Tree)> = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1024));
        while let Some(k) = access.next_key::<KeyText>()? {
            let value = access.next_value()?;
            entries.push((k.0, value));
        }
        Ok(Tree::Map(entries.into_boxed_slice()))
    }
}

/// Mapping keys as text. YAML allows other scalars as keys (`1: a`, `true: b`); they are
/// kept as their text rather than failing the whole document.
struct KeyText(Key);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = Tree::deserialize(deserializer)?;
        Ok(Self(match (&node, node.as_str()) {
            (_, Some(text)) => key(text),
            (Tree::Null, _) => Cow::Borrowed("null"),
            _ => Cow::Owned(node.to_json().to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_access() {
        let json =
            serde_json::json!({"a": {"b": [1, -2, 3.5, "x", null, true]}, "big": 18446744073709551615u64});
        let node: Tree = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(node.to_json(), json);
        assert_eq!(Tree::from(json.clone()), node);
        assert_eq!(serde_json::to_value(&node).unwrap(), json);
        assert_eq!(
            node.path(&["a", "b"]).and_then(Tree::as_seq).map(<[Tree]>::len),
            Some(6)
        );
        assert_eq!(node.field("missing"), &Tree::Null);
        assert_eq!(node.get("big"), Some(&Tree::UInt(u64::MAX)));
    }

    #[test]
    fn last_duplicate_key_wins() {
        let node: Tree = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(node.get("a").and_then(Tree::as_i64), Some(2));
    }

    #[test]
    fn known_keys_are_sorted_and_shared() {
        assert!(
            KNOWN_KEYS.windows(2).all(|w| w[0] < w[1]),
            "KNOWN_KEYS must stay sorted"
        );
        assert!(matches!(key("apiVersion"), Cow::Borrowed(_)));
        assert!(matches!(key("somethingElse"), Cow::Owned(_)));
        assert_eq!(key_from_string("metadata".to_owned()), "metadata");
    }

    #[test]
    fn short_and_long_text() {
        let short = Tree::text("TCP");
        assert!(matches!(short, Tree::ShortStr { .. }));
        assert_eq!(short.as_str(), Some("TCP"));
        let long = Tree::text_owned("x".repeat(INLINE_TEXT + 1));
        assert!(matches!(long, Tree::Str(_)));
        assert_eq!(Tree::text("ä€😀"), Tree::text_owned("ä€😀".to_owned()));
        assert_eq!(Tree::text("").as_str(), Some(""));
    }

    #[test]
    fn is_small() {
        assert!(std::mem::size_of::<Tree>() <= 24);
    }
}
