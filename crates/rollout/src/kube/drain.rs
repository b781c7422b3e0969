//! Draining a node as `kubectl drain` does (k8s.io/kubectl/pkg/drain): DaemonSet pods and
//! mirror pods stay, pods without a controller need `--force`, pods with emptyDir need
//! `--delete-emptydir-data`, finished pods go; every other pod is evicted through the
//! policy/v1 Eviction subresource, a 429 (a budget refusing) is tried again after a pause
//! (kubectl waits 5 s), a 404 means the pod is already gone, and the drain waits until the
//! evicted pods are gone.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, EvictParams, ListParams, PostParams};

use super::select::pod_key;
use super::{CallError, call, call_retrying, human_duration};
use crate::config::DrainConfig;

/// A controller whose pods the drain evicted (kind, namespace, name): Verify waits for it.
pub(crate) type Workload = (String, String, String);

/// What to do with one pod of the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PodFate {
    /// Stays on the node (DaemonSet, mirror pod).
    Skip(&'static str),
    /// Already being deleted: only waited for.
    Wait,
    /// Finished: deleted without a budget check.
    Delete,
    /// Evicted; `Some` names the controller to wait for in Verify.
    Evict(Option<Workload>),
    /// Blocks the drain unless the config allows it (the reason names the flag).
    Refuse(&'static str),
}

/// The controller reference of a pod, if it has one.
fn controller(pod: &Pod) -> Option<(String, String)> {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| (o.kind.clone(), o.name.clone()))
}

/// kubectl drain's filters, in its order, for one pod.
pub(crate) fn fate(pod: &Pod, config: &DrainConfig) -> PodFate {
    if pod.metadata.deletion_timestamp.is_some() {
        return PodFate::Wait;
    }
    if pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"))
    {
        return PodFate::Skip("mirror pod");
    }
    let owner = controller(pod);
    if owner.as_ref().is_some_and(|(kind, _)| kind == "DaemonSet") {
        return PodFate::Skip("DaemonSet");
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    if matches!(phase, "Succeeded" | "Failed") {
        return PodFate::Delete;
    }
    let empty_dir = pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_ref())
        .is_some_and(|vs| vs.iter().any(|v| v.empty_dir.is_some()));
    if empty_dir && !config.delete_emptydir_data {
        return PodFate::Refuse(
            "uses emptyDir (local data lost on eviction; set drain.delete_emptydir_data)",
        );
    }
    match owner {
        None if !config.force => {
            PodFate::Refuse("has no controller (nothing recreates it; set drain.force to delete it anyway)")
        }
        None => PodFate::Evict(None),
        Some((kind, name)) => {
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            let tracked = matches!(
                kind.as_str(),
                "ReplicaSet" | "StatefulSet" | "ReplicationController"
            );
            PodFate::Evict(tracked.then_some((kind, ns, name)))
        }
    }
}

/// The pods of a node and what the drain does with each.
pub(crate) async fn plan(
    client: &kube::Client,
    node: &str,
    config: &DrainConfig,
) -> Result<Vec<(Pod, PodFate)>, CallError> {
    let pods: Api<Pod> = Api::all(client.clone());
    let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
    let list = call(&format!("list the pods of node {node}"), || pods.list(&lp)).await?;
    Ok(list
        .items
        .into_iter()
        .map(|p| {
            let f = fate(&p, config);
            (p, f)
        })
        .collect())
}

/// How a drain ended.
#[derive(Debug)]
pub(crate) enum DrainOutcome {
    /// Every pod gone; the controllers to wait for, and a summary.
    Done(BTreeSet<Workload>, String),
    Failed(String),
}

pub(crate) struct DrainTiming {
    /// Pause after a 429 before the next eviction try.
    pub eviction_retry: Duration,
    /// How often a pod's deletion (and the node) is checked.
    pub poll: Duration,
}

