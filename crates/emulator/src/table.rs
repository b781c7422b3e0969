//! Server-side printing: `meta.k8s.io/v1` Tables, as `kubectl get` asks for them.

use std::sync::Arc;

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::ctx::{Ctx, Target, json_response};
use crate::store::{Entry, State, parse_rfc3339};

/// Kubernetes' `duration.HumanDuration` (what the AGE column shows).
pub(crate) fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".to_owned();
    }
    if secs < 0 {
        return "0s".to_owned();
    }
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn age(created: Option<&str>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    match created.and_then(parse_rfc3339) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".to_owned(),
    }
}

fn col(name: &str, ty: &str, format: &str, priority: u8, description: &str) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": description, "priority": priority})
}

const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

fn columns(t: &Target<'_>) -> Vec<Value> {
    match (t.res.group.as_str(), t.res.plural.as_str()) {
        ("", "pods") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col(
                "Ready",
                "string",
                "",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            col(
                "Status",
                "string",
                "",
                0,
                "The aggregate status of the containers in this pod.",
            ),
            col(
                "Restarts",
                "string",
                "",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            col("Age", "string", "", 0, AGE_DOC),
            col(
                "IP",
                "string",
                "",
                1,
                "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
            ),
            col(
                "Node",
                "string",
                "",
                1,
                "NodeName is a request to schedule this pod onto a specific node.",
            ),
            col(
                "Nominated Node",
                "string",
                "",
                1,
                "nominatedNodeName is set only when this pod preempts other pods on the node.",
            ),
            col(
                "Readiness Gates",
                "string",
                "",
                1,
                "If specified, all readiness gates will be evaluated for pod readiness.",
            ),
        ],
        ("", "nodes") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col("Status", "string", "", 0, "The status of the node"),
            col("Roles", "string", "", 0, "The roles of the node"),
            col("Age", "string", "", 0, AGE_DOC),
            col(
                "Version",
                "string",
                "",
                0,
                "Kubelet Version reported by the node.",
            ),
            col(
                "Internal-IP",
                "string",
                "",
                1,
                "List of addresses reachable to the node.",
            ),
            col(
                "External-IP",
                "string",
                "",
                1,
                "List of addresses reachable to the node.",
            ),
            col(
                "OS-Image",
                "string",
                "",
                1,
                "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
            ),
            col(
                "Kernel-Version",
                "string",
                "",
                1,
                "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            ),
            col(
                "Container-Runtime",
                "string",
                "",
                1,
                "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
            ),
        ],
        ("", "namespaces") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col("Status", "string", "", 0, "The status of the namespace"),
            col("Age", "string", "", 0, AGE_DOC),
        ],
        ("policy", "poddisruptionbudgets") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col(
                "Min Available",
                "string",
                "",
                0,
                "The minimum number of pods that must be available, either as a number or a percentage.",
            ),
            col(
                "Max Unavailable",
                "string",
                "",
                0,
                "The maximum number of pods that may be unavailable, either as a number or a percentage.",
            ),
            col(
                "Allowed Disruptions",
                "integer",
                "",
                0,
                "Calculated number of pods that may be disrupted at this time.",
            ),
            col("Age", "string", "", 0, AGE_DOC),
        ],
        ("apps", "deployments") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col("Ready", "string", "", 0, "Number of the pod with ready state"),
            col(
                "Up-to-date",
                "integer",
                "",
                0,
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            col(
                "Available",
                "integer",
                "",
                0,
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            col("Age", "string", "", 0, AGE_DOC),
        ],
        ("apps", "statefulsets") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col("Ready", "string", "", 0, "Number of the pod with ready state"),
            col("Age", "string", "", 0, AGE_DOC),
        ],
        ("apps", "replicasets") => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col(
                "Desired",
                "integer",
                "",
                0,
                "Replicas is the number of desired replicas.",
            ),
            col(
                "Current",
                "integer",
                "",
                0,
                "Replicas is the most recently observed number of replicas.",
            ),
            col(
                "Ready",
                "integer",
                "",
                0,
                "The number of ready replicas for this replica set.",
            ),
            col("Age", "string", "", 0, AGE_DOC),
        ],
        _ => vec![
            col("Name", "string", "name", 0, NAME_DOC),
            col("Age", "string", "", 0, AGE_DOC),
        ],
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str).filter(|x| !x.is_empty())
}

fn pod_cells(v: &Value, created: Option<&str>) -> Vec<Value> {
    let total = v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let statuses = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = statuses
        .iter()
        .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    let restarts: i64 = statuses
        .iter()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
        .sum();
    let mut reason = s(v, "/status/reason")
        .or_else(|| s(v, "/status/phase"))
        .unwrap_or("Unknown")
        .to_owned();
    for c in &statuses {
        if let Some(r) = s(c, "/state/waiting/reason").or_else(|| s(c, "/state/terminated/reason")) {
            reason = r.to_owned();
        }
    }
    if v.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        reason = "Terminating".to_owned();
    }
    vec![
        json!(v.pointer("/metadata/name").cloned().unwrap_or(Value::Null)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts.to_string()),
        json!(age(created)),
        json!(s(v, "/status/podIP").unwrap_or("<none>")),
        json!(s(v, "/spec/nodeName").unwrap_or("<none>")),
        json!(s(v, "/status/nominatedNodeName").unwrap_or("<none>")),
        json!("<none>"),
    ]
}

