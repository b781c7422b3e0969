//! Connections, fault injection, routing and the Status bodies the real API server sends.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use mcp_diag_model::{Inventory, RequestedApi};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::resources::{Registry, Resource, plural_for};
use crate::store::{Rng, State};
use crate::{Access, Faults, LoggedRequest, Options, api, auth, discovery, drain};

/// Everything the server shares between connections.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: RwLock<Faults>,
    fault_rng: Mutex<Rng>,
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

/// How many requests the log keeps.
const LOG_CAP: usize = 100_000;

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
        drain::record_budget_baselines(&mut state);
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

/// Accepts connections until shutdown; each connection is served by hyper's HTTP/1.1.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            res = listener.accept() => {
                let Ok((stream, _)) = res else {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut rx = shutdown.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| dispatch(shared.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = rx.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// The error that makes hyper close a connection without writing a response.
fn dropped() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fault: connection dropped")
}

/// Serves one request and logs it with its answer.
async fn dispatch(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, std::io::Error> {
    let mut entry = LoggedRequest {
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        status: 0,
        user: None,
    };
    let result = answer(&shared, req, &mut entry.user).await;
    if let Ok(r) = &result {
        entry.status = r.status().as_u16();
    }
    let mut log = lock(&shared.log);
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(entry);
    drop(log);
    result
}

/// Authentication and authorization, as the real server's filters do them: `None` to go on,
/// or the 401 or 403 to send.
fn check_access(
    shared: &Shared,
    req: &http::request::Parts,
    user: &mut Option<String>,
) -> Option<Response<Body>> {
    let access = shared.access.read().ok()?;
    let authorization = req
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(token) = auth::authenticate(&access, authorization) else {
        let (code, reason, message) = auth::unauthorized();
        return Some(status(code, reason, message, None));
    };
    let token = token?;
    *user = Some(token.user.clone());
    let watch = parse_query(req.uri.query().unwrap_or(""))
        .get("watch")
        .is_some_and(|w| matches!(w.as_str(), "1" | "true" | "True"));
    let info = auth::request_info(&req.method, req.uri.path(), watch);
    let (message, details) = auth::authorize(token, &info)?;
    Some(status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some(details),
    ))
}

async fn answer(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    user: &mut Option<String>,
) -> Result<Response<Body>, std::io::Error> {
    let shared = shared.clone();
    shared.requests.fetch_add(1, Ordering::SeqCst);
    // The control endpoints stand for the nodes and the application, not the API server:
    // its faults, tokens and counters do not apply.
    if crate::control::is_control(req.uri().path()) {
        return Ok(crate::control::serve(&shared, req).await);
    }
    let mut faults = shared.faults.read().map(|f| f.clone()).unwrap_or_default();
    if let Some(path) = &faults.path
        && !path.is_match(req.uri().path())
    {
        faults = Faults::default();
    }
    if faults.hang {
        std::future::pending::<()>().await;
    }
    // The whole body is read before any answer: a response sent while the client's body is
    // unread makes hyper close the connection with data pending, which the client sees as a
    // reset instead of the 401, 403, 429 or 500.
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), 64 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the request body could not be read",
                None,
            ));
        }
    };
    let method = parts.method.clone();
    if faults.unauthorized {
        return Ok(count(
            &shared,
            unrouted(&method),
            status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized", None),
        ));
    }
    // No lock is held here: a slow response never blocks the others.
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if let Some(refused) = check_access(&shared, &parts, user) {
        return Ok(count(&shared, unrouted(&method), refused));
    }
    let params = parse_query(parts.uri.query().unwrap_or(""));
    let is_page = method == Method::GET && (params.contains_key("limit") || params.contains_key("continue"));
    if let Some(n) = faults.drop_after_pages
        && is_page
    {
        let count = shared.pages.fetch_add(1, Ordering::SeqCst) + 1;
        if count >= n && !shared.page_drop_done.swap(true, Ordering::SeqCst) {
            return Err(dropped());
        }
    }
    let shares = faults.drop_share + faults.error_share + faults.throttle_share;
    if shares > 0.0 {
        let roll = lock(&shared.fault_rng).unit();
        if roll < faults.drop_share {
            return Err(dropped());
        }
        if roll < faults.drop_share + faults.error_share {
            return Ok(count(
                &shared,
                unrouted(&method),
                status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "Internal error occurred: injected fault",
                    Some(json!({"causes": [{"message": "injected fault"}]})),
                ),
            ));
        }
        if roll < shares {
            let mut r = status(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests, please try again later.",
                Some(json!({"retryAfterSeconds": 1})),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(count(&shared, unrouted(&method), r));
        }
    }
    if faults.expire_continue
        && let Some(token) = params.get("continue")
    {
        return Ok(count(&shared, unrouted(&method), expired(token)));
    }
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let ctx = Ctx {
        method: parts.method.clone(),
        segs: parts
            .uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect(),
        params,
        accept: header(header::ACCEPT),
        content_type: header(header::CONTENT_TYPE),
        body,
    };
    // Only JSON bodies are understood; protobuf or CBOR get the 415 a server without that
    // codec sends (kubectl 1.37's typed creates, such as `kubectl create deployment`, send
    // protobuf and do not retry in JSON: they fail here).
    let ct = ctx.content_type.split(';').next().unwrap_or("").trim();
    if !ctx.body.is_empty() && (ct.contains("protobuf") || ct.contains("cbor")) {
        let r = status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
            None,
        );
        return Ok(count(&shared, unrouted(&ctx.method), r));
    }
    let mut labels = unrouted(&ctx.method);
    let (verb, resp) = route(&shared, ctx, &mut labels).await;
    // The verb label the real server uses: LIST and WATCH for collections, the method else.
    labels.verb = match verb {
        "list" => "LIST",
        "watch" => "WATCH",
        _ => labels.verb.as_str(),
    }
    .to_owned();
    Ok(count(&shared, labels, resp))
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

