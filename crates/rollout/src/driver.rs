//! The loop that carries the core's commands out: journal first, then act, then feed the
//! result back. Generic over [`Edges`], so `upgrade` (a live cluster, the real clock) and
//! `rehearse` (a simulated cluster and clock) run the same loop.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::config::RolloutConfig;
use crate::core::{Run, millis};
use crate::gates::{NODES_LOST, PODS_UNSCHEDULABLE, Reading};
use crate::journal::{AppendError, Journal};
use crate::model::{Command, Direction, Event, OpResult, Stage, Time};

/// Kept here too: it was first defined in this module.
pub use crate::text::minor_of;

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where PromQL gate readings come from: Prometheus for a live run, the rehearsal's synthetic
/// metrics for a rehearsal.
pub trait GateSource: Send + Sync {
    /// Evaluates every rule once; one reading per rule, in the rules' order.
    fn query<'a>(&'a self, rules: &'a [crate::config::GateRule]) -> BoxFuture<'a, Vec<(String, Reading)>>;
}

/// One node operation, with what the edges need to carry it out.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeOp {
    pub run_id: String,
    pub node: String,
    pub direction: Direction,
    pub stage: Stage,
    /// The version the node goes to in this direction (`{version}` for the action).
    pub version: String,
    /// The minor a kubelet must report after the action (`1.32`).
    pub expect_minor: String,
    /// The node's version before the run (`{from_version}`).
    pub from_version: String,
    /// The run cordoned the node (uncordon only what the run cordoned).
    pub cordoned_by_run: bool,
    /// The step annotation a successful uncordon leaves: `done`, `rolled-back`, or `skipped`
    /// and `untouched` for a node the run gave up on or stopped before its action.
    pub final_step: &'static str,
}

/// A node as the built-in gates and the report see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeView {
    pub ready: bool,
    pub version: String,
    pub unschedulable: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterView {
    pub nodes: BTreeMap<String, NodeView>,
    pub pods_unschedulable: usize,
}

/// What `upgrade abort` left for the running orchestrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortRequest {
    pub rollback: bool,
}

/// The side of the world the loop acts on. Every method must be safe to call again after a
/// crash: a repeated cordon, drain or action is recognised, not done twice.
pub trait Edges: Send + Sync + 'static {
    /// The run's clock.
    fn now(&self) -> Time;
    fn sleep_until(&self, at: Time) -> impl Future<Output = ()> + Send;
    /// Nodes and unschedulable pods, for the built-in gates and the report.
    fn observe(&self) -> impl Future<Output = Result<ClusterView, String>> + Send;
    /// Runs one stage of one node to its end (success, not yet, or failure with a reason),
    /// with a detail for the timeline.
    fn node_op(
        &self,
        op: NodeOp,
        config: Arc<RolloutConfig>,
    ) -> impl Future<Output = (OpResult, String)> + Send;
    /// Runs the control-plane action for one hop and verifies the result.
    fn control_plane(
        &self,
        version: String,
        config: Arc<RolloutConfig>,
    ) -> impl Future<Output = OpResult> + Send;
    /// Evaluates every PromQL gate once.
    fn query_gates(&self, config: Arc<RolloutConfig>) -> impl Future<Output = Vec<(String, Reading)>> + Send;
    /// Renews the run's Lease; returns an abort request left on it. An error means the
    /// Lease was lost (another holder): the loop stops at once.
    fn heartbeat(&self, run_id: String) -> impl Future<Output = Result<Option<AbortRequest>, String>> + Send;
}

/// Why the loop returned before the run finished.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error(transparent)]
    Journal(#[from] AppendError),
    #[error(
        "the run's Lease was lost: {0}; another orchestrator may hold it (see `mcp-diag upgrade status`)"
    )]
    LeaseLost(String),
}

