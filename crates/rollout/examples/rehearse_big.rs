//! Times a `--speed 0` rehearsal of a generated cluster (for BENCHMARKS.md):
//! `cargo run --release -p mcp-diag-rollout --example rehearse_big -- 5000 30`.

use mcp_diag_model::{Date, Minor};
use mcp_diag_planner::PlanOptions;
use mcp_diag_rollout::config::{Action, ActionKind, GatesConfig, MINUTE, RolloutConfig, UpgradeConfig};
use mcp_diag_rollout::rehearse::{Rehearsal, rehearse};
use mcp_diag_rollout::sim::Timing;

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let pods: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let t = std::time::Instant::now();
    let inventory = mcp_diag_planner::testing::bench_inventory(nodes, pods, 1);
    let mut options = PlanOptions::new(Minor::new(1, 32));
    options.today = Date::parse("2026-12-01").unwrap();
    options.max_unavailable = 50;
    options.run_checks = false;
    let plan = mcp_diag_planner::plan(&inventory, &options).unwrap();
    let planned = t.elapsed();
    let mut upgrade = UpgradeConfig {
        max_unavailable: 50,
        ..UpgradeConfig::default()
    };
    upgrade.drain.on_timeout = mcp_diag_rollout::config::OnDrainTimeout::SkipNode;
    upgrade.control_plane.action = Some(Action {
        kind: ActionKind::Exec {
            argv: vec!["true".into()],
            shell: false,
        },
        timeout: 30 * MINUTE,
    });
    let t2 = std::time::Instant::now();
    let out = rehearse(Rehearsal {
        inventory: &inventory,
        plan: &plan,
        config: RolloutConfig {
            upgrade,
            gates: GatesConfig::default(),
        },
        target: "1.32".into(),
        faults: Vec::new(),
        speed: 0.0,
        accept: Vec::new(),
        timing: Timing::instant(),
        start: 1_790_000_000_000,
    })
    .unwrap();
    println!(
        "{}\n{nodes} nodes: generate+plan {:.2} s, rehearse {:.2} s, outcome {}, {} journal lines, simulated {:.1} h",
        out.report.reason,
        planned.as_secs_f64(),
        t2.elapsed().as_secs_f64(),
        out.report.outcome,
        out.events.len(),
        out.report.duration_seconds.unwrap_or(0.0) / 3600.0
    );
}
