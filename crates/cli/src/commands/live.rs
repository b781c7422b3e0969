//! Reading live clusters for `scan`, `snapshot` and `plan`: which contexts, concurrently and
//! bounded, each within its own time limit, plus etcd.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use mcp_diag_live::etcd::{EtcdEndpoint, EtcdError, EtcdStatus};
use mcp_diag_live::{LiveError, LiveOptions};
use mcp_diag_model::{Finding, Inventory, time};

use super::hinted;
use crate::args::LiveArgs;

/// One cluster of a live read: its inventory, or why it could not be read.
pub struct LiveCluster {
    pub name: String,
    pub result: Result<Inventory, String>,
}

/// Whether the user asked for live clusters at all (a context or the whole fleet).
pub fn asked_for(args: &LiveArgs) -> bool {
    !args.context.is_empty() || args.all_contexts
}

pub fn timeout(args: &LiveArgs) -> anyhow::Result<Duration> {
    time::parse_duration(&args.timeout)
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            hinted(
                format!("--timeout: cannot read {:?} as a duration", args.timeout),
                "write it like 30s, 2m or 1h",
            )
        })
}

/// `--list-timeout`, when given.
fn list_timeout(args: &LiveArgs) -> anyhow::Result<Option<Duration>> {
    let Some(text) = &args.list_timeout else {
        return Ok(None);
    };
    time::parse_duration(text)
        .filter(|s| *s > 0)
        .map(|s| Some(Duration::from_secs(s)))
        .ok_or_else(|| {
            hinted(
                format!("--list-timeout: cannot read {text:?} as a duration"),
                "write it like 20s or 2m",
            )
        })
}

/// One line per kind that was not read completely, so that a partial read is never silent,
/// whatever the output format.
fn warn_gaps(name: &str, inventory: &Inventory) {
    const SHOWN: usize = 10;
    let gaps: Vec<_> = inventory.coverage.gaps().collect();
    for gap in gaps.iter().take(SHOWN) {
        let reason = gap.reason.map_or("incomplete", |r| r.as_str());
        let what = if gap.objects > 0 {
            format!("read in part ({} objects; {reason})", gap.objects)
        } else {
            format!("not read ({reason})")
        };
        eprintln!("warning: {name}: {} {what}: {}", gap.display(), gap.detail);
    }
    if gaps.len() > SHOWN {
        eprintln!(
            "warning: {name}: {} more kinds not read completely",
            gaps.len() - SHOWN
        );
    }
}

/// The contexts to read: those named, every one (`--all-contexts`), or the current one
/// (`None`).
fn contexts(args: &LiveArgs) -> anyhow::Result<Vec<Option<String>>> {
    if args.all_contexts {
        let (all, _) = mcp_diag_live::contexts(args.kubeconfig.as_deref()).map_err(live_error)?;
        if all.is_empty() {
            return Err(hinted(
                "--all-contexts: the kubeconfig has no contexts",
                "check KUBECONFIG or --kubeconfig",
            ));
        }
        return Ok(all.into_iter().map(Some).collect());
    }
    if args.context.is_empty() {
        return Ok(vec![None]);
    }
    let mut seen = Vec::new();
    for c in &args.context {
        if !seen.contains(c) {
            seen.push(c.clone());
        }
    }
    Ok(seen.into_iter().map(Some).collect())
}

pub fn live_error(e: LiveError) -> anyhow::Error {
    let hint = match &e {
        LiveError::Kubeconfig(_) => {
            "point KUBECONFIG or --kubeconfig at a kubeconfig, name a context it has with --context, or give a snapshot directory to scan offline"
        }
        // A certificate problem is not a network one: no VPN fixes it.
        LiveError::Unreachable(m) if m.contains("TLS: ") => {
            "compare the cluster's certificate-authority-data in the kubeconfig with the CA that signed the API server's certificate"
        }
        LiveError::Unreachable(_) => {
            "check the cluster with `kubectl get --raw /version`: endpoint, VPN, credentials"
        }
        LiveError::Timeout(_) => "raise --timeout for clusters behind slow links",
    };
    hinted(e.to_string(), hint)
}

