//! [`KubeEdges`]: the [`Edges`] of a live cluster.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod, ReplicationController};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::action::{self, Words};
use super::drain::{self, DrainOutcome, DrainTiming, PodFate, Workload};
use super::select::{
    annotation, condition, is_ready, kubelet_version, millicores, pod_key, pod_ready, selects,
};
use super::{
    ANNOTATION_CORDONED_BY, ANNOTATION_FROM_VERSION, ANNOTATION_RUN, ANNOTATION_STEP,
    ANNOTATION_WAS_CORDONED, CallError, call, human_duration, lease, now_ms,
};
use crate::config::{ActionKind, RolloutConfig};
use crate::driver::{AbortRequest, ClusterView, Edges, GateSource, NodeOp, NodeView, minor_of};
use crate::gates::Reading;
use crate::model::{Direction, OpResult, Stage, Time};

/// How often the edges look again while waiting. The defaults are kubectl's and a person's;
/// tests shorten them.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Node, pod, Job and workload polls.
    pub poll: Duration,
    /// Pause after an eviction refused with 429 (kubectl drain waits 5 s).
    pub eviction_retry: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            eviction_retry: Duration::from_secs(5),
        }
    }
}

/// The edges of a live run.
pub struct KubeEdges {
    client: kube::Client,
    lease_namespace: String,
    holder: String,
    lease_duration_ms: u64,
    gates: Option<Arc<dyn GateSource>>,
    timing: Timing,
    /// The controllers whose pods each node's drain evicted (kept in memory only: after a
    /// restart Verify says it cannot tell).
    evicted: Mutex<HashMap<String, BTreeSet<Workload>>>,
    /// When the Lease was last renewed: a failed renewal is tolerated until the Lease would
    /// expire.
    last_renewal: Mutex<Option<Instant>>,
}

impl KubeEdges {
    /// `holder` is the identity given to [`lease::acquire`]; the heartbeat renews the Lease in
    /// `lease_namespace` for it.
    pub fn new(client: kube::Client, lease_namespace: &str, holder: &str, lease_duration_ms: u64) -> Self {
        super::install_crypto_provider();
        Self {
            client,
            lease_namespace: lease_namespace.to_owned(),
            holder: holder.to_owned(),
            lease_duration_ms,
            gates: None,
            timing: Timing::default(),
            evicted: Mutex::new(HashMap::new()),
            last_renewal: Mutex::new(Some(Instant::now())),
        }
    }

    /// Where PromQL gates are evaluated (Prometheus); without one, every rule reads as an error.
    #[must_use]
    pub fn with_gates(mut self, gates: Arc<dyn GateSource>) -> Self {
        self.gates = Some(gates);
        self
    }

    #[must_use]
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    async fn get_node(&self, name: &str) -> Result<Option<Node>, CallError> {
        let nodes = self.nodes();
        call(&format!("get node {name}"), || nodes.get_opt(name)).await
    }

    async fn patch_node(&self, name: &str, patch: &Value) -> Result<Node, CallError> {
        let nodes = self.nodes();
        let (params, merge) = (PatchParams::default(), Patch::Merge(patch));
        call(&format!("patch node {name}"), || {
            nodes.patch(name, &params, &merge)
        })
        .await
    }

    /// The annotations every stage starts with: run, step, and from-version once.
    async fn mark(&self, op: &NodeOp, node: &Node) -> Result<(), CallError> {
        let mut annotations = json!({
            ANNOTATION_RUN: op.run_id,
            ANNOTATION_STEP: op.stage.annotation(op.direction),
        });
        // Once per run: a later run's nodes start from where that run found them.
        let same_run = annotation(&node.metadata, ANNOTATION_RUN) == Some(op.run_id.as_str());
        if !same_run || annotation(&node.metadata, ANNOTATION_FROM_VERSION).is_none() {
            let from = if op.from_version.is_empty() {
                kubelet_version(node)
            } else {
                op.from_version.clone()
            };
            annotations[ANNOTATION_FROM_VERSION] = json!(from);
        }
        self.patch_node(&op.node, &json!({"metadata": {"annotations": annotations}}))
            .await
            .map(|_| ())
    }

