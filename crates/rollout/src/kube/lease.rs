//! The Lease `mcp-diag-upgrade` that makes one orchestrator the holder of a cluster: taken
//! by `upgrade`, renewed by the heartbeat, read by `upgrade status`, marked by `upgrade
//! abort`, released at the end. The coordination.k8s.io/v1 Lease as leader election uses it:
//! holderIdentity, renewTime, leaseDurationSeconds, leaseTransitions.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::{ANNOTATION_ABORT, ANNOTATION_RUN, CallError, LEASE_NAME, call, human_duration, now_ms};
use crate::driver::AbortRequest;
use crate::model::Time;

/// What the Lease says.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaseInfo {
    pub namespace: String,
    /// `holderIdentity`; empty once released.
    pub holder: String,
    /// The run, from the annotation `upgrade.mcp-diag.io/run`.
    pub run_id: Option<String>,
    /// `acquireTime` and `renewTime`, ms since the epoch.
    pub acquired: Option<Time>,
    pub renewed: Option<Time>,
    pub duration_ms: u64,
    pub transitions: i32,
    /// `upgrade abort` left a request.
    pub abort: Option<AbortRequest>,
}

impl LeaseInfo {
    /// The holder stopped renewing longer ago than the Lease's duration (or released it).
    pub fn expired(&self, now: Time) -> bool {
        self.holder.is_empty()
            || self
                .renewed
                .or(self.acquired)
                .is_none_or(|r| r.saturating_add(i64::try_from(self.duration_ms).unwrap_or(i64::MAX)) < now)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(
        "another orchestrator holds the Lease {namespace}/{LEASE_NAME}: {holder}{}, last renewed {} ago; wait until it finishes, or until it has not renewed for the Lease's duration, or see `mcp-diag upgrade status`",
        run_id.as_deref().map(|r| format!(" (run {r})")).unwrap_or_default(),
        renewed_ago_ms.map_or_else(|| "an unknown time".to_owned(), human_duration)
    )]
    Held {
        namespace: String,
        holder: String,
        run_id: Option<String>,
        renewed_ago_ms: Option<u64>,
    },
    #[error("no Lease {namespace}/{LEASE_NAME}: no run holds this cluster")]
    Missing { namespace: String },
    #[error("the Lease {namespace}/{LEASE_NAME}: {source}")]
    Api {
        namespace: String,
        #[source]
        source: CallError,
    },
}

fn micro(at: Time) -> Option<MicroTime> {
    k8s_openapi::jiff::Timestamp::from_millisecond(at)
        .ok()
        .map(MicroTime)
}

fn ms(t: &MicroTime) -> Time {
    t.0.as_millisecond()
}

/// What a Lease object says.
pub fn info(lease: &Lease) -> LeaseInfo {
    let spec = lease.spec.clone().unwrap_or_default();
    let annotations = lease.metadata.annotations.clone().unwrap_or_default();
    LeaseInfo {
        namespace: lease.metadata.namespace.clone().unwrap_or_default(),
        holder: spec.holder_identity.unwrap_or_default(),
        run_id: annotations.get(ANNOTATION_RUN).cloned(),
        acquired: spec.acquire_time.as_ref().map(ms),
        renewed: spec.renew_time.as_ref().map(ms),
        duration_ms: u64::try_from(spec.lease_duration_seconds.unwrap_or(0)).unwrap_or(0) * 1000,
        transitions: spec.lease_transitions.unwrap_or(0),
        abort: match annotations.get(ANNOTATION_ABORT).map(String::as_str) {
            Some("stop") => Some(AbortRequest { rollback: false }),
            Some("rollback") => Some(AbortRequest { rollback: true }),
            _ => None,
        },
    }
}

fn api_err(ns: &str) -> impl Fn(CallError) -> LeaseError + '_ {
    move |source| LeaseError::Api {
        namespace: ns.to_owned(),
        source,
    }
}

fn seconds(duration_ms: u64) -> i32 {
    i32::try_from(duration_ms.div_ceil(1000).max(1)).unwrap_or(i32::MAX)
}

