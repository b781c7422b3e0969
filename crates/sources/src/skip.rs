//! Inputs skipped on purpose, kustomize configuration above all: the findings that say so,
//! merged per directory. In a module of its own because both the directory walk and the
//! document parser produce them.

use std::path::Path;

use mcp_diag_model::{Finding, Location, Severity};

/// An `input-skipped` finding about `path`.
pub(crate) fn skipped(path: &Path, message: String, remediation: &str) -> Finding {
    Finding {
        check: "input-skipped",
        severity: Severity::Info,
        title: "Input skipped".to_owned(),
        object: None,
        location: Some(Location::new(path.display().to_string(), 1)),
        message,
        remediation: remediation.to_owned(),
        evidence: None,
        details: Default::default(),
    }
}

/// Detail that marks a per-file kustomize finding, merged per directory by
/// [`group_kustomize`].
pub(crate) const KUSTOMIZE: &str = "kustomize";
/// The directory a per-file kustomize finding is grouped under, when not its own.
pub(crate) const KUSTOMIZE_DIR: &str = "kustomize_dir";

/// The names kustomize looks for in a directory (kustomize's `konfig.RecognizedKustomizationFileNames`).
pub(crate) fn is_kustomization_file(name: &str) -> bool {
    matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization")
}

/// apiVersions of kustomize's own configuration: `Kustomization`, `Component`, and the
/// transformer and generator configs (`apiVersion: builtin`, `kind: LabelTransformer`).
pub(crate) fn is_kustomize_api_version(api_version: &str) -> bool {
    api_version == "builtin" || api_version.starts_with("kustomize.config.k8s.io/")
}

/// One file (or document) of kustomize configuration, before grouping.
pub(crate) fn kustomize_skipped(file: &str, what: Option<&str>) -> Finding {
    let mut f = skipped(Path::new(file), String::new(), "");
    f.details.insert(
        KUSTOMIZE,
        what.map_or_else(|| file_name(file), |w| format!("{} ({w})", file_name(file))),
    );
    f
}

fn file_name(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Merges the kustomize findings of one directory into one: a kustomization is read as a
/// whole by `kubectl kustomize`, so one hint per directory is what the user acts on.
pub(crate) fn group_kustomize(problems: &mut Vec<Finding>) {
    if !problems.iter().any(|f| f.details.contains_key(KUSTOMIZE)) {
        return;
    }
    let mut dirs: Vec<(String, Vec<String>)> = Vec::new();
    problems.retain(|f| {
        let Some(what) = f.details.get(KUSTOMIZE) else {
            return true;
        };
        let file = f.location.as_ref().map_or("", |l| l.file.as_str());
        let dir = match f
            .details
            .get(KUSTOMIZE_DIR)
            .map(Path::new)
            .or_else(|| Path::new(file).parent())
        {
            Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
            _ if file == "<stdin>" => file.to_owned(),
            _ => ".".to_owned(),
        };
        match dirs.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, files)) if files.contains(what) => {}
            Some((_, files)) => files.push(what.clone()),
            None => dirs.push((dir, vec![what.clone()])),
        }
        false
    });
    for (dir, mut files) in dirs {
        files.sort();
        let shown = if dir == "<stdin>" { "DIR" } else { dir.as_str() };
        let mut f = skipped(
            Path::new(&dir),
            format!(
                "kustomize configuration, not Kubernetes objects ({}: {}); the kustomization is not built here",
                mcp_diag_model::plural(files.len(), "file", "files"),
                files.join(", ")
            ),
            &format!(
                "Build the kustomization and scan its output: `kubectl kustomize {shown} | mcp-diag scan -`."
            ),
        );
        f.details.insert("files", files.join(", "));
        problems.push(f);
    }
}
