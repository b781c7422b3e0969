//! One module per check.

use crate::Check;

pub mod access_denied;
pub mod addon_unsupported;
pub mod api_deprecated;
pub mod api_removed;
pub mod api_requested_deprecated;
pub mod api_unavailable;
pub mod backup_failed;
pub mod backup_location_unavailable;
pub mod backup_namespace_uncovered;
pub mod backup_no_schedule;
pub mod backup_stale;
pub mod backup_velero_missing;
pub mod cluster_unreachable;
pub mod crd_stored_version_unserved;
pub mod crd_version_deprecated;
pub mod dep_api_mismatch;
pub mod dep_cycle;
pub mod dep_missing;
pub mod dep_protocol_mismatch;
pub mod dep_undeclared_egress;
pub mod deployment_rollout_stuck;
pub mod drift_desired;
pub mod drift_manual_edit;
pub mod drift_untracked_config;
pub mod etcd_unhealthy;
pub mod etcd_version;
pub mod ignore_expired;
pub mod ignore_invalid;
pub mod input_duplicate_key;
pub mod input_incomplete;
pub mod input_invalid;
pub mod input_skipped;
pub mod node_cordoned;
pub mod node_headroom;
pub mod node_not_ready;
pub mod node_pressure;
pub mod node_taint_untolerated;
pub mod pdb_blocks_drain;
pub mod pdb_no_match;
pub mod pdb_overlap;
pub mod pod_crashloop;
pub mod pod_local_data;
pub mod pod_oomkilled;
pub mod pod_pending;
pub mod pod_restarts;
pub mod pod_unmanaged;
pub mod probe_liveness_equals_readiness;
pub mod probe_liveness_no_failure_threshold;
pub mod probe_missing_liveness;
pub mod probe_missing_readiness;
pub mod probe_no_startup;
pub mod pv_pvc_mismatch;
pub mod pv_released_or_failed;
pub mod pvc_storageclass_missing;
pub mod pvc_unbound;
pub mod runtime_dockershim;
pub mod scale;
pub mod skew_common;
pub mod skew_control_plane;
pub mod skew_kube_proxy;
pub mod skew_kubelet;
pub mod storage_intree_plugin_removed;
pub mod storageclass_default_count;
pub mod sts_not_ready;
pub mod sts_ondelete;
pub mod sts_partition;
pub(crate) mod user_rule_info;
pub mod user_rules;
pub mod version_end_of_life;
pub mod version_hops;
pub mod workload_single_replica;

