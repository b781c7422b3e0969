//! Reading what several commands work on (one cluster's inventory, the declared services), in
//! a module that imports no command, so the commands that share it need not import each other.

use std::path::Path;

use mcp_diag_model::Inventory;
use mcp_diag_services::Declared;
use mcp_diag_sources::{Input, SourceError, is_snapshot, read_manifests, read_snapshot};

use super::hinted;
use crate::args::LiveArgs;

/// The one place the plan's input is read: a snapshot directory, or manifests. The live
/// cluster (no path) is wired by the live source.
pub fn load_inventory(paths: &[String], live: &LiveArgs) -> anyhow::Result<Inventory> {
    if super::live::asked_for(live) && !paths.is_empty() {
        return Err(hinted(
            "plan takes one cluster: a path or a live context, not both",
            "drop the path to plan the live cluster, or drop --context to plan the path",
        ));
    }
    match paths {
        [] => {
            if live.all_contexts || live.context.len() > 1 {
                return Err(hinted(
                    "plan takes one cluster at a time",
                    "run mcp-diag plan --context NAME once per cluster",
                ));
            }
            // The same read as `scan`: one cluster, so an unreachable one is an error.
            let mut clusters = super::live::read(live)?;
            match clusters.pop().map(|c| c.result) {
                Some(Ok(inventory)) => Ok(inventory),
                Some(Err(error)) => Err(hinted(
                    error,
                    "check the cluster with `kubectl get --raw /version`",
                )),
                None => Err(hinted("no cluster was read", "name one with --context")),
            }
        }
        [one] if one != "-" && is_snapshot(Path::new(one)) => {
            read_snapshot(Path::new(one)).map_err(source_error)
        }
        many => {
            if let Some(snap) = many.iter().find(|p| *p != "-" && is_snapshot(Path::new(p))) {
                return Err(hinted(
                    format!("{snap} is a snapshot: plan takes one cluster at a time"),
                    "run mcp-diag plan once per snapshot",
                ));
            }
            let inputs: Vec<Input> = many.iter().map(|a| Input::from_arg(a)).collect();
            read_manifests(&inputs, &mut std::io::stdin().lock()).map_err(source_error)
        }
    }
}

fn source_error(e: SourceError) -> anyhow::Error {
    let hint = match &e {
        SourceError::NotFound { .. } => {
            "check the path; give a snapshot directory (one holding cluster.yaml)"
        }
        SourceError::Stdin(_) => "pipe manifests in, or give a snapshot directory",
        SourceError::ClusterFile(_) => {
            "cluster.yaml takes the output of `kubectl version -o yaml`; see docs/snapshot.md"
        }
    };
    hinted(e.to_string(), hint)
}

/// The `services:` section of a config file (empty without one).
pub fn declared(config: Option<&std::path::Path>) -> anyhow::Result<Declared> {
    match config {
        None => Ok(Declared::default()),
        Some(path) => mcp_diag_services::declared::load(path).map_err(|errors| {
            hinted(
                errors.join("\n"),
                "fix the services: section (see docs/services.md for its keys)",
            )
        }),
    }
}
