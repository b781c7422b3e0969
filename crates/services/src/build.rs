//! [`Graph::build`]: one pass over the inventory's objects, then the pod templates (not the
//! pods: a 150,000-pod cluster has a few thousand templates), then the routing objects.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mcp_diag_model::{Inventory, Node as Value, Object, ObjectRef, SourceKind};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::address::{Address, dns_name, find_addresses, redact_credentials, scheme_is_tls};
use crate::declared::{self, Declared, DeclaredService};
use crate::label_index::LabelSets;
use crate::labels::labels_of;
use crate::labels::scalar;
use crate::netpol::NetworkPolicy;
use crate::selector::Selector;
use crate::{
    DestinationTls, Edge, EdgeSource, Evidence, Graph, Labels, Node, NodeId, NodeKind, PeerAuthentication,
    PodCount, Port, Template,
};

/// A Service's selector as (key, value) pairs.
type SelectorPairs<'a> = Vec<(&'a str, &'a str)>;

/// Services by the first pair of their selector: (namespace, key, value) -> (node, selector).
type SelectorIndex<'a> = FxHashMap<(&'a str, &'a str, &'a str), Vec<(NodeId, SelectorPairs<'a>)>>;

/// What makes two edges the same: from, to, port, protocol, call or permission, with a requirement.
type EdgeKey = (NodeId, NodeId, Option<u16>, Option<String>, bool, bool);

const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// A workload's pod template, with where it came from.
struct PodTemplate<'a> {
    object: &'a Object,
    /// The workload as nodes list it (one allocation, shared by the nodes).
    workload: Arc<ObjectRef>,
    namespace: &'a str,
    /// What the nodes keep of it (shared by the nodes that select it).
    shared: Arc<Template>,
    spec: Value<'a>,
    version: Option<(String, &'static str)>,
    mesh: Option<bool>,
    /// The nodes its calls start from: the Services that select it, else its Workload node.
    from: Vec<NodeId>,
}

/// ConfigMaps by (namespace, name).
type ConfigMaps<'a> = FxHashMap<(&'a str, &'a str), &'a Object>;

/// A call found in a template: the address, how it was found, the evidence.
type CallSite = (Address, EdgeSource, String);

struct Builder<'a> {
    inventory: &'a Inventory,
    graph: Graph,
    /// (kind, namespace, name) -> node.
    ids: FxHashMap<(u8, String, String), NodeId>,
    namespaces: BTreeSet<String>,
    services_complete: bool,
    configmaps: ConfigMaps<'a>,
    /// Services by the first pair of their selector: (namespace, key, value) -> (node, selector).
    selector_index: SelectorIndex<'a>,
    /// ServiceEntry hosts (may start with `*.`) -> External node.
    external_hosts: Vec<(String, NodeId)>,
    edges: Vec<Edge>,
    /// Services and workloads by name, for annotations and declarations; built by the first
    /// that needs it (after every node exists).
    names: std::cell::OnceCell<Names>,
}

/// Lookups of [`Builder::find_for_object`] and [`Builder::lookup`], so that many annotated
/// objects or declared services do not each read every node.
#[derive(Default)]
struct Names {
    /// A workload object -> the first node that holds it.
    workloads: FxHashMap<ObjectRef, NodeId>,
    /// A Service's or workload node's name, and the names of its workloads -> those nodes.
    by_name: FxHashMap<String, Vec<NodeId>>,
}

fn kind_rank(kind: &NodeKind) -> u8 {
    match kind {
        NodeKind::Service => 0,
        NodeKind::Workload => 1,
        NodeKind::Missing => 2,
        NodeKind::External => 3,
        NodeKind::Outside => 4,
    }
}

fn text<'a>(node: Option<Value<'a>>) -> Option<&'a str> {
    node.and_then(Value::as_str)
}

fn port_number(node: Option<Value<'_>>) -> Option<u16> {
    let node = node?;
    node.as_i64()
        .and_then(|n| u16::try_from(n).ok())
        .or_else(|| node.as_str()?.parse().ok())
}

/// The tag of an image reference; `None` for `latest`, a digest only, or no tag.
pub(crate) fn image_tag(image: &str) -> Option<String> {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    let (_, tag) = last.rsplit_once(':')?;
    (!tag.is_empty() && tag != "latest").then(|| tag.to_owned())
}

fn mesh_flag(value: Option<&str>) -> Option<bool> {
    match value? {
        "true" | "enabled" => Some(true),
        "false" | "disabled" => Some(false),
        _ => None,
    }
}

impl<'a> Builder<'a> {
    fn node_id(&mut self, kind: NodeKind, namespace: &str, name: &str) -> NodeId {
        let key = (kind_rank(&kind), namespace.to_owned(), name.to_owned());
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = NodeId(self.graph.nodes.len() as u32);
        self.graph.nodes.push(Node {
            kind,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            object: None,
            workloads: Vec::new(),
            ports: Vec::new(),
            version: None,
            version_source: None,
            pods: None,
            declared: None,
            mesh: None,
            absence_known: false,
            templates: Vec::new(),
        });
        self.ids.insert(key, id);
        id
    }

    fn service(&self, namespace: &str, name: &str) -> Option<NodeId> {
        self.ids.get(&(0, namespace.to_owned(), name.to_owned())).copied()
    }

    fn of_kind(&self, group: &'a str, kind: &'a str) -> impl Iterator<Item = &'a Object> + use<'a> {
        self.inventory
            .objects
            .iter()
            .filter(move |o| o.kind == kind && o.group_version().0 == group)
    }

    fn namespaces(&mut self) {
        for o in &self.inventory.objects {
            // Most objects share a few namespaces: look before cloning.
            if let Some(ns) = &o.namespace
                && !self.namespaces.contains(ns)
            {
                self.namespaces.insert(ns.clone());
            }
            if o.kind == "Namespace" && o.api_version == "v1" {
                self.namespaces.insert(o.name.clone());
                let mut labels = labels_of(o.raw.path(&["metadata", "labels"]));
                labels.insert("kubernetes.io/metadata.name".into(), o.name.clone());
                self.graph.namespace_labels.insert(o.name.clone(), labels);
                self.graph.namespaces_known = true;
            }
            if o.kind == "ConfigMap" && o.api_version == "v1" {
                self.configmaps
                    .insert((o.namespace.as_deref().unwrap_or("default"), o.name.as_str()), o);
            }
        }
    }

