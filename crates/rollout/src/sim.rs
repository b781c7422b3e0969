//! The rehearsal's cluster: nodes from a snapshot, simulated kubelets, drains as the plan's
//! simulation predicts them, synthetic metrics, and the faults `--inject` asks for. It
//! implements [`Edges`], so a rehearsal runs the same driver and core as `upgrade`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use mcp_diag_planner::{Drainable, Plan};

use crate::config::{Bound, GateRule, Millis, RolloutConfig, SECOND};
use crate::core::millis;
use crate::driver::{AbortRequest, ClusterView, Edges, NodeOp, NodeView, minor_of};
use crate::gates::Reading;
use crate::model::{Direction, OpResult, RunPlan, Stage, Time};
use crate::report::{FinalNode, human_duration};

/// How long things take in the simulated cluster (what a real run of that size would see).
#[derive(Clone, Debug)]
pub struct Timing {
    /// One API write (cordon, label, uncordon).
    pub api: Millis,
    /// Evicting a node's pods and waiting for them to terminate.
    pub drain_base: Millis,
    pub drain_per_pod: Millis,
    /// The node action (package install and kubelet restart), start to end.
    pub action: Millis,
    /// The kubelet is NotReady for this long at the end of the action.
    pub restart: Millis,
    /// The evicted workloads are Ready again this long after the node is.
    pub workloads: Millis,
    /// One control-plane minor.
    pub control_plane_hop: Millis,
    /// How often verification looks at the node.
    pub poll: Millis,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            api: 200,
            drain_base: 20 * SECOND,
            drain_per_pod: SECOND,
            action: 90 * SECOND,
            restart: 30 * SECOND,
            workloads: 10 * SECOND,
            control_plane_hop: 6 * 60 * SECOND,
            poll: 5 * SECOND,
        }
    }
}

impl Timing {
    /// Everything at once: for measuring the orchestrator's own cost (`--speed 0` benchmarks).
    pub fn instant() -> Self {
        Self {
            api: 0,
            drain_base: 0,
            drain_per_pod: 0,
            action: 0,
            restart: 0,
            workloads: 0,
            control_plane_hop: 0,
            poll: SECOND,
        }
    }
}

/// Where a metric fault applies.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// While any node of the wave runs the target version (from its first upgraded node
    /// until the wave is rolled back).
    Wave(usize),
    /// In proportion to the Ready nodes at this minor (`1.32`).
    Version(String),
    /// While the node runs the target version.
    Node(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The error rate (a share, 0.08 for 8%).
    Errors { share: f64, at: Trigger },
    /// P99 latency in seconds.
    Latency { seconds: f64, at: Trigger },
    /// The node's action never returns.
    NodeHang(String),
    /// The node's action fails at once.
    NodeFail(String),
    /// The node goes NotReady in its action and never comes back.
    NodeNeverReady(String),
    /// The node comes back on its old version.
    NodeWrongVersion(String),
    /// An eviction from the node keeps answering 429.
    DrainStuck(String),
    /// The gate backend stops answering once the wave starts.
    MetricsDown { wave: usize },
    /// The orchestrator dies at this journal step and is resumed.
    Crash(CrashPoint),
}

#[derive(Clone, Debug, PartialEq)]
pub enum CrashPoint {
    /// After the Nth journal line.
    Line(usize),
    /// At the first event of this step (an annotation step such as `upgrading`, or an event
    /// name such as `rollback-started`), optionally on one node.
    Step { step: String, node: Option<String> },
}

pub const FAULTS_HELP: &str = "errors=P%@WHERE, latency=DURATION@WHERE (WHERE: waveN, vX.Y, or a node), node-hang=NODE, node-fail=NODE, node-never-ready=NODE, node-wrong-version=NODE, drain-stuck=NODE, metrics-down@waveN, crash@N or crash@STEP[:NODE]";

