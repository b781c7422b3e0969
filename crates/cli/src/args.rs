//! Command-line arguments (clap derive only; no logic).

use clap::{Args, Parser, Subcommand, ValueEnum};

mod graph;
mod probe;

pub use graph::{Depth, GraphArgs, GraphFormat};
pub use probe::{ProbeArgs, ProbeFormat};

#[derive(Debug, Parser)]
#[command(
    name = "mcp-diag",
    version,
    about = "Make Kubernetes upgrades boring: find what will break before you upgrade",
    after_help = "Exit status: 0 nothing at or above --fail-on; 2 findings at or above --fail-on; \
                  3 at least one blocker; 1 the tool could not do its job."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a commented starter config (`--upgrade`: waves, node actions, rollback, gates)
    Init(InitArgs),
    /// Report what will break when upgrading: removed APIs and more
    Scan(ScanArgs),
    /// Print the documentation of a check (or list every check)
    Explain(ExplainArgs),
    /// Print what the tool knows: its knowledge tables, each row with its source
    Data(DataArgs),
    /// Capture a live cluster into a snapshot directory, for offline scans and support
    Snapshot(SnapshotArgs),
    /// Plan the upgrade: control-plane hops, node waves and a drain simulation
    Plan(PlanArgs),
    /// The service dependency graph (mermaid, dot, json, table) and the service upgrade order
    Graph(GraphArgs),
    /// Serve a snapshot as a live Kubernetes API server on a loopback port (tests, rehearsals)
    Emulate(EmulateArgs),
    /// Run the whole upgrade against a simulated copy of a snapshot, with injected faults
    Rehearse(RehearseArgs),
    /// Carry out the upgrade in guarded waves (a dry run without --execute); status, resume, abort
    Upgrade(UpgradeArgs),
    /// Evaluate the upgrade config's metric gates once (a pipeline step before an upgrade)
    Gates(GatesArgs),
    /// Probe services (HTTP, TCP, DNS, gRPC health, Redis, Postgres) against latency limits
    Probe(ProbeArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from these definitions
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Manifest files, directories (searched recursively), `-` for standard input, or a
    /// snapshot directory (one holding cluster.yaml). Without a path, the live cluster of the
    /// current kubeconfig context is scanned (or those named by --context / --all-contexts).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// The Kubernetes release to upgrade to, such as 1.32 (default for snapshots: the next
    /// minor after the cluster's version)
    #[arg(long, short = 't', value_name = "VERSION")]
    pub target_version: Option<String>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = ScanFormat::Table)]
    pub output: ScanFormat,

    /// Exit with status 2 when findings at or above this severity exist (a blocker always
    /// gives 3; `none` reports without failing) [default: high]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Print only findings at or above this severity (the exit status and the summary still
    /// count every finding; JSON, SARIF and JUnit keep them all)
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_severity: Option<Level>,

    /// Only objects in this namespace (repeatable); cluster-scoped objects are kept
    #[arg(long, short = 'n', value_name = "NAME")]
    pub namespace: Vec<String>,

    /// Findings to ignore, with a reason and an expiry: a YAML list of {check, object, reason,
    /// until} (see README, "Ignoring findings"); ignored findings are listed as suppressed
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<std::path::PathBuf>,

    /// Accept a target release more than one minor beyond what this version knows (its API
    /// removals are then unknown)
    #[arg(long)]
    pub allow_unknown_target: bool,

    /// Settings file (YAML): fail_on, backup_max_age, rules, desired, and per check
    /// `enabled`/`severity` (see docs/config.md); flags win over it
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Do not run a check (repeatable)
    #[arg(long, value_name = "ID")]
    pub disable: Vec<String>,

    /// Override a check's severity, ID=LEVEL (repeatable)
    #[arg(long, value_name = "ID=LEVEL")]
    pub severity: Vec<String>,

    /// The newest completed backup must be younger than this (e.g. 24h, 7d)
    #[arg(long, value_name = "DURATION")]
    pub backup_max_age: Option<String>,

    /// Declared manifests (the Git state) to compare the cluster with (drift-desired)
    #[arg(long, value_name = "DIR")]
    pub desired: Option<std::path::PathBuf>,

    /// When to colour the table (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// One line per finding, grouped by check with counts (table output only)
    #[arg(long)]
    pub compact: bool,

    /// Organisation rules: a YAML file of risky component/Kubernetes combinations
    /// (see docs/rules.md)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<std::path::PathBuf>,

    /// The date to judge end-of-life against, YYYY-MM-DD (default: today, UTC)
    #[arg(long, value_name = "DATE", env = "MCP_DIAG_TODAY", hide_env_values = true)]
    pub today: Option<String>,

    /// Only this service (NS/NAME, a Service or a workload), its dependencies and the objects
    /// they run on (cluster-wide findings stay); prints the dependency table after the
    /// findings (JSON: `services` per cluster)
    #[arg(long, value_name = "NS/NAME")]
    pub target_service: Option<String>,

    /// With --target-service: its direct dependencies, or all (the whole closure)
    #[arg(
        long,
        value_name = "WHICH",
        value_parser = ["direct", "all"],
        default_value = "direct",
        requires = "target_service"
    )]
    pub dependency: String,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// `scan --output`: `data` keeps the plain [`OutputFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Tables for a terminal
    Table,
    /// The JSON report (the contract other tools read)
    Json,
    /// SARIF 2.1.0 for GitHub code scanning
    Sarif,
    /// JUnit XML for CI test reports; findings at or above --fail-on fail
    Junit,
    /// Markdown for a pull-request comment
    Markdown,
    /// One self-contained HTML page with filters
    Html,
    /// CSV, one row per finding
    Csv,
}

