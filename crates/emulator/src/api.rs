//! Reads (list, get) and writes (create, replace, patch, delete) of stored objects.

use std::ops::Bound;
use std::sync::Arc;

use axum::body::Body;
use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};
use mcp_diag_model::RequestedApi;
use serde_json::{Value, json};

use crate::ctx::{Ctx, Shared, Target, bad_request, bytes_response, json_response, lock, not_found, status};
use crate::resources::deprecation;
use crate::store::{Entry, State};
use crate::view::{matches, metadata_bytes, selectors, served, wants_metadata};
use crate::{drain, kubelet, patch, table};

/// Records a request for a deprecated API version; returns the warning the server sends.
pub(crate) fn note_deprecated(shared: &Shared, t: &Target<'_>) -> Option<String> {
    let minor = shared.registry.minor.unwrap_or(mcp_diag_data::NEWEST_KNOWN_MINOR);
    let d = deprecation(&t.res.group, &t.version, &t.res.kind, minor)?;
    lock(&shared.deprecated).insert(RequestedApi {
        group: t.res.group.clone(),
        version: t.version.clone(),
        resource: t.res.plural.clone(),
        subresource: t.sub.clone().unwrap_or_default(),
        removed_release: d.removed_in.to_string(),
    });
    // The server's wording: "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+,
    // unavailable in v1.25+; use policy/v1 PodDisruptionBudget".
    let mut w = format!("{} {} is deprecated", t.api_version(), t.res.kind);
    if let Some(since) = d.deprecated_in {
        w.push_str(&format!(" in v{since}+"));
    }
    w.push_str(&format!(", unavailable in v{}+", d.removed_in));
    if let Some(r) = d.replacement {
        w.push_str(&format!("; use {r} {}", t.res.kind));
    }
    Some(w)
}

/// The bytes to serve for an entry: budgets get their status computed from the pods now.
fn item_bytes(state: &State, t: &Target<'_>, entry: &Entry) -> Bytes {
    if t.res.group == "policy" && t.res.plural == "poddisruptionbudgets" {
        let mut v = entry.value();
        v["status"] = crate::budgets::budget_status(state, &v).to_value(&v);
        v["apiVersion"] = Value::String(t.api_version());
        return Bytes::from(serde_json::to_vec(&v).unwrap_or_default());
    }
    served(entry, &t.api_version())
}

fn wants_table(ctx: &Ctx) -> bool {
    ctx.accept.contains("as=Table")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    /// -1 marks the "inconsistent" token a 410 hands out to continue anyway.
    rv: i64,
    start: String,
    /// Items before `start` in an unfiltered list across namespaces (ours, not the real
    /// server's): with it, `remainingItemCount` needs no walk over the rest while nothing
    /// changed since the token was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<u64>,
}

/// A decoded continue token.
pub(crate) struct Cont {
    pub key: (String, String),
    pub rv: i64,
    pub offset: Option<u64>,
}

pub(crate) fn encode_continue(rv: i64, ns: &str, name: &str) -> String {
    encode_token(rv, ns, name, None)
}

fn encode_token(rv: i64, ns: &str, name: &str, offset: Option<u64>) -> String {
    let token = ContinueToken {
        v: "meta.k8s.io/v1".to_owned(),
        rv,
        start: format!("{ns}/{name}\u{0}"),
        o: offset,
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

pub(crate) fn decode_continue(s: &str) -> Result<Cont, String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| format!("continue key is not valid: {e}"))?;
    let token: ContinueToken =
        serde_json::from_slice(&raw).map_err(|e| format!("continue key is not valid: {e}"))?;
    if token.v != "meta.k8s.io/v1" {
        return Err("continue key is not valid: server does not recognize this encoded key".to_owned());
    }
    let start = token.start.trim_end_matches('\u{0}');
    let (ns, name) = start.split_once('/').ok_or_else(|| {
        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
            .to_owned()
    })?;
    Ok(Cont {
        key: (ns.to_owned(), name.to_owned()),
        rv: token.rv,
        offset: token.o,
    })
}

