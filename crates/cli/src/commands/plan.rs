//! `mcp-diag plan`: hops, waves and the drain simulation for one cluster.
//!
//! The input loading, target and date handling repeat a few lines of `scan.rs` (the lead
//! will share them); the planning itself is `mcp_diag_planner::plan`, pure.

use std::io::Write;

use anyhow::Context as _;
use mcp_diag_checks::{CheckOptions, UserRules};
use mcp_diag_model::{Date, Inventory, Minor, time};
use mcp_diag_planner::{Order, PlanOptions, parse_waves};

use super::{hinted, now_utc, parse_target, threshold, today_utc};
use crate::args::{LiveArgs, PlanArgs};
use crate::config::{Config, check_id};
use crate::exit::{ExitStatus, from_worst};

/// What a plan was made from, and the plan.
pub struct Made {
    pub config: Config,
    pub inventory: Inventory,
    pub plan: mcp_diag_planner::Plan,
}

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let Made {
        config,
        inventory,
        plan,
    } = make(args)?;
    let text = super::output::render_plan(&plan, args.output, args.color);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write the plan to standard output");
    }
    let threshold = threshold(args.fail_on, &config);
    // The process ends right after this; freeing a big inventory node by node only adds time.
    std::mem::forget(inventory);
    let status = from_worst(plan.worst(), threshold);
    // A plan made without part of its input is never "ready", whatever --fail-on says
    // (only --fail-on none, a report-only run, exits 0).
    if plan.is_incomplete() && status == ExitStatus::Success && threshold.is_some() {
        return Ok(ExitStatus::Findings);
    }
    Ok(status)
}

/// Reads the input and plans (shared with `upgrade` and `rehearse`).
pub fn make(args: &PlanArgs) -> anyhow::Result<Made> {
    let config = match &args.config {
        Some(path) => {
            Config::load(path).map_err(|e| hinted(e, "see docs/config.md for the settings file"))?
        }
        None => Config::default(),
    };
    let waves = parse_waves(&args.waves).map_err(|e| hinted(e, "for example: --waves 1%,10%,50%,100%"))?;
    let order = args
        .order
        .as_deref()
        .map(Order::parse)
        .transpose()
        .map_err(|e| hinted(e, "for example: --order node-a,node-b or --order zone=eu-1a"))?;
    let today = match &args.today {
        Some(text) => Date::parse(text).ok_or_else(|| {
            hinted(
                format!("--today: cannot read {text:?} as a date"),
                "write it as YYYY-MM-DD",
            )
        })?,
        None => today_utc(),
    };
    let rules = match args.rules.as_ref().or(config.rules.as_ref()) {
        Some(path) => UserRules::load(path)
            .map_err(|e| hinted(e.to_string(), "see docs/rules.md for the format of a rules file"))?,
        None => UserRules::default(),
    };
    let mut check_options = CheckOptions {
        disabled: config.disabled.clone(),
        severity: config.severity.clone(),
        ..CheckOptions::default()
    };
    for id in &args.disable {
        check_id(id)
            .map_err(|e| hinted(format!("--disable: {e}"), "mcp-diag explain lists the check ids"))?;
        check_options.disabled.insert(id.trim().to_ascii_lowercase());
    }
    // MCP_DIAG_TIMINGS=1 prints where the time went (for bench/ and BENCHMARKS.md).
    let timings = std::env::var_os("MCP_DIAG_TIMINGS").is_some_and(|v| v == "1");
    let started = std::time::Instant::now();
    let live = LiveArgs::from(&args.live);
    super::scan::refuse_unused_kubeconfig(&args.paths, &live)?;
    let inventory = super::inputs::load_inventory(&args.paths, &live)?;
    super::scan::refuse_empty(&inventory, &args.paths)?;
    // Without nodes there is nothing to drain: a plan would read "ready" about nothing.
    if !inventory.objects.iter().any(|o| o.kind == "Node") {
        // Nodes that could not be read are not "no nodes": say why, and what to change.
        if let mcp_diag_model::Known::Incomplete(read) = inventory.coverage.of("", "Node") {
            let reason = read.reason.map_or("incomplete", mcp_diag_model::ReadGap::as_str);
            return Err(hinted(
                format!(
                    "{}: the Nodes could not be read ({reason}: {}), so there are no waves to plan",
                    inventory.source, read.detail
                ),
                match read.reason {
                    Some(mcp_diag_model::ReadGap::Denied) => {
                        "grant list on nodes (deploy/mcp-diag-readonly-clusterrole.yaml) to this identity, then plan again"
                    }
                    Some(mcp_diag_model::ReadGap::Unauthorized) => {
                        "log in again (the credentials were rejected), then plan again"
                    }
                    _ => {
                        "plan again when the API server answers; a slow one may need a longer --timeout or --list-timeout"
                    }
                },
            ));
        }
        return Err(hinted(
            format!(
                "{}: no Node objects in the input, so there are no waves to plan and no drain to simulate",
                inventory.source
            ),
            "plan a snapshot (mcp-diag snapshot --output DIR, or kubectl get nodes,pods,... -A -o yaml; see docs/snapshot.md) or the live cluster; for the API and version checks alone, use mcp-diag scan",
        ));
    }
    if timings {
        eprintln!("timing: read {:.2} s", started.elapsed().as_secs_f64());
    }
    check_options.now = inventory
        .cluster
        .captured_at
        .as_deref()
        .and_then(time::parse_timestamp)
        .unwrap_or_else(now_utc);
    let target = target(
        &inventory,
        args.target_version
            .as_deref()
            .or(config.target_version.as_deref()),
        args.allow_unknown_target,
    )?;
    let options = PlanOptions {
        target,
        waves,
        max_unavailable: args.max_unavailable as usize,
        order,
        run_checks: true,
        today,
        rules: rules.rules,
        check_options,
        ignores: super::scan::load_ignores(args.ignore_file.as_deref())?,
    };
    let mut plan = mcp_diag_planner::plan(&inventory, &options).map_err(|e| {
        hinted(
            format!("{}: {e}", inventory.cluster.name),
            "choose a target at or after the cluster's version",
        )
    })?;
    // Services in scope: one note with the order to upgrade them in (providers first).
    let declared = super::inputs::declared(args.config.as_deref())?;
    let graph = mcp_diag_services::Graph::build(&inventory, &declared);
    if let Some(order) = mcp_diag_services::render::order_line(&graph) {
        plan.notes
            .push(format!("service upgrade order (providers first): {order}"));
    }
    if timings {
        eprintln!(
            "timing: read and planned {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Made {
        config,
        inventory,
        plan,
    })
}

fn target(inventory: &Inventory, flag: Option<&str>, allow_unknown: bool) -> anyhow::Result<Minor> {
    if let Some(text) = flag {
        return parse_target(text, allow_unknown);
    }
    match &inventory.cluster.server_version {
        Some(v) => Ok(v.minor().next()),
        None => Err(hinted(
            format!(
                "{}: the cluster's version is not known, so the target cannot be defaulted",
                inventory.source
            ),
            "add --target-version, for example: mcp-diag plan --target-version 1.32 DIR",
        )),
    }
}
