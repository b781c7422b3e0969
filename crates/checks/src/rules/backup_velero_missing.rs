use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

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

/// The API group of Velero's custom resources.
pub(crate) const VELERO_GROUP: &str = "velero.io";

/// The kinds of `velero.io` (v1 and v2alpha1).
const VELERO_KINDS: &[&str] = &[
    "BackupStorageLocation",
    "VolumeSnapshotLocation",
    "Schedule",
    "Backup",
    "Restore",
    "BackupRepository",
    "ResticRepository",
    "PodVolumeBackup",
    "PodVolumeRestore",
    "DeleteBackupRequest",
    "DownloadRequest",
    "ServerStatusRequest",
    "DataUpload",
    "DataDownload",
];

/// The namespace the Azure Backup for AKS extension runs Velero in.
const AKS_BACKUP_NAMESPACE: &str = "dataprotection-microsoft";

/// Whether an object belongs to Velero's API group.
pub(crate) fn is_velero(object: &Object) -> bool {
    object.group_version().0 == VELERO_GROUP
}

/// What the input shows of Velero, read once per check.
pub(crate) struct Velero<'a> {
    /// Where Velero was seen, for messages (`Deployment velero/velero`).
    pub evidence: Vec<String>,
    /// Whether any `velero.io` object is in the input. Snapshots made with the usual
    /// `kubectl get` list leave them out even when Velero runs.
    pub objects_captured: bool,
    pub locations: Vec<&'a Object>,
    pub schedules: Vec<&'a Object>,
    pub backups: Vec<&'a Object>,
    /// The product that drives Velero when it is not driven by Velero Schedules (Azure
    /// Backup for AKS schedules backups from its Backup vault).
    pub managed_by: Option<&'static str>,
    /// Whether a Velero server was seen: a workload running its image, an OADP
    /// DataProtectionApplication, or pods in the namespaces of Velero-based products.
    pub server_seen: bool,
}

impl Velero<'_> {
    pub(crate) fn present(&self) -> bool {
        !self.evidence.is_empty()
    }

    /// Schedules that run: not paused and not rejected by validation.
    pub(crate) fn enabled_schedules(&self) -> Vec<&Object> {
        self.schedules
            .iter()
            .copied()
            .filter(|s| schedule_problem(s).is_none())
            .collect()
    }
}

/// Why a Schedule creates no backups, if it does not: paused, or failed validation.
pub(crate) fn schedule_problem(schedule: &Object) -> Option<String> {
    if schedule.raw.path(&["spec", "paused"]).and_then(Node::as_bool) == Some(true) {
        return Some("paused".to_owned());
    }
    if schedule.raw.path(&["status", "phase"]).and_then(Node::as_str) == Some("FailedValidation") {
        let errors: Vec<&str> = schedule
            .raw
            .path(&["status", "validationErrors"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        return Some(if errors.is_empty() {
            "failed validation".to_owned()
        } else {
            format!("failed validation: {}", errors.join("; "))
        });
    }
    None
}

/// `kind namespace/name`.
pub(crate) fn describe(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// A timestamp field of an object, as unix seconds.
pub(crate) fn timestamp(object: &Object, path: &[&str]) -> Option<i64> {
    object
        .raw
        .path(path)
        .and_then(Node::as_str)
        .and_then(mcp_diag_model::time::parse_timestamp)
}

/// Reads what the input shows of Velero.
pub(crate) fn velero<'a>(ctx: &Context<'a>) -> Velero<'a> {
    let of = |kind: &str| -> Vec<&'a Object> {
        ctx.index
            .of_kind(kind)
            .iter()
            .copied()
            .filter(|o| is_velero(o))
            .collect()
    };
    let mut evidence = Vec::new();
    let mut namespaces: Vec<&str> = Vec::new();
    let mut objects_captured = false;
    for kind in VELERO_KINDS {
        let objects = of(kind);
        if let Some(first) = objects.first() {
            objects_captured = true;
            if evidence.len() < 3 {
                evidence.push(describe(first));
            }
        }
        namespaces.extend(objects.iter().filter_map(|o| o.namespace.as_deref()));
    }
    let crds: Vec<&str> = ctx
        .index
        .of_kind("CustomResourceDefinition")
        .iter()
        .filter(|crd| crd.raw.path(&["spec", "group"]).and_then(Node::as_str) == Some(VELERO_GROUP))
        .map(|crd| crd.name.as_str())
        .collect();
    if let Some(first) = crds.first() {
        evidence.push(format!("CustomResourceDefinition {first}"));
    }
    let mut workloads: Vec<&Object> = ctx
        .components
        .iter()
        .filter(|c| c.name == "velero")
        .filter_map(|c| c.object)
        .collect();
    // A Deployment says more than one of its pods.
    workloads.sort_by_key(|o| (o.kind == "Pod", o.kind == "ReplicaSet"));
    if let Some(first) = workloads.first() {
        evidence.push(format!("{} (image velero/velero)", describe(first)));
    }
    namespaces.extend(workloads.iter().filter_map(|o| o.namespace.as_deref()));
    for dpa in ctx.index.of_kind("DataProtectionApplication") {
        if dpa.group_version().0 == "oadp.openshift.io" {
            evidence.push(format!("{} (OpenShift API for Data Protection)", describe(dpa)));
            break;
        }
    }
    let server_seen = !workloads.is_empty()
        || evidence
            .iter()
            .any(|e| e.contains("OpenShift API for Data Protection"))
        || [AKS_BACKUP_NAMESPACE, "openshift-adp"]
            .iter()
            .any(|ns| !ctx.index.pods_in(ns).is_empty());
    let schedules = of("Schedule");
    let managed_by = (schedules.is_empty() && namespaces.contains(&AKS_BACKUP_NAMESPACE))
        .then_some("Azure Backup for AKS");
    Velero {
        evidence,
        objects_captured,
        locations: of("BackupStorageLocation"),
        schedules,
        backups: of("Backup"),
        managed_by,
        server_seen,
    }
}