    async fn precheck(&self, op: &NodeOp, node: &Node, config: &RolloutConfig) -> (OpResult, String) {
        if op.direction == Direction::Rollback {
            return (OpResult::Ok, "no pre-check on the way back".into());
        }
        if !is_ready(node) {
            return not_yet(format!("{} is not Ready", op.node));
        }
        for pressure in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
            if condition(node, pressure).is_some_and(|c| c.status == "True") {
                return not_yet(format!("{} reports {pressure}", op.node));
            }
        }
        let mut notes = Vec::new();
        if let Some(limit) = config.upgrade.precheck.cpu_below_percent {
            match self.cpu_percent(node).await {
                Ok(Some(pct)) if pct >= f64::from(limit) => {
                    return not_yet(format!(
                        "{} uses {pct:.0}% of its allocatable CPU, at or above precheck.cpu_below_percent {limit}%",
                        op.node
                    ));
                }
                Ok(Some(pct)) => notes.push(format!("CPU {pct:.0}% (limit {limit}%)")),
                Ok(None) => notes.push(
                    "CPU not checked: the metrics API (metrics.k8s.io) has no reading for the node".into(),
                ),
                Err(e) => notes.push(format!("CPU not checked: metrics.k8s.io is not available ({e})")),
            }
        }
        match self.blocking_budget(&op.node, config).await {
            Ok(Some(reason)) => return not_yet(reason),
            Ok(None) => notes.push("budgets allow an eviction".into()),
            Err(e) => {
                return (
                    OpResult::Failed {
                        reason: e.to_string(),
                    },
                    e.to_string(),
                );
            }
        }
        (OpResult::Ok, format!("Ready, no pressure; {}", notes.join("; ")))
    }

    /// The node's CPU use in percent of its allocatable; `Ok(None)` when the metrics API has
    /// no reading for it, `Err` when the API is not there.
    async fn cpu_percent(&self, node: &Node) -> Result<Option<f64>, String> {
        let name = node.metadata.name.clone().unwrap_or_default();
        let request = http::Request::get(format!("/apis/metrics.k8s.io/v1beta1/nodes/{name}"))
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        let client = self.client.clone();
        let metrics: Value =
            match call("read node metrics", || client.request::<Value>(request.clone())).await {
                Ok(v) => v,
                Err(e) if e.is_not_found() => {
                    // 404 for the node's metrics, or for the whole API group: tell them apart.
                    return Err(format!("no metrics ({e})"));
                }
                Err(e) => return Err(e.to_string()),
            };
        let Some(usage) = metrics
            .pointer("/usage/cpu")
            .and_then(Value::as_str)
            .and_then(millicores)
        else {
            return Ok(None);
        };
        let allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .and_then(|a| a.get("cpu"))
            .and_then(|q| millicores(&q.0));
        Ok(allocatable.filter(|a| *a > 0.0).map(|a| usage / a * 100.0))
    }

    /// A budget over one of the node's evictable pods that allows no disruption now.
    async fn blocking_budget(&self, node: &str, config: &RolloutConfig) -> Result<Option<String>, CallError> {
        let planned = drain::plan(&self.client, node, &config.upgrade.drain).await?;
        let pods: Vec<&Pod> = planned
            .iter()
            .filter(|(_, f)| matches!(f, PodFate::Evict(_)))
            .map(|(p, _)| p)
            .collect();
        if pods.is_empty() {
            return Ok(None);
        }
        let pdbs: Api<PodDisruptionBudget> = Api::all(self.client.clone());
        let lp = ListParams::default();
        let budgets = call("list PodDisruptionBudgets", || pdbs.list(&lp)).await?;
        for pod in pods {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            for b in &budgets.items {
                if b.metadata.namespace != pod.metadata.namespace {
                    continue;
                }
                if !selects(b.spec.as_ref().and_then(|s| s.selector.as_ref()), &labels) {
                    continue;
                }
                let allowed = b.status.as_ref().map_or(0, |s| s.disruptions_allowed);
                if allowed < 1 {
                    return Ok(Some(format!(
                        "budget {}/{} allows no disruption now ({allowed} allowed) and protects {}",
                        b.metadata.namespace.as_deref().unwrap_or_default(),
                        b.metadata.name.as_deref().unwrap_or_default(),
                        pod_key(pod)
                    )));
                }
            }
        }
        Ok(None)
    }

    async fn cordon(&self, op: &NodeOp, before: &Node) -> (OpResult, String) {
        let unschedulable = before
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        let ours = annotation(&before.metadata, ANNOTATION_CORDONED_BY) == Some(op.run_id.as_str());
        let mut annotations = json!({ANNOTATION_CORDONED_BY: op.run_id});
        let detail = if unschedulable && !ours {
            annotations[ANNOTATION_WAS_CORDONED] = json!("true");
            "already cordoned before the run: it stays cordoned at the end"
        } else if ours {
            "cordoned (by this run, earlier)"
        } else {
            // A mark from an older run would keep this node cordoned for ever.
            annotations[ANNOTATION_WAS_CORDONED] = Value::Null;
            "cordoned"
        };
        let patch = json!({"metadata": {"annotations": annotations}, "spec": {"unschedulable": true}});
        match self.patch_node(&op.node, &patch).await {
            Ok(n) if n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) => {
                (OpResult::Ok, detail.into())
            }
            Ok(_) => failed(format!("the server did not keep {} unschedulable", op.node)),
            Err(e) => failed(format!("cannot cordon {}: {e}", op.node)),
        }
    }

    async fn uncordon(&self, op: &NodeOp, node: &Node) -> (OpResult, String) {
        let was = annotation(&node.metadata, ANNOTATION_WAS_CORDONED) == Some("true");
        let step = op.final_step;
        let mut patch = json!({"metadata": {"annotations": {ANNOTATION_STEP: step}}});
        let detail = if was {
            "left cordoned: it was cordoned before the run"
        } else if !op.cordoned_by_run {
            "left as it is: the run did not cordon it"
        } else {
            patch["spec"] = json!({"unschedulable": false});
            patch["metadata"]["annotations"][ANNOTATION_CORDONED_BY] = Value::Null;
            "uncordoned"
        };
        match self.patch_node(&op.node, &patch).await {
            Ok(_) => (OpResult::Ok, format!("{detail}; step {step}")),
            Err(e) => failed(format!("cannot uncordon {}: {e}", op.node)),
        }
    }

    async fn verify(&self, op: &NodeOp, config: &RolloutConfig) -> (OpResult, String) {
        let started = Instant::now();
        let limit = Duration::from_millis(config.upgrade.verify.node_ready_timeout);
        let mut last;
        loop {
            match self.get_node(&op.node).await {
                Ok(Some(n)) => {
                    let version = kubelet_version(&n);
                    let ready = is_ready(&n);
                    if ready && minor_of(&version) == op.expect_minor {
                        break;
                    }
                    last = if ready {
                        format!("kubelet reports {version}, expected {}", op.expect_minor)
                    } else {
                        let since = condition(&n, "Ready")
                            .and_then(|c| c.last_transition_time.as_ref())
                            .map(|t| format!(" since {}", t.0))
                            .unwrap_or_default();
                        format!(
                            "NotReady{since} (kubelet {version}, expected {})",
                            op.expect_minor
                        )
                    };
                }
                Ok(None) => last = format!("node {} is gone", op.node),
                Err(e) => last = format!("cannot read node {}: {e}", op.node),
            }
            if started.elapsed() >= limit {
                return failed(format!(
                    "{} after {}: {last}",
                    op.node,
                    human_duration(config.upgrade.verify.node_ready_timeout)
                ));
            }
            tokio::time::sleep(
                self.timing
                    .poll
                    .min(limit.saturating_sub(started.elapsed()))
                    .max(Duration::from_millis(10)),
            )
            .await;
        }
        let node_ok = format!("Ready at {}", op.expect_minor);
        let Some(workloads) = self.evicted.lock().ok().and_then(|m| m.get(&op.node).cloned()) else {
            return (
                OpResult::Ok,
                format!(
                    "{node_ok}; the workloads evicted from it are not known (the orchestrator restarted after the drain), not checked"
                ),
            );
        };
        match self
            .workloads_ready(&workloads, config.upgrade.verify.workloads_ready_timeout)
            .await
        {
            Ok(n) => (
                OpResult::Ok,
                format!("{node_ok}; {n} evicted workload(s) Ready again"),
            ),
            Err(why) => failed(why),
        }
    }

    /// Waits until every workload has all its replicas Ready.
    async fn workloads_ready(
        &self,
        workloads: &BTreeSet<Workload>,
        timeout_ms: u64,
    ) -> Result<usize, String> {
        let started = Instant::now();
        let limit = Duration::from_millis(timeout_ms);
        loop {
            let mut waiting = Vec::new();
            for w in workloads {
                match self.replicas(w).await {
                    Ok(Some((ready, want))) if ready < want => {
                        waiting.push(format!("{} {}/{}: {ready} of {want} Ready", w.0, w.1, w.2));
                    }
                    Ok(_) => {}
                    Err(e) => waiting.push(format!("{} {}/{}: {e}", w.0, w.1, w.2)),
                }
            }
            if waiting.is_empty() {
                return Ok(workloads.len());
            }
            if started.elapsed() >= limit {
                return Err(format!(
                    "workloads not Ready after {}: {}",
                    human_duration(timeout_ms),
                    waiting.join("; ")
                ));
            }
            tokio::time::sleep(
                self.timing
                    .poll
                    .min(limit.saturating_sub(started.elapsed()))
                    .max(Duration::from_millis(10)),
            )
            .await;
        }
    }

    /// (readyReplicas, replicas) of a controller; `None` when it is gone (nothing to wait for).
    async fn replicas(&self, (kind, ns, name): &Workload) -> Result<Option<(i32, i32)>, CallError> {
        let what = format!("get {kind} {ns}/{name}");
        let c = self.client.clone();
        Ok(match kind.as_str() {
            "ReplicaSet" => {
                let api: Api<ReplicaSet> = Api::namespaced(c, ns);
                call(&what, || api.get_opt(name)).await?.map(|o| {
                    let want = o.spec.and_then(|s| s.replicas).unwrap_or(1);
                    (o.status.and_then(|s| s.ready_replicas).unwrap_or(0), want)
                })
            }
            "StatefulSet" => {
                let api: Api<StatefulSet> = Api::namespaced(c, ns);
                call(&what, || api.get_opt(name)).await?.map(|o| {
                    let want = o.spec.and_then(|s| s.replicas).unwrap_or(1);
                    (o.status.and_then(|s| s.ready_replicas).unwrap_or(0), want)
                })
            }
            "ReplicationController" => {
                let api: Api<ReplicationController> = Api::namespaced(c, ns);
                call(&what, || api.get_opt(name)).await?.map(|o| {
                    let want = o.spec.and_then(|s| s.replicas).unwrap_or(1);
                    (o.status.and_then(|s| s.ready_replicas).unwrap_or(0), want)
                })
            }
            _ => None,
        })
    }

    async fn node_action(&self, op: &NodeOp, config: &RolloutConfig) -> (OpResult, String) {
        let action = match op.direction {
            Direction::Upgrade => Some(&config.upgrade.node_action),
            Direction::Rollback => config.upgrade.rollback_action.as_ref(),
        };
        let Some(action) = action else {
            return failed("no rollback_action configured: the node cannot be taken back".into());
        };
        let words = Words {
            node: &op.node,
            version: &op.version,
            from_version: &op.from_version,
        };
        action::run(
            &self.client,
            action,
            &op.run_id,
            op.direction,
            self.timing.poll,
            &words,
        )
        .await
    }

    async fn run_stage(&self, op: &NodeOp, config: &RolloutConfig) -> (OpResult, String) {
        let node = match self.get_node(&op.node).await {
            Ok(Some(n)) => n,
            Ok(None) => return failed(format!("node {} not found (deleted?)", op.node)),
            Err(e) => return failed(format!("cannot read node {}: {e}", op.node)),
        };
        if let Err(e) = self.mark(op, &node).await {
            return failed(format!("cannot annotate node {}: {e}", op.node));
        }
        match op.stage {
            Stage::Precheck => self.precheck(op, &node, config).await,
            Stage::Cordon => self.cordon(op, &node).await,
            Stage::Drain => {
                let timing = DrainTiming {
                    eviction_retry: self.timing.eviction_retry,
                    poll: self.timing.poll,
                };
                match drain::drain(&self.client, &op.node, &config.upgrade.drain, &timing).await {
                    DrainOutcome::Done(workloads, summary) => {
                        if let Ok(mut m) = self.evicted.lock() {
                            m.insert(op.node.clone(), workloads);
                        }
                        (OpResult::Ok, summary)
                    }
                    DrainOutcome::Failed(why) => failed(why),
                }
            }
            Stage::Action => self.node_action(op, config).await,
            Stage::Verify => self.verify(op, config).await,
            Stage::Uncordon => self.uncordon(op, &node).await,
        }
    }

    async fn control_plane_hop(&self, version: &str, config: &RolloutConfig) -> Result<String, String> {
        let cp = &config.upgrade.control_plane;
        let want = minor_of(version);
        let current = self.server_version().await;
        match &cp.action {
            None => {
                let at = current.map_err(|e| format!("cannot read the control plane's version: {e}"))?;
                if minor_of(&at) == want {
                    return Ok(format!("already at {at}"));
                }
                return Err(format!(
                    "no control_plane.action configured and the control plane is at {at}; upgrade it to {version} yourself, or configure control_plane.action"
                ));
            }
            Some(action) => match &action.kind {
                ActionKind::Exec { argv, shell } => {
                    let words = Words {
                        node: "",
                        version,
                        from_version: current.as_deref().unwrap_or(""),
                    };
                    let (result, detail) =
                        action::exec(argv, *shell, Duration::from_millis(action.timeout), &words).await;
                    if result != OpResult::Ok {
                        return Err(format!("control-plane action: {detail}"));
                    }
                }
                ActionKind::Job(_) | ActionKind::Label { .. } => {
                    return Err(
                        "control_plane.action must be an exec action: a Job or a node label cannot upgrade the API server".into(),
                    );
                }
            },
        }
        self.control_plane_ready(&want, cp.ready_timeout, &cp.etcd_endpoints)
            .await
    }

    async fn server_version(&self) -> Result<String, CallError> {
        let client = self.client.clone();
        call("read /version", || client.apiserver_version())
            .await
            .map(|i| i.git_version)
    }

    async fn control_plane_ready(
        &self,
        want: &str,
        timeout_ms: u64,
        etcd: &[String],
    ) -> Result<String, String> {
        let started = Instant::now();
        let limit = Duration::from_millis(timeout_ms);
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), "kube-system");
        let lp = ListParams::default().labels("tier=control-plane");
        loop {
            let mut last = Vec::new();
            match self.server_version().await {
                Ok(v) if minor_of(&v) == want => {}
                Ok(v) => last.push(format!("/version reports {v}, expected {want}")),
                Err(e) => last.push(format!("/version: {e}")),
            }
            if last.is_empty() {
                match call("list control-plane pods", || pods.list(&lp)).await {
                    Ok(list) => {
                        let not_ready: Vec<String> =
                            list.items.iter().filter(|p| !pod_ready(p)).map(pod_key).collect();
                        if !not_ready.is_empty() {
                            last.push(format!("control-plane pods not Ready: {}", not_ready.join(", ")));
                        }
                    }
                    Err(e) => last.push(format!("control-plane pods: {e}")),
                }
            }
            if last.is_empty() {
                for endpoint in etcd {
                    if let Err(e) = etcd_healthy(endpoint).await {
                        last.push(e);
                    }
                }
            }
            if last.is_empty() {
                return Ok(format!("control plane at {want}, its pods Ready, etcd healthy"));
            }
            if started.elapsed() >= limit {
                return Err(format!(
                    "control plane not ready after {}: {}",
                    human_duration(timeout_ms),
                    last.join("; ")
                ));
            }
            tokio::time::sleep(
                self.timing
                    .poll
                    .min(limit.saturating_sub(started.elapsed()))
                    .max(Duration::from_millis(10)),
            )
            .await;
        }
    }
}