/// Runs the loop until the run finishes (or the journal says to stop, as a crash would).
pub async fn drive<E: Edges>(
    run: &mut Run,
    config: Arc<RolloutConfig>,
    edges: Arc<E>,
    journal: &mut Journal,
) -> Result<(), DriveError> {
    let mut tasks: JoinSet<(NodeOrHop, OpResult, String, Time)> = JoinSet::new();
    let interval = millis(config.gates.interval.max(1));
    let ready_at_start: BTreeSet<String> = match edges.observe().await {
        Ok(view) => view
            .nodes
            .iter()
            .filter(|(_, n)| n.ready)
            .map(|(k, _)| k.clone())
            .collect(),
        Err(_) => BTreeSet::new(),
    };
    let mut next_gate = edges.now();
    let mut wake: Option<Time>;
    // Operations in flight that a stop may cut short (a drain or pre-check of a node that has
    // not reached its action: stopping it changes nothing on the node).
    let mut stoppable: HashMap<(String, Stage), tokio::task::AbortHandle> = HashMap::new();
    let mut abort_seen: Option<bool> = None;
    loop {
        if let Some(stop) = &run.stop
            && !stoppable.is_empty()
        {
            let reason = format!("stopped: {}", stop.reason);
            for ((node, stage), handle) in std::mem::take(&mut stoppable) {
                handle.abort();
                let event = Event::OpFinished {
                    at: edges.now(),
                    node,
                    direction: Direction::Upgrade,
                    stage,
                    result: OpResult::Failed {
                        reason: reason.clone(),
                    },
                    detail: String::new(),
                };
                record(run, &config, journal, event)?;
            }
        }
        // Act on every decision until the core has nothing new to start.
        loop {
            let now = edges.now();
            let mut progressed = false;
            wake = None;
            for command in run.decide(now, &config) {
                match command {
                    Command::Record(event) => {
                        record(run, &config, journal, event)?;
                        progressed = true;
                    }
                    Command::Node {
                        node,
                        direction,
                        stage,
                    } => {
                        let Some(n) = run.node(&node) else { continue };
                        let op = NodeOp {
                            run_id: run.plan.run_id.clone(),
                            node: node.clone(),
                            direction,
                            stage,
                            version: match direction {
                                Direction::Upgrade => run.plan.target.clone(),
                                Direction::Rollback => {
                                    crate::text::normalize_version(&n.planned.from_version)
                                }
                            },
                            expect_minor: match direction {
                                Direction::Upgrade => run.plan.target_minor.clone(),
                                Direction::Rollback => minor_of(&n.planned.from_version),
                            },
                            from_version: crate::text::normalize_version(&n.planned.from_version),
                            cordoned_by_run: n.cordoned || stage == Stage::Cordon,
                            final_step: match (direction, n.giving_up) {
                                (Direction::Rollback, _) => "rolled-back",
                                (Direction::Upgrade, Some(crate::core::NodeEnd::Skipped)) => "skipped",
                                (Direction::Upgrade, Some(_)) => "untouched",
                                (Direction::Upgrade, None) if n.touched() => "done",
                                (Direction::Upgrade, None) => "untouched",
                            },
                        };
                        record(
                            run,
                            &config,
                            journal,
                            Event::OpStarted {
                                at: now,
                                node,
                                direction,
                                stage,
                            },
                        )?;
                        let (edges, config) = (edges.clone(), config.clone());
                        let cut_short = direction == Direction::Upgrade
                            && matches!(stage, Stage::Precheck | Stage::Drain);
                        let key = (op.node.clone(), stage);
                        let handle = tasks.spawn(async move {
                            let key = NodeOrHop::Node(op.node.clone(), op.direction, op.stage);
                            let (result, detail) = edges.node_op(op, config).await;
                            (key, result, detail, edges.now())
                        });
                        if cut_short {
                            stoppable.insert(key, handle);
                        }
                        progressed = true;
                    }
                    Command::ControlPlane { hop, version } => {
                        record(
                            run,
                            &config,
                            journal,
                            Event::ControlPlaneStarted {
                                at: now,
                                hop,
                                version: version.clone(),
                            },
                        )?;
                        let (edges, config) = (edges.clone(), config.clone());
                        tasks.spawn(async move {
                            let result = edges.control_plane(version.clone(), config).await;
                            (NodeOrHop::Hop(hop, version), result, String::new(), edges.now())
                        });
                        progressed = true;
                    }
                    Command::WaitUntil(at) => wake = Some(wake.map_or(at, |w: Time| w.min(at))),
                }
            }
            if run.is_finished() {
                tasks.abort_all();
                return Ok(());
            }
            if !progressed {
                break;
            }
        }
        let until = wake.map_or(next_gate, |w| w.min(next_gate));
        tokio::select! {
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                let Ok((key, result, detail, at)) = done else { continue };
                let event = match key {
                    NodeOrHop::Node(node, direction, stage) => {
                        if direction == Direction::Upgrade {
                            stoppable.remove(&(node.clone(), stage));
                        }
                        Event::OpFinished { at, node, direction, stage, result, detail }
                    }
                    NodeOrHop::Hop(hop, version) => Event::ControlPlaneFinished { at, hop, version, result },
                };
                record(run, &config, journal, event)?;
            }
            () = edges.sleep_until(until) => {
                let now = edges.now();
                if now >= next_gate {
                    next_gate = now + interval;
                    evaluate_gates(run, &config, &*edges, journal, &ready_at_start).await?;
                    match edges.heartbeat(run.plan.run_id.clone()).await {
                        Ok(Some(abort)) => {
                            // The request stays on the Lease: record it once (and once more
                            // if it changes to a rollback).
                            if abort_seen != Some(abort.rollback) && abort_seen != Some(true) {
                                abort_seen = Some(abort.rollback);
                                let now = edges.now();
                                record(run, &config, journal, Event::AbortRequested { at: now, rollback: abort.rollback })?;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tasks.abort_all();
                            return Err(DriveError::LeaseLost(e));
                        }
                    }
                }
            }
        }
    }
}

