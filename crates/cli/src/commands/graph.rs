//! `mcp-diag graph`: the service dependency graph of a cluster, snapshot or manifests, as
//! Mermaid, Graphviz dot, JSON or a table; `--order` gives the service upgrade order.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use mcp_diag_services::{Declared, Graph, render};

use super::{did_you_mean, hinted};
use crate::args::{LiveArgs, PlanLiveArgs};
use crate::exit::ExitStatus;

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A snapshot directory or manifests; without it, the live cluster of the current
    /// kubeconfig context
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = GraphFormat::Table)]
    pub output: GraphFormat,

    /// Cut the graph to this service (NS/NAME: a Service or workload) and what it depends on
    #[arg(long, value_name = "NS/NAME")]
    pub target_service: Option<String>,

    /// With --target-service: its direct dependencies, or the whole closure
    #[arg(long, value_enum, default_value_t = Depth::All)]
    pub dependency: Depth,

    /// Print the service upgrade order (providers before consumers) instead of the graph
    #[arg(long)]
    pub order: bool,

    /// Config file whose `services:` section declares versions, APIs and dependencies
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub live: PlanLiveArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Table,
    Mermaid,
    Dot,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Depth {
    Direct,
    All,
}

/// The `services:` section of a config file (empty without one).
pub fn declared(config: Option<&std::path::Path>) -> anyhow::Result<Declared> {
    match config {
        None => Ok(Declared::default()),
        Some(path) => mcp_diag_services::declared::load(path).map_err(|errors| {
            hinted(
                errors.join("\n"),
                "fix the services: section (see docs/services.md for its keys)",
            )
        }),
    }
}

pub fn run(args: &GraphArgs) -> anyhow::Result<ExitStatus> {
    let declared = declared(args.config.as_deref())?;
    let live = LiveArgs::from(&args.live);
    super::scan::refuse_unused_kubeconfig(&args.paths, &live)?;
    let inventory = super::plan::load_inventory(&args.paths, &live)?;
    super::scan::refuse_empty(&inventory, &args.paths)?;
    let mut graph = Graph::build(&inventory, &declared);
    if let Some(target) = &args.target_service {
        let (ns, name) = target.split_once('/').ok_or_else(|| {
            hinted(
                format!("--target-service {target}: expected NS/NAME"),
                "for example --target-service shop/user-auth",
            )
        })?;
        let Some(id) = graph.find(ns, name) else {
            let names = graph.names();
            let hint = did_you_mean(target, names.iter().map(String::as_str))
                .unwrap_or_else(|| "mcp-diag graph PATH lists the services it found".to_owned());
            return Err(hinted(
                format!(
                    "--target-service {target}: no Service or workload of that name in {}",
                    inventory.source
                ),
                hint,
            ));
        };
        let keep = graph.closure(id, args.dependency == Depth::All);
        graph = graph.restrict(&keep);
    }
    let text = if args.order {
        match args.output {
            GraphFormat::Json => {
                let order: Vec<Vec<String>> = graph
                    .upgrade_order()
                    .iter()
                    .map(|step| step.iter().map(|id| graph.node(*id).display_name()).collect())
                    .collect();
                let doc = serde_json::json!({"schema_version": render::SCHEMA_VERSION, "order": order});
                format!("{}\n", serde_json::to_string_pretty(&doc)?)
            }
            _ => render::order_text(&graph),
        }
    } else {
        match args.output {
            GraphFormat::Table => render::table(&graph),
            GraphFormat::Mermaid => render::mermaid(&graph),
            GraphFormat::Dot => render::dot(&graph),
            GraphFormat::Json => format!("{}\n", serde_json::to_string_pretty(&render::json(&graph))?),
        }
    };
    // Problems go to standard error, so the graph on standard output stays parseable
    // (JSON carries them in `problems` as well).
    for problem in &graph.problems {
        eprintln!("warning: {problem}");
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write the graph to standard output");
    }
    std::mem::forget(inventory);
    Ok(ExitStatus::Success)
}