/// Drains `node`; gives up after `config.timeout`.
pub(crate) async fn drain(
    client: &kube::Client,
    node: &str,
    config: &DrainConfig,
    timing: &DrainTiming,
) -> DrainOutcome {
    let deadline = Instant::now() + Duration::from_millis(config.timeout);
    let planned = match plan(client, node, config).await {
        Ok(p) => p,
        Err(e) => return DrainOutcome::Failed(format!("cannot list the pods of {node}: {e}")),
    };
    let refused: Vec<String> = planned
        .iter()
        .filter_map(|(p, f)| match f {
            PodFate::Refuse(why) => Some(format!("{} {why}", pod_key(p))),
            _ => None,
        })
        .collect();
    if !refused.is_empty() {
        // kubectl refuses the whole drain before evicting anything.
        return DrainOutcome::Failed(format!("cannot drain {node}: {}", refused.join("; ")));
    }
    let mut workloads = BTreeSet::new();
    let mut skipped = 0;
    let mut jobs = Vec::new();
    for (pod, f) in planned {
        match f {
            PodFate::Skip(_) => skipped += 1,
            PodFate::Wait => jobs.push((pod, None)),
            PodFate::Delete => jobs.push((pod, Some(false))),
            PodFate::Evict(w) => {
                workloads.extend(w);
                jobs.push((pod, Some(true)));
            }
            PodFate::Refuse(_) => {}
        }
    }
    let count = jobs.len();
    // In parallel, as kubectl does: one budget refusing must not hold the others back.
    let results = futures::future::join_all(
        jobs.into_iter()
            .map(|(pod, evict)| remove_pod(client, node, pod, evict, config, timing, deadline)),
    )
    .await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if let Some(first) = failures.first() {
        let more = if failures.len() > 1 {
            format!(" (and {} more pod(s) not evicted)", failures.len() - 1)
        } else {
            String::new()
        };
        return DrainOutcome::Failed(format!("{first}{more}"));
    }
    DrainOutcome::Done(
        workloads,
        format!(
            "{count} pod(s) evicted, deleted or waited for, {skipped} left on the node (DaemonSet or mirror)"
        ),
    )
}

/// The budget named in a 429's cause ("The disruption budget web needs 2 healthy pods ...").
fn budget_of(e: &CallError, ns: &str) -> String {
    std::iter::once(&e.message)
        .chain(&e.causes)
        .find_map(|m| m.split("disruption budget ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map_or_else(
            || "a disruption budget".to_owned(),
            |name| format!("budget {ns}/{name}"),
        )
}

async fn remove_pod(
    client: &kube::Client,
    node: &str,
    pod: Pod,
    evict: Option<bool>,
    config: &DrainConfig,
    timing: &DrainTiming,
    deadline: Instant,
) -> Result<(), String> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone();
    let key = pod_key(&pod);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let started = Instant::now();
    let mut last_refusal: String;
    let mut delete = DeleteParams::default();
    if let Some(g) = config.grace_period_seconds {
        delete.grace_period_seconds = u32::try_from(g.max(0)).ok();
    }
    // The uid precondition keeps a retry from evicting a same-named successor (a
    // StatefulSet's pod).
    delete.preconditions = uid.clone().map(|uid| kube::api::Preconditions {
        uid: Some(uid),
        resource_version: None,
    });
    while let Some(evict) = evict {
        let result = if evict {
            let ep = EvictParams {
                delete_options: Some(delete.clone()),
                post_options: PostParams::default(),
            };
            call_retrying(&format!("evict {key}"), false, || pods.evict(&name, &ep))
                .await
                .map(|_| ())
        } else {
            call(&format!("delete {key}"), || pods.delete(&name, &delete))
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => break,
            Err(e) if e.is_not_found() => return Ok(()),
            // The precondition failed: the pod of that uid is gone, a successor took its name.
            Err(e) if e.code == Some(409) => return Ok(()),
            Err(e) if e.code == Some(429) => {
                last_refusal = format!("refused by {} (429)", budget_of(&e, &ns));
            }
            Err(e) => return Err(format!("eviction of {key} failed: {e}")),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "eviction of {key} {last_refusal} for {}",
                human_duration(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
            ));
        }
        if !node_exists(client, node).await {
            return Err("node disappeared during the drain".into());
        }
        tokio::time::sleep(timing.eviction_retry.min(deadline - now)).await;
    }
    // Wait until the pod (that uid) is gone, as kubectl's waitForDelete does.
    loop {
        match call(&format!("get {key}"), || pods.get_opt(&name)).await {
            Ok(None) => return Ok(()),
            Ok(Some(p)) if p.metadata.uid != uid => return Ok(()),
            Ok(Some(_)) => {}
            Err(e) => return Err(format!("cannot tell whether {key} is gone: {e}")),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{key} was evicted but is still terminating after {}",
                human_duration(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
            ));
        }
        if !node_exists(client, node).await {
            return Err("node disappeared during the drain".into());
        }
        tokio::time::sleep(timing.poll).await;
    }
}

