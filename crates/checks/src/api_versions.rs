//! Shared by `api-removed` and `api-deprecated`: which apiVersions an object is known by.

use std::collections::HashMap;
use std::sync::OnceLock;

use mcp_diag_data::{API_PLANNED_REMOVALS, API_REMOVALS, ApiRemoval, PlannedRemoval};
use mcp_diag_model::{Inventory, Object, SourceKind};
use serde::Deserialize;

/// An apiVersion an object uses, and where that was seen.
pub(crate) struct Usage<'a> {
    pub object: &'a Object,
    pub api_version: String,
    pub evidence: &'static str,
}

pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Deserialize)]
struct Applied {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
}

/// The object's own apiVersion, plus the one recorded by `kubectl apply` when it differs:
/// that is the version the manifests in Git still use.
pub(crate) fn usages<'a>(inventory: &'a Inventory, object: &'a Object) -> impl Iterator<Item = Usage<'a>> {
    let own = match inventory.kind {
        SourceKind::Manifests => "manifest",
        SourceKind::Snapshot | SourceKind::Live => "stored object",
    };
    let applied = object
        .annotation(LAST_APPLIED)
        .and_then(|text| serde_json::from_str::<Applied>(text).ok())
        .and_then(|a| match (a.api_version, a.kind) {
            (Some(av), Some(kind)) if kind == object.kind && av != object.api_version => Some(av),
            _ => None,
        });
    std::iter::once(Usage {
        object,
        api_version: object.api_version.clone(),
        evidence: own,
    })
    .chain(applied.map(|api_version| Usage {
        object,
        api_version,
        evidence: "last-applied annotation",
    }))
}

type Key = (&'static str, &'static str, &'static str);

fn split(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// O(1) lookups into the removal table; 100,000 objects times 100 rows adds up.
pub(crate) fn removal(api_version: &str, kind: &str) -> Option<&'static ApiRemoval> {
    static INDEX: OnceLock<HashMap<Key, &'static ApiRemoval>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        API_REMOVALS
            .iter()
            .map(|r| ((r.group, r.version, r.kind), r))
            .collect()
    });
    let (group, version) = split(api_version);
    index.get(&(group, version, kind)).copied()
}

pub(crate) fn planned(api_version: &str, kind: &str) -> Option<&'static PlannedRemoval> {
    static INDEX: OnceLock<HashMap<Key, &'static PlannedRemoval>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        API_PLANNED_REMOVALS
            .iter()
            .map(|r| ((r.group, r.version, r.kind), r))
            .collect()
    });
    let (group, version) = split(api_version);
    index.get(&(group, version, kind)).copied()
}
