use std::collections::{BTreeMap, HashMap};

use mcp_diag_data::intree::{
    self, CSI_DRIVER_IMAGES, GIT_REPO_DISABLED_BY_DEFAULT, INTREE_PLUGINS, InTreePlugin,
};
use mcp_diag_model::{Finding, Inventory, Minor, Node, Object, Severity, SourceKind};

use crate::components::split_image;
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

/// How an object uses an in-tree plugin.
enum Via {
    StorageClass,
    PersistentVolume,
    /// A volume of a pod (or of a workload's pod template), by name.
    Volume(String),
}

struct Use<'a> {
    object: &'a Object,
    plugin: &'static InTreePlugin,
    via: Via,
}

use crate::components::is_owned;

/// The pod spec of a Pod or of a workload's template.
fn pod_spec(object: &Object) -> Option<Node<'_>> {
    match object.kind.as_str() {
        "Pod" => object.raw.get("spec"),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" | "ReplicationController" => {
            object.raw.path(&["spec", "template", "spec"])
        }
        "CronJob" => object
            .raw
            .path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn collect_uses(inventory: &Inventory) -> Vec<Use<'_>> {
    let mut uses = Vec::new();
    for object in &inventory.objects {
        match object.kind.as_str() {
            "StorageClass" => {
                if let Some(plugin) = object
                    .raw
                    .get("provisioner")
                    .and_then(Node::as_str)
                    .and_then(intree::by_provisioner)
                {
                    uses.push(Use {
                        object,
                        plugin,
                        via: Via::StorageClass,
                    });
                }
            }
            "PersistentVolume" => {
                let entries = object.raw.get("spec").and_then(Node::as_map).unwrap_or_default();
                uses.extend(entries.iter().filter_map(|(key, _)| {
                    intree::by_volume_source(key).map(|plugin| Use {
                        object,
                        plugin,
                        via: Via::PersistentVolume,
                    })
                }));
            }
            // Pods and ReplicaSets/Jobs made by a controller are reported through it.
            "Pod" | "ReplicaSet" | "Job" if is_owned(object) => {}
            _ => {
                let Some(spec) = pod_spec(object) else { continue };
                let volumes = spec.get("volumes").and_then(Node::as_seq).unwrap_or_default();
                for volume in volumes {
                    let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
                    for (key, _) in volume.as_map().unwrap_or_default() {
                        if let Some(plugin) = intree::by_volume_source(key) {
                            uses.push(Use {
                                object,
                                plugin,
                                via: Via::Volume(name.to_owned()),
                            });
                        }
                    }
                }
            }
        }
    }
    uses
}

/// What the rest of the inventory says: which CSI drivers run, which classes use them, which
/// claims use a class.
struct Facts {
    /// Driver name -> where it was seen.
    drivers: HashMap<&'static str, String>,
    /// Provisioner -> StorageClass names.
    classes: HashMap<String, Vec<String>>,
    /// StorageClass name -> claims using it (`namespace/name`).
    claims: HashMap<String, Vec<String>>,
}

impl Facts {
    fn gather(inventory: &Inventory) -> Self {
        let wanted: Vec<&'static str> = INTREE_PLUGINS.iter().filter_map(|p| p.csi_driver).collect();
        let mut from_objects: HashMap<&'static str, String> = HashMap::new();
        let mut from_workloads: HashMap<&'static str, String> = HashMap::new();
        let mut classes: HashMap<String, Vec<String>> = HashMap::new();
        let mut claims: HashMap<String, Vec<String>> = HashMap::new();
        for object in &inventory.objects {
            match object.kind.as_str() {
                "CSIDriver" => {
                    if let Some(driver) = wanted.iter().find(|d| **d == object.name) {
                        from_objects
                            .entry(driver)
                            .or_insert_with(|| format!("CSIDriver {} exists", object.name));
                    }
                }
                "StorageClass" => {
                    if let Some(p) = object.raw.get("provisioner").and_then(Node::as_str) {
                        classes.entry(p.to_owned()).or_default().push(object.name.clone());
                    }
                }
                "PersistentVolumeClaim" => {
                    let class = object
                        .raw
                        .path(&["spec", "storageClassName"])
                        .or_else(|| {
                            object.raw.path(&[
                                "metadata",
                                "annotations",
                                "volume.beta.kubernetes.io/storage-class",
                            ])
                        })
                        .and_then(Node::as_str);
                    if let Some(class) = class {
                        claims.entry(class.to_owned()).or_default().push(format!(
                            "{}/{}",
                            object.namespace.as_deref().unwrap_or(""),
                            object.name
                        ));
                    }
                }
                "Pod" | "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" => {
                    let phase = object.raw.path(&["status", "phase"]).and_then(Node::as_str);
                    if matches!(phase, Some("Succeeded" | "Failed")) {
                        continue;
                    }
                    if let Some(spec) = pod_spec(object) {
                        drivers_in_pod(object, spec, &wanted, &mut from_workloads);
                    }
                }
                _ => {}
            }
        }
        for (driver, evidence) in from_workloads {
            from_objects.entry(driver).or_insert(evidence);
        }
        Self {
            drivers: from_objects,
            classes,
            claims,
        }
    }
}

fn where_seen(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// Drivers a pod spec runs (by image) or registers (driver name in args, env or host paths,
/// as node-driver-registrar's `--kubelet-registration-path=/var/lib/kubelet/plugins/<driver>/`).
fn drivers_in_pod(
    object: &Object,
    spec: Node<'_>,
    wanted: &[&'static str],
    found: &mut HashMap<&'static str, String>,
) {
    let containers = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Node::as_seq))
        .flatten();
    let mut texts: Vec<&str> = Vec::new();
    for c in containers {
        if let Some(image) = c.get("image").and_then(Node::as_str) {
            let (path, _) = split_image(image);
            for known in CSI_DRIVER_IMAGES {
                let suffix = known.repository_suffix;
                if path == suffix || path.strip_suffix(suffix).is_some_and(|p| p.ends_with('/')) {
                    found
                        .entry(known.driver)
                        .or_insert_with(|| format!("{} runs image {image}", where_seen(object)));
                }
            }
        }
        for key in ["args", "command"] {
            texts.extend(
                c.get(key)
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::as_str),
            );
        }
        texts.extend(
            c.get("env")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|e| e.get("value").and_then(Node::as_str)),
        );
    }
    texts.extend(
        spec.get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.path(&["hostPath", "path"]).and_then(Node::as_str)),
    );
    for driver in wanted {
        if texts.iter().any(|t| contains_token(t, driver)) {
            found
                .entry(driver)
                .or_insert_with(|| format!("{} registers {driver}", where_seen(object)));
        }
    }
}

/// `needle` occurs in `text` with no name character right before or after it, so that
/// `ebs.csi.aws.com` matches `/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock` but not
/// `xebs.csi.aws.com.example`.
fn contains_token(text: &str, needle: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_';
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(name_char) && !after.is_some_and(name_char)
    })
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

    #[test]
    fn tokens() {
        assert!(contains_token(
            "/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock",
            "ebs.csi.aws.com"
        ));
        assert!(contains_token("--drivername=ebs.csi.aws.com", "ebs.csi.aws.com"));
        assert!(!contains_token("xebs.csi.aws.com", "ebs.csi.aws.com"));
        assert!(!contains_token("ebs.csi.aws.com.example", "ebs.csi.aws.com"));
    }
}
