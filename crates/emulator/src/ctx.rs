//! What every handler shares: the server's state ([`Shared`]), the parsed request ([`Ctx`]),
//! what a resource path names ([`Target`]), and the responses the real API server sends
//! (Status bodies, JSON). Handlers import this module and never `server` (the router) nor
//! each other, so that the router is the only module that knows them all.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::sync::{Mutex, MutexGuard, RwLock};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use mcp_diag_model::{Inventory, RequestedApi};
use serde_json::{Value, json};

use crate::resources::{Registry, Resource, plural_for};
use crate::store::{Rng, State};
use crate::{Access, Faults, LoggedRequest, Options, budgets};

/// Everything the server shares between connections.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: RwLock<Faults>,
    pub(crate) fault_rng: Mutex<Rng>,
    pub(crate) requests: AtomicU64,
    pub(crate) pages: AtomicU32,
    pub(crate) page_drop_done: AtomicBool,
    pub(crate) options: Options,
    pub(crate) version: Value,
    /// `apiserver_requested_deprecated_apis` series.
    pub(crate) deprecated: Mutex<BTreeSet<RequestedApi>>,
    /// `apiserver_request_total` by its labels.
    pub(crate) totals: Mutex<BTreeMap<RequestLabels, u64>>,
    pub(crate) access: RwLock<Access>,
    /// The most recent requests (`Emulator::request_log`).
    pub(crate) log: Mutex<VecDeque<LoggedRequest>>,
    /// The emulated application's counters (`/mcp-diag/v1/app/metrics`).
    pub(crate) app: Mutex<crate::app::Meter>,
}

