//! The service dependency graph: which service calls which, found in what clusters already
//! hold (environment, ConfigMaps, mesh and Gateway routes, Ingresses, NetworkPolicies,
//! annotations) and what the config declares. Pure: an [`Inventory`] and a [`Declared`] in,
//! a [`Graph`] out. Probes (I/O) live in `mcp-diag-probe`.
//!
//! SKELETON written by the lead so that the graph and the checks can be built in parallel.
//! The field names and signatures are the contract between them; extend freely, rename only
//! with both sides updated.

use std::collections::BTreeMap;

use mcp_diag_model::{Inventory, ObjectRef};
use serde::Serialize;

/// Labels of a pod template or namespace.
pub type Labels = BTreeMap<String, String>;

mod address;
mod build;
pub mod declared;
mod label_index;
mod labels;
mod netpol;
mod query;
pub mod render;
mod selector;

pub use address::{Address, find_addresses, redact_credentials, scheme_is_tls};
pub use declared::{Declared, DeclaredService, Requirement};
pub use netpol::{Allowed, NetworkPolicy};

/// Index of a node in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

/// What a node of the graph is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum NodeKind {
    /// A Kubernetes Service (what callers address), with the workloads it selects.
    Service,
    /// A workload no Service selects (a caller only, such as a CronJob or a worker).
    Workload,
    /// An address in the cluster's domain that names no Service in the input.
    Missing,
    /// A host outside the cluster declared by an Istio ServiceEntry.
    External,
    /// Traffic from outside the cluster: an Ingress, a Gateway API route, an Istio gateway.
    Outside,
}

/// A port a Service exposes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub name: Option<String>,
    pub port: u16,
    pub target_port: Option<String>,
    /// `appProtocol` as written (`grpc`, `kubernetes.io/h2c`, `https`).
    pub app_protocol: Option<String>,
}

/// A service, a caller-only workload, or an address that resolves to nothing.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    pub namespace: String,
    pub name: String,
    /// The Service object (kind Service) or the workload (kind Workload).
    pub object: Option<ObjectRef>,
    /// The workloads whose pods the Service selects (Deployment, StatefulSet, DaemonSet, ...).
    /// Shared with the other nodes that select the same workload (many Services may).
    pub workloads: Vec<std::sync::Arc<ObjectRef>>,
    pub ports: Vec<Port>,
    /// The running version: `app.kubernetes.io/version`, else the image tag; `None` = unknown.
    pub version: Option<String>,
    /// Where `version` came from, in words (`label app.kubernetes.io/version`, `image tag`).
    pub version_source: Option<String>,
    /// Pods the Service selects and how many are ready; `None` when the input cannot tell
    /// (Pods not read completely).
    pub pods: Option<PodCount>,
    /// What the config or the `mcp-diag.io/service` annotation declares about it.
    /// Boxed: most nodes declare nothing, and a node is copied when the graph is sorted.
    pub declared: Option<Box<DeclaredService>>,
    /// Whether the pods run with an Istio sidecar: the namespace's `istio-injection` /
    /// `istio.io/rev` label, overridden by the template's `sidecar.istio.io/inject`; `None`
    /// when nothing says (or the workloads disagree).
    pub mesh: Option<bool>,
    /// For a Missing node: whether Services were read completely, so the absence is real.
    /// `false` means "unknown": the Service may exist outside what was read.
    pub absence_known: bool,
    /// The pod templates behind the node (labels, container ports), for NetworkPolicy and
    /// PeerAuthentication questions.
    /// Shared: a template that several Services select is one allocation.
    #[serde(skip)]
    pub templates: Vec<std::sync::Arc<Template>>,
}

/// One pod template (of a workload, or a bare pod).
#[derive(Clone, Debug, Default)]
pub struct Template {
    pub object: Option<ObjectRef>,
    pub labels: Labels,
    /// Container ports: name (may be empty) and number.
    pub ports: Vec<(String, u16)>,
}

