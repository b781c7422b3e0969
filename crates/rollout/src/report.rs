//! The run report: the same JSON for `upgrade`, `upgrade status` and `rehearse`
//! (`docs/upgrade.md` documents every field), and its table form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Millis;
use crate::core::{NodeEnd, Run};
use crate::model::{Direction, Event, GateValue, OpResult, Stage, Time, elapsed, format_time};

/// Kept here too: they were first defined in this module.
pub use crate::text::{count, human_duration};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub run_id: String,
    pub cluster: String,
    pub target_version: String,
    /// `true` when the times are a rehearsal's simulated clock.
    pub rehearsal: bool,
    /// `succeeded`, `rolled-back`, `stopped`, `failed`, or `running` while it is not over.
    pub outcome: String,
    pub reason: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Seconds from start to finish (on the run's clock).
    pub duration_seconds: Option<f64>,
    pub nodes: Vec<NodeReport>,
    pub gates: Vec<GateReport>,
    pub rollback: RollbackReport,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeReport {
    pub name: String,
    pub control_plane: bool,
    pub wave: usize,
    pub from_version: String,
    /// What the kubelet reported last (`null` when the node is gone or was not read).
    pub final_version: Option<String>,
    /// `upgraded`, `rolled-back`, `untouched`, `failed`, `skipped`, or `in-progress`.
    pub state: String,
    pub cordoned: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GateReport {
    pub name: String,
    pub fired_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// At firing: the readings over its window; otherwise the last readings.
    pub values: Vec<ValueReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueReport {
    pub at: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub series: String,
    pub value: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RollbackReport {
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    pub at: String,
    pub step: String,
    pub node: Option<String>,
    pub detail: String,
}

impl RunReport {
    /// Every node the run was to take is upgraded (or already was): no node skipped, failed,
    /// rolled back or left untouched.
    pub fn complete(&self) -> bool {
        self.outcome == "succeeded" && self.skipped_behind() == 0
    }

    /// Nodes skipped that are not at the target (a node already there is skipped too).
    pub fn skipped_behind(&self) -> usize {
        let target = crate::text::minor_of(&self.target_version);
        self.nodes
            .iter()
            .filter(|n| n.state == "skipped" && crate::text::minor_of(&n.from_version) != target)
            .count()
    }
}

/// What the cluster says of a node at the end (for `final_version` and `cordoned`).
#[derive(Clone, Debug, Default)]
pub struct FinalNode {
    pub version: Option<String>,
    pub unschedulable: bool,
}

pub fn build(
    run: &Run,
    events: &[Event],
    finals: &BTreeMap<String, FinalNode>,
    rehearsal: bool,
) -> RunReport {
    let (outcome, reason, finished) = match &run.finished {
        Some((o, r, at)) => (o.as_str().to_owned(), r.clone(), Some(*at)),
        None => (
            "running".to_owned(),
            run.stop.as_ref().map(|s| s.reason.clone()).unwrap_or_default(),
            None,
        ),
    };
    let nodes = run
        .nodes
        .iter()
        .map(|n| {
            let fin = finals.get(&n.planned.name);
            NodeReport {
                name: n.planned.name.clone(),
                control_plane: n.planned.control_plane,
                wave: n.planned.wave,
                from_version: n.planned.from_version.clone(),
                final_version: fin.and_then(|f| f.version.clone()),
                state: match n.end {
                    Some(NodeEnd::Upgraded) => "upgraded",
                    Some(NodeEnd::RolledBack) => "rolled-back",
                    Some(NodeEnd::Untouched) => "untouched",
                    Some(NodeEnd::Failed) => "failed",
                    Some(NodeEnd::Skipped) => "skipped",
                    None if n.stage.is_some() => "in-progress",
                    None => "untouched",
                }
                .into(),
                cordoned: fin.map_or(n.cordoned, |f| f.unschedulable),
                reason: n.reason.clone(),
            }
        })
        .collect();
    let gates = run
        .gates()
        .iter()
        .map(|g| {
            let fired = run.fired.iter().find(|f| f.gate == g.name);
            let values: Vec<GateValue> = match fired {
                Some(f) => f.values.clone(),
                None => g.values.iter().rev().take(6).rev().cloned().collect(),
            };
            GateReport {
                name: g.name.clone(),
                fired_at: fired.map(|f| format_time(f.at)),
                reason: fired.map(|f| f.reason.clone()),
                values: values
                    .into_iter()
                    .map(|v| ValueReport {
                        at: format_time(v.at),
                        series: v.series,
                        value: v.value.filter(|x| x.is_finite()),
                    })
                    .collect(),
            }
        })
        .collect();
    RunReport {
        schema_version: SCHEMA_VERSION,
        run_id: run.plan.run_id.clone(),
        cluster: run.plan.cluster.clone(),
        target_version: run.plan.target.clone(),
        rehearsal,
        outcome,
        reason,
        started_at: format_time(run.started_at),
        finished_at: finished.map(format_time),
        duration_seconds: finished.map(|f| elapsed(run.started_at, f) as f64 / 1000.0),
        nodes,
        gates,
        rollback: RollbackReport {
            started_at: run.rollback.started_at.map(format_time),
            finished_at: run.rollback.finished_at.map(format_time),
            nodes: run.rollback.nodes.clone(),
        },
        timeline: timeline(events),
    }
}

/// Every event a person wants to see, in order. The start of a stage is left out (its end
/// says how long it took), except the action's, which is when the node changes.
pub fn timeline(events: &[Event]) -> Vec<TimelineEntry> {
    let mut started: BTreeMap<(&str, Direction, Stage), Time> = BTreeMap::new();
    let mut out = Vec::new();
    let mut push = |at: Time, step: String, node: Option<&str>, detail: String| {
        out.push(TimelineEntry {
            at: format_time(at),
            step,
            node: node.map(str::to_owned),
            detail,
        });
    };
    for event in events {
        match event {
            Event::RunStarted { at, plan, holder } => push(
                *at,
                "run-started".into(),
                None,
                format!(
                    "run {} to {}: {} in {}, by {holder}",
                    plan.run_id,
                    plan.target,
                    count(plan.nodes.len(), "node"),
                    count(plan.waves, "wave")
                ),
            ),
            Event::OpStarted {
                at,
                node,
                direction,
                stage,
            } => {
                started.insert((node.as_str(), *direction, *stage), *at);
                if *stage == Stage::Action {
                    push(
                        *at,
                        step_name(*direction, *stage, "started"),
                        Some(node),
                        String::new(),
                    );
                }
            }
            Event::OpFinished {
                at,
                node,
                direction,
                stage,
                result,
                detail,
            } => {
                let took = started
                    .remove(&(node.as_str(), *direction, *stage))
                    .map(|s| elapsed(s, *at))
                    .filter(|ms| *ms > 0)
                    .map(|ms| format!(" in {}", human_duration(ms)))
                    .unwrap_or_default();
                let (word, why) = match result {
                    OpResult::Ok => ("done", String::new()),
                    OpResult::NotYet { reason } => ("waiting", reason.clone()),
                    OpResult::Failed { reason } => ("failed", reason.clone()),
                };
                let mut text = why;
                if !detail.is_empty() {
                    if !text.is_empty() {
                        text.push_str("; ");
                    }
                    text.push_str(detail);
                }
                if !took.is_empty() && word == "done" {
                    text = format!("{}{took}", text).trim_start().to_owned();
                }
                push(*at, step_name(*direction, *stage, word), Some(node), text);
            }
            Event::ControlPlaneStarted { at, version, .. } => push(
                *at,
                "control-plane-started".into(),
                None,
                format!("control plane to {version}"),
            ),
            Event::ControlPlaneFinished {
                at, version, result, ..
            } => push(
                *at,
                match result {
                    OpResult::Ok => "control-plane-done",
                    _ => "control-plane-failed",
                }
                .into(),
                None,
                match result {
                    OpResult::Ok => format!("control plane at {version}"),
                    OpResult::NotYet { reason } | OpResult::Failed { reason } => {
                        format!("{version}: {reason}")
                    }
                },
            ),
            Event::SoakStarted { at, phase } => push(*at, "soak-started".into(), None, phase.clone()),
            Event::SoakFinished { at, phase } => push(*at, "soak-finished".into(), None, phase.clone()),
            Event::GateFired { at, gate, reason, .. } => {
                push(*at, "gate-fired".into(), None, format!("{gate}: {reason}"))
            }
            Event::GateHeld { at, gate, reason } => {
                push(*at, "gate-held".into(), None, format!("{gate}: {reason}"))
            }
            Event::GateReleased { at, gate } => push(*at, "gate-released".into(), None, gate.clone()),
            Event::RollbackStarted { at, nodes, reason } => push(
                *at,
                "rollback-started".into(),
                None,
                format!("{} ({}): {reason}", count(nodes.len(), "node"), short_list(nodes)),
            ),
            Event::RollbackFinished { at } => push(*at, "rollback-finished".into(), None, String::new()),
            Event::AbortRequested { at, rollback } => push(
                *at,
                "abort-requested".into(),
                None,
                if *rollback {
                    "with rollback".into()
                } else {
                    String::new()
                },
            ),
            Event::Reconciled { at, node, detail } => {
                push(*at, "reconciled".into(), Some(node), detail.clone())
            }
            Event::Resumed { at, holder } => push(*at, "resumed".into(), None, format!("by {holder}")),
            Event::RunFinished { at, outcome, reason } => push(
                *at,
                "run-finished".into(),
                None,
                format!("{}: {reason}", outcome.as_str()),
            ),
        }
    }
    out
}

fn step_name(direction: Direction, stage: Stage, word: &str) -> String {
    let stage = match (direction, stage) {
        (Direction::Upgrade, Stage::Action) => "upgrade",
        (_, s) => s.as_str(),
    };
    match direction {
        Direction::Upgrade => format!("{stage}-{word}"),
        Direction::Rollback => format!("rollback-{stage}-{word}"),
    }
}

fn short_list(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
    }
}

/// The report for people. `timeline_limit`: at most this many timeline lines (the first and
/// the last, with a count of what was left out).
pub fn render_table(report: &RunReport, timeline_limit: usize) -> String {
    let mut out = String::new();
    let kind = if report.rehearsal { "Rehearsal" } else { "Upgrade" };
    let skipped = report.skipped_behind();
    let caveat = if skipped > 0 && report.outcome == "succeeded" {
        format!(" ({} skipped: not upgraded)", count(skipped, "node"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{kind} {} of {} to {}: {}{caveat}",
        report.run_id, report.cluster, report.target_version, report.outcome
    );
    if !report.reason.is_empty() {
        let _ = writeln!(out, "  {}", report.reason);
    }
    if let Some(d) = report.duration_seconds {
        let clock = if report.rehearsal {
            " (simulated clock: what the real run would take)"
        } else {
            ""
        };
        let _ = writeln!(out, "  took {}{clock}", human_duration((d * 1000.0) as Millis));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &report.nodes {
        *counts.entry(n.state.as_str()).or_default() += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(out, "  nodes: {}", counts.join(", "));
    let cordoned: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| n.cordoned)
        .map(|n| n.name.as_str())
        .collect();
    if !cordoned.is_empty() {
        let _ = writeln!(out, "  left cordoned: {}", cordoned.join(", "));
    }
    for n in report
        .nodes
        .iter()
        .filter(|n| n.state == "failed" || (n.state == "skipped" && !n.reason.is_empty()))
    {
        let _ = writeln!(out, "  {} {}: {}", n.name, n.state, n.reason);
    }
    for g in &report.gates {
        if let Some(at) = &g.fired_at {
            let _ = writeln!(
                out,
                "  gate {} fired at {at}: {}",
                g.name,
                g.reason.as_deref().unwrap_or("")
            );
            let values: Vec<String> = g
                .values
                .iter()
                .map(|v| v.value.map_or("no data".into(), crate::text::format_value))
                .collect();
            let _ = writeln!(out, "    values over its window: {}", values.join(", "));
        }
    }
    if let (Some(s), Some(f)) = (&report.rollback.started_at, &report.rollback.finished_at) {
        let _ = writeln!(
            out,
            "  rolled back {} from {s} to {f}",
            count(report.rollback.nodes.len(), "node")
        );
    }
    let _ = writeln!(out, "\nTimeline:");
    let lines = &report.timeline;
    let show = |out: &mut String, e: &TimelineEntry| {
        let node = e.node.as_deref().unwrap_or("");
        // The clock without the date and the fraction: the JSON has both.
        let at = e.at.get(11..19).unwrap_or(&e.at);
        let _ = writeln!(out, "  {at}  {:<24} {:<16} {}", e.step, node, e.detail.trim_end());
    };
    // Leaving out a handful of lines saves nothing.
    if lines.len() <= timeline_limit + 5 {
        for e in lines {
            show(&mut out, e);
        }
    } else {
        let head = timeline_limit / 2;
        let tail = timeline_limit - head;
        for e in &lines[..head] {
            show(&mut out, e);
        }
        let _ = writeln!(
            out,
            "  ... {} more lines (all of them in --output json) ...",
            lines.len() - head - tail
        );
        for e in &lines[lines.len() - tail..] {
            show(&mut out, e);
        }
    }
    out
}
