use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity, SourceKind};

use crate::velero::{OtherTool, Velero, other_tools, velero};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-velero-missing",
    severity: Severity::High,
    title: "No backup tool in the cluster",
    doc: r#"## What it checks
Whether the cluster runs Velero: objects of the `velero.io` API group (BackupStorageLocations,
Schedules, Backups, ...), CustomResourceDefinitions of that group, or a workload running the
`velero/velero` image. Velero-based products count as Velero: OpenShift API for Data
Protection (`oadp.openshift.io`, namespace `openshift-adp`) and Azure Backup for AKS (its
extension runs Velero in the namespace `dataprotection-microsoft`).

Without Velero, the check looks for other backup tools it knows, and reports them as `info`
(their backups are not checked):

- Veeam Kasten K10: the namespace `kasten-io`, or objects and CRDs of `*.kio.kasten.io`
  (`policies.config.kio.kasten.io`; docs.kasten.io, "API Concepts" and "Policies").
- Stash (`stash.appscode.com`) and KubeStash (`core.kubestash.com`, `storage.kubestash.com`;
  kubestash.com docs, `BackupConfiguration`).
- Backup for GKE (`gkebackup.gke.io`, `ProtectedApplication`; cloud.google.com,
  kubernetes-engine/docs/add-on/backup-for-gke).
- Portworx Backup / Stork (`ApplicationBackup`, `ApplicationBackupSchedule` in
  `stork.libopenstorage.org`) and Trilio for Kubernetes (`triliovault.trilio.io`).

With none of them: `high`. When the input holds no workloads and no CRDs at all, nothing can
be concluded and the finding is `info`; the same when neither the pods nor the Deployments were
read completely (a failed or denied list, see `input-incomplete`): the finding says the
absence could not be decided instead of "no backup tool". When Velero runs but the snapshot holds none of its
objects (the usual `kubectl get` list of a snapshot leaves them out), one `info` finding says
so: the other backup checks then have nothing to read. Manifests are not checked (they say
nothing about what runs in the cluster).

## Why it matters
An upgrade changes etcd's data, the API versions objects are stored at, and every node. When
it goes wrong (a failed etcd migration, a webhook that rejects every write, an add-on that
corrupts its custom resources), a backup of the cluster's objects and volumes is the way back.
Without one, a failed upgrade means rebuilding the cluster and its data by hand.

## Example
A snapshot with 40 Deployments, 6 StatefulSets and 14 PersistentVolumeClaims, no `velero.io`
objects, no Velero pods and no other backup tool: `high`, "No backup tool found".

## Fix
Install Velero (`helm install velero vmware-tanzu/velero`, with a BackupStorageLocation in
object storage outside the cluster and a Schedule), or the backup tool your platform uses,
and take a backup before the upgrade: `velero backup create pre-upgrade --wait`. Then
restore it once into a scratch namespace or cluster to know it works.
"#,
};

pub struct BackupVeleroMissing;

impl Check for BackupVeleroMissing {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.inventory.kind == SourceKind::Manifests {
            return Vec::new();
        }
        let velero = velero(ctx);
        let workloads_captured = ["Pod", "Deployment"]
            .iter()
            .any(|k| !ctx.index.of_kind(k).is_empty());
        if velero.present() {
            if velero.objects_captured {
                return Vec::new();
            }
            if !velero.server_seen && workloads_captured && other_tools(ctx).is_empty() {
                return vec![leftover_crds(ctx, &velero)];
            }
            return vec![not_captured(&velero)];
        }
        let others = other_tools(ctx);
        if !others.is_empty() {
            return vec![other_tool(&others)];
        }
        let kinds = [
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "CustomResourceDefinition",
        ];
        if kinds.iter().all(|k| ctx.index.of_kind(k).is_empty()) {
            return vec![cannot_tell()];
        }
        // Velero's server is a Deployment with its pods: the absence of both says something
        // only if one of the two lists was read completely.
        if let Some(pods) = ctx.unknown_of(&[("", "Pod")])
            && let Some(deployments) = ctx.unknown_of(&[("apps", "Deployment")])
        {
            return vec![undecided(&format!("{pods}; {deployments}"))];
        }
        vec![missing(ctx)]
    }
}

fn not_captured(velero: &Velero<'_>) -> Finding {
    let seen = velero.evidence.join(", ");
    INFO.finding()
        .notice("Velero runs, but its objects are not in the input")
        .message(format!(
            "Velero is installed ({seen}), but the input holds no velero.io objects (BackupStorageLocations, Schedules, Backups): whether backup storage is reachable, backups are scheduled and the newest one is recent cannot be checked."
        ))
        .fix(
            "Add Velero's objects to the snapshot: `kubectl get backupstoragelocations.velero.io,schedules.velero.io,backups.velero.io -A -o yaml > velero.yaml`, or check them with `velero backup-location get`, `velero schedule get` and `velero backup get`.",
        )
        .evidence("cluster objects")
        .detail("velero", seen)
        .build()
}