impl Node {
    /// `ns/name`, or the name alone for nodes without a namespace (External hosts).
    pub fn display_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PodCount {
    pub selected: usize,
    pub ready: usize,
}

/// How an edge was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeSource {
    Env,
    Args,
    ConfigMap,
    Annotation,
    Config,
    IstioVirtualService,
    GatewayRoute,
    Ingress,
    /// Allowed by a NetworkPolicy egress rule: a permission, not evidence of a call.
    NetworkPolicy,
}

/// What an edge's evidence is: the object and the exact place, in words
/// (`env PAYMENT_URL=http://payment-gw.shop.svc:8080`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub object: ObjectRef,
    pub detail: String,
}

/// One caller → provider pair.
#[derive(Clone, Debug, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    /// The port the caller uses, when the address names one.
    pub port: Option<u16>,
    /// The protocol the caller speaks, lower case (`http`, `https`, `grpc`, `redis`,
    /// `postgres`, `tcp`), from the URL scheme or the declaration; `None` = unknown.
    pub protocol: Option<String>,
    pub source: EdgeSource,
    pub evidence: Vec<Evidence>,
    /// A declared requirement on the provider (`api: ">=v2"`), from config or annotation.
    pub requirement: Option<Requirement>,
    /// Whether the caller speaks TLS (`https`, `grpcs`, `rediss`); `None` = unknown.
    pub tls: Option<bool>,
}

impl Edge {
    /// Whether the edge is a call (not a NetworkPolicy permission).
    pub fn is_call(&self) -> bool {
        self.source != EdgeSource::NetworkPolicy
    }
}

/// An Istio DestinationRule's client TLS mode for a host (and port).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DestinationTls {
    pub object: ObjectRef,
    /// The host as written.
    pub host: String,
    /// The Service node it names, when it names one.
    pub node: Option<NodeId>,
    /// `None` = the rule's default; else a `portLevelSettings` entry.
    pub port: Option<u16>,
    /// `DISABLE`, `SIMPLE`, `MUTUAL`, `ISTIO_MUTUAL`.
    pub mode: String,
}

/// An Istio PeerAuthentication's mutual TLS mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerAuthentication {
    pub object: ObjectRef,
    pub namespace: String,
    /// `matchLabels` of its workload selector; `None` = the whole namespace (or the mesh,
    /// in the root namespace `istio-system`).
    pub selector: Option<Labels>,
    /// `STRICT`, `PERMISSIVE`, `DISABLE`, `UNSET`.
    pub mode: Option<String>,
    /// `portLevelMtls`: port -> mode.
    pub port_modes: BTreeMap<u16, String>,
}

/// The whole graph.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Declarations that could not be used (unknown service, bad annotation), in words,
    /// with the object or config line they came from.
    pub problems: Vec<String>,
    /// DestinationRule TLS modes, for the protocol check.
    pub destination_tls: Vec<DestinationTls>,
    /// PeerAuthentications, for the protocol check ([`Graph::mtls_mode`]).
    pub peer_authentications: Vec<PeerAuthentication>,
    /// NetworkPolicies, for [`Graph::egress_allowed`].
    pub network_policies: Vec<NetworkPolicy>,
    /// Namespace labels (with `kubernetes.io/metadata.name`), for namespace selectors.
    pub namespace_labels: BTreeMap<String, Labels>,
    /// Whether the namespaces' labels are known (Namespace objects were in the input).
    pub namespaces_known: bool,
    /// [`Graph::network_policies`] by namespace, filed by their pod selectors: built when
    /// [`Graph::egress_allowed`] first asks (it looks up the policies selecting a pod for
    /// every edge), from the policies as they are then.
    #[serde(skip)]
    pub(crate) policies_by_namespace:
        std::sync::OnceLock<rustc_hash::FxHashMap<String, label_index::Selectors>>,
}

impl Graph {
    /// Builds the graph of an inventory plus what the config declares.
    pub fn build(inventory: &Inventory, declared: &Declared) -> Self {
        build::build(inventory, declared)
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Node ids in order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len() as u32).map(NodeId)
    }

    /// Edges out of `id` (what it depends on).
    pub fn dependencies(&self, id: NodeId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.from == id)
    }

    /// Edges into `id` (who depends on it).
    pub fn dependents(&self, id: NodeId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.to == id)
    }
}
