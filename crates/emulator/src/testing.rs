//! Small builders for test clusters: nodes, pods, ReplicaSets, StatefulSets, DaemonSets and
//! budgets as JSON documents, and an [`Inventory`] made of them.
//!
//! ```
//! use mcp_diag_emulator::testing::*;
//! let inv = Cluster::new("1.29.4")
//!     .nodes(&["n1", "n2"], "4", "8Gi")
//!     .replicaset("shop", "web", 2, "100m", "128Mi", &["n1", "n1"])
//!     .pdb_min_available("shop", "web", serde_json::json!(1))
//!     .build();
//! assert_eq!(inv.objects.len(), 2 + 1 + 2 + 1);
//! ```

use mcp_diag_model::{Inventory, KubeVersion, Object, SourceKind};
use serde_json::{Value, json};

/// A fixed creation time, so documents are reproducible.
pub const CREATED: &str = "2026-11-01T00:00:00Z";

/// A Ready node with `cpu`/`memory` allocatable (110 pods) and the hostname label.
pub fn node(name: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": CREATED,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "spec": {},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "nodeInfo": {"kubeletVersion": "v1.29.4", "osImage": "Ubuntu 22.04.4 LTS",
                "kernelVersion": "5.15.0", "containerRuntimeVersion": "containerd://1.7.13"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": name}]
        }
    })
}

/// A running, Ready pod on `node` with one container requesting `cpu`/`memory`.
/// `owner` is the controller (kind, name), if any.
pub fn pod(
    ns: &str,
    name: &str,
    node: &str,
    labels: Value,
    cpu: &str,
    memory: &str,
    owner: Option<(&str, &str)>,
) -> Value {
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "creationTimestamp": CREATED},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "registry.example/app:1",
            "resources": {"requests": {"cpu": cpu, "memory": memory}}}]},
        "status": {"phase": "Running", "podIP": "10.244.0.10",
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0, "image": "registry.example/app:1",
                "state": {"running": {"startedAt": CREATED}}}]}
    });
    if let Some((kind, owner_name)) = owner {
        let api = if kind == "ReplicationController" {
            "v1"
        } else {
            "apps/v1"
        };
        p["metadata"]["ownerReferences"] = json!([{"apiVersion": api, "kind": kind, "name": owner_name,
            "uid": format!("uid-{owner_name}"), "controller": true, "blockOwnerDeletion": true}]);
    }
    p
}

/// Sets a label on any document (`metadata.labels[key] = value`).
pub fn with_label(mut doc: Value, key: &str, value: &str) -> Value {
    if !doc["metadata"]["labels"].is_object() {
        doc["metadata"]["labels"] = json!({});
    }
    doc["metadata"]["labels"][key] = json!(value);
    doc
}

/// Adds a taint to a node document (`effect`: NoSchedule, PreferNoSchedule or NoExecute).
pub fn with_taint(mut node: Value, key: &str, value: &str, effect: &str) -> Value {
    if !node["spec"]["taints"].is_array() {
        node["spec"]["taints"] = json!([]);
    }
    if let Some(taints) = node["spec"]["taints"].as_array_mut() {
        taints.push(json!({"key": key, "value": value, "effect": effect}));
    }
    node
}

/// Sets `spec.unschedulable: true` (a cordoned node).
pub fn cordoned(mut node: Value) -> Value {
    node["spec"]["unschedulable"] = json!(true);
    node
}

/// Marks a pod not Ready (condition Ready=False, containers not ready).
pub fn not_ready(mut pod: Value) -> Value {
    pod["status"]["conditions"] =
        json!([{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]);
    if let Some(cs) = pod["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            c["ready"] = json!(false);
        }
    }
    pod
}

/// Builds a test inventory.
#[derive(Debug)]
pub struct Cluster {
    version: String,
    objects: Vec<Value>,
}

impl Cluster {
    /// An empty cluster whose API server reports `version` (`1.29.4`).
    pub fn new(version: &str) -> Self {
        Self {
            version: version.to_owned(),
            objects: Vec::new(),
        }
    }

    /// Adds any document.
    #[must_use]
    pub fn object(mut self, v: Value) -> Self {
        self.objects.push(v);
        self
    }

    /// Adds Ready nodes of one size.
    #[must_use]
    pub fn nodes(mut self, names: &[&str], cpu: &str, memory: &str) -> Self {
        for n in names {
            self.objects.push(node(n, cpu, memory));
        }
        self
    }