/// A backup tool other than Velero, and where it was seen.
pub(crate) struct OtherTool {
    pub name: &'static str,
    pub evidence: String,
}

/// API groups of other backup tools: (group, or suffix of the group when it starts with a
/// dot; the kinds that count, empty for all; the tool).
const OTHER_GROUPS: &[(&str, &[&str], &str)] = &[
    (".kio.kasten.io", &[], "Veeam Kasten K10"),
    ("stash.appscode.com", &[], "Stash"),
    ("core.kubestash.com", &[], "KubeStash"),
    ("storage.kubestash.com", &[], "KubeStash"),
    ("gkebackup.gke.io", &[], "Backup for GKE"),
    (
        "stork.libopenstorage.org",
        &["ApplicationBackup", "ApplicationBackupSchedule"],
        "Portworx Backup (Stork)",
    ),
    ("triliovault.trilio.io", &[], "Trilio for Kubernetes"),
];

fn other_group(group: &str, kind: Option<&str>) -> Option<&'static str> {
    OTHER_GROUPS.iter().find_map(|(g, kinds, tool)| {
        let group_matches = match g.strip_prefix('.') {
            Some(suffix) => group.ends_with(g) || group == suffix,
            None => group == *g,
        };
        let kind_matches = kinds.is_empty() || kind.is_some_and(|k| kinds.contains(&k));
        (group_matches && kind_matches).then_some(*tool)
    })
}

/// Other backup tools the input shows, one entry per tool.
pub(crate) fn other_tools(ctx: &Context<'_>) -> Vec<OtherTool> {
    fn add(found: &mut Vec<OtherTool>, name: &'static str, evidence: String) {
        if !found.iter().any(|t| t.name == name) {
            found.push(OtherTool { name, evidence });
        }
    }
    let mut found: Vec<OtherTool> = Vec::new();
    let kasten_ns = ctx
        .index
        .of_kind("Namespace")
        .iter()
        .any(|n| n.name == "kasten-io")
        || !ctx.index.pods_in("kasten-io").is_empty();
    if kasten_ns {
        add(&mut found, "Veeam Kasten K10", "namespace kasten-io".to_owned());
    }
    for crd in ctx.index.of_kind("CustomResourceDefinition") {
        let Some(group) = crd.raw.path(&["spec", "group"]).and_then(Node::as_str) else {
            continue;
        };
        // Tools whose CRDs come with something else (Stork with Portworx) count only by
        // their objects.
        if let Some(tool) = other_group(group, None) {
            add(&mut found, tool, format!("CustomResourceDefinition {}", crd.name));
        }
    }
    if !found.is_empty() {
        return found;
    }
    // Custom resources without their CRDs in the input: one pass over the objects.
    for object in &ctx.inventory.objects {
        let group = object.group_version().0;
        if !group.contains('.') {
            continue;
        }
        if let Some(tool) = other_group(group, Some(&object.kind)) {
            add(&mut found, tool, describe(object));
        }
    }
    found
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
