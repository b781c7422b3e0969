//! The ids, default severities and documentation of every check.

pub use crate::info::CheckInfo;

/// Every check id the tool can report, including those raised while reading input.
pub const CHECKS: &[&CheckInfo] = &[
    &crate::rules::api_removed::INFO,
    &crate::rules::api_deprecated::INFO,
    &crate::rules::api_unavailable::INFO,
    &crate::rules::api_requested_deprecated::INFO,
    &crate::rules::version_hops::INFO,
    &crate::rules::skew_kubelet::INFO,
    &crate::rules::skew_kube_proxy::INFO,
    &crate::rules::skew_control_plane::INFO,
    &crate::rules::etcd_version::INFO,
    &crate::rules::etcd_unhealthy::INFO,
    &crate::rules::addon_unsupported::INFO,
    &crate::rules::crd_stored_version_unserved::INFO,
    &crate::rules::crd_version_deprecated::INFO,
    &crate::rules::storage_intree_plugin_removed::INFO,
    &crate::rules::runtime_dockershim::INFO,
    &crate::rules::version_end_of_life::INFO,
    &crate::rules::node_not_ready::INFO,
    &crate::rules::node_cordoned::INFO,
    &crate::rules::node_pressure::INFO,
    &crate::rules::node_taint_untolerated::INFO,
    &crate::rules::node_headroom::INFO,
    &crate::rules::probe_missing_readiness::INFO,
    &crate::rules::probe_missing_liveness::INFO,
    &crate::rules::probe_liveness_no_failure_threshold::INFO,
    &crate::rules::probe_liveness_equals_readiness::INFO,
    &crate::rules::probe_no_startup::INFO,
    &crate::rules::pod_crashloop::INFO,
    &crate::rules::pod_restarts::INFO,
    &crate::rules::pod_pending::INFO,
    &crate::rules::pod_oomkilled::INFO,
    &crate::rules::pod_unmanaged::INFO,
    &crate::rules::pod_local_data::INFO,
    &crate::rules::pdb_blocks_drain::INFO,
    &crate::rules::pdb_no_match::INFO,
    &crate::rules::pdb_overlap::INFO,
    &crate::rules::workload_single_replica::INFO,
    &crate::rules::deployment_rollout_stuck::INFO,
    &crate::rules::sts_ondelete::INFO,
    &crate::rules::sts_partition::INFO,
    &crate::rules::sts_not_ready::INFO,
    &crate::rules::pvc_unbound::INFO,
    &crate::rules::pv_released_or_failed::INFO,
    &crate::rules::pvc_storageclass_missing::INFO,
    &crate::rules::storageclass_default_count::INFO,
    &crate::rules::pv_pvc_mismatch::INFO,
    &crate::rules::backup_velero_missing::INFO,
    &crate::rules::backup_location_unavailable::INFO,
    &crate::rules::backup_no_schedule::INFO,
    &crate::rules::backup_stale::INFO,
    &crate::rules::backup_failed::INFO,
    &crate::rules::backup_namespace_uncovered::INFO,
    &crate::rules::drift_manual_edit::INFO,
    &crate::rules::drift_untracked_config::INFO,
    &crate::rules::drift_desired::INFO,
    &crate::rules::dep_missing::INFO,
    &crate::rules::dep_protocol_mismatch::INFO,
    &crate::rules::dep_api_mismatch::INFO,
    &crate::rules::dep_cycle::INFO,
    &crate::rules::dep_undeclared_egress::INFO,
    &crate::rules::user_rule_info::INFO,
    &crate::rules::input_incomplete::INFO,
    &crate::rules::input_invalid::INFO,
    &crate::rules::input_duplicate_key::INFO,
    &crate::rules::input_skipped::INFO,
    &crate::rules::access_denied::INFO,
    &crate::rules::cluster_unreachable::INFO,
    &crate::rules::ignore_expired::INFO,
    &crate::rules::ignore_invalid::INFO,
];

pub fn check_info(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for c in CHECKS {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(
                c.id.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                c.id
            );
            for section in ["## What it checks", "## Why it matters", "## Example", "## Fix"] {
                assert!(c.doc.contains(section), "{} lacks {section}", c.id);
            }
        }
    }

    #[test]
    fn every_runnable_check_is_registered() {
        for check in crate::rules::ALL {
            assert!(
                check_info(check.info().id).is_some(),
                "{} not in CHECKS",
                check.info().id
            );
        }
    }

    /// Here rather than in reads.rs, which the registry's rules import.
    #[test]
    fn every_reads_entry_names_a_registered_check_once() {
        use crate::reads::READS;
        for (i, (id, kinds)) in READS.iter().enumerate() {
            assert!(check_info(id).is_some(), "{id} is not a check");
            assert!(READS[..i].iter().all(|(c, _)| c != id), "{id} twice");
            assert!(!kinds.is_empty(), "{id} declares nothing");
        }
    }
}