pub(crate) fn list(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let (labels, fields) = match selectors(ctx, t) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let limit = match ctx.param("limit").map(str::parse::<i64>) {
        None => 0,
        Some(Ok(n)) => usize::try_from(n).unwrap_or(0),
        Some(Err(_)) => return bad_request("limit: invalid value, must be an integer"),
    };
    if let Some(rv) = ctx.param("resourceVersion")
        && !rv.is_empty()
        && rv.parse::<u64>().is_err()
    {
        return bad_request(&format!(
            "Invalid value: \"{rv}\": resourceVersion: Invalid value"
        ));
    }
    if ctx.param("resourceVersionMatch").is_some_and(|m| !m.is_empty())
        && ctx.param("resourceVersion").is_none_or(str::is_empty)
    {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            None,
        );
    }
    let start = match ctx.param("continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match decode_continue(c) {
            Ok(k) => Some(k),
            Err(e) => return bad_request(&e),
        },
    };
    let ns = t.ns.clone().unwrap_or_default();
    let scoped = t.ns.is_some();
    let selective = !labels.is_empty() || !fields.is_empty();
    let table = wants_table(ctx);
    let meta_only = !table && wants_metadata(ctx);
    let mut items: Vec<Arc<Entry>> = Vec::new();
    let mut bodies: Vec<Bytes> = Vec::new();
    let mut next: Option<String> = None;
    let mut remaining: Option<usize> = None;
    let rv;
    {
        let state = shared.state();
        rv = state.rv;
        if let Some(col) = state.col(&t.res.group, &t.res.plural) {
            // Bounds on the keys alone: counting what is left must not touch every entry
            // (150,000 pointer chases a page), so the namespace limit is a key range too.
            let floor = (ns.clone(), String::new());
            let lower = match &start {
                Some(c) if scoped && c.key.0 < ns => Bound::Included(floor),
                Some(c) => Bound::Excluded(c.key.clone()),
                None => Bound::Included(floor),
            };
            // Where this page starts among all items, when that is known without counting.
            let offset: Option<u64> = match &start {
                _ if scoped || selective => None,
                None => Some(0),
                Some(c) if u64::try_from(c.rv).ok() == Some(rv) => c.offset,
                Some(_) => None,
            };
            let upper = if scoped {
                Bound::Excluded((format!("{ns}\u{0}"), String::new()))
            } else {
                Bound::Unbounded
            };
            // A token from another namespace's list may point past this namespace.
            let empty = match (&lower, &upper) {
                (Bound::Excluded(l) | Bound::Included(l), Bound::Excluded(u)) => l >= u,
                _ => false,
            };
            let by_node = (t.res.group.is_empty() && t.res.plural == "pods")
                .then(|| fields.required("spec.nodeName"))
                .flatten();
            // Pods of one node (kubectl drain's list) come from the node index, in key order.
            let range: Box<dyn Iterator<Item = &Arc<Entry>>> = if empty {
                Box::new(std::iter::empty())
            } else if let Some(node) = by_node {
                match state.pods_by_node.get(node) {
                    Some(keys) => Box::new(keys.range((lower, upper)).filter_map(|k| col.get(k))),
                    None => Box::new(std::iter::empty()),
                }
            } else {
                Box::new(col.range((lower, upper)).map(|(_, e)| e))
            };
            let mut iter = range.filter(|e| !selective || matches(e, &labels, &fields));
            for e in iter.by_ref() {
                if meta_only {
                    bodies.push(metadata_bytes(e));
                } else if !table {
                    bodies.push(item_bytes(&state, t, e));
                }
                items.push(e.clone());
                if limit > 0 && items.len() == limit {
                    break;
                }
            }
            if limit > 0 && items.len() == limit {
                let served = items.len() as u64;
                let more = if selective {
                    iter.next().map(|_| 0)
                } else if let Some(before) = offset {
                    let n = (col.len() as u64).saturating_sub(before + served);
                    (n > 0).then(|| usize::try_from(n).unwrap_or(usize::MAX))
                } else {
                    let n = iter.count();
                    (n > 0).then_some(n)
                };
                if let Some(n) = more {
                    if let Some(last) = items.last() {
                        // Unscoped and unfiltered: the next page starts after everything so far.
                        let next_offset =
                            (!scoped && !selective).then(|| (col.len() as u64).saturating_sub(n as u64));
                        next = Some(encode_token(
                            i64::try_from(rv).unwrap_or(i64::MAX),
                            &last.namespace,
                            &last.name,
                            next_offset,
                        ));
                    }
                    if !selective {
                        remaining = Some(n);
                    }
                }
            }
        }
    }
    if table {
        let state = shared.state();
        return table::list(&state, ctx, t, &items, rv, next.as_deref());
    }
    let mut meta = format!("{{\"resourceVersion\":\"{rv}\"");
    if let Some(c) = &next {
        meta.push_str(&format!(",\"continue\":\"{c}\""));
    }
    if let Some(n) = remaining {
        meta.push_str(&format!(",\"remainingItemCount\":{n}"));
    }
    meta.push('}');
    let total: usize = bodies.iter().map(|b| b.len() + 1).sum();
    let mut out = Vec::with_capacity(total + meta.len() + 128);
    let (kind, api_version) = if meta_only {
        (
            "PartialObjectMetadataList".to_owned(),
            "meta.k8s.io/v1".to_owned(),
        )
    } else {
        (format!("{}List", t.res.kind), t.api_version())
    };
    out.extend_from_slice(
        format!("{{\"kind\":\"{kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"items\":[")
            .as_bytes(),
    );
    for (i, b) in bodies.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b);
    }
    out.extend_from_slice(b"]}");
    bytes_response(StatusCode::OK, "application/json", Bytes::from(out))
}

