//! What the `dep-*` checks (and scopes) share about the service graph: the calls, how a
//! node or caller is named, the evidence behind an edge, the objects behind nodes, and
//! hand-built graphs for tests.

use std::collections::BTreeMap;

use mcp_diag_model::{Node as Yaml, Object, ObjectRef};
use mcp_diag_services::{Edge, EdgeSource, Graph, Node, Port};
use rustc_hash::FxHashMap;

use crate::{CheckInfo, Context, FindingBuilder};

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
        .or_else(|| from.workloads.first().map(|w| &**w))
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
        return from.workloads.iter().map(|w| ObjectRef::clone(w)).collect();
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

/// The port of `node` that `edge` reaches: by number, else the only port.
pub(crate) fn target_port<'g>(node: &'g Node, edge: &Edge) -> Option<&'g Port> {
    match edge.port {
        Some(p) => node.ports.iter().find(|x| x.port == p),
        None if node.ports.len() == 1 => node.ports.first(),
        None => None,
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
            workloads: vec![obj("Deployment", ns, workload).into()],
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
        let caller = ObjectRef::clone(&graph.nodes[from as usize].workloads[0]);
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
