//! A Kubernetes API server emulator: serves a snapshot as a live cluster on a loopback port.
//!
//! It answers discovery, list/get/watch (with pagination and selectors), writes (patch, put,
//! create, delete), the pod eviction subresource with PodDisruptionBudgets, and runs the
//! ReplicaSet/StatefulSet controllers and a scheduler as `docs/drain-model.md` describes, so
//! that the live scanner, the planner's accuracy tests and rehearsals have a cluster to talk
//! to. Faults (latency, errors, 429 storms, dropped connections, expired continue tokens)
//! can be injected, deterministically for a seed.
//!
//! It is also a cluster that can be upgraded: simulated kubelets go NotReady and come back at
//! a new version when asked by a control endpoint (`POST /mcp-diag/v1/nodes/{name}/upgrade`,
//! [`Emulator::upgrade_node`]), by the node label [`VERSION_LABEL`], or by a Job pinned to the
//! node with the env var [`TARGET_VERSION_ENV`]; per-node [`NodeFault`]s make the action fail,
//! hang, never come back or come back at another version. An emulated application serves
//! metrics whose error rate and latency follow the nodes' versions
//! (`GET /mcp-diag/v1/app/metrics`, [`AppModel`]). The crate's README documents every control
//! endpoint.

// Handlers return the failure response itself as the error: it is built once per failed
// request, so its size does not matter and boxing would only add noise.
#![allow(clippy::result_large_err)]

mod api;
mod app;
mod auth;
mod budgets;
mod control;
mod ctx;
mod discovery;
mod drain;
mod eviction;
pub mod jobs;
mod kubelet;
mod kubelet_state;
mod patch;
mod resources;
mod select;
mod server;
mod store;
mod table;
pub mod testing;
mod view;
mod watch;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mcp_diag_model::Inventory;
use tokio::net::TcpListener;
use tokio::sync::watch as tokio_watch;
use tokio::task::JoinHandle;

use ctx::Shared;

pub use app::{AppModel, AppRates, BUCKETS, VersionEffect};
pub use kubelet::{
    NodeFault, NodeState, TARGET_VERSION_ENV, UpgradeError, UpgradeStarted, VERSION_LABEL, normalize_version,
};

/// How the emulated cluster behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Replacement pods become Ready this long after they are scheduled.
    pub ready_delay: Duration,
    /// Seeds faults, generated pod names and uids.
    pub seed: u64,
    /// How long a node stays NotReady while its kubelet is upgraded.
    pub kubelet_restart: Duration,
    /// Faults of the simulated kubelets, by node name.
    pub node_faults: BTreeMap<String, NodeFault>,
    /// The emulated application behind `/mcp-diag/v1/app/metrics`.
    pub app: AppModel,
    /// Runs Jobs of the `mcp-diag` image with a local binary (see [`jobs`]).
    pub job_runner: Option<jobs::JobRunner>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ready_delay: Duration::from_millis(200),
            seed: 1,
            kubelet_restart: Duration::from_secs(1),
            node_faults: BTreeMap::new(),
            app: AppModel::default(),
            job_runner: None,
        }
    }
}

/// Faults injected before a request is handled (every path, `/version` and `/healthz` too).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Added before every response.
    pub latency: Duration,
    /// Share of requests answered 500 (Status `InternalError`).
    pub error_share: f64,
    /// Share of requests answered 429 with `Retry-After: 1`.
    pub throttle_share: f64,
    /// Share of requests whose connection is closed without a response.
    pub drop_share: f64,
    /// Never answer.
    pub hang: bool,
    /// Every request with a continue token gets 410 Gone (reason `Expired`).
    pub expire_continue: bool,
    /// Close the connection on the Nth page request (a list with `limit` or `continue`), once.
    pub drop_after_pages: Option<u32>,
    /// Answer every request 401 Unauthorized, as a server does once a token has expired.
    pub unauthorized: bool,
    /// When set, the faults above apply only to requests whose path matches (for example
    /// `^/api/v1/pods` to fail the pods list and nothing else).
    pub path: Option<regex::Regex>,
}