/// `rehearse --output` and `upgrade --output`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// A summary and the timeline, for a terminal
    #[default]
    Table,
    /// The run report (docs/upgrade.md describes every field)
    Json,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// A snapshot directory (or manifests) to rehearse the upgrade of
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    /// The Kubernetes release to upgrade to, such as 1.32 or 1.32.4 (default: the config's
    /// target_version, else the next minor after the cluster's version)
    #[arg(long, short = 't', value_name = "VERSION")]
    pub target_version: Option<String>,

    /// The upgrade config (`mcp-diag init --upgrade` writes a starter); without it, the
    /// defaults of docs/upgrade.md
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// A fault to inject (repeatable): errors=P%@waveN, latency=2s@waveN, node-hang=NODE,
    /// node-fail=NODE, node-never-ready=NODE, node-wrong-version=NODE, drain-stuck=NODE,
    /// metrics-down@waveN, crash@N or crash@STEP[:NODE]
    #[arg(long = "inject", value_name = "FAULT")]
    pub inject: Vec<String>,

    /// Simulated seconds per real second (60: a minute a second); 0 runs without waiting
    #[arg(long, value_name = "N", default_value_t = 0.0)]
    pub speed: f64,

    /// A pre-flight blocker to accept, as CHECK or CHECK/OBJECT (repeatable); the rehearsal
    /// goes on past the others too, but says that the real run would not start
    #[arg(long, value_name = "CHECK[/OBJECT]")]
    pub accept: Vec<String>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = RunFormat::Table)]
    pub output: RunFormat,

    /// Timeline lines in the table (the JSON has them all)
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub timeline: usize,

    /// Accept a target release more than one minor beyond what this version knows
    #[arg(long)]
    pub allow_unknown_target: bool,

    /// The date to judge end-of-life against, YYYY-MM-DD (default: today, UTC)
    #[arg(long, value_name = "DATE", env = "MCP_DIAG_TODAY", hide_env_values = true)]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct UpgradeArgs {
    #[command(subcommand)]
    pub action: Option<UpgradeAction>,

    /// The Kubernetes release to upgrade to, such as 1.32 or 1.32.4 (default: the config's
    /// target_version)
    #[arg(long, short = 't', value_name = "VERSION")]
    pub target_version: Option<String>,

    /// Carry the upgrade out; without it, a dry run that changes nothing
    #[arg(long)]
    pub execute: bool,

    /// A pre-flight blocker to accept, as CHECK or CHECK/OBJECT (repeatable); a gate that
    /// does not pass at pre-flight is accepted as gate/NAME
    #[arg(long, value_name = "CHECK[/OBJECT]")]
    pub accept: Vec<String>,

    /// Accept a target release more than one minor beyond what this version knows
    #[arg(long)]
    pub allow_unknown_target: bool,

    #[command(flatten)]
    pub common: UpgradeCommon,
}

