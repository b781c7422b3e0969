//! The control-plane components an inventory shows (kube-apiserver, controller-manager,
//! scheduler, cloud-controller-manager), where each was seen and at which version, for
//! skew-control-plane.

use std::collections::BTreeMap;

use mcp_diag_data::skew::{self, CcmImage, SkewComponent};
use mcp_diag_model::{Inventory, KubeVersion, Minor, Node, Object};

use crate::Context;
use crate::components::split_image;
use crate::rules::skew_common::real_version;

/// One control-plane component seen in the inventory.
pub(crate) struct Sighting<'a> {
    pub(crate) component: SkewComponent,
    pub(crate) version: Option<KubeVersion>,
    pub(crate) raw: String,
    pub(crate) object: Option<&'a Object>,
    /// `Pod kube-system/kube-apiserver-cp-1 (image ...)` or `cluster.yaml components`.
    pub(crate) evidence: String,
    /// Static/mirror pods and `cluster.yaml`: upgraded by each control-plane hop.
    pub(crate) upgraded_with_hop: bool,
    /// For cloud-controller-manager: how the image is versioned, when known.
    pub(crate) ccm: Option<&'static CcmImage>,
}

impl Sighting<'_> {
    pub(crate) fn minor(&self) -> Option<Minor> {
        if self.component == SkewComponent::CloudControllerManager
            && !self.ccm.is_some_and(|c| c.tracks_kubernetes_minor)
        {
            return None;
        }
        self.version.as_ref().map(KubeVersion::minor)
    }

    pub(crate) fn where_(&self) -> String {
        match self.object {
            Some(o) => {
                let node = o
                    .raw
                    .path(&["spec", "nodeName"])
                    .and_then(Node::as_str)
                    .map(|n| format!(" on node {n}"))
                    .unwrap_or_default();
                format!("{}{node}", self.evidence)
            }
            None => self.evidence.clone(),
        }
    }

    pub(crate) fn details(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("component", self.component.as_str().to_owned()),
            ("version", self.raw.clone()),
        ])
    }
}

pub(crate) fn sightings<'a>(ctx: &Context<'a>) -> Vec<Sighting<'a>> {
    let inventory = ctx.inventory;
    let mut found = Vec::new();
    for c in ctx.components {
        let component = match c.name {
            "kube-apiserver" => SkewComponent::KubeApiserver,
            "kube-controller-manager" => SkewComponent::KubeControllerManager,
            "kube-scheduler" => SkewComponent::KubeScheduler,
            _ => continue,
        };
        if c.object.is_some_and(|o| owner_present(o, inventory)) {
            continue;
        }
        found.push(Sighting {
            component,
            version: c.version.clone().filter(|v| v.major > 0),
            raw: c.raw.clone(),
            object: c.object,
            evidence: c.evidence(),
            upgraded_with_hop: c.object.is_none_or(is_static_pod),
            ccm: None,
        });
    }
    for object in &inventory.objects {
        if !matches!(
            object.kind.as_str(),
            "Pod" | "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet"
        ) {
            continue;
        }
        for image in images(object) {
            let (path, tag) = split_image(image);
            let last = path.rsplit('/').next().unwrap_or(path);
            if !last.ends_with("cloud-controller-manager") || owner_present(object, inventory) {
                continue;
            }
            let tag = tag.unwrap_or("");
            let ns = object
                .namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            found.push(Sighting {
                component: SkewComponent::CloudControllerManager,
                version: real_version(tag),
                raw: if tag.is_empty() {
                    image.to_owned()
                } else {
                    tag.to_owned()
                },
                object: Some(object),
                evidence: format!("{} {ns}{} (image {image})", object.kind, object.name),
                upgraded_with_hop: is_static_pod(object),
                ccm: skew::ccm_image(path),
            });
        }
    }
    found
}

fn images(object: &Object) -> Vec<&str> {
    let spec = if object.kind == "Pod" {
        object.raw.get("spec")
    } else {
        object.raw.path(&["spec", "template", "spec"])
    };
    let Some(spec) = spec else { return Vec::new() };
    ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Node::as_seq))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Node::as_str))
        .collect()
}

/// A kubelet-managed pod (kubeadm's control plane): a mirror pod owned by its Node.
fn is_static_pod(object: &Object) -> bool {
    object.kind == "Pod"
        && (object.annotation("kubernetes.io/config.mirror").is_some()
            || owners(object).any(|(kind, _)| kind == "Node"))
}

fn owners(object: &Object) -> impl Iterator<Item = (&str, &str)> {
    object
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|o| Some((o.get("kind")?.as_str()?, o.get("name")?.as_str()?)))
}

/// Whether a workload that owns `object` is in the inventory (then it speaks for the pod).
pub(crate) fn owner_present(object: &Object, inventory: &Inventory) -> bool {
    owners(object).any(|(kind, name)| {
        kind != "Node"
            && inventory
                .objects
                .iter()
                .any(|o| o.kind == kind && o.name == name && o.namespace == object.namespace)
    })
}
