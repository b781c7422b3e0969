//! Simulated kubelets: a node upgrade makes the node NotReady, and after
//! `Options::kubelet_restart` Ready again, reporting the new kubelet version. Three triggers
//! start one: the control endpoint (`POST /mcp-diag/v1/nodes/{name}/upgrade`), the node label
//! `upgrade.mcp-diag.io/version`, and a Job pinned to the node with `MCP_DIAG_TARGET_VERSION`.
//! Per-node faults make the action fail, hang, never come back, or come back at another version.

use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::ctx::{Shared, lock};
use crate::drain;
use crate::jobs::job_done;
use crate::store::{Entry, State};

// Public through the crate root as they always were; defined apart (see `kubelet_state`).
use crate::kubelet_state::{Flight, Kubelets};
pub use crate::kubelet_state::{NodeFault, normalize_version};

/// The node label whose value, when it differs from the kubelet's version, starts an upgrade.
pub const VERSION_LABEL: &str = "upgrade.mcp-diag.io/version";
/// The env var (any container of a Job's pod template) that makes a pinned Job an upgrade.
pub const TARGET_VERSION_ENV: &str = "MCP_DIAG_TARGET_VERSION";

/// Why an upgrade did not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpgradeError {
    /// No node of that name.
    UnknownNode(String),
    /// The version is not `vMAJOR.MINOR.PATCH`.
    BadVersion(String),
    /// The node's fault is `fail`: the message the action printed.
    Failed(String),
    /// The node's fault is `hang`: the action never returns.
    Hang,
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownNode(n) => write!(f, "node {n:?} not found"),
            Self::BadVersion(m) | Self::Failed(m) => f.write_str(m),
            Self::Hang => f.write_str("the node action hangs (injected fault)"),
        }
    }
}

impl std::error::Error for UpgradeError {}

/// An upgrade that started (or was already under way to the same version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeStarted {
    pub node: String,
    /// The version asked for (`v1.32.0`).
    pub version: String,
    /// The kubelet version the node reported when the upgrade was asked for.
    pub from_version: String,
    /// `false` when an upgrade to the same version was already in flight (nothing new began).
    pub new: bool,
}

/// What the kubelet of one node is doing, for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub name: String,
    /// Condition Ready is True.
    pub ready: bool,
    /// `status.nodeInfo.kubeletVersion` ("" when the node reports none).
    pub kubelet_version: String,
    /// The version an upgrade in flight goes to.
    pub upgrading_to: Option<String>,
    pub fault: Option<NodeFault>,
    /// How many upgrades have started on this node (a repeated one counts again).
    pub upgrades: u32,
}