/// False only when the server says the node is gone (an error is not evidence).
async fn node_exists(client: &kube::Client, node: &str) -> bool {
    let nodes: Api<Node> = Api::all(client.clone());
    !matches!(
        call(&format!("get node {node}"), || nodes.get_opt(node)).await,
        Ok(None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(extra: serde_json::Value) -> Pod {
        let mut v = json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": []},
            "status": {"phase": "Running"}});
        for (k, x) in extra.as_object().unwrap() {
            for (k2, y) in x.as_object().unwrap() {
                v[k][k2] = y.clone();
            }
        }
        serde_json::from_value(v).unwrap()
    }

    fn owned(kind: &str) -> serde_json::Value {
        json!({"metadata": {"ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": "web", "uid": "u", "controller": true}]}})
    }

    #[test]
    fn kubectl_drain_filters() {
        let base = DrainConfig {
            timeout: 1_000,
            force: false,
            delete_emptydir_data: false,
            grace_period_seconds: None,
            on_timeout: crate::config::OnDrainTimeout::Stop,
        };
        assert_eq!(fate(&pod(owned("DaemonSet")), &base), PodFate::Skip("DaemonSet"));
        let leaving = pod(json!({"metadata": {"deletionTimestamp": "2026-11-01T00:00:00Z"}}));
        assert_eq!(
            fate(&leaving, &base),
            PodFate::Wait,
            "a terminating pod is waited for"
        );
        let mirror = pod(json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "x"}}}));
        assert_eq!(fate(&mirror, &base), PodFate::Skip("mirror pod"));
        assert_eq!(
            fate(&pod(owned("ReplicaSet")), &base),
            PodFate::Evict(Some(("ReplicaSet".into(), "ns".into(), "web".into())))
        );
        // A Job's pod is evicted but there is no replica count to wait for.
        assert_eq!(fate(&pod(owned("Job")), &base), PodFate::Evict(None));
        assert!(matches!(fate(&pod(json!({})), &base), PodFate::Refuse(why) if why.contains("drain.force")));
        let forced = DrainConfig {
            force: true,
            ..base.clone()
        };
        assert_eq!(fate(&pod(json!({})), &forced), PodFate::Evict(None));
        let done = pod(json!({"status": {"phase": "Succeeded"}}));
        assert_eq!(
            fate(&done, &base),
            PodFate::Delete,
            "a finished pod goes even without a controller"
        );
        let scratch = pod(
            json!({"spec": {"volumes": [{"name": "tmp", "emptyDir": {}}]}, "metadata": {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u", "controller": true}]}}),
        );
        assert!(
            matches!(fate(&scratch, &base), PodFate::Refuse(why) if why.contains("delete_emptydir_data"))
        );
        let allowed = DrainConfig {
            delete_emptydir_data: true,
            ..base
        };
        assert!(matches!(fate(&scratch, &allowed), PodFate::Evict(Some(_))));
    }
}
