use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::rules::workload_single_replica::namespace_of;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "sts-ondelete",
    severity: Severity::High,
    title: "StatefulSet with the OnDelete update strategy",
    doc: r#"## What it checks
Every StatefulSet with `spec.updateStrategy.type: OnDelete` (manifests and snapshots). In a
snapshot the finding says how many pods still run an older revision
(`status.updatedReplicas` below the replicas). A StatefulSet owned by another controller
(an operator that deletes its pods itself, by design) is reported as `medium`.

## Why it matters
With `OnDelete` the StatefulSet controller never replaces a pod after a template change:
pods keep the old spec until someone deletes them. Changes made before or during the
upgrade (new image, fixed probe, new API version of a sidecar) silently do not reach the
pods, and then the drains of the upgrade delete them: each evicted pod comes back with the
new template, in drain order, without the ordered, readiness-gated rollout of
`RollingUpdate`. Two pods of a database may switch versions at the same time.

## Example
StatefulSet `data/redis` with `updateStrategy: {type: OnDelete}`: a new redis image was
applied, but all three pods still run the old one until the upgrade drains their nodes.

## Fix
Use `updateStrategy: {type: RollingUpdate}` (with a `partition` to stage changes) when the
application tolerates ordered restarts. Otherwise roll pending changes out by hand before
the upgrade: delete one pod at a time (`kubectl delete pod redis-2 -n data`) and wait for it
to be Ready, so the drains do not apply them by surprise.
"#,
};

pub struct StsOndelete;

impl Check for StsOndelete {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.index
            .of_kind("StatefulSet")
            .iter()
            .filter(|s| strategy(s) == Some("OnDelete"))
            .map(|s| on_delete(ctx, s))
            .collect()
    }
}

/// `spec.updateStrategy.type` as written (`None` when absent: RollingUpdate by default).
pub(crate) fn strategy(sts: &Object) -> Option<&str> {
    sts.raw
        .path(&["spec", "updateStrategy", "type"])
        .and_then(Node::as_str)
}

/// `spec.replicas`, 1 when absent, `None` when unreadable.
pub(crate) fn replicas(object: &Object) -> Option<i64> {
    match object.raw.path(&["spec", "replicas"]).filter(|n| !n.is_null()) {
        None => Some(1),
        Some(n) => n.as_i64(),
    }
}

fn on_delete(ctx: &Context<'_>, sts: &Object) -> Finding {
    let ns = namespace_of(sts);
    let name = &sts.name;
    let mut details = BTreeMap::from([("update_strategy", "OnDelete".to_owned())]);
    let replicas = replicas(sts);
    let status_int = |k: &str| sts.raw.path(&["status", k]).and_then(Node::as_i64);
    let mut pending = String::new();
    if ctx.inventory.kind != SourceKind::Manifests
        && let (Some(r), Some(updated)) = (replicas, status_int("updatedReplicas"))
    {
        details.insert("replicas", r.to_string());
        details.insert("updated_replicas", updated.to_string());
        if updated < r {
            let old = r - updated;
            pending = format!(
                " Right now {old} of its {} still {} an older revision than the template ({}): the drains will switch {} over.",
                mcp_diag_model::plural(r, "pod", "pods"),
                if old == 1 { "runs" } else { "run" },
                sts.raw
                    .path(&["status", "updateRevision"])
                    .and_then(Node::as_str)
                    .unwrap_or("update revision"),
                if old == 1 { "it" } else { "them" }
            );
        } else {
            pending = if r == 1 {
                " Right now its pod runs the current template.".to_owned()
            } else {
                format!(" Right now all {r} pods run the current template.")
            };
        }
    }
    let owner = sts
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        })
        .map(|r| {
            format!(
                "{} {}",
                r.get("kind").and_then(Node::as_str).unwrap_or("controller"),
                r.get("name").and_then(Node::as_str).unwrap_or("")
            )
        });
    let (severity, managed) = match &owner {
        Some(o) => {
            details.insert("owner", o.clone());
            (
                Severity::Medium,
                format!(
                    " It is managed by {o}, which likely chose OnDelete to restart pods itself: check that this operator's version supports the target release and how it behaves during drains."
                ),
            )
        }
        None => (INFO.severity, String::new()),
    };
    INFO.about(sts)
        .severity(severity)
        .title(format!("StatefulSet {ns}/{name} uses updateStrategy OnDelete"))
        .message(format!(
            "StatefulSet {ns}/{name} uses updateStrategy OnDelete: its pods keep the old spec after a template change until someone deletes them, and each pod a drain evicts comes back with the newest template, in drain order rather than in an ordered, readiness-gated rollout.{pending}{managed}"
        ))
        .fix(format!(
            "Switch StatefulSet {ns}/{name} to updateStrategy: {{type: RollingUpdate}} if it tolerates ordered restarts; otherwise, before the upgrade, roll pending changes out by hand: delete one pod at a time (kubectl delete pod {name}-N -n {ns}) and wait for it to be Ready."
        ))
        .evidence("spec.updateStrategy")
        .details(details)
        .build()
}
