//! The decision core: the run's state as the fold of its journal, and the next commands.
//!
//! `Run::apply` takes one event (from the journal, or just decided) and `Run::decide` returns
//! what to do next given the clock. Nothing here sleeps, reads a cluster or writes a file, so
//! a rehearsal drives it on a simulated clock and the tests stop it after any event.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::config::{Millis, OnDrainTimeout, RollbackPolicy, RolloutConfig};
use crate::gates::{Gate, GateState, Reading, gates_of};
use crate::model::{
    Command, Direction, Event, GateValue, OpResult, Outcome, PlannedNode, RunPlan, Stage, Time, elapsed,
};

/// Where one node ended (or `None` while it is still on its way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeEnd {
    Upgraded,
    RolledBack,
    /// Never reached its action: uncordoned again (or never cordoned).
    Untouched,
    Failed,
    Skipped,
}

#[derive(Clone, Debug)]
pub struct NodeRun {
    pub planned: PlannedNode,
    pub direction: Direction,
    /// The stage it is in; `None` before it started.
    pub stage: Option<Stage>,
    /// Whether that stage finished (successfully).
    pub stage_done: bool,
    /// An operation is running now (not persisted: nothing runs in a new process).
    pub in_flight: bool,
    pub end: Option<NodeEnd>,
    pub reason: String,
    /// When the upgrade action started (rollbacks go in the reverse order of this).
    pub action_at: Option<Time>,
    /// The node is cordoned because of this run.
    pub cordoned: bool,
    /// The end to record once the node is uncordoned (a node given up after its cordon).
    pub giving_up: Option<NodeEnd>,
    /// The first time a pre-check said "not yet", and when to try again.
    not_yet_since: Option<Time>,
    retry_at: Option<Time>,
}

impl NodeRun {
    fn started(&self) -> bool {
        self.stage.is_some()
    }

