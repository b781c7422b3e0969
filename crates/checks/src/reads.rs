//! Which kinds each check reads, so that a kind not read completely can name the checks
//! whose verdicts it weakens (`input-incomplete`) and a check can ask before it concludes
//! anything from an object's absence.
//!
//! Kept by hand, next to the checks: a test checks that every kind here is one the live
//! source lists (crates/cli/tests/scan_partial.rs), and that the checks known to conclude
//! from absence declare the kinds they conclude about. The API-version checks read every
//! object but never conclude from an absence, so they declare nothing.

/// `(group, kind)`; the core group is `""`.
pub type Kind = (&'static str, &'static str);

const POD: Kind = ("", "Pod");
const NODE: Kind = ("", "Node");
const NAMESPACE: Kind = ("", "Namespace");
const CONFIG_MAP: Kind = ("", "ConfigMap");
const SERVICE: Kind = ("", "Service");
const PV: Kind = ("", "PersistentVolume");
const PVC: Kind = ("", "PersistentVolumeClaim");
const DEPLOYMENT: Kind = ("apps", "Deployment");
const STATEFUL_SET: Kind = ("apps", "StatefulSet");
const DAEMON_SET: Kind = ("apps", "DaemonSet");
const REPLICA_SET: Kind = ("apps", "ReplicaSet");
const JOB: Kind = ("batch", "Job");
const CRON_JOB: Kind = ("batch", "CronJob");
const HPA: Kind = ("autoscaling", "HorizontalPodAutoscaler");
const PDB: Kind = ("policy", "PodDisruptionBudget");
const STORAGE_CLASS: Kind = ("storage.k8s.io", "StorageClass");
const CSI_DRIVER: Kind = ("storage.k8s.io", "CSIDriver");
const CRD: Kind = ("apiextensions.k8s.io", "CustomResourceDefinition");
const NODE_METRICS: Kind = ("metrics.k8s.io", "NodeMetrics");
const BACKUP: Kind = ("velero.io", "Backup");
const SCHEDULE: Kind = ("velero.io", "Schedule");
const BSL: Kind = ("velero.io", "BackupStorageLocation");
const NETWORK_POLICY: Kind = ("networking.k8s.io", "NetworkPolicy");
const INGRESS: Kind = ("networking.k8s.io", "Ingress");
const PEER_AUTHENTICATION: Kind = ("security.istio.io", "PeerAuthentication");
const DESTINATION_RULE: Kind = ("networking.istio.io", "DestinationRule");

/// What the service graph is built from (the `dep-*` checks read it).
const GRAPH: &[Kind] = &[
    SERVICE,
    POD,
    CONFIG_MAP,
    NAMESPACE,
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    REPLICA_SET,
    JOB,
    CRON_JOB,
    INGRESS,
];

const WORKLOADS: &[Kind] = &[
    POD,
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    REPLICA_SET,
    JOB,
    CRON_JOB,
];

