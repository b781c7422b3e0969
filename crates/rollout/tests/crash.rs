//! Killed at every journal step, resumed: the run ends as the uninterrupted one did.

use mcp_diag_model::{Date, Minor};
use mcp_diag_planner::PlanOptions;
use mcp_diag_rollout::config::{
    Action, ActionKind, ControlPlaneConfig, GatesConfig, MINUTE, RolloutConfig, UpgradeConfig,
};
use mcp_diag_rollout::rehearse::{Outcome, Rehearsal, rehearse};
use mcp_diag_rollout::sim::{Fault, Timing};

fn config() -> RolloutConfig {
    let mut upgrade = UpgradeConfig::default();
    upgrade.waves = vec![20, 50, 100];
    upgrade.max_unavailable = 2;
    upgrade.control_plane = ControlPlaneConfig {
        action: Some(Action {
            kind: ActionKind::Exec {
                argv: vec!["true".into()],
                shell: false,
            },
            timeout: 30 * MINUTE,
        }),
        ..upgrade.control_plane
    };
    RolloutConfig {
        upgrade,
        gates: GatesConfig::default(),
    }
}

fn rehearse_with(faults: &[String]) -> Outcome {
    // Six nodes at 1.31, no budget that blocks a drain.
    let inventory = mcp_diag_planner::testing::bench_inventory(6, 3, 11);
    let mut options = PlanOptions::new(Minor::new(1, 32));
    options.today = Date::parse("2026-12-01").unwrap();
    options.waves = vec![20, 50, 100];
    options.max_unavailable = 2;
    let plan = mcp_diag_planner::plan(&inventory, &options).unwrap();
    rehearse(Rehearsal {
        inventory: &inventory,
        plan: &plan,
        config: config(),
        target: "1.32".into(),
        faults: faults.iter().map(|f| Fault::parse(f).unwrap()).collect(),
        speed: 0.0,
        accept: Vec::new(),
        timing: Timing::default(),
        start: 1_790_000_000_000,
    })
    .unwrap()
}

/// A node's name, state, final version, cordon and step annotation.
type NodeEnd = (String, String, Option<String>, bool, Option<String>);

/// What must not depend on where the orchestrator died.
fn end_state(o: &Outcome) -> Vec<NodeEnd> {
    o.report
        .nodes
        .iter()
        .map(|n| {
            let step = o
                .annotations
                .get(&n.name)
                .and_then(|a| a.get("upgrade.mcp-diag.io/step"))
                .cloned();
            (
                n.name.clone(),
                n.state.clone(),
                n.final_version.clone(),
                n.cordoned,
                step,
            )
        })
        .collect()
}

fn every_crash_point(extra: &[&str]) {
    let base: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    let clean = rehearse_with(&base);
    let lines = clean.events.len();
    assert!(
        lines > 20,
        "a run of {lines} journal lines is too small to prove much"
    );
    for (node, n) in &clean.changes {
        assert!(*n <= 2, "{node} changed {n} times in the uninterrupted run");
    }
    for k in 2..=lines {
        let mut faults = base.clone();
        faults.push(format!("crash@{k}"));
        let crashed = rehearse_with(&faults);
        assert_eq!(crashed.crashes, 1, "crash@{k} did not crash");
        assert_eq!(crashed.report.outcome, clean.report.outcome, "crash@{k}");
        assert_eq!(
            end_state(&crashed),
            end_state(&clean),
            "crash@{k}: the end state differs"
        );
        assert_eq!(
            crashed.changes, clean.changes,
            "crash@{k}: a node was upgraded or rolled back twice, or not at all"
        );
    }
}

#[test]
fn a_clean_run_killed_at_every_step_ends_the_same() {
    let clean = rehearse_with(&[]);
    assert_eq!(
        clean.report.outcome,
        "succeeded",
        "{}",
        mcp_diag_rollout::report::render_table(&clean.report, 200)
    );
    every_crash_point(&[]);
}

#[test]
fn a_rollback_killed_at_every_step_ends_the_same() {
    let faulty = rehearse_with(&["errors=9%@wave2".to_owned()]);
    assert_eq!(
        faulty.report.outcome,
        "rolled-back",
        "{}",
        mcp_diag_rollout::report::render_table(&faulty.report, 200)
    );
    every_crash_point(&["errors=9%@wave2"]);
}