enum NodeOrHop {
    Node(String, Direction, Stage),
    Hop(usize, String),
}

fn record(
    run: &mut Run,
    config: &RolloutConfig,
    journal: &mut Journal,
    event: Event,
) -> Result<(), AppendError> {
    // Applied before the write can fail on purpose, so a crash leaves the same state on disk
    // as in memory; a real I/O error returns before anything else happens.
    journal.append(&event).inspect_err(|e| {
        if matches!(e, AppendError::Crash(_)) {
            run.apply(&event, config);
        }
    })?;
    run.apply(&event, config);
    Ok(())
}

async fn evaluate_gates<E: Edges>(
    run: &mut Run,
    config: &Arc<RolloutConfig>,
    edges: &E,
    journal: &mut Journal,
    ready_at_start: &BTreeSet<String>,
) -> Result<(), AppendError> {
    let mut readings = if config.gates.rules.is_empty() {
        Vec::new()
    } else {
        edges.query_gates(config.clone()).await
    };
    if config.gates.nodes_lost.is_some() || config.gates.pods_unschedulable.is_some() {
        match edges.observe().await {
            Ok(view) => {
                let expected = run.expected_down();
                let lost = ready_at_start
                    .iter()
                    .filter(|name| !expected.contains(name.as_str()))
                    .filter(|name| view.nodes.get(*name).is_none_or(|n| !n.ready))
                    .count();
                readings.push((
                    NODES_LOST.into(),
                    Reading::Values(vec![(String::new(), lost as f64)]),
                ));
                readings.push((
                    PODS_UNSCHEDULABLE.into(),
                    Reading::Values(vec![(String::new(), view.pods_unschedulable as f64)]),
                ));
            }
            Err(e) => {
                readings.push((NODES_LOST.into(), Reading::Error(e.clone())));
                readings.push((PODS_UNSCHEDULABLE.into(), Reading::Error(e)));
            }
        }
    }
    let now = edges.now();
    for event in run.observe_gates(now, &readings) {
        record(run, config, journal, event)?;
    }
    Ok(())
}

/// The real clock, in the run's unit.
pub fn now_ms() -> Time {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