/// Locks a mutex even when a panicking thread poisoned it (the state stays usable: every
/// mutation is a single map insert or removal).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(mut inventory: Inventory, options: Options) -> Self {
        let registry = Registry::build(&inventory);
        let mut state = State::new(options.seed);
        state.quiet = true;
        let captured = inventory.cluster.captured_at.clone();
        let mut used: BTreeSet<String> = ["default", "kube-system", "kube-public", "kube-node-lease"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        // Objects are converted one by one and dropped as they go, so that the snapshot and
        // the served copy are not both in memory at their full size.
        for o in std::mem::take(&mut inventory.objects) {
            if let Some(ns) = &o.namespace {
                used.insert(ns.clone());
            }
            let (group, _) = o.group_version();
            let plural = registry
                .plural_of(group, &o.kind)
                .map_or_else(|| plural_for(group, &o.kind), str::to_owned);
            let mut v = o.raw.to_json();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("apiVersion".to_owned(), Value::String(o.api_version.clone()));
                obj.insert("kind".to_owned(), Value::String(o.kind.clone()));
                let meta = obj.entry("metadata").or_insert_with(|| json!({}));
                if let (Some(m), Some(c)) = (meta.as_object_mut(), &captured)
                    && m.get("creationTimestamp").is_none_or(Value::is_null)
                {
                    m.insert("creationTimestamp".to_owned(), Value::String(c.clone()));
                }
            }
            state.put(group, &plural, &o.api_version, v);
        }
        // A real cluster has a Namespace for every namespace in use (and the system ones);
        // snapshots and test inventories may lack them, and kubectl looks them up on errors.
        for ns in used {
            if !ns.is_empty() && state.get("", "namespaces", "", &ns).is_none() {
                let created = captured.clone().unwrap_or_else(crate::store::now_rfc3339);
                state.put(
                    "",
                    "namespaces",
                    "v1",
                    json!({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "creationTimestamp": created,
                            "labels": {"kubernetes.io/metadata.name": ns}},
                        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
                );
            }
        }
        // Pods the snapshot shows waiting for a node wait in the scheduler's queue, as in a
        // real cluster: they are placed when room appears.
        let waiting: Vec<(String, String)> = state
            .col("", "pods")
            .map(|pods| {
                pods.values()
                    .filter(|e| {
                        e.phase == "Pending"
                            && e.value()
                                .pointer("/spec/nodeName")
                                .and_then(Value::as_str)
                                .is_none_or(str::is_empty)
                    })
                    .map(|e| (e.namespace.clone(), e.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        state.unscheduled.extend(waiting);
        budgets::record_budget_baselines(&mut state);
        state.kubelets.faults = options.node_faults.clone();
        state.quiet = false;
        let version = version_info(&inventory);
        let deprecated = inventory.cluster.requested_apis.iter().cloned().collect();
        Self {
            registry,
            state: Mutex::new(state),
            faults: RwLock::new(Faults::default()),
            fault_rng: Mutex::new(Rng::new(options.seed)),
            requests: AtomicU64::new(0),
            pages: AtomicU32::new(0),
            page_drop_done: AtomicBool::new(false),
            version,
            deprecated: Mutex::new(deprecated),
            totals: Mutex::new(BTreeMap::new()),
            access: RwLock::new(Access::default()),
            log: Mutex::new(VecDeque::new()),
            app: Mutex::new(crate::app::Meter::new(options.app.clone())),
            options,
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn version_info(inventory: &Inventory) -> Value {
    let (major, minor, patch) = inventory
        .cluster
        .server_version
        .as_ref()
        .map_or((1, 37, 0), |v| (v.major, v.minor, v.patch.unwrap_or(0)));
    let suffix = inventory
        .cluster
        .server_version
        .as_ref()
        .map(|v| v.suffix.clone())
        .unwrap_or_default();
    let mut v = json!({
        "major": major.to_string(),
        "minor": minor.to_string(),
        "gitVersion": format!("v{major}.{minor}.{patch}{suffix}"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    });
    // Compatibility versions appear in /version from 1.33 on.
    if (major, minor) >= (1, 33) {
        v["emulationMajor"] = json!(major.to_string());
        v["emulationMinor"] = json!(minor.to_string());
        v["minCompatibilityMajor"] = json!(major.to_string());
        v["minCompatibilityMinor"] = json!(minor.saturating_sub(1).to_string());
    }
    v
}

/// The labels of one `apiserver_request_total` series.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RequestLabels {
    pub verb: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    pub scope: String,
    pub code: u16,
}

/// One parsed request.
pub(crate) struct Ctx {
    pub method: Method,
    pub segs: Vec<String>,
    pub params: HashMap<String, String>,
    pub accept: String,
    pub content_type: String,
    pub body: Bytes,
}

impl Ctx {
    /// The parts of a request a long-running watch keeps (no body).
    pub fn detached(&self) -> Self {
        Self {
            method: self.method.clone(),
            segs: Vec::new(),
            params: self.params.clone(),
            accept: self.accept.clone(),
            content_type: self.content_type.clone(),
            body: Bytes::new(),
        }
    }

    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        matches!(self.param(k), Some("1" | "true" | "True"))
    }
}

/// What a resource path names.
pub(crate) struct Target<'a> {
    pub res: &'a Resource,
    pub version: String,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

/// A [`Target`] that owns its resource, for tasks that outlive the request.
pub(crate) struct OwnedTarget {
    res: Resource,
    version: String,
    ns: Option<String>,
}

impl OwnedTarget {
    pub fn target(&self) -> Target<'_> {
        Target {
            res: &self.res,
            version: self.version.clone(),
            ns: self.ns.clone(),
            name: None,
            sub: None,
        }
    }
}

impl Target<'_> {
    pub fn owned(&self) -> OwnedTarget {
        OwnedTarget {
            res: self.res.clone(),
            version: self.version.clone(),
            ns: self.ns.clone(),
        }
    }

    pub fn api_version(&self) -> String {
        if self.res.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.res.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as Status messages name a resource.
    pub fn qualified(&self) -> String {
        if self.res.group.is_empty() {
            self.res.plural.clone()
        } else {
            format!("{}.{}", self.res.plural, self.res.group)
        }
    }
}

pub(crate) fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(x) = hex {
                    out.push(x);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn json_response(code: StatusCode, v: &Value) -> Response<Body> {
    bytes_response(
        code,
        "application/json",
        Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
    )
}

pub(crate) fn bytes_response(code: StatusCode, content_type: &str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r
}

/// A `Status` response, as the real server sends for every failure.
pub(crate) fn status(
    code: StatusCode,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Body> {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v["code"] = json!(code.as_u16());
    json_response(code, &v)
}

pub(crate) fn not_found_generic() -> Response<Body> {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
        None,
    )
}

/// `pods "x" not found`, with the details the real server gives.
pub(crate) fn not_found(t: &Target<'_>, name: &str) -> Response<Body> {
    let mut details = json!({"name": name, "kind": t.res.plural});
    if !t.res.group.is_empty() {
        details["group"] = json!(t.res.group);
    }
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", t.qualified()),
        Some(details),
    )
}

pub(crate) fn bad_request(message: &str) -> Response<Body> {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}
