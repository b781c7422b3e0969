//! The three patch types of the API: JSON merge patch (RFC 7386), strategic merge patch
//! (merge patch plus merge keys for the common lists) and JSON patch (RFC 6902).

use serde_json::{Map, Value};

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub(crate) fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(p) = patch else {
        return patch.clone();
    };
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => Map::new(),
    };
    for (k, v) in p {
        if v.is_null() {
            out.remove(k);
        } else {
            let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), v);
            out.insert(k.clone(), merged);
        }
    }
    Value::Object(out)
}

/// The merge key of a list field in the built-in types (`patchMergeKey` in the Go types);
/// lists without one are replaced, as the real strategic merge does for atomic lists.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "volumeMounts"
        | "imagePullSecrets"
        | "volumeDevices" => Some(match field {
            "volumeMounts" => "mountPath",
            "volumeDevices" => "devicePath",
            _ => "name",
        }),
        "conditions" => Some("type"),
        "ports" => Some("containerPort"),
        "ownerReferences" => Some("uid"),
        "addresses" => Some("type"),
        _ => None,
    }
}

/// Strategic merge patch for the cases clients send: maps merge, `null` deletes, lists with a
/// known merge key merge by it (`$patch: delete` removes an element), other lists replace.
/// Directives `$setElementOrder/...` and `$retainKeys` are accepted and ignored.
pub(crate) fn strategic_merge(target: &Value, patch: &Value) -> Value {
    let Value::Object(p) = patch else {
        return patch.clone();
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut m = p.clone();
        m.remove("$patch");
        return Value::Object(m);
    }
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => Map::new(),
    };
    for (k, v) in p {
        if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
            continue;
        }
        if v.is_null() {
            out.remove(k);
            continue;
        }
        let merged = match (out.get(k), v, merge_key(k)) {
            (Some(Value::Array(old)), Value::Array(new), Some(key)) => {
                Value::Array(merge_list(old, new, key))
            }
            (old, Value::Object(_), _) => strategic_merge(old.unwrap_or(&Value::Null), v),
            (_, other, _) => strip_directives(other),
        };
        out.insert(k.clone(), merged);
    }
    Value::Object(out)
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

fn merge_list(old: &[Value], new: &[Value], key: &str) -> Vec<Value> {
    let mut out: Vec<Value> = old.to_vec();
    for item in new {
        let Some(id) = item.get(key) else {
            out.push(strip_directives(item));
            continue;
        };
        let pos = out.iter().position(|o| o.get(key) == Some(id));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                out.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => out[i] = strategic_merge(&out[i], item),
            (None, false) => out.push(strip_directives(item)),
        }
    }
    out
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn get_mut<'a>(doc: &'a mut Value, toks: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent) {
        Some(Value::Object(m)) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .map_err(|_| format!("invalid index {last:?} in {path}"))?
            };
            if i > a.len() {
                return Err(format!(
                    "add operation does not apply: index {i} out of bounds in {path}"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = tokens(path)?;
    let missing = || format!("remove operation does not apply: doc is missing path: \"{path}\"");
    let Some((last, parent)) = toks.split_last() else {
        return Err(missing());
    };
    match get_mut(doc, parent) {
        Some(Value::Object(m)) => m.remove(last).ok_or_else(missing),
        Some(Value::Array(a)) => {
            let i = last.parse::<usize>().map_err(|_| missing())?;
            if i < a.len() {
                Ok(a.remove(i))
            } else {
                Err(missing())
            }
        }
        _ => Err(missing()),
    }
}

/// RFC 6902.
pub(crate) fn json_patch(target: &Value, ops: &Value) -> Result<Value, String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    let mut doc = target.clone();
    for op in ops {
        let name = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or("operation without \"op\"")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("operation without \"path\"")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("{name} operation without \"value\""))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{name} operation without \"from\""))
        };
        match name {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                let toks = tokens(path)?;
                let slot = get_mut(&mut doc, &toks)
                    .ok_or_else(|| format!("replace operation does not apply: doc is missing key: {path}"))?;
                *slot = value()?;
            }
            "test" => {
                let toks = tokens(path)?;
                let want = value()?;
                if get_mut(&mut doc, &toks).map(|v| &*v) != Some(&want) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            "move" => {
                let v = remove(&mut doc, from()?)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let toks = tokens(from()?)?;
                let v = get_mut(&mut doc, &toks).map(|v| v.clone()).ok_or_else(|| {
                    format!("copy operation does not apply: doc is missing from path: {path}")
                })?;
                add(&mut doc, path, v)?;
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches() {
        let t = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        assert_eq!(
            merge_patch(&t, &json!({"a": {"b": null, "d": 3}, "l": [3]})),
            json!({"a": {"c": 2, "d": 3}, "l": [3]})
        );
        let node = json!({"spec": {"podCIDR": "x"}});
        assert_eq!(
            strategic_merge(&node, &json!({"spec": {"unschedulable": true}})),
            json!({"spec": {"podCIDR": "x", "unschedulable": true}})
        );
        assert_eq!(
            strategic_merge(
                &json!({"spec": {"unschedulable": true}}),
                &json!({"spec": {"unschedulable": null}})
            ),
            json!({"spec": {}})
        );
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let p = json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}], "$setElementOrder/containers": [{"name": "b"}]}});
        assert_eq!(
            strategic_merge(&pod, &p),
            json!({"spec": {"containers": [{"name": "b", "image": "z"}]}})
        );
    }

    #[test]
    fn json_patches() {
        let t = json!({"a": [1, 2], "b": {"c": "x"}});
        let ops = json!([
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "replace", "path": "/b/c", "value": "y"},
            {"op": "test", "path": "/b/c", "value": "y"},
            {"op": "copy", "from": "/b", "path": "/d"},
            {"op": "move", "from": "/d/c", "path": "/e"},
            {"op": "remove", "path": "/a/0"}
        ]);
        assert_eq!(
            json_patch(&t, &ops).unwrap(),
            json!({"a": [2, 3], "b": {"c": "y"}, "d": {}, "e": "y"})
        );
        assert!(json_patch(&t, &json!([{"op": "test", "path": "/b/c", "value": "no"}])).is_err());
        assert!(json_patch(&t, &json!([{"op": "remove", "path": "/zz"}])).is_err());
        assert!(json_patch(&t, &json!({"op": "add"})).is_err());
        assert!(json_patch(&t, &json!([{"op": "add", "path": "/a/9", "value": 1}])).is_err());
    }
}
