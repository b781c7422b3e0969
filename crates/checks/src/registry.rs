//! The ids, default severities and documentation of every check.

use mcp_diag_model::Severity;

/// A check's identity and documentation. Ids are stable and part of the report contract.
#[derive(Debug)]
pub struct CheckInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Markdown with the sections What it checks / Why it matters / Example / Fix.
    pub doc: &'static str,
}

/// Every check id the tool can report, including those raised while reading input.
pub const CHECKS: &[&CheckInfo] = &[
    &crate::rules::api_removed::INFO,
    &crate::rules::api_deprecated::INFO,
    &crate::rules::api_unavailable::INFO,
    &crate::rules::version_hops::INFO,
    &crate::rules::skew_kubelet::INFO,
    &crate::rules::skew_kube_proxy::INFO,
    &crate::rules::skew_control_plane::INFO,
    &crate::rules::etcd_version::INFO,
    &crate::rules::addon_unsupported::INFO,
    &crate::rules::crd_stored_version_unserved::INFO,
    &crate::rules::crd_version_deprecated::INFO,
    &crate::rules::storage_intree_plugin_removed::INFO,
    &crate::rules::runtime_dockershim::INFO,
    &crate::rules::version_end_of_life::INFO,
    &crate::rules::user_rules::INFO,
    &crate::rules::input_invalid::INFO,
    &crate::rules::input_skipped::INFO,
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
}
