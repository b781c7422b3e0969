//! Finding the files to read under the paths the user gave.

use std::path::{Path, PathBuf};

use mcp_diag_model::{Finding, Tree};

use crate::parse::{ParsedFile, input_invalid, parse_bytes};
use crate::skip::{KUSTOMIZE, KUSTOMIZE_DIR, is_kustomization_file, kustomize_skipped, skipped};

/// A file to parse: on disk, or bytes already read (standard input).
pub(crate) enum FileJob {
    Path { path: PathBuf, display: String },
    Bytes { display: String, bytes: Vec<u8> },
}

impl FileJob {
    pub(crate) fn parse(self) -> ParsedFile {
        match self {
            Self::Bytes { display, bytes } => parse_bytes(&display, &bytes),
            Self::Path { path, display } if is_big_json(&path) => {
                crate::parse::stream::read_list(&display, &path)
                    .unwrap_or_else(|| Self::Path { path, display }.read_and_parse())
            }
            Self::Path { .. } => self.read_and_parse(),
        }
    }

    fn read_and_parse(self) -> ParsedFile {
        match self {
            Self::Bytes { display, bytes } => parse_bytes(&display, &bytes),
            Self::Path { path, display } => match std::fs::read(&path) {
                Ok(bytes) => parse_bytes(&display, &bytes),
                Err(e) => ParsedFile {
                    objects: Vec::new(),
                    problems: vec![input_invalid(
                        &display,
                        1,
                        None,
                        format!("cannot read the file: {e}"),
                    )],
                },
            },
        }
    }
}

/// A JSON file big enough to be worth streaming (see `parse::stream`).
fn is_big_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
        && std::fs::metadata(path).is_ok_and(|m| m.len() >= crate::parse::stream::STREAM_MIN)
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Files that sit beside manifests but are not Kubernetes objects: reading them would only
/// produce noise. They are still read when named directly.
fn is_known_non_manifest(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "chart.yaml" | "chart.lock" | ".pre-commit-config.yaml" | ".gitlab-ci.yml"
    ) || lower.starts_with("values") && (lower.ends_with(".yaml") || lower.ends_with(".yml"))
        || lower.starts_with("docker-compose")
        || lower.starts_with("compose.")
        || lower == "package.json"
        || lower == "package-lock.json"
        || lower == "tsconfig.json"
}

/// The patch files a kustomization in `dir` names (`patchesStrategicMerge` entries,
/// `patches[].path`, `patchesJson6902[].path`; field names from kustomize's Kustomization
/// type). Patches are partial objects or JSON patch operations: read as manifests they
/// would give findings about fields that the patch leaves out. Empty when the directory
/// has no kustomization or it does not parse (it is skipped anyway).
fn kustomize_patches(dir: &Path) -> Vec<PathBuf> {
    let Some(file) = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Vec::new();
    };
    // A kustomization is small; the limits guard against a hostile one all the same.
    let options = crate::parse::yaml_options(text.len());
    let Ok(tree) = serde_saphyr::from_str_with_options::<Tree>(&text, options) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |path: Option<&str>| {
        // An inline patch (several lines of YAML) names no file.
        if let Some(path) = path.filter(|p| !p.contains('\n') && !p.trim().is_empty()) {
            out.push(dir.join(path.trim()));
        }
    };
    if let Some(Tree::Seq(items)) = tree.get("patchesStrategicMerge") {
        items.iter().for_each(|i| add(i.as_str()));
    }
    for key in ["patches", "patchesJson6902"] {
        if let Some(Tree::Seq(items)) = tree.get(key) {
            items
                .iter()
                .for_each(|i| add(i.get("path").and_then(Tree::as_str)));
        }
    }
    out
}

/// Adds the files under `root` (or `root` itself) to `jobs`, sorted so output is stable.
pub(crate) fn collect(root: &Path, jobs: &mut Vec<FileJob>, problems: &mut Vec<Finding>) {
    if !root.is_dir() {
        if root
            .file_name()
            .is_some_and(|n| is_kustomization_file(&n.to_string_lossy()))
        {
            problems.push(kustomize_skipped(&root.display().to_string(), None));
            return;
        }
        let display = root.display().to_string();
        jobs.push(FileJob::Path {
            path: root.to_path_buf(),
            display,
        });
        return;
    }
    // Canonical paths, so that `../base/patch.yaml` and the walk's own path meet.
    // Patch file -> the directory of the kustomization that names it.
    let mut patches: std::collections::HashMap<PathBuf, PathBuf> = std::collections::HashMap::new();
    let mut walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    loop {
        let entry = match walker.next() {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(e)) => {
                let path = e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let reason = if e.loop_ancestor().is_some() {
                    "a symbolic link loop (the link points back at a directory that contains it); it was not followed".to_owned()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error().map_or_else(|| e.to_string(), ToString::to_string)
                    )
                };
                problems.push(input_invalid(&path, 1, None, reason));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_dir() {
            // Hidden directories (.git, .github, .terraform) hold tooling, not manifests.
            if entry.depth() > 0 && (name.starts_with('.') || name == "node_modules") {
                walker.skip_current_dir();
            } else if entry.depth() > 0
                && name == "templates"
                && path.parent().is_some_and(|p| p.join("Chart.yaml").is_file())
            {
                problems.push(skipped(
                    path,
                    "Helm chart templates are not plain manifests".to_owned(),
                    "Render the chart and scan the result: `helm template RELEASE CHART | mcp-diag scan -`.",
                ));
                walker.skip_current_dir();
            } else {
                patches.extend(
                    kustomize_patches(path)
                        .iter()
                        .filter_map(|p| p.canonicalize().ok())
                        .map(|p| (p, path.to_path_buf())),
                );
            }
            continue;
        }
        if is_kustomization_file(&name) {
            problems.push(kustomize_skipped(&path.display().to_string(), None));
            continue;
        }
        if !has_manifest_extension(path) || is_known_non_manifest(&name) {
            continue;
        }
        if let Some(kustomization) = path
            .canonicalize()
            .ok()
            .filter(|_| !patches.is_empty())
            .and_then(|p| patches.get(&p))
        {
            let mut f = kustomize_skipped(&path.display().to_string(), Some("patch"));
            // Listed with its kustomization, by its path from there.
            let shown = path.strip_prefix(kustomization).unwrap_or(path);
            f.details
                .insert(KUSTOMIZE, format!("{} (patch)", shown.display()));
            f.details
                .insert(KUSTOMIZE_DIR, kustomization.display().to_string());
            problems.push(f);
            continue;
        }
        jobs.push(FileJob::Path {
            path: path.to_path_buf(),
            display: path.display().to_string(),
        });
    }
}