    /// The upgrade action may have changed the node.
    pub fn touched(&self) -> bool {
        self.action_at.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum HopState {
    Pending,
    Running,
    Done,
    Failed,
}

/// Why the line stopped: no new node starts, and what follows depends on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    pub at: Time,
    pub reason: String,
    /// The outcome when everything has settled (rolled back or not).
    pub outcome: Outcome,
    /// Nodes of which waves to roll back (`None`: none).
    pub rollback: Option<RollbackPolicy>,
    /// The wave that was in progress.
    pub wave: usize,
    /// Why nothing is rolled back when `rollback` is `None`.
    pub no_rollback: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollbackRun {
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Fired {
    pub gate: String,
    pub at: Time,
    pub reason: String,
    pub values: Vec<GateValue>,
}

/// A run: its plan, where every node stands, and what is decided.
#[derive(Clone, Debug)]
pub struct Run {
    pub plan: RunPlan,
    pub started_at: Time,
    pub nodes: Vec<NodeRun>,
    by_name: FxHashMap<String, usize>,
    hops: Vec<HopState>,
    /// phase → (started, finished).
    pub soaks: BTreeMap<String, (Time, Option<Time>)>,
    pub stop: Option<Stop>,
    pub rollback: RollbackRun,
    pub fired: Vec<Fired>,
    pub holds: BTreeMap<String, String>,
    pub finished: Option<(Outcome, String, Time)>,
    gates: Vec<Gate>,
    /// Nodes of each wave (indexes into `nodes`).
    waves: Vec<Vec<usize>>,
    in_flight: usize,
    /// Once an action (node or control plane) has started, a gate breach stops the line.
    watching: bool,
    pub events: usize,
}

/// Soak phases are named in the journal and the report.
pub fn wave_phase(wave: usize) -> String {
    if wave == 0 {
        "control-plane nodes".into()
    } else {
        format!("wave {wave}")
    }
}

pub fn hop_phase(version: &str) -> String {
    format!("control plane {version}")
}

impl Run {
    /// A run from its first event.
    pub fn new(plan: RunPlan, started_at: Time, config: &RolloutConfig) -> Self {
        let mut by_name = FxHashMap::default();
        let mut waves = vec![Vec::new(); plan.waves + 1];
        let nodes: Vec<NodeRun> = plan
            .nodes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                by_name.insert(p.name.clone(), i);
                if let Some(w) = waves.get_mut(p.wave) {
                    w.push(i);
                }
                NodeRun {
                    planned: p.clone(),
                    direction: Direction::Upgrade,
                    stage: None,
                    stage_done: false,
                    in_flight: false,
                    end: p.skip.as_ref().map(|_| NodeEnd::Skipped),
                    reason: p.skip.clone().unwrap_or_default(),
                    action_at: None,
                    cordoned: false,
                    giving_up: None,
                    not_yet_since: None,
                    retry_at: None,
                }
            })
            .collect();
        Self {
            hops: vec![HopState::Pending; plan.control_plane_hops.len()],
            plan,
            started_at,
            nodes,
            by_name,
            soaks: BTreeMap::new(),
            stop: None,
            rollback: RollbackRun::default(),
            fired: Vec::new(),
            holds: BTreeMap::new(),
            finished: None,
            gates: gates_of(&config.gates),
            waves,
            in_flight: 0,
            watching: false,
            events: 0,
        }
    }

    /// Folds a journal. The first event must be `RunStarted`.
    pub fn replay(events: &[Event], config: &RolloutConfig) -> Result<Self, String> {
        let Some(Event::RunStarted { at, plan, .. }) = events.first() else {
            return Err("the journal does not start with run-started".into());
        };
        let mut run = Run::new(plan.clone(), *at, config);
        for event in &events[1..] {
            run.apply(event, config);
        }
        // Nothing runs in a new process: an operation that was started is run again.
        run.clear_in_flight();
        Ok(run)
    }

    pub fn clear_in_flight(&mut self) {
        for node in &mut self.nodes {
            node.in_flight = false;
        }
        self.in_flight = 0;
        for hop in &mut self.hops {
            if *hop == HopState::Running {
                *hop = HopState::Pending;
            }
        }
    }

    pub fn node(&self, name: &str) -> Option<&NodeRun> {
        self.by_name.get(name).map(|&i| &self.nodes[i])
    }

    pub fn gates(&self) -> &[Gate] {
        &self.gates
    }

    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// The wave in progress: the first with a node not at its end or a soak not served.
    pub fn current_wave(&self) -> usize {
        (0..self.waves.len())
            .find(|&w| !self.wave_complete(w))
            .unwrap_or(self.waves.len().saturating_sub(1))
    }

    fn wave_complete(&self, wave: usize) -> bool {
        let nodes = &self.waves[wave];
        if nodes.is_empty() {
            return true;
        }
        nodes.iter().all(|&i| self.nodes[i].end.is_some())
            && self
                .soaks
                .get(&wave_phase(wave))
                .is_some_and(|(_, done)| done.is_some())
    }

    /// Applies one event to the state.
    pub fn apply(&mut self, event: &Event, config: &RolloutConfig) {
        self.events += 1;
        match event {
            Event::RunStarted { .. } | Event::Resumed { .. } | Event::Reconciled { .. } => {}
            Event::OpStarted {
                at,
                node,
                direction,
                stage,
            } => {
                let Some(&i) = self.by_name.get(node) else { return };
                let n = &mut self.nodes[i];
                if !n.in_flight {
                    self.in_flight += 1;
                }
                n.in_flight = true;
                if *direction == Direction::Rollback && n.direction == Direction::Upgrade {
                    // A node upgraded in an earlier wave goes back: it is on its way again.
                    n.end = None;
                    n.giving_up = None;
                }
                n.direction = *direction;
                n.stage = Some(*stage);
                n.stage_done = false;
                if *stage == Stage::Cordon {
                    n.cordoned = true;
                }
                if *stage == Stage::Action {
                    self.watching = true;
                    if *direction == Direction::Upgrade {
                        n.action_at.get_or_insert(*at);
                    }
                }
            }
            Event::OpFinished {
                at,
                node,
                direction,
                stage,
                result,
                ..
            } => {
                let Some(&i) = self.by_name.get(node) else { return };
                if self.nodes[i].in_flight {
                    self.in_flight -= 1;
                }
                let n = &mut self.nodes[i];
                n.in_flight = false;
                n.direction = *direction;
                n.stage = Some(*stage);
                match result {
                    OpResult::Ok => {
                        n.stage_done = true;
                        n.not_yet_since = None;
                        n.retry_at = None;
                        if *stage == Stage::Uncordon {
                            n.cordoned = false;
                            n.end = Some(match (direction, n.giving_up) {
                                (Direction::Rollback, _) => NodeEnd::RolledBack,
                                (Direction::Upgrade, Some(end)) => end,
                                (Direction::Upgrade, None) if n.touched() => NodeEnd::Upgraded,
                                (Direction::Upgrade, None) => NodeEnd::Untouched,
                            });
                        }
                    }
                    OpResult::NotYet { reason } => {
                        n.stage_done = false;
                        n.reason = reason.clone();
                        let since = *n.not_yet_since.get_or_insert(*at);
                        n.retry_at = Some(at + millis(config.gates.interval));
                        if elapsed(since, *at) >= config.upgrade.drain.timeout {
                            let reason =
                                format!("pre-checks did not pass within the drain timeout: {reason}");
                            self.node_blocked(i, *at, reason, config);
                        }
                    }
                    OpResult::Failed { reason } => {
                        let reason = format!("{} {}: {reason}", dir_word(*direction), stage.as_str());
                        match (direction, stage) {
                            (Direction::Upgrade, Stage::Precheck | Stage::Drain) => {
                                self.node_blocked(i, *at, reason, config);
                            }
                            (Direction::Upgrade, Stage::Cordon) => {
                                // Nothing changed on the node: it is untouched.
                                let n = &mut self.nodes[i];
                                n.end = Some(NodeEnd::Failed);
                                n.reason = reason.clone();
                                self.stop_line(*at, format!("{node}: {reason}"), Outcome::Failed, config);
                            }
                            _ => {
                                // The node's state is not known to be good: it stays
                                // cordoned and out of the rollback, for a person to look at.
                                let n = &mut self.nodes[i];
                                n.end = Some(NodeEnd::Failed);
                                n.reason = reason.clone();
                                self.stop_line(*at, format!("{node}: {reason}"), Outcome::Failed, config);
                            }
                        }
                    }
                }
            }
            Event::ControlPlaneStarted { hop, .. } => {
                self.watching = true;
                if let Some(h) = self.hops.get_mut(*hop) {
                    *h = HopState::Running;
                }
            }
            Event::ControlPlaneFinished {
                at,
                hop,
                version,
                result,
            } => {
                let ok = *result == OpResult::Ok;
                if let Some(h) = self.hops.get_mut(*hop) {
                    *h = if ok { HopState::Done } else { HopState::Failed };
                }
                if let OpResult::Failed { reason } | OpResult::NotYet { reason } = result {
                    self.stop_line(
                        *at,
                        format!("control plane {version}: {reason}"),
                        Outcome::Failed,
                        config,
                    );
                }
            }
            Event::SoakStarted { at, phase } => {
                self.soaks.entry(phase.clone()).or_insert((*at, None));
            }
            Event::SoakFinished { at, phase } => {
                if let Some(s) = self.soaks.get_mut(phase) {
                    s.1 = Some(*at);
                }
            }
            Event::GateFired {
                at,
                gate,
                reason,
                values,
            } => {
                self.fired.push(Fired {
                    gate: gate.clone(),
                    at: *at,
                    reason: reason.clone(),
                    values: values.clone(),
                });
                self.stop_line(
                    *at,
                    format!("gate {gate} fired: {reason}"),
                    Outcome::RolledBack,
                    config,
                );
            }
            Event::GateHeld { gate, reason, .. } => {
                self.holds.insert(gate.clone(), reason.clone());
            }
            Event::GateReleased { gate, .. } => {
                self.holds.remove(gate);
            }
            Event::RollbackStarted { at, nodes, .. } => {
                self.rollback.started_at = Some(*at);
                self.rollback.nodes = nodes.clone();
            }
            Event::RollbackFinished { at } => {
                self.rollback.finished_at = Some(*at);
            }
            Event::AbortRequested { at, rollback } => {
                let policy = rollback.then_some(RollbackPolicy::All);
                if self.stop.is_none() {
                    self.stop = Some(Stop {
                        at: *at,
                        reason: "aborted by `upgrade abort`".into(),
                        outcome: if *rollback {
                            Outcome::RolledBack
                        } else {
                            Outcome::Stopped
                        },
                        rollback: policy,
                        wave: self.current_wave(),
                        no_rollback: "aborted without --rollback".into(),
                    });
                } else if let Some(stop) = &mut self.stop
                    && *rollback
                    && self.rollback.started_at.is_none()
                {
                    stop.rollback = Some(RollbackPolicy::All);
                    stop.outcome = Outcome::RolledBack;
                }
            }
            Event::RunFinished { at, outcome, reason } => {
                self.finished = Some((*outcome, reason.clone(), *at));
            }
        }
    }

    /// A pre-check or drain that will not succeed: skip the node or stop, as configured.
    fn node_blocked(&mut self, i: usize, at: Time, reason: String, config: &RolloutConfig) {
        let n = &mut self.nodes[i];
        n.reason = reason.clone();
        n.not_yet_since = None;
        n.retry_at = None;
        // The node ends skipped (untouched when the line had stopped already and cut its step
        // short), once uncordoned if this run cordoned it.
        let end = if self.stop.is_some() {
            NodeEnd::Untouched
        } else {
            NodeEnd::Skipped
        };
        if n.cordoned {
            n.giving_up = Some(end);
        } else {
            n.end = Some(end);
        }
        let name = n.planned.name.clone();
        if config.upgrade.drain.on_timeout == OnDrainTimeout::Stop {
            // The upgraded nodes are not at fault: the line stops, nothing is rolled back.
            self.stop_line(at, format!("{name}: {reason}"), Outcome::Stopped, config);
            if let Some(stop) = &mut self.stop {
                stop.rollback = None;
                stop.no_rollback = "a drain that does not finish is no fault of the upgraded nodes".into();
            }
        }
    }

    fn stop_line(&mut self, at: Time, reason: String, outcome: Outcome, config: &RolloutConfig) {
        if self.stop.is_some() || self.finished.is_some() {
            return;
        }
        // A control-plane hop that has started cannot be undone; before the first worker
        // wave, nothing a rollback could reach has been touched but control-plane nodes.
        let outcome = if outcome == Outcome::RolledBack && config.upgrade.rollback == RollbackPolicy::None {
            Outcome::Stopped
        } else {
            outcome
        };
        self.stop = Some(Stop {
            at,
            reason,
            outcome,
            rollback: Some(config.upgrade.rollback).filter(|p| *p != RollbackPolicy::None),
            wave: self.current_wave(),
            no_rollback: "rollback: none".into(),
        });
    }

    /// Takes one evaluation of every gate and returns the events it leads to.
    pub fn observe_gates(&mut self, now: Time, readings: &[(String, Reading)]) -> Vec<Event> {
        let mut out = Vec::new();
        if self.finished.is_some() {
            return out;
        }
        for (name, reading) in readings {
            let Some(gate) = self.gates.iter_mut().find(|g| &g.name == name) else {
                continue;
            };
            let state = gate.observe(now, reading).clone();
            match state {
                GateState::Hold { reason } => {
                    if self.holds.get(name) != Some(&reason) {
                        out.push(Event::GateHeld {
                            at: now,
                            gate: name.clone(),
                            reason,
                        });
                    }
                }
                GateState::Fired { reason } => {
                    if self.holds.contains_key(name) {
                        out.push(Event::GateReleased {
                            at: now,
                            gate: name.clone(),
                        });
                    }
                    // Before any action, a breach is the cluster's state, not the run's
                    // doing: pre-flight reports it. Once stopped, one firing is enough.
                    if self.watching && self.stop.is_none() {
                        out.push(Event::GateFired {
                            at: now,
                            gate: name.clone(),
                            reason,
                            values: gate.recent(now),
                        });
                    }
                }
                GateState::Ok | GateState::Pending { .. } => {
                    if self.holds.contains_key(name) {
                        out.push(Event::GateReleased {
                            at: now,
                            gate: name.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// The next commands. The driver journals and applies any `Record` at once, journals
    /// `OpStarted` before running a `Node` command, and calls `decide` again after each
    /// event.
    pub fn decide(&self, now: Time, config: &RolloutConfig) -> Vec<Command> {
        if self.finished.is_some() {
            return Vec::new();
        }
        match &self.stop {
            Some(stop) => self.decide_stopped(now, stop, config),
            None => self.decide_forward(now, config),
        }
    }

    fn decide_forward(&self, now: Time, config: &RolloutConfig) -> Vec<Command> {
        let mut out = Vec::new();
        let holding = !self.holds.is_empty();
        // The control plane, one minor at a time, each hop soaked.
        for (hop, state) in self.hops.iter().enumerate() {
            let version = &self.plan.control_plane_hops[hop];
            let phase = hop_phase(version);
            match state {
                HopState::Running => return out,
                HopState::Failed => return out,
                HopState::Pending => {
                    if holding {
                        return vec![Command::WaitUntil(now + millis(config.gates.interval))];
                    }
                    return vec![Command::ControlPlane {
                        hop,
                        version: version.clone(),
                    }];
                }
                HopState::Done => match self.soaks.get(&phase) {
                    None => {
                        return vec![Command::Record(Event::SoakStarted { at: now, phase })];
                    }
                    Some((_, Some(_))) => {}
                    Some((started, None)) => {
                        return self.soak(now, *started, config.upgrade.control_plane.soak, phase, config);
                    }
                },
            }
        }
        let wave = self.current_wave();
        let members = &self.waves[wave];
        // Nodes on their way (in flight or waiting to retry) count against maxUnavailable.
        let mut starting = members
            .iter()
            .filter(|&&i| self.nodes[i].started() && self.nodes[i].end.is_none())
            .count();
        let mut next_wake: Option<Time> = None;
        for &i in members {
            let n = &self.nodes[i];
            if n.in_flight || n.end.is_some() {
                continue;
            }
            if !n.started() {
                if holding || starting >= config.upgrade.max_unavailable.max(1) {
                    continue;
                }
                starting += 1;
                out.push(node_cmd(n, Direction::Upgrade, Stage::Precheck));
                continue;
            }
            if let Some(retry) = n.retry_at
                && retry > now
            {
                next_wake = Some(next_wake.map_or(retry, |w| w.min(retry)));
                continue;
            }
            out.push(self.next_stage(n));
        }
        if !out.is_empty() {
            return out;
        }
        if let Some(wake) = next_wake {
            return vec![Command::WaitUntil(wake)];
        }
        if self.in_flight > 0 {
            return out;
        }
        if holding && members.iter().any(|&i| !self.nodes[i].started()) {
            return vec![Command::WaitUntil(now + millis(config.gates.interval))];
        }
        // Every node of the wave is at its end: soak it, then the next wave.
        if members.iter().all(|&i| self.nodes[i].end.is_some()) {
            let phase = wave_phase(wave);
            let soak = if wave == 0 {
                config.upgrade.control_plane.soak
            } else {
                config.upgrade.soak
            };
            return match self.soaks.get(&phase) {
                None if !members.is_empty() => vec![Command::Record(Event::SoakStarted { at: now, phase })],
                Some((started, None)) => self.soak(now, *started, soak, phase, config),
                _ => {
                    if (0..self.waves.len()).all(|w| self.wave_complete(w)) {
                        vec![self.finish_forward(now)]
                    } else {
                        Vec::new()
                    }
                }
            };
        }
        out
    }

    fn finish_forward(&self, now: Time) -> Command {
        let count = |end: NodeEnd| self.nodes.iter().filter(|n| n.end == Some(end)).count();
        let (upgraded, skipped) = (count(NodeEnd::Upgraded), count(NodeEnd::Skipped));
        let mut reason = format!("{} upgraded", crate::text::count(upgraded, "node"));
        if skipped > 0 {
            reason.push_str(&format!(", {skipped} skipped"));
        }
        Command::Record(Event::RunFinished {
            at: now,
            outcome: Outcome::Succeeded,
            reason,
        })
    }

    fn soak(
        &self,
        now: Time,
        started: Time,
        soak: Millis,
        phase: String,
        config: &RolloutConfig,
    ) -> Vec<Command> {
        let end = started + millis(soak);
        if now < end {
            return vec![Command::WaitUntil(end)];
        }
        // A soak ends only on gates that answer: a held gate keeps the wave open.
        if !self.holds.is_empty() {
            return vec![Command::WaitUntil(now + millis(config.gates.interval))];
        }
        vec![Command::Record(Event::SoakFinished { at: now, phase })]
    }

    /// The command that moves a started node on.
    fn next_stage(&self, n: &NodeRun) -> Command {
        let stage = n.stage.unwrap_or(Stage::Precheck);
        if n.giving_up.is_some() {
            return node_cmd(n, n.direction, Stage::Uncordon);
        }
        if !n.stage_done {
            // Not finished (a crash, or a pre-check that said not yet): run it again.
            return node_cmd(n, n.direction, stage);
        }
        match stage.next() {
            Some(next) => node_cmd(n, n.direction, next),
            None => node_cmd(n, n.direction, Stage::Uncordon),
        }
    }

    fn decide_stopped(&self, now: Time, stop: &Stop, config: &RolloutConfig) -> Vec<Command> {
        let mut out = Vec::new();
        let targets = self.rollback_targets(stop);
        let rolling = self.rollback.started_at.is_some();
        // Nodes on their way forward: finish or stop each.
        for n in &self.nodes {
            if n.in_flight || n.end.is_some() || !n.started() || n.direction != Direction::Upgrade {
                continue;
            }
            let stage = n.stage.unwrap_or(Stage::Precheck);
            let action_done = stage > Stage::Action || (stage == Stage::Action && n.stage_done);
            if stage == Stage::Action && !n.stage_done {
                // The action may have run: run it to its end rather than leave it half done.
                out.push(node_cmd(n, Direction::Upgrade, Stage::Action));
            } else if action_done && targets.contains(&n.planned.name) {
                // Rolled back below, once nothing is in flight.
            } else if action_done {
                out.push(self.next_stage(n));
            } else if n.cordoned {
                // Stopped before its action: uncordon, it stays as it was.
                out.push(node_cmd(n, Direction::Upgrade, Stage::Uncordon));
            } else {
                out.push(Command::Record(Event::OpFinished {
                    at: now,
                    node: n.planned.name.clone(),
                    direction: Direction::Upgrade,
                    stage: Stage::Uncordon,
                    result: OpResult::Ok,
                    detail: "stopped before it started".into(),
                }));
            }
        }
        if !out.is_empty() {
            return out;
        }
        if !targets.is_empty() && !rolling {
            if self.in_flight > 0 {
                return out;
            }
            // Reverse order of the upgrade actions.
            let mut order: Vec<&NodeRun> = targets.iter().filter_map(|t| self.node(t)).collect();
            order.sort_by_key(|n| std::cmp::Reverse(n.action_at));
            return vec![Command::Record(Event::RollbackStarted {
                at: now,
                nodes: order.iter().map(|n| n.planned.name.clone()).collect(),
                reason: stop.reason.clone(),
            })];
        }
        if rolling {
            let mut starting = self
                .nodes
                .iter()
                .filter(|n| n.direction == Direction::Rollback && n.end.is_none())
                .count();
            for name in &self.rollback.nodes {
                let Some(n) = self.node(name) else { continue };
                if n.in_flight || matches!(n.end, Some(NodeEnd::RolledBack | NodeEnd::Failed)) {
                    continue;
                }
                if n.direction == Direction::Upgrade {
                    if starting >= config.upgrade.max_unavailable.max(1) {
                        continue;
                    }
                    starting += 1;
                    out.push(node_cmd(n, Direction::Rollback, Stage::Cordon));
                } else {
                    out.push(self.next_stage(n));
                }
            }
            if !out.is_empty() || self.in_flight > 0 {
                return out;
            }
            if self.rollback.finished_at.is_none() {
                return vec![Command::Record(Event::RollbackFinished { at: now })];
            }
        }
        if self.in_flight > 0 {
            return out;
        }
        let failed = self.nodes.iter().any(|n| n.end == Some(NodeEnd::Failed));
        let outcome = if failed { Outcome::Failed } else { stop.outcome };
        let outcome = if outcome == Outcome::RolledBack && !rolling {
            Outcome::Stopped
        } else {
            outcome
        };
        let mut reason = stop.reason.clone();
        if rolling {
            let back = self
                .nodes
                .iter()
                .filter(|n| n.end == Some(NodeEnd::RolledBack))
                .count();
            reason.push_str(&format!("; {} rolled back", crate::text::count(back, "node")));
        } else if stop.rollback.is_none() && self.nodes.iter().any(|n| n.end == Some(NodeEnd::Upgraded)) {
            reason.push_str(&format!("; nothing rolled back ({})", stop.no_rollback));
        }
        if self.hops.contains(&HopState::Failed) {
            reason.push_str(
                "; the run stopped at the control plane (control-plane steps cannot be rolled back: check it by hand)",
            );
        } else if self.hops.contains(&HopState::Done) {
            reason.push_str(
                "; the control plane stays at its new version (control-plane steps cannot be rolled back)",
            );
        }
        vec![Command::Record(Event::RunFinished {
            at: now,
            outcome,
            reason,
        })]
    }

    /// The nodes to roll back under a stop: per its policy, those whose upgrade action ran
    /// and did not fail.
    pub fn rollback_targets(&self, stop: &Stop) -> BTreeSet<String> {
        if !self.rollback.nodes.is_empty() {
            return self.rollback.nodes.iter().cloned().collect();
        }
        let Some(policy) = stop.rollback else {
            return BTreeSet::new();
        };
        self.nodes
            .iter()
            .filter(|n| n.touched() && n.end != Some(NodeEnd::Failed))
            .filter(|n| policy == RollbackPolicy::All || n.planned.wave == stop.wave)
            .map(|n| n.planned.name.clone())
            .collect()
    }

    /// The time the run should next be looked at even if nothing happens.
    pub fn next_soak_end(&self, config: &RolloutConfig) -> Option<Time> {
        self.soaks
            .iter()
            .filter(|(_, (_, done))| done.is_none())
            .map(|(phase, (started, _))| {
                let soak = if phase.starts_with("wave ") {
                    config.upgrade.soak
                } else {
                    config.upgrade.control_plane.soak
                };
                started + millis(soak)
            })
            .min()
    }

    /// Nodes the run is upgrading right now: they are expected to be NotReady, so the
    /// nodes-lost gate does not count them.
    pub fn expected_down(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .filter(|n| n.end.is_none() && matches!(n.stage, Some(Stage::Action | Stage::Verify)))
            .map(|n| n.planned.name.as_str())
            .collect()
    }
}

fn node_cmd(n: &NodeRun, direction: Direction, stage: Stage) -> Command {
    Command::Node {
        node: n.planned.name.clone(),
        direction,
        stage,
    }
}

fn dir_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Upgrade => "upgrade",
        Direction::Rollback => "rollback",
    }
}

pub fn millis(m: Millis) -> Time {
    i64::try_from(m).unwrap_or(i64::MAX / 4)
}
