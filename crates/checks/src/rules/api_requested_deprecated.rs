use mcp_diag_model::{Finding, Minor, RequestedApi, Severity};

use crate::api_versions::{planned, removal};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "api-requested-deprecated",
    severity: Severity::High,
    title: "Deprecated API requested by clients (API server metrics)",
    doc: r#"## What it checks
The API server counts every request to a deprecated API in the metric
`apiserver_requested_deprecated_apis{group, version, resource, subresource, removed_release}`
(a gauge set to 1 once a client has asked for it since the server started). On live clusters
`mcp-diag scan` reads `/metrics` and reports each such API; snapshots taken with
`mcp-diag snapshot` record them in `cluster.yaml` (`requestedDeprecatedApis`).

This is evidence no object can give: a controller, CronJob script, CI pipeline or dashboard
that *sends* an old version, even though every stored object was migrated long ago.

Severity: `high` when the release that removes the API is at or before the target (the
client's requests will fail after the upgrade), `medium` when the removal comes later, `info`
when no removal is planned.

## Why it matters
Stored objects are converted by the API server and survive the upgrade; a client that still
requests `flowcontrol.apiserver.k8s.io/v1beta3` does not. After the upgrade it gets
`404 the server could not find the requested resource`, and whatever it does (autoscaling,
backups, deploys) quietly stops.

## Example
```
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
```
Upgrading to 1.32: `high`, "flowschemas.flowcontrol.apiserver.k8s.io/v1beta3 was requested
by a client since the API server started; Kubernetes 1.32 no longer serves it".

## Fix
Find the client: the API server's audit log marks these requests with the annotations
`k8s.io/deprecated: "true"` and `k8s.io/removed-release`, and records the user and user agent
(the API server also returns a `Warning:` header to the client, which `kubectl` prints).
Upgrade or reconfigure that client to the replacement version named in the finding. The
metric is reset when the API server restarts, so an absence of findings after a restart
proves little: read it after a full day of normal traffic.
"#,
};

pub struct ApiRequestedDeprecated;

impl Check for ApiRequestedDeprecated {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.inventory
            .cluster
            .requested_apis
            .iter()
            .map(|api| finding(ctx.target, api))
            .collect()
    }
}

/// The plural resource name Kubernetes uses for a kind (`NetworkPolicy` → `networkpolicies`).
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with("endpoints") {
        lower
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') || lower.ends_with("ch") || lower.ends_with('x') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

fn finding(target: Minor, api: &RequestedApi) -> Finding {
    let api_version = if api.group.is_empty() {
        api.version.clone()
    } else {
        format!("{}/{}", api.group, api.version)
    };
    // The metric names the resource; the tables know kinds.
    let known = mcp_diag_data::API_REMOVALS
        .iter()
        .filter(|r| r.group == api.group && r.version == api.version)
        .find(|r| plural(r.kind) == api.resource)
        .and_then(|r| removal(&api_version, r.kind));
    let planned_row = mcp_diag_data::API_PLANNED_REMOVALS
        .iter()
        .filter(|r| r.group == api.group && r.version == api.version)
        .find(|r| plural(r.kind) == api.resource)
        .and_then(|r| planned(&api_version, r.kind));
    let removed_in = api
        .removed_release
        .parse::<Minor>()
        .ok()
        .or_else(|| known.map(|r| r.removed_in))
        .or_else(|| planned_row.map(|p| p.planned_removal));
    let replacement = known
        .and_then(|r| r.replacement_served_by(target))
        .or_else(|| planned_row.and_then(|p| p.replacement));
    let resource = if api.subresource.is_empty() {
        api.resource.clone()
    } else {
        format!("{}/{}", api.resource, api.subresource)
    };
    let what = if api.group.is_empty() {
        format!("{resource} {}", api.version)
    } else {
        format!("{resource}.{}/{}", api.group, api.version)
    };
    let (severity, consequence) = match removed_in {
        Some(r) if r <= target => (
            Severity::High,
            format!(
                "Kubernetes {r} no longer serves it, so that client's requests will fail after the upgrade to {target}"
            ),
        ),
        Some(r) => (
            Severity::Medium,
            format!("it is removed in Kubernetes {r}, after this upgrade"),
        ),
        None => (Severity::Info, "no removal is planned yet".to_owned()),
    };
    let mut details = std::collections::BTreeMap::new();
    details.insert("resource", api.resource.clone());
    details.insert("api_version", api_version.clone());
    if let Some(r) = removed_in {
        details.insert("removed_in", r.to_string());
    }
    if let Some(rep) = replacement {
        details.insert("replacement", rep.to_owned());
    }
    INFO.finding()
        .severity(severity)
        .title(format!("{what} requested by a client"))
        .message(format!(
            "{what} was requested by a client since the API server started (apiserver_requested_deprecated_apis); {consequence}."
        ))
        .fix(format!(
            "Find the client in the API server's audit log (annotation k8s.io/deprecated=true, user agent) and move it to {}.",
            replacement.unwrap_or("a served version"),
        ))
        .evidence("request metrics")
        .details(details)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural("NetworkPolicy"), "networkpolicies");
        assert_eq!(plural("Ingress"), "ingresses");
        assert_eq!(plural("Endpoints"), "endpoints");
        assert_eq!(plural("CronJob"), "cronjobs");
    }
}