fn kubelet_version(v: &Value) -> String {
    v.pointer("/status/nodeInfo/kubeletVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

pub(crate) fn node_state(state: &State, name: &str) -> Option<NodeState> {
    let e = state.get("", "nodes", "", name)?;
    let facts = e.node.clone().unwrap_or_default();
    Some(NodeState {
        name: name.to_owned(),
        ready: facts.ready,
        kubelet_version: facts.kubelet_version,
        upgrading_to: state.kubelets.in_flight(name).map(str::to_owned),
        fault: state.kubelets.faults.get(name).cloned(),
        upgrades: state.kubelets.upgrades.get(name).copied().unwrap_or(0),
    })
}

/// Sets the condition of `type` in `v[status][conditions]` (kept in place when present).
fn set_condition(v: &mut Value, cond: Value) {
    if !v["status"]["conditions"].is_array() {
        v["status"]["conditions"] = json!([]);
    }
    let ty = cond["type"].clone();
    if let Some(cs) = v["status"]["conditions"].as_array_mut() {
        match cs.iter_mut().find(|c| c["type"] == ty) {
            Some(c) => *c = cond,
            None => cs.push(cond),
        }
    }
}

const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// The node as its kubelet reports it: Ready or not, and (when back) its version. A NotReady
/// node gets the `not-ready:NoSchedule` taint the node lifecycle controller adds.
fn node_ready(v: &mut Value, ready: bool, version: Option<&str>, now: &str) {
    let (status, reason, message) = if ready {
        (
            "True",
            "KubeletReady",
            "kubelet is posting ready status".to_owned(),
        )
    } else {
        (
            "False",
            "KubeletNotReady",
            "kubelet is restarting (node upgrade in progress)".to_owned(),
        )
    };
    set_condition(
        v,
        json!({"type": "Ready", "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now, "lastTransitionTime": now}),
    );
    if let Some(version) = version {
        if !v["status"]["nodeInfo"].is_object() {
            v["status"]["nodeInfo"] = json!({});
        }
        v["status"]["nodeInfo"]["kubeletVersion"] = json!(version);
        v["status"]["nodeInfo"]["kubeProxyVersion"] = json!(version);
    }
    let mut taints: Vec<Value> = v
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    taints.retain(|t| t["key"] != NOT_READY_TAINT);
    if !v["spec"].is_object() {
        v["spec"] = json!({});
    }
    if !ready {
        taints.push(json!({"key": NOT_READY_TAINT, "effect": "NoSchedule", "timeAdded": now}));
    }
    if let Some(spec) = v["spec"].as_object_mut() {
        if taints.is_empty() {
            spec.remove("taints");
        } else {
            spec.insert("taints".to_owned(), Value::Array(taints));
        }
    }
}

/// A pod whose containers stop and start again (Ready False, then True).
fn pod_ready(v: &mut Value, ready: bool, now: &str) {
    let s = if ready { "True" } else { "False" };
    for ty in ["Ready", "ContainersReady"] {
        set_condition(
            v,
            json!({"type": ty, "status": s, "lastProbeTime": null, "lastTransitionTime": now}),
        );
    }
    if let Some(cs) = v["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            c["ready"] = json!(ready);
            c["started"] = json!(ready);
            if ready {
                let n = c["restartCount"].as_i64().unwrap_or(0);
                c["restartCount"] = json!(n + 1);
                c["state"] = json!({"running": {"startedAt": now}});
            }
        }
    }
}

/// Pods that restart in place on their node (a DaemonSet's, a mirror pod, a bare pod): the
/// others are deleted, and their controllers replace them elsewhere.
fn restarts_in_place(e: &Entry) -> bool {
    match e.pod.as_ref().and_then(|f| f.owner.as_ref()) {
        None => true,
        Some((kind, _)) => matches!(kind.as_str(), "DaemonSet" | "Node"),
    }
}

fn live_pods_on(state: &State, node: &str) -> Vec<Arc<Entry>> {
    state
        .pods_by_node
        .get(node)
        .into_iter()
        .flatten()
        .filter_map(|(ns, name)| state.get("", "pods", ns, name))
        .filter(|e| !matches!(e.phase.as_str(), "Succeeded" | "Failed"))
        .collect()
}

/// Starts an upgrade of `node` to `version` (any of the three triggers).
pub(crate) fn start(
    shared: &Arc<Shared>,
    state: &mut State,
    node: &str,
    version: &str,
) -> Result<UpgradeStarted, UpgradeError> {
    let version = normalize_version(version).map_err(UpgradeError::BadVersion)?;
    let Some(entry) = state.get("", "nodes", "", node) else {
        return Err(UpgradeError::UnknownNode(node.to_owned()));
    };
    match state.kubelets.faults.get(node) {
        Some(NodeFault::Fail) => {
            return Err(UpgradeError::Failed(format!(
                "upgrading the kubelet of {node} to {version} failed (injected fault: fail)"
            )));
        }
        Some(NodeFault::Hang) => return Err(UpgradeError::Hang),
        _ => {}
    }
    let mut v = entry.value();
    let from_version = kubelet_version(&v);
    let returning = |k: &Kubelets| k.flights.get(node).is_some_and(|f| f.returning);
    if state.kubelets.in_flight(node) == Some(version.as_str()) && returning(&state.kubelets) {
        return Ok(UpgradeStarted {
            node: node.to_owned(),
            version,
            from_version,
            new: false,
        });
    }
    let never = state.kubelets.faults.get(node) == Some(&NodeFault::NeverReady);
    state.kubelets.generation += 1;
    let generation = state.kubelets.generation;
    *state.kubelets.upgrades.entry(node.to_owned()).or_default() += 1;
    // Jobs waiting for an earlier flight now wait for this one: they succeed when the node is back.
    let jobs = state
        .kubelets
        .flights
        .remove(node)
        .map(|f| f.jobs)
        .unwrap_or_default();
    state.kubelets.flights.insert(
        node.to_owned(),
        Flight {
            version: version.clone(),
            generation,
            jobs,
            returning: !never,
        },
    );
    let now = (state.now)();
    node_ready(&mut v, false, None, &now);
    state.put("", "nodes", &entry.api_version, v);
    // The reboot: pods that live with the node stop; the others are gone and replaced by
    // their controllers (the node is NotReady, so not here).
    for pod in live_pods_on(state, node) {
        if restarts_in_place(&pod) {
            let mut pv = pod.value();
            pod_ready(&mut pv, false, &now);
            state.put("", "pods", &pod.api_version, pv);
        } else {
            drain::delete_pod(shared, state, &pod.namespace, &pod.name);
        }
    }
    if !never && let Ok(handle) = tokio::runtime::Handle::try_current() {
        let shared = shared.clone();
        let node = node.to_owned();
        let delay = shared.options.kubelet_restart;
        handle.spawn(async move {
            tokio::time::sleep(delay).await;
            let mut state = lock(&shared.state);
            finish(&shared, &mut state, &node, generation);
        });
    }
    Ok(UpgradeStarted {
        node: node.to_owned(),
        version,
        from_version,
        new: true,
    })
}

/// The kubelet is back: Ready at the new version (or the fault's), its pods Ready, its Jobs done.
fn finish(shared: &Arc<Shared>, state: &mut State, node: &str, generation: u64) {
    if state.kubelets.flights.get(node).map(|f| f.generation) != Some(generation) {
        return;
    }
    // The fault was set while the kubelet restarted: it does not come back.
    if state.kubelets.faults.get(node) == Some(&NodeFault::NeverReady) {
        if let Some(f) = state.kubelets.flights.get_mut(node) {
            f.returning = false;
        }
        return;
    }
    let Some(flight) = state.kubelets.flights.remove(node) else {
        return;
    };
    let now = (state.now)();
    let Some(entry) = state.get("", "nodes", "", node) else {
        for job in &flight.jobs {
            job_done(
                state,
                job,
                Err(format!("node {node} was deleted during its upgrade")),
            );
        }
        return;
    };
    let reported = match state.kubelets.faults.get(node) {
        Some(NodeFault::WrongVersion(v)) => v.clone(),
        _ => flight.version.clone(),
    };
    let mut v = entry.value();
    node_ready(&mut v, true, Some(&reported), &now);
    state.put("", "nodes", &entry.api_version, v);
    for pod in live_pods_on(state, node) {
        if restarts_in_place(&pod) && !pod.pod.as_ref().is_some_and(|f| f.ready) {
            let mut pv = pod.value();
            pod_ready(&mut pv, true, &now);
            state.put("", "pods", &pod.api_version, pv);
        }
    }
    for job in &flight.jobs {
        job_done(state, job, Ok(()));
    }
    drain::after_change(shared, state, "nodes");
}

/// The node a Job's pod template pins, and the version its env asks for.
fn job_target(job: &Value) -> Option<(String, String)> {
    let spec = job.pointer("/spec/template/spec")?;
    let node = spec
        .get("nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .or_else(|| {
            spec.pointer("/nodeSelector/kubernetes.io~1hostname")
                .and_then(Value::as_str)
        })?;
    let version = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("env").and_then(Value::as_array))
        .flatten()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(TARGET_VERSION_ENV))
        .and_then(|e| e.get("value").and_then(Value::as_str))?;
    Some((node.to_owned(), version.to_owned()))
}

