use std::collections::BTreeMap;

use mcp_diag_data::intree::{GIT_REPO_DISABLED_BY_DEFAULT, InTreePlugin};
use mcp_diag_model::{Finding, Minor, Severity, SourceKind};

use crate::intree::{Facts, Use, Via, collect_uses, where_seen};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "storage-intree-plugin-removed",
    severity: Severity::Blocker,
    title: "In-tree volume plugin removed by the target",
    doc: r#"## What it checks
StorageClasses whose `provisioner` is an in-tree plugin (`kubernetes.io/aws-ebs`,
`kubernetes.io/gce-pd`, `kubernetes.io/rbd`, ...), PersistentVolumes whose spec uses an in-tree
volume source (`awsElasticBlockStore`, `gcePersistentDisk`, `azureDisk`, `cinder`, `rbd`,
`cephfs`, `glusterfs`, ...), and Pods and workload templates with such volumes inline, when the
plugin is removed at or before the target release (the finding names the hop, or says it is
already gone in the current release). The table covers every plugin removed from 1.16 to 1.36
with its CSI migration and replacement driver, from kubernetes/website `volume-types.md`, the
`CSIMigration*` feature-gate pages and `csi-translation-lib`.

- `blocker`: no CSI migration exists for the plugin (glusterfs, rbd, cephfs, flocker,
  quobyte, storageos, scaleIO, gitRepo): these volumes stop working. Or migration exists but the
  replacing CSI driver is not in the inventory: no `CSIDriver` object of that name and no pod,
  Deployment, DaemonSet or StatefulSet running its image or registering it.
- `high`: migration exists and the driver is present, but migration takes effect during this
  upgrade (or the current release is unknown); for manifests, the driver is not among them
  (the tool cannot see the cluster); likewise when pods were not read completely (see
  `input-incomplete`) or an export holds none, so that the driver's absence is not known;
  gitRepo volumes from 1.33 (disabled by default).
- `medium`: migration was already in effect in the current release and the driver is
  installed: the objects work, through a compatibility layer.

## Why it matters
Once a plugin is removed, the kubelet and the controllers no longer know the volume type. With
CSI migration, Kubernetes translates in-tree objects and hands them to the CSI driver, which
must be installed: without it, pods that need these volumes stay in `ContainerCreating` and new
claims stay `Pending` after the upgrade. Without migration, nothing translates them: the data
is still on the storage system, but Kubernetes can no longer attach it.

## Example
```yaml
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp2-legacy}
provisioner: kubernetes.io/aws-ebs   # in-tree; removed in 1.27, migrated to ebs.csi.aws.com
parameters: {type: gp2}
```

## Fix
- Migration and driver: keep the CSI driver installed (upgrade it with the cluster), create a
  StorageClass with the driver as provisioner and move new claims to it (a StorageClass's
  provisioner cannot be changed). Existing volumes keep working through migration; to leave the
  in-tree spec for good, snapshot and restore them into CSI volumes.
- Migration, no driver: install the CSI driver (`ebs.csi.aws.com`, `pd.csi.storage.gke.io`,
  `disk.csi.azure.com`, ...) before the upgrade.
- No migration: copy the data to volumes of a supported CSI driver and switch the claims before
  the upgrade; for gitRepo, use an emptyDir with an init container that clones the repository.
"#,
};

pub struct StorageIntreePluginRemoved;

impl Check for StorageIntreePluginRemoved {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let uses: Vec<Use<'_>> = collect_uses(ctx.inventory)
            .into_iter()
            .filter(|u| relevant(u.plugin, ctx.target))
            .collect();
        if uses.is_empty() {
            return Vec::new();
        }
        let facts = Facts::gather(ctx.inventory);
        uses.iter().map(|u| finding(ctx, u, &facts)).collect()
    }
}

/// Whether the plugin stops working at or before `target`.
fn relevant(plugin: &InTreePlugin, target: Minor) -> bool {
    plugin.removed_in <= target
        || (plugin.volume_source_field == "gitRepo" && GIT_REPO_DISABLED_BY_DEFAULT <= target)
}

enum Outcome<'f> {
    /// Nothing translates the objects: they stop working.
    NoMigration,
    /// Migration exists; the driver is nowhere in the inventory.
    DriverMissing(&'static str),
    /// Migration exists and the driver runs.
    Migrated(&'static str, &'f str),
}