#[derive(Debug, Subcommand)]
pub enum UpgradeAction {
    /// Where a run stands, read from the cluster (the Lease and the node annotations) and the
    /// local journal when there is one
    Status(UpgradeCommon),
    /// Carry on a run that stopped (a crash, a kill, a lost laptop) where it stood
    Resume(UpgradeCommon),
    /// Stop the run after the nodes in flight and uncordon; --rollback also rolls back
    Abort(AbortArgs),
}

#[derive(Debug, Args)]
pub struct AbortArgs {
    /// Roll back every node the run upgraded
    #[arg(long)]
    pub rollback: bool,

    #[command(flatten)]
    pub common: UpgradeCommon,
}

/// What every `upgrade` form takes.
#[derive(Clone, Debug, Default, Args)]
pub struct UpgradeCommon {
    /// The upgrade config (`mcp-diag init --upgrade` writes a starter)
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// The kubeconfig file [default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context of the cluster (default: the current context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Where the run's journal is kept (one fsync'd JSON line per step) [default:
    /// $XDG_STATE_HOME/mcp-diag, else ~/.local/state/mcp-diag]
    #[arg(long, value_name = "DIR", env = "MCP_DIAG_STATE_DIR")]
    pub state_dir: Option<std::path::PathBuf>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = RunFormat::Table)]
    pub output: RunFormat,

    /// Timeline lines in the table (the JSON has them all)
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub timeline: usize,

    /// The date to judge end-of-life against, YYYY-MM-DD (default: today, UTC)
    #[arg(long, value_name = "DATE", env = "MCP_DIAG_TODAY", hide_env_values = true)]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct GatesArgs {
    #[command(subcommand)]
    pub action: GatesAction,
}

#[derive(Debug, Subcommand)]
pub enum GatesAction {
    /// Query every PromQL gate once and print its values and what a run would do now
    Check(GatesCheckArgs),
}

#[derive(Debug, Args)]
pub struct GatesCheckArgs {
    /// The upgrade config with the `gates:` section
    #[arg(long, value_name = "FILE", required = true)]
    pub config: std::path::PathBuf,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = RunFormat::Table)]
    pub output: RunFormat,
}

/// `plan --output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Tables for a terminal
    Table,
    /// The JSON plan
    Json,
    /// Markdown for a pull-request comment
    Markdown,
    /// One self-contained HTML page
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Blocker,
    High,
    Medium,
    Low,
    Info,
    /// Report only: exit 0 whatever is found (a tool failure is still 1)
    None,
}

/// A severity, for filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Blocker,
    High,
    Medium,
    Low,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A check id such as api-removed (any case); without it, every check is listed
    pub check: Option<String>,

    /// List every check as a Markdown table (the README's table is this output)
    #[arg(long, conflicts_with = "check")]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per subcommand into this directory (mcp-diag.1, mcp-diag-scan.1, ...)
    /// instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A snapshot directory or manifests to read the services from; without a path, the live
    /// cluster of the current kubeconfig context (or --context). `init --upgrade` alone prints
    /// only the rollout starter and reads nothing.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Add the upgrade config: waves, drain, node and rollback actions, control plane, gates
    #[arg(long)]
    pub upgrade: bool,

    /// Add what is new (services, probes, settings) to this existing config file, in place;
    /// everything already in it, values and comments, is kept
    #[arg(long, value_name = "FILE")]
    pub update: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// A table such as api-removals; without it, every table is listed
    pub table: Option<String>,

    /// List the tables as a Markdown table (the README's list is this output)
    #[arg(long, conflicts_with = "table")]
    pub markdown: bool,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// How to reach live clusters (scan, snapshot, plan).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Live clusters")]
pub struct LiveArgs {
    /// The kubeconfig file [default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// A kubeconfig context to read (repeatable: several clusters, one report)
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,

    /// Read every context of the kubeconfig (the whole fleet)
    #[arg(long, conflicts_with = "context")]
    pub all_contexts: bool,

    /// Time allowed per cluster, such as 30s or 2m; a cluster that takes longer is reported
    /// as unreachable and the others go on
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub timeout: String,

