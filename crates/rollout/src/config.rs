//! The upgrade config, validated: what `upgrade`, `rehearse` and `gates check` run.
//!
//! The YAML form (the `upgrade:` and `gates:` sections of a config file) is read by
//! [`parse`](crate::config::parse); these types are what is left once every key has been checked,
//! so the core never meets a missing default or a negative timeout.

use std::path::PathBuf;

/// Milliseconds. Every duration of the rollout is whole milliseconds, so the core can run on a
/// simulated clock without floating point.
pub type Millis = u64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;

/// Everything the orchestrator needs from the config file.
#[derive(Clone, Debug, PartialEq)]
pub struct RolloutConfig {
    pub upgrade: UpgradeConfig,
    pub gates: GatesConfig,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UpgradeConfig {
    /// Where the Lease that makes one orchestrator the holder lives.
    pub lease_namespace: String,
    /// A holder that has not renewed for this long can be taken over.
    pub lease_duration: Millis,
    /// Share of the worker nodes upgraded by the end of each wave, in percent, rising, the last
    /// one 100.
    pub waves: Vec<u32>,
    /// Nodes in flight at once inside a wave.
    pub max_unavailable: usize,
    /// Time after each wave (and each control-plane hop) with the gates watched.
    pub soak: Millis,
    pub precheck: Precheck,
    pub drain: DrainConfig,
    pub verify: VerifyConfig,
    pub node_action: Action,
    pub rollback: RollbackPolicy,
    /// The action that takes a node back to the version it had; `None` makes node upgrades
    /// irreversible.
    pub rollback_action: Option<Action>,
    pub control_plane: ControlPlaneConfig,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Precheck {
    /// A node whose CPU use (metrics.k8s.io) is at or above this percent of its allocatable
    /// is not started; `None`: not checked.
    pub cpu_below_percent: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DrainConfig {
    pub timeout: Millis,
    /// `kubectl drain --force`: evict pods that no controller will recreate.
    pub force: bool,
    /// `kubectl drain --delete-emptydir-data`.
    pub delete_emptydir_data: bool,
    /// Pod's own grace period when `None`.
    pub grace_period_seconds: Option<i64>,
    pub on_timeout: OnDrainTimeout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDrainTimeout {
    /// Stop the line (the node is uncordoned and the run rolls back per policy).
    Stop,
    /// Uncordon the node, mark it skipped, go on with the next one.
    SkipNode,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VerifyConfig {
    /// The kubelet must report the target version and Ready within this.
    pub node_ready_timeout: Millis,
    /// The node's evicted workloads must be Ready again (elsewhere or back) within this.
    pub workloads_ready_timeout: Millis,
}

/// A node action or a control-plane action: what runs, and how long it may take.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub timeout: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    /// A command the orchestrator runs: argv, or one string given to `sh -c`.
    Exec { argv: Vec<String>, shell: bool },
    /// A Job pinned to the node (nodeName, tolerating the cordon), as system-upgrade-controller
    /// runs its upgrade pods.
    Job(JobAction),
    /// A label on the node for an agent on the node to act on.
    Label { key: String, value: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobAction {
    pub namespace: String,
    pub image: String,
    pub command: Vec<String>,
    pub service_account: Option<String>,
    pub privileged: bool,
    /// Extra environment; `MCP_DIAG_NODE`, `MCP_DIAG_TARGET_VERSION` and
    /// `MCP_DIAG_FROM_VERSION` are always set.
    pub env: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackPolicy {
    /// The nodes of the wave in which the breach happened.
    Wave,
    /// Every node this run upgraded.
    All,
    /// Stop the line; nothing is rolled back.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlaneConfig {
    /// Runs once per minor hop with `{version}` the hop's target. `None`: the control plane
    /// must already be at the target, or the run stops before touching anything.
    pub action: Option<Action>,
    /// Time after each hop with the gates watched.
    pub soak: Millis,
    /// Control-plane pods (kube-system, `tier=control-plane`) must be Ready within this.
    pub ready_timeout: Millis,
    /// etcd endpoints whose `/health` must answer `"health":"true"` after each hop.
    pub etcd_endpoints: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GatesConfig {
    pub prometheus: Option<PrometheusConfig>,
    /// How often every gate is evaluated.
    pub interval: Millis,
    pub rules: Vec<GateRule>,
    /// Nodes Ready at the start that are NotReady or gone (not counting the nodes the run is
    /// upgrading at that moment): fires at once above this.
    pub nodes_lost: Option<Threshold>,
    /// Pods Pending with `PodScheduled=False/Unschedulable`.
    pub pods_unschedulable: Option<Threshold>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrometheusConfig {
    pub url: String,
    pub timeout: Millis,
    pub bearer_token_file: Option<PathBuf>,
    pub basic_auth: Option<BasicAuth>,
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BasicAuth {
    pub username: String,
    pub password_file: Option<PathBuf>,
}

/// A count threshold with an optional window (the built-in breakers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    pub above: f64,
    pub window: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GateRule {
    pub name: String,
    pub query: String,
    pub bound: Bound,
    /// The condition must hold at every evaluation for this long (a Prometheus alerting rule's
    /// `for`); 0 fires at the first breaching evaluation.
    pub window: Millis,
    pub on_no_data: Policy,
    pub on_error: Policy,
    /// With `on_error: hold`: this many errors in a row count as a breach. `None`: never.
    pub max_consecutive_errors: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Breach when a value is greater than this.
    Above(f64),
    /// Breach when a value is less than this.
    Below(f64),
}

impl Bound {
    pub fn breached_by(self, value: f64) -> bool {
        match self {
            Bound::Above(limit) => value > limit,
            Bound::Below(limit) => value < limit,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Bound::Above(limit) => format!("above {limit}"),
            Bound::Below(limit) => format!("below {limit}"),
        }
    }
}

/// What a gate does when its query returns nothing or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// No new node starts until the gate answers again.
    Hold,
    /// Counts as a breach.
    Fail,
    /// Counts as within bounds (only when written explicitly).
    Pass,
}

impl Default for UpgradeConfig {
    fn default() -> Self {
        Self {
            lease_namespace: "kube-system".into(),
            lease_duration: 30 * SECOND,
            waves: vec![1, 10, 50, 100],
            max_unavailable: 1,
            soak: 10 * MINUTE,
            precheck: Precheck {
                cpu_below_percent: None,
            },
            drain: DrainConfig {
                timeout: 15 * MINUTE,
                force: false,
                delete_emptydir_data: true,
                grace_period_seconds: None,
                on_timeout: OnDrainTimeout::Stop,
            },
            verify: VerifyConfig {
                node_ready_timeout: 10 * MINUTE,
                workloads_ready_timeout: 10 * MINUTE,
            },
            node_action: Action {
                kind: ActionKind::Label {
                    key: "upgrade.mcp-diag.io/version".into(),
                    value: "{version}".into(),
                },
                timeout: 20 * MINUTE,
            },
            rollback: RollbackPolicy::Wave,
            rollback_action: Some(Action {
                kind: ActionKind::Label {
                    key: "upgrade.mcp-diag.io/version".into(),
                    value: "{from_version}".into(),
                },
                timeout: 20 * MINUTE,
            }),
            control_plane: ControlPlaneConfig {
                action: None,
                soak: 5 * MINUTE,
                ready_timeout: 10 * MINUTE,
                etcd_endpoints: Vec::new(),
            },
        }
    }
}

impl Default for GatesConfig {
    /// The design's three protection rules.
    fn default() -> Self {
        Self {
            prometheus: None,
            interval: 10 * SECOND,
            rules: vec![
                GateRule {
                    name: "error-rate".into(),
                    query: "sum(rate(http_requests_total{code=~\"5..\"}[1m])) / sum(rate(http_requests_total[1m]))".into(),
                    bound: Bound::Above(0.05),
                    window: 2 * MINUTE,
                    on_no_data: Policy::Hold,
                    on_error: Policy::Hold,
                    max_consecutive_errors: None,
                },
                GateRule {
                    name: "p99-latency".into(),
                    query: "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))".into(),
                    bound: Bound::Above(1.5),
                    window: 5 * MINUTE,
                    on_no_data: Policy::Hold,
                    on_error: Policy::Hold,
                    max_consecutive_errors: None,
                },
            ],
            nodes_lost: Some(Threshold {
                above: 3.0,
                window: 0,
            }),
            pods_unschedulable: None,
        }
    }
}

/// `{node}`, `{version}` and `{from_version}` in an action's words.
pub fn substitute(text: &str, node: &str, version: &str, from_version: &str) -> String {
    text.replace("{node}", node)
        .replace("{version}", version)
        .replace("{from_version}", from_version)
}