/// `GET <endpoint>/health` answers `{"health":"true"}`.
async fn etcd_healthy(endpoint: &str) -> Result<(), String> {
    let url = format!("{}/health", endpoint.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("etcd {endpoint}: {e}"))?;
    let body: Value = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("etcd {url}: {}", super::error_chain(&e)))?
        .json()
        .await
        .map_err(|e| format!("etcd {url}: not a JSON health answer: {e}"))?;
    match body.get("health").and_then(Value::as_str) {
        Some("true") => Ok(()),
        other => Err(format!(
            "etcd {url} reports health {}",
            other.unwrap_or("(missing)")
        )),
    }
}

fn failed(reason: String) -> (OpResult, String) {
    (
        OpResult::Failed {
            reason: reason.clone(),
        },
        reason,
    )
}

fn not_yet(reason: String) -> (OpResult, String) {
    (
        OpResult::NotYet {
            reason: reason.clone(),
        },
        reason,
    )
}

impl Edges for KubeEdges {
    fn now(&self) -> Time {
        now_ms()
    }

    async fn sleep_until(&self, at: Time) {
        let wait = at.saturating_sub(now_ms());
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
        }
    }

    async fn observe(&self) -> Result<ClusterView, String> {
        let nodes = self.nodes();
        let lp = ListParams::default();
        let list = call("list nodes", || nodes.list(&lp))
            .await
            .map_err(|e| e.to_string())?;
        let mut view = ClusterView::default();
        for n in &list.items {
            view.nodes.insert(
                n.metadata.name.clone().unwrap_or_default(),
                NodeView {
                    ready: is_ready(n),
                    version: kubelet_version(n),
                    unschedulable: n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false),
                },
            );
        }
        let pods: Api<Pod> = Api::all(self.client.clone());
        let lp = ListParams::default().fields("status.phase=Pending");
        let pending = call("list pending pods", || pods.list(&lp))
            .await
            .map_err(|e| e.to_string())?;
        view.pods_unschedulable = pending
            .items
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c.type_ == "PodScheduled"
                                && c.status == "False"
                                && c.reason.as_deref() == Some("Unschedulable")
                        })
                    })
            })
            .count();
        Ok(view)
    }

    async fn node_op(&self, op: NodeOp, config: Arc<RolloutConfig>) -> (OpResult, String) {
        self.run_stage(&op, &config).await
    }

    async fn control_plane(&self, version: String, config: Arc<RolloutConfig>) -> OpResult {
        match self.control_plane_hop(&version, &config).await {
            Ok(detail) => {
                tracing::info!(%version, %detail, "control-plane hop done");
                OpResult::Ok
            }
            Err(reason) => OpResult::Failed { reason },
        }
    }

    async fn query_gates(&self, config: Arc<RolloutConfig>) -> Vec<(String, Reading)> {
        match &self.gates {
            Some(g) => g.query(&config.gates.rules).await,
            None => config
                .gates
                .rules
                .iter()
                .map(|r| {
                    (
                        r.name.clone(),
                        Reading::Error("no Prometheus configured for the gates".into()),
                    )
                })
                .collect(),
        }
    }

    async fn heartbeat(&self, _run_id: String) -> Result<Option<AbortRequest>, String> {
        match lease::renew(&self.client, &self.lease_namespace, &self.holder).await {
            Ok(abort) => {
                if let Ok(mut l) = self.last_renewal.lock() {
                    *l = Some(Instant::now());
                }
                Ok(abort)
            }
            Err(lease::RenewError::Lost(e)) => Err(e),
            Err(lease::RenewError::Unreachable(e)) => {
                // A server that does not answer for a moment does not lose the Lease; one
                // that does not answer for the Lease's whole duration may have.
                let fresh = self
                    .last_renewal
                    .lock()
                    .ok()
                    .and_then(|l| *l)
                    .is_some_and(|at| at.elapsed() < Duration::from_millis(self.lease_duration_ms));
                if fresh {
                    tracing::warn!(error = %e, "the Lease was not renewed; trying again at the next gate interval");
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// A node carrying a run's annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunNode {
    pub name: String,
    /// `upgrade.mcp-diag.io/step` (`cordoned`, `draining`, ..., `done`, `rolled-back`).
    pub step: String,
    pub from_version: Option<String>,
    pub kubelet_version: String,
    pub ready: bool,
    pub unschedulable: bool,
    pub was_cordoned: bool,
}

/// The nodes whose `upgrade.mcp-diag.io/run` is `run_id`, by name.
pub async fn read_run_nodes(client: &kube::Client, run_id: &str) -> Result<Vec<RunNode>, CallError> {
    let nodes: Api<Node> = Api::all(client.clone());
    let lp = ListParams::default();
    let list = call("list nodes", || nodes.list(&lp)).await?;
    let mut out: BTreeMap<String, RunNode> = BTreeMap::new();
    for n in list.items {
        if annotation(&n.metadata, ANNOTATION_RUN) != Some(run_id) {
            continue;
        }
        let name = n.metadata.name.clone().unwrap_or_default();
        out.insert(
            name.clone(),
            RunNode {
                name,
                step: annotation(&n.metadata, ANNOTATION_STEP)
                    .unwrap_or_default()
                    .to_owned(),
                from_version: annotation(&n.metadata, ANNOTATION_FROM_VERSION).map(str::to_owned),
                kubelet_version: kubelet_version(&n),
                ready: is_ready(&n),
                unschedulable: n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false),
                was_cordoned: annotation(&n.metadata, ANNOTATION_WAS_CORDONED) == Some("true"),
            },
        );
    }
    Ok(out.into_values().collect())
}
