//! `mcp-diag upgrade`: the dry run, the run (`--execute`), and `status`, `resume`, `abort`.
//!
//! The cluster is the source of truth (the Lease names the run and its holder, node
//! annotations say where each node stands); the journal in `--state-dir` keeps every step.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use mcp_diag_rollout::config::RolloutConfig;
use mcp_diag_rollout::core::Run;
use mcp_diag_rollout::driver::{DriveError, Edges, drive};
use mcp_diag_rollout::journal::{AppendError, Journal};
use mcp_diag_rollout::kube::{KubeEdges, LeaseError, lease, plan_store, read_run_nodes};
use mcp_diag_rollout::model::{Direction, Event, OpResult, RunPlan, Stage, format_time};
use mcp_diag_rollout::prepare::{Blocker, blockers, run_plan};
use mcp_diag_rollout::prom_gates::{GateCheck, PromGates, render_checks};
use mcp_diag_rollout::rebuild::{self, NodeMark};
use mcp_diag_rollout::report::{FinalNode, RunReport, build, render_table};

use super::hinted;
use super::plan::{Made, make};
use super::rehearse::{load_config, plan_args, preflight_text};
use crate::args::{AbortArgs, RunFormat, UpgradeAction, UpgradeArgs, UpgradeCommon};
use crate::exit::ExitStatus;

/// A test kills the process (as `kill -9` would) right after this journal line is on disk.
const CRASH_ENV: &str = "MCP_DIAG_CRASH_AT";

pub fn run(args: &UpgradeArgs) -> anyhow::Result<ExitStatus> {
    match &args.action {
        Some(UpgradeAction::Status(common)) => status(common),
        Some(UpgradeAction::Resume(common)) => resume(common, None),
        Some(UpgradeAction::Abort(abort)) => abort_run(abort),
        None => start(args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn state_dir(common: &UpgradeCommon) -> PathBuf {
    if let Some(dir) = &common.state_dir {
        return dir.clone();
    }
    if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("mcp-diag");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/state/mcp-diag")
}

fn journal_path(common: &UpgradeCommon, run_id: &str) -> PathBuf {
    state_dir(common).join(format!("{run_id}.jsonl"))
}

/// Who holds the Lease: user, host and process, so `status` tells a person who to ask.
fn holder() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}/{}", std::process::id())
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write to standard output");
    }
    Ok(())
}

fn connect(common: &UpgradeCommon, rt: &tokio::runtime::Runtime) -> anyhow::Result<(kube::Client, String)> {
    rt.block_on(mcp_diag_live::connect(
        common.kubeconfig.as_deref(),
        common.context.as_deref(),
    ))
    .map_err(|e| {
        hinted(
            e.to_string(),
            "check --kubeconfig and --context (`kubectl config get-contexts`)",
        )
    })
}

