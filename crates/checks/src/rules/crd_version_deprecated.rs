use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};

use crate::api_versions::usages;
use crate::crds::{Crd, CrdVersion, crds};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "crd-version-deprecated",
    severity: Severity::Medium,
    title: "CRD version marked deprecated",
    doc: r#"## What it checks
Every served version of a CustomResourceDefinition marked `deprecated: true`, reported once
per CRD version with its `deprecationWarning` and what still uses it:

- custom resources in the inventory at that version (their own `apiVersion` in manifests, or
  the one recorded in `kubectl.kubernetes.io/last-applied-configuration`, which is what the
  manifests in Git still say; a snapshot lists objects at the preferred version);
- `status.storedVersions`: objects may still be stored in etcd at that version.

`medium` when something uses the version; `info` when nothing in the inventory does (the
operator still ships it, but dropping it will not hurt this cluster).

## Why it matters
A deprecated version is the one the operator or chart removes next, often in the release that
supports the new Kubernetes version. Manifests that still use it then fail to apply (404), and
the CRD update itself fails while objects are still stored at it (see
`crd-stored-version-unserved`). Until then every request at that version returns the
deprecation warning.

## Example
```yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterpolicies.policy.example.com}
spec:
  group: policy.example.com
  versions:
  - name: v1alpha2
    served: true
    storage: false
    deprecated: true
    deprecationWarning: "policy.example.com/v1alpha2 ClusterPolicy is deprecated; use v1"
  - {name: v1, served: true, storage: true}
```
with three ClusterPolicy objects last applied as `policy.example.com/v1alpha2`.

## Fix
Change the manifests (Git, Helm values, GitOps applications) to the storage version and apply
them; then migrate stored objects and trim `status.storedVersions` (see
`mcp-diag explain crd-stored-version-unserved`) so that the operator's next release can drop
the old version.
"#,
};

pub struct CrdVersionDeprecated;

impl Check for CrdVersionDeprecated {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let crds = crds(ctx.inventory);
        let deprecated: Vec<(&Crd<'_>, &CrdVersion<'_>)> = crds
            .iter()
            .flat_map(|crd| {
                crd.versions
                    .iter()
                    .filter(|v| v.deprecated && v.served)
                    .map(move |v| (crd, v))
            })
            .collect();
        if deprecated.is_empty() {
            return Vec::new();
        }
        // Who uses each deprecated (group, version, kind): one pass over the inventory. Few
        // CRD versions are deprecated at once, so a short list beats a map here.
        let mut users: Vec<Users> = deprecated.iter().map(|_| Users::default()).collect();
        for object in &ctx.inventory.objects {
            for usage in usages(ctx.inventory, object) {
                let (group, version) = usage
                    .api_version
                    .rsplit_once('/')
                    .unwrap_or(("", usage.api_version.as_str()));
                let at = deprecated
                    .iter()
                    .position(|(crd, v)| crd.group == group && v.name == version && crd.kind == object.kind);
                if let Some(u) = at.and_then(|i| users.get_mut(i)) {
                    let name = match &object.namespace {
                        Some(ns) => format!("{ns}/{}", object.name),
                        None => object.name.clone(),
                    };
                    if usage.evidence == "last-applied annotation" {
                        u.applied += 1;
                    } else {
                        u.own += 1;
                    }
                    // An object is known by two apiVersions at most, and they differ, so it
                    // matches one deprecated version once.
                    if u.names.len() < NAMES_SHOWN {
                        u.names.push(name);
                    }
                }
            }
        }
        deprecated
            .into_iter()
            .zip(&users)
            .map(|((crd, v), u)| {
                let unknown = match ctx.known(crd.group, crd.kind) {
                    mcp_diag_model::Known::Incomplete(read) => Some(crate::gap_words(read)),
                    _ => None,
                };
                finding(crd, v, u, unknown)
            })
            .collect()
    }
}

