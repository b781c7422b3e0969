//! What a run is made of: its plan, the events its journal records, and the commands the core
//! gives the edges.

use serde::{Deserialize, Serialize};

use crate::config::Millis;

/// Milliseconds since the Unix epoch, on the run's clock (simulated in a rehearsal).
pub type Time = i64;

/// What the run will do, fixed when it starts and recorded as the journal's first line, so a
/// resumed run follows the same waves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    pub run_id: String,
    pub cluster: String,
    /// The version actions receive as `{version}` (`1.32` or `1.32.4`, no leading `v`).
    pub target: String,
    /// `1.32`: what a kubelet must report (its minor) to count as upgraded.
    pub target_minor: String,
    /// One entry per control-plane minor hop (`1.30`, `1.31`, `1.32`); empty when the
    /// control plane is already at the target.
    pub control_plane_hops: Vec<String>,
    /// Every node the run may touch, in the order they are taken: control-plane nodes
    /// (wave 0) first, then the worker waves.
    pub nodes: Vec<PlannedNode>,
    /// The number of worker waves.
    pub waves: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedNode {
    pub name: String,
    pub control_plane: bool,
    /// 0 for control-plane nodes, 1 for the first worker wave.
    pub wave: usize,
    /// The kubelet version before the run (`v1.31.4`).
    pub from_version: String,
    /// Set when the node is left out from the start (already at the target, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

/// Forward (upgrade) or back (rollback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Upgrade,
    Rollback,
}

/// The steps of one node, in order. A node's annotation names the step it is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Ready, no pressure, CPU below the limit, budgets that allow an eviction.
    Precheck,
    Cordon,
    Drain,
    /// The node (or rollback) action.
    Action,
    /// The kubelet reports the expected version and Ready; evicted workloads Ready again.
    Verify,
    Uncordon,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Precheck,
        Stage::Cordon,
        Stage::Drain,
        Stage::Action,
        Stage::Verify,
        Stage::Uncordon,
    ];

    pub fn next(self) -> Option<Stage> {
        let i = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(i + 1).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Precheck => "precheck",
            Stage::Cordon => "cordon",
            Stage::Drain => "drain",
            Stage::Action => "action",
            Stage::Verify => "verify",
            Stage::Uncordon => "uncordon",
        }
    }

    /// The word the node's `upgrade.mcp-diag.io/step` annotation carries while in this stage.
    pub fn annotation(self, direction: Direction) -> &'static str {
        match (direction, self) {
            (Direction::Upgrade, Stage::Precheck | Stage::Cordon) => "cordoned",
            (Direction::Upgrade, Stage::Drain) => "draining",
            (Direction::Upgrade, Stage::Action) => "upgrading",
            (Direction::Upgrade, Stage::Verify | Stage::Uncordon) => "verifying",
            (Direction::Rollback, Stage::Precheck | Stage::Cordon | Stage::Drain) => "rollback-draining",
            (Direction::Rollback, Stage::Action) => "rolling-back",
            (Direction::Rollback, Stage::Verify | Stage::Uncordon) => "rollback-verifying",
        }
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OpResult {
    Ok,
    /// Not yet possible (a pre-check that does not pass yet); tried again after the gate
    /// interval until the drain timeout.
    NotYet {
        reason: String,
    },
    /// The step failed and will not succeed by retrying.
    Failed {
        reason: String,
    },
}

/// One line of the journal. The run's state is the fold of its events ([`crate::core::Run`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    RunStarted {
        at: Time,
        plan: RunPlan,
        /// The orchestrator that holds the Lease.
        holder: String,
    },
    /// Written before an operation starts (write-ahead): a crash after it re-runs the step.
    OpStarted {
        at: Time,
        node: String,
        direction: Direction,
        stage: Stage,
    },
    OpFinished {
        at: Time,
        node: String,
        direction: Direction,
        stage: Stage,
        result: OpResult,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        detail: String,
    },
    ControlPlaneStarted {
        at: Time,
        hop: usize,
        version: String,
    },
    ControlPlaneFinished {
        at: Time,
        hop: usize,
        version: String,
        result: OpResult,
    },
    SoakStarted {
        at: Time,
        /// `wave N` or `control plane vX`.
        phase: String,
    },
    SoakFinished {
        at: Time,
        phase: String,
    },
    GateFired {
        at: Time,
        gate: String,
        reason: String,
        values: Vec<GateValue>,
    },
    /// A gate answered nothing or failed and its policy is `hold`: no new node starts.
    GateHeld {
        at: Time,
        gate: String,
        reason: String,
    },
    GateReleased {
        at: Time,
        gate: String,
    },
    RollbackStarted {
        at: Time,
        nodes: Vec<String>,
        reason: String,
    },
    RollbackFinished {
        at: Time,
    },
    /// `upgrade abort` reached the run.
    AbortRequested {
        at: Time,
        rollback: bool,
    },
    /// The journal and the cluster disagreed on resume; the cluster won.
    Reconciled {
        at: Time,
        node: String,
        detail: String,
    },
    Resumed {
        at: Time,
        holder: String,
    },
    RunFinished {
        at: Time,
        outcome: Outcome,
        reason: String,
    },
}

impl Event {
    pub fn at(&self) -> Time {
        match self {
            Event::RunStarted { at, .. }
            | Event::OpStarted { at, .. }
            | Event::OpFinished { at, .. }
            | Event::ControlPlaneStarted { at, .. }
            | Event::ControlPlaneFinished { at, .. }
            | Event::SoakStarted { at, .. }
            | Event::SoakFinished { at, .. }
            | Event::GateFired { at, .. }
            | Event::GateHeld { at, .. }
            | Event::GateReleased { at, .. }
            | Event::RollbackStarted { at, .. }
            | Event::RollbackFinished { at, .. }
            | Event::AbortRequested { at, .. }
            | Event::Reconciled { at, .. }
            | Event::Resumed { at, .. }
            | Event::RunFinished { at, .. } => *at,
        }
    }
}

/// One reading of a gate: a series (its labels as text, empty for a single value) and value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateValue {
    pub at: Time,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub series: String,
    /// `None` when the reading was no data or an error.
    pub value: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Succeeded,
    RolledBack,
    Stopped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::RolledBack => "rolled-back",
            Outcome::Stopped => "stopped",
            Outcome::Failed => "failed",
        }
    }
}

/// What the core asks the edges to do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Run one stage of one node. The driver journals `OpStarted` first.
    Node {
        node: String,
        direction: Direction,
        stage: Stage,
    },
    /// Run the control-plane action for one hop and verify it.
    ControlPlane { hop: usize, version: String },
    /// Journal an event the core decided on its own (a soak that started or ended, a
    /// rollback that starts, the end of the run).
    Record(Event),
    /// Nothing to start before this time unless an operation finishes first.
    WaitUntil(Time),
}

/// How long from `from` to `to`, never negative.
pub fn elapsed(from: Time, to: Time) -> Millis {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

/// RFC 3339 with milliseconds when they are not zero.
pub fn format_time(at: Time) -> String {
    let seconds = at.div_euclid(1000);
    let millis = at.rem_euclid(1000);
    let base = mcp_diag_model::time::format_timestamp(seconds);
    if millis == 0 {
        base
    } else {
        format!("{}.{millis:03}Z", base.trim_end_matches('Z'))
    }
}