impl Fault {
    /// Reads one `--inject` value.
    pub fn parse(text: &str) -> Result<Fault, String> {
        let text = text.trim();
        let bad = |why: &str| format!("--inject {text:?}: {why}; the faults are: {FAULTS_HELP}");
        if let Some(rest) = text.strip_prefix("metrics-down@") {
            return Ok(Fault::MetricsDown {
                wave: parse_wave(rest).ok_or_else(|| bad("metrics-down takes @waveN"))?,
            });
        }
        if let Some(rest) = text.strip_prefix("crash@") {
            if let Ok(n) = rest.parse::<usize>() {
                if n == 0 {
                    return Err(bad("journal lines count from 1"));
                }
                return Ok(Fault::Crash(CrashPoint::Line(n)));
            }
            let (step, node) = match rest.split_once(':') {
                Some((s, n)) => (s, Some(n.to_owned())),
                None => (rest, None),
            };
            if !CRASH_STEPS.contains(&step) {
                return Err(bad(&format!(
                    "unknown step {step:?} (steps: {})",
                    CRASH_STEPS.join(", ")
                )));
            }
            return Ok(Fault::Crash(CrashPoint::Step {
                step: step.to_owned(),
                node,
            }));
        }
        let Some((key, value)) = text.split_once('=') else {
            return Err(bad("not KEY=VALUE"));
        };
        let node = || {
            if value.is_empty() {
                Err(bad("name a node"))
            } else {
                Ok(value.to_owned())
            }
        };
        match key {
            "errors" | "latency" => {
                let (amount, at) = value
                    .split_once('@')
                    .ok_or_else(|| bad("say where: @waveN, @vX.Y or @NODE"))?;
                let at = if let Some(w) = parse_wave(at) {
                    Trigger::Wave(w)
                } else if let Some(v) = at.strip_prefix('v').filter(|v| v.contains('.')) {
                    Trigger::Version(minor_of(v))
                } else if at.chars().next().is_some_and(|c| c.is_ascii_digit()) && at.contains('.') {
                    Trigger::Version(minor_of(at))
                } else if at.is_empty() {
                    return Err(bad("say where after @"));
                } else {
                    Trigger::Node(at.strip_prefix("node=").unwrap_or(at).to_owned())
                };
                if key == "errors" {
                    let share = amount
                        .strip_suffix('%')
                        .and_then(|p| p.parse::<f64>().ok())
                        .filter(|p| (0.0..=100.0).contains(p))
                        .ok_or_else(|| bad("errors takes a percentage from 0% to 100%, such as 8%"))?;
                    Ok(Fault::Errors {
                        share: share / 100.0,
                        at,
                    })
                } else {
                    let ms = parse_ms(amount)
                        .ok_or_else(|| bad("latency takes a duration such as 2s or 800ms"))?;
                    Ok(Fault::Latency {
                        seconds: ms as f64 / 1000.0,
                        at,
                    })
                }
            }
            "node-hang" => Ok(Fault::NodeHang(node()?)),
            "node-fail" => Ok(Fault::NodeFail(node()?)),
            "node-never-ready" => Ok(Fault::NodeNeverReady(node()?)),
            "node-wrong-version" => Ok(Fault::NodeWrongVersion(node()?)),
            "drain-stuck" => Ok(Fault::DrainStuck(node()?)),
            _ => Err(bad(&format!("unknown fault {key:?}"))),
        }
    }

    /// The node a fault names, to check it exists.
    pub fn node(&self) -> Option<&str> {
        match self {
            Fault::NodeHang(n)
            | Fault::NodeFail(n)
            | Fault::NodeNeverReady(n)
            | Fault::NodeWrongVersion(n)
            | Fault::DrainStuck(n) => Some(n),
            Fault::Errors {
                at: Trigger::Node(n), ..
            }
            | Fault::Latency {
                at: Trigger::Node(n), ..
            } => Some(n),
            Fault::Crash(CrashPoint::Step { node: Some(n), .. }) => Some(n),
            _ => None,
        }
    }
}

