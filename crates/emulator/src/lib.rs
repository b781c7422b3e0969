//! A Kubernetes API server emulator: serves a snapshot as a live cluster on a loopback port.
//!
//! It answers discovery, list/get/watch (with pagination and selectors), writes (patch, put,
//! create, delete), the pod eviction subresource with PodDisruptionBudgets, and runs the
//! ReplicaSet/StatefulSet controllers and a scheduler as `docs/drain-model.md` describes, so
//! that the live scanner, the planner's accuracy tests and rehearsals have a cluster to talk
//! to. Faults (latency, errors, 429 storms, dropped connections, expired continue tokens)
//! can be injected, deterministically for a seed.

// Handlers return the failure response itself as the error: it is built once per failed
// request, so its size does not matter and boxing would only add noise.
#![allow(clippy::result_large_err)]

mod api;
mod discovery;
mod drain;
mod patch;
mod resources;
mod select;
mod server;
mod store;
mod table;
pub mod testing;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mcp_diag_model::Inventory;
use tokio::net::TcpListener;
use tokio::sync::watch as tokio_watch;
use tokio::task::JoinHandle;

use server::Shared;

/// How the emulated cluster behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Replacement pods become Ready this long after they are scheduled.
    pub ready_delay: Duration,
    /// Seeds faults, generated pod names and uids.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ready_delay: Duration::from_millis(200),
            seed: 1,
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
    pub fn kubeconfig(&self, context: &str) -> String {
        let name = yaml_quote(context);
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {url}\n\
             users:\n- name: {name}\n  user:\n    token: emulator-token\n\
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

    /// Requests received so far (each one counts, whatever fault answered it).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
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