/// Reads every asked-for cluster, at most `--parallel` at once, each within `--timeout`. A
/// cluster that fails does not stop the others; its error is in its `result`.
pub fn read(args: &LiveArgs) -> anyhow::Result<Vec<LiveCluster>> {
    let timeout = timeout(args)?;
    let list_timeout = list_timeout(args)?;
    let contexts = contexts(args)?;
    let etcd = etcd_endpoint(args, timeout)?;
    if etcd.is_some() && contexts.len() > 1 {
        return Err(hinted(
            "--etcd-endpoint names one etcd, but several clusters are being read",
            "scan the cluster that etcd belongs to on its own: --context NAME --etcd-endpoint URL",
        ));
    }
    let current = if contexts == [None] {
        mcp_diag_live::contexts(args.kubeconfig.as_deref())
            .ok()
            .and_then(|(_, current)| current)
    } else {
        None
    };
    let progress = !args.no_progress && contexts.len() == 1 && std::io::stderr().is_terminal();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    let limit = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
    let clusters = runtime.block_on(async {
        let mut tasks = Vec::new();
        for context in contexts {
            let options = LiveOptions {
                kubeconfig: args.kubeconfig.clone(),
                context: context.clone(),
                timeout,
                helm_releases: args.helm_releases,
                page_size: args.page_size.max(1),
                progress,
                list_timeout,
                ..LiveOptions::default()
            };
            let name = context
                .or_else(|| current.clone())
                .unwrap_or_else(|| "current context".to_owned());
            let limit = Arc::clone(&limit);
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                // The reader keeps its own deadline; this one also covers a cluster that
                // never answers the first request.
                let result = match tokio::time::timeout(
                    timeout + Duration::from_secs(1),
                    mcp_diag_live::read_cluster(&options),
                )
                .await
                {
                    Ok(Ok(inventory)) => Ok(inventory),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(LiveError::Timeout(timeout)),
                };
                (name, result)
            }));
        }
        let mut clusters = Vec::new();
        for task in tasks {
            match task.await {
                Ok((name, result)) => clusters.push((name, result)),
                Err(e) => clusters.push(("?".to_owned(), Err(LiveError::Unreachable(e.to_string())))),
            }
        }
        clusters
    });
    let single = clusters.len() == 1;
    let mut out = Vec::new();
    for (name, result) in clusters {
        match result {
            Ok(mut inventory) => {
                warn_gaps(&name, &inventory);
                separate_helm_objects(&mut inventory);
                if let Some(endpoint) = &etcd {
                    let status = runtime.block_on(mcp_diag_live::etcd::probe(endpoint));
                    apply_etcd(&mut inventory, endpoint, status)?;
                }
                out.push(LiveCluster {
                    name,
                    result: Ok(inventory),
                });
            }
            // One cluster asked for and not readable: the tool could not do its job.
            Err(e) if single => return Err(live_error(e)),
            Err(e) => out.push(LiveCluster {
                name,
                result: Err(e.to_string()),
            }),
        }
    }
    Ok(out)
}

/// The live source returns the objects of Helm release manifests among the listed ones, with
/// a `helm:` location; they are what Helm applies next, not stored objects.
fn separate_helm_objects(inventory: &mut Inventory) {
    let (helm, stored): (Vec<_>, Vec<_>) = std::mem::take(&mut inventory.objects)
        .into_iter()
        .partition(|o| o.location.as_ref().is_some_and(|l| l.file.starts_with("helm:")));
    inventory.objects = stored;
    inventory.helm_objects.extend(helm);
}

fn etcd_endpoint(args: &LiveArgs, timeout: Duration) -> anyhow::Result<Option<EtcdEndpoint>> {
    let Some(url) = &args.etcd_endpoint else {
        return Ok(None);
    };
    Ok(Some(EtcdEndpoint {
        url: url.clone(),
        cacert: args.etcd_cacert.clone(),
        cert: args.etcd_cert.clone(),
        key: args.etcd_key.clone(),
        timeout: timeout.min(Duration::from_secs(30)),
    }))
}

/// etcd's version feeds `etcd-version`; bad health or no answer is an `etcd-unhealthy`
/// finding. A mistake in the flags is an error.
pub fn apply_etcd(
    inventory: &mut Inventory,
    endpoint: &EtcdEndpoint,
    status: Result<EtcdStatus, EtcdError>,
) -> anyhow::Result<()> {
    use mcp_diag_checks::rules::etcd_unhealthy;
    match status {
        Ok(status) => {
            inventory
                .cluster
                .components
                .insert("etcd".to_owned(), status.server_version.clone());
            if !status.healthy {
                inventory.input_problems.push(etcd_unhealthy::unhealthy(
                    &endpoint.url,
                    &status.server_version,
                    &status.health_detail,
                ));
            }
            Ok(())
        }
        Err(e @ EtcdError::Config { .. }) => Err(hinted(
            e.to_string(),
            "give the etcd client URL (https://HOST:2379) and PEM files for --etcd-cacert, --etcd-cert and --etcd-key",
        )),
        Err(e) => {
            inventory
                .input_problems
                .push(etcd_unhealthy::unreadable(&endpoint.url, &e.to_string()));
            Ok(())
        }
    }
}

/// The finding a fleet report carries for a cluster it could not read.
pub fn unreachable_finding(name: &str, error: &str) -> Finding {
    mcp_diag_checks::rules::cluster_unreachable::finding(name, error)
}
