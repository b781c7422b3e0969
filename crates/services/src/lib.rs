//! The service dependency graph: which service calls which, found in what clusters already
//! hold (environment, ConfigMaps, mesh and Gateway routes, Ingresses, NetworkPolicies,
//! annotations) and what the config declares. Pure: an [`Inventory`] and a [`Declared`] in,
//! a [`Graph`] out. Probes (I/O) live in `mcp-diag-probe`.
//!
//! SKELETON written by the lead so that the graph and the checks can be built in parallel.
//! The field names and signatures are the contract between them; extend freely, rename only
//! with both sides updated.

use mcp_diag_model::{Inventory, ObjectRef};
use serde::Serialize;

pub mod declared;
pub use declared::{Declared, DeclaredService, Requirement};

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
    pub workloads: Vec<ObjectRef>,
    pub ports: Vec<Port>,
    /// The running version: `app.kubernetes.io/version`, else the image tag; `None` = unknown.
    pub version: Option<String>,
    /// Where `version` came from, in words (`label app.kubernetes.io/version`, `image tag`).
    pub version_source: Option<String>,
    /// Pods the Service selects and how many are ready; `None` when the input cannot tell
    /// (Pods not read completely).
    pub pods: Option<PodCount>,
    /// What the config or the `mcp-diag.io/service` annotation declares about it.
    pub declared: Option<DeclaredService>,
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
}

/// The whole graph.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Declarations that could not be used (unknown service, bad annotation), in words,
    /// with the object or config line they came from.
    pub problems: Vec<String>,
}

impl Graph {
    /// Builds the graph of an inventory plus what the config declares.
    pub fn build(_inventory: &Inventory, _declared: &Declared) -> Self {
        Self::default()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The node named `NS/NAME` (a Service or a workload name).
    pub fn find(&self, _namespace: &str, _name: &str) -> Option<NodeId> {
        None
    }

    /// Edges out of `id` (what it depends on).
    pub fn dependencies(&self, id: NodeId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.from == id)
    }

    /// `id` and what it depends on: directly, or the whole closure with `all`.
    pub fn closure(&self, _id: NodeId, _all: bool) -> Vec<NodeId> {
        Vec::new()
    }

    /// Sets of nodes that depend on each other in a cycle (strongly connected components
    /// of more than one node, or a node that calls itself), over call edges only
    /// (NetworkPolicy permissions and traffic from outside excluded).
    pub fn cycles(&self) -> Vec<Vec<NodeId>> {
        Vec::new()
    }

    /// An upgrade order: providers before consumers; the members of a cycle share a step.
    pub fn upgrade_order(&self) -> Vec<Vec<NodeId>> {
        Vec::new()
    }
}
