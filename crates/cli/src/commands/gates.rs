//! `mcp-diag gates check`: the upgrade config's PromQL gates, evaluated once.

use std::io::Write;

use anyhow::Context as _;
use mcp_diag_rollout::driver::GateSource;
use mcp_diag_rollout::prom_gates::{GateCheck, PromGates, judge, render_checks};

use super::hinted;
use super::rehearse::load_config;
use crate::args::{GatesAction, GatesArgs, RunFormat};
use crate::exit::ExitStatus;

pub fn run(args: &GatesArgs) -> anyhow::Result<ExitStatus> {
    let GatesAction::Check(args) = &args.action;
    let config = load_config(Some(&args.config))?;
    let checks = check(&config.gates)
        .map_err(|e| hinted(e, "add a `gates.prometheus` section (see docs/upgrade.md)"))?;
    let text = match args.output {
        RunFormat::Json => {
            let mut t = serde_json::to_string_pretty(&serde_json::json!({ "gates": checks }))
                .context("the checks serialize")?;
            t.push('\n');
            t
        }
        RunFormat::Table => {
            let mut t = render_checks(&checks);
            if config.gates.nodes_lost.is_some() || config.gates.pods_unschedulable.is_some() {
                t.push_str("(nodes-lost and pods-unschedulable count from the start of a run: `upgrade` watches them)\n");
            }
            t
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write to standard output");
    }
    Ok(if checks.iter().all(|c| c.effect == "go") {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

/// Every PromQL gate once, judged as a run would judge it now.
pub fn check(gates: &mcp_diag_rollout::config::GatesConfig) -> Result<Vec<GateCheck>, String> {
    if gates.rules.is_empty() {
        return Ok(Vec::new());
    }
    let Some(prom) = &gates.prometheus else {
        return Err("the config has gate rules but no gates.prometheus to query them".into());
    };
    let source = PromGates::new(prom)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let readings = runtime.block_on(source.query(&gates.rules));
    Ok(gates
        .rules
        .iter()
        .zip(readings)
        .map(|(rule, (_, reading))| judge(rule, &reading))
        .collect())
}
