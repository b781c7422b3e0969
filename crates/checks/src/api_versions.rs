//! Shared by `api-removed` and `api-deprecated`: which apiVersions an object is known by.

use std::collections::HashMap;
use std::sync::OnceLock;

use mcp_diag_data::{API_PLANNED_REMOVALS, API_REMOVALS, ApiRemoval, PlannedRemoval};
use mcp_diag_model::{Finding, Inventory, ManagedWrite, Object, SourceKind};
use rayon::prelude::*;

use crate::Context;

/// An apiVersion an object uses, and where that was seen.
pub(crate) struct Usage<'a> {
    pub object: &'a Object,
    pub api_version: String,
    pub evidence: &'static str,
    /// For `managed fields` evidence: the client that wrote with this apiVersion.
    pub manager: Option<&'a ManagedWrite>,
}

pub(crate) const LAST_APPLIED_EVIDENCE: &str = "last-applied annotation";
pub(crate) const HELM_RELEASE_EVIDENCE: &str = "Helm release";
pub(crate) const MANAGED_FIELDS_EVIDENCE: &str = "managed fields";

/// The object's own apiVersion, plus the one recorded by `kubectl apply` (the version the
/// manifests in Git still use) and those clients wrote it with (`managedFields`: controllers
/// and tools that still send an old version), when they differ.
pub(crate) fn usages<'a>(inventory: &'a Inventory, object: &'a Object) -> impl Iterator<Item = Usage<'a>> {
    let own = match inventory.kind {
        SourceKind::Manifests => "manifest",
        SourceKind::Snapshot | SourceKind::Live => "stored object",
    };
    usages_as(object, own)
}

/// The usages of one object whose own apiVersion counts as `own` evidence.
fn usages_as<'a>(object: &'a Object, own: &'static str) -> impl Iterator<Item = Usage<'a>> {
    let applied = object
        .applied_api_version
        .clone()
        .filter(|av| *av != object.api_version);
    let managed = object
        .managed_api_versions
        .iter()
        .filter(move |w| Some(&w.api_version) != object.applied_api_version.as_ref())
        .map(move |w| Usage {
            object,
            api_version: w.api_version.clone(),
            evidence: MANAGED_FIELDS_EVIDENCE,
            manager: Some(w),
        });
    std::iter::once(Usage {
        object,
        api_version: object.api_version.clone(),
        evidence: own,
        manager: None,
    })
    .chain(applied.map(|api_version| Usage {
        object,
        api_version,
        evidence: LAST_APPLIED_EVIDENCE,
        manager: None,
    }))
    .chain(managed)
}

/// Runs `finding` on every apiVersion every object is known by, in parallel.
pub(crate) fn for_each_usage(
    ctx: &Context<'_>,
    finding: fn(&Context<'_>, &Usage<'_>) -> Option<Finding>,
) -> Vec<Finding> {
    let mut found: Vec<Finding> = ctx
        .inventory
        .objects
        .par_iter()
        .flat_map_iter(|object| usages(ctx.inventory, object).filter_map(|usage| finding(ctx, &usage)))
        .collect();
    // What a Helm release will apply on its next upgrade or rollback.
    found.extend(ctx.inventory.helm_objects.iter().flat_map(|object| {
        usages_as(object, HELM_RELEASE_EVIDENCE).filter_map(|usage| finding(ctx, &usage))
    }));
    found
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
