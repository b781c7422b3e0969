//! Which GitOps or Helm tool manages an object (field managers, labels, annotations), and
//! whether a controller owns it; shared by the drift-* rules.

use mcp_diag_model::{Node, Object};

/// A GitOps or Helm tool that manages an object, and how that is known.
pub(crate) struct Tracking {
    pub tool: &'static str,
    pub evidence: String,
}

/// Field managers of GitOps and Helm tools.
const GITOPS_MANAGERS: &[(&str, &str)] = &[
    ("helm", "Helm"),
    ("argocd-controller", "Argo CD"),
    ("argocd-application-controller", "Argo CD"),
    ("kustomize-controller", "Flux"),
    ("helm-controller", "Flux"),
];

pub(crate) fn gitops_manager(manager: &str) -> Option<&'static str> {
    GITOPS_MANAGERS
        .iter()
        .find(|(m, _)| *m == manager)
        .map(|(_, tool)| *tool)
}

/// Whether a controller owns the object (a pod of a ReplicaSet): it was not applied by a
/// tool even when it inherits the tool's labels.
pub(crate) fn controller_owned(object: &Object) -> bool {
    object
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        })
}

/// The GitOps or Helm tool that manages `object`, from its labels, annotations and
/// managedFields.
pub(crate) fn tracking(object: &Object) -> Option<Tracking> {
    let meta = object.raw.get("metadata")?;
    let label = |k: &str| meta.path(&["labels", k]).and_then(Node::as_str);
    let annotation = |k: &str| meta.path(&["annotations", k]).and_then(Node::as_str);
    let found = |tool, evidence: String| Some(Tracking { tool, evidence });
    if let Some(release) = annotation("meta.helm.sh/release-name") {
        return found("Helm", format!("Helm release {release}"));
    }
    if let Some(id) = annotation("argocd.argoproj.io/tracking-id") {
        let app = id.split(':').next().unwrap_or(id);
        return found("Argo CD", format!("Argo CD application {app}"));
    }
    for key in ["kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"] {
        if let Some(name) = label(key) {
            return found(
                "Flux",
                format!(
                    "Flux {} {name}",
                    if key.starts_with("helm") {
                        "HelmRelease"
                    } else {
                        "Kustomization"
                    }
                ),
            );
        }
    }
    if let Some(by) = label("app.kubernetes.io/managed-by") {
        let lower = by.to_ascii_lowercase();
        if lower == "helm" {
            return found("Helm", "label app.kubernetes.io/managed-by: Helm".to_owned());
        }
        if lower.contains("argo") {
            return found("Argo CD", format!("label app.kubernetes.io/managed-by: {by}"));
        }
        if lower.contains("flux") || lower == "kustomize-controller" || lower == "helm-controller" {
            return found("Flux", format!("label app.kubernetes.io/managed-by: {by}"));
        }
    }
    if let Some(h) = label("heritage").filter(|h| matches!(*h, "Helm" | "Tiller")) {
        return found("Helm", format!("label heritage: {h}"));
    }
    if let Some(entries) = meta.get("managedFields").and_then(Node::as_seq) {
        for e in entries {
            let manager = e.get("manager").and_then(Node::as_str).unwrap_or_default();
            if let Some(tool) = gitops_manager(manager) {
                return found(tool, format!("field manager {manager}"));
            }
        }
    }
    if let Some(instance) = label("app.kubernetes.io/instance") {
        let argo_key = |section: &str| {
            meta.get(section)
                .and_then(Node::as_map)
                .is_some_and(|m| m.iter().any(|(k, _)| k.starts_with("argocd.argoproj.io/")))
        };
        if argo_key("annotations") || argo_key("labels") {
            return found("Argo CD", format!("Argo CD application {instance}"));
        }
    }
    None
}