/// Takes the Lease for `holder` and `run_id`: creates it; takes over one whose holder
/// stopped renewing (renewTime + leaseDurationSeconds in the past; leaseTransitions + 1) or
/// that the same holder already has; otherwise refuses naming the holder and the age of its
/// last renewal.
pub async fn acquire(
    client: &kube::Client,
    ns: &str,
    holder: &str,
    run_id: &str,
    duration_ms: u64,
) -> Result<LeaseInfo, LeaseError> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    for _ in 0..5 {
        let now = now_ms();
        let fresh = Lease {
            metadata: ObjectMeta {
                name: Some(LEASE_NAME.into()),
                namespace: Some(ns.into()),
                annotations: Some(BTreeMap::from([(ANNOTATION_RUN.to_owned(), run_id.to_owned())])),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.into()),
                lease_duration_seconds: Some(seconds(duration_ms)),
                acquire_time: micro(now),
                renew_time: micro(now),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        let pp = PostParams::default();
        match call("create the Lease", || leases.create(&pp, &fresh)).await {
            Ok(l) => return Ok(info(&l)),
            Err(e) if e.already_exists() => {}
            Err(e) => return Err(api_err(ns)(e)),
        }
        let Some(current) = call("read the Lease", || leases.get_opt(LEASE_NAME))
            .await
            .map_err(api_err(ns))?
        else {
            continue; // released in between: create again
        };
        let seen = info(&current);
        let ours = seen.holder == holder;
        if !ours && !seen.expired(now) {
            return Err(LeaseError::Held {
                namespace: ns.into(),
                holder: seen.holder,
                run_id: seen.run_id,
                renewed_ago_ms: seen
                    .renewed
                    .or(seen.acquired)
                    .map(|r| u64::try_from(now - r).unwrap_or(0)),
            });
        }
        let mut next = current.clone();
        let mut annotations = next.metadata.annotations.take().unwrap_or_default();
        annotations.insert(ANNOTATION_RUN.into(), run_id.into());
        // A new holder starts without the previous run's abort request.
        annotations.remove(ANNOTATION_ABORT);
        next.metadata.annotations = Some(annotations);
        let spec = next.spec.get_or_insert_with(LeaseSpec::default);
        spec.holder_identity = Some(holder.into());
        spec.lease_duration_seconds = Some(seconds(duration_ms));
        spec.renew_time = micro(now);
        if !ours {
            spec.acquire_time = micro(now);
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        // `next` carries the resourceVersion read: a Conflict means someone else wrote first.
        match call("take over the Lease", || leases.replace(LEASE_NAME, &pp, &next)).await {
            Ok(l) => return Ok(info(&l)),
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(api_err(ns)(e)),
        }
    }
    Err(api_err(ns)(CallError {
        code: Some(409),
        reason: "Conflict".into(),
        message: "the Lease kept changing while it was being taken; try again".into(),
        causes: Vec::new(),
    }))
}

/// The Lease as it is, `None` when there is none.
pub async fn read(client: &kube::Client, ns: &str) -> Result<Option<LeaseInfo>, LeaseError> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let lease = call("read the Lease", || leases.get_opt(LEASE_NAME))
        .await
        .map_err(api_err(ns))?;
    Ok(lease.as_ref().map(info))
}

/// Deletes the Lease if `holder` holds it (an expired Lease of another holder stays, for
/// `upgrade status` to show).
pub async fn release(client: &kube::Client, ns: &str, holder: &str) -> Result<(), LeaseError> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let Some(current) = call("read the Lease", || leases.get_opt(LEASE_NAME))
        .await
        .map_err(api_err(ns))?
    else {
        return Ok(());
    };
    let seen = info(&current);
    if seen.holder != holder {
        return Err(LeaseError::Held {
            namespace: ns.into(),
            holder: seen.holder,
            run_id: seen.run_id,
            renewed_ago_ms: seen.renewed.map(|r| u64::try_from(now_ms() - r).unwrap_or(0)),
        });
    }
    let dp = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: current.metadata.uid.clone(),
            resource_version: current.metadata.resource_version.clone(),
        }),
        ..DeleteParams::default()
    };
    match call("delete the Lease", || leases.delete(LEASE_NAME, &dp)).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(api_err(ns)(e)),
    }
}

/// Leaves `stop` (or `rollback`) on the Lease for the running orchestrator's heartbeat.
pub async fn request_abort(client: &kube::Client, ns: &str, rollback: bool) -> Result<LeaseInfo, LeaseError> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let word = if rollback { "rollback" } else { "stop" };
    let patch = json!({"metadata": {"annotations": {ANNOTATION_ABORT: word}}});
    let (params, merge) = (PatchParams::default(), Patch::Merge(&patch));
    match call("mark the Lease", || leases.patch(LEASE_NAME, &params, &merge)).await {
        Ok(l) => Ok(info(&l)),
        Err(e) if e.is_not_found() => Err(LeaseError::Missing { namespace: ns.into() }),
        Err(e) => Err(api_err(ns)(e)),
    }
}

/// Why a renewal did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenewError {
    /// Another holder has the Lease, or it is gone: the run must stop.
    #[error("{0}")]
    Lost(String),
    /// The server did not answer or refused for now: the Lease may still be ours.
    #[error("{0}")]
    Unreachable(String),
}

/// Renews the Lease for `holder`; returns an abort request left on it.
pub async fn renew(
    client: &kube::Client,
    ns: &str,
    holder: &str,
) -> Result<Option<AbortRequest>, RenewError> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    for _ in 0..5 {
        let current = match call("read the Lease", || leases.get_opt(LEASE_NAME)).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                return Err(RenewError::Lost(format!(
                    "the Lease {ns}/{LEASE_NAME} was deleted"
                )));
            }
            Err(e) => {
                return Err(RenewError::Unreachable(format!(
                    "cannot read the Lease {ns}/{LEASE_NAME}: {e}"
                )));
            }
        };
        let seen = info(&current);
        if seen.holder != holder {
            let who = if seen.holder.is_empty() {
                "nobody (released)".to_owned()
            } else {
                seen.holder
            };
            return Err(RenewError::Lost(format!(
                "the Lease {ns}/{LEASE_NAME} is now held by {who}"
            )));
        }
        let mut next = current;
        next.spec.get_or_insert_with(LeaseSpec::default).renew_time = micro(now_ms());
        let pp = PostParams::default();
        match call("renew the Lease", || leases.replace(LEASE_NAME, &pp, &next)).await {
            Ok(l) => return Ok(info(&l).abort),
            // Someone wrote in between (an abort request, a takeover): read again.
            Err(e) if e.is_conflict() => {}
            Err(e) => {
                return Err(RenewError::Unreachable(format!(
                    "cannot renew the Lease {ns}/{LEASE_NAME}: {e}"
                )));
            }
        }
    }
    Err(RenewError::Unreachable(format!(
        "the Lease {ns}/{LEASE_NAME} kept changing while it was being renewed"
    )))
}