#[derive(Default)]
struct Users {
    own: usize,
    applied: usize,
    names: Vec<String>,
}

/// How many object names a message lists before "and N more".
const NAMES_SHOWN: usize = 5;

/// `unknown`: why the custom resources of the CRD may not all be in the inventory, if so.
fn finding(crd: &Crd<'_>, version: &CrdVersion<'_>, users: &Users, unknown: Option<String>) -> Finding {
    let v = version.name;
    let api_version = crd.api_version(v);
    let stored = crd.stored.contains(&v);
    let warning = version.warning.map(|w| format!(" (\"{w}\")")).unwrap_or_default();
    let mut uses = Vec::new();
    let total = users.own + users.applied;
    if total > 0 {
        let mut names = users.names.join(", ");
        if total > NAMES_SHOWN {
            names.push_str(&format!(" and {} more", total - NAMES_SHOWN));
        }
        let how = match (users.own, users.applied) {
            (0, _) => "as last applied".to_owned(),
            (_, 0) => "as their apiVersion".to_owned(),
            (own, applied) => format!("{own} as their apiVersion, {applied} as last applied"),
        };
        uses.push(format!(
            "{total} {} object{} in the inventory use{} it ({how}): {names}",
            crd.kind,
            if total == 1 { "" } else { "s" },
            if total == 1 { "s" } else { "" },
        ));
    }
    if stored {
        uses.push(format!(
            "status.storedVersions still lists {v}, so objects may be stored as {v} in etcd"
        ));
    }
    let used = !uses.is_empty();
    let usage_unknown = !used && unknown.is_some();
    let usage_text = if used {
        format!("{}.", uses.join("; "))
    } else if let Some(why) = unknown {
        // Read from a cluster that did not list every custom resource: absence is not known.
        format!(
            "No object in the inventory uses it, but the custom resources were not read completely ({why}): whether any does is unknown."
        )
    } else {
        "Nothing in the inventory uses it.".to_owned()
    };
    let target = crd
        .storage_version()
        .filter(|s| *s != v)
        .map(|s| crd.api_version(s));
    let message = format!(
        "CustomResourceDefinition {} marks {api_version} as deprecated{warning}. {usage_text}",
        crd.resource
    );
    let move_to = match &target {
        Some(t) => format!("Move the manifests to {t} (the storage version) and apply them"),
        None => format!(
            "{v} is still the storage version: make a newer version the storage version (usually the operator's upgrade does), then move the manifests to it"
        ),
    };
    let remediation = if usage_unknown {
        format!(
            "Scan again once the {} objects can be read; meanwhile look for {api_version} in the manifests and charts that create them. {move_to} before the operator or chart drops {v}.",
            crd.kind
        )
    } else if used {
        format!(
            "{move_to} before the operator or chart drops {v}. Then migrate the stored objects and drop {v} from status.storedVersions (see `mcp-diag explain crd-stored-version-unserved`)."
        )
    } else {
        format!(
            "Nothing to migrate here; keep new manifests off {api_version}{}.",
            target
                .as_deref()
                .map(|t| format!(" and use {t}"))
                .unwrap_or_default()
        )
    };
    let mut details = BTreeMap::new();
    details.insert("crd", crd.resource.clone());
    details.insert("version", v.to_owned());
    if let Some(w) = version.warning {
        details.insert("deprecation_warning", w.to_owned());
    }
    details.insert("objects", total.to_string());
    details.insert("objects_last_applied", users.applied.to_string());
    details.insert("stored", stored.to_string());
    if let Some(t) = target {
        details.insert("replacement", t);
    }
    INFO.about(crd.object)
        .severity(if used { INFO.severity } else { Severity::Info })
        .title(format!("{api_version} {} is deprecated by its CRD", crd.kind))
        .message(message)
        .fix(remediation)
        .evidence("CRD spec.versions")
        .details(details)
        .build()
}
