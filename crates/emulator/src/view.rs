//! How stored objects are shown to a client, for the list/get handler and for watches alike:
//! converted to the requested version, metadata only when asked, and filtered by label and
//! field selectors.

use axum::body::Body;
use bytes::Bytes;
use http::Response;
use serde_json::{Value, json};

use crate::ctx::{Ctx, Target, bad_request};
use crate::select::{FieldSelector, LabelSelector};
use crate::store::Entry;

/// The object as served at `api_version` (stored objects keep their own version).
pub(crate) fn served(entry: &Entry, api_version: &str) -> Bytes {
    if entry.api_version == api_version {
        return entry.json.clone();
    }
    let mut v = entry.value();
    v["apiVersion"] = Value::String(api_version.to_owned());
    Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
}

/// `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1` (kube's
/// `list_metadata`, client-go's metadata client).
pub(crate) fn wants_metadata(ctx: &Ctx) -> bool {
    ctx.accept.contains("as=PartialObjectMetadata")
}

/// An object reduced to its metadata, as a PartialObjectMetadata.
pub(crate) fn metadata_bytes(entry: &Entry) -> Bytes {
    let mut v = entry.value();
    let meta = v.get_mut("metadata").map_or(Value::Null, Value::take);
    let out = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta});
    Bytes::from(serde_json::to_vec(&out).unwrap_or_default())
}

fn field_support(t: &Target<'_>) -> &'static [&'static str] {
    match (t.res.group.as_str(), t.res.plural.as_str()) {
        ("", "pods") => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "status.phase",
        ],
        ("", "nodes") => &["metadata.name", "spec.unschedulable"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// The selectors of a list or watch request.
pub(crate) fn selectors(ctx: &Ctx, t: &Target<'_>) -> Result<(LabelSelector, FieldSelector), Response<Body>> {
    let labels = LabelSelector::parse(ctx.param("labelSelector").unwrap_or(""))
        .map_err(|e| bad_request(&format!("unable to parse requirement: {e}")))?;
    let fields = FieldSelector::parse(ctx.param("fieldSelector").unwrap_or(""), field_support(t))
        .map_err(|e| bad_request(&e))?;
    Ok((labels, fields))
}

pub(crate) fn matches(entry: &Entry, labels: &LabelSelector, fields: &FieldSelector) -> bool {
    labels.matches(|k| entry.label(k)) && fields.matches(|f| entry.field(f))
}