fn leftover_crds(ctx: &Context<'_>, velero: &Velero<'_>) -> Finding {
    let claims = ctx.index.of_kind("PersistentVolumeClaim").len();
    let seen = velero.evidence.join(", ");
    INFO.finding()
        .title("Velero's CRDs are installed, but no Velero server runs")
        .message(format!(
            "The cluster has Velero's CustomResourceDefinitions ({seen}), but no workload runs the velero/velero image and no velero.io object exists: Velero was probably uninstalled and its CRDs left behind. Nothing backs the cluster up ({}).",
            mcp_diag_model::plural(claims, "PersistentVolumeClaim", "PersistentVolumeClaims"),
        ))
        .fix(
            "Reinstall Velero (or the backup tool that replaced it) with a BackupStorageLocation and a Schedule, and take a backup right before the upgrade (`velero backup create pre-upgrade --wait`). If backups are made another way, delete the leftover CRDs (`kubectl get crds -o name | grep velero.io`).",
        )
        .evidence("cluster objects")
        .detail("velero", seen)
        .build()
}

fn other_tool(others: &[OtherTool]) -> Finding {
    let names: Vec<&str> = others.iter().map(|t| t.name).collect();
    let seen: Vec<String> = others
        .iter()
        .map(|t| format!("{} ({})", t.name, t.evidence))
        .collect();
    INFO.finding()
        .notice(format!("Backups by {} (not checked)", name_list(&names, 3)))
        .message(format!(
            "No Velero in the cluster, but another backup tool: {}. mcp-diag checks Velero's storage locations, schedules and backups only; the state of these backups is not checked.",
            seen.join("; "),
        ))
        .fix(format!(
            "Before the upgrade, confirm in {} that the backup location is reachable, a backup policy covers every namespace with volumes, and a backup completed recently; take one right before the upgrade.",
            name_list(&names, 3),
        ))
        .evidence("cluster objects")
        .detail("tools", names.join(", "))
        .build()
}

fn cannot_tell() -> Finding {
    INFO.finding()
        .notice("Backup tool unknown: the input holds no workloads")
        .message(
            "The input holds no Pods, Deployments, StatefulSets, DaemonSets or CustomResourceDefinitions, so whether a backup tool runs cannot be told.",
        )
        .fix(
            "Capture pods, workloads and CustomResourceDefinitions in the snapshot (`kubectl get pods,deployments,statefulsets,daemonsets -A -o yaml`, `kubectl get crds -o yaml`), or check by hand that a backup tool runs.",
        )
        .build()
}

fn undecided(unknown: &str) -> Finding {
    INFO.finding()
        .notice("Backup tool not decided: workloads not read completely")
        .message(format!(
            "No backup tool was seen, but neither the pods nor the Deployments were read completely, so its absence cannot be told: {unknown}."
        ))
        .fix(
            "Scan again with pods and Deployments read (see input-incomplete, or export them / use `mcp-diag snapshot`), or check by hand that a backup tool runs.",
        )
        .detail("undecided", unknown)
        .build()
}

fn missing(ctx: &Context<'_>) -> Finding {
    let claims = ctx.index.of_kind("PersistentVolumeClaim").len();
    let statefulsets = ctx.index.of_kind("StatefulSet").len();
    let mut details = BTreeMap::from([
        ("persistent_volume_claims", claims.to_string()),
        ("statefulsets", statefulsets.to_string()),
    ]);
    details.insert("known_tools", "Velero, OADP, Azure Backup for AKS, Kasten K10, Stash, KubeStash, Backup for GKE, Portworx Backup, Trilio".to_owned());
    let data = if claims > 0 {
        format!(
            " The cluster holds {claims} PersistentVolumeClaim{} whose data would be lost with it.",
            if claims == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    INFO.finding()
        .title("No backup tool found")
        .message(format!(
            "Neither Velero (velero.io objects or CRDs, the velero/velero image) nor another backup tool this check knows (Kasten K10, Stash, KubeStash, Backup for GKE, Portworx Backup, Trilio) is in the cluster: if the upgrade fails, there is no backup of its objects and volumes to restore.{data}"
        ))
        .fix(
            "Install Velero with a BackupStorageLocation in object storage outside the cluster and a daily Schedule, and take a backup right before the upgrade (`velero backup create pre-upgrade --wait`); restore it once into a scratch namespace to know it works. If backups are made another way (etcd snapshots plus volume snapshots), make sure one is recent.",
        )
        .evidence("cluster objects")
        .details(details)
        .build()
}
