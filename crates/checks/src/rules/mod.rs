//! One module per check.

use crate::Check;

pub mod api_deprecated;
pub mod api_removed;
pub mod api_unavailable;
pub mod input_invalid;
pub mod input_skipped;

/// The checks that run on an inventory (input checks are raised by the sources).
pub static ALL: &[&dyn Check] = &[
    &api_removed::ApiRemoved,
    &api_deprecated::ApiDeprecated,
    &api_unavailable::ApiUnavailable,
];

#[cfg(test)]
pub(crate) mod test_support {
    use mcp_diag_model::{Finding, Inventory, Minor, SourceKind};

    use crate::Context;

    /// Parses YAML as a manifest file would be and runs every check.
    pub(crate) fn scan_yaml(yaml: &str, target: Minor, current: Option<Minor>) -> Vec<Finding> {
        let parsed = mcp_diag_sources::parse_bytes("test.yaml", yaml.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let mut inventory = Inventory::new(SourceKind::Manifests, "test", "test");
        inventory.objects = parsed.objects;
        crate::run_all(&Context {
            inventory: &inventory,
            target,
            current,
        })
    }
}
