//! `mcp-diag rehearse`: the orchestrator against a simulated copy of a snapshot.

use std::io::Write;

use anyhow::Context as _;
use mcp_diag_model::time;
use mcp_diag_rollout::config::RolloutConfig;
use mcp_diag_rollout::prepare::Blocker;
use mcp_diag_rollout::rehearse::{Rehearsal, rehearse};
use mcp_diag_rollout::report::render_table;
use mcp_diag_rollout::sim::{Fault, Timing};

use super::hinted;
use super::plan::{Made, make};
use crate::args::{ColorChoice, PlanArgs, PlanFormat, PlanLiveArgs, RehearseArgs, RunFormat};
use crate::exit::ExitStatus;

pub fn run(args: &RehearseArgs) -> anyhow::Result<ExitStatus> {
    let config = load_config(args.config.as_deref())?;
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        return Err(hinted(
            format!("--speed {}: not a speed", args.speed),
            "use 0 (no waiting), 1 (real time) or 60 (a simulated minute per second)",
        ));
    }
    let faults = args
        .inject
        .iter()
        .map(|f| Fault::parse(f).map_err(|e| hinted(e, "see mcp-diag rehearse --help")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let made = make(&plan_args(
        &args.paths,
        args.target_version.clone(),
        args.config.clone(),
        &config,
        args.allow_unknown_target,
        args.today.clone(),
    ))?;
    let Made { inventory, plan, .. } = &made;
    let target = args
        .target_version
        .clone()
        .unwrap_or_else(|| plan.target_version.clone());
    let start = inventory
        .cluster
        .captured_at
        .as_deref()
        .and_then(time::parse_timestamp)
        .unwrap_or_else(time::now)
        * 1000;
    let outcome = rehearse(Rehearsal {
        inventory,
        plan,
        config,
        target,
        faults,
        speed: args.speed,
        accept: args.accept.clone(),
        timing: Timing::default(),
        start,
    })
    .map_err(|e| hinted(e, "check the --inject values and the config"))?;
    let refused: Vec<&Blocker> = outcome.blockers.iter().filter(|b| !b.accepted).collect();
    let text = match args.output {
        RunFormat::Json => {
            let mut value = serde_json::to_value(&outcome.report).context("the report serializes")?;
            value["preflight"] = serde_json::json!({
                "blockers": outcome.blockers,
                "would_start": refused.is_empty(),
            });
            value["crashes"] = serde_json::json!(outcome.crashes);
            let mut text = serde_json::to_string_pretty(&value).context("the report serializes")?;
            text.push('\n');
            text
        }
        RunFormat::Table => {
            let mut text = preflight_text(&outcome.blockers);
            text.push_str(&render_table(&outcome.report, args.timeline));
            if outcome.crashes > 0 {
                text.push_str(&format!(
                    "\nThe orchestrator was killed {} time(s) and resumed from its journal.\n",
                    outcome.crashes
                ));
            }
            text
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write the rehearsal to standard output");
    }
    Ok(if !refused.is_empty() {
        ExitStatus::Blockers
    } else if outcome.report.complete() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

/// What pre-flight says, first: the real run refuses to start while a blocker is not accepted.
pub fn preflight_text(blockers: &[Blocker]) -> String {
    let refused: Vec<&Blocker> = blockers.iter().filter(|b| !b.accepted).collect();
    if refused.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "Pre-flight: {} blocker(s) not accepted; `mcp-diag upgrade --execute` would not start.\n\
         (The rehearsal went on as if they were accepted.) Fix each, or name it with --accept:\n",
        refused.len()
    );
    for b in refused.iter().take(12) {
        let first = b.message.lines().next().unwrap_or_default();
        let short: String = first.chars().take(150).collect();
        let more = if short.len() < first.len() { "…" } else { "" };
        text.push_str(&format!("  --accept {}  # {short}{more}\n", b.id));
    }
    if refused.len() > 12 {
        text.push_str(&format!(
            "  ... and {} more (all of them in --output json)\n",
            refused.len() - 12
        ));
    }
    text.push('\n');
    text
}

/// The upgrade config: the file, or the defaults.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<RolloutConfig> {
    match path {
        None => Ok(RolloutConfig {
            upgrade: Default::default(),
            gates: Default::default(),
        }),
        Some(path) => mcp_diag_rollout::config_file::load(path).map_err(|e| {
            hinted(
                e.to_string().trim_end().to_owned(),
                "see docs/upgrade.md for the config; `mcp-diag init --upgrade` prints a starter",
            )
        }),
    }
}

/// The plan a run follows: the config's waves and maxUnavailable.
pub fn plan_args(
    paths: &[String],
    target_version: Option<String>,
    config_path: Option<std::path::PathBuf>,
    config: &RolloutConfig,
    allow_unknown_target: bool,
    today: Option<String>,
) -> PlanArgs {
    PlanArgs {
        paths: paths.to_vec(),
        target_version,
        waves: config
            .upgrade
            .waves
            .iter()
            .map(|w| format!("{w}%"))
            .collect::<Vec<_>>()
            .join(","),
        max_unavailable: u32::try_from(config.upgrade.max_unavailable).unwrap_or(u32::MAX),
        order: None,
        output: PlanFormat::Json,
        fail_on: None,
        allow_unknown_target,
        ignore_file: None,
        config: config_path,
        disable: Vec::new(),
        rules: None,
        color: ColorChoice::Never,
        today,
        live: PlanLiveArgs {
            timeout: "60s".into(),
            page_size: 500,
            ..PlanLiveArgs::default()
        },
    }
}
