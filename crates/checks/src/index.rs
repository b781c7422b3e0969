//! Lookups the relational checks share, built once per scan: objects by kind, pods by
//! namespace and node, objects by uid. Checks that relate objects (budgets to pods, claims to
//! volumes, taints to tolerations) use these instead of scanning all objects per object.

use rustc_hash::FxHashMap as HashMap;

use mcp_diag_model::{Inventory, Node, Object};

use crate::selector::{Selector, labels_of};

/// The ownerReference that controls `object`: the one with `controller: true`, else the first.
fn controller_ref(object: &Object) -> Option<Node<'_>> {
    let refs = object.raw.path(&["metadata", "ownerReferences"])?.as_seq()?;
    refs.iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .or_else(|| refs.first())
}

#[derive(Debug, Default)]
pub struct Index<'a> {
    by_kind: HashMap<&'a str, Vec<&'a Object>>,
    pods_by_namespace: HashMap<&'a str, Vec<&'a Object>>,
    pods_by_node: HashMap<&'a str, Vec<&'a Object>>,
    by_uid: HashMap<&'a str, &'a Object>,
    /// Pods whose ReplicaSet is not in the input, by address, to the Deployment inferred
    /// for them (see [`Index::build`]).
    inferred: HashMap<usize, &'a Object>,
    /// The pod templates the spec checks read, found by the first check that asks (six
    /// checks share them; on 150,000 pods each pass costs as much as a whole check).
    pub(crate) workloads: std::sync::OnceLock<Vec<crate::workloads::Workload<'a>>>,
    /// The Services with a selector, by namespace, filed by label; built by the first check
    /// that asks.
    services: std::sync::OnceLock<HashMap<&'a str, ServiceSelectors<'a>>>,
    /// What each PodDisruptionBudget covers: three checks and every hop of a plan read it.
    pub(crate) budgets: std::sync::OnceLock<crate::budgets::Coverage<'a>>,
}

