//! Where the inventory uses in-tree volume plugins, and what else it says about them
//! (running CSI drivers, classes, claims), for storage-intree-plugin-removed.

use std::collections::HashMap;

use mcp_diag_data::intree::{self, CSI_DRIVER_IMAGES, INTREE_PLUGINS, InTreePlugin};
use mcp_diag_model::{Inventory, Node, Object};

use crate::components::{is_owned, split_image};

/// How an object uses an in-tree plugin.
pub(crate) enum Via {
    StorageClass,
    PersistentVolume,
    /// A volume of a pod (or of a workload's pod template), by name.
    Volume(String),
}

pub(crate) struct Use<'a> {
    pub(crate) object: &'a Object,
    pub(crate) plugin: &'static InTreePlugin,
    pub(crate) via: Via,
}

/// The pod spec of a Pod or of a workload's template.
fn pod_spec(object: &Object) -> Option<Node<'_>> {
    match object.kind.as_str() {
        "Pod" => object.raw.get("spec"),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" | "ReplicationController" => {
            object.raw.path(&["spec", "template", "spec"])
        }
        "CronJob" => object
            .raw
            .path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

pub(crate) fn collect_uses(inventory: &Inventory) -> Vec<Use<'_>> {
    let mut uses = Vec::new();
    for object in &inventory.objects {
        match object.kind.as_str() {
            "StorageClass" => {
                if let Some(plugin) = object
                    .raw
                    .get("provisioner")
                    .and_then(Node::as_str)
                    .and_then(intree::by_provisioner)
                {
                    uses.push(Use {
                        object,
                        plugin,
                        via: Via::StorageClass,
                    });
                }
            }
            "PersistentVolume" => {
                let entries = object.raw.get("spec").and_then(Node::as_map).unwrap_or_default();
                uses.extend(entries.iter().filter_map(|(key, _)| {
                    intree::by_volume_source(key).map(|plugin| Use {
                        object,
                        plugin,
                        via: Via::PersistentVolume,
                    })
                }));
            }
            // Pods and ReplicaSets/Jobs made by a controller are reported through it.
            "Pod" | "ReplicaSet" | "Job" if is_owned(object) => {}
            _ => {
                let Some(spec) = pod_spec(object) else { continue };
                let volumes = spec.get("volumes").and_then(Node::as_seq).unwrap_or_default();
                for volume in volumes {
                    let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
                    for (key, _) in volume.as_map().unwrap_or_default() {
                        if let Some(plugin) = intree::by_volume_source(key) {
                            uses.push(Use {
                                object,
                                plugin,
                                via: Via::Volume(name.to_owned()),
                            });
                        }
                    }
                }
            }
        }
    }
    uses
}

/// What the rest of the inventory says: which CSI drivers run, which classes use them, which
/// claims use a class.
pub(crate) struct Facts {
    /// Driver name -> where it was seen.
    pub(crate) drivers: HashMap<&'static str, String>,
    /// Provisioner -> StorageClass names.
    pub(crate) classes: HashMap<String, Vec<String>>,
    /// StorageClass name -> claims using it (`namespace/name`).
    pub(crate) claims: HashMap<String, Vec<String>>,
}

impl Facts {
    pub(crate) fn gather(inventory: &Inventory) -> Self {
        let wanted: Vec<&'static str> = INTREE_PLUGINS.iter().filter_map(|p| p.csi_driver).collect();
        let mut from_objects: HashMap<&'static str, String> = HashMap::new();
        let mut from_workloads: HashMap<&'static str, String> = HashMap::new();
        let mut classes: HashMap<String, Vec<String>> = HashMap::new();
        let mut claims: HashMap<String, Vec<String>> = HashMap::new();
        for object in &inventory.objects {
            match object.kind.as_str() {
                "CSIDriver" => {
                    if let Some(driver) = wanted.iter().find(|d| **d == object.name) {
                        from_objects
                            .entry(driver)
                            .or_insert_with(|| format!("CSIDriver {} exists", object.name));
                    }
                }
                "StorageClass" => {
                    if let Some(p) = object.raw.get("provisioner").and_then(Node::as_str) {
                        classes.entry(p.to_owned()).or_default().push(object.name.clone());
                    }
                }
                "PersistentVolumeClaim" => {
                    let class = object
                        .raw
                        .path(&["spec", "storageClassName"])
                        .or_else(|| {
                            object.raw.path(&[
                                "metadata",
                                "annotations",
                                "volume.beta.kubernetes.io/storage-class",
                            ])
                        })
                        .and_then(Node::as_str);
                    if let Some(class) = class {
                        claims.entry(class.to_owned()).or_default().push(format!(
                            "{}/{}",
                            object.namespace.as_deref().unwrap_or(""),
                            object.name
                        ));
                    }
                }
                "Pod" | "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" => {
                    let phase = object.raw.path(&["status", "phase"]).and_then(Node::as_str);
                    if matches!(phase, Some("Succeeded" | "Failed")) {
                        continue;
                    }
                    if let Some(spec) = pod_spec(object) {
                        drivers_in_pod(object, spec, &wanted, &mut from_workloads);
                    }
                }
                _ => {}
            }
        }
        for (driver, evidence) in from_workloads {
            from_objects.entry(driver).or_insert(evidence);
        }
        Self {
            drivers: from_objects,
            classes,
            claims,
        }
    }
}

pub(crate) fn where_seen(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// Drivers a pod spec runs (by image) or registers (driver name in args, env or host paths,
/// as node-driver-registrar's `--kubelet-registration-path=/var/lib/kubelet/plugins/<driver>/`).
fn drivers_in_pod(
    object: &Object,
    spec: Node<'_>,
    wanted: &[&'static str],
    found: &mut HashMap<&'static str, String>,
) {
    let containers = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Node::as_seq))
        .flatten();
    let mut texts: Vec<&str> = Vec::new();
    for c in containers {
        if let Some(image) = c.get("image").and_then(Node::as_str) {
            let (path, _) = split_image(image);
            for known in CSI_DRIVER_IMAGES {
                let suffix = known.repository_suffix;
                if path == suffix || path.strip_suffix(suffix).is_some_and(|p| p.ends_with('/')) {
                    found
                        .entry(known.driver)
                        .or_insert_with(|| format!("{} runs image {image}", where_seen(object)));
                }
            }
        }
        for key in ["args", "command"] {
            texts.extend(
                c.get(key)
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::as_str),
            );
        }
        texts.extend(
            c.get("env")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|e| e.get("value").and_then(Node::as_str)),
        );
    }
    texts.extend(
        spec.get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.path(&["hostPath", "path"]).and_then(Node::as_str)),
    );
    for driver in wanted {
        if texts.iter().any(|t| contains_token(t, driver)) {
            found
                .entry(driver)
                .or_insert_with(|| format!("{} registers {driver}", where_seen(object)));
        }
    }
}

/// `needle` occurs in `text` with no name character right before or after it, so that
/// `ebs.csi.aws.com` matches `/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock` but not
/// `xebs.csi.aws.com.example`.
fn contains_token(text: &str, needle: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_';
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(name_char) && !after.is_some_and(name_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(contains_token(
            "/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock",
            "ebs.csi.aws.com"
        ));
        assert!(contains_token("--drivername=ebs.csi.aws.com", "ebs.csi.aws.com"));
        assert!(!contains_token("xebs.csi.aws.com", "ebs.csi.aws.com"));
        assert!(!contains_token("ebs.csi.aws.com.example", "ebs.csi.aws.com"));
    }
}