impl Faults {
    /// Reads `error=0.1,throttle=0.2,drop=0.1,latency=50ms` (each key optional, once): the
    /// shares of requests answered 500, answered 429, and dropped, and the latency added to
    /// every response. Shares are in [0, 1] and sum to at most 1.
    pub fn parse(spec: &str) -> Result<Faults, String> {
        const KEYS: &str = "error, throttle, drop, latency, unauthorized, hang";
        let mut faults = Faults::default();
        let mut seen = std::collections::BTreeSet::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!("{part:?} is not KEY=VALUE (keys: {KEYS})"));
            };
            let (key, value) = (key.trim(), value.trim());
            if !seen.insert(key.to_owned()) {
                return Err(format!("{key} is given twice"));
            }
            let share = || -> Result<f64, String> {
                match value.parse::<f64>() {
                    Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
                    _ => Err(format!(
                        "{key}={value}: a share is a number from 0 to 1, such as 0.1"
                    )),
                }
            };
            match key {
                "error" => faults.error_share = share()?,
                "throttle" => faults.throttle_share = share()?,
                "drop" => faults.drop_share = share()?,
                "latency" => faults.latency = parse_latency(value)?,
                // Expired credentials (401 to everything) and a server that never answers:
                // with --fault-path, a 401 or a hang on one kind in the middle of a read.
                "unauthorized" => faults.unauthorized = switch(key, value)?,
                "hang" => faults.hang = switch(key, value)?,
                _ => return Err(format!("unknown fault {key:?}; the faults are: {KEYS}")),
            }
        }
        let sum = faults.error_share + faults.throttle_share + faults.drop_share;
        if sum > 1.0 + 1e-9 {
            return Err(format!(
                "the shares add up to {sum}, more than 1 (every request gets at most one fault)"
            ));
        }
        Ok(faults)
    }
}

/// `1`/`true` or `0`/`false`.
fn switch(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("{key}={value}: use {key}=1 (on) or {key}=0 (off)")),
    }
}

impl Faults {
    /// Limits the faults to request paths matching `pattern` (a regular expression).
    pub fn set_path(&mut self, pattern: &str) -> Result<(), String> {
        self.path = Some(regex::Regex::new(pattern).map_err(|e| e.to_string())?);
        Ok(())
    }
}

/// `50ms`, `2s` or a bare number of milliseconds.
fn parse_latency(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x >= 0.0 && (x * scale) < 3_600_000.0 => Ok(Duration::from_secs_f64(x * scale / 1000.0)),
        _ => Err(format!("latency={text}: a duration such as 50ms or 1s")),
    }
}

/// Who may call the emulator. The default lets anyone do anything, with or without a token.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// When not empty, every request must carry `Authorization: Bearer TOKEN` with one of
    /// these tokens, or it gets 401 Unauthorized (the real server's Status body).
    pub tokens: Vec<Token>,
}

/// A bearer token and what it may do.
#[derive(Clone, Debug)]
pub struct Token {
    pub token: String,
    /// The user name the token authenticates as (in 403 messages).
    pub user: String,
    /// `None`: every right. `Some`: only what these RBAC rules allow, plus what the bootstrap
    /// roles give every authenticated user (discovery, `/version`, health); anything else gets
    /// 403 Forbidden in the real server's words.
    pub rules: Option<Vec<PolicyRule>>,
}

/// One rule of a ClusterRole (`rbac.authorization.k8s.io/v1` PolicyRule).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// The rules of every ClusterRole (or Role) in a YAML text of one or more documents.
    pub fn from_yaml(text: &str) -> Result<Vec<PolicyRule>, String> {
        let docs: Vec<serde_json::Value> =
            serde_saphyr::from_multiple(text).map_err(|e| format!("not YAML: {e}"))?;
        auth::rules_of(&docs)
    }

    /// Whether this rule allows a request (`method`, `path` without the query; `watch` when
    /// the query asks for a watch), as RBAC decides it.
    pub fn allows_request(&self, method: &str, path: &str, watch: bool) -> bool {
        let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
        self.allows(&auth::request_info(&method, path, watch))
    }
}