fn node_cells(v: &Value, created: Option<&str>) -> Vec<Value> {
    let ready = v
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("status").and_then(Value::as_str));
    let mut status = match ready {
        Some("True") => "Ready".to_owned(),
        Some("False") => "NotReady".to_owned(),
        _ => "Unknown".to_owned(),
    };
    if v.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    let mut roles: Vec<String> = v
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, val)| {
                    if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
                        Some(r.to_owned())
                    } else if k == "kubernetes.io/role" {
                        val.as_str().map(str::to_owned)
                    } else {
                        None
                    }
                })
                .filter(|r| !r.is_empty())
                .collect()
        })
        .unwrap_or_default();
    roles.sort();
    roles.dedup();
    let address = |ty: &str| {
        v.pointer("/status/addresses")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|x| x.get("type").and_then(Value::as_str) == Some(ty))
            })
            .and_then(|x| x.get("address").and_then(Value::as_str))
            .unwrap_or("<none>")
            .to_owned()
    };
    vec![
        json!(v.pointer("/metadata/name").cloned().unwrap_or(Value::Null)),
        json!(status),
        json!(if roles.is_empty() {
            "<none>".to_owned()
        } else {
            roles.join(",")
        }),
        json!(age(created)),
        json!(s(v, "/status/nodeInfo/kubeletVersion").unwrap_or("")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(s(v, "/status/nodeInfo/osImage").unwrap_or("<unknown>")),
        json!(s(v, "/status/nodeInfo/kernelVersion").unwrap_or("<unknown>")),
        json!(s(v, "/status/nodeInfo/containerRuntimeVersion").unwrap_or("<unknown>")),
    ]
}

/// A Table of `entries`; rows carry the object as `includeObject` asks (default: metadata).
pub(crate) fn list(
    state: &State,
    ctx: &Ctx,
    t: &Target<'_>,
    entries: &[Arc<Entry>],
    rv: u64,
    next: Option<&str>,
) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &table(Some(state), ctx, t, entries, rv, next, true),
    )
}

fn int_at(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// A budget field as kubectl shows it: the number or percentage, or N/A.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "N/A".to_owned(),
    }
}

/// The Table document; a watch sends the column definitions with its first event only.
pub(crate) fn table(
    state: Option<&State>,
    ctx: &Ctx,
    t: &Target<'_>,
    entries: &[Arc<Entry>],
    rv: u64,
    next: Option<&str>,
    headers: bool,
) -> Value {
    let include = ctx.param("includeObject").unwrap_or("Metadata");
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            let v = e.value();
            let created = e.created.as_deref();
            let name = json!(e.name);
            let cells = match (t.res.group.as_str(), t.res.plural.as_str()) {
                ("", "pods") => pod_cells(&v, created),
                ("", "nodes") => node_cells(&v, created),
                ("", "namespaces") => vec![
                    name,
                    json!(s(&v, "/status/phase").unwrap_or("Active")),
                    json!(age(created)),
                ],
                ("policy", "poddisruptionbudgets") => {
                    // The status is computed from the pods, as a budget is always served.
                    let allowed = state.map_or_else(
                        || int_at(&v, "/status/disruptionsAllowed"),
                        |st| crate::budgets::budget_status(st, &v).allowed,
                    );
                    vec![
                        name,
                        json!(int_or_string(v.pointer("/spec/minAvailable"))),
                        json!(int_or_string(v.pointer("/spec/maxUnavailable"))),
                        json!(allowed),
                        json!(age(created)),
                    ]
                }
                ("apps", "deployments") => vec![
                    name,
                    json!(format!(
                        "{}/{}",
                        int_at(&v, "/status/readyReplicas"),
                        v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
                    )),
                    json!(int_at(&v, "/status/updatedReplicas")),
                    json!(int_at(&v, "/status/availableReplicas")),
                    json!(age(created)),
                ],
                ("apps", "statefulsets") => vec![
                    name,
                    json!(format!(
                        "{}/{}",
                        int_at(&v, "/status/readyReplicas"),
                        v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
                    )),
                    json!(age(created)),
                ],
                ("apps", "replicasets") => vec![
                    name,
                    json!(v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)),
                    json!(int_at(&v, "/status/replicas")),
                    json!(int_at(&v, "/status/readyReplicas")),
                    json!(age(created)),
                ],
                _ => vec![name, json!(age(created))],
            };
            let mut row = json!({"cells": cells});
            match include {
                "None" => {}
                "Object" => {
                    let mut o = v;
                    o["apiVersion"] = json!(t.api_version());
                    row["object"] = o;
                }
                _ => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": v.get("metadata").cloned().unwrap_or(Value::Null),
                    });
                }
            }
            row
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = next {
        meta["continue"] = json!(c);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": if headers { json!(columns(t)) } else { Value::Null },
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(10 * 86_400), "10d");
        assert_eq!(human_duration(3 * 86_400 + 7200), "3d2h");
        assert_eq!(human_duration(-5), "<invalid>");
    }

    #[test]
    fn node_status_cells() {
        let n = json!({"metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.29.4"}}});
        let c = node_cells(&n, None);
        assert_eq!(c[1], "Ready,SchedulingDisabled");
        assert_eq!(c[2], "control-plane");
        assert_eq!(c[4], "v1.29.4");
    }
}
