use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::gitops::{Tracking, controller_owned, gitops_manager, tracking};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "drift-manual-edit",
    severity: Severity::Medium,
    title: "Object owned by GitOps or Helm changed by hand",
    doc: r#"## What it checks
`metadata.managedFields` of every object that Helm, Argo CD or Flux manages, for a write by
hand that came after the tool's last write. The object counts as managed when a manager
entry is `helm`, `argocd-controller` or `argocd-application-controller` (Argo CD),
`kustomize-controller` or `helm-controller` (Flux), or when it carries their marks: label
`app.kubernetes.io/managed-by: Helm`, annotation `meta.helm.sh/release-name`, annotation
`argocd.argoproj.io/tracking-id` (or other `argocd.argoproj.io/` keys next to the
`app.kubernetes.io/instance` label Argo CD tracks by), labels
`kustomize.toolkit.fluxcd.io/name` or `helm.toolkit.fluxcd.io/name`.

Writes by hand are the managers `kubectl-edit`, `kubectl-patch`, `kubectl-replace`,
`kubectl-set`, `kubectl-scale`, `kubectl-label`, `kubectl-annotate`, `kubectl` (older kubectl,
or `kubectl apply --server-side`) and `Mozilla` (web consoles record the browser), reported
when their time is later than the managing tool's last write (or when the tool records no
write of its own). `kubectl-client-side-apply` counts only when it is later than a recorded
write of the tool: objects moved from `kubectl apply` to Argo CD keep an old entry of it.
`kubectl rollout restart` is not an edit. Status writes and objects owned by a controller
(pods of a ReplicaSet) are skipped. The finding names the manager, the time and up to five
fields it owns.

## Why it matters
A change made by hand is not in Git. During the upgrade, the next sync or `helm upgrade`
(often part of the upgrade runbook) silently reverts it, or, where the tool does not touch
that field, the cluster keeps a setting nobody can see in review: a memory limit raised
during an incident, an image pinned by hand. Either way the declared state no longer
describes what runs, and a rebuild from Git would not reproduce it.

## Example
Deployment `shop/user-auth`, Helm release `user-auth` (last `helm` write 2026-10-28), has a
managedFields entry `kubectl-edit` (Update) at 2026-11-03 owning
`spec.template.spec.containers[name=user-auth].resources.limits.memory`: `medium`.

## Fix
Decide whether the change should stay. If so, put it into the chart values or manifests in
Git and roll it out through the tool; if not, let the tool restore the declared state (`helm
upgrade` with the same values, an Argo CD sync, `flux reconcile`). Review the object with
`kubectl get KIND NAME -n NS -o yaml --show-managed-fields`.
"#,
};

pub struct DriftManualEdit;

impl Check for DriftManualEdit {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        ctx.inventory
            .objects
            .iter()
            .filter(|o| o.raw.path(&["metadata", "managedFields"]).is_some())
            .filter_map(check_object)
            .collect()
    }
}

/// Managers that only people (or their consoles) use.
const BY_HAND: &[&str] = &[
    "kubectl-edit",
    "kubectl-patch",
    "kubectl-replace",
    "kubectl-set",
    "kubectl-scale",
    "kubectl-label",
    "kubectl-annotate",
    "Mozilla",
];

struct Entry<'a> {
    manager: &'a str,
    operation: &'a str,
    time: Option<i64>,
    time_text: Option<&'a str>,
    fields: Option<Node<'a>>,
}

fn entries(object: &Object) -> Vec<Entry<'_>> {
    object
        .raw
        .path(&["metadata", "managedFields"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|e| e.get("subresource").and_then(Node::as_str) != Some("status"))
        .filter_map(|e| {
            let time_text = e.get("time").and_then(Node::as_str);
            Some(Entry {
                manager: e.get("manager")?.as_str()?,
                operation: e.get("operation").and_then(Node::as_str).unwrap_or_default(),
                time: time_text.and_then(mcp_diag_model::time::parse_timestamp),
                time_text,
                fields: e.get("fieldsV1"),
            })
        })
        .collect()
}

fn check_object(object: &Object) -> Option<Finding> {
    if controller_owned(object) {
        return None;
    }
    let entries = entries(object);
    let tool_writes: Vec<&Entry<'_>> = entries
        .iter()
        .filter(|e| gitops_manager(e.manager).is_some())
        .collect();
    let manual: Vec<&Entry<'_>> = entries
        .iter()
        .filter(|e| {
            BY_HAND.contains(&e.manager)
                || e.manager == "kubectl-client-side-apply"
                || (e.manager == "kubectl" && matches!(e.operation, "Update" | "Apply"))
        })
        .collect();
    if manual.is_empty() {
        return None;
    }
    let tracking = tracking(object)?;
    let last_tool = tool_writes
        .iter()
        .filter_map(|e| e.time.map(|t| (t, *e)))
        .max_by_key(|(t, _)| *t);
    if !tool_writes.is_empty() && last_tool.is_none() {
        return None; // the tool's writes carry no time: the order cannot be told
    }
    let later: Vec<&Entry<'_>> = manual
        .into_iter()
        .filter(|e| match last_tool {
            Some((tool_time, _)) => e.time.is_some_and(|t| t > tool_time),
            // The tool records no write of its own (Argo CD's client-side apply): only
            // managers nobody but people use count.
            None => e.manager != "kubectl-client-side-apply",
        })
        .collect();
    let newest = later.iter().max_by_key(|e| e.time).copied()?;
    Some(report(
        object,
        &tracking,
        &later,
        newest,
        last_tool.map(|(_, e)| e),
    ))
}

