//! Sources: read manifests and snapshots into an [`Inventory`].
//!
//! A path holding `cluster.yaml` is a snapshot; anything else is manifests (files,
//! directories searched recursively, or `-` for standard input).

use std::io::Read;
use std::path::{Path, PathBuf};

use mcp_diag_model::{Inventory, SourceKind};
use rayon::prelude::*;

mod fastyaml;
pub mod parse;
mod skip;
mod snapshot;
mod walk;
mod write;

pub use parse::{ParsedFile, parse_bytes};
pub use snapshot::{ClusterFileError, read_cluster_file};
pub use write::{WriteError, WriteStats, safe_name, write_snapshot};

/// A source could not be read at all (as opposed to one bad file inside it).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
    #[error(transparent)]
    ClusterFile(#[from] ClusterFileError),
}

/// One input as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Self::Stdin
        } else {
            Self::Path(PathBuf::from(arg))
        }
    }
}

/// Whether a path is a snapshot directory.
pub fn is_snapshot(path: &Path) -> bool {
    path.is_dir() && path.join("cluster.yaml").is_file()
}

/// Reads manifests: files, directories (recursively) and standard input, in parallel.
/// Bad files become `input-invalid` findings; only a missing path is an error.
pub fn read_manifests(inputs: &[Input], stdin: &mut dyn Read) -> Result<Inventory, SourceError> {
    let mut inventory = Inventory::new(SourceKind::Manifests, "manifests", "manifests");
    let mut files = Vec::new();
    let mut stdin_read = false;
    let mut missing = Vec::new();
    for input in inputs {
        match input {
            // Standard input can be read once; `-` given twice means the same input.
            Input::Stdin if stdin_read => {}
            Input::Stdin => {
                let mut bytes = Vec::new();
                stdin.read_to_end(&mut bytes).map_err(SourceError::Stdin)?;
                files.push(walk::FileJob::Bytes {
                    display: "<stdin>".to_owned(),
                    bytes,
                });
                stdin_read = true;
            }
            Input::Path(path) => {
                if std::fs::symlink_metadata(path).is_err() {
                    // One wrong path must not hide the rest: reported, and the scan goes on.
                    let shown = path.display().to_string();
                    inventory.input_problems.push(parse::input_invalid(
                        &shown,
                        1,
                        None,
                        "no such file or directory".to_owned(),
                    ));
                    missing.push(shown);
                    continue;
                }
                walk::collect(path, &mut files, &mut inventory.input_problems);
            }
        }
    }
    if !missing.is_empty() && missing.len() == inputs.len() {
        return Err(SourceError::NotFound {
            path: missing.join(", "),
        });
    }
    inventory.source = describe(inputs);
    // A file named twice (`scan k8s ./k8s/app.yaml`) is read once: twice would double its
    // objects and findings.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| match f {
        walk::FileJob::Path { path, .. } => seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())),
        walk::FileJob::Bytes { .. } => true,
    });
    read_files(files, &mut inventory);
    skip::group_kustomize(&mut inventory.input_problems);
    if is_export(&inventory.objects) {
        // State read from a cluster, not manifests: statuses are real, the apiVersion each
        // object was listed at is what the client asked for, and a kind the export lacks may
        // just have been left out (see docs/snapshot.md).
        inventory.kind = SourceKind::Snapshot;
        inventory.source = inventory.source.replacen("manifests:", "export:", 1);
        inventory.cluster.name = "export".to_owned();
    }
    Ok(inventory)
}

/// Whether objects were exported from a cluster (`kubectl get -o yaml|json`) rather than
/// written by hand: at least half of them carry the `metadata.uid` and `creationTimestamp`
/// that only the API server sets.
pub fn is_export(objects: &[mcp_diag_model::Object]) -> bool {
    // On the parser threads: it reads every object's metadata.
    let stored = parse::parser_pool().install(|| {
        objects
            .par_iter()
            .filter(|o| {
                o.raw.path(&["metadata", "uid"]).is_some_and(|v| !v.is_null())
                    && o.raw
                        .path(&["metadata", "creationTimestamp"])
                        .is_some_and(|v| !v.is_null())
            })
            .count()
    });
    stored > 0 && stored * 2 >= objects.len()
}

/// The snapshot subdirectory holding the manifests of Helm releases.
pub const HELM_RELEASES_DIR: &str = "helm-releases";

/// Reads a snapshot directory: `cluster.yaml` plus every YAML/JSON file below it.
pub fn read_snapshot(dir: &Path) -> Result<Inventory, SourceError> {
    let cluster = read_cluster_file(&dir.join("cluster.yaml"))?;
    let default_name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "snapshot".to_owned());
    let mut inventory = Inventory::new(
        SourceKind::Snapshot,
        format!("snapshot:{}", dir.display()),
        default_name,
    );
    if !cluster.name.is_empty() {
        inventory.cluster.name.clone_from(&cluster.name);
    }
    inventory.cluster.server_version = cluster.server_version;
    inventory.cluster.captured_at = cluster.captured_at;
    inventory.cluster.components = cluster.components;
    inventory.cluster.requested_apis = cluster.requested_apis;
    inventory.coverage = cluster.coverage;
    let mut files = Vec::new();
    walk::collect(dir, &mut files, &mut inventory.input_problems);
    let cluster_file = dir.join("cluster.yaml");
    files.retain(|f| !matches!(f, walk::FileJob::Path { path, .. } if *path == cluster_file));
    // `helm-releases/` holds the manifests stored in Helm releases (written by `mcp-diag
    // snapshot --helm-releases`): what Helm applies next, not stored objects.
    let helm_dir = dir.join(HELM_RELEASES_DIR);
    let (helm, files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| matches!(f, walk::FileJob::Path { path, .. } if path.starts_with(&helm_dir)));
    read_files(files, &mut inventory);
    skip::group_kustomize(&mut inventory.input_problems);
    let mut helm_inventory = Inventory::new(SourceKind::Snapshot, "", "");
    read_files(helm, &mut helm_inventory);
    inventory.files_scanned += helm_inventory.files_scanned;
    inventory.helm_objects = helm_inventory.objects;
    inventory.input_problems.extend(helm_inventory.input_problems);
    Ok(inventory)
}

fn describe(inputs: &[Input]) -> String {
    let names: Vec<String> = inputs
        .iter()
        .map(|i| match i {
            Input::Stdin => "-".to_owned(),
            Input::Path(p) => p.display().to_string(),
        })
        .collect();
    format!("manifests:{}", names.join(","))
}

fn read_files(files: Vec<walk::FileJob>, inventory: &mut Inventory) {
    inventory.files_scanned += files.len();
    let parsed: Vec<ParsedFile> =
        parse::parser_pool().install(|| files.into_par_iter().map(walk::FileJob::parse).collect());
    // Sized once: growing it object by object copies a large inventory several times.
    inventory
        .objects
        .reserve(parsed.iter().map(|f| f.objects.len()).sum());
    for file in parsed {
        inventory.objects.extend(file.objects);
        inventory.input_problems.extend(file.problems);
    }
}

#[cfg(test)]
mod tests;