/// Check id → the kinds it reads. Checks not listed read no kind of the cluster (input
/// findings, version tables) or every object alike (the API-version checks).
#[rustfmt::skip]
pub const READS: &[(&str, &[Kind])] = &[
    ("version-hops", &[NODE]),
    ("skew-kubelet", &[NODE]),
    ("skew-kube-proxy", &[POD, DAEMON_SET, NODE]),
    ("skew-control-plane", &[POD, NODE]),
    ("etcd-version", &[POD]),
    ("addon-unsupported", &[POD, DEPLOYMENT, DAEMON_SET, STATEFUL_SET]),
    ("crd-stored-version-unserved", &[CRD]),
    ("crd-version-deprecated", &[CRD]),
    ("storage-intree-plugin-removed", &[PV, STORAGE_CLASS, CSI_DRIVER, POD]),
    ("runtime-dockershim", &[NODE]),
    ("node-not-ready", &[NODE, POD]),
    ("node-cordoned", &[NODE, POD]),
    ("node-pressure", &[NODE]),
    ("node-taint-untolerated", &[NODE, POD, DAEMON_SET]),
    ("node-headroom", &[NODE, POD, NODE_METRICS]),
    ("probe-missing-readiness", WORKLOADS),
    ("probe-missing-liveness", WORKLOADS),
    ("probe-liveness-no-failure-threshold", WORKLOADS),
    ("probe-liveness-equals-readiness", WORKLOADS),
    ("probe-no-startup", WORKLOADS),
    ("pod-crashloop", &[POD]),
    ("pod-restarts", &[POD]),
    ("pod-pending", &[POD]),
    ("pod-oomkilled", &[POD]),
    ("pod-unmanaged", &[POD, REPLICA_SET, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB]),
    ("pod-local-data", &[POD]),
    ("pdb-blocks-drain", &[PDB, POD, DEPLOYMENT, STATEFUL_SET, REPLICA_SET, NODE]),
    ("pdb-no-match", &[PDB, POD]),
    ("pdb-overlap", &[PDB, POD]),
    ("workload-single-replica", &[DEPLOYMENT, STATEFUL_SET, HPA, SERVICE]),
    ("deployment-rollout-stuck", &[DEPLOYMENT]),
    ("sts-ondelete", &[STATEFUL_SET]),
    ("sts-partition", &[STATEFUL_SET]),
    ("sts-not-ready", &[STATEFUL_SET]),
    ("pvc-unbound", &[PVC, PV, STORAGE_CLASS, POD]),
    ("pv-released-or-failed", &[PV]),
    ("pvc-storageclass-missing", &[PVC, STATEFUL_SET, STORAGE_CLASS]),
    ("storageclass-default-count", &[STORAGE_CLASS]),
    ("pv-pvc-mismatch", &[PV, PVC]),
    ("backup-velero-missing", &[BACKUP, SCHEDULE, BSL, CRD, NAMESPACE, PVC, STATEFUL_SET, DEPLOYMENT, POD]),
    ("backup-location-unavailable", &[BSL]),
    ("backup-no-schedule", &[SCHEDULE, BSL]),
    ("backup-stale", &[BACKUP, SCHEDULE]),
    ("backup-failed", &[BACKUP]),
    ("backup-namespace-uncovered", &[NAMESPACE, PVC, STATEFUL_SET, SCHEDULE, BACKUP]),
    ("drift-manual-edit", &[DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CONFIG_MAP, SERVICE]),
    ("drift-untracked-config", &[CONFIG_MAP, NAMESPACE]),
    ("drift-desired", &[DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CONFIG_MAP, SERVICE, HPA]),
    ("dep-missing", GRAPH),
    ("dep-protocol-mismatch", &[SERVICE, POD, CONFIG_MAP, NAMESPACE, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, PEER_AUTHENTICATION, DESTINATION_RULE]),
    ("dep-api-mismatch", &[SERVICE, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, POD]),
    ("dep-cycle", GRAPH),
    ("dep-undeclared-egress", &[NETWORK_POLICY, NAMESPACE, SERVICE, POD, CONFIG_MAP, DEPLOYMENT, STATEFUL_SET, DAEMON_SET]),
];

/// The kinds check `id` reads; empty for checks that declare none.
pub fn reads(id: &str) -> &'static [Kind] {
    READS
        .iter()
        .find(|(c, _)| *c == id)
        .map_or(&[], |(_, kinds)| kinds)
}

/// The checks that read `(group, kind)`, in registry order.
pub fn readers(group: &str, kind: &str) -> Vec<&'static str> {
    READS
        .iter()
        .filter(|(_, kinds)| kinds.contains(&(group, kind)))
        .map(|(id, _)| *id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_that_conclude_from_absence_declare_what_they_conclude_about() {
        for (id, kind) in [
            ("etcd-version", POD),
            ("backup-velero-missing", BACKUP),
            ("backup-velero-missing", DEPLOYMENT),
            ("pdb-no-match", POD),
            ("pvc-unbound", POD),
            ("node-cordoned", POD),
            ("node-not-ready", POD),
            ("storageclass-default-count", STORAGE_CLASS),
            ("pvc-storageclass-missing", STORAGE_CLASS),
            ("node-headroom", NODE_METRICS),
            ("skew-kubelet", NODE),
            ("skew-kube-proxy", POD),
            ("skew-control-plane", POD),
            ("addon-unsupported", POD),
            ("workload-single-replica", HPA),
            ("drift-untracked-config", CONFIG_MAP),
            ("dep-missing", SERVICE),
        ] {
            assert!(reads(id).contains(&kind), "{id} does not declare {kind:?}");
        }
        assert_eq!(readers("", "Pod").first(), Some(&"skew-kube-proxy"));
        assert!(reads("api-removed").is_empty());
    }
}
