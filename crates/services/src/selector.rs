//! Label selectors of NetworkPolicies (pods and namespaces), as Kubernetes evaluates them.

use mcp_diag_model::Node as Value;
use serde::Serialize;

use crate::Labels;
use crate::labels::labels_of;

/// A label selector: `matchLabels` and `matchExpressions`. Empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Selector {
    pub requirements: Vec<(String, Op, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    pub fn parse(node: Value<'_>) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for (k, v) in labels_of(node.get("matchLabels")) {
            requirements.push((k, Op::In, vec![v]));
        }
        for e in node
            .get("matchExpressions")
            .and_then(Value::as_seq)
            .unwrap_or_default()
        {
            let key = e
                .get("key")
                .and_then(Value::as_str)
                .ok_or("a matchExpression without key")?;
            let values = e
                .get("values")
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let op = match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => return Err(format!("unknown matchExpression operator {other:?}")),
            };
            requirements.push((key.to_owned(), op, values));
        }
        Ok(Self { requirements })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|(k, op, values)| {
            let v = labels.get(k);
            match op {
                Op::In => v.is_some_and(|v| values.contains(v)),
                Op::NotIn => v.is_none_or(|v| !values.contains(v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }

    /// Whether the selector reads only the namespace's name label (always known).
    pub(crate) fn only_name(&self) -> bool {
        self.requirements
            .iter()
            .all(|(k, ..)| k == "kubernetes.io/metadata.name")
    }
}
