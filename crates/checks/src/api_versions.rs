//! Shared by `api-removed` and `api-deprecated`: which apiVersions an object is known by.

use std::sync::OnceLock;

use mcp_diag_data::{API_PLANNED_REMOVALS, API_REMOVALS, ApiRemoval, PlannedRemoval};
use mcp_diag_model::{Finding, Inventory, ManagedWrite, Object, SourceKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::{CheckInfo, Context, FindingBuilder};

/// An apiVersion an object uses, and where that was seen.
pub(crate) struct Usage<'a> {
    pub object: &'a Object,
    pub api_version: String,
    pub evidence: &'static str,
    /// For `managed fields` evidence: the client that wrote with this apiVersion.
    pub manager: Option<ManagedWrite>,
}

impl Usage<'_> {
    /// A finding of `info` about this use: the object, named with the apiVersion it was
    /// used with, and where that use was seen.
    pub(crate) fn about(&self, info: &'static CheckInfo) -> FindingBuilder {
        info.about(self.object)
            .api_version(&self.api_version)
            .evidence(self.evidence)
    }
}

pub(crate) const LAST_APPLIED_EVIDENCE: &str = "last-applied annotation";
pub(crate) const HELM_RELEASE_EVIDENCE: &str = "Helm release";
pub(crate) const MANAGED_FIELDS_EVIDENCE: &str = "managed fields";

/// The apiVersions an object is known to be used with. For a manifest (and a Helm release's
/// stored manifest) that starts with its own apiVersion: the file is what gets applied. A
/// stored object (live read or snapshot) is different: the server converts it to whichever
/// served version the client lists it at, so its listed apiVersion says nothing about what
/// anyone uses (a FlowSchema exported at `v1beta2` is served at `v1` too). Its evidence is
/// what clients sent: the version recorded by `kubectl apply` (the manifest in Git) and the
/// versions clients wrote it with (`managedFields`), each once.
pub(crate) fn usages<'a>(inventory: &'a Inventory, object: &'a Object) -> impl Iterator<Item = Usage<'a>> {
    let own = match inventory.kind {
        SourceKind::Manifests => Some("manifest"),
        SourceKind::Snapshot | SourceKind::Live => None,
    };
    usages_as(object, own)
}

/// The usages of one object; `own` is the evidence its own apiVersion counts as, `None` for
/// a stored object, whose listed apiVersion is no evidence.
fn usages_as<'a>(object: &'a Object, own: Option<&'static str>) -> impl Iterator<Item = Usage<'a>> {
    let applied = object
        .applied_api_version
        .clone()
        .filter(|av| own.is_none() || *av != object.api_version);
    // The model keeps the writes at versions other than the listed one; for a stored object
    // a write at the listed version is evidence too.
    let at_listed = own.is_none().then(|| managed_write_at(object)).flatten();
    let managed = object
        .managed_api_versions
        .iter()
        .cloned()
        .chain(at_listed)
        .filter(move |w| Some(&w.api_version) != object.applied_api_version.as_ref())
        .map(move |w| Usage {
            object,
            api_version: w.api_version.clone(),
            evidence: MANAGED_FIELDS_EVIDENCE,
            manager: Some(w),
        });
    own.map(|evidence| Usage {
        object,
        api_version: object.api_version.clone(),
        evidence,
        manager: None,
    })
    .into_iter()
    .chain(applied.map(|api_version| Usage {
        object,
        api_version,
        evidence: LAST_APPLIED_EVIDENCE,
        manager: None,
    }))
    .chain(managed)
}

/// The first `managedFields` entry written at the object's own apiVersion, if any.
fn managed_write_at(object: &Object) -> Option<ManagedWrite> {
    let entry = object
        .raw
        .path(&["metadata", "managedFields"])?
        .as_seq()?
        .iter()
        .find(|e| e.get("apiVersion").and_then(|v| v.as_str()) == Some(object.api_version.as_str()))?;
    Some(ManagedWrite {
        manager: entry
            .get("manager")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .to_owned(),
        api_version: object.api_version.clone(),
        time: entry.get("time").and_then(|v| v.as_str()).map(str::to_owned),
    })
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
        usages_as(object, Some(HELM_RELEASE_EVIDENCE)).filter_map(|usage| finding(ctx, &usage))
    }));
    found
}

type Key = (&'static str, &'static str, &'static str);

fn split(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// O(1) lookups into the removal table; 100,000 objects times 100 rows adds up. Three
/// checks ask for every object: a fast hash (the keys are our own table's, not input).
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