fn report(
    object: &Object,
    tracking: &Tracking,
    later: &[&Entry<'_>],
    newest: &Entry<'_>,
    last_tool: Option<&Entry<'_>>,
) -> Finding {
    let what = match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    };
    let mut fields = Vec::new();
    for e in later {
        if let Some(f) = e.fields {
            leaf_paths(f, "", &mut fields);
        }
    }
    fields.retain(|f| !f.ends_with("kubectl.kubernetes.io/last-applied-configuration"));
    fields.sort();
    fields.dedup();
    let at = newest.time_text.unwrap_or("an unknown time");
    let op = if newest.operation.is_empty() {
        String::new()
    } else {
        format!(" ({})", newest.operation)
    };
    let others: Vec<String> = later
        .iter()
        .filter(|e| !std::ptr::eq(**e, newest))
        .map(|e| format!("{} at {}", e.manager, e.time_text.unwrap_or("an unknown time")))
        .collect();
    let after = match last_tool {
        Some(t) => format!(
            ", after {}'s last write ({} at {})",
            tracking.tool,
            t.manager,
            t.time_text.unwrap_or("?")
        ),
        None => format!(
            ", and {} records no write of its own to compare with",
            tracking.tool
        ),
    };
    let owns = if fields.is_empty() {
        String::new()
    } else {
        format!(" It owns {}.", name_list(&fields, 5))
    };
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" Also changed by hand: {}.", others.join(", "))
    };
    let mut details = BTreeMap::from([
        ("manager", newest.manager.to_owned()),
        ("time", at.to_owned()),
        ("managed_by", tracking.tool.to_owned()),
        ("tracking", tracking.evidence.clone()),
    ]);
    // An entry without `operation` says nothing about it: no empty detail.
    if !newest.operation.is_empty() {
        details.insert("operation", newest.operation.to_owned());
    }
    if let Some(t) = last_tool {
        details.insert("tool_manager", t.manager.to_owned());
        details.insert("tool_time", t.time_text.unwrap_or_default().to_owned());
    }
    if !fields.is_empty() {
        details.insert(
            "fields",
            fields.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
        );
    }
    let restore = match tracking.tool {
        "Helm" => "a `helm upgrade` of the release with its values",
        "Argo CD" => "an Argo CD sync",
        _ => "`flux reconcile`",
    };
    let ns_flag = object
        .namespace
        .as_deref()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    INFO.about(object)
        .title(format!("{what} changed by {} outside {}", newest.manager, tracking.tool))
        .message(format!(
            "{what} is managed by {} ({}), but {}{op} changed it at {at}{after}.{owns}{also} The change is not in Git: the next sync or upgrade may revert it, or the cluster keeps a setting nobody reviews.",
            tracking.tool,
            tracking.evidence,
            newest.manager,
        ))
        .fix(format!(
            "If the change should stay, put it into the manifests or chart values in Git and roll it out through {}; if not, restore the declared state with {restore}. Review it with `kubectl get {}{ns_flag} {} -o yaml --show-managed-fields`.",
            tracking.tool,
            object.kind.to_ascii_lowercase(),
            object.name,
        ))
        .evidence("metadata.managedFields")
        .details(details)
        .build()
}

/// The leaf field paths of a `fieldsV1` tree: `spec.replicas`,
/// `spec.template.spec.containers[name=web].image`.
fn leaf_paths(node: Node<'_>, prefix: &str, out: &mut Vec<String>) {
    let Some(entries) = node.as_map() else {
        return;
    };
    for (key, child) in entries {
        if key == "." {
            continue;
        }
        let path = join(prefix, key);
        let has_children = child.as_map().is_some_and(|m| m.iter().any(|(k, _)| k != "."));
        if has_children {
            leaf_paths(child, &path, out);
        } else {
            out.push(path);
        }
        if out.len() > 50 {
            return;
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if let Some(field) = key.strip_prefix("f:") {
        return if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}.{field}")
        };
    }
    if let Some(json) = key.strip_prefix("k:") {
        let shown = match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::Object(map)) => map
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join(","),
            _ => json.to_owned(),
        };
        return format!("{prefix}[{shown}]");
    }
    if let Some(value) = key.strip_prefix("v:") {
        return format!("{prefix}[{}]", value.trim_matches('"'));
    }
    if let Some(index) = key.strip_prefix("i:") {
        return format!("{prefix}[{index}]");
    }
    format!("{prefix}.{key}")
}
