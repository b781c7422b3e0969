use mcp_diag_model::{Finding, Node as Yaml, Severity, SourceKind};
use mcp_diag_services::{Edge, Node, NodeKind};

use crate::deps::{
    Objects, caller_name, caller_ref, calls, evidence_words, node_name, pair_details, port_words,
};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "dep-missing",
    severity: Severity::High,
    title: "Dependency on a Service that is missing, empty or not listening on the port",
    doc: r#"## What it checks
Every call found in the service graph (an address in an environment variable, an argument, a
ConfigMap the pod loads, a mesh or Gateway route, an Ingress backend, a declared dependency)
whose Service:
- does not exist in the input (the address names `NAME.NS.svc` and there is no Service
  `NS/NAME`);
- selects no pod (snapshots and live clusters) or no pod template of a workload (manifests);
- selects pods of which none is ready, so it has no ready endpoint;
- does not expose the port the caller uses (`http://payment-gw:8080` while the Service only
  has port 80).

When the Services or Pods were not read completely (see `input-incomplete`), the check says
nothing definite: the Service or its pods may be among those not read. Services without a
selector (ExternalName, endpoints managed by hand) and headless Services (callers reach pod
ports directly) are not judged on pods or ports.

## Why it matters
Upgrades move pods, rename Services and change ports. A caller that still points at the old
name or port fails at its first request after the upgrade, and a Service with no ready
endpoint refuses every connection: the dependency is broken before anyone notices.

## Example
Deployment `shop/recommendation` has `FEATURE_STORE_URL=http://feature-store.data.svc:8080`,
and namespace `data` holds no Service `feature-store`.

## Fix
Point the caller at the Service's current name and port (`kubectl get svc -n NS`), create the
Service it expects, or fix the Service's selector so that it selects the provider's pods
(`kubectl get pods -n NS --show-labels`) and make those pods ready.
"#,
};

pub struct DepMissing;

impl Check for DepMissing {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        let Some(objects) = Objects::of_calls(ctx) else {
            return Vec::new();
        };
        let services_unknown = ctx.unknown_of(&[("", "Service")]).is_some();
        // Manifests hold no pods; elsewhere the graph says `pods: None` when it cannot tell.
        let pods_unknown = ctx.inventory.kind == SourceKind::Manifests;
        let mut out = Vec::new();
        for edge in calls(graph) {
            let to = graph.node(edge.to);
            let problem = match to.kind {
                // The graph knows whether the Services it was built from were read
                // completely; the coverage is asked too, as every check does.
                NodeKind::Missing if to.absence_known && !services_unknown => Some((
                    "no-service",
                    format!("there is no Service {} in the input", node_name(to)),
                    format!(
                        "Point the caller at an existing Service (kubectl get svc -n {}), or create Service {}.",
                        to.namespace,
                        node_name(to)
                    ),
                )),
                NodeKind::Service => service_problem(&objects, edge, to, pods_unknown),
                _ => None,
            };
            let Some((reason, what, fix)) = problem else {
                continue;
            };
            let caller = caller_ref(graph, edge);
            let mut details = pair_details(graph, edge);
            details.insert("reason", reason.to_owned());
            let title = format!(
                "{} depends on {}, which {}",
                caller_name(graph, edge),
                node_name(to),
                short(reason)
            );
            let message = format!(
                "{} calls {} ({}), but {what}. The call fails as soon as it is made.",
                caller_name(graph, edge),
                node_name(to),
                evidence_words(edge),
            );
            out.push(
                objects
                    .finding(&INFO, caller)
                    .words(title, message, fix)
                    .details(details)
                    .build(),
            );
        }
        out
    }
}

fn short(reason: &str) -> &'static str {
    match reason {
        "no-service" => "does not exist",
        "no-pod" => "selects no pod",
        "no-ready-endpoint" => "has no ready endpoint",
        _ => "does not expose the port used",
    }
}

/// What is wrong with an existing Service as the target of `edge`, if anything.
fn service_problem(
    objects: &Objects<'_>,
    edge: &Edge,
    to: &Node,
    pods_unknown: bool,
) -> Option<(&'static str, String, String)> {
    let service = to.object.as_ref().and_then(|o| objects.get(o));
    let spec = service.and_then(|s| s.raw.get("spec"));
    let selector = spec.and_then(|s| s.get("selector")).and_then(Yaml::as_map);
    let has_selector = selector.is_some_and(|m| !m.is_empty());
    let external_name = spec.and_then(|s| s.get("type")).and_then(Yaml::as_str) == Some("ExternalName");
    let headless = spec.and_then(|s| s.get("clusterIP")).and_then(Yaml::as_str) == Some("None");
    let name = node_name(to);
    if external_name {
        return None;
    }
    if !headless
        && let Some(port) = edge.port
        && !to.ports.is_empty()
        && !to.ports.iter().any(|p| p.port == port)
    {
        let ports: Vec<String> = to.ports.iter().map(port_words).collect();
        return Some((
            "port-not-exposed",
            format!(
                "Service {name} does not expose port {port} (it exposes {})",
                ports.join(", ")
            ),
            format!(
                "Call {name} on one of its ports ({}), or add port {port} to Service {name}.",
                ports.join(", ")
            ),
        ));
    }
    if !has_selector {
        return None;
    }
    if pods_unknown {
        // Manifests hold no pods, and the workload a Service selects may be deployed from
        // another repository or made by an operator: nothing certain to say.
        return None;
    }
    let pods = to.pods?;
    if pods.selected == 0 {
        return Some((
            "no-pod",
            format!("Service {name} selects no pod"),
            format!(
                "Make spec.selector of Service {name} match the provider's pod labels (kubectl get pods -n {} --show-labels), or scale the provider up.",
                to.namespace
            ),
        ));
    }
    if pods.ready == 0 {
        return Some((
            "no-ready-endpoint",
            format!(
                "none of the {} pod{} Service {name} selects is ready, so it has no ready endpoint",
                pods.selected,
                if pods.selected == 1 { "" } else { "s" }
            ),
            format!(
                "Find why the pods of {name} are not ready (kubectl describe pods -n {} -l SELECTOR) and fix it before the upgrade.",
                to.namespace
            ),
        ));
    }
    None
}
