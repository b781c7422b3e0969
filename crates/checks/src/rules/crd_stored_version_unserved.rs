use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Inventory, Object, Severity, SourceKind};

use crate::api_versions::usages;
use crate::crds::{Crd, counts, crds, index};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "crd-stored-version-unserved",
    severity: Severity::Blocker,
    title: "CRD stored version no longer served",
    doc: r#"## What it checks
Every CustomResourceDefinition whose `status.storedVersions` lists a version that `spec.versions`
no longer has, or has with `served: false`. `status.storedVersions` is the API server's record
of every version objects of that resource were ever written in: until someone migrates the
objects and trims the list, objects in etcd may still be encoded in that version.

Custom resources whose own `apiVersion` (or the one recorded in their
`kubectl.kubernetes.io/last-applied-configuration`) their CRD does not serve are reported as
`api-removed`: that knowledge comes only from the CRD in the inventory, not from the tool's
tables.

## Why it matters
The API server refuses a CRD update that drops a version still listed in storedVersions
(`status.storedVersions[0]: Invalid value: "v1alpha1": must appear in spec.versions`). Operators
and charts drop old versions in exactly the releases that a cluster upgrade makes necessary, so
the add-on upgrade fails half-way (cert-manager 1.6 and Cluster API hit this). Forcing it by
editing storedVersions without migrating makes the objects still stored at the old version
unreadable: listing the resource fails for every client, the operator included.

## Example
```yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  versions:
  - {name: v1alpha1, served: false, storage: false}
  - {name: v1, served: true, storage: true}
status:
  storedVersions: [v1alpha1, v1]   # objects may still be stored as v1alpha1
```

## Fix
Storage version migration, as the Kubernetes documentation describes it ("Versions in
CustomResourceDefinitions"):

1. Rewrite every object so it is stored at the storage version: with the kube-storage-version-
   migrator (or a `StorageVersionMigration`), or by reading and writing each object back:
   `kubectl get widgets.example.com -A -o json | kubectl replace -f -`.
2. Remove the old version from the status:
   `kubectl patch crd widgets.example.com --subresource=status --type=merge -p '{"status":{"storedVersions":["v1"]}}'`
   (kubectl 1.24 or later).
3. Only then drop the version from `spec.versions` (or upgrade the chart that drops it).

If the version is already gone from `spec.versions`, add it back (`served: false` is enough) so
the API server can decode the old objects before step 1.
"#,
};

pub struct CrdStoredVersionUnserved;

impl Check for CrdStoredVersionUnserved {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let crds = crds(ctx.inventory);
        let problems: Vec<(&Crd<'_>, &str)> = crds
            .iter()
            .flat_map(|crd| {
                crd.stored
                    .iter()
                    .filter(|s| match crd.version(s) {
                        Some(v) => !v.served,
                        None => !crd.incomplete,
                    })
                    .map(move |s| (crd, *s))
            })
            .collect();
        if problems.is_empty() {
            return Vec::new();
        }
        let counts = counts(ctx.inventory, &crds);
        problems
            .into_iter()
            .map(|(crd, stored)| {
                let objects = counts.get(&(crd.group, crd.kind)).copied().unwrap_or(0);
                stored_finding(crd, stored, objects)
            })
            .collect()
    }
}

