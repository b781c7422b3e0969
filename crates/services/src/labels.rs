//! Labels as text: YAML may have made a label value a number or a boolean.

use mcp_diag_model::Node as Value;

use crate::Labels;

/// A scalar as text (labels such as `version: 2` are numbers in YAML).
pub(crate) fn scalar(node: Value<'_>) -> Option<String> {
    match node.view() {
        mcp_diag_model::View::Str(s) => Some(s.to_owned()),
        mcp_diag_model::View::Int(i) => Some(i.to_string()),
        mcp_diag_model::View::UInt(i) => Some(i.to_string()),
        mcp_diag_model::View::Float(f) => Some(f.to_string()),
        mcp_diag_model::View::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn labels_of(node: Option<Value<'_>>) -> Labels {
    node.and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.to_owned(), scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}
