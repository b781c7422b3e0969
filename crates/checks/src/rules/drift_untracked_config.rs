use std::collections::{BTreeMap, HashMap};

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::gitops::{controller_owned, tracking};
use crate::workloads::in_cluster;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "drift-untracked-config",
    severity: Severity::Low,
    title: "ConfigMap outside GitOps in a managed namespace",
    doc: r#"## What it checks
ConfigMaps that carry no mark of Helm, Argo CD or Flux (the labels, annotations and field
managers `drift-manual-edit` lists) in namespaces where other objects do: the namespace is
managed from Git, this configuration is not. One `low` finding per ConfigMap.

ConfigMaps the cluster or a controller creates are skipped: `kube-root-ca.crt`,
`openshift-service-ca.crt`, `istio-ca-root-cert`, ConfigMaps with an owner reference
(created by an operator), leader-election records, Helm's own release storage, and
everything in `kube-system`, `kube-public` and `kube-node-lease`. Objects owned by a
controller do not make a namespace managed. Manifests are not checked: they are the
declared state.

## Why it matters
Configuration created by hand lives only in the cluster. When the cluster is rebuilt from Git
(a failed upgrade, a blue-green cluster replacement), it is not recreated and the workloads
that read it fail to start or run with different settings. Nobody reviews its changes.

## Example
Namespace `shop`, where 38 objects belong to Helm releases, holds the ConfigMaps
`feature-flags` and `maintenance-banner` with no labels or annotations at all: two `low`
findings.

## Fix
Add the ConfigMap to the chart or the manifests in Git (Argo CD or Flux then takes it over
at the next sync; with Helm, adopt it with the `meta.helm.sh/release-name` and
`meta.helm.sh/release-namespace` annotations and the `app.kubernetes.io/managed-by: Helm`
label). If it is obsolete, delete it. Check which workloads read it first.
"#,
};

pub struct DriftUntrackedConfig;

impl Check for DriftUntrackedConfig {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let config_maps = in_cluster(ctx, "ConfigMap");
        if config_maps.is_empty() {
            return Vec::new();
        }
        // Managed objects per namespace, by tool (counts), from one pass over the objects.
        let mut managed: HashMap<&str, BTreeMap<&'static str, usize>> = HashMap::new();
        for object in &ctx.inventory.objects {
            if controller_owned(object) {
                continue;
            }
            let ns = match (&object.namespace, object.kind.as_str()) {
                (Some(ns), _) => ns.as_str(),
                (None, "Namespace") => object.name.as_str(),
                (None, _) => continue,
            };
            if SYSTEM_NAMESPACES.contains(&ns) {
                continue;
            }
            if let Some(t) = tracking(object) {
                *managed.entry(ns).or_default().entry(t.tool).or_default() += 1;
            }
        }
        let mut findings = Vec::new();
        for cm in config_maps {
            if cm.api_version != "v1" || system_created(cm) {
                continue;
            }
            let Some(ns) = cm.namespace.as_deref() else {
                continue;
            };
            let Some(tools) = managed.get(ns) else {
                continue;
            };
            if tracking(cm).is_some() {
                continue;
            }
            findings.push(untracked(cm, ns, tools));
        }
        findings
    }
}

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// ConfigMaps the cluster or a controller creates in every namespace or for itself.
fn system_created(cm: &Object) -> bool {
    const NAMES: &[&str] = &[
        "kube-root-ca.crt",
        "openshift-service-ca.crt",
        "istio-ca-root-cert",
    ];
    if NAMES.contains(&cm.name.as_str()) {
        return true;
    }
    if cm
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .is_some_and(|r| !r.is_empty())
    {
        return true;
    }
    if cm
        .annotation("control-plane.alpha.kubernetes.io/leader")
        .is_some()
    {
        return true;
    }
    // Helm's release storage (`--storage configmap`, Helm 2's default).
    let label = |k: &str| cm.raw.path(&["metadata", "labels", k]).and_then(Node::as_str);
    label("owner") == Some("helm") || label("OWNER") == Some("TILLER")
}

fn untracked(cm: &Object, ns: &str, tools: &BTreeMap<&'static str, usize>) -> Finding {
    let total: usize = tools.values().sum();
    let by: Vec<String> = tools.iter().map(|(tool, n)| format!("{n} by {tool}")).collect();
    let main = tools
        .iter()
        .max_by_key(|(_, n)| **n)
        .map_or("Helm", |(tool, _)| *tool);
    let adopt = match main {
        "Helm" => {
            " (or adopt it into the Helm release: annotations meta.helm.sh/release-name and meta.helm.sh/release-namespace, label app.kubernetes.io/managed-by: Helm)"
        }
        _ => "",
    };
    INFO.about(cm)
        .title(format!("ConfigMap {ns}/{} is not managed from Git", cm.name))
        .message(format!(
            "ConfigMap {ns}/{} carries no Helm, Argo CD or Flux labels, annotations or field managers, while {total} other object{} in namespace {ns} {} managed ({}). It exists only in the cluster: a rebuild from Git would not recreate it, and its changes are not reviewed.",
            cm.name,
            if total == 1 { "" } else { "s" },
            if total == 1 { "is" } else { "are" },
            by.join(", "),
        ))
        .fix(format!(
            "Add ConfigMap {} to the manifests or chart of namespace {ns} in Git and let {main} take it over{adopt}; if nothing reads it any more, delete it (check the workloads' env, envFrom and volumes first).",
            cm.name,
        ))
        .evidence("labels, annotations and managedFields")
        .detail("namespace", ns)
        .detail("managed_objects", total)
        .detail("managed_by", tools.keys().copied().collect::<Vec<_>>().join(", "))
        .build()
}