fn count(shared: &Shared, labels: RequestLabels, resp: Response<Body>) -> Response<Body> {
    let labels = RequestLabels {
        code: resp.status().as_u16(),
        ..labels
    };
    *lock(&shared.totals).entry(labels).or_default() += 1;
    resp
}

/// A series for a request answered before routing (faults): the method is the verb.
fn unrouted(method: &Method) -> RequestLabels {
    RequestLabels {
        verb: method.as_str().to_owned(),
        ..RequestLabels::default()
    }
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

async fn route(shared: &Arc<Shared>, ctx: Ctx, labels: &mut RequestLabels) -> (&'static str, Response<Body>) {
    let segs: Vec<&str> = ctx.segs.iter().map(String::as_str).collect();
    let get = ctx.method == Method::GET;
    match segs.as_slice() {
        ["version"] if get => ("get", json_response(StatusCode::OK, &shared.version)),
        ["healthz" | "readyz" | "livez", ..] if get => ("get", text(StatusCode::OK, "ok")),
        ["metrics"] if get => ("get", text(StatusCode::OK, &metrics(shared))),
        ["api"] if get => ("get", discovery::api(shared, &ctx)),
        ["apis"] if get => ("get", discovery::apis(shared, &ctx)),
        ["api", "v1"] if get => ("get", discovery::resource_list(shared, "", "v1")),
        ["apis", group] if get => ("get", discovery::group(shared, group)),
        ["apis", group, version] if get => ("get", discovery::resource_list(shared, group, version)),
        ["api", "v1", rest @ ..] => resource(shared, &ctx, "", "v1", rest, labels).await,
        ["apis", group, version, rest @ ..] => resource(shared, &ctx, group, version, rest, labels).await,
        _ => ("get", not_found_generic()),
    }
}

async fn resource(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    group: &str,
    version: &str,
    rest: &[&str],
    labels: &mut RequestLabels,
) -> (&'static str, Response<Body>) {
    let (ns, plural, name, sub) = match rest {
        ["namespaces", name, sub @ ("status" | "finalize")] => (None, "namespaces", Some(*name), Some(*sub)),
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => {
            (Some(*ns), *plural, tail.first().copied(), tail.get(1).copied())
        }
        [plural] => (None, *plural, None, None),
        [plural, name] => (None, *plural, Some(*name), None),
        [plural, name, sub] => (None, *plural, Some(*name), Some(*sub)),
        _ => return ("get", not_found_generic()),
    };
    let Some(res) = shared.registry.find(group, version, plural) else {
        return ("get", not_found_generic());
    };
    if (ns.is_some() && !res.namespaced) || sub.is_some_and(|s| !res.subresources.iter().any(|x| x == s)) {
        return ("get", not_found_generic());
    }
    labels.group = res.group.clone();
    labels.version = version.to_owned();
    labels.resource = res.plural.clone();
    labels.subresource = sub.unwrap_or("").to_owned();
    labels.scope = match (name.is_some(), ns.is_some()) {
        (true, _) => "resource",
        (false, true) => "namespace",
        (false, false) => "cluster",
    }
    .to_owned();
    let t = Target {
        res,
        version: version.to_owned(),
        ns: ns.map(str::to_owned),
        name: name.map(str::to_owned),
        sub: sub.map(str::to_owned),
    };
    // Verbs the resource does not have (listing bindings, say) are refused as the server does.
    let verb = match (&ctx.method, t.name.is_some(), t.sub.is_some()) {
        (_, _, true) => None,
        (&Method::GET, false, _) if ctx.flag("watch") => Some("watch"),
        (&Method::GET, false, _) => Some("list"),
        (&Method::GET, true, _) => Some("get"),
        (&Method::POST, _, _) => Some("create"),
        (&Method::PUT, _, _) => Some("update"),
        (&Method::PATCH, _, _) => Some("patch"),
        (&Method::DELETE, true, _) => Some("delete"),
        (&Method::DELETE, false, _) => Some("deletecollection"),
        _ => None,
    };
    if verb.is_some_and(|v| !t.res.verbs().contains(&v)) {
        return ("other", method_not_allowed());
    }
    if ctx.method == Method::GET {
        // Reads of a deprecated version are counted and answered with the server's warning.
        let warning = api::note_deprecated(shared, &t);
        let (verb, mut resp) = if t.name.is_some() {
            ("get", api::get(shared, ctx, &t))
        } else if ctx.flag("watch") {
            ("watch", crate::watch::serve(shared, ctx, &t))
        } else {
            ("list", api::list(shared, ctx, &t))
        };
        if let Some(w) = warning
            && let Ok(h) = HeaderValue::from_str(&format!("299 - \"{}\"", w.replace('"', "'")))
        {
            resp.headers_mut().insert(header::WARNING, h);
        }
        return (verb, resp);
    }
    match (&ctx.method, t.name.is_some()) {
        (&Method::POST, true) if t.sub.as_deref() == Some("eviction") => {
            ("create", drain::evict(shared, ctx, &t))
        }
        (&Method::POST, false) => ("create", api::create(shared, ctx, &t)),
        (&Method::PUT, true) => ("update", api::replace(shared, ctx, &t)),
        (&Method::PATCH, true) => ("patch", api::patch(shared, ctx, &t)),
        (&Method::DELETE, true) => ("delete", api::delete(shared, ctx, &t)),
        (&Method::DELETE, false) => ("deletecollection", api::delete_collection(shared, ctx, &t)),
        _ => ("other", method_not_allowed()),
    }
}

/// The metrics endpoint, in the Prometheus text format.
fn metrics(shared: &Shared) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    out.push_str("# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.\n");
    out.push_str("# TYPE apiserver_requested_deprecated_apis gauge\n");
    for r in lock(&shared.deprecated).iter() {
        let _ = writeln!(
            out,
            "apiserver_requested_deprecated_apis{{group=\"{}\",removed_release=\"{}\",resource=\"{}\",subresource=\"{}\",version=\"{}\"}} 1",
            r.group, r.removed_release, r.resource, r.subresource, r.version
        );
    }
    out.push_str("# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n");
    out.push_str("# TYPE apiserver_request_total counter\n");
    for (l, n) in lock(&shared.totals).iter() {
        let _ = writeln!(
            out,
            "apiserver_request_total{{code=\"{}\",component=\"apiserver\",dry_run=\"\",group=\"{}\",resource=\"{}\",scope=\"{}\",subresource=\"{}\",verb=\"{}\",version=\"{}\"}} {n}",
            l.code, l.group, l.resource, l.scope, l.subresource, l.verb, l.version
        );
    }
    out
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

fn text(code: StatusCode, body: &str) -> Response<Body> {
    bytes_response(code, "text/plain; charset=utf-8", Bytes::from(body.to_owned()))
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

fn method_not_allowed() -> Response<Body> {
    status(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        None,
    )
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

/// 410 Gone for an expired continue token, as the etcd store answers once the token's revision
/// is compacted: the message, and an "inconsistent" token (revision -1) to go on anyway.
pub(crate) fn expired(token: &str) -> Response<Body> {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        "reason": "Expired",
        "code": 410,
    });
    if let Ok(c) = api::decode_continue(token) {
        v["metadata"]["continue"] = json!(api::encode_continue(-1, &c.key.0, &c.key.1));
    }
    json_response(StatusCode::GONE, &v)
}