    /// A ReplicaSet `name` (label `app: name`) with one Ready pod on each of `placement`
    /// (pods named `name-0`, `name-1`, ...); `replicas` is its scale.
    #[must_use]
    pub fn replicaset(
        mut self,
        ns: &str,
        name: &str,
        replicas: i64,
        cpu: &str,
        memory: &str,
        placement: &[&str],
    ) -> Self {
        self.objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"), "creationTimestamp": CREATED},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}}}}));
        for (i, n) in placement.iter().enumerate() {
            self.objects.push(pod(
                ns,
                &format!("{name}-{i}"),
                n,
                json!({"app": name}),
                cpu,
                memory,
                Some(("ReplicaSet", name)),
            ));
        }
        self
    }

    /// A Deployment `name` whose ReplicaSet `name-rs` has one Ready pod on each of `placement`
    /// (pods `name-rs-0`, ...), as the disruption controller sees them (scale = `replicas`).
    #[must_use]
    pub fn deployment(
        mut self,
        ns: &str,
        name: &str,
        replicas: i64,
        cpu: &str,
        memory: &str,
        placement: &[&str],
    ) -> Self {
        let rs = format!("{name}-rs");
        self.objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"), "creationTimestamp": CREATED},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}}}}));
        self.objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs, "namespace": ns, "uid": format!("uid-{rs}"), "creationTimestamp": CREATED,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                    "uid": format!("uid-{name}"), "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}}}}));
        for (i, n) in placement.iter().enumerate() {
            self.objects.push(pod(
                ns,
                &format!("{rs}-{i}"),
                n,
                json!({"app": name}),
                cpu,
                memory,
                Some(("ReplicaSet", &rs)),
            ));
        }
        self
    }

    /// A StatefulSet `name` with pods `name-0..` on `placement`.
    #[must_use]
    pub fn statefulset(mut self, ns: &str, name: &str, cpu: &str, memory: &str, placement: &[&str]) -> Self {
        self.objects.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"), "creationTimestamp": CREATED},
            "spec": {"replicas": placement.len(), "serviceName": name, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}}}}));
        for (i, n) in placement.iter().enumerate() {
            self.objects.push(pod(
                ns,
                &format!("{name}-{i}"),
                n,
                json!({"app": name}),
                cpu,
                memory,
                Some(("StatefulSet", name)),
            ));
        }
        self
    }

    /// A DaemonSet `name` with one pod per node of `placement`.
    #[must_use]
    pub fn daemonset(mut self, ns: &str, name: &str, placement: &[&str]) -> Self {
        self.objects.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"), "creationTimestamp": CREATED},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}}}}));
        for n in placement {
            self.objects.push(pod(
                ns,
                &format!("{name}-{n}"),
                n,
                json!({"app": name}),
                "10m",
                "16Mi",
                Some(("DaemonSet", name)),
            ));
        }
        self
    }

    /// An unmanaged pod (no controller).
    #[must_use]
    pub fn bare_pod(mut self, ns: &str, name: &str, node: &str) -> Self {
        self.objects
            .push(pod(ns, name, node, json!({"app": name}), "10m", "16Mi", None));
        self
    }

    /// A policy/v1 budget selecting `app: app` with `minAvailable`.
    #[must_use]
    pub fn pdb_min_available(self, ns: &str, app: &str, min: Value) -> Self {
        self.pdb(
            ns,
            &format!("{app}-pdb"),
            json!({"matchLabels": {"app": app}}),
            json!({"minAvailable": min}),
        )
    }

    /// A policy/v1 budget selecting `app: app` with `maxUnavailable`.
    #[must_use]
    pub fn pdb_max_unavailable(self, ns: &str, app: &str, max: Value) -> Self {
        self.pdb(
            ns,
            &format!("{app}-pdb"),
            json!({"matchLabels": {"app": app}}),
            json!({"maxUnavailable": max}),
        )
    }

    /// A policy/v1 budget with any selector; `spec` holds minAvailable/maxUnavailable/...
    #[must_use]
    pub fn pdb(mut self, ns: &str, name: &str, selector: Value, mut spec: Value) -> Self {
        spec["selector"] = selector;
        self.objects
            .push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns, "generation": 1, "creationTimestamp": CREATED},
            "spec": spec}));
        self
    }

    /// The documents so far (to adjust one before `build`).
    pub fn objects_mut(&mut self) -> &mut Vec<Value> {
        &mut self.objects
    }

    /// The inventory (a snapshot, as `read_snapshot` would give).
    pub fn build(self) -> Inventory {
        inventory(&self.version, self.objects)
    }
}

/// An inventory of `objects` from a cluster at `version`; documents without apiVersion or
/// kind are skipped.
pub fn inventory(version: &str, objects: Vec<Value>) -> Inventory {
    let mut inv = Inventory::new(SourceKind::Snapshot, "snapshot:test", "test");
    inv.cluster.server_version = KubeVersion::parse(version).ok();
    inv.cluster.captured_at = Some(CREATED.to_owned());
    inv.objects = objects
        .into_iter()
        .filter_map(|v| Object::from_node(v, None))
        .collect();
    inv
}
