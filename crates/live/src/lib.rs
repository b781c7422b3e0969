//! The live source: reads a cluster through kube-rs, read-only (get and list only).
//!
//! The interface below is what the CLI builds on; the implementation fills it in.

pub mod etcd;

use std::path::PathBuf;
use std::time::Duration;

use mcp_diag_model::Inventory;

/// How to reach a cluster and what to read.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// `--kubeconfig`; `None` follows `KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; `None` is the kubeconfig's current context.
    pub context: Option<String>,
    /// The whole read must finish within this time.
    pub timeout: Duration,
    /// Read Helm release secrets and scan the manifests inside (`--helm-releases`).
    pub helm_releases: bool,
    /// Items per list page (`limit`).
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            timeout: Duration::from_secs(120),
            helm_releases: false,
            page_size: 500,
            concurrency: 8,
            progress: false,
        }
    }
}

/// The cluster could not be read at all (as opposed to one resource type that was denied,
/// which becomes an `access-denied` finding in the inventory).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot reach the cluster: {0}")]
    Unreachable(String),
    #[error("the cluster did not answer within {0:?}")]
    Timeout(Duration),
}

/// The contexts of the kubeconfig and the current one.
pub fn contexts(_kubeconfig: Option<&std::path::Path>) -> Result<(Vec<String>, Option<String>), LiveError> {
    Err(LiveError::Kubeconfig("not implemented yet".to_owned()))
}

/// Reads one cluster into an inventory (`SourceKind::Live`).
pub async fn read_cluster(_options: &LiveOptions) -> Result<Inventory, LiveError> {
    Err(LiveError::Unreachable("not implemented yet".to_owned()))
}
