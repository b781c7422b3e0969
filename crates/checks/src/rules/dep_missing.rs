use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node as Yaml, Object, ObjectRef, Severity, SourceKind};
use mcp_diag_services::{Edge, EdgeSource, Graph, Node, NodeKind, Port};
use rustc_hash::FxHashMap;

use crate::{Check, CheckInfo, Context, FindingBuilder};

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

/// `80/http (appProtocol grpc)`.
pub(crate) fn port_words(p: &Port) -> String {
    let mut s = p.port.to_string();
    if let Some(name) = &p.name {
        s.push('/');
        s.push_str(name);
    }
    if let Some(app) = &p.app_protocol {
        s.push_str(&format!(" (appProtocol {app})"));
    }
    s
}

/// The edges that are calls: NetworkPolicy permissions are not.
pub(crate) fn calls(graph: &Graph) -> impl Iterator<Item = &Edge> {
    graph
        .edges
        .iter()
        .filter(|e| e.source != EdgeSource::NetworkPolicy)
}

/// `shop/payment-gw`.
pub(crate) fn node_name(node: &Node) -> String {
    if node.namespace.is_empty() {
        node.name.clone()
    } else {
        format!("{}/{}", node.namespace, node.name)
    }
}

const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

pub(crate) fn is_workload(kind: &str) -> bool {
    WORKLOAD_KINDS.contains(&kind)
}

/// The object that makes the call: the workload whose template holds the evidence, else the
/// caller node's first workload, else its own object (an Ingress, a route).
pub(crate) fn caller_ref(graph: &Graph, edge: &Edge) -> Option<ObjectRef> {
    let from = graph.node(edge.from);
    edge.evidence
        .iter()
        .map(|e| &e.object)
        .find(|o| is_workload(&o.kind))
        .or_else(|| from.workloads.first())
        .or(from.object.as_ref())
        .or_else(|| edge.evidence.first().map(|e| &e.object))
        .cloned()
}

/// The workloads the caller's pods come from (for label matching).
pub(crate) fn caller_workloads(graph: &Graph, edge: &Edge) -> Vec<ObjectRef> {
    if let Some(o) = edge
        .evidence
        .iter()
        .map(|e| &e.object)
        .find(|o| is_workload(&o.kind))
    {
        return vec![o.clone()];
    }
    let from = graph.node(edge.from);
    if !from.workloads.is_empty() {
        return from.workloads.clone();
    }
    from.object
        .iter()
        .filter(|o| is_workload(&o.kind))
        .cloned()
        .collect()
}

/// `Deployment shop/order`, or the caller node's name.
pub(crate) fn caller_name(graph: &Graph, edge: &Edge) -> String {
    match caller_ref(graph, edge) {
        Some(o) if is_workload(&o.kind) => format!(
            "{} {}/{}",
            o.kind,
            o.namespace.as_deref().unwrap_or_default(),
            o.name
        ),
        _ => node_name(graph.node(edge.from)),
    }
}

/// The evidence of an edge in words: `env PAYMENT_URL=http://payment-gw.shop.svc:9090`;
/// several joined by `; `, the object named when it is not the caller's workload.
pub(crate) fn evidence_words(edge: &Edge) -> String {
    if edge.evidence.is_empty() {
        return format!("found by {:?}", edge.source).to_lowercase();
    }
    let shown: Vec<String> = edge
        .evidence
        .iter()
        .take(3)
        .map(|e| {
            if is_workload(&e.object.kind) {
                e.detail.clone()
            } else {
                let ns = e
                    .object
                    .namespace
                    .as_deref()
                    .map_or_else(String::new, |n| format!("{n}/"));
                if e.detail.starts_with(&e.object.kind) {
                    e.detail.clone()
                } else {
                    format!("{} in {} {ns}{}", e.detail, e.object.kind, e.object.name)
                }
            }
        })
        .collect();
    let mut text = shown.join("; ");
    if edge.evidence.len() > 3 {
        text.push_str(&format!("; and {} more", edge.evidence.len() - 3));
    }
    text
}

/// `consumer`, `provider`, `port`, `protocol` and `evidence` of a finding about a pair: the
/// dependency table of `scan --target-service` matches findings to pairs by them.
pub(crate) fn pair_details(graph: &Graph, edge: &Edge) -> BTreeMap<&'static str, String> {
    let mut d = BTreeMap::from([
        ("consumer", node_name(graph.node(edge.from))),
        ("provider", node_name(graph.node(edge.to))),
        ("evidence", evidence_words(edge)),
    ]);
    if let Some(port) = edge.port {
        d.insert("port", port.to_string());
    }
    if let Some(p) = &edge.protocol {
        d.insert("protocol", p.clone());
    }
    d
}

