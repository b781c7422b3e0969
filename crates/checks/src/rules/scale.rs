//! How many replicas a workload runs: `spec.replicas` and the autoscaler that targets it.
//! Shared by the replica and budget checks.

use std::collections::HashMap;

use mcp_diag_model::{Node, Object};

use crate::Context;

/// The replicas a workload runs, from `spec.replicas` and the autoscaler that targets it.
#[derive(Clone, Debug)]
pub(crate) struct Scale<'a> {
    /// The effective number: `spec.replicas` (1 when absent), raised to the autoscaler's
    /// `minReplicas`; `None` when `spec.replicas` is unreadable (not a number).
    pub replicas: Option<i64>,
    /// `spec.replicas` is absent: the API server defaults it to 1.
    pub defaulted: bool,
    /// The HorizontalPodAutoscaler targeting the workload and its `minReplicas` (default 1).
    pub hpa: Option<(&'a Object, i64)>,
}

/// HorizontalPodAutoscalers by (namespace, target kind, target name), built once per check.
pub(crate) type Autoscalers<'a> = HashMap<(&'a str, &'a str, &'a str), (&'a Object, i64)>;

pub(crate) fn namespace_of(object: &Object) -> &str {
    object.namespace.as_deref().unwrap_or("default")
}

pub(crate) fn autoscalers<'a>(ctx: &Context<'a>) -> Autoscalers<'a> {
    let mut map = HashMap::new();
    for hpa in ctx.index.of_kind("HorizontalPodAutoscaler") {
        let Some(target) = hpa.raw.path(&["spec", "scaleTargetRef"]) else {
            continue;
        };
        let (Some(kind), Some(name)) = (
            target.get("kind").and_then(Node::as_str),
            target.get("name").and_then(Node::as_str),
        ) else {
            continue;
        };
        let min = hpa
            .raw
            .path(&["spec", "minReplicas"])
            .and_then(Node::as_i64)
            .unwrap_or(1);
        map.insert((namespace_of(hpa), kind, name), (*hpa, min));
    }
    map
}

/// The replicas of a Deployment, StatefulSet, ReplicaSet or ReplicationController.
pub(crate) fn scale_of<'a>(object: &Object, hpas: &Autoscalers<'a>) -> Scale<'a> {
    let field = object.raw.path(&["spec", "replicas"]);
    let defaulted = field.is_none_or(Node::is_null);
    let spec = if defaulted {
        Some(1)
    } else {
        field.and_then(Node::as_i64)
    };
    let hpa = hpas
        .get(&(namespace_of(object), object.kind.as_str(), object.name.as_str()))
        .copied();
    let replicas = match (spec, hpa) {
        // Scaled to 0 on purpose: the autoscaler does not act on a workload at 0.
        (Some(0), _) => Some(0),
        (Some(r), Some((_, min))) => Some(r.max(min)),
        (r, _) => r,
    };
    Scale {
        replicas,
        defaulted,
        hpa,
    }
}
