//! Arguments of `mcp-diag probe`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mcp_diag_probe::stats::parse_duration;

#[derive(Debug, Args)]
#[command(
    after_help = "Kinds by URL scheme: http(s)://host:port/path, tcp://host:port, dns:NAME or \
                  dns://SERVER/NAME, grpc(s)://host:port[/service], redis(s)://[:password@]host:port, \
                  postgres://user[:password]@host:port/db (else PGPASSWORD).\n\
                  Exit status: 0 every probe passed; 2 some failed; 1 the probes could not run."
)]
pub struct ProbeArgs {
    /// The target; without it, every probe in the config's `probes:` list runs
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// Config file with a `probes:` list (see docs/probes.md)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// HTTP: the expected status (default: any 2xx)
    #[arg(long, value_name = "STATUS")]
    pub expect: Option<u16>,

    /// HTTP: the body must contain this text
    #[arg(long, value_name = "TEXT")]
    pub body_contains: Option<String>,

    /// HTTP: a request header, NAME:VALUE (repeatable)
    #[arg(long, value_name = "NAME:VALUE")]
    pub header: Vec<String>,

    /// TLS: trust only this CA (PEM) instead of the system's roots
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// TLS: client certificate (PEM), with --key
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// TLS: client private key (PEM), with --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// HTTP: get a bearer token by OAuth2 client credentials from this URL first
    #[arg(long, value_name = "URL", requires_all = ["oauth2_client_id", "oauth2_client_secret_env"])]
    pub oauth2_token_url: Option<String>,

    /// OAuth2 client id
    #[arg(long, value_name = "ID")]
    pub oauth2_client_id: Option<String>,

    /// The environment variable holding the OAuth2 client secret (never printed)
    #[arg(long, value_name = "VAR")]
    pub oauth2_client_secret_env: Option<String>,

    /// OAuth2 scope
    #[arg(long, value_name = "SCOPE")]
    pub oauth2_scope: Option<String>,

    /// DNS: an address the name must resolve to (repeatable)
    #[arg(long, value_name = "IP")]
    pub expect_address: Vec<std::net::IpAddr>,

    /// gRPC: the service name to ask the health service about
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Postgres: also write in a transaction that is rolled back (a temporary table)
    #[arg(long)]
    pub write: bool,

    /// Attempts [default: 1 for a URL; 3 for config probes without `count`]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: Option<u32>,

    /// Attempts at a time [default: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: Option<u32>,

    /// Time an attempt may take before it fails (e.g. 500ms, 5s) [default: 5s]
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub timeout: Option<Duration>,

    /// Latency limit for the median (e.g. 20ms)
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub latency_p50: Option<Duration>,

    /// Latency limit for the 90th percentile
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub latency_p90: Option<Duration>,

    /// Latency limit for the 99th percentile
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub latency_p99: Option<Duration>,

    /// Latency limit for the slowest attempt
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub latency_max: Option<Duration>,

    /// Probes run at a time (each with its own --concurrency)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub parallel: u32,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = ProbeFormat::Table)]
    pub output: ProbeFormat,

    /// Run the probes from a Job inside the cluster (where Service names resolve and
    /// NetworkPolicies apply as to the workloads), and read its report from the pod's log
    #[arg(long, help_heading = "In the cluster")]
    pub in_cluster: bool,

    /// The mcp-diag image the Job runs (built by the repository's Containerfile)
    #[arg(long, value_name = "IMAGE", default_value = concat!("mcp-diag:", env!("CARGO_PKG_VERSION")), help_heading = "In the cluster")]
    pub image: String,

    /// The namespace the Job and its ConfigMap are created in
    #[arg(
        long,
        value_name = "NAME",
        default_value = "default",
        help_heading = "In the cluster"
    )]
    pub job_namespace: String,

    /// Print the ConfigMap and the Job that --in-cluster would create, and create nothing
    #[arg(long, requires = "in_cluster", help_heading = "In the cluster")]
    pub dry_run: bool,

    /// Leave the Job and its ConfigMap in place afterwards (they are deleted otherwise)
    #[arg(long, requires = "in_cluster", help_heading = "In the cluster")]
    pub keep: bool,

    /// The kubeconfig file [default: $KUBECONFIG, then ~/.kube/config]
    #[arg(
        long,
        value_name = "FILE",
        requires = "in_cluster",
        help_heading = "In the cluster"
    )]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context [default: the current one]
    #[arg(
        long,
        value_name = "NAME",
        requires = "in_cluster",
        help_heading = "In the cluster"
    )]
    pub context: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProbeFormat {
    /// One line per probe, then why the failed ones failed
    Table,
    /// The JSON report (schema_version 1, docs/probes.md)
    Json,
    /// JUnit XML, one testcase per probe
    Junit,
}

fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be above zero".into()),
        d => Ok(d),
    }
}
