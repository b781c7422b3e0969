//! Rehearsals of the demo cluster: the whole run on the simulated cluster and clock.

use std::path::Path;

use mcp_diag_model::{Date, Minor};
use mcp_diag_planner::PlanOptions;
use mcp_diag_rollout::config::{
    Action, ActionKind, ControlPlaneConfig, GatesConfig, MINUTE, OnDrainTimeout, RolloutConfig, UpgradeConfig,
};
use mcp_diag_rollout::rehearse::{Rehearsal, rehearse};
use mcp_diag_rollout::sim::{Fault, Timing};

fn demo() -> mcp_diag_model::Inventory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cluster");
    mcp_diag_sources::read_snapshot(&dir).expect("the demo snapshot reads")
}

fn config() -> RolloutConfig {
    let mut upgrade = UpgradeConfig::default();
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
    upgrade.drain.on_timeout = OnDrainTimeout::SkipNode;
    RolloutConfig {
        upgrade,
        gates: GatesConfig::default(),
    }
}

fn run(faults: &[&str], config: RolloutConfig) -> mcp_diag_rollout::rehearse::Outcome {
    rehearse_of(&demo(), faults, config)
}

/// 40 nodes at 1.31 in 3 zones and 4 pools, budgets over most workloads.
fn clean() -> mcp_diag_model::Inventory {
    mcp_diag_planner::testing::bench_inventory(40, 8, 7)
}

fn rehearse_of(
    inventory: &mcp_diag_model::Inventory,
    faults: &[&str],
    config: RolloutConfig,
) -> mcp_diag_rollout::rehearse::Outcome {
    let inventory = inventory.clone();
    let mut options = PlanOptions::new(Minor::new(1, 32));
    options.today = Date::parse("2026-12-01").unwrap();
    let plan = mcp_diag_planner::plan(&inventory, &options).unwrap();
    rehearse(Rehearsal {
        inventory: &inventory,
        plan: &plan,
        config,
        target: "1.32".into(),
        faults: faults.iter().map(|f| Fault::parse(f).unwrap()).collect(),
        speed: 0.0,
        accept: Vec::new(),
        timing: Timing::default(),
        start: 1_790_000_000_000,
    })
    .unwrap()
}

#[test]
fn a_clean_rehearsal_upgrades_every_drainable_node() {
    let out = run(&[], config());
    let r = &out.report;
    let text = mcp_diag_rollout::report::render_table(r, 400);
    println!("{text}");
    assert_eq!(r.outcome, "succeeded", "{text}");
    assert!(r.nodes.iter().all(|n| !n.cordoned), "{text}");
    // The node annotations say what happened: a node given up on is not `done`.
    let step = |node: &str| out.annotations[node].get("upgrade.mcp-diag.io/step").cloned();
    assert_eq!(step("worker-b1").as_deref(), Some("skipped"), "{text}");
    assert_eq!(step("worker-b2").as_deref(), Some("done"), "{text}");
}

#[test]
fn errors_in_wave_2_roll_the_wave_back() {
    let out = rehearse_of(&clean(), &["errors=8%@wave2"], config());
    let r = &out.report;
    let text = mcp_diag_rollout::report::render_table(r, 400);
    println!("{text}");
    assert_eq!(r.outcome, "rolled-back", "{text}");
    assert!(
        r.gates
            .iter()
            .any(|g| g.name == "error-rate" && g.fired_at.is_some()),
        "{text}"
    );
    assert!(r.nodes.iter().all(|n| !n.cordoned), "{text}");
}

#[test]
fn the_rollback_policy_decides_what_goes_back() {
    let with = |policy: mcp_diag_rollout::config::RollbackPolicy| {
        let mut c = config();
        c.upgrade.rollback = policy;
        rehearse_of(&clean(), &["errors=8%@wave2"], c).report
    };
    let state = |r: &mcp_diag_rollout::report::RunReport, wave: usize| -> Vec<String> {
        r.nodes
            .iter()
            .filter(|n| n.wave == wave && n.state != "untouched")
            .map(|n| n.state.clone())
            .collect()
    };
    use mcp_diag_rollout::config::RollbackPolicy;
    let wave = with(RollbackPolicy::Wave);
    assert_eq!(wave.outcome, "rolled-back");
    assert!(
        state(&wave, 1).iter().all(|s| s == "upgraded"),
        "{:?}",
        state(&wave, 1)
    );
    assert!(!state(&wave, 2).is_empty() && state(&wave, 2).iter().all(|s| s == "rolled-back"));
    let all = with(RollbackPolicy::All);
    assert_eq!(all.outcome, "rolled-back");
    assert!(
        state(&all, 0)
            .iter()
            .chain(&state(&all, 1))
            .chain(&state(&all, 2))
            .all(|s| s == "rolled-back")
    );
    let none = with(RollbackPolicy::None);
    assert_eq!(none.outcome, "stopped");
    assert!(none.rollback.started_at.is_none());
    assert!(
        state(&none, 2).iter().all(|s| s == "upgraded"),
        "{:?}",
        state(&none, 2)
    );
    assert!(none.reason.contains("rollback: none"), "{}", none.reason);
    for r in [&wave, &all, &none] {
        assert!(r.nodes.iter().all(|n| !n.cordoned));
    }
}
