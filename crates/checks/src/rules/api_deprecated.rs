use mcp_diag_data::Stability;
use mcp_diag_model::{Finding, Severity};

use crate::api_versions::{Usage, for_each_usage, planned, removal};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "api-deprecated",
    severity: Severity::Medium,
    title: "API version deprecated, removed in a later release",
    doc: r#"## What it checks
Objects whose `apiVersion` the target release still serves but has deprecated (or, for alpha
APIs, that a later release removes without notice). The finding names the release that removes
it, or the release its removal is planned for. As for `api-removed`, a stored object (live
read or snapshot) is reported only on what clients sent: its last-applied annotation, its
`managedFields` and Helm release manifests, not the version it was listed at.

## Why it matters
This upgrade goes through, but the next one will not: the removal becomes a blocker one or two
upgrades later, usually when nobody remembers the warning. Migrating now, while both versions
are served, is a no-risk change.

## Example
```yaml
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3   # deprecated in 1.29, removed in 1.32
kind: FlowSchema
metadata: {name: platform-controllers}
```

## Fix
Move the manifest to the replacement apiVersion named in the finding and apply it. Both
versions are served until the removal, so the change can be made at any time.
"#,
};

pub struct ApiDeprecated;

impl Check for ApiDeprecated {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        for_each_usage(ctx, finding)
    }
}

fn finding(ctx: &Context<'_>, usage: &Usage<'_>) -> Option<Finding> {
    let object = usage.object;
    let (deprecated_in, removed_in, goes_away, replacement) =
        if let Some(r) = removal(&usage.api_version, &object.kind) {
            if r.removed_in <= ctx.target {
                return None;
            }
            let deprecated = match r.deprecated_in {
                Some(d) if d <= ctx.target => Some(d),
                // Alpha APIs carry no promise and disappear without a deprecation period.
                None if Stability::of(r.version) == Stability::Alpha => None,
                _ => return None,
            };
            (
                deprecated,
                r.removed_in,
                format!("it is removed in Kubernetes {}", r.removed_in),
                r.replacement_served_by(r.removed_in),
            )
        } else if let Some(p) = planned(&usage.api_version, &object.kind) {
            if p.deprecated_in > ctx.target {
                return None;
            }
            (
                Some(p.deprecated_in),
                p.planned_removal,
                format!("its removal is planned for Kubernetes {}", p.planned_removal),
                p.replacement,
            )
        } else {
            return None;
        };
    let since = match deprecated_in {
        Some(d) => format!("deprecated since Kubernetes {d}"),
        None => "an alpha API".to_owned(),
    };
    let message = format!(
        "{} {} is still served by {} but {since}; {goes_away}.",
        object.kind, usage.api_version, ctx.target
    );
    let remediation = match replacement {
        Some(rep) => format!("Migrate to {rep} now, while both versions are served."),
        None => "There is no replacement API for this kind yet; plan to remove the object.".to_owned(),
    };
    let title = format!("{} {} deprecated", usage.api_version, object.kind);
    let found = usage.about(&INFO).words(title, message, remediation);
    Some(
        found
            .detail("removed_in", removed_in)
            .maybe_detail("deprecated_in", deprecated_in)
            .maybe_detail("replacement", replacement)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::Minor;

    use crate::rules::test_support::scan_api as scan_yaml;

    // A table invariant over API_REMOVALS (every deprecated row, between its deprecation and removal); the rule's cases are
    // tests/fixtures/api-deprecated/.
    #[test]
    fn every_deprecated_row_is_reported_between_deprecation_and_removal() {
        for row in mcp_diag_data::API_REMOVALS {
            let Some(dep) = row.deprecated_in else { continue };
            if dep.minor + 1 >= row.removed_in.minor {
                continue;
            }
            let yaml = format!(
                "apiVersion: {}\nkind: {}\nmetadata: {{name: x}}\n",
                row.api_version(),
                row.kind
            );
            let f = scan_yaml(&yaml, Minor::new(1, row.removed_in.minor - 1), None);
            assert!(
                f.iter().any(|f| f.check == "api-deprecated"),
                "{} {}",
                row.api_version(),
                row.kind
            );
        }
    }
}
