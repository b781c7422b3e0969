//! `mcp-diag graph`: the service dependency graph of a cluster, snapshot or manifests, as
//! Mermaid, Graphviz dot, JSON or a table; `--order` gives the service upgrade order.

use std::io::Write;

use anyhow::Context as _;
use mcp_diag_services::{Graph, render};

use super::{did_you_mean, hinted};
use crate::args::{Depth, GraphArgs, GraphFormat, LiveArgs};
use crate::exit::ExitStatus;

pub fn run(args: &GraphArgs) -> anyhow::Result<ExitStatus> {
    let declared = super::inputs::declared(args.config.as_deref())?;
    let live = LiveArgs::from(&args.live);
    super::scan::refuse_unused_kubeconfig(&args.paths, &live)?;
    let inventory = super::inputs::load_inventory(&args.paths, &live)?;
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
