//! What an inventory says about Velero and other backup tools (their custom resources,
//! schedules, namespaces), shared by the backup-* rules.

use mcp_diag_model::{Node, Object};

use crate::Context;

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

/// Velero for a check that judges its `velero.io` objects of `kind`: `None` when there is
/// nothing to judge: no Velero, its objects not in the input, or those of `kind` not all read
/// (then input-incomplete names the check among those the gap weakens).
pub(crate) fn velero_objects<'a>(ctx: &Context<'a>, kind: &str) -> Option<Velero<'a>> {
    let velero = velero(ctx);
    (velero.present() && velero.objects_captured && !ctx.read_gap("velero.io", kind)).then_some(velero)
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
