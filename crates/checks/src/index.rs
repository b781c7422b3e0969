//! Lookups the relational checks share, built once per scan: objects by kind, pods by
//! namespace and node, objects by uid. Checks that relate objects (budgets to pods, claims to
//! volumes, taints to tolerations) use these instead of scanning all objects per object.

use rustc_hash::FxHashMap as HashMap;

use mcp_diag_model::{Inventory, Node, Object};

#[derive(Debug, Default)]
pub struct Index<'a> {
    by_kind: HashMap<&'a str, Vec<&'a Object>>,
    pods_by_namespace: HashMap<&'a str, Vec<&'a Object>>,
    pods_by_node: HashMap<&'a str, Vec<&'a Object>>,
    by_uid: HashMap<&'a str, &'a Object>,
    /// The pod templates the spec checks read, found by the first check that asks (six
    /// checks share them; on 150,000 pods each pass costs as much as a whole check).
    pub(crate) workloads: std::sync::OnceLock<Vec<crate::rules::probe_missing_readiness::Workload<'a>>>,
}

impl<'a> Index<'a> {
    pub fn build(inventory: &'a Inventory) -> Self {
        let mut index = Self::default();
        for object in &inventory.objects {
            index
                .by_kind
                .entry(object.kind.as_str())
                .or_default()
                .push(object);
            if let Some(uid) = object.raw.path(&["metadata", "uid"]).and_then(Node::as_str) {
                index.by_uid.insert(uid, object);
            }
            if object.kind == "Pod" {
                let ns = object.namespace.as_deref().unwrap_or("default");
                index.pods_by_namespace.entry(ns).or_default().push(object);
                if let Some(node) = object.raw.path(&["spec", "nodeName"]).and_then(Node::as_str) {
                    index.pods_by_node.entry(node).or_default().push(object);
                }
            }
        }
        index
    }

    /// Every object of `kind` (any apiVersion), in input order.
    pub fn of_kind(&self, kind: &str) -> &[&'a Object] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// The Pods of a namespace.
    pub fn pods_in(&self, namespace: &str) -> &[&'a Object] {
        self.pods_by_namespace.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The Pods bound to a node (`spec.nodeName`).
    pub fn pods_on(&self, node: &str) -> &[&'a Object] {
        self.pods_by_node.get(node).map_or(&[], Vec::as_slice)
    }

    pub fn by_uid(&self, uid: &str) -> Option<&'a Object> {
        self.by_uid.get(uid).copied()
    }

    /// The controller owning `object` (the ownerReference with `controller: true`, else the
    /// first), when it is in the inventory.
    pub fn controller_of(&self, object: &Object) -> Option<&'a Object> {
        let refs = object.raw.path(&["metadata", "ownerReferences"])?.as_seq()?;
        let chosen = refs
            .iter()
            .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
            .or_else(|| refs.first())?;
        self.by_uid(chosen.get("uid")?.as_str()?)
    }

    /// The object at the top of the ownership chain (Pod -> ReplicaSet -> Deployment).
    pub fn top_owner_of(&self, object: &'a Object) -> &'a Object {
        let mut current = object;
        for _ in 0..8 {
            match self.controller_of(current) {
                Some(owner) => current = owner,
                None => break,
            }
        }
        current
    }
}
