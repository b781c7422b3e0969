//! The emulator's control endpoints, under `/mcp-diag/v1/`. They stand for things outside the
//! API server (a node's ssh, an application), so the API server's injected faults, tokens and
//! request counters do not apply to them.
//!
//! The endpoints and their answers are documented in one place: the crate's README,
//! "Control endpoints".
//!
//! Errors are `Status` bodies, as the API server's.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::ctx::{Shared, bytes_response, json_response, lock, parse_query, percent_decode, status};
use crate::kubelet::{self, NodeFault, UpgradeError};

/// Is this a control path (served here, not by the API server)?
pub(crate) fn is_control(path: &str) -> bool {
    path.starts_with("/mcp-diag/")
}

pub(crate) async fn serve(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(Body::new(body), 1 << 20).await else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the request body could not be read (at most 1 MiB)",
            None,
        );
    };
    let segs: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let m = &parts.method;
    match segs.as_slice() {
        ["mcp-diag", "v1", "nodes", name, "upgrade"] if m == Method::POST => {
            let Some(version) = query.get("version").filter(|v| !v.is_empty()) else {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "the version is missing: POST /mcp-diag/v1/nodes/NAME/upgrade?version=v1.32.0",
                    None,
                );
            };
            upgrade(shared, name, version).await
        }
        ["mcp-diag", "v1", "nodes", _, "upgrade"] => not_allowed("POST"),
        ["mcp-diag", "v1", "nodes", name] if m == Method::GET => {
            match kubelet::node_state(&shared.state(), name) {
                Some(s) => json_response(StatusCode::OK, &node_json(&s)),
                None => unknown_node(name),
            }
        }
        ["mcp-diag", "v1", "nodes", _] => not_allowed("GET"),
        ["mcp-diag", "v1", "nodes", name, "fault"] if m == Method::PUT || m == Method::DELETE => {
            let fault = if m == Method::PUT {
                match fault_of(&body) {
                    Ok(f) => Some(f),
                    Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e, None),
                }
            } else {
                None
            };
            let mut state = shared.state();
            if state.get("", "nodes", "", name).is_none() {
                return unknown_node(name);
            }
            set_fault(&mut state, name, fault.clone());
            json_response(
                StatusCode::OK,
                &json!({"node": name, "fault": fault.map(|f| f.to_string())}),
            )
        }
        ["mcp-diag", "v1", "nodes", _, "fault"] => not_allowed("PUT, DELETE"),
        ["mcp-diag", "v1", "app", "metrics"] if m == Method::GET => {
            let text = app_metrics(shared);
            bytes_response(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(text),
            )
        }
        ["mcp-diag", "v1", "app", "metrics"] => not_allowed("GET"),
        ["mcp-diag", "v1", "app"] if m == Method::GET => {
            json_response(StatusCode::OK, &lock(&shared.app).model.to_json())
        }
        ["mcp-diag", "v1", "app"] if m == Method::PUT => {
            let parsed = serde_json::from_slice::<Value>(&body)
                .map_err(|e| format!("the body is not JSON: {e}"))
                .and_then(|v| crate::AppModel::from_json(&v));
            match parsed {
                Ok(model) => {
                    set_app(shared, model.clone());
                    json_response(StatusCode::OK, &model.to_json())
                }
                Err(e) => status(StatusCode::BAD_REQUEST, "BadRequest", &e, None),
            }
        }
        ["mcp-diag", "v1", "app"] => not_allowed("GET, PUT"),
        _ => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such control endpoint: the endpoints are /mcp-diag/v1/nodes/NAME, /mcp-diag/v1/nodes/NAME/upgrade, /mcp-diag/v1/nodes/NAME/fault, /mcp-diag/v1/app and /mcp-diag/v1/app/metrics",
            None,
        ),
    }
}

async fn upgrade(shared: &Arc<Shared>, name: &str, version: &str) -> Response<Body> {
    let result = {
        let mut state = shared.state();
        kubelet::start(shared, &mut state, name, version)
    };
    match result {
        Ok(s) => json_response(
            StatusCode::ACCEPTED,
            &json!({"node": s.node, "version": s.version, "from_version": s.from_version, "started": s.new}),
        ),
        Err(UpgradeError::UnknownNode(n)) => unknown_node(&n),
        Err(UpgradeError::BadVersion(m)) => status(StatusCode::BAD_REQUEST, "BadRequest", &m, None),
        Err(UpgradeError::Failed(m)) => status(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &m, None),
        Err(UpgradeError::Hang) => {
            // No lock is held: only this connection waits, until the client gives up or the
            // emulator stops.
            std::future::pending::<()>().await;
            status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "unreachable",
                None,
            )
        }
    }
}

fn node_json(s: &kubelet::NodeState) -> Value {
    json!({"name": s.name, "ready": s.ready, "kubelet_version": s.kubelet_version,
        "upgrading_to": s.upgrading_to, "fault": s.fault.as_ref().map(ToString::to_string),
        "upgrades": s.upgrades})
}

/// A fault from a body: plain text or a JSON string.
fn fault_of(body: &[u8]) -> Result<NodeFault, String> {
    let text = String::from_utf8_lossy(body);
    let text = match serde_json::from_str::<Value>(&text) {
        Ok(Value::String(s)) => s,
        _ => text.trim().to_owned(),
    };
    NodeFault::parse(&text)
}

pub(crate) fn set_fault(state: &mut crate::store::State, node: &str, fault: Option<NodeFault>) {
    match fault {
        Some(f) => {
            state.kubelets.faults.insert(node.to_owned(), f);
        }
        None => {
            state.kubelets.faults.remove(node);
        }
    }
}

/// Brings the counters up to now at the current rates, then renders them.
pub(crate) fn app_metrics(shared: &Shared) -> String {
    advance(shared);
    lock(&shared.app).render()
}

fn advance(shared: &Shared) {
    let model = lock(&shared.app).model.clone();
    let rates = crate::app::rates(&model, &shared.state());
    lock(&shared.app).advance(&rates, Instant::now());
}

/// Replaces the application model; what was served until now is counted at the old rates.
pub(crate) fn set_app(shared: &Shared, model: crate::AppModel) {
    advance(shared);
    lock(&shared.app).model = model;
}

fn unknown_node(name: &str) -> Response<Body> {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("nodes \"{name}\" not found"),
        Some(json!({"name": name, "kind": "nodes"})),
    )
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = status(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("this control endpoint allows {allow}"),
        None,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}