/// A created Job: when it is an upgrade Job, it runs; other Jobs are stored and left alone.
pub(crate) fn job_created(shared: &Arc<Shared>, state: &mut State, job: &Entry) {
    let v = job.value();
    let Some((node, version)) = job_target(&v) else {
        crate::jobs::job_created(shared, state, job);
        return;
    };
    let key = (job.namespace.clone(), job.name.clone());
    let now = (state.now)();
    let mut running = v;
    running["status"] = json!({"active": 1, "ready": 0, "terminating": 0, "startTime": now,
        "uncountedTerminatedPods": {}});
    state.put("batch", "jobs", &job.api_version, running);
    match start(shared, state, &node, &version) {
        Ok(_) => {
            if let Some(f) = state.kubelets.flights.get_mut(&node) {
                f.jobs.push(key);
            }
        }
        // The action never ends: the Job stays active.
        Err(UpgradeError::Hang) => {}
        Err(e) => job_done(state, &key, Err(e.to_string())),
    }
}

/// Does a patch body name the version label itself (so that setting it again retries)?
pub(crate) fn patch_sets_label(content_type: &str, body: &[u8]) -> bool {
    let Ok(p) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if content_type.starts_with("application/json-patch") {
        let escaped = VERSION_LABEL.replace('~', "~0").replace('/', "~1");
        return p.as_array().into_iter().flatten().any(|op| {
            let path = op.get("path").and_then(Value::as_str).unwrap_or("");
            matches!(op.get("op").and_then(Value::as_str), Some("add" | "replace"))
                && (path == format!("/metadata/labels/{escaped}")
                    || (path == "/metadata/labels"
                        && op
                            .pointer("/value")
                            .is_some_and(|l| l.get(VERSION_LABEL).is_some())))
        });
    }
    p.pointer("/metadata/labels")
        .and_then(|l| l.get(VERSION_LABEL))
        .is_some_and(Value::is_string)
}

