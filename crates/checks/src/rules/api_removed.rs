use mcp_diag_data::Stability;
use mcp_diag_model::{Finding, Minor, Severity};

use crate::api_versions::{
    HELM_RELEASE_EVIDENCE, LAST_APPLIED_EVIDENCE, MANAGED_FIELDS_EVIDENCE, Usage, for_each_usage, removal,
};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "api-removed",
    severity: Severity::Blocker,
    title: "API version removed by the target release",
    doc: r#"## What it checks
Every object whose `apiVersion` and `kind` the target Kubernetes release no longer serves. The
tool knows every built-in API removed from 1.16 through 1.37, alpha and beta, generated from
the per-release API schemas and the official deprecation guide. Upgrades go one minor at a
time, so every release between the current version (when known) and the target counts: an API
removed in 1.30 blocks an upgrade from 1.29 to 1.32.

For objects read from a cluster or a snapshot, the `apiVersion` they were listed at is not
evidence: the API server converts a stored object to whichever served version the client asks
for (a `kubectl get -o yaml` export shows the version kubectl asked for), so only what clients
sent counts. For manifests, the file's `apiVersion` is what gets applied and counts as it is.

Besides the manifest's `apiVersion`, the check reads the version recorded in the
`kubectl.kubernetes.io/last-applied-configuration` annotation: the API server converts stored
objects to every version it serves, but the manifest that is applied again next time still
uses the old one. Such findings are `high` (the cluster keeps running; the next deploy fails).
The same holds for `metadata.managedFields` (a client or controller that still writes the old
version). On live clusters read with `--helm-releases`, the manifests stored in Helm release
Secrets are checked too (evidence `Helm release`, a `blocker`: Helm cannot upgrade or roll
back a release whose stored manifest uses a kind the server no longer serves).

Custom resources are never reported here just because the tool does not know them.

## Why it matters
After the upgrade the API server answers `404 the server could not find the requested
resource` for the removed version: `kubectl apply`, Helm upgrades, GitOps syncs and controllers
that still send it fail, often silently, until someone notices that nothing deploys.

## Example
```yaml
apiVersion: policy/v1beta1      # removed in 1.25
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
```

## Fix
Change the manifest to the replacement apiVersion (here `policy/v1`) and apply it before the
upgrade; check the field changes the finding lists (for `policy/v1` an empty selector selects
every pod). `kubectl convert` (a kubectl plugin) can rewrite files. For Helm charts, upgrade the
chart to a version that uses the new API.
"#,
};

pub struct ApiRemoved;

impl Check for ApiRemoved {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        for_each_usage(ctx, finding)
    }
}

fn finding(ctx: &Context<'_>, usage: &Usage<'_>) -> Option<Finding> {
    let object = usage.object;
    let removal = removal(&usage.api_version, &object.kind)?;
    if removal.removed_in > ctx.target {
        return None;
    }
    let stability = Stability::of(removal.version);
    let when = match ctx.current {
        Some(current) if removal.removed_in > current => format!(
            "it stops being served at the {} → {} hop of this upgrade",
            Minor::new(removal.removed_in.major, removal.removed_in.minor - 1),
            removal.removed_in
        ),
        Some(current) => format!("the current server ({current}) already no longer serves it"),
        None => format!("Kubernetes {} and later do not serve it", removal.removed_in),
    };
    // A stored object listed at the same version says nothing about how it is stored.
    let stored_as = if object.api_version == usage.api_version {
        " The object".to_owned()
    } else {
        format!(" The object is stored as {}, but it", object.api_version)
    };
    let stored = match (usage.evidence, &usage.manager) {
        (LAST_APPLIED_EVIDENCE, _) => format!(
            "{stored_as} was last applied as {}: the manifest that applies it will fail.",
            usage.api_version
        ),
        (HELM_RELEASE_EVIDENCE, _) => " The Helm release's stored manifest still uses it: `helm upgrade` and `helm rollback` of that release will fail until the release is migrated (helm-mapkubeapis).".to_owned(),
        (_, Some(write)) => format!(
            "{} client {:?} wrote it as {}{} (managedFields): that client's requests will fail.",
            if object.api_version == usage.api_version {
                " The".to_owned()
            } else {
                format!(" The object is stored as {}, but the", object.api_version)
            },
            write.manager,
            usage.api_version,
            write
                .time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    let message = format!(
        "{kind} {av} ({stability}) was removed in Kubernetes {removed}; {when}.{stored}",
        kind = object.kind,
        av = usage.api_version,
        stability = stability.as_str(),
        removed = removal.removed_in,
    );
    let mut remediation = match removal.replacement_served_by(ctx.target) {
        Some(rep) => format!("Migrate to {rep} and apply the change before upgrading."),
        None => {
            "There is no replacement API for this kind; remove the object or replace the feature.".to_owned()
        }
    };
    if !removal.note.is_empty() {
        remediation.push_str(" Note: ");
        remediation.push_str(removal.note);
        if !remediation.ends_with('.') {
            remediation.push('.');
        }
    }
    // The stored object keeps working; what breaks is the manifest or the client that
    // still sends the old version. A Helm release is different: Helm rebuilds the release's
    // stored manifest on every upgrade and rollback, and fails on a kind the server no longer
    // serves ("unable to build kubernetes objects from current release manifest").
    let severity = if usage.evidence == LAST_APPLIED_EVIDENCE || usage.evidence == MANAGED_FIELDS_EVIDENCE {
        Severity::High
    } else {
        INFO.severity
    };
    let title = format!(
        "{} {} removed in {}",
        usage.api_version, object.kind, removal.removed_in,
    );
    let found = usage
        .about(&INFO)
        .severity(severity)
        .words(title, message, remediation);
    Some(
        found
            .detail("removed_in", removal.removed_in)
            .maybe_detail("deprecated_in", removal.deprecated_in)
            .maybe_detail("replacement", removal.replacement_served_by(ctx.target))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::scan_api as scan_yaml;

    // A table invariant over API_REMOVALS (every row, at its removal and not before); the rule's cases are
    // tests/fixtures/api-removed/.
    #[test]
    fn every_removal_row_is_reported_at_its_release_and_not_before() {
        for row in mcp_diag_data::API_REMOVALS {
            let av = row.api_version();
            let yaml = format!(
                "apiVersion: {av}\nkind: {}\nmetadata:\n  name: x\n  namespace: ns\n",
                row.kind
            );
            let at = scan_yaml(&yaml, row.removed_in, None);
            let removed: Vec<_> = at.iter().filter(|f| f.check == "api-removed").collect();
            assert_eq!(removed.len(), 1, "{av} {} at {}", row.kind, row.removed_in);
            assert_eq!(removed[0].severity, Severity::Blocker);
            assert!(removed[0].message.contains(&row.removed_in.to_string()));
            if let Some(rep) = row.replacement_served_by(row.removed_in) {
                assert!(removed[0].remediation.contains(rep), "{}", removed[0].remediation);
            }
            let before = Minor::new(1, row.removed_in.minor - 1);
            let early = scan_yaml(&yaml, before, None);
            assert!(
                early.iter().all(|f| f.check != "api-removed"),
                "{av} {} reported at {before}",
                row.kind
            );
        }
    }
}
