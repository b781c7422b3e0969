//! `mcp-diag rehearse`: the whole run against a simulated copy of a snapshot, on a simulated
//! clock, with faults.

use std::sync::Arc;

use mcp_diag_model::Inventory;
use mcp_diag_planner::Plan;

use crate::config::RolloutConfig;
use crate::core::Run;
use crate::driver::{DriveError, drive};
use crate::journal::{AppendError, Journal};
use crate::model::{Event, Time};
use crate::prepare::{Blocker, blockers, run_plan};
use crate::report::{RunReport, build};
use crate::sim::{Clock, CrashPoint, Fault, SimEdges, Timing};

const LIMIT_DAYS: f64 = 30.0;

pub struct Rehearsal<'a> {
    pub inventory: &'a Inventory,
    pub plan: &'a Plan,
    pub config: RolloutConfig,
    /// `1.32` or `1.32.4`, as given.
    pub target: String,
    pub faults: Vec<Fault>,
    /// Simulated milliseconds per real one; 0: no waiting at all.
    pub speed: f64,
    pub accept: Vec<String>,
    pub timing: Timing,
    /// Where the simulated clock starts.
    pub start: Time,
}

pub struct Outcome {
    pub report: RunReport,
    /// Pre-flight blockers (accepted or not): the real run refuses to start while one is
    /// not accepted.
    pub blockers: Vec<Blocker>,
    /// How many times the orchestrator was killed and resumed.
    pub crashes: usize,
    pub events: Vec<Event>,
    /// Kubelet changes per node in the simulated cluster.
    pub changes: std::collections::BTreeMap<String, usize>,
    /// The node annotations at the end.
    pub annotations: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// Runs the rehearsal to its end (building its own runtime: paused for speed 0).
pub fn rehearse(r: Rehearsal<'_>) -> Result<Outcome, String> {
    let runtime = if r.speed == 0.0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
    }
    .map_err(|e| format!("cannot start the rehearsal's runtime: {e}"))?;
    runtime.block_on(run(r))
}

async fn run(r: Rehearsal<'_>) -> Result<Outcome, String> {
    let run_id = format!("rehearsal-{}", r.target.trim_start_matches('v'));
    let run_plan = run_plan(r.inventory, r.plan, &r.target, &run_id);
    let blockers = blockers(r.plan, &r.accept);
    let config = Arc::new(r.config);
    let scale = if r.speed == 0.0 { 1.0 } else { r.speed };
    let clock = Clock::new(r.start, scale);
    let crash_points: Vec<CrashPoint> = r
        .faults
        .iter()
        .filter_map(|f| match f {
            Fault::Crash(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let edges = Arc::new(SimEdges::new(
        r.plan,
        &run_plan,
        r.faults,
        r.timing,
        clock.clone(),
    )?);
    let mut journal = Journal::memory();
    let mut run = Run::new(run_plan.clone(), clock.now(), &config);
    let started = Event::RunStarted {
        at: clock.now(),
        plan: run_plan,
        holder: "rehearsal".into(),
    };
    journal.append(&started).map_err(|e| e.to_string())?;
    let mut pending = crash_points;
    let mut crashes = 0;
    loop {
        journal.crash_after = None;
        let crash = pending.first().cloned();
        let drive_all = async {
            match &crash {
                Some(CrashPoint::Line(n)) => {
                    journal.crash_after = Some(*n);
                    drive(&mut run, config.clone(), edges.clone(), &mut journal).await
                }
                Some(CrashPoint::Step { step, node }) => {
                    drive_until_step(
                        &mut run,
                        config.clone(),
                        edges.clone(),
                        &mut journal,
                        step,
                        node.as_deref(),
                    )
                    .await
                }
                None => drive(&mut run, config.clone(), edges.clone(), &mut journal).await,
            }
        };
        // A run that never ends (a bug, or a hold that never clears) must not hang the
        // rehearsal: give up after a simulated month and say where it stood.
        let limit = std::time::Duration::from_secs_f64(LIMIT_DAYS * 86_400.0 / scale);
        let result = match tokio::time::timeout(limit, drive_all).await {
            Ok(result) => result,
            Err(_) => {
                let stop = run
                    .stop
                    .as_ref()
                    .map(|s| format!(" (stopping: {})", s.reason))
                    .unwrap_or_default();
                let holds: Vec<String> = run.holds.values().cloned().collect();
                return Err(format!(
                    "the rehearsal did not finish within {LIMIT_DAYS} simulated days: wave {} was in progress{stop}{}",
                    run.current_wave(),
                    if holds.is_empty() {
                        String::new()
                    } else {
                        format!("; held by {}", holds.join("; "))
                    }
                ));
            }
        };
        journal.crash_after = None;
        match result {
            Ok(()) if run.is_finished() => break,
            Ok(()) => {}
            Err(DriveError::Journal(AppendError::Crash(_))) => {
                // The orchestrator died: a new one rebuilds the run from the journal.
                crashes += 1;
                pending.remove(0);
                run = Run::replay(&journal.events, &config)?;
                let resumed = Event::Resumed {
                    at: clock.now(),
                    holder: "rehearsal (resumed)".into(),
                };
                journal.append(&resumed).map_err(|e| e.to_string())?;
                run.apply(&resumed, &config);
            }
            Err(e) => return Err(e.to_string()),
        }
        if crash.is_none() && !run.is_finished() {
            return Err("the rehearsal stopped before the run finished".into());
        }
    }
    let report = build(&run, &journal.events, &edges.finals(), true);
    Ok(Outcome {
        report,
        blockers,
        crashes,
        events: journal.events,
        changes: edges.changes(),
        annotations: edges.annotations(),
    })
}

/// Drives until the first event of a step (a crash there), by watching each appended event.
async fn drive_until_step(
    run: &mut Run,
    config: Arc<RolloutConfig>,
    edges: Arc<SimEdges>,
    journal: &mut Journal,
    step: &str,
    node: Option<&str>,
) -> Result<(), DriveError> {
    journal.crash_when = Some(Box::new({
        let step = step.to_owned();
        let node = node.map(str::to_owned);
        move |event: &Event| crate::journal::is_step(event, &step, node.as_deref())
    }));
    let result = drive(run, config, edges, journal).await;
    journal.crash_when = None;
    result
}