pub(crate) fn get(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let state = shared.state();
    let Some(entry) = state.get(&t.res.group, &t.res.plural, &ns, &name) else {
        return not_found(t, &name);
    };
    if t.sub.as_deref() == Some("log") {
        let log = state.pod_logs.get(&(ns, name)).cloned().unwrap_or_default();
        return bytes_response(StatusCode::OK, "text/plain", Bytes::from(log));
    }
    if wants_table(ctx) {
        return table::list(&state, ctx, t, &[entry], state.rv, None);
    }
    if wants_metadata(ctx) {
        return bytes_response(StatusCode::OK, "application/json", metadata_bytes(&entry));
    }
    bytes_response(StatusCode::OK, "application/json", item_bytes(&state, t, &entry))
}

/// Reads a request body as a JSON object (YAML is not accepted, like a server without it).
fn body_object(ctx: &Ctx) -> Result<Value, Response<Body>> {
    match serde_json::from_slice::<Value>(&ctx.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad_request(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )),
        Err(e) => Err(bad_request(&format!("error decoding request body: {e}"))),
    }
}

fn dry_run(ctx: &Ctx) -> bool {
    ctx.params.contains_key("dryRun")
}

fn already_exists(t: &Target<'_>, name: &str) -> Response<Body> {
    let mut details = json!({"name": name, "kind": t.res.plural});
    if !t.res.group.is_empty() {
        details["group"] = json!(t.res.group);
    }
    status(
        StatusCode::CONFLICT,
        "AlreadyExists",
        &format!("{} \"{name}\" already exists", t.qualified()),
        Some(details),
    )
}

fn conflict(t: &Target<'_>, name: &str) -> Response<Body> {
    let mut details = json!({"name": name, "kind": t.res.plural});
    if !t.res.group.is_empty() {
        details["group"] = json!(t.res.group);
    }
    status(
        StatusCode::CONFLICT,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            t.qualified()
        ),
        Some(details),
    )
}