/// One request the emulator received, and how it was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string ("" when none).
    pub query: String,
    /// The response's status code; 0 when a fault dropped the connection.
    pub status: u16,
    /// The user its token authenticated as, when tokens are required.
    pub user: Option<String>,
}

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: tokio_watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Emulator {
    /// Serves `inventory` on 127.0.0.1 at a free port.
    pub async fn start(inventory: Inventory, options: Options) -> std::io::Result<Emulator> {
        Self::start_on(inventory, options, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves `inventory` on `addr`.
    pub async fn start_on(
        inventory: Inventory,
        options: Options,
        addr: SocketAddr,
    ) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(inventory, options));
        let (shutdown, rx) = tokio_watch::channel(false);
        let task = tokio::spawn(server::accept_loop(listener, shared.clone(), rx));
        Ok(Emulator {
            addr,
            shared,
            shutdown,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig (YAML) with one cluster, user and context named `context`, selected.
    /// Its token is the first of [`Access::tokens`] when tokens are required.
    pub fn kubeconfig(&self, context: &str) -> String {
        let name = yaml_quote(context);
        let token = self
            .shared
            .access
            .read()
            .ok()
            .and_then(|a| a.tokens.first().map(|t| t.token.clone()))
            .unwrap_or_else(|| "emulator-token".to_owned());
        let token = yaml_quote(&token);
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {url}\n\
             users:\n- name: {name}\n  user:\n    token: {token}\n\
             contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n\
             current-context: {name}\npreferences: {{}}\n",
            url = self.url()
        )
    }

    /// Replaces the injected faults (they apply to requests that arrive from now on).
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.shared.faults.write() {
            *f = faults;
        }
        self.shared.pages.store(0, Ordering::SeqCst);
        self.shared.page_drop_done.store(false, Ordering::SeqCst);
    }

    /// Replaces who may call the emulator (for requests that arrive from now on).
    pub fn set_access(&self, access: Access) {
        if let Ok(mut a) = self.shared.access.write() {
            *a = access;
        }
    }

    /// The requests received so far, oldest first (the most recent 100,000).
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        ctx::lock(&self.shared.log).iter().cloned().collect()
    }

    /// Requests received so far (each one counts, whatever fault answered it).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Sets (or with `None` clears) the fault of a node's kubelet; it applies to upgrades
    /// started from now on (and `never-ready` also to one in flight that has not come back).
    pub fn set_node_fault(&self, node: &str, fault: Option<NodeFault>) {
        control::set_fault(&mut self.shared.state(), node, fault);
    }

    /// What a node's kubelet is doing; `None` for an unknown node.
    pub fn node_state(&self, node: &str) -> Option<NodeState> {
        kubelet::node_state(&self.shared.state(), node)
    }

    /// Starts the upgrade of a node's kubelet to `version`, as the control endpoint does
    /// (`UpgradeError::Hang` is returned at once instead of never).
    pub fn upgrade_node(&self, node: &str, version: &str) -> Result<UpgradeStarted, UpgradeError> {
        let mut state = self.shared.state();
        kubelet::start(&self.shared, &mut state, node, version)
    }

    /// Replaces the application model (requests until now are counted at the old rates).
    pub fn set_app(&self, model: AppModel) {
        control::set_app(&self.shared, model);
    }

    /// The application's error share and latencies now, from the cluster's state.
    pub fn app_rates(&self) -> AppRates {
        let model = ctx::lock(&self.shared.app).model.clone();
        app::rates(&model, &self.shared.state())
    }

    /// The text `GET /mcp-diag/v1/app/metrics` would answer now.
    pub fn app_metrics(&self) -> String {
        control::app_metrics(&self.shared)
    }

    /// Stops serving and closes every connection.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Quotes a YAML scalar when it is not plain.
fn yaml_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        s.to_owned()
    } else {
        serde_json::Value::String(s.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse_and_bad_ones_say_why() {
        let f = Faults::parse("error=0.1,throttle=0.2, drop=0.1,latency=50ms").unwrap();
        assert_eq!((f.error_share, f.throttle_share, f.drop_share), (0.1, 0.2, 0.1));
        assert_eq!(f.latency, Duration::from_millis(50));
        assert_eq!(Faults::parse("").unwrap().error_share, 0.0);
        assert_eq!(Faults::parse("error=1").unwrap().error_share, 1.0);
        let f = Faults::parse("unauthorized=1,hang=false").unwrap();
        assert!(f.unauthorized && !f.hang);
        for (bad, says) in [
            ("unauthorized=yes", "unauthorized=1"),
            ("error=1.5", "from 0 to 1"),
            ("error=-0.1", "from 0 to 1"),
            ("error=x", "from 0 to 1"),
            ("error=0.6,throttle=0.6", "more than 1"),
            (
                "boom=0.1",
                "the faults are: error, throttle, drop, latency, unauthorized, hang",
            ),
            ("error", "KEY=VALUE"),
            ("error=0.1,error=0.2", "twice"),
            ("latency=fast", "duration"),
        ] {
            let e = Faults::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