    fn services(&mut self) {
        let inventory = self.inventory;
        let present = inventory
            .objects
            .iter()
            .any(|o| o.kind == "Service" && o.api_version == "v1");
        // Manifests are one repository's share of a cluster: a Service they do not hold may
        // well be deployed from elsewhere, so its absence is not known.
        self.services_complete = inventory.kind != mcp_diag_model::SourceKind::Manifests
            && inventory
                .coverage
                .judge(inventory.kind, "", "Service", present)
                .is_complete();
        for o in inventory
            .objects
            .iter()
            .filter(|o| o.kind == "Service" && o.api_version == "v1")
        {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let id = self.node_id(NodeKind::Service, ns, &o.name);
            let ports = o
                .raw
                .path(&["spec", "ports"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| {
                    Some(Port {
                        name: text(p.get("name")).map(str::to_owned),
                        port: port_number(p.get("port"))?,
                        target_port: p.get("targetPort").and_then(scalar),
                        app_protocol: text(p.get("appProtocol")).map(str::to_owned),
                    })
                })
                .collect();
            let node = &mut self.graph.nodes[id.0 as usize];
            node.object = Some(o.object_ref());
            node.ports = ports;
            let selector: Vec<(&'a str, &'a str)> = o
                .raw
                .path(&["spec", "selector"])
                .and_then(Value::as_map)
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?)))
                .collect();
            if let Some(&(k, v)) = selector.first() {
                self.selector_index
                    .entry((ns, k, v))
                    .or_default()
                    .push((id, selector));
            }
        }
    }

    /// Every pod template of the input (workloads, bare pods) with the Services that select
    /// it, and a Workload node for those no Service selects.
    fn templates(&mut self) -> Vec<PodTemplate<'a>> {
        let inventory = self.inventory;
        let namespace_labels = &self.graph.namespace_labels;
        let selector_index = &self.selector_index;
        // Each object read on its own (in parallel: a large inventory has tens of thousands
        // of templates), the nodes filled in afterwards, in input order.
        let mut templates: Vec<PodTemplate<'a>> = inventory
            .objects
            .par_iter()
            .filter_map(|o| {
                // Read only for the kinds that ask (reading every object's document costs).
                let has_owner = || {
                    o.raw
                        .path(&["metadata", "ownerReferences"])
                        .and_then(Value::as_seq)
                        .is_some_and(|s| !s.is_empty())
                };
                let template = match (o.group_version().0, o.kind.as_str()) {
                    ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet") => {
                        o.raw.path(&["spec", "template"])
                    }
                    ("apps" | "extensions", "ReplicaSet")
                    | ("batch", "Job")
                    | ("", "ReplicationController")
                        if !has_owner() =>
                    {
                        o.raw.path(&["spec", "template"])
                    }
                    ("batch", "CronJob") => o.raw.path(&["spec", "jobTemplate", "spec", "template"]),
                    ("", "Pod") if !has_owner() => Some(o.raw.root()),
                    _ => None,
                };
                let template = template?;
                let namespace = o.namespace.as_deref().unwrap_or("default");
                let labels = labels_of(template.path(&["metadata", "labels"]));
                let spec = template.field("spec");
                let version = o
                    .raw
                    .path(&["metadata", "labels", VERSION_LABEL])
                    .and_then(scalar)
                    .or_else(|| labels.get(VERSION_LABEL).cloned())
                    .map(|v| (v, "label app.kubernetes.io/version"))
                    .or_else(|| {
                        let image = text(
                            spec.path(&["containers"])
                                .and_then(|c| c.as_seq()?.first()?.get("image")),
                        )?;
                        Some((image_tag(image)?, "image tag"))
                    });
                let annotations = template.path(&["metadata", "annotations"]);
                let mesh = mesh_flag(labels.get("sidecar.istio.io/inject").map(String::as_str))
                    .or_else(|| mesh_flag(text(annotations.and_then(|a| a.get("sidecar.istio.io/inject")))))
                    .or_else(|| {
                        let ns = namespace_labels.get(namespace)?;
                        if ns.contains_key("istio.io/rev") {
                            return Some(true);
                        }
                        match ns.get("istio-injection").map(String::as_str) {
                            Some("enabled") => Some(true),
                            _ => Some(false),
                        }
                    });
                let from = selecting(selector_index, namespace, &labels);
                let ports = spec
                    .path(&["containers"])
                    .and_then(Value::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|c| c.get("ports").and_then(Value::as_seq).unwrap_or_default().iter())
                    .filter_map(|p| {
                        Some((
                            text(p.get("name")).unwrap_or_default().to_owned(),
                            port_number(p.get("containerPort"))?,
                        ))
                    })
                    .collect();
                // One template shared by its nodes: a template that many Services select
                // would otherwise be copied into each (most of the graph's memory on such an
                // input).
                let shared = Arc::new(Template {
                    object: Some(o.object_ref()),
                    labels,
                    ports,
                });
                Some(PodTemplate {
                    object: o,
                    workload: Arc::new(o.object_ref()),
                    namespace,
                    shared,
                    spec,
                    version,
                    mesh,
                    from,
                })
            })
            .collect();
        // The templates of each node, in input order; then the nodes filled in parallel.
        let unselected = templates.iter().filter(|t| t.from.is_empty()).count();
        // Nodes are large: grown once, not copied at each doubling.
        self.graph.nodes.reserve(unselected);
        let mut of_node: Vec<Vec<u32>> = Vec::new();
        for (i, t) in templates.iter_mut().enumerate() {
            if t.from.is_empty() {
                let id = self.node_id(NodeKind::Workload, t.namespace, &t.object.name);
                // A bare pod and a Deployment of the same name share the node: fine.
                self.graph.nodes[id.0 as usize]
                    .object
                    .get_or_insert_with(|| t.object.object_ref());
                t.from.push(id);
            }
            for id in &t.from {
                let at = id.0 as usize;
                if of_node.len() <= at {
                    of_node.resize_with(at + 1, Vec::new);
                }
                of_node[at].push(i as u32);
            }
        }
        let templates_ref = &templates;
        self.graph
            .nodes
            .par_iter_mut()
            .zip(of_node.par_iter())
            .for_each(|(node, list)| fill_node(node, list.iter().map(|&i| &templates_ref[i as usize])));
        templates
    }

    /// Pods each Service selects, and how many are ready; unknown unless Pods were read
    /// completely from a cluster (manifests hold no pods, so they say nothing).
    fn pods(&mut self) {
        let inventory = self.inventory;
        let present = inventory.objects.iter().any(|o| o.kind == "Pod");
        let known = inventory.kind != SourceKind::Manifests
            && inventory
                .coverage
                .judge(inventory.kind, "", "Pod", present)
                .is_complete();
        if !known {
            return;
        }
        let mut counts: FxHashMap<NodeId, PodCount> = FxHashMap::default();
        for (_, candidates) in self.selector_index.iter() {
            for (id, _) in candidates {
                counts.insert(
                    *id,
                    PodCount {
                        selected: 0,
                        ready: 0,
                    },
                );
            }
        }
        let mut hits: Vec<NodeId> = Vec::new();
        for o in inventory
            .objects
            .iter()
            .filter(|o| o.kind == "Pod" && o.api_version == "v1")
        {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let Some(labels) = o.raw.path(&["metadata", "labels"]).and_then(Value::as_map) else {
                continue;
            };
            hits.clear();
            for (k, v) in labels.iter() {
                let Some(v) = v.as_str() else { continue };
                let Some(candidates) = self.selector_index.get(&(ns, k, v)) else {
                    continue;
                };
                for (id, selector) in candidates {
                    if selector
                        .iter()
                        .all(|(sk, sv)| labels.get(sk).and_then(Value::as_str) == Some(*sv))
                        && !hits.contains(id)
                    {
                        hits.push(*id);
                    }
                }
            }
            if hits.is_empty() {
                continue;
            }
            let ready = o
                .raw
                .path(&["status", "conditions"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .any(|c| text(c.get("type")) == Some("Ready") && text(c.get("status")) == Some("True"));
            for id in &hits {
                let count = counts.entry(*id).or_insert(PodCount {
                    selected: 0,
                    ready: 0,
                });
                count.selected += 1;
                count.ready += usize::from(ready);
            }
        }
        for (id, count) in counts {
            self.graph.nodes[id.0 as usize].pods = Some(count);
        }
    }

    fn service_entries(&mut self) {
        let entries: Vec<&Object> = self.of_kind("networking.istio.io", "ServiceEntry").collect();
        for o in entries {
            for host in o
                .raw
                .path(&["spec", "hosts"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                let Some(host) = host.as_str() else { continue };
                let host = host.to_ascii_lowercase();
                let id = self.node_id(NodeKind::External, "", &host);
                self.graph.nodes[id.0 as usize]
                    .object
                    .get_or_insert_with(|| o.object_ref());
                self.external_hosts.push((host, id));
            }
        }
    }

    fn external(&self, host: &str) -> Option<NodeId> {
        self.external_hosts.iter().find_map(|(pattern, id)| {
            let matches = match pattern.strip_prefix("*.") {
                Some(suffix) => {
                    host.ends_with(suffix)
                        && host.len() > suffix.len()
                        && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
                }
                None => pattern == host,
            };
            matches.then_some(*id)
        })
    }

    /// The node an address names, seen from `namespace`; `None` for a host outside the
    /// cluster. `short_is_service`: Istio resolves a short name in the rule's namespace even
    /// when no Service has it (so it is Missing); addresses in environment only count when
    /// the Service exists.
    fn resolve(&mut self, host: &str, namespace: &str, short_is_service: bool) -> Option<NodeId> {
        let labels: Vec<&str> = host.split('.').collect();
        let in_cluster = if let Some(i) = labels.iter().position(|l| *l == "svc").filter(|i| *i >= 2) {
            Some((labels[i - 2], labels[i - 1]))
        } else if labels.len() == 2 && self.namespaces.contains(labels[1]) {
            Some((labels[0], labels[1]))
        } else if labels.len() == 1 {
            if short_is_service || self.service(namespace, host).is_some() {
                Some((host, namespace))
            } else {
                None
            }
        } else {
            None
        };
        let Some((name, ns)) = in_cluster else {
            return self.external(host);
        };
        if let Some(id) = self.service(ns, name) {
            return Some(id);
        }
        if let Some(id) = self.external(host) {
            return Some(id);
        }
        let complete = self.services_complete;
        let id = self.node_id(NodeKind::Missing, ns, name);
        self.graph.nodes[id.0 as usize].absence_known = complete;
        Some(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        port: Option<u16>,
        protocol: Option<&str>,
        source: EdgeSource,
        object: ObjectRef,
        detail: String,
    ) {
        self.edges.push(Edge {
            from,
            to,
            port,
            protocol: protocol.map(str::to_owned),
            source,
            evidence: vec![Evidence {
                object,
                detail: redact_credentials(&detail),
            }],
            requirement: None,
            tls: protocol.map(scheme_is_tls),
        });
    }

    fn address_edges(&mut self, t: &PodTemplate<'a>, address: &Address, source: EdgeSource, detail: String) {
        let Some(to) = self.resolve(&address.host, t.namespace, false) else {
            return;
        };
        for &from in &t.from {
            // A service that names itself (a public URL) does not depend on itself.
            if from == to {
                continue;
            }
            self.edge(
                from,
                to,
                address.port,
                address.scheme,
                source,
                t.object.object_ref(),
                detail.clone(),
            );
        }
    }

    fn outside(&mut self, namespace: &str, name: String, object: &Object) -> NodeId {
        let id = self.node_id(NodeKind::Outside, namespace, &name);
        self.graph.nodes[id.0 as usize]
            .object
            .get_or_insert_with(|| object.object_ref());
        id
    }

    /// The port number of a Service port given by number or name.
    fn service_port(&self, id: NodeId, port: Option<Value<'_>>) -> Option<u16> {
        let port = port?;
        if let Some(n) = port_number(Some(port)) {
            return Some(n);
        }
        let name = port.as_str()?;
        self.graph.nodes[id.0 as usize]
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.port)
    }

    fn ingresses(&mut self) {
        let list: Vec<&Object> = self
            .inventory
            .objects
            .iter()
            .filter(|o| {
                o.kind == "Ingress" && matches!(o.group_version().0, "networking.k8s.io" | "extensions")
            })
            .collect();
        for o in list {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let mut backends: Vec<(Value<'_>, String)> = Vec::new();
            for key in ["defaultBackend", "backend"] {
                if let Some(b) = o.raw.path(&["spec", key]) {
                    backends.push((b, "default backend".into()));
                }
            }
            for rule in o
                .raw
                .path(&["spec", "rules"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                let host = text(rule.get("host")).unwrap_or("*");
                for p in rule
                    .path(&["http", "paths"])
                    .and_then(Value::as_seq)
                    .unwrap_or_default()
                {
                    if let Some(b) = p.get("backend") {
                        let path = text(p.get("path")).unwrap_or("/");
                        backends.push((b, format!("rule {host}{path}")));
                    }
                }
            }
            let from = self.outside(ns, format!("ingress/{}", o.name), o);
            for (b, place) in backends {
                let (name, port) = match text(b.path(&["service", "name"])) {
                    Some(name) => (
                        name,
                        b.path(&["service", "port", "number"])
                            .or_else(|| b.path(&["service", "port", "name"])),
                    ),
                    None => match text(b.get("serviceName")) {
                        Some(name) => (name, b.get("servicePort")),
                        None => continue,
                    },
                };
                let Some(to) = self.resolve(name, ns, true) else {
                    continue;
                };
                let port = self.service_port(to, port);
                let detail = format!(
                    "Ingress {ns}/{} {place} -> {name}{}",
                    o.name,
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                );
                self.edge(
                    from,
                    to,
                    port,
                    Some("http"),
                    EdgeSource::Ingress,
                    o.object_ref(),
                    detail,
                );
            }
        }
    }

    fn gateway_routes(&mut self) {
        let list: Vec<&Object> = self
            .inventory
            .objects
            .iter()
            .filter(|o| {
                o.group_version().0 == "gateway.networking.k8s.io"
                    && matches!(
                        o.kind.as_str(),
                        "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute"
                    )
            })
            .collect();
        for o in list {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let protocol = match o.kind.as_str() {
                "HTTPRoute" => Some("http"),
                "GRPCRoute" => Some("grpc"),
                "TCPRoute" => Some("tcp"),
                _ => None,
            };
            let parents: Vec<(String, String)> = o
                .raw
                .path(&["spec", "parentRefs"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| {
                    Some((
                        text(p.get("namespace")).unwrap_or(ns).to_owned(),
                        text(p.get("name"))?.to_owned(),
                    ))
                })
                .collect();
            let mut backends = Vec::new();
            for rule in o
                .raw
                .path(&["spec", "rules"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                for b in rule
                    .get("backendRefs")
                    .and_then(Value::as_seq)
                    .unwrap_or_default()
                {
                    let kind = text(b.get("kind")).unwrap_or("Service");
                    let group = text(b.get("group")).unwrap_or("");
                    if kind != "Service" || !group.is_empty() {
                        continue;
                    }
                    let Some(name) = text(b.get("name")) else { continue };
                    let bns = text(b.get("namespace")).unwrap_or(ns).to_owned();
                    backends.push((name.to_owned(), bns, port_number(b.get("port"))));
                }
            }
            for (pns, pname) in &parents {
                let from = self.outside(pns, format!("gateway/{pname}"), o);
                for (name, bns, port) in &backends {
                    let Some(to) = self.resolve(&format!("{name}.{bns}.svc"), ns, true) else {
                        continue;
                    };
                    let detail = format!(
                        "{} {ns}/{} backendRef {bns}/{name}{}",
                        o.kind,
                        o.name,
                        port.map(|p| format!(":{p}")).unwrap_or_default()
                    );
                    self.edge(
                        from,
                        to,
                        *port,
                        protocol,
                        EdgeSource::GatewayRoute,
                        o.object_ref(),
                        detail,
                    );
                }
            }
        }
    }

    fn istio(&mut self) {
        let services: Vec<&Object> = self.of_kind("networking.istio.io", "VirtualService").collect();
        for o in services {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let gateways: Vec<String> = o
                .raw
                .path(&["spec", "gateways"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect();
            let hosts: Vec<String> = o
                .raw
                .path(&["spec", "hosts"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|h| h.as_str().map(str::to_ascii_lowercase))
                .collect();
            let mut destinations = Vec::new();
            for (kind, protocol) in [("http", Some("http")), ("tcp", Some("tcp")), ("tls", None)] {
                for route in o
                    .raw
                    .path(&["spec", kind])
                    .and_then(Value::as_seq)
                    .unwrap_or_default()
                {
                    for r in route.get("route").and_then(Value::as_seq).unwrap_or_default() {
                        let Some(host) = text(r.path(&["destination", "host"])) else {
                            continue;
                        };
                        let port = port_number(r.path(&["destination", "port", "number"]));
                        destinations.push((host.to_ascii_lowercase(), port, protocol, kind));
                    }
                }
            }
            let mut starts: Vec<(NodeId, String)> = Vec::new();
            for g in gateways.iter().filter(|g| *g != "mesh") {
                let (gns, gname) = g.split_once('/').unwrap_or((ns, g.as_str()));
                let from = self.outside(gns, format!("istio-gateway/{gname}"), o);
                starts.push((from, format!("gateway {g}")));
            }
            if gateways.is_empty() || gateways.iter().any(|g| g == "mesh") {
                // In the mesh, traffic addressed to a host goes to the destinations.
                for h in &hosts {
                    if let Some(from) = self.resolve(h, ns, true) {
                        starts.push((from, format!("host {h}")));
                    }
                }
            }
            for (host, port, protocol, kind) in destinations {
                let Some(to) = self.resolve(&host, ns, true) else {
                    continue;
                };
                for (from, via) in &starts {
                    if *from == to {
                        continue;
                    }
                    let detail = format!(
                        "VirtualService {ns}/{} {via} {kind} route -> {host}{}",
                        o.name,
                        port.map(|p| format!(":{p}")).unwrap_or_default()
                    );
                    self.edge(
                        *from,
                        to,
                        port,
                        protocol,
                        EdgeSource::IstioVirtualService,
                        o.object_ref(),
                        detail,
                    );
                }
            }
        }
        let rules: Vec<&Object> = self.of_kind("networking.istio.io", "DestinationRule").collect();
        for o in rules {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let Some(host) = text(o.raw.path(&["spec", "host"])) else {
                continue;
            };
            let node = self.resolve(&host.to_ascii_lowercase(), ns, true);
            if let Some(mode) = text(o.raw.path(&["spec", "trafficPolicy", "tls", "mode"])) {
                self.graph.destination_tls.push(DestinationTls {
                    object: o.object_ref(),
                    host: host.to_owned(),
                    node,
                    port: None,
                    mode: mode.to_owned(),
                });
            }
            for p in o
                .raw
                .path(&["spec", "trafficPolicy", "portLevelSettings"])
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                if let (Some(port), Some(mode)) = (
                    port_number(p.path(&["port", "number"])),
                    text(p.path(&["tls", "mode"])),
                ) {
                    self.graph.destination_tls.push(DestinationTls {
                        object: o.object_ref(),
                        host: host.to_owned(),
                        node,
                        port: Some(port),
                        mode: mode.to_owned(),
                    });
                }
            }
        }
        let peers: Vec<&Object> = self.of_kind("security.istio.io", "PeerAuthentication").collect();
        for o in peers {
            let ns = o.namespace.as_deref().unwrap_or("default");
            let selector = o
                .raw
                .path(&["spec", "selector", "matchLabels"])
                .map(|m| labels_of(Some(m)))
                .filter(|l| !l.is_empty());
            let port_modes = o
                .raw
                .path(&["spec", "portLevelMtls"])
                .and_then(Value::as_map)
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, text(v.get("mode"))?.to_owned())))
                .collect();
            self.graph.peer_authentications.push(PeerAuthentication {
                object: o.object_ref(),
                namespace: ns.to_owned(),
                selector,
                mode: text(o.raw.path(&["spec", "mtls", "mode"])).map(str::to_owned),
                port_modes,
            });
        }
    }

    /// NetworkPolicies: kept for [`Graph::egress_allowed`]; their egress rules that name pods
    /// by label also become permission edges to the Services selecting those pods.
    fn network_policies(&mut self) {
        let list: Vec<&Object> = self.of_kind("networking.k8s.io", "NetworkPolicy").collect();
        for o in list {
            match NetworkPolicy::parse(o) {
                Ok(p) => self.graph.network_policies.push(p),
                Err(e) => self.graph.problems.push(format!(
                    "NetworkPolicy {}/{}: {e}",
                    o.namespace.as_deref().unwrap_or("default"),
                    o.name
                )),
            }
        }
        let mut permitted = Vec::new();
        // Nodes by namespace, and the Services among them, so that a policy looks only at
        // its own namespace (and the namespaces its peers name), not at every node; and
        // within a namespace, filed by their templates' labels, so that a selector looks
        // only at the nodes carrying the labels it asks for, not at the whole namespace.
        let mut in_namespace: FxHashMap<&str, (Vec<usize>, LabelSets)> = FxHashMap::default();
        let mut services_in: FxHashMap<&str, (Vec<usize>, LabelSets)> = FxHashMap::default();
        for (i, n) in self.graph.nodes.iter().enumerate() {
            let (ids, labels) = in_namespace.entry(n.namespace.as_str()).or_default();
            ids.push(i);
            for t in &n.templates {
                labels.insert(i as u32, &t.labels);
            }
            if n.kind == NodeKind::Service {
                let (ids, labels) = services_in.entry(n.namespace.as_str()).or_default();
                ids.push(i);
                // A target must match with every template, so with its first.
                if let Some(t) = n.templates.first() {
                    labels.insert(i as u32, &t.labels);
                }
            }
        }
        // The ids among `within` whose labels may match `selector`, ascending.
        let narrowed = |within: &(Vec<usize>, LabelSets), selector: &Selector| -> Vec<usize> {
            match within.1.candidates(selector) {
                Some(ids) => ids.into_iter().map(|i| i as usize).collect(),
                None => within.0.clone(),
            }
        };
        let nobody: (Vec<usize>, LabelSets) = Default::default();
        for policy in &self.graph.network_policies {
            // The policy's pods, found when a peer of it first names a target.
            let mut sources: Option<Vec<usize>> = None;
            for rule in &policy.egress {
                for peer in &rule.peers {
                    let Some(pods) = &peer.pods else { continue };
                    // A peer of every pod (`podSelector: {}`) names no one in particular: a
                    // permission edge to every Service would say nothing and grow with the
                    // square of the namespace. `egress_allowed` still answers for it.
                    if pods.requirements.is_empty() {
                        continue;
                    }
                    // The Services the peer names, found once per peer: in the policy's
                    // namespace (or those its namespaceSelector picks), every pod of theirs
                    // matched by the peer's podSelector.
                    let candidates: Vec<usize> = match &peer.namespaces {
                        None => services_in
                            .get(policy.namespace.as_str())
                            .map(|within| narrowed(within, pods))
                            .unwrap_or_default(),
                        Some(sel) => services_in
                            .iter()
                            .filter(|(ns, _)| {
                                self.graph
                                    .namespace_labels
                                    .get(**ns)
                                    .is_some_and(|l| sel.matches(l))
                            })
                            .flat_map(|(_, within)| narrowed(within, pods))
                            .collect(),
                    };
                    let mut targets: Vec<usize> = candidates
                        .into_iter()
                        .filter(|&ti| {
                            let to = &self.graph.nodes[ti];
                            !to.templates.is_empty() && to.templates.iter().all(|t| pods.matches(&t.labels))
                        })
                        .collect();
                    if targets.is_empty() {
                        continue;
                    }
                    targets.sort_unstable();
                    let ports: Vec<Option<u16>> = if rule.ports.is_empty() {
                        vec![None]
                    } else {
                        rule.ports.iter().map(|p| p.number()).collect()
                    };
                    let sources = sources.get_or_insert_with(|| {
                        let within = in_namespace.get(policy.namespace.as_str()).unwrap_or(&nobody);
                        narrowed(within, &policy.selector)
                            .into_iter()
                            .filter(|&fi| {
                                let from = &self.graph.nodes[fi];
                                from.templates.iter().any(|t| policy.selector.matches(&t.labels))
                            })
                            .collect()
                    });
                    for &fi in sources.iter() {
                        for &ti in targets.iter().filter(|&&ti| ti != fi) {
                            for port in &ports {
                                permitted.push((
                                    NodeId(fi as u32),
                                    NodeId(ti as u32),
                                    *port,
                                    policy.object.clone(),
                                ));
                            }
                        }
                    }
                }
            }
        }
        for (from, to, port, object) in permitted {
            let detail = format!(
                "NetworkPolicy {}/{} allows egress{}",
                object.namespace.as_deref().unwrap_or("default"),
                object.name,
                port.map(|p| format!(" to port {p}")).unwrap_or_default()
            );
            self.edge(from, to, port, None, EdgeSource::NetworkPolicy, object, detail);
        }
    }

    fn declarations(&mut self, declared: &Declared) {
        // Annotations first; the config file wins over them (it is what the operator wrote
        // last and on purpose).
        let mut entries: Vec<(NodeId, DeclaredService, EdgeSource, ObjectRef, String)> = Vec::new();
        let inventory = self.inventory;
        let annotated = mcp_diag_model::name_in_use(declared::SERVICE_ANNOTATION)
            || mcp_diag_model::name_in_use(declared::DEPENDS_ON_ANNOTATION);
        for o in inventory.objects.iter().filter(|_| annotated) {
            let service = o.annotation(declared::SERVICE_ANNOTATION);
            let depends = o.annotation(declared::DEPENDS_ON_ANNOTATION);
            if service.is_none() && depends.is_none() {
                continue;
            }
            let ns = o.namespace.as_deref().unwrap_or("default");
            let place = format!("{} {ns}/{}", o.kind, o.name);
            // Controllers copy a Deployment's annotations onto its ReplicaSets (and pods
            // inherit the template's): the owner already said it.
            let owned = o
                .raw
                .path(&["metadata", "ownerReferences"])
                .and_then(Value::as_seq)
                .is_some_and(|s| !s.is_empty());
            if owned {
                continue;
            }
            let Some(id) = self.find_for_object(o) else {
                self.graph
                    .problems
                    .push(format!("{place}: mcp-diag.io annotations on an object that is no Service and no workload are ignored"));
                continue;
            };
            let mut d = DeclaredService::default();
            if let Some(text) = service {
                match declared::parse_annotation(text) {
                    Ok(parsed) => d = parsed,
                    Err(errors) => {
                        for e in errors {
                            self.graph.problems.push(format!(
                                "{place}: annotation {}: {e}",
                                declared::SERVICE_ANNOTATION
                            ));
                        }
                    }
                }
            }
            if let Some(text) = depends {
                match declared::parse_depends_on(text) {
                    Ok(list) => d.depends_on.extend(list),
                    Err(e) => self.graph.problems.push(format!(
                        "{place}: annotation {}: {e}",
                        declared::DEPENDS_ON_ANNOTATION
                    )),
                }
            }
            let place = format!("{place} (mcp-diag.io annotation)");
            entries.push((id, d, EdgeSource::Annotation, o.object_ref(), place));
        }
        for (key, d) in &declared.services {
            let (ns, name) = match key.split_once('/') {
                Some((ns, name)) => (Some(ns), name),
                None => (None, key.as_str()),
            };
            match self.lookup(ns, name) {
                Ok(id) => {
                    let object =
                        self.graph.nodes[id.0 as usize]
                            .object
                            .clone()
                            .unwrap_or_else(|| ObjectRef {
                                api_version: "v1".into(),
                                kind: "Service".into(),
                                namespace: ns.map(str::to_owned),
                                name: name.to_owned(),
                            });
                    entries.push((
                        id,
                        d.clone(),
                        EdgeSource::Config,
                        object,
                        match &d.origin {
                            Some(at) => format!("config services.{key} ({at})"),
                            None => format!("config services.{key}"),
                        },
                    ));
                }
                Err(e) => self.graph.problems.push(format!("config services.{key}: {e}")),
            }
        }
        for (id, d, source, object, place) in entries {
            let ns = self.graph.nodes[id.0 as usize].namespace.clone();
            for (target, requirement) in &d.requires {
                match self.lookup_relative(target, &ns) {
                    Ok(to) => {
                        self.edges.push(Edge {
                            from: id,
                            to,
                            port: None,
                            protocol: requirement.protocol.clone(),
                            source,
                            evidence: vec![Evidence {
                                object: object.clone(),
                                detail: format!("{place} requires {target}"),
                            }],
                            requirement: Some(requirement.clone()),
                            tls: requirement.protocol.as_deref().map(scheme_is_tls),
                        });
                    }
                    Err(e) => self
                        .graph
                        .problems
                        .push(format!("{place}: requires {target}: {e}")),
                }
            }
            for dep in &d.depends_on {
                match self.lookup_relative(&dep.service, &ns) {
                    Ok(to) => {
                        let detail = format!("{place} depends on {}", dep.text());
                        let protocol = dep.protocol.clone();
                        self.edges.push(Edge {
                            from: id,
                            to,
                            port: dep.port,
                            tls: protocol.as_deref().map(scheme_is_tls),
                            protocol,
                            source,
                            evidence: vec![Evidence {
                                object: object.clone(),
                                detail,
                            }],
                            requirement: None,
                        });
                    }
                    Err(e) => self
                        .graph
                        .problems
                        .push(format!("{place}: depends on {}: {e}", dep.service)),
                }
            }
            let node = &mut self.graph.nodes[id.0 as usize];
            let merged = match node.declared.take() {
                Some(mut old) => {
                    old.merge(d);
                    old
                }
                None => Box::new(d),
            };
            if let Some(v) = &merged.version {
                node.version = Some(v.clone());
                node.version_source = Some(match source {
                    EdgeSource::Config => "config".into(),
                    _ => "annotation mcp-diag.io/service".into(),
                });
            }
            node.declared = Some(merged);
        }
    }

    /// The node an annotated object stands for: a Service, or the node of a workload.
    fn find_for_object(&self, o: &Object) -> Option<NodeId> {
        let ns = o.namespace.as_deref().unwrap_or("default");
        if o.kind == "Service" {
            return self.service(ns, &o.name);
        }
        self.names().workloads.get(&o.object_ref()).copied()
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut names = Names::default();
            for (i, n) in self.graph.nodes.iter().enumerate() {
                let id = NodeId(i as u32);
                for w in &n.workloads {
                    names.workloads.entry(ObjectRef::clone(w)).or_insert(id);
                }
                if matches!(n.kind, NodeKind::Service | NodeKind::Workload) {
                    for name in std::iter::once(&n.name).chain(n.workloads.iter().map(|w| &w.name)) {
                        let ids = names.by_name.entry(name.clone()).or_default();
                        if ids.last() != Some(&id) {
                            ids.push(id);
                        }
                    }
                }
            }
            names
        })
    }

    /// `NS/NAME` relative to a namespace (`NAME` = same namespace).
    fn lookup_relative(&self, target: &str, namespace: &str) -> Result<NodeId, String> {
        match target.split_once('/') {
            Some((ns, name)) => self.lookup(Some(ns), name),
            None => self.lookup(Some(namespace), target),
        }
    }

    /// A declared name: `NS/NAME`, or `NAME` when one namespace has it.
    fn lookup(&self, namespace: Option<&str>, name: &str) -> Result<NodeId, String> {
        let matches: Vec<NodeId> = self
            .names()
            .by_name
            .get(name)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|id| namespace.is_none_or(|ns| self.graph.nodes[id.0 as usize].namespace == ns))
            .collect();
        let mut unique = matches.clone();
        unique.sort();
        unique.dedup();
        match unique.as_slice() {
            [one] => Ok(*one),
            [] => Err(match namespace {
                Some(ns) => format!("no Service or workload {ns}/{name} in the input"),
                None => format!("no Service or workload named {name} in the input"),
            }),
            many => Err(format!(
                "{name} names {} services ({}); write NS/NAME",
                many.len(),
                many.iter()
                    .map(|id| self.graph.nodes[id.0 as usize].display_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Sorts nodes (kind, namespace, name), renumbers, and merges duplicate edges.
    fn finish(mut self) -> Graph {
        let mut order: Vec<usize> = (0..self.graph.nodes.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.graph.nodes[a], &self.graph.nodes[b]);
            (kind_rank(&x.kind), &x.namespace, &x.name).cmp(&(kind_rank(&y.kind), &y.namespace, &y.name))
        });
        let mut new_id = vec![NodeId(0); order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = NodeId(new as u32);
        }
        // Moved into their sorted places by swaps, cycle by cycle: nodes are large, and a
        // large graph copied into new vectors costs more than sorting it.
        let mut placed = vec![false; order.len()];
        for start in 0..order.len() {
            let mut at = start;
            while !placed[at] {
                placed[at] = true;
                let from = order[at];
                if from == start {
                    break;
                }
                self.graph.nodes.swap(at, from);
                at = from;
            }
        }
        for d in &mut self.graph.destination_tls {
            d.node = d.node.map(|n| new_id[n.0 as usize]);
        }
        let mut merged: BTreeMap<EdgeKey, Edge> = BTreeMap::new();
        for mut e in self.edges {
            e.from = new_id[e.from.0 as usize];
            e.to = new_id[e.to.0 as usize];
            let key = (
                e.from,
                e.to,
                e.port,
                e.protocol.clone(),
                e.is_call(),
                e.requirement.is_some(),
            );
            match merged.get_mut(&key) {
                Some(old) => {
                    for ev in e.evidence {
                        if !old.evidence.contains(&ev) {
                            old.evidence.push(ev);
                        }
                    }
                    // The strongest source first: evidence found in the cluster before declarations.
                    old.source = old.source.min(e.source);
                }
                None => {
                    merged.insert(key, e);
                }
            }
        }
        let mut edges: Vec<Edge> = merged.into_values().collect();
        attach_requirements(&mut edges);
        self.graph.edges = edges;
        self.graph.problems.sort();
        self.graph.problems.dedup();
        self.graph
    }
}

/// A declared requirement (`requires:` in an annotation or the config) names a pair the
/// input may also show calling (an address in the caller's environment). Then the call is
/// the edge: it takes the requirement (its protocol, its versions) and its evidence, so that
/// checks compare the declared protocol with the port actually called, and the pair is one
/// edge, not two. A requirement whose pair shows no call stays an edge of its own.
fn attach_requirements(edges: &mut Vec<Edge>) {
    let mut found: FxHashMap<(NodeId, NodeId), Vec<usize>> = FxHashMap::default();
    for (i, e) in edges.iter().enumerate() {
        if e.is_call() && e.requirement.is_none() {
            found.entry((e.from, e.to)).or_default().push(i);
        }
    }
    let mut attached = vec![false; edges.len()];
    // Fixed before any call takes a requirement (a call that took one is no declaration).
    let declarations: Vec<usize> = (0..edges.len())
        .filter(|&i| edges[i].requirement.is_some())
        .collect();
    for i in declarations {
        let Some(requirement) = edges[i].requirement.clone() else {
            continue;
        };
        let Some(calls) = found.get(&(edges[i].from, edges[i].to)) else {
            continue;
        };
        let evidence = edges[i].evidence.clone();
        let source = edges[i].source;
        for &c in calls {
            let call = &mut edges[c];
            call.requirement = Some(requirement.clone());
            for ev in &evidence {
                if !call.evidence.contains(ev) {
                    call.evidence.push(ev.clone());
                }
            }
            call.source = call.source.min(source);
        }
        attached[i] = true;
    }
    let mut i = 0;
    edges.retain(|_| {
        i += 1;
        !attached[i - 1]
    });
}

pub(crate) fn build(inventory: &Inventory, declared: &Declared) -> Graph {
    let mut b = Builder {
        inventory,
        graph: Graph::default(),
        ids: FxHashMap::default(),
        namespaces: BTreeSet::new(),
        services_complete: false,
        configmaps: FxHashMap::default(),
        selector_index: FxHashMap::default(),
        external_hosts: Vec::new(),
        edges: Vec::new(),
        names: std::cell::OnceCell::new(),
    };
    b.namespaces();
    b.services();
    let templates = b.templates();
    b.pods();
    b.service_entries();
    // Reading the calls of every template is most of the graph's time on a large inventory,
    // and needs only the ConfigMaps: in parallel, then the edges in template order.
    let sites: Vec<Vec<CallSite>> = templates
        .par_iter()
        .map(|t| call_sites(&b.configmaps, t))
        .collect();
    for (t, sites) in templates.iter().zip(sites) {
        for (address, source, detail) in sites {
            b.address_edges(t, &address, source, detail);
        }
    }
    b.ingresses();
    b.gateway_routes();
    b.istio();
    b.network_policies();
    b.declarations(declared);
    b.finish()
}

/// The calls found in a template (env, args, command, and the ConfigMaps it loads): where
/// each points, how it was found, and the evidence. Pure, so that templates are read in
/// parallel; the edges are added afterwards, in template order.
fn call_sites<'a>(configmaps: &ConfigMaps<'a>, t: &PodTemplate<'a>) -> Vec<CallSite> {
    let mut sites = Vec::new();
    let mut env: Vec<(String, String, String, EdgeSource)> = Vec::new();
    let mut texts: Vec<(String, String, EdgeSource)> = Vec::new();
    let mut maps_seen: BTreeSet<&'a str> = BTreeSet::new();
    let containers = ["initContainers", "containers"]
        .into_iter()
        .flat_map(|k| t.spec.get(k).and_then(Value::as_seq).unwrap_or_default().iter());
    for c in containers {
        for e in c.get("env").and_then(Value::as_seq).unwrap_or_default() {
            let Some(name) = text(e.get("name")) else { continue };
            if let Some(value) = e.get("value").and_then(scalar) {
                env.push((
                    name.to_owned(),
                    value.clone(),
                    format!("env {name}={value}"),
                    EdgeSource::Env,
                ));
            } else if let Some(r) = e.path(&["valueFrom", "configMapKeyRef"]) {
                let (Some(cm), Some(key)) = (text(r.get("name")), text(r.get("key"))) else {
                    continue;
                };
                if let Some(value) = configmap_value(configmaps, t.namespace, cm, key) {
                    env.push((
                        name.to_owned(),
                        value,
                        format!("env {name} from ConfigMap {}/{cm} key {key}", t.namespace),
                        EdgeSource::ConfigMap,
                    ));
                }
            }
        }
        for e in c.get("envFrom").and_then(Value::as_seq).unwrap_or_default() {
            let Some(cm) = text(e.path(&["configMapRef", "name"])) else {
                continue;
            };
            let prefix = text(e.get("prefix")).unwrap_or_default();
            maps_seen.insert(cm);
            for (key, value) in configmap_data(configmaps, t.namespace, cm) {
                env.push((
                    format!("{prefix}{key}"),
                    value.clone(),
                    format!("ConfigMap {}/{cm} key {key}", t.namespace),
                    EdgeSource::ConfigMap,
                ));
            }
        }
        for (field, word) in [("command", "command"), ("args", "arg")] {
            for a in c.get(field).and_then(Value::as_seq).unwrap_or_default() {
                if let Some(a) = a.as_str() {
                    texts.push((a.to_owned(), format!("{word} {a}"), EdgeSource::Args));
                }
            }
        }
    }
    for v in t.spec.get("volumes").and_then(Value::as_seq).unwrap_or_default() {
        let mut maps = Vec::new();
        if let Some(cm) = text(v.path(&["configMap", "name"])) {
            maps.push(cm);
        }
        for s in v
            .path(&["projected", "sources"])
            .and_then(Value::as_seq)
            .unwrap_or_default()
        {
            if let Some(cm) = text(s.path(&["configMap", "name"])) {
                maps.push(cm);
            }
        }
        for cm in maps {
            if !maps_seen.insert(cm) {
                continue;
            }
            for (key, value) in configmap_data(configmaps, t.namespace, cm) {
                texts.push((
                    value,
                    format!("ConfigMap {}/{cm} key {key}", t.namespace),
                    EdgeSource::ConfigMap,
                ));
            }
        }
    }
    // X_HOST + X_PORT pairs, and hosts alone in X_HOST.
    let ports: BTreeMap<&str, &str> = env
        .iter()
        .filter_map(|(n, v, ..)| Some((n.strip_suffix("_PORT")?, v.as_str())))
        .collect();
    for (name, value, detail, source) in &env {
        let stem = name
            .strip_suffix("_HOST")
            .or_else(|| name.strip_suffix("_HOSTNAME"));
        if let Some(stem) = stem
            && !value.contains(':')
            && let Some(host) = dns_name(value.trim())
        {
            let port = ports.get(stem).and_then(|p| p.trim().parse::<u16>().ok());
            let detail = match port {
                Some(p) => format!("{detail}, {stem}_PORT={p}"),
                None => detail.clone(),
            };
            let address = Address {
                host,
                port,
                scheme: None,
                text: value.clone(),
            };
            sites.push((address, *source, detail));
            continue;
        }
        addresses_in(value, detail, *source, &mut sites);
    }
    for (value, detail, source) in &texts {
        addresses_in(value, detail, *source, &mut sites);
    }
    sites
}

/// The addresses written in a value, each with the evidence (the value's place, and the
/// address when the place does not show it already).
fn addresses_in(value: &str, detail: &str, source: EdgeSource, sites: &mut Vec<CallSite>) {
    for address in find_addresses(value) {
        let detail = if detail.contains(&address.text) {
            detail.to_owned()
        } else {
            format!("{detail}: {}", address.text)
        };
        sites.push((address, source, detail));
    }
}

fn configmap_data(configmaps: &ConfigMaps<'_>, namespace: &str, name: &str) -> Vec<(String, String)> {
    let Some(cm) = configmaps.get(&(namespace, name)) else {
        return Vec::new();
    };
    cm.raw
        .get("data")
        .and_then(Value::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.to_owned(), scalar(v)?)))
        .collect()
}

fn configmap_value(configmaps: &ConfigMaps<'_>, namespace: &str, name: &str, key: &str) -> Option<String> {
    configmaps
        .get(&(namespace, name))?
        .raw
        .path(&["data", key])
        .and_then(scalar)
}

/// A workload by apiVersion, kind, namespace and name (an [`ObjectRef`]'s fields, borrowed).
type WorkloadKey<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// A node's workloads, version, mesh flag and templates, from the templates behind it (in
/// input order).
fn fill_node<'t, 'a: 't>(node: &mut Node, templates: impl ExactSizeIterator<Item = &'t PodTemplate<'a>>) {
    // A workload behind a node many times over (the same object in two files) is listed
    // once; a set once the node has many, so that a large node is not quadratic.
    let mut listed: Option<FxHashSet<WorkloadKey<'_>>> = (templates.len() > 16).then(FxHashSet::default);
    for t in templates {
        let o = t.object;
        let new = match &mut listed {
            Some(set) => set.insert((&o.api_version, &o.kind, o.namespace.as_deref(), &o.name)),
            None => !node.workloads.iter().any(|w| {
                w.name == o.name
                    && w.kind == o.kind
                    && w.namespace == o.namespace
                    && w.api_version == o.api_version
            }),
        };
        if new {
            node.workloads.push(Arc::clone(&t.workload));
        }
        if node.version.is_none()
            && let Some((v, source)) = &t.version
        {
            node.version = Some(v.clone());
            node.version_source = Some((*source).to_owned());
        }
        node.mesh = match (node.templates.is_empty(), node.mesh, t.mesh) {
            (true, _, m) => m,
            (false, Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        };
        node.templates.push(Arc::clone(&t.shared));
    }
}

/// The Service nodes whose selector matches `labels` in `namespace`.
fn selecting(index: &SelectorIndex<'_>, namespace: &str, labels: &Labels) -> Vec<NodeId> {
    let mut found = Vec::new();
    for (k, v) in labels {
        let Some(candidates) = index.get(&(namespace, k.as_str(), v.as_str())) else {
            continue;
        };
        for (id, selector) in candidates {
            if selector
                .iter()
                .all(|(sk, sv)| labels.get(*sk).map(String::as_str) == Some(*sv))
                && !found.contains(id)
            {
                found.push(*id);
            }
        }
    }
    found.sort();
    found
}
