//! Arguments of `mcp-diag graph`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::PlanLiveArgs;

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