pub const CRASH_STEPS: &[&str] = &[
    "cordoned",
    "draining",
    "upgrading",
    "verifying",
    "done",
    "rollback-draining",
    "rolling-back",
    "rollback-verifying",
    "rolled-back",
    "soak-started",
    "soak-finished",
    "gate-fired",
    "rollback-started",
    "control-plane",
];

fn parse_wave(text: &str) -> Option<usize> {
    text.strip_prefix("wave").and_then(|n| n.parse().ok())
}

fn parse_ms(text: &str) -> Option<Millis> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().ok();
    }
    if let Some(s) = text.strip_suffix('s')
        && let Ok(x) = s.parse::<f64>()
        && x >= 0.0
    {
        return Some((x * 1000.0).round() as Millis);
    }
    mcp_diag_model::time::parse_duration(text).map(|s| s * 1000)
}

#[derive(Clone, Debug)]
struct SimNode {
    version: String,
    ready: bool,
    unschedulable: bool,
    was_cordoned: bool,
    wave: usize,
    pods: usize,
    /// Why its drain never finishes (the plan's blocker, or an injected fault).
    drain_block: Option<String>,
    annotations: BTreeMap<String, String>,
    /// An upgrade in progress: NotReady from `down_at`, back at `until` with `version`.
    upgrading: Option<Upgrade>,
    /// Its upgrade action started at (for metrics-down@waveN).
    action_started: bool,
}

#[derive(Clone, Debug)]
struct Upgrade {
    down_at: Time,
    until: Time,
    version: String,
    never_ready: bool,
}

#[derive(Debug)]
struct State {
    nodes: BTreeMap<String, SimNode>,
    api_version: String,
    skipped: std::collections::BTreeSet<String>,
    /// Kubelet changes started per node (a repeated action must not start a second one).
    changes: BTreeMap<String, usize>,
}

/// The simulated cluster and clock.
pub struct SimEdges {
    state: Mutex<State>,
    faults: Vec<Fault>,
    timing: Timing,
    target_minor: String,
    clock: Clock,
}

/// The run's clock over tokio's: with a paused runtime (`--speed 0`) it jumps to the next
/// timer; with a running one, one real millisecond is `scale` simulated ones.
#[derive(Clone, Debug)]
pub struct Clock {
    base: Time,
    start: tokio::time::Instant,
    scale: f64,
}

impl Clock {
    pub fn new(base: Time, scale: f64) -> Self {
        Self {
            base,
            start: tokio::time::Instant::now(),
            scale: if scale > 0.0 { scale } else { 1.0 },
        }
    }

    pub fn now(&self) -> Time {
        self.base + (self.start.elapsed().as_secs_f64() * 1000.0 * self.scale) as Time
    }

    pub async fn sleep_until(&self, at: Time) {
        let now = self.now();
        if at > now {
            let real = (at - now) as f64 / self.scale;
            tokio::time::sleep(std::time::Duration::from_micros((real * 1000.0).ceil() as u64)).await;
        }
    }

    pub async fn sleep(&self, ms: Millis) {
        let at = self.now() + millis(ms);
        self.sleep_until(at).await;
    }
}

