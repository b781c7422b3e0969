//! CustomResourceDefinitions as the crd-* rules read them: versions (served, stored,
//! deprecated), stored versions in status, and how many objects use each.

use std::collections::HashMap;

use mcp_diag_model::{Inventory, Node, Object};
/// One version of a CustomResourceDefinition.
pub(crate) struct CrdVersion<'a> {
    pub name: &'a str,
    pub served: bool,
    pub storage: bool,
    pub deprecated: bool,
    pub warning: Option<&'a str>,
}

/// The parts of a CustomResourceDefinition the CRD checks read.
pub(crate) struct Crd<'a> {
    pub object: &'a Object,
    pub group: &'a str,
    pub kind: &'a str,
    /// `plural.group`, the name kubectl takes.
    pub resource: String,
    pub versions: Vec<CrdVersion<'a>>,
    /// Some entry of `spec.versions` could not be read: absence from `versions` proves
    /// nothing then.
    pub incomplete: bool,
    pub stored: Vec<&'a str>,
}

impl Crd<'_> {
    pub fn version(&self, name: &str) -> Option<&CrdVersion<'_>> {
        self.versions.iter().find(|v| v.name == name)
    }

    pub fn storage_version(&self) -> Option<&str> {
        self.versions.iter().find(|v| v.storage).map(|v| v.name)
    }

    pub fn served(&self) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name)
            .collect()
    }

    pub fn api_version(&self, version: &str) -> String {
        format!("{}/{version}", self.group)
    }
}

/// Reads a CustomResourceDefinition; `None` for anything else and for CRDs without a group,
/// a kind or any version (nothing safe can be said about those).
pub(crate) fn parse_crd(object: &Object) -> Option<Crd<'_>> {
    if object.kind != "CustomResourceDefinition" || object.group_version().0 != "apiextensions.k8s.io" {
        return None;
    }
    let spec = object.raw.get("spec")?;
    let group = spec.get("group")?.as_str()?;
    let names = spec.get("names")?;
    let kind = names.get("kind")?.as_str()?;
    let plural = names
        .get("plural")
        .and_then(Node::as_str)
        .map_or_else(|| kind.to_ascii_lowercase(), str::to_owned);
    let flag = |v: Node<'_>, key: &str, default: bool| v.get(key).and_then(Node::as_bool).unwrap_or(default);
    let entries = spec.get("versions").and_then(Node::as_seq).unwrap_or_default();
    let mut versions: Vec<CrdVersion<'_>> = entries
        .iter()
        .filter_map(|v| {
            Some(CrdVersion {
                name: v.get("name")?.as_str()?,
                // A missing or odd `served` reads as served: never invent an unserved version.
                served: flag(v, "served", true),
                storage: flag(v, "storage", false),
                deprecated: flag(v, "deprecated", false),
                warning: v.get("deprecationWarning").and_then(Node::as_str),
            })
        })
        .collect();
    let incomplete = versions.len() != entries.len();
    if versions.is_empty() {
        // apiextensions.k8s.io/v1beta1 allowed a single `spec.version`.
        let name = spec.get("version")?.as_str()?;
        versions.push(CrdVersion {
            name,
            served: true,
            storage: true,
            deprecated: false,
            warning: None,
        });
    }
    let stored = object
        .raw
        .path(&["status", "storedVersions"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    Some(Crd {
        object,
        group,
        kind,
        resource: format!("{plural}.{group}"),
        versions,
        incomplete,
        stored,
    })
}

/// Every readable CRD in the inventory.
pub(crate) fn crds(inventory: &Inventory) -> Vec<Crd<'_>> {
    inventory
        .objects
        .iter()
        .filter(|o| o.kind == "CustomResourceDefinition")
        .filter_map(parse_crd)
        .collect()
}

/// CRDs by (group, kind): a manifest repository may hold more than one copy of a CRD.
pub(crate) fn index<'c, 'a>(crds: &'c [Crd<'a>]) -> HashMap<(&'a str, &'a str), Vec<&'c Crd<'a>>> {
    let mut by_key: HashMap<(&str, &str), Vec<&Crd<'_>>> = HashMap::new();
    for crd in crds {
        by_key.entry((crd.group, crd.kind)).or_default().push(crd);
    }
    by_key
}

/// How many custom resources of each (group, kind) the inventory holds, for the CRDs given.
pub(crate) fn counts<'a>(inventory: &'a Inventory, crds: &[Crd<'a>]) -> HashMap<(&'a str, &'a str), usize> {
    let mut counts: HashMap<(&str, &str), usize> = crds.iter().map(|c| ((c.group, c.kind), 0)).collect();
    for object in &inventory.objects {
        let (group, _) = object.group_version();
        if let Some(n) = counts.get_mut(&(group, object.kind.as_str())) {
            *n += 1;
        }
    }
    counts
}