/// The checks that run on an inventory (input checks are raised by the sources).
pub static ALL: &[&dyn Check] = &[
    &api_removed::ApiRemoved,
    &api_deprecated::ApiDeprecated,
    &api_unavailable::ApiUnavailable,
    &api_requested_deprecated::ApiRequestedDeprecated,
    &version_hops::VersionHops,
    &skew_kubelet::SkewKubelet,
    &skew_kube_proxy::SkewKubeProxy,
    &skew_control_plane::SkewControlPlane,
    &etcd_version::EtcdVersion,
    &addon_unsupported::AddonUnsupported,
    &crd_stored_version_unserved::CrdStoredVersionUnserved,
    &crd_stored_version_unserved::CrdCustomResourceUnserved,
    &crd_version_deprecated::CrdVersionDeprecated,
    &storage_intree_plugin_removed::StorageIntreePluginRemoved,
    &runtime_dockershim::RuntimeDockershim,
    &version_end_of_life::VersionEndOfLife,
    &node_not_ready::NodeNotReady,
    &node_cordoned::NodeCordoned,
    &node_pressure::NodePressure,
    &node_taint_untolerated::NodeTaintUntolerated,
    &node_headroom::NodeHeadroom,
    &probe_missing_readiness::ProbeMissingReadiness,
    &probe_missing_liveness::ProbeMissingLiveness,
    &probe_liveness_no_failure_threshold::ProbeLivenessNoFailureThreshold,
    &probe_liveness_equals_readiness::ProbeLivenessEqualsReadiness,
    &probe_no_startup::ProbeNoStartup,
    &pod_crashloop::PodCrashloop,
    &pod_restarts::PodRestarts,
    &pod_pending::PodPending,
    &pod_oomkilled::PodOomkilled,
    &pod_unmanaged::PodUnmanaged,
    &pod_local_data::PodLocalData,
    &pdb_blocks_drain::PdbBlocksDrain,
    &pdb_no_match::PdbNoMatch,
    &pdb_overlap::PdbOverlap,
    &workload_single_replica::WorkloadSingleReplica,
    &deployment_rollout_stuck::DeploymentRolloutStuck,
    &sts_ondelete::StsOndelete,
    &sts_partition::StsPartition,
    &sts_not_ready::StsNotReady,
    &pvc_unbound::PvcUnbound,
    &pv_released_or_failed::PvReleasedOrFailed,
    &pvc_storageclass_missing::PvcStorageclassMissing,
    &storageclass_default_count::StorageclassDefaultCount,
    &pv_pvc_mismatch::PvPvcMismatch,
    &backup_velero_missing::BackupVeleroMissing,
    &backup_location_unavailable::BackupLocationUnavailable,
    &backup_no_schedule::BackupNoSchedule,
    &backup_stale::BackupStale,
    &backup_failed::BackupFailed,
    &backup_namespace_uncovered::BackupNamespaceUncovered,
    &drift_manual_edit::DriftManualEdit,
    &drift_untracked_config::DriftUntrackedConfig,
    &drift_desired::DriftDesired,
    &dep_missing::DepMissing,
    &dep_protocol_mismatch::DepProtocolMismatch,
    &dep_api_mismatch::DepApiMismatch,
    &dep_cycle::DepCycle,
    &dep_undeclared_egress::DepUndeclaredEgress,
    &user_rules::UserRulesCheck,
    &input_incomplete::InputIncomplete,
];

#[cfg(test)]
pub(crate) mod test_support {
    use mcp_diag_model::{Date, Finding, Inventory, Minor, SourceKind};

    use crate::Settings;

    /// The scan date tests use, so that end-of-life findings do not change with the clock.
    pub(crate) const TODAY: Date = Date::new(2026, 11, 25);

    /// Default options with "now" at the tests' scan date (2026-11-25T00:00:00Z).
    pub(crate) fn options() -> crate::CheckOptions {
        crate::CheckOptions {
            now: mcp_diag_model::time::days_from_civil(TODAY) * 86_400,
            ..Default::default()
        }
    }

    /// Parses YAML as a manifest file would be into an inventory.
    pub(crate) fn inventory(yaml: &str, kind: SourceKind) -> Inventory {
        let parsed = mcp_diag_sources::parse_bytes("test.yaml", yaml.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let mut inventory = Inventory::new(kind, "test", "test");
        inventory.objects = parsed.objects;
        inventory
    }

    /// Parses YAML as a manifest file would be and runs the API checks (`api-*`).
    pub(crate) fn scan_api(yaml: &str, target: Minor, current: Option<Minor>) -> Vec<Finding> {
        scan_yaml(yaml, target, current)
            .into_iter()
            .filter(|f| f.check.starts_with("api-"))
            .collect()
    }

    /// Parses YAML as a manifest file would be and runs every check.
    pub(crate) fn scan_yaml(yaml: &str, target: Minor, current: Option<Minor>) -> Vec<Finding> {
        let inventory = inventory(yaml, SourceKind::Manifests);
        crate::run_all(
            &inventory,
            &Settings {
                target,
                current,
                today: TODAY,
                rules: &[],
                options: &options(),
            },
        )
    }

    /// Runs only the check `id` on a snapshot-like inventory at `current`.
    #[allow(dead_code, reason = "for the check modules' tests")]
    pub(crate) fn run_check(id: &str, yaml: &str, target: Minor, current: Option<Minor>) -> Vec<Finding> {
        let inventory = inventory(yaml, SourceKind::Snapshot);
        crate::run_all(
            &inventory,
            &Settings {
                target,
                current,
                today: TODAY,
                rules: &[],
                options: &options(),
            },
        )
        .into_iter()
        .filter(|f| f.check == id)
        .collect()
    }
}