/// The Services of one namespace that select pods, and their selectors filed for lookup
/// (ids are positions in `services`).
#[derive(Debug)]
pub struct ServiceSelectors<'a> {
    pub services: Vec<&'a Object>,
    pub index: crate::selector::SelectorIndex,
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
        index.infer_deployments();
        index
    }

    /// A pod whose controller is a ReplicaSet missing from the input (a `kubectl get` export
    /// without `rs`) belongs to Deployment `D` of its namespace when the ReplicaSet is named
    /// `D-<hash>`, the pod carries `pod-template-hash: <hash>` (the Deployment controller
    /// names its ReplicaSets so and labels their pods so), and `D`'s selector matches the
    /// pod. The planner infers the same; without it, every pod check would report the pods
    /// once more next to their Deployment.
    fn infer_deployments(&mut self) {
        // The pods that ask first (most inputs have none): reading every Deployment's
        // selector for nothing cost a tenth of the index on a large inventory.
        let mut asking = Vec::new();
        for pod in self.of_kind("Pod") {
            let Some(owner) = controller_ref(pod) else {
                continue;
            };
            if owner.get("kind").and_then(Node::as_str) != Some("ReplicaSet")
                || owner
                    .get("uid")
                    .and_then(Node::as_str)
                    .is_some_and(|uid| self.by_uid.contains_key(uid))
            {
                continue;
            }
            let labels = labels_of(pod.raw.root());
            let Some(hash) = labels
                .and_then(|l| l.get("pod-template-hash"))
                .and_then(Node::as_str)
                .filter(|h| !h.is_empty())
            else {
                continue;
            };
            let Some(deployment) = owner
                .get("name")
                .and_then(Node::as_str)
                .and_then(|n| n.strip_suffix(hash))
                .and_then(|n| n.strip_suffix('-'))
            else {
                continue;
            };
            asking.push((*pod, deployment, labels));
        }
        if asking.is_empty() {
            return;
        }
        let deployments: HashMap<(&'a str, &'a str), (&'a Object, Option<Selector>)> = self
            .of_kind("Deployment")
            .iter()
            .map(|d| {
                let selector = d
                    .raw
                    .path(&["spec", "selector"])
                    .and_then(|s| Selector::from_label_selector(s).ok());
                (
                    (d.namespace.as_deref().unwrap_or("default"), d.name.as_str()),
                    (*d, selector),
                )
            })
            .collect();
        let mut inferred = HashMap::default();
        for (pod, deployment, labels) in asking {
            let ns = pod.namespace.as_deref().unwrap_or("default");
            if let Some((d, Some(selector))) = deployments.get(&(ns, deployment))
                && !selector.is_empty()
                && selector.matches(labels)
            {
                inferred.insert(std::ptr::from_ref(pod) as usize, *d);
            }
        }
        self.inferred = inferred;
    }

    /// The Services of `namespace` whose selector matches `labels` (a pod's, or a pod
    /// template's), in input order. Services without a selector (or with an empty one)
    /// select nothing, as the endpoints controller treats them.
    pub fn services_selecting(&self, namespace: &str, labels: Option<Node<'_>>) -> Vec<&'a Object> {
        let by_namespace = self.services.get_or_init(|| {
            let mut by_namespace: HashMap<&'a str, (Vec<&'a Object>, Vec<Selector>)> = HashMap::default();
            for svc in self.of_kind("Service") {
                let Some(sel) = svc.raw.path(&["spec", "selector"]).filter(|s| !s.is_null()) else {
                    continue;
                };
                let selector = Selector::from_map(sel);
                if selector.is_empty() {
                    continue;
                }
                let (services, selectors) = by_namespace
                    .entry(svc.namespace.as_deref().unwrap_or("default"))
                    .or_default();
                services.push(*svc);
                selectors.push(selector);
            }
            by_namespace
                .into_iter()
                .map(|(ns, (services, selectors))| {
                    let index = crate::selector::SelectorIndex::new(selectors);
                    (ns, ServiceSelectors { services, index })
                })
                .collect()
        });
        let Some(found) = by_namespace.get(namespace) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        found.index.matching_into(labels, &mut ids);
        ids.into_iter().map(|id| found.services[id]).collect()
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
    /// A pod whose ReplicaSet is missing but whose Deployment is inferred answers that
    /// Deployment.
    pub fn controller_of(&self, object: &Object) -> Option<&'a Object> {
        let chosen = controller_ref(object)?;
        chosen
            .get("uid")
            .and_then(Node::as_str)
            .and_then(|uid| self.by_uid(uid))
            .or_else(|| self.inferred_deployment_of(object))
    }

    /// The Deployment inferred for a pod whose ReplicaSet is not in the input.
    pub fn inferred_deployment_of(&self, pod: &Object) -> Option<&'a Object> {
        if self.inferred.is_empty() {
            return None;
        }
        self.inferred.get(&(std::ptr::from_ref(pod) as usize)).copied()
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

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, SourceKind};

    use crate::rules::test_support::{inventory, scan_yaml};

    /// A Deployment `web` without probes and with an emptyDir, and two of its pods whose
    /// ReplicaSet `web-<rs_hash>` is not in the input; the pods carry `pod-template-hash:
    /// <label_hash>`.
    fn export(rs_hash: &str, label_hash: &str) -> String {
        let mut yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, uid: d1}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: web:1, volumeMounts: [{name: cache, mountPath: /data}]}], volumes: [{name: cache, emptyDir: {}}]}\n---\n".to_owned();
        for i in 0..2 {
            yaml.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{rs_hash}-{i}\n  namespace: shop\n  labels: {{app: web, pod-template-hash: \"{label_hash}\"}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-{rs_hash}, uid: rs-gone, controller: true}}]\nspec:\n  nodeName: n1\n  containers: [{{name: c, image: web:1, volumeMounts: [{{name: cache, mountPath: /data}}]}}]\n  volumes: [{{name: cache, emptyDir: {{}}}}]\nstatus: {{phase: Running}}\n---\n"
            ));
        }
        yaml
    }

    fn scan(yaml: &str) -> Vec<mcp_diag_model::Finding> {
        let inv = inventory(yaml, SourceKind::Snapshot);
        crate::run_all(
            &inv,
            &crate::Settings {
                target: Minor::new(1, 30),
                current: Some(Minor::new(1, 29)),
                today: crate::rules::test_support::TODAY,
                rules: &[],
                options: &crate::rules::test_support::options(),
            },
        )
    }

    #[test]
    fn pods_of_a_missing_replica_set_belong_to_the_inferred_deployment() {
        let yaml = export("5d9f7c", "5d9f7c");
        let inv = inventory(&yaml, SourceKind::Snapshot);
        let index = super::Index::build(&inv);
        let pod = index.of_kind("Pod")[0];
        assert_eq!(index.top_owner_of(pod).kind, "Deployment");
        let findings = scan(&yaml);
        for check in ["probe-missing-readiness", "pod-local-data"] {
            let f: Vec<_> = findings.iter().filter(|f| f.check == check).collect();
            assert_eq!(f.len(), 1, "{check}: one finding, the Deployment's: {f:#?}");
            assert_eq!(
                f[0].object.as_ref().map(|o| o.kind.as_str()),
                Some("Deployment"),
                "{check}"
            );
        }
        assert!(
            findings.iter().all(|f| !f.message.contains("not in the input")),
            "{findings:#?}"
        );
    }

    #[test]
    fn no_inference_without_the_hash_the_name_or_a_matching_selector() {
        // The label's hash is not the ReplicaSet name's suffix.
        let other = export("5d9f7c", "aaaaaa");
        // The Deployment's selector does not match the pods.
        let unmatched =
            export("5d9f7c", "5d9f7c").replace("matchLabels: {app: web}", "matchLabels: {app: api}");
        for yaml in [other, unmatched] {
            let inv = inventory(&yaml, SourceKind::Snapshot);
            let index = super::Index::build(&inv);
            assert_eq!(index.top_owner_of(index.of_kind("Pod")[0]).kind, "Pod");
            let probe: Vec<_> = scan(&yaml)
                .into_iter()
                .filter(|f| f.check == "probe-missing-readiness")
                .collect();
            assert_eq!(
                probe.len(),
                2,
                "the Deployment and the pods of the unknown owner: {probe:#?}"
            );
        }
        // Manifests (no pods) are unaffected.
        assert!(!scan_yaml(&export("5d9f7c", "5d9f7c"), Minor::new(1, 30), None).is_empty());
    }
}
