use mcp_diag_data::{NEWEST_KNOWN_MINOR, OLDEST_KNOWN_MINOR, is_builtin_group, served_range};
use mcp_diag_model::{Finding, Severity};

use crate::api_versions::{Usage, for_each_usage, removal};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "api-unavailable",
    severity: Severity::Blocker,
    title: "Built-in API version not served by the target release",
    doc: r#"## What it checks
Objects in a built-in API group (`apps`, `batch`, `networking.k8s.io`, the core group, ...)
whose `apiVersion` and `kind` the target release does not serve for a reason other than a
removal (that is `api-removed`): the version was introduced in a later release, or no release
from 1.11 to 1.37 ever had it (usually a typo such as `apps/v1beta3` or a kind in the wrong
group). The knowledge comes from the per-release API schemas.

Groups of custom resources and aggregated APIs (such as `metrics.k8s.io`) are never reported.

## Why it matters
Manifests written for a newer cluster (`resource.k8s.io/v1` needs 1.34, `autoscaling/v2`
needs 1.23) fail on an older one, for example when a fleet is upgraded cluster by cluster and
the same manifests are applied everywhere, or when a pipeline applies before the upgrade.

## Example
```yaml
apiVersion: autoscaling/v2        # served from 1.23; the target is 1.22
kind: HorizontalPodAutoscaler
metadata: {name: web}
```

## Fix
Use an apiVersion the target serves (the finding names it), or upgrade the cluster before
applying the manifest. For a typo, correct the apiVersion or kind.
"#,
};

pub struct ApiUnavailable;

impl Check for ApiUnavailable {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        for_each_usage(ctx, finding)
    }
}

fn finding(ctx: &Context<'_>, usage: &Usage<'_>) -> Option<Finding> {
    let object = usage.object;
    let (group, _) = usage
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &usage.api_version));
    if !is_builtin_group(group) || object.kind.ends_with("List") || ctx.target > NEWEST_KNOWN_MINOR {
        return None;
    }
    let range = served_range(&usage.api_version, &object.kind);
    let not_yet = range.is_some_and(|r| r.first > ctx.target && r.first > OLDEST_KNOWN_MINOR);
    if !not_yet && removal(&usage.api_version, &object.kind).is_some() {
        return None; // api-removed / api-deprecated speak about it
    }
    let (message, details) = match range {
        Some(range) if range.first > ctx.target && range.first > OLDEST_KNOWN_MINOR => (
            format!(
                "{} {} is served from Kubernetes {} on; the target {} does not serve it yet.",
                object.kind, usage.api_version, range.first, ctx.target
            ),
            Some(("available_from", range.first.to_string())),
        ),
        Some(range) if range.last < ctx.target => (
            format!(
                "{} {} was last served by Kubernetes {}; the target {} does not serve it.",
                object.kind, usage.api_version, range.last, ctx.target
            ),
            Some(("removed_in", range.last.next().to_string())),
        ),
        Some(_) => return None,
        None => (
            format!(
                "No Kubernetes release from {OLDEST_KNOWN_MINOR} to {NEWEST_KNOWN_MINOR} serves {} in {}: check the apiVersion and kind for a typo.",
                object.kind, usage.api_version
            ),
            None,
        ),
    };
    let served_now = served_alternatives(group, &object.kind, ctx);
    let remediation = if served_now.is_empty() {
        format!(
            "The target {} serves no version of {} in this group; check the kind.",
            ctx.target, object.kind
        )
    } else {
        format!(
            "The target {} serves {} as {}.",
            ctx.target,
            object.kind,
            served_now.join(", ")
        )
    };
    let title = format!(
        "{} {} not served by {}",
        usage.api_version, object.kind, ctx.target
    );
    Some(
        usage
            .about(&INFO)
            .words(title, message, remediation)
            .details(details)
            .build(),
    )
}

/// The apiVersions of `kind` in `group` that the target serves, most stable first.
fn served_alternatives(group: &str, kind: &str, ctx: &Context<'_>) -> Vec<String> {
    let mut versions: Vec<(mcp_diag_data::Stability, &str)> = mcp_diag_data::API_SERVED
        .iter()
        .filter(|r| r.group == group && r.kind == kind && r.first <= ctx.target && ctx.target <= r.last)
        .map(|r| (mcp_diag_data::Stability::of(r.version), r.version))
        .collect();
    versions.sort_by(|a, b| b.cmp(a));
    versions
        .into_iter()
        .map(|(_, v)| {
            if group.is_empty() {
                v.to_owned()
            } else {
                format!("{group}/{v}")
            }
        })
        .collect()
}
