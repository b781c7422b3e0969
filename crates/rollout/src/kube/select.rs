//! Small pure helpers over API objects: label selectors, CPU quantities, node conditions.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether a budget's selector selects a pod with these labels. A policy/v1 budget with an
/// empty selector selects every pod of its namespace; one without a selector selects none.
pub(crate) fn selects(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(sel) = selector else { return false };
    let labels_ok = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.match_expressions.iter().flatten().all(|req| {
        let values = req.values.as_deref().unwrap_or_default();
        let value = labels.get(&req.key);
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            // An operator the server would have refused: select nothing rather than guess.
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// A CPU quantity in millicores: `250m`, `2`, `1.5`, `123456789n`, `1500u`.
pub(crate) fn millicores(quantity: &str) -> Option<f64> {
    let q = quantity.trim();
    let (number, scale) = if let Some(n) = q.strip_suffix('n') {
        (n, 1e-6)
    } else if let Some(n) = q.strip_suffix('u') {
        (n, 1e-3)
    } else if let Some(n) = q.strip_suffix('m') {
        (n, 1.0)
    } else if let Some(n) = q.strip_suffix('k') {
        (n, 1e6)
    } else {
        (q, 1000.0)
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(|x| x * scale)
}

/// The status of a node condition (`Ready`, `MemoryPressure`), if reported.
pub(crate) fn condition<'a>(
    node: &'a Node,
    kind: &str,
) -> Option<&'a k8s_openapi::api::core::v1::NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)
}

pub(crate) fn is_ready(node: &Node) -> bool {
    condition(node, "Ready").is_some_and(|c| c.status == "True")
}

pub(crate) fn kubelet_version(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.kubelet_version.clone())
        .unwrap_or_default()
}

pub(crate) fn annotation<'a>(
    meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

pub(crate) fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

pub(crate) fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_match_as_the_server_does() {
        let app_web = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: None,
        };
        assert!(selects(Some(&app_web), &labels(&[("app", "web"), ("tier", "a")])));
        assert!(!selects(Some(&app_web), &labels(&[("app", "db")])));
        assert!(selects(Some(&LabelSelector::default()), &labels(&[])));
        assert!(!selects(None, &labels(&[("app", "web")])));
        let not_in = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "NotIn".into(),
                values: Some(vec!["a".into()]),
            }]),
        };
        assert!(selects(Some(&not_in), &labels(&[("app", "web")])));
        assert!(!selects(Some(&not_in), &labels(&[("tier", "a")])));
    }

    #[test]
    fn cpu_quantities() {
        assert_eq!(millicores("250m"), Some(250.0));
        assert_eq!(millicores("2"), Some(2000.0));
        assert_eq!(millicores("1.5"), Some(1500.0));
        assert_eq!(millicores("500000000n"), Some(500.0));
        assert_eq!(millicores("junk"), None);
    }
}