/// After a write of a Node: a version label that differs from the kubelet's starts an upgrade,
/// when this write set it (changed it, or named it in a patch). Faults `fail` and `hang` make
/// it do nothing, as an agent that cannot act would.
pub(crate) fn node_written(shared: &Arc<Shared>, state: &mut State, old: &Value, new: &Entry, named: bool) {
    let Some(want) = new.label(VERSION_LABEL) else {
        return;
    };
    let before = old
        .pointer("/metadata/labels")
        .and_then(|l| l.get(VERSION_LABEL))
        .and_then(Value::as_str);
    if before == Some(want) && !named {
        return;
    }
    let Ok(want) = normalize_version(want) else {
        return;
    };
    let current = kubelet_version(&new.value());
    if normalize_version(&current).ok().as_deref() == Some(want.as_str()) {
        return;
    }
    // Failures (fail, hang, a bad version) leave the node as it is: nobody acted on the label.
    let _ = start(shared, state, &new.name, &want);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet_state::minor_of;

    #[test]
    fn versions_and_faults_parse() {
        assert_eq!(normalize_version("1.32.0").unwrap(), "v1.32.0");
        assert_eq!(normalize_version("v1.29.4-eks-1").unwrap(), "v1.29.4-eks-1");
        for bad in ["1.32", "v1.x.0", "", "v1.32.0-", "latest", "v1.32.0.1"] {
            assert!(
                normalize_version(bad).unwrap_err().contains("vMAJOR.MINOR.PATCH"),
                "{bad}"
            );
        }
        assert_eq!(minor_of("v1.32.0-eks-1").as_deref(), Some("1.32"));
        assert_eq!(minor_of("junk"), None);
        assert_eq!(NodeFault::parse("hang").unwrap(), NodeFault::Hang);
        assert_eq!(
            NodeFault::parse("wrong-version=1.31.4").unwrap(),
            NodeFault::WrongVersion("v1.31.4".to_owned())
        );
        assert_eq!(
            NodeFault::parse("never-ready").unwrap().to_string(),
            "never-ready"
        );
        assert!(NodeFault::parse("explode").unwrap_err().contains("fail, hang"));
        assert!(NodeFault::parse("wrong-version=x").is_err());
    }

    #[test]
    fn job_targets() {
        let job = |spec: Value| json!({"spec": {"template": {"spec": spec}}});
        let env = json!([{"name": "c", "env": [{"name": TARGET_VERSION_ENV, "value": "v1.32.0"}]}]);
        assert_eq!(
            job_target(&job(json!({"nodeName": "n1", "containers": env}))),
            Some(("n1".to_owned(), "v1.32.0".to_owned()))
        );
        assert_eq!(
            job_target(&job(
                json!({"nodeSelector": {"kubernetes.io/hostname": "n2"}, "containers": env})
            )),
            Some(("n2".to_owned(), "v1.32.0".to_owned()))
        );
        assert_eq!(job_target(&job(json!({"containers": env}))), None);
        assert_eq!(
            job_target(&job(json!({"nodeName": "n1", "containers": [{"name": "c"}]}))),
            None
        );
    }

    #[test]
    fn patches_that_name_the_label() {
        let merge = br#"{"metadata":{"labels":{"upgrade.mcp-diag.io/version":"v1.32.0"}}}"#;
        assert!(patch_sets_label("application/merge-patch+json", merge));
        assert!(!patch_sets_label(
            "application/merge-patch+json",
            br#"{"spec":{"unschedulable":true}}"#
        ));
        let ops =
            br#"[{"op":"add","path":"/metadata/labels/upgrade.mcp-diag.io~1version","value":"v1.32.0"}]"#;
        assert!(patch_sets_label("application/json-patch+json", ops));
    }

    #[test]
    fn node_readiness_and_taint() {
        let mut v = crate::testing::node("n1", "4", "8Gi");
        node_ready(&mut v, false, None, "2026-01-01T00:00:00Z");
        assert_eq!(v["status"]["conditions"][0]["status"], "False");
        assert_eq!(v["spec"]["taints"][0]["key"], NOT_READY_TAINT);
        node_ready(&mut v, true, Some("v1.32.0"), "2026-01-01T00:00:01Z");
        assert_eq!(v["status"]["conditions"][0]["reason"], "KubeletReady");
        assert_eq!(v["status"]["nodeInfo"]["kubeletVersion"], "v1.32.0");
        assert!(v["spec"].get("taints").is_none());
    }
}