fn finding(ctx: &Context<'_>, u: &Use<'_>, facts: &Facts) -> Finding {
    let plugin = u.plugin;
    let object = u.object;
    let removed = plugin.removed_in;
    let manifests = ctx.inventory.kind == SourceKind::Manifests;
    let git_repo_disabled_only = removed > ctx.target;
    let outcome = match (plugin.csi_migration_ga, plugin.csi_driver) {
        (Some(_), Some(driver)) => match facts.drivers.get(driver) {
            Some(evidence) => Outcome::Migrated(driver, evidence.as_str()),
            None => Outcome::DriverMissing(driver),
        },
        _ => Outcome::NoMigration,
    };
    let already = ctx.current.is_some_and(|c| removed <= c);
    let when = match ctx.current {
        Some(c) if already => format!("removed in Kubernetes {removed}, before the current {c}"),
        Some(_) => format!(
            "removed in Kubernetes {removed}, at the {} → {removed} hop of this upgrade",
            Minor::new(removed.major, removed.minor.saturating_sub(1))
        ),
        None => format!("removed in Kubernetes {removed} (the target is {})", ctx.target),
    };
    let subject = match &u.via {
        Via::StorageClass => format!(
            "StorageClass {} uses the in-tree provisioner {}",
            object.name,
            plugin.provisioner.unwrap_or(plugin.volume_source_field)
        ),
        Via::PersistentVolume => {
            let claim = object
                .raw
                .path(&["spec", "claimRef"])
                .and_then(|c| {
                    Some(format!(
                        " (bound to claim {}/{})",
                        c.get("namespace")?.as_str()?,
                        c.get("name")?.as_str()?
                    ))
                })
                .unwrap_or_default();
            format!(
                "PersistentVolume {}{claim} uses the in-tree volume source {}",
                object.name, plugin.volume_source_field
            )
        }
        Via::Volume(name) => format!(
            "{} mounts volume {name:?} through the in-tree {} plugin",
            where_seen(object),
            plugin.volume_source_field
        ),
    };
    let class_note = match &u.via {
        Via::StorageClass => match facts.claims.get(&object.name) {
            Some(claims) if !claims.is_empty() => format!(
                " {} PersistentVolumeClaim{} use{} it: {}.",
                claims.len(),
                if claims.len() == 1 { "" } else { "s" },
                if claims.len() == 1 { "s" } else { "" },
                claims.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let mut details = BTreeMap::new();
    details.insert("plugin", plugin.volume_source_field.to_owned());
    if let Some(p) = plugin.provisioner {
        details.insert("provisioner", p.to_owned());
    }
    details.insert("removed_in", removed.to_string());
    if let Some(d) = plugin.csi_driver {
        details.insert("csi_driver", d.to_owned());
    }
    if let Some(ga) = plugin.csi_migration_ga {
        details.insert("csi_migration_ga", ga.to_string());
    }
    if !already && !git_repo_disabled_only {
        details.insert("hop", removed.to_string());
    }

    let (severity, what, remediation) = if git_repo_disabled_only {
        let message = format!(
            "gitRepo volumes are disabled by default from Kubernetes {GIT_REPO_DISABLED_BY_DEFAULT} (the GitRepoVolumeDriver feature gate can turn them back on until 1.35) and removed in {removed}: pods with them fail to start once the API servers and kubelets run {GIT_REPO_DISABLED_BY_DEFAULT}."
        );
        details.insert("hop", GIT_REPO_DISABLED_BY_DEFAULT.to_string());
        (
            Severity::High,
            message,
            "Replace the gitRepo volume with an emptyDir and an init container that clones the repository (or a git-sync sidecar) before upgrading.".to_owned(),
        )
    } else {
        match outcome {
            Outcome::NoMigration => {
                details.insert("driver_installed", "n/a".to_owned());
                let replacement = plugin
                    .csi_driver
                    .map(|d| format!(" (such as {d})"))
                    .unwrap_or_default();
                (
                    Severity::Blocker,
                    format!(
                        "It was {when}, and no CSI migration exists for it: from {removed} on Kubernetes cannot provision, attach or mount these volumes (the data stays on the storage system, but pods that need it do not start)."
                    ),
                    format!(
                        "Before upgrading to {removed}, copy the data to volumes of a supported CSI driver{replacement} and switch the claims and workloads to them; then delete the in-tree objects. Note: {}.",
                        plugin.note
                    ),
                )
            }
            Outcome::DriverMissing(driver) => {
                details.insert("driver_installed", "false".to_owned());
                let ga = plugin.csi_migration_ga.unwrap_or(removed);
                // The driver's node plugin runs as pods: without every pod, its absence is a
                // guess (the export may have left pods out, or the pods read failed).
                let pods_unknown = if manifests {
                    None
                } else {
                    ctx.unknown_of(&[("", "Pod")])
                };
                let seen = if manifests {
                    "these manifests show no sign of it (no CSIDriver object, no workload running or registering it); the tool cannot see whether the cluster has it".to_owned()
                } else if let Some(why) = &pods_unknown {
                    details.insert("pods_unknown", why.clone());
                    format!(
                        "the inventory shows no sign of it (no CSIDriver object, no workload running or registering it), but pods were not read completely ({why}): whether the driver runs is unknown"
                    )
                } else {
                    "the inventory shows no sign of it (no CSIDriver object, no pod, Deployment, DaemonSet or StatefulSet running or registering it)".to_owned()
                };
                (
                    if manifests || pods_unknown.is_some() {
                        Severity::High
                    } else {
                        Severity::Blocker
                    },
                    format!(
                        "It was {when}; since CSI migration went GA in {ga}, Kubernetes serves these objects only through the CSI driver {driver}, and {seen}. Without the driver, new claims stay Pending and pods that need these volumes stay in ContainerCreating."
                    ),
                    format!(
                        "Install the {driver} CSI driver (at a version that supports the target release) before upgrading, and check that it registers on every node (`kubectl get csidriver {driver}`, `kubectl get csinode`). {}",
                        keep_working(&u.via, driver, facts)
                    ),
                )
            }
            Outcome::Migrated(driver, evidence) => {
                details.insert("driver_installed", "true".to_owned());
                details.insert("driver_evidence", evidence.to_owned());
                let ga = plugin.csi_migration_ga.unwrap_or(removed);
                let migrated_now = ctx.current.is_some_and(|c| ga <= c);
                let annotated = object
                    .annotation("pv.kubernetes.io/migrated-to")
                    .map(|to| format!("; the volume is annotated pv.kubernetes.io/migrated-to: {to}"))
                    .unwrap_or_default();
                let message = if migrated_now {
                    format!(
                        "It was {when}. It keeps working through CSI migration (GA in {ga}): Kubernetes hands these objects to {driver}, which is installed ({evidence}{annotated}). The upgrade changes nothing for it, but it depends on that translation layer and on the driver staying installed and compatible."
                    )
                } else {
                    format!(
                        "It was {when}. CSI migration (GA in {ga}) hands these objects to {driver}, which is installed ({evidence}{annotated}); the migration takes effect during this upgrade (or the current release is unknown), so provisioning, attaching, mounting and resizing go through the driver from then on."
                    )
                };
                (
                    if migrated_now {
                        Severity::Medium
                    } else {
                        Severity::High
                    },
                    message,
                    keep_working(&u.via, driver, facts),
                )
            }
        }
    };
    INFO.about(object)
        .severity(severity)
        .title(format!(
            "{} {} uses in-tree {} (removed in {removed})",
            object.kind,
            match &object.namespace {
                Some(ns) => format!("{ns}/{}", object.name),
                None => object.name.clone(),
            },
            match u.via {
                Via::StorageClass => plugin.provisioner.unwrap_or(plugin.volume_source_field),
                _ => plugin.volume_source_field,
            },
        ))
        .message(format!("{subject}.{class_note} {what}"))
        .fix(remediation)
        .evidence(match u.via {
            Via::StorageClass => "StorageClass provisioner",
            Via::PersistentVolume => "PersistentVolume spec",
            Via::Volume(_) => "pod volume",
        })
        .details(details)
        .build()
}

/// What to do about the in-tree object itself once the driver runs.
fn keep_working(via: &Via, driver: &str, facts: &Facts) -> String {
    match via {
        Via::StorageClass => {
            let existing = match facts.classes.get(driver) {
                Some(names) if !names.is_empty() => {
                    format!(" (StorageClass {} already uses it)", names.join(", "))
                }
                _ => String::new(),
            };
            format!(
                "Move new claims to a StorageClass with provisioner {driver}{existing} and make that the default if this one is; a StorageClass's provisioner cannot be changed, so create a new class or delete and recreate this one (existing volumes are not affected). Keep {driver} installed and upgrade it with the cluster."
            )
        }
        Via::PersistentVolume => format!(
            "The volume keeps its in-tree spec and works as long as {driver} stays installed and compatible; to leave the in-tree spec for good, snapshot it and restore it into a PersistentVolume with spec.csi.driver {driver}."
        ),
        Via::Volume(_) => format!(
            "Replace the inline volume with a PersistentVolumeClaim on a StorageClass of {driver} (or a CSI volume); until then it works only while {driver} is installed."
        ),
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_data::intree::INTREE_PLUGINS;

    use super::*;
    use crate::rules::test_support::run_check;

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    // A table invariant over INTREE_PLUGINS (every row, at its removal and not before); the
    // rule's cases are tests/fixtures/storage-intree-plugin-removed/.
    #[test]
    fn every_row_is_reported_at_its_removal_and_not_before() {
        for p in INTREE_PLUGINS.iter().filter(|p| p.removed_in >= m(20)) {
            // A pod in the input shows the pods were exported: no driver pod is no driver.
            let yaml = format!(
                "apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: x}}\nspec:\n  {}: {{}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: shop}}\nspec: {{containers: [{{name: c, image: web:1}}]}}\n",
                p.volume_source_field
            );
            if p.volume_source_field == "gitRepo" {
                continue; // only valid in pods; covered below
            }
            let at = run_check(INFO.id, &yaml, p.removed_in, None);
            assert_eq!(at.len(), 1, "{p:?}");
            // Without migration the volumes stop working; with it, no driver is in this
            // inventory: a blocker either way.
            assert_eq!(at[0].severity, Severity::Blocker, "{p:?}");
            let before = Minor::new(1, p.removed_in.minor - 1);
            assert!(run_check(INFO.id, &yaml, before, None).is_empty(), "{p:?}");
            if let Some(prov) = p.provisioner {
                let sc = format!(
                    "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: s}}\nprovisioner: {prov}\n"
                );
                assert_eq!(run_check(INFO.id, &sc, p.removed_in, None).len(), 1, "{p:?}");
            }
        }
    }
}