impl SimEdges {
    /// The simulated copy of the planned cluster.
    pub fn new(
        plan: &Plan,
        run: &RunPlan,
        faults: Vec<Fault>,
        timing: Timing,
        clock: Clock,
    ) -> Result<Self, String> {
        let mut nodes = BTreeMap::new();
        for wave in &plan.waves {
            for n in &wave.nodes {
                let planned = run.nodes.iter().find(|p| p.name == n.name);
                let drain_block = match n.drainable {
                    Drainable::No => Some(
                        n.blockers
                            .first()
                            .map_or_else(|| n.reason.clone(), |b| b.message.clone()),
                    ),
                    _ => None,
                };
                nodes.insert(
                    n.name.clone(),
                    SimNode {
                        version: planned.map_or_else(|| "unknown".into(), |p| p.from_version.clone()),
                        ready: true,
                        unschedulable: false,
                        was_cordoned: false,
                        wave: wave.index,
                        pods: n.pods_evicted,
                        drain_block,
                        annotations: BTreeMap::new(),
                        upgrading: None,
                        action_started: false,
                    },
                );
            }
        }
        for fault in &faults {
            if let Some(node) = fault.node()
                && !nodes.contains_key(node)
            {
                let known: Vec<&String> = nodes.keys().take(12).collect();
                return Err(format!(
                    "--inject names node {node:?}, which is not in the snapshot (nodes: {})",
                    known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            if let Fault::DrainStuck(node) = fault
                && let Some(n) = nodes.get_mut(node)
            {
                n.drain_block = Some("a pod keeps answering 429 to its eviction (drain-stuck)".into());
            }
        }
        Ok(Self {
            state: Mutex::new(State {
                nodes,
                api_version: plan.current_version.clone().unwrap_or_default(),
                skipped: run
                    .nodes
                    .iter()
                    .filter(|n| n.skip.is_some())
                    .map(|n| n.name.clone())
                    .collect(),
                changes: BTreeMap::new(),
            }),
            faults,
            timing,
            target_minor: run.target_minor.clone(),
            clock,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn has(&self, want: impl Fn(&Fault) -> bool) -> bool {
        self.faults.iter().any(want)
    }

    /// Brings every upgrade in progress up to `now`.
    fn settle(state: &mut State, now: Time) {
        for n in state.nodes.values_mut() {
            if let Some(u) = &n.upgrading {
                if now >= u.down_at {
                    n.ready = false;
                }
                if now >= u.until && !u.never_ready {
                    n.ready = true;
                    n.version = u.version.clone();
                    n.upgrading = None;
                }
            }
        }
    }

    /// The node views the report's `final_version` and `cordoned` come from.
    pub fn finals(&self) -> BTreeMap<String, FinalNode> {
        let now = self.clock.now();
        let mut state = self.lock();
        Self::settle(&mut state, now);
        state
            .nodes
            .iter()
            .map(|(k, n)| {
                (
                    k.clone(),
                    FinalNode {
                        version: Some(n.version.clone()),
                        unschedulable: n.unschedulable,
                    },
                )
            })
            .collect()
    }

    /// How many kubelet changes (upgrades and rollbacks) each node went through.
    pub fn changes(&self) -> BTreeMap<String, usize> {
        self.lock().changes.clone()
    }

    /// The node annotations, as `resume` reads them from a live cluster.
    pub fn annotations(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.lock()
            .nodes
            .iter()
            .map(|(k, n)| (k.clone(), n.annotations.clone()))
            .collect()
    }

    /// Some node of the wave runs the target version (the wave's upgrade is live).
    fn wave_upgraded(state: &State, wave: usize, target_minor: &str) -> bool {
        state.nodes.iter().any(|(name, n)| {
            n.wave == wave && !state.skipped.contains(name) && n.ready && minor_of(&n.version) == target_minor
        })
    }

    /// How much of a fault applies now (0 to 1).
    fn weight(state: &State, at: &Trigger, target_minor: &str) -> f64 {
        match at {
            Trigger::Wave(w) => f64::from(u8::from(Self::wave_upgraded(state, *w, target_minor))),
            Trigger::Node(node) => f64::from(u8::from(
                state
                    .nodes
                    .get(node)
                    .is_some_and(|n| n.ready && minor_of(&n.version) == target_minor),
            )),
            Trigger::Version(minor) => {
                let ready: Vec<&SimNode> = state.nodes.values().filter(|n| n.ready).collect();
                if ready.is_empty() {
                    0.0
                } else {
                    ready.iter().filter(|n| &minor_of(&n.version) == minor).count() as f64
                        / ready.len() as f64
                }
            }
        }
    }

    fn annotate(n: &mut SimNode, op: &NodeOp) {
        n.annotations
            .insert("upgrade.mcp-diag.io/run".into(), op.run_id.clone());
        n.annotations.insert(
            "upgrade.mcp-diag.io/step".into(),
            op.stage.annotation(op.direction).into(),
        );
        n.annotations
            .entry("upgrade.mcp-diag.io/from-version".into())
            .or_insert_with(|| op.from_version.clone());
    }

    async fn run_op(&self, op: NodeOp, config: Arc<RolloutConfig>) -> (OpResult, String) {
        let t = &self.timing;
        {
            let now = self.clock.now();
            let mut state = self.lock();
            Self::settle(&mut state, now);
            let Some(n) = state.nodes.get_mut(&op.node) else {
                return (
                    OpResult::Failed {
                        reason: "the node is gone".into(),
                    },
                    String::new(),
                );
            };
            Self::annotate(n, &op);
        }
        match op.stage {
            Stage::Precheck => {
                let state = self.lock();
                let n = &state.nodes[&op.node];
                if n.ready {
                    (OpResult::Ok, String::new())
                } else {
                    (
                        OpResult::NotYet {
                            reason: "the node is NotReady".into(),
                        },
                        String::new(),
                    )
                }
            }
            Stage::Cordon => {
                self.clock.sleep(t.api).await;
                let mut state = self.lock();
                let n = state.nodes.get_mut(&op.node).expect("checked above");
                if !n.unschedulable {
                    n.unschedulable = true;
                } else if !n.annotations.contains_key("upgrade.mcp-diag.io/cordoned-by-run") {
                    n.was_cordoned = true;
                }
                n.annotations
                    .insert("upgrade.mcp-diag.io/cordoned-by-run".into(), "true".into());
                (OpResult::Ok, String::new())
            }
            Stage::Drain => {
                let (block, pods) = {
                    let state = self.lock();
                    let n = &state.nodes[&op.node];
                    // A rollback drains a node that was uncordoned since: only what was
                    // scheduled on it meanwhile, which the simulation does not track.
                    let pods = if op.direction == Direction::Upgrade {
                        n.pods
                    } else {
                        0
                    };
                    (
                        n.drain_block
                            .clone()
                            .filter(|_| op.direction == Direction::Upgrade),
                        pods,
                    )
                };
                if let Some(block) = block {
                    self.clock.sleep(config.upgrade.drain.timeout).await;
                    let reason = format!(
                        "the drain did not finish within {}: {block}",
                        human_duration(config.upgrade.drain.timeout)
                    );
                    return (OpResult::Failed { reason }, String::new());
                }
                let took = if pods == 0 {
                    t.api
                } else {
                    t.drain_base + t.drain_per_pod * pods as Millis
                };
                self.clock.sleep(took).await;
                (OpResult::Ok, format!("{pods} pods evicted"))
            }
            Stage::Action => self.action(&op, &config).await,
            Stage::Verify => self.verify(&op, &config).await,
            Stage::Uncordon => {
                self.clock.sleep(t.api).await;
                let mut state = self.lock();
                let n = state.nodes.get_mut(&op.node).expect("checked above");
                if !n.was_cordoned {
                    n.unschedulable = false;
                }
                n.annotations.remove("upgrade.mcp-diag.io/cordoned-by-run");
                n.annotations
                    .insert("upgrade.mcp-diag.io/step".into(), op.final_step.into());
                (OpResult::Ok, String::new())
            }
        }
    }

    async fn action(&self, op: &NodeOp, config: &RolloutConfig) -> (OpResult, String) {
        let t = &self.timing;
        let action = match op.direction {
            Direction::Upgrade => Some(&config.upgrade.node_action),
            Direction::Rollback => config.upgrade.rollback_action.as_ref(),
        };
        let Some(action) = action else {
            return (
                OpResult::Failed {
                    reason: "no rollback_action is configured".into(),
                },
                String::new(),
            );
        };
        let is = |f: &Fault| match f {
            Fault::NodeHang(n) | Fault::NodeFail(n) => n == &op.node && op.direction == Direction::Upgrade,
            _ => false,
        };
        if self.has(|f| is(f) && matches!(f, Fault::NodeHang(_))) {
            self.clock.sleep(action.timeout).await;
            let reason = format!(
                "the action did not finish within {} (node-hang)",
                human_duration(action.timeout)
            );
            return (OpResult::Failed { reason }, String::new());
        }
        if self.has(|f| is(f) && matches!(f, Fault::NodeFail(_))) {
            self.clock.sleep(t.api).await;
            return (
                OpResult::Failed {
                    reason: "the action exited with status 1 (node-fail)".into(),
                },
                String::new(),
            );
        }
        let wrong = op.direction == Direction::Upgrade
            && self.has(|f| matches!(f, Fault::NodeWrongVersion(n) if n == &op.node));
        let never = op.direction == Direction::Upgrade
            && self.has(|f| matches!(f, Fault::NodeNeverReady(n) if n == &op.node));
        let until = {
            let now = self.clock.now();
            let mut state = self.lock();
            Self::settle(&mut state, now);
            let n = state.nodes.get_mut(&op.node).expect("checked by the caller");
            n.action_started = true;
            let version = if wrong {
                n.version.clone()
            } else {
                full_version(&op.version, &n.version)
            };
            match &n.upgrading {
                // A repeat after a crash: the kubelet is already on its way.
                Some(u) if u.version == version => u.until,
                _ if n.ready && minor_of(&n.version) == op.expect_minor && !wrong => now,
                _ => {
                    *state.changes.entry(op.node.clone()).or_default() += 1;
                    let n = state.nodes.get_mut(&op.node).expect("checked by the caller");
                    let until = now + millis(t.action);
                    n.upgrading = Some(Upgrade {
                        down_at: until - millis(t.restart),
                        until,
                        version,
                        never_ready: never,
                    });
                    until
                }
            }
        };
        self.clock.sleep_until(until).await;
        let what = match &action.kind {
            crate::config::ActionKind::Exec { .. } => "exec",
            crate::config::ActionKind::Job(_) => "job",
            crate::config::ActionKind::Label { .. } => "label",
        };
        (OpResult::Ok, format!("{what} action (simulated)"))
    }

    async fn verify(&self, op: &NodeOp, config: &RolloutConfig) -> (OpResult, String) {
        let deadline = self.clock.now() + millis(config.upgrade.verify.node_ready_timeout);
        loop {
            let now = self.clock.now();
            let seen = {
                let mut state = self.lock();
                Self::settle(&mut state, now);
                let n = &state.nodes[&op.node];
                if n.ready && minor_of(&n.version) == op.expect_minor {
                    None
                } else if n.ready {
                    Some(format!(
                        "the kubelet reports {}, expected {}",
                        n.version, op.expect_minor
                    ))
                } else {
                    Some("the node is NotReady".to_owned())
                }
            };
            match seen {
                None => break,
                Some(why) if now >= deadline => {
                    let reason = format!(
                        "not back within {}: {why}",
                        human_duration(config.upgrade.verify.node_ready_timeout)
                    );
                    return (OpResult::Failed { reason }, String::new());
                }
                Some(_) => self.clock.sleep(self.timing.poll).await,
            }
        }
        self.clock.sleep(self.timing.workloads).await;
        (OpResult::Ok, String::new())
    }

    fn readings(&self, rules: &[GateRule]) -> Vec<(String, Reading)> {
        let now = self.clock.now();
        let mut state = self.lock();
        Self::settle(&mut state, now);
        let down = self.faults.iter().any(|f| match f {
            Fault::MetricsDown { wave } => state.nodes.values().any(|n| n.wave == *wave && n.action_started),
            _ => false,
        });
        let mut error = 0.001;
        let mut latency: f64 = 0.05;
        for f in &self.faults {
            match f {
                Fault::Errors { share, at } => error += share * Self::weight(&state, at, &self.target_minor),
                Fault::Latency { seconds, at } => {
                    let w = Self::weight(&state, at, &self.target_minor);
                    if w > 0.0 {
                        latency = latency.max(0.05 + (seconds - 0.05) * w);
                    }
                }
                _ => {}
            }
        }
        rules
            .iter()
            .map(|rule| {
                if down {
                    return (
                        rule.name.clone(),
                        Reading::Error("connection refused (metrics-down)".into()),
                    );
                }
                let value = match metric_of(rule) {
                    Metric::ErrorRate => error.min(1.0),
                    Metric::Latency => latency,
                    // A rule the rehearsal cannot compute reads a value on its safe side.
                    Metric::Other => match rule.bound {
                        Bound::Above(x) => x.min(0.0),
                        Bound::Below(x) => x + 1.0,
                    },
                };
                (rule.name.clone(), Reading::Values(vec![(String::new(), value)]))
            })
            .collect()
    }
}

/// What a rehearsal computes for a PromQL rule, read from its query and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    ErrorRate,
    Latency,
    Other,
}

pub fn metric_of(rule: &GateRule) -> Metric {
    let q = format!("{} {}", rule.query, rule.name).to_ascii_lowercase();
    if q.contains("duration") || q.contains("latency") || q.contains("histogram_quantile") {
        Metric::Latency
    } else if q.contains("http_requests_total") || q.contains("error") || q.contains("5..") {
        Metric::ErrorRate
    } else {
        Metric::Other
    }
}

/// `v1.32` with a node at `v1.31.4` → `v1.32.0`: a kubelet reports a patch version.
fn full_version(target: &str, _from: &str) -> String {
    let t = target.trim_start_matches('v');
    if t.split('.').count() >= 3 {
        format!("v{t}")
    } else {
        format!("v{t}.0")
    }
}

impl Edges for SimEdges {
    fn now(&self) -> Time {
        self.clock.now()
    }

    fn sleep_until(&self, at: Time) -> impl Future<Output = ()> + Send {
        let clock = self.clock.clone();
        async move { clock.sleep_until(at).await }
    }

    fn observe(&self) -> impl Future<Output = Result<ClusterView, String>> + Send {
        let now = self.clock.now();
        let mut state = self.lock();
        Self::settle(&mut state, now);
        let view = ClusterView {
            nodes: state
                .nodes
                .iter()
                .map(|(k, n)| {
                    (
                        k.clone(),
                        NodeView {
                            ready: n.ready,
                            version: n.version.clone(),
                            unschedulable: n.unschedulable,
                        },
                    )
                })
                .collect(),
            pods_unschedulable: 0,
        };
        drop(state);
        async move { Ok(view) }
    }

    fn node_op(
        &self,
        op: NodeOp,
        config: Arc<RolloutConfig>,
    ) -> impl Future<Output = (OpResult, String)> + Send {
        self.run_op(op, config)
    }

    async fn control_plane(&self, version: String, config: Arc<RolloutConfig>) -> OpResult {
        {
            if config.upgrade.control_plane.action.is_none() {
                let at = self.lock().api_version.clone();
                return OpResult::Failed {
                    reason: format!(
                        "no upgrade.control_plane.action is configured and the control plane is at {at}"
                    ),
                };
            }
            self.clock.sleep(self.timing.control_plane_hop).await;
            self.lock().api_version = version;
            OpResult::Ok
        }
    }

    fn query_gates(&self, config: Arc<RolloutConfig>) -> impl Future<Output = Vec<(String, Reading)>> + Send {
        let readings = self.readings(&config.gates.rules);
        async move { readings }
    }

    async fn heartbeat(&self, _run_id: String) -> Result<Option<AbortRequest>, String> {
        Ok(None)
    }
}