/// The dry run, and with `--execute` the run.
fn start(args: &UpgradeArgs) -> anyhow::Result<ExitStatus> {
    let common = &args.common;
    let Some(config_path) = &common.config else {
        return Err(hinted(
            "upgrade needs its config: the waves, the node action and its rollback, the gates",
            "write a starter with `mcp-diag init --upgrade > upgrade.yaml`, adapt it, then pass --config upgrade.yaml",
        ));
    };
    let config = load_config(Some(config_path))?;
    if args.execute {
        // A run in progress is named before the pre-flight: a cluster mid-upgrade (nodes
        // cordoned, pods pending after evictions) has findings of its own that would hide it.
        refuse_if_held(common, &config)?;
    }
    let mut plan_args = plan_args(
        &[],
        args.target_version.clone(),
        Some(config_path.clone()),
        &config,
        args.allow_unknown_target,
        common.today.clone(),
    );
    plan_args.live.kubeconfig = common.kubeconfig.clone();
    plan_args.live.context = common.context.clone();
    plan_args.live.no_progress = true;
    let Made { inventory, plan, .. } = make(&plan_args)?;
    let target = args
        .target_version
        .clone()
        .unwrap_or_else(|| plan.target_version.clone());
    let found = blockers(&plan, &args.accept);
    // The gates, once, before anything is touched.
    let checks = super::gates::check(&config.gates).map_err(|e| {
        hinted(
            e,
            "add a gates.prometheus section (docs/upgrade.md), or remove the rules",
        )
    })?;
    let gate_refusals: Vec<&GateCheck> = checks
        .iter()
        .filter(|c| c.effect != "go")
        .filter(|c| !args.accept.iter().any(|a| a == &format!("gate/{}", c.name)))
        .collect();
    let refused = found.iter().any(|b| !b.accepted) || !gate_refusals.is_empty();
    let run_id = format!(
        "{}-{}",
        sanitize(&plan.cluster),
        mcp_diag_model::time::format_timestamp(mcp_diag_model::time::now())
            .replace([':', '-'], "")
            .to_ascii_lowercase()
    );
    let rp = run_plan(&inventory, &plan, &target, &run_id);
    if !args.execute || refused {
        let text = dry_run_text(&rp, &config, &found, &checks, args.execute);
        match common.output {
            RunFormat::Json => print(&dry_run_json(&rp, &found, &checks)?)?,
            RunFormat::Table => print(&text)?,
        }
        if refused {
            if args.execute {
                eprintln!("mcp-diag: the run did not start: pre-flight found what is listed above");
            }
            return Ok(ExitStatus::Blockers);
        }
        return Ok(ExitStatus::Success);
    }
    let rt = runtime()?;
    let (client, _context) = connect(common, &rt)?;
    let me = holder();
    let ns = config.upgrade.lease_namespace.clone();
    rt.block_on(lease::acquire(
        &client,
        &ns,
        &me,
        &run_id,
        config.upgrade.lease_duration,
    ))
    .map_err(lease_hint)?;
    let mut journal = Journal::open(&journal_path(common, &run_id))
        .map_err(|e| hinted(e, "choose a writable --state-dir"))?;
    let run = Run::new(rp.clone(), mcp_diag_rollout::driver::now_ms(), &config);
    let started = Event::RunStarted {
        at: run.started_at,
        plan: rp.clone(),
        holder: me.clone(),
    };
    // The plan on the cluster too, before anything else: `resume` from another machine
    // rebuilds the run from it and the node annotations.
    if let Err(e) = rt.block_on(plan_store::save(&client, &ns, &rp, run.started_at)) {
        eprintln!(
            "mcp-diag: warning: the run's plan could not be saved on the cluster ({e}); resuming will need this machine's journal"
        );
    }
    // Set before the first line, so that MCP_DIAG_CRASH_AT=1 stops right after run-started.
    journal.crash_after = crash_at();
    append(&mut journal, &started)?;
    eprintln!(
        "mcp-diag: run {run_id} started; journal {}; `mcp-diag upgrade status` from any shell",
        journal
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    execute(run, journal, config, client, &me, common, &rt)
}

/// Drives a run to its end on the live cluster and prints its report.
fn execute(
    mut run: Run,
    mut journal: Journal,
    config: RolloutConfig,
    client: kube::Client,
    me: &str,
    common: &UpgradeCommon,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<ExitStatus> {
    if let Some(n) = crash_at() {
        journal.crash_after = Some(n);
    }
    let ns = config.upgrade.lease_namespace.clone();
    let mut edges = KubeEdges::new(client.clone(), &ns, me, config.upgrade.lease_duration);
    if let Some(prom) = &config.gates.prometheus {
        edges = edges.with_gates(Arc::new(
            PromGates::new(prom).map_err(|e| hinted(e, "fix gates.prometheus"))?,
        ));
    }
    if let Some(timing) = test_timing() {
        edges = edges.with_timing(timing);
    }
    let edges = Arc::new(edges);
    let config = Arc::new(config);
    let result = rt.block_on(drive(&mut run, config.clone(), edges.clone(), &mut journal));
    match result {
        Ok(()) => {}
        Err(DriveError::Journal(AppendError::Crash(_))) => {
            // A test's kill -9: no cleanup, no Lease release, exactly as a killed process.
            std::process::abort();
        }
        Err(e) => {
            return Err(hinted(
                e.to_string(),
                "run `mcp-diag upgrade status`; `mcp-diag upgrade resume` carries on from where it stopped",
            ));
        }
    }
    let _ = rt.block_on(lease::release(&client, &ns, me));
    let finals = rt.block_on(finals_of(&*edges));
    let report = build(&run, &journal.events, &finals, false);
    print_report(&report, common)?;
    Ok(status_of(&report))
}

/// `MCP_DIAG_POLL_MS`: tests shorten the edges' polls (default: kubectl's).
fn test_timing() -> Option<mcp_diag_rollout::kube::Timing> {
    let ms: u64 = std::env::var("MCP_DIAG_POLL_MS").ok()?.parse().ok()?;
    Some(mcp_diag_rollout::kube::Timing {
        poll: std::time::Duration::from_millis(ms),
        eviction_retry: std::time::Duration::from_millis(ms),
    })
}

async fn finals_of<E: Edges>(edges: &E) -> BTreeMap<String, FinalNode> {
    match edges.observe().await {
        Ok(view) => view
            .nodes
            .into_iter()
            .map(|(k, n)| {
                (
                    k,
                    FinalNode {
                        version: Some(n.version),
                        unschedulable: n.unschedulable,
                    },
                )
            })
            .collect(),
        Err(_) => BTreeMap::new(),
    }
}

fn print_report(report: &RunReport, common: &UpgradeCommon) -> anyhow::Result<()> {
    match common.output {
        RunFormat::Json => {
            let mut text = serde_json::to_string_pretty(report).context("the report serializes")?;
            text.push('\n');
            print(&text)
        }
        RunFormat::Table => print(&render_table(report, common.timeline)),
    }
}

fn status_of(report: &RunReport) -> ExitStatus {
    // A run that skipped nodes (`on_timeout: skip-node`) did what it was told, but the
    // cluster is not all upgraded: a pipeline must not read that as done.
    if report.complete() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    }
}

/// `MCP_DIAG_CRASH_AT`: the journal line after which a test's kill -9 happens.
fn crash_at() -> Option<usize> {
    std::env::var(CRASH_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
}

fn append(journal: &mut Journal, event: &Event) -> anyhow::Result<()> {
    match journal.append(event) {
        Ok(()) => Ok(()),
        // A test's kill -9 (MCP_DIAG_CRASH_AT), as in `execute`.
        Err(AppendError::Crash(_)) => std::process::abort(),
        Err(e) => Err(hinted(e.to_string(), "choose a writable --state-dir")),
    }
}

/// Err(Held) when another orchestrator renews the run's Lease.
fn refuse_if_held(common: &UpgradeCommon, config: &RolloutConfig) -> anyhow::Result<()> {
    let ns = &config.upgrade.lease_namespace;
    let rt = runtime()?;
    let (client, _) = connect(common, &rt)?;
    let Some(info) = rt.block_on(lease::read(&client, ns)).map_err(lease_hint)? else {
        return Ok(());
    };
    let now = mcp_diag_rollout::driver::now_ms();
    if info.holder.is_empty() || info.expired(now) {
        return Ok(());
    }
    Err(lease_hint(LeaseError::Held {
        namespace: ns.clone(),
        holder: info.holder,
        run_id: info.run_id,
        renewed_ago_ms: info
            .renewed
            .or(info.acquired)
            .map(|r| u64::try_from(now - r).unwrap_or(0)),
    }))
}

fn lease_hint(e: LeaseError) -> anyhow::Error {
    let hint = match &e {
        LeaseError::Held { .. } => {
            "`mcp-diag upgrade status` shows that run; `mcp-diag upgrade abort` stops it"
        }
        LeaseError::Missing { .. } => "start a run with `mcp-diag upgrade --execute`",
        LeaseError::Api { .. } => {
            "check the cluster and the identity's rights on leases (coordination.k8s.io)"
        }
    };
    hinted(e.to_string(), hint)
}

fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').chars().take(40).collect()
}

fn lease_namespace(common: &UpgradeCommon) -> anyhow::Result<(RolloutConfig, String)> {
    let config = load_config(common.config.as_deref())?;
    let ns = config.upgrade.lease_namespace.clone();
    Ok((config, ns))
}

/// `upgrade resume`: takes the run over (its holder stopped renewing) and carries it on.
fn resume(common: &UpgradeCommon, abort: Option<bool>) -> anyhow::Result<ExitStatus> {
    let (config, ns) = lease_namespace(common)?;
    if common.config.is_none() {
        return Err(hinted(
            "resume needs the run's config (its actions and gates)",
            "pass the same --config as the run",
        ));
    }
    let rt = runtime()?;
    let (client, _) = connect(common, &rt)?;
    let info = rt
        .block_on(lease::read(&client, &ns))
        .map_err(lease_hint)?
        .ok_or_else(|| {
            hinted(
                format!("no run holds this cluster (no Lease {ns}/mcp-diag-upgrade)"),
                "start one with `mcp-diag upgrade --execute`",
            )
        })?;
    let Some(run_id) = info.run_id.clone() else {
        return Err(hinted(
            "the Lease names no run",
            "start a run with `mcp-diag upgrade --execute`",
        ));
    };
    let path = journal_path(common, &run_id);
    // Without the journal (another machine), the run is rebuilt from the plan saved on the
    // cluster at the start and the nodes' step annotations.
    let saved = if path.exists() {
        None
    } else {
        let saved = rt
            .block_on(plan_store::load(&client, &ns, &run_id))
            .map_err(|e| hinted(e.to_string(), "check the cluster"))?;
        match saved {
            Some(saved) => Some(saved),
            None => {
                return Err(hinted(
                    format!(
                        "the journal of run {run_id} is not here ({}) and the cluster holds no saved plan for it",
                        path.display()
                    ),
                    "resume from the machine that started the run, or copy its journal into --state-dir",
                ));
            }
        }
    };
    let me = holder();
    rt.block_on(lease::acquire(
        &client,
        &ns,
        &me,
        &run_id,
        config.upgrade.lease_duration,
    ))
    .map_err(lease_hint)?;
    let mut journal = Journal::open(&path)
        .map_err(|e| hinted(e, "the journal is append-only: restore it from a backup"))?;
    if let Some((plan, started_at)) = saved {
        let now = mcp_diag_rollout::driver::now_ms();
        let nodes = rt
            .block_on(read_run_nodes(&client, &run_id))
            .map_err(|e| hinted(e.to_string(), "check the cluster"))?;
        let marks: Vec<NodeMark> = nodes
            .iter()
            .map(|n| NodeMark {
                name: n.name.clone(),
                step: n.step.clone(),
                kubelet_version: n.kubelet_version.clone(),
            })
            .collect();
        let api = rt
            .block_on(client.apiserver_version())
            .ok()
            .map(|v| v.git_version);
        let events = rebuild::from_cluster(&plan, &marks, api.as_deref(), now).map_err(|e| {
            hinted(
                format!("run {run_id} cannot be rebuilt from the cluster: {e}"),
                "resume from the machine that started the run, or copy its journal into --state-dir",
            )
        })?;
        append(
            &mut journal,
            &Event::RunStarted {
                at: started_at,
                plan,
                holder: "(rebuilt from the cluster)".into(),
            },
        )?;
        for event in &events {
            append(&mut journal, event)?;
        }
        eprintln!(
            "mcp-diag: the journal of run {run_id} was not here: rebuilt from the plan saved on the cluster and {} node annotation(s); soak time of the wave in progress starts again",
            marks.len()
        );
    }
    let mut run = Run::replay(&journal.events, &config)
        .map_err(|e| hinted(e, "the journal's first line must be run-started"))?;
    if run.is_finished() {
        let _ = rt.block_on(lease::release(&client, &ns, &me));
        let finals = rt.block_on(finals_of(&KubeEdges::new(
            client.clone(),
            &ns,
            &me,
            config.upgrade.lease_duration,
        )));
        let report = build(&run, &journal.events, &finals, false);
        print_report(&report, common)?;
        return Ok(status_of(&report));
    }
    let now = mcp_diag_rollout::driver::now_ms();
    // The cluster is the truth: a step it shows as done that the journal missed is taken.
    let nodes = rt
        .block_on(read_run_nodes(&client, &run_id))
        .map_err(|e| hinted(e.to_string(), "check the cluster"))?;
    for event in reconcile(&run, &nodes, now) {
        append(&mut journal, &event)?;
        run.apply(&event, &config);
    }
    let resumed = Event::Resumed {
        at: now,
        holder: me.clone(),
    };
    append(&mut journal, &resumed)?;
    run.apply(&resumed, &config);
    if let Some(rollback) = abort {
        let event = Event::AbortRequested { at: now, rollback };
        append(&mut journal, &event)?;
        run.apply(&event, &config);
    }
    eprintln!("mcp-diag: resuming run {run_id} as {me}");
    execute(run, journal, config, client, &me, common, &rt)
}

/// Events that bring the journal's view in line with the node annotations.
fn reconcile(run: &Run, nodes: &[mcp_diag_rollout::kube::RunNode], now: i64) -> Vec<Event> {
    let mut out = Vec::new();
    for node in nodes {
        let Some(n) = run.node(&node.name) else { continue };
        if n.end.is_some() {
            continue;
        }
        let done = match node.step.as_str() {
            "done" | "skipped" | "untouched" => Some(Direction::Upgrade),
            "rolled-back" => Some(Direction::Rollback),
            _ => None,
        };
        if let Some(direction) = done
            && n.direction == direction
        {
            out.push(Event::Reconciled {
                at: now,
                node: node.name.clone(),
                detail: format!("the node says {}; the journal had not recorded it", node.step),
            });
            out.push(Event::OpFinished {
                at: now,
                node: node.name.clone(),
                direction,
                stage: Stage::Uncordon,
                result: OpResult::Ok,
                detail: "from the node's annotation".into(),
            });
        }
    }
    out
}

/// `upgrade status`: the Lease, the nodes' annotations, and the journal's report when it is
/// on this machine.
fn status(common: &UpgradeCommon) -> anyhow::Result<ExitStatus> {
    let (config, ns) = lease_namespace(common)?;
    let rt = runtime()?;
    let (client, context) = connect(common, &rt)?;
    let info = rt.block_on(lease::read(&client, &ns)).map_err(lease_hint)?;
    let Some(info) = info.filter(|i| i.run_id.is_some()) else {
        print(&format!(
            "No upgrade run on {context} (no Lease {ns}/mcp-diag-upgrade).\n"
        ))?;
        return Ok(ExitStatus::Success);
    };
    let run_id = info.run_id.clone().unwrap_or_default();
    let now = mcp_diag_rollout::driver::now_ms();
    let holder_state = if info.holder.is_empty() {
        "released (the run is over)".to_owned()
    } else if info.expired(now) {
        format!(
            "{}, which stopped renewing: `mcp-diag upgrade resume` takes it over",
            info.holder
        )
    } else {
        format!("{} (renewing)", info.holder)
    };
    let path = journal_path(common, &run_id);
    if path.exists() {
        let journal = Journal::open(&path).map_err(|e| hinted(e, "the journal is append-only"))?;
        let run = Run::replay(&journal.events, &config).map_err(|e| hinted(e, "the journal is damaged"))?;
        let edges = KubeEdges::new(client.clone(), &ns, "status", config.upgrade.lease_duration);
        let finals = rt.block_on(finals_of(&edges));
        let report = build(&run, &journal.events, &finals, false);
        if common.output == RunFormat::Table {
            print(&format!(
                "Lease {ns}/mcp-diag-upgrade: run {run_id}, holder {holder_state}\n"
            ))?;
        }
        print_report(&report, common)?;
        return Ok(ExitStatus::Success);
    }
    let nodes = rt
        .block_on(read_run_nodes(&client, &run_id))
        .map_err(|e| hinted(e.to_string(), "check the cluster"))?;
    match common.output {
        RunFormat::Json => {
            let nodes: Vec<serde_json::Value> = nodes
                .iter()
                .map(|n| {
                    serde_json::json!({
                        "name": n.name, "step": n.step, "from_version": n.from_version,
                        "final_version": n.kubelet_version, "cordoned": n.unschedulable, "ready": n.ready,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "run_id": run_id, "holder": info.holder, "renewed_at": info.renewed.map(format_time),
                "outcome": if info.holder.is_empty() { "finished" } else { "running" },
                "journal": serde_json::Value::Null, "nodes": nodes,
            }))?;
            text.push('\n');
            print(&text)?;
        }
        RunFormat::Table => {
            let mut text = format!(
                "Run {run_id} on {context}: holder {holder_state}\n(the journal is not on this machine: {}; this is what the nodes say)\n",
                path.display()
            );
            for n in &nodes {
                text.push_str(&format!(
                    "  {:<24} {:<20} {} (was {}){}{}\n",
                    n.name,
                    n.step,
                    n.kubelet_version,
                    n.from_version.as_deref().unwrap_or("?"),
                    if n.ready { "" } else { ", NotReady" },
                    if n.unschedulable { ", cordoned" } else { "" }
                ));
            }
            print(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// `upgrade abort`: asks the holder to stop; when no holder renews any more, stops the run
/// here (uncordon, and roll back with --rollback).
fn abort_run(args: &AbortArgs) -> anyhow::Result<ExitStatus> {
    let common = &args.common;
    let (_config, ns) = lease_namespace(common)?;
    let rt = runtime()?;
    let (client, _) = connect(common, &rt)?;
    let info = rt
        .block_on(lease::request_abort(&client, &ns, args.rollback))
        .map_err(lease_hint)?;
    let now = mcp_diag_rollout::driver::now_ms();
    if !info.holder.is_empty() && !info.expired(now) {
        let what = if args.rollback {
            "stop and roll back"
        } else {
            "stop"
        };
        print(&format!(
            "Asked {} (run {}) to {what}: it does so at its next gate evaluation, after the nodes in flight. \
             Follow it with `mcp-diag upgrade status`.\n",
            info.holder,
            info.run_id.as_deref().unwrap_or("?")
        ))?;
        return Ok(ExitStatus::Success);
    }
    if info.holder.is_empty() {
        print("The run is over (the Lease was released); nothing to abort.\n")?;
        return Ok(ExitStatus::Success);
    }
    // Nobody renews: this process takes the run over to stop it.
    drop(rt);
    resume(common, Some(args.rollback))
}

fn dry_run_text(
    rp: &RunPlan,
    config: &RolloutConfig,
    found: &[Blocker],
    checks: &[GateCheck],
    execute: bool,
) -> String {
    let mut t = String::new();
    let header = if execute {
        "Upgrade (refused at pre-flight)"
    } else {
        "Upgrade dry run (nothing is changed; add --execute to run it)"
    };
    t.push_str(&format!("{header}: {} to {}\n\n", rp.cluster, rp.target));
    let pre = preflight_text(found).replace("(The rehearsal went on as if they were accepted.) ", "");
    if pre.is_empty() {
        t.push_str("Pre-flight: no blocker.\n\n");
    } else {
        t.push_str(&pre);
    }
    if !checks.is_empty() {
        t.push_str("Gates now:\n");
        for line in render_checks(checks).lines() {
            t.push_str(&format!("  {line}\n"));
        }
        t.push('\n');
    }
    let u = &config.upgrade;
    let words = |a: &mcp_diag_rollout::config::Action, node: &str, version: &str, from: &str| match &a.kind {
        mcp_diag_rollout::config::ActionKind::Exec { argv, shell } => {
            let cmd = argv
                .iter()
                .map(|w| mcp_diag_rollout::config::substitute(w, node, version, from))
                .collect::<Vec<_>>()
                .join(" ");
            if *shell { format!("sh -c '{cmd}'") } else { cmd }
        }
        mcp_diag_rollout::config::ActionKind::Job(j) => format!("a Job on the node, image {}", j.image),
        mcp_diag_rollout::config::ActionKind::Label { key, value } => {
            format!(
                "label {key}={}",
                mcp_diag_rollout::config::substitute(value, node, version, from)
            )
        }
    };
    if rp.control_plane_hops.is_empty() {
        t.push_str("Control plane: already at the target.\n");
    } else {
        let how = u.control_plane.action.as_ref().map_or_else(
            || "NO control_plane.action is configured: the run would stop here".to_owned(),
            |a| words(a, "", "{version}", ""),
        );
        t.push_str(&format!(
            "Control plane: {} (each hop: {how}; soak {})\n",
            rp.control_plane_hops.join(" → "),
            mcp_diag_rollout::report::human_duration(u.control_plane.soak)
        ));
    }
    for wave in 0..=rp.waves {
        let nodes: Vec<&str> = rp
            .nodes
            .iter()
            .filter(|n| n.wave == wave && n.skip.is_none())
            .map(|n| n.name.as_str())
            .collect();
        let skipped = rp
            .nodes
            .iter()
            .filter(|n| n.wave == wave && n.skip.is_some())
            .count();
        if nodes.is_empty() && skipped == 0 {
            continue;
        }
        let title = if wave == 0 {
            "control-plane nodes".to_owned()
        } else {
            format!("wave {wave}")
        };
        let shown: Vec<&str> = nodes.iter().take(8).copied().collect();
        let more = if nodes.len() > 8 {
            format!(" and {} more", nodes.len() - 8)
        } else {
            String::new()
        };
        let skip = if skipped > 0 {
            format!(" ({skipped} already at the target)")
        } else {
            String::new()
        };
        t.push_str(&format!("  {title}: {}{more}{skip}\n", shown.join(", ")));
    }
    if let Some(first) = rp.nodes.iter().find(|n| n.skip.is_none()) {
        t.push_str(&format!(
            "\nPer node, {} at a time: pre-checks → cordon → drain (timeout {}, then {}) → {} (timeout {}) → kubelet {} Ready within {} → uncordon\n",
            u.max_unavailable,
            mcp_diag_rollout::report::human_duration(u.drain.timeout),
            match u.drain.on_timeout { mcp_diag_rollout::config::OnDrainTimeout::Stop => "stop", mcp_diag_rollout::config::OnDrainTimeout::SkipNode => "skip the node" },
            words(&u.node_action, &first.name, &rp.target, &norm(&first.from_version)),
            mcp_diag_rollout::report::human_duration(u.node_action.timeout),
            rp.target_minor,
            mcp_diag_rollout::report::human_duration(u.verify.node_ready_timeout),
        ));
        match &u.rollback_action {
            Some(a) => t.push_str(&format!(
                "On a breach: rollback {} with {}\n",
                match u.rollback {
                    mcp_diag_rollout::config::RollbackPolicy::Wave => "of the wave",
                    mcp_diag_rollout::config::RollbackPolicy::All => "of every upgraded node",
                    mcp_diag_rollout::config::RollbackPolicy::None => "none (stop the line)",
                },
                words(
                    a,
                    &first.name,
                    &norm(&first.from_version),
                    &norm(&first.from_version)
                )
            )),
            None => t.push_str(
                "On a breach: stop the line (no rollback_action: node upgrades are irreversible)\n",
            ),
        }
        t.push_str(&format!(
            "Soak {} after each wave; gates every {}.\n",
            mcp_diag_rollout::report::human_duration(u.soak),
            mcp_diag_rollout::report::human_duration(config.gates.interval)
        ));
    }
    t
}

fn norm(version: &str) -> String {
    mcp_diag_rollout::prepare::normalize_version(version)
}

fn dry_run_json(rp: &RunPlan, found: &[Blocker], checks: &[GateCheck]) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "dry_run": true,
        "plan": rp,
        "preflight": { "blockers": found, "gates": checks },
    }))?;
    text.push('\n');
    Ok(text)
}