/// Objects by kind, namespace and name, for the kinds the `dep-*` checks look up (built only
/// when the graph has edges).
pub(crate) struct Objects<'a> {
    by_name: FxHashMap<(&'a str, &'a str, &'a str), &'a Object>,
}

impl<'a> Objects<'a> {
    /// The objects of a graph that has calls; `None` when it has none, and there is
    /// nothing for a `dep-*` check to judge.
    pub(crate) fn of_calls(ctx: &Context<'a>) -> Option<Self> {
        (!ctx.graph.edges.is_empty()).then(|| Self::build(ctx))
    }

    pub(crate) fn build(ctx: &Context<'a>) -> Self {
        let mut by_name = FxHashMap::default();
        for kind in WORKLOAD_KINDS
            .iter()
            .chain(&["Service", "Namespace", "Ingress", "ConfigMap"])
        {
            for o in ctx.index.of_kind(kind) {
                by_name.insert(
                    (
                        o.kind.as_str(),
                        o.namespace.as_deref().unwrap_or_default(),
                        o.name.as_str(),
                    ),
                    *o,
                );
            }
        }
        Self { by_name }
    }

    /// A finding of `info` about `object` (a caller or a Service of the graph), placed at
    /// its file and line when the input holds it.
    pub(crate) fn finding(&self, info: &'static CheckInfo, object: Option<ObjectRef>) -> FindingBuilder {
        let location = object
            .as_ref()
            .and_then(|o| self.get(o))
            .and_then(|o| o.location.clone());
        info.finding().object(object).location(location)
    }

    pub(crate) fn get(&self, r: &ObjectRef) -> Option<&'a Object> {
        self.by_name
            .get(&(
                r.kind.as_str(),
                r.namespace.as_deref().unwrap_or_default(),
                r.name.as_str(),
            ))
            .copied()
    }

    pub(crate) fn namespace(&self, name: &str) -> Option<&'a Object> {
        self.by_name.get(&("Namespace", "", name)).copied()
    }
}

/// The pod template of a workload (the pod itself for a Pod).
pub(crate) fn pod_template(o: &Object) -> Option<Yaml<'_>> {
    match o.kind.as_str() {
        "Pod" => Some(o.raw.root()),
        "CronJob" => o.raw.path(&["spec", "jobTemplate", "spec", "template"]),
        _ => o.raw.path(&["spec", "template"]),
    }
}

#[cfg(test)]
pub(crate) mod test_graph {
    //! Graphs built by hand for the `dep-*` checks' tests.
    use mcp_diag_model::ObjectRef;
    use mcp_diag_services::{Edge, EdgeSource, Evidence, Graph, Node, NodeId, NodeKind, PodCount, Port};

    pub(crate) fn obj(kind: &str, ns: &str, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: if kind == "Service" || kind == "Pod" {
                "v1"
            } else {
                "apps/v1"
            }
            .into(),
            kind: kind.into(),
            namespace: Some(ns.into()),
            name: name.into(),
        }
    }

    /// A Service node `ns/name` selecting Deployment `ns/workload`.
    pub(crate) fn service(ns: &str, name: &str, workload: &str, ports: &[(&str, u16, Option<&str>)]) -> Node {
        Node {
            kind: NodeKind::Service,
            namespace: ns.into(),
            name: name.into(),
            object: Some(obj("Service", ns, name)),
            workloads: vec![obj("Deployment", ns, workload)],
            ports: ports
                .iter()
                .map(|(n, p, app)| Port {
                    name: (!n.is_empty()).then(|| (*n).to_owned()),
                    port: *p,
                    target_port: None,
                    app_protocol: app.map(str::to_owned),
                })
                .collect(),
            version: None,
            version_source: None,
            pods: Some(PodCount {
                selected: 1,
                ready: 1,
            }),
            declared: None,
            mesh: None,
            absence_known: true,
            templates: Vec::new(),
        }
    }

    /// A call from node `from` to node `to`, found in env `var=value` of `from`'s workload.
    pub(crate) fn call(
        graph: &Graph,
        from: u32,
        to: u32,
        port: Option<u16>,
        protocol: Option<&str>,
        var: &str,
    ) -> Edge {
        let caller = graph.nodes[from as usize].workloads[0].clone();
        let to_node = &graph.nodes[to as usize];
        let url = format!(
            "{}://{}.{}.svc{}",
            protocol.unwrap_or("tcp"),
            to_node.name,
            to_node.namespace,
            port.map_or_else(String::new, |p| format!(":{p}"))
        );
        Edge {
            from: NodeId(from),
            to: NodeId(to),
            port,
            protocol: protocol.map(str::to_owned),
            source: EdgeSource::Env,
            evidence: vec![Evidence {
                object: caller,
                detail: format!("env {var}={url}"),
            }],
            requirement: None,
            tls: None,
        }
    }
}
