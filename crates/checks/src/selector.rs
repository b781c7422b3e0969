//! Label selectors as Kubernetes evaluates them: `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), and the equality-based map form of Services.

use mcp_diag_model::{Node, View};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector. An empty selector matches every object (policy/v1 semantics);
/// callers that need "matches nothing" for an absent selector decide that themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Reads a `metav1.LabelSelector` (`matchLabels`, `matchExpressions`). Errors name what
    /// is wrong, for an `input`-style finding; they never panic.
    pub fn from_label_selector(node: Node<'_>) -> Result<Self, String> {
        let mut requirements = Vec::new();
        if let Some(map) = node.get("matchLabels").and_then(Node::as_map) {
            for (k, v) in map {
                let value = scalar(v).ok_or_else(|| format!("matchLabels.{k} is not a text value"))?;
                requirements.push(Requirement::In(k.to_string(), vec![value]));
            }
        }
        if let Some(exprs) = node.get("matchExpressions").and_then(Node::as_seq) {
            for e in exprs {
                let key = e
                    .get("key")
                    .and_then(Node::as_str)
                    .ok_or("a matchExpression without key")?
                    .to_owned();
                let values: Vec<String> = e
                    .get("values")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(scalar)
                    .collect();
                let op = e.get("operator").and_then(Node::as_str).unwrap_or_default();
                requirements.push(match op {
                    "In" => Requirement::In(key, values),
                    "NotIn" => Requirement::NotIn(key, values),
                    "Exists" => Requirement::Exists(key),
                    "DoesNotExist" => Requirement::DoesNotExist(key),
                    other => return Err(format!("unknown matchExpression operator {other:?}")),
                });
            }
        }
        Ok(Self { requirements })
    }

    /// Reads the equality form `{app: web, tier: front}` (Services, nodeSelector).
    pub fn from_map(node: Node<'_>) -> Self {
        let requirements = node
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some(Requirement::In(k.to_string(), vec![scalar(v)?])))
            .collect();
        Self { requirements }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether a set of labels (a mapping node, or null for none) satisfies the selector.
    pub fn matches(&self, labels: Option<Node<'_>>) -> bool {
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(scalar);
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, values) => get(k).is_some_and(|v| values.contains(&v)),
            Requirement::NotIn(k, values) => get(k).is_none_or(|v| !values.contains(&v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }
}

/// Label values are text; YAML may have made `true` or `1` of them.
fn scalar(node: Node<'_>) -> Option<String> {
    match node.view() {
        View::Map(_) | View::Seq(_) | View::Null => None,
        _ => Some(
            node.as_str()
                .map_or_else(|| node.to_json().to_string(), str::to_owned),
        ),
    }
}

/// The labels of an object (`metadata.labels`).
pub fn labels_of(raw: Node<'_>) -> Option<Node<'_>> {
    raw.path(&["metadata", "labels"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_diag_model::Doc;

    fn node(json: serde_json::Value) -> Doc {
        Doc::from(json)
    }

    #[test]
    fn label_selectors() {
        let s = Selector::from_label_selector(
            node(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]},
                                 {"key": "canary", "operator": "DoesNotExist"}]}))
            .root(),
        )
        .unwrap();
        assert!(s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "edge"})).root()
        )));
        assert!(!s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "back"})).root()
        )));
        assert!(!s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "edge", "canary": "1"})).root()
        )));
        assert!(!s.matches(None));
        let empty = Selector::from_label_selector(node(serde_json::json!({})).root()).unwrap();
        assert!(empty.is_empty() && empty.matches(None));
        assert!(
            Selector::from_label_selector(
                node(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})).root()
            )
            .is_err()
        );
        let map = Selector::from_map(node(serde_json::json!({"app": "web", "v": 1})).root());
        assert!(map.matches(Some(
            node(serde_json::json!({"app": "web", "v": "1", "x": "y"})).root()
        )));
    }
}
