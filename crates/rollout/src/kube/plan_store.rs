//! The run's plan, saved on the cluster at the start (a ConfigMap beside the Lease), so that
//! `resume` works from a machine without the journal.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;

use super::{ANNOTATION_RUN, CallError, call};
use crate::model::{RunPlan, Time};

pub const PLAN_CONFIGMAP: &str = "mcp-diag-upgrade-plan";

/// Writes (or replaces) the plan of `run` with the time it started.
pub async fn save(
    client: &kube::Client,
    ns: &str,
    plan: &RunPlan,
    started_at: Time,
) -> Result<(), CallError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(PLAN_CONFIGMAP.into()),
            namespace: Some(ns.into()),
            annotations: Some(BTreeMap::from([(ANNOTATION_RUN.to_owned(), plan.run_id.clone())])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([
            (
                "plan.json".to_owned(),
                serde_json::to_string(plan).expect("plans serialize"),
            ),
            ("started_at".to_owned(), started_at.to_string()),
        ])),
        ..ConfigMap::default()
    };
    // Create, or replace the previous run's (server-side apply is not assumed).
    let pp = PostParams::default();
    match call("save the run's plan", || api.create(&pp, &cm)).await {
        Ok(_) => Ok(()),
        Err(e) if e.already_exists() => {
            let old = call("read the previous run's plan", || api.get(PLAN_CONFIGMAP)).await?;
            let mut cm = cm;
            cm.metadata.resource_version = old.metadata.resource_version;
            call("save the run's plan", || api.replace(PLAN_CONFIGMAP, &pp, &cm)).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The saved plan of `run_id` and its start, if the ConfigMap holds that run's.
pub async fn load(
    client: &kube::Client,
    ns: &str,
    run_id: &str,
) -> Result<Option<(RunPlan, Time)>, CallError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let Some(cm) = call("read the run's plan", || api.get_opt(PLAN_CONFIGMAP)).await? else {
        return Ok(None);
    };
    let data = cm.data.unwrap_or_default();
    let Some(plan) = data
        .get("plan.json")
        .and_then(|t| serde_json::from_str::<RunPlan>(t).ok())
    else {
        return Ok(None);
    };
    if plan.run_id != run_id {
        return Ok(None);
    }
    let started = data.get("started_at").and_then(|t| t.parse().ok()).unwrap_or(0);
    Ok(Some((plan, started)))
}