/// Sets apiVersion, kind and namespace of a written object; checks the namespace.
fn normalise(t: &Target<'_>, v: &mut Value) -> Result<(), Response<Body>> {
    v["apiVersion"] = Value::String(t.api_version());
    v["kind"] = Value::String(t.res.kind.clone());
    if !v.get("metadata").is_some_and(Value::is_object) {
        v["metadata"] = json!({});
    }
    let meta = &mut v["metadata"];
    match &t.ns {
        Some(ns) => {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(x) if !x.is_empty() && x != ns => {
                    return Err(bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            meta["namespace"] = Value::String(ns.clone());
        }
        None => {
            if let Some(m) = meta.as_object_mut() {
                m.remove("namespace");
            }
        }
    }
    Ok(())
}

fn invalid_name(t: &Target<'_>) -> Response<Body> {
    status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        &format!(
            "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
            t.res.kind
        ),
        Some(
            json!({"kind": t.res.kind, "causes": [{"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"}]}),
        ),
    )
}

pub(crate) fn create(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let mut v = match body_object(ctx) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = normalise(t, &mut v) {
        return r;
    }
    let ns = t.ns.clone().unwrap_or_default();
    let mut state = shared.state();
    let mut name = v["metadata"]["name"].as_str().unwrap_or("").to_owned();
    if name.is_empty() {
        let Some(prefix) = v["metadata"]["generateName"].as_str().filter(|p| !p.is_empty()) else {
            return invalid_name(t);
        };
        name = format!("{prefix}{}", state.rng.suffix(5));
        v["metadata"]["name"] = Value::String(name.clone());
    }
    if state.get(&t.res.group, &t.res.plural, &ns, &name).is_some() {
        return already_exists(t, &name);
    }
    if let Some(m) = v["metadata"].as_object_mut() {
        // Server-set fields are never taken from the client.
        m.remove("uid");
        m.remove("resourceVersion");
        m.remove("creationTimestamp");
        m.remove("deletionTimestamp");
    }
    if dry_run(ctx) {
        return json_response(StatusCode::CREATED, &v);
    }
    let is_job = t.res.group == "batch" && t.res.plural == "jobs";
    if is_job && let Some(m) = v.as_object_mut() {
        // The Job strategy clears the status of a created Job; its controller fills it.
        m.remove("status");
    }
    let entry = if t.res.group.is_empty() && t.res.plural == "pods" {
        drain::create_pod(shared, &mut state, v)
    } else {
        let e = state.put(&t.res.group, &t.res.plural, &t.api_version(), v);
        drain::after_change(shared, &mut state, &t.res.plural);
        e
    };
    if is_job {
        kubelet::job_created(shared, &mut state, &entry);
    }
    bytes_response(
        StatusCode::CREATED,
        "application/json",
        item_bytes(&state, t, &entry),
    )
}

/// The stored object for a write, or the response to send instead.
fn existing(state: &State, t: &Target<'_>) -> Result<(Arc<Entry>, Value), Response<Body>> {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let entry = state
        .get(&t.res.group, &t.res.plural, &ns, &name)
        .ok_or_else(|| not_found(t, &name))?;
    let v = entry.value();
    Ok((entry, v))
}

/// Stores the result of a replace or patch, keeping what clients may not change.
fn commit(
    shared: &Arc<Shared>,
    state: &mut State,
    t: &Target<'_>,
    old: &Value,
    mut new: Value,
) -> Result<Arc<Entry>, Response<Body>> {
    let name = t.name.clone().unwrap_or_default();
    normalise(t, &mut new)?;
    match new["metadata"]["name"].as_str() {
        Some(n) if n == name => {}
        None | Some("") => new["metadata"]["name"] = Value::String(name.clone()),
        Some(_) => {
            return Err(bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
    }
    if let Some(want) = new["metadata"]["resourceVersion"].as_str()
        && !want.is_empty()
        && Some(want) != old["metadata"]["resourceVersion"].as_str()
    {
        return Err(conflict(t, &name));
    }
    for key in ["uid", "creationTimestamp", "deletionTimestamp"] {
        match old["metadata"].get(key) {
            Some(x) => new["metadata"][key] = x.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(key);
                }
            }
        }
    }
    // The status subresource changes only the status; the main resource never changes it
    // for types with a status subresource.
    let has_status = t.res.subresources.iter().any(|s| s == "status");
    if t.sub.as_deref() == Some("status") {
        let status = new.get("status").cloned();
        new = old.clone();
        if let Some(s) = status {
            new["status"] = s;
        }
    } else if has_status {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    let stored = state
        .get(&t.res.group, &t.res.plural, t.ns.as_deref().unwrap_or(""), &name)
        .map_or_else(|| t.api_version(), |e| e.api_version.clone());
    new["apiVersion"] = Value::String(stored.clone());
    let entry = state.put(&t.res.group, &t.res.plural, &stored, new);
    drain::after_change(shared, state, &t.res.plural);
    Ok(entry)
}

pub(crate) fn replace(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let new = match body_object(ctx) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut state = shared.state();
    let (_, old) = match existing(&state, t) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if dry_run(ctx) {
        return json_response(StatusCode::OK, &new);
    }
    written(shared, &mut state, t, &old, new, false)
}

pub(crate) fn patch(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let mut state = shared.state();
    let (_, old) = match existing(&state, t) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ct = ctx.content_type.split(';').next().unwrap_or("").trim();
    let new = match ct {
        "application/json-patch+json" => {
            let ops: Value = match serde_json::from_slice(&ctx.body) {
                Ok(v) => v,
                Err(e) => return bad_request(&format!("error decoding patch: {e}")),
            };
            match patch::json_patch(&old, &ops) {
                Ok(v) => v,
                Err(e) => {
                    return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", &e, None);
                }
            }
        }
        "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/apply-patch+yaml"
        | "application/apply-patch+json" => {
            let p: Value = match serde_json::from_slice(&ctx.body) {
                Ok(v) => v,
                Err(e) => return bad_request(&format!("error decoding patch: {e}")),
            };
            if ct == "application/strategic-merge-patch+json" {
                patch::strategic_merge(&old, &p)
            } else {
                patch::merge_patch(&old, &p)
            }
        }
        _ => {
            return status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
                None,
            );
        }
    };
    if !new.is_object() {
        return bad_request("the patch result is not an object");
    }
    if dry_run(ctx) {
        return json_response(StatusCode::OK, &new);
    }
    let named = kubelet::patch_sets_label(ct, &ctx.body);
    written(shared, &mut state, t, &old, new, named)
}

/// Commits a replace or patch; a Node's version label may start its kubelet's upgrade
/// (`named`: the patch itself names the label).
fn written(
    shared: &Arc<Shared>,
    state: &mut State,
    t: &Target<'_>,
    old: &Value,
    new: Value,
    named: bool,
) -> Response<Body> {
    match commit(shared, state, t, old, new) {
        Ok(e) => {
            if t.res.group.is_empty() && t.res.plural == "nodes" && t.sub.is_none() {
                kubelet::node_written(shared, state, old, &e, named);
            }
            bytes_response(StatusCode::OK, "application/json", item_bytes(state, t, &e))
        }
        Err(r) => r,
    }
}

pub(crate) fn delete(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let mut state = shared.state();
    let Some(entry) = state.get(&t.res.group, &t.res.plural, &ns, &name) else {
        return not_found(t, &name);
    };
    // DeleteOptions preconditions (kubectl drain sends the pod's uid).
    if let Ok(opts) = serde_json::from_slice::<Value>(&ctx.body)
        && let Some(uid) = opts.pointer("/preconditions/uid").and_then(Value::as_str)
        && uid != entry.uid
    {
        return status(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                t.qualified(),
                entry.uid
            ),
            Some(json!({"name": name, "kind": t.res.plural})),
        );
    }
    if dry_run(ctx) {
        return bytes_response(
            StatusCode::OK,
            "application/json",
            served(&entry, &t.api_version()),
        );
    }
    let is_pod = t.res.group.is_empty() && t.res.plural == "pods";
    if is_pod {
        // Pods are deleted gracefully by the real server: the answer is the pod with its
        // deletion timestamp. The emulator has no kubelet, so it is gone at once.
        let mut v = entry.value();
        v["metadata"]["deletionTimestamp"] = Value::String((state.now)());
        v["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        drain::delete_pod(shared, &mut state, &ns, &name);
        return json_response(StatusCode::OK, &v);
    }
    state.remove(&t.res.group, &t.res.plural, &ns, &name);
    drain::after_change(shared, &mut state, &t.res.plural);
    let mut details = json!({"name": name, "kind": t.res.plural, "uid": entry.uid});
    if !t.res.group.is_empty() {
        details["group"] = json!(t.res.group);
    }
    json_response(
        StatusCode::OK,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
    )
}

pub(crate) fn delete_collection(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let (labels, fields) = match selectors(ctx, t) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ns = t.ns.clone();
    let mut state = shared.state();
    let victims: Vec<Arc<Entry>> = state
        .col(&t.res.group, &t.res.plural)
        .map(|c| {
            c.values()
                .filter(|e| ns.as_ref().is_none_or(|n| *n == e.namespace) && matches(e, &labels, &fields))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let is_pod = t.res.group.is_empty() && t.res.plural == "pods";
    let mut items = Vec::new();
    for e in &victims {
        items.push(e.value());
        if dry_run(ctx) {
            continue;
        }
        if is_pod {
            drain::delete_pod(shared, &mut state, &e.namespace, &e.name);
        } else {
            state.remove(&t.res.group, &t.res.plural, &e.namespace, &e.name);
        }
    }
    drain::after_change(shared, &mut state, &t.res.plural);
    json_response(
        StatusCode::OK,
        &json!({"kind": format!("{}List", t.res.kind), "apiVersion": t.api_version(),
            "metadata": {"resourceVersion": state.rv.to_string()}, "items": items}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, "ns-a", "pod-1");
        assert_eq!(
            decode_continue(&t).unwrap().key,
            ("ns-a".to_owned(), "pod-1".to_owned())
        );
        assert!(decode_continue("not a token!").is_err());
        let junk = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(b"{\"v\":\"x\",\"rv\":1,\"start\":\"a/b\"}");
        assert!(decode_continue(&junk).is_err());
    }
}