    /// Time allowed per list (every page of one resource type), such as 20s; a list that
    /// takes longer keeps what it read and the report names the kind as incomplete
    /// [default: half of --timeout]
    #[arg(long, value_name = "DURATION")]
    pub list_timeout: Option<String>,

    /// Clusters read at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub parallel: usize,

    /// Also read Helm release secrets and check the manifests inside (values are never
    /// printed or kept)
    #[arg(long)]
    pub helm_releases: bool,

    /// Read etcd's version and health from this endpoint (one cluster only)
    #[arg(long, value_name = "URL")]
    pub etcd_endpoint: Option<String>,

    /// The CA certificate (PEM) of the etcd endpoint
    #[arg(long, value_name = "FILE", requires = "etcd_endpoint")]
    pub etcd_cacert: Option<std::path::PathBuf>,

    /// A client certificate (PEM) for the etcd endpoint
    #[arg(long, value_name = "FILE", requires = "etcd_endpoint")]
    pub etcd_cert: Option<std::path::PathBuf>,

    /// The client certificate's key (PEM)
    #[arg(long, value_name = "FILE", requires = "etcd_endpoint")]
    pub etcd_key: Option<std::path::PathBuf>,

    /// Items per list request
    #[arg(long, value_name = "N", default_value_t = 500, hide = true)]
    pub page_size: u32,

    /// Never show a progress bar
    #[arg(long)]
    pub no_progress: bool,
}

// ---- snapshot ---------------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The directory to write the snapshot into (created; must be empty if it exists). With
    /// several contexts, one subdirectory per context.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: std::path::PathBuf,

    #[command(flatten)]
    pub live: LiveArgs,
}

// ---- plan -------------------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A snapshot directory (or manifests); without it, the live cluster of the current
    /// kubeconfig context
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// The Kubernetes release to upgrade to, such as 1.32 (default: the next minor after the
    /// cluster's version)
    #[arg(long, short = 't', value_name = "VERSION")]
    pub target_version: Option<String>,

    /// Worker waves: cumulative percentages of the worker nodes (at least one node each)
    #[arg(long, value_name = "PERCENTS", default_value = "1%,10%,50%,100%")]
    pub waves: String,

    /// Nodes drained at once within a wave (control-plane nodes go one at a time)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub max_unavailable: u32,

    /// Nodes to drain first: node names (a,b,c) or a label selector (zone=eu-1a; `zone` and
    /// `pool` stand for the zone and node-pool labels); the rest follow in default order
    #[arg(long, value_name = "NAMES|SELECTOR")]
    pub order: Option<String>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Table)]
    pub output: PlanFormat,

    /// Exit with status 2 when findings (or nodes the plan cannot predict, counted as high)
    /// reach this severity; a blocked node or a hop blocker always gives 3; `none` reports
    /// without failing [default: high]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Accept a target release more than one minor beyond what this version knows
    #[arg(long)]
    pub allow_unknown_target: bool,

    /// Findings to ignore in the hops' checks, as for scan (the mcp-diag.io/ignore annotation
    /// applies too)
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<std::path::PathBuf>,

    /// Settings file (YAML), as for scan: target_version, fail_on, rules, per check settings
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Do not run a check for the hops (repeatable)
    #[arg(long, value_name = "ID")]
    pub disable: Vec<String>,

    /// Organisation rules for the hop checks (see docs/rules.md)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<std::path::PathBuf>,

    /// When to colour the table (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// The date to judge end-of-life against, YYYY-MM-DD (default: today, UTC)
    #[arg(long, value_name = "DATE", env = "MCP_DIAG_TODAY", hide_env_values = true)]
    pub today: Option<String>,

    #[command(flatten)]
    pub live: PlanLiveArgs,
}

/// How `plan` reaches its one live cluster: the fleet options of `scan` do not apply.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Live cluster")]
pub struct PlanLiveArgs {
    /// The kubeconfig file [default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to plan (default: the current context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Time allowed to read the cluster, such as 30s or 2m
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub timeout: String,

    /// Time allowed per list (every page of one resource type), such as 20s; a list that
    /// takes longer is a gap of the read, and the nodes it decides are `unknown` [default:
    /// half of --timeout]
    #[arg(long, value_name = "DURATION")]
    pub list_timeout: Option<String>,

