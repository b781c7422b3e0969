//! Watches: a stream of `{"type":..,"object":..}` lines, as the real server sends them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use crate::ctx::{Ctx, Shared, Target, bad_request};
use crate::store::Entry;
use crate::view::{matches, metadata_bytes, selectors, served, wants_metadata};

fn line(kind: &str, object: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(object.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn error_line(code: u16, reason: &str, message: &str) -> Bytes {
    let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    line("ERROR", &serde_json::to_vec(&status).unwrap_or_default())
}

pub(crate) fn serve(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let (labels, fields) = match selectors(ctx, t) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let from = match ctx
        .param("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0")
    {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return bad_request(&format!("invalid resource version: {v}")),
        },
    };
    let initial_events = ctx.flag("sendInitialEvents");
    let timeout = ctx
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let group = t.res.group.clone();
    let plural = t.res.plural.clone();
    let ns = t.ns.clone();
    let api_version = t.api_version();
    // What each event carries: the object, its metadata, or a one-row Table.
    let form = if ctx.accept.contains("as=Table") {
        Form::Table(Box::new((Ctx::detached(ctx), t.owned())))
    } else if wants_metadata(ctx) {
        Form::Metadata
    } else {
        Form::Object
    };
    let mut headers_sent = false;
    let mut encode = move |kind: &str, e: &Arc<Entry>| -> Bytes {
        match &form {
            Form::Object => line(kind, &served(e, &api_version)),
            Form::Metadata => line(kind, &metadata_bytes(e)),
            Form::Table(b) => {
                let (ctx, owned) = &**b;
                let t = owned.target();
                let v =
                    crate::table::table(None, ctx, &t, std::slice::from_ref(e), e.rv, None, !headers_sent);
                headers_sent = true;
                line(kind, &serde_json::to_vec(&v).unwrap_or_default())
            }
        }
    };
    let wanted =
        move |e: &Entry| ns.as_ref().is_none_or(|n| *n == e.namespace) && matches(e, &labels, &fields);

    let mut first: Vec<Bytes> = Vec::new();
    let mut brx;
    {
        let state = shared.state();
        brx = state.tx.subscribe();
        match from {
            Some(rv) if rv < state.oldest_watchable() => {
                first.push(error_line(
                    410,
                    "Expired",
                    &format!("too old resource version: {rv} ({})", state.oldest_watchable()),
                ));
                brx = broadcast::channel(1).1;
            }
            Some(rv) => {
                for ev in state.log.iter().filter(|e| e.rv > rv) {
                    if ev.group == group && ev.plural == plural && wanted(&ev.entry) {
                        first.push(encode(ev.kind, &ev.entry));
                    }
                }
            }
            None => {
                if let Some(col) = state.col(&group, &plural) {
                    for e in col.values().filter(|e| wanted(e)) {
                        first.push(encode("ADDED", e));
                    }
                }
                if initial_events {
                    let bookmark = json!({"kind": t.res.kind, "apiVersion": t.api_version(),
                        "metadata": {"resourceVersion": state.rv.to_string(),
                            "annotations": {"k8s.io/initial-events-end": "true"}}});
                    first.push(line(
                        "BOOKMARK",
                        &serde_json::to_vec(&bookmark).unwrap_or_default(),
                    ));
                }
            }
        }
    }
    let expired = from.is_some()
        && first
            .first()
            .is_some_and(|l| l.starts_with(b"{\"type\":\"ERROR\""));
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        for l in first {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        if expired {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                ev = brx.recv() => match ev {
                    Ok(ev) => {
                        if ev.group == group && ev.plural == plural && wanted(&ev.entry)
                            && tx.send(encode(ev.kind, &ev.entry)).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(error_line(410, "Expired", "watch channel fell behind; please re-list")).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = &mut deadline => return,
                () = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = StatusCode::OK;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

enum Form {
    Object,
    Metadata,
    Table(Box<(Ctx, crate::ctx::OwnedTarget)>),
}