fn stored_finding(crd: &Crd<'_>, stored: &str, objects: usize) -> Finding {
    let listed = crd.version(stored).is_some();
    let storage = crd.storage_version().unwrap_or("the storage version");
    let state = if listed {
        format!("spec.versions keeps {stored} with served: false")
    } else {
        format!("spec.versions no longer lists {stored}")
    };
    let inventory_note = match objects {
        0 => format!(
            "No {} objects are in the inventory, but etcd may hold some.",
            crd.kind
        ),
        1 => format!(
            "1 {} object is in the inventory; it may still be stored as {stored}.",
            crd.kind
        ),
        n => format!(
            "{n} {} objects are in the inventory; any of them may still be stored as {stored}.",
            crd.kind
        ),
    };
    let consequence = if listed {
        format!(
            "The next CRD update that drops {stored} (usually an operator or chart upgrade) is rejected (status.storedVersions: Invalid value: \"{stored}\": must appear in spec.versions)."
        )
    } else {
        format!(
            "Objects still stored as {stored} can no longer be decoded: listing {} fails until {stored} is back in spec.versions.",
            crd.resource
        )
    };
    let message = format!(
        "CustomResourceDefinition {} still lists {stored} in status.storedVersions ({}), but {state}. {inventory_note} {consequence}",
        crd.resource,
        crd.stored.join(", ")
    );
    let keep: Vec<&str> = crd
        .stored
        .iter()
        .copied()
        .filter(|s| crd.version(s).is_some_and(|v| v.served) || Some(*s) == crd.storage_version())
        .collect();
    let keep = if keep.is_empty() { vec![storage] } else { keep };
    let patch = format!(
        "kubectl patch crd {} --subresource=status --type=merge -p '{{\"status\":{{\"storedVersions\":[{}]}}}}'",
        crd.resource,
        keep.iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let readd = if listed {
        String::new()
    } else {
        format!(
            "First add {stored} back to spec.versions with served: false and storage: false, so the API server can read the old objects. "
        )
    };
    let remediation = format!(
        "{readd}Migrate the stored objects to the storage version {storage}: run the kube-storage-version-migrator (or a StorageVersionMigration) for {res}, or rewrite every object with `kubectl get {res} -A -o json | kubectl replace -f -`. Then drop {stored} from the status: `{patch}` (kubectl 1.24+). Only after that remove {stored} from spec.versions.",
        res = crd.resource
    );
    let mut details = BTreeMap::new();
    details.insert("crd", crd.resource.clone());
    details.insert("version", stored.to_owned());
    details.insert("stored_versions", crd.stored.join(","));
    details.insert("served_versions", crd.served().join(","));
    details.insert("storage_version", storage.to_owned());
    details.insert(
        "state",
        if listed {
            "served: false"
        } else {
            "not in spec.versions"
        }
        .to_owned(),
    );
    details.insert("objects_in_inventory", objects.to_string());
    INFO.about(crd.object)
        .title(format!(
            "CRD {} still stores {stored}, which it {}",
            crd.resource,
            if listed {
                "no longer serves"
            } else {
                "no longer lists"
            },
        ))
        .message(message)
        .fix(remediation)
        .evidence("CRD status.storedVersions")
        .details(details)
        .build()
}

/// Custom resources at a version their CRD (in the same inventory) does not serve. Reported
/// as `api-removed`: the same failure as a removed built-in API, known only from the CRD.
pub struct CrdCustomResourceUnserved;

impl Check for CrdCustomResourceUnserved {
    info_from!(crate::rules::api_removed::INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let crds = crds(ctx.inventory);
        if crds.is_empty() {
            return Vec::new();
        }
        let index = index(&crds);
        let mut findings = Vec::new();
        for object in &ctx.inventory.objects {
            if object.kind == "CustomResourceDefinition" {
                continue;
            }
            for usage in usages(ctx.inventory, object) {
                let (group, version) = usage
                    .api_version
                    .rsplit_once('/')
                    .unwrap_or(("", usage.api_version.as_str()));
                let Some(candidates) = index.get(&(group, object.kind.as_str())) else {
                    continue;
                };
                // Any copy of the CRD that serves the version clears it.
                let served = candidates.iter().any(|c| match c.version(version) {
                    Some(v) => v.served,
                    None => c.incomplete,
                });
                if served {
                    continue;
                }
                findings.push(unserved_finding(
                    ctx.inventory,
                    object,
                    &usage.api_version,
                    version,
                    candidates[0],
                    usage.evidence,
                ));
            }
        }
        findings
    }
}

fn unserved_finding(
    inventory: &Inventory,
    object: &Object,
    api_version: &str,
    version: &str,
    crd: &Crd<'_>,
    evidence: &'static str,
) -> Finding {
    let listed = crd.version(version).is_some();
    let served = crd.served();
    let why = if listed {
        format!("lists {version} with served: false")
    } else {
        format!("does not list {version}")
    };
    let served_text = if served.is_empty() {
        "no version at all".to_owned()
    } else {
        served.join(", ")
    };
    let applied = evidence == "last-applied annotation";
    let stored_note = if applied {
        format!(
            " The object is stored as {}, but it was last applied as {api_version}: the manifest that applies it fails.",
            object.api_version
        )
    } else if inventory.kind == SourceKind::Manifests {
        " Applying this manifest fails with 404 (the server could not find the requested resource)."
            .to_owned()
    } else {
        " Clients that request this version get 404 (the server could not find the requested resource)."
            .to_owned()
    };
    let message = format!(
        "{} {api_version}: the CustomResourceDefinition {} in this inventory {why}; it serves {served_text}. Known only from the CRD, not from the Kubernetes API tables.{stored_note}",
        object.kind, crd.resource
    );
    let replacement = crd
        .storage_version()
        .filter(|s| served.contains(s))
        .or_else(|| served.last().copied())
        .map(|v| crd.api_version(v));
    let remediation = match &replacement {
        Some(rep) => format!(
            "Change the manifest to apiVersion {rep} and check the field changes between the versions (the CRD's schemas or the operator's upgrade notes) before applying it."
        ),
        None => format!(
            "The CRD {} serves no version: fix the CRD (or reinstall its operator) before applying its resources.",
            crd.resource
        ),
    };
    let mut details = BTreeMap::new();
    details.insert("crd", crd.resource.clone());
    details.insert("served_versions", served.join(","));
    details.insert(
        "reason",
        if listed {
            "served: false"
        } else {
            "not in spec.versions"
        }
        .to_owned(),
    );
    if let Some(rep) = replacement {
        details.insert("replacement", rep);
    }
    crate::rules::api_removed::INFO
        .about(object)
        .api_version(api_version)
        .severity(if applied {
            Severity::High
        } else {
            Severity::Blocker
        })
        .title(format!("{api_version} {} not served by its CRD", object.kind))
        .message(message)
        .fix(remediation)
        .evidence(evidence)
        .details(details)
        .build()
}