    /// Items per list request
    #[arg(long, value_name = "N", default_value_t = 500, hide = true)]
    pub page_size: u32,

    /// Never show a progress bar
    #[arg(long)]
    pub no_progress: bool,
}

impl From<&PlanLiveArgs> for LiveArgs {
    fn from(p: &PlanLiveArgs) -> Self {
        Self {
            kubeconfig: p.kubeconfig.clone(),
            context: p.context.iter().cloned().collect(),
            timeout: p.timeout.clone(),
            list_timeout: p.list_timeout.clone(),
            page_size: p.page_size,
            no_progress: p.no_progress,
            parallel: 1,
            ..Self::default()
        }
    }
}

// ---- emulate ----------------------------------------------------------------------------

#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// The snapshot directory to serve
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: std::path::PathBuf,

    /// The port to listen on (127.0.0.1 only); 0 picks a free one
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Latency added before every response, such as 20ms or 1s
    #[arg(long, value_name = "DURATION", default_value = "0ms", value_parser = parse_duration)]
    pub latency: std::time::Duration,

    /// How long replacement pods take to become Ready
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = parse_duration)]
    pub ready_delay: std::time::Duration,

    /// Write a kubeconfig for the emulator to this file
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<std::path::PathBuf>,

    /// The context (and cluster and user) name in the kubeconfig
    #[arg(long, value_name = "NAME", default_value = "mcp-diag-emulator")]
    pub context: String,

    /// Faults to inject: shares of requests answered 500 (error), 429 (throttle) or dropped
    /// without an answer (drop), and a latency, such as error=0.1,throttle=0.2,drop=0.1,latency=50ms;
    /// unauthorized=1 answers 401 (expired credentials), hang=1 never answers (both best with
    /// --fault-path)
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,

    /// Inject the faults only on request paths matching this regular expression, such as
    /// '^/api/v1/pods' (default: every path)
    #[arg(long, value_name = "REGEX")]
    pub fault_path: Option<String>,

    /// Require `Authorization: Bearer TOKEN` (401 otherwise); the token has every right and
    /// goes into the --kubeconfig-out file
    #[arg(long, value_name = "TOKEN")]
    pub require_token: Option<String>,

    /// A token for USER whose rights are the rules of the ClusterRoles in ROLEFILE (403
    /// otherwise), or every right without ROLEFILE; repeatable; tokens become required, and
    /// the first one given (--require-token's first) goes into the --kubeconfig-out file
    #[arg(long = "token", value_name = "USER=TOKEN[:ROLEFILE]")]
    pub tokens: Vec<String>,

    /// How long a node stays NotReady while its simulated kubelet is upgraded
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub kubelet_restart: std::time::Duration,

    /// A fault of a node's simulated kubelet: NODE=fail, NODE=hang, NODE=never-ready or
    /// NODE=wrong-version=v1.31.4; repeatable
    #[arg(long = "node-fault", value_name = "NODE=FAULT")]
    pub node_faults: Vec<String>,

    /// The emulated application's error share on nodes whose kubelet runs MINOR, such as
    /// 1.32=8% (base=1% for the other nodes); repeatable; see /mcp-diag/v1/app/metrics
    #[arg(long = "app-errors", value_name = "MINOR=SHARE")]
    pub app_errors: Vec<String>,

    /// The emulated application's latency on nodes whose kubelet runs MINOR, such as 1.32=2s
    /// (base=50ms for the other nodes); repeatable
    #[arg(long = "app-latency", value_name = "MINOR=DURATION")]
    pub app_latency: Vec<String>,

    /// Run Jobs of the mcp-diag image (any registry or tag) with this local binary: their pod
    /// runs it with the container's arguments, ConfigMap volumes included, and its output is
    /// the pod's log (what `probe --in-cluster` reads); `self` is this binary
    #[arg(long, value_name = "BINARY")]
    pub run_jobs: Option<std::path::PathBuf>,
}

/// `250ms`, `2s`, `1m` or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, scale_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(std::time::Duration::from_secs_f64(n * scale_ms / 1000.0)),
        _ => Err(format!(
            "{text:?} is not a duration (expected something like 20ms, 1.5s or 2m)"
        )),
    }
}
