//! `--etcd-endpoint`: etcd's version and health, read over its HTTP(S) gateway.
//!
//! etcd answers `GET /version` with `{"etcdserver":"3.5.16","etcdcluster":"3.5.0"}` and
//! `GET /health` with `{"health":"true","reason":""}` (HTTP 503 and `"false"` when it has no
//! leader or an alarm is raised). Both are read-only and need no etcd credentials beyond the
//! client certificate of a TLS endpoint.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Where etcd listens and how to authenticate.
#[derive(Clone, Debug, Default)]
pub struct EtcdEndpoint {
    /// `https://10.0.0.5:2379` or `http://127.0.0.1:2379`.
    pub url: String,
    /// The CA that signed etcd's serving certificate (`--etcd-cacert`).
    pub cacert: Option<PathBuf>,
    /// Client certificate and key (`--etcd-cert`, `--etcd-key`), both PEM.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub timeout: Duration,
}

/// What etcd said about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdStatus {
    /// The member's version (`etcdserver`).
    pub server_version: String,
    /// The cluster-wide version (`etcdcluster`), the lowest minor all members speak.
    pub cluster_version: Option<String>,
    /// `/health` said `"health": "true"`.
    pub healthy: bool,
    /// What `/health` answered when not healthy (its body, or the HTTP error).
    pub health_detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    #[error("--etcd-endpoint {url}: {reason}")]
    Config { url: String, reason: String },
    #[error("cannot reach etcd at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("etcd at {url} answered {what} with something that is not etcd's: {reason}")]
    Unexpected {
        url: String,
        what: &'static str,
        reason: String,
    },
}

#[derive(Deserialize)]
struct VersionBody {
    etcdserver: String,
    etcdcluster: Option<String>,
}

#[derive(Deserialize)]
struct HealthBody {
    health: String,
}

/// Reads `/version` and `/health`.
pub async fn probe(endpoint: &EtcdEndpoint) -> Result<EtcdStatus, EtcdError> {
    let base = endpoint.url.trim_end_matches('/').to_owned();
    let config = |reason: String| EtcdError::Config {
        url: base.clone(),
        reason,
    };
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(config("give a URL starting with https:// or http://".to_owned()));
    }
    let mut builder = reqwest::Client::builder()
        .timeout(if endpoint.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            endpoint.timeout
        })
        .no_proxy();
    if let Some(path) = &endpoint.cacert {
        let pem = read(path).map_err(&config)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| config(format!("{}: not a PEM certificate: {e}", path.display())))?;
        builder = builder.tls_certs_only(certs);
    }
    match (&endpoint.cert, &endpoint.key) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert).map_err(&config)?;
            pem.push(b'\n');
            pem.extend(read(key).map_err(&config)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| config(format!("client certificate and key: {e}")))?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => {
            return Err(config(
                "--etcd-cert and --etcd-key go together: give both or neither".to_owned(),
            ));
        }
    }
    let client = builder.build().map_err(|e| config(e.to_string()))?;
    let unreachable = |e: reqwest::Error| EtcdError::Unreachable {
        url: base.clone(),
        reason: error_chain(&e),
    };
    let response = client
        .get(format!("{base}/version"))
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body = response.bytes().await.map_err(unreachable)?;
    let version: VersionBody = serde_json::from_slice(&body).map_err(|e| EtcdError::Unexpected {
        url: base.clone(),
        what: "/version",
        reason: format!("HTTP {status}: {e}"),
    })?;
    // An unhealthy member answers 503 with a JSON body; anything else is an error to show.
    let (healthy, health_detail) = match client.get(format!("{base}/health")).send().await {
        Ok(response) => {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            match serde_json::from_slice::<HealthBody>(&body) {
                Ok(h) if h.health == "true" && status.is_success() => (true, String::new()),
                _ => (false, format!("HTTP {}: {text}", status.as_u16())),
            }
        }
        Err(e) => (false, error_chain(&e)),
    };
    Ok(EtcdStatus {
        server_version: version.etcdserver,
        cluster_version: version.etcdcluster,
        healthy,
        health_detail,
    })
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// reqwest's top-level message is vague ("error sending request"); the causes say why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
