//! One module per check.

use crate::Check;

pub mod addon_unsupported;
pub mod api_deprecated;
pub mod api_removed;
pub mod api_unavailable;
pub mod crd_stored_version_unserved;
pub mod crd_version_deprecated;
pub mod etcd_version;
pub mod input_invalid;
pub mod input_skipped;
pub mod runtime_dockershim;
pub mod skew_control_plane;
pub mod skew_kube_proxy;
pub mod skew_kubelet;
pub mod storage_intree_plugin_removed;
pub mod user_rules;
pub mod version_end_of_life;
pub mod version_hops;

/// The checks that run on an inventory (input checks are raised by the sources).
pub static ALL: &[&dyn Check] = &[
    &api_removed::ApiRemoved,
    &api_deprecated::ApiDeprecated,
    &api_unavailable::ApiUnavailable,
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
    &user_rules::UserRulesCheck,
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
