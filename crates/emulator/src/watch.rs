//! Watches: a stream of `{"type":..,"object":..}` lines, as the real server sends them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::api::{matches, selectors, served};
use crate::server::{Ctx, Shared, Target, bad_request};
use crate::store::Entry;

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
                        first.push(line(ev.kind, &served(&ev.entry, &api_version)));
                    }
                }
            }
            None => {
                if let Some(col) = state.col(&group, &plural) {
                    for e in col.values().filter(|e| wanted(e)) {
                        first.push(line("ADDED", &served(e, &api_version)));
                    }
                }
                if initial_events {
                    let bookmark = json!({"kind": t.res.kind, "apiVersion": api_version,
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
                            && tx.send(line(ev.kind, &served(&ev.entry, &api_version))).await.is_err()
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
    let _ = Value::Null;
    r
}
