//! Discovery documents: the legacy per-group ones and aggregated discovery (apidiscovery.k8s.io).

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::ctx::{Ctx, Shared, bytes_response, json_response, not_found_generic};
use crate::resources::Resource;

fn gv(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// (group, version, kind, verbs) of a subresource.
fn subresource(
    shared: &Shared,
    r: &Resource,
    version: &str,
    sub: &str,
) -> (String, String, String, Vec<&'static str>) {
    let same = |verbs: Vec<&'static str>| (r.group.clone(), version.to_owned(), r.kind.clone(), verbs);
    match sub {
        "status" | "ephemeralcontainers" | "resize" | "approval" => same(vec!["get", "patch", "update"]),
        "scale" => (
            "autoscaling".into(),
            "v1".into(),
            "Scale".into(),
            vec!["get", "patch", "update"],
        ),
        "eviction" => {
            let v = shared
                .registry
                .get("policy", "poddisruptionbudgets")
                .and_then(|p| p.versions.iter().find(|v| *v == "v1" || *v == "v1beta1").cloned())
                .unwrap_or_else(|| "v1".to_owned());
            ("policy".into(), v, "Eviction".into(), vec!["create"])
        }
        "log" => same(vec!["get"]),
        "finalize" => same(vec!["update"]),
        "binding" => (String::new(), "v1".into(), "Binding".into(), vec!["create"]),
        "token" => (
            "authentication.k8s.io".into(),
            "v1".into(),
            "TokenRequest".into(),
            vec!["create"],
        ),
        "exec" => (
            String::new(),
            "v1".into(),
            "PodExecOptions".into(),
            vec!["create", "get"],
        ),
        "attach" => (
            String::new(),
            "v1".into(),
            "PodAttachOptions".into(),
            vec!["create", "get"],
        ),
        "portforward" => (
            String::new(),
            "v1".into(),
            "PodPortForwardOptions".into(),
            vec!["create", "get"],
        ),
        "proxy" => (
            String::new(),
            "v1".into(),
            format!("{}ProxyOptions", r.kind),
            vec!["create", "delete", "get", "patch", "update"],
        ),
        _ => same(vec!["get"]),
    }
}

/// `/api/v1` or `/apis/GROUP/VERSION`: an APIResourceList.
pub(crate) fn resource_list(shared: &Shared, group: &str, version: &str) -> Response<Body> {
    let mut resources = Vec::new();
    for r in shared.registry.in_version(group, version) {
        let mut main = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
        });
        if !r.short_names.is_empty() {
            main["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            main["categories"] = json!(r.categories);
        }
        resources.push(main);
        for sub in &r.subresources {
            let (g, v, k, verbs) = subresource(shared, r, version, sub);
            let mut s = json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": k,
                "verbs": verbs,
            });
            if g != r.group || v != version {
                s["group"] = json!(g);
                s["version"] = json!(v);
            }
            resources.push(s);
        }
    }
    if resources.is_empty() {
        return not_found_generic();
    }
    let mut doc = json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv(group, version), "resources": resources});
    if group.is_empty()
        && let Some(o) = doc.as_object_mut()
    {
        o.remove("apiVersion");
    }
    json_response(StatusCode::OK, &doc)
}

fn group_doc(name: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": gv(name, v), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
    })
}

/// `/apis/GROUP`: an APIGroup.
pub(crate) fn group(shared: &Shared, name: &str) -> Response<Body> {
    let groups = shared.registry.groups();
    match groups.get(name).filter(|_| !name.is_empty()) {
        Some(vs) => {
            let mut doc = group_doc(name, vs);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            json_response(StatusCode::OK, &doc)
        }
        None => not_found_generic(),
    }
}

/// Which aggregated discovery version the client asked for, if any, among those the release
/// serves: none before 1.27 (the feature was alpha and off in 1.26), v2beta1 from 1.27, v2
/// from 1.30 (when it went GA). An older server answers with the legacy documents.
fn aggregated(shared: &Shared, ctx: &Ctx) -> Option<&'static str> {
    let minor = shared.registry.minor.unwrap_or(mcp_diag_data::NEWEST_KNOWN_MINOR);
    if minor < mcp_diag_model::Minor::new(1, 27) {
        return None;
    }
    let v2 = minor >= mcp_diag_model::Minor::new(1, 30);
    let mut best = None;
    for part in ctx.accept.split(',') {
        if !part.contains("as=APIGroupDiscoveryList") || !part.contains("g=apidiscovery.k8s.io") {
            continue;
        }
        let params: Vec<&str> = part.split(';').map(str::trim).collect();
        if params.contains(&"v=v2") && v2 {
            return Some("v2");
        }
        if params.contains(&"v=v2beta1") {
            best = Some("v2beta1");
        }
    }
    best
}

fn discovery_item(shared: &Shared, name: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| {
            let resources: Vec<Value> = shared
                .registry
                .in_version(name, v)
                .map(|r| {
                    let subs: Vec<Value> = r
                        .subresources
                        .iter()
                        .map(|s| {
                            let (g, sv, k, verbs) = subresource(shared, r, v, s);
                            json!({"subresource": s, "responseKind": {"group": g, "version": sv, "kind": k}, "verbs": verbs})
                        })
                        .collect();
                    let mut d = json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": v, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": r.verbs(),
                    });
                    if !r.short_names.is_empty() {
                        d["shortNames"] = json!(r.short_names);
                    }
                    if !r.categories.is_empty() {
                        d["categories"] = json!(r.categories);
                    }
                    if !subs.is_empty() {
                        d["subresources"] = json!(subs);
                    }
                    d
                })
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let mut meta = json!({"creationTimestamp": null});
    if !name.is_empty() {
        meta["name"] = json!(name);
    }
    json!({"metadata": meta, "versions": vs})
}

fn aggregated_response(shared: &Shared, version: &str, core: bool) -> Response<Body> {
    let items: Vec<Value> = shared
        .registry
        .groups()
        .iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, vs)| discovery_item(shared, g, vs))
        .collect();
    let doc = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    });
    bytes_response(
        StatusCode::OK,
        &format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"),
        bytes::Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()),
    )
}

/// `/api`: APIVersions, or the core group's aggregated discovery when asked.
pub(crate) fn api(shared: &Shared, ctx: &Ctx) -> Response<Body> {
    if let Some(v) = aggregated(shared, ctx) {
        return aggregated_response(shared, v, true);
    }
    json_response(
        StatusCode::OK,
        &json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}),
    )
}

/// `/apis`: APIGroupList, or aggregated discovery when asked.
pub(crate) fn apis(shared: &Shared, ctx: &Ctx) -> Response<Body> {
    if let Some(v) = aggregated(shared, ctx) {
        return aggregated_response(shared, v, false);
    }
    let groups: Vec<Value> = shared
        .registry
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_doc(g, vs))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
    )
}
