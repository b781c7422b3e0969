//! Field-by-field comparison of a declared manifest with the live object, for
//! drift-desired: what counts as a difference (defaults, merge keys, quantities), and how a
//! value is shown.

use mcp_diag_model::{Node, Object, Seq, View};

use crate::quantity::{bytes, cpu_millis};

/// One field whose live value differs from the declared one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Diff {
    pub(crate) path: String,
    pub(crate) declared: String,
    pub(crate) live: String,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: declared {}, live {}", self.path, self.declared, self.live)
    }
}

/// Most differences collected per object (only five are shown).
pub(crate) const MAX_DIFFS: usize = 50;

pub(crate) fn differences(declared: &Object, live: &Object, hpa_scaled: bool) -> Vec<Diff> {
    let mut out = Vec::new();
    let Some(entries) = declared.raw.as_map() else {
        return out;
    };
    for (key, value) in entries {
        match key {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => compare_metadata(value, live.raw.get("metadata"), &mut out),
            "data" | "stringData" if declared.kind == "Secret" => {}
            "spec" if hpa_scaled => {
                let Some(spec) = value.as_map() else { continue };
                for (k, v) in spec {
                    if k == "replicas" {
                        continue;
                    }
                    let path = format!("spec.{k}");
                    compare(v, live.raw.path(&["spec", k]), &path, k, &mut out);
                }
            }
            k => compare(value, live.raw.get(k), k, k, &mut out),
        }
    }
    out
}

