//! Connections, fault injection and routing: the only module that knows every handler (what
//! they share is in `ctx`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch as tokio_watch;

use crate::ctx::{
    Ctx, RequestLabels, Shared, Target, bytes_response, json_response, lock, not_found_generic, parse_query,
    percent_decode, status,
};
use crate::{Faults, LoggedRequest, api, auth, control, discovery, eviction, watch};

/// How many requests the log keeps.
const LOG_CAP: usize = 100_000;

/// Accepts connections until shutdown; each connection is served by hyper's HTTP/1.1.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio_watch::Receiver<bool>,
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
    if control::is_control(req.uri().path()) {
        return Ok(control::serve(&shared, req).await);
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
            ("watch", watch::serve(shared, ctx, &t))
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
            ("create", eviction::evict(shared, ctx, &t))
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

fn text(code: StatusCode, body: &str) -> Response<Body> {
    bytes_response(code, "text/plain; charset=utf-8", Bytes::from(body.to_owned()))
}

fn method_not_allowed() -> Response<Body> {
    status(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        None,
    )
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