fn compare_metadata(declared: Node<'_>, live: Option<Node<'_>>, out: &mut Vec<Diff>) {
    let Some(entries) = declared.as_map() else { return };
    for (key, value) in entries {
        match key {
            "labels" | "annotations" => {
                let Some(map) = value.as_map() else { continue };
                for (k, v) in map {
                    if matches!(
                        k,
                        "kubectl.kubernetes.io/last-applied-configuration"
                            | "deployment.kubernetes.io/revision"
                    ) {
                        continue;
                    }
                    let path = format!("metadata.{key}.{k}");
                    let live_value = live.and_then(|l| l.get(key)).and_then(|m| m.get(k));
                    compare(v, live_value, &path, k, out);
                }
            }
            "finalizers" => compare(
                value,
                live.and_then(|l| l.get("finalizers")),
                "metadata.finalizers",
                "finalizers",
                out,
            ),
            // Identity (already matched) and what the server owns.
            _ => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Compares what is declared at `path` with the live value; `key` is the last field name.
fn compare(declared: Node<'_>, live: Option<Node<'_>>, path: &str, key: &str, out: &mut Vec<Diff>) {
    if out.len() >= MAX_DIFFS {
        return;
    }
    let live = live.filter(|l| !l.is_null());
    match declared.view() {
        View::Null => {}
        View::Map(entries) => {
            if entries.is_empty() {
                return;
            }
            match live {
                Some(l) if l.is_map() => {
                    for (k, v) in entries.iter() {
                        compare(v, live.and_then(|l| l.get(k)), &join(path, k), k, out);
                    }
                }
                None if !declares_anything(declared) => {}
                _ => out.push(diff(path, declared, live)),
            }
        }
        View::Seq(items) => {
            if items.is_empty() {
                return;
            }
            match live.and_then(Node::as_seq) {
                Some(live_items) => compare_list(items, live_items, path, key, out),
                None => out.push(diff(path, declared, live)),
            }
        }
        _ => match live {
            Some(l) if scalar_eq(declared, l, path, key) => {}
            None if is_zero(declared) => {}
            _ => out.push(diff(path, declared, live)),
        },
    }
}

/// The merge key of a list of objects, from the field name and what every item has.
fn merge_key(items: Seq<'_>, key: &str) -> Option<&'static str> {
    let candidates: &[&'static str] = match key {
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        _ => &["containerPort", "port", "name", "ip"],
    };
    candidates.iter().copied().find(|k| {
        items.iter().all(|i| {
            i.get(k)
                .is_some_and(|v| matches!(v.view(), View::Int(_) | View::UInt(_)) || v.as_str().is_some())
        })
    })
}

fn text(node: Node<'_>) -> String {
    node.as_str()
        .map_or_else(|| node.to_json().to_string(), str::to_owned)
}

fn compare_list(items: Seq<'_>, live_items: Seq<'_>, path: &str, key: &str, out: &mut Vec<Diff>) {
    if items.iter().all(|i| i.as_map().is_some()) {
        if let Some(merge) = merge_key(items, key) {
            for item in items {
                let Some(id) = item.get(merge).map(text) else {
                    continue;
                };
                let item_path = format!("{path}[{merge}={id}]");
                match live_items
                    .iter()
                    .find(|l| l.get(merge).map(text).as_deref() == Some(id.as_str()))
                {
                    Some(l) => compare(item, Some(l), &item_path, key, out),
                    None => out.push(Diff {
                        path: item_path,
                        declared: "present".to_owned(),
                        live: "absent".to_owned(),
                    }),
                }
            }
            return;
        }
        for (i, item) in items.iter().enumerate() {
            if !live_items.iter().any(|l| contains(item, l, key)) {
                out.push(Diff {
                    path: format!("{path}[{i}]"),
                    declared: show(item),
                    live: "no matching item".to_owned(),
                });
            }
        }
        return;
    }
    let unordered = key == "finalizers";
    let equal = if unordered {
        items
            .iter()
            .all(|i| live_items.iter().any(|l| scalar_eq(i, l, path, key)))
    } else {
        items.len() == live_items.len()
            && items.iter().zip(live_items).all(|(d, l)| match d.view() {
                View::Map(_) | View::Seq(_) => contains(d, l, key),
                _ => scalar_eq(d, l, path, key),
            })
    };
    if !equal {
        out.push(Diff {
            path: path.to_owned(),
            declared: show_seq(items),
            live: show_seq(live_items),
        });
    }
}

/// Whether `live` holds everything `declared` declares.
fn contains(declared: Node<'_>, live: Node<'_>, key: &str) -> bool {
    let mut diffs = Vec::new();
    compare(declared, Some(live), "", key, &mut diffs);
    diffs.is_empty()
}

/// Whether a declared map holds any non-empty value.
fn declares_anything(node: Node<'_>) -> bool {
    match node.view() {
        View::Null => false,
        View::Map(entries) => entries.iter().any(|(_, v)| declares_anything(v)),
        View::Seq(items) => !items.is_empty(),
        _ => !is_zero(node),
    }
}

/// The zero values the API leaves out of its output: `false`, `0`, `""`.
fn is_zero(node: Node<'_>) -> bool {
    match node.view() {
        View::Bool(b) => !b,
        View::Int(i) => i == 0,
        View::UInt(u) => u == 0,
        View::Float(f) => f == 0.0,
        _ => node.as_str().is_some_and(str::is_empty),
    }
}

fn scalar_eq(declared: Node<'_>, live: Node<'_>, path: &str, key: &str) -> bool {
    if declared == live {
        return true;
    }
    if matches!(declared.view(), View::Map(_) | View::Seq(_))
        || matches!(live.view(), View::Map(_) | View::Seq(_))
    {
        return false;
    }
    let (d, l) = (text(declared), text(live));
    if d == l {
        return true;
    }
    let number = |n: Node<'_>, t: &str| n.as_f64().or_else(|| t.trim().parse::<f64>().ok());
    if let (Some(a), Some(b)) = (number(declared, &d), number(live, &l))
        && a == b
    {
        return true;
    }
    let quantity = path.contains("resources")
        || path.contains("capacity")
        || path.contains(".hard")
        || matches!(
            key,
            "cpu" | "memory" | "storage" | "ephemeral-storage" | "sizeLimit"
        )
        || key.starts_with("hugepages-");
    if quantity {
        if key == "cpu" || key.ends_with(".cpu") {
            return cpu_millis(&d).is_some_and(|a| cpu_millis(&l) == Some(a));
        }
        return bytes(&d).is_some_and(|a| bytes(&l) == Some(a));
    }
    false
}

fn truncate(text: String) -> String {
    if text.chars().count() <= 60 {
        text
    } else {
        let mut t: String = text.chars().take(57).collect();
        t.push('…');
        t
    }
}

fn show(node: Node<'_>) -> String {
    truncate(text(node))
}

fn show_seq(items: Seq<'_>) -> String {
    truncate(format!(
        "[{}]",
        items.iter().map(text).collect::<Vec<_>>().join(", ")
    ))
}

fn diff(path: &str, declared: Node<'_>, live: Option<Node<'_>>) -> Diff {
    Diff {
        path: path.to_owned(),
        declared: show(declared),
        live: live.map_or_else(|| "absent".to_owned(), show),
    }
}
